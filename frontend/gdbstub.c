/* The gdb remote stub: GDB's Remote Serial Protocol (the gdb manual, appendix E "GDB Remote
 * Serial Protocol") over TCP, following the conventions of QEMU's stub so that people's gdb
 * habits carry over:
 * - one thread; addresses in m/M/X/Z packets are linear (CS base + EIP for code, as gdb's pc is
 *   EIP: in real mode gdb's "$pc" is the offset, and breakpoints are given as linear
 *   addresses); memory goes through the guest's paging without side effects;
 * - Qqemu.PhyMemMode:1 makes m/M/X physical; qqemu.sstep / Qqemu.sstep=N choose whether single
 *   steps hold interrupts (NOIRQ, 2) and timers (NOTIMER, 4), both held by default (ENABLE, 1);
 * - the target description (qXfer:features:read:target.xml) is the i386 core feature: general
 *   registers, eip, eflags, the six segment selectors and the x87 registers (this CPU model has
 *   no SSE);
 * - Z0/Z1 breakpoints are debugger breakpoints (no guest memory is patched), Z2/Z3/Z4 are write,
 *   read and access watchpoints; any byte received while the machine runs stops it (^C = 0x03
 *   gives SIGINT), D detaches (the machine runs on, the stub listens again), k quits.
 * Nothing a client sends may crash x86pc: every packet is length-checked, every number parsed
 * with overflow checks, and an unknown packet gets the empty reply.
 */
#include "frontend/gdbstub.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "frontend/dbgcore.h"
#include "frontend/debugger.h"

#define PKT_MAX 0x4000   /* our PacketSize: the largest packet we accept, without framing */
#define INBUF_MAX 0x10000

enum { RX_IDLE, RX_DATA, RX_CK1, RX_CK2 };
#define SSTEP_ENABLE 1u
#define SSTEP_NOIRQ 2u
#define SSTEP_NOTIMER 4u

typedef struct GdbStub {
    DbgCore core;
    int listen_fd, fd;
    bool noack;
    bool waiting_stop; /* gdb resumed the machine and waits for a stop reply */
    bool phys_mode;
    bool wait_first;   /* -S: wait for a connection before the first instruction */
    bool quit;
    unsigned sstep;
    int last_sig;
    /* received bytes not yet parsed */
    uint8_t in[INBUF_MAX];
    size_t in_len, in_pos;
    /* packet parser */
    int rx;
    bool rx_overflow;
    uint8_t rx_sum, rx_ck;
    size_t pkt_len;
    char pkt[PKT_MAX + 1];
    char out[2 * PKT_MAX + 64];
} GdbStub;

/* ---- the i386 target description (gdb manual, "i386 Features") ---- */

static const char kTargetXml[] =
    "<?xml version=\"1.0\"?>\n"
    "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
    "<target version=\"1.0\">\n"
    "<architecture>i386</architecture>\n"
    "<feature name=\"org.gnu.gdb.i386.core\">\n"
    "<flags id=\"i386_eflags\" size=\"4\">\n"
    "<field name=\"CF\" start=\"0\" end=\"0\"/><field name=\"\" start=\"1\" end=\"1\"/>\n"
    "<field name=\"PF\" start=\"2\" end=\"2\"/><field name=\"AF\" start=\"4\" end=\"4\"/>\n"
    "<field name=\"ZF\" start=\"6\" end=\"6\"/><field name=\"SF\" start=\"7\" end=\"7\"/>\n"
    "<field name=\"TF\" start=\"8\" end=\"8\"/><field name=\"IF\" start=\"9\" end=\"9\"/>\n"
    "<field name=\"DF\" start=\"10\" end=\"10\"/><field name=\"OF\" start=\"11\" end=\"11\"/>\n"
    "<field name=\"NT\" start=\"14\" end=\"14\"/><field name=\"RF\" start=\"16\" end=\"16\"/>\n"
    "<field name=\"VM\" start=\"17\" end=\"17\"/><field name=\"AC\" start=\"18\" end=\"18\"/>\n"
    "<field name=\"VIF\" start=\"19\" end=\"19\"/><field name=\"VIP\" start=\"20\" end=\"20\"/>\n"
    "<field name=\"ID\" start=\"21\" end=\"21\"/>\n"
    "</flags>\n"
    "<reg name=\"eax\" bitsize=\"32\" type=\"int32\" regnum=\"0\"/>\n"
    "<reg name=\"ecx\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"edx\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"ebx\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"esp\" bitsize=\"32\" type=\"data_ptr\"/>\n"
    "<reg name=\"ebp\" bitsize=\"32\" type=\"data_ptr\"/>\n"
    "<reg name=\"esi\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"edi\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"eip\" bitsize=\"32\" type=\"code_ptr\"/>\n"
    "<reg name=\"eflags\" bitsize=\"32\" type=\"i386_eflags\"/>\n"
    "<reg name=\"cs\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"ss\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"ds\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"es\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"fs\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"gs\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"st0\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st1\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st2\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st3\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st4\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st5\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st6\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st7\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"fctrl\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"fstat\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"ftag\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"fiseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"fioff\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"foseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"fooff\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"fop\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "</feature>\n"
    "</target>\n";

