/* The PC board: builds the machine from the options and wires every part together.
 *
 * Memory map: RAM from 0 (up to 3 GB, below the PCI hole), the VGA window at 0xA0000 (unclaimed
 * until the VGA device exists), the BIOS image at the top of the 4 GB space and, through the
 * i440FX PAM registers, its last 128 KB at 0xE0000-0xFFFFF. Interrupts: ISA IRQs into the 8259
 * pair, whose INTR output drives the CPU's INTR pin. Time: the virtual clock only.
 */
#include "frontend/machine.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bios/acpi.h" /* ---- ACPI ---- */
#include "frontend/console.h"
#include "frontend/display.h" /* ---- display ---- */
#include "frontend/vmsnap.h" /* snapshots: machine_snap_register */
#include "mmu/log.h"

#define SLICE_STEPS 200000 /* instructions between polls of the host console */

static void cpu_intr_handler(void *opaque, int n, int level)
{
    (void)n;
    cpu_set_intr(opaque, level);
}

/* FERR# from the FPU drives IRQ13, as on a PC/AT (the OS masks it when it uses CR0.NE). */
static void cpu_ferr(void *opaque, int level)
{
    Machine *m = opaque;
    irq_set(&m->ferr_irq, level);
}

static int cpu_intack(void *opaque)
{
    Machine *m = opaque;
    return lapic_intack(&m->lapic); /* the local APIC asks the 8259 for ExtINT */
}

/* ---- local APIC hooks (chipset/lapic.c) ---- */
static int apic_pic_intack(void *opaque)
{
    return pic_intack(opaque);
}

static void cpu_nmi_handler(void *opaque, int n, int level)
{
    if (level) {
        cpu_nmi(opaque);
    }
}

static void cpu_apic_base_changed(void *opaque, uint64_t value)
{
    lapic_set_base(opaque, value);
}
/* ---- end local APIC hooks ---- */

static void request_reset(void *opaque)
{
    Machine *m = opaque;
    m->reset_requested = true;
    cpu_request_exit(&m->cpu);
}

/* ---- ACPI (chipset/acpi_pm.c, bios/acpi.c) ---- */
/* The guest entered S5: end the run with status 0, or with -no-shutdown stay, stopped (the CPU
 * halted with interrupts off, as after a power-off nothing runs until a reset). */
static void acpi_poweroff(void *opaque)
{
    Machine *m = opaque;
    if (m->cfg.no_shutdown) {
        m->cpu.s.eflags &= ~0x200u;
        m->cpu.s.halted = 1;
    } else {
        m->exit_status = 0;
        m->quit = true;
    }
    cpu_request_exit(&m->cpu);
}

static void acpi_fill_config(Machine *m, AcpiConfig *c)
{
    acpi_config_default(c, m->bus.ram_size);
}

/* linuxboot's hook (bios/linuxboot.h): no firmware programs the PM function, so do it here. */
static uint32_t acpi_linuxboot_tables(void *opaque, Bus *bus, uint32_t tables_base,
                                      uint32_t tables_size, uint32_t rsdp_addr)
{
    Machine *m = opaque;
    AcpiConfig c;
    acpi_fill_config(m, &c);
    acpi_pm_set_base(&m->acpi_pm, c.pm_base);
    uint32_t limit = tables_base + tables_size;
    if (limit > bus->ram_size) {
        limit = bus->ram_size;
    }
    if (acpi_build_in_memory(bus->ram, limit, tables_base, rsdp_addr, &c)) {
        xlog(LOG_ACPI, "acpi: no room for the tables at 0x%x", tables_base);
        return 0;
    }
    return rsdp_addr;
}
/* ---- end ACPI ---- */

static void serial_tx(void *opaque, uint8_t byte)
{
    Machine *m = opaque;
    if (m->serial_out) {
        fputc(byte, m->serial_out);
    }
}

static void debugcon_tx(void *opaque, uint8_t byte)
{
    Machine *m = opaque;
    if (m->debugcon_out) {
        fputc(byte, m->debugcon_out);
    }
}

/* SeaBIOS's own debug log (port 0x402): to stderr with -d fw. */
static void fwlog_tx(void *opaque, uint8_t byte)
{
    if (g_log_mask & (1u << LOG_FW)) {
        fputc(byte, stderr);
    }
}

