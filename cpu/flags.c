/* Lazy arithmetic flags, and the instructions that only move flags (CLC STC CMC CLD STD LAHF
 * SAHF SALC).
 *
 * A flag-setting instruction records its kind (LF_*), size, operands and result (all truncated to
 * the operand size) and nothing else; CF PF AF ZF SF OF are computed here when somebody reads
 * them (SDM vol. 1, 3.4.3.1 and appendix A, "EFLAGS Cross-Reference"). Per kind:
 *   ADD/ADC  res = op1 + op2 (+ lf_cf_in)      SUB/SBB  res = op1 - op2 (- lf_cf_in)
 *   LOGIC    res; CF = OF = AF = 0             INC/DEC  op1 -> res; CF kept in lf_cf_in
 *   NEG      res = -op1                        MUL/IMUL res = low half; lf_cf_in = CF = OF
 *   SHL/SHR/SAR (also SHLD/SHRD): op1 = value before, op2 = count, lf_cf_in = last bit out.
 * Flags the SDM leaves undefined get a consistent value: AF = 0 after LOGIC, shifts and
 * multiplies; OF after multi-bit shifts uses the one-bit rule. Tests mask those (table's fund).
 */
#include "cpu/intops.h"

static inline uint32_t parity_flag(uint32_t res)
{
    /* PF is set when the low byte has an even number of one bits */
    return (uint32_t)(!__builtin_parity(res & 0xFFu)) * F_PF;
}

/* The six arithmetic flags of the recorded operation, as EFLAGS bits. */
static uint32_t lazy_arith(const CpuState *s)
{
    unsigned size = s->lf_size;
    uint32_t sign = size_sign(size);
    uint32_t res = s->lf_res, a = s->lf_op1, b = s->lf_op2;
    uint32_t f = parity_flag(res);
    if (res == 0) {
        f |= F_ZF;
    }
    if (res & sign) {
        f |= F_SF;
    }
    switch (s->lf_op) {
    case LF_ADD:
        f |= (res < a) ? F_CF : 0;
        f |= ((a ^ b ^ res) & 0x10u) ? F_AF : 0;
        f |= ((a ^ res) & (b ^ res) & sign) ? F_OF : 0;
        break;
    case LF_ADC:
        f |= (s->lf_cf_in ? res <= a : res < a) ? F_CF : 0;
        f |= ((a ^ b ^ res) & 0x10u) ? F_AF : 0;
        f |= ((a ^ res) & (b ^ res) & sign) ? F_OF : 0;
        break;
    case LF_SUB:
        f |= (a < b) ? F_CF : 0;
        f |= ((a ^ b ^ res) & 0x10u) ? F_AF : 0;
        f |= ((a ^ b) & (a ^ res) & sign) ? F_OF : 0;
        break;
    case LF_SBB:
        f |= (s->lf_cf_in ? a <= b : a < b) ? F_CF : 0;
        f |= ((a ^ b ^ res) & 0x10u) ? F_AF : 0;
        f |= ((a ^ b) & (a ^ res) & sign) ? F_OF : 0;
        break;
    case LF_LOGIC:
        break;
    case LF_INC:
        f |= s->lf_cf_in ? F_CF : 0;
        f |= ((res & 0xFu) == 0) ? F_AF : 0;
        f |= (res == sign) ? F_OF : 0;
        break;
    case LF_DEC:
        f |= s->lf_cf_in ? F_CF : 0;
        f |= ((res & 0xFu) == 0xFu) ? F_AF : 0;
        f |= (res == sign - 1) ? F_OF : 0;
        break;
    case LF_NEG:
        f |= (a != 0) ? F_CF : 0;
        f |= ((a ^ res) & 0x10u) ? F_AF : 0;
        f |= (a == sign) ? F_OF : 0;
        break;
    case LF_SHL:
        /* OF (defined for count 1) = MSB(result) XOR CF */
        f |= s->lf_cf_in ? F_CF : 0;
        f |= ((!!(res & sign)) ^ (s->lf_cf_in != 0)) ? F_OF : 0;
        break;
    case LF_SHR:
        /* OF (count 1) = MSB of the original operand; for SHRD, MSB(result) XOR MSB(original) */
        f |= s->lf_cf_in ? F_CF : 0;
        f |= ((res ^ a) & sign) ? F_OF : 0;
        break;
    case LF_SAR:
        f |= s->lf_cf_in ? F_CF : 0;
        break;
    case LF_MUL:
    case LF_IMUL:
        f |= s->lf_cf_in ? (F_CF | F_OF) : 0;
        break;
    default:
        return s->eflags & F_ARITH;
    }
    return f;
}

uint32_t cpu_get_eflags(Cpu *cpu)
{
    CpuState *s = &cpu->s;
    if (s->lf_op != LF_NONE) {
        s->eflags = (s->eflags & ~F_ARITH) | lazy_arith(s);
        s->lf_op = LF_NONE;
    }
    return s->eflags;
}

/* Bits 1 reads as one; 3, 5, 15 and 22-31 are reserved zeros (SDM vol. 1, 3.4.3). */
#define EFLAGS_VALID 0x003F7FD5u

void cpu_set_eflags_raw(Cpu *cpu, uint32_t v)
{
    cpu->s.eflags = (v & EFLAGS_VALID) | 2u;
    cpu->s.lf_op = LF_NONE;
}

