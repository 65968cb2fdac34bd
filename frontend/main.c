/* x86pc command line. Option names follow QEMU's where the concept is the same. A user's mistake
 * (bad option, missing file) gets one clear line on stderr and exit status 1. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "frontend/console.h"
#include "frontend/display.h" /* ---- display ---- */
#include "frontend/debugger.h" /* -debug, -gdb (debugger.c, gdbstub.c) */
#include "frontend/gdbstub.h"
#include "frontend/machine.h"
#include "frontend/monitor.h" /* monitor and snapshots (monitor.c, vmsnap.c) */
#include "frontend/vmsnap.h"
#include "mmu/log.h"

#define X86PC_VERSION "0.1"

static volatile sig_atomic_t g_lazy_sigint;

static void lazy_debug_sigint(int sig)
{
    (void)sig;
    g_lazy_sigint = 1;
}

/* Polled by the board between slices until the first Ctrl-C, which starts the debugger (it
 * installs its own hooks and stops the machine at the next instruction boundary). */
static void lazy_debug_poll(void *opaque)
{
    if (g_lazy_sigint) {
        g_lazy_sigint = 0;
        Machine *m = opaque;
        m->dbg_poll = NULL;
        if (debugger_init(m, NULL)) {
            m->quit = true;
        }
    }
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: x86pc [options]\n"
            "A whole-system x86 PC emulator (P6-class CPU, i440FX/PIIX PC, SeaBIOS).\n"
            "\n"
            "Machine:\n"
            "  -m SIZE              guest RAM in MB (suffix M or G allowed; default 128)\n"
            "  -cpu MODEL           pentiumpro (default) or pentium2\n"
            "  -bios FILE           firmware image (default roms/bios.bin: Debian's SeaBIOS)\n"
            "  -rtc base=DATE       RTC start: 'YYYY-MM-DDTHH:MM:SS', 'utc' or 'localtime'\n"
            "                       (default 2000-01-01T00:00:00, fixed for determinism)\n"
            "  -icount shift=N      one instruction = 2^N virtual ns (default %d)\n"
            "  -no-reboot           exit instead of rebooting (triple fault, reset)\n"
            "  -no-shutdown         stay stopped instead of exiting on guest power-off\n"
            "Direct Linux boot (no BIOS):\n"
            "  -kernel BZIMAGE      boot this Linux kernel directly (32-bit boot protocol)\n"
            "  -initrd FILE         initial ramdisk for -kernel\n"
            "  -append CMDLINE      kernel command line for -kernel\n"
            "Disks:\n"
            "  -hda/-hdb/-hdc/-hdd FILE  raw disk image as IDE drive 0/1/2/3\n"
            "                       (primary master/slave, secondary master/slave)\n"
            "  -cdrom FILE          ISO image in the CD-ROM drive (IDE drive 2)\n"
            "  -drive file=F[,if=ide][,index=N][,media=disk|cdrom][,format=raw]\n"
            "  -snapshot            disk writes stay in memory; the image files are untouched\n"
            "  -boot ORDER          boot order: letters c (disk), d (CD-ROM), a, n;\n"
            "                       also order=ORDER (default cad)\n"
            "Display and I/O:\n"
            "  -nographic           no window; COM1 on stdio (Ctrl-A h for keys)\n"
            "  -display sdl|none    a window (the default when a display exists) or none;\n"
            "                       in the window Ctrl-Alt plus G grabs/releases the mouse,\n"
            "                       P pauses, R resets, Q quits, S saves a snapshot, F a\n"
            "                       screenshot (PNG), End sends Ctrl-Alt-Del\n"
            "  -serial DEV          COM1 backend: stdio, none, file:PATH\n"
            "  -debugcon DEV        debug console port 0xE9: stdio, file:PATH\n"
            "  -device isa-debug-exit[,iobase=PORT]\n"
            "                       a guest write of V to PORT (default 0xf4) exits with\n"
            "                       status (V << 1) | 1\n"
            "Debugging:\n"
            "  -d CHANNELS          log channels to stderr: all or a list of\n"
            "                       cpu,int,mmu,io,pic,pit,rtc,serial,kbd,pci,fwcfg,...\n"
            "  -max-insns N         stop after N guest instructions (exit status 0)\n"
            "  -debug               debugger prompt on stdin, stopped before the first\n"
            "                       instruction ('help' lists the commands; Ctrl-C stops)\n"
            "  -debug-script FILE   with -debug: run the commands in FILE first\n"
            "  -gdb tcp:[HOST]:PORT gdb remote stub (HOST defaults to 127.0.0.1); with -S\n"
            "                       the machine waits for gdb before its first instruction\n"
            "  -s                   the same as -gdb tcp::1234\n"
            "Monitor and snapshots:\n"
            "  -monitor DEV         the monitor: stdio or none (with -nographic it shares\n"
            "                       stdio with COM1 by default: Ctrl-A c switches)\n"
            "  -S                   start stopped ('cont' in the monitor starts the guest)\n"
            "  -loadvm FILE         restore a snapshot saved by the monitor's savevm\n"
            "  -stats               at exit, print instructions, host time and MIPS to stderr\n"
            "  -h, --help           this help\n"
            "  -version             print the version\n",
            CLOCK_DEFAULT_SHIFT);
}

