/* Host-differential tests of the integer instructions.
 *
 * Each case runs one instruction twice: on the host (x86-64 inline assembly, the same instruction
 * with the incoming flags loaded by POPFQ and the result flags read by PUSHFQ) and in the
 * emulator (the instruction's bytes in guest RAM, executed by a Cpu in flat 32-bit protected mode
 * with a 16-bit operand-size prefix where needed). Results and the arithmetic flags are compared;
 * flags the opcode table marks undefined for the instruction (`fund`, found by decoding the bytes)
 * are masked, and so is CF after SHL/SHR of 8/16-bit operands by a count at least the width
 * (undefined per SDM "SAL/SAR/SHL/SHR"). Divisions the host would fault on are not run there: the
 * emulator must raise #DE (vector 0) for them instead.
 *
 * BCD instructions do not exist in 64-bit mode: they are checked against reference functions
 * written from the SDM's operation sections (bcd_ref_*, deliberately literal), for every AL, AF
 * and CF (and a spread of AH values), and against the 286 captures by tests/cpu_tests.c.
 *
 * Prints "N passed, M failed"; exits 1 on any failure. Deterministic (fixed seed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chipset/clock.h"
#include "cpu/cpu.h"
#include "decoder/decode.h"
#include "decoder/opcodes.h"
#include "mmu/bus.h"

#if !defined(__x86_64__)
int main(void)
{
    printf("diff_tests: needs an x86-64 host; 0 passed, 0 failed\n");
    return 0;
}
#else

/* ---- the emulated machine: flat 32-bit protected mode, CPL 0, no paging ---- */

#define RAM_SIZE (4u << 20)
#define GDT_BASE 0x0800u
#define IDT_BASE 0x0900u
#define EXC_STUBS 0x0700u /* 32 HLT bytes: vector v halts at EXC_STUBS + v + 1 */
#define CODE 0x1000u
#define STACK_TOP 0x8000u
#define SRC_BUF 0x10000u
#define DST_BUF 0x20000u
#define MEM_BUF 0x30000u

static const CpuModel kDiffModel = {
    .name = "diff P6",
    .family = 6,
    .model = 1,
    .stepping = 9,
    .isa_mask = (1u << I386) | (1u << I486) | (1u << I586) | (1u << I686) | (1u << FPU),
};

static Bus g_bus;
static Clock g_clock;
static Cpu g_cpu;
static long g_pass, g_fail;
static int g_reported;

static void put32(uint32_t addr, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    bus_mem_write(&g_bus, addr, b, 4);
}

static void set_flat(SegReg *sr, uint16_t sel, uint16_t attr)
{
    sr->sel = sel;
    sr->base = 0;
    sr->limit = 0xFFFFFFFFu;
    sr->attr = attr;
}

static int emu_init(void)
{
    if (bus_init(&g_bus, RAM_SIZE) != 0) {
        return -1;
    }
    clock_init(&g_clock, CLOCK_DEFAULT_SHIFT);
    if (cpu_init(&g_cpu, &g_bus, &g_clock, &kDiffModel) != 0) {
        return -1;
    }
    /* GDT: null, code 0x08 (base 0, 4 GB, 32-bit, execute/read), data 0x10 */
    put32(GDT_BASE + 8, 0x0000FFFFu);
    put32(GDT_BASE + 12, 0x00CF9B00u);
    put32(GDT_BASE + 16, 0x0000FFFFu);
    put32(GDT_BASE + 20, 0x00CF9300u);
    /* IDT: 32 interrupt gates to the HLT stubs */
    for (uint32_t v = 0; v < 32; v++) {
        uint32_t off = EXC_STUBS + v;
        put32(IDT_BASE + v * 8, (0x08u << 16) | (off & 0xFFFF));
        put32(IDT_BASE + v * 8 + 4, (off & 0xFFFF0000u) | 0x8E00u);
        uint8_t hlt = 0xF4;
        bus_mem_write(&g_bus, EXC_STUBS + v, &hlt, 1);
    }
    return 0;
}

/* Put the CPU in flat protected mode with the given registers and flags. */
static void emu_state(const uint32_t regs[8], uint32_t eflags)
{
    CpuState *s = &g_cpu.s;
    s->cr0 |= CR0_PE;
    s->gdtr.base = GDT_BASE;
    s->gdtr.limit = 0x17;
    s->idtr.base = IDT_BASE;
    s->idtr.limit = 32 * 8 - 1;
    set_flat(&s->seg[SEG_CS], 0x08, 0xC09B);
    for (int k = 0; k < 6; k++) {
        if (k != SEG_CS) {
            set_flat(&s->seg[k], 0x10, 0xC093);
        }
    }
    s->cpl = 0;
    cpu_update_mode(&g_cpu);
    memcpy(s->regs, regs, sizeof s->regs);
    s->regs[R_ESP] = STACK_TOP;
    cpu_set_eflags_raw(&g_cpu, eflags);
    s->halted = 0;
    g_cpu.pending = 0;
    g_cpu.shutdown = 0;
}

/* Execute `len` code bytes (a HLT is appended). Returns -1 when the code ran to the HLT, the
 * vector of the exception it raised, or -2 if it never halted. Registers and flags come back. */
static int emu_exec(const uint8_t *code, unsigned len, uint32_t regs[8], uint32_t *eflags)
{
    uint8_t buf[32];
    memcpy(buf, code, len);
    buf[len] = 0xF4;
    bus_mem_write(&g_bus, CODE, buf, len + 1);
    emu_state(regs, *eflags);
    g_cpu.s.eip = CODE;
    for (int k = 0; k < 1000 && !g_cpu.s.halted && !g_cpu.shutdown; k++) {
        cpu_run(&g_cpu, 100000);
    }
    memcpy(regs, g_cpu.s.regs, sizeof g_cpu.s.regs);
    *eflags = cpu_get_eflags(&g_cpu);
    uint32_t eip = g_cpu.s.eip;
    if (!g_cpu.s.halted) {
        return -2;
    }
    if (eip == CODE + len + 1) {
        return -1;
    }
    if (eip >= EXC_STUBS + 1 && eip <= EXC_STUBS + 32) {
        return (int)(eip - EXC_STUBS - 1);
    }
    return -2;
}

/* defined flags of the instruction in `code` (OSZAPC minus the table's fund) */
static uint32_t defined_flags(const uint8_t *code, unsigned len)
{
    Insn in;
    uint8_t buf[16] = {0};
    memcpy(buf, code, len < 16 ? len : 16);
    if (decode_insn(&in, buf, 16, true) != DEC_OK) {
        return F_ARITH;
    }
    return F_ARITH & ~(uint32_t)kOpTable[in.op].fund;
}

/* ---- random operands ---- */

static uint64_t g_rng = 0x9E3779B97F4A7C15ull;

static uint64_t rnd(void)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return g_rng;
}

/* a value of `size` bytes, biased towards the edges where flags change */
static uint32_t operand(unsigned size)
{
    uint32_t m = size == 4 ? 0xFFFFFFFFu : (1u << (size * 8)) - 1, sign = 1u << (size * 8 - 1);
    static const int kind_weights = 8;
    switch (rnd() % kind_weights) {
    case 0:
        return (uint32_t)(rnd() % 3);
    case 1:
        return (m - (uint32_t)(rnd() % 3)) & m;
    case 2:
        return (sign + (uint32_t)(rnd() % 3) - 1) & m;
    case 3:
        return (uint32_t)(rnd() & 0xF) | ((uint32_t)rnd() & m & ~0xFFu);
    default:
        return (uint32_t)rnd() & m;
    }
}

