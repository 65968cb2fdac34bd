/* ACPI: the AML writer against byte sequences worked out by hand from the ACPI spec's AML
 * grammar; the tables (checksums, pointers, FADT fields, MADT entries, the \_S5 package); the
 * fw_cfg linker/loader script run by a small loader here, which must give the same bytes as the
 * direct in-memory layout; and the PIIX4 PM function through its ports (PMBA mapping, the PM
 * timer against virtual time, TMR_STS and the SCI, SMI_CMD, S5 power-off, reset). */
#include <stdlib.h>
#include <string.h>

#include "bios/acpi.h"
#include "bios/aml.h"
#include "chipset/acpi_pm.h"
#include "tests/unit/devtest.h"
#include "tests/unit/test.h"

static int bytes_eq(const AmlBuf *b, const uint8_t *want, size_t n)
{
    if (b->len != n || memcmp(b->data, want, n) != 0) {
        printf("  got %zu bytes:", b->len);
        for (size_t i = 0; i < b->len && i < 48; i++) {
            printf(" %02X", b->data[i]);
        }
        printf("\n");
        return 0;
    }
    return 1;
}

#define EXPECT_BYTES(buf, ...)                                                                 \
    do {                                                                                       \
        static const uint8_t want_[] = {__VA_ARGS__};                                          \
        EXPECT_TRUE(bytes_eq((buf), want_, sizeof want_));                                     \
    } while (0)

TEST(aml, pkglength_encodings)
{
    uint8_t pl[4];
    EXPECT_EQ(aml_pkglength_encode(10, pl), 1);
    EXPECT_EQ(pl[0], 0x0B);
    EXPECT_EQ(aml_pkglength_encode(62, pl), 1); /* 62 + 1 = 63, the largest one-byte length */
    EXPECT_EQ(pl[0], 0x3F);
    EXPECT_EQ(aml_pkglength_encode(63, pl), 2); /* 65 = 0x41: 0x40 | 1, 0x41 >> 4 */
    EXPECT_EQ(pl[0], 0x41);
    EXPECT_EQ(pl[1], 0x04);
    EXPECT_EQ(aml_pkglength_encode(4094, pl), 3); /* 4094 + 2 > 0xFFF: 4097 = 0x1001 */
    EXPECT_EQ(pl[0], 0x81);
    EXPECT_EQ(pl[1], 0x00);
    EXPECT_EQ(pl[2], 0x01);
}

TEST(aml, integers_strings_eisaid)
{
    AmlBuf b;
    aml_init(&b);
    aml_int(&b, 0);
    aml_int(&b, 1);
    aml_int(&b, 0x80);
    aml_int(&b, 0x1234);
    aml_int(&b, 0x12345678);
    aml_int(&b, 0x100000000ull);
    EXPECT_BYTES(&b, 0x00, 0x01, 0x0A, 0x80, 0x0B, 0x34, 0x12, 0x0C, 0x78, 0x56, 0x34, 0x12, 0x0E,
                 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00);
    aml_free(&b);

    aml_string(&b, "AB");
    EXPECT_BYTES(&b, 0x0D, 'A', 'B', 0x00);
    aml_free(&b);

    aml_eisaid(&b, "PNP0A03");
    aml_eisaid(&b, "PNP0303");
    aml_eisaid(&b, "PNP0C0F");
    EXPECT_BYTES(&b, 0x0C, 0x41, 0xD0, 0x0A, 0x03, 0x0C, 0x41, 0xD0, 0x03, 0x03, 0x0C, 0x41, 0xD0,
                 0x0C, 0x0F);
    aml_free(&b);
}

TEST(aml, name_strings)
{
    AmlBuf b;
    aml_init(&b);
    aml_name(&b, "ISA");
    EXPECT_BYTES(&b, 'I', 'S', 'A', '_');
    aml_free(&b);
    aml_name(&b, "\\_SB.PCI0");
    EXPECT_BYTES(&b, 0x5C, 0x2E, '_', 'S', 'B', '_', 'P', 'C', 'I', '0');
    aml_free(&b);
    aml_name(&b, "\\_SB.PCI0.ISA.PRQ0");
    EXPECT_BYTES(&b, 0x5C, 0x2F, 0x04, '_', 'S', 'B', '_', 'P', 'C', 'I', '0', 'I', 'S', 'A', '_',
                 'P', 'R', 'Q', '0');
    aml_free(&b);
    aml_name(&b, "^LNKA");
    EXPECT_BYTES(&b, 0x5E, 'L', 'N', 'K', 'A');
    aml_free(&b);
    aml_name(&b, "");
    aml_name(&b, "\\");
    EXPECT_BYTES(&b, 0x00, 0x5C, 0x00);
    aml_free(&b);
}