/* What SeaBIOS reads from fw_cfg and the CMOS (RAM size, CPUs, its serial console). */
static void setup_firmware_config(Machine *m)
{
    uint64_t ram = (uint64_t)m->cfg.ram_mb << 20;
    fwcfg_add_i64(&m->fwcfg, FW_CFG_RAM_SIZE, ram);
    fwcfg_add_i16(&m->fwcfg, FW_CFG_NB_CPUS, 1);
    fwcfg_add_i16(&m->fwcfg, FW_CFG_MAX_CPUS, 1);
    fwcfg_add_i16(&m->fwcfg, FW_CFG_NOGRAPHIC, m->cfg.nographic ? 1 : 0);
    fwcfg_add_i16(&m->fwcfg, FW_CFG_BOOT_MENU, 0);
    /* e820: the RAM; SeaBIOS adds its own reservations */
    uint8_t e820[20];
    uint64_t base = 0;
    uint32_t type = 1;
    memcpy(e820, &base, 8);
    memcpy(e820 + 8, &ram, 8);
    memcpy(e820 + 16, &type, 4);
    fwcfg_add_file(&m->fwcfg, "etc/e820", e820, sizeof e820);
    /* with no display, SeaBIOS's screen output goes to COM1 (its "sercon") */
    if (m->cfg.nographic) {
        uint16_t port = 0x3F8;
        fwcfg_add_file(&m->fwcfg, "etc/sercon-port", &port, sizeof port);
    }
    uint16_t no_menu = 0;
    fwcfg_add_file(&m->fwcfg, "etc/show-boot-menu", &no_menu, sizeof no_menu);
    uint32_t fail_wait_ms = 60000; /* SeaBIOS's own default, made explicit */
    fwcfg_add_file(&m->fwcfg, "etc/boot-fail-wait", &fail_wait_ms, sizeof fail_wait_ms);
    rtc_set_mem_size(&m->rtc, ram, 0);
    rtc_set_cmos(&m->rtc, 0x5F, 0); /* CPUs - 1 */
    rtc_update_checksum(&m->rtc);
}

/* ---- display: the VGA BIOS for SeaBIOS ----
 * SeaBIOS looks for a PCI device's option ROM first as the fw_cfg file "pciVVVV,DDDD.rom"
 * (optionroms.c, lookup_hardcode) and runs the VGA's with the device's bus/dev/fn in AX, which
 * SeaVGABIOS needs to find the linear framebuffer's BAR; so no ROM BAR is needed. */
#define VGA_BIOS_PATH "roms/vgabios-stdvga.bin"
static int load_vga_bios(Machine *m)
{
    FILE *f = fopen(VGA_BIOS_PATH, "rb");
    if (!f) {
        if (m->cfg.bios_path) {
            return 0; /* other firmware: it may not want a VGA BIOS */
        }
        fprintf(stderr, "x86pc: cannot open VGA BIOS image '%s': %s (run 'make' to fetch "
                        "Debian's SeaBIOS)\n", VGA_BIOS_PATH, strerror(errno));
        return -1;
    }
    size_t cap = 256 * 1024;
    uint8_t *buf = malloc(cap);
    size_t n = buf ? fread(buf, 1, cap, f) : 0;
    fclose(f);
    if (!buf || n < 512 || buf[0] != 0x55 || buf[1] != 0xAA) {
        fprintf(stderr, "x86pc: '%s' is not an option ROM\n", VGA_BIOS_PATH);
        free(buf);
        return -1;
    }
    char name[32];
    snprintf(name, sizeof name, "pci%04x,%04x.rom", VGA_PCI_VENDOR, VGA_PCI_DEVICE);
    int rc = fwcfg_add_file(&m->fwcfg, name, buf, n);
    free(buf);
    if (rc < 0) {
        fprintf(stderr, "x86pc: out of memory\n");
        return -1;
    }
    return 0;
}
/* ---- end display ---- */

/* isa-debug-exit: a guest write ends the run with status (value << 1) | 1, as QEMU's does. */
static void debug_exit_write(void *opaque, uint32_t addr, uint32_t val, unsigned size)
{
    Machine *m = opaque;
    m->exit_status = (int)(((val << 1) | 1) & 0xFF);
    m->quit = true;
    cpu_request_exit(&m->cpu);
}