static void die(const char *fmt, const char *arg)
{
    fprintf(stderr, "x86pc: ");
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    exit(1);
}

static uint32_t parse_mem_mb(const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s) {
        die("invalid memory size '%s'", s);
    }
    if (*end == 'G' || *end == 'g') {
        v *= 1024;
        end++;
    } else if (*end == 'M' || *end == 'm') {
        end++;
    }
    if (*end || v < 1 || v > 3072) {
        die("invalid memory size '%s' (1M to 3G)", s);
    }
    return (uint32_t)v;
}

static int64_t parse_rtc(const char *s)
{
    if (strncmp(s, "base=", 5) != 0) {
        die("invalid -rtc '%s' (expected base=...)", s);
    }
    const char *b = s + 5;
    char base[64];
    snprintf(base, sizeof base, "%s", b);
    char *comma = strchr(base, ',');
    if (comma) {
        *comma = 0;
    }
    if (strcmp(base, "utc") == 0 || strcmp(base, "localtime") == 0) {
        /* host time read once at start-up: an outside input (recorded by record/replay) */
        time_t now = time(NULL);
        if (strcmp(base, "localtime") == 0) {
            struct tm lt;
            localtime_r(&now, &lt);
            return (int64_t)now + lt.tm_gmtoff;
        }
        return (int64_t)now;
    }
    struct tm tm = {0};
    int n = sscanf(base, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                   &tm.tm_min, &tm.tm_sec);
    if (n != 3 && n != 6) {
        die("invalid -rtc base '%s' (YYYY-MM-DD[THH:MM:SS], utc or localtime)", base);
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm);
}

static void parse_device(MachineConfig *cfg, const char *s)
{
    if (strncmp(s, "isa-debug-exit", 14) == 0) {
        cfg->debug_exit = true;
        const char *p = strstr(s, "iobase=");
        if (p) {
            cfg->debug_exit_port = (uint16_t)strtoul(p + 7, NULL, 0);
        }
        return;
    }
    die("unsupported -device '%s'", s);
}

/* ---- disks ---- */
static void set_drive(MachineConfig *cfg, int index, const char *file, bool cdrom,
                      const char *opt)
{
    if (cfg->drive[index].file) {
        fprintf(stderr, "x86pc: IDE drive %d is given twice (%s)\n", index, opt);
        exit(1);
    }
    cfg->drive[index].file = file;
    cfg->drive[index].cdrom = cdrom;
}

