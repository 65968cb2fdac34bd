/* cpu/fp80.c against the host CPU's own x87.
 *
 * Each host operation runs between FNSAVE/FRSTOR pairs: the library's control word is loaded,
 * the operands pushed, the instruction executed, and the whole FPU image saved, so the test sees
 * the host's status word (flags, C0-C3, TOP) and every register left on the stack. The basic
 * operations and conversions must agree bit for bit, flags and C1 included, in every rounding
 * mode and precision; transcendentals must agree within one ulp (the worst seen is printed).
 * Operands come from a fixed-seed generator biased towards edge cases.
 */
#include <string.h>

#include "cpu/fp80.h"
#include "cpu/fp80_internal.h"
#include "tests/unit/test.h"

/* build with -DFP80_SOAK=n to run n times as many random cases */
#ifndef FP80_SOAK
#define FP80_SOAK 4
#endif

#if defined(__x86_64__) || defined(__i386__)
#define HAVE_HOST_X87 1
#endif

/* ---- operand generator ---- */

static uint64_t g_rng;

static uint64_t rnd(void)
{
    g_rng ^= g_rng >> 12;
    g_rng ^= g_rng << 25;
    g_rng ^= g_rng >> 27;
    return g_rng * 0x2545F4914F6CDD1Dull;
}

/* random bits, shifted right by a random amount below n (two draws, in a fixed order) */
static uint64_t rnd_shr(unsigned n)
{
    uint64_t v = rnd();
    return v >> (rnd() % n);
}

static uint64_t rnd_mant(void)
{
    switch (rnd() % 8) {
    case 0:
        return 0x8000000000000000ull | (rnd() & 0xFF);
    case 1:
        return ~0ull ^ (rnd() & 0xFF);
    case 2:
        return 0x8000000000000000ull | (rnd_shr(64) << 13);
    case 3: /* halfway patterns for 24/53/64-bit rounding */
        return 0x8000000000000000ull | (rnd_shr(2) & ~0xFFFFFFFFFFull) | 0x8000000000ull;
    case 4:
        return 0x8000000000000000ull | (rnd_shr(2) & ~0x7FFull) | 0x400ull;
    default:
        return rnd() | 0x8000000000000000ull;
    }
}

static Float80 rnd_normal_exp(int32_t lo, int32_t hi)
{
    int32_t e = lo + (int32_t)(rnd() % (uint64_t)(hi - lo + 1));
    return fp80_make((int)(rnd() & 1), (uint16_t)e, rnd_mant());
}

/* special = 1 lets in NaNs, infinities, zeros and the unsupported encodings */
static Float80 rnd_f80(int special)
{
    unsigned r = (unsigned)(rnd() % 64);
    int s = (int)(rnd() & 1);
    if (special && r < 12) {
        switch (r) {
        case 0:
            return fp80_zero(s);
        case 1:
            return fp80_inf(s);
        case 2: /* QNaN */
            return fp80_make(s, 0x7FFF, 0xC000000000000000ull | (rnd_shr(64) >> 2));
        case 3: /* SNaN */
            return fp80_make(s, 0x7FFF, 0x8000000000000000ull | 1 | (rnd() >> 2));
        case 4:
            return fp80_indefinite();
        case 5: /* denormal */
            return fp80_make(s, 0, rnd_shr(64) >> 1);
        case 6: /* pseudo-denormal */
            return fp80_make(s, 0, rnd() | 0x8000000000000000ull);
        case 7: /* unnormal */
        {
            uint16_t e = (uint16_t)(1 + rnd() % 0x7FFE);
            return fp80_make(s, e, rnd() >> 1);
        }
        case 8: /* pseudo-NaN / pseudo-infinity */
            return fp80_make(s, 0x7FFF, rnd_shr(63) >> 1);
        case 9:
            return fp80_make(s, 0x7FFE, ~0ull);
        case 10:
            return fp80_make(s, 1, 0x8000000000000000ull);
        default:
            return fp80_make(s, 0, 1ull << (rnd() % 63));
        }
    }
    switch (r % 8) {
    case 0: /* near the bottom of the range: results go tiny */
        return rnd_normal_exp(1, 200);
    case 1: /* near the top */
        return rnd_normal_exp(0x7FFE - 200, 0x7FFE);
    case 2:
        if (special) {
            return fp80_make(s, 0, rnd_shr(64));
        }
        /* fall through */
    case 3:
        return rnd_normal_exp(16383 - 8, 16383 + 8);
    default:
        return rnd_normal_exp(16383 - 200, 16383 + 200);
    }
}

/* a second operand close to the first, for cancellation and halfway cases */
static Float80 rnd_near(Float80 a)
{
    Float80 b = a;
    switch (rnd() % 4) {
    case 0:
        b.mant ^= rnd() & 0xFFFF;
        break;
    case 1:
        b.sexp = (uint16_t)((b.sexp & 0x8000) | (((b.sexp & 0x7FFF) + 64 - rnd() % 129) & 0x7FFF));
        break;
    case 2:
        b.sexp ^= 0x8000;
        b.mant ^= rnd() & 0xF;
        break;
    default:
        b.sexp ^= 0x8000;
        b.sexp = (uint16_t)((b.sexp & 0x8000) | (((b.sexp & 0x7FFF) - rnd() % 3) & 0x7FFF));
        break;
    }
    return b;
}

static const uint16_t kCws[12] = {
    0x037F, 0x077F, 0x0B7F, 0x0F7F, /* 64-bit, each rounding mode */
    0x027F, 0x067F, 0x0A7F, 0x0E7F, /* 53 */
    0x007F, 0x047F, 0x087F, 0x0C7F, /* 24 */
};

static int f80_eq(Float80 a, Float80 b)
{
    return a.mant == b.mant && a.sexp == b.sexp;
}

static void print_f80(const char *what, Float80 a)
{
    printf("%s=%04x:%016llx", what, a.sexp, (unsigned long long)a.mant);
}

#ifdef HAVE_HOST_X87

/* ---- the host's x87 ---- */

typedef struct Host {
    uint16_t sw;
    int depth;       /* registers on the stack after the operation */
    Float80 st[8];   /* ST(0).. */
    uint8_t mem[16]; /* memory stores */
} Host;

typedef struct Ld {
    uint8_t b[16];
} Ld;

