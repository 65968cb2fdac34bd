/* cpu/x87.c: whole instructions against the host's x87, plus the image layouts of the SDM.
 *
 * The differential test builds a random FPU state (TOP, tags, registers, control word, flags),
 * loads it into the host with FRSTOR, runs one real D8-DF instruction (every register form,
 * and every memory form with the operand at [rsi]), saves the host state with FNSAVE and
 * compares it with x87_exec() on the same state: status word (TOP, flags, C0-C3, ES, B), tag
 * word, registers, control word, EFLAGS for FCOMI/FCMOV, AX for FNSTSW, and the bytes stored
 * to memory. The instruction/operand pointers are left out: the host runs in 64-bit mode.
 * Transcendentals may differ by one ulp (C1 and PE then too).
 */
#include <string.h>

#include "cpu/fp80.h"
#include "cpu/x87.h"
#include "tests/unit/test.h"

/* build with -DFP80_SOAK=n to run n times as many random cases */
#ifndef FP80_SOAK
#define FP80_SOAK 4
#endif

static uint64_t g_x87_rng;

static uint64_t xr(void)
{
    g_x87_rng ^= g_x87_rng >> 12;
    g_x87_rng ^= g_x87_rng << 25;
    g_x87_rng ^= g_x87_rng >> 27;
    return g_x87_rng * 0x2545F4914F6CDD1Dull;
}

static Float80 xr_f80(void)
{
    uint64_t r = xr() % 32;
    int s = (int)(xr() & 1);
    uint64_t m = xr() | 0x8000000000000000ull;
    switch (r) {
    case 0:
        return fp80_zero(s);
    case 1:
        return fp80_inf(s);
    case 2:
        return fp80_make(s, 0x7FFF, m | 0x4000000000000000ull);
    case 3:
        return fp80_make(s, 0x7FFF, (m & ~0x4000000000000000ull) | 1);
    case 4:
        return fp80_make(s, 0, m >> (1 + xr() % 40));
    case 5:
        return fp80_make(s, (uint16_t)(1 + xr() % 0x7FFE), m >> 1); /* unnormal */
    case 6:
        return fp80_from_int((int64_t)(xr() % 2000) - 1000);
    case 7:
        return fp80_make(s, (uint16_t)(0x7FFE - xr() % 4), m);
    case 8:
        return fp80_make(s, (uint16_t)(1 + xr() % 4), m);
    default:
        return fp80_make(s, (uint16_t)(16383 - 70 + xr() % 140), m);
    }
}

static void random_state(FpuState *f)
{
    memset(f, 0, sizeof *f);
    f->top = (uint8_t)(xr() & 7);
    int empties = (int)(xr() % 9);
    for (int p = 0; p < 8; p++) {
        f->st[p] = xr_f80();
    }
    /* empty registers sit above the stack top, as pushes and pops leave them */
    f->tw = 0;
    for (int i = 0; i < 8; i++) {
        int p = (f->top + i) & 7;
        int empty = (xr() % 8 == 0) || i >= 8 - empties;
        f->tw |= (uint16_t)((empty ? 3 : 0) << (2 * p));
    }
    f->tw = x87_tag_word(f);
    static const uint16_t kPc[3] = {0x000, 0x200, 0x300};
    uint16_t masks = 0x3F;
    if (xr() % 4 == 0) {
        masks = (uint16_t)(xr() & 0x3F);
    }
    f->cw = (uint16_t)(0x0040 | masks | kPc[xr() % 3] | (xr() & 3) << 10);
    /* only masked flags may be set, or the host would fault on the instruction itself */
    f->sw = (uint16_t)((xr() & masks) | (xr() & (X87_SW_C0 | X87_SW_C1 | X87_SW_C2 | X87_SW_C3)));
}

static uint64_t ulp_distance(Float80 a, Float80 b)
{
    if ((a.sexp ^ b.sexp) & 0x8000) {
        return ~0ull;
    }
    uint64_t ea = a.sexp & 0x7FFF, eb = b.sexp & 0x7FFF;
    unsigned __int128 ka = ((unsigned __int128)ea << 63) + (a.mant & ~(1ull << 63));
    unsigned __int128 kb = ((unsigned __int128)eb << 63) + (b.mant & ~(1ull << 63));
    unsigned __int128 d = ka > kb ? ka - kb : kb - ka;
    return d > 0xFFFF ? ~0ull : (uint64_t)d;
}

