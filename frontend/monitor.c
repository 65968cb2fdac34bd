/* The human monitor (see monitor.h). Command names and the register dump follow QEMU's human
 * monitor (HMP), so habits carry over; savevm and loadvm take a file name where QEMU takes a tag
 * inside a disk image. Its line buffer is host terminal state, like the console's, not machine
 * state, which is why it is the only file-level state here.
 */
#include "frontend/monitor.h"

#include <ctype.h>
#include <string.h>
#include <unistd.h>

#include "frontend/display.h" /* ---- display: screendump ---- */
#include "frontend/machine.h"
#include "frontend/vmsnap.h"

#define PROMPT "(x86pc) "

static struct {
    bool enabled, mux, focus, stopped, tty;
    char line[1024];
    size_t len;
    bool overflow;
} g_mon;

static void prompt(void)
{
    fputs(PROMPT, stdout);
    fflush(stdout);
}

void monitor_init(Machine *m, bool enabled, bool mux, bool focus, bool stopped)
{
    (void)m;
    memset(&g_mon, 0, sizeof g_mon);
    g_mon.enabled = enabled;
    g_mon.mux = enabled && mux;
    g_mon.focus = enabled && (focus || !mux);
    g_mon.stopped = enabled && stopped;
    g_mon.tty = isatty(STDIN_FILENO);
    if (g_mon.focus) {
        printf("x86pc monitor - type 'help' for more information%s\n",
               g_mon.mux ? " (Ctrl-A c: serial console)" : "");
        prompt();
    }
}

bool monitor_enabled(void)
{
    return g_mon.enabled;
}

bool monitor_mux(void)
{
    return g_mon.mux;
}

bool monitor_focused(void)
{
    return g_mon.focus;
}

bool monitor_stopped(void)
{
    return g_mon.stopped;
}

void monitor_toggle(Machine *m)
{
    (void)m;
    if (!g_mon.mux) {
        return;
    }
    g_mon.focus = !g_mon.focus;
    if (g_mon.focus) {
        fputs("\n", stdout);
        prompt();
    } else {
        fputs("\n", stdout);
        fflush(stdout);
    }
}

void monitor_stdin_closed(Machine *m)
{
    if (g_mon.stopped && !m->quit) {
        fprintf(stderr, "x86pc: monitor input closed while the machine is stopped; quitting\n");
        m->quit = true;
        m->exit_status = 0;
    }
}

/* ---- commands ---- */

static void seg_line(FILE *out, const char *name, const SegReg *s)
{
    fprintf(out, "%-3s=%04x %08x %08x %08x\n", name, s->sel, s->base, s->limit,
            (uint32_t)s->attr << 8);
}

static void info_registers(Machine *m, FILE *out)
{
    Cpu *cpu = &m->cpu;
    /* materialising the lazy flags must not change the state (a later savevm would differ) */
    CpuState saved = cpu->s;
    uint32_t fl = cpu_get_eflags(cpu);
    cpu->s = saved;
    const CpuState *s = &cpu->s;
    static const char kFlagNames[] = "ODITSZ-A-P-C";
    char flags[13];
    for (int k = 0; k < 12; k++) {
        uint32_t bit = 1u << (11 - k);
        flags[k] = (kFlagNames[k] != '-' && (fl & bit)) ? kFlagNames[k] : '-';
    }
    flags[12] = 0;
    fprintf(out, "EAX=%08x EBX=%08x ECX=%08x EDX=%08x\n", s->regs[R_EAX], s->regs[R_EBX],
            s->regs[R_ECX], s->regs[R_EDX]);
    fprintf(out, "ESI=%08x EDI=%08x EBP=%08x ESP=%08x\n", s->regs[R_ESI], s->regs[R_EDI],
            s->regs[R_EBP], s->regs[R_ESP]);
    fprintf(out, "EIP=%08x EFL=%08x [%s] CPL=%u II=%u A20=%d HLT=%u\n", s->eip, fl, flags,
            s->cpl, s->inhibit_irq ? 1u : 0u, bus_a20(&m->bus) ? 1 : 0, s->halted);
    static const char *const kSegNames[6] = {"ES", "CS", "SS", "DS", "FS", "GS"};
    for (int r = 0; r < 6; r++) {
        seg_line(out, kSegNames[r], &s->seg[r]);
    }
    seg_line(out, "LDT", &s->ldtr);
    seg_line(out, "TR", &s->tr);
    fprintf(out, "GDT=     %08x %08x\n", s->gdtr.base, s->gdtr.limit);
    fprintf(out, "IDT=     %08x %08x\n", s->idtr.base, s->idtr.limit);
    fprintf(out, "CR0=%08x CR2=%08x CR3=%08x CR4=%08x\n", s->cr0, s->cr2, s->cr3, s->cr4);
    fprintf(out, "DR0=%08x DR1=%08x DR2=%08x DR3=%08x\n", s->dr[0], s->dr[1], s->dr[2],
            s->dr[3]);
    fprintf(out, "DR6=%08x DR7=%08x\n", s->dr[6], s->dr[7]);
    fprintf(out, "FCW=%04x FSW=%04x [ST=%u] FTW=%04x MXCSR=%08x\n", s->fpu.cw,
            (s->fpu.sw & ~0x3800u) | ((unsigned)(s->fpu.top & 7) << 11), s->fpu.top & 7,
            s->fpu.tw, s->mxcsr);
    fprintf(out, "icount=%llu ticks=%llu\n", (unsigned long long)cpu->retired,
            (unsigned long long)m->clock.ticks);
}

