/* Robustness test for the gdb stub and the debugger prompt (tests/dbgfuzz.sh).
 *
 *   gdbfuzz packets PORT SEED COUNT   connect to the stub on 127.0.0.1:PORT and send COUNT
 *                                     random packets (valid, malformed, oversized, bad
 *                                     checksums, raw noise, ^C), then check that the stub
 *                                     still answers '?', and send 'k'. Exit 0 if it did.
 *   gdbfuzz commands SEED COUNT       print COUNT random debugger command lines (for
 *                                     -debug-script); none of them resumes the machine for
 *                                     more than a few instructions.
 * The generator is a fixed xorshift, so a failing seed can be replayed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static uint64_t g_rng;

static uint32_t rnd(void)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (uint32_t)(g_rng >> 16);
}

static uint32_t below(uint32_t n)
{
    return n ? rnd() % n : 0;
}

/* an interesting address or length */
static uint64_t rnd_num(void)
{
    switch (below(10)) {
    case 0:
        return 0;
    case 1:
        return 0xFFFFFFFFu - below(16);
    case 2:
        return ((uint64_t)rnd() << 32) | rnd();
    case 3:
        return 0xF0000 + below(0x10000);
    case 4:
        return 0xFFFF0000u + below(0x10000);
    case 5:
        return below(0x100);
    case 6:
        return 0x100000000ull + below(16);
    case 7:
        return 0x4000 + below(64);
    default:
        return below(0x1000000);
    }
}

static int g_fd = -1;

static void send_raw(const void *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(g_fd, p, n, MSG_NOSIGNAL);
        if (w <= 0) {
            if (w < 0 && errno == EINTR) {
                continue;
            }
            return;
        }
        p = (const char *)p + w;
        n -= (size_t)w;
    }
}

static void send_packet(const char *data, size_t n, int corrupt)
{
    static char frame[70000];
    if (n > sizeof frame - 8) {
        n = sizeof frame - 8;
    }
    uint8_t sum = 0;
    for (size_t k = 0; k < n; k++) {
        sum = (uint8_t)(sum + (uint8_t)data[k]);
    }
    frame[0] = '$';
    memcpy(frame + 1, data, n);
    if (corrupt == 1) {
        sum ^= 0x5A; /* bad checksum */
    }
    int len = snprintf(frame + 1 + n, 8, "#%02x", sum) + 1 + (int)n;
    if (corrupt == 2) {
        len -= 1 + (int)below(3); /* truncated */
    }
    if (corrupt == 3) {
        frame[1 + n + 1] = 'z'; /* not hex */
    }
    send_raw(frame, (size_t)len);
}

/* read whatever arrives within ms; returns bytes read, or -1 on EOF */
static long drain(int ms, char *keep, size_t keep_n)
{
    long total = 0;
    char buf[65536];
    struct pollfd pfd = {g_fd, POLLIN, 0};
    while (poll(&pfd, 1, ms) > 0) {
        ssize_t n = recv(g_fd, buf, sizeof buf, 0);
        if (n == 0) {
            return -1;
        }
        if (n < 0) {
            return errno == EINTR ? total : -1;
        }
        if (keep && keep_n) {
            size_t have = strlen(keep);
            size_t room = keep_n - 1 - have;
            size_t take = (size_t)n < room ? (size_t)n : room;
            memcpy(keep + have, buf, take);
            keep[have + take] = 0;
        }
        total += n;
        ms = 5;
    }
    return total;
}

static const char *const kCmdWords[] = {
    "regs", "r", "sreg", "creg", "dreg", "fpu", "where", "info break", "info gdt", "info idt",
    "info ldt", "info tss", "info pic", "info pit", "info serial", "info apic", "info ioapic",
    "info bogus", "history", "help", "blist", "page", "x", "xp", "x/16bx", "x/8hx", "x/4wx",
    "xp/32b", "x/999999w", "x/0b", "x/q", "disas", "u", "break", "lb", "pb", "vb", "watch",
    "rwatch", "awatch", "pwatch", "catch vector", "catch io", "catch cr0", "catch triple",
    "catch", "delete", "disable", "enable", "set eax =", "set al", "set cs =", "set ds =",
    "set eflags =", "set cr0 =", "set cr3 =", "set dr7 =", "set eip =", "write", "write/b",
    "pwrite/h", "step", "s", "si", "trace /dev/null", "trace off", "info device", "dev",
    "", "#comment", "bogus", "x/", "set", "info", "d", "gdt 0 5000", "idt 255 99"};

