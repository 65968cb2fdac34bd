/* Direct Linux boot (bios/linuxboot.c): synthetic bzImages built here (a setup header with
 * "HdrS", a version, setup_sects and the protocol fields, then a few bytes of 32-bit code) are
 * loaded onto a bare machine (bus, clock, CPU: no chipset), and the tests check what the Linux
 * boot protocol asks of a loader: the kernel at 1 MB (or at pref_address), the zero page
 * (setup header copied as far as the image says, loader fields, E820 map, memory sizes,
 * screen_info), the command line, the initrd's placement and alignment, the CPU's 32-bit entry
 * state, the reset path, the ACPI hook, and each refused image with its message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bios/linuxboot.h"
#include "tests/unit/test.h"

#define MB (1024u * 1024u)

typedef struct Img {
    uint8_t *buf;
    size_t size;
} Img;

typedef struct ImgSpec {
    uint16_t version;
    uint8_t setup_sects;
    uint8_t loadflags;
    uint8_t relocatable;
    uint32_t kernel_alignment;
    uint64_t pref_address;
    uint32_t init_size;
    uint32_t initrd_addr_max;
    uint32_t cmdline_size;
    int32_t syssize_delta; /* paragraphs added to the true syssize (truncation tests) */
    const uint8_t *code;
    size_t code_len;
} ImgSpec;

/* mov eax, [esi+0x202]; mov ebx, [esi+0x228]; mov ecx, cs; hlt */
static const uint8_t kCode[] = {0x8B, 0x86, 0x02, 0x02, 0x00, 0x00, 0x8B, 0x9E,
                                0x28, 0x02, 0x00, 0x00, 0x8C, 0xC9, 0xF4, 0x90};

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)v);
    put16(p + 2, (uint16_t)(v >> 16));
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint64_t get64(const uint8_t *p)
{
    return get32(p) | ((uint64_t)get32(p + 4) << 32);
}

static ImgSpec spec_default(void)
{
    ImgSpec s = {0};
    s.version = 0x020F;
    s.setup_sects = 1;
    s.loadflags = LOADFLAG_LOADED_HIGH;
    s.kernel_alignment = 0x200000;
    s.pref_address = 0x1000000;
    s.init_size = 0x10000;
    s.initrd_addr_max = 0x7FFFFFFF;
    s.cmdline_size = 2047;
    s.code = kCode;
    s.code_len = sizeof kCode;
    return s;
}

static Img build_image(const ImgSpec *s)
{
    unsigned sects = s->setup_sects ? s->setup_sects : 4;
    size_t setup = (sects + 1) * 512u;
    /* protected-mode part: the code, then a recognisable pattern up to 8 KB */
    size_t pm = 8192;
    Img img = {calloc(1, setup + pm), setup + pm};
    uint8_t *k = img.buf;
    k[HDR_SETUP_SECTS] = s->setup_sects;
    put32(k + HDR_SYSSIZE, (uint32_t)((int32_t)(pm / 16) + s->syssize_delta));
    put16(k + HDR_VID_MODE, 0xFFFF);
    put16(k + HDR_BOOT_FLAG, 0xAA55);
    k[HDR_JUMP] = 0xEB;
    k[HDR_JUMP + 1] = 0x66; /* header ends at 0x268 */
    memcpy(k + HDR_MAGIC, "HdrS", 4);
    put16(k + HDR_VERSION, s->version);
    k[HDR_LOADFLAGS] = s->loadflags;
    put32(k + HDR_CODE32_START, 0x100000);
    put32(k + HDR_INITRD_ADDR_MAX, s->initrd_addr_max);
    put32(k + HDR_KERNEL_ALIGNMENT, s->kernel_alignment);
    k[HDR_RELOCATABLE] = s->relocatable;
    put32(k + HDR_CMDLINE_SIZE, s->cmdline_size);
    put32(k + HDR_PREF_ADDRESS, (uint32_t)s->pref_address);
    put32(k + HDR_PREF_ADDRESS + 4, (uint32_t)(s->pref_address >> 32));
    put32(k + HDR_INIT_SIZE, s->init_size);
    k[0x270] = 0xAB; /* past the header's end: must not reach the zero page */
    for (size_t n = 0; n < pm; n++) {
        k[setup + n] = (uint8_t)(n * 13 + 7);
    }
    memcpy(k + setup, s->code, s->code_len);
    return img;
}

