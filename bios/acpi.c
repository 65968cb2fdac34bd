/* The ACPI tables of the PC (see acpi.h), following the ACPI specification 6.x, chapter 5
 * ("ACPI Software Programming Model": RSDP, RSDT, FADT revision 3 layout, FACS, MADT entries
 * 0, 1, 2 and 4, the generic address structure) and chapter 6 for the device objects of the
 * DSDT; and QEMU's fw_cfg linker/loader interface (docs/specs/fw_cfg and SeaBIOS's
 * romfile_loader: 128-byte commands ALLOCATE = 1, ADD_POINTER = 2, ADD_CHECKSUM = 3, file names
 * of 56 bytes, zones HIGH = 1 and FSEG = 2) for handing them to SeaBIOS.
 *
 * What the DSDT describes:
 * - \_SB.PCI0 (PNP0A03): bus 0-255, ports 0-0xCF7 and 0xD00-0xFFFF (0xCF8-0xCFF consumed), the
 *   VGA window and the PCI memory hole from the end of RAM to below the IOAPIC.
 * - \_SB.PCI0.ISA (00:01.0): the PIIX3's PIRQ route registers (config 0x60-0x63) as fields, and
 *   the legacy devices Linux and SeaBIOS look for: PIC, PIT, RTC, 8042 keyboard and mouse,
 *   COM1 and the DMA controller.
 * - \_SB.LNKA-LNKD (PNP0C0F): interrupt links backed by the PIRQ registers, offering ISA IRQs 5,
 *   10 and 11 (level, active high: the MADT publishes level/high overrides for them), and a
 *   _PRT giving slot s, pin p (0 = INTA) link (p + s - 1) mod 4: the PIIX swizzle of QEMU's pc
 *   machine, which SeaBIOS also assumes when it fills PCI_INTERRUPT_LINE.
 * - \_S5 with the PIIX4 soft-off SLP_TYP (chipset/acpi_pm.h), and \_PIC storing the mode.
 * Departures: no \_S3/\_S4 (the PM function does not implement suspend), no HPET, no SMBIOS.
 */
#include "bios/acpi.h"

#include <string.h>

#include "chipset/acpi_pm.h"

#define OEM_ID "X86PC "
#define FACS_LEN 64
#define FADT_LEN 244 /* revision 3 */
#define LAPIC_ADDR 0xFEE00000u
#define PCI_HOLE_END 0xFEBFFFFFu

static const uint32_t kLinkIrqs[] = {5, 10, 11};

void acpi_config_default(AcpiConfig *c, uint32_t ram_size)
{
    memset(c, 0, sizeof *c);
    c->ram_size = ram_size;
    c->pm_base = ACPI_PM_DEFAULT_BASE;
    c->apic = true;
    c->ioapic = true;
    c->ioapic_id = 0;
    c->ioapic_addr = 0xFEC00000u;
}

uint8_t acpi_checksum(const uint8_t *p, uint32_t len)
{
    uint8_t sum = 0;
    for (uint32_t i = 0; i < len; i++) {
        sum = (uint8_t)(sum + p[i]);
    }
    return (uint8_t)-sum;
}

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static uint64_t get_le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

static void le(AmlBuf *b, uint64_t v, unsigned n)
{
    uint8_t tmp[8];
    put_le(tmp, v, n);
    aml_bytes(b, tmp, n);
}

static void pad_to(AmlBuf *b, size_t align)
{
    while (b->len % align) {
        aml_byte(b, 0);
    }
}

/* ---- table framing ---- */

static size_t table_begin(AmlBuf *b, const char *sig, uint8_t rev)
{
    size_t off = b->len;
    char table_id[9];
    memcpy(table_id, "X86PC", 5);
    memcpy(table_id + 5, sig, 3);
    aml_bytes(b, sig, 4);
    le(b, 0, 4); /* length, filled by table_end */
    aml_byte(b, rev);
    aml_byte(b, 0); /* checksum */
    aml_bytes(b, OEM_ID, 6);
    aml_bytes(b, table_id, 8);
    le(b, 1, 4);          /* OEM revision */
    aml_bytes(b, "X86P", 4); /* creator */
    le(b, 1, 4);          /* creator revision */
    return off;
}

