/* 80-bit extended-precision arithmetic (see fp80.h), following the Intel SDM vol. 1 chapters 4
 * and 8 (data types, x87 exceptions, table 4-7 NaN rules) and the per-instruction special-case
 * tables of vol. 2.
 *
 * Internally a finite value is a sign, a biased exponent that may run outside 1..0x7FFE, and a
 * 128-bit significand (unsigned __int128, exact integer arithmetic: the host's floating point is
 * never used). round_pack() is the one place that rounds: it applies the rounding control and
 * precision, detects tininess after rounding (as the x87 does), denormalises masked underflows
 * and produces the x87's biased results for unmasked overflow and underflow.
 */
#include "cpu/fp80.h"

typedef unsigned __int128 u128;

#define BIAS 16383
#define EMAX 0x7FFF
#define INT_BIT 0x8000000000000000ull
#define QUIET_BIT 0x4000000000000000ull
#define WRAP_BIAS 24576 /* exponent adjustment of unmasked overflow/underflow results */

enum { K_ZERO, K_NORMAL, K_DENORMAL, K_INF, K_QNAN, K_SNAN, K_UNSUPP };

static int kind(Float80 a)
{
    unsigned e = a.sexp & 0x7FFF;
    if (e == 0) {
        return a.mant ? K_DENORMAL : K_ZERO;
    }
    if (!(a.mant & INT_BIT)) {
        return K_UNSUPP; /* unnormal, pseudo-infinity, pseudo-NaN */
    }
    if (e == EMAX) {
        if (!(a.mant << 1)) {
            return K_INF;
        }
        return (a.mant & QUIET_BIT) ? K_QNAN : K_SNAN;
    }
    return K_NORMAL;
}

static int is_nan_kind(int k)
{
    return k == K_QNAN || k == K_SNAN;
}

void fp80_ctx_init(Fp80Ctx *c, uint16_t cw)
{
    c->rc = (cw >> 10) & 3;
    c->pc = (cw >> 8) & 3;
    c->mask = cw & FP_E_ALL;
    c->flags = 0;
    c->c1 = 0;
}

int fp80_unmasked_fault(const Fp80Ctx *c)
{
    return (c->flags & ~c->mask & (FP_E_INVALID | FP_E_DENORMAL | FP_E_ZERODIV)) != 0;
}

int fp80_classify(Float80 a)
{
    switch (kind(a)) {
    case K_ZERO:
        return FP_CLASS_ZERO;
    case K_NORMAL:
        return FP_CLASS_NORMAL;
    case K_DENORMAL:
        return FP_CLASS_DENORMAL;
    case K_INF:
        return FP_CLASS_INF;
    case K_QNAN:
    case K_SNAN:
        return FP_CLASS_NAN;
    default:
        return FP_CLASS_UNSUPPORTED;
    }
}

int fp80_is_nan(Float80 a)
{
    return is_nan_kind(kind(a));
}

int fp80_is_snan(Float80 a)
{
    return kind(a) == K_SNAN;
}

int fp80_sign(Float80 a)
{
    return a.sexp >> 15;
}

Float80 fp80_make(int sign, uint16_t exp, uint64_t mant)
{
    Float80 r = {mant, (uint16_t)((sign ? 0x8000 : 0) | (exp & 0x7FFF))};
    return r;
}

Float80 fp80_zero(int sign)
{
    return fp80_make(sign, 0, 0);
}

Float80 fp80_inf(int sign)
{
    return fp80_make(sign, EMAX, INT_BIT);
}

Float80 fp80_indefinite(void)
{
    return fp80_make(1, EMAX, 0xC000000000000000ull);
}

Float80 fp80_abs(Float80 a)
{
    a.sexp &= 0x7FFF;
    return a;
}

Float80 fp80_chs(Float80 a)
{
    a.sexp ^= 0x8000;
    return a;
}

/* ---- helpers on 128-bit significands ---- */

static int clz64(uint64_t v)
{
    return v ? __builtin_clzll(v) : 64;
}

static int clz128(u128 v)
{
    uint64_t hi = (uint64_t)(v >> 64);
    return hi ? clz64(hi) : 64 + clz64((uint64_t)v);
}

/* v >> n, with the bits shifted out ORed into bit 0 */
static u128 shr_sticky(u128 v, int32_t n)
{
    if (n <= 0) {
        return v;
    }
    if (n >= 128) {
        return v != 0;
    }
    return (v >> n) | ((v & (((u128)1 << n) - 1)) != 0);
}

typedef struct Unp {
    int sign;
    int32_t exp; /* biased; below 1 for (normalised) denormals */
    uint64_t mant; /* integer bit set */
} Unp;

/* finite nonzero only */
static Unp unpack(Float80 a)
{
    Unp u;
    u.sign = a.sexp >> 15;
    u.exp = a.sexp & 0x7FFF;
    u.mant = a.mant;
    if (u.exp == 0) {
        int n = clz64(u.mant);
        u.exp = 1 - n;
        u.mant <<= n;
    }
    return u;
}

static int pc_bits(const Fp80Ctx *c)
{
    return c->pc == FP_PC_24 ? 24 : c->pc == FP_PC_53 ? 53 : 64;
}

/* Rounds sig to its top `bits` bits (bit 127 set on entry unless denormalised). Returns the
 * rounded value; *carry when it overflowed to 2^128 (returned as 2^127). */
static u128 round_bits(const Fp80Ctx *c, int sign, u128 sig, int bits, int *inexact, int *up,
                       int *carry)
{
    int drop = 128 - bits;
    u128 lsb = (u128)1 << drop;
    u128 rem = sig & (lsb - 1);
    u128 half = lsb >> 1;
    u128 r = sig - rem;
    int inc = 0;
    *inexact = rem != 0;
    *carry = 0;
    if (rem) {
        switch (c->rc) {
        case FP_RC_NEAREST:
            inc = rem > half || (rem == half && (r & lsb));
            break;
        case FP_RC_DOWN:
            inc = sign;
            break;
        case FP_RC_UP:
            inc = !sign;
            break;
        default:
            break;
        }
    }
    *up = inc;
    if (inc) {
        r += lsb;
        if (r == 0) {
            r = (u128)1 << 127;
            *carry = 1;
        }
    }
    return r;
}

/* The format a result is rounded into. */
typedef struct Fmt {
    int bits;     /* significand precision */
    int32_t emax; /* all-ones exponent field */
    int reg;      /* destination is an x87 register: unmasked OE/UE give the biased result */
} Fmt;

/* Rounds the value sig * 2^(exp - bias - 127) into fmt. Returns the significand with the
 * integer bit at bit 63 and the exponent field in *eout (0 for zero and denormals). */
