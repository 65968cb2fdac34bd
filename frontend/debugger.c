/* The headless debugger prompt (see debugger.h).
 *
 * The bar is Bochs' internal debugger (its command set: r, sreg, creg, dreg, x, xp, u, page,
 * info gdt/idt/ldt/tss, lb/pb/vb, watch, trace) with gdb's names accepted beside it (break,
 * stepi, next, until, info registers, x/16bx). The machine runs in machine_run(); when the CPU
 * stops for the debugger the board calls back here, and the prompt reads commands until one of
 * them resumes it. 'step' and 'next' run through the interpreter one instruction at a time
 * (the CPU's careful path), so a step retires exactly one instruction or delivers exactly one
 * interrupt; 'next' over CALL, INT and REP plants a temporary breakpoint after the instruction.
 *
 * Numbers: 0x... is hexadecimal, otherwise decimal; a register name (with or without '$') is
 * its value; terms may be joined with + and -. Addresses are linear unless the command is a
 * physical one (xp, pbreak, pwatch, pwrite) or the address is written SEG:OFF.
 */
#include "frontend/debugger.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decoder/decode.h"
#include "frontend/dbgcore.h"

typedef struct Debugger {
    DbgCore core;
    FILE *script;
    bool from_stdin_eof;
    unsigned cmdno;
} Debugger;

static volatile sig_atomic_t g_sigint;

static void on_sigint(int sig)
{
    (void)sig;
    g_sigint = 1;
}

/* ---- parsing ---- */

#define MAX_TOK 24

static int tokenize(char *line, char **tok)
{
    int n = 0;
    char *p = line;
    while (*p && n < MAX_TOK) {
        while (isspace((unsigned char)*p)) {
            p++;
        }
        if (!*p || *p == '#') {
            break;
        }
        tok[n++] = p;
        while (*p && !isspace((unsigned char)*p)) {
            p++;
        }
        if (*p) {
            *p++ = 0;
        }
    }
    return n;
}

static int parse_number(const char *s, uint32_t *v)
{
    if (!*s) {
        return -1;
    }
    char *end;
    errno = 0;
    unsigned long long x;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        if (!isxdigit((unsigned char)s[2])) {
            return -1;
        }
        x = strtoull(s + 2, &end, 16);
    } else if (isdigit((unsigned char)s[0])) {
        x = strtoull(s, &end, 10);
    } else {
        return -1;
    }
    if (errno || *end || x > 0xFFFFFFFFull) {
        return -1;
    }
    *v = (uint32_t)x;
    return 0;
}

/* a value: number, register, or terms joined by + and - */
static int parse_value(Machine *m, const char *s, uint32_t *v)
{
    char buf[128];
    if (strlen(s) >= sizeof buf || !*s) {
        return -1;
    }
    snprintf(buf, sizeof buf, "%s", s);
    uint32_t acc = 0;
    int sign = 1;
    char *p = buf;
    if (*p == '-' || *p == '+') {
        return -1;
    }
    for (;;) {
        char *q = p;
        while (*q && *q != '+' && *q != '-') {
            q++;
        }
        char op = *q;
        *q = 0;
        uint32_t t;
        if (parse_number(p, &t) && dbg_reg_get(m, p, &t)) {
            return -1;
        }
        acc += sign > 0 ? t : (uint32_t)0 - t;
        if (!op) {
            break;
        }
        sign = op == '+' ? 1 : -1;
        p = q + 1;
        if (!*p) {
            return -1;
        }
    }
    *v = acc;
    return 0;
}

/* Base of a segment named by a register or a selector value, for SEG:OFF addresses. */
static int seg_base(Machine *m, const char *seg, uint32_t *base, uint16_t *sel)
{
    static const char *const kSegs[] = {"es", "cs", "ss", "ds", "fs", "gs"};
    const char *name = seg[0] == '$' ? seg + 1 : seg;
    for (int k = 0; k < 6; k++) {
        if (!strcmp(name, kSegs[k])) {
            *base = m->cpu.s.seg[k].base;
            *sel = m->cpu.s.seg[k].sel;
            return 0;
        }
    }
    uint32_t v;
    if (parse_value(m, seg, &v) || v > 0xFFFF) {
        return -1;
    }
    *sel = (uint16_t)v;
    if (m->cpu.mode != MODE_PROT) {
        *base = v << 4;
        return 0;
    }
    /* protected mode: the descriptor from the GDT or LDT */
    const CpuState *s = &m->cpu.s;
    uint32_t tbase = (v & 4) ? s->ldtr.base : s->gdtr.base;
    uint32_t tlimit = (v & 4) ? s->ldtr.limit : s->gdtr.limit;
    uint32_t d[2];
    if ((v & ~7u) + 7 > tlimit || dbg_read_lin(m, tbase + (v & ~7u), d, 8) != 8) {
        return -1;
    }
    *base = (d[0] >> 16) | ((d[1] & 0xFF) << 16) | (d[1] & 0xFF000000u);
    return 0;
}

/* Give a bare run of hex digits (no 0x) a 0x prefix in place (the buffer holds 64 bytes). */
static void hex_default(char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 8 || (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))) {
        return;
    }
    for (size_t k = 0; k < n; k++) {
        if (!isxdigit((unsigned char)s[k])) {
            return;
        }
    }
    memmove(s + 2, s, n + 1);
    s[0] = '0';
    s[1] = 'x';
}