typedef struct Fx {
    Bus bus;
    Clock clock;
    Cpu cpu;
    LinuxBoot lb;
    uint8_t *initrd;
    size_t initrd_size;
} Fx;

static Fx *fx_new(uint32_t ram)
{
    Fx *f = calloc(1, sizeof *f);
    bus_init(&f->bus, ram);
    clock_init(&f->clock, 0);
    cpu_init(&f->cpu, &f->bus, &f->clock, &kCpuPentiumPro);
    return f;
}

static void fx_free(Fx *f)
{
    linuxboot_free(&f->lb);
    cpu_free(&f->cpu);
    bus_free(&f->bus);
    free(f->initrd);
    free(f);
}

static void make_initrd(Fx *f, size_t size)
{
    f->initrd = malloc(size);
    f->initrd_size = size;
    for (size_t n = 0; n < size; n++) {
        f->initrd[n] = (uint8_t)(n ^ (n >> 8) ^ 0x5A);
    }
}

static int load(Fx *f, const ImgSpec *s, const char *cmdline, char *err)
{
    Img img = build_image(s);
    int r = linuxboot_load_mem(&f->lb, img.buf, img.size, f->initrd, f->initrd_size, cmdline,
                               f->bus.ram_size, err, 256);
    free(img.buf);
    return r;
}

static uint8_t zp(Fx *f, uint32_t off)
{
    return f->bus.ram[LB_ZEROPAGE_ADDR + off];
}

static uint32_t zp32(Fx *f, uint32_t off)
{
    return get32(f->bus.ram + LB_ZEROPAGE_ADDR + off);
}

static uint16_t zp16(Fx *f, uint32_t off)
{
    return (uint16_t)(zp(f, off) | (zp(f, off + 1) << 8));
}

TEST(linuxboot, kernel_at_1mb_and_zero_page_header)
{
    Fx *f = fx_new(32 * MB);
    ImgSpec s = spec_default();
    char err[256] = "";
    EXPECT_EQ(load(f, &s, "console=ttyS0 root=/dev/ram", err), 0);
    linuxboot_setup(&f->lb, &f->bus, &f->cpu);
    Img img = build_image(&s);
    /* the protected-mode part, and nothing of the setup, at 1 MB */
    EXPECT_TRUE(memcmp(f->bus.ram + 0x100000, img.buf + 1024, img.size - 1024) == 0);
    EXPECT_EQ(f->lb.kernel_addr, 0x100000);
    EXPECT_EQ(f->lb.entry, 0x100000);
    /* the setup header, copied to its own offset as far as 0x202 + byte at 0x201 */
    EXPECT_TRUE(memcmp(f->bus.ram + LB_ZEROPAGE_ADDR + HDR_MAGIC, "HdrS", 4) == 0);
    EXPECT_EQ(zp16(f, HDR_VERSION), 0x020F);
    EXPECT_EQ(zp(f, HDR_SETUP_SECTS), 1);
    EXPECT_EQ(zp16(f, HDR_BOOT_FLAG), 0xAA55);
    EXPECT_EQ(zp32(f, HDR_INIT_SIZE), 0x10000);
    EXPECT_EQ(zp(f, 0x270), 0);
    /* what the loader writes */
    EXPECT_EQ(zp(f, HDR_TYPE_OF_LOADER), 0xFF);
    EXPECT_EQ(zp(f, HDR_LOADFLAGS) & LOADFLAG_LOADED_HIGH, LOADFLAG_LOADED_HIGH);
    EXPECT_EQ(zp(f, HDR_LOADFLAGS) & LOADFLAG_CAN_USE_HEAP, 0);
    EXPECT_EQ(zp32(f, HDR_CODE32_START), 0x100000);
    EXPECT_EQ(zp32(f, HDR_CMD_LINE_PTR), LB_CMDLINE_ADDR);
    EXPECT_TRUE(strcmp((char *)f->bus.ram + LB_CMDLINE_ADDR, "console=ttyS0 root=/dev/ram") == 0);
    EXPECT_EQ(zp32(f, HDR_RAMDISK_IMAGE), 0);
    EXPECT_EQ(zp32(f, HDR_RAMDISK_SIZE), 0);
    /* memory sizes above 1 MB, in KB */
    EXPECT_EQ(zp32(f, BP_ALT_MEM_K), 31 * 1024);
    EXPECT_EQ(zp16(f, BP_EXT_MEM_K), 31 * 1024);
    /* no VGA: zero lines and columns mean "no VGA console" to Linux */
    EXPECT_EQ(zp(f, BP_ORIG_VIDEO_COLS), 0);
    EXPECT_EQ(zp(f, BP_ORIG_VIDEO_LINES), 0);
    EXPECT_EQ(zp(f, BP_ORIG_VIDEO_ISVGA), 0);
    EXPECT_EQ(get64(f->bus.ram + LB_ZEROPAGE_ADDR + BP_ACPI_RSDP_ADDR), 0);
    /* the BIOS data area's EBDA segment and base memory size */
    EXPECT_EQ(f->bus.ram[0x40E] | (f->bus.ram[0x40F] << 8), 0x9FC0);
    EXPECT_EQ(f->bus.ram[0x413] | (f->bus.ram[0x414] << 8), 639);
    free(img.buf);
    fx_free(f);
}