static void help(FILE *out)
{
    fputs("help|?                 list the commands\n"
          "info registers         the CPU's registers\n"
          "info status            running or paused\n"
          "savevm FILE            save the whole machine to FILE\n"
          "loadvm FILE            restore the machine from FILE (saved by savevm)\n"
          "screendump FILE        save the screen as a PNG picture\n" /* ---- display ---- */
          "stop                   pause the guest\n"
          "cont|c                 resume the guest\n"
          "system_reset           reset the machine\n"
          "quit|q                 quit x86pc\n",
          out);
    if (g_mon.mux) {
        fputs("(Ctrl-A c switches between this monitor and the serial console)\n", out);
    }
}

/* Split "cmd rest": the command word, and the argument with surrounding blanks removed. */
static void split(const char *line, char *cmd, size_t clen, char *arg, size_t alen)
{
    while (isspace((unsigned char)*line)) {
        line++;
    }
    size_t k = 0;
    while (*line && !isspace((unsigned char)*line)) {
        if (k + 1 < clen) {
            cmd[k++] = *line;
        }
        line++;
    }
    cmd[k] = 0;
    while (isspace((unsigned char)*line)) {
        line++;
    }
    size_t n = strlen(line);
    while (n > 0 && isspace((unsigned char)line[n - 1])) {
        n--;
    }
    if (n >= alen) {
        n = alen - 1;
    }
    memcpy(arg, line, n);
    arg[n] = 0;
}

int monitor_command(Machine *m, const char *line, FILE *out)
{
    char cmd[64], arg[1024], err[512];
    split(line, cmd, sizeof cmd, arg, sizeof arg);
    if (!cmd[0]) {
        return 0;
    }
    if (!strcmp(cmd, "help") || !strcmp(cmd, "?")) {
        help(out);
    } else if (!strcmp(cmd, "info")) {
        if (!strcmp(arg, "registers")) {
            info_registers(m, out);
        } else if (!strcmp(arg, "status")) {
            fprintf(out, "VM status: %s\n", g_mon.stopped ? "paused" : "running");
        } else {
            fprintf(out, "info: unknown item '%s' (registers, status)\n", arg);
            return -1;
        }
    } else if (!strcmp(cmd, "savevm") || !strcmp(cmd, "loadvm")) {
        bool save = cmd[0] == 's';
        if (!arg[0]) {
            fprintf(out, "%s: missing file name\n", cmd);
            return -1;
        }
        int rc = save ? machine_savevm(m, arg, err, sizeof err)
                      : machine_loadvm(m, arg, err, sizeof err);
        if (rc) {
            fprintf(out, "%s: %s\n", cmd, err);
            return -1;
        }
    /* ---- display (frontend/display.c) ---- */
    } else if (!strcmp(cmd, "screendump")) {
        if (!arg[0]) {
            fprintf(out, "screendump: missing file name\n");
            return -1;
        }
        if (display_screendump(m, arg, err, sizeof err)) {
            fprintf(out, "screendump: %s\n", err);
            return -1;
        }
    /* ---- end display ---- */
    } else if (!strcmp(cmd, "stop")) {
        g_mon.stopped = true;
    } else if (!strcmp(cmd, "cont") || !strcmp(cmd, "c")) {
        g_mon.stopped = false;
    } else if (!strcmp(cmd, "system_reset")) {
        machine_reset(m);
    } else if (!strcmp(cmd, "quit") || !strcmp(cmd, "q")) {
        m->quit = true;
        m->exit_status = 0;
    } else {
        fprintf(out, "unknown command: '%s' (help lists the commands)\n", cmd);
        return -1;
    }
    return 0;
}

/* ---- line input ---- */

static void run_line(Machine *m)
{
    g_mon.line[g_mon.len] = 0;
    if (g_mon.overflow) {
        fputs("command line too long\n", stdout);
    } else {
        monitor_command(m, g_mon.line, stdout);
    }
    g_mon.len = 0;
    g_mon.overflow = false;
    if (!m->quit && g_mon.focus) {
        prompt();
    }
    fflush(stdout);
}

void monitor_input(Machine *m, unsigned char c)
{
    if (c == '\n' || (c == '\r' && g_mon.tty)) {
        if (g_mon.tty) {
            fputs("\n", stdout);
        }
        run_line(m);
        return;
    }
    if (c == '\r') {
        return; /* CR LF from a pipe */
    }
    if (g_mon.tty && (c == 0x7F || c == 0x08)) {
        if (g_mon.len > 0) {
            g_mon.len--;
            fputs("\b \b", stdout);
            fflush(stdout);
        }
        return;
    }
    if (c == '\t') {
        c = ' ';
    }
    if (c < 0x20) {
        return;
    }
    if (g_mon.len + 1 >= sizeof g_mon.line) {
        g_mon.overflow = true;
        return;
    }
    g_mon.line[g_mon.len++] = (char)c;
    if (g_mon.tty) {
        fputc(c, stdout);
        fflush(stdout);
    }
}