static void table_record(AcpiTables *t, const char *sig, size_t off, size_t len, bool csum)
{
    if (t->ntables < ACPI_MAX_TABLES) {
        AcpiTableRef *r = &t->table[t->ntables++];
        memcpy(r->sig, sig, 4);
        r->sig[4] = 0;
        r->off = (uint32_t)off;
        r->len = (uint32_t)len;
        r->checksum = csum;
    }
}

static void table_end(AcpiTables *t, size_t off)
{
    AmlBuf *b = &t->blob;
    if (b->err) {
        return;
    }
    uint8_t *p = b->data + off;
    uint32_t len = (uint32_t)(b->len - off);
    put_le(p + 4, len, 4);
    p[9] = 0;
    p[9] = acpi_checksum(p, len);
    char sig[5] = {(char)p[0], (char)p[1], (char)p[2], (char)p[3], 0};
    table_record(t, sig, off, len, true);
}

static void add_ptr(AcpiTables *t, size_t off, uint8_t size)
{
    if (t->nptrs < ACPI_MAX_PTRS) {
        t->ptr[t->nptrs++] = (AcpiPtrRef){(uint32_t)off, size};
    }
}

/* ---- DSDT ---- */

/* Name(name, ResourceTemplate(){...}) from a finished descriptor list. */
static void name_resources(AmlBuf *b, const char *name, AmlBuf *rt)
{
    aml_rd_end(rt);
    aml_name_decl(b, name);
    aml_buffer(b, rt->data, rt->len);
    b->err |= rt->err;
    aml_free(rt);
}

static void pci0_crs(AmlBuf *b, const AcpiConfig *cfg)
{
    AmlBuf rt;
    aml_init(&rt);
    aml_rd_word_bus(&rt, 0x00, 0xFF);
    aml_rd_io(&rt, 0xCF8, 0xCF8, 1, 8);
    aml_rd_word_io(&rt, 0x0000, 0x0CF7);
    aml_rd_word_io(&rt, 0x0D00, 0xFFFF);
    aml_rd_dword_memory(&rt, true, 0x000A0000, 0x000BFFFF);
    uint32_t hole = (cfg->ram_size + 0xFFFFFu) & ~0xFFFFFu;
    if (hole < 0x100000u) {
        hole = 0x100000u;
    }
    if (hole < PCI_HOLE_END) {
        aml_rd_dword_memory(&rt, false, hole, PCI_HOLE_END);
    }
    name_resources(b, "_CRS", &rt);
}

/* A legacy device under ISA: _HID, optional _UID, and its fixed resources. */
typedef struct LegacyDev {
    const char *name, *hid;
    int uid; /* -1: none */
    uint16_t io[3][2]; /* base, length; length 0 ends the list */
    int irq; /* -1: none */
} LegacyDev;

static const LegacyDev kLegacyDevs[] = {
    {"PIC", "PNP0000", -1, {{0x20, 2}, {0xA0, 2}, {0x4D0, 2}}, 2},
    {"DMA", "PNP0200", -1, {{0x00, 16}, {0x80, 16}, {0xC0, 32}}, -1},
    {"TMR", "PNP0100", -1, {{0x40, 4}}, 0},
    {"RTC", "PNP0B00", -1, {{0x70, 2}}, 8},
    {"KBD", "PNP0303", -1, {{0x60, 1}, {0x64, 1}}, 1},
    {"MOU", "PNP0F13", -1, {{0}}, 12},
    {"COM1", "PNP0501", 1, {{0x3F8, 8}}, 4},
};

static void legacy_device(AmlBuf *b, const LegacyDev *d)
{
    size_t m = aml_device_begin(b, d->name);
    aml_name_decl(b, "_HID");
    aml_eisaid(b, d->hid);
    if (d->uid >= 0) {
        aml_name_int(b, "_UID", (uint64_t)d->uid);
    }
    AmlBuf rt;
    aml_init(&rt);
    for (int i = 0; i < 3 && d->io[i][1]; i++) {
        aml_rd_io(&rt, d->io[i][0], d->io[i][0], 1, (uint8_t)d->io[i][1]);
    }
    if (d->irq >= 0) {
        aml_rd_irq_noflags(&rt, (uint16_t)(1u << d->irq));
    }
    name_resources(b, "_CRS", &rt);
    aml_end(b, m);
}

