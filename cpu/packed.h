/* Packed-integer element operations shared by the MMX handlers (64-bit operands, n = 8) and
 * the SSE2 integer handlers (128-bit operands, n = 16): each works on the low n bytes of two
 * Xmm values, d := d OP s, exactly as the SDM vol. 2 page of the instruction of the same name
 * describes. Not a public interface.
 */
#ifndef X86PC_CPU_PACKED_H
#define X86PC_CPU_PACKED_H

#include <stdint.h>

#include "cpu/state.h"

typedef void (*PackedOp)(Xmm *d, const Xmm *s, unsigned n);
/* shifts: every element of d by `count` bits (counts past the element width give 0, or the
 * sign for arithmetic right shifts) */
typedef void (*PackedShift)(Xmm *d, uint64_t count, unsigned n);

#define PACKED_BINOPS(X)                                                                         \
    X(paddb) X(paddw) X(paddd) X(paddq) X(psubb) X(psubw) X(psubd) X(psubq)                      \
    X(paddsb) X(paddsw) X(paddusb) X(paddusw) X(psubsb) X(psubsw) X(psubusb) X(psubusw)          \
    X(pmullw) X(pmulhw) X(pmulhuw) X(pmaddwd) X(pmuludq)                                         \
    X(pand) X(pandn) X(por) X(pxor)                                                              \
    X(pcmpeqb) X(pcmpeqw) X(pcmpeqd) X(pcmpgtb) X(pcmpgtw) X(pcmpgtd)                            \
    X(packsswb) X(packssdw) X(packuswb)                                                          \
    X(punpcklbw) X(punpcklwd) X(punpckldq) X(punpcklqdq)                                         \
    X(punpckhbw) X(punpckhwd) X(punpckhdq) X(punpckhqdq)                                         \
    X(pavgb) X(pavgw) X(pminub) X(pmaxub) X(pminsw) X(pmaxsw) X(psadbw)

#define PACKED_SHIFTS(X) X(psrlw) X(psrld) X(psrlq) X(psraw) X(psrad) X(psllw) X(pslld) X(psllq)

#define PACKED_DECLARE_BINOP(name) void pk_##name(Xmm *d, const Xmm *s, unsigned n);
#define PACKED_DECLARE_SHIFT(name) void pk_##name(Xmm *d, uint64_t count, unsigned n);
PACKED_BINOPS(PACKED_DECLARE_BINOP)
PACKED_SHIFTS(PACKED_DECLARE_SHIFT)
#undef PACKED_DECLARE_BINOP
#undef PACKED_DECLARE_SHIFT

#endif