TEST(aml, method_package_if_buffer)
{
    AmlBuf b;
    aml_init(&b);
    /* Method(_PIC, 1) { Store(Arg0, PICF) } */
    size_t m = aml_method_begin(&b, "_PIC", 1, false);
    aml_op(&b, AML_STORE);
    aml_op(&b, AML_ARG0);
    aml_name(&b, "PICF");
    aml_end(&b, m);
    EXPECT_BYTES(&b, 0x14, 0x0C, '_', 'P', 'I', 'C', 0x01, 0x70, 0x68, 'P', 'I', 'C', 'F');
    aml_free(&b);

    /* Name(_S5, Package(4){0, 0, 0, 0}) */
    aml_name_decl(&b, "_S5");
    m = aml_package_begin(&b, 4);
    for (int i = 0; i < 4; i++) {
        aml_int(&b, 0);
    }
    aml_end(&b, m);
    EXPECT_BYTES(&b, 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00);
    aml_free(&b);

    /* If(LLess(Arg0, 0x80)) { Return(One) } */
    m = aml_if_begin(&b);
    aml_op(&b, AML_LLESS);
    aml_op(&b, AML_ARG0);
    aml_int(&b, 0x80);
    aml_op(&b, AML_RETURN);
    aml_int(&b, 1);
    aml_end(&b, m);
    EXPECT_BYTES(&b, 0xA0, 0x07, 0x95, 0x68, 0x0A, 0x80, 0xA4, 0x01);
    aml_free(&b);

    static const uint8_t three[] = {1, 2, 3};
    aml_buffer(&b, three, 3);
    EXPECT_BYTES(&b, 0x11, 0x06, 0x0A, 0x03, 0x01, 0x02, 0x03);
    aml_free(&b);

    /* Device(DEV) with 70 bytes inside: a two-byte PkgLength (4 + 70 + 2 = 76 = 0x4C) */
    m = aml_device_begin(&b, "DEV");
    for (int i = 0; i < 70; i++) {
        aml_byte(&b, 0xA3); /* Noop */
    }
    aml_end(&b, m);
    EXPECT_EQ(b.len, 2 + 2 + 4 + 70);
    EXPECT_EQ(b.data[0], 0x5B);
    EXPECT_EQ(b.data[1], 0x82);
    EXPECT_EQ(b.data[2], 0x4C);
    EXPECT_EQ(b.data[3], 0x04);
    EXPECT_EQ(b.data[4], 'D');
    EXPECT_EQ(b.data[8], 0xA3);
    aml_free(&b);
}

TEST(aml, region_and_field)
{
    AmlBuf b;
    aml_init(&b);
    aml_op_region(&b, "PIRQ", AML_SPACE_PCI_CONFIG, 0x60, 4);
    EXPECT_BYTES(&b, 0x5B, 0x80, 'P', 'I', 'R', 'Q', 0x02, 0x0A, 0x60, 0x0A, 0x04);
    aml_free(&b);
    size_t m = aml_field_begin(&b, "PIRQ", AML_FIELD_BYTE_ACC);
    aml_field_entry(&b, "PRQ0", 8);
    aml_end(&b, m);
    EXPECT_BYTES(&b, 0x5B, 0x81, 0x0B, 'P', 'I', 'R', 'Q', 0x01, 'P', 'R', 'Q', '0', 0x08);
    aml_free(&b);
}