static uint64_t round_core(Fp80Ctx *c, int sign, int32_t exp, u128 sig, const Fmt *f,
                           int32_t *eout)
{
    int inexact, up, carry;
    u128 r;
    c->c1 = 0;
    if (sig == 0) {
        *eout = 0;
        return 0;
    }
    {
        int n = clz128(sig);
        sig <<= n;
        exp -= n;
    }
    if (exp <= 0) {
        /* tininess is judged on the result rounded with an unbounded exponent */
        r = round_bits(c, sign, sig, f->bits, &inexact, &up, &carry);
        if (!(carry && exp == 0)) {
            if (!(c->mask & FP_E_UNDERFLOW)) {
                /* to memory, nothing is stored and only UE is reported */
                c->flags |= FP_E_UNDERFLOW | (inexact && f->reg ? FP_E_PRECISION : 0);
                c->c1 = f->reg ? up : 0;
                if (f->reg) {
                    exp += carry + WRAP_BIAS;
                    if (exp <= 0) { /* underflow even after biasing: a signed zero */
                        c->flags |= FP_E_PRECISION;
                        c->c1 = 0;
                        *eout = 0;
                        return 0;
                    }
                    *eout = exp;
                    return (uint64_t)(r >> 64);
                }
                *eout = 0;
                return 0;
            }
            sig = shr_sticky(sig, 1 - exp);
            r = round_bits(c, sign, sig, f->bits, &inexact, &up, &carry);
            if (inexact) {
                c->flags |= FP_E_UNDERFLOW | FP_E_PRECISION;
            }
            c->c1 = up;
            *eout = (r >> 127) ? 1 : 0;
            return (uint64_t)(r >> 64);
        }
    }
    r = round_bits(c, sign, sig, f->bits, &inexact, &up, &carry);
    exp += carry;
    if (exp >= f->emax) {
        if (!(c->mask & FP_E_OVERFLOW)) {
            c->flags |= FP_E_OVERFLOW | (inexact && f->reg ? FP_E_PRECISION : 0);
            c->c1 = f->reg ? up : 0;
            if (f->reg) {
                exp -= WRAP_BIAS;
                if (exp >= f->emax) { /* overflow even after biasing: infinity */
                    c->flags |= FP_E_PRECISION;
                    c->c1 = 1;
                    *eout = f->emax;
                    return INT_BIT;
                }
                *eout = exp;
                return (uint64_t)(r >> 64);
            }
            *eout = 0;
            return 0;
        }
        c->flags |= FP_E_OVERFLOW | FP_E_PRECISION;
        if (c->rc == FP_RC_NEAREST || (c->rc == FP_RC_UP && !sign) ||
            (c->rc == FP_RC_DOWN && sign)) {
            c->c1 = 1;
            *eout = f->emax;
            return INT_BIT;
        }
        c->c1 = 0;
        *eout = f->emax - 1;
        return ~0ull << (64 - f->bits);
    }
    if (inexact) {
        c->flags |= FP_E_PRECISION;
    }
    c->c1 = up;
    *eout = exp;
    return (uint64_t)(r >> 64);
}

static Float80 round_pack(Fp80Ctx *c, int sign, int32_t exp, u128 sig, int bits)
{
    Fmt f = {bits, EMAX, 1};
    int32_t e;
    uint64_t m = round_core(c, sign, exp, sig, &f, &e);
    return fp80_make(sign, (uint16_t)e, m);
}

/* ---- exceptional operands ---- */

static Float80 invalid(Fp80Ctx *c)
{
    c->flags |= FP_E_INVALID;
    c->c1 = 0;
    return fp80_indefinite();
}

static Float80 quieten(Float80 a)
{
    a.mant |= QUIET_BIT;
    return a;
}

/* one NaN operand */
static Float80 nan1(Fp80Ctx *c, Float80 a)
{
    c->c1 = 0;
    if (kind(a) == K_SNAN) {
        c->flags |= FP_E_INVALID;
    }
    return quieten(a);
}

/* Table 4-7 for two operands, at least one a NaN: a QNaN beats an SNaN, otherwise the larger
 * significand wins (on a tie, the first operand). */
static Float80 nan2(Fp80Ctx *c, Float80 a, int ka, Float80 b, int kb)
{
    c->c1 = 0;
    if (ka == K_SNAN || kb == K_SNAN) {
        c->flags |= FP_E_INVALID;
    }
    if (is_nan_kind(ka) && is_nan_kind(kb)) {
        if (ka != kb) {
            return quieten(ka == K_QNAN ? a : b);
        }
        if (b.mant > a.mant) {
            return quieten(b);
        }
        if (a.mant > b.mant) {
            return quieten(a);
        }
        return quieten((b.sexp >> 15) < (a.sexp >> 15) ? b : a);
    }
    return quieten(is_nan_kind(ka) ? a : b);
}

/* Raises DE for denormal operands; returns 1 when the unmasked exception stops the operation. */
static int denormal_check(Fp80Ctx *c, int ka, int kb)
{
    if (ka == K_DENORMAL || kb == K_DENORMAL) {
        c->flags |= FP_E_DENORMAL;
        c->c1 = 0;
        return !(c->mask & FP_E_DENORMAL);
    }
    return 0;
}

/* ---- arithmetic ---- */

static Float80 addsub(Fp80Ctx *c, Float80 a, Float80 b, int negate_b)
{
    int ka = kind(a), kb = kind(b);
    int sa = a.sexp >> 15, sb = (b.sexp >> 15) ^ negate_b;
    if (ka == K_UNSUPP || kb == K_UNSUPP) {
        return invalid(c);
    }
    if (is_nan_kind(ka) || is_nan_kind(kb)) {
        return nan2(c, a, ka, b, kb);
    }
    if (ka == K_INF || kb == K_INF) {
        if (ka == K_INF && kb == K_INF && sa != sb) {
            return invalid(c);
        }
        if (denormal_check(c, ka, kb)) {
            return a;
        }
        c->c1 = 0;
        return fp80_inf(ka == K_INF ? sa : sb);
    }
    if (denormal_check(c, ka, kb)) {
        return a;
    }
    if (ka == K_ZERO && kb == K_ZERO) {
        c->c1 = 0;
        return fp80_zero(sa == sb ? sa : c->rc == FP_RC_DOWN);
    }
    int bits = pc_bits(c);
    if (ka == K_ZERO) {
        Unp ub = unpack(b);
        return round_pack(c, sb, ub.exp, (u128)ub.mant << 64, bits);
    }
    if (kb == K_ZERO) {
        Unp ua = unpack(a);
        return round_pack(c, sa, ua.exp, (u128)ua.mant << 64, bits);
    }
    Unp ua = unpack(a), ub = unpack(b);
    ua.sign = sa;
    ub.sign = sb;
    if (ua.exp < ub.exp || (ua.exp == ub.exp && ua.mant < ub.mant)) {
        Unp t = ua;
        ua = ub;
        ub = t;
    }
    u128 x = (u128)ua.mant << 63;
    u128 y = shr_sticky((u128)ub.mant << 63, ua.exp - ub.exp);
    u128 s;
    if (ua.sign == ub.sign) {
        s = x + y;
    } else {
        s = x - y;
        if (s == 0) {
            c->c1 = 0;
            return fp80_zero(c->rc == FP_RC_DOWN);
        }
    }
    return round_pack(c, ua.sign, ua.exp + 1, s, bits);
}

Float80 fp80_add(Fp80Ctx *c, Float80 a, Float80 b)
{
    return addsub(c, a, b, 0);
}

Float80 fp80_sub(Fp80Ctx *c, Float80 a, Float80 b)
{
    return addsub(c, a, b, 1);
}