/* -drive file=F,if=ide,index=N,media=disk|cdrom,format=raw (QEMU's spelling, a subset). */
static void parse_drive(MachineConfig *cfg, const char *spec)
{
    static char store[8][512]; /* the strings live as long as the configuration */
    static int nstore;
    const char *file = NULL;
    int index = -1;
    bool cdrom = false;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *save = NULL, *kv = strtok_r(buf, ",", &save); kv;
         kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq) {
            die("invalid -drive option '%s' (key=value expected)", kv);
        }
        *eq = 0;
        const char *val = eq + 1;
        if (!strcmp(kv, "file")) {
            if (nstore >= 8) {
                die("%s", "too many -drive options");
            }
            snprintf(store[nstore], sizeof store[nstore], "%s", val);
            file = store[nstore++];
        } else if (!strcmp(kv, "if")) {
            if (strcmp(val, "ide") != 0) {
                die("unsupported -drive interface '%s' (only if=ide)", val);
            }
        } else if (!strcmp(kv, "index")) {
            char *end;
            long n = strtol(val, &end, 0);
            if (*end || n < 0 || n > 3) {
                die("invalid -drive index '%s' (0 to 3)", val);
            }
            index = (int)n;
        } else if (!strcmp(kv, "media")) {
            if (!strcmp(val, "cdrom")) {
                cdrom = true;
            } else if (strcmp(val, "disk") != 0) {
                die("invalid -drive media '%s' (disk or cdrom)", val);
            }
        } else if (!strcmp(kv, "format")) {
            if (strcmp(val, "raw") != 0) {
                die("unsupported -drive format '%s' (only raw)", val);
            }
        } else {
            die("unknown -drive option '%s'", kv);
        }
    }
    if (!file) {
        if (!cdrom) {
            die("-drive '%s' has no file=", spec);
        }
        file = ""; /* a CD-ROM drive with no disc */
    }
    if (index < 0) {
        for (index = 0; index < 4 && cfg->drive[index].file; index++) {
        }
        if (index == 4) {
            die("no free IDE drive index for -drive '%s'", spec);
        }
    }
    set_drive(cfg, index, file, cdrom, "-drive");
}

static const char *parse_boot(const char *v)
{
    const char *order = v;
    const char *p = strstr(v, "order=");
    if (p) {
        order = p + 6;
    } else if (strchr(v, '=')) {
        die("unsupported -boot '%s' (ORDER or order=ORDER)", v);
    }
    static char buf[8];
    size_t n = strcspn(order, ",");
    if (n == 0 || n >= sizeof buf) {
        die("invalid -boot order '%s'", v);
    }
    memcpy(buf, order, n);
    buf[n] = 0;
    for (size_t i = 0; i < n; i++) {
        if (!strchr("acdn", buf[i])) {
            die("invalid -boot order '%s' (letters a, c, d, n)", v);
        }
    }
    return buf;
}
/* ---- end disks ---- */