static Ld to_ld(Float80 a)
{
    Ld l;
    memset(&l, 0, sizeof l);
    memcpy(l.b, &a.mant, 8);
    memcpy(l.b + 8, &a.sexp, 2);
    return l;
}

static void parse_fsave(const uint8_t *img, Host *h)
{
    memcpy(&h->sw, img + 4, 2);
    int top = (h->sw >> 11) & 7;
    h->depth = (8 - top) & 7;
    for (int i = 0; i < 8; i++) {
        memcpy(&h->st[i].mant, img + 28 + 10 * i, 8);
        memcpy(&h->st[i].sexp, img + 28 + 10 * i + 8, 2);
    }
}

/* Two operands: y pushed first, then x (ST0 = x, ST1 = y), then insn. */
#define HOST2(name, insn)                                                                          \
    static void name(Float80 x, Float80 y, uint16_t cw, Host *h)                                   \
    {                                                                                              \
        uint8_t saved[108], after[108];                                                            \
        Ld lx = to_ld(x), ly = to_ld(y);                                                           \
        __asm__ volatile("fnsave %[sv]\n\t"                                                        \
                         "fldcw %[cw]\n\t"                                                         \
                         "fldt %[y]\n\t"                                                           \
                         "fldt %[x]\n\t" insn "\n\t"                                               \
                         "fnsave %[af]\n\t"                                                        \
                         "frstor %[sv]\n\t"                                                        \
                         : [sv] "+m"(saved), [af] "=m"(after)                                      \
                         : [x] "m"(lx), [y] "m"(ly), [cw] "m"(cw)                                  \
                         : "memory");                                                              \
        parse_fsave(after, h);                                                                     \
    }

HOST2(host_add, "fadd %%st(1), %%st")
HOST2(host_sub, "fsub %%st(1), %%st")
HOST2(host_mul, "fmul %%st(1), %%st")
HOST2(host_div, "fdiv %%st(1), %%st")
HOST2(host_sqrt, "fsqrt")
HOST2(host_prem, "fprem")
HOST2(host_prem1, "fprem1")
HOST2(host_rndint, "frndint")
HOST2(host_scale, "fscale")
HOST2(host_xtract, "fxtract")
HOST2(host_com, "fcom %%st(1)")
HOST2(host_ucom, "fucom %%st(1)")
HOST2(host_xam, "fxam")
HOST2(host_f2xm1, "f2xm1")
HOST2(host_fyl2x, "fyl2x")
HOST2(host_fyl2xp1, "fyl2xp1")
HOST2(host_fpatan, "fpatan")
HOST2(host_fsin, "fsin")
HOST2(host_fcos, "fcos")
HOST2(host_fsincos, "fsincos")
HOST2(host_fptan, "fptan")
HOST2(host_fst80, "nop")

/* Loads from memory: mem holds the operand. */
#define HOSTLD(name, insn)                                                                         \
    static void name(const void *mem, uint16_t cw, Host *h)                                        \
    {                                                                                              \
        uint8_t saved[108], after[108];                                                            \
        uint8_t m[16];                                                                             \
        memcpy(m, mem, 16);                                                                        \
        __asm__ volatile("fnsave %[sv]\n\t"                                                        \
                         "fldcw %[cw]\n\t" insn " %[m]\n\t"                                        \
                         "fnsave %[af]\n\t"                                                        \
                         "frstor %[sv]\n\t"                                                        \
                         : [sv] "+m"(saved), [af] "=m"(after)                                      \
                         : [m] "m"(m), [cw] "m"(cw)                                                \
                         : "memory");                                                              \
        parse_fsave(after, h);                                                                     \
    }

HOSTLD(host_flds, "flds")
HOSTLD(host_fldl, "fldl")
HOSTLD(host_fbld, "fbld")
HOSTLD(host_filds, "filds")
HOSTLD(host_fildl, "fildl")
HOSTLD(host_fildll, "fildll")

/* Stores to memory: ST0 = x, insn writes h->mem. */
#define HOSTST(name, insn)                                                                         \
    static void name(Float80 x, uint16_t cw, Host *h)                                              \
    {                                                                                              \
        uint8_t saved[108], after[108];                                                            \
        uint8_t m[16];                                                                             \
        Ld lx = to_ld(x);                                                                          \
        memset(m, 0xCC, sizeof m);                                                                 \
        __asm__ volatile("fnsave %[sv]\n\t"                                                        \
                         "fldcw %[cw]\n\t"                                                         \
                         "fldt %[x]\n\t" insn " %[m]\n\t"                                          \
                         "fnsave %[af]\n\t"                                                        \
                         "frstor %[sv]\n\t"                                                        \
                         : [sv] "+m"(saved), [af] "=m"(after), [m] "+m"(m)                         \
                         : [x] "m"(lx), [cw] "m"(cw)                                               \
                         : "memory");                                                              \
        parse_fsave(after, h);                                                                     \
        memcpy(h->mem, m, 16);                                                                     \
    }

HOSTST(host_fsts, "fstps")
HOSTST(host_fstl, "fstpl")
HOSTST(host_fists, "fistps")
HOSTST(host_fistl, "fistpl")
HOSTST(host_fistll, "fistpll")
HOSTST(host_fbstp, "fbstp")

/* Constants: insn pushes one. */
#define HOSTK(name, insn)                                                                          \
    static void name(uint16_t cw, Host *h)                                                         \
    {                                                                                              \
        uint8_t saved[108], after[108];                                                            \
        __asm__ volatile("fnsave %[sv]\n\t"                                                        \
                         "fldcw %[cw]\n\t" insn "\n\t"                                             \
                         "fnsave %[af]\n\t"                                                        \
                         "frstor %[sv]\n\t"                                                        \
                         : [sv] "+m"(saved), [af] "=m"(after)                                      \
                         : [cw] "m"(cw)                                                            \
                         : "memory");                                                              \
        parse_fsave(after, h);                                                                     \
    }

HOSTK(host_fld1, "fld1")
HOSTK(host_fldl2t, "fldl2t")
HOSTK(host_fldl2e, "fldl2e")
HOSTK(host_fldpi, "fldpi")
HOSTK(host_fldlg2, "fldlg2")
HOSTK(host_fldln2, "fldln2")
HOSTK(host_fldz, "fldz")

