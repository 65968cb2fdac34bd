/* Private helpers shared by the integer instruction files (alu.c, shift.c, muldiv.c, bcd.c,
 * bits.c, string.c, data.c, branch.c, flags.c): operand-size arithmetic and the register fast
 * path of ModRM operands. Memory operands go through cpu/segmem.c (cpu_read_rm and friends), so
 * the segment and paging rules live in one place.
 */
#ifndef X86PC_CPU_INTOPS_H
#define X86PC_CPU_INTOPS_H

#include "cpu/cpu.h"
#include "cpu/segfast.h"
#include "decoder/opcodes.h"

/* a prototype for every handler of the opcode table (-Wmissing-prototypes) */
#define OP(code, ext, pfx, name, mnem, o1, o2, o3, isa, attr, frd, fwr, fund)                      \
    int op_##name(Cpu *cpu, const Insn *i);
#include "decoder/opcodes.def"
#undef OP

/* all-ones mask and sign bit of a 1-, 2- or 4-byte operand */
static inline uint32_t size_mask(unsigned size)
{
    return size == 4 ? 0xFFFFFFFFu : (size == 2 ? 0xFFFFu : 0xFFu);
}
static inline uint32_t size_sign(unsigned size)
{
    return 1u << (size * 8 - 1);
}
/* sign-extend the low `size` bytes of v to 32 bits */
static inline uint32_t sext(uint32_t v, unsigned size)
{
    if (size == 1) {
        return (uint32_t)(int32_t)(int8_t)(uint8_t)v;
    }
    if (size == 2) {
        return (uint32_t)(int32_t)(int16_t)(uint16_t)v;
    }
    return v;
}

/* general register n of `size` bytes (size 1 uses the AL..BH numbering) */
static inline uint32_t reg_get(const Cpu *cpu, int n, unsigned size)
{
    if (size == 1) {
        return cpu_reg8(cpu, n);
    }
    return size == 2 ? (cpu->s.regs[n] & 0xFFFFu) : cpu->s.regs[n];
}
static inline void reg_set(Cpu *cpu, int n, unsigned size, uint32_t v)
{
    if (size == 1) {
        cpu_set_reg8(cpu, n, (uint8_t)v);
    } else if (size == 2) {
        cpu_set_reg16(cpu, n, (uint16_t)v);
    } else {
        cpu->s.regs[n] = v;
    }
}

/* ModRM r/m operand with a register fast path, and the inline memory fast path of
 * cpu/segfast.h */
static inline int rm_read(Cpu *cpu, const Insn *i, unsigned size, uint32_t *v)
{
    if (MODRM_MOD(i) == 3) {
        *v = reg_get(cpu, MODRM_RM(i), size);
        return 0;
    }
    return segf_read(cpu, i->seg, segf_ea(cpu, i), size, v);
}
/* read for read-modify-write: a memory operand is checked for writing first */
static inline int rm_read_rmw(Cpu *cpu, const Insn *i, unsigned size, uint32_t *v)
{
    if (MODRM_MOD(i) == 3) {
        *v = reg_get(cpu, MODRM_RM(i), size);
        return 0;
    }
    return segf_read_rmw(cpu, i, segf_ea(cpu, i), size, v);
}
static inline int rm_write(Cpu *cpu, const Insn *i, unsigned size, uint32_t v)
{
    if (MODRM_MOD(i) == 3) {
        reg_set(cpu, MODRM_RM(i), size, v);
        return 0;
    }
    return segf_write(cpu, i->seg, segf_ea(cpu, i), size, v);
}

/* Lazy flags read without a call for the common kinds (cpu/flags.c keeps the full rules and
 * is the fallback): CF, ZF, SF, and the Jcc/SETcc/CMOVcc condition cc. */
static inline bool lazy_cf(Cpu *cpu)
{
    const CpuState *s = &cpu->s;
    switch (s->lf_op) {
    case LF_NONE:
        return (s->eflags & F_CF) != 0;
    case LF_ADD:
        return s->lf_res < s->lf_op1;
    case LF_ADC:
        return s->lf_cf_in ? s->lf_res <= s->lf_op1 : s->lf_res < s->lf_op1;
    case LF_SUB:
        return s->lf_op1 < s->lf_op2;
    case LF_SBB:
        return s->lf_cf_in ? s->lf_op1 <= s->lf_op2 : s->lf_op1 < s->lf_op2;
    case LF_LOGIC:
        return false;
    case LF_INC:
    case LF_DEC:
    case LF_MUL:
    case LF_IMUL:
    case LF_SHL:
    case LF_SHR:
    case LF_SAR:
        return s->lf_cf_in != 0;
    default:
        return cpu_cf(cpu);
    }
}
static inline bool lazy_zf(const Cpu *cpu)
{
    const CpuState *s = &cpu->s;
    return s->lf_op == LF_NONE ? (s->eflags & F_ZF) != 0 : s->lf_res == 0;
}
static inline bool lazy_sf(const Cpu *cpu)
{
    const CpuState *s = &cpu->s;
    return s->lf_op == LF_NONE ? (s->eflags & F_SF) != 0
                               : (s->lf_res & size_sign(s->lf_size)) != 0;
}
static inline bool lazy_cond(Cpu *cpu, int cc)
{
    const CpuState *s = &cpu->s;
    bool r;
    switch (cc >> 1) {
    case 1: /* B */
        r = lazy_cf(cpu);
        break;
    case 2: /* E */
        r = lazy_zf(cpu);
        break;
    case 3: /* BE */
        if (s->lf_op == LF_SUB) {
            r = s->lf_op1 <= s->lf_op2;
        } else {
            r = lazy_cf(cpu) || lazy_zf(cpu);
        }
        break;
    case 4: /* S */
        r = lazy_sf(cpu);
        break;
    case 6: /* L: SF != OF */
        if (s->lf_op == LF_SUB) {
            r = (int32_t)sext(s->lf_op1, s->lf_size) < (int32_t)sext(s->lf_op2, s->lf_size);
        } else if (s->lf_op == LF_LOGIC) {
            r = lazy_sf(cpu); /* OF = 0 */
        } else {
            return cpu_cond(cpu, cc);
        }
        break;
    case 7: /* LE: ZF or SF != OF */
        if (s->lf_op == LF_SUB) {
            r = (int32_t)sext(s->lf_op1, s->lf_size) <= (int32_t)sext(s->lf_op2, s->lf_size);
        } else if (s->lf_op == LF_LOGIC) {
            r = lazy_zf(cpu) || lazy_sf(cpu);
        } else {
            return cpu_cond(cpu, cc);
        }
        break;
    default: /* O, P */
        return cpu_cond(cpu, cc);
    }
    return r ^ (cc & 1);
}

/* address-size masks for string, XLAT and LOOP counters */
static inline uint32_t addr_mask(const Insn *i)
{
    return (i->flags & INSN_ADDR32) ? 0xFFFFFFFFu : 0xFFFFu;
}
/* update only the address-size part of a register (SI/DI/CX vs ESI/EDI/ECX) */
static inline void reg_set_masked(Cpu *cpu, int n, uint32_t mask, uint32_t v)
{
    cpu->s.regs[n] = (cpu->s.regs[n] & ~mask) | (v & mask);
}
/* the segment of an implicit DS operand (strings, XLAT): DS unless overridden */
static inline int src_seg(const Insn *i)
{
    return (i->flags & INSN_SEG_OVR) ? i->seg : SEG_DS;
}

/* the Jcc/SETcc/CMOVcc condition encoded in the low nibble of the opcode */
static inline int insn_cc(const Insn *i)
{
    return i->opcode & 0xF;
}

#endif
