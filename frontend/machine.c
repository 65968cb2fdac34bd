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

#include "frontend/console.h"
#include "mmu/log.h"

#define SLICE_STEPS 200000 /* instructions between polls of the host console */

static void cpu_intr_handler(void *opaque, int n, int level)
{
    (void)n;
    cpu_set_intr(opaque, level);
}

static int cpu_intack(void *opaque)
{
    Machine *m = opaque;
    return pic_intack(&m->pic);
}

static void request_reset(void *opaque)
{
    Machine *m = opaque;
    m->reset_requested = true;
    cpu_request_exit(&m->cpu);
}

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
        /* ACPI tables: when bios/acpi.c exists, point m->linuxboot.acpi_build (and
         * acpi_opaque) at an adapter calling acpi_build_in_memory() here; see the
         * LinuxBootAcpiFn comment in bios/linuxboot.h for the contract. */
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
    irq_connect(&m->pic.intr, cpu_intr_handler, &m->cpu, 0);
    pit_init(&m->pit, &m->bus, &m->clock, &m->snap);
    irq_connect(&m->pit.irq0, pic_set_irq, &m->pic, 0);
    rtc_init(&m->rtc, &m->bus, &m->clock, &m->snap, cfg->rtc_epoch);
    irq_connect(&m->rtc.irq, pic_set_irq, &m->pic, 8);
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

    /* devices */
    i8042_init(&m->kbc, &m->bus, request_reset, m, &m->snap);
    irq_connect(&m->kbc.irq1, pic_set_irq, &m->pic, 1);
    irq_connect(&m->kbc.irq12, pic_set_irq, &m->pic, 12);
    serial_init(&m->com1, &m->bus, &m->clock, 0x3F8, serial_tx, m, &m->snap, 0);
    irq_connect(&m->com1.irq, pic_set_irq, &m->pic, 4);
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
    /* ---- direct Linux boot: the kernel starts at power-on ---- */
    if (cfg->kernel) {
        linuxboot_setup(&m->linuxboot, &m->bus, &m->cpu);
    }
    /* ---- end direct Linux boot ---- */
    return 0;
}

void machine_free(Machine *m)
{
    cpu_free(&m->cpu);
    bus_free(&m->bus);
    fwcfg_free(&m->fwcfg);
    free(m->rom);
    free(m->rom_low);
    linuxboot_free(&m->linuxboot);
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

/* Run the CPU until `budget` instructions have run, firing timers at their deadlines and
 * skipping halted time. Returns false when the machine must stop. */
static bool run_slice(Machine *m, uint64_t budget)
{
    uint64_t start = m->cpu.retired;
    while (!m->quit && m->cpu.retired - start < budget) {
        CpuStop r = cpu_run(&m->cpu, budget - (m->cpu.retired - start));
        clock_run_timers(&m->clock);
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
        bool idle = m->cpu.retired == before && m->cpu.s.halted;
        console_poll(m, idle ? 50 : 0);
    }
    fflush(stdout);
    return m->exit_status;
}