static void rnd_arg(char *buf, size_t n)
{
    static const char *const kRegs[] = {"eax", "$esp", "cs", "eip", "al", "cr0", "dr3", "xyz"};
    switch (below(9)) {
    case 0:
        snprintf(buf, n, "0x%llx", (unsigned long long)rnd_num());
        break;
    case 1:
        snprintf(buf, n, "%u", rnd());
        break;
    case 2:
        snprintf(buf, n, "%s", kRegs[below(8)]);
        break;
    case 3:
        snprintf(buf, n, "%x:%x", rnd() & 0x1FFFF, rnd());
        break;
    case 4:
        snprintf(buf, n, "%s+%u-0x%x", kRegs[below(8)], below(100), below(0x1000));
        break;
    case 5:
        snprintf(buf, n, "if %s==%u", kRegs[below(8)], below(10));
        break;
    case 6: {
        size_t len = below((unsigned)n - 1);
        for (size_t k = 0; k < len; k++) {
            buf[k] = (char)(33 + below(94));
        }
        buf[len] = 0;
        break;
    }
    case 7:
        snprintf(buf, n, "%u-%u", below(300), below(70000));
        break;
    default:
        snprintf(buf, n, "%u", below(40));
        break;
    }
}

static void rnd_command(char *line, size_t n)
{
    const char *w = kCmdWords[below(sizeof kCmdWords / sizeof kCmdWords[0])];
    int used = snprintf(line, n, "%s", w);
    if (!strcmp(w, "step") || !strcmp(w, "s") || !strcmp(w, "si")) {
        snprintf(line + used, n - (size_t)used, " %u", 1 + below(20));
        return;
    }
    unsigned args = below(4);
    for (unsigned a = 0; a < args && (size_t)used < n - 40; a++) {
        char arg[40];
        rnd_arg(arg, sizeof arg);
        used += snprintf(line + used, n - (size_t)used, " %s", arg);
    }
}

