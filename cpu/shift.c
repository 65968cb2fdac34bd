/* Shifts and rotates: ROL ROR RCL RCR SHL/SAL SHR SAR in the six encodings (by 1, by CL, by
 * imm8; byte and word/dword), and the double shifts SHLD/SHRD. SDM vol. 2, "RCL/RCR/ROL/ROR",
 * "SAL/SAR/SHL/SHR", "SHLD", "SHRD".
 *
 * The count is masked to 5 bits (every processor since the 286). A masked count of 0 changes no
 * flags and no operand. RCL/RCR rotate through CF, so 8- and 16-bit counts are taken modulo 9
 * and 17; ROL/ROR set CF from the result whenever the masked count is nonzero, even when the
 * rotation is a whole multiple of the width. OF is defined for a count of 1; for larger counts
 * we apply the same rule (the tests mask it). Shifts keep their flags lazy; rotates write CF and
 * OF directly and leave the other flags alone.
 */
#include "cpu/intops.h"

enum { SH_ROL, SH_ROR, SH_RCL, SH_RCR, SH_SHL, SH_SHR, SH_SAL, SH_SAR };

/* Rotate or shift v (size bytes) by the masked, nonzero count c; sets the flags. */
static uint32_t shift_value(Cpu *cpu, int op, unsigned size, uint32_t v, unsigned c)
{
    unsigned bits = size * 8;
    uint32_t m = size_mask(size), sign = size_sign(size), res, cf;
    switch (op) {
    case SH_ROL: {
        unsigned n = c & (bits - 1);
        res = n ? ((v << n) | (v >> (bits - n))) & m : v;
        cf = res & 1;
        cpu_set_flags_mask(cpu, F_CF | F_OF, (cf ? F_CF : 0) | ((!!(res & sign) ^ cf) ? F_OF : 0));
        return res;
    }
    case SH_ROR: {
        unsigned n = c & (bits - 1);
        res = n ? ((v >> n) | (v << (bits - n))) & m : v;
        cf = (res & sign) != 0;
        cpu_set_flags_mask(cpu, F_CF | F_OF,
                           (cf ? F_CF : 0) | (((res ^ (res << 1)) & sign) ? F_OF : 0));
        return res;
    }
    case SH_RCL:
    case SH_RCR: {
        /* rotate the (bits + 1)-bit quantity CF:v */
        unsigned w = bits + 1, n = c % w;
        uint64_t wm = ((uint64_t)1 << w) - 1;
        uint64_t x = ((uint64_t)lazy_cf(cpu) << bits) | v;
        if (n) {
            x = op == SH_RCL ? ((x << n) | (x >> (w - n))) & wm : ((x >> n) | (x << (w - n))) & wm;
        }
        res = (uint32_t)x & m;
        cf = (uint32_t)(x >> bits) & 1;
        uint32_t of = op == SH_RCL ? (!!(res & sign) ^ cf) : (((res ^ (res << 1)) & sign) != 0);
        cpu_set_flags_mask(cpu, F_CF | F_OF, (cf ? F_CF : 0) | (of ? F_OF : 0));
        return res;
    }
    case SH_SHL:
    case SH_SAL: {
        uint64_t x = (uint64_t)v << c; /* c <= 31: the last bit out is bit `bits` of x */
        res = (uint32_t)x & m;
        cpu_set_lazy(cpu, LF_SHL, (int)size, res, v, c);
        cpu->s.lf_cf_in = (uint8_t)((x >> bits) & 1);
        return res;
    }
    case SH_SHR:
        res = v >> c;
        cpu_set_lazy(cpu, LF_SHR, (int)size, res, v, c);
        cpu->s.lf_cf_in = (uint8_t)((v >> (c - 1)) & 1);
        return res;
    default: { /* SAR */
        int32_t sv = (int32_t)sext(v, size);
        res = (uint32_t)(sv >> c) & m;
        cpu_set_lazy(cpu, LF_SAR, (int)size, res, v, c);
        cpu->s.lf_cf_in = (uint8_t)((sv >> (c - 1)) & 1);
        return res;
    }
    }
}

static inline int shift_e(Cpu *cpu, const Insn *i, unsigned size, unsigned count)
{
    unsigned c = count & 0x1F;
    uint32_t v;
    int r = rm_read_rmw(cpu, i, size, &v);
    if (r || c == 0) {
        return r;
    }
    /* the read checked the write, so the store cannot fault after the flags are set */
    return rm_write(cpu, i, size, shift_value(cpu, MODRM_REG(i), size, v, c));
}