TEST(aml, resource_descriptors)
{
    AmlBuf b;
    aml_init(&b);
    aml_rd_io(&b, 0x60, 0x60, 1, 1);
    aml_rd_irq_noflags(&b, 1u << 12);
    aml_rd_end(&b);
    EXPECT_BYTES(&b, 0x47, 0x01, 0x60, 0x00, 0x60, 0x00, 0x01, 0x01, 0x22, 0x00, 0x10, 0x79, 0x00);
    aml_free(&b);

    static const uint32_t irqs[] = {5, 10, 11};
    aml_rd_interrupt(&b, false, false, true, irqs, 3);
    EXPECT_BYTES(&b, 0x89, 0x0E, 0x00, 0x09, 0x03, 5, 0, 0, 0, 10, 0, 0, 0, 11, 0, 0, 0);
    aml_free(&b);

    aml_rd_word_bus(&b, 0, 0xFF);
    EXPECT_BYTES(&b, 0x88, 0x0D, 0x00, 0x02, 0x0C, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0x00, 0x00,
                 0x00, 0x00, 0x01);
    aml_free(&b);

    aml_rd_word_io(&b, 0x0D00, 0xFFFF);
    EXPECT_BYTES(&b, 0x88, 0x0D, 0x00, 0x01, 0x0C, 0x03, 0x00, 0x00, 0x00, 0x0D, 0xFF, 0xFF, 0x00,
                 0x00, 0x00, 0xF3);
    aml_free(&b);

    aml_rd_dword_memory(&b, true, 0xA0000, 0xBFFFF);
    EXPECT_BYTES(&b, 0x87, 0x17, 0x00, 0x00, 0x0C, 0x03, 0, 0, 0, 0, 0x00, 0x00, 0x0A, 0x00, 0xFF,
                 0xFF, 0x0B, 0x00, 0, 0, 0, 0, 0x00, 0x00, 0x02, 0x00);
    aml_free(&b);
}

/* ---- tables ---- */

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static const uint8_t *find_bytes(const uint8_t *hay, size_t n, const uint8_t *needle, size_t m)
{
    for (size_t i = 0; i + m <= n; i++) {
        if (!memcmp(hay + i, needle, m)) {
            return hay + i;
        }
    }
    return NULL;
}

static uint8_t sum8(const uint8_t *p, uint32_t n)
{
    uint8_t s = 0;
    while (n--) {
        s = (uint8_t)(s + *p++);
    }
    return s;
}

#define MEM_SIZE 0x200000u
#define TABLES_AT 0x100000u
#define RSDP_AT 0xF5A0u

/* Walks RSDP -> RSDT -> tables in a memory image; returns the table with `sig` or NULL. */
static const uint8_t *find_sdt(const uint8_t *mem, uint32_t rsdp, const char *sig)
{
    uint32_t rsdt = rd32(mem + rsdp + 16);
    if (rsdt + 36 > MEM_SIZE || memcmp(mem + rsdt, "RSDT", 4)) {
        return NULL;
    }
    uint32_t n = (rd32(mem + rsdt + 4) - 36) / 4;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t a = rd32(mem + rsdt + 36 + 4 * i);
        if (a + 36 <= MEM_SIZE && !memcmp(mem + a, sig, 4)) {
            return mem + a;
        }
    }
    return NULL;
}