/* An address: "SEG:OFF" (segoff = true, linear computed) or a linear value. */
static int parse_addr(Machine *m, const char *s, uint32_t *lin, bool *segoff, uint16_t *sel,
                      uint32_t *off)
{
    const char *colon = strchr(s, ':');
    *segoff = false;
    if (*s == '*') {
        s++; /* gdb's "break *ADDR" */
    }
    if (!colon) {
        return parse_value(m, s, lin);
    }
    char seg[64], offs[64];
    size_t n = (size_t)(colon - s);
    if (n == 0 || n >= sizeof seg || strlen(colon + 1) >= sizeof offs) {
        return -1;
    }
    memcpy(seg, s, n);
    seg[n] = 0;
    /* SEG:OFF is written in hexadecimal, as it is displayed: f000:fff0 */
    hex_default(seg);
    snprintf(offs, sizeof offs, "%s", colon + 1);
    hex_default(offs);
    uint32_t base;
    if (seg_base(m, seg, &base, sel) || parse_value(m, offs, off)) {
        return -1;
    }
    *segoff = true;
    *lin = base + *off;
    return 0;
}

/* "if REG==VAL", "if REG != VAL" (the tokens after 'if', joined) */
static int parse_cond(Machine *m, char **tok, int n, DbgItem *it, FILE *out)
{
    char buf[128] = "";
    for (int k = 0; k < n; k++) {
        if (strlen(buf) + strlen(tok[k]) + 1 >= sizeof buf) {
            return -1;
        }
        strcat(buf, tok[k]);
    }
    char *op = strstr(buf, "==");
    int kind = DBG_COND_EQ;
    if (!op) {
        op = strstr(buf, "!=");
        kind = DBG_COND_NE;
    }
    if (!op) {
        fprintf(out, "error: a condition is REG==VALUE or REG!=VALUE\n");
        return -1;
    }
    *op = 0;
    int reg = dbg_cond_reg(buf);
    uint32_t v;
    if (reg < 0) {
        fprintf(out, "error: a condition names a 32-bit register, eip, eflags or a segment "
                     "register, not '%s'\n", buf);
        return -1;
    }
    if (parse_value(m, op + 2, &v)) {
        fprintf(out, "error: bad value '%s'\n", op + 2);
        return -1;
    }
    it->cond_op = (uint8_t)kind;
    it->cond_reg = (uint8_t)reg;
    it->cond_val = v;
    return 0;
}

/* ---- commands ---- */

static const char kHelp[] =
    "Execution:\n"
    "  step [N]        s, si, stepi: N instructions (into calls and interrupts)\n"
    "  next            n, p, ni: one instruction, over CALL, INT and REP\n"
    "  continue        c, cont\n"
    "  until ADDR      run to ADDR (linear or SEG:OFF)\n"
    "  quit            q: leave x86pc\n"
    "Breakpoints (numbered together with watchpoints and catchpoints):\n"
    "  break ADDR [if REG==VAL]   b: ADDR linear, or SEG:OFF (CS:EIP; seg:off in real mode)\n"
    "  lbreak LIN, pbreak PHYS, vbreak SEG:OFF   lb, pb, vb (conditions as for break)\n"
    "  watch [r|w|a] ADDR [LEN]   linear (default: write, 1 byte); rwatch, awatch\n"
    "  pwatch [r|w|a] PHYS [LEN]  physical\n"
    "  catch vector N[-M]   stop when vector N is delivered (exception or interrupt)\n"
    "  catch io PORT[-PORT] [in|out]   catch cr0 (PE/PG changes)   catch triple\n"
    "  info break      ib, blist: list them;  delete [N...] (d), disable N..., enable N...\n"
    "State:\n"
    "  regs            r, info registers: general registers and flags\n"
    "  sreg  creg  dreg  fpu      segment (with descriptor caches), control, debug, x87\n"
    "  x/NU ADDR       linear memory: U = b (byte), h (16-bit), w (32-bit); with ASCII\n"
    "  xp/NU ADDR      physical memory\n"
    "  disas [ADDR] [N]    u: disassemble in the current mode (default CS:EIP, 10)\n"
    "  where           the current instruction\n"
    "  page LIN        walk the page tables for a linear address\n"
    "  info gdt|ldt|idt [FIRST [COUNT]]   info tss\n"
    "  info pic|pit|serial|apic|ioapic    device state\n"
    "  set REG = VAL   registers: eax..edi, ax..., al..., eip, eflags, segments, cr0-4, dr0-7\n"
    "  write[/b|/h|/w] ADDR VAL...   pwrite[/b|/h|/w] PHYS VAL...   write memory (default w)\n"
    "  history [N]     the last N instructions executed (default 20)\n"
    "  trace FILE | trace off      log every instruction to FILE\n";

static int cmd_break(DbgCore *c, char **tok, int n, int kind_cmd, FILE *out)
{
    Machine *m = c->m;
    if (n < 2) {
        fprintf(out, "error: %s needs an address\n", tok[0]);
        return 0;
    }
    DbgItem it = {.type = DBGI_BREAK, .enabled = 1, .owner = DBG_OWNER_PROMPT};
    uint32_t lin, off;
    uint16_t sel;
    bool segoff;
    if (parse_addr(m, tok[1], &lin, &segoff, &sel, &off)) {
        fprintf(out, "error: bad address '%s'\n", tok[1]);
        return 0;
    }
    if (kind_cmd == 'p') {
        if (segoff) {
            fprintf(out, "error: pbreak takes a physical address\n");
            return 0;
        }
        it.kind = DBG_BP_PHYS;
        it.addr = lin;
    } else if (segoff) {
        it.kind = DBG_BP_SEGOFF;
        it.sel = sel;
        it.addr = off;
    } else if (kind_cmd == 'v') {
        fprintf(out, "error: vbreak takes SEG:OFF\n");
        return 0;
    } else {
        it.kind = DBG_BP_LIN;
        it.addr = lin;
    }
    if (n > 2) {
        if (strcmp(tok[2], "if") != 0 || n < 4) {
            fprintf(out, "error: expected 'if REG==VALUE' after the address\n");
            return 0;
        }
        if (parse_cond(m, tok + 3, n - 3, &it, out)) {
            return 0;
        }
    }
    int id = dbgcore_add(c, &it);
    if (id < 0) {
        fprintf(out, "error: too many breakpoints\n");
        return 0;
    }
    char d[160];
    DbgItem *p = dbgcore_find(c, id);
    (void)p;
    if (it.kind == DBG_BP_SEGOFF) {
        snprintf(d, sizeof d, "%04x:%08x", it.sel, it.addr);
    } else {
        snprintf(d, sizeof d, "%s 0x%08x", it.kind == DBG_BP_PHYS ? "physical" : "linear", it.addr);
    }
    fprintf(out, "breakpoint %d at %s\n", id, d);
    return 0;
}

