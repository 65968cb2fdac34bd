/* Direct Linux boot, the way a boot loader does it under the Linux/x86 boot protocol
 * (Documentation/arch/x86/boot.rst): read the setup header of a bzImage (protocol 2.02 or
 * later), put the protected-mode kernel at 1 MB (or at pref_address for a relocatable kernel),
 * the initrd at the top of usable RAM, the command line and a zero page (struct boot_params,
 * Documentation/arch/x86/zero-page.rst) in low memory, then enter the kernel through the
 * "32-bit boot protocol": protected mode, paging off, flat __BOOT_CS/__BOOT_DS from a GDT in
 * memory, interrupts off, ESI = the zero page, EBP = EDI = EBX = 0, EIP = code32_start.
 *
 * There is no BIOS: the CPU state is written directly, and everything the kernel would have
 * asked a BIOS (the E820 memory map, the amount of low memory, the video mode) is in the zero
 * page. Departures from a real boot loader: the real-mode setup code is not run (so there is no
 * setup heap, and CAN_USE_HEAP stays clear), and the boot loader id is 0xFF ("undefined").
 */
#include "bios/linuxboot.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mmu/log.h"

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint64_t rd64(const uint8_t *p)
{
    return (uint64_t)rd32(p) | ((uint64_t)rd32(p + 4) << 32);
}

static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void wr32(uint8_t *p, uint32_t v)
{
    for (int k = 0; k < 4; k++) {
        p[k] = (uint8_t)(v >> (8 * k));
    }
}