Float80 fp80_mul(Fp80Ctx *c, Float80 a, Float80 b)
{
    int ka = kind(a), kb = kind(b);
    int s = (a.sexp ^ b.sexp) >> 15;
    if (ka == K_UNSUPP || kb == K_UNSUPP) {
        return invalid(c);
    }
    if (is_nan_kind(ka) || is_nan_kind(kb)) {
        return nan2(c, a, ka, b, kb);
    }
    if ((ka == K_INF && kb == K_ZERO) || (ka == K_ZERO && kb == K_INF)) {
        return invalid(c);
    }
    if (denormal_check(c, ka, kb)) {
        return a;
    }
    c->c1 = 0;
    if (ka == K_INF || kb == K_INF) {
        return fp80_inf(s);
    }
    if (ka == K_ZERO || kb == K_ZERO) {
        return fp80_zero(s);
    }
    Unp ua = unpack(a), ub = unpack(b);
    u128 p = (u128)ua.mant * ub.mant;
    return round_pack(c, s, ua.exp + ub.exp - BIAS + 1, p, pc_bits(c));
}

Float80 fp80_div(Fp80Ctx *c, Float80 a, Float80 b)
{
    int ka = kind(a), kb = kind(b);
    int s = (a.sexp ^ b.sexp) >> 15;
    if (ka == K_UNSUPP || kb == K_UNSUPP) {
        return invalid(c);
    }
    if (is_nan_kind(ka) || is_nan_kind(kb)) {
        return nan2(c, a, ka, b, kb);
    }
    if ((ka == K_INF && kb == K_INF) || (ka == K_ZERO && kb == K_ZERO)) {
        return invalid(c);
    }
    if (kb == K_ZERO && ka != K_INF) {
        c->flags |= FP_E_ZERODIV;
        c->c1 = 0;
        return fp80_inf(s);
    }
    if (denormal_check(c, ka, kb)) {
        return a;
    }
    c->c1 = 0;
    if (ka == K_INF || kb == K_ZERO) {
        return fp80_inf(s);
    }
    if (ka == K_ZERO || kb == K_INF) {
        return fp80_zero(s);
    }
    Unp ua = unpack(a), ub = unpack(b);
    u128 n = (u128)ua.mant << 64;
    u128 q1 = n / ub.mant;
    u128 r1 = n % ub.mant;
    u128 n2 = r1 << 64;
    uint64_t q2 = (uint64_t)(n2 / ub.mant);
    uint64_t r2 = (uint64_t)(n2 % ub.mant);
    u128 sig = (q1 << 62) | (q2 >> 2) | ((q2 & 3) != 0 || r2 != 0);
    return round_pack(c, s, ua.exp - ub.exp + BIAS + 1, sig, pc_bits(c));
}

/* floor(sqrt(n)) for n < 2^128, and the remainder n - root^2 */
static uint64_t isqrt128(u128 n, u128 *rem_out)
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

Float80 fp80_sqrt(Fp80Ctx *c, Float80 a)
{
    int ka = kind(a);
    int sa = a.sexp >> 15;
    if (ka == K_UNSUPP) {
        return invalid(c);
    }
    if (is_nan_kind(ka)) {
        return nan1(c, a);
    }
    if (ka == K_ZERO) {
        c->c1 = 0;
        return a;
    }
    if (sa) {
        return invalid(c);
    }
    if (ka == K_INF) {
        c->c1 = 0;
        return a;
    }
    if (denormal_check(c, ka, K_ZERO)) {
        return a;
    }
    Unp ua = unpack(a);
    int32_t e = ua.exp - BIAS - 63; /* value = mant * 2^e */
    int k = (e & 1) ? 63 : 64;      /* makes e - k even */
    u128 n = (u128)ua.mant << k;
    u128 rem;
    uint64_t r = isqrt128(n, &rem);
    u128 sig = ((u128)r << 64);
    if (rem) {
        sig |= rem > r ? 0x8000000000000001ull : 1;
    }
    int32_t h = (e - k) / 2;
    return round_pack(c, 0, h + BIAS + 63, sig, pc_bits(c));
}

/* ---- FPREM / FPREM1 ---- */

/* How many exponent bits one FPREM step removes when the difference is 64 or more. */
static int32_t prem_step(int32_t d)
{
    return 32 + ((d - 32) & 31);
}

Float80 fp80_rem(Fp80Ctx *c, Float80 a, Float80 b, int ieee, uint16_t *cc)
{
    int ka = kind(a), kb = kind(b);
    *cc = 0;
    if (ka == K_UNSUPP || kb == K_UNSUPP) {
        return invalid(c);
    }
    if (is_nan_kind(ka) || is_nan_kind(kb)) {
        return nan2(c, a, ka, b, kb);
    }
    if (ka == K_INF || kb == K_ZERO) {
        return invalid(c);
    }
    if (denormal_check(c, ka, kb)) {
        return a;
    }
    c->c1 = 0;
    if (ka == K_ZERO) {
        return a;
    }
    Unp ua = unpack(a);
    if (kb == K_INF) {
        return round_pack(c, ua.sign, ua.exp, (u128)ua.mant << 64, 64);
    }
    Unp ub = unpack(b);
    int32_t d = ua.exp - ub.exp;
    if (d < (ieee ? -1 : 0)) {
        return round_pack(c, ua.sign, ua.exp, (u128)ua.mant << 64, 64);
    }
    if (d >= 64) {
        int32_t n = prem_step(d);
        u128 r = ((u128)ua.mant << n) % ub.mant;
        *cc = FP_CC_C2;
        if (r == 0) {
            return fp80_zero(ua.sign);
        }
        return round_pack(c, ua.sign, ua.exp - n + 64, r, 64);
    }
    /* work in units of half an ulp of b so that FPREM1 can see the halfway point */
    u128 num = (u128)ua.mant << (d + 1);
    u128 den = (u128)ub.mant << 1;
    u128 q = num / den, r = num % den;
    int sign = ua.sign;
    if (ieee && (2 * r > den || (2 * r == den && (q & 1)))) {
        r = den - r;
        q++;
        sign ^= 1;
    }
    *cc = ((q & 4) ? FP_CC_C0 : 0) | ((q & 2) ? FP_CC_C3 : 0) | ((q & 1) ? FP_CC_C1 : 0);
    if (r == 0) {
        return fp80_zero(ua.sign);
    }
    return round_pack(c, sign, ub.exp + 63, r, 64);
}

/* ---- rounding to integers ---- */

/* Rounds |a| (finite, nonzero, unpacked) to an integer with rc. Returns the magnitude in 128
 * bits (only meaningful when the exponent is below 64). */
static u128 round_integer(const Fp80Ctx *c, Unp u, int *inexact, int *up)
{
    int32_t e = u.exp - BIAS; /* value = mant * 2^(e - 63) */
    *inexact = 0;
    *up = 0;
    if (e >= 63) {
        return e >= 127 ? 0 : (u128)u.mant << (e - 63);
    }
    /* fixed point with 64 fraction bits */
    u128 x = e + 1 >= 0 ? (u128)u.mant << (e + 1) : shr_sticky(u.mant, -(e + 1));
    u128 ip = x >> 64;
    uint64_t frac = (uint64_t)x;
    int inc = 0;
    if (frac) {
        *inexact = 1;
        switch (c->rc) {
        case FP_RC_NEAREST:
            inc = frac > INT_BIT || (frac == INT_BIT && (ip & 1));
            break;
        case FP_RC_DOWN:
            inc = u.sign;
            break;
        case FP_RC_UP:
            inc = !u.sign;
            break;
        default:
            break;
        }
    }
    *up = inc;
    return ip + inc;
}