static int cmd_watch(DbgCore *c, char **tok, int n, bool phys, unsigned rw, FILE *out)
{
    Machine *m = c->m;
    int a = 1;
    if (a < n && rw == 0) {
        if (!strcmp(tok[a], "r") || !strcmp(tok[a], "read")) {
            rw = MMU_WATCH_READ;
            a++;
        } else if (!strcmp(tok[a], "w") || !strcmp(tok[a], "write")) {
            rw = MMU_WATCH_WRITE;
            a++;
        } else if (!strcmp(tok[a], "a") || !strcmp(tok[a], "rw") || !strcmp(tok[a], "access")) {
            rw = MMU_WATCH_READ | MMU_WATCH_WRITE;
            a++;
        }
    }
    if (rw == 0) {
        rw = MMU_WATCH_WRITE;
    }
    if (a >= n) {
        fprintf(out, "error: %s needs an address\n", tok[0]);
        return 0;
    }
    uint32_t lin, off, len = 1;
    uint16_t sel;
    bool segoff;
    if (parse_addr(m, tok[a], &lin, &segoff, &sel, &off) || (phys && segoff)) {
        fprintf(out, "error: bad address '%s'\n", tok[a]);
        return 0;
    }
    if (a + 1 < n && (parse_value(m, tok[a + 1], &len) || len == 0 || len > 0x10000000u)) {
        fprintf(out, "error: bad length '%s'\n", tok[a + 1]);
        return 0;
    }
    DbgItem it = {.type = DBGI_WATCH,
                  .enabled = 1,
                  .owner = DBG_OWNER_PROMPT,
                  .kind = phys,
                  .rw = (uint8_t)rw,
                  .addr = lin,
                  .len = len};
    int id = dbgcore_add(c, &it);
    if (id < 0) {
        fprintf(out, "error: too many watchpoints (at most %d)\n", MMU_MAX_WATCH);
        return 0;
    }
    fprintf(out, "watchpoint %d: %s of %s 0x%08x, %u byte%s\n", id,
            rw == MMU_WATCH_READ ? "read" : rw == MMU_WATCH_WRITE ? "write" : "access",
            phys ? "physical" : "linear", lin, len, len == 1 ? "" : "s");
    return 0;
}

static int parse_range(Machine *m, const char *s, uint32_t *lo, uint32_t *hi)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s", s);
    char *dash = strchr(buf, '-');
    if (dash) {
        *dash = 0;
        return parse_value(m, buf, lo) || parse_value(m, dash + 1, hi) || *hi < *lo ? -1 : 0;
    }
    if (parse_value(m, buf, lo)) {
        return -1;
    }
    *hi = *lo;
    return 0;
}

static int cmd_catch(DbgCore *c, char **tok, int n, FILE *out)
{
    Machine *m = c->m;
    DbgItem it = {.enabled = 1, .owner = DBG_OWNER_PROMPT};
    if (n < 2) {
        fprintf(out, "error: catch vector N[-M] | io PORT[-PORT] [in|out] | cr0 | triple\n");
        return 0;
    }
    const char *what = tok[1];
    if (!strcmp(what, "vector") || !strcmp(what, "int") || !strcmp(what, "exception") ||
        !strcmp(what, "vec")) {
        if (n < 3 || parse_range(m, tok[2], &it.addr, &it.len) || it.len > 255) {
            fprintf(out, "error: catch vector N[-M] with vectors 0-255\n");
            return 0;
        }
        it.type = DBGI_VECTOR;
    } else if (!strcmp(what, "io") || !strcmp(what, "port")) {
        if (n < 3 || parse_range(m, tok[2], &it.addr, &it.len) || it.len > 0xFFFF) {
            fprintf(out, "error: catch io PORT[-PORT] [in|out] with ports 0-0xffff\n");
            return 0;
        }
        it.type = DBGI_IO;
        it.rw = 3;
        if (n > 3) {
            if (!strcmp(tok[3], "in")) {
                it.rw = 1;
            } else if (!strcmp(tok[3], "out")) {
                it.rw = 2;
            } else {
                fprintf(out, "error: 'in' or 'out', not '%s'\n", tok[3]);
                return 0;
            }
        }
    } else if (!strcmp(what, "cr0")) {
        it.type = DBGI_CR0;
    } else if (!strcmp(what, "triple")) {
        it.type = DBGI_TRIPLE;
    } else {
        fprintf(out, "error: catch vector|io|cr0|triple, not '%s'\n", what);
        return 0;
    }
    int id = dbgcore_add(c, &it);
    if (id < 0) {
        fprintf(out, "error: too many catchpoints\n");
        return 0;
    }
    fprintf(out, "catchpoint %d\n", id);
    return 0;
}