static uint32_t debug_exit_read(void *opaque, uint32_t addr, unsigned size)
{
    return 0xFFFFFFFFu;
}

static const IoOps kDebugExitOps = {debug_exit_read, debug_exit_write, 0};

static FILE *open_chardev(const char *spec, const char *what)
{
    if (!spec || !strcmp(spec, "none")) {
        return NULL;
    }
    if (!strcmp(spec, "stdio")) {
        return stdout;
    }
    if (!strncmp(spec, "file:", 5)) {
        FILE *f = fopen(spec + 5, "wb");
        if (!f) {
            fprintf(stderr, "x86pc: cannot open %s output '%s': %s\n", what, spec + 5,
                    strerror(errno));
        }
        return f;
    }
    return NULL;
}

static int load_bios(Machine *m)
{
    const char *path = m->cfg.bios_path ? m->cfg.bios_path : "roms/bios.bin";
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "x86pc: cannot open BIOS image '%s': %s%s\n", path, strerror(errno),
                m->cfg.bios_path ? "" : " (run 'make' to fetch Debian's SeaBIOS)");
        return -1;
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (size <= 0 || size > 16 * 1024 * 1024 || (size & 0xFFFF)) {
        fprintf(stderr, "x86pc: BIOS image '%s' must be a multiple of 64 KB, at most 16 MB\n",
                path);
        fclose(f);
        return -1;
    }
    m->rom = malloc((size_t)size);
    if (!m->rom || fread(m->rom, 1, (size_t)size, f) != (size_t)size) {
        fprintf(stderr, "x86pc: cannot read BIOS image '%s'\n", path);
        fclose(f);
        return -1;
    }
    fclose(f);
    m->rom_size = (uint32_t)size;
    /* the whole image at the top of the address space, read-only */
    bus_map_mem(&m->bus, (uint32_t)(0x100000000ull - (uint64_t)size), (uint32_t)size, m->rom,
                NULL);
    return 0;
}

/* ---- disks (devices/ide.c, devices/block.c, chipset/piix_ide.c) ---- */
/* The drives: index 0/1 on the primary channel (IRQ 14), 2/3 on the secondary (IRQ 15), behind
 * the PIIX3 IDE function 00:01.1. An image that cannot be used is the user's mistake: one line
 * and machine_init fails. */
static int disks_init(Machine *m)
{
    for (int i = 0; i < 4; i++) {
        m->blk[i].fd = -1;
    }
    ide_channel_init(&m->ide[0], &m->bus, &m->clock, &m->snap, 0, 0x1F0, 0x3F6);
    ide_channel_init(&m->ide[1], &m->bus, &m->clock, &m->snap, 1, 0x170, 0x376);
    for (int c = 0; c < 2; c++) {
        irq_connect(&m->ide[c].irq, pic_set_irq, &m->pic, 14 + c);
        irq_connect(&m->ide[c].irq, ioapic_set_irq, &m->ioapic, 14 + c);
    }
    piix_ide_init(&m->piix_ide, &m->pci.bus, &m->bus, &m->snap, &m->ide[0], &m->ide[1]);
    if (m->cfg.kernel) {
        piix_ide_bios_setup(&m->piix_ide); /* no firmware to enable the IDE decode */
    }
    for (int i = 0; i < 4; i++) {
        const char *file = m->cfg.drive[i].file;
        bool cd = m->cfg.drive[i].cdrom;
        if (!file) {
            continue;
        }
        IdeChannel *ch = &m->ide[i / 2];
        if (cd && !*file) { /* a CD-ROM drive with no disc */
            ide_attach_cdrom(ch, i % 2, NULL);
            continue;
        }
        unsigned flags = cd ? BLOCK_CDROM : BLOCK_DISK | (m->cfg.snapshot ? BLOCK_SNAPSHOT : 0);
        char err[512];
        if (block_open(&m->blk[i], file, flags, err, sizeof err)) {
            fprintf(stderr, "x86pc: %s\n", err);
            return -1;
        }
        int r = cd ? ide_attach_cdrom(ch, i % 2, &m->blk[i])
                   : ide_attach_disk(ch, i % 2, &m->blk[i]);
        if (r) {
            fprintf(stderr, "x86pc: cannot attach '%s' as IDE drive %d\n", file, i);
            return -1;
        }
    }
    return 0;
}