static uint32_t rnd_flags(void)
{
    return ((uint32_t)rnd() & F_ARITH) | 0x202u; /* IF and bit 1 set, DF clear, TF clear */
}

static void report(const char *what, unsigned size, const char *fmt_in, uint32_t want, uint32_t got,
                   uint32_t wf, uint32_t gf, uint32_t fmask)
{
    g_fail++;
    if (g_reported++ < 40) {
        printf("FAIL %s/%u %s: result %08x want %08x, flags %03x want %03x (mask %03x)\n", what,
               size * 8, fmt_in, got, want, gf & fmask, wf & fmask, fmask);
    }
}

/* ---- host execution: one instruction between POPFQ and PUSHFQ (below the red zone) ---- */

#define PRE "sub $128, %%rsp\n\tpushq %q[f]\n\tpopfq\n\t"
#define POST "\n\tpushfq\n\tpopq %q[f]\n\tadd $128, %%rsp"

/* binary ALU op: a = a OP b */
#define HOST_BIN(FN, INSN, T)                                                                      \
    static T FN(T a, T b, uint64_t *fl)                                                            \
    {                                                                                              \
        uint64_t f = *fl;                                                                          \
        __asm__ volatile(PRE INSN " %[b], %[a]" POST                                               \
                         : [a] "+r"(a), [f] "+r"(f)                                                \
                         : [b] "r"(b)                                                              \
                         : "cc", "memory");                                                        \
        *fl = f;                                                                                   \
        return a;                                                                                  \
    }