/* ---- comparison helpers ---- */

static int g_report_budget;

/* Checks result, flags (IE DE ZE OE UE PE) and C1 of a one-result operation. */
static int check_result(const char *op, Float80 a, Float80 b, uint16_t cw, Float80 mine,
                        const Fp80Ctx *c, Float80 host, uint16_t hsw, int check_c1)
{
    uint16_t mflags = c->flags, hflags = hsw & FP_E_ALL;
    int ok = f80_eq(mine, host) && mflags == hflags && (!check_c1 || c->c1 == ((hsw >> 9) & 1));
    if (!ok) {
        g_test_failed = 1;
        if (g_report_budget-- > 0) {
            printf("  %s cw=%04x ", op, cw);
            print_f80("a", a);
            printf(" ");
            print_f80("b", b);
            printf("\n    mine ");
            print_f80("r", mine);
            printf(" flags=%02x c1=%d\n    host ", mflags, c->c1);
            print_f80("r", host);
            printf(" flags=%02x c1=%d\n", hflags, (hsw >> 9) & 1);
        }
    }
    return ok;
}

typedef Float80 (*BinOp)(Fp80Ctx *, Float80, Float80);
typedef void (*HostBin)(Float80, Float80, uint16_t, Host *);

static void run_binop(const char *name, BinOp mine, HostBin host, int n, int near)
{
    g_rng = 0x1234567 + (uint64_t)name[3] * 77 + (uint64_t)name[0];
    for (int i = 0; i < n; i++) {
        Float80 a = rnd_f80(1);
        Float80 b = near && (rnd() & 1) ? rnd_near(a) : rnd_f80(1);
        uint16_t cw = kCws[i % 12];
        Fp80Ctx c;
        Host h;
        fp80_ctx_init(&c, cw);
        Float80 r = mine(&c, a, b);
        host(a, b, cw, &h);
        check_result(name, a, b, cw, r, &c, h.st[0], h.sw, 1);
    }
}

TEST(fp80, add_vs_host)
{
    g_report_budget = 10;
    run_binop("add", fp80_add, host_add, 120000 * FP80_SOAK, 1);
}

TEST(fp80, sub_vs_host)
{
    g_report_budget = 10;
    run_binop("sub", fp80_sub, host_sub, 120000 * FP80_SOAK, 1);
}

TEST(fp80, mul_vs_host)
{
    g_report_budget = 10;
    run_binop("mul", fp80_mul, host_mul, 120000 * FP80_SOAK, 0);
}

TEST(fp80, div_vs_host)
{
    g_report_budget = 10;
    run_binop("div", fp80_div, host_div, 120000 * FP80_SOAK, 1);
}

TEST(fp80, sqrt_vs_host)
{
    g_report_budget = 10;
    g_rng = 99;
    for (int i = 0; i < 60000 * FP80_SOAK; i++) {
        Float80 a = rnd_f80(1);
        if (rnd() & 1) {
            a.sexp &= 0x7FFF;
        }
        uint16_t cw = kCws[i % 12];
        Fp80Ctx c;
        Host h;
        fp80_ctx_init(&c, cw);
        Float80 r = fp80_sqrt(&c, a);
        host_sqrt(a, a, cw, &h);
        check_result("sqrt", a, a, cw, r, &c, h.st[0], h.sw, 1);
    }
}

/* Unmasked overflow and underflow leave a biased result in the register. */
TEST(fp80, unmasked_overflow_underflow_vs_host)
{
    g_report_budget = 10;
    g_rng = 4242;
    for (int i = 0; i < 40000 * FP80_SOAK; i++) {
        Float80 a = rnd_f80(0), b = rnd_f80(0);
        uint16_t cw = (uint16_t)((kCws[i % 12] & ~0x18) | (rnd() & 0x18));
        Fp80Ctx c;
        Host h;
        Float80 r;
        fp80_ctx_init(&c, cw);
        switch (i % 3) {
        case 0:
            r = fp80_mul(&c, a, b);
            host_mul(a, b, cw, &h);
            break;
        case 1:
            r = fp80_div(&c, a, b);
            host_div(a, b, cw, &h);
            break;
        default:
            r = fp80_add(&c, a, b);
            host_add(a, b, cw, &h);
            break;
        }
        check_result("unmasked", a, b, cw, r, &c, h.st[0], h.sw, 1);
    }
}

TEST(fp80, prem_vs_host)
{
    g_report_budget = 10;
    g_rng = 777;
    for (int i = 0; i < 60000 * FP80_SOAK; i++) {
        Float80 a = rnd_f80(1), b;
        if (rnd() & 1) {
            b = rnd_f80(1);
        } else { /* exponent differences around 64 and above exercise partial reduction */
            b = a;
            b.mant = rnd_mant();
            b.sexp = (uint16_t)((rnd() & 0x8000) | (((a.sexp & 0x7FFF) - (rnd() % 300)) & 0x7FFF));
        }
        int ieee = i & 1;
        uint16_t cw = kCws[i % 12], cc;
        Fp80Ctx c;
        Host h;
        fp80_ctx_init(&c, cw);
        Float80 r = fp80_rem(&c, a, b, ieee, &cc);
        (ieee ? host_prem1 : host_prem)(a, b, cw, &h);
        /* C0/C1/C3 are defined only for a complete reduction */
        uint16_t hcc = h.sw & (FP_CC_C0 | FP_CC_C1 | FP_CC_C2 | FP_CC_C3);
        if (hcc & FP_CC_C2) {
            hcc = FP_CC_C2;
        }
        if ((c.flags & FP_E_INVALID) || fp80_is_nan(r)) {
            hcc = cc = 0;
        }
        c.c1 = (h.sw >> 9) & 1; /* C1 is the quotient bit here, checked through cc */
        if (check_result(ieee ? "prem1" : "prem", a, b, cw, r, &c, h.st[0], h.sw, 0) && cc != hcc) {
            g_test_failed = 1;
            if (g_report_budget-- > 0) {
                printf("  prem%s cc mine %04x host %04x ", ieee ? "1" : "", cc, hcc);
                print_f80("a", a);
                printf(" ");
                print_f80("b", b);
                printf("\n");
            }
        }
    }
}