/* ---- images (host-independent) ---- */

TEST(x87, fsave_protected32_layout)
{
    FpuState f;
    uint8_t b[108];
    x87_init(&f);
    f.cw = 0x027F;
    f.sw = X87_SW_C3 | X87_SW_PE;
    f.top = 6;
    f.st[6] = fp80_const(FP_CONST_ONE, 0);
    f.st[7] = fp80_zero(1);
    f.tw = 0x0FFF | (X87_TAG_VALID << 12) | (X87_TAG_ZERO << 14);
    f.fip = 0x12345678;
    f.fcs = 0x0008;
    f.fop = 0x1E8; /* D9 E8 */
    f.fdp = 0x9ABCDEF0;
    f.fds = 0x0010;
    EXPECT_EQ(x87_fsave_image(&f, b, 1, 1), 108);
    EXPECT_EQ(b[0] | b[1] << 8, 0x027F);
    EXPECT_EQ(b[4] | b[5] << 8, 0x4020 | 6 << 11);
    EXPECT_EQ(b[8] | b[9] << 8, 0x4FFF);
    EXPECT_EQ(b[12] | b[13] << 8 | b[14] << 16 | (uint32_t)b[15] << 24, 0x12345678u);
    EXPECT_EQ(b[16] | b[17] << 8, 0x0008);
    EXPECT_EQ(b[18] | b[19] << 8, 0x01E8);
    EXPECT_EQ(b[20] | b[21] << 8 | b[22] << 16 | (uint32_t)b[23] << 24, 0x9ABCDEF0u);
    EXPECT_EQ(b[24] | b[25] << 8, 0x0010);
    /* ST0 first: 1.0 */
    EXPECT_EQ(b[28 + 7], 0x80);
    EXPECT_EQ(b[28 + 8] | b[28 + 9] << 8, 0x3FFF);
    /* ST1: -0 */
    EXPECT_EQ(b[38 + 8] | b[38 + 9] << 8, 0x8000);
    /* FRSTOR of the image gives back the state */
    FpuState g;
    x87_reset(&g);
    x87_frstor_image(&g, b, 1, 1);
    EXPECT_EQ(g.cw, f.cw);
    EXPECT_EQ(x87_status_word(&g), x87_status_word(&f));
    EXPECT_EQ(g.tw, f.tw);
    EXPECT_EQ(g.fip, f.fip);
    EXPECT_EQ(g.fop, f.fop);
    EXPECT_EQ(g.fds, f.fds);
    EXPECT_EQ(g.st[6].sexp, 0x3FFF);
}

TEST(x87, env_real_and_16bit_layouts)
{
    FpuState f;
    uint8_t b[28];
    x87_init(&f);
    f.fcs = 0x1234;
    f.fip = 0x0010; /* linear 0x12350 */
    f.fds = 0xF000;
    f.fdp = 0x0FFF; /* linear 0xF0FFF */
    f.fop = 0x7FF;
    /* 32-bit real mode: IP 15..0 at 12, opcode in 16[10:0] and IP 31..16 at 16[27:12] */
    EXPECT_EQ(x87_store_env(&f, b, 1, 0), 28);
    EXPECT_EQ(b[12] | b[13] << 8, 0x2350);
    EXPECT_EQ(b[16] | b[17] << 8 | b[18] << 16 | (uint32_t)b[19] << 24, 0x7FFu | 0x1u << 12);
    EXPECT_EQ(b[20] | b[21] << 8, 0x0FFF);
    EXPECT_EQ(b[24] | b[25] << 8 | b[26] << 16 | (uint32_t)b[27] << 24, 0xFu << 12);
    /* 16-bit real mode: IP 19..16 in 8[15:12], opcode 8[10:0] */
    EXPECT_EQ(x87_store_env(&f, b, 0, 0), 14);
    EXPECT_EQ(b[0] | b[1] << 8, 0x037F);
    EXPECT_EQ(b[4] | b[5] << 8, 0xFFFF);
    EXPECT_EQ(b[6] | b[7] << 8, 0x2350);
    EXPECT_EQ(b[8] | b[9] << 8, 0x17FF);
    EXPECT_EQ(b[10] | b[11] << 8, 0x0FFF);
    EXPECT_EQ(b[12] | b[13] << 8, 0xF000);
    /* 16-bit protected: offsets and selectors */
    x87_store_env(&f, b, 0, 1);
    EXPECT_EQ(b[6] | b[7] << 8, 0x0010);
    EXPECT_EQ(b[8] | b[9] << 8, 0x1234);
    EXPECT_EQ(b[10] | b[11] << 8, 0x0FFF);
    EXPECT_EQ(b[12] | b[13] << 8, 0xF000);
    /* real-mode loads keep the linear pointers */
    FpuState g;
    x87_init(&g);
    x87_store_env(&f, b, 1, 0);
    x87_load_env(&g, b, 1, 0);
    EXPECT_EQ(g.fip, 0x12350);
    EXPECT_EQ(g.fdp, 0xF0FFF);
    EXPECT_EQ(g.fop, 0x7FF);
    x87_store_env(&f, b, 0, 0);
    x87_load_env(&g, b, 0, 0);
    EXPECT_EQ(g.fip, 0x12350);
    EXPECT_EQ(g.fdp, 0xF0FFF);
}