#define NREGS 32
static const uint8_t kRegSize[NREGS] = {4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
                                        10, 10, 10, 10, 10, 10, 10, 10,
                                        4, 4, 4, 4, 4, 4, 4, 4};
static const uint8_t kGdbSeg[6] = {SEG_CS, SEG_SS, SEG_DS, SEG_ES, SEG_FS, SEG_GS};

/* ---- registers ---- */

static unsigned reg_read(Machine *m, int n, uint8_t *buf)
{
    Cpu *cpu = &m->cpu;
    CpuState *s = &cpu->s;
    uint32_t v = 0;
    if (n < 8) {
        v = s->regs[n];
    } else if (n == 8) {
        v = s->eip;
    } else if (n == 9) {
        v = cpu_get_eflags(cpu);
    } else if (n < 16) {
        v = s->seg[kGdbSeg[n - 10]].sel;
    } else if (n < 24) {
        const Float80 *f = &s->fpu.st[(s->fpu.top + (n - 16)) & 7];
        memcpy(buf, &f->mant, 8);
        memcpy(buf + 8, &f->sexp, 2);
        return 10;
    } else {
        const FpuState *f = &s->fpu;
        switch (n) {
        case 24:
            v = f->cw;
            break;
        case 25:
            v = (f->sw & ~0x3800u) | ((f->top & 7u) << 11);
            break;
        case 26:
            v = f->tw;
            break;
        case 27:
            v = f->fcs;
            break;
        case 28:
            v = f->fip;
            break;
        case 29:
            v = f->fds;
            break;
        case 30:
            v = f->fdp;
            break;
        default:
            v = f->fop;
            break;
        }
    }
    memcpy(buf, &v, 4);
    return 4;
}

static int reg_write(Machine *m, int n, const uint8_t *buf)
{
    Cpu *cpu = &m->cpu;
    CpuState *s = &cpu->s;
    uint32_t v;
    memcpy(&v, buf, 4);
    if (n < 8) {
        s->regs[n] = v;
    } else if (n == 8) {
        s->eip = v;
    } else if (n == 9) {
        char err[128];
        return dbg_reg_set(m, "eflags", v, err, sizeof err);
    } else if (n < 16) {
        static const char *const kNames[] = {"cs", "ss", "ds", "es", "fs", "gs"};
        char err[160];
        if ((v & 0xFFFF) == s->seg[kGdbSeg[n - 10]].sel) {
            return 0; /* gdb's G packet writes every register back */
        }
        return dbg_reg_set(m, kNames[n - 10], v & 0xFFFF, err, sizeof err);
    } else if (n < 24) {
        Float80 *f = &s->fpu.st[(s->fpu.top + (n - 16)) & 7];
        memcpy(&f->mant, buf, 8);
        memcpy(&f->sexp, buf + 8, 2);
    } else {
        FpuState *f = &s->fpu;
        switch (n) {
        case 24:
            f->cw = (uint16_t)v;
            break;
        case 25:
            f->sw = (uint16_t)(v & ~0x3800u);
            f->top = (uint8_t)((v >> 11) & 7);
            break;
        case 26:
            f->tw = (uint16_t)v;
            break;
        case 27:
            f->fcs = (uint16_t)v;
            break;
        case 28:
            f->fip = v;
            break;
        case 29:
            f->fds = (uint16_t)v;
            break;
        case 30:
            f->fdp = v;
            break;
        default:
            f->fop = (uint16_t)(v & 0x7FF);
            break;
        }
    }
    return 0;
}

/* ---- hex ---- */