static void cmd_ids(DbgCore *c, char **tok, int n, int what, FILE *out)
{
    if (n == 1) {
        if (what == 'd') {
            for (int k = c->nitems - 1; k >= 0; k--) {
                if (c->items[k].owner == DBG_OWNER_PROMPT) {
                    dbgcore_delete(c, c->items[k].id);
                }
            }
            fprintf(out, "deleted all breakpoints, watchpoints and catchpoints\n");
        } else {
            for (int k = 0; k < c->nitems; k++) {
                c->items[k].enabled = what == 'e';
            }
            dbgcore_sync(c);
        }
        return;
    }
    for (int k = 1; k < n; k++) {
        uint32_t id;
        DbgItem *it;
        if (parse_number(tok[k], &id) || !(it = dbgcore_find(c, (int)id)) ||
            it->owner == DBG_OWNER_TEMP) {
            fprintf(out, "error: no breakpoint number '%s'\n", tok[k]);
            continue;
        }
        if (what == 'd') {
            dbgcore_delete(c, (int)id);
        } else {
            it->enabled = what == 'e';
            if (dbgcore_sync(c)) {
                fprintf(out, "error: too many enabled; %u stays disabled\n", id);
            }
        }
    }
}

/* "x/16bx", "xp/4w": count and unit from the suffix (format letters are accepted and ignored:
 * the dump is always hexadecimal with ASCII) */
static int parse_xfmt(const char *cmd, uint32_t *count, unsigned *unit)
{
    const char *slash = strchr(cmd, '/');
    *count = 16;
    *unit = 1;
    if (!slash) {
        return 0;
    }
    const char *p = slash + 1;
    bool have_count = false;
    if (isdigit((unsigned char)*p)) {
        char *end;
        unsigned long v = strtoul(p, &end, 10);
        if (v == 0 || v > 65536) {
            return -1;
        }
        *count = (uint32_t)v;
        have_count = true;
        p = end;
    }
    for (; *p; p++) {
        switch (*p) {
        case 'b':
            *unit = 1;
            break;
        case 'h':
            *unit = 2;
            break;
        case 'w': /* a 32-bit word, as in gdb and Bochs */
        case 'd':
            *unit = 4;
            break;
        case 'x':
        case 'u':
            break;
        default:
            return -1;
        }
    }
    if (!have_count) {
        *count = 64 / *unit > 16 ? 16 : 64 / *unit;
    }
    return 0;
}

static void dump_mem(Machine *m, uint32_t addr, bool phys, uint32_t count, unsigned unit, FILE *out)
{
    uint32_t per_line = 16 / unit;
    uint32_t total = count * unit;
    if (total > 65536) {
        total = 65536;
    }
    for (uint32_t off = 0; off < total; off += 16) {
        uint8_t b[16];
        uint32_t want = total - off < 16 ? total - off : 16;
        uint32_t got = phys ? dbg_read_phys(m, (uint64_t)addr + off, b, want)
                            : dbg_read_lin(m, addr + off, b, want);
        if (got < want) {
            if (got == 0) {
                fprintf(out, "0x%08x: not mapped%s\n", addr + off,
                        phys ? " (beyond 4 GB)" : " (no page)");
                return;
            }
            want = got;
        }
        fprintf(out, "0x%08x:", addr + off);
        for (uint32_t k = 0; k + unit <= want && k / unit < per_line; k += unit) {
            uint32_t v = 0;
            memcpy(&v, b + k, unit);
            fprintf(out, " %0*x", (int)unit * 2, v);
        }
        uint32_t shown = want / unit;
        for (uint32_t k = shown; k < per_line; k++) {
            fprintf(out, " %*s", (int)unit * 2, "");
        }
        fprintf(out, "  |");
        for (uint32_t k = 0; k < want; k++) {
            fputc(b[k] >= 0x20 && b[k] < 0x7F ? b[k] : '.', out);
        }
        fprintf(out, "|\n");
        if (got < 16 && got < total - off) {
            fprintf(out, "0x%08x: not mapped\n", addr + off + got);
            return;
        }
    }
}

static void cmd_write(DbgCore *c, char **tok, int n, bool phys, FILE *out)
{
    Machine *m = c->m;
    unsigned unit = 4;
    const char *slash = strchr(tok[0], '/');
    if (slash) {
        if (!strcmp(slash, "/b")) {
            unit = 1;
        } else if (!strcmp(slash, "/h")) {
            unit = 2;
        } else if (!strcmp(slash, "/w") || !strcmp(slash, "/d")) {
            unit = 4;
        } else {
            fprintf(out, "error: write/b, write/h (16-bit) or write/w (32-bit)\n");
            return;
        }
    }
    if (n < 3) {
        fprintf(out, "error: %s ADDR VALUE...\n", tok[0]);
        return;
    }
    uint32_t addr, off;
    uint16_t sel;
    bool segoff;
    if (parse_addr(m, tok[1], &addr, &segoff, &sel, &off) || (phys && segoff)) {
        fprintf(out, "error: bad address '%s'\n", tok[1]);
        return;
    }
    for (int k = 2; k < n; k++) {
        uint32_t v;
        if (parse_value(m, tok[k], &v)) {
            fprintf(out, "error: bad value '%s'\n", tok[k]);
            return;
        }
        uint32_t a = addr + (uint32_t)(k - 2) * unit;
        uint32_t done = phys ? dbg_write_phys(m, a, &v, unit) : dbg_write_lin(m, a, &v, unit);
        if (done != unit) {
            fprintf(out, "error: 0x%08x is not mapped\n", a);
            return;
        }
    }
    fprintf(out, "wrote %d value%s of %u byte%s at %s 0x%08x\n", n - 2, n == 3 ? "" : "s", unit,
            unit == 1 ? "" : "s", phys ? "physical" : "linear", addr);
}