static void wr64(uint8_t *p, uint64_t v)
{
    wr32(p, (uint32_t)v);
    wr32(p + 4, (uint32_t)(v >> 32));
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

void linuxboot_free(LinuxBoot *lb)
{
    free(lb->kernel);
    free(lb->initrd);
    free(lb->cmdline);
    lb->kernel = NULL;
    lb->initrd = NULL;
    lb->cmdline = NULL;
}

int linuxboot_load_mem(LinuxBoot *lb, const uint8_t *kernel, size_t kernel_size,
                       const uint8_t *initrd, size_t initrd_size, const char *cmdline,
                       uint32_t ram_size, char *err, size_t errlen)
{
    memset(lb, 0, sizeof *lb);
    if (!cmdline) {
        cmdline = "";
    }
    /* the setup header lies in the first two sectors */
    if (kernel_size < 0x400 || memcmp(kernel + HDR_MAGIC, "HdrS", 4) != 0) {
        return fail(err, errlen, "kernel image is not a Linux bzImage (no 'HdrS' setup header)");
    }
    uint16_t version = rd16(kernel + HDR_VERSION);
    if (version < 0x0202) {
        return fail(err, errlen,
                    "kernel uses boot protocol %u.%02u; direct boot needs 2.02 or later",
                    version >> 8, version & 0xFF);
    }
    if (!(kernel[HDR_LOADFLAGS] & LOADFLAG_LOADED_HIGH)) {
        return fail(err, errlen, "kernel is a zImage, not a bzImage (it does not load high)");
    }
    unsigned sects = kernel[HDR_SETUP_SECTS] ? kernel[HDR_SETUP_SECTS] : 4;
    uint32_t setup_size = (sects + 1) * 512u;
    if (kernel_size <= setup_size) {
        return fail(err, errlen, "kernel image is truncated (%zu bytes, setup alone is %u)",
                    kernel_size, setup_size);
    }
    uint64_t pm_size = kernel_size - setup_size;
    /* syssize: 16-byte paragraphs of protected-mode code (32 bits wide from 2.04) */
    uint64_t sys_bytes =
        16ull * (version >= 0x0204 ? rd32(kernel + HDR_SYSSIZE) : rd16(kernel + HDR_SYSSIZE));
    if (sys_bytes > pm_size + 15) {
        return fail(err, errlen,
                    "kernel image is truncated (header says %llu bytes of kernel, file has %llu)",
                    (unsigned long long)sys_bytes, (unsigned long long)pm_size);
    }
    uint32_t initrd_max = version >= 0x0203 ? rd32(kernel + HDR_INITRD_ADDR_MAX) : 0x37FFFFFFu;
    uint32_t cmdline_max = version >= 0x0206 ? rd32(kernel + HDR_CMDLINE_SIZE) : 255;
    if (cmdline_max > LB_CMDLINE_MAX - 1) {
        cmdline_max = LB_CMDLINE_MAX - 1;
    }
    size_t cmdlen = strlen(cmdline);
    if (cmdlen > cmdline_max) {
        return fail(err, errlen, "kernel command line is %zu bytes; this kernel takes at most %u",
                    cmdlen, cmdline_max);
    }
    bool relocatable = version >= 0x0205 && kernel[HDR_RELOCATABLE];
    uint32_t align = version >= 0x0205 ? rd32(kernel + HDR_KERNEL_ALIGNMENT) : 0;
    uint64_t pref = version >= 0x020A ? rd64(kernel + HDR_PREF_ADDRESS) : LB_KERNEL_ADDR;
    uint32_t init_size = version >= 0x020A ? rd32(kernel + HDR_INIT_SIZE) : 0;
    uint64_t need = pm_size > init_size ? pm_size : init_size;

    /* RAM: [1 MB, top) for the kernel and the initrd; the ACPI tables above top */
    uint32_t acpi_size = LB_ACPI_DEFAULT_SIZE;
    if (ram_size < LB_KERNEL_ADDR + acpi_size) {
        return fail(err, errlen, "%u KB of RAM is too little for a direct Linux boot",
                    ram_size >> 10);
    }
    uint32_t top = ram_size - acpi_size;
    uint64_t avail_end = top;
    uint32_t initrd_addr = 0;
    if (initrd && initrd_size) {
        /* the highest page-aligned place below both initrd_addr_max and the top of RAM */
        uint64_t limit = (uint64_t)initrd_max + 1;
        if (limit > top) {
            limit = top;
        }
        if (initrd_size > limit || ((limit - initrd_size) & ~0xFFFull) < LB_KERNEL_ADDR + need) {
            return fail(err, errlen,
                        "initrd (%zu KB) and kernel (%llu KB) do not fit in %u MB of RAM "
                        "(use a larger -m)",
                        initrd_size >> 10, (unsigned long long)(need >> 10), ram_size >> 20);
        }
        initrd_addr = (uint32_t)((limit - initrd_size) & ~0xFFFull);
        avail_end = initrd_addr;
    }
    if (LB_KERNEL_ADDR + need > avail_end) {
        return fail(err, errlen, "kernel needs %llu KB above 1 MB; %u MB of RAM is too little",
                    (unsigned long long)(need >> 10), ram_size >> 20);
    }
    uint32_t kaddr = LB_KERNEL_ADDR;
    /* A relocatable kernel runs where it is put; at its preferred address it need not move
     * itself before decompressing. */
    if (relocatable && pref > LB_KERNEL_ADDR && pref < avail_end && need <= avail_end - pref &&
        (align == 0 || (align & (align - 1)) || (pref & (align - 1)) == 0)) {
        kaddr = (uint32_t)pref;
    }
    uint32_t code32 = rd32(kernel + HDR_CODE32_START);
    uint32_t entry = code32;
    if (kaddr != LB_KERNEL_ADDR) {
        /* code32_start moves with the kernel (boot.rst: "code32_start ... reloc") */
        uint32_t off = code32 - LB_KERNEL_ADDR;
        entry = kaddr + (code32 >= LB_KERNEL_ADDR && off < pm_size ? off : 0);
    }

    lb->kernel = malloc(kernel_size);
    lb->initrd = initrd_size ? malloc(initrd_size) : NULL;
    lb->cmdline = malloc(cmdlen + 1);
    if (!lb->kernel || (initrd_size && !lb->initrd) || !lb->cmdline) {
        linuxboot_free(lb);
        return fail(err, errlen, "out of memory loading the kernel");
    }
    memcpy(lb->kernel, kernel, kernel_size);
    if (initrd_size) {
        memcpy(lb->initrd, initrd, initrd_size);
    }
    memcpy(lb->cmdline, cmdline, cmdlen + 1);
    lb->kernel_size = kernel_size;
    lb->initrd_size = initrd ? initrd_size : 0;
    lb->version = version;
    lb->setup_size = setup_size;
    uint32_t hdr_end = 0x202u + kernel[0x201];
    lb->hdr_end = hdr_end > BP_HDR_LIMIT ? BP_HDR_LIMIT : hdr_end;
    lb->init_size = init_size;
    lb->initrd_addr_max = initrd_max;
    lb->cmdline_max = cmdline_max;
    lb->ram_size = ram_size;
    lb->kernel_addr = kaddr;
    lb->entry = entry;
    lb->initrd_addr = initrd_addr;
    lb->ram_top = top;
    lb->acpi_size = acpi_size;
    return 0;
}

/* Read a whole file. Returns 0, or -1 with err filled. */
static int read_file(const char *what, const char *path, uint8_t **buf, size_t *size, size_t max,
                     char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return fail(err, errlen, "cannot open %s '%s': %s", what, path, strerror(errno));
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return fail(err, errlen, "%s '%s' is not a regular file", what, path);
    }
    long len = -1;
    if (fseek(f, 0, SEEK_END) == 0) {
        len = ftell(f);
    }
    if (len < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return fail(err, errlen, "cannot read %s '%s'", what, path);
    }
    if (len == 0) {
        fclose(f);
        return fail(err, errlen, "%s '%s' is empty", what, path);
    }
    if ((unsigned long)len > max) {
        fclose(f);
        return fail(err, errlen, "%s '%s' (%ld MB) is larger than the guest RAM", what, path,
                    len >> 20);
    }
    *buf = malloc((size_t)len);
    if (!*buf || fread(*buf, 1, (size_t)len, f) != (size_t)len) {
        free(*buf);
        *buf = NULL;
        fclose(f);
        return fail(err, errlen, "cannot read %s '%s'", what, path);
    }
    fclose(f);
    *size = (size_t)len;
    return 0;
}

