/* Internals shared by cpu/fp80.c (arithmetic, conversions) and cpu/fp80_trans.c
 * (transcendentals). Not for use outside those two files: everything else goes through fp80.h.
 */
#ifndef X86PC_CPU_FP80_INTERNAL_H
#define X86PC_CPU_FP80_INTERNAL_H

#include <stdint.h>

#include "cpu/fp80.h"

/* exact 128-bit integer arithmetic (GCC and Clang on 64-bit hosts) */
typedef unsigned __int128 u128;

#define BIAS 16383
#define EMAX 0x7FFF
#define INT_BIT 0x8000000000000000ull
#define QUIET_BIT 0x4000000000000000ull
#define WRAP_BIAS 24576 /* exponent adjustment of unmasked overflow/underflow results */

/* operand kinds (unsupported: unnormal, pseudo-infinity, pseudo-NaN) */
enum { K_ZERO, K_NORMAL, K_DENORMAL, K_INF, K_QNAN, K_SNAN, K_UNSUPP };

/* a finite nonzero value: biased exponent (below 1 for normalised denormals), integer bit set */
typedef struct Unp {
    int sign;
    int32_t exp;
    uint64_t mant;
} Unp;

/* 128-bit significands (truncated) and unbiased exponents of constants */
typedef struct Const128 {
    uint64_t hi, lo;
    int32_t e;
} Const128;

extern const Const128 fp80i_pi, fp80i_ln2, fp80i_log2e;

int fp80i_kind(Float80 a);
int fp80i_is_nan_kind(int k);
int fp80i_clz128(u128 v);
Unp fp80i_unpack(Float80 a);
/* rounds sig * 2^(exp - BIAS - 127) to `bits` bits into a register value (see fp80.c) */
Float80 fp80i_round_pack(Fp80Ctx *c, int sign, int32_t exp, u128 sig, int bits);
/* |u| rounded to an integer with c->rc */
u128 fp80i_round_integer(const Fp80Ctx *c, Unp u, int *inexact, int *up);
Float80 fp80i_invalid(Fp80Ctx *c);
Float80 fp80i_nan1(Fp80Ctx *c, Float80 a);
Float80 fp80i_nan2(Fp80Ctx *c, Float80 a, int ka, Float80 b, int kb);
int fp80i_denormal_check(Fp80Ctx *c, int ka, int kb);
/* floor(sqrt(n)) for 2^126 <= n < 2^128, and the remainder n - root^2 */
uint64_t fp80i_isqrt128(u128 n, u128 *rem_out);

#endif