void cpu_set_flags_mask(Cpu *cpu, uint32_t mask, uint32_t values)
{
    uint32_t e = cpu_get_eflags(cpu);
    cpu->s.eflags = (e & ~mask) | (values & mask);
}

bool cpu_cf(Cpu *cpu)
{
    const CpuState *s = &cpu->s;
    switch (s->lf_op) {
    case LF_NONE:
        return (s->eflags & F_CF) != 0;
    case LF_ADD:
        return s->lf_res < s->lf_op1;
    case LF_SUB:
        return s->lf_op1 < s->lf_op2;
    case LF_LOGIC:
        return false;
    default:
        return (lazy_arith(s) & F_CF) != 0;
    }
}

bool cpu_zf(Cpu *cpu)
{
    const CpuState *s = &cpu->s;
    if (s->lf_op == LF_NONE) {
        return (s->eflags & F_ZF) != 0;
    }
    return s->lf_res == 0;
}

bool cpu_sf(Cpu *cpu)
{
    const CpuState *s = &cpu->s;
    if (s->lf_op == LF_NONE) {
        return (s->eflags & F_SF) != 0;
    }
    return (s->lf_res & size_sign(s->lf_size)) != 0;
}

bool cpu_of(Cpu *cpu)
{
    const CpuState *s = &cpu->s;
    if (s->lf_op == LF_NONE) {
        return (s->eflags & F_OF) != 0;
    }
    if (s->lf_op == LF_LOGIC) {
        return false;
    }
    return (lazy_arith(s) & F_OF) != 0;
}

bool cpu_pf(Cpu *cpu)
{
    const CpuState *s = &cpu->s;
    if (s->lf_op == LF_NONE) {
        return (s->eflags & F_PF) != 0;
    }
    return parity_flag(s->lf_res) != 0;
}

bool cpu_af(Cpu *cpu)
{
    const CpuState *s = &cpu->s;
    if (s->lf_op == LF_NONE) {
        return (s->eflags & F_AF) != 0;
    }
    return (lazy_arith(s) & F_AF) != 0;
}

bool cpu_cond(Cpu *cpu, int cc)
{
    const CpuState *s = &cpu->s;
    bool r;
    /* the common CMP/SUB + Jcc pairs, straight from the operands */
    if (s->lf_op == LF_SUB && (cc & 0xE) != 0 && (cc & 0xE) != 0xA) {
        uint32_t a = s->lf_op1, b = s->lf_op2;
        int32_t sa = (int32_t)sext(a, s->lf_size), sb = (int32_t)sext(b, s->lf_size);
        switch (cc >> 1) {
        case 1: /* B */
            r = a < b;
            break;
        case 2: /* E */
            r = a == b;
            break;
        case 3: /* BE */
            r = a <= b;
            break;
        case 4: /* S */
            r = (s->lf_res & size_sign(s->lf_size)) != 0;
            break;
        case 6: /* L */
            r = sa < sb;
            break;
        default: /* LE */
            r = sa <= sb;
            break;
        }
        return r ^ (cc & 1);
    }
    switch (cc >> 1) {
    case 0:
        r = cpu_of(cpu);
        break;
    case 1:
        r = cpu_cf(cpu);
        break;
    case 2:
        r = cpu_zf(cpu);
        break;
    case 3:
        r = cpu_cf(cpu) || cpu_zf(cpu);
        break;
    case 4:
        r = cpu_sf(cpu);
        break;
    case 5:
        r = cpu_pf(cpu);
        break;
    case 6:
        r = cpu_sf(cpu) != cpu_of(cpu);
        break;
    default:
        r = cpu_zf(cpu) || (cpu_sf(cpu) != cpu_of(cpu));
        break;
    }
    return r ^ (cc & 1);
}

/* ---- flag instructions ---- */

int op_CLC(Cpu *cpu, const Insn *i)
{
    cpu_set_flags_mask(cpu, F_CF, 0);
    return 0;
}

int op_STC(Cpu *cpu, const Insn *i)
{
    cpu_set_flags_mask(cpu, F_CF, F_CF);
    return 0;
}

int op_CMC(Cpu *cpu, const Insn *i)
{
    uint32_t e = cpu_get_eflags(cpu);
    cpu->s.eflags = e ^ F_CF;
    return 0;
}

int op_CLD(Cpu *cpu, const Insn *i)
{
    cpu->s.eflags &= ~F_DF;
    return 0;
}

int op_STD(Cpu *cpu, const Insn *i)
{
    cpu->s.eflags |= F_DF;
    return 0;
}

/* LAHF: AH = SF:ZF:0:AF:0:PF:1:CF */
int op_LAHF(Cpu *cpu, const Insn *i)
{
    uint32_t e = cpu_get_eflags(cpu);
    cpu_set_reg8(cpu, 4, (uint8_t)((e & (F_ARITH & 0xFFu)) | 2u));
    return 0;
}

int op_SAHF(Cpu *cpu, const Insn *i)
{
    cpu_set_flags_mask(cpu, F_SF | F_ZF | F_AF | F_PF | F_CF, cpu_reg8(cpu, 4));
    return 0;
}

/* SALC (D6, undocumented on P6 but present): AL = CF ? FF : 00, flags unchanged */
int op_SALC(Cpu *cpu, const Insn *i)
{
    cpu_set_reg8(cpu, 0, cpu_cf(cpu) ? 0xFF : 0x00);
    return 0;
}