static void isa_device(AmlBuf *b)
{
    size_t m = aml_device_begin(b, "ISA");
    aml_name_int(b, "_ADR", 0x00010000);
    aml_op_region(b, "PIRQ", AML_SPACE_PCI_CONFIG, 0x60, 4);
    size_t f = aml_field_begin(b, "PIRQ", AML_FIELD_BYTE_ACC | AML_FIELD_PRESERVE);
    aml_field_entry(b, "PRQ0", 8);
    aml_field_entry(b, "PRQ1", 8);
    aml_field_entry(b, "PRQ2", 8);
    aml_field_entry(b, "PRQ3", 8);
    aml_end(b, f);
    for (size_t i = 0; i < sizeof kLegacyDevs / sizeof kLegacyDevs[0]; i++) {
        legacy_device(b, &kLegacyDevs[i]);
    }
    aml_end(b, m);
}

/* Link (slot s, pin p) -> LNKA..LNKD, QEMU's PIIX swizzle. */
static int prt_link(int slot, int pin)
{
    return (pin + slot - 1) & 3;
}

static void pci0_prt(AmlBuf *b)
{
    aml_name_decl(b, "_PRT");
    size_t m = aml_package_begin(b, 31 * 4);
    for (int slot = 1; slot < 32; slot++) {
        for (int pin = 0; pin < 4; pin++) {
            char link[16];
            memcpy(link, "\\_SB.LNKA", 10);
            link[8] = (char)('A' + prt_link(slot, pin));
            size_t e = aml_package_begin(b, 4);
            aml_byte(b, AML_DWORD_PREFIX); /* the address as a DWord, like iasl */
            le(b, (uint32_t)slot << 16 | 0xFFFF, 4);
            aml_int(b, (uint64_t)pin);
            aml_name(b, link);
            aml_int(b, 0);
            aml_end(b, e);
        }
    }
    aml_end(b, m);
}

static void link_irq_template(AmlBuf *rt, const uint32_t *irqs, unsigned n)
{
    aml_init(rt);
    aml_rd_interrupt(rt, false, false, true, irqs, n);
    aml_rd_end(rt);
}

/* Methods shared by the links:
 *   IQST(r): _STA from a route register: 0x09 (present, disabled) if bit 7, else 0x0B.
 *   IQCR(r): _CRS: Interrupt(){r & 0x0F}, or IRQ 0 when routing is off. */
static void link_helpers(AmlBuf *b)
{
    size_t m = aml_method_begin(b, "IQST", 1, false);
    size_t i = aml_if_begin(b);
    aml_op(b, AML_AND);
    aml_int(b, 0x80);
    aml_op(b, AML_ARG0);
    aml_name(b, ""); /* no target */
    aml_op(b, AML_RETURN);
    aml_int(b, 0x09);
    aml_end(b, i);
    aml_op(b, AML_RETURN);
    aml_int(b, 0x0B);
    aml_end(b, m);

    m = aml_method_begin(b, "IQCR", 1, true);
    AmlBuf rt;
    uint32_t zero = 0;
    link_irq_template(&rt, &zero, 1);
    aml_name_decl(b, "PRR0");
    aml_buffer(b, rt.data, rt.len);
    b->err |= rt.err;
    aml_free(&rt);
    aml_op(b, AML_CREATE_DWORD_FIELD);
    aml_name(b, "PRR0");
    aml_int(b, 5); /* the first interrupt number in the descriptor */
    aml_name(b, "PRRI");
    i = aml_if_begin(b);
    aml_op(b, AML_LLESS);
    aml_op(b, AML_ARG0);
    aml_int(b, 0x80);
    aml_op(b, AML_STORE);
    aml_op(b, AML_AND);
    aml_op(b, AML_ARG0);
    aml_int(b, 0x0F);
    aml_name(b, "");
    aml_name(b, "PRRI");
    aml_end(b, i);
    aml_op(b, AML_RETURN);
    aml_name(b, "PRR0");
    aml_end(b, m);
}