TEST(fp80, rndint_scale_xtract_vs_host)
{
    g_report_budget = 10;
    g_rng = 31337;
    for (int i = 0; i < 60000 * FP80_SOAK; i++) {
        Float80 a = rnd_f80(1), b = rnd_f80(1);
        uint16_t cw = kCws[i % 12];
        Fp80Ctx c;
        Host h;
        fp80_ctx_init(&c, cw);
        if (i % 3 == 0) {
            if (rnd() & 1) {
                a = rnd_normal_exp(16383 - 3, 16383 + 66);
            }
            Float80 r = fp80_round_int(&c, a);
            host_rndint(a, b, cw, &h);
            check_result("rndint", a, b, cw, r, &c, h.st[0], h.sw, 1);
        } else if (i % 3 == 1) {
            if (rnd() & 1) {
                b = fp80_from_int((int64_t)(rnd() % 70000) - 35000);
                if (rnd() & 1) {
                    b = fp80_add(&c, b, fp80_make(0, 16382, rnd_mant()));
                    c.flags = 0;
                }
            }
            Float80 r = fp80_scale(&c, a, b);
            host_scale(a, b, cw, &h);
            check_result("scale", a, b, cw, r, &c, h.st[0], h.sw, 1);
        } else {
            Float80 e, s;
            fp80_xtract(&c, a, &e, &s);
            host_xtract(a, b, cw, &h);
            if (check_result("xtract.sig", a, b, cw, s, &c, h.st[0], h.sw, 0)) {
                check_result("xtract.exp", a, b, cw, e, &c, h.st[1], h.sw, 0);
            }
        }
    }
}

TEST(fp80, compare_and_fxam_vs_host)
{
    g_report_budget = 10;
    g_rng = 5;
    for (int i = 0; i < 60000 * FP80_SOAK; i++) {
        Float80 a = rnd_f80(1), b = (rnd() & 1) ? rnd_near(a) : rnd_f80(1);
        if (rnd() % 8 == 0) {
            b = a;
        }
        uint16_t cw = kCws[i % 12];
        Fp80Ctx c;
        Host h;
        fp80_ctx_init(&c, cw);
        int quiet = i & 1;
        int r = fp80_compare(&c, a, b, quiet);
        (quiet ? host_ucom : host_com)(a, b, cw, &h);
        static const uint16_t kCc[4] = {FP_CC_C0, FP_CC_C3, 0, FP_CC_C0 | FP_CC_C2 | FP_CC_C3};
        uint16_t hcc = h.sw & (FP_CC_C0 | FP_CC_C2 | FP_CC_C3);
        if (kCc[r] != hcc || c.flags != (h.sw & FP_E_ALL)) {
            g_test_failed = 1;
            if (g_report_budget-- > 0) {
                printf("  %s ", quiet ? "fucom" : "fcom");
                print_f80("a", a);
                printf(" ");
                print_f80("b", b);
                printf(" mine cc=%04x flags=%02x host cc=%04x flags=%02x\n", kCc[r], c.flags, hcc,
                       h.sw & FP_E_ALL);
            }
        }
        /* FXAM */
        host_xam(a, b, cw, &h);
        int cls = fp80_classify(a);
        uint16_t mine_cc = (uint16_t)(((cls & 1) ? FP_CC_C0 : 0) | ((cls & 2) ? FP_CC_C2 : 0) |
                                      ((cls & 4) ? FP_CC_C3 : 0) | (fp80_sign(a) ? FP_CC_C1 : 0));
        hcc = h.sw & (FP_CC_C0 | FP_CC_C1 | FP_CC_C2 | FP_CC_C3);
        if (mine_cc != hcc) {
            g_test_failed = 1;
            if (g_report_budget-- > 0) {
                printf("  fxam ");
                print_f80("a", a);
                printf(" mine %04x host %04x\n", mine_cc, hcc);
            }
        }
    }
}

static uint32_t rnd_f32_bits(void)
{
    switch (rnd() % 6) {
    case 0:
        return (uint32_t)(rnd() & 0x807FFFFF); /* zero/denormal */
    case 1:
        return (uint32_t)(rnd() | 0x7F800000); /* inf/NaN */
    default:
        return (uint32_t)rnd();
    }
}

static uint64_t rnd_f64_bits(void)
{
    switch (rnd() % 6) {
    case 0:
        return rnd() & 0x800FFFFFFFFFFFFFull;
    case 1:
        return rnd() | 0x7FF0000000000000ull;
    default:
        return rnd();
    }
}

TEST(fp80, binary_loads_vs_host)
{
    g_report_budget = 10;
    g_rng = 8080;
    for (int i = 0; i < 40000 * FP80_SOAK; i++) {
        uint8_t m[16] = {0};
        uint16_t cw = kCws[i % 12];
        Fp80Ctx c;
        Host h;
        Float80 r, z = fp80_zero(0);
        fp80_ctx_init(&c, cw);
        if (i & 1) {
            uint32_t v = rnd_f32_bits();
            memcpy(m, &v, 4);
            r = fp80_from_f32(&c, v);
            host_flds(m, cw, &h);
            check_result("flds", fp80_make(0, 0, v), z, cw, r, &c, h.st[0], h.sw, 1);
        } else {
            uint64_t v = rnd_f64_bits();
            memcpy(m, &v, 8);
            r = fp80_from_f64(&c, v);
            host_fldl(m, cw, &h);
            check_result("fldl", fp80_make(0, 0, v), z, cw, r, &c, h.st[0], h.sw, 1);
        }
    }
}

static void check_store(const char *op, Float80 a, uint16_t cw, const Fp80Ctx *c, const void *mine,
                        const Host *h, int size)
{
    /* an unmasked exception on a store leaves memory untouched: compare the flags only */
    int unmasked = (c->flags & ~c->mask & FP_E_ALL) != 0;
    int ok = (unmasked || !memcmp(mine, h->mem, (size_t)size)) && c->flags == (h->sw & FP_E_ALL) &&
             (unmasked || c->c1 == ((h->sw >> 9) & 1));
    if (!ok) {
        g_test_failed = 1;
        if (g_report_budget-- > 0) {
            uint64_t mv = 0, hv = 0;
            memcpy(&mv, mine, (size_t)(size > 8 ? 8 : size));
            memcpy(&hv, h->mem, (size_t)(size > 8 ? 8 : size));
            printf("  %s cw=%04x ", op, cw);
            print_f80("a", a);
            printf("\n    mine %016llx flags=%02x c1=%d host %016llx flags=%02x c1=%d\n",
                   (unsigned long long)mv, c->flags, c->c1, (unsigned long long)hv,
                   h->sw & FP_E_ALL, (h->sw >> 9) & 1);
        }
    }
}

