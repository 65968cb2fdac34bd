/* Packed-integer element operations (see packed.h), following the SDM vol. 2 pages of PADDx,
 * PSUBx, PADDSx/PADDUSx, PSUBSx/PSUBUSx, PMULLW, PMULHW, PMULHUW, PMADDWD, PMULUDQ, PAND..PXOR,
 * PCMPEQx/PCMPGTx, PACKSSWB/PACKSSDW/PACKUSWB, PUNPCKLx/PUNPCKHx, PAVGB/W, PMIN/PMAX, PSADBW
 * and the shifts. Arithmetic is done on unsigned types (products widened first), so nothing
 * overflows a signed C type. The Xmm union's element arrays assume a little-endian host.
 */
#include "cpu/packed.h"

#include <string.h>

static int8_t sat_s8(int32_t v)
{
    return (int8_t)(v > 127 ? 127 : v < -128 ? -128 : v);
}
static uint8_t sat_u8(int32_t v)
{
    return (uint8_t)(v > 255 ? 255 : v < 0 ? 0 : v);
}
static int16_t sat_s16(int32_t v)
{
    return (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
}
static uint16_t sat_u16(int32_t v)
{
    return (uint16_t)(v > 65535 ? 65535 : v < 0 ? 0 : v);
}

/* ---- wrap-around add and subtract ---- */

#define ELEMENTWISE(name, field, count, expr)                                                    \
    void pk_##name(Xmm *d, const Xmm *s, unsigned n)                                             \
    {                                                                                            \
        for (unsigned k = 0; k < n / (count); k++) {                                             \
            __typeof__(d->field[0]) a = d->field[k], b = s->field[k];                            \
            d->field[k] = (__typeof__(d->field[0]))(expr);                                       \
        }                                                                                        \
    }

ELEMENTWISE(paddb, b, 1, a + b)
ELEMENTWISE(paddw, w, 2, a + b)
ELEMENTWISE(paddd, d, 4, a + b)
ELEMENTWISE(paddq, q, 8, a + b)
ELEMENTWISE(psubb, b, 1, a - b)
ELEMENTWISE(psubw, w, 2, a - b)
ELEMENTWISE(psubd, d, 4, a - b)
ELEMENTWISE(psubq, q, 8, a - b)

/* ---- saturating add and subtract ---- */

ELEMENTWISE(paddsb, b, 1, (uint8_t)sat_s8((int8_t)a + (int8_t)b))
ELEMENTWISE(paddsw, w, 2, (uint16_t)sat_s16((int16_t)a + (int16_t)b))
ELEMENTWISE(paddusb, b, 1, sat_u8((int32_t)a + b))
ELEMENTWISE(paddusw, w, 2, sat_u16((int32_t)a + b))
ELEMENTWISE(psubsb, b, 1, (uint8_t)sat_s8((int8_t)a - (int8_t)b))
ELEMENTWISE(psubsw, w, 2, (uint16_t)sat_s16((int16_t)a - (int16_t)b))
ELEMENTWISE(psubusb, b, 1, sat_u8((int32_t)a - b))
ELEMENTWISE(psubusw, w, 2, sat_u16((int32_t)a - b))

/* ---- multiplies ---- */

ELEMENTWISE(pmullw, w, 2, (uint32_t)a * b)
ELEMENTWISE(pmulhw, w, 2, (uint32_t)((int32_t)(int16_t)a * (int16_t)b) >> 16)
ELEMENTWISE(pmulhuw, w, 2, ((uint32_t)a * b) >> 16)

void pk_pmaddwd(Xmm *d, const Xmm *s, unsigned n)
{
    for (unsigned k = 0; k < n / 4; k++) {
        int64_t lo = (int64_t)(int16_t)d->w[2 * k] * (int16_t)s->w[2 * k];
        int64_t hi = (int64_t)(int16_t)d->w[2 * k + 1] * (int16_t)s->w[2 * k + 1];
        d->d[k] = (uint32_t)(lo + hi); /* 0x8000 * 0x8000 twice wraps to 0x80000000 */
    }
}

void pk_pmuludq(Xmm *d, const Xmm *s, unsigned n)
{
    for (unsigned k = 0; k < n / 8; k++) {
        d->q[k] = (uint64_t)d->d[2 * k] * s->d[2 * k];
    }
}

/* ---- logic ---- */

ELEMENTWISE(pand, q, 8, a & b)
ELEMENTWISE(pandn, q, 8, ~a & b)
ELEMENTWISE(por, q, 8, a | b)
ELEMENTWISE(pxor, q, 8, a ^ b)

/* ---- compares: all ones where true ---- */

ELEMENTWISE(pcmpeqb, b, 1, a == b ? 0xFFu : 0)
ELEMENTWISE(pcmpeqw, w, 2, a == b ? 0xFFFFu : 0)
ELEMENTWISE(pcmpeqd, d, 4, a == b ? 0xFFFFFFFFu : 0)
ELEMENTWISE(pcmpgtb, b, 1, (int8_t)a > (int8_t)b ? 0xFFu : 0)
ELEMENTWISE(pcmpgtw, w, 2, (int16_t)a > (int16_t)b ? 0xFFFFu : 0)
ELEMENTWISE(pcmpgtd, d, 4, (int32_t)a > (int32_t)b ? 0xFFFFFFFFu : 0)

/* ---- averages, minimum and maximum (SSE) ---- */

ELEMENTWISE(pavgb, b, 1, ((uint32_t)a + b + 1) >> 1)
ELEMENTWISE(pavgw, w, 2, ((uint32_t)a + b + 1) >> 1)
ELEMENTWISE(pminub, b, 1, a < b ? a : b)
ELEMENTWISE(pmaxub, b, 1, a > b ? a : b)
ELEMENTWISE(pminsw, w, 2, (int16_t)a < (int16_t)b ? a : b)
ELEMENTWISE(pmaxsw, w, 2, (int16_t)a > (int16_t)b ? a : b)

/* sum of absolute byte differences per 64-bit lane, in the lane's low word */
void pk_psadbw(Xmm *d, const Xmm *s, unsigned n)
{
    for (unsigned lane = 0; lane < n / 8; lane++) {
        uint32_t sum = 0;
        for (unsigned k = 0; k < 8; k++) {
            uint8_t a = d->b[8 * lane + k], b = s->b[8 * lane + k];
            sum += a > b ? (uint32_t)(a - b) : (uint32_t)(b - a);
        }
        d->q[lane] = sum;
    }
}

/* ---- packs: d's elements narrowed into the low half, s's into the high half ---- */

void pk_packsswb(Xmm *d, const Xmm *s, unsigned n)
{
    Xmm r;
    for (unsigned k = 0; k < n / 2; k++) {
        r.b[k] = (uint8_t)sat_s8((int16_t)d->w[k]);
        r.b[n / 2 + k] = (uint8_t)sat_s8((int16_t)s->w[k]);
    }
    memcpy(d->b, r.b, n);
}

void pk_packuswb(Xmm *d, const Xmm *s, unsigned n)
{
    Xmm r;
    for (unsigned k = 0; k < n / 2; k++) {
        r.b[k] = sat_u8((int16_t)d->w[k]);
        r.b[n / 2 + k] = sat_u8((int16_t)s->w[k]);
    }
    memcpy(d->b, r.b, n);
}

void pk_packssdw(Xmm *d, const Xmm *s, unsigned n)
{
    Xmm r;
    for (unsigned k = 0; k < n / 4; k++) {
        r.w[k] = (uint16_t)sat_s16((int32_t)d->d[k]);
        r.w[n / 4 + k] = (uint16_t)sat_s16((int32_t)s->d[k]);
    }
    memcpy(d->b, r.b, n);
}

/* ---- unpacks: interleave the low (or high) halves' elements of size e, d's first ---- */

static void unpack(Xmm *d, const Xmm *s, unsigned n, unsigned e, int high)
{
    Xmm r;
    unsigned half = high ? n / 2 : 0;
    for (unsigned k = 0; k < n / (2 * e); k++) {
        memcpy(&r.b[2 * k * e], &d->b[half + k * e], e);
        memcpy(&r.b[(2 * k + 1) * e], &s->b[half + k * e], e);
    }
    memcpy(d->b, r.b, n);
}

#define UNPACK(name, e, high)                                                                    \
    void pk_##name(Xmm *d, const Xmm *s, unsigned n)                                             \
    {                                                                                            \
        unpack(d, s, n, e, high);                                                                \
    }
UNPACK(punpcklbw, 1, 0)
UNPACK(punpcklwd, 2, 0)
UNPACK(punpckldq, 4, 0)
UNPACK(punpcklqdq, 8, 0)
UNPACK(punpckhbw, 1, 1)
UNPACK(punpckhwd, 2, 1)
UNPACK(punpckhdq, 4, 1)
UNPACK(punpckhqdq, 8, 1)

/* ---- shifts ---- */

#define SHIFT(name, field, bits, expr_in_range, expr_past)                                       \
    void pk_##name(Xmm *d, uint64_t count, unsigned n)                                           \
    {                                                                                            \
        for (unsigned k = 0; k < n / ((bits) / 8); k++) {                                        \
            __typeof__(d->field[0]) a = d->field[k];                                             \
            unsigned c = count < (bits) ? (unsigned)count : 0;                                   \
            d->field[k] = (__typeof__(d->field[0]))(count < (bits) ? (expr_in_range)             \
                                                                   : (expr_past));               \
            (void)c;                                                                             \
        }                                                                                        \
    }

SHIFT(psrlw, w, 16, (uint32_t)a >> c, 0)
SHIFT(psrld, d, 32, a >> c, 0)
SHIFT(psrlq, q, 64, a >> c, 0)
SHIFT(psllw, w, 16, (uint32_t)a << c, 0)
SHIFT(pslld, d, 32, a << c, 0)
SHIFT(psllq, q, 64, a << c, 0)
/* arithmetic right shifts: a count past the width fills with the sign */
SHIFT(psraw, w, 16, a & 0x8000u ? ~((~(uint32_t)a & 0xFFFFu) >> c) : (uint32_t)a >> c,
      a & 0x8000u ? 0xFFFFu : 0)
SHIFT(psrad, d, 32, a & 0x80000000u ? ~(~a >> c) : a >> c, a & 0x80000000u ? 0xFFFFFFFFu : 0)