static void cmd_set(DbgCore *c, char **tok, int n, FILE *out)
{
    char buf[128] = "";
    for (int k = 1; k < n; k++) {
        if (strlen(buf) + strlen(tok[k]) + 2 >= sizeof buf) {
            fprintf(out, "error: too long\n");
            return;
        }
        strcat(buf, tok[k]);
        if (k + 1 < n) {
            strcat(buf, " ");
        }
    }
    char *eq = strchr(buf, '=');
    char *name = buf, *val;
    if (eq) {
        *eq = 0;
        val = eq + 1;
    } else {
        val = strchr(buf, ' ');
        if (!val) {
            fprintf(out, "error: set REG = VALUE\n");
            return;
        }
        *val++ = 0;
    }
    /* trim */
    while (isspace((unsigned char)*name)) {
        name++;
    }
    for (char *e = name + strlen(name); e > name && isspace((unsigned char)e[-1]);) {
        *--e = 0;
    }
    while (isspace((unsigned char)*val)) {
        val++;
    }
    for (char *e = val + strlen(val); e > val && isspace((unsigned char)e[-1]);) {
        *--e = 0;
    }
    uint32_t v;
    if (parse_value(c->m, val, &v)) {
        fprintf(out, "error: bad value '%s'\n", val);
        return;
    }
    char err[160];
    uint32_t chk;
    if (dbg_reg_get(c->m, name, &chk)) {
        fprintf(out, "error: unknown register '%s'\n", name);
        return;
    }
    if (dbg_reg_set(c->m, name, v, err, sizeof err)) {
        fprintf(out, "error: %s\n", err);
        return;
    }
    dbg_reg_get(c->m, name, &chk);
    fprintf(out, "%s = 0x%08x\n", name[0] == '$' ? name + 1 : name, chk);
}

static void cmd_history(DbgCore *c, char **tok, int n, FILE *out)
{
    const CpuDebug *d = &c->m->cpu.dbg;
    uint32_t want = 20;
    if (n > 1 && (parse_number(tok[1], &want) || want == 0)) {
        fprintf(out, "error: history [N]\n");
        return;
    }
    if (!d->hist || !d->hist_size) {
        fprintf(out, "no history\n");
        return;
    }
    uint64_t have = d->hist_count < d->hist_size ? d->hist_count : d->hist_size;
    if (want > have) {
        want = (uint32_t)have;
    }
    if (want == 0) {
        fprintf(out, "no instructions executed yet\n");
        return;
    }
    for (uint32_t k = 0; k < want; k++) {
        uint32_t idx = (d->hist_pos + d->hist_size - want + k) % d->hist_size;
        const DbgHistEntry *e = &d->hist[idx];
        char text[128], hex[40] = "";
        disasm_bytes(e->bytes, e->len, e->d32, e->eip, text, sizeof text);
        for (unsigned b = 0, u = 0; b < e->len && u < sizeof hex - 3; b++) {
            u += (unsigned)snprintf(hex + u, sizeof hex - u, "%02x", e->bytes[b]);
        }
        fprintf(out, "-%-4u [0x%08x] %04x:%0*x: %-36s ; %s\n", want - k, e->lin, e->cs,
                e->d32 ? 8 : 4, e->eip, text, hex);
    }
}

static void cmd_disas(DbgCore *c, char **tok, int n, FILE *out)
{
    Machine *m = c->m;
    CpuState *s = &m->cpu.s;
    bool d32 = (s->seg[SEG_CS].attr & SEG_ATTR_DB) != 0;
    uint32_t lin = s->seg[SEG_CS].base + s->eip, eip = s->eip, count = 10;
    uint16_t cs = s->seg[SEG_CS].sel;
    if (n > 1) {
        uint32_t off;
        uint16_t sel;
        bool segoff;
        if (parse_addr(m, tok[1], &lin, &segoff, &sel, &off)) {
            fprintf(out, "error: bad address '%s'\n", tok[1]);
            return;
        }
        if (segoff) {
            cs = sel;
            eip = off;
        } else {
            eip = lin - s->seg[SEG_CS].base; /* shown relative to the current CS */
        }
    }
    if (n > 2 && (parse_value(m, tok[2], &count) || count == 0 || count > 1000)) {
        fprintf(out, "error: bad count '%s' (1-1000)\n", tok[2]);
        return;
    }
    for (uint32_t k = 0; k < count; k++) {
        uint32_t len = dbg_disasm_at(m, lin, eip, cs, d32, out);
        if (len == 0) {
            break;
        }
        lin += len;
        eip += len;
    }
}

/* For 'next': does the instruction at CS:EIP have to be stepped over? Returns its length. */
static uint32_t next_over(Machine *m)
{
    CpuState *s = &m->cpu.s;
    uint8_t bytes[16];
    uint32_t got = dbg_read_lin(m, s->seg[SEG_CS].base + s->eip, bytes, 15);
    Insn i;
    bool d32 = (s->seg[SEG_CS].attr & SEG_ATTR_DB) != 0;
    if (got == 0 || decode_insn(&i, bytes, got, d32) != DEC_OK) {
        return 0;
    }
    const char *mn = kOpTable[i.op].mnem;
    static const char *const kStr[] = {"movs", "cmps", "stos", "lods", "scas", "ins", "outs"};
    if (!strcmp(mn, "call") || !strncmp(mn, "int", 3)) {
        return i.len;
    }
    if (i.flags & (INSN_REP | INSN_REPNE)) {
        for (size_t k = 0; k < sizeof kStr / sizeof kStr[0]; k++) {
            if (!strncmp(mn, kStr[k], strlen(kStr[k]))) {
                return i.len;
            }
        }
    }
    return 0;
}