Float80 fp80_round_int(Fp80Ctx *c, Float80 a)
{
    int ka = kind(a);
    if (ka == K_UNSUPP) {
        return invalid(c);
    }
    if (is_nan_kind(ka)) {
        return nan1(c, a);
    }
    if (denormal_check(c, ka, K_ZERO)) {
        return a;
    }
    c->c1 = 0;
    if (ka == K_ZERO || ka == K_INF) {
        return a;
    }
    Unp u = unpack(a);
    if (u.exp - BIAS >= 63) {
        return a;
    }
    int inexact, up;
    u128 ip = round_integer(c, u, &inexact, &up);
    if (inexact) {
        c->flags |= FP_E_PRECISION;
    }
    c->c1 = up;
    if (ip == 0) {
        return fp80_zero(u.sign);
    }
    int n = clz64((uint64_t)ip);
    return fp80_make(u.sign, (uint16_t)(BIAS + 63 - n), (uint64_t)ip << n);
}

int64_t fp80_to_int(Fp80Ctx *c, Float80 a, int bits, int truncate)
{
    int ka = kind(a);
    uint64_t indef = (uint64_t)1 << (bits - 1);
    int64_t indefinite = -(int64_t)(indef - 1) - 1;
    c->c1 = 0;
    if (ka == K_UNSUPP || ka == K_INF || is_nan_kind(ka)) {
        c->flags |= FP_E_INVALID;
        return indefinite;
    }
    if (ka == K_ZERO) {
        return 0;
    }
    Unp u = unpack(a); /* FIST does not report denormal operands */
    if (u.exp - BIAS >= 64) {
        c->flags |= FP_E_INVALID;
        return indefinite;
    }
    Fp80Ctx t = *c;
    if (truncate) {
        t.rc = FP_RC_ZERO;
    }
    int inexact, up;
    u128 ip = round_integer(&t, u, &inexact, &up);
    if (ip > (u128)indef - (u.sign ? 0 : 1)) {
        c->flags |= FP_E_INVALID;
        return indefinite;
    }
    if (inexact) {
        c->flags |= FP_E_PRECISION;
    }
    c->c1 = up;
    uint64_t m = (uint64_t)ip;
    return u.sign ? (int64_t)(0 - m) : (int64_t)m;
}

Float80 fp80_from_int(int64_t v)
{
    int sign = v < 0;
    uint64_t m = sign ? 0 - (uint64_t)v : (uint64_t)v;
    if (m == 0) {
        return fp80_zero(0);
    }
    int n = clz64(m);
    return fp80_make(sign, (uint16_t)(BIAS + 63 - n), m << n);
}

/* ---- FSCALE, FXTRACT ---- */

Float80 fp80_scale(Fp80Ctx *c, Float80 a, Float80 b)
{
    int ka = kind(a), kb = kind(b);
    int sa = a.sexp >> 15, sb = b.sexp >> 15;
    if (ka == K_UNSUPP || kb == K_UNSUPP) {
        return invalid(c);
    }
    if (is_nan_kind(ka) || is_nan_kind(kb)) {
        return nan2(c, a, ka, b, kb);
    }
    if (kb == K_INF) {
        if ((!sb && ka == K_ZERO) || (sb && ka == K_INF)) {
            return invalid(c);
        }
        if (denormal_check(c, ka, K_ZERO)) {
            return a;
        }
        c->c1 = 0;
        return sb ? fp80_zero(sa) : fp80_inf(sa);
    }
    if (denormal_check(c, ka, kb)) {
        return a;
    }
    c->c1 = 0;
    if (ka == K_ZERO || ka == K_INF) {
        return a;
    }
    int32_t n = 0;
    if (kb != K_ZERO) {
        Unp ub = unpack(b);
        int32_t e = ub.exp - BIAS;
        if (e >= 30) {
            n = 1 << 30;
        } else if (e >= 0) {
            n = (int32_t)(ub.mant >> (63 - e));
        }
        if (sb) {
            n = -n;
        }
    }
    Unp ua = unpack(a);
    return round_pack(c, sa, ua.exp + n, (u128)ua.mant << 64, 64);
}

void fp80_xtract(Fp80Ctx *c, Float80 a, Float80 *exponent, Float80 *significand)
{
    int ka = kind(a);
    c->c1 = 0;
    if (ka == K_UNSUPP) {
        *exponent = *significand = invalid(c);
        return;
    }
    if (is_nan_kind(ka)) {
        *exponent = *significand = nan1(c, a);
        return;
    }
    if (ka == K_ZERO) {
        c->flags |= FP_E_ZERODIV;
        *exponent = fp80_inf(1);
        *significand = a;
        return;
    }
    if (ka == K_INF) {
        *exponent = fp80_inf(0);
        *significand = a;
        return;
    }
    if (denormal_check(c, ka, K_ZERO)) {
        *exponent = *significand = a;
        return;
    }
    Unp u = unpack(a);
    *exponent = fp80_from_int(u.exp - BIAS);
    *significand = fp80_make(u.sign, BIAS, u.mant);
}

/* ---- comparison ---- */

int fp80_compare(Fp80Ctx *c, Float80 a, Float80 b, int quiet)
{
    int ka = kind(a), kb = kind(b);
    c->c1 = 0;
    if (ka == K_UNSUPP || kb == K_UNSUPP) {
        c->flags |= FP_E_INVALID;
        return FP_CMP_UN;
    }
    if (is_nan_kind(ka) || is_nan_kind(kb)) {
        if (ka == K_SNAN || kb == K_SNAN || !quiet) {
            c->flags |= FP_E_INVALID;
        }
        return FP_CMP_UN;
    }
    /* the comparison is made even when DE is unmasked: it has no result to withhold */
    denormal_check(c, ka, kb);
    if (ka == K_ZERO && kb == K_ZERO) {
        return FP_CMP_EQ;
    }
    int sa = a.sexp >> 15, sb = b.sexp >> 15;
    if (ka == K_ZERO) {
        return sb ? FP_CMP_GT : FP_CMP_LT;
    }
    if (kb == K_ZERO) {
        return sa ? FP_CMP_LT : FP_CMP_GT;
    }
    if (sa != sb) {
        return sa ? FP_CMP_LT : FP_CMP_GT;
    }
    /* same sign, both nonzero: compare magnitudes (infinity has the largest exponent) */
    int32_t ea = ka == K_INF ? 0x10000 : unpack(a).exp;
    int32_t eb = kb == K_INF ? 0x10000 : unpack(b).exp;
    uint64_t ma = ka == K_INF ? 0 : unpack(a).mant;
    uint64_t mb = kb == K_INF ? 0 : unpack(b).mant;
    int mag = ea != eb ? (ea < eb ? -1 : 1) : ma != mb ? (ma < mb ? -1 : 1) : 0;
    if (mag == 0) {
        return FP_CMP_EQ;
    }
    return (mag < 0) != sa ? FP_CMP_LT : FP_CMP_GT;
}