int linuxboot_load(LinuxBoot *lb, const char *kernel_path, const char *initrd_path,
                   const char *cmdline, uint32_t ram_size, char *err, size_t errlen)
{
    memset(lb, 0, sizeof *lb);
    uint8_t *k = NULL, *i = NULL;
    size_t ksize = 0, isize = 0;
    if (read_file("kernel", kernel_path, &k, &ksize, ram_size, err, errlen)) {
        return -1;
    }
    if (initrd_path && read_file("initrd", initrd_path, &i, &isize, ram_size, err, errlen)) {
        free(k);
        return -1;
    }
    char msg[256];
    int r = linuxboot_load_mem(lb, k, ksize, i, isize, cmdline, ram_size, msg, sizeof msg);
    if (r) {
        /* name the file when the complaint is about the kernel image itself */
        if (!strncmp(msg, "kernel image", 12)) {
            fail(err, errlen, "kernel '%s'%s", kernel_path, msg + 12);
        } else {
            fail(err, errlen, "%s", msg);
        }
    }
    free(k);
    free(i);
    return r;
}

int linuxboot_e820(const LinuxBoot *lb, E820Entry *out, int max)
{
    E820Entry e[10];
    int n = 0;
    uint32_t ram_end = lb->ram_size;
    if (lb->acpi_build && lb->acpi_size) {
        ram_end = lb->ram_size - lb->acpi_size;
    }
    e[n++] = (E820Entry){0, LB_EBDA_ADDR, E820_RAM};
    e[n++] = (E820Entry){LB_EBDA_ADDR, 0xA0000 - LB_EBDA_ADDR, E820_RESERVED};
    e[n++] = (E820Entry){0xF0000, 0x10000, E820_RESERVED}; /* BIOS area: the RSDP */
    e[n++] = (E820Entry){LB_KERNEL_ADDR, ram_end - LB_KERNEL_ADDR, E820_RAM};
    if (ram_end < lb->ram_size) {
        /* reserved rather than ACPI-reclaimable: the FACS must not be reclaimed */
        e[n++] = (E820Entry){ram_end, lb->ram_size - ram_end, E820_RESERVED};
    }
    e[n++] = (E820Entry){0xFEC00000u, 0x1000, E820_RESERVED}; /* I/O APIC */
    e[n++] = (E820Entry){0xFEE00000u, 0x1000, E820_RESERVED}; /* local APIC */
    if (lb->bios_rom_size) {
        e[n++] = (E820Entry){0x100000000ull - lb->bios_rom_size, lb->bios_rom_size, E820_RESERVED};
    }
    if (n > max) {
        n = max;
    }
    memcpy(out, e, (size_t)n * sizeof *out);
    return n;
}

/* Write one byte of the i440FX's configuration space (bus 0, device 0) through configuration
 * mechanism #1, as firmware does. Without a PCI host bridge the writes go nowhere. */
static void pci_host_write8(Bus *bus, uint8_t reg, uint8_t val)
{
    bus_pio_write(bus, 0xCF8, 0x80000000u | (reg & 0xFCu), 4);
    bus_pio_write(bus, 0xCFCu + (reg & 3u), val, 1);
    bus_pio_write(bus, 0xCF8, 0, 4);
}