/* What SeaBIOS reads about the disks, as QEMU's board gives it: the CMOS hard disk types (0x12,
 * extended types 0x19/0x1A = 47 with the user-defined parameters at 0x1B-0x23 and 0x24-0x2C),
 * the BIOS CHS translation of each drive (0x39, two bits per drive: 0 none, 1 LBA), the boot
 * order (0x3D: first | second << 4, 0x38 bits 7:4: third; 1 floppy, 2 disk, 3 CD, 4 network)
 * and, with -boot, the same order as device paths in the fw_cfg "bootorder" file. */
static void disks_firmware_config(Machine *m)
{
    RtcState *rtc = &m->rtc;
    uint8_t types = 0, trans = 0;
    for (int i = 0; i < 4; i++) {
        uint16_t c, h, s;
        if (ide_geometry(&m->ide[i / 2], i % 2, &c, &h, &s)) {
            continue;
        }
        trans |= (uint8_t)((c > 1024 ? 1 : 0) << (2 * i));
        if (i >= 2) {
            continue; /* the CMOS describes the primary channel's two disks only */
        }
        uint8_t base = i == 0 ? 0x1B : 0x24;
        types |= i == 0 ? 0xF0 : 0x0F;
        rtc_set_cmos(rtc, (uint8_t)(0x19 + i), 47);
        rtc_set_cmos(rtc, base + 0, (uint8_t)c);
        rtc_set_cmos(rtc, base + 1, (uint8_t)(c >> 8));
        rtc_set_cmos(rtc, base + 2, (uint8_t)h);
        rtc_set_cmos(rtc, base + 3, 0xFF); /* write precompensation: none */
        rtc_set_cmos(rtc, base + 4, 0xFF);
        rtc_set_cmos(rtc, base + 5, (uint8_t)(0xC0 | (h > 8 ? 0x08 : 0)));
        rtc_set_cmos(rtc, base + 6, (uint8_t)c); /* landing zone */
        rtc_set_cmos(rtc, base + 7, (uint8_t)(c >> 8));
        rtc_set_cmos(rtc, base + 8, (uint8_t)s);
    }
    rtc_set_cmos(rtc, 0x12, types);
    rtc_set_cmos(rtc, 0x39, trans);
    const char *order = m->cfg.boot ? m->cfg.boot : "cad";
    uint8_t dev[3] = {0, 0, 0};
    static const char kBootLetters[] = "acdn"; /* -boot letters, checked by main.c */
    for (int k = 0; k < 3 && order[k]; k++) {
        const char *p = strchr(kBootLetters, order[k]);
        dev[k] = p ? (uint8_t)(p - kBootLetters + 1) : 0;
    }
    rtc_set_cmos(rtc, 0x3D, (uint8_t)(dev[0] | dev[1] << 4));
    rtc_set_cmos(rtc, 0x38, (uint8_t)(dev[2] << 4)); /* bit 0 clear: check floppy signatures */
    rtc_update_checksum(rtc);
    if (m->cfg.boot) {
        char list[512];
        size_t n = 0;
        for (const char *p = m->cfg.boot; *p; p++) {
            for (int i = 0; i < 4; i++) {
                bool cd = m->cfg.drive[i].cdrom;
                if (m->cfg.drive[i].file && ((*p == 'c' && !cd) || (*p == 'd' && cd)) &&
                    n + 48 < sizeof list) {
                    n += (size_t)snprintf(list + n, sizeof list - n,
                                          "/pci@i0cf8/ide@1,1/drive@%x/disk@%x\n", i / 2, i % 2);
                }
            }
        }
        if (n) {
            list[n - 1] = 0; /* entries are separated by newlines, the file ends with a NUL */
            fwcfg_add_file(&m->fwcfg, "bootorder", list, n);
        }
    }
}

static void disks_free(Machine *m)
{
    for (int i = 0; i < 4; i++) {
        if (m->cfg.drive[i].file && m->blk[i].fd >= 0 && m->blk[i].size) {
            block_close(&m->blk[i]); /* flushes */
        }
    }
}
/* ---- end disks ---- */

