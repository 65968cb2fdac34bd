/* cpu/mmx.c and cpu/packed.c against the host's MMX unit, plus the x87/MMX state rules and the
 * handlers of cpu/x87ops.c that the guest tests reach less easily.
 *
 * The differential tests run each instruction on the host (inline asm, MM0 op MM1) and through
 * the decoder and handler table on a Pentium II in real mode, for random operands biased
 * towards the saturation and sign edges, in the register form and with the source in memory.
 */
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/x87.h"
#include "decoder/decode.h"
#include "decoder/opcodes.h"
#include "tests/unit/test.h"

extern const OpHandler kOpHandlers[OPX_COUNT];

typedef struct MmxFx {
    Bus bus;
    Clock clock;
    Cpu cpu;
} MmxFx;

static MmxFx *mfx_new(void)
{
    MmxFx *f = calloc(1, sizeof *f);
    if (!f || bus_init(&f->bus, 1u << 20)) {
        abort();
    }
    clock_init(&f->clock, CLOCK_DEFAULT_SHIFT);
    if (cpu_init(&f->cpu, &f->bus, &f->clock, &kCpuPentium2)) {
        abort();
    }
    /* real mode, CS = DS = 0 */
    for (int k = 0; k < 6; k++) {
        cpu_load_seg_real(&f->cpu, k, 0);
    }
    f->cpu.s.cr0 |= CR0_NE;
    x87_init(&f->cpu.s.fpu);
    return f;
}

static void mfx_free(MmxFx *f)
{
    cpu_free(&f->cpu);
    bus_free(&f->bus);
    free(f);
}

/* one instruction as cpu_run runs it: -1 when it completed, else the exception vector */
static int mfx_exec(MmxFx *f, const uint8_t *bytes, unsigned len)
{
    Cpu *cpu = &f->cpu;
    Insn in;
    if (decode_insn(&in, bytes, len, false) != DEC_OK || in.len != len) {
        printf("  bad test encoding\n");
        g_test_failed = 1;
        return -2;
    }
    if ((kOpTable[in.op].attr & UD) || !kOpHandlers[in.op]) {
        return EXC_UD;
    }
    cpu->insn_eip = cpu->s.eip;
    cpu->s.eip += in.len;
    if (kOpHandlers[in.op](cpu, &in)) {
        cpu->s.eip = cpu->insn_eip;
        return cpu->s.exc_vector;
    }
    return -1;
}
#define RUN(f, ...)                                                                            \
    mfx_exec(f, (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))

static uint64_t g_mmx_rng = 0x9E3779B97F4A7C15ull;

static uint64_t mr(void)
{
    g_mmx_rng ^= g_mmx_rng >> 12;
    g_mmx_rng ^= g_mmx_rng << 25;
    g_mmx_rng ^= g_mmx_rng >> 27;
    return g_mmx_rng * 0x2545F4914F6CDD1Dull;
}

/* random operands, often with elements at the edges (0, -1, min, max) */
static uint64_t mr_operand(void)
{
    static const uint16_t kEdges[] = {0x0000, 0xFFFF, 0x8000, 0x7FFF, 0x0080, 0x007F, 0xFF80,
                                      0x00FF, 0x0001};
    uint64_t v = mr();
    if (mr() % 2) {
        for (int k = 0; k < 4; k++) {
            if (mr() % 2) {
                uint64_t e = kEdges[mr() % (sizeof kEdges / sizeof kEdges[0])];
                v = (v & ~(0xFFFFull << (16 * k))) | (e << (16 * k));
            }
        }
    }
    return v;
}

#if defined(__x86_64__) || defined(__i386__)

typedef uint64_t (*HostOp)(uint64_t a, uint64_t b);

#define HOST_BIN(fn, insn)                                                                     \
    static uint64_t host_##fn(uint64_t a, uint64_t b)                                          \
    {                                                                                          \
        uint64_t r;                                                                            \
        __asm__ volatile("movq %1, %%mm0\n\t"                                                  \
                         "movq %2, %%mm1\n\t" insn " %%mm1, %%mm0\n\t"                         \
                         "movq %%mm0, %0\n\t"                                                  \
                         "emms"                                                                \
                         : "=m"(r)                                                             \
                         : "m"(a), "m"(b)                                                      \
                         : "mm0", "mm1");                                                      \
        return r;                                                                              \
    }