static void link_device(AmlBuf *b, int n)
{
    char name[5] = {'L', 'N', 'K', (char)('A' + n), 0};
    char reg[24];
    memcpy(reg, "\\_SB.PCI0.ISA.PRQ0", 19);
    reg[17] = (char)('0' + n);

    size_t m = aml_device_begin(b, name);
    aml_name_decl(b, "_HID");
    aml_eisaid(b, "PNP0C0F");
    aml_name_int(b, "_UID", (uint64_t)n + 1);
    AmlBuf rt;
    link_irq_template(&rt, kLinkIrqs, sizeof kLinkIrqs / sizeof kLinkIrqs[0]);
    aml_name_decl(b, "_PRS");
    aml_buffer(b, rt.data, rt.len);
    b->err |= rt.err;
    aml_free(&rt);

    size_t x = aml_method_begin(b, "_STA", 0, false); /* Return(IQST(PRQn)) */
    aml_op(b, AML_RETURN);
    aml_name(b, "IQST");
    aml_name(b, reg);
    aml_end(b, x);

    x = aml_method_begin(b, "_DIS", 0, false); /* Or(PRQn, 0x80, PRQn) */
    aml_op(b, AML_OR);
    aml_name(b, reg);
    aml_int(b, 0x80);
    aml_name(b, reg);
    aml_end(b, x);

    x = aml_method_begin(b, "_CRS", 0, false); /* Return(IQCR(PRQn)) */
    aml_op(b, AML_RETURN);
    aml_name(b, "IQCR");
    aml_name(b, reg);
    aml_end(b, x);

    x = aml_method_begin(b, "_SRS", 1, true); /* Store(the IRQ in Arg0, PRQn) */
    aml_op(b, AML_CREATE_DWORD_FIELD);
    aml_op(b, AML_ARG0);
    aml_int(b, 5);
    aml_name(b, "PRRI");
    aml_op(b, AML_STORE);
    aml_name(b, "PRRI");
    aml_name(b, reg);
    aml_end(b, x);
    aml_end(b, m);
}

static void build_dsdt(AcpiTables *t, const AcpiConfig *cfg)
{
    AmlBuf *b = &t->blob;
    size_t off = table_begin(b, "DSDT", 1);

    /* \_S5: SLP_TYP for PM1a and PM1b, two reserved */
    aml_name_decl(b, "_S5");
    size_t m = aml_package_begin(b, 4);
    aml_int(b, ACPI_PM_SLP_TYP_S5);
    aml_int(b, ACPI_PM_SLP_TYP_S5);
    aml_int(b, 0);
    aml_int(b, 0);
    aml_end(b, m);
    /* \_PIC(mode): 0 PIC, 1 APIC; the links work the same in both */
    aml_name_int(b, "PICF", 0);
    m = aml_method_begin(b, "_PIC", 1, false);
    aml_op(b, AML_STORE);
    aml_op(b, AML_ARG0);
    aml_name(b, "PICF");
    aml_end(b, m);

    size_t sb = aml_scope_begin(b, "\\_SB");
    size_t cpu = aml_device_begin(b, "CPU0");
    aml_name_decl(b, "_HID");
    aml_string(b, "ACPI0007");
    aml_name_int(b, "_UID", 0);
    aml_end(b, cpu);

    size_t pci = aml_device_begin(b, "PCI0");
    aml_name_decl(b, "_HID");
    aml_eisaid(b, "PNP0A03");
    aml_name_int(b, "_UID", 0);
    pci0_crs(b, cfg);
    pci0_prt(b);
    isa_device(b);
    aml_end(b, pci);

    link_helpers(b);
    for (int n = 0; n < 4; n++) {
        link_device(b, n);
    }
    aml_end(b, sb);
    table_end(t, off);
}

/* ---- FACS, FADT, MADT, RSDT ---- */

static void build_facs(AcpiTables *t)
{
    AmlBuf *b = &t->blob;
    size_t off = b->len;
    aml_bytes(b, "FACS", 4);
    le(b, FACS_LEN, 4);
    le(b, 0, 4); /* hardware signature */
    le(b, 0, 4); /* firmware waking vector */
    le(b, 0, 4); /* global lock */
    le(b, 0, 4); /* flags */
    le(b, 0, 8); /* X firmware waking vector */
    aml_byte(b, 1); /* version */
    while (b->len - off < FACS_LEN) {
        aml_byte(b, 0);
    }
    table_record(t, "FACS", off, FACS_LEN, false);
}

/* Generic address structure: system I/O. */
static void gas_io(uint8_t *p, uint8_t bits, uint8_t access, uint64_t addr)
{
    p[0] = 1;
    p[1] = bits;
    p[2] = 0;
    p[3] = access;
    put_le(p + 4, addr, 8);
}