TEST(acpi, tables_in_memory)
{
    uint8_t *mem = calloc(1, MEM_SIZE);
    AcpiConfig cfg;
    acpi_config_default(&cfg, 128u << 20);
    EXPECT_EQ(acpi_build_in_memory(mem, MEM_SIZE, TABLES_AT, RSDP_AT, &cfg), 0);
    const uint8_t *rsdp = mem + RSDP_AT;
    EXPECT_TRUE(!memcmp(rsdp, "RSD PTR ", 8));
    EXPECT_EQ(sum8(rsdp, 20), 0);
    EXPECT_EQ(rsdp[15], 0);
    const uint8_t *rsdt = mem + rd32(rsdp + 16);
    EXPECT_TRUE(!memcmp(rsdt, "RSDT", 4));
    EXPECT_EQ(sum8(rsdt, rd32(rsdt + 4)), 0);
    EXPECT_EQ(rd32(rsdt + 4), 36 + 2 * 4);

    const uint8_t *fadt = find_sdt(mem, RSDP_AT, "FACP");
    EXPECT_TRUE(fadt != NULL);
    if (fadt) {
        EXPECT_EQ(rd32(fadt + 4), 244);
        EXPECT_EQ(fadt[8], 3);
        EXPECT_EQ(sum8(fadt, 244), 0);
        EXPECT_EQ(fadt[46] | fadt[47] << 8, 9);       /* SCI_INT */
        EXPECT_EQ(rd32(fadt + 48), 0xB2);             /* SMI_CMD */
        EXPECT_EQ(fadt[52], ACPI_PM_ACPI_ENABLE);
        EXPECT_EQ(fadt[53], ACPI_PM_ACPI_DISABLE);
        EXPECT_EQ(rd32(fadt + 56), 0x600);            /* PM1a_EVT_BLK */
        EXPECT_EQ(rd32(fadt + 64), 0x604);            /* PM1a_CNT_BLK */
        EXPECT_EQ(rd32(fadt + 76), 0x608);            /* PM_TMR_BLK */
        EXPECT_EQ(rd32(fadt + 80), 0x60C);            /* GPE0_BLK */
        EXPECT_EQ(fadt[88], 4);
        EXPECT_EQ(fadt[89], 2);
        EXPECT_EQ(fadt[91], 4);
        EXPECT_EQ(fadt[108], 0x32);                   /* CENTURY */
        EXPECT_EQ(fadt[109] & 2, 2);                  /* 8042 */
        EXPECT_EQ(rd32(fadt + 112) & 0x401, 0x401);   /* WBINVD, RESET_REG_SUP */
        EXPECT_EQ(fadt[116], 1);                      /* reset register: I/O, 8 bits, 0xCF9 */
        EXPECT_EQ(fadt[117], 8);
        EXPECT_EQ(rd32(fadt + 120), 0xCF9);
        EXPECT_EQ(fadt[128], 0x06);
        uint32_t facs = rd32(fadt + 36);
        EXPECT_EQ(facs & 63, 0);
        EXPECT_TRUE(!memcmp(mem + facs, "FACS", 4));
        EXPECT_EQ(rd32(mem + facs + 4), 64);
        uint32_t dsdt = rd32(fadt + 40);
        EXPECT_EQ(rd32(fadt + 140), dsdt); /* X_DSDT */
        EXPECT_EQ(rd32(fadt + 144), 0);
        const uint8_t *d = mem + dsdt;
        EXPECT_TRUE(!memcmp(d, "DSDT", 4));
        uint32_t dlen = rd32(d + 4);
        EXPECT_EQ(sum8(d, dlen), 0);
        /* Name(_S5, Package(4){SLP_TYP, SLP_TYP, 0, 0}) right after the header */
        static const uint8_t s5[] = {0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04};
        EXPECT_TRUE(!memcmp(d + 36, s5, sizeof s5));
        EXPECT_EQ(d[44], ACPI_PM_SLP_TYP_S5);
        EXPECT_EQ(d[45], ACPI_PM_SLP_TYP_S5);
        /* the devices SeaBIOS and Linux look for: _HID EisaId dwords */
        static const uint8_t kbd[] = {0x08, '_', 'H', 'I', 'D', 0x0C, 0x41, 0xD0, 0x03, 0x03};
        static const uint8_t pci[] = {0x08, '_', 'H', 'I', 'D', 0x0C, 0x41, 0xD0, 0x0A, 0x03};
        EXPECT_TRUE(find_bytes(d, dlen, kbd, sizeof kbd) != NULL);
        EXPECT_TRUE(find_bytes(d, dlen, pci, sizeof pci) != NULL);
    }

    const uint8_t *madt = find_sdt(mem, RSDP_AT, "APIC");
    EXPECT_TRUE(madt != NULL);
    if (madt) {
        uint32_t len = rd32(madt + 4);
        EXPECT_EQ(sum8(madt, len), 0);
        EXPECT_EQ(rd32(madt + 36), 0xFEE00000u);
        EXPECT_EQ(rd32(madt + 40), 1);
        int lapics = 0, ioapics = 0, nmis = 0, iso0 = 0, iso9 = 0;
        for (uint32_t o = 44; o + 2 <= len && madt[o + 1] >= 2; o += madt[o + 1]) {
            const uint8_t *e = madt + o;
            if (e[0] == 0) {
                lapics++;
                EXPECT_EQ(e[3], 0);
                EXPECT_EQ(rd32(e + 4), 1);
            } else if (e[0] == 1) {
                ioapics++;
                EXPECT_EQ(e[2], 0);
                EXPECT_EQ(rd32(e + 4), 0xFEC00000u);
                EXPECT_EQ(rd32(e + 8), 0);
            } else if (e[0] == 2 && e[3] == 0) {
                iso0 += rd32(e + 4) == 2;
            } else if (e[0] == 2 && e[3] == 9) {
                iso9 += rd32(e + 4) == 9 && (e[8] | e[9] << 8) == 0x000D;
            } else if (e[0] == 4) {
                nmis += e[5] == 1;
            }
        }
        EXPECT_EQ(lapics, 1);
        EXPECT_EQ(ioapics, 1);
        EXPECT_EQ(iso0, 1);
        EXPECT_EQ(iso9, 1);
        EXPECT_EQ(nmis, 1);
    }
    /* bad placements are refused */
    EXPECT_EQ(acpi_build_in_memory(mem, MEM_SIZE, TABLES_AT + 8, RSDP_AT, &cfg), -1);
    EXPECT_EQ(acpi_build_in_memory(mem, MEM_SIZE, MEM_SIZE - 64, RSDP_AT, &cfg), -1);
    EXPECT_EQ(acpi_build_in_memory(mem, MEM_SIZE, TABLES_AT, TABLES_AT + 64, &cfg), -1);
    free(mem);
}