TEST(linuxboot, e820_map)
{
    Fx *f = fx_new(32 * MB);
    ImgSpec s = spec_default();
    char err[256];
    EXPECT_EQ(load(f, &s, NULL, err), 0);
    linuxboot_setup(&f->lb, &f->bus, &f->cpu);
    static const struct {
        uint64_t addr, size;
        uint32_t type;
    } kWant[] = {
        {0, 0x9FC00, E820_RAM},
        {0x9FC00, 0x400, E820_RESERVED},
        {0xF0000, 0x10000, E820_RESERVED},
        {0x100000, 31 * MB, E820_RAM},
        {0xFEC00000u, 0x1000, E820_RESERVED},
        {0xFEE00000u, 0x1000, E820_RESERVED},
    };
    int n = sizeof kWant / sizeof kWant[0];
    EXPECT_EQ(zp(f, BP_E820_ENTRIES), n);
    for (int k = 0; k < n; k++) {
        const uint8_t *e = f->bus.ram + LB_ZEROPAGE_ADDR + BP_E820_TABLE + 20 * k;
        EXPECT_EQ(get64(e), kWant[k].addr);
        EXPECT_EQ(get64(e + 8), kWant[k].size);
        EXPECT_EQ(get32(e + 16), kWant[k].type);
    }
    /* an empty command line is still a valid pointer to "" */
    EXPECT_EQ(zp32(f, HDR_CMD_LINE_PTR), LB_CMDLINE_ADDR);
    EXPECT_EQ(f->bus.ram[LB_CMDLINE_ADDR], 0);
    fx_free(f);
}

TEST(linuxboot, initrd_at_top_page_aligned)
{
    Fx *f = fx_new(32 * MB);
    make_initrd(f, 100000);
    ImgSpec s = spec_default();
    char err[256];
    EXPECT_EQ(load(f, &s, "x", err), 0);
    linuxboot_setup(&f->lb, &f->bus, &f->cpu);
    uint32_t at = zp32(f, HDR_RAMDISK_IMAGE);
    EXPECT_EQ(at & 0xFFF, 0);
    EXPECT_EQ(at, (32 * MB - LB_ACPI_DEFAULT_SIZE - 100000) & ~0xFFFu);
    EXPECT_EQ(zp32(f, HDR_RAMDISK_SIZE), 100000);
    EXPECT_TRUE(memcmp(f->bus.ram + at, f->initrd, 100000) == 0);
    fx_free(f);
}

TEST(linuxboot, initrd_below_initrd_addr_max)
{
    Fx *f = fx_new(64 * MB);
    make_initrd(f, 5000);
    ImgSpec s = spec_default();
    s.initrd_addr_max = 0x7FFFFF; /* the last byte it may occupy */
    char err[256];
    EXPECT_EQ(load(f, &s, NULL, err), 0);
    linuxboot_setup(&f->lb, &f->bus, &f->cpu);
    uint32_t at = zp32(f, HDR_RAMDISK_IMAGE);
    EXPECT_EQ(at, (0x800000 - 5000) & ~0xFFFu);
    EXPECT_TRUE(at + 5000 <= 0x800000);
    fx_free(f);
}