static void build_fadt(AcpiTables *t, const AcpiConfig *cfg, size_t facs, size_t dsdt)
{
    AmlBuf *b = &t->blob;
    size_t off = table_begin(b, "FACP", 3);
    while (b->len - off < FADT_LEN) {
        aml_byte(b, 0);
    }
    if (b->err) {
        return;
    }
    uint8_t *p = b->data + off;
    uint32_t pm = cfg->pm_base;
    put_le(p + 36, facs, 4); /* FIRMWARE_CTRL (X_FIRMWARE_CTRL stays 0) */
    put_le(p + 40, dsdt, 4); /* DSDT */
    p[45] = 0;               /* preferred PM profile: unspecified */
    put_le(p + 46, ACPI_PM_SCI_IRQ, 2);
    put_le(p + 48, ACPI_PM_SMI_CMD, 4);
    p[52] = ACPI_PM_ACPI_ENABLE;
    p[53] = ACPI_PM_ACPI_DISABLE;
    put_le(p + 56, pm + ACPI_PM_PM1_STS, 4); /* PM1a_EVT_BLK */
    put_le(p + 64, pm + ACPI_PM_PM1_CNT, 4); /* PM1a_CNT_BLK */
    put_le(p + 76, pm + ACPI_PM_TMR, 4);     /* PM_TMR_BLK */
    put_le(p + 80, pm + ACPI_PM_GPE0_STS, 4); /* GPE0_BLK */
    p[88] = 4;                              /* PM1_EVT_LEN */
    p[89] = 2;                              /* PM1_CNT_LEN */
    p[91] = 4;                              /* PM_TMR_LEN */
    p[92] = ACPI_PM_GPE0_LEN;               /* GPE0_BLK_LEN */
    put_le(p + 96, 0x0FFF, 2);              /* P_LVL2_LAT: C2 not supported */
    put_le(p + 98, 0x0FFF, 2);              /* P_LVL3_LAT: C3 not supported */
    p[108] = 0x32;                          /* CENTURY: the CMOS index */
    put_le(p + 109, 0x0003, 2);             /* IAPC_BOOT_ARCH: LEGACY_DEVICES, 8042 */
    /* flags: WBINVD, PROC_C1, SLP_BUTTON (none: the power button is fixed hardware),
     * RESET_REG_SUP */
    put_le(p + 112, (1u << 0) | (1u << 2) | (1u << 5) | (1u << 10), 4);
    gas_io(p + 116, 8, 1, 0xCF9); /* RESET_REG: the PIIX reset control register */
    p[128] = 0x06;                /* RESET_VALUE: hard reset */
    put_le(p + 140, dsdt, 8);     /* X_DSDT */
    gas_io(p + 148, 32, 0, pm + ACPI_PM_PM1_STS);
    gas_io(p + 172, 16, 0, pm + ACPI_PM_PM1_CNT);
    gas_io(p + 208, 32, 0, pm + ACPI_PM_TMR);
    gas_io(p + 220, 8 * ACPI_PM_GPE0_LEN, 0, pm + ACPI_PM_GPE0_STS);
    add_ptr(t, off + 36, 4);
    add_ptr(t, off + 40, 4);
    add_ptr(t, off + 140, 8);
    table_end(t, off);
}

static void madt_iso(AmlBuf *b, uint8_t irq, uint32_t gsi, uint16_t flags)
{
    aml_byte(b, 2);
    aml_byte(b, 10);
    aml_byte(b, 0); /* ISA */
    aml_byte(b, irq);
    le(b, gsi, 4);
    le(b, flags, 2);
}