TEST(fp80, binary_and_integer_stores_vs_host)
{
    g_report_budget = 10;
    g_rng = 6502;
    for (int i = 0; i < 100000 * FP80_SOAK; i++) {
        Float80 a = rnd_f80(1);
        uint16_t cw = kCws[i % 12];
        if (i % 7 == 0) {
            cw &= (uint16_t)~0x18; /* unmasked OE/UE: nothing stored */
        }
        int kind = (i / 12) % 5;
        switch (kind) {
        case 0: /* into binary32 range, and its denormals */
            if (rnd() & 1) {
                a = rnd_normal_exp(16383 - 160, 16383 + 130);
            }
            break;
        case 1:
            if (rnd() & 1) {
                a = rnd_normal_exp(16383 - 1090, 16383 + 1030);
            }
            break;
        default: /* integers: around the type's range, and halfway points */
            if (rnd() & 1) {
                int bits = kind == 2 ? 16 : kind == 3 ? 32 : 64;
                a = rnd_normal_exp(16383 - 2, 16383 + bits);
                if (rnd() & 1) {
                    a.mant &= ~0ull << (rnd() % 64);
                }
            }
            break;
        }
        Fp80Ctx c;
        Host h;
        fp80_ctx_init(&c, cw);
        switch (kind) {
        case 0: {
            uint32_t v = fp80_to_f32(&c, a);
            host_fsts(a, cw, &h);
            check_store("fsts", a, cw, &c, &v, &h, 4);
            break;
        }
        case 1: {
            uint64_t v = fp80_to_f64(&c, a);
            host_fstl(a, cw, &h);
            check_store("fstl", a, cw, &c, &v, &h, 8);
            break;
        }
        case 2: {
            int16_t v = (int16_t)fp80_to_int(&c, a, 16, 0);
            host_fists(a, cw, &h);
            check_store("fists", a, cw, &c, &v, &h, 2);
            break;
        }
        case 3: {
            int32_t v = (int32_t)fp80_to_int(&c, a, 32, 0);
            host_fistl(a, cw, &h);
            check_store("fistl", a, cw, &c, &v, &h, 4);
            break;
        }
        default: {
            int64_t v = fp80_to_int(&c, a, 64, 0);
            host_fistll(a, cw, &h);
            check_store("fistll", a, cw, &c, &v, &h, 8);
            break;
        }
        }
    }
}

TEST(fp80, integer_loads_vs_host)
{
    g_rng = 1;
    for (int i = 0; i < 3000 * FP80_SOAK; i++) {
        int64_t v = (int64_t)rnd_shr(64);
        if (rnd() & 1) {
            v = -v;
        }
        if (i == 0) {
            v = INT64_MIN;
        }
        uint8_t m[16] = {0};
        Host h;
        memcpy(m, &v, 8);
        host_fildll(m, 0x037F, &h);
        EXPECT_TRUE(f80_eq(fp80_from_int(v), h.st[0]));
        int32_t v32 = (int32_t)v;
        memcpy(m, &v32, 4);
        host_fildl(m, 0x037F, &h);
        EXPECT_TRUE(f80_eq(fp80_from_int(v32), h.st[0]));
        int16_t v16 = (int16_t)v;
        memcpy(m, &v16, 2);
        host_filds(m, 0x037F, &h);
        EXPECT_TRUE(f80_eq(fp80_from_int(v16), h.st[0]));
    }
}

TEST(fp80, bcd_vs_host)
{
    g_report_budget = 10;
    g_rng = 1985;
    for (int i = 0; i < 20000 * FP80_SOAK; i++) {
        Float80 a = rnd_f80(1);
        if (rnd() % 4) {
            a = rnd_normal_exp(16383 - 3, 16383 + 61);
        }
        uint16_t cw = kCws[i % 4];
        Fp80Ctx c;
        Host h;
        uint8_t mine[16] = {0};
        fp80_ctx_init(&c, cw);
        fp80_to_bcd(&c, a, mine);
        host_fbstp(a, cw, &h);
        check_store("fbstp", a, cw, &c, mine, &h, 10);
        /* and back: valid BCD strings load exactly */
        if (!(c.flags & FP_E_INVALID)) {
            host_fbld(mine, cw, &h);
            Float80 back = fp80_from_bcd(mine);
            if (!f80_eq(back, h.st[0])) {
                g_test_failed = 1;
                if (g_report_budget-- > 0) {
                    print_f80("  fbld mine", back);
                    print_f80(" host", h.st[0]);
                    printf("\n");
                }
            }
        }
    }
}

TEST(fp80, constants_vs_host)
{
    typedef void (*HostK)(uint16_t, Host *);
    static const HostK kHost[7] = {host_fld1,   host_fldl2t, host_fldl2e, host_fldpi,
                                   host_fldlg2, host_fldln2, host_fldz};
    static const int kWhich[7] = {FP_CONST_ONE, FP_CONST_L2T, FP_CONST_L2E, FP_CONST_PI,
                                  FP_CONST_LG2, FP_CONST_LN2, FP_CONST_ZERO};
    for (int k = 0; k < 7; k++) {
        for (int rc = 0; rc < 4; rc++) {
            Host h;
            kHost[k]((uint16_t)(0x037F | rc << 10), &h);
            Float80 mine = fp80_const(kWhich[k], rc);
            if (!f80_eq(mine, h.st[0])) {
                g_test_failed = 1;
                printf("  constant %d rc=%d ", k, rc);
                print_f80("mine", mine);
                print_f80(" host", h.st[0]);
                printf("\n");
            }
        }
    }
}

TEST(fp80, fld_fstp_m80_is_transparent)
{
    /* the harness itself: an 80-bit load leaves every encoding as it was */
    g_rng = 3;
    for (int i = 0; i < 1000 * FP80_SOAK; i++) {
        Float80 a = rnd_f80(1);
        Host h;
        host_fst80(a, a, 0x037F, &h);
        EXPECT_TRUE(f80_eq(a, h.st[0]));
        EXPECT_EQ(h.sw & FP_E_ALL, 0);
    }
}

