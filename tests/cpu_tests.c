/* CPU exactness against real-hardware captures: the SingleStepTests 80286 real-mode suite in
 * ../shared/cpu-tests (format and rules: its README.md).
 *
 * For each test: reset one reusable machine-less Cpu on a 16 MB bus, load the initial registers
 * (real mode: base = selector << 4) and RAM, run until the HLT that follows the instruction, and
 * compare every register and every final RAM byte. Flags that the opcode table marks undefined
 * for the instruction (its `fund` column, found by decoding the test's bytes) are masked, in the
 * FLAGS register and in the FLAGS word an exception pushes. Behaviour that is the 286's and not
 * a P6's is excluded in tests/cpu_tests_exclusions.txt, one line each with its reason.
 *
 *   o/opt/tests/cpu_tests [dir] [-v] [-only FILE]
 * prints the failures per file (a few each), then "N passed, M failed" (plus the excluded
 * count); exits 1 if any test that is not excluded fails.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "chipset/clock.h"
#include "cpu/cpu.h"
#include "decoder/decode.h"
#include "decoder/opcodes.h"
#include "mmu/bus.h"

/* a P6 with every integer and x87 level; independent of the board's model table */
static const CpuModel kTestModel = {
    .name = "cpu-tests P6",
    .family = 6,
    .model = 1,
    .stepping = 9,
    .isa_mask = (1u << I386) | (1u << I486) | (1u << I586) | (1u << I686) | (1u << FPU),
};

/* ---- exclusions ---- */

typedef struct Exclusions {
    char files[64][128];
    int nfiles;
    uint8_t hashes[256][20];
    int nhashes;
    bool ud_over_10;  /* 286 #UD for instructions longer than 10 bytes */
    bool lock_ud;     /* LOCK before an instruction a P6 does not lock: #UD on a P6 only */
    bool sreg_fs_gs;  /* MOV to/from segment registers 4 and 5: #UD on a 286 */
    bool seg_overrun; /* 286 int 13 for a word at offset FFFF: P6 #GP/#SS, no partial update */
} Exclusions;

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

/* Lines: "file NAME reason", "hash HEX40 reason", "rule ud_over_10_bytes reason"; # comments. */
static void load_exclusions(Exclusions *ex, const char *path)
{
    memset(ex, 0, sizeof *ex);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "note: no exclusions file %s\n", path);
        return;
    }
    char line[512], kind[16], arg[128];
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || sscanf(line, "%15s %127s", kind, arg) != 2) {
            continue;
        }
        if (!strcmp(kind, "file") && ex->nfiles < 64) {
            snprintf(ex->files[ex->nfiles++], sizeof ex->files[0], "%s", arg);
        } else if (!strcmp(kind, "hash") && ex->nhashes < 256 && strlen(arg) == 40) {
            for (int k = 0; k < 20; k++) {
                ex->hashes[ex->nhashes][k] =
                    (uint8_t)(hexval(arg[2 * k]) << 4 | hexval(arg[2 * k + 1]));
            }
            ex->nhashes++;
        } else if (!strcmp(kind, "rule") && !strcmp(arg, "ud_over_10_bytes")) {
            ex->ud_over_10 = true;
        } else if (!strcmp(kind, "rule") && !strcmp(arg, "lock_ud")) {
            ex->lock_ud = true;
        } else if (!strcmp(kind, "rule") && !strcmp(arg, "sreg_fs_gs")) {
            ex->sreg_fs_gs = true;
        } else if (!strcmp(kind, "rule") && !strcmp(arg, "seg_overrun")) {
            ex->seg_overrun = true;
        }
    }
    fclose(f);
}

/* ---- MOO parsing ---- */

typedef struct Buf {
    const uint8_t *p;
    size_t n;
} Buf;

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