int machine_init(Machine *m, const MachineConfig *cfg)
{
    memset(m, 0, sizeof *m);
    m->cfg = *cfg;
    const CpuModel *model = &kCpuPentiumPro;
    if (!strcmp(cfg->cpu_model, "pentium2")) {
        model = &kCpuPentium2;
    } else if (strcmp(cfg->cpu_model, "pentiumpro") != 0) {
        fprintf(stderr, "x86pc: unknown CPU model '%s' (pentiumpro, pentium2)\n", cfg->cpu_model);
        return -1;
    }
    uint32_t ram = cfg->ram_mb * 1024u * 1024u;
    if (bus_init(&m->bus, ram)) {
        fprintf(stderr, "x86pc: cannot allocate %u MB of guest RAM\n", cfg->ram_mb);
        return -1;
    }
    clock_init(&m->clock, cfg->icount_shift);
    /* ---- direct Linux boot (bios/linuxboot.c): no BIOS image at all ---- */
    if (cfg->kernel) {
        char err[512];
        if (cfg->bios_path) {
            fprintf(stderr, "x86pc: -bios and -kernel exclude each other (direct boot runs "
                            "no firmware)\n");
            return -1;
        }
        if (linuxboot_load(&m->linuxboot, cfg->kernel, cfg->initrd, cfg->append, ram, err,
                           sizeof err)) {
            fprintf(stderr, "x86pc: %s\n", err);
            return -1;
        }
        /* ---- ACPI: the tables in guest memory (bios/acpi.c) ---- */
        m->linuxboot.acpi_build = acpi_linuxboot_tables;
        m->linuxboot.acpi_opaque = m;
        /* ---- end ACPI ---- */
    } else if (load_bios(m)) {
        return -1;
    }
    /* ---- end direct Linux boot ---- */
    m->serial_out = open_chardev(cfg->serial, "serial");
    m->debugcon_out = open_chardev(cfg->debugcon, "debugcon");
    if ((cfg->serial && !strncmp(cfg->serial, "file:", 5) && !m->serial_out) ||
        (cfg->debugcon && !strncmp(cfg->debugcon, "file:", 5) && !m->debugcon_out)) {
        return -1;
    }

    if (cpu_init(&m->cpu, &m->bus, &m->clock, model)) {
        fprintf(stderr, "x86pc: out of memory\n");
        return -1;
    }
    m->cpu.intr_ack = cpu_intack;
    m->cpu.intr_opaque = m;

    /* chipset */
    pic_init(&m->pic, &m->bus, &m->snap);
    /* ---- local APIC and I/O APIC: the 8259's INTR enters LINT0 of the local APIC (virtual
     * wire) and pin 0 of the I/O APIC; the local APIC drives the CPU's INTR and NMI and answers
     * its INTA (cpu_intack); WRMSR IA32_APIC_BASE moves or disables it ---- */
    lapic_init(&m->lapic, &m->bus, &m->clock, &m->snap);
    lapic_connect_pic(&m->lapic, apic_pic_intack, &m->pic);
    irq_connect(&m->lapic.intr, cpu_intr_handler, &m->cpu, 0);
    irq_connect(&m->lapic.nmi, cpu_nmi_handler, &m->cpu, 0);
    irq_connect(&m->pic.intr, lapic_set_lint, &m->lapic, 0);
    ioapic_init(&m->ioapic, &m->bus, &m->lapic, &m->snap);
    irq_connect(&m->pic.intr, ioapic_set_irq, &m->ioapic, 0);
    m->cpu.apic_base_changed = cpu_apic_base_changed;
    m->cpu.apic_opaque = &m->lapic;
    /* ---- end local APIC and I/O APIC ---- */
    pit_init(&m->pit, &m->bus, &m->clock, &m->snap);
    irq_connect(&m->pit.irq0, pic_set_irq, &m->pic, 0);
    rtc_init(&m->rtc, &m->bus, &m->clock, &m->snap, cfg->rtc_epoch);
    irq_connect(&m->rtc.irq, pic_set_irq, &m->pic, 8);
    m->cpu.board_opaque = m;
    m->cpu.ferr = cpu_ferr;
    irq_connect(&m->ferr_irq, pic_set_irq, &m->pic, 13);
    port92_init(&m->port92, &m->bus, request_reset, m, &m->snap);
    dma8237_init(&m->dma, &m->bus, &m->snap);
    /* the PAM-controlled window 0xC0000-0xFFFFF shows the image's last 256 KB */
    m->rom_low = calloc(1, 0x40000);
    if (!m->rom_low) {
        fprintf(stderr, "x86pc: out of memory\n");
        return -1;
    }
    uint32_t low = m->rom_size < 0x40000 ? m->rom_size : 0x40000;
    if (low) { /* no image with -kernel */
        memcpy(m->rom_low + 0x40000 - low, m->rom + m->rom_size - low, low);
    }
    pci_init(&m->pci, &m->bus, &m->snap, m->rom_low, request_reset, m);
    static const int kPciIrqs[] = {3, 4, 5, 6, 7, 9, 10, 11, 12, 14, 15};
    for (size_t k = 0; k < sizeof kPciIrqs / sizeof kPciIrqs[0]; k++) {
        irq_connect(&m->pci.bus.isa_irq[kPciIrqs[k]], pic_set_irq, &m->pic, kPciIrqs[k]);
    }

    /* ---- ACPI: the PM function at 00:01.3, its SCI on IRQ 9 (8259 and I/O APIC pin 9) ---- */
    if (acpi_pm_init(&m->acpi_pm, &m->pci.bus, &m->bus, &m->clock, &m->snap, acpi_poweroff, m)) {
        fprintf(stderr, "x86pc: cannot add the ACPI PM function\n");
        return -1;
    }
    irq_connect(&m->acpi_pm.sci, pic_set_irq, &m->pic, ACPI_PM_SCI_IRQ);
    irq_connect(&m->acpi_pm.sci, ioapic_set_irq, &m->ioapic, ACPI_PM_SCI_IRQ);
    /* ---- end ACPI ---- */

    /* ---- display: the VGA at 00:02.0, as on QEMU's pc machine ---- */
    if (vga_init(&m->vga, &m->bus, &m->pci.bus, &m->clock, &m->snap, 0x10)) {
        fprintf(stderr, "x86pc: out of memory\n");
        return -1;
    }
    /* ---- end display ---- */

    /* devices */
    i8042_init(&m->kbc, &m->bus, request_reset, m, &m->snap);
    irq_connect(&m->kbc.irq1, pic_set_irq, &m->pic, 1);
    irq_connect(&m->kbc.irq12, pic_set_irq, &m->pic, 12);
    serial_init(&m->com1, &m->bus, &m->clock, 0x3F8, serial_tx, m, &m->snap, 0);
    irq_connect(&m->com1.irq, pic_set_irq, &m->pic, 4);
    /* ---- ISA IRQs into the I/O APIC as well: IRQ n on pin n, except the PIT's IRQ 0 on pin 2
     * (the MADT's interrupt source override, as on QEMU) ---- */
    irq_connect(&m->pit.irq0, ioapic_set_irq, &m->ioapic, 2);
    irq_connect(&m->rtc.irq, ioapic_set_irq, &m->ioapic, 8);
    for (size_t k = 0; k < sizeof kPciIrqs / sizeof kPciIrqs[0]; k++) {
        irq_connect(&m->pci.bus.isa_irq[kPciIrqs[k]], ioapic_set_irq, &m->ioapic, kPciIrqs[k]);
    }
    irq_connect(&m->kbc.irq1, ioapic_set_irq, &m->ioapic, 1);
    irq_connect(&m->kbc.irq12, ioapic_set_irq, &m->ioapic, 12);
    irq_connect(&m->com1.irq, ioapic_set_irq, &m->ioapic, 4);
    irq_connect(&m->ferr_irq, ioapic_set_irq, &m->ioapic, 13);
    /* ---- end ISA IRQs into the I/O APIC ---- */
    /* ---- disks: IDE channels on IRQ 14/15 (8259 and I/O APIC), the PIIX3 IDE function ---- */
    if (disks_init(m)) {
        return -1;
    }
    /* ---- end disks ---- */
    debugcon_init(&m->debugcon, &m->bus, 0xE9, debugcon_tx, m);
    debugcon_init(&m->fwlog, &m->bus, 0x402, fwlog_tx, m);
    if (cfg->debug_exit) {
        bus_register_pio(&m->bus, cfg->debug_exit_port, 1, &kDebugExitOps, m, "isa-debug-exit");
    }
    if (fwcfg_init(&m->fwcfg, &m->bus, &m->snap)) {
        fprintf(stderr, "x86pc: out of memory\n");
        return -1;
    }
    setup_firmware_config(m);
    /* ---- display ---- */
    if (!cfg->kernel && load_vga_bios(m)) {
        return -1;
    }
    /* ---- end display ---- */
    disks_firmware_config(m); /* ---- disks ---- */
    /* ---- ACPI: the tables for SeaBIOS (fw_cfg and its linker/loader script) ---- */
    {
        AcpiConfig c;
        acpi_fill_config(m, &c);
        if (acpi_build_fwcfg(&m->fwcfg, &c)) {
            fprintf(stderr, "x86pc: out of memory\n");
            return -1;
        }
    }
    /* ---- end ACPI ---- */
    /* ---- direct Linux boot: the kernel starts at power-on ---- */
    if (cfg->kernel) {
        linuxboot_setup(&m->linuxboot, &m->bus, &m->cpu);
    }
    /* ---- end direct Linux boot ---- */
    /* ---- snapshots (frontend/vmsnap.c): the CPU's and the board's sections, after every
     * device so that the CPU's post_load runs last ---- */
    machine_snap_register(m);
    /* ---- end snapshots ---- */
    return 0;
}