static int hexval(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Parse a hex number at *p (at least one digit, at most 64 bits); advances *p. */
static int parse_hex(const char **p, const char *end, uint64_t *v)
{
    uint64_t x = 0;
    int digits = 0;
    while (*p < end && hexval((unsigned char)**p) >= 0) {
        if (x >> 60) {
            return -1;
        }
        x = (x << 4) | (uint64_t)hexval((unsigned char)**p);
        (*p)++;
        digits++;
    }
    if (!digits) {
        return -1;
    }
    *v = x;
    return 0;
}

static int expect(const char **p, const char *end, char c)
{
    if (*p >= end || **p != c) {
        return -1;
    }
    (*p)++;
    return 0;
}

static int hex_to_bytes(const char *p, const char *end, uint8_t *buf, size_t n)
{
    if ((size_t)(end - p) != 2 * n) {
        return -1;
    }
    for (size_t k = 0; k < n; k++) {
        int hi = hexval((unsigned char)p[2 * k]), lo = hexval((unsigned char)p[2 * k + 1]);
        if (hi < 0 || lo < 0) {
            return -1;
        }
        buf[k] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

static size_t bytes_to_hex(const uint8_t *buf, size_t n, char *out)
{
    static const char kHex[] = "0123456789abcdef";
    for (size_t k = 0; k < n; k++) {
        out[2 * k] = kHex[buf[k] >> 4];
        out[2 * k + 1] = kHex[buf[k] & 15];
    }
    out[2 * n] = 0;
    return 2 * n;
}

/* ---- connection ---- */

static void close_client(GdbStub *g)
{
    if (g->fd >= 0) {
        close(g->fd);
        g->fd = -1;
    }
    g->in_len = g->in_pos = 0;
    g->rx = RX_IDLE;
    g->noack = false;
    g->waiting_stop = false;
    g->phys_mode = false;
    g->sstep = SSTEP_ENABLE | SSTEP_NOIRQ | SSTEP_NOTIMER;
    /* the machine runs on without gdb: its breakpoints go, a triple fault resets again */
    dbgcore_delete_owner(&g->core, DBG_OWNER_GDB);
    dbgcore_delete_owner(&g->core, DBG_OWNER_PROMPT); /* those set with 'monitor' */
    g->core.stop_triple = false;
    dbgcore_sync(&g->core);
}

static void send_all(GdbStub *g, const void *data, size_t n)
{
    const uint8_t *p = data;
    while (n > 0 && g->fd >= 0) {
        ssize_t w = send(g->fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd pfd = {g->fd, POLLOUT, 0};
            if (poll(&pfd, 1, 5000) <= 0) {
                close_client(g); /* a client that does not read for 5 s is gone */
                return;
            }
            continue;
        }
        if (w <= 0) {
            close_client(g);
            return;
        }
        p += w;
        n -= (size_t)w;
    }
}

/* Send a packet; RLE is not used. The data must not contain $, # or } unescaped: replies here
 * are hex or plain text except qXfer data, which is escaped by the caller. */
static void send_packet(GdbStub *g, const char *data, size_t n)
{
    char frame[sizeof g->out + 8];
    if (n > sizeof g->out) {
        n = sizeof g->out;
    }
    uint8_t sum = 0;
    frame[0] = '$';
    memcpy(frame + 1, data, n);
    for (size_t k = 0; k < n; k++) {
        sum = (uint8_t)(sum + (uint8_t)data[k]);
    }
    snprintf(frame + 1 + n, 4, "#%02x", sum);
    send_all(g, frame, n + 4);
}

static void send_str(GdbStub *g, const char *s)
{
    send_packet(g, s, strlen(s));
}

static bool accept_client(GdbStub *g, int timeout_ms)
{
    struct pollfd pfd = {g->listen_fd, POLLIN, 0};
    if (poll(&pfd, 1, timeout_ms) <= 0) {
        return false;
    }
    int fd = accept(g->listen_fd, NULL, NULL);
    if (fd < 0) {
        return false;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    g->fd = fd;
    g->in_len = g->in_pos = 0;
    g->rx = RX_IDLE;
    g->last_sig = 5;
    g->core.stop_triple = true;
    dbgcore_sync(&g->core);
    return true;
}

/* Read what is there (or wait up to timeout_ms) into the input buffer. Returns false when the
 * connection closed. */
static bool fill_input(GdbStub *g, int timeout_ms)
{
    if (g->in_pos == g->in_len) {
        g->in_pos = g->in_len = 0;
    }
    if (g->in_len == sizeof g->in) {
        return true; /* full: parse first */
    }
    struct pollfd pfd = {g->fd, POLLIN, 0};
    int r = poll(&pfd, 1, timeout_ms);
    if (r <= 0) {
        return true;
    }
    ssize_t n = recv(g->fd, g->in + g->in_len, sizeof g->in - g->in_len, 0);
    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
        return false;
    }
    if (n > 0) {
        g->in_len += (size_t)n;
    }
    return true;
}

/* Feed buffered bytes to the parser until a packet completes (returns 1), ^C is seen
 * (returns 2), or the buffer is empty (returns 0). */
static int parse_input(GdbStub *g)
{
    while (g->in_pos < g->in_len) {
        uint8_t c = g->in[g->in_pos++];
        switch (g->rx) {
        case RX_IDLE:
            if (c == '$') {
                g->rx = RX_DATA;
                g->pkt_len = 0;
                g->rx_sum = 0;
                g->rx_overflow = false;
            } else if (c == 0x03) {
                return 2;
            }
            break; /* '+', '-' and noise between packets are ignored */
        case RX_DATA:
            if (c == '#') {
                g->rx = RX_CK1;
            } else {
                g->rx_sum = (uint8_t)(g->rx_sum + c);
                if (g->pkt_len < PKT_MAX) {
                    g->pkt[g->pkt_len++] = (char)c;
                } else {
                    g->rx_overflow = true;
                }
            }
            break;
        case RX_CK1:
            if (hexval(c) < 0) {
                g->rx = RX_IDLE;
                if (!g->noack) {
                    send_all(g, "-", 1);
                }
            } else {
                g->rx_ck = (uint8_t)(hexval(c) << 4);
                g->rx = RX_CK2;
            }
            break;
        default:
            g->rx = RX_IDLE;
            if (hexval(c) < 0 || (uint8_t)(g->rx_ck | hexval(c)) != g->rx_sum) {
                if (!g->noack) {
                    send_all(g, "-", 1); /* ask again */
                }
                break;
            }
            if (!g->noack) {
                send_all(g, "+", 1);
            }
            if (g->rx_overflow) {
                send_str(g, "E01");
                break;
            }
            g->pkt[g->pkt_len] = 0;
            return 1;
        }
    }
    return 0;
}

/* ---- packets ---- */

static void stop_reply(GdbStub *g)
{
    Cpu *cpu = &g->core.m->cpu;
    const DbgHit *h = &cpu->dbg.hit;
    char buf[96];
    int sig = 5;
    if (h->kind == DBG_HIT_USER) {
        sig = g->last_sig;
    } else if (h->kind == DBG_HIT_TRIPLE) {
        sig = 11;
    }
    if (h->kind == DBG_HIT_WATCH && h->index < cpu->mmu.nwatch && !cpu->mmu.watch[h->index].phys) {
        unsigned rw = cpu->mmu.watch[h->index].rw;
        const char *w = rw == MMU_WATCH_WRITE ? "watch" : rw == MMU_WATCH_READ ? "rwatch"
                                                                                : "awatch";
        /* report an address inside the watched range: gdb matches it to its watchpoint */
        uint32_t a = h->addr;
        const MmuWatch *mw = &cpu->mmu.watch[h->index];
        if (a < mw->start || a >= mw->start + mw->len) {
            a = mw->start;
        }
        snprintf(buf, sizeof buf, "T%02x%s:%x;thread:01;", sig, w, a);
    } else {
        snprintf(buf, sizeof buf, "T%02xthread:01;", sig);
    }
    send_str(g, buf);
}

static void reply_read_mem(GdbStub *g, const char *p, const char *end)
{
    Machine *m = g->core.m;
    uint64_t addr, len;
    if (parse_hex(&p, end, &addr) || expect(&p, end, ',') || parse_hex(&p, end, &len) ||
        p != end) {
        send_str(g, "E01");
        return;
    }
    if (len > PKT_MAX / 2) {
        len = PKT_MAX / 2;
    }
    uint8_t buf[PKT_MAX / 2];
    uint32_t got;
    if (g->phys_mode) {
        got = dbg_read_phys(m, addr, buf, (uint32_t)len);
    } else {
        got = addr > 0xFFFFFFFFull ? 0 : dbg_read_lin(m, (uint32_t)addr, buf, (uint32_t)len);
    }
    if (got == 0 && len > 0) {
        send_str(g, "E14"); /* EFAULT */
        return;
    }
    size_t n = bytes_to_hex(buf, got, g->out);
    send_packet(g, g->out, n);
}

static void reply_write_mem(GdbStub *g, const char *p, const char *end, bool binary)
{
    Machine *m = g->core.m;
    uint64_t addr, len;
    if (parse_hex(&p, end, &addr) || expect(&p, end, ',') || parse_hex(&p, end, &len) ||
        expect(&p, end, ':') || len > PKT_MAX) {
        send_str(g, "E01");
        return;
    }
    uint8_t buf[PKT_MAX];
    if (binary) {
        size_t n = 0;
        while (p < end && n < len) {
            uint8_t c = (uint8_t)*p++;
            if (c == '}') {
                if (p >= end) {
                    send_str(g, "E01");
                    return;
                }
                c = (uint8_t)(*p++ ^ 0x20);
            }
            buf[n++] = c;
        }
        if (n != len || p != end) {
            send_str(g, "E01");
            return;
        }
    } else if (hex_to_bytes(p, end, buf, (size_t)len)) {
        send_str(g, "E01");
        return;
    }
    uint32_t done;
    if (g->phys_mode) {
        done = dbg_write_phys(m, addr, buf, (uint32_t)len);
    } else {
        done = addr > 0xFFFFFFFFull ? 0 : dbg_write_lin(m, (uint32_t)addr, buf, (uint32_t)len);
    }
    send_str(g, done == len ? "OK" : "E14");
}

static void reply_breakpoint(GdbStub *g, const char *p, const char *end, bool insert)
{
    DbgCore *c = &g->core;
    uint64_t type, addr, kind;
    if (parse_hex(&p, end, &type) || expect(&p, end, ',') || parse_hex(&p, end, &addr) ||
        expect(&p, end, ',') || parse_hex(&p, end, &kind) || addr > 0xFFFFFFFFull) {
        send_str(g, "E01");
        return;
    }
    if (type > 4) {
        send_str(g, ""); /* not supported */
        return;
    }
    if (kind == 0 || kind > 0x10000) {
        kind = 1;
    }
    DbgItem it = {.owner = DBG_OWNER_GDB, .enabled = 1, .addr = (uint32_t)addr};
    if (type <= 1) {
        it.type = DBGI_BREAK;
        it.kind = DBG_BP_LIN;
    } else {
        it.type = DBGI_WATCH;
        it.kind = g->phys_mode;
        it.len = (uint32_t)kind;
        it.rw = type == 2 ? MMU_WATCH_WRITE : type == 3 ? MMU_WATCH_READ
                                                         : MMU_WATCH_READ | MMU_WATCH_WRITE;
    }
    if (insert) {
        send_str(g, dbgcore_add(c, &it) < 0 ? "E0c" : "OK"); /* ENOMEM */
        return;
    }
    for (int k = 0; k < c->nitems; k++) {
        DbgItem *x = &c->items[k];
        if (x->owner == DBG_OWNER_GDB && x->type == it.type && x->addr == it.addr &&
            (it.type == DBGI_BREAK || (x->len == it.len && x->rw == it.rw))) {
            dbgcore_delete(c, x->id);
            break;
        }
    }
    send_str(g, "OK");
}

static void reply_xfer(GdbStub *g, const char *p, const char *end)
{
    static const char kPrefix[] = "features:read:target.xml:";
    size_t pl = sizeof kPrefix - 1;
    uint64_t off, len;
    if ((size_t)(end - p) < pl || memcmp(p, kPrefix, pl) != 0) {
        send_str(g, "E00");
        return;
    }
    p += pl;
    if (parse_hex(&p, end, &off) || expect(&p, end, ',') || parse_hex(&p, end, &len) || p != end) {
        send_str(g, "E01");
        return;
    }
    size_t total = sizeof kTargetXml - 1;
    if (off >= total) {
        send_str(g, "l");
        return;
    }
    if (len > PKT_MAX - 1) {
        len = PKT_MAX - 1;
    }
    size_t n = total - (size_t)off < len ? total - (size_t)off : (size_t)len;
    g->out[0] = (off + n >= total) ? 'l' : 'm';
    memcpy(g->out + 1, kTargetXml + off, n); /* the XML holds no $, # or } */
    send_packet(g, g->out, n + 1);
}

/* 'monitor CMD': the debugger prompt's commands that do not resume, output in O packets. */
static void reply_rcmd(GdbStub *g, const char *p, const char *end)
{
    char cmd[512];
    size_t n = (size_t)(end - p) / 2;
    if ((end - p) % 2 || n >= sizeof cmd || hex_to_bytes(p, end, (uint8_t *)cmd, n)) {
        send_str(g, "E01");
        return;
    }
    cmd[n] = 0;
    for (size_t k = 0; k < n; k++) {
        if (cmd[k] == 0) {
            cmd[k] = ' ';
        }
    }
    char *text = NULL;
    size_t tlen = 0;
    FILE *f = open_memstream(&text, &tlen);
    if (!f) {
        send_str(g, "E0c");
        return;
    }
    debugger_command(&g->core, cmd, f, false);
    fclose(f);
    for (size_t off = 0; off < tlen && g->fd >= 0;) {
        size_t chunk = tlen - off < 1024 ? tlen - off : 1024;
        g->out[0] = 'O';
        bytes_to_hex((const uint8_t *)text + off, chunk, g->out + 1);
        send_packet(g, g->out, 1 + 2 * chunk);
        off += chunk;
    }
    free(text);
    send_str(g, "OK");
}

static bool starts(const char *p, const char *end, const char *s)
{
    size_t n = strlen(s);
    return (size_t)(end - p) >= n && memcmp(p, s, n) == 0;
}

/* Handle one packet. Returns true if it resumed the machine. */
static bool handle_packet(GdbStub *g)
{
    Machine *m = g->core.m;
    const char *p = g->pkt, *end = g->pkt + g->pkt_len;
    char c = g->pkt_len ? *p++ : 0;
    switch (c) {
    case '?':
        stop_reply(g);
        return false;
    case 'g': {
        uint8_t buf[176];
        size_t n = 0;
        for (int r = 0; r < NREGS; r++) {
            n += reg_read(m, r, buf + n);
        }
        send_packet(g, g->out, bytes_to_hex(buf, n, g->out));
        return false;
    }
    case 'G': {
        uint8_t buf[176];
        if (hex_to_bytes(p, end, buf, sizeof buf)) {
            send_str(g, "E01");
            return false;
        }
        int err = 0;
        for (int r = 0, off = 0; r < NREGS; off += kRegSize[r], r++) {
            err |= reg_write(m, r, buf + off);
        }
        send_str(g, err ? "E01" : "OK");
        return false;
    }
    case 'p': {
        uint64_t r;
        uint8_t buf[10];
        if (parse_hex(&p, end, &r) || p != end || r >= NREGS) {
            send_str(g, "E01");
            return false;
        }
        send_packet(g, g->out, bytes_to_hex(buf, reg_read(m, (int)r, buf), g->out));
        return false;
    }
    case 'P': {
        uint64_t r;
        uint8_t buf[10];
        if (parse_hex(&p, end, &r) || expect(&p, end, '=') || r >= NREGS ||
            hex_to_bytes(p, end, buf, kRegSize[r])) {
            send_str(g, "E01");
            return false;
        }
        send_str(g, reg_write(m, (int)r, buf) ? "E01" : "OK");
        return false;
    }
    case 'm':
        reply_read_mem(g, p, end);
        return false;
    case 'M':
        reply_write_mem(g, p, end, false);
        return false;
    case 'X':
        reply_write_mem(g, p, end, true);
        return false;
    case 'Z':
    case 'z':
        reply_breakpoint(g, p, end, c == 'Z');
        return false;
    case 'c':
    case 's':
    case 'C':
    case 'S': {
        if (c == 'C' || c == 'S') {
            uint64_t sig; /* the signal is ignored: there is no process to give it to */
            if (parse_hex(&p, end, &sig)) {
                send_str(g, "E01");
                return false;
            }
            if (p < end && *p == ';') {
                p++;
            }
        }
        if (p < end) {
            uint64_t addr;
            if (parse_hex(&p, end, &addr) || p != end) {
                send_str(g, "E01");
                return false;
            }
            m->cpu.s.eip = (uint32_t)addr;
        }
        bool step = c == 's' || c == 'S';
        dbgcore_resume(&g->core, step && (g->sstep & SSTEP_ENABLE),
                       (g->sstep & SSTEP_NOIRQ) != 0, (g->sstep & SSTEP_NOTIMER) != 0);
        if (step && !(g->sstep & SSTEP_ENABLE)) {
            dbgcore_resume(&g->core, false, false, false); /* stepping off: s continues */
        }
        g->waiting_stop = true;
        g->last_sig = 5;
        return true;
    }
    case 'D':
        if (p != end && *p != ';') {
            send_str(g, "E01"); /* "D" or "D;pid" */
            return false;
        }
        send_str(g, "OK");
        close_client(g);
        dbgcore_resume(&g->core, false, false, false);
        return true;
    case 'k':
        if (p != end) {
            send_str(g, "");
            return false;
        }
        g->quit = true;
        close_client(g);
        return true;
    case 'H':
    case 'T':
        send_str(g, "OK");
        return false;
    case 'q':
    case 'Q':
    case 'v':
        break;
    default:
        send_str(g, "");
        return false;
    }
    p--; /* the whole packet */
    if (starts(p, end, "qSupported")) {
        char buf[128];
        snprintf(buf, sizeof buf, "PacketSize=%x;qXfer:features:read+;QStartNoAckMode+",
                 PKT_MAX);
        send_str(g, buf);
    } else if (starts(p, end, "QStartNoAckMode")) {
        send_str(g, "OK");
        g->noack = true;
    } else if (starts(p, end, "qXfer:")) {
        reply_xfer(g, p + 6, end);
    } else if (starts(p, end, "qAttached")) {
        send_str(g, "1");
    } else if (starts(p, end, "qC") && end - p == 2) {
        send_str(g, "QC01");
    } else if (starts(p, end, "qfThreadInfo")) {
        send_str(g, "m01");
    } else if (starts(p, end, "qsThreadInfo")) {
        send_str(g, "l");
    } else if (starts(p, end, "qSymbol")) {
        send_str(g, "OK");
    } else if (starts(p, end, "qRcmd,")) {
        reply_rcmd(g, p + 6, end);
    } else if (starts(p, end, "qqemu.sstepbits")) {
        send_str(g, "ENABLE=1,NOIRQ=2,NOTIMER=4");
    } else if (starts(p, end, "qqemu.sstep") && end - p == 11) {
        char buf[16];
        snprintf(buf, sizeof buf, "0x%x", g->sstep);
        send_str(g, buf);
    } else if (starts(p, end, "Qqemu.sstep=")) {
        const char *q = p + 12;
        uint64_t v;
        if (parse_hex(&q, end, &v) || q != end || v > 7) {
            send_str(g, "E22");
        } else {
            g->sstep = (unsigned)v;
            send_str(g, "OK");
        }
    } else if (starts(p, end, "qqemu.PhyMemMode")) {
        send_str(g, g->phys_mode ? "1" : "0");
    } else if (starts(p, end, "Qqemu.PhyMemMode:")) {
        const char *q = p + 17;
        if (end - q == 1 && (*q == '0' || *q == '1')) {
            g->phys_mode = *q == '1';
            send_str(g, "OK");
        } else {
            send_str(g, "E22");
        }
    } else if (starts(p, end, "vKill") && (end - p == 5 || p[5] == ';')) {
        send_str(g, "OK");
        g->quit = true;
        close_client(g);
        return true;
    } else {
        send_str(g, ""); /* vMustReplyEmpty, vCont?, qOffsets, qTStatus, ...: not supported */
    }
    return false;
}

/* ---- the board's hooks ---- */

/* The machine stopped: talk to gdb until it resumes the machine. */
static void on_stopped(void *opaque)
{
    GdbStub *g = opaque;
    Machine *m = g->core.m;
    if (g->fd < 0) {
        if (!g->wait_first) {
            /* nobody to report to (gdb left): go on */
            dbgcore_resume(&g->core, false, false, false);
            return;
        }
    }
    while (g->fd < 0) {
        if (accept_client(g, 1000)) {
            g->wait_first = false;
            break;
        }
    }
    if (m->cpu.dbg.hit.kind != DBG_HIT_USER) {
        g->last_sig = 5;
    }
    if (g->waiting_stop) {
        g->waiting_stop = false;
        stop_reply(g);
    }
    for (;;) {
        if (g->fd < 0) {
            /* gdb went away while the machine was stopped: it runs on */
            dbgcore_resume(&g->core, false, false, false);
            break;
        }
        int r = parse_input(g);
        if (r == 1) {
            if (handle_packet(g)) {
                break;
            }
            continue;
        }
        if (r == 2) {
            continue; /* ^C while stopped: nothing to interrupt */
        }
        if (!fill_input(g, 1000)) {
            close_client(g);
        }
    }
    if (g->quit) {
        m->quit = true;
        m->exit_status = 0;
    }
}

/* While running: a new client stops the machine; any byte from the client stops it too (^C
 * with SIGINT). */
static void on_poll(void *opaque)
{
    GdbStub *g = opaque;
    Machine *m = g->core.m;
    if (g->fd < 0) {
        if (accept_client(g, 0)) {
            g->last_sig = 5;
            cpu_dbg_request_stop(&m->cpu, DBG_HIT_USER);
        }
        return;
    }
    if (!fill_input(g, 0)) {
        close_client(g);
        return;
    }
    if (g->in_pos < g->in_len) {
        /* ^C is the usual reason; a packet sent while running stops the machine as well */
        bool ctrl_c = memchr(g->in + g->in_pos, 0x03, g->in_len - g->in_pos) != NULL;
        if (ctrl_c) {
            /* drop everything up to and including the ^C */
            uint8_t *q = memchr(g->in + g->in_pos, 0x03, g->in_len - g->in_pos);
            g->in_pos = (size_t)(q - g->in) + 1;
        }
        g->last_sig = 2;
        cpu_dbg_request_stop(&m->cpu, DBG_HIT_USER);
    }
}

/* ---- set-up ---- */

static int listen_on(const char *spec, int *port_out)
{
    char host[256] = "127.0.0.1";
    const char *p = spec;
    if (!strncmp(p, "tcp:", 4)) {
        p += 4;
    }
    const char *colon = strrchr(p, ':');
    const char *port_s = p;
    if (colon) {
        size_t hl = (size_t)(colon - p);
        if (hl >= sizeof host) {
            return -1;
        }
        if (hl > 0) {
            memcpy(host, p, hl);
            host[hl] = 0;
        }
        port_s = colon + 1;
    }
    char *end;
    long port = strtol(port_s, &end, 10);
    if (!*port_s || *end || port < 1 || port > 65535) {
        return -1;
    }
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char ps[16];
    snprintf(ps, sizeof ps, "%ld", port);
    if (getaddrinfo(host, ps, &hints, &res) || !res) {
        return -2;
    }
    int fd = socket(res->ai_family, SOCK_STREAM, 0);
    int one = 1;
    if (fd >= 0) {
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    }
    if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) || listen(fd, 1)) {
        int e = errno;
        if (fd >= 0) {
            close(fd);
        }
        freeaddrinfo(res);
        errno = e;
        return -3;
    }
    freeaddrinfo(res);
    *port_out = (int)port;
    return fd;
}

int gdbstub_init(Machine *m, const char *spec, bool wait)
{
    int port = 0;
    int fd = listen_on(spec, &port);
    if (fd < 0) {
        if (fd == -3) {
            fprintf(stderr, "x86pc: -gdb %s: cannot listen: %s\n", spec, strerror(errno));
        } else {
            fprintf(stderr, "x86pc: invalid -gdb '%s' (tcp::PORT or tcp:HOST:PORT)\n", spec);
        }
        return -1;
    }
    GdbStub *g = calloc(1, sizeof *g);
    if (!g) {
        close(fd);
        fprintf(stderr, "x86pc: out of memory\n");
        return -1;
    }
    g->listen_fd = fd;
    g->fd = -1;
    g->wait_first = wait;
    g->sstep = SSTEP_ENABLE | SSTEP_NOIRQ | SSTEP_NOTIMER;
    g->last_sig = 5;
    dbgcore_init(&g->core, m);
    g->core.stop_triple = false; /* only while gdb is attached */
    dbgcore_sync(&g->core);
    m->dbg_stopped = on_stopped;
    m->dbg_poll = on_poll;
    m->dbg_opaque = g;
    fprintf(stderr, "x86pc: gdb stub listening on %s%s\n", spec,
            wait ? " (waiting for gdb before the first instruction)" : "");
    if (wait) {
        cpu_dbg_request_stop(&m->cpu, DBG_HIT_USER);
    }
    return 0;
}

void gdbstub_free(Machine *m)
{
    GdbStub *g = m->dbg_opaque;
    if (!g || m->dbg_stopped != on_stopped) {
        return;
    }
    if (g->fd >= 0) {
        if (!g->quit) {
            send_str(g, "W00"); /* the machine exited */
        }
        close(g->fd);
    }
    close(g->listen_fd);
    dbgcore_free(&g->core);
    m->dbg_stopped = NULL;
    m->dbg_poll = NULL;
    m->dbg_opaque = NULL;
    free(g);
}