/* next chunk of b: tag, body; false at the end or on a truncated chunk */
static bool next_chunk(Buf *b, char tag[5], Buf *body)
{
    if (b->n < 8) {
        return false;
    }
    memcpy(tag, b->p, 4);
    tag[4] = 0;
    uint32_t len = rd32(b->p + 4);
    if (len > b->n - 8) {
        return false;
    }
    body->p = b->p + 8;
    body->n = len;
    b->p += 8 + len;
    b->n -= 8 + len;
    return true;
}

enum {
    RG_AX,
    RG_BX,
    RG_CX,
    RG_DX,
    RG_CS,
    RG_SS,
    RG_DS,
    RG_ES,
    RG_SP,
    RG_BP,
    RG_SI,
    RG_DI,
    RG_IP,
    RG_FLAGS,
    RG_COUNT
};
static const char *const kRegNames[RG_COUNT] = {"ax", "bx", "cx", "dx", "cs", "ss", "ds",
                                                "es", "sp", "bp", "si", "di", "ip", "flags"};

typedef struct MooState {
    uint16_t regs[RG_COUNT];
    uint16_t present;   /* bit per register given */
    const uint8_t *ram; /* count entries of 5 bytes */
    uint32_t nram;
} MooState;

typedef struct MooTest {
    uint32_t index;
    char name[96];
    const uint8_t *bytes;
    uint32_t nbytes;
    MooState init, fina;
    bool has_exc;
    uint8_t exc_vector;
    uint32_t flag_addr;
    const uint8_t *hash;
} MooTest;

static bool parse_state(Buf b, MooState *st)
{
    char tag[5];
    Buf c;
    memset(st, 0, sizeof *st);
    while (next_chunk(&b, tag, &c)) {
        if (!strcmp(tag, "REGS") && c.n >= 2) {
            uint16_t mask = rd16(c.p);
            size_t off = 2;
            for (int r = 0; r < RG_COUNT; r++) {
                if (mask & (1u << r)) {
                    if (off + 2 > c.n) {
                        return false;
                    }
                    st->regs[r] = rd16(c.p + off);
                    off += 2;
                }
            }
            st->present = mask;
        } else if (!strcmp(tag, "RAM ") && c.n >= 4) {
            st->nram = rd32(c.p);
            if ((size_t)st->nram * 5 > c.n - 4) {
                return false;
            }
            st->ram = c.p + 4;
        }
    }
    return true;
}

static bool parse_test(Buf b, MooTest *t)
{
    char tag[5];
    Buf c;
    memset(t, 0, sizeof *t);
    if (b.n < 4) {
        return false;
    }
    t->index = rd32(b.p);
    b.p += 4;
    b.n -= 4;
    while (next_chunk(&b, tag, &c)) {
        if (!strcmp(tag, "NAME") && c.n >= 4) {
            uint32_t len = rd32(c.p);
            if (len > c.n - 4) {
                len = (uint32_t)c.n - 4;
            }
            if (len >= sizeof t->name) {
                len = sizeof t->name - 1;
            }
            memcpy(t->name, c.p + 4, len);
            t->name[len] = 0;
        } else if (!strcmp(tag, "BYTS") && c.n >= 4) {
            t->nbytes = rd32(c.p);
            if (t->nbytes > c.n - 4) {
                return false;
            }
            t->bytes = c.p + 4;
        } else if (!strcmp(tag, "INIT")) {
            if (!parse_state(c, &t->init)) {
                return false;
            }
        } else if (!strcmp(tag, "FINA")) {
            if (!parse_state(c, &t->fina)) {
                return false;
            }
        } else if (!strcmp(tag, "EXCP") && c.n >= 5) {
            t->has_exc = true;
            t->exc_vector = c.p[0];
            t->flag_addr = rd32(c.p + 1);
        } else if (!strcmp(tag, "HASH") && c.n >= 20) {
            t->hash = c.p;
        }
    }
    return t->bytes != NULL;
}