/* ---- binary32 / binary64 ---- */

static Float80 from_binary(Fp80Ctx *c, int sign, int32_t e, uint64_t frac, int fbits,
                           int32_t fbias, int32_t femax)
{
    c->c1 = 0;
    if (e == femax) {
        if (frac == 0) {
            return fp80_inf(sign);
        }
        Float80 n = fp80_make(sign, EMAX, INT_BIT | (frac << (63 - fbits)));
        return nan1(c, n);
    }
    if (e == 0) {
        if (frac == 0) {
            return fp80_zero(sign);
        }
        c->flags |= FP_E_DENORMAL;
        int n = clz64(frac);
        return fp80_make(sign, (uint16_t)(BIAS + 63 - n - fbits - fbias + 1), frac << n);
    }
    return fp80_make(sign, (uint16_t)(e - fbias + BIAS), INT_BIT | (frac << (63 - fbits)));
}

Float80 fp80_from_f32(Fp80Ctx *c, uint32_t v)
{
    return from_binary(c, v >> 31, (v >> 23) & 0xFF, v & 0x7FFFFF, 23, 127, 0xFF);
}

Float80 fp80_from_f64(Fp80Ctx *c, uint64_t v)
{
    return from_binary(c, (int)(v >> 63), (v >> 52) & 0x7FF, v & 0xFFFFFFFFFFFFFull, 52, 1023,
                       0x7FF);
}

/* Rounds a into a binary format with fbits fraction bits; returns sign:exponent:fraction. */
static uint64_t to_binary(Fp80Ctx *c, Float80 a, int fbits, int32_t fbias, int32_t femax)
{
    int ka = kind(a);
    uint64_t sign = (uint64_t)(a.sexp >> 15) << (fbits + (femax == 0xFF ? 8 : 11));
    uint64_t einf = (uint64_t)femax << fbits;
    uint64_t qbit = (uint64_t)1 << (fbits - 1);
    c->c1 = 0;
    switch (ka) {
    case K_UNSUPP:
        c->flags |= FP_E_INVALID;
        return ((uint64_t)1 << (fbits + (femax == 0xFF ? 8 : 11))) | einf | qbit;
    case K_QNAN:
    case K_SNAN:
        if (ka == K_SNAN) {
            c->flags |= FP_E_INVALID;
        }
        return sign | einf | qbit | ((a.mant & ~INT_BIT) >> (63 - fbits));
    case K_INF:
        return sign | einf;
    case K_ZERO:
        return sign;
    default:
        break;
    }
    Unp u = unpack(a); /* stores do not report denormal operands */
    Fmt f = {fbits + 1, femax, 0};
    int32_t e;
    uint64_t m = round_core(c, u.sign, u.exp - BIAS + fbias, (u128)u.mant << 64, &f, &e);
    return sign | ((uint64_t)e << fbits) | ((m >> (63 - fbits)) & (qbit * 2 - 1));
}

uint32_t fp80_to_f32(Fp80Ctx *c, Float80 a)
{
    return (uint32_t)to_binary(c, a, 23, 127, 0xFF);
}

uint64_t fp80_to_f64(Fp80Ctx *c, Float80 a)
{
    return to_binary(c, a, 52, 1023, 0x7FF);
}

/* ---- packed BCD ---- */

Float80 fp80_from_bcd(const uint8_t bcd[10])
{
    int64_t v = 0;
    for (int i = 8; i >= 0; i--) {
        v = v * 100 + (bcd[i] >> 4) * 10 + (bcd[i] & 15);
    }
    Float80 r = fp80_from_int(v);
    if (bcd[9] & 0x80) {
        r.sexp |= 0x8000;
    }
    return r;
}

void fp80_to_bcd(Fp80Ctx *c, Float80 a, uint8_t bcd[10])
{
    int ka = kind(a);
    u128 ip = 0;
    int bad = ka == K_UNSUPP || ka == K_INF || is_nan_kind(ka);
    c->c1 = 0;
    if (!bad && ka != K_ZERO) {
        Unp u = unpack(a); /* nor does FBSTP */
        int inexact, up;
        if (u.exp - BIAS >= 60) {
            bad = 1;
        } else {
            ip = round_integer(c, u, &inexact, &up);
            if (ip >= 1000000000000000000ull) {
                bad = 1;
            } else {
                if (inexact) {
                    c->flags |= FP_E_PRECISION;
                }
                c->c1 = up;
            }
        }
    }
    if (bad) {
        c->flags |= FP_E_INVALID;
        c->c1 = 0;
        for (int i = 0; i < 7; i++) {
            bcd[i] = 0;
        }
        bcd[7] = 0xC0;
        bcd[8] = bcd[9] = 0xFF;
        return;
    }
    uint64_t v = (uint64_t)ip;
    for (int i = 0; i < 9; i++) {
        bcd[i] = (uint8_t)((v % 10) | ((v / 10 % 10) << 4));
        v /= 100;
    }
    bcd[9] = (a.sexp & 0x8000) ? 0x80 : 0;
}

/* ---- constants ---- */

/* 128-bit significands (truncated) and unbiased exponents of the constants */
typedef struct Const128 {
    uint64_t hi, lo;
    int32_t e;
} Const128;

static const Const128 kPi = {0xC90FDAA22168C234ull, 0xC4C6628B80DC1CD1ull, 1};
static const Const128 kLn2 = {0xB17217F7D1CF79ABull, 0xC9E3B39803F2F6AFull, -1};
static const Const128 kLog2e = {0xB8AA3B295C17F0BBull, 0xBE87FED0691D3E88ull, 0};
static const Const128 kLog2_10 = {0xD49A784BCD1B8AFEull, 0x492BF6FF4DAFDB4Cull, 1};
static const Const128 kLog10_2 = {0x9A209A84FBCFF798ull, 0x8F8959AC0B7C9178ull, -2};

Float80 fp80_const(int which, int rc)
{
    const Const128 *k;
    switch (which) {
    case FP_CONST_ONE:
        return fp80_make(0, BIAS, INT_BIT);
    case FP_CONST_ZERO:
        return fp80_zero(0);
    case FP_CONST_L2T:
        k = &kLog2_10;
        break;
    case FP_CONST_L2E:
        k = &kLog2e;
        break;
    case FP_CONST_PI:
        k = &kPi;
        break;
    case FP_CONST_LG2:
        k = &kLog10_2;
        break;
    default:
        k = &kLn2;
        break;
    }
    Fp80Ctx c;
    fp80_ctx_init(&c, (uint16_t)(0x037F | (rc & 3) << 10));
    u128 sig = ((u128)k->hi << 64) | k->lo | 1; /* irrational: never exact */
    return round_pack(&c, 0, k->e + BIAS, sig, 64);
}

/* ---- 128-bit internal floating point for the transcendentals ----
 * value = (-1)^s * m * 2^(e - 127), m normalised (bit 127 set) or zero. Operations truncate;
 * their relative error is a few units in 2^-127, far below the one rounding to 64 bits. */