static int cmd_info(DbgCore *c, char **tok, int n, FILE *out)
{
    Machine *m = c->m;
    if (n < 2) {
        fprintf(out, "info break|registers|sreg|creg|dreg|fpu|gdt|ldt|idt|tss|pic|pit|serial|"
                     "apic|ioapic|history\n");
        return 0;
    }
    const char *w = tok[1];
    if (!strcmp(w, "break") || !strcmp(w, "b") || !strcmp(w, "breakpoints") ||
        !strcmp(w, "watch") || !strcmp(w, "watchpoints")) {
        dbgcore_list(c, out);
    } else if (!strcmp(w, "registers") || !strcmp(w, "r") || !strcmp(w, "regs") ||
               !strcmp(w, "cpu")) {
        dbg_show_regs(m, out);
    } else if (!strcmp(w, "sreg")) {
        dbg_show_sregs(m, out);
    } else if (!strcmp(w, "creg")) {
        dbg_show_cregs(m, out);
    } else if (!strcmp(w, "dreg")) {
        dbg_show_dregs(m, out);
    } else if (!strcmp(w, "fpu") || !strcmp(w, "float") || !strcmp(w, "fp")) {
        dbg_show_fpu(m, out);
    } else if (!strcmp(w, "gdt") || !strcmp(w, "ldt") || !strcmp(w, "idt")) {
        uint32_t first = 0, count = 256;
        if (n > 2 && parse_value(m, tok[2], &first)) {
            fprintf(out, "error: bad index '%s'\n", tok[2]);
            return 0;
        }
        if (n > 3 && parse_value(m, tok[3], &count)) {
            fprintf(out, "error: bad count '%s'\n", tok[3]);
            return 0;
        }
        if (n > 2 && n <= 3) {
            count = 1;
        }
        dbg_show_table(m, w[0], first, count, out);
    } else if (!strcmp(w, "tss")) {
        dbg_show_tss(m, out);
    } else if (!strcmp(w, "history")) {
        cmd_history(c, tok + 1, n - 1, out);
    } else if (!strcmp(w, "device") || !strcmp(w, "dev")) {
        if (n < 3 || dbg_show_device(m, tok[2], out)) {
            fprintf(out, "error: info device pic|pit|serial|apic|ioapic\n");
        }
    } else if (dbg_show_device(m, w, out)) {
        fprintf(out, "error: unknown 'info %s' (try 'help')\n", w);
    }
    return 0;
}