/* ---- transcendentals: within one ulp ---- */

/* distance in ulps between two finite values of the same sign (large when they differ) */
static uint64_t ulp_dist(Float80 a, Float80 b)
{
    if ((a.sexp ^ b.sexp) & 0x8000) {
        return (a.mant == 0 && b.mant == 0) ? 0 : ~0ull;
    }
    /* the extended format is monotonic as (exponent, significand) once denormals count the
     * integer bit as part of the significand */
    unsigned __int128 ka = ((unsigned __int128)(a.sexp & 0x7FFF) << 63) + (a.mant & ~(1ull << 63));
    unsigned __int128 kb = ((unsigned __int128)(b.sexp & 0x7FFF) << 63) + (b.mant & ~(1ull << 63));
    if ((a.sexp & 0x7FFF) == 0) {
        ka = a.mant;
    }
    if ((b.sexp & 0x7FFF) == 0) {
        kb = b.mant;
    }
    unsigned __int128 d = ka > kb ? ka - kb : kb - ka;
    return d > 0xFFFFFFFF ? ~0ull : (uint64_t)d;
}

typedef struct TransStats {
    uint64_t max_ulps;
    int n, off_by_one;
} TransStats;

static int check_trans(const char *op, Float80 a, Float80 b, Float80 mine, const Fp80Ctx *c,
                       Float80 host, uint16_t hsw, TransStats *st)
{
    /* IE, DE and ZE must agree; PE and UE only where the value is exact or tiny */
    uint8_t sig = FP_E_INVALID | FP_E_DENORMAL | FP_E_ZERODIV | FP_E_OVERFLOW;
    int nan_ok = fp80_is_nan(mine) && fp80_is_nan(host) && f80_eq(mine, host);
    uint64_t d = nan_ok ? 0 : ulp_dist(mine, host);
    int ok = (nan_ok || d <= 1) && (c->flags & sig) == (hsw & sig);
    st->n++;
    if (!nan_ok && d <= 1 && d > st->max_ulps) {
        st->max_ulps = d;
    }
    if (d == 1) {
        st->off_by_one++;
    }
    if (!ok) {
        g_test_failed = 1;
        if (g_report_budget-- > 0) {
            printf("  %s ", op);
            print_f80("a", a);
            printf(" ");
            print_f80("b", b);
            printf("\n    mine ");
            print_f80("r", mine);
            printf(" flags=%02x host ", c->flags);
            print_f80("r", host);
            printf(" flags=%02x (%llu ulps)\n", hsw & FP_E_ALL, (unsigned long long)d);
        }
    }
    return ok;
}

static void report(const char *op, const TransStats *st)
{
    printf("  [info] %-8s %6d cases, max error %llu ulp, %d off by one ulp\n", op, st->n,
           (unsigned long long)st->max_ulps, st->off_by_one);
}

TEST(fp80, f2xm1_vs_host)
{
    TransStats st = {0, 0, 0};
    g_report_budget = 10;
    g_rng = 2;
    for (int i = 0; i < 20000 * FP80_SOAK; i++) {
        Float80 a = rnd_normal_exp(16383 - 70, 16382);
        if (i % 10 == 0) {
            a = rnd_f80(1);
            if ((a.sexp & 0x7FFF) > 16382 && (a.sexp & 0x7FFF) != 0x7FFF) {
                a.sexp = (uint16_t)((a.sexp & 0x8000) | 16382);
            }
        }
        uint16_t cw = kCws[i % 4];
        Fp80Ctx c;
        Host h;
        fp80_ctx_init(&c, cw);
        Float80 r = fp80_f2xm1(&c, a);
        host_f2xm1(a, a, cw, &h);
        check_trans("f2xm1", a, a, r, &c, h.st[0], h.sw, &st);
    }
    report("f2xm1", &st);
}

TEST(fp80, fyl2x_fyl2xp1_vs_host)
{
    TransStats st = {0, 0, 0}, st1 = {0, 0, 0};
    g_report_budget = 10;
    g_rng = 3;
    for (int i = 0; i < 20000 * FP80_SOAK; i++) {
        Float80 x = rnd_f80(i % 10 == 0), y = rnd_f80(i % 10 == 0);
        if (rnd() & 1) {
            x.sexp &= 0x7FFF;
        }
        if (rnd() % 4 == 0) {
            x = rnd_normal_exp(16382, 16383); /* near 1 */
        }
        uint16_t cw = kCws[i % 4];
        Fp80Ctx c;
        Host h;
        fp80_ctx_init(&c, cw);
        Float80 r = fp80_fyl2x(&c, x, y);
        host_fyl2x(x, y, cw, &h);
        check_trans("fyl2x", x, y, r, &c, h.st[0], h.sw, &st);
        /* fyl2xp1: |x| < 1 - sqrt(2)/2 */
        x = rnd_normal_exp(16383 - 80, 16381);
        if (i % 10 == 0) {
            x = rnd_f80(1);
            if ((x.sexp & 0x7FFF) > 16381 && (x.sexp & 0x7FFF) != 0x7FFF) {
                x.sexp = (uint16_t)((x.sexp & 0x8000) | 16381);
            }
        }
        fp80_ctx_init(&c, cw);
        r = fp80_fyl2xp1(&c, x, y);
        host_fyl2xp1(x, y, cw, &h);
        check_trans("fyl2xp1", x, y, r, &c, h.st[0], h.sw, &st1);
    }
    report("fyl2x", &st);
    report("fyl2xp1", &st1);
}

TEST(fp80, fpatan_vs_host)
{
    TransStats st = {0, 0, 0};
    g_report_budget = 10;
    g_rng = 4;
    for (int i = 0; i < 20000 * FP80_SOAK; i++) {
        Float80 x = rnd_f80(i % 10 == 0), y = rnd_f80(i % 10 == 0);
        if (rnd() & 1) {
            x = rnd_normal_exp(16383 - 20, 16383 + 20);
            y = rnd_normal_exp(16383 - 20, 16383 + 20);
        }
        uint16_t cw = kCws[i % 4];
        Fp80Ctx c;
        Host h;
        fp80_ctx_init(&c, cw);
        Float80 r = fp80_fpatan(&c, x, y);
        host_fpatan(x, y, cw, &h);
        check_trans("fpatan", x, y, r, &c, h.st[0], h.sw, &st);
    }
    report("fpatan", &st);
}