typedef struct Xf {
    u128 m;
    int32_t e;
    int s;
} Xf;

static Xf xf_make(int s, int32_t e, u128 m)
{
    Xf r = {0, 0, s};
    if (m) {
        int n = clz128(m);
        r.m = m << n;
        r.e = e - n;
    }
    return r;
}

static Xf xf_const(const Const128 *k)
{
    Xf r = {((u128)k->hi << 64) | k->lo, k->e, 0};
    return r;
}

static Xf xf_from_unp(Unp u)
{
    return xf_make(u.sign, u.exp - BIAS, (u128)u.mant << 64);
}

static Xf xf_from_int(int64_t v)
{
    int s = v < 0;
    uint64_t m = s ? 0 - (uint64_t)v : (uint64_t)v;
    return xf_make(s, 127, m);
}

static Xf xf_neg(Xf a)
{
    a.s ^= 1;
    return a;
}

static Xf xf_mul(Xf a, Xf b)
{
    if (!a.m || !b.m) {
        return xf_make(a.s ^ b.s, 0, 0);
    }
    uint64_t a1 = (uint64_t)(a.m >> 64), a0 = (uint64_t)a.m;
    uint64_t b1 = (uint64_t)(b.m >> 64), b0 = (uint64_t)b.m;
    u128 hh = (u128)a1 * b1, hl = (u128)a1 * b0, lh = (u128)a0 * b1, ll = (u128)a0 * b0;
    u128 mid = (u128)(uint64_t)hl + (uint64_t)lh + (uint64_t)(ll >> 64);
    u128 hi = hh + (hl >> 64) + (lh >> 64) + (mid >> 64);
    Xf r;
    r.s = a.s ^ b.s;
    if (hi >> 127) {
        r.m = hi;
        r.e = a.e + b.e + 1;
    } else {
        r.m = (hi << 1) | (((uint64_t)mid) >> 63);
        r.e = a.e + b.e;
    }
    return r;
}

static Xf xf_add(Xf a, Xf b)
{
    if (!a.m) {
        return b;
    }
    if (!b.m) {
        return a;
    }
    if (a.e < b.e || (a.e == b.e && a.m < b.m)) {
        Xf t = a;
        a = b;
        b = t;
    }
    int32_t d = a.e - b.e;
    u128 bm = d >= 128 ? 0 : b.m >> d;
    if (a.s == b.s) {
        u128 s = a.m + bm;
        if (s < a.m) {
            return xf_make(a.s, a.e + 1, (s >> 1) | ((u128)1 << 127));
        }
        return xf_make(a.s, a.e, s);
    }
    return xf_make(a.s, a.e, a.m - bm);
}

static Xf xf_sub(Xf a, Xf b)
{
    return xf_add(a, xf_neg(b));
}

static Xf xf_div(Xf a, Xf b)
{
    if (!a.m) {
        return xf_make(a.s ^ b.s, 0, 0);
    }
    u128 r = a.m, d = b.m, q = 0;
    int32_t e = a.e - b.e;
    int carry = 0;
    if (r < d) {
        carry = (int)(r >> 127);
        r <<= 1;
        e--;
    }
    for (int i = 0; i < 128; i++) {
        q <<= 1;
        if (carry || r >= d) {
            r -= d;
            q |= 1;
        }
        carry = (int)(r >> 127);
        r <<= 1;
    }
    Xf res = {q, e, a.s ^ b.s};
    return res;
}

static Xf xf_div_small(Xf a, uint32_t n)
{
    if (!a.m) {
        return a;
    }
    u128 q = a.m / n, r = a.m % n;
    int sh = clz128(q);
    q = (q << sh) | ((r << sh) / n);
    Xf res = {q, a.e - sh, a.s};
    return res;
}

/* magnitude of a term relative to a sum: stop once it is below 2^-130 of it */
static int xf_negligible(Xf term, Xf sum)
{
    return !term.m || (sum.m && term.e < sum.e - 130);
}

/* e^t - 1 for |t| < 1 */
static Xf xf_expm1(Xf t)
{
    Xf sum = t, term = t;
    for (uint32_t n = 2; n < 200; n++) {
        term = xf_div_small(xf_mul(term, t), n);
        sum = xf_add(sum, term);
        if (xf_negligible(term, sum)) {
            break;
        }
    }
    return sum;
}

/* 2 * atanh(s) = ln((1 + s) / (1 - s)), |s| small */
static Xf xf_2atanh(Xf s)
{
    Xf s2 = xf_mul(s, s), sum = s, pw = s;
    for (uint32_t k = 3; k < 400; k += 2) {
        pw = xf_mul(pw, s2);
        Xf term = xf_div_small(pw, k);
        sum = xf_add(sum, term);
        if (xf_negligible(term, sum)) {
            break;
        }
    }
    sum.e++;
    return sum;
}

/* log2 of a positive finite x: k + ln(m) * log2(e) with m in [sqrt(1/2), sqrt(2)) */
static Xf xf_log2(Xf x)
{
    static const u128 kSqrt2 = ((u128)0xB504F333F9DE6484ull << 64) | 0x597D89B3754ABE9Full;
    int32_t k = x.e;
    Xf m = x;
    m.e = 0;
    if (m.m > kSqrt2) {
        m.e = -1;
        k++;
    }
    Xf one = xf_from_int(1);
    Xf s = xf_div(xf_sub(m, one), xf_add(m, one));
    Xf lnm = xf_2atanh(s);
    return xf_add(xf_from_int(k), xf_mul(lnm, xf_const(&kLog2e)));
}

/* atan(t) for 0 <= t <= 1 */
static Xf xf_atan(Xf t)
{
    static const Const128 kAtanK8[8] = {
        {0xFEADD4D5617B6E32ull, 0xC897989F3E888EF7ull, -4},
        {0xFADBAFC96406EB15ull, 0x6DC79EF5F7A217E5ull, -3},
        {0xB7B0CA0F26F78473ull, 0x8AA32122DCFE4483ull, -2},
        {0xED63382B0DDA7B45ull, 0x6FE445ECBC3A8D03ull, -2},
        {0x8F005D5EF7F59F9Bull, 0x5C835E1665C43747ull, -1},
        {0xA4BC7D1934F70924ull, 0x19A87F2A457DAC9Eull, -1},
        {0xB8053E2BC2319E73ull, 0xCB2DA55210A4443Dull, -1},
        {0xC90FDAA22168C234ull, 0xC4C6628B80DC1CD1ull, -1},
    };
    /* k = round(8t); atan(t) = atan(k/8) + atan((t - k/8) / (1 + t k/8)) */
    int k = 0;
    if (t.m && t.e >= -5) {
        /* 8t as fixed point: t * 2^3, integer part plus rounding bit */
        int32_t sh = 127 - (t.e + 3) - 1; /* position of the half bit */
        u128 v = sh >= 128 ? 0 : t.m >> sh;
        k = (int)((v + 1) >> 1);
    }
    Xf base = xf_make(0, 0, 0), r = t;
    if (k > 0) {
        Xf c = xf_div_small(xf_from_int(k), 8);
        r = xf_div(xf_sub(t, c), xf_add(xf_from_int(1), xf_mul(t, c)));
        base = xf_const(&kAtanK8[k - 1]);
    }
    Xf r2 = xf_mul(r, r), sum = r, pw = r;
    for (uint32_t n = 3; n < 400 && r.m; n += 2) {
        pw = xf_neg(xf_mul(pw, r2));
        Xf term = xf_div_small(pw, n);
        sum = xf_add(sum, term);
        if (xf_negligible(term, sum)) {
            break;
        }
    }
    return xf_add(base, sum);
}