TEST(x87, fxsave_abridged_tags)
{
    FpuState f;
    uint8_t img[512];
    Xmm xmm[8], xmm2[8];
    uint32_t mx = 0;
    memset(xmm, 0x5A, sizeof xmm);
    x87_init(&f);
    f.top = 5;
    f.st[5] = fp80_zero(0);               /* zero */
    f.st[6] = fp80_inf(1);                /* special */
    f.st[7] = fp80_const(FP_CONST_PI, 0); /* valid */
    f.tw = 0x03FF | 1 << 10 | 2 << 12 | 0 << 14;
    memset(img, 0xEE, sizeof img);
    x87_fxsave(&f, 0x1F80, xmm, 1, img);
    EXPECT_EQ(img[4], 0xE0);
    EXPECT_EQ(img[2] | img[3] << 8, 5 << 11);
    EXPECT_EQ(img[24] | img[25] << 8, 0x1F80);
    EXPECT_EQ(img[28] | img[29] << 8, 0xFFBF);
    EXPECT_EQ(img[32 + 8] | img[32 + 9] << 8, 0x0000); /* ST0 = R5 */
    EXPECT_EQ(img[48 + 8] | img[48 + 9] << 8, 0xFFFF); /* ST1 = R6 = -inf */
    EXPECT_EQ(img[160], 0x5A);
    EXPECT_EQ(img[300], 0xEE); /* the reserved tail is not written */
    FpuState g;
    x87_reset(&g);
    EXPECT_EQ(x87_fxrstor(&g, &mx, xmm2, 1, img), 0);
    EXPECT_EQ(g.tw, f.tw); /* full tags rebuilt from the registers */
    EXPECT_EQ(mx, 0x1F80);
    EXPECT_EQ(xmm2[7].b[15], 0x5A);
    img[26] = 1; /* MXCSR bit 16: reserved */
    EXPECT_EQ(x87_fxrstor(&g, &mx, xmm2, 1, img), -1);
}

TEST(x87, stack_faults)
{
    FpuState f;
    X87Out out;
    X87Insn in = {0};
    x87_init(&f);
    /* FADD ST0, ST1 on an empty stack: masked underflow gives the indefinite */
    in.op = 0xD8;
    in.modrm = 0xC1;
    EXPECT_EQ(x87_exec(&f, &in, NULL, NULL, &out), X87_OK);
    EXPECT_EQ(x87_status_word(&f), X87_SW_IE | X87_SW_SF);
    EXPECT_EQ(f.st[0].mant, 0xC000000000000000ull);
    EXPECT_EQ(x87_tag(&f, 0), X87_TAG_SPECIAL);
    /* eight FLD1 fill the stack; the ninth overflows: C1 = 1, indefinite pushed */
    x87_init(&f);
    in.op = 0xD9;
    in.modrm = 0xE8;
    for (int k = 0; k < 8; k++) {
        x87_exec(&f, &in, NULL, NULL, &out);
    }
    EXPECT_EQ(x87_status_word(&f), 0);
    EXPECT_EQ(x87_tag_word(&f), 0x0000);
    x87_exec(&f, &in, NULL, NULL, &out);
    EXPECT_EQ(x87_status_word(&f), X87_SW_IE | X87_SW_SF | X87_SW_C1 | 7 << 11);
    EXPECT_EQ(f.st[7].mant, 0xC000000000000000ull);
    /* unmasked: nothing changes but ES and B */
    x87_init(&f);
    f.cw = 0x037E;
    in.op = 0xD8;
    in.modrm = 0xC1;
    x87_exec(&f, &in, NULL, NULL, &out);
    EXPECT_EQ(x87_status_word(&f), X87_SW_IE | X87_SW_SF | X87_SW_ES | X87_SW_B);
    EXPECT_EQ(f.tw, 0xFFFF);
    EXPECT_TRUE(x87_pending(&f));
    EXPECT_TRUE(x87_insn_waits(0xD8, 0xC1));
    EXPECT_TRUE(!x87_insn_waits(0xDB, 0xE2)); /* FNCLEX */
    in.op = 0xDB;
    in.modrm = 0xE2;
    x87_exec(&f, &in, NULL, NULL, &out);
    EXPECT_TRUE(!x87_pending(&f));
    EXPECT_EQ(x87_status_word(&f), 0);
}