int debugger_command(DbgCore *c, const char *cmdline, FILE *out, bool allow_resume)
{
    Machine *m = c->m;
    char line[512];
    char *tok[MAX_TOK];
    snprintf(line, sizeof line, "%s", cmdline);
    line[strcspn(line, "\r\n")] = 0;
    int n = tokenize(line, tok);
    if (n == 0) {
        return 0;
    }
    char cmd[64];
    snprintf(cmd, sizeof cmd, "%s", tok[0]);
    char *slash = strchr(cmd, '/');
    if (slash) {
        *slash = 0; /* x/16bx: the command is "x" */
    }
    if (!strcmp(cmd, "help") || !strcmp(cmd, "h") || !strcmp(cmd, "?")) {
        fputs(kHelp, out);
        return 0;
    }
    /* ---- resuming ---- */
    bool is_step = !strcmp(cmd, "step") || !strcmp(cmd, "s") || !strcmp(cmd, "si") ||
                   !strcmp(cmd, "stepi");
    bool is_next = !strcmp(cmd, "next") || !strcmp(cmd, "n") || !strcmp(cmd, "p") ||
                   !strcmp(cmd, "ni") || !strcmp(cmd, "nexti");
    bool is_cont = !strcmp(cmd, "continue") || !strcmp(cmd, "c") || !strcmp(cmd, "cont");
    bool is_until = !strcmp(cmd, "until") || !strcmp(cmd, "advance") || !strcmp(cmd, "adv");
    if (is_step || is_next || is_cont || is_until) {
        if (!allow_resume) {
            fprintf(out, "error: '%s' is not available here\n", cmd);
            return 0;
        }
        if (is_step) {
            uint32_t count = 1;
            if (n > 1 && (parse_value(m, tok[1], &count) || count == 0)) {
                fprintf(out, "error: step [N] with N >= 1\n");
                return 0;
            }
            c->step_left = count;
            dbgcore_resume(c, true, false, false);
            return 1;
        }
        if (is_next) {
            uint32_t len = next_over(m);
            c->step_left = 1;
            if (len == 0) {
                dbgcore_resume(c, true, false, false);
                return 1;
            }
            dbgcore_resume(c, false, false, false);
            DbgItem it = {.type = DBGI_BREAK,
                          .enabled = 1,
                          .owner = DBG_OWNER_TEMP,
                          .kind = DBG_BP_LIN,
                          .addr = m->cpu.s.seg[SEG_CS].base + m->cpu.s.eip + len};
            if (dbgcore_add(c, &it) < 0) {
                fprintf(out, "error: too many breakpoints for 'next'\n");
                return 0;
            }
            return 1;
        }
        if (is_until) {
            uint32_t lin, off;
            uint16_t sel;
            bool segoff;
            if (n < 2 || parse_addr(m, tok[1], &lin, &segoff, &sel, &off)) {
                fprintf(out, "error: until ADDR (linear or SEG:OFF)\n");
                return 0;
            }
            dbgcore_resume(c, false, false, false);
            DbgItem it = {.type = DBGI_BREAK,
                          .enabled = 1,
                          .owner = DBG_OWNER_TEMP,
                          .kind = segoff ? DBG_BP_SEGOFF : DBG_BP_LIN,
                          .sel = sel,
                          .addr = segoff ? off : lin};
            if (dbgcore_add(c, &it) < 0) {
                fprintf(out, "error: too many breakpoints for 'until'\n");
                return 0;
            }
            c->step_left = 0;
            return 1;
        }
        c->step_left = 0;
        dbgcore_resume(c, false, false, false);
        return 1;
    }
    if (!strcmp(cmd, "quit") || !strcmp(cmd, "q") || !strcmp(cmd, "exit")) {
        if (!allow_resume) {
            fprintf(out, "error: 'quit' is not available here\n");
            return 0;
        }
        return 2;
    }
    /* ---- breakpoints ---- */
    if (!strcmp(cmd, "break") || !strcmp(cmd, "b") || !strcmp(cmd, "bp")) {
        return cmd_break(c, tok, n, 'b', out);
    }
    if (!strcmp(cmd, "lbreak") || !strcmp(cmd, "lb")) {
        return cmd_break(c, tok, n, 'l', out);
    }
    if (!strcmp(cmd, "pbreak") || !strcmp(cmd, "pb")) {
        return cmd_break(c, tok, n, 'p', out);
    }
    if (!strcmp(cmd, "vbreak") || !strcmp(cmd, "vb")) {
        return cmd_break(c, tok, n, 'v', out);
    }
    if (!strcmp(cmd, "watch")) {
        return cmd_watch(c, tok, n, false, 0, out);
    }
    if (!strcmp(cmd, "rwatch")) {
        return cmd_watch(c, tok, n, false, MMU_WATCH_READ, out);
    }
    if (!strcmp(cmd, "awatch")) {
        return cmd_watch(c, tok, n, false, MMU_WATCH_READ | MMU_WATCH_WRITE, out);
    }
    if (!strcmp(cmd, "pwatch")) {
        return cmd_watch(c, tok, n, true, 0, out);
    }
    if (!strcmp(cmd, "catch")) {
        return cmd_catch(c, tok, n, out);
    }
    if (!strcmp(cmd, "delete") || !strcmp(cmd, "d") || !strcmp(cmd, "del")) {
        cmd_ids(c, tok, n, 'd', out);
        return 0;
    }
    if (!strcmp(cmd, "disable")) {
        cmd_ids(c, tok, n, 'x', out);
        return 0;
    }
    if (!strcmp(cmd, "enable")) {
        cmd_ids(c, tok, n, 'e', out);
        return 0;
    }
    if (!strcmp(cmd, "blist") || !strcmp(cmd, "ib")) {
        dbgcore_list(c, out);
        return 0;
    }
    if (!strcmp(cmd, "info") || !strcmp(cmd, "i")) {
        return cmd_info(c, tok, n, out);
    }
    /* ---- state ---- */
    if (!strcmp(cmd, "regs") || !strcmp(cmd, "r") || !strcmp(cmd, "reg") ||
        !strcmp(cmd, "registers")) {
        dbg_show_regs(m, out);
        return 0;
    }
    if (!strcmp(cmd, "sreg")) {
        dbg_show_sregs(m, out);
        return 0;
    }
    if (!strcmp(cmd, "creg")) {
        dbg_show_cregs(m, out);
        return 0;
    }
    if (!strcmp(cmd, "dreg")) {
        dbg_show_dregs(m, out);
        return 0;
    }
    if (!strcmp(cmd, "fpu") || !strcmp(cmd, "fp")) {
        dbg_show_fpu(m, out);
        return 0;
    }
    if (!strcmp(cmd, "x") || !strcmp(cmd, "xp")) {
        uint32_t count;
        unsigned unit;
        if (parse_xfmt(tok[0], &count, &unit)) {
            fprintf(out, "error: bad format '%s' (x/NU with U = b, h, w)\n", tok[0]);
            return 0;
        }
        if (n < 2) {
            fprintf(out, "error: %s ADDR\n", tok[0]);
            return 0;
        }
        uint32_t addr, off;
        uint16_t sel;
        bool segoff;
        bool phys = cmd[1] == 'p';
        if (parse_addr(m, tok[1], &addr, &segoff, &sel, &off) || (phys && segoff)) {
            fprintf(out, "error: bad address '%s'\n", tok[1]);
            return 0;
        }
        dump_mem(m, addr, phys, count, unit, out);
        return 0;
    }
    if (!strcmp(cmd, "disas") || !strcmp(cmd, "u") || !strcmp(cmd, "disasm") ||
        !strcmp(cmd, "disassemble")) {
        cmd_disas(c, tok, n, out);
        return 0;
    }
    if (!strcmp(cmd, "where") || !strcmp(cmd, "pc")) {
        dbg_show_where(m, out);
        return 0;
    }
    if (!strcmp(cmd, "page")) {
        uint32_t lin, off;
        uint16_t sel;
        bool segoff;
        if (n < 2 || parse_addr(m, tok[1], &lin, &segoff, &sel, &off)) {
            fprintf(out, "error: page LINEAR-ADDRESS\n");
            return 0;
        }
        dbg_page_walk(m, lin, out);
        return 0;
    }
    if (!strcmp(cmd, "gdt") || !strcmp(cmd, "ldt") || !strcmp(cmd, "idt") || !strcmp(cmd, "tss")) {
        char *t2[MAX_TOK + 1];
        t2[0] = "info";
        for (int k = 0; k < n && k < MAX_TOK; k++) {
            t2[k + 1] = tok[k];
        }
        return cmd_info(c, t2, n + 1 > MAX_TOK ? MAX_TOK : n + 1, out);
    }
    if (!strcmp(cmd, "dev") || !strcmp(cmd, "device")) {
        if (n < 2 || dbg_show_device(m, tok[1], out)) {
            fprintf(out, "error: device pic|pit|serial|apic|ioapic\n");
        }
        return 0;
    }
    if (!strcmp(cmd, "set")) {
        cmd_set(c, tok, n, out);
        return 0;
    }
    if (!strcmp(cmd, "write") || !strcmp(cmd, "pwrite")) {
        cmd_write(c, tok, n, cmd[0] == 'p', out);
        return 0;
    }
    if (!strcmp(cmd, "history") || !strcmp(cmd, "hist") || !strcmp(cmd, "last")) {
        cmd_history(c, tok, n, out);
        return 0;
    }
    if (!strcmp(cmd, "trace")) {
        if (n < 2) {
            fprintf(out, "error: trace FILE | trace off\n");
        } else if (!strcmp(tok[1], "off")) {
            dbgcore_set_trace(c, NULL);
            fprintf(out, "trace off\n");
        } else if (!dbgcore_set_trace(c, tok[1])) {
            fprintf(out, "error: cannot open '%s': %s\n", tok[1], strerror(errno));
        } else {
            fprintf(out, "tracing every instruction to %s\n", tok[1]);
        }
        return 0;
    }
    fprintf(out, "error: unknown command '%s' (try 'help')\n", tok[0]);
    return 0;
}