TEST(linuxboot, old_protocol_defaults)
{
    /* 2.02: no initrd_addr_max field (0x37FFFFFF), 255-byte command lines, syssize 16 bits */
    Fx *f = fx_new(32 * MB);
    ImgSpec s = spec_default();
    s.version = 0x0202;
    s.initrd_addr_max = 0x1000; /* garbage in a field 2.02 does not have */
    s.cmdline_size = 0;
    make_initrd(f, 3000);
    char err[256];
    char line[300];
    memset(line, 'a', 255);
    line[255] = 0;
    EXPECT_EQ(load(f, &s, line, err), 0);
    EXPECT_EQ(f->lb.cmdline_max, 255);
    EXPECT_EQ(f->lb.initrd_addr_max, 0x37FFFFFF);
    EXPECT_TRUE(f->lb.initrd_addr > 0x1000000);
    linuxboot_free(&f->lb);
    line[255] = 'a';
    line[256] = 0;
    EXPECT_EQ(load(f, &s, line, err), -1);
    EXPECT_TRUE(strstr(err, "command line") != NULL);
    fx_free(f);
}

TEST(linuxboot, setup_sects_zero_means_four)
{
    Fx *f = fx_new(16 * MB);
    ImgSpec s = spec_default();
    s.setup_sects = 0;
    char err[256];
    EXPECT_EQ(load(f, &s, NULL, err), 0);
    EXPECT_EQ(f->lb.setup_size, 5 * 512);
    linuxboot_setup(&f->lb, &f->bus, &f->cpu);
    EXPECT_TRUE(memcmp(f->bus.ram + 0x100000, kCode, sizeof kCode) == 0);
    fx_free(f);
}

TEST(linuxboot, cpu_entry_state)
{
    Fx *f = fx_new(16 * MB);
    ImgSpec s = spec_default();
    char err[256];
    EXPECT_EQ(load(f, &s, NULL, err), 0);
    f->cpu.s.regs[R_EBX] = 0x1234;
    f->cpu.s.regs[R_EDI] = 0x5678;
    f->cpu.s.regs[R_EBP] = 0x9ABC;
    f->cpu.s.eflags |= F_IF;
    linuxboot_setup(&f->lb, &f->bus, &f->cpu);
    CpuState *st = &f->cpu.s;
    EXPECT_EQ(st->eip, 0x100000);
    EXPECT_EQ(st->regs[R_ESI], LB_ZEROPAGE_ADDR);
    EXPECT_EQ(st->regs[R_EBX], 0);
    EXPECT_EQ(st->regs[R_EDI], 0);
    EXPECT_EQ(st->regs[R_EBP], 0);
    EXPECT_EQ(st->eflags & F_IF, 0);
    EXPECT_EQ(st->cr0 & (CR0_PE | CR0_PG), CR0_PE);
    EXPECT_EQ(f->cpu.mode, MODE_PROT);
    EXPECT_EQ(st->cpl, 0);
    EXPECT_EQ(st->seg[SEG_CS].sel, 0x10);
    EXPECT_EQ(st->seg[SEG_CS].base, 0);
    EXPECT_EQ(st->seg[SEG_CS].limit, 0xFFFFFFFFu);
    EXPECT_EQ(st->seg[SEG_CS].attr, 0xC09B);
    for (int r = 0; r < 6; r++) {
        if (r != SEG_CS) {
            EXPECT_EQ(st->seg[r].sel, 0x18);
            EXPECT_EQ(st->seg[r].base, 0);
            EXPECT_EQ(st->seg[r].limit, 0xFFFFFFFFu);
            EXPECT_EQ(st->seg[r].attr, 0xC093);
        }
    }
    /* the GDT the selectors name, in memory */
    EXPECT_EQ(st->gdtr.base, LB_GDT_ADDR);
    EXPECT_EQ(st->gdtr.limit, 31);
    EXPECT_EQ(get64(f->bus.ram + LB_GDT_ADDR + 0x10), 0x00CF9B000000FFFFull);
    EXPECT_EQ(get64(f->bus.ram + LB_GDT_ADDR + 0x18), 0x00CF93000000FFFFull);
    EXPECT_EQ(get64(f->bus.ram + LB_GDT_ADDR), 0);
    fx_free(f);
}