static void fuzz_packet(void)
{
    char p[20000];
    int n = 0;
    char cmd[200];
    switch (below(24)) {
    case 0:
        n = snprintf(p, sizeof p, "m%llx,%llx", (unsigned long long)rnd_num(),
                     (unsigned long long)rnd_num());
        break;
    case 1: {
        uint64_t len = below(4) ? below(64) : rnd_num();
        n = snprintf(p, sizeof p, "M%llx,%llx:", (unsigned long long)rnd_num(),
                     (unsigned long long)len);
        unsigned hex = below(2) ? (unsigned)(len * 2 > 2000 ? 2000 : len * 2) : below(300);
        for (unsigned k = 0; k < hex && n < (int)sizeof p - 2; k++) {
            p[n++] = "0123456789abcdefXYZ"[below(below(10) ? 16 : 19)];
        }
        break;
    }
    case 2: {
        n = snprintf(p, sizeof p, "X%llx,%x:", (unsigned long long)rnd_num(), below(40));
        unsigned len = below(50);
        for (unsigned k = 0; k < len; k++) {
            char c = (char)rnd();
            if (c == '$' || c == '#') {
                c = '}';
            }
            p[n++] = c;
        }
        break;
    }
    case 3:
        n = snprintf(p, sizeof p, "g");
        break;
    case 4: {
        n = snprintf(p, sizeof p, "G");
        unsigned len = below(3) ? 352 : below(800);
        for (unsigned k = 0; k < len; k++) {
            p[n++] = "0123456789abcdef"[below(16)];
        }
        break;
    }
    case 5:
        n = snprintf(p, sizeof p, "p%x", below(3) ? below(40) : rnd());
        break;
    case 6: {
        n = snprintf(p, sizeof p, "P%x=", below(40));
        unsigned len = below(30);
        for (unsigned k = 0; k < len; k++) {
            p[n++] = "0123456789abcdef"[below(16)];
        }
        break;
    }
    case 7:
    case 8:
        n = snprintf(p, sizeof p, "%c%u,%llx,%llx", below(2) ? 'Z' : 'z', below(7),
                     (unsigned long long)rnd_num(), (unsigned long long)rnd_num());
        break;
    case 9:
        n = snprintf(p, sizeof p, "s");
        break;
    case 10:
        n = snprintf(p, sizeof p, below(2) ? "c" : "C05");
        break;
    case 11:
        n = snprintf(p, sizeof p, "?");
        break;
    case 12:
        n = snprintf(p, sizeof p, "qSupported:multiprocess+;swbreak+;xmlRegisters=i386");
        break;
    case 13:
        n = snprintf(p, sizeof p, "qXfer:features:read:%s:%llx,%llx",
                     below(4) ? "target.xml" : "other.xml", (unsigned long long)rnd_num(),
                     (unsigned long long)rnd_num());
        break;
    case 14: {
        rnd_command(cmd, sizeof cmd);
        n = snprintf(p, sizeof p, "qRcmd,");
        for (size_t k = 0; cmd[k]; k++) {
            n += snprintf(p + n, sizeof p - (size_t)n, "%02x", (unsigned char)cmd[k]);
        }
        if (below(5) == 0) {
            p[n++] = 'q'; /* odd length / not hex */
        }
        break;
    }
    case 15:
        n = snprintf(p, sizeof p, "Qqemu.sstep=%x", below(10));
        break;
    case 16:
        n = snprintf(p, sizeof p, "Qqemu.PhyMemMode:%c", "012x"[below(4)]);
        break;
    case 17: {
        static const char *const kQ[] = {"vCont?", "vCont;c", "Hg0", "Hc-1", "qC", "qAttached",
                                         "qfThreadInfo", "qsThreadInfo", "qOffsets", "qTStatus",
                                         "vMustReplyEmpty", "qSymbol::", "T01",
                                         "qqemu.sstepbits", "qqemu.sstep", "qqemu.PhyMemMode",
                                         "QStartNoAckMode", "", "S05;1234", "c12345678"};
        n = snprintf(p, sizeof p, "%s", kQ[below(sizeof kQ / sizeof kQ[0])]);
        break;
    }
    case 18: /* oversized */
        n = 17000 + (int)below(2000);
        memset(p, 'm', (size_t)n);
        break;
    case 19: { /* random bytes inside a packet */
        n = (int)below(100);
        for (int k = 0; k < n; k++) {
            p[k] = (char)rnd();
        }
        if (n > 0 && (p[0] == 'D' || p[0] == 'k' || p[0] == 'v')) {
            p[0] = 'x'; /* no detach, kill or vKill: the session must go on */
        }
        break;
    }
    case 20: { /* raw noise outside packets, with ^C now and then */
        char noise[64];
        unsigned len = below(sizeof noise);
        for (unsigned k = 0; k < len; k++) {
            noise[k] = (char)(below(4) ? rnd() : 3);
        }
        send_raw(noise, len);
        return;
    }
    default:
        n = snprintf(p, sizeof p, "m%llx,%x", (unsigned long long)(0xF0000 + below(0x10000)),
                     below(0x900));
        break;
    }
    send_packet(p, (size_t)n, below(12) == 0 ? (int)(1 + below(3)) : 0);
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "commands")) {
        g_rng = strtoull(argv[2], NULL, 0) * 2654435761u + 1;
        long count = strtol(argv[3], NULL, 0);
        char line[256];
        for (long k = 0; k < count; k++) {
            rnd_command(line, sizeof line);
            puts(line);
        }
        return 0;
    }
    if (argc != 5 || strcmp(argv[1], "packets") != 0) {
        fprintf(stderr, "usage: gdbfuzz packets PORT SEED COUNT | gdbfuzz commands SEED COUNT\n");
        return 2;
    }
    int port = atoi(argv[2]);
    g_rng = strtoull(argv[3], NULL, 0) * 2654435761u + 1;
    long count = strtol(argv[4], NULL, 0);
    g_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (g_fd < 0 || connect(g_fd, (struct sockaddr *)&sa, sizeof sa)) {
        perror("gdbfuzz: connect");
        return 1;
    }
    for (long k = 0; k < count; k++) {
        fuzz_packet();
        if (drain(below(4) ? 0 : 2, NULL, 0) < 0) {
            fprintf(stderr, "gdbfuzz: the stub closed the connection after %ld packets\n", k);
            return 1;
        }
    }
    /* Is it still there? It may be running and may still be working through a backlog of
     * packets: ^C, then a query whose unique answer marks the end of the backlog. */
    static char reply[1 << 20];
    reply[0] = 0;
    send_raw("\x03", 1);
    /* 'monitor endmark' answers "error: unknown command 'endmark'" in hex: 656e646d61726b */
    send_packet("qRcmd,656e646d61726b", 20, 0);
    for (int waited = 0; waited < 60 && !strstr(reply, "656e646d61726b"); waited++) {
        if (strlen(reply) > sizeof reply / 2) {
            memmove(reply, reply + sizeof reply / 4, strlen(reply + sizeof reply / 4) + 1);
        }
        if (drain(500, reply, sizeof reply) < 0) {
            fprintf(stderr, "gdbfuzz: the stub closed the connection at the end\n");
            return 1;
        }
    }
    if (strstr(reply, "656e646d61726b")) {
        send_packet("k", 1, 0);
        for (int waited = 0; waited < 20; waited++) {
            if (drain(500, NULL, 0) < 0) {
                break; /* closed after 'k' */
            }
        }
        close(g_fd);
        printf("gdbfuzz: %ld packets, the stub still answers\n", count);
        return 0;
    }
    fprintf(stderr, "gdbfuzz: no answer at the end\n");
    return 1;
}