static void build_madt(AcpiTables *t, const AcpiConfig *cfg)
{
    AmlBuf *b = &t->blob;
    size_t off = table_begin(b, "APIC", 1);
    le(b, LAPIC_ADDR, 4);
    le(b, 1, 4); /* PCAT_COMPAT: there are 8259s too */
    /* processor local APIC: processor UID 0, APIC ID 0, enabled */
    aml_byte(b, 0);
    aml_byte(b, 8);
    aml_byte(b, 0);
    aml_byte(b, 0);
    le(b, 1, 4);
    if (cfg->ioapic) {
        aml_byte(b, 1);
        aml_byte(b, 12);
        aml_byte(b, cfg->ioapic_id);
        aml_byte(b, 0);
        le(b, cfg->ioapic_addr, 4);
        le(b, 0, 4); /* GSI base */
        madt_iso(b, 0, 2, 0); /* the PIT on pin 2, conforming */
        /* the SCI and the PCI link IRQs: level, active high */
        madt_iso(b, ACPI_PM_SCI_IRQ, ACPI_PM_SCI_IRQ, 0x000D);
        for (size_t i = 0; i < sizeof kLinkIrqs / sizeof kLinkIrqs[0]; i++) {
            madt_iso(b, (uint8_t)kLinkIrqs[i], kLinkIrqs[i], 0x000D);
        }
    }
    /* local APIC NMI: all processors, conforming, LINT1 */
    aml_byte(b, 4);
    aml_byte(b, 6);
    aml_byte(b, 0xFF);
    le(b, 0, 2);
    aml_byte(b, 1);
    table_end(t, off);
}

static void build_rsdt(AcpiTables *t, const size_t *entries, int n)
{
    AmlBuf *b = &t->blob;
    size_t off = table_begin(b, "RSDT", 1);
    for (int i = 0; i < n; i++) {
        add_ptr(t, b->len, 4);
        le(b, entries[i], 4);
    }
    table_end(t, off);
}

int acpi_build(AcpiTables *t, const AcpiConfig *cfg)
{
    memset(t, 0, sizeof *t);
    aml_init(&t->blob);
    AmlBuf *b = &t->blob;
    size_t facs = b->len;
    build_facs(t);
    size_t dsdt = b->len;
    build_dsdt(t, cfg);
    pad_to(b, 4);
    size_t entries[2];
    int n = 0;
    entries[n++] = b->len;
    build_fadt(t, cfg, facs, dsdt);
    pad_to(b, 4);
    if (cfg->apic) {
        entries[n++] = b->len;
        build_madt(t, cfg);
        pad_to(b, 4);
    }
    size_t rsdt = b->len;
    build_rsdt(t, entries, n);
    if (b->err) {
        acpi_tables_free(t);
        return -1;
    }
    memcpy(t->rsdp, "RSD PTR ", 8);
    memcpy(t->rsdp + 9, OEM_ID, 6);
    t->rsdp[15] = 0; /* revision 0: ACPI 1.0 RSDP, RSDT only */
    put_le(t->rsdp + 16, rsdt, 4);
    t->rsdp[8] = acpi_checksum(t->rsdp, ACPI_RSDP_LEN);
    return 0;
}

void acpi_tables_free(AcpiTables *t)
{
    aml_free(&t->blob);
    t->ntables = t->nptrs = 0;
}

const AcpiTableRef *acpi_find_table(const AcpiTables *t, const char *sig)
{
    for (int i = 0; i < t->ntables; i++) {
        if (!memcmp(t->table[i].sig, sig, 4)) {
            return &t->table[i];
        }
    }
    return NULL;
}

/* ---- consumers ---- */

int acpi_build_in_memory(uint8_t *ram, uint32_t ram_size, uint32_t tables_addr,
                         uint32_t rsdp_addr, const AcpiConfig *cfg)
{
    if ((tables_addr & 63) || (rsdp_addr & 15)) {
        return -1;
    }
    AcpiTables t;
    if (acpi_build(&t, cfg)) {
        return -1;
    }
    uint64_t len = t.blob.len;
    if ((uint64_t)tables_addr + len > ram_size || (uint64_t)rsdp_addr + ACPI_RSDP_LEN > ram_size ||
        (rsdp_addr + ACPI_RSDP_LEN > tables_addr && rsdp_addr < tables_addr + len)) {
        acpi_tables_free(&t);
        return -1;
    }
    uint8_t *p = ram + tables_addr;
    memcpy(p, t.blob.data, len);
    for (int i = 0; i < t.nptrs; i++) {
        uint8_t *q = p + t.ptr[i].off;
        put_le(q, get_le(q, t.ptr[i].size) + tables_addr, t.ptr[i].size);
    }
    for (int i = 0; i < t.ntables; i++) {
        if (t.table[i].checksum) {
            uint8_t *q = p + t.table[i].off;
            q[9] = 0;
            q[9] = acpi_checksum(q, t.table[i].len);
        }
    }
    uint8_t *r = ram + rsdp_addr;
    memcpy(r, t.rsdp, ACPI_RSDP_LEN);
    put_le(r + 16, get_le(r + 16, 4) + tables_addr, 4);
    r[8] = 0;
    r[8] = acpi_checksum(r, ACPI_RSDP_LEN);
    acpi_tables_free(&t);
    return 0;
}