/* sin(r) and cos(r) for |r| <= pi/4 by their Taylor series */
static Xf xf_sin(Xf r)
{
    Xf r2 = xf_mul(r, r), sum = r, term = r;
    for (uint32_t n = 2; n < 200 && r.m; n += 2) {
        term = xf_neg(xf_div_small(xf_mul(term, r2), n * (n + 1)));
        sum = xf_add(sum, term);
        if (xf_negligible(term, sum)) {
            break;
        }
    }
    return sum;
}

static Xf xf_cos(Xf r)
{
    Xf r2 = xf_mul(r, r), one = xf_from_int(1), sum = one, term = one;
    for (uint32_t n = 1; n < 200 && r.m; n += 2) {
        term = xf_neg(xf_div_small(xf_mul(term, r2), n * (n + 1)));
        sum = xf_add(sum, term);
        if (xf_negligible(term, sum)) {
            break;
        }
    }
    return sum;
}

/* Rounds an inexact internal result into an x87 register value. */
static Float80 xf_round(Fp80Ctx *c, Xf x)
{
    if (!x.m) {
        c->c1 = 0;
        return fp80_zero(x.s);
    }
    return round_pack(c, x.s, x.e + BIAS, x.m | 1, 64);
}

/* ---- transcendentals ---- */

Float80 fp80_f2xm1(Fp80Ctx *c, Float80 a)
{
    int ka = kind(a);
    if (ka == K_UNSUPP) {
        return invalid(c);
    }
    if (is_nan_kind(ka)) {
        return nan1(c, a);
    }
    c->c1 = 0;
    if (ka == K_ZERO) {
        return a;
    }
    if (ka == K_INF) {
        return a.sexp & 0x8000 ? fp80_make(1, BIAS, INT_BIT) : a;
    }
    if (denormal_check(c, ka, K_ZERO)) {
        return a;
    }
    Unp u = unpack(a);
    if (u.mant == INT_BIT && u.exp == BIAS) { /* +-1: exact */
        return u.sign ? fp80_make(1, BIAS - 1, INT_BIT) : a;
    }
    if (u.exp - BIAS >= 15) { /* far outside the domain: overflow or -1 */
        if (u.sign) {
            c->flags |= FP_E_PRECISION;
            return xf_round(c, xf_from_int(-1));
        }
        return round_pack(c, 0, EMAX + 1, (u128)1 << 127, 64);
    }
    Xf x = xf_from_unp(u);
    if (u.exp - BIAS >= 0) {
        /* |x| >= 1 (outside the documented domain): 2^n * 2^f - 1 */
        int inexact, up;
        Fp80Ctx t = *c;
        t.rc = FP_RC_NEAREST;
        u128 n = round_integer(&t, u, &inexact, &up);
        Xf f = xf_sub(x, xf_from_int(u.sign ? -(int64_t)n : (int64_t)n));
        Xf p = xf_add(xf_expm1(xf_mul(f, xf_const(&kLn2))), xf_from_int(1));
        p.e += u.sign ? -(int32_t)n : (int32_t)n;
        return xf_round(c, xf_sub(p, xf_from_int(1)));
    }
    return xf_round(c, xf_expm1(xf_mul(x, xf_const(&kLn2))));
}

/* y * log2(x) and y * log2(1 + x) share their special cases through this: lx is log2 of the
 * argument, given as kind/sign when it is zero or infinite. */
static Float80 mul_log(Fp80Ctx *c, Xf lx, int lkind, int lsign, Float80 y, int ky)
{
    int sy = y.sexp >> 15;
    int s = lsign ^ sy;
    c->c1 = 0;
    if (lkind == K_INF) {
        if (ky == K_ZERO) {
            return invalid(c);
        }
        return fp80_inf(s);
    }
    if (lkind == K_ZERO) {
        if (ky == K_INF) {
            return invalid(c);
        }
        return fp80_zero(s);
    }
    if (ky == K_INF) {
        return fp80_inf(s);
    }
    if (ky == K_ZERO) {
        return fp80_zero(s);
    }
    return xf_round(c, xf_mul(lx, xf_from_unp(unpack(y))));
}

Float80 fp80_fyl2x(Fp80Ctx *c, Float80 x, Float80 y)
{
    int kx = kind(x), ky = kind(y);
    int sx = x.sexp >> 15;
    if (kx == K_UNSUPP || ky == K_UNSUPP) {
        return invalid(c);
    }
    if (is_nan_kind(kx) || is_nan_kind(ky)) {
        return nan2(c, x, kx, y, ky);
    }
    if (sx && kx != K_ZERO) {
        return invalid(c);
    }
    if (kx == K_ZERO) {
        if (ky == K_ZERO) {
            return invalid(c);
        }
        if (ky != K_INF) { /* divide by zero outranks a denormal y */
            c->flags |= FP_E_ZERODIV;
            if (!(c->mask & FP_E_ZERODIV)) {
                return x;
            }
        }
        return mul_log(c, xf_make(0, 0, 0), K_INF, 1, y, ky);
    }
    if (kx == K_INF) {
        if (denormal_check(c, K_ZERO, ky)) {
            return x;
        }
        return mul_log(c, xf_make(0, 0, 0), K_INF, 0, y, ky);
    }
    if (denormal_check(c, kx, ky)) {
        return x;
    }
    Unp ux = unpack(x);
    Xf lx = xf_log2(xf_from_unp(ux));
    if (!lx.m) {
        return mul_log(c, lx, K_ZERO, 0, y, ky);
    }
    if (ux.mant == INT_BIT) { /* exact power of two: integer log */
        lx = xf_from_int(ux.exp - BIAS);
        if (ky == K_INF || ky == K_ZERO) {
            return mul_log(c, lx, K_NORMAL, lx.s, y, ky);
        }
        Xf r = xf_mul(lx, xf_from_unp(unpack(y)));
        return round_pack(c, r.s, r.e + BIAS, r.m, 64);
    }
    return mul_log(c, lx, K_NORMAL, lx.s, y, ky);
}

