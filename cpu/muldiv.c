/* Multiplication and division: MUL, IMUL (one-, two- and three-operand forms), DIV, IDIV.
 * SDM vol. 2, "MUL", "IMUL", "DIV", "IDIV".
 *
 * MUL/IMUL set CF = OF when the product does not fit the destination; SF ZF AF PF are undefined
 * (we leave SF/ZF/PF describing the low half and AF = 0, see cpu/flags.c). DIV/IDIV raise #DE
 * for a zero divisor or a quotient that does not fit, before any register changes; their flags
 * are undefined and we leave them unchanged.
 */
#include "cpu/intops.h"

static inline int de(Cpu *cpu)
{
    return cpu_raise(cpu, EXC_DE, 0, 0);
}

static inline void mul_flags(Cpu *cpu, unsigned size, uint32_t lo, bool overflow)
{
    cpu_set_lazy(cpu, LF_MUL, (int)size, lo, 0, 0);
    cpu->s.lf_cf_in = overflow;
}

static int mul(Cpu *cpu, const Insn *i, unsigned size, bool sign)
{
    uint32_t src;
    int r = rm_read(cpu, i, size, &src);
    if (r) {
        return r;
    }
    uint32_t a = reg_get(cpu, R_EAX, size);
    uint64_t p;
    bool ovf;
    if (sign) {
        int64_t ps = (int64_t)(int32_t)sext(a, size) * (int64_t)(int32_t)sext(src, size);
        p = (uint64_t)ps;
        /* IMUL: the product is not the sign extension of its lower half */
        ovf = ps != (int64_t)(int32_t)sext((uint32_t)p & size_mask(size), size);
    } else {
        p = (uint64_t)a * src;
        ovf = (p >> (size * 8)) != 0; /* MUL: the upper half is nonzero */
    }
    uint32_t lo = (uint32_t)p & size_mask(size);
    uint32_t hi = (uint32_t)(p >> (size * 8)) & size_mask(size);
    if (size == 1) {
        cpu_set_reg16(cpu, R_EAX, (uint16_t)p);
    } else {
        reg_set(cpu, R_EAX, size, lo);
        reg_set(cpu, R_EDX, size, hi);
    }
    mul_flags(cpu, size, lo, ovf);
    return 0;
}

int op_MUL_Eb(Cpu *cpu, const Insn *i)
{
    return mul(cpu, i, 1, false);
}

int op_MUL_Ev(Cpu *cpu, const Insn *i)
{
    return mul(cpu, i, insn_osize(i), false);
}

int op_IMUL_Eb(Cpu *cpu, const Insn *i)
{
    return mul(cpu, i, 1, true);
}

int op_IMUL_Ev(Cpu *cpu, const Insn *i)
{
    return mul(cpu, i, insn_osize(i), true);
}

/* two- and three-operand IMUL: Gv = Ev * b, truncated */
static int imul_g(Cpu *cpu, const Insn *i, bool imm, uint32_t b)
{
    unsigned size = insn_osize(i);
    uint32_t a;
    int r = rm_read(cpu, i, size, &a);
    if (r) {
        return r;
    }
    if (!imm) {
        b = reg_get(cpu, MODRM_REG(i), size);
    }
    int64_t p = (int64_t)(int32_t)sext(a, size) * (int64_t)(int32_t)sext(b, size);
    uint32_t lo = (uint32_t)(uint64_t)p & size_mask(size);
    bool ovf = (int64_t)(int32_t)sext(lo, size) != p;
    reg_set(cpu, MODRM_REG(i), size, lo);
    mul_flags(cpu, size, lo, ovf);
    return 0;
}

int op_IMUL_GvEv(Cpu *cpu, const Insn *i)
{
    return imul_g(cpu, i, false, 0);
}

int op_IMUL_GvEvIz(Cpu *cpu, const Insn *i)
{
    return imul_g(cpu, i, true, i->imm);
}

int op_IMUL_GvEvIbs(Cpu *cpu, const Insn *i)
{
    return imul_g(cpu, i, true, sext(i->imm, 1));
}

/* ---- DIV / IDIV ---- */

static int div_u(Cpu *cpu, const Insn *i, unsigned size)
{
    uint32_t d;
    int r = rm_read(cpu, i, size, &d);
    if (r) {
        return r;
    }
    if (d == 0) {
        return de(cpu);
    }
    CpuState *s = &cpu->s;
    unsigned bits = size * 8;
    uint64_t n;
    if (size == 1) {
        n = s->regs[R_EAX] & 0xFFFFu;
    } else {
        n = ((uint64_t)reg_get(cpu, R_EDX, size) << bits) | reg_get(cpu, R_EAX, size);
    }
    uint64_t q = n / d, rem = n % d;
    if (q > size_mask(size)) {
        return de(cpu);
    }
    if (size == 1) {
        cpu_set_reg16(cpu, R_EAX, (uint16_t)(q | (rem << 8)));
    } else {
        reg_set(cpu, R_EAX, size, (uint32_t)q);
        reg_set(cpu, R_EDX, size, (uint32_t)rem);
    }
    return 0;
}

static int div_s(Cpu *cpu, const Insn *i, unsigned size)
{
    uint32_t d;
    int r = rm_read(cpu, i, size, &d);
    if (r) {
        return r;
    }
    if (d == 0) {
        return de(cpu);
    }
    CpuState *s = &cpu->s;
    unsigned bits = size * 8;
    int64_t n;
    if (size == 1) {
        n = (int16_t)(uint16_t)s->regs[R_EAX];
    } else {
        uint64_t u = ((uint64_t)reg_get(cpu, R_EDX, size) << bits) | reg_get(cpu, R_EAX, size);
        /* sign-extend the 2*bits-wide dividend */
        n = size == 4 ? (int64_t)u : (int64_t)(int32_t)(uint32_t)u;
    }
    int64_t dv = (int32_t)sext(d, size);
    /* INT64_MIN / -1 does not fit any destination: #DE, and no C overflow */
    if (n == INT64_MIN && dv == -1) {
        return de(cpu);
    }
    int64_t q = n / dv, rem = n % dv;
    int64_t lim = (int64_t)1 << (bits - 1);
    if (q >= lim || q < -lim) {
        return de(cpu);
    }
    uint32_t m = size_mask(size);
    if (size == 1) {
        cpu_set_reg16(cpu, R_EAX, (uint16_t)(((uint32_t)q & m) | (((uint32_t)rem & m) << 8)));
    } else {
        reg_set(cpu, R_EAX, size, (uint32_t)q & m);
        reg_set(cpu, R_EDX, size, (uint32_t)rem & m);
    }
    return 0;
}

int op_DIV_Eb(Cpu *cpu, const Insn *i)
{
    return div_u(cpu, i, 1);
}

int op_DIV_Ev(Cpu *cpu, const Insn *i)
{
    return div_u(cpu, i, insn_osize(i));
}

int op_IDIV_Eb(Cpu *cpu, const Insn *i)
{
    return div_s(cpu, i, 1);
}

int op_IDIV_Ev(Cpu *cpu, const Insn *i)
{
    return div_s(cpu, i, insn_osize(i));
}