void machine_free(Machine *m)
{
    cpu_free(&m->cpu);
    bus_free(&m->bus);
    fwcfg_free(&m->fwcfg);
    vga_free(&m->vga); /* ---- display ---- */
    free(m->rom);
    free(m->rom_low);
    linuxboot_free(&m->linuxboot);
    disks_free(m); /* ---- disks ---- */
    if (m->serial_out && m->serial_out != stdout) {
        fclose(m->serial_out);
    }
    if (m->debugcon_out && m->debugcon_out != stdout) {
        fclose(m->debugcon_out);
    }
}

void machine_reset(Machine *m)
{
    m->reset_requested = false;
    pic_reset(&m->pic);
    pit_reset(&m->pit);
    rtc_reset(&m->rtc);
    port92_reset(&m->port92);
    dma8237_reset(&m->dma);
    i8042_reset(&m->kbc);
    serial_reset(&m->com1);
    fwcfg_reset(&m->fwcfg);
    pci_reset(&m->pci);
    vga_reset(&m->vga); /* ---- display ---- */
    acpi_pm_reset(&m->acpi_pm); /* ---- ACPI ---- */
    /* ---- disks ---- */
    ide_channel_reset(&m->ide[0]);
    ide_channel_reset(&m->ide[1]);
    piix_ide_reset(&m->piix_ide);
    if (m->cfg.kernel) {
        piix_ide_bios_setup(&m->piix_ide); /* no firmware to enable the IDE decode */
    }
    /* ---- end disks ---- */
    lapic_reset(&m->lapic);   /* ---- APIC: with the CPU's IA32_APIC_BASE reset below ---- */
    ioapic_reset(&m->ioapic); /* ---- APIC ---- */
    bus_set_a20(&m->bus, true);
    cpu_reset(&m->cpu);
    /* ---- direct Linux boot: every reset boots the kernel again (there is no BIOS) ---- */
    if (m->cfg.kernel) {
        linuxboot_setup(&m->linuxboot, &m->bus, &m->cpu);
    }
    /* ---- end direct Linux boot ---- */
}