TEST(acpi, no_apic_no_madt)
{
    uint8_t *mem = calloc(1, MEM_SIZE);
    AcpiConfig cfg;
    acpi_config_default(&cfg, 64u << 20);
    cfg.apic = false;
    EXPECT_EQ(acpi_build_in_memory(mem, MEM_SIZE, TABLES_AT, RSDP_AT, &cfg), 0);
    EXPECT_TRUE(find_sdt(mem, RSDP_AT, "FACP") != NULL);
    EXPECT_TRUE(find_sdt(mem, RSDP_AT, "APIC") == NULL);
    free(mem);
}

/* A loader as the firmware runs it: files placed at fixed addresses (the FSEG one at RSDP_AT,
 * the HIGH one at TABLES_AT), pointers patched, checksums fixed. */
static const FwCfgEntry *fw_file(FwCfgState *fw, const char *name)
{
    int key = fwcfg_find_file(fw, name);
    for (int i = 0; key >= 0 && i < fw->nentries; i++) {
        if (fw->entries[i].key == key) {
            return &fw->entries[i];
        }
    }
    return NULL;
}

TEST(acpi, fwcfg_loader_matches_in_memory_layout)
{
    Bus bus;
    FwCfgState fw;
    bus_init(&bus, 1 << 20);
    EXPECT_EQ(fwcfg_init(&fw, &bus, NULL), 0);
    AcpiConfig cfg;
    acpi_config_default(&cfg, 256u << 20);
    EXPECT_EQ(acpi_build_fwcfg(&fw, &cfg), 0);
    const FwCfgEntry *script = fw_file(&fw, "etc/table-loader");
    EXPECT_TRUE(script != NULL);
    uint8_t *mem = calloc(1, MEM_SIZE);
    uint8_t *want = calloc(1, MEM_SIZE);
    struct {
        char name[56];
        uint32_t addr, len;
    } files[4];
    int nfiles = 0, allocs = 0, ptrs = 0, csums = 0;
    for (uint32_t o = 0; script && o + 128 <= script->len; o += 128) {
        const uint8_t *e = script->data + o;
        uint32_t cmd = rd32(e);
        if (cmd == 1) {
            const FwCfgEntry *f = fw_file(&fw, (const char *)e + 4);
            EXPECT_TRUE(f != NULL && nfiles < 4);
            if (!f || nfiles >= 4) {
                break;
            }
            uint32_t addr = e[64] == 2 ? RSDP_AT : TABLES_AT;
            EXPECT_EQ(addr % rd32(e + 60), 0);
            memcpy(mem + addr, f->data, f->len);
            memcpy(files[nfiles].name, e + 4, 56);
            files[nfiles].addr = addr;
            files[nfiles++].len = f->len;
            allocs++;
        } else if (cmd == 2 || cmd == 3) {
            int dst = -1, src = -1;
            for (int i = 0; i < nfiles; i++) {
                if (!strncmp(files[i].name, (const char *)e + 4, 56)) {
                    dst = i;
                }
                if (cmd == 2 && !strncmp(files[i].name, (const char *)e + 60, 56)) {
                    src = i;
                }
            }
            EXPECT_TRUE(dst >= 0 && (cmd == 3 || src >= 0));
            if (dst < 0 || (cmd == 2 && src < 0)) {
                break;
            }
            uint8_t *base = mem + files[dst].addr;
            if (cmd == 2) {
                uint32_t off = rd32(e + 116), size = e[120];
                EXPECT_TRUE(off + size <= files[dst].len && (size == 4 || size == 8));
                uint64_t v = 0;
                memcpy(&v, base + off, size);
                v += files[src].addr;
                memcpy(base + off, &v, size);
                ptrs++;
            } else {
                uint32_t at = rd32(e + 60), start = rd32(e + 64), len = rd32(e + 68);
                EXPECT_TRUE(start + len <= files[dst].len && at < files[dst].len);
                base[at] = (uint8_t)(base[at] - sum8(base + start, len));
                csums++;
            }
        } else {
            EXPECT_TRUE(!"unknown loader command");
        }
    }
    EXPECT_EQ(allocs, 2);
    EXPECT_EQ(ptrs, 6); /* FACS, DSDT, X_DSDT, two RSDT entries, the RSDP's RSDT */
    EXPECT_EQ(csums, 5); /* DSDT, FADT, MADT, RSDT, RSDP */
    EXPECT_EQ(acpi_build_in_memory(want, MEM_SIZE, TABLES_AT, RSDP_AT, &cfg), 0);
    EXPECT_TRUE(memcmp(mem, want, MEM_SIZE) == 0);
    EXPECT_TRUE(find_sdt(mem, RSDP_AT, "FACP") != NULL);
    free(mem);
    free(want);
    fwcfg_free(&fw);
    bus_free(&bus);
}