/* PAM registers 0x59-0x5F: 0xC0000-0xFFFFF read and write RAM, or (read_only) the BIOS area
 * 0xF0000-0xFFFFF write-protected, which is how firmware leaves its shadow. */
static void shadow_ram(Bus *bus, bool read_only)
{
    pci_host_write8(bus, 0x59, read_only ? 0x10 : 0x30);
    for (uint8_t r = 0x5A; r <= 0x5F && !read_only; r++) {
        pci_host_write8(bus, r, 0x33);
    }
}

static void put_gdt_entry(uint8_t *p, uint32_t base, uint32_t limit, uint16_t attr)
{
    /* attr as in SegReg: descriptor bits 40-55 (type, S, DPL, P, AVL, D/B, G) */
    wr16(p, (uint16_t)limit);
    wr16(p + 2, (uint16_t)base);
    p[4] = (uint8_t)(base >> 16);
    p[5] = (uint8_t)attr;
    p[6] = (uint8_t)(((attr >> 8) & 0xF0) | ((limit >> 16) & 0x0F));
    p[7] = (uint8_t)(base >> 24);
}

static void set_seg(SegReg *sg, uint16_t sel, uint16_t attr)
{
    sg->sel = sel;
    sg->base = 0;
    sg->limit = 0xFFFFFFFFu;
    sg->attr = attr;
}

