/* 80-bit extended-precision arithmetic (see fp80.h), following the Intel SDM vol. 1 chapters 4
 * and 8 (data types, x87 exceptions, table 4-7 NaN rules) and the per-instruction special-case
 * tables of vol. 2.
 *
 * Internally a finite value is a sign, a biased exponent that may run outside 1..0x7FFE, and a
 * 128-bit significand (unsigned __int128, exact integer arithmetic: the host's floating point is
 * never used). fp80i_round_pack() is the one place that rounds: it applies the rounding control
 * and precision, detects tininess after rounding (as the x87 does), denormalises masked underflows
 * and produces the x87's biased results for unmasked overflow and underflow.
 */
#include "cpu/fp80.h"

#include <math.h>

#include "cpu/fp80_internal.h"

int fp80i_kind(Float80 a)
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

int fp80i_is_nan_kind(int k)
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
    switch (fp80i_kind(a)) {
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
    return fp80i_is_nan_kind(fp80i_kind(a));
}

int fp80_is_snan(Float80 a)
{
    return fp80i_kind(a) == K_SNAN;
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

int fp80i_clz128(u128 v)
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

/* finite nonzero only */
Unp fp80i_unpack(Float80 a)
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
static uint64_t round_core(Fp80Ctx *c, int sign, int32_t exp, u128 sig, const Fmt *f, int32_t *eout)
{
    int inexact, up, carry;
    u128 r;
    c->c1 = 0;
    if (sig == 0) {
        *eout = 0;
        return 0;
    }
    {
        int n = fp80i_clz128(sig);
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

Float80 fp80i_round_pack(Fp80Ctx *c, int sign, int32_t exp, u128 sig, int bits)
{
    Fmt f = {bits, EMAX, 1};
    int32_t e;
    uint64_t m = round_core(c, sign, exp, sig, &f, &e);
    return fp80_make(sign, (uint16_t)e, m);
}

/* ---- exceptional operands ---- */

Float80 fp80i_invalid(Fp80Ctx *c)
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
Float80 fp80i_nan1(Fp80Ctx *c, Float80 a)
{
    c->c1 = 0;
    if (fp80i_kind(a) == K_SNAN) {
        c->flags |= FP_E_INVALID;
    }
    return quieten(a);
}

/* Table 4-7 for two operands, at least one a NaN: a QNaN beats an SNaN, otherwise the larger
 * significand wins (on a tie, the first operand). */
Float80 fp80i_nan2(Fp80Ctx *c, Float80 a, int ka, Float80 b, int kb)
{
    c->c1 = 0;
    if (ka == K_SNAN || kb == K_SNAN) {
        c->flags |= FP_E_INVALID;
    }
    if (fp80i_is_nan_kind(ka) && fp80i_is_nan_kind(kb)) {
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
    return quieten(fp80i_is_nan_kind(ka) ? a : b);
}

/* Raises DE for denormal operands; returns 1 when the unmasked exception stops the operation. */
int fp80i_denormal_check(Fp80Ctx *c, int ka, int kb)
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
    int ka = fp80i_kind(a), kb = fp80i_kind(b);
    int sa = a.sexp >> 15, sb = (b.sexp >> 15) ^ negate_b;
    if (ka == K_UNSUPP || kb == K_UNSUPP) {
        return fp80i_invalid(c);
    }
    if (fp80i_is_nan_kind(ka) || fp80i_is_nan_kind(kb)) {
        return fp80i_nan2(c, a, ka, b, kb);
    }
    if (ka == K_INF || kb == K_INF) {
        if (ka == K_INF && kb == K_INF && sa != sb) {
            return fp80i_invalid(c);
        }
        if (fp80i_denormal_check(c, ka, kb)) {
            return a;
        }
        c->c1 = 0;
        return fp80_inf(ka == K_INF ? sa : sb);
    }
    if (fp80i_denormal_check(c, ka, kb)) {
        return a;
    }
    if (ka == K_ZERO && kb == K_ZERO) {
        c->c1 = 0;
        return fp80_zero(sa == sb ? sa : c->rc == FP_RC_DOWN);
    }
    int bits = pc_bits(c);
    if (ka == K_ZERO) {
        Unp ub = fp80i_unpack(b);
        return fp80i_round_pack(c, sb, ub.exp, (u128)ub.mant << 64, bits);
    }
    if (kb == K_ZERO) {
        Unp ua = fp80i_unpack(a);
        return fp80i_round_pack(c, sa, ua.exp, (u128)ua.mant << 64, bits);
    }
    Unp ua = fp80i_unpack(a), ub = fp80i_unpack(b);
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
    return fp80i_round_pack(c, ua.sign, ua.exp + 1, s, bits);
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
    int ka = fp80i_kind(a), kb = fp80i_kind(b);
    int s = (a.sexp ^ b.sexp) >> 15;
    if (ka == K_UNSUPP || kb == K_UNSUPP) {
        return fp80i_invalid(c);
    }
    if (fp80i_is_nan_kind(ka) || fp80i_is_nan_kind(kb)) {
        return fp80i_nan2(c, a, ka, b, kb);
    }
    if ((ka == K_INF && kb == K_ZERO) || (ka == K_ZERO && kb == K_INF)) {
        return fp80i_invalid(c);
    }
    if (fp80i_denormal_check(c, ka, kb)) {
        return a;
    }
    c->c1 = 0;
    if (ka == K_INF || kb == K_INF) {
        return fp80_inf(s);
    }
    if (ka == K_ZERO || kb == K_ZERO) {
        return fp80_zero(s);
    }
    Unp ua = fp80i_unpack(a), ub = fp80i_unpack(b);
    u128 p = (u128)ua.mant * ub.mant;
    return fp80i_round_pack(c, s, ua.exp + ub.exp - BIAS + 1, p, pc_bits(c));
}

Float80 fp80_div(Fp80Ctx *c, Float80 a, Float80 b)
{
    int ka = fp80i_kind(a), kb = fp80i_kind(b);
    int s = (a.sexp ^ b.sexp) >> 15;
    if (ka == K_UNSUPP || kb == K_UNSUPP) {
        return fp80i_invalid(c);
    }
    if (fp80i_is_nan_kind(ka) || fp80i_is_nan_kind(kb)) {
        return fp80i_nan2(c, a, ka, b, kb);
    }
    if ((ka == K_INF && kb == K_INF) || (ka == K_ZERO && kb == K_ZERO)) {
        return fp80i_invalid(c);
    }
    if (kb == K_ZERO && ka != K_INF) {
        c->flags |= FP_E_ZERODIV;
        c->c1 = 0;
        return fp80_inf(s);
    }
    if (fp80i_denormal_check(c, ka, kb)) {
        return a;
    }
    c->c1 = 0;
    if (ka == K_INF || kb == K_ZERO) {
        return fp80_inf(s);
    }
    if (ka == K_ZERO || kb == K_INF) {
        return fp80_zero(s);
    }
    Unp ua = fp80i_unpack(a), ub = fp80i_unpack(b);
    u128 n = (u128)ua.mant << 64;
    u128 q1 = n / ub.mant;
    u128 r1 = n % ub.mant;
    u128 n2 = r1 << 64;
    uint64_t q2 = (uint64_t)(n2 / ub.mant);
    uint64_t r2 = (uint64_t)(n2 % ub.mant);
    u128 sig = (q1 << 62) | (q2 >> 2) | ((q2 & 3) != 0 || r2 != 0);
    return fp80i_round_pack(c, s, ua.exp - ub.exp + BIAS + 1, sig, pc_bits(c));
}

/* floor(sqrt(n)) for n < 2^128, and the remainder n - root^2 */
/* floor(sqrt(n)) and n - floor(sqrt(n))^2 for 2^126 <= n < 2^128 (a normalised significand).
 * A double-precision estimate (IEEE sqrt is correctly rounded, so it is the same on every host)
 * and one integer Newton step land within one of the root; the last two loops make the result
 * exact whatever the estimate was (it only decides how many steps they take), so the answer
 * never depends on host floating point. The bit-by-bit method it replaces took ~1,600 host
 * instructions; tests/unit/test_fp80.c checks the two agree. */
uint64_t fp80i_isqrt128(u128 n, u128 *rem_out)
{
    double est = sqrt((double)n);
    uint64_t r = est >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)est;
    if (r < (1ull << 63)) {
        r = 1ull << 63; /* the root of n >= 2^126 is at least 2^63 */
    }
    u128 nr = ((u128)r + n / r) >> 1; /* Newton: never below the root, at most 2^64 */
    r = nr > UINT64_MAX ? UINT64_MAX : (uint64_t)nr;
    while ((u128)r * r > n) {
        r--;
    }
    while (r != UINT64_MAX && (u128)(r + 1) * (r + 1) <= n) {
        r++;
    }
    *rem_out = n - (u128)r * r;
    return r;
}

Float80 fp80_sqrt(Fp80Ctx *c, Float80 a)
{
    int ka = fp80i_kind(a);
    int sa = a.sexp >> 15;
    if (ka == K_UNSUPP) {
        return fp80i_invalid(c);
    }
    if (fp80i_is_nan_kind(ka)) {
        return fp80i_nan1(c, a);
    }
    if (ka == K_ZERO) {
        c->c1 = 0;
        return a;
    }
    if (sa) {
        return fp80i_invalid(c);
    }
    if (ka == K_INF) {
        c->c1 = 0;
        return a;
    }
    if (fp80i_denormal_check(c, ka, K_ZERO)) {
        return a;
    }
    Unp ua = fp80i_unpack(a);
    int32_t e = ua.exp - BIAS - 63; /* value = mant * 2^e */
    int k = (e & 1) ? 63 : 64;      /* makes e - k even */
    u128 n = (u128)ua.mant << k;
    u128 rem;
    uint64_t r = fp80i_isqrt128(n, &rem);
    u128 sig = ((u128)r << 64);
    if (rem) {
        sig |= rem > r ? 0x8000000000000001ull : 1;
    }
    int32_t h = (e - k) / 2;
    return fp80i_round_pack(c, 0, h + BIAS + 63, sig, pc_bits(c));
}

/* ---- FPREM / FPREM1 ---- */

/* How many exponent bits one FPREM step removes when the difference is 64 or more. */
static int32_t prem_step(int32_t d)
{
    return 32 + ((d - 32) & 31);
}

Float80 fp80_rem(Fp80Ctx *c, Float80 a, Float80 b, int ieee, uint16_t *cc)
{
    int ka = fp80i_kind(a), kb = fp80i_kind(b);
    *cc = 0;
    if (ka == K_UNSUPP || kb == K_UNSUPP) {
        return fp80i_invalid(c);
    }
    if (fp80i_is_nan_kind(ka) || fp80i_is_nan_kind(kb)) {
        return fp80i_nan2(c, a, ka, b, kb);
    }
    if (ka == K_INF || kb == K_ZERO) {
        return fp80i_invalid(c);
    }
    if (fp80i_denormal_check(c, ka, kb)) {
        return a;
    }
    c->c1 = 0;
    if (ka == K_ZERO) {
        return a;
    }
    Unp ua = fp80i_unpack(a);
    if (kb == K_INF) {
        return fp80i_round_pack(c, ua.sign, ua.exp, (u128)ua.mant << 64, 64);
    }
    Unp ub = fp80i_unpack(b);
    int32_t d = ua.exp - ub.exp;
    if (d < (ieee ? -1 : 0)) {
        return fp80i_round_pack(c, ua.sign, ua.exp, (u128)ua.mant << 64, 64);
    }
    if (d >= 64) {
        int32_t n = prem_step(d);
        u128 r = ((u128)ua.mant << n) % ub.mant;
        *cc = FP_CC_C2;
        if (r == 0) {
            return fp80_zero(ua.sign);
        }
        return fp80i_round_pack(c, ua.sign, ua.exp - n + 64, r, 64);
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
    return fp80i_round_pack(c, sign, ub.exp + 63, r, 64);
}

/* ---- rounding to integers ---- */

/* Rounds |a| (finite, nonzero, unpacked) to an integer with rc. Returns the magnitude in 128
 * bits (only meaningful when the exponent is below 64). */
u128 fp80i_round_integer(const Fp80Ctx *c, Unp u, int *inexact, int *up)
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
    int ka = fp80i_kind(a);
    if (ka == K_UNSUPP) {
        return fp80i_invalid(c);
    }
    if (fp80i_is_nan_kind(ka)) {
        return fp80i_nan1(c, a);
    }
    if (fp80i_denormal_check(c, ka, K_ZERO)) {
        return a;
    }
    c->c1 = 0;
    if (ka == K_ZERO || ka == K_INF) {
        return a;
    }
    Unp u = fp80i_unpack(a);
    if (u.exp - BIAS >= 63) {
        return a;
    }
    int inexact, up;
    u128 ip = fp80i_round_integer(c, u, &inexact, &up);
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
    int ka = fp80i_kind(a);
    uint64_t indef = (uint64_t)1 << (bits - 1);
    int64_t indefinite = -(int64_t)(indef - 1) - 1;
    c->c1 = 0;
    if (ka == K_UNSUPP || ka == K_INF || fp80i_is_nan_kind(ka)) {
        c->flags |= FP_E_INVALID;
        return indefinite;
    }
    if (ka == K_ZERO) {
        return 0;
    }
    Unp u = fp80i_unpack(a); /* FIST does not report denormal operands */
    if (u.exp - BIAS >= 64) {
        c->flags |= FP_E_INVALID;
        return indefinite;
    }
    Fp80Ctx t = *c;
    if (truncate) {
        t.rc = FP_RC_ZERO;
    }
    int inexact, up;
    u128 ip = fp80i_round_integer(&t, u, &inexact, &up);
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
    int ka = fp80i_kind(a), kb = fp80i_kind(b);
    int sa = a.sexp >> 15, sb = b.sexp >> 15;
    if (ka == K_UNSUPP || kb == K_UNSUPP) {
        return fp80i_invalid(c);
    }
    if (fp80i_is_nan_kind(ka) || fp80i_is_nan_kind(kb)) {
        return fp80i_nan2(c, a, ka, b, kb);
    }
    if (kb == K_INF) {
        if ((!sb && ka == K_ZERO) || (sb && ka == K_INF)) {
            return fp80i_invalid(c);
        }
        if (fp80i_denormal_check(c, ka, K_ZERO)) {
            return a;
        }
        c->c1 = 0;
        return sb ? fp80_zero(sa) : fp80_inf(sa);
    }
    if (fp80i_denormal_check(c, ka, kb)) {
        return a;
    }
    c->c1 = 0;
    if (ka == K_ZERO || ka == K_INF) {
        return a;
    }
    int32_t n = 0;
    if (kb != K_ZERO) {
        Unp ub = fp80i_unpack(b);
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
    Unp ua = fp80i_unpack(a);
    return fp80i_round_pack(c, sa, ua.exp + n, (u128)ua.mant << 64, 64);
}

void fp80_xtract(Fp80Ctx *c, Float80 a, Float80 *exponent, Float80 *significand)
{
    int ka = fp80i_kind(a);
    c->c1 = 0;
    if (ka == K_UNSUPP) {
        *exponent = *significand = fp80i_invalid(c);
        return;
    }
    if (fp80i_is_nan_kind(ka)) {
        *exponent = *significand = fp80i_nan1(c, a);
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
    if (fp80i_denormal_check(c, ka, K_ZERO)) {
        *exponent = *significand = a;
        return;
    }
    Unp u = fp80i_unpack(a);
    *exponent = fp80_from_int(u.exp - BIAS);
    *significand = fp80_make(u.sign, BIAS, u.mant);
}

/* ---- comparison ---- */

int fp80_compare(Fp80Ctx *c, Float80 a, Float80 b, int quiet)
{
    int ka = fp80i_kind(a), kb = fp80i_kind(b);
    c->c1 = 0;
    if (ka == K_UNSUPP || kb == K_UNSUPP) {
        c->flags |= FP_E_INVALID;
        return FP_CMP_UN;
    }
    if (fp80i_is_nan_kind(ka) || fp80i_is_nan_kind(kb)) {
        if (ka == K_SNAN || kb == K_SNAN || !quiet) {
            c->flags |= FP_E_INVALID;
        }
        return FP_CMP_UN;
    }
    /* the comparison is made even when DE is unmasked: it has no result to withhold */
    fp80i_denormal_check(c, ka, kb);
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
    int32_t ea = ka == K_INF ? 0x10000 : fp80i_unpack(a).exp;
    int32_t eb = kb == K_INF ? 0x10000 : fp80i_unpack(b).exp;
    uint64_t ma = ka == K_INF ? 0 : fp80i_unpack(a).mant;
    uint64_t mb = kb == K_INF ? 0 : fp80i_unpack(b).mant;
    int mag = ea != eb ? (ea < eb ? -1 : 1) : ma != mb ? (ma < mb ? -1 : 1) : 0;
    if (mag == 0) {
        return FP_CMP_EQ;
    }
    return (mag < 0) != sa ? FP_CMP_LT : FP_CMP_GT;
}

/* ---- binary32 / binary64 ---- */

static Float80 from_binary(Fp80Ctx *c, int sign, int32_t e, uint64_t frac, int fbits, int32_t fbias,
                           int32_t femax)
{
    c->c1 = 0;
    if (e == femax) {
        if (frac == 0) {
            return fp80_inf(sign);
        }
        Float80 n = fp80_make(sign, EMAX, INT_BIT | (frac << (63 - fbits)));
        return fp80i_nan1(c, n);
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
    int ka = fp80i_kind(a);
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
    Unp u = fp80i_unpack(a); /* stores do not report denormal operands */
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
    int ka = fp80i_kind(a);
    u128 ip = 0;
    int bad = ka == K_UNSUPP || ka == K_INF || fp80i_is_nan_kind(ka);
    c->c1 = 0;
    if (!bad && ka != K_ZERO) {
        Unp u = fp80i_unpack(a); /* nor does FBSTP */
        int inexact, up;
        if (u.exp - BIAS >= 60) {
            bad = 1;
        } else {
            ip = fp80i_round_integer(c, u, &inexact, &up);
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

const Const128 fp80i_pi = {0xC90FDAA22168C234ull, 0xC4C6628B80DC1CD1ull, 1};
const Const128 fp80i_ln2 = {0xB17217F7D1CF79ABull, 0xC9E3B39803F2F6AFull, -1};
const Const128 fp80i_log2e = {0xB8AA3B295C17F0BBull, 0xBE87FED0691D3E88ull, 0};
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
        k = &fp80i_log2e;
        break;
    case FP_CONST_PI:
        k = &fp80i_pi;
        break;
    case FP_CONST_LG2:
        k = &kLog10_2;
        break;
    default:
        k = &fp80i_ln2;
        break;
    }
    Fp80Ctx c;
    fp80_ctx_init(&c, (uint16_t)(0x037F | (rc & 3) << 10));
    u128 sig = ((u128)k->hi << 64) | k->lo | 1; /* irrational: never exact */
    return fp80i_round_pack(&c, 0, k->e + BIAS, sig, 64);
}