/* ---- the PM function ---- */

typedef struct PmFx {
    Bus bus;
    Clock clock;
    PciBus pci;
    AcpiPmState pm;
    DtIrq sci;
    int poweroffs;
} PmFx;

static void fx_poweroff(void *opaque)
{
    ((PmFx *)opaque)->poweroffs++;
}

static void pm_fx_init(PmFx *f)
{
    memset(f, 0, sizeof *f);
    bus_init(&f->bus, 1 << 20);
    clock_init(&f->clock, 0); /* 1 ns per tick */
    pci_bus_init(&f->pci, &f->bus, NULL, NULL, NULL);
    EXPECT_EQ(acpi_pm_init(&f->pm, &f->pci, &f->bus, &f->clock, NULL, fx_poweroff, f), 0);
    f->sci.clock = &f->clock;
    irq_connect(&f->pm.sci, dt_irq_handler, &f->sci, 0);
}

static void pm_fx_free(PmFx *f)
{
    bus_free(&f->bus);
}

/* Programs PMBA and PMREGMISC the way SeaBIOS does. */
static void pm_fx_enable(PmFx *f, uint16_t base)
{
    pci_config_write(&f->pci, ACPI_PM_DEVFN, 0x40, base | 1u, 4);
    pci_config_write(&f->pci, ACPI_PM_DEVFN, 0x80, 0x01, 1);
}

static uint64_t expect_ticks(uint64_t ns)
{
    return (uint64_t)((unsigned __int128)ns * ACPI_PM_TIMER_HZ / 1000000000u);
}