TEST(x87, reserved_encodings_and_sizes)
{
    FpuState f;
    X87Out out;
    X87Insn in = {0};
    x87_init(&f);
    in.op = 0xD9;
    in.modrm = 0xD1;
    EXPECT_EQ(x87_exec(&f, &in, NULL, NULL, &out), X87_UD);
    in.op = 0xDB;
    in.modrm = 0x08; /* FISTTP m32: SSE3 */
    EXPECT_EQ(x87_exec(&f, &in, NULL, NULL, &out), X87_UD);
    int l, s;
    x87_mem_access(0xDD, 0x30, 1, &l, &s); /* FNSAVE */
    EXPECT_EQ(s, 108);
    x87_mem_access(0xDD, 0x20, 0, &l, &s); /* FRSTOR, 16-bit */
    EXPECT_EQ(l, 94);
    x87_mem_access(0xDF, 0x38, 1, &l, &s); /* FISTP m64 */
    EXPECT_EQ(s, 8);
    x87_mem_access(0xDB, 0x28, 1, &l, &s); /* FLD m80 */
    EXPECT_EQ(l, 10);
}

#if defined(__x86_64__)

/* ---- the host: one stub per (opcode, ModRM), memory operand at [rsi] ---- */

__asm__(".text\n"
        ".balign 32\n"
        "test_x87_stubs:\n"
        ".set test_x87_i, 0\n"
        ".rept 2048\n"
        ".balign 32\n"
        "push %rcx\n"
        "popfq\n"
        "frstor (%rdi)\n"
        ".byte 0xd8 + (test_x87_i >> 8), (test_x87_i & 0xff)\n"
        "fnsave (%rdx)\n"
        "pushfq\n"
        "popq 108(%rdx)\n"
        "ret\n"
        ".set test_x87_i, test_x87_i + 1\n"
        ".endr\n"
        ".balign 32\n"
        "test_x87_stubs16:\n" /* 16-bit FLDENV, FNSTENV, FRSTOR, FNSAVE */
        "frstor (%rdi)\n .byte 0x66, 0xd9, 0x26\n fnsave (%rdx)\n ret\n .balign 32\n"
        "frstor (%rdi)\n .byte 0x66, 0xd9, 0x36\n fnsave (%rdx)\n ret\n .balign 32\n"
        "frstor (%rdi)\n .byte 0x66, 0xdd, 0x26\n fnsave (%rdx)\n ret\n .balign 32\n"
        "frstor (%rdi)\n .byte 0x66, 0xdd, 0x36\n fnsave (%rdx)\n ret\n .balign 32\n"
        "test_x87_fxsave:\n"
        "frstor (%rdi)\n fxsave (%rdx)\n fnsave (%rdi)\n ret\n .balign 32\n"
        "test_x87_fxrstor:\n"
        "fxrstor (%rdi)\n fnsave (%rdx)\n ret\n"
        ".previous\n");

extern const char test_x87_stubs[], test_x87_stubs16[], test_x87_fxsave[], test_x87_fxrstor[];
typedef uint64_t (*Stub)(const void *img, void *mem, void *out, uint64_t flags);