int machine_serial_input(Machine *m, const uint8_t *buf, int n)
{
    int took = 0;
    while (took < n && serial_can_receive(&m->com1)) {
        serial_receive(&m->com1, buf + took, 1);
        took++;
    }
    return took;
}

/* ---- display: keyboard and mouse input ---- */
bool machine_key_event(Machine *m, const uint8_t *set2, int n)
{
    if (n <= 0) {
        return true;
    }
    if (m->kbc.kbd.scanning && !ps2_kbd_can_take(&m->kbc.kbd, n)) {
        return false; /* the keyboard's buffer is full: the caller tries again later */
    }
    i8042_key_event(&m->kbc, set2, n);
    return true;
}

void machine_mouse_event(Machine *m, int dx, int dy, int dz, unsigned buttons)
{
    i8042_mouse_event(&m->kbc, dx, dy, dz, buttons);
}
/* ---- end display ---- */

/* Run the CPU until `budget` instructions have run, firing timers at their deadlines and
 * skipping halted time. Returns false when the machine must stop. */
static bool run_slice(Machine *m, uint64_t budget)
{
    uint64_t start = m->cpu.retired;
    uint64_t vstart = clock_now(&m->clock); /* ---- display: pacing ---- */
    uint64_t halt_retired = UINT64_MAX, halt_vstart = 0;
    while (!m->quit && m->cpu.retired - start < budget) {
        CpuStop r = cpu_run(&m->cpu, budget - (m->cpu.retired - start));
        clock_run_timers(&m->clock);
        /* ---- debugger: its stops, and a triple fault stops instead of resetting ---- */
        if (r == CPU_STOP_DEBUG ||
            (r == CPU_STOP_SHUTDOWN && (m->cpu.dbg.flags & DBG_F_TRIPLE) && m->dbg_stopped)) {
            if (r == CPU_STOP_SHUTDOWN) {
                m->cpu.dbg.hit = (DbgHit){.kind = DBG_HIT_TRIPLE};
            }
            m->dbg_stop_pending = m->dbg_stopped != NULL;
            return !m->quit;
        }
        /* ---- end debugger ---- */
        if (r == CPU_STOP_SHUTDOWN) {
            xlog(LOG_CPU, "triple fault at %04x:%08x", m->cpu.s.seg[SEG_CS].sel, m->cpu.s.eip);
            if (m->cfg.no_reboot) {
                fprintf(stderr, "x86pc: triple fault (shutdown) with -no-reboot\n");
                m->exit_status = 0;
                return false;
            }
            m->cpu.shutdown = 0;
            machine_reset(m);
        }
        if (m->reset_requested) {
            if (m->cfg.no_reboot) {
                m->exit_status = 0;
                return false;
            }
            machine_reset(m);
        }
        if (r == CPU_STOP_EXIT) {
            break; /* someone wants the frontend to look now */
        }
        if (r == CPU_STOP_HALT) {
            if (!clock_skip_to_deadline(&m->clock)) {
                return true; /* halted with no timer armed: only outside input can wake it */
            }
            clock_run_timers(&m->clock);
            /* A CPU that cannot wake (halted with interrupts off or masked) retires nothing, so
             * skipping from deadline to deadline would never end the slice: after 100 ms of
             * virtual time with nothing retired, end it, and machine_run sees an idle machine. */
            if (m->cpu.retired != halt_retired) { /* (counted from the halt, not the slice) */
                halt_retired = m->cpu.retired;
                halt_vstart = clock_now(&m->clock);
            } else if (clock_now(&m->clock) - halt_vstart > 100000000u) {
                return true;
            }
            /* ---- display: with a window, a slice skips at most 10 ms of virtual time, so that
             * the frontend can keep virtual time from running ahead of wall time ---- */
            if (m->display_paced && clock_now(&m->clock) - vstart > 10000000u) {
                return true;
            }
            /* ---- end display ---- */
        }
    }
    return !m->quit;
}