#define HOST_BIN3(NAME, INSN)                                                                      \
    HOST_BIN(host_##NAME##8, INSN, uint8_t)                                                        \
    HOST_BIN(host_##NAME##16, INSN, uint16_t)                                                      \
    HOST_BIN(host_##NAME##32, INSN, uint32_t)
HOST_BIN3(add, "add")
HOST_BIN3(adc, "adc")
HOST_BIN3(sub, "sub")
HOST_BIN3(sbb, "sbb")
HOST_BIN3(and, "and")
HOST_BIN3(or, "or")
HOST_BIN3(xor, "xor")
HOST_BIN3(cmp, "cmp")
HOST_BIN3(test, "test")
HOST_BIN(host_bsf16, "bsf", uint16_t)
HOST_BIN(host_bsf32, "bsf", uint32_t)
HOST_BIN(host_bsr16, "bsr", uint16_t)
HOST_BIN(host_bsr32, "bsr", uint32_t)
HOST_BIN(host_bt16, "bt", uint16_t)
HOST_BIN(host_bt32, "bt", uint32_t)
HOST_BIN(host_bts16, "bts", uint16_t)
HOST_BIN(host_bts32, "bts", uint32_t)
HOST_BIN(host_btr16, "btr", uint16_t)
HOST_BIN(host_btr32, "btr", uint32_t)
HOST_BIN(host_btc16, "btc", uint16_t)
HOST_BIN(host_btc32, "btc", uint32_t)
HOST_BIN(host_imul16, "imul", uint16_t)
HOST_BIN(host_imul32, "imul", uint32_t)

#define HOST_UN(FN, INSN, T)                                                                       \
    static T FN(T a, T b, uint64_t *fl)                                                            \
    {                                                                                              \
        (void)b;                                                                                   \
        uint64_t f = *fl;                                                                          \
        __asm__ volatile(PRE INSN " %[a]" POST : [a] "+r"(a), [f] "+r"(f) : : "cc", "memory");     \
        *fl = f;                                                                                   \
        return a;                                                                                  \
    }
#define HOST_UN3(NAME, INSN)                                                                       \
    HOST_UN(host_##NAME##8, INSN, uint8_t)                                                         \
    HOST_UN(host_##NAME##16, INSN, uint16_t)                                                       \
    HOST_UN(host_##NAME##32, INSN, uint32_t)
HOST_UN3(inc, "inc")
HOST_UN3(dec, "dec")
HOST_UN3(neg, "neg")
HOST_UN3(not, "not")
HOST_UN(host_bswap32, "bswap", uint32_t)

/* shifts and rotates by CL */
#define HOST_SH(FN, INSN, T)                                                                       \
    static T FN(T a, uint8_t c, uint64_t *fl)                                                      \
    {                                                                                              \
        uint64_t f = *fl;                                                                          \
        __asm__ volatile(PRE INSN " %%cl, %[a]" POST                                               \
                         : [a] "+r"(a), [f] "+r"(f)                                                \
                         : "c"(c)                                                                  \
                         : "cc", "memory");                                                        \
        *fl = f;                                                                                   \
        return a;                                                                                  \
    }
#define HOST_SH3(NAME, INSN)                                                                       \
    HOST_SH(host_##NAME##8, INSN, uint8_t)                                                         \
    HOST_SH(host_##NAME##16, INSN, uint16_t)                                                       \
    HOST_SH(host_##NAME##32, INSN, uint32_t)
HOST_SH3(rol, "rol")
HOST_SH3(ror, "ror")
HOST_SH3(rcl, "rcl")
HOST_SH3(rcr, "rcr")
HOST_SH3(shl, "shl")
HOST_SH3(shr, "shr")
HOST_SH3(sar, "sar")

/* double shifts by CL: a = SHxD(a, b, cl) */
#define HOST_SHD(FN, INSN, T)                                                                      \
    static T FN(T a, T b, uint8_t c, uint64_t *fl)                                                 \
    {                                                                                              \
        uint64_t f = *fl;                                                                          \
        __asm__ volatile(PRE INSN " %%cl, %[b], %[a]" POST                                         \
                         : [a] "+r"(a), [f] "+r"(f)                                                \
                         : [b] "r"(b), "c"(c)                                                      \
                         : "cc", "memory");                                                        \
        *fl = f;                                                                                   \
        return a;                                                                                  \
    }
HOST_SHD(host_shld16, "shld", uint16_t)
HOST_SHD(host_shld32, "shld", uint32_t)
HOST_SHD(host_shrd16, "shrd", uint16_t)
HOST_SHD(host_shrd32, "shrd", uint32_t)

/* one-operand multiply/divide: (d:a) OP b; the 8-bit forms use AX only */
#define HOST_MD(FN, INSN, T)                                                                       \
    static void FN(T *a, T *d, T b, uint64_t *fl)                                                  \
    {                                                                                              \
        uint64_t f = *fl;                                                                          \
        T ra = *a, rd = *d;                                                                        \
        __asm__ volatile(PRE INSN " %[b]" POST                                                     \
                         : "+a"(ra), "+d"(rd), [f] "+r"(f)                                         \
                         : [b] "r"(b)                                                              \
                         : "cc", "memory");                                                        \
        *a = ra;                                                                                   \
        *d = rd;                                                                                   \
        *fl = f;                                                                                   \
    }
#define HOST_MD8(FN, INSN)                                                                         \
    static void FN(uint16_t *ax, uint8_t b, uint64_t *fl)                                          \
    {                                                                                              \
        uint64_t f = *fl;                                                                          \
        uint16_t ra = *ax;                                                                         \
        __asm__ volatile(PRE INSN " %[b]" POST                                                     \
                         : "+a"(ra), [f] "+r"(f)                                                   \
                         : [b] "q"(b)                                                              \
                         : "cc", "memory");                                                        \
        *ax = ra;                                                                                  \
        *fl = f;                                                                                   \
    }
HOST_MD8(host_mul8, "mulb")
HOST_MD8(host_imul8, "imulb")
HOST_MD8(host_div8, "divb")
HOST_MD8(host_idiv8, "idivb")
HOST_MD(host_mul16, "mulw", uint16_t)
HOST_MD(host_imul1_16, "imulw", uint16_t)
HOST_MD(host_div16, "divw", uint16_t)
HOST_MD(host_idiv16, "idivw", uint16_t)
HOST_MD(host_mul32, "mull", uint32_t)
HOST_MD(host_imul1_32, "imull", uint32_t)
HOST_MD(host_div32, "divl", uint32_t)
HOST_MD(host_idiv32, "idivl", uint32_t)

/* exchange-and-compute: CMPXCHG dest, src (accumulator in EAX), XADD dest, src */
#define HOST_CX(FN, T)                                                                             \
    static T FN(T dest, T *acc, T src, uint64_t *fl)                                               \
    {                                                                                              \
        uint64_t f = *fl;                                                                          \
        T ra = *acc;                                                                               \
        __asm__ volatile(PRE "cmpxchg %[s], %[d]" POST                                             \
                         : [d] "+r"(dest), "+a"(ra), [f] "+r"(f)                                   \
                         : [s] "r"(src)                                                            \
                         : "cc", "memory");                                                        \
        *acc = ra;                                                                                 \
        *fl = f;                                                                                   \
        return dest;                                                                               \
    }
HOST_CX(host_cmpxchg8, uint8_t)
HOST_CX(host_cmpxchg16, uint16_t)
HOST_CX(host_cmpxchg32, uint32_t)
#define HOST_XA(FN, T)                                                                             \
    static T FN(T dest, T *src, uint64_t *fl)                                                      \
    {                                                                                              \
        uint64_t f = *fl;                                                                          \
        T rs = *src;                                                                               \
        __asm__ volatile(PRE "xadd %[s], %[d]" POST                                                \
                         : [d] "+r"(dest), [s] "+r"(rs), [f] "+r"(f)                               \
                         :                                                                         \
                         : "cc", "memory");                                                        \
        *src = rs;                                                                                 \
        *fl = f;                                                                                   \
        return dest;                                                                               \
    }
HOST_XA(host_xadd8, uint8_t)
HOST_XA(host_xadd16, uint16_t)
HOST_XA(host_xadd32, uint32_t)

/* ---- emulator encodings ---- */

/* append the operand-size prefix for 16-bit forms (the code segment is 32-bit) */
static unsigned enc_prefix(uint8_t *b, unsigned size)
{
    if (size == 2) {
        b[0] = 0x66;
        return 1;
    }
    return 0;
}

static uint8_t modrm_rr(unsigned reg, unsigned rm)
{
    return (uint8_t)(0xC0 | (reg << 3) | rm);
}

/* compare and count; `what` names the instruction */
static void check(const char *what, unsigned size, uint32_t want, uint32_t got, uint32_t wflags,
                  uint32_t gflags, uint32_t fmask, const char *detail)
{
    uint32_t m = size == 4 ? 0xFFFFFFFFu : (1u << (size * 8)) - 1;
    if ((want & m) == (got & m) && (wflags & fmask) == (gflags & fmask)) {
        g_pass++;
    } else {
        report(what, size, detail, want & m, got & m, wflags, gflags, fmask);
    }
}

/* ---- binary ALU, TEST, BSF/BSR, BT*, IMUL Gv,Ev ---- */

typedef uint32_t (*BinFn)(uint32_t a, uint32_t b, uint64_t *f, unsigned size);

#define BIN_WRAP(NAME)                                                                             \
    static uint32_t w_##NAME(uint32_t a, uint32_t b, uint64_t *f, unsigned size)                   \
    {                                                                                              \
        switch (size) {                                                                            \
        case 1:                                                                                    \
            return host_##NAME##8((uint8_t)a, (uint8_t)b, f);                                      \
        case 2:                                                                                    \
            return host_##NAME##16((uint16_t)a, (uint16_t)b, f);                                   \
        default:                                                                                   \
            return host_##NAME##32(a, b, f);                                                       \
        }                                                                                          \
    }
BIN_WRAP(add)
BIN_WRAP(adc)
BIN_WRAP(sub)
BIN_WRAP(sbb)
BIN_WRAP(and)
BIN_WRAP(or)
BIN_WRAP(xor)
BIN_WRAP(cmp)
BIN_WRAP(test)
BIN_WRAP(inc)
BIN_WRAP(dec)
BIN_WRAP(neg)
BIN_WRAP(not )

#define BIN_WRAP_V(NAME)                                                                           \
    static uint32_t w_##NAME(uint32_t a, uint32_t b, uint64_t *f, unsigned size)                   \
    {                                                                                              \
        return size == 2 ? host_##NAME##16((uint16_t)a, (uint16_t)b, f)                            \
                         : host_##NAME##32(a, b, f);                                               \
    }
BIN_WRAP_V(bsf)
BIN_WRAP_V(bsr)
BIN_WRAP_V(bt)
BIN_WRAP_V(bts)
BIN_WRAP_V(btr)
BIN_WRAP_V(btc)
BIN_WRAP_V(imul)

typedef struct BinCase {
    const char *name;
    BinFn host;
    uint8_t op8, opv; /* opcode bytes after 0F when two_byte; 0 = no byte form */
    bool two_byte;
    bool swap; /* ModRM reg is the destination (Gv, Ev forms) */
    int ext;   /* -1, or the /digit of a one-operand form (reg field) */
} BinCase;

static const BinCase kBin[] = {
    {"add", w_add, 0x00, 0x01, false, false, -1},   {"adc", w_adc, 0x10, 0x11, false, false, -1},
    {"sub", w_sub, 0x28, 0x29, false, false, -1},   {"sbb", w_sbb, 0x18, 0x19, false, false, -1},
    {"and", w_and, 0x20, 0x21, false, false, -1},   {"or", w_or, 0x08, 0x09, false, false, -1},
    {"xor", w_xor, 0x30, 0x31, false, false, -1},   {"cmp", w_cmp, 0x38, 0x39, false, false, -1},
    {"test", w_test, 0x84, 0x85, false, false, -1}, {"inc", w_inc, 0xFE, 0xFF, false, false, 0},
    {"dec", w_dec, 0xFE, 0xFF, false, false, 1},    {"neg", w_neg, 0xF6, 0xF7, false, false, 3},
    {"not", w_not, 0xF6, 0xF7, false, false, 2},    {"bsf", w_bsf, 0, 0xBC, true, true, -1},
    {"bsr", w_bsr, 0, 0xBD, true, true, -1},        {"bt", w_bt, 0, 0xA3, true, false, -1},
    {"bts", w_bts, 0, 0xAB, true, false, -1},       {"btr", w_btr, 0, 0xB3, true, false, -1},
    {"btc", w_btc, 0, 0xBB, true, false, -1},       {"imul2", w_imul, 0, 0xAF, true, true, -1},
};

/* a (destination) in ECX/CL, b (source) in EDX/DL */
static void run_bin(const BinCase *c, unsigned size, uint32_t a, uint32_t b, uint32_t fl)
{
    uint8_t code[8];
    unsigned n = enc_prefix(code, size);
    if (c->two_byte) {
        code[n++] = 0x0F;
    }
    code[n++] = size == 1 ? c->op8 : c->opv;
    if (c->ext >= 0) {
        code[n++] = modrm_rr((unsigned)c->ext, R_ECX);
    } else if (c->swap) {
        code[n++] = modrm_rr(R_ECX, R_EDX);
    } else {
        code[n++] = modrm_rr(R_EDX, R_ECX);
    }
    uint32_t regs[8] = {0x11111111u, 0x22222222u, 0x33333333u, 0x44444444u,
                        0,           0x66666666u, 0x77777777u, 0x88888888u};
    uint32_t m = size == 4 ? 0xFFFFFFFFu : (1u << (size * 8)) - 1;
    regs[R_ECX] = (regs[R_ECX] & ~m) | (a & m);
    regs[R_EDX] = (regs[R_EDX] & ~m) | (b & m);
    uint32_t ef = fl;
    int v = emu_exec(code, n, regs, &ef);
    uint64_t hf = fl;
    uint32_t want = c->host(a, b, &hf, size);
    char det[96];
    snprintf(det, sizeof det, "a=%x b=%x fl=%03x", a & m, b & m, fl & F_ARITH);
    if (v != -1) {
        g_fail++;
        if (g_reported++ < 40) {
            printf("FAIL %s/%u %s: emulator raised %d\n", c->name, size * 8, det, v);
        }
        return;
    }
    check(c->name, size, want, regs[R_ECX], (uint32_t)hf, ef, defined_flags(code, n), det);
    if ((regs[R_ECX] & ~m) != (0x22222222u & ~m) || (regs[R_EDX] & ~m) != (0x33333333u & ~m)) {
        report(c->name, size, "bits outside the operand changed", 0, 1, 0, 0, 0);
    }
}

static void test_binary(void)
{
    for (size_t k = 0; k < sizeof kBin / sizeof kBin[0]; k++) {
        const BinCase *c = &kBin[k];
        for (unsigned size = 1; size <= 4; size *= 2) {
            if (size == 1 && c->op8 == 0) {
                continue;
            }
            for (int t = 0; t < 3000; t++) {
                run_bin(c, size, operand(size), operand(size), rnd_flags());
            }
        }
    }
}

/* ---- shifts and rotates: every count 0-31, and random counts ---- */

typedef uint32_t (*ShFn)(uint32_t a, uint8_t c, uint64_t *f, unsigned size);
#define SH_WRAP(NAME)                                                                              \
    static uint32_t s_##NAME(uint32_t a, uint8_t c, uint64_t *f, unsigned size)                    \
    {                                                                                              \
        switch (size) {                                                                            \
        case 1:                                                                                    \
            return host_##NAME##8((uint8_t)a, c, f);                                               \
        case 2:                                                                                    \
            return host_##NAME##16((uint16_t)a, c, f);                                             \
        default:                                                                                   \
            return host_##NAME##32(a, c, f);                                                       \
        }                                                                                          \
    }
SH_WRAP(rol)
SH_WRAP(ror)
SH_WRAP(rcl)
SH_WRAP(rcr)
SH_WRAP(shl)
SH_WRAP(shr)
SH_WRAP(sar)

static const struct {
    const char *name;
    ShFn host;
    unsigned ext;
} kShift[] = {{"rol", s_rol, 0}, {"ror", s_ror, 1}, {"rcl", s_rcl, 2}, {"rcr", s_rcr, 3},
              {"shl", s_shl, 4}, {"shr", s_shr, 5}, {"sal", s_shl, 6}, {"sar", s_sar, 7}};

static void run_shift(int k, unsigned size, uint32_t a, uint8_t cnt, uint32_t fl)
{
    uint8_t code[8];
    unsigned n = enc_prefix(code, size);
    /* by-1 forms (D0/D1) for a count of 1 so OF is checked; by CL (D2/D3) otherwise */
    bool one = cnt == 1;
    code[n++] = (uint8_t)((one ? 0xD0 : 0xD2) | (size == 1 ? 0 : 1));
    code[n++] = modrm_rr(kShift[k].ext, R_EDX);
    uint32_t regs[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    uint32_t m = size == 4 ? 0xFFFFFFFFu : (1u << (size * 8)) - 1;
    regs[R_EDX] = 0xA5A5A5A5u & ~m;
    regs[R_EDX] |= a & m;
    regs[R_ECX] = 0x12345600u | cnt;
    uint32_t ef = fl;
    int v = emu_exec(code, n, regs, &ef);
    uint64_t hf = fl;
    uint32_t want = kShift[k].host(a, cnt, &hf, size);
    uint32_t fmask = defined_flags(code, n);
    unsigned c5 = cnt & 31;
    /* SHL/SHR: CF undefined when the count reaches the operand width (SDM "SAL/SAR/SHL/SHR") */
    if ((kShift[k].ext >= 4 && kShift[k].ext != 7) && c5 >= size * 8) {
        fmask &= ~F_CF;
    }
    char det[96];
    snprintf(det, sizeof det, "a=%x count=%u fl=%03x", a & m, cnt, fl & F_ARITH);
    if (v != -1) {
        g_fail++;
        if (g_reported++ < 40) {
            printf("FAIL %s/%u %s: emulator raised %d\n", kShift[k].name, size * 8, det, v);
        }
        return;
    }
    check(kShift[k].name, size, want, regs[R_EDX], (uint32_t)hf, ef, fmask, det);
    if ((regs[R_EDX] & ~m) != (0xA5A5A5A5u & ~m)) {
        report(kShift[k].name, size, "upper bits of the register changed", 0, 1, 0, 0, 0);
    }
}

static void test_shifts(void)
{
    for (int k = 0; k < 8; k++) {
        for (unsigned size = 1; size <= 4; size *= 2) {
            for (unsigned cnt = 0; cnt < 32; cnt++) {
                for (int t = 0; t < 60; t++) {
                    run_shift(k, size, operand(size), (uint8_t)cnt, rnd_flags());
                }
            }
            for (int t = 0; t < 1000; t++) {
                run_shift(k, size, operand(size), (uint8_t)rnd(), rnd_flags());
            }
        }
    }
}

/* ---- SHLD / SHRD ---- */

static void run_shd(bool left, unsigned size, uint32_t a, uint32_t b, uint8_t cnt, uint32_t fl)
{
    uint8_t code[8];
    unsigned n = enc_prefix(code, size);
    code[n++] = 0x0F;
    code[n++] = left ? 0xA5 : 0xAD;
    code[n++] = modrm_rr(R_EDX, R_EBX); /* shxd ebx, edx, cl */
    uint32_t regs[8] = {0};
    uint32_t m = size == 4 ? 0xFFFFFFFFu : 0xFFFFu;
    regs[R_EBX] = a & m;
    regs[R_EDX] = b & m;
    regs[R_ECX] = cnt;
    uint32_t ef = fl;
    int v = emu_exec(code, n, regs, &ef);
    uint64_t hf = fl;
    uint32_t want = size == 2
                        ? (left ? host_shld16 : host_shrd16)((uint16_t)a, (uint16_t)b, cnt, &hf)
                        : (left ? host_shld32 : host_shrd32)(a, b, cnt, &hf);
    char det[96];
    snprintf(det, sizeof det, "a=%x b=%x count=%u", a & m, b & m, cnt);
    if (v != -1) {
        report(left ? "shld" : "shrd", size, det, 0, 0, 0, 0, 0);
        return;
    }
    check(left ? "shld" : "shrd", size, want, regs[R_EBX], (uint32_t)hf, ef, defined_flags(code, n),
          det);
}

static void test_shd(void)
{
    for (int left = 0; left < 2; left++) {
        for (unsigned size = 2; size <= 4; size *= 2) {
            /* 16-bit counts above 16 give undefined results: not compared */
            unsigned maxc = size == 2 ? 16 : 31;
            for (unsigned cnt = 0; cnt <= maxc; cnt++) {
                for (int t = 0; t < 80; t++) {
                    run_shd(left, size, operand(size), operand(size),
                            (uint8_t)(cnt | (rnd() & 0xE0)), rnd_flags());
                }
            }
        }
    }
}

/* ---- MUL IMUL DIV IDIV (one operand), IMUL r, r/m, imm8 ---- */

static void run_muldiv(unsigned ext, unsigned size, uint32_t a, uint32_t d, uint32_t b, uint32_t fl)
{
    static const char *const kNames[8] = {0, 0, 0, 0, "mul", "imul1", "div", "idiv"};
    uint8_t code[8];
    unsigned n = enc_prefix(code, size);
    code[n++] = size == 1 ? 0xF6 : 0xF7;
    code[n++] = modrm_rr(ext, R_EBX);
    uint32_t m = size == 4 ? 0xFFFFFFFFu : (1u << (size * 8)) - 1;
    uint32_t regs[8] = {0};
    regs[R_EAX] = size == 1 ? (a & 0xFFFF) : (a & m);
    regs[R_EDX] = size == 1 ? 0 : (d & m);
    regs[R_EBX] = b & m;
    uint32_t ef = fl;
    int v = emu_exec(code, n, regs, &ef);

    /* would the host fault? decided independently of the emulator */
    bool fault = false;
    if (ext >= 6) {
        if ((b & m) == 0) {
            fault = true;
        } else if (ext == 6) {
            uint64_t num = size == 1 ? (a & 0xFFFF) : (((uint64_t)(d & m) << (size * 8)) | (a & m));
            fault = num / (b & m) > m;
        } else {
            int64_t num;
            if (size == 1) {
                num = (int16_t)(uint16_t)a;
            } else if (size == 2) {
                num = (int32_t)(((d & 0xFFFF) << 16) | (a & 0xFFFF));
            } else {
                num = (int64_t)(((uint64_t)d << 32) | a);
            }
            int64_t den = size == 1 ? (int8_t)b : size == 2 ? (int16_t)b : (int32_t)b;
            if (num == INT64_MIN && den == -1) {
                fault = true;
            } else {
                int64_t q = num / den, lim = (int64_t)1 << (size * 8 - 1);
                fault = q >= lim || q < -lim;
            }
        }
    }
    char det[96];
    snprintf(det, sizeof det, "a=%x d=%x b=%x", a, d, b & m);
    if (fault) {
        if (v == EXC_DE && regs[R_EAX] == (size == 1 ? (a & 0xFFFF) : (a & m))) {
            g_pass++;
        } else {
            report(kNames[ext], size, det, EXC_DE, (uint32_t)v, 0, 0, 0);
        }
        return;
    }
    if (v != -1) {
        report(kNames[ext], size, det, 0xFFFFFFFFu, (uint32_t)v, 0, 0, 0);
        return;
    }
    uint64_t hf = fl;
    uint32_t wa, wd;
    if (size == 1) {
        uint16_t ax = (uint16_t)a;
        void (*fn)(uint16_t *, uint8_t, uint64_t *) = ext == 4   ? host_mul8
                                                      : ext == 5 ? host_imul8
                                                      : ext == 6 ? host_div8
                                                                 : host_idiv8;
        fn(&ax, (uint8_t)b, &hf);
        wa = ax;
        wd = 0;
        m = 0xFFFF;
    } else if (size == 2) {
        uint16_t ra = (uint16_t)a, rd = (uint16_t)d;
        void (*fn)(uint16_t *, uint16_t *, uint16_t, uint64_t *) = ext == 4   ? host_mul16
                                                                   : ext == 5 ? host_imul1_16
                                                                   : ext == 6 ? host_div16
                                                                              : host_idiv16;
        fn(&ra, &rd, (uint16_t)b, &hf);
        wa = ra;
        wd = rd;
    } else {
        uint32_t ra = a, rd = d;
        void (*fn)(uint32_t *, uint32_t *, uint32_t, uint64_t *) = ext == 4   ? host_mul32
                                                                   : ext == 5 ? host_imul1_32
                                                                   : ext == 6 ? host_div32
                                                                              : host_idiv32;
        fn(&ra, &rd, b, &hf);
        wa = ra;
        wd = rd;
    }
    uint32_t fmask = defined_flags(code, n);
    check(kNames[ext], size == 1 ? 2 : size, wa, regs[R_EAX] & m, (uint32_t)hf, ef, fmask, det);
    if (size > 1 && (regs[R_EDX] & m) != (wd & m)) {
        report(kNames[ext], size, det, wd & m, regs[R_EDX] & m, 0, 0, 0);
    }
}

static void run_imul3(unsigned size, uint32_t src, uint8_t imm, uint32_t fl)
{
    uint8_t code[8];
    unsigned n = enc_prefix(code, size);
    code[n++] = 0x6B;
    code[n++] = modrm_rr(R_ECX, R_EDX);
    code[n++] = imm;
    uint32_t regs[8] = {0};
    uint32_t m = size == 4 ? 0xFFFFFFFFu : 0xFFFFu;
    regs[R_EDX] = src & m;
    uint32_t ef = fl;
    int v = emu_exec(code, n, regs, &ef);
    uint64_t hf = fl;
    uint32_t b = (uint32_t)(int32_t)(int8_t)imm;
    uint32_t want =
        size == 2 ? host_imul16((uint16_t)src, (uint16_t)b, &hf) : host_imul32(src, b, &hf);
    char det[96];
    snprintf(det, sizeof det, "src=%x imm=%02x", src & m, imm);
    if (v != -1) {
        report("imul3", size, det, 0, 0, 0, 0, 0);
        return;
    }
    check("imul3", size, want, regs[R_ECX], (uint32_t)hf, ef, defined_flags(code, n), det);
}

static void test_muldiv(void)
{
    for (unsigned ext = 4; ext < 8; ext++) {
        for (unsigned size = 1; size <= 4; size *= 2) {
            for (int t = 0; t < 4000; t++) {
                uint32_t a = size == 1 ? operand(2) : operand(size);
                uint32_t d = operand(size), b = operand(size);
                /* keep most divisions in range: a small high half */
                if (ext >= 6 && (rnd() & 3)) {
                    d = (uint32_t)(rnd() % 3) ? 0
                                              : (size == 4 ? 0xFFFFFFFFu : (1u << (size * 8)) - 1);
                    if (size == 1) {
                        a &= 0x7FF;
                    }
                }
                run_muldiv(ext, size, a, d, b, rnd_flags());
            }
        }
    }
    for (unsigned size = 2; size <= 4; size *= 2) {
        for (int t = 0; t < 3000; t++) {
            run_imul3(size, operand(size), (uint8_t)operand(1), rnd_flags());
        }
    }
}

/* ---- BT* Ev,Ib, BT* with a memory operand and a register bit offset, BSWAP ---- */

static void test_bits_more(void)
{
    static const uint8_t kBtExt[4] = {4, 5, 6, 7}; /* bt bts btr btc */
    static const char *const kBtName[4] = {"bt_ib", "bts_ib", "btr_ib", "btc_ib"};
    for (int k = 0; k < 4; k++) {
        for (unsigned size = 2; size <= 4; size *= 2) {
            for (int t = 0; t < 1500; t++) {
                uint32_t a = operand(size), fl = rnd_flags();
                uint8_t imm = (uint8_t)rnd();
                uint8_t code[8];
                unsigned n = enc_prefix(code, size);
                code[n++] = 0x0F;
                code[n++] = 0xBA;
                code[n++] = modrm_rr(kBtExt[k], R_ECX);
                code[n++] = imm;
                uint32_t regs[8] = {0};
                regs[R_ECX] = a;
                uint32_t ef = fl;
                int v = emu_exec(code, n, regs, &ef);
                uint64_t hf = fl;
                /* the immediate is taken modulo the operand size (SDM "BT") */
                uint32_t bit = imm & (size * 8 - 1), want;
                switch (k) {
                case 0:
                    want = size == 2 ? host_bt16((uint16_t)a, (uint16_t)bit, &hf)
                                     : host_bt32(a, bit, &hf);
                    break;
                case 1:
                    want = size == 2 ? host_bts16((uint16_t)a, (uint16_t)bit, &hf)
                                     : host_bts32(a, bit, &hf);
                    break;
                case 2:
                    want = size == 2 ? host_btr16((uint16_t)a, (uint16_t)bit, &hf)
                                     : host_btr32(a, bit, &hf);
                    break;
                default:
                    want = size == 2 ? host_btc16((uint16_t)a, (uint16_t)bit, &hf)
                                     : host_btc32(a, bit, &hf);
                    break;
                }
                char det[64];
                snprintf(det, sizeof det, "a=%x imm=%u", a, imm);
                if (v != -1) {
                    report(kBtName[k], size, det, 0, 0, 0, 0, 0);
                    continue;
                }
                check(kBtName[k], size, want, regs[R_ECX], (uint32_t)hf, ef, defined_flags(code, n),
                      det);
            }
        }
    }

    /* memory bit strings: offsets from -256 to +511 bits around MEM_BUF + 64 */
    static const uint8_t kBtOp[4] = {0xA3, 0xAB, 0xB3, 0xBB};
    for (int k = 0; k < 4; k++) {
        for (unsigned size = 2; size <= 4; size *= 2) {
            for (int t = 0; t < 1500; t++) {
                uint8_t host_mem[192], init[192];
                for (size_t j = 0; j < sizeof init; j++) {
                    init[j] = (uint8_t)rnd();
                }
                memcpy(host_mem, init, sizeof host_mem);
                bus_mem_write(&g_bus, MEM_BUF, init, sizeof init);
                int32_t off = (int32_t)(rnd() % 768) - 256;
                uint32_t fl = rnd_flags();
                uint8_t code[8];
                unsigned n = enc_prefix(code, size);
                code[n++] = 0x0F;
                code[n++] = kBtOp[k];
                code[n++] = (uint8_t)((R_EDX << 3) | R_EBX); /* [ebx], edx */
                uint32_t regs[8] = {0};
                regs[R_EBX] = MEM_BUF + 64;
                regs[R_EDX] = (uint32_t)off;
                uint32_t ef = fl;
                int v = emu_exec(code, n, regs, &ef);
                uint64_t f = fl;
                uint8_t *p = host_mem + 64;
                if (size == 2) {
                    uint16_t o16 = (uint16_t)off;
                    switch (k) {
                    case 0:
                        __asm__ volatile(PRE "btw %[o], (%[p])" POST
                                         : [f] "+r"(f)
                                         : [o] "r"(o16), [p] "r"(p)
                                         : "cc", "memory");
                        break;
                    case 1:
                        __asm__ volatile(PRE "btsw %[o], (%[p])" POST
                                         : [f] "+r"(f)
                                         : [o] "r"(o16), [p] "r"(p)
                                         : "cc", "memory");
                        break;
                    case 2:
                        __asm__ volatile(PRE "btrw %[o], (%[p])" POST
                                         : [f] "+r"(f)
                                         : [o] "r"(o16), [p] "r"(p)
                                         : "cc", "memory");
                        break;
                    default:
                        __asm__ volatile(PRE "btcw %[o], (%[p])" POST
                                         : [f] "+r"(f)
                                         : [o] "r"(o16), [p] "r"(p)
                                         : "cc", "memory");
                        break;
                    }
                } else {
                    uint32_t o32 = (uint32_t)off;
                    switch (k) {
                    case 0:
                        __asm__ volatile(PRE "btl %[o], (%[p])" POST
                                         : [f] "+r"(f)
                                         : [o] "r"(o32), [p] "r"(p)
                                         : "cc", "memory");
                        break;
                    case 1:
                        __asm__ volatile(PRE "btsl %[o], (%[p])" POST
                                         : [f] "+r"(f)
                                         : [o] "r"(o32), [p] "r"(p)
                                         : "cc", "memory");
                        break;
                    case 2:
                        __asm__ volatile(PRE "btrl %[o], (%[p])" POST
                                         : [f] "+r"(f)
                                         : [o] "r"(o32), [p] "r"(p)
                                         : "cc", "memory");
                        break;
                    default:
                        __asm__ volatile(PRE "btcl %[o], (%[p])" POST
                                         : [f] "+r"(f)
                                         : [o] "r"(o32), [p] "r"(p)
                                         : "cc", "memory");
                        break;
                    }
                }
                uint8_t emu_mem[192];
                bus_mem_read(&g_bus, MEM_BUF, emu_mem, sizeof emu_mem);
                char det[64];
                snprintf(det, sizeof det, "mem bit offset %d", off);
                bool same = v == -1 && !memcmp(emu_mem, host_mem, sizeof host_mem);
                check("bt_mem", size, same ? 0 : 1, 0, (uint32_t)f, ef, defined_flags(code, n),
                      det);
            }
        }
    }

    for (int t = 0; t < 1000; t++) {
        uint32_t a = operand(4), fl = rnd_flags();
        uint8_t code[2] = {0x0F, (uint8_t)(0xC8 + R_ESI)};
        uint32_t regs[8] = {0};
        regs[R_ESI] = a;
        uint32_t ef = fl;
        int v = emu_exec(code, 2, regs, &ef);
        uint64_t hf = fl;
        uint32_t want = host_bswap32(a, 0, &hf);
        check("bswap", 4, want, v == -1 ? regs[R_ESI] : ~want, (uint32_t)hf, ef, F_ARITH, "");
    }
}

/* ---- CMPXCHG, XADD ---- */

static void test_xchg_ops(void)
{
    for (unsigned size = 1; size <= 4; size *= 2) {
        uint32_t m = size == 4 ? 0xFFFFFFFFu : (1u << (size * 8)) - 1;
        for (int t = 0; t < 3000; t++) {
            uint32_t dest = operand(size), src = operand(size),
                     acc = (rnd() & 1) ? dest : operand(size);
            uint32_t fl = rnd_flags();
            uint8_t code[8];
            unsigned n = enc_prefix(code, size);
            code[n++] = 0x0F;
            code[n++] = size == 1 ? 0xB0 : 0xB1;
            code[n++] = modrm_rr(R_EDX, R_ECX); /* cmpxchg cl/cx/ecx, dl/dx/edx */
            uint32_t regs[8] = {0};
            regs[R_EAX] = acc & m;
            regs[R_ECX] = dest & m;
            regs[R_EDX] = src & m;
            uint32_t ef = fl;
            int v = emu_exec(code, n, regs, &ef);
            uint64_t hf = fl;
            uint32_t wd, wa;
            if (size == 1) {
                uint8_t a8 = (uint8_t)acc;
                wd = host_cmpxchg8((uint8_t)dest, &a8, (uint8_t)src, &hf);
                wa = a8;
            } else if (size == 2) {
                uint16_t a16 = (uint16_t)acc;
                wd = host_cmpxchg16((uint16_t)dest, &a16, (uint16_t)src, &hf);
                wa = a16;
            } else {
                uint32_t a32 = acc;
                wd = host_cmpxchg32(dest, &a32, src, &hf);
                wa = a32;
            }
            char det[96];
            snprintf(det, sizeof det, "dest=%x acc=%x src=%x", dest & m, acc & m, src & m);
            check("cmpxchg", size, wd, v == -1 ? regs[R_ECX] : ~wd, (uint32_t)hf, ef,
                  defined_flags(code, n), det);
            check("cmpxchg.acc", size, wa, regs[R_EAX], 0, 0, 0, det);
        }
        for (int t = 0; t < 3000; t++) {
            uint32_t dest = operand(size), src = operand(size), fl = rnd_flags();
            uint8_t code[8];
            unsigned n = enc_prefix(code, size);
            code[n++] = 0x0F;
            code[n++] = size == 1 ? 0xC0 : 0xC1;
            code[n++] = modrm_rr(R_EDX, R_ECX); /* xadd ecx, edx */
            uint32_t regs[8] = {0};
            regs[R_ECX] = dest & m;
            regs[R_EDX] = src & m;
            uint32_t ef = fl;
            int v = emu_exec(code, n, regs, &ef);
            uint64_t hf = fl;
            uint32_t wd, ws;
            if (size == 1) {
                uint8_t s8 = (uint8_t)src;
                wd = host_xadd8((uint8_t)dest, &s8, &hf);
                ws = s8;
            } else if (size == 2) {
                uint16_t s16 = (uint16_t)src;
                wd = host_xadd16((uint16_t)dest, &s16, &hf);
                ws = s16;
            } else {
                uint32_t s32 = src;
                wd = host_xadd32(dest, &s32, &hf);
                ws = s32;
            }
            char det[96];
            snprintf(det, sizeof det, "dest=%x src=%x", dest & m, src & m);
            check("xadd", size, wd, v == -1 ? regs[R_ECX] : ~wd, (uint32_t)hf, ef,
                  defined_flags(code, n), det);
            check("xadd.src", size, ws, regs[R_EDX], 0, 0, 0, det);
        }
    }
}

/* ---- string instructions: MOVS STOS CMPS SCAS, REP/REPE/REPNE, DF ---- */

#define SBUF 256

static void test_strings(void)
{
    static const struct {
        const char *name;
        uint8_t op; /* byte form; +1 for word/dword */
    } kStr[] = {{"movs", 0xA4}, {"stos", 0xAA}, {"cmps", 0xA6}, {"scas", 0xAE}, {"lods", 0xAC}};
    for (size_t k = 0; k < sizeof kStr / sizeof kStr[0]; k++) {
        for (unsigned size = 1; size <= 4; size *= 2) {
            for (int t = 0; t < 600; t++) {
                int rep = (int)(rnd() % 3); /* 0 none, 1 F3, 2 F2 */
                bool df = rnd() & 1;
                uint32_t count = (uint32_t)(rnd() % 24);
                uint8_t src[SBUF], dst[SBUF];
                for (int j = 0; j < SBUF; j++) {
                    src[j] = (uint8_t)(rnd() % 4); /* small alphabet: compares often match */
                    dst[j] = (uint8_t)(rnd() % 4);
                }
                uint32_t eax = (uint32_t)(rnd() % 4) * 0x01010101u;
                uint32_t si_off = df ? 160 : 64, di_off = df ? 170 : 70;
                /* host */
                uint8_t hsrc[SBUF], hdst[SBUF];
                memcpy(hsrc, src, SBUF);
                memcpy(hdst, dst, SBUF);
                uint8_t *hsi = hsrc + si_off, *hdi = hdst + di_off;
                uint64_t hcx = count, hax = eax;
                uint64_t f = rnd_flags() | (df ? F_DF : 0);
                uint32_t fl_in = (uint32_t)f;
                uint8_t op = (uint8_t)(kStr[k].op + (size == 1 ? 0 : 1));
                /* one asm body per (prefix, size): the mnemonic encodes both */
#define HSTR(INSN)                                                                                 \
    __asm__ volatile(PRE INSN POST "\n\tcld"                                                       \
                     : "+S"(hsi), "+D"(hdi), "+c"(hcx), "+a"(hax), [f] "+r"(f)                     \
                     :                                                                             \
                     : "cc", "memory")
#define HSTR3(P, B, W, D)                                                                          \
    do {                                                                                           \
        if (size == 1) {                                                                           \
            HSTR(P B);                                                                             \
        } else if (size == 2) {                                                                    \
            HSTR(P W);                                                                             \
        } else {                                                                                   \
            HSTR(P D);                                                                             \
        }                                                                                          \
    } while (0)
#define HSTR_ALL(B, W, D)                                                                          \
    do {                                                                                           \
        if (rep == 0) {                                                                            \
            HSTR3("", B, W, D);                                                                    \
        } else if (rep == 1) {                                                                     \
            HSTR3("rep ", B, W, D);                                                                \
        } else {                                                                                   \
            HSTR3("repne ", B, W, D);                                                              \
        }                                                                                          \
    } while (0)
                switch (k) {
                case 0:
                    HSTR_ALL("movsb", "movsw", "movsl");
                    break;
                case 1:
                    HSTR_ALL("stosb", "stosw", "stosl");
                    break;
                case 2:
                    HSTR_ALL("cmpsb", "cmpsw", "cmpsl");
                    break;
                case 3:
                    HSTR_ALL("scasb", "scasw", "scasl");
                    break;
                default:
                    HSTR_ALL("lodsb", "lodsw", "lodsl");
                    break;
                }
                /* emulator */
                bus_mem_write(&g_bus, SRC_BUF, src, SBUF);
                bus_mem_write(&g_bus, DST_BUF, dst, SBUF);
                uint8_t code[8];
                unsigned n = 0;
                if (rep) {
                    code[n++] = rep == 1 ? 0xF3 : 0xF2;
                }
                n += enc_prefix(code + n, size);
                code[n++] = op;
                uint32_t regs[8] = {0};
                regs[R_ESI] = SRC_BUF + si_off;
                regs[R_EDI] = DST_BUF + di_off;
                regs[R_ECX] = count;
                regs[R_EAX] = eax;
                uint32_t ef = fl_in;
                int v = emu_exec(code, n, regs, &ef);
                uint8_t esrc[SBUF], edst[SBUF];
                bus_mem_read(&g_bus, SRC_BUF, esrc, SBUF);
                bus_mem_read(&g_bus, DST_BUF, edst, SBUF);
                uint32_t fmask = defined_flags(code + (rep ? 1 : 0), n - (rep ? 1 : 0));
                char det[96];
                snprintf(det, sizeof det, "%s count=%u df=%d",
                         rep == 0   ? ""
                         : rep == 1 ? "rep"
                                    : "repne",
                         count, df);
                bool ok = v == -1 && !memcmp(esrc, hsrc, SBUF) && !memcmp(edst, hdst, SBUF) &&
                          regs[R_ESI] - SRC_BUF == (uint32_t)(hsi - hsrc) &&
                          regs[R_EDI] - DST_BUF == (uint32_t)(hdi - hdst) &&
                          regs[R_ECX] == (uint32_t)hcx && regs[R_EAX] == (uint32_t)hax &&
                          (ef & F_DF) == (fl_in & F_DF);
                if (!ok && g_reported < 40) {
                    printf("  %s/%u %s: esi %x/%x edi %x/%x ecx %x/%x eax %x/%x exc %d\n",
                           kStr[k].name, size * 8, det, regs[R_ESI] - SRC_BUF,
                           (uint32_t)(hsi - hsrc), regs[R_EDI] - DST_BUF, (uint32_t)(hdi - hdst),
                           regs[R_ECX], (uint32_t)hcx, regs[R_EAX], (uint32_t)hax, v);
                }
                check(kStr[k].name, size, ok ? 0 : 1, 0, (uint32_t)f, ef, fmask, det);
            }
        }
    }
}

/* ---- BCD: reference functions transcribed from the SDM's operation sections ---- */

typedef struct BcdIn {
    uint16_t ax;
    bool cf, af;
} BcdIn;
typedef struct BcdOut {
    uint16_t ax;
    bool cf, af;
    int fault; /* #DE */
} BcdOut;

/* SDM "DAA": operation section, step by step */
static BcdOut bcd_ref_daa(BcdIn in)
{
    uint8_t al = (uint8_t)in.ax, old_al = al;
    bool old_cf = in.cf, cf = false, af;
    if ((al & 0x0F) > 9 || in.af) {
        unsigned sum = al + 6u;
        al = (uint8_t)sum;
        cf = old_cf || sum > 0xFF;
        af = true;
    } else {
        af = false;
    }
    if (old_al > 0x99 || old_cf) {
        al = (uint8_t)(al + 0x60);
        cf = true;
    } else {
        cf = false;
    }
    return (BcdOut){(uint16_t)((in.ax & 0xFF00) | al), cf, af, 0};
}

/* SDM "DAS" */
static BcdOut bcd_ref_das(BcdIn in)
{
    uint8_t al = (uint8_t)in.ax, old_al = al;
    bool old_cf = in.cf, cf = false, af;
    if ((al & 0x0F) > 9 || in.af) {
        bool borrow = al < 6;
        al = (uint8_t)(al - 6);
        cf = old_cf || borrow;
        af = true;
    } else {
        af = false;
    }
    if (old_al > 0x99 || old_cf) {
        al = (uint8_t)(al - 0x60);
        cf = true;
    }
    return (BcdOut){(uint16_t)((in.ax & 0xFF00) | al), cf, af, 0};
}

/* SDM "AAA": AX <- AX + 106H when adjusting */
static BcdOut bcd_ref_aaa(BcdIn in)
{
    uint16_t ax = in.ax;
    bool adj = (ax & 0x0F) > 9 || in.af;
    if (adj) {
        ax = (uint16_t)(ax + 0x106);
    }
    ax = (uint16_t)((ax & 0xFF00) | (ax & 0x0F));
    return (BcdOut){ax, adj, adj, 0};
}

/* SDM "AAS": AX <- AX - 6; AH <- AH - 1 when adjusting */
static BcdOut bcd_ref_aas(BcdIn in)
{
    uint16_t ax = in.ax;
    bool adj = (ax & 0x0F) > 9 || in.af;
    if (adj) {
        ax = (uint16_t)(ax - 6);
        ax = (uint16_t)((((ax >> 8) - 1) & 0xFF) << 8 | (ax & 0xFF));
    }
    ax = (uint16_t)((ax & 0xFF00) | (ax & 0x0F));
    return (BcdOut){ax, adj, adj, 0};
}

/* SDM "AAM imm8": AH <- AL / imm8; AL <- AL MOD imm8; #DE for 0 */
static BcdOut bcd_ref_aam(BcdIn in, uint8_t base)
{
    if (base == 0) {
        return (BcdOut){in.ax, in.cf, in.af, 1};
    }
    uint8_t al = (uint8_t)in.ax;
    return (BcdOut){(uint16_t)(((al / base) << 8) | (al % base)), false, false, 0};
}

/* SDM "AAD imm8": AL <- (AL + AH * imm8) AND FFH; AH <- 0 */
static BcdOut bcd_ref_aad(BcdIn in, uint8_t base)
{
    uint8_t al = (uint8_t)in.ax, ah = (uint8_t)(in.ax >> 8);
    return (BcdOut){(uint16_t)((al + ah * base) & 0xFF), false, false, 0};
}

static uint32_t szp8(uint8_t v)
{
    return (__builtin_parity(v) ? 0 : F_PF) | (v ? 0 : F_ZF) | (v & 0x80 ? F_SF : 0);
}

static void test_bcd(void)
{
    static const uint8_t kAh[] = {0x00, 0x01, 0x09, 0x7F, 0x80, 0xFE, 0xFF};
    for (int op = 0; op < 6; op++) {
        static const char *const kName[6] = {"daa", "das", "aaa", "aas", "aam", "aad"};
        static const uint8_t kOp[6] = {0x27, 0x2F, 0x37, 0x3F, 0xD4, 0xD5};
        static const uint8_t kBases[] = {10, 0, 1, 2, 7, 16, 255};
        size_t nbases = op >= 4 ? sizeof kBases : 1;
        for (size_t bi = 0; bi < nbases; bi++) {
            for (size_t hi = 0; hi < sizeof kAh; hi++) {
                for (unsigned al = 0; al < 256; al++) {
                    for (int fl = 0; fl < 4; fl++) {
                        BcdIn in = {(uint16_t)(kAh[hi] << 8 | al), (fl & 1) != 0, (fl & 2) != 0};
                        uint8_t base = kBases[bi];
                        BcdOut w;
                        switch (op) {
                        case 0:
                            w = bcd_ref_daa(in);
                            break;
                        case 1:
                            w = bcd_ref_das(in);
                            break;
                        case 2:
                            w = bcd_ref_aaa(in);
                            break;
                        case 3:
                            w = bcd_ref_aas(in);
                            break;
                        case 4:
                            w = bcd_ref_aam(in, base);
                            break;
                        default:
                            w = bcd_ref_aad(in, base);
                            break;
                        }
                        uint8_t code[2] = {kOp[op], base};
                        unsigned n = op >= 4 ? 2 : 1;
                        uint32_t regs[8] = {0};
                        regs[R_EAX] = 0xABCD0000u | in.ax;
                        uint32_t ef = 0x202u | (in.cf ? F_CF : 0) | (in.af ? F_AF : 0);
                        int v = emu_exec(code, n, regs, &ef);
                        char det[64];
                        snprintf(det, sizeof det, "ax=%04x cf=%d af=%d base=%u", in.ax, in.cf,
                                 in.af, base);
                        if (w.fault) {
                            check(kName[op], 2, EXC_DE, (uint32_t)v, 0, 0, 0, det);
                            continue;
                        }
                        uint32_t wf = (w.cf ? F_CF : 0) | (w.af ? F_AF : 0);
                        /* SF ZF PF are defined from AL for DAA DAS AAM AAD */
                        if (op <= 1 || op >= 4) {
                            wf |= szp8((uint8_t)w.ax);
                        }
                        uint32_t fmask = defined_flags(code, n);
                        uint32_t got = v == -1 ? (regs[R_EAX] & 0xFFFF) : 0xFFFFFFFFu;
                        check(kName[op], 2, w.ax, got, wf, ef, fmask, det);
                        if ((regs[R_EAX] >> 16) != 0xABCD) {
                            report(kName[op], 2, "upper half of EAX changed", 0, 1, 0, 0, 0);
                        }
                    }
                }
            }
        }
    }
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    if (emu_init() != 0) {
        fprintf(stderr, "diff_tests: cannot set up the emulator\n");
        return 2;
    }
    struct {
        const char *name;
        void (*fn)(void);
    } suites[] = {{"binary", test_binary},   {"shifts", test_shifts},
                  {"shld/shrd", test_shd},   {"mul/div", test_muldiv},
                  {"bits", test_bits_more},  {"cmpxchg/xadd", test_xchg_ops},
                  {"strings", test_strings}, {"bcd", test_bcd}};
    for (size_t k = 0; k < sizeof suites / sizeof suites[0]; k++) {
        long p0 = g_pass, f0 = g_fail;
        suites[k].fn();
        printf("%-14s %ld passed, %ld failed\n", suites[k].name, g_pass - p0, g_fail - f0);
    }
    printf("%ld passed, %ld failed\n", g_pass, g_fail);
    cpu_free(&g_cpu);
    bus_free(&g_bus);
    return g_fail ? 1 : 0;
}

#endif