TEST(acpi_pm, config_space_and_mapping)
{
    PmFx f;
    pm_fx_init(&f);
    EXPECT_EQ(pci_config_read(&f.pci, ACPI_PM_DEVFN, 0x00, 4), 0x71138086u);
    EXPECT_EQ(pci_config_read(&f.pci, ACPI_PM_DEVFN, 0x08, 4) >> 8, 0x068000u);
    EXPECT_EQ(pci_config_read(&f.pci, ACPI_PM_DEVFN, 0x40, 4), 1); /* I/O indicator only */
    EXPECT_EQ(pci_config_read(&f.pci, ACPI_PM_DEVFN, 0x5B, 1), 0x02); /* "SMM set up" */
    /* nothing decodes before PMREGMISC */
    pci_config_write(&f.pci, ACPI_PM_DEVFN, 0x40, 0x601, 4);
    EXPECT_EQ(bus_pio_read(&f.bus, 0x604, 2), 0xFFFF);
    pci_config_write(&f.pci, ACPI_PM_DEVFN, 0x80, 0x01, 1);
    EXPECT_EQ(pci_config_read(&f.pci, ACPI_PM_DEVFN, 0x40, 4), 0x601);
    EXPECT_EQ(bus_pio_read(&f.bus, 0x604, 2), 0);
    /* the base is 64-byte aligned: low bits are not writable */
    pci_config_write(&f.pci, ACPI_PM_DEVFN, 0x40, 0x0B3F, 4);
    EXPECT_EQ(pci_config_read(&f.pci, ACPI_PM_DEVFN, 0x40, 4), 0x0B01);
    EXPECT_EQ(bus_pio_read(&f.bus, 0x604, 2), 0xFFFF);
    EXPECT_EQ(bus_pio_read(&f.bus, 0xB04, 2), 0);
    bus_pio_write(&f.bus, 0xB02, ACPI_PM1_PWRBTN, 2);
    EXPECT_EQ(bus_pio_read(&f.bus, 0xB02, 2), ACPI_PM1_PWRBTN);
    /* SMBus base stored */
    pci_config_write(&f.pci, ACPI_PM_DEVFN, 0x90, 0xB101, 4);
    EXPECT_EQ(pci_config_read(&f.pci, ACPI_PM_DEVFN, 0x90, 4), 0xB101);
    /* reset: registers cleared and the block no longer decodes */
    acpi_pm_reset(&f.pm);
    EXPECT_EQ(bus_pio_read(&f.bus, 0xB02, 2), 0xFFFF);
    acpi_pm_set_base(&f.pm, ACPI_PM_DEFAULT_BASE);
    EXPECT_EQ(bus_pio_read(&f.bus, 0x602, 2), 0);
    EXPECT_EQ(pci_config_read(&f.pci, ACPI_PM_DEVFN, 0x40, 4), 0x601);
    pm_fx_free(&f);
}

TEST(acpi_pm, timer_follows_virtual_time)
{
    PmFx f;
    pm_fx_init(&f);
    pm_fx_enable(&f, 0x600);
    EXPECT_EQ(bus_pio_read(&f.bus, 0x608, 4), 0);
    dt_run_to(&f.clock, 1000000); /* 1 ms: 3579.545 ticks */
    EXPECT_EQ(bus_pio_read(&f.bus, 0x608, 4), 3579);
    dt_run_to(&f.clock, 1000000000); /* 1 s */
    EXPECT_EQ(bus_pio_read(&f.bus, 0x608, 4), 3579545);
    /* byte reads see the same counter */
    EXPECT_EQ(bus_pio_read(&f.bus, 0x60A, 1), (3579545 >> 16) & 0xFF);
    EXPECT_EQ(bus_pio_read(&f.bus, 0x60B, 1), 0);
    /* 24 bits wrap after 2^24 / 3579545 s = 4.687 s */
    uint64_t t = 7123456789ull;
    dt_run_to(&f.clock, t);
    EXPECT_EQ(bus_pio_read(&f.bus, 0x608, 4), expect_ticks(t) & 0xFFFFFF);
    /* far in the future: no overflow in the arithmetic */
    f.clock.ticks = 40000000000000000ull; /* 463 days */
    EXPECT_EQ(acpi_pm_timer_value(&f.pm), expect_ticks(f.clock.ticks) & 0xFFFFFF);
    /* writes to the timer are ignored */
    bus_pio_write(&f.bus, 0x608, 0, 4);
    EXPECT_EQ(acpi_pm_timer_value(&f.pm), expect_ticks(f.clock.ticks) & 0xFFFFFF);
    pm_fx_free(&f);
}