void linuxboot_setup(LinuxBoot *lb, Bus *bus, Cpu *cpu)
{
    if (!lb->kernel) {
        return;
    }
    bus_set_a20(bus, true);
    shadow_ram(bus, false);

    /* the loader's low area: GDT, zero page, command line, stack */
    static const uint8_t kZero[LB_STACK_TOP - LB_GDT_ADDR];
    bus_mem_write(bus, LB_GDT_ADDR, kZero, sizeof kZero);
    uint8_t gdt[32] = {0};
    const uint16_t code_attr = 0xC09B; /* G, D, P, DPL 0, S, execute/read, accessed */
    const uint16_t data_attr = 0xC093; /* G, B, P, DPL 0, S, read/write, accessed */
    put_gdt_entry(gdt + LB_BOOT_CS, 0, 0xFFFFF, code_attr);
    put_gdt_entry(gdt + LB_BOOT_DS, 0, 0xFFFFF, data_attr);
    bus_mem_write(bus, LB_GDT_ADDR, gdt, sizeof gdt);
    bus_mem_write(bus, LB_CMDLINE_ADDR, lb->cmdline, strlen(lb->cmdline) + 1);

    /* what a BIOS leaves in its data area: the EBDA segment and the base memory in KB, which
     * Linux reads to reserve the EBDA (arch/x86/kernel/ebda.c); the EBDA's first byte is its
     * size in KB */
    uint8_t w[2];
    wr16(w, LB_EBDA_ADDR >> 4);
    bus_mem_write(bus, 0x40E, w, 2);
    wr16(w, LB_EBDA_ADDR >> 10);
    bus_mem_write(bus, 0x413, w, 2);
    static const uint8_t kEbda[0x400] = {1};
    bus_mem_write(bus, LB_EBDA_ADDR, kEbda, sizeof kEbda);

    /* the images */
    bus_mem_write(bus, lb->kernel_addr, lb->kernel + lb->setup_size,
                  lb->kernel_size - lb->setup_size);
    if (lb->initrd_size) {
        bus_mem_write(bus, lb->initrd_addr, lb->initrd, lb->initrd_size);
    }

    /* ACPI tables, built by bios/acpi.c through the board's hook */
    uint32_t rsdp = 0;
    if (lb->acpi_build && lb->acpi_size) {
        static const uint8_t kRsdpSlot[64];
        bus_mem_write(bus, LB_RSDP_ADDR, kRsdpSlot, sizeof kRsdpSlot);
        rsdp = lb->acpi_build(lb->acpi_opaque, bus, lb->ram_size - lb->acpi_size, lb->acpi_size,
                              LB_RSDP_ADDR);
    }

    /* the zero page: the image's setup header at its own offset, then the loader's fields */
    uint8_t *bp = calloc(1, 4096);
    if (!bp) {
        xlog(LOG_MISC, "linuxboot: out of memory building boot_params");
        return;
    }
    memcpy(bp + BP_HDR, lb->kernel + BP_HDR, lb->hdr_end - BP_HDR);
    bp[HDR_TYPE_OF_LOADER] = 0xFF;
    /* no real-mode setup runs, so there is no setup heap (CAN_USE_HEAP clear, heap_end_ptr 0);
     * the segments are flat and reloading them is fine (KEEP_SEGMENTS clear) */
    bp[HDR_LOADFLAGS] = (uint8_t)((bp[HDR_LOADFLAGS] | LOADFLAG_LOADED_HIGH) &
                                  ~(LOADFLAG_CAN_USE_HEAP | LOADFLAG_KEEP_SEGMENTS));
    wr16(bp + HDR_HEAP_END_PTR, 0);
    wr32(bp + HDR_CODE32_START, lb->entry);
    wr32(bp + HDR_CMD_LINE_PTR, LB_CMDLINE_ADDR);
    wr32(bp + HDR_RAMDISK_IMAGE, lb->initrd_size ? lb->initrd_addr : 0);
    wr32(bp + HDR_RAMDISK_SIZE, (uint32_t)lb->initrd_size);
    if (lb->version >= 0x020A && lb->kernel_addr != LB_KERNEL_ADDR) {
        /* where the kernel really is: nothing reads it back, but it is honest */
        wr64(bp + HDR_PREF_ADDRESS, lb->kernel_addr);
    }
    uint32_t ext_k = (lb->ram_size - LB_KERNEL_ADDR) >> 10;
    wr16(bp + BP_EXT_MEM_K, (uint16_t)(ext_k > 0xFFFF ? 0xFFFF : ext_k));
    wr32(bp + BP_ALT_MEM_K, ext_k);
    if (lb->vga_text) {
        bp[BP_ORIG_VIDEO_MODE] = 3;
        bp[BP_ORIG_VIDEO_COLS] = 80;
        bp[BP_ORIG_VIDEO_LINES] = 25;
        bp[BP_ORIG_VIDEO_ISVGA] = 1;
        wr16(bp + BP_ORIG_VIDEO_POINTS, 16);
    }
    /* else zero lines and columns: Linux's vgacon takes that as "no VGA", the dummy console */
    E820Entry e820[BP_E820_MAX];
    int n = linuxboot_e820(lb, e820, BP_E820_MAX);
    bp[BP_E820_ENTRIES] = (uint8_t)n;
    for (int k = 0; k < n; k++) {
        uint8_t *p = bp + BP_E820_TABLE + 20 * k;
        wr64(p, e820[k].addr);
        wr64(p + 8, e820[k].size);
        wr32(p + 16, e820[k].type);
    }
    wr64(bp + BP_ACPI_RSDP_ADDR, rsdp);
    bus_mem_write(bus, LB_ZEROPAGE_ADDR, bp, 4096);
    free(bp);
    shadow_ram(bus, true);

    /* the 32-bit boot protocol's entry state */
    CpuState *s = &cpu->s;
    memset(s->regs, 0, sizeof s->regs);
    s->regs[R_ESI] = LB_ZEROPAGE_ADDR;
    s->regs[R_ESP] = LB_STACK_TOP;
    s->eip = lb->entry;
    s->eflags = 0x00000002u;
    s->lf_op = LF_NONE;
    s->cr0 = (s->cr0 & ~(CR0_PG | CR0_CD | CR0_NW)) | CR0_PE | CR0_ET;
    s->cr4 = 0;
    s->gdtr.base = LB_GDT_ADDR;
    s->gdtr.limit = sizeof gdt - 1;
    s->idtr.base = 0;
    s->idtr.limit = 0; /* any exception before the kernel loads its IDT is a triple fault */
    set_seg(&s->seg[SEG_CS], LB_BOOT_CS, code_attr);
    for (int r = 0; r < 6; r++) {
        if (r != SEG_CS) {
            set_seg(&s->seg[r], LB_BOOT_DS, data_attr);
        }
    }
    s->cpl = 0;
    s->halted = 0;
    s->inhibit_irq = 0;
    cpu_update_mode(cpu);
    mmu_flush_all(&cpu->mmu);
    cpu_flush_decoded(cpu);
    xlog(LOG_MISC,
         "linuxboot: protocol %u.%02u kernel at 0x%x entry 0x%x, initrd %zu bytes at "
         "0x%x, cmdline '%s'",
         lb->version >> 8, lb->version & 0xFF, lb->kernel_addr, lb->entry, lb->initrd_size,
         lb->initrd_addr, lb->cmdline);
}