TEST(linuxboot, kernel_code_runs_with_esi_on_zero_page)
{
    Fx *f = fx_new(16 * MB);
    ImgSpec s = spec_default();
    char err[256];
    EXPECT_EQ(load(f, &s, "abc", err), 0);
    linuxboot_setup(&f->lb, &f->bus, &f->cpu);
    cpu_run(&f->cpu, 100); /* stops at the HLT */
    EXPECT_EQ(f->cpu.s.halted, 1);
    EXPECT_EQ(f->cpu.retired, 4);
    EXPECT_EQ(f->cpu.s.regs[R_EAX], 0x53726448u); /* "HdrS" */
    EXPECT_EQ(f->cpu.s.regs[R_EBX], LB_CMDLINE_ADDR);
    EXPECT_EQ(f->cpu.s.regs[R_ECX] & 0xFFFF, 0x10);
    EXPECT_EQ(f->cpu.s.eip, 0x100000 + 15);
    fx_free(f);
}

TEST(linuxboot, relocatable_kernel_at_pref_address)
{
    Fx *f = fx_new(64 * MB);
    ImgSpec s = spec_default();
    s.relocatable = 1;
    s.init_size = 0x800000;
    char err[256];
    EXPECT_EQ(load(f, &s, NULL, err), 0);
    EXPECT_EQ(f->lb.kernel_addr, 0x1000000);
    linuxboot_setup(&f->lb, &f->bus, &f->cpu);
    EXPECT_EQ(f->cpu.s.eip, 0x1000000);
    EXPECT_EQ(zp32(f, HDR_CODE32_START), 0x1000000);
    EXPECT_TRUE(memcmp(f->bus.ram + 0x1000000, kCode, sizeof kCode) == 0);
    fx_free(f);

    /* too little RAM above pref_address: 1 MB after all */
    f = fx_new(20 * MB);
    EXPECT_EQ(load(f, &s, NULL, err), 0);
    EXPECT_EQ(f->lb.kernel_addr, 0x100000);
    EXPECT_EQ(f->lb.entry, 0x100000);
    fx_free(f);

    /* a pref_address near the top of the 64-bit space must not wrap into "fits" */
    f = fx_new(64 * MB);
    s.pref_address = 0xFFFFFFFFFF800000ull;
    EXPECT_EQ(load(f, &s, NULL, err), 0);
    EXPECT_EQ(f->lb.kernel_addr, 0x100000);
    fx_free(f);
    s.pref_address = 0x1000000;

    /* not relocatable: 1 MB whatever pref_address says */
    f = fx_new(64 * MB);
    s.relocatable = 0;
    EXPECT_EQ(load(f, &s, NULL, err), 0);
    EXPECT_EQ(f->lb.kernel_addr, 0x100000);
    fx_free(f);
}

static uint32_t g_acpi_base, g_acpi_size, g_acpi_rsdp;

static uint32_t fake_acpi(void *opaque, Bus *bus, uint32_t base, uint32_t size, uint32_t rsdp)
{
    g_acpi_base = base;
    g_acpi_size = size;
    g_acpi_rsdp = rsdp;
    bus_mem_write(bus, rsdp, "RSD PTR ", 8);
    bus_mem_write(bus, base, "RSDT", 4);
    return *(uint32_t *)opaque;
}