static uint8_t *read_gz(const char *path, size_t *len)
{
    gzFile g = gzopen(path, "rb");
    if (!g) {
        return NULL;
    }
    size_t cap = 1 << 20, n = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            gzclose(g);
            return NULL;
        }
        if (n == cap) {
            cap *= 2;
            uint8_t *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                gzclose(g);
                return NULL;
            }
            buf = nb;
        }
        int r = gzread(g, buf + n, (unsigned)(cap - n));
        if (r <= 0) {
            break;
        }
        n += (size_t)r;
    }
    gzclose(g);
    *len = n;
    return buf;
}

/* ---- running one test ---- */

typedef struct Runner {
    Bus bus;
    Clock clock;
    Cpu cpu;
    const Exclusions *ex;
    long only_index; /* -index N: run only that test, with a dump */
    long passed, failed, excluded, excused;
    long by_rule[8];
} Runner;

static void set_seg(Cpu *cpu, int seg, uint16_t sel)
{
    SegReg *sr = &cpu->s.seg[seg];
    sr->sel = sel;
    sr->base = (uint32_t)sel << 4;
    sr->limit = 0xFFFF;
}

static const int kSegOf[RG_COUNT] = {
    [RG_CS] = SEG_CS, [RG_SS] = SEG_SS, [RG_DS] = SEG_DS, [RG_ES] = SEG_ES};
static const int kGprOf[RG_COUNT] = {
    [RG_AX] = R_EAX, [RG_BX] = R_EBX, [RG_CX] = R_ECX, [RG_DX] = R_EDX,
    [RG_SP] = R_ESP, [RG_BP] = R_EBP, [RG_SI] = R_ESI, [RG_DI] = R_EDI};

static uint16_t get_reg(Cpu *cpu, int r)
{
    switch (r) {
    case RG_CS:
    case RG_SS:
    case RG_DS:
    case RG_ES:
        return cpu->s.seg[kSegOf[r]].sel;
    case RG_IP:
        return (uint16_t)cpu->s.eip;
    case RG_FLAGS:
        return (uint16_t)cpu_get_eflags(cpu);
    default:
        return (uint16_t)cpu->s.regs[kGprOf[r]];
    }
}

