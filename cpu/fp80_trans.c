/* The x87 transcendentals (F2XM1, FYL2X, FYL2XP1, FPATAN, FSIN, FCOS, FSINCOS, FPTAN) on
 * top of cpu/fp80.c, following the special-case tables of their SDM vol. 2 pages.
 *
 * Each result is computed in a 128-bit software floating point (series after an exact or
 * near-exact argument reduction) and rounded once with the caller's rounding control, which
 * keeps it within one ulp of the hardware. As on Intel's FPUs, trigonometric arguments are
 * reduced modulo pi rounded to 66 bits (exactly, with integer arithmetic), so results near
 * multiples of pi match the hardware rather than the true function.
 */
#include "cpu/fp80.h"

#include "cpu/fp80_internal.h"

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
        int n = fp80i_clz128(m);
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
    int sh = fp80i_clz128(q);
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
    return xf_add(xf_from_int(k), xf_mul(lnm, xf_const(&fp80i_log2e)));
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
    return fp80i_round_pack(c, x.s, x.e + BIAS, x.m | 1, 64);
}

/* ---- transcendentals ---- */

Float80 fp80_f2xm1(Fp80Ctx *c, Float80 a)
{
    int ka = fp80i_kind(a);
    if (ka == K_UNSUPP) {
        return fp80i_invalid(c);
    }
    if (fp80i_is_nan_kind(ka)) {
        return fp80i_nan1(c, a);
    }
    c->c1 = 0;
    if (ka == K_ZERO) {
        return a;
    }
    if (ka == K_INF) {
        return a.sexp & 0x8000 ? fp80_make(1, BIAS, INT_BIT) : a;
    }
    if (fp80i_denormal_check(c, ka, K_ZERO)) {
        return a;
    }
    Unp u = fp80i_unpack(a);
    if (u.mant == INT_BIT && u.exp == BIAS) { /* +-1: exact */
        return u.sign ? fp80_make(1, BIAS - 1, INT_BIT) : a;
    }
    if (u.exp - BIAS >= 15) { /* far outside the domain: overflow or -1 */
        if (u.sign) {
            c->flags |= FP_E_PRECISION;
            return xf_round(c, xf_from_int(-1));
        }
        return fp80i_round_pack(c, 0, EMAX + 1, (u128)1 << 127, 64);
    }
    Xf x = xf_from_unp(u);
    if (u.exp - BIAS >= 0) {
        /* |x| >= 1 (outside the documented domain): 2^n * 2^f - 1 */
        int inexact, up;
        Fp80Ctx t = *c;
        t.rc = FP_RC_NEAREST;
        u128 n = fp80i_round_integer(&t, u, &inexact, &up);
        Xf f = xf_sub(x, xf_from_int(u.sign ? -(int64_t)n : (int64_t)n));
        Xf p = xf_add(xf_expm1(xf_mul(f, xf_const(&fp80i_ln2))), xf_from_int(1));
        p.e += u.sign ? -(int32_t)n : (int32_t)n;
        return xf_round(c, xf_sub(p, xf_from_int(1)));
    }
    return xf_round(c, xf_expm1(xf_mul(x, xf_const(&fp80i_ln2))));
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
            return fp80i_invalid(c);
        }
        return fp80_inf(s);
    }
    if (lkind == K_ZERO) {
        if (ky == K_INF) {
            return fp80i_invalid(c);
        }
        return fp80_zero(s);
    }
    if (ky == K_INF) {
        return fp80_inf(s);
    }
    if (ky == K_ZERO) {
        return fp80_zero(s);
    }
    return xf_round(c, xf_mul(lx, xf_from_unp(fp80i_unpack(y))));
}