TEST(linuxboot, acpi_hook_and_rom_in_e820)
{
    Fx *f = fx_new(32 * MB);
    ImgSpec s = spec_default();
    char err[256];
    EXPECT_EQ(load(f, &s, NULL, err), 0);
    uint32_t ret = LB_RSDP_ADDR;
    f->lb.acpi_build = fake_acpi;
    f->lb.acpi_opaque = &ret;
    f->lb.bios_rom_size = 0x40000;
    linuxboot_setup(&f->lb, &f->bus, &f->cpu);
    EXPECT_EQ(g_acpi_base, 32 * MB - LB_ACPI_DEFAULT_SIZE);
    EXPECT_EQ(g_acpi_size, LB_ACPI_DEFAULT_SIZE);
    EXPECT_EQ(g_acpi_rsdp, LB_RSDP_ADDR);
    EXPECT_TRUE(memcmp(f->bus.ram + LB_RSDP_ADDR, "RSD PTR ", 8) == 0);
    EXPECT_EQ(get64(f->bus.ram + LB_ZEROPAGE_ADDR + BP_ACPI_RSDP_ADDR), LB_RSDP_ADDR);
    E820Entry e[16];
    int n = linuxboot_e820(&f->lb, e, 16);
    EXPECT_EQ(n, 8);
    EXPECT_EQ(zp(f, BP_E820_ENTRIES), 8);
    EXPECT_EQ(e[3].addr, 0x100000);
    EXPECT_EQ(e[3].size, 32 * MB - LB_ACPI_DEFAULT_SIZE - 0x100000);
    EXPECT_EQ(e[4].addr, 32 * MB - LB_ACPI_DEFAULT_SIZE);
    EXPECT_EQ(e[4].size, LB_ACPI_DEFAULT_SIZE);
    EXPECT_EQ(e[4].type, E820_RESERVED);
    EXPECT_EQ(e[7].addr, 0xFFFC0000u);
    EXPECT_EQ(e[7].size, 0x40000);
    /* a hook that builds nothing leaves acpi_rsdp_addr zero */
    ret = 0;
    linuxboot_setup(&f->lb, &f->bus, &f->cpu);
    EXPECT_EQ(get64(f->bus.ram + LB_ZEROPAGE_ADDR + BP_ACPI_RSDP_ADDR), 0);
    fx_free(f);
}

TEST(linuxboot, vga_text_screen_info)
{
    Fx *f = fx_new(16 * MB);
    ImgSpec s = spec_default();
    char err[256];
    EXPECT_EQ(load(f, &s, NULL, err), 0);
    f->lb.vga_text = true;
    linuxboot_setup(&f->lb, &f->bus, &f->cpu);
    EXPECT_EQ(zp(f, BP_ORIG_VIDEO_MODE), 3);
    EXPECT_EQ(zp(f, BP_ORIG_VIDEO_COLS), 80);
    EXPECT_EQ(zp(f, BP_ORIG_VIDEO_LINES), 25);
    EXPECT_EQ(zp(f, BP_ORIG_VIDEO_ISVGA), 1);
    fx_free(f);
}

TEST(linuxboot, reset_boots_pristine_images_again)
{
    Fx *f = fx_new(32 * MB);
    make_initrd(f, 20000);
    ImgSpec s = spec_default();
    char err[256];
    EXPECT_EQ(load(f, &s, "again", err), 0);
    linuxboot_setup(&f->lb, &f->bus, &f->cpu);
    uint32_t at = f->lb.initrd_addr;
    /* the guest wrecks everything, then the machine resets */
    memset(f->bus.ram + 0x100000, 0xCC, 4096);
    memset(f->bus.ram + at, 0, 20000);
    memset(f->bus.ram + LB_ZEROPAGE_ADDR, 0xEE, 4096);
    memset(f->bus.ram + LB_CMDLINE_ADDR, 'z', 64);
    cpu_reset(&f->cpu);
    EXPECT_EQ(f->cpu.mode, MODE_REAL);
    linuxboot_setup(&f->lb, &f->bus, &f->cpu);
    EXPECT_TRUE(memcmp(f->bus.ram + 0x100000, kCode, sizeof kCode) == 0);
    EXPECT_TRUE(memcmp(f->bus.ram + at, f->initrd, 20000) == 0);
    EXPECT_TRUE(strcmp((char *)f->bus.ram + LB_CMDLINE_ADDR, "again") == 0);
    EXPECT_EQ(zp(f, HDR_TYPE_OF_LOADER), 0xFF);
    EXPECT_EQ(zp(f, 0x100), 0); /* the rest of the zero page is zero again */
    EXPECT_EQ(f->cpu.mode, MODE_PROT);
    EXPECT_EQ(f->cpu.s.eip, 0x100000);
    cpu_run(&f->cpu, 100);
    EXPECT_EQ(f->cpu.s.halted, 1);
    EXPECT_EQ(f->cpu.s.regs[R_EAX], 0x53726448u);
    fx_free(f);
}