typedef struct HostRun {
    uint8_t img[116]; /* FNSAVE image, then EFLAGS */
    uint16_t ax;
    uint64_t eflags;
} HostRun;

static void host_run(const FpuState *f, uint8_t op, uint8_t modrm, uint8_t *mem, uint64_t flags,
                     HostRun *h)
{
    uint8_t in[108] __attribute__((aligned(16)));
    x87_fsave_image(f, in, 1, 1);
    Stub fn = (Stub)(uintptr_t)(test_x87_stubs + 32 * ((op - 0xD8) * 256 + modrm));
    h->ax = (uint16_t)fn(in, mem, h->img, flags);
    memcpy(&h->eflags, h->img + 108, 8);
}

static int g_x87_budget;

static void dump_state(const char *who, const uint8_t *img)
{
    printf("    %s cw=%04x sw=%04x tw=%04x\n", who, img[0] | img[1] << 8, img[4] | img[5] << 8,
           img[8] | img[9] << 8);
    for (int i = 0; i < 8; i++) {
        const uint8_t *r = img + 28 + 10 * i;
        uint64_t m;
        memcpy(&m, r, 8);
        printf("      st%d %04x:%016llx\n", i, r[8] | r[9] << 8, (unsigned long long)m);
    }
}

static int is_transcendental(uint8_t op, uint8_t modrm)
{
    return op == 0xD9 && (modrm == 0xF0 || modrm == 0xF1 || modrm == 0xF2 || modrm == 0xF3 ||
                          modrm == 0xF9 || modrm == 0xFB || modrm == 0xFE || modrm == 0xFF);
}

/* compares my state image with the host's; `approx` for transcendentals */
static int compare_images(const uint8_t *mine, const uint8_t *host, int approx)
{
    uint16_t ms = (uint16_t)(mine[4] | mine[5] << 8), hs = (uint16_t)(host[4] | host[5] << 8);
    uint16_t ignore = approx ? (X87_SW_C1 | X87_SW_PE | X87_SW_UE | X87_SW_ES | X87_SW_B) : 0;
    if ((ms & ~ignore) != (hs & ~ignore) || memcmp(mine, host, 2) ||
        memcmp(mine + 8, host + 8, 2)) {
        return 0;
    }
    for (int i = 0; i < 8; i++) {
        const uint8_t *a = mine + 28 + 10 * i, *b = host + 28 + 10 * i;
        if (!memcmp(a, b, 10)) {
            continue;
        }
        if (!approx) {
            return 0;
        }
        Float80 x, y;
        memcpy(&x.mant, a, 8);
        memcpy(&x.sexp, a + 8, 2);
        memcpy(&y.mant, b, 8);
        memcpy(&y.sexp, b + 8, 2);
        if (ulp_distance(x, y) > 1) {
            return 0;
        }
    }
    return 1;
}

static const uint8_t kArithFlags = 0xD5; /* CF PF AF ZF SF */

static void fill_operand(uint8_t op, uint8_t modrm, uint8_t *mem)
{
    unsigned reg = (modrm >> 3) & 7;
    for (int k = 0; k < 128; k++) {
        mem[k] = (uint8_t)xr();
    }
    Float80 v = xr_f80();
    Fp80Ctx c;
    fp80_ctx_init(&c, 0x037F);
    switch (xr() % 4) {
    case 0: /* a value of the operand's type made from a random extended value */
        if (op == 0xD8 || (op == 0xD9 && reg == 0)) {
            uint32_t x = fp80_to_f32(&c, v);
            memcpy(mem, &x, 4);
        } else if (op == 0xDC || (op == 0xDD && reg == 0)) {
            uint64_t x = fp80_to_f64(&c, v);
            memcpy(mem, &x, 8);
        } else if (op == 0xDB && reg == 5) {
            memcpy(mem, &v.mant, 8);
            memcpy(mem + 8, &v.sexp, 2);
        }
        break;
    case 1: /* small integers and valid BCD */
        if (op == 0xDA || op == 0xDE || op == 0xDB || op == 0xDF) {
            int64_t x = (int64_t)(xr() % 20001) - 10000;
            memcpy(mem, &x, 8);
            if (op == 0xDF && reg == 4) {
                Fp80Ctx t;
                fp80_ctx_init(&t, 0x037F);
                fp80_to_bcd(&t, fp80_from_int(x), mem);
            }
        }
        break;
    default:
        break;
    }
    if ((op == 0xD9 && (reg == 4 || reg == 5)) || (op == 0xDD && reg == 4)) {
        /* FLDENV, FLDCW, FRSTOR: a sane image from a random state */
        FpuState g;
        random_state(&g);
        if (xr() & 1) {
            g.sw |= (uint16_t)(xr() & 0x3F); /* pending exceptions are fine here */
        }
        for (int p = 0; p < 8; p++) { /* wrong non-empty tags: they are recomputed */
            if (x87_tag(&g, p) != X87_TAG_EMPTY && xr() % 4 == 0) {
                g.tw = (uint16_t)((g.tw & ~(3u << (2 * p))) | (unsigned)(xr() % 3) << (2 * p));
            }
        }
        if (op == 0xD9 && reg == 4) {
            x87_store_env(&g, mem, 1, 1);
        } else if (op == 0xD9) {
            uint16_t cw = (uint16_t)xr();
            memcpy(mem, &cw, 2);
        } else {
            x87_fsave_image(&g, mem, 1, 1);
        }
    }
}

