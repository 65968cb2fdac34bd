/* 80-bit extended-precision arithmetic, as the P6 x87 computes it.
 *
 * Pure integer software floating point on Float80 (cpu/state.h): IEEE 754 operations with the
 * x87's rounding control, precision control (24/53/64-bit significand with the extended exponent
 * range kept), its masked and unmasked overflow/underflow responses (the biased result of SDM
 * vol. 1 section 8.5.4/8.5.5), its NaN rules (table 4-7: quiet the NaN, larger significand wins,
 * indefinite for invalid operations) and its treatment of the non-IEEE encodings (pseudo-NaN,
 * pseudo-infinity and unnormal are unsupported and raise IE; pseudo-denormals are accepted as
 * denormal operands). Transcendentals are computed with 128-bit intermediates and rounded once.
 * No host floating point is used, so every host gives the same bits.
 *
 * Exceptions: every operation ORs FP_E_* bits into ctx->flags and sets ctx->c1 (the "rounded
 * up" bit). A pre-computation exception (IE, DE, ZE) whose mask bit in ctx->mask is clear stops
 * the operation at once: only that flag is raised and the returned value must be discarded (the
 * x87 leaves its destination unchanged). fp80_unmasked_fault() tells the caller when that is.
 */
#ifndef X86PC_CPU_FP80_H
#define X86PC_CPU_FP80_H

#include <stdint.h>

#include "cpu/state.h"

/* rounding control and precision control, in the control word's encodings */
enum { FP_RC_NEAREST = 0, FP_RC_DOWN = 1, FP_RC_UP = 2, FP_RC_ZERO = 3 };
enum { FP_PC_24 = 0, FP_PC_53 = 2, FP_PC_64 = 3 };

/* exception flags, in the status word's bit positions */
#define FP_E_INVALID 0x01u
#define FP_E_DENORMAL 0x02u
#define FP_E_ZERODIV 0x04u
#define FP_E_OVERFLOW 0x08u
#define FP_E_UNDERFLOW 0x10u
#define FP_E_PRECISION 0x20u
#define FP_E_ALL 0x3Fu

typedef struct Fp80Ctx {
    uint8_t rc;    /* FP_RC_* */
    uint8_t pc;    /* FP_PC_* (only the operations that take precision control use it) */
    uint8_t mask;  /* exception mask bits, control word bits 0-5 */
    uint8_t flags; /* FP_E_* raised so far (sticky) */
    uint8_t c1;    /* the last rounding rounded the magnitude up */
} Fp80Ctx;

/* A context from an x87 control word (RC bits 10-11, PC bits 8-9, masks bits 0-5). */
void fp80_ctx_init(Fp80Ctx *c, uint16_t cw);
/* Nonzero when an unmasked IE, DE or ZE was raised: the result must not be stored. */
int fp80_unmasked_fault(const Fp80Ctx *c);

/* Classes in FXAM's C3:C2:C0 encoding (C1 is the sign). */
enum {
    FP_CLASS_UNSUPPORTED = 0, /* 000 */
    FP_CLASS_NAN = 1,         /* 001 */
    FP_CLASS_NORMAL = 2,      /* 010 (C2) */
    FP_CLASS_INF = 3,         /* 011 */
    FP_CLASS_ZERO = 4,        /* 100 (C3) */
    FP_CLASS_EMPTY = 5,       /* 101 (the caller knows; never returned here) */
    FP_CLASS_DENORMAL = 6,    /* 110 (pseudo-denormals too) */
};
int fp80_classify(Float80 a);
int fp80_is_nan(Float80 a); /* QNaN or SNaN (not pseudo-NaN) */
int fp80_is_snan(Float80 a);
int fp80_sign(Float80 a);

/* handy values */
Float80 fp80_make(int sign, uint16_t exp, uint64_t mant);
Float80 fp80_zero(int sign);
Float80 fp80_inf(int sign);
Float80 fp80_indefinite(void); /* the QNaN floating-point indefinite */
Float80 fp80_abs(Float80 a);
Float80 fp80_chs(Float80 a);

/* Arithmetic (precision control applies): st0 op src in the x87 sense. */
Float80 fp80_add(Fp80Ctx *c, Float80 a, Float80 b);
Float80 fp80_sub(Fp80Ctx *c, Float80 a, Float80 b); /* a - b */
Float80 fp80_mul(Fp80Ctx *c, Float80 a, Float80 b);
Float80 fp80_div(Fp80Ctx *c, Float80 a, Float80 b); /* a / b */
Float80 fp80_sqrt(Fp80Ctx *c, Float80 a);