#define SHIFT_FORMS(NAME)                                                                          \
    int op_##NAME##_EbIb(Cpu *cpu, const Insn *i)                                                  \
    {                                                                                              \
        return shift_e(cpu, i, 1, i->imm);                                                         \
    }                                                                                              \
    int op_##NAME##_EvIb(Cpu *cpu, const Insn *i)                                                  \
    {                                                                                              \
        return shift_e(cpu, i, insn_osize(i), i->imm);                                             \
    }                                                                                              \
    int op_##NAME##_Eb1(Cpu *cpu, const Insn *i)                                                   \
    {                                                                                              \
        return shift_e(cpu, i, 1, 1);                                                              \
    }                                                                                              \
    int op_##NAME##_Ev1(Cpu *cpu, const Insn *i)                                                   \
    {                                                                                              \
        return shift_e(cpu, i, insn_osize(i), 1);                                                  \
    }                                                                                              \
    int op_##NAME##_EbCL(Cpu *cpu, const Insn *i)                                                  \
    {                                                                                              \
        return shift_e(cpu, i, 1, cpu->s.regs[R_ECX] & 0xFF);                                      \
    }                                                                                              \
    int op_##NAME##_EvCL(Cpu *cpu, const Insn *i)                                                  \
    {                                                                                              \
        return shift_e(cpu, i, insn_osize(i), cpu->s.regs[R_ECX] & 0xFF);                          \
    }

/* the operation comes from ModRM.reg (the table's /0../7), so every name shares one body */
SHIFT_FORMS(ROL)
SHIFT_FORMS(ROR)
SHIFT_FORMS(RCL)
SHIFT_FORMS(RCR)
SHIFT_FORMS(SHL)
SHIFT_FORMS(SHR)
SHIFT_FORMS(SAL)
SHIFT_FORMS(SAR)

/* ---- SHLD / SHRD ----
 * A 16-bit operand with a count above 16 is undefined; we shift the 48-bit pattern
 * dest:src:dest, which is what Intel processors are observed to do. */
static int shxd(Cpu *cpu, const Insn *i, bool left, unsigned count)
{
    unsigned size = insn_osize(i), c = count & 0x1F;
    uint32_t d;
    int r = rm_read_rmw(cpu, i, size, &d);
    if (r || c == 0) {
        return r;
    }
    uint32_t s = reg_get(cpu, MODRM_REG(i), size), res, cf;
    if (size == 4) {
        if (left) {
            res = (d << c) | (s >> (32 - c));
            cf = (d >> (32 - c)) & 1;
        } else {
            res = (d >> c) | (s << (32 - c));
            cf = (d >> (c - 1)) & 1;
        }
    } else {
        uint64_t x = ((uint64_t)d << 32) | ((uint64_t)s << 16) | d;
        if (left) {
            res = (uint32_t)((x << c) >> 32) & 0xFFFFu;
            cf = (uint32_t)((x << (c - 1)) >> 47) & 1;
        } else {
            res = (uint32_t)(x >> c) & 0xFFFFu;
            cf = (uint32_t)(x >> (c - 1)) & 1;
        }
    }
    r = rm_write(cpu, i, size, res);
    if (r) {
        return r;
    }
    /* OF for a count of 1 is "sign changed": LF_SHL gives MSB(res)^CF = MSB(res)^MSB(d),
     * LF_SHR gives MSB(res)^MSB(d) directly */
    cpu_set_lazy(cpu, left ? LF_SHL : LF_SHR, (int)size, res, d, c);
    cpu->s.lf_cf_in = (uint8_t)cf;
    return 0;
}

int op_SHLD_EvGvIb(Cpu *cpu, const Insn *i)
{
    return shxd(cpu, i, true, i->imm);
}

int op_SHLD_EvGvCL(Cpu *cpu, const Insn *i)
{
    return shxd(cpu, i, true, cpu->s.regs[R_ECX] & 0xFF);
}

int op_SHRD_EvGvIb(Cpu *cpu, const Insn *i)
{
    return shxd(cpu, i, false, i->imm);
}

int op_SHRD_EvGvCL(Cpu *cpu, const Insn *i)
{
    return shxd(cpu, i, false, cpu->s.regs[R_ECX] & 0xFF);
}