/* ---- the prompt ---- */

/* One command line from the script, then stdin; NULL at the end of both. */
static char *read_line(Debugger *d, char *buf, size_t n)
{
    if (d->script) {
        if (fgets(buf, (int)n, d->script)) {
            printf("(x86pc) %s", buf);
            if (!strchr(buf, '\n')) {
                putchar('\n');
            }
            return buf;
        }
        fclose(d->script);
        d->script = NULL;
    }
    if (d->from_stdin_eof) {
        return NULL;
    }
    printf("(x86pc) ");
    fflush(stdout);
    for (;;) {
        errno = 0;
        if (fgets(buf, (int)n, stdin)) {
            return buf;
        }
        if (errno == EINTR && !feof(stdin)) {
            clearerr(stdin);
            g_sigint = 0; /* Ctrl-C at the prompt does nothing */
            continue;
        }
        break;
    }
    d->from_stdin_eof = true;
    putchar('\n');
    return NULL;
}

static void on_stopped(void *opaque)
{
    Debugger *d = opaque;
    DbgCore *c = &d->core;
    Machine *m = c->m;
    Cpu *cpu = &m->cpu;
    int kind = cpu->dbg.hit.kind;
    if (kind == DBG_HIT_STEP && c->step_left > 1) {
        c->step_left--;
        dbgcore_resume(c, true, false, false);
        return;
    }
    c->step_left = 0;
    g_sigint = 0;
    char why[256];
    dbgcore_describe_stop(c, why, sizeof why);
    if (kind != DBG_HIT_STEP) {
        printf("Stopped: %s\n", kind == DBG_HIT_USER ? (cpu->retired == 0 && m->clock.ticks == 0
                                                             ? "before the first instruction"
                                                             : "interrupted")
                                                     : why);
    }
    if (kind == DBG_HIT_TRIPLE) {
        dbg_show_regs(m, stdout);
        dbg_show_sregs(m, stdout);
        dbg_show_cregs(m, stdout);
    }
    dbg_show_where(m, stdout);
    fflush(stdout);
    char line[512];
    for (;;) {
        if (!read_line(d, line, sizeof line)) {
            printf("end of commands: quitting\n");
            m->quit = true;
            break;
        }
        int r = debugger_command(c, line, stdout, true);
        fflush(stdout);
        if (r == 1) {
            break;
        }
        if (r == 2) {
            m->quit = true;
            break;
        }
    }
    fflush(stdout);
}

static void on_poll(void *opaque)
{
    Debugger *d = opaque;
    if (g_sigint) {
        g_sigint = 0;
        cpu_dbg_request_stop(&d->core.m->cpu, DBG_HIT_USER);
    }
}

int debugger_init(Machine *m, const char *script)
{
    Debugger *d = calloc(1, sizeof *d);
    if (!d) {
        fprintf(stderr, "x86pc: out of memory\n");
        return -1;
    }
    if (script) {
        d->script = fopen(script, "r");
        if (!d->script) {
            fprintf(stderr, "x86pc: cannot open debugger script '%s': %s\n", script,
                    strerror(errno));
            free(d);
            return -1;
        }
    }
    dbgcore_init(&d->core, m);
    m->dbg_stopped = on_stopped;
    m->dbg_poll = on_poll;
    m->dbg_opaque = d;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL); /* no SA_RESTART: Ctrl-C interrupts a prompt read */
    if (!script && isatty(0)) {
        printf("x86pc debugger: 'help' lists the commands, Ctrl-C stops the running machine\n");
    }
    cpu_dbg_request_stop(&m->cpu, DBG_HIT_USER); /* before the first instruction */
    return 0;
}

void debugger_free(Machine *m)
{
    Debugger *d = m->dbg_opaque;
    if (!d || m->dbg_stopped != on_stopped) {
        return;
    }
    signal(SIGINT, SIG_DFL);
    if (d->script) {
        fclose(d->script);
    }
    dbgcore_free(&d->core);
    m->dbg_stopped = NULL;
    m->dbg_poll = NULL;
    m->dbg_opaque = NULL;
    free(d);
}