/* instructions whose result the host is not a reference for: the FSTP1 alias (an AMD part
 * treats it differently from the P6), and transcendentals outside their documented domain */
static int skip_case(const FpuState *f, uint8_t op, uint8_t modrm)
{
    if (op == 0xD9 && modrm >= 0xD8 && modrm <= 0xDF) {
        return 1;
    }
    return 0;
}

/* FLD m32/m64 of a denormal with DE unmasked: the SDM (vol. 1 8.5.2) leaves TOP and the
 * registers unchanged, which the model follows; the AMD reference host loads the value. */
static int skip_mem_case(const FpuState *f, uint8_t op, uint8_t modrm, const uint8_t *mem)
{
    unsigned reg = (modrm >> 3) & 7;
    if ((f->cw & X87_SW_DE) || reg != 0 || (op != 0xD9 && op != 0xDD)) {
        return 0;
    }
    if (op == 0xD9) {
        uint32_t v;
        memcpy(&v, mem, 4);
        return (v & 0x7F800000u) == 0 && (v & 0x7FFFFFu) != 0;
    }
    uint64_t v;
    memcpy(&v, mem, 8);
    return (v & 0x7FF0000000000000ull) == 0 && (v & 0xFFFFFFFFFFFFFull) != 0;
}

static int skip_case2(const FpuState *f, uint8_t op, uint8_t modrm)
{
    Float80 a = f->st[f->top & 7];
    unsigned e = a.sexp & 0x7FFF;
    int full = x87_tag(f, f->top & 7) != X87_TAG_EMPTY;
    if (op == 0xD9 && modrm == 0xF0 && full) { /* F2XM1: |x| <= 1 */
        return e >= 0x3FFF && !(e == 0x3FFF && a.mant == 0x8000000000000000ull);
    }
    if (op == 0xD9 && modrm == 0xF9 && full) { /* FYL2XP1: |x| < 1 - sqrt(2)/2 */
        return e >= 0x3FFD && e != 0x7FFF;
    }
    return 0;
}