#define LOADER_ENTRY 128
#define LOADER_FNAME 56
#define LOADER_ALLOCATE 1
#define LOADER_ADD_POINTER 2
#define LOADER_ADD_CHECKSUM 3
#define LOADER_ZONE_HIGH 1
#define LOADER_ZONE_FSEG 2
#define FILE_TABLES "etc/acpi/tables"
#define FILE_RSDP "etc/acpi/rsdp"

static uint8_t *loader_cmd(AmlBuf *s, uint32_t cmd)
{
    size_t at = s->len;
    uint8_t zero[LOADER_ENTRY] = {0};
    aml_bytes(s, zero, LOADER_ENTRY);
    if (s->err) {
        return NULL;
    }
    put_le(s->data + at, cmd, 4);
    return s->data + at;
}

static void loader_allocate(AmlBuf *s, const char *file, uint32_t align, uint8_t zone)
{
    uint8_t *e = loader_cmd(s, LOADER_ALLOCATE);
    if (e) {
        strncpy((char *)e + 4, file, LOADER_FNAME - 1);
        put_le(e + 60, align, 4);
        e[64] = zone;
    }
}

static void loader_pointer(AmlBuf *s, const char *dest, const char *src, uint32_t off,
                           uint8_t size)
{
    uint8_t *e = loader_cmd(s, LOADER_ADD_POINTER);
    if (e) {
        strncpy((char *)e + 4, dest, LOADER_FNAME - 1);
        strncpy((char *)e + 60, src, LOADER_FNAME - 1);
        put_le(e + 116, off, 4);
        e[120] = size;
    }
}

static void loader_checksum(AmlBuf *s, const char *file, uint32_t start, uint32_t len)
{
    uint8_t *e = loader_cmd(s, LOADER_ADD_CHECKSUM);
    if (e) {
        strncpy((char *)e + 4, file, LOADER_FNAME - 1);
        put_le(e + 60, start + 9, 4); /* the checksum byte */
        put_le(e + 64, start, 4);
        put_le(e + 68, len, 4);
    }
}

int acpi_build_fwcfg(FwCfgState *fw, const AcpiConfig *cfg)
{
    AcpiTables t;
    if (acpi_build(&t, cfg)) {
        return -1;
    }
    AmlBuf s;
    aml_init(&s);
    loader_allocate(&s, FILE_RSDP, 16, LOADER_ZONE_FSEG);
    loader_allocate(&s, FILE_TABLES, 64, LOADER_ZONE_HIGH);
    for (int i = 0; i < t.nptrs; i++) {
        loader_pointer(&s, FILE_TABLES, FILE_TABLES, t.ptr[i].off, t.ptr[i].size);
    }
    for (int i = 0; i < t.ntables; i++) {
        if (t.table[i].checksum) {
            loader_checksum(&s, FILE_TABLES, t.table[i].off, t.table[i].len);
        }
    }
    loader_pointer(&s, FILE_RSDP, FILE_TABLES, 16, 4);
    /* the RSDP's checksum byte is at 8, not 9 */
    uint8_t *e = loader_cmd(&s, LOADER_ADD_CHECKSUM);
    if (e) {
        strncpy((char *)e + 4, FILE_RSDP, LOADER_FNAME - 1);
        put_le(e + 60, 8, 4);
        put_le(e + 64, 0, 4);
        put_le(e + 68, ACPI_RSDP_LEN, 4);
    }
    int rc = s.err ? -1 : 0;
    if (!rc && (fwcfg_add_file(fw, FILE_TABLES, t.blob.data, t.blob.len) < 0 ||
                fwcfg_add_file(fw, FILE_RSDP, t.rsdp, ACPI_RSDP_LEN) < 0 ||
                fwcfg_add_file(fw, "etc/table-loader", s.data, s.len) < 0)) {
        rc = -1;
    }
    aml_free(&s);
    acpi_tables_free(&t);
    return rc;
}