/* Returns 1 pass, 0 fail; prints the differences into msg. */
static int run_test(Runner *rn, const MooTest *t, uint16_t undef_flags, char *msg, size_t msz,
                    uint8_t *raised)
{
    Cpu *cpu = &rn->cpu;
    size_t used = 0;
    msg[0] = 0;
    cpu_reset(cpu);
    cpu->shutdown = 0; /* a previous test may have triple-faulted */
    cpu->pending = 0;
    for (int r = 0; r < RG_COUNT; r++) {
        uint16_t v = t->init.regs[r];
        switch (r) {
        case RG_CS:
        case RG_SS:
        case RG_DS:
        case RG_ES:
            set_seg(cpu, kSegOf[r], v);
            break;
        case RG_IP:
            cpu->s.eip = v;
            break;
        case RG_FLAGS:
            /* README step 1: bits 12-15 are random IOPL/NT values a real-mode 286 never shows */
            cpu_set_eflags_raw(cpu, v & 0x0FFFu);
            break;
        default:
            cpu->s.regs[kGprOf[r]] = v;
            break;
        }
    }
    for (uint32_t k = 0; k < t->init.nram; k++) {
        const uint8_t *e = t->init.ram + 5 * k;
        uint8_t b = e[4];
        bus_mem_write(&rn->bus, rd32(e) & 0xFFFFFFu, &b, 1);
    }
    cpu->s.exc_vector = 0xFF; /* to see whether the instruction raised anything */
    /* run to the HLT; a REP string instruction takes one step per iteration */
    uint64_t budget = 300000;
    *raised = 0xFF;
    while (!cpu->s.halted && budget > 0 && !cpu->shutdown) {
        /* single steps until the first exception is seen (its handler may raise others) */
        uint64_t n = *raised == 0xFF ? 1 : 4096;
        CpuStop st = cpu_run(cpu, n);
        budget = budget > n ? budget - n : 0;
        if (*raised == 0xFF) {
            *raised = cpu->s.exc_vector;
        }
        if (st != CPU_STOP_DEADLINE && st != CPU_STOP_HALT) {
            break;
        }
    }
    int ok = 1;
#define ADDMSG(...)                                                                                \
    do {                                                                                           \
        if (used < msz) {                                                                          \
            int w_ = snprintf(msg + used, msz - used, __VA_ARGS__);                                \
            used += w_ > 0 ? (size_t)w_ : 0;                                                       \
        }                                                                                          \
    } while (0)
    if (!cpu->s.halted) {
        ok = 0;
        ADDMSG(" [not halted]");
    }
    for (int r = 0; r < RG_COUNT; r++) {
        uint16_t want = (t->fina.present & (1u << r)) ? t->fina.regs[r] : t->init.regs[r];
        uint16_t got = get_reg(cpu, r);
        if (r == RG_FLAGS) {
            /* compare the architectural flags the instruction defines (not bits 1,3,5,12-15) */
            uint16_t mask = (uint16_t)(0x0FD5u & ~undef_flags);
            if ((want & mask) != (got & mask)) {
                ok = 0;
                ADDMSG(" flags %04x want %04x (diff %04x)", got, want, (got ^ want) & mask);
            }
        } else if (want != got) {
            ok = 0;
            ADDMSG(" %s %04x want %04x", kRegNames[r], got, want);
        }
    }
    /* The FLAGS image an exception pushed sits 4 above the final SP (the handler is a HLT).
     * The capture's EXCP address is rounded down to even, one byte off when SP is odd. */
    uint32_t fss = (t->fina.present & (1u << RG_SS)) ? t->fina.regs[RG_SS] : t->init.regs[RG_SS];
    uint32_t fsp = (t->fina.present & (1u << RG_SP)) ? t->fina.regs[RG_SP] : t->init.regs[RG_SP];
    uint32_t flag_lo = ((fss << 4) + ((fsp + 4) & 0xFFFF)) & 0xFFFFFFu;
    uint32_t flag_hi = ((fss << 4) + ((fsp + 5) & 0xFFFF)) & 0xFFFFFFu;
    for (uint32_t k = 0; k < t->fina.nram; k++) {
        const uint8_t *e = t->fina.ram + 5 * k;
        uint32_t addr = rd32(e) & 0xFFFFFFu;
        uint8_t want = e[4], got;
        bus_mem_read(&rn->bus, addr, &got, 1);
        uint8_t mask = 0xFF;
        if (t->has_exc) {
            /* the FLAGS image the exception pushed: undefined bits and 12-15 don't count */
            uint16_t fm = (uint16_t)(0x0FD5u & ~undef_flags);
            if (addr == flag_lo) {
                mask = (uint8_t)fm;
            } else if (addr == flag_hi) {
                mask = (uint8_t)(fm >> 8);
            }
        }
        if ((want & mask) != (got & mask)) {
            ok = 0;
            ADDMSG(" [%06x] %02x want %02x", addr, got, want);
        }
    }
#undef ADDMSG
    return ok;
}

static bool excluded_file(const Exclusions *ex, const char *file)
{
    for (int k = 0; k < ex->nfiles; k++) {
        if (!strcmp(ex->files[k], file)) {
            return true;
        }
    }
    return false;
}

enum { EX_NONE, EX_FILE, EX_LONG, EX_SREG, EX_LOCK, EX_HASH, EX_KINDS };
static const char *const kExName[EX_KINDS] = {"",           "file",    "ud_over_10_bytes",
                                              "sreg_fs_gs", "lock_ud", "hash"};