static void diff_one(uint8_t op, uint8_t modrm, int *checked)
{
    FpuState f, mine;
    uint8_t hmem[128], mmem[128], mimg[108];
    HostRun h;
    X87Out out;
    random_state(&f);
    uint64_t flags = 0x202 | (xr() & kArithFlags);
    if (skip_case(&f, op, modrm) || skip_case2(&f, op, modrm)) {
        return;
    }
    if (!x87_insn_waits(op, modrm) && (xr() & 1)) {
        /* a no-wait instruction runs with an exception pending */
        f.cw = (uint16_t)(f.cw & ~0x3Fu) | (uint16_t)(xr() & 0x3F);
        f.sw |= (uint16_t)(xr() & 0x3F);
        if (f.sw & ~f.cw & 0x3F) {
            f.sw |= X87_SW_ES | X87_SW_B;
        }
    }
    if (modrm < 0xC0) {
        fill_operand(op, modrm, hmem);
    } else {
        memset(hmem, 0, sizeof hmem);
    }
    if (modrm < 0xC0 && skip_mem_case(&f, op, modrm, hmem)) {
        return;
    }
    memcpy(mmem, hmem, sizeof mmem);
    uint8_t sbuf[128];
    memset(sbuf, 0xCC, sizeof sbuf);
    host_run(&f, op, modrm, hmem, flags, &h);
    mine = f;
    X87Insn in = {op, modrm, 1, 1, (uint32_t)flags, 0, 0, 0, 0};
    int rc = x87_exec(&mine, &in, mmem, sbuf, &out);
    EXPECT_EQ(rc, X87_OK);
    memcpy(mmem, sbuf, out.store_len);
    x87_fsave_image(&mine, mimg, 1, 1);
    /* pointers and opcode (bytes 12-27) are not comparable; neither are they in stored images */
    memset(mimg + 12, 0, 16);
    memset(h.img + 12, 0, 16);
    unsigned reg = (modrm >> 3) & 7;
    if (modrm < 0xC0 && ((op == 0xD9 && reg == 6) || (op == 0xDD && reg == 6))) {
        memset(mmem + 12, 0, 16);
        memset(hmem + 12, 0, 16);
    }
    uint64_t want_flags = flags;
    if (out.set_eflags) {
        want_flags = (flags & ~(uint64_t)0x8D5) | out.eflags;
    }
    int approx = is_transcendental(op, modrm);
    int ok = compare_images(mimg, h.img, approx) && !memcmp(mmem, hmem, sizeof mmem) &&
             (h.eflags & 0x8D5) == (want_flags & 0x8D5) && (!out.set_ax || out.ax == h.ax);
    (*checked)++;
    if (!ok) {
        g_test_failed = 1;
        if (g_x87_budget-- > 0) {
            uint8_t before[108];
            x87_fsave_image(&f, before, 1, 1);
            printf("  insn %02x %02x eflags in %03llx mine %03llx host %03llx ax %04x/%04x\n", op,
                   modrm, (unsigned long long)flags, (unsigned long long)want_flags & 0x8D5,
                   (unsigned long long)h.eflags & 0x8D5, out.ax, h.ax);
            dump_state("before", before);
            dump_state("mine", mimg);
            dump_state("host", h.img);
            if (memcmp(mmem, hmem, sizeof mmem)) {
                printf("    memory differs: mine");
                for (int k = 0; k < 28; k++) {
                    printf(" %02x", mmem[k]);
                }
                printf("\n                  host");
                for (int k = 0; k < 28; k++) {
                    printf(" %02x", hmem[k]);
                }
                printf("\n");
            }
        }
    }
}

TEST(x87, register_forms_vs_host)
{
    int checked = 0;
    g_x87_budget = 12;
    g_x87_rng = 0xC0FFEE;
    for (int rep = 0; rep < 60 * FP80_SOAK; rep++) {
        for (int op = 0xD8; op <= 0xDF; op++) {
            for (int modrm = 0xC0; modrm <= 0xFF; modrm++) {
                X87Insn probe = {(uint8_t)op, (uint8_t)modrm, 1, 1, 0, 0, 0, 0, 0};
                FpuState tmp;
                X87Out o;
                x87_init(&tmp);
                if (x87_exec(&tmp, &probe, NULL, NULL, &o) == X87_UD) {
                    continue;
                }
                diff_one((uint8_t)op, (uint8_t)modrm, &checked);
            }
        }
    }
    printf("  [info] %d register-form executions compared\n", checked);
}

TEST(x87, memory_forms_vs_host)
{
    int checked = 0;
    g_x87_budget = 12;
    g_x87_rng = 0xBEEF;
    for (int rep = 0; rep < 400 * FP80_SOAK; rep++) {
        for (int op = 0xD8; op <= 0xDF; op++) {
            for (int reg = 0; reg < 8; reg++) {
                uint8_t modrm = (uint8_t)(reg << 3 | 6);
                X87Insn probe = {(uint8_t)op, modrm, 1, 1, 0, 0, 0, 0, 0};
                FpuState tmp;
                X87Out o;
                uint8_t zero[128] = {0}, sink[128];
                x87_init(&tmp);
                if (x87_exec(&tmp, &probe, zero, sink, &o) == X87_UD) {
                    continue;
                }
                diff_one((uint8_t)op, modrm, &checked);
            }
        }
    }
    printf("  [info] %d memory-form executions compared\n", checked);
}