Float80 fp80_fyl2xp1(Fp80Ctx *c, Float80 x, Float80 y)
{
    int kx = kind(x), ky = kind(y);
    int sx = x.sexp >> 15;
    if (kx == K_UNSUPP || ky == K_UNSUPP) {
        return invalid(c);
    }
    if (is_nan_kind(kx) || is_nan_kind(ky)) {
        return nan2(c, x, kx, y, ky);
    }
    if (kx == K_INF) {
        if (sx) {
            return invalid(c);
        }
        if (denormal_check(c, K_ZERO, ky)) {
            return x;
        }
        return mul_log(c, xf_make(0, 0, 0), K_INF, 0, y, ky);
    }
    if (denormal_check(c, kx, ky)) {
        return x;
    }
    if (kx == K_ZERO) {
        return mul_log(c, xf_make(0, 0, 0), K_ZERO, sx, y, ky);
    }
    Unp ux = unpack(x);
    Xf xv = xf_from_unp(ux);
    Xf one = xf_from_int(1);
    if (sx && (ux.exp > BIAS || (ux.exp == BIAS && ux.mant > INT_BIT))) {
        return invalid(c); /* x < -1 */
    }
    if (sx && ux.exp == BIAS) { /* x = -1: log of zero */
        if (ky == K_ZERO) {
            return invalid(c);
        }
        if (ky != K_INF) {
            c->flags |= FP_E_ZERODIV;
            if (!(c->mask & FP_E_ZERODIV)) {
                return x;
            }
        }
        return mul_log(c, xf_make(0, 0, 0), K_INF, 1, y, ky);
    }
    Xf lx;
    if (ux.exp < BIAS - 1) { /* |x| < 0.5: ln(1 + x) = 2 atanh(x / (2 + x)) */
        Xf s = xf_div(xv, xf_add(xf_from_int(2), xv));
        lx = xf_mul(xf_2atanh(s), xf_const(&kLog2e));
    } else {
        lx = xf_log2(xf_add(one, xv));
    }
    if (!lx.m) {
        return mul_log(c, lx, K_ZERO, 0, y, ky);
    }
    return mul_log(c, lx, K_NORMAL, lx.s, y, ky);
}

Float80 fp80_fpatan(Fp80Ctx *c, Float80 x, Float80 y)
{
    int kx = kind(x), ky = kind(y);
    int sx = x.sexp >> 15, sy = y.sexp >> 15;
    if (kx == K_UNSUPP || ky == K_UNSUPP) {
        return invalid(c);
    }
    if (is_nan_kind(kx) || is_nan_kind(ky)) {
        return nan2(c, x, kx, y, ky);
    }
    if (denormal_check(c, kx, ky)) {
        return x;
    }
    Xf pi = xf_const(&kPi);
    Xf r;
    c->c1 = 0;
    if (ky == K_ZERO) {
        if (!sx) {
            return fp80_zero(sy);
        }
        r = pi;
    } else if (kx == K_ZERO) {
        r = pi;
        r.e--;
    } else if (ky == K_INF && kx == K_INF) {
        r = pi;
        r.e -= 2;
        if (sx) {
            r = xf_mul(r, xf_from_int(3));
        }
    } else if (ky == K_INF) {
        r = pi;
        r.e--;
    } else if (kx == K_INF) {
        if (!sx) {
            return fp80_zero(sy);
        }
        r = pi;
    } else {
        Xf ax = xf_from_unp(unpack(fp80_abs(x))), ay = xf_from_unp(unpack(fp80_abs(y)));
        int swap = ay.e > ax.e || (ay.e == ax.e && ay.m > ax.m);
        Xf t = swap ? xf_div(ax, ay) : xf_div(ay, ax);
        r = xf_atan(t);
        if (swap) {
            Xf h = pi;
            h.e--;
            r = xf_sub(h, r);
        }
        if (sx) {
            r = xf_sub(pi, r);
        }
    }
    r.s = sy;
    return xf_round(c, r);
}

/* The x87 reduces trigonometric arguments with pi rounded to 66 bits: pi * 2^64. */
static const u128 kPi66 = ((u128)3 << 64) | 0x243F6A8885A308D3ull;

/* Splits |a| (finite, nonzero, below 2^63) into quadrant k and r in [-pi/4, pi/4]. */
static Xf trig_reduce(Unp u, uint32_t *k)
{
    int32_t e = u.exp - BIAS;
    *k = 0;
    if (e < -1) {
        return xf_make(0, e, (u128)u.mant << 64);
    }
    u128 x = (u128)u.mant << (e + 2); /* |a| * 2^65 */
    u128 q = x / kPi66, r = x % kPi66;
    int neg = 0;
    if (2 * r > kPi66) {
        r = kPi66 - r;
        q++;
        neg = 1;
    }
    *k = (uint32_t)(q & 3);
    return xf_make(neg, 127 - 65, r);
}

int fp80_sincos(Fp80Ctx *c, Float80 a, Float80 *sin_out, Float80 *cos_out)
{
    int ka = kind(a);
    int sa = a.sexp >> 15;
    c->c1 = 0;
    if (ka == K_UNSUPP || ka == K_INF) {
        Float80 r = invalid(c);
        if (sin_out) {
            *sin_out = r;
        }
        if (cos_out) {
            *cos_out = r;
        }
        return 1;
    }
    if (is_nan_kind(ka)) {
        Float80 r = nan1(c, a);
        if (sin_out) {
            *sin_out = r;
        }
        if (cos_out) {
            *cos_out = r;
        }
        return 1;
    }
    if (ka != K_ZERO && (a.sexp & 0x7FFF) - BIAS >= 63) {
        return 0;
    }
    if (denormal_check(c, ka, K_ZERO)) {
        return 1;
    }
    if (ka == K_ZERO) {
        if (sin_out) {
            *sin_out = a;
        }
        if (cos_out) {
            *cos_out = fp80_make(0, BIAS, INT_BIT);
        }
        return 1;
    }
    uint32_t k;
    Xf r = trig_reduce(unpack(a), &k);
    uint8_t flags = c->flags, c1 = 0;
    if (sin_out) {
        Xf s = (k & 1) ? xf_cos(r) : xf_sin(r);
        if (k & 2) {
            s = xf_neg(s);
        }
        s.s ^= sa;
        *sin_out = xf_round(c, s);
        c1 = c->c1;
        flags |= c->flags;
    }
    if (cos_out) {
        Xf co = (k & 1) ? xf_sin(r) : xf_cos(r);
        if (((k + 1) & 2)) {
            co = xf_neg(co);
        }
        *cos_out = xf_round(c, co);
        c->flags |= flags;
        if (sin_out) {
            c->c1 = c1;
        }
    }
    return 1;
}

int fp80_tan(Fp80Ctx *c, Float80 a, Float80 *tan_out)
{
    int ka = kind(a);
    int sa = a.sexp >> 15;
    c->c1 = 0;
    if (ka == K_UNSUPP || ka == K_INF) {
        *tan_out = invalid(c);
        return 1;
    }
    if (is_nan_kind(ka)) {
        *tan_out = nan1(c, a);
        return 1;
    }
    if (ka != K_ZERO && (a.sexp & 0x7FFF) - BIAS >= 63) {
        return 0;
    }
    if (denormal_check(c, ka, K_ZERO)) {
        return 1;
    }
    if (ka == K_ZERO) {
        *tan_out = a;
        return 1;
    }
    uint32_t k;
    Xf r = trig_reduce(unpack(a), &k);
    Xf s = xf_sin(r), co = xf_cos(r);
    Xf t = (k & 1) ? xf_neg(xf_div(co, s)) : xf_div(s, co);
    t.s ^= sa;
    *tan_out = xf_round(c, t);
    return 1;
}