int machine_run(Machine *m)
{
    uint64_t limit = m->cfg.max_insns;
    while (!m->quit) {
        uint64_t budget = SLICE_STEPS;
        if (limit) {
            uint64_t left = limit > m->cpu.retired ? limit - m->cpu.retired : 0;
            if (left == 0) {
                break;
            }
            budget = left < budget ? left : budget;
        }
        uint64_t before = m->cpu.retired;
        if (!run_slice(m, budget)) {
            break;
        }
        if (m->serial_out) {
            fflush(m->serial_out);
        }
        if (m->debugcon_out) {
            fflush(m->debugcon_out);
        }
        /* an idle machine (halted, no timers) waits for input instead of spinning */
        bool idle = m->cpu.retired == before && m->cpu.s.halted && !m->dbg_stop_pending;
        console_poll(m, idle ? 50 : 0);
        display_poll(m, idle); /* ---- display: window events, redraw, pacing, pause ---- */
        /* ---- debugger: Ctrl-C and gdb's packets while running; the prompt when stopped ---- */
        if (m->dbg_poll) {
            m->dbg_poll(m->dbg_opaque);
        }
        if (m->dbg_stop_pending) {
            m->dbg_stop_pending = false;
            m->dbg_stopped(m->dbg_opaque);
        }
        /* ---- end debugger ---- */
    }
    fflush(stdout);
    return m->exit_status;
}