static void expect_refused(const ImgSpec *s, uint32_t ram, size_t initrd, const char *cmdline,
                           const char *words)
{
    Fx *f = fx_new(ram);
    if (initrd) {
        make_initrd(f, initrd);
    }
    char err[256] = "";
    EXPECT_EQ(load(f, s, cmdline, err), -1);
    if (!strstr(err, words)) {
        printf("  error '%s' lacks '%s'\n", err, words);
        g_test_failed = 1;
    }
    EXPECT_TRUE(f->lb.kernel == NULL);
    fx_free(f);
}

TEST(linuxboot, refused_images)
{
    ImgSpec s = spec_default();
    ImgSpec bad = s;
    bad.version = 0x0201;
    expect_refused(&bad, 32 * MB, 0, NULL, "2.02 or later");
    bad = s;
    bad.loadflags = 0;
    expect_refused(&bad, 32 * MB, 0, NULL, "zImage");
    bad = s;
    bad.syssize_delta = 64; /* the header promises 1 KB more than the file has */
    expect_refused(&bad, 32 * MB, 0, NULL, "truncated");
    bad = s;
    bad.init_size = 40 * MB;
    expect_refused(&bad, 32 * MB, 0, NULL, "kernel needs");
    expect_refused(&s, 8 * MB, 8 * MB, NULL, "initrd");
    bad = s;
    bad.cmdline_size = 10;
    expect_refused(&bad, 32 * MB, 0, "console=ttyS0", "command line");

    /* not a bzImage at all */
    Fx *f = fx_new(16 * MB);
    uint8_t junk[4096] = {0};
    char err[256] = "";
    EXPECT_EQ(linuxboot_load_mem(&f->lb, junk, sizeof junk, NULL, 0, NULL, 16 * MB, err, 256), -1);
    EXPECT_TRUE(strstr(err, "HdrS") != NULL);
    EXPECT_EQ(linuxboot_load_mem(&f->lb, junk, 100, NULL, 0, NULL, 16 * MB, err, 256), -1);
    fx_free(f);
}

TEST(linuxboot, load_from_files)
{
    char kpath[] = "/tmp/x86pc_lbk_XXXXXX";
    char ipath[] = "/tmp/x86pc_lbi_XXXXXX";
    int kfd = mkstemp(kpath);
    int ifd = mkstemp(ipath);
    EXPECT_TRUE(kfd >= 0 && ifd >= 0);
    ImgSpec s = spec_default();
    Img img = build_image(&s);
    EXPECT_EQ(write(kfd, img.buf, img.size), (ssize_t)img.size);
    EXPECT_EQ(write(ifd, "initrd!", 7), 7);
    close(kfd);
    close(ifd);
    Fx *f = fx_new(16 * MB);
    char err[256] = "";
    EXPECT_EQ(linuxboot_load(&f->lb, kpath, ipath, "ro", 16 * MB, err, sizeof err), 0);
    EXPECT_EQ(f->lb.initrd_size, 7);
    linuxboot_setup(&f->lb, &f->bus, &f->cpu);
    EXPECT_TRUE(memcmp(f->bus.ram + f->lb.initrd_addr, "initrd!", 7) == 0);
    linuxboot_free(&f->lb);

    EXPECT_EQ(linuxboot_load(&f->lb, "/nonexistent/bzImage", NULL, NULL, 16 * MB, err, sizeof err),
              -1);
    EXPECT_TRUE(strstr(err, "cannot open kernel '/nonexistent/bzImage'") != NULL);
    EXPECT_EQ(linuxboot_load(&f->lb, kpath, "/nonexistent/initrd", NULL, 16 * MB, err, sizeof err),
              -1);
    EXPECT_TRUE(strstr(err, "cannot open initrd") != NULL);
    /* the initrd file is not a kernel: the message names it */
    EXPECT_EQ(linuxboot_load(&f->lb, ipath, NULL, NULL, 16 * MB, err, sizeof err), -1);
    EXPECT_TRUE(strstr(err, ipath) != NULL && strstr(err, "not a Linux bzImage") != NULL);
    unlink(kpath);
    unlink(ipath);
    free(img.buf);
    fx_free(f);
}