TEST(fp80, trig_vs_host)
{
    TransStats ss = {0, 0, 0}, sc = {0, 0, 0}, stn = {0, 0, 0};
    g_report_budget = 10;
    g_rng = 5;
    for (int i = 0; i < 20000 * FP80_SOAK; i++) {
        Float80 a = rnd_normal_exp(16383 - 30, 16383 + 6);
        if (i % 10 == 0) {
            a = rnd_f80(1);
        } else if (i % 10 == 1) {
            a = rnd_normal_exp(16383 - 30, 16383 + 64);
        }
        uint16_t cw = kCws[i % 4];
        Fp80Ctx c;
        Host h;
        Float80 s, co, t;
        fp80_ctx_init(&c, cw);
        int ok = fp80_sincos(&c, a, &s, NULL);
        host_fsin(a, a, cw, &h);
        if (!ok) {
            EXPECT_TRUE(h.sw & FP_CC_C2);
        } else {
            check_trans("fsin", a, a, s, &c, h.st[0], h.sw, &ss);
        }
        fp80_ctx_init(&c, cw);
        ok = fp80_sincos(&c, a, NULL, &co);
        host_fcos(a, a, cw, &h);
        if (ok) {
            check_trans("fcos", a, a, co, &c, h.st[0], h.sw, &sc);
        }
        fp80_ctx_init(&c, cw);
        ok = fp80_sincos(&c, a, &s, &co);
        host_fsincos(a, a, cw, &h);
        if (ok && h.depth == 3) {
            check_trans("fsincos", a, a, co, &c, h.st[0], h.sw, &sc);
            check_trans("fsincos", a, a, s, &c, h.st[1], h.sw, &ss);
        }
        fp80_ctx_init(&c, cw);
        ok = fp80_tan(&c, a, &t);
        host_fptan(a, a, cw, &h);
        if (ok) {
            check_trans("fptan", a, a, t, &c, h.depth == 3 ? h.st[1] : h.st[0], h.sw, &stn);
        }
    }
    report("fsin", &ss);
    report("fcos", &sc);
    report("fptan", &stn);
}

/* Unmasked IE, DE and ZE: the host leaves ST0 alone; the library must report the same flags
 * and ask for no store (fp80_unmasked_fault). Otherwise results agree as usual. */
TEST(fp80, unmasked_precomputation_exceptions_vs_host)
{
    static const BinOp kOps[4] = {fp80_add, fp80_mul, fp80_div, fp80_sub};
    static const HostBin kHostOps[4] = {host_add, host_mul, host_div, host_sub};
    g_report_budget = 10;
    g_rng = 1212;
    for (int i = 0; i < 40000 * FP80_SOAK; i++) {
        Float80 a = rnd_f80(1), b = rnd_f80(1);
        uint16_t cw = (uint16_t)(kCws[i % 12] & ~(rnd() & 0x07));
        Fp80Ctx c;
        Host h;
        fp80_ctx_init(&c, cw);
        int op = (int)(rnd() % 5);
        Float80 r;
        if (op == 4) {
            r = fp80_sqrt(&c, a);
            host_sqrt(a, b, cw, &h);
        } else {
            r = kOps[op](&c, a, b);
            kHostOps[op](a, b, cw, &h);
        }
        if (fp80_unmasked_fault(&c)) {
            r = a; /* nothing is stored */
        }
        check_result("unmasked-pre", a, b, cw, r, &c, h.st[0], h.sw, !fp80_unmasked_fault(&c));
    }
}

TEST(fp80, nan_ties_vs_host)
{
    static const BinOp kOps[4] = {fp80_add, fp80_mul, fp80_div, fp80_sub};
    static const HostBin kHostOps[4] = {host_add, host_mul, host_div, host_sub};
    g_report_budget = 10;
    g_rng = 77;
    for (int i = 0; i < 400; i++) {
        uint64_t m = (rnd() >> 2) | 0x8000000000000000ull | ((i & 1) ? 0x4000000000000000ull : 0);
        if (!(m & 0x3FFFFFFFFFFFFFFFull)) {
            m |= 1;
        }
        Float80 a = fp80_make(i & 2 ? 1 : 0, 0x7FFF, m), b = fp80_make(i & 4 ? 1 : 0, 0x7FFF, m);
        if (i & 8) {
            b.mant ^= 0x4000000000000000ull; /* one quiet, one signalling */
        }
        Fp80Ctx c;
        Host h;
        fp80_ctx_init(&c, 0x037F);
        int op = (i >> 4) & 3;
        Float80 r = kOps[op](&c, a, b);
        kHostOps[op](a, b, 0x037F, &h);
        check_result("nan-tie", a, b, 0x037F, r, &c, h.st[0], h.sw, 1);
    }
}

/* FPREM loops until C2 clears, as software does; every step must agree. */
TEST(fp80, prem_partial_loops_vs_host)
{
    g_report_budget = 10;
    g_rng = 4711;
    for (int i = 0; i < 300; i++) {
        Float80 a = rnd_normal_exp(16383 + 100, 16383 + 3000),
                b = rnd_normal_exp(16383 - 50, 16383 + 50);
        int ieee = i & 1;
        for (int step = 0; step < 200; step++) {
            Fp80Ctx c;
            Host h;
            uint16_t cc;
            fp80_ctx_init(&c, 0x037F);
            Float80 r = fp80_rem(&c, a, b, ieee, &cc);
            (ieee ? host_prem1 : host_prem)(a, b, 0x037F, &h);
            uint16_t hcc = h.sw & (FP_CC_C0 | FP_CC_C1 | FP_CC_C2 | FP_CC_C3);
            if (hcc & FP_CC_C2) {
                hcc = FP_CC_C2;
            }
            c.c1 = (h.sw >> 9) & 1;
            if (!check_result("prem-loop", a, b, 0x037F, r, &c, h.st[0], h.sw, 0) || cc != hcc) {
                g_test_failed = 1;
                break;
            }
            a = r;
            if (!(cc & FP_CC_C2)) {
                break;
            }
        }
    }
}

