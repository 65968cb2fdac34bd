/* Decimal arithmetic: DAA DAS AAA AAS AAM AAD. SDM vol. 2, the pages of each (the operation
 * sections are followed as written; the P6 and later add 106H to AX in AAA and subtract 6 from AX
 * in AAS, so a carry out of AL reaches AH, unlike the 8086).
 *
 * Undefined flags: OF after DAA/DAS is 0; after AAA/AAS, SF ZF PF describe AL and OF is 0; AAM
 * leaves CF OF AF 0 (a logic result in AL); AAD sets them as the 8-bit addition AL + AH*imm8.
 */
#include "cpu/intops.h"

static inline uint32_t szp(uint8_t v)
{
    uint32_t f = __builtin_parity(v) ? 0 : F_PF;
    return f | (v == 0 ? F_ZF : 0) | (v & 0x80 ? F_SF : 0);
}

int op_DAA(Cpu *cpu, const Insn *i)
{
    uint8_t al = cpu_reg8(cpu, 0), old_al = al;
    bool old_cf = cpu_cf(cpu), af = cpu_af(cpu), cf = false;
    if ((al & 0xF) > 9 || af) {
        cf = old_cf || al > 0xF9; /* carry out of AL + 6 */
        al = (uint8_t)(al + 6);
        af = true;
    } else {
        af = false;
    }
    if (old_al > 0x99 || old_cf) {
        al = (uint8_t)(al + 0x60);
        cf = true;
    } else {
        cf = false;
    }
    cpu_set_reg8(cpu, 0, al);
    cpu_set_flags_mask(cpu, F_ARITH, szp(al) | (cf ? F_CF : 0) | (af ? F_AF : 0));
    return 0;
}

int op_DAS(Cpu *cpu, const Insn *i)
{
    uint8_t al = cpu_reg8(cpu, 0), old_al = al;
    bool old_cf = cpu_cf(cpu), af = cpu_af(cpu), cf = false;
    if ((al & 0xF) > 9 || af) {
        cf = old_cf || al < 6; /* borrow out of AL - 6 */
        al = (uint8_t)(al - 6);
        af = true;
    } else {
        af = false;
    }
    /* unlike DAA, the SDM has no "ELSE CF := 0" here: a borrow from the low digit stays */
    if (old_al > 0x99 || old_cf) {
        al = (uint8_t)(al - 0x60);
        cf = true;
    }
    cpu_set_reg8(cpu, 0, al);
    cpu_set_flags_mask(cpu, F_ARITH, szp(al) | (cf ? F_CF : 0) | (af ? F_AF : 0));
    return 0;
}

static int aaa_aas(Cpu *cpu, bool sub)
{
    uint16_t ax = (uint16_t)cpu->s.regs[R_EAX];
    bool adj = (ax & 0xF) > 9 || cpu_af(cpu);
    if (adj) {
        ax = sub ? (uint16_t)((ax - 6) - 0x100) : (uint16_t)(ax + 0x106);
    }
    ax &= 0xFF0F;
    cpu_set_reg16(cpu, R_EAX, ax);
    cpu_set_flags_mask(cpu, F_ARITH, szp((uint8_t)ax) | (adj ? F_CF | F_AF : 0));
    return 0;
}

int op_AAA(Cpu *cpu, const Insn *i)
{
    return aaa_aas(cpu, false);
}

int op_AAS(Cpu *cpu, const Insn *i)
{
    return aaa_aas(cpu, true);
}

int op_AAM(Cpu *cpu, const Insn *i)
{
    uint8_t base = (uint8_t)i->imm, al = cpu_reg8(cpu, 0);
    if (base == 0) {
        return cpu_raise(cpu, EXC_DE, 0, 0);
    }
    uint8_t q = al / base, r = al % base;
    cpu_set_reg16(cpu, R_EAX, (uint16_t)((q << 8) | r));
    cpu_set_lazy(cpu, LF_LOGIC, 1, r, r, 0);
    return 0;
}

int op_AAD(Cpu *cpu, const Insn *i)
{
    uint8_t base = (uint8_t)i->imm, al = cpu_reg8(cpu, 0), ah = cpu_reg8(cpu, 4);
    uint32_t prod = (uint32_t)(ah * base) & 0xFF;
    uint32_t res = (al + prod) & 0xFF;
    cpu_set_reg16(cpu, R_EAX, (uint16_t)res);
    cpu_set_lazy(cpu, LF_ADD, 1, res, al, prod);
    return 0;
}