/* Which exclusion applies to the test: EX_NONE, or the rule or list that excludes it. */
static int excluded_test(const Exclusions *ex, const MooTest *t)
{
    Insn in;
    uint8_t buf[16] = {0};
    unsigned nb = t->nbytes < 16 ? t->nbytes : 16;
    memcpy(buf, t->bytes, nb);
    DecodeStatus ds = decode_insn(&in, buf, nb, false);
    /* the 286 refuses instructions longer than 10 bytes (int 6, or int 13 when the excess
     * comes from prefixes); BYTS includes the HLT that follows */
    if (ex->ud_over_10 && t->has_exc && (t->exc_vector == 6 || t->exc_vector == 13) &&
        (ds == DEC_OK ? in.len : t->nbytes - 1) > 10) {
        return EX_LONG;
    }
    if (ex->sreg_fs_gs && ds == DEC_OK && (in.op == OPX_MOV_EvSw || in.op == OPX_MOV_SwEw) &&
        (MODRM_REG(&in) == SEG_FS || MODRM_REG(&in) == SEG_GS)) {
        return EX_SREG;
    }
    if (ex->lock_ud && !(t->has_exc && t->exc_vector == 6)) {
        /* the 286 ignores a misplaced LOCK; a P6 raises #UD (SDM "LOCK") */
        bool has_lock = false;
        for (uint32_t k = 0; k < t->nbytes && k < 15; k++) {
            uint8_t b = t->bytes[k];
            if (b == 0xF0) {
                has_lock = true;
            } else if (b != 0x26 && b != 0x2E && b != 0x36 && b != 0x3E && b != 0xF2 && b != 0xF3) {
                break;
            }
        }
        if (has_lock && ds == DEC_UD) {
            return EX_LOCK;
        }
    }
    if (t->hash) {
        for (int k = 0; k < ex->nhashes; k++) {
            if (!memcmp(ex->hashes[k], t->hash, 20)) {
                return EX_HASH;
            }
        }
    }
    return EX_NONE;
}

/* The table entry of the test's instruction: its undefined flags. */
static uint16_t undefined_flags(const MooTest *t)
{
    Insn in;
    uint8_t buf[16] = {0};
    unsigned n = t->nbytes < 16 ? t->nbytes : 16;
    memcpy(buf, t->bytes, n);
    if (decode_insn(&in, buf, n, false) != DEC_OK) {
        return 0;
    }
    return kOpTable[in.op].fund;
}

static void dump_state(const char *what, const MooState *st)
{
    printf("%s:", what);
    for (int r = 0; r < RG_COUNT; r++) {
        if (st->present & (1u << r)) {
            printf(" %s=%04x", kRegNames[r], st->regs[r]);
        }
    }
    printf("\n  ram:");
    for (uint32_t k = 0; k < st->nram; k++) {
        printf(" %06x=%02x", rd32(st->ram + 5 * k), st->ram[5 * k + 4]);
    }
    printf("\n");
}

static void dump_test(const MooTest *t)
{
    printf("test #%u %s (%u bytes)", t->index, t->name, t->nbytes);
    if (t->has_exc) {
        printf(" exception %u, flags at %06x", t->exc_vector, t->flag_addr);
    }
    printf("\n");
    dump_state("init", &t->init);
    dump_state("final", &t->fina);
}