/* FSCALE far beyond the range, masked and unmasked */
TEST(fp80, scale_extremes_vs_host)
{
    g_report_budget = 10;
    g_rng = 999;
    for (int i = 0; i < 20000 * FP80_SOAK; i++) {
        Float80 a = rnd_f80(1), b = fp80_from_int((int64_t)(rnd() % 200000) - 100000);
        if (i % 5 == 0) {
            b = rnd_f80(1);
        }
        uint16_t cw = (uint16_t)(kCws[i % 4] & ~(rnd() & 0x18));
        Fp80Ctx c;
        Host h;
        fp80_ctx_init(&c, cw);
        Float80 r = fp80_scale(&c, a, b);
        host_scale(a, b, cw, &h);
        check_result("scale-x", a, b, cw, r, &c, h.st[0], h.sw, 1);
    }
}

/* trigonometric arguments next to multiples of pi/2: the 66-bit pi of the reduction shows */
TEST(fp80, trig_near_multiples_of_pi_vs_host)
{
    TransStats st = {0, 0, 0};
    g_report_budget = 10;
    g_rng = 31;
    Fp80Ctx c;
    Float80 half_pi = fp80_const(FP_CONST_PI, 0);
    half_pi.sexp--;
    for (int i = 0; i < 4000 * FP80_SOAK; i++) {
        fp80_ctx_init(&c, 0x037F);
        Float80 k = fp80_from_int((int64_t)rnd_shr(64) + 1);
        Float80 a = fp80_mul(&c, k, half_pi);
        a.mant += (rnd() % 5) - 2;
        if (!(a.mant >> 63)) {
            continue;
        }
        Float80 s, co, t;
        Host h;
        fp80_ctx_init(&c, 0x037F);
        if (!fp80_sincos(&c, a, &s, &co)) {
            continue;
        }
        host_fsin(a, a, 0x037F, &h);
        check_trans("fsin~pi", a, a, s, &c, h.st[0], h.sw, &st);
        host_fcos(a, a, 0x037F, &h);
        check_trans("fcos~pi", a, a, co, &c, h.st[0], h.sw, &st);
        fp80_ctx_init(&c, 0x037F);
        fp80_tan(&c, a, &t);
        host_fptan(a, a, 0x037F, &h);
        check_trans("fptan~pi", a, a, t, &c, h.st[1], h.sw, &st);
    }
    report("trig~pi", &st);
}

#endif /* HAVE_HOST_X87 */

/* ---- host-independent checks ---- */

TEST(fp80, known_values)
{
    Fp80Ctx c;
    fp80_ctx_init(&c, 0x037F);
    Float80 one = fp80_const(FP_CONST_ONE, 0), two = fp80_from_int(2);
    Float80 three = fp80_add(&c, one, two);
    EXPECT_EQ(three.sexp, 0x4000);
    EXPECT_EQ(three.mant, 0xC000000000000000ull);
    EXPECT_EQ(c.flags, 0);
    Float80 third = fp80_div(&c, one, three);
    EXPECT_EQ(third.mant, 0xAAAAAAAAAAAAAAABull);
    EXPECT_EQ(c.flags, FP_E_PRECISION);
    EXPECT_EQ(c.c1, 1);
    EXPECT_EQ(fp80_to_f64(&c, fp80_from_int(-1)), 0xBFF0000000000000ull);
    EXPECT_EQ(fp80_to_f32(&c, fp80_from_int(3)), 0x40400000u);
    c.flags = 0;
    Float80 q = fp80_sqrt(&c, two);
    EXPECT_EQ(q.mant, 0xB504F333F9DE6484ull);
    uint8_t bcd[10];
    fp80_to_bcd(&c, fp80_from_int(-123456789012345678ll), bcd);
    EXPECT_EQ(bcd[0], 0x78);
    EXPECT_EQ(bcd[8], 0x12);
    EXPECT_EQ(bcd[9], 0x80);
    Float80 back = fp80_from_bcd(bcd);
    EXPECT_EQ(fp80_to_int(&c, back, 64, 0), -123456789012345678ll);
    Float80 pi = fp80_const(FP_CONST_PI, FP_RC_NEAREST);
    EXPECT_EQ(pi.mant, 0xC90FDAA22168C235ull);
    EXPECT_EQ(fp80_const(FP_CONST_PI, FP_RC_DOWN).mant, 0xC90FDAA22168C234ull);
}

/* The fast integer square root of FSQRT against the bit-by-bit method, on random normalised
 * 128-bit values and the edges (2^126, 2^128 - 1, perfect squares and their neighbours). */

static uint64_t ref_isqrt128(u128 n, u128 *rem_out)
{
    u128 r = 0, rem = 0;
    for (int i = 0; i < 64; i++) {
        rem = (rem << 2) | (n >> 126);
        n <<= 2;
        u128 t = (r << 2) | 1;
        r <<= 1;
        if (rem >= t) {
            rem -= t;
            r |= 1;
        }
    }
    *rem_out = rem;
    return (uint64_t)r;
}

TEST(fp80, isqrt128_vs_bitwise)
{
    g_rng = 7;
    int bad = 0;
    for (int i = 0; i < 200000; i++) {
        u128 n;
        uint64_t hi = rnd(), lo = rnd();
        switch (i % 4) {
        case 0:
            n = ((u128)(hi | (1ull << 62)) << 64) | lo; /* >= 2^126 */
            break;
        case 1: { /* a perfect square, or one off it */
            uint64_t r = rnd() | (1ull << 63);
            n = (u128)r * r + (u128)(int)(lo % 3) - 1;
            if (n < ((u128)1 << 126)) {
                n = (u128)1 << 126;
            }
            break;
        }
        case 2:
            n = ~(u128)0 - (lo & 0xFFFF);
            break;
        default:
            n = ((u128)1 << 126) + (lo & 0xFFFF);
            break;
        }
        u128 rem1, rem2;
        uint64_t r1 = fp80i_isqrt128(n, &rem1), r2 = ref_isqrt128(n, &rem2);
        if (r1 != r2 || rem1 != rem2) {
            bad++;
        }
    }
    EXPECT_EQ(bad, 0);
}