/* the 16-bit protected-mode environment and state images, FNSTENV's masking and FNSAVE's
 * reinitialisation, against the host's */
TEST(x87, env16_vs_host)
{
    g_x87_rng = 77;
    for (int k = 0; k < 400 * FP80_SOAK; k++) {
        FpuState f, mine;
        random_state(&f);
        int which = k % 4; /* FLDENV, FNSTENV, FRSTOR, FNSAVE */
        uint8_t hmem[128], mmem[128], himg[116], mimg[108], in[108];
        memset(hmem, 0xCC, sizeof hmem);
        if (which == 0 || which == 2) {
            FpuState g;
            random_state(&g);
            if (which == 0) {
                x87_store_env(&g, hmem, 0, 1);
            } else {
                x87_fsave_image(&g, hmem, 0, 1);
            }
        }
        memcpy(mmem, hmem, sizeof mmem);
        x87_fsave_image(&f, in, 1, 1);
        ((Stub)(uintptr_t)(test_x87_stubs16 + 32 * which))(in, hmem, himg, 0);
        mine = f;
        static const uint8_t kModrm[4] = {0x26, 0x36, 0x26, 0x36};
        X87Insn ins = {which < 2 ? 0xD9 : 0xDD, kModrm[which], 0, 1, 0, 0, 0, 0, 0};
        uint8_t sbuf[128];
        X87Out out;
        x87_exec(&mine, &ins, mmem, sbuf, &out);
        memcpy(mmem, sbuf, out.store_len);
        x87_fsave_image(&mine, mimg, 1, 1);
        memset(mimg + 12, 0, 16);
        memset(himg + 12, 0, 16);
        memset(mmem + 6, 0, 8); /* 16-bit pointers */
        memset(hmem + 6, 0, 8);
        int ok = compare_images(mimg, himg, 0) && !memcmp(mmem, hmem, sizeof mmem);
        if (!ok) {
            g_test_failed = 1;
            printf("  env16 case %d differs\n", which);
            dump_state("mine", mimg);
            dump_state("host", himg);
            for (int b = 0; b < 24; b++) {
                printf(" %02x/%02x", mmem[b], hmem[b]);
            }
            printf("\n");
            break;
        }
    }
}

TEST(x87, fxsave_fxrstor_vs_host)
{
    g_x87_rng = 99;
    for (int k = 0; k < 300 * FP80_SOAK; k++) {
        FpuState f, g;
        uint8_t in[108] __attribute__((aligned(16)));
        uint8_t himg[512] __attribute__((aligned(16)));
        uint8_t mimg[512] __attribute__((aligned(16)));
        uint8_t after[108];
        Xmm xmm[8];
        random_state(&f);
        memset(xmm, 0, sizeof xmm);
        x87_fsave_image(&f, in, 1, 1);
        memset(himg, 0, sizeof himg);
        ((Stub)(uintptr_t)test_x87_fxsave)(in, NULL, himg, 0);
        memset(mimg, 0, sizeof mimg);
        x87_fxsave(&f, 0x1F80, xmm, 0, mimg);
        /* FCW, FSW, abridged FTW, and the registers */
        int ok = !memcmp(mimg, himg, 5);
        for (int i = 0; i < 8; i++) {
            ok &= !memcmp(mimg + 32 + 16 * i, himg + 32 + 16 * i, 10);
        }
        /* FXRSTOR of the host's image: tags rebuilt from the registers */
        x87_reset(&g);
        uint32_t mx = 0;
        himg[24] = 0x80; /* a valid MXCSR for the host */
        himg[25] = 0x1F;
        himg[26] = himg[27] = 0;
        ((Stub)(uintptr_t)test_x87_fxrstor)(himg, NULL, after, 0);
        x87_fxrstor(&g, &mx, xmm, 0, himg);
        uint8_t gimg[108];
        x87_fsave_image(&g, gimg, 1, 1);
        memset(gimg + 12, 0, 16);
        memset(after + 12, 0, 16);
        ok &= compare_images(gimg, after, 0);
        if (!ok) {
            g_test_failed = 1;
            printf("  fxsave/fxrstor case %d differs: ftw %02x/%02x\n", k, mimg[4], himg[4]);
            dump_state("mine", gimg);
            dump_state("host", after);
            break;
        }
    }
}

#endif