/* FPREM (ieee = 0, truncating quotient) and FPREM1 (ieee = 1, nearest quotient): a rem b.
 * *cc receives the condition bits to set: FP_CC_C2 for an incomplete reduction, otherwise
 * the low three quotient bits as C0 = Q2, C3 = Q1, C1 = Q0. */
#define FP_CC_C0 0x0100u
#define FP_CC_C1 0x0200u
#define FP_CC_C2 0x0400u
#define FP_CC_C3 0x4000u
Float80 fp80_rem(Fp80Ctx *c, Float80 a, Float80 b, int ieee, uint16_t *cc);

Float80 fp80_round_int(Fp80Ctx *c, Float80 a);        /* FRNDINT */
Float80 fp80_scale(Fp80Ctx *c, Float80 a, Float80 b); /* FSCALE: a * 2^trunc(b) */
void fp80_xtract(Fp80Ctx *c, Float80 a, Float80 *exponent, Float80 *significand); /* FXTRACT */

/* Comparison. quiet = 1 for FUCOM* (only SNaN raises IE), 0 for FCOM* / FTST. A denormal
 * operand raises DE but, unlike the other operations, the result is computed even when DE is
 * unmasked (the x87 still sets the condition codes). */
enum { FP_CMP_LT = 0, FP_CMP_EQ = 1, FP_CMP_GT = 2, FP_CMP_UN = 3 };
int fp80_compare(Fp80Ctx *c, Float80 a, Float80 b, int quiet);

/* Integers. To-integer conversions round with ctx->rc (truncate = 1 chops, as FISTTP) and on
 * invalid (NaN, infinity, out of range, unsupported) raise IE and return the integer
 * indefinite 0x8000.., sign-extended into the int64_t. bits is 16, 32 or 64. */
Float80 fp80_from_int(int64_t v);
int64_t fp80_to_int(Fp80Ctx *c, Float80 a, int bits, int truncate);

/* Binary32/64 (FLD m32/m64 and FST m32/m64): loads are exact (SNaN raises IE and is quieted,
 * denormals raise DE); stores round with ctx->rc to the format's precision and range, never
 * raise DE, and with OE/UE unmasked report only that flag (nothing is to be stored). Integer
 * and BCD stores do not raise DE either. */
Float80 fp80_from_f32(Fp80Ctx *c, uint32_t v);
Float80 fp80_from_f64(Fp80Ctx *c, uint64_t v);
uint32_t fp80_to_f32(Fp80Ctx *c, Float80 a);
uint64_t fp80_to_f64(Fp80Ctx *c, Float80 a);

/* 18-digit packed BCD, 10 bytes little-endian with the sign in bit 7 of byte 9 (FBLD/FBSTP).
 * The store rounds with ctx->rc; out of range or NaN stores the BCD indefinite (IE). */
Float80 fp80_from_bcd(const uint8_t bcd[10]);
void fp80_to_bcd(Fp80Ctx *c, Float80 a, uint8_t bcd[10]);

/* Constants of FLD1/FLDL2T/FLDL2E/FLDPI/FLDLG2/FLDLN2/FLDZ, rounded with rc. */
enum {
    FP_CONST_ONE,
    FP_CONST_L2T,
    FP_CONST_L2E,
    FP_CONST_PI,
    FP_CONST_LG2,
    FP_CONST_LN2,
    FP_CONST_ZERO
};
Float80 fp80_const(int which, int rc);

/* Transcendentals (no precision control; results within one ulp, rounded with ctx->rc). */
Float80 fp80_f2xm1(Fp80Ctx *c, Float80 a);              /* 2^a - 1, -1 <= a <= 1 */
Float80 fp80_fyl2x(Fp80Ctx *c, Float80 x, Float80 y);   /* y * log2(x) */
Float80 fp80_fyl2xp1(Fp80Ctx *c, Float80 x, Float80 y); /* y * log2(x + 1) */
Float80 fp80_fpatan(Fp80Ctx *c, Float80 x, Float80 y);  /* atan(y / x) in the quadrant */
/* FSIN/FCOS/FSINCOS/FPTAN: return 0 (C2 = 1, nothing computed) when |a| >= 2^63, else 1.
 * Arguments are reduced modulo the x87's 66-bit approximation of pi, as the hardware does. */
int fp80_sincos(Fp80Ctx *c, Float80 a, Float80 *sin_out, Float80 *cos_out);
int fp80_tan(Fp80Ctx *c, Float80 a, Float80 *tan_out);

#endif