TEST(acpi_pm, tmr_sts_and_sci)
{
    PmFx f;
    pm_fx_init(&f);
    pm_fx_enable(&f, 0x600);
    /* bit 23 first changes at tick 2^23: ceil(2^23 * 10^9 / 3579545) ns */
    uint64_t edge = ((1ull << 23) * 1000000000ull + ACPI_PM_TIMER_HZ - 1) / ACPI_PM_TIMER_HZ;
    bus_pio_write(&f.bus, 0x602, ACPI_PM1_TMR, 2); /* TMR_EN, but SCI_EN is still clear */
    dt_run_to(&f.clock, edge - 1);
    EXPECT_EQ(bus_pio_read(&f.bus, 0x600, 2) & ACPI_PM1_TMR, 0);
    dt_run_to(&f.clock, edge);
    EXPECT_EQ(bus_pio_read(&f.bus, 0x600, 2) & ACPI_PM1_TMR, ACPI_PM1_TMR);
    EXPECT_EQ(f.sci.level, 0); /* no SCI without SCI_EN */
    /* ACPI enable through SMI_CMD raises the pending SCI */
    bus_pio_write(&f.bus, ACPI_PM_SMI_CMD, ACPI_PM_ACPI_ENABLE, 1);
    EXPECT_EQ(bus_pio_read(&f.bus, 0x604, 2) & ACPI_PM1_SCI_EN, ACPI_PM1_SCI_EN);
    EXPECT_EQ(f.sci.level, 1);
    /* write 1 to clear: the SCI drops */
    bus_pio_write(&f.bus, 0x600, ACPI_PM1_TMR, 2);
    EXPECT_EQ(f.sci.level, 0);
    EXPECT_EQ(bus_pio_read(&f.bus, 0x600, 2) & ACPI_PM1_TMR, 0);
    /* the next transition, 2^23 ticks later, raises it exactly on time */
    uint64_t edge2 = ((2ull << 23) * 1000000000ull + ACPI_PM_TIMER_HZ - 1) / ACPI_PM_TIMER_HZ;
    int rises = f.sci.rises;
    dt_run_to(&f.clock, edge2 + 1000);
    EXPECT_EQ(f.sci.rises, rises + 1);
    EXPECT_EQ(f.sci.rise_ns[rises], edge2);
    /* disabling TMR_EN drops the SCI, the status stays */
    bus_pio_write(&f.bus, 0x602, 0, 2);
    EXPECT_EQ(f.sci.level, 0);
    EXPECT_EQ(bus_pio_read(&f.bus, 0x600, 2) & ACPI_PM1_TMR, ACPI_PM1_TMR);
    EXPECT_TRUE(!timer_pending(&f.pm.tmr_timer));
    /* ACPI disable */
    bus_pio_write(&f.bus, ACPI_PM_SMI_CMD, ACPI_PM_ACPI_DISABLE, 1);
    EXPECT_EQ(bus_pio_read(&f.bus, 0x604, 2) & ACPI_PM1_SCI_EN, 0);
    EXPECT_EQ(bus_pio_read(&f.bus, ACPI_PM_SMI_CMD, 1), ACPI_PM_ACPI_DISABLE);
    pm_fx_free(&f);
}

TEST(acpi_pm, power_button_and_sleep)
{
    PmFx f;
    pm_fx_init(&f);
    pm_fx_enable(&f, 0x600);
    bus_pio_write(&f.bus, ACPI_PM_SMI_CMD, ACPI_PM_ACPI_ENABLE, 1);
    bus_pio_write(&f.bus, 0x602, ACPI_PM1_PWRBTN, 2);
    acpi_pm_power_button(&f.pm);
    EXPECT_EQ(f.sci.level, 1);
    EXPECT_EQ(bus_pio_read(&f.bus, 0x600, 2) & ACPI_PM1_PWRBTN, ACPI_PM1_PWRBTN);
    bus_pio_write(&f.bus, 0x601, ACPI_PM1_PWRBTN >> 8, 1); /* byte-wide clear */
    EXPECT_EQ(f.sci.level, 0);
    /* an unsupported sleep type (S1 = POS) wakes at once and does not power off */
    bus_pio_write(&f.bus, 0x604, ACPI_PM1_SCI_EN | 3u << 10 | ACPI_PM1_SLP_EN, 2);
    EXPECT_EQ(f.poweroffs, 0);
    EXPECT_EQ(bus_pio_read(&f.bus, 0x600, 2) & ACPI_PM1_WAK_STS, ACPI_PM1_WAK_STS);
    /* SLP_EN reads as 0; SLP_TYP is kept */
    EXPECT_EQ(bus_pio_read(&f.bus, 0x604, 2), ACPI_PM1_SCI_EN | 3u << 10);
    /* SLP_TYP alone does nothing; SLP_TYP | SLP_EN for S5 powers off */
    bus_pio_write(&f.bus, 0x604, ACPI_PM1_SCI_EN | ACPI_PM_SLP_TYP_S5 << 10, 2);
    EXPECT_EQ(f.poweroffs, 0);
    bus_pio_write(&f.bus, 0x604,
                  ACPI_PM1_SCI_EN | ACPI_PM_SLP_TYP_S5 << 10 | ACPI_PM1_SLP_EN, 2);
    EXPECT_EQ(f.poweroffs, 1);
    pm_fx_free(&f);
}