Float80 fp80_fyl2x(Fp80Ctx *c, Float80 x, Float80 y)
{
    int kx = fp80i_kind(x), ky = fp80i_kind(y);
    int sx = x.sexp >> 15;
    if (kx == K_UNSUPP || ky == K_UNSUPP) {
        return fp80i_invalid(c);
    }
    if (fp80i_is_nan_kind(kx) || fp80i_is_nan_kind(ky)) {
        return fp80i_nan2(c, x, kx, y, ky);
    }
    if (sx && kx != K_ZERO) {
        return fp80i_invalid(c);
    }
    if (kx == K_ZERO) {
        if (ky == K_ZERO) {
            return fp80i_invalid(c);
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
        if (fp80i_denormal_check(c, K_ZERO, ky)) {
            return x;
        }
        return mul_log(c, xf_make(0, 0, 0), K_INF, 0, y, ky);
    }
    if (fp80i_denormal_check(c, kx, ky)) {
        return x;
    }
    Unp ux = fp80i_unpack(x);
    Xf lx = xf_log2(xf_from_unp(ux));
    if (!lx.m) {
        return mul_log(c, lx, K_ZERO, 0, y, ky);
    }
    if (ux.mant == INT_BIT) { /* exact power of two: integer log */
        lx = xf_from_int(ux.exp - BIAS);
        if (ky == K_INF || ky == K_ZERO) {
            return mul_log(c, lx, K_NORMAL, lx.s, y, ky);
        }
        Xf r = xf_mul(lx, xf_from_unp(fp80i_unpack(y)));
        return fp80i_round_pack(c, r.s, r.e + BIAS, r.m, 64);
    }
    return mul_log(c, lx, K_NORMAL, lx.s, y, ky);
}

Float80 fp80_fyl2xp1(Fp80Ctx *c, Float80 x, Float80 y)
{
    int kx = fp80i_kind(x), ky = fp80i_kind(y);
    int sx = x.sexp >> 15;
    if (kx == K_UNSUPP || ky == K_UNSUPP) {
        return fp80i_invalid(c);
    }
    if (fp80i_is_nan_kind(kx) || fp80i_is_nan_kind(ky)) {
        return fp80i_nan2(c, x, kx, y, ky);
    }
    if (kx == K_INF) {
        if (sx) {
            return fp80i_invalid(c);
        }
        if (fp80i_denormal_check(c, K_ZERO, ky)) {
            return x;
        }
        return mul_log(c, xf_make(0, 0, 0), K_INF, 0, y, ky);
    }
    if (fp80i_denormal_check(c, kx, ky)) {
        return x;
    }
    if (kx == K_ZERO) {
        return mul_log(c, xf_make(0, 0, 0), K_ZERO, sx, y, ky);
    }
    Unp ux = fp80i_unpack(x);
    Xf xv = xf_from_unp(ux);
    Xf one = xf_from_int(1);
    if (sx && (ux.exp > BIAS || (ux.exp == BIAS && ux.mant > INT_BIT))) {
        return fp80i_invalid(c); /* x < -1 */
    }
    if (sx && ux.exp == BIAS) { /* x = -1: log of zero */
        if (ky == K_ZERO) {
            return fp80i_invalid(c);
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
        lx = xf_mul(xf_2atanh(s), xf_const(&fp80i_log2e));
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
    int kx = fp80i_kind(x), ky = fp80i_kind(y);
    int sx = x.sexp >> 15, sy = y.sexp >> 15;
    if (kx == K_UNSUPP || ky == K_UNSUPP) {
        return fp80i_invalid(c);
    }
    if (fp80i_is_nan_kind(kx) || fp80i_is_nan_kind(ky)) {
        return fp80i_nan2(c, x, kx, y, ky);
    }
    if (fp80i_denormal_check(c, kx, ky)) {
        return x;
    }
    Xf pi = xf_const(&fp80i_pi);
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
        Xf ax = xf_from_unp(fp80i_unpack(fp80_abs(x))), ay = xf_from_unp(fp80i_unpack(fp80_abs(y)));
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
    int ka = fp80i_kind(a);
    int sa = a.sexp >> 15;
    c->c1 = 0;
    if (ka == K_UNSUPP || ka == K_INF) {
        Float80 r = fp80i_invalid(c);
        if (sin_out) {
            *sin_out = r;
        }
        if (cos_out) {
            *cos_out = r;
        }
        return 1;
    }
    if (fp80i_is_nan_kind(ka)) {
        Float80 r = fp80i_nan1(c, a);
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
    if (fp80i_denormal_check(c, ka, K_ZERO)) {
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
    Xf r = trig_reduce(fp80i_unpack(a), &k);
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
    int ka = fp80i_kind(a);
    int sa = a.sexp >> 15;
    c->c1 = 0;
    if (ka == K_UNSUPP || ka == K_INF) {
        *tan_out = fp80i_invalid(c);
        return 1;
    }
    if (fp80i_is_nan_kind(ka)) {
        *tan_out = fp80i_nan1(c, a);
        return 1;
    }
    if (ka != K_ZERO && (a.sexp & 0x7FFF) - BIAS >= 63) {
        return 0;
    }
    if (fp80i_denormal_check(c, ka, K_ZERO)) {
        return 1;
    }
    if (ka == K_ZERO) {
        *tan_out = a;
        return 1;
    }
    uint32_t k;
    Xf r = trig_reduce(fp80i_unpack(a), &k);
    Xf s = xf_sin(r), co = xf_cos(r);
    Xf t = (k & 1) ? xf_neg(xf_div(co, s)) : xf_div(s, co);
    t.s ^= sa;
    *tan_out = xf_round(c, t);
    return 1;
}
