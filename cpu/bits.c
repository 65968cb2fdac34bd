/* Bit instructions: BT BTS BTR BTC (register and immediate bit offsets), BSF, BSR, BSWAP.
 * SDM vol. 2, the pages of each.
 *
 * BT* with a memory operand and a register bit offset address memory beyond the operand: the
 * offset is signed, and the operand-size unit holding the bit is at ea + (offset >> 4) * 2 or
 * ea + (offset >> 5) * 4 (SDM "BT", "bit base" addressing); the sum wraps at the address size.
 * Only CF is defined after BT*; the other flags keep their values. BSF/BSR leave the destination
 * unchanged when the source is 0 (what P6 processors do; the SDM says undefined) and define only
 * ZF. BSWAP with a 16-bit operand is undefined: a P6 writes zero to the low word.
 */
#include "cpu/intops.h"

enum { BT_TEST, BT_SET, BT_RESET, BT_COMPL };

static inline uint32_t bt_apply(int op, uint32_t v, uint32_t bit)
{
    switch (op) {
    case BT_SET:
        return v | bit;
    case BT_RESET:
        return v & ~bit;
    case BT_COMPL:
        return v ^ bit;
    default:
        return v;
    }
}

/* `off` is the bit offset: from Gv (signed, may leave the operand) or imm8 (masked) */
static int bt_common(Cpu *cpu, const Insn *i, int op, uint32_t off, bool reg_offset)
{
    unsigned size = insn_osize(i), bits = size * 8;
    uint32_t bit = 1u << (off & (bits - 1)), v;
    int r;
    if (MODRM_MOD(i) == 3) {
        v = reg_get(cpu, MODRM_RM(i), size);
        if (op != BT_TEST) {
            reg_set(cpu, MODRM_RM(i), size, bt_apply(op, v, bit));
        }
    } else {
        uint32_t addr = cpu_ea(cpu, i);
        if (reg_offset) {
            int32_t soff = (int32_t)sext(off, size);
            /* arithmetic shift of a negative offset: floor division by the unit's bit count */
            int32_t unit =
                soff < 0 ? -(int32_t)((~(uint32_t)soff) / bits) - 1 : soff / (int32_t)bits;
            addr = (addr + (uint32_t)unit * size) & addr_mask(i);
        }
        if (op != BT_TEST && (r = cpu_probe_write(cpu, i->seg, addr, size))) {
            return r;
        }
        if ((r = cpu_read(cpu, i->seg, addr, size, &v))) {
            return r;
        }
        if (op != BT_TEST && (r = cpu_write(cpu, i->seg, addr, size, bt_apply(op, v, bit)))) {
            return r;
        }
    }
    cpu_set_flags_mask(cpu, F_CF, (v & bit) ? F_CF : 0);
    return 0;
}

int op_BT_EvGv(Cpu *cpu, const Insn *i)
{
    return bt_common(cpu, i, BT_TEST, cpu->s.regs[MODRM_REG(i)], true);
}

int op_BTS_EvGv(Cpu *cpu, const Insn *i)
{
    return bt_common(cpu, i, BT_SET, cpu->s.regs[MODRM_REG(i)], true);
}

int op_BTR_EvGv(Cpu *cpu, const Insn *i)
{
    return bt_common(cpu, i, BT_RESET, cpu->s.regs[MODRM_REG(i)], true);
}

int op_BTC_EvGv(Cpu *cpu, const Insn *i)
{
    return bt_common(cpu, i, BT_COMPL, cpu->s.regs[MODRM_REG(i)], true);
}

int op_BT_EvIb(Cpu *cpu, const Insn *i)
{
    return bt_common(cpu, i, BT_TEST, i->imm & 0xFF, false);
}

int op_BTS_EvIb(Cpu *cpu, const Insn *i)
{
    return bt_common(cpu, i, BT_SET, i->imm & 0xFF, false);
}

int op_BTR_EvIb(Cpu *cpu, const Insn *i)
{
    return bt_common(cpu, i, BT_RESET, i->imm & 0xFF, false);
}

int op_BTC_EvIb(Cpu *cpu, const Insn *i)
{
    return bt_common(cpu, i, BT_COMPL, i->imm & 0xFF, false);
}

static int bscan(Cpu *cpu, const Insn *i, bool reverse)
{
    unsigned size = insn_osize(i);
    uint32_t v;
    int r = rm_read(cpu, i, size, &v);
    if (r) {
        return r;
    }
    if (v == 0) {
        cpu_set_flags_mask(cpu, F_ZF, F_ZF);
        return 0;
    }
    uint32_t idx = reverse ? 31u - (uint32_t)__builtin_clz(v) : (uint32_t)__builtin_ctz(v);
    reg_set(cpu, MODRM_REG(i), size, idx);
    cpu_set_flags_mask(cpu, F_ZF, 0);
    return 0;
}

int op_BSF(Cpu *cpu, const Insn *i)
{
    return bscan(cpu, i, false);
}

int op_BSR(Cpu *cpu, const Insn *i)
{
    return bscan(cpu, i, true);
}

int op_BSWAP(Cpu *cpu, const Insn *i)
{
    int n = i->opcode & 7;
    if (i->flags & INSN_OP32) {
        cpu->s.regs[n] = __builtin_bswap32(cpu->s.regs[n]);
    } else {
        cpu_set_reg16(cpu, n, 0);
    }
    return 0;
}