int main(int argc, char **argv)
{
    MachineConfig cfg = {
        .ram_mb = 128,
        .bios_path = NULL,
        .cpu_model = "pentiumpro",
        .serial = NULL,
        .debug_exit_port = 0xF4,
        .rtc_epoch = 946684800LL,
        .icount_shift = CLOCK_DEFAULT_SHIFT,
    };
    bool display_none = false;
    bool stats = false;
    /* ---- monitor and snapshots ---- */
    const char *monitor = NULL; /* NULL: default (muxed on stdio with -nographic) */
    const char *loadvm = NULL;
    bool start_stopped = false;
    /* ---- end monitor and snapshots ---- */
    /* ---- debugger and gdb stub ---- */
    bool debug = false;
    const char *debug_script = NULL;
    const char *gdb_spec = NULL;
    /* ---- end debugger and gdb stub ---- */
    for (int k = 1; k < argc; k++) {
        const char *a = argv[k];
        if (a[0] == '-' && a[1] == '-') {
            a++; /* --opt is -opt, as QEMU accepts */
        }
        const char *v = k + 1 < argc ? argv[k + 1] : NULL;
#define NEED_ARG()                                                                             \
    do {                                                                                       \
        if (!v) {                                                                              \
            die("option %s needs an argument", argv[k]);                                      \
        }                                                                                      \
        k++;                                                                                   \
    } while (0)
        if (!strcmp(a, "-h") || !strcmp(a, "-help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "-version")) {
            printf("x86pc %s\n", X86PC_VERSION);
            return 0;
        } else if (!strcmp(a, "-m")) {
            NEED_ARG();
            cfg.ram_mb = parse_mem_mb(v);
        } else if (!strcmp(a, "-cpu")) {
            NEED_ARG();
            cfg.cpu_model = v;
        } else if (!strcmp(a, "-bios")) {
            NEED_ARG();
            cfg.bios_path = v;
        } else if (!strcmp(a, "-rtc")) {
            NEED_ARG();
            cfg.rtc_epoch = parse_rtc(v);
        } else if (!strcmp(a, "-icount")) {
            NEED_ARG();
            const char *p = strstr(v, "shift=");
            const char *num = p ? p + 6 : v;
            char *end;
            unsigned long sh = strtoul(num, &end, 0);
            if (end == num || sh > 20) {
                die("invalid -icount '%s' (shift=0..20)", v);
            }
            cfg.icount_shift = (unsigned)sh;
        } else if (!strcmp(a, "-kernel")) {
            NEED_ARG();
            cfg.kernel = v;
        } else if (!strcmp(a, "-initrd")) {
            NEED_ARG();
            cfg.initrd = v;
        } else if (!strcmp(a, "-append")) {
            NEED_ARG();
            cfg.append = v;
        } else if (!strcmp(a, "-no-reboot")) {
            cfg.no_reboot = true;
        } else if (!strcmp(a, "-no-shutdown")) {
            cfg.no_shutdown = true;
        } else if (!strcmp(a, "-nographic")) {
            cfg.nographic = true;
        } else if (!strcmp(a, "-display")) {
            NEED_ARG();
            if (!strcmp(v, "none")) {
                display_none = true;
            } else if (strcmp(v, "sdl") != 0) {
                die("unsupported -display '%s' (none or sdl)", v);
            }
        } else if (!strcmp(a, "-serial")) {
            NEED_ARG();
            if (strcmp(v, "stdio") && strcmp(v, "none") && strncmp(v, "file:", 5)) {
                die("unsupported -serial '%s' (stdio, none, file:PATH)", v);
            }
            cfg.serial = v;
        } else if (!strcmp(a, "-debugcon")) {
            NEED_ARG();
            if (strcmp(v, "stdio") && strcmp(v, "none") && strncmp(v, "file:", 5)) {
                die("unsupported -debugcon '%s' (stdio, none, file:PATH)", v);
            }
            cfg.debugcon = v;
        } else if (!strcmp(a, "-device")) {
            NEED_ARG();
            parse_device(&cfg, v);
        } else if (!strcmp(a, "-d")) {
            NEED_ARG();
            if (log_parse_mask(v)) {
                die("unknown log channel in '%s' (see -h)", v);
            }
        } else if (!strcmp(a, "-stats")) {
            stats = true;
        } else if (!strcmp(a, "-max-insns")) {
            NEED_ARG();
            cfg.max_insns = strtoull(v, NULL, 0);
        /* ---- disks ---- */
        } else if (!strcmp(a, "-hda") || !strcmp(a, "-hdb") || !strcmp(a, "-hdc") ||
                   !strcmp(a, "-hdd")) {
            NEED_ARG();
            set_drive(&cfg, a[3] - 'a', v, false, argv[k - 1]);
        } else if (!strcmp(a, "-cdrom")) {
            NEED_ARG();
            set_drive(&cfg, 2, v, true, "-cdrom");
        } else if (!strcmp(a, "-drive")) {
            NEED_ARG();
            parse_drive(&cfg, v);
        } else if (!strcmp(a, "-snapshot")) {
            cfg.snapshot = true;
        } else if (!strcmp(a, "-boot")) {
            NEED_ARG();
            cfg.boot = parse_boot(v);
        } else if (a[0] != '-') {
            set_drive(&cfg, 0, a, false, a); /* x86pc [options] disk-image */
        /* ---- end disks ---- */
        /* ---- monitor and snapshots ---- */
        } else if (!strcmp(a, "-monitor")) {
            NEED_ARG();
            if (strcmp(v, "stdio") && strcmp(v, "none")) {
                die("unsupported -monitor '%s' (stdio or none)", v);
            }
            monitor = v;
        } else if (!strcmp(a, "-loadvm")) {
            NEED_ARG();
            loadvm = v;
        } else if (!strcmp(a, "-S")) {
            start_stopped = true;
        /* ---- end monitor and snapshots ---- */
        /* ---- debugger and gdb stub ---- */
        } else if (!strcmp(a, "-debug")) {
            debug = true;
        } else if (!strcmp(a, "-debug-script")) {
            NEED_ARG();
            debug_script = v;
            debug = true;
        } else if (!strcmp(a, "-gdb")) {
            NEED_ARG();
            gdb_spec = v;
        } else if (!strcmp(a, "-s")) {
            gdb_spec = "tcp::1234";
        /* ---- end debugger and gdb stub ---- */
        } else {
            die("unknown option '%s' (see x86pc -h)", argv[k]);
        }
#undef NEED_ARG
    }
    if (!cfg.kernel && cfg.initrd) {
        die("%s", "-initrd needs -kernel");
    }
    if (!cfg.kernel && cfg.append) {
        die("%s", "-append needs -kernel");
    }
    if (!cfg.serial) {
        cfg.serial = "stdio";
    }

    /* ---- debugger and gdb stub ---- */
    if (debug && gdb_spec) {
        die("%s", "-debug and -gdb exclude each other (use one debugger at a time)");
    }
    if (debug && monitor && !strcmp(monitor, "stdio")) {
        die("%s", "-debug takes stdin for its prompt: it excludes -monitor stdio");
    }
    /* ---- end debugger and gdb stub ---- */
    static Machine m;
    if (machine_init(&m, &cfg)) {
        return 1;
    }
    /* ---- display: a window unless -nographic or -display none (or no display exists) ---- */
    if (display_init(&m, !cfg.nographic && !display_none)) {
        machine_free(&m);
        return 1;
    }
    /* ---- end display ---- */
    bool stdio_serial = !strcmp(cfg.serial, "stdio");
    /* ---- monitor and snapshots ---- */
    if (loadvm) {
        char err[512];
        if (machine_loadvm(&m, loadvm, err, sizeof err)) {
            fprintf(stderr, "x86pc: %s\n", err);
            machine_free(&m);
            return 1;
        }
    }
    bool mon_explicit = monitor && !strcmp(monitor, "stdio");
    bool mon_on = mon_explicit || (!monitor && cfg.nographic && stdio_serial && !debug);
    if (start_stopped && !mon_on && !gdb_spec) {
        fprintf(stderr, "x86pc: -S needs a monitor to continue from (-monitor stdio)\n");
        machine_free(&m);
        return 1;
    }
    console_init((stdio_serial && !debug) || mon_on); /* -debug: stdin is the prompt's */
    monitor_init(&m, mon_on, stdio_serial, mon_explicit, start_stopped && !gdb_spec);
    console_poll(&m, 0); /* with -S, the monitor holds the machine here until 'cont' */
    /* ---- end monitor and snapshots ---- */
    /* ---- debugger and gdb stub ---- */
    if ((debug && debugger_init(&m, debug_script)) ||
        (gdb_spec && gdbstub_init(&m, gdb_spec, start_stopped))) {
        console_restore();
        machine_free(&m);
        return 1;
    }
    /* Ctrl-C in a headless run whose stdin nothing else reads (no -nographic serial console,
     * no monitor on stdio, no -debug, no gdb): the debugger prompt, created only then, so the
     * run goes at full speed until asked. */
    if (!debug && !gdb_spec && !mon_on && !stdio_serial && isatty(STDIN_FILENO)) {
        signal(SIGINT, lazy_debug_sigint);
        m.dbg_poll = lazy_debug_poll;
        m.dbg_opaque = &m;
    }
    /* ---- end debugger and gdb stub ---- */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int status = machine_run(&m);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    console_restore();
    if (stats) {
        double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        fprintf(stderr,
                "stats: insns=%llu ticks=%llu host_s=%.3f mips=%.1f blocks_run=%llu "
                "blocks_built=%llu eip=%04x:%08x\n",
                (unsigned long long)m.cpu.retired, (unsigned long long)m.clock.ticks, secs,
                secs > 0 ? (double)m.cpu.retired / secs / 1e6 : 0.0,
                (unsigned long long)m.cpu.blocks_run, (unsigned long long)m.cpu.blocks_built,
                m.cpu.s.seg[SEG_CS].sel, m.cpu.s.eip);
    }
    debugger_free(&m); /* ---- debugger and gdb stub ---- */
    gdbstub_free(&m);
    display_free(&m); /* ---- display ---- */
    machine_free(&m);
    return status;
}