static void run_file(Runner *rn, const char *dir, const char *file, int max_report)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    size_t len = 0;
    uint8_t *data = read_gz(path, &len);
    if (!data) {
        fprintf(stderr, "cannot read %s\n", path);
        rn->failed++;
        return;
    }
    bool file_excl = excluded_file(rn->ex, file);
    Buf b = {data, len};
    char tag[5];
    Buf c;
    int reported = 0;
    long fails = 0, total = 0;
    while (next_chunk(&b, tag, &c)) {
        if (strcmp(tag, "TEST") != 0) {
            continue;
        }
        MooTest t;
        if (!parse_test(c, &t)) {
            fprintf(stderr, "%s: malformed test chunk\n", file);
            rn->failed++;
            break;
        }
        total++;
        if (rn->only_index >= 0 && (long)t.index != rn->only_index) {
            continue;
        }
        if (rn->only_index >= 0) {
            dump_test(&t);
        }
        int why = file_excl ? EX_FILE : excluded_test(rn->ex, &t);
        if (why != EX_NONE) {
            rn->excluded++;
            rn->by_rule[why]++;
            continue;
        }
        char msg[1024];
        uint8_t raised = 0xFF;
        if (run_test(rn, &t, undefined_flags(&t), msg, sizeof msg, &raised)) {
            rn->passed++;
        } else if (rn->ex->seg_overrun && t.has_exc && t.exc_vector == 13 &&
                   (raised == EXC_GP || raised == EXC_SS)) {
            /* both CPUs refused the access; the 286's frame (int 13 for the stack too) and
             * its partial updates are its own */
            rn->excused++;
        } else {
            rn->failed++;
            fails++;
            if (reported++ < max_report) {
                char hex[64] = {0};
                for (uint32_t k = 0; k < t.nbytes && k < 15; k++) {
                    snprintf(hex + 3 * k, 4, "%02x ", t.bytes[k]);
                }
                printf("FAIL %s #%u %-28s [%s]%s\n", file, t.index, t.name, hex, msg);
            }
        }
    }
    if (fails) {
        printf("  %s: %ld of %ld failed\n", file, fails, total);
    }
    free(data);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    static Runner rn;
    rn.only_index = -1;
    const char *dir = "../shared/cpu-tests/80286-real";
    const char *only = NULL;
    int max_report = 3;
    for (int k = 1; k < argc; k++) {
        if (!strcmp(argv[k], "-v")) {
            max_report = 1000000;
        } else if (!strcmp(argv[k], "-index") && k + 1 < argc) {
            rn.only_index = atol(argv[++k]);
        } else if (!strcmp(argv[k], "-only") && k + 1 < argc) {
            only = argv[++k];
        } else {
            dir = argv[k];
        }
    }
    static Exclusions ex;
    load_exclusions(&ex, "tests/cpu_tests_exclusions.txt");

    rn.ex = &ex;
    if (bus_init(&rn.bus, 16u << 20) != 0) {
        fprintf(stderr, "out of memory\n");
        return 2;
    }
    clock_init(&rn.clock, CLOCK_DEFAULT_SHIFT);
    if (cpu_init(&rn.cpu, &rn.bus, &rn.clock, &kTestModel) != 0) {
        fprintf(stderr, "cpu_init failed\n");
        return 2;
    }

    /* the file list: every *.MOO.gz in the directory, in name order */
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "cannot open %s\n", dir);
        return 2;
    }
    char *names[1024];
    int nnames = 0;
    struct dirent *de;
    while (nnames < 1024 && (de = readdir(d)) != NULL) {
        size_t l = strlen(de->d_name);
        if (l > 7 && !strcmp(de->d_name + l - 7, ".MOO.gz") &&
            (!only || !strcmp(only, de->d_name))) {
            names[nnames++] = strdup(de->d_name);
        }
    }
    closedir(d);
    if (nnames == 0) {
        fprintf(stderr, "no tests found in %s\n", dir);
        return 2;
    }
    qsort(names, (size_t)nnames, sizeof names[0], cmp_str);
    for (int k = 0; k < nnames; k++) {
        run_file(&rn, dir, names[k], max_report);
        free(names[k]);
    }
    printf("excluded:");
    for (int k = 1; k < EX_KINDS; k++) {
        printf(" %s %ld", kExName[k], rn.by_rule[k]);
    }
    printf("; excused: seg_overrun %ld\n", rn.excused);
    printf("%ld passed, %ld failed (%ld excluded, %ld excused by rule seg_overrun)\n", rn.passed,
           rn.failed, rn.excluded, rn.excused);
    cpu_free(&rn.cpu);
    bus_free(&rn.bus);
    return rn.failed ? 1 : 0;
}