/* name, host mnemonic, opcode byte after 0F, ISA */
#define BIN_CASES(X)                                                                           \
    X(punpcklbw, 0x60, MMX) X(punpcklwd, 0x61, MMX) X(punpckldq, 0x62, MMX)                    \
    X(packsswb, 0x63, MMX) X(pcmpgtb, 0x64, MMX) X(pcmpgtw, 0x65, MMX) X(pcmpgtd, 0x66, MMX)   \
    X(packuswb, 0x67, MMX) X(punpckhbw, 0x68, MMX) X(punpckhwd, 0x69, MMX)                     \
    X(punpckhdq, 0x6A, MMX) X(packssdw, 0x6B, MMX) X(pcmpeqb, 0x74, MMX)                       \
    X(pcmpeqw, 0x75, MMX) X(pcmpeqd, 0x76, MMX) X(psrlw, 0xD1, MMX) X(psrld, 0xD2, MMX)        \
    X(psrlq, 0xD3, MMX) X(paddq, 0xD4, SSE2) X(pmullw, 0xD5, MMX) X(psubusb, 0xD8, MMX)        \
    X(psubusw, 0xD9, MMX) X(pminub, 0xDA, SSE) X(pand, 0xDB, MMX) X(paddusb, 0xDC, MMX)        \
    X(paddusw, 0xDD, MMX) X(pmaxub, 0xDE, SSE) X(pandn, 0xDF, MMX) X(pavgb, 0xE0, SSE)         \
    X(psraw, 0xE1, MMX) X(psrad, 0xE2, MMX) X(pavgw, 0xE3, SSE) X(pmulhuw, 0xE4, SSE)          \
    X(pmulhw, 0xE5, MMX) X(psubsb, 0xE8, MMX) X(psubsw, 0xE9, MMX) X(pminsw, 0xEA, SSE)        \
    X(por, 0xEB, MMX) X(paddsb, 0xEC, MMX) X(paddsw, 0xED, MMX) X(pmaxsw, 0xEE, SSE)           \
    X(pxor, 0xEF, MMX) X(psllw, 0xF1, MMX) X(pslld, 0xF2, MMX) X(psllq, 0xF3, MMX)             \
    X(pmuludq, 0xF4, SSE2) X(pmaddwd, 0xF5, MMX) X(psadbw, 0xF6, SSE) X(psubb, 0xF8, MMX)      \
    X(psubw, 0xF9, MMX) X(psubd, 0xFA, MMX) X(psubq, 0xFB, SSE2) X(paddb, 0xFC, MMX)           \
    X(paddw, 0xFD, MMX) X(paddd, 0xFE, MMX)

#define DEFINE_HOST(name, opc, isa) HOST_BIN(name, #name)
BIN_CASES(DEFINE_HOST)
#undef DEFINE_HOST

typedef struct BinCase {
    const char *name;
    uint8_t opc;
    uint8_t isa;
    HostOp host;
} BinCase;

static const BinCase kBinCases[] = {
#define CASE(name, opc, isa) {#name, opc, isa, host_##name},
    BIN_CASES(CASE)
#undef CASE
};

/* shifts by an immediate: 0F 71-73 with ModRM.reg selecting the operation */
#define HOST_SHIFT_IMM(fn, insn, imm)                                                          \
    static uint64_t host_##fn##_##imm(uint64_t a, uint64_t b)                                  \
    {                                                                                          \
        uint64_t r;                                                                            \
        (void)b;                                                                               \
        __asm__ volatile("movq %1, %%mm0\n\t" insn " $" #imm ", %%mm0\n\t"                     \
                         "movq %%mm0, %0\n\t"                                                  \
                         "emms"                                                                \
                         : "=m"(r)                                                             \
                         : "m"(a)                                                              \
                         : "mm0");                                                             \
        return r;                                                                              \
    }
#define SHIFT_IMM_CASES(X)                                                                     \
    X(psrlw, 0x71, 2) X(psraw, 0x71, 4) X(psllw, 0x71, 6) X(psrld, 0x72, 2) X(psrad, 0x72, 4)  \
    X(pslld, 0x72, 6) X(psrlq, 0x73, 2) X(psllq, 0x73, 6)
#define SHIFT_IMMS(X, name) X(name, #name, 0) X(name, #name, 5) X(name, #name, 17)            \
    X(name, #name, 40) X(name, #name, 200)
#define DEFINE_SHIFT_HOSTS(name, opc, reg) SHIFT_IMMS(HOST_SHIFT_IMM, name)
SHIFT_IMM_CASES(DEFINE_SHIFT_HOSTS)

typedef struct ShiftCase {
    const char *name;
    uint8_t opc, reg, imm;
    HostOp host;
} ShiftCase;
static const ShiftCase kShiftCases[] = {
#define SHIFT_CASE(name, opc, reg)                                                             \
    {#name, opc, reg, 0, host_##name##_0}, {#name, opc, reg, 5, host_##name##_5},              \
        {#name, opc, reg, 17, host_##name##_17}, {#name, opc, reg, 40, host_##name##_40},      \
        {#name, opc, reg, 200, host_##name##_200},
    SHIFT_IMM_CASES(SHIFT_CASE)
#undef SHIFT_CASE
};

/* after any MMX instruction but EMMS: TOP = 0 and no register empty */
static int mmx_state_ok(const FpuState *fp)
{
    if (fp->top != 0) {
        return 0;
    }
    for (int p = 0; p < 8; p++) {
        if (x87_tag(fp, p) == X87_TAG_EMPTY) {
            return 0;
        }
    }
    return 1;
}

TEST(mmx, binary_ops_match_host)
{
    MmxFx *f = mfx_new();
    FpuState *fp = &f->cpu.s.fpu;
    int bad = 0;
    for (size_t c = 0; c < sizeof kBinCases / sizeof kBinCases[0]; c++) {
        const BinCase *bc = &kBinCases[c];
        if (bc->isa == SSE2 && !__builtin_cpu_supports("sse2")) {
            continue;
        }
        for (int n = 0; n < 400; n++) {
            uint64_t a = mr_operand(), b = mr_operand();
            /* shift counts: small ones most of the time */
            if (bc->opc == 0xD1 || bc->opc == 0xD2 || bc->opc == 0xD3 || bc->opc == 0xE1 ||
                bc->opc == 0xE2 || bc->opc == 0xF1 || bc->opc == 0xF2 || bc->opc == 0xF3) {
                b = n % 4 ? b % 70 : b;
            }
            uint64_t want = bc->host(a, b);
            int mem = n & 1;
            x87_init(fp);
            fp->st[0].mant = a; /* MM0 */
            fp->st[1].mant = b; /* MM1 */
            uint64_t b_mem = b;
            bus_mem_write(&f->bus, 0x1000, &b_mem, 8);
            f->cpu.s.eip = 0x100;
            int r = mem ? RUN(f, 0x0F, bc->opc, 0x06, 0x00, 0x10)   /* mm0, [0x1000] */
                        : RUN(f, 0x0F, bc->opc, 0xC1);              /* mm0, mm1 */
            if (r != -1 || fp->st[0].mant != want || fp->st[0].sexp != 0xFFFF ||
                !mmx_state_ok(fp)) {
                if (bad++ < 10) {
                    printf("  %s%s %016llx, %016llx: got %016llx (r %d), host %016llx\n",
                           bc->name, mem ? " (mem)" : "", (unsigned long long)a,
                           (unsigned long long)b, (unsigned long long)fp->st[0].mant, r,
                           (unsigned long long)want);
                }
            }
        }
    }
    EXPECT_EQ(bad, 0);
    mfx_free(f);
}

TEST(mmx, immediate_shifts_match_host)
{
    MmxFx *f = mfx_new();
    FpuState *fp = &f->cpu.s.fpu;
    int bad = 0;
    for (size_t c = 0; c < sizeof kShiftCases / sizeof kShiftCases[0]; c++) {
        const ShiftCase *sc = &kShiftCases[c];
        for (int n = 0; n < 100; n++) {
            uint64_t a = mr_operand();
            uint64_t want = sc->host(a, 0);
            int reg = (int)(mr() % 8);
            x87_init(fp);
            fp->st[reg].mant = a;
            f->cpu.s.eip = 0x100;
            int r = RUN(f, 0x0F, sc->opc, (uint8_t)(0xC0 | sc->reg << 3 | reg), sc->imm);
            if (r != -1 || fp->st[reg].mant != want || !mmx_state_ok(fp)) {
                if (bad++ < 10) {
                    printf("  %s mm%d, %u of %016llx: got %016llx, host %016llx\n", sc->name,
                           reg, sc->imm, (unsigned long long)a,
                           (unsigned long long)fp->st[reg].mant, (unsigned long long)want);
                }
            }
        }
    }
    EXPECT_EQ(bad, 0);
    mfx_free(f);
}

#endif /* x86 host */

TEST(mmx, moves_and_aliasing)
{
    MmxFx *f = mfx_new();
    Cpu *cpu = &f->cpu;
    FpuState *fp = &cpu->s.fpu;
    f->cpu.s.eip = 0x100;
    /* FLD1 then MOVD mm2, eax: TOP goes to 0, MM2 is R2 (not ST(2)) */
    EXPECT_EQ(RUN(f, 0xD9, 0xE8), -1);
    EXPECT_EQ(fp->top, 7);
    cpu->s.regs[R_EAX] = 0x89ABCDEF;
    EXPECT_EQ(RUN(f, 0x0F, 0x6E, 0xD0), -1); /* movd mm2, eax */
    EXPECT_EQ(fp->top, 0);
    EXPECT_EQ(fp->st[2].mant, 0x89ABCDEF);
    EXPECT_EQ(fp->st[2].sexp, 0xFFFF);
    EXPECT_EQ(fp->st[7].mant, 0x8000000000000000ull); /* the 1.0 pushed by FLD1 stays */
    EXPECT_EQ(x87_tag(fp, 7), X87_TAG_VALID);
    EXPECT_EQ(x87_tag(fp, 2), X87_TAG_SPECIAL);
    EXPECT_EQ(x87_tag(fp, 0), X87_TAG_ZERO); /* empty before, zero contents: full now */
    /* movq [0x2000], mm2; movq mm5, [0x2000]; movd [0x2010], mm5 */
    EXPECT_EQ(RUN(f, 0x0F, 0x7F, 0x16, 0x00, 0x20), -1);
    uint64_t q = 0;
    bus_mem_read(&f->bus, 0x2000, &q, 8);
    EXPECT_EQ(q, 0x89ABCDEF);
    fp->st[2].mant = 0x1122334455667788ull;
    EXPECT_EQ(RUN(f, 0x0F, 0x7F, 0x16, 0x08, 0x20), -1);
    EXPECT_EQ(RUN(f, 0x0F, 0x6F, 0x2E, 0x08, 0x20), -1);
    EXPECT_EQ(fp->st[5].mant, 0x1122334455667788ull);
    EXPECT_EQ(RUN(f, 0x0F, 0x7E, 0x2E, 0x10, 0x20), -1);
    uint32_t d = 0;
    bus_mem_read(&f->bus, 0x2010, &d, 4);
    EXPECT_EQ(d, 0x55667788);
    /* movd ecx, mm5; movq mm6, mm5 */
    EXPECT_EQ(RUN(f, 0x0F, 0x7E, 0xE9), -1);
    EXPECT_EQ(cpu->s.regs[R_ECX], 0x55667788);
    EXPECT_EQ(RUN(f, 0x0F, 0x7F, 0xEE), -1);
    EXPECT_EQ(fp->st[6].mant, 0x1122334455667788ull);
    /* EMMS empties every register, keeps TOP */
    EXPECT_EQ(RUN(f, 0x0F, 0x77), -1);
    EXPECT_EQ(fp->tw, 0xFFFF);
    EXPECT_EQ(fp->top, 0);
    mfx_free(f);
}

TEST(mmx, availability_rules)
{
    MmxFx *f = mfx_new();
    Cpu *cpu = &f->cpu;
    f->cpu.s.eip = 0x100;
    cpu->s.cr0 |= CR0_EM;
    EXPECT_EQ(RUN(f, 0x0F, 0xFC, 0xC1), EXC_UD);
    EXPECT_EQ(RUN(f, 0x0F, 0x77), EXC_UD);
    cpu->s.cr0 = (cpu->s.cr0 & ~CR0_EM) | CR0_TS;
    EXPECT_EQ(RUN(f, 0x0F, 0xFC, 0xC1), EXC_NM);
    cpu->s.cr0 &= ~CR0_TS;
    /* a pending unmasked x87 exception (ZE unmasked and flagged): #MF with NE, runs without */
    cpu->s.fpu.cw = 0x037B;
    cpu->s.fpu.sw |= X87_SW_ZE | X87_SW_ES | X87_SW_B;
    EXPECT_EQ(RUN(f, 0x0F, 0xFC, 0xC1), EXC_MF);
    cpu->s.cr0 &= ~CR0_NE;
    EXPECT_EQ(RUN(f, 0x0F, 0xFC, 0xC1), -1);
    /* the Pentium Pro has no MMX: the run loop gives #UD (isa_mask) */
    EXPECT_TRUE(!(kCpuPentiumPro.isa_mask & (1u << MMX)));
    EXPECT_TRUE(kCpuPentium2.isa_mask & (1u << MMX));
    mfx_free(f);
}

/* ---- x87 handlers (cpu/x87ops.c) ---- */

static int g_ferr_level = -1;
static int g_ferr_calls;

static void ferr_hook(void *opaque, int level)
{
    (void)opaque;
    g_ferr_level = level;
    g_ferr_calls++;
}

TEST(x87ops, ferr_follows_es)
{
    MmxFx *f = mfx_new();
    Cpu *cpu = &f->cpu;
    cpu->ferr = ferr_hook;
    g_ferr_calls = 0;
    f->cpu.s.eip = 0x100;
    /* FLDCW [0x3000] = 037B (ZE unmasked); FLD1; FLDZ; FDIVP st1, st0: ES rises */
    uint16_t cw = 0x037B;
    bus_mem_write(&f->bus, 0x3000, &cw, 2);
    EXPECT_EQ(RUN(f, 0xD9, 0x2E, 0x00, 0x30), -1);
    EXPECT_EQ(RUN(f, 0xD9, 0xE8), -1);
    EXPECT_EQ(RUN(f, 0xD9, 0xEE), -1);
    EXPECT_EQ(g_ferr_calls, 0);
    EXPECT_EQ(RUN(f, 0xDE, 0xF9), -1);
    EXPECT_EQ(g_ferr_calls, 1);
    EXPECT_EQ(g_ferr_level, 1);
    /* NE = 1: the next waiting instruction takes #MF, a no-wait one runs */
    EXPECT_EQ(RUN(f, 0x9B), EXC_MF);
    EXPECT_EQ(RUN(f, 0xD9, 0xE8), EXC_MF);
    EXPECT_EQ(RUN(f, 0xDF, 0xE0), -1); /* fnstsw ax */
    EXPECT_EQ(cpu->s.regs[R_EAX] & 0x84, 0x84);
    /* NE = 0: FERR# only; the instruction proceeds */
    cpu->s.cr0 &= ~CR0_NE;
    EXPECT_EQ(RUN(f, 0x9B), -1);
    /* FNCLEX lowers FERR# */
    EXPECT_EQ(RUN(f, 0xDB, 0xE2), -1);
    EXPECT_EQ(g_ferr_calls, 2);
    EXPECT_EQ(g_ferr_level, 0);
    mfx_free(f);
}

TEST(x87ops, faulting_store_leaves_fpu_unchanged)
{
    MmxFx *f = mfx_new();
    Cpu *cpu = &f->cpu;
    FpuState *fp = &cpu->s.fpu;
    f->cpu.s.eip = 0x100;
    EXPECT_EQ(RUN(f, 0xD9, 0xE8), -1); /* fld1 */
    FpuState before = *fp;
    /* fstp qword [0xFFFC]: crosses the 64 KB real-mode limit -> #GP, nothing popped */
    EXPECT_EQ(RUN(f, 0xDD, 0x1E, 0xFC, 0xFF), EXC_GP);
    EXPECT_EQ(fp->top, before.top);
    EXPECT_EQ(fp->tw, before.tw);
    EXPECT_EQ(fp->fip, before.fip);
    /* fnsave [0xFFF0] (94 bytes) faults too and does not reinitialise */
    EXPECT_EQ(RUN(f, 0xDD, 0x36, 0xF0, 0xFF), EXC_GP);
    EXPECT_EQ(fp->top, before.top);
    /* a load crossing the limit: nothing pushed */
    EXPECT_EQ(RUN(f, 0xDB, 0x2E, 0xF8, 0xFF), EXC_GP); /* fld tword [0xFFF8] */
    EXPECT_EQ(fp->top, before.top);
    /* FIP/FDP come from the instruction: fst dword [0x2000] at 0x100 */
    cpu->s.eip = 0x100;
    EXPECT_EQ(RUN(f, 0xD9, 0x16, 0x00, 0x20), -1);
    EXPECT_EQ(fp->fip, 0x100);
    EXPECT_EQ(fp->fdp, 0x2000);
    EXPECT_EQ(fp->fop, 0x116);
    mfx_free(f);
}

TEST(x87ops, fxsave_fxrstor)
{
    MmxFx *f = mfx_new();
    Cpu *cpu = &f->cpu;
    f->cpu.s.eip = 0x100;
    EXPECT_EQ(RUN(f, 0xD9, 0xEB), -1);                   /* fldpi */
    EXPECT_EQ(RUN(f, 0x0F, 0xAE, 0x06, 0x08, 0x20), EXC_GP); /* fxsave [0x2008] */
    uint8_t junk[512];
    memset(junk, 0xA5, sizeof junk);
    bus_mem_write(&f->bus, 0x2000, junk, sizeof junk);
    EXPECT_EQ(RUN(f, 0x0F, 0xAE, 0x06, 0x00, 0x20), -1); /* fxsave [0x2000] */
    uint8_t img[512];
    bus_mem_read(&f->bus, 0x2000, img, sizeof img);
    EXPECT_EQ(img[0] | img[1] << 8, 0x037F);
    EXPECT_EQ(img[2] | img[3] << 8, 0x3800);
    EXPECT_EQ(img[4], 0x80);
    EXPECT_EQ(img[40] | img[41] << 8, 0x4000); /* ST0 = pi */
    EXPECT_EQ(img[160], 0xA5);                 /* no SSE on a Pentium II: XMM area untouched */
    EXPECT_EQ(img[511], 0xA5);
    EXPECT_EQ(RUN(f, 0xDB, 0xE3), -1); /* fninit */
    EXPECT_EQ(RUN(f, 0x0F, 0xAE, 0x0E, 0x00, 0x20), -1); /* fxrstor [0x2000] */
    EXPECT_EQ(cpu->s.fpu.top, 7);
    EXPECT_EQ(cpu->s.fpu.st[7].sexp, 0x4000);
    cpu->s.cr0 |= CR0_TS;
    EXPECT_EQ(RUN(f, 0x0F, 0xAE, 0x06, 0x00, 0x20), EXC_NM);
    cpu->s.cr0 = (cpu->s.cr0 & ~CR0_TS) | CR0_EM;
    EXPECT_EQ(RUN(f, 0x0F, 0xAE, 0x06, 0x00, 0x20), EXC_UD);
    mfx_free(f);
}
