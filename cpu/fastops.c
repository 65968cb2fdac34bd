/* Specialised handlers for the most frequent instruction forms, chosen when a block is decoded.
 *
 * The opcode table (decoder/opcodes.def) keeps one handler per form, and that handler stays the
 * definition of the instruction. For a handful of forms that dominate real code (ALU, MOV, LEA,
 * INC/DEC, shifts by an immediate, TEST, Jcc, JMP, CALL/RET, PUSH/POP, IMUL/MUL), most of them
 * with a 32-bit operand size, cpu_fast_handler picks a function written for that exact decoded
 * shape: the register numbers come straight from ModRM, the operand size is a constant, a
 * register operand never looks at memory, and memory operands use the inline fast path of
 * cpu/segfast.h. Each one does what the table's handler does for the same decoded instruction,
 * step for step in the same order (the same lazy-flag record, the same faults before any state
 * changes); whatever depends on run-time state (the stack's B bit, a segment that is not flat)
 * falls back to the table's handler or to the full segment checks. The sources of truth for the
 * semantics are cpu/alu.c, cpu/data.c, cpu/shift.c, cpu/muldiv.c and cpu/branch.c.
 */
#include "cpu/fastops.h"
#include "cpu/intops.h"

#define HOT __attribute__((hot))

enum { FA_ADD, FA_OR, FA_ADC, FA_SBB, FA_AND, FA_SUB, FA_XOR, FA_CMP };

/* cpu/alu.c's alu() at size 4 */
static inline uint32_t alu32(Cpu *cpu, int op, uint32_t a, uint32_t b)
{
    uint32_t r;
    uint8_t cf;
    switch (op) {
    case FA_ADD:
        r = a + b;
        cpu_set_lazy(cpu, LF_ADD, 4, r, a, b);
        return r;
    case FA_OR:
        r = a | b;
        cpu_set_lazy(cpu, LF_LOGIC, 4, r, a, b);
        return r;
    case FA_ADC:
        cf = lazy_cf(cpu);
        r = a + b + cf;
        cpu_set_lazy(cpu, LF_ADC, 4, r, a, b);
        cpu->s.lf_cf_in = cf;
        return r;
    case FA_SBB:
        cf = lazy_cf(cpu);
        r = a - b - cf;
        cpu_set_lazy(cpu, LF_SBB, 4, r, a, b);
        cpu->s.lf_cf_in = cf;
        return r;
    case FA_AND:
        r = a & b;
        cpu_set_lazy(cpu, LF_LOGIC, 4, r, a, b);
        return r;
    case FA_XOR:
        r = a ^ b;
        cpu_set_lazy(cpu, LF_LOGIC, 4, r, a, b);
        return r;
    default: /* SUB, CMP */
        r = a - b;
        cpu_set_lazy(cpu, LF_SUB, 4, r, a, b);
        return r;
    }
}

/* Memory forms are written once as `name(cpu, i, ea)` and come in three flavours by the shape
 * of the address, chosen at decode time: f_name_b for a 32-bit [base + disp], f_name_bi for
 * [base + index * scale + disp], f_name_g for anything else (segf_ea). */
#define MEM3(NAME)                                                                                 \
    static HOT int f_##NAME##_g(Cpu *cpu, const Insn *i)                                           \
    {                                                                                              \
        return NAME(cpu, i, segf_ea(cpu, i));                                                      \
    }                                                                                              \
    static HOT int f_##NAME##_b(Cpu *cpu, const Insn *i)                                           \
    {                                                                                              \
        return NAME(cpu, i, segf_ea_b(cpu, i));                                                    \
    }                                                                                              \
    static HOT int f_##NAME##_bi(Cpu *cpu, const Insn *i)                                          \
    {                                                                                              \
        return NAME(cpu, i, segf_ea_bi(cpu, i));                                                   \
    }

static OpHandler pick_mem(const Insn *i, OpHandler g, OpHandler b, OpHandler bi)
{
    if (!(i->flags & INSN_ADDR32) || i->base == EA_NONE) {
        return g;
    }
    return i->index == EA_NONE ? b : bi;
}
#define PICK(NAME) pick_mem(i, f_##NAME##_g, f_##NAME##_b, f_##NAME##_bi)

/* ---- the ALU group, 32-bit operand size ---- */

#define FAST_ALU(NAME, OP)                                                                         \
    static HOT int f_##NAME##_EvGv_r(Cpu *cpu, const Insn *i)                                      \
    {                                                                                              \
        uint32_t *d = &cpu->s.regs[MODRM_RM(i)];                                                   \
        uint32_t r = alu32(cpu, OP, *d, cpu->s.regs[MODRM_REG(i)]);                                \
        if (OP != FA_CMP) {                                                                        \
            *d = r;                                                                                \
        }                                                                                          \
        return 0;                                                                                  \
    }                                                                                              \
    static HOT int f_##NAME##_GvEv_r(Cpu *cpu, const Insn *i)                                      \
    {                                                                                              \
        uint32_t *d = &cpu->s.regs[MODRM_REG(i)];                                                  \
        uint32_t r = alu32(cpu, OP, *d, cpu->s.regs[MODRM_RM(i)]);                                 \
        if (OP != FA_CMP) {                                                                        \
            *d = r;                                                                                \
        }                                                                                          \
        return 0;                                                                                  \
    }                                                                                              \
    static inline int NAME##_EvGv_m(Cpu *cpu, const Insn *i, uint32_t ea)                          \
    {                                                                                              \
        uint32_t b = cpu->s.regs[MODRM_REG(i)], a;                                                 \
        int r =                                                                                    \
            OP == FA_CMP ? segf_read(cpu, i->seg, ea, 4, &a) : segf_read_rmw(cpu, i, ea, 4, &a);   \
        if (r) {                                                                                   \
            return r;                                                                              \
        }                                                                                          \
        uint32_t res = alu32(cpu, OP, a, b);                                                       \
        return OP == FA_CMP ? 0 : segf_write(cpu, i->seg, ea, 4, res);                             \
    }                                                                                              \
    static inline int NAME##_GvEv_m(Cpu *cpu, const Insn *i, uint32_t ea)                          \
    {                                                                                              \
        uint32_t b;                                                                                \
        int r = segf_read(cpu, i->seg, ea, 4, &b);                                                 \
        if (r) {                                                                                   \
            return r;                                                                              \
        }                                                                                          \
        uint32_t *d = &cpu->s.regs[MODRM_REG(i)];                                                  \
        uint32_t res = alu32(cpu, OP, *d, b);                                                      \
        if (OP != FA_CMP) {                                                                        \
            *d = res;                                                                              \
        }                                                                                          \
        return 0;                                                                                  \
    }                                                                                              \
    static HOT int f_##NAME##_EvI_r(Cpu *cpu, const Insn *i)                                       \
    {                                                                                              \
        uint32_t *d = &cpu->s.regs[MODRM_RM(i)];                                                   \
        uint32_t r = alu32(cpu, OP, *d, i->imm);                                                   \
        if (OP != FA_CMP) {                                                                        \
            *d = r;                                                                                \
        }                                                                                          \
        return 0;                                                                                  \
    }                                                                                              \
    static inline int NAME##_EvI_m(Cpu *cpu, const Insn *i, uint32_t ea)                           \
    {                                                                                              \
        uint32_t a;                                                                                \
        int r =                                                                                    \
            OP == FA_CMP ? segf_read(cpu, i->seg, ea, 4, &a) : segf_read_rmw(cpu, i, ea, 4, &a);   \
        if (r) {                                                                                   \
            return r;                                                                              \
        }                                                                                          \
        uint32_t res = alu32(cpu, OP, a, i->imm);                                                  \
        return OP == FA_CMP ? 0 : segf_write(cpu, i->seg, ea, 4, res);                             \
    }                                                                                              \
    static HOT int f_##NAME##_EvIbs_r(Cpu *cpu, const Insn *i)                                     \
    {                                                                                              \
        uint32_t *d = &cpu->s.regs[MODRM_RM(i)];                                                   \
        uint32_t r = alu32(cpu, OP, *d, sext(i->imm, 1));                                          \
        if (OP != FA_CMP) {                                                                        \
            *d = r;                                                                                \
        }                                                                                          \
        return 0;                                                                                  \
    }                                                                                              \
    static inline int NAME##_EvIbs_m(Cpu *cpu, const Insn *i, uint32_t ea)                         \
    {                                                                                              \
        uint32_t a;                                                                                \
        int r =                                                                                    \
            OP == FA_CMP ? segf_read(cpu, i->seg, ea, 4, &a) : segf_read_rmw(cpu, i, ea, 4, &a);   \
        if (r) {                                                                                   \
            return r;                                                                              \
        }                                                                                          \
        uint32_t res = alu32(cpu, OP, a, sext(i->imm, 1));                                         \
        return OP == FA_CMP ? 0 : segf_write(cpu, i->seg, ea, 4, res);                             \
    }                                                                                              \
    static HOT int f_##NAME##_eAXIz(Cpu *cpu, const Insn *i)                                       \
    {                                                                                              \
        uint32_t r = alu32(cpu, OP, cpu->s.regs[R_EAX], i->imm);                                   \
        if (OP != FA_CMP) {                                                                        \
            cpu->s.regs[R_EAX] = r;                                                                \
        }                                                                                          \
        return 0;                                                                                  \
    }                                                                                              \
    MEM3(NAME##_EvGv_m)                                                                            \
    MEM3(NAME##_GvEv_m)                                                                            \
    MEM3(NAME##_EvI_m)                                                                             \
    MEM3(NAME##_EvIbs_m)

FAST_ALU(ADD, FA_ADD)
FAST_ALU(OR, FA_OR)
FAST_ALU(ADC, FA_ADC)
FAST_ALU(SBB, FA_SBB)
FAST_ALU(AND, FA_AND)
FAST_ALU(SUB, FA_SUB)
FAST_ALU(XOR, FA_XOR)
FAST_ALU(CMP, FA_CMP)

/* ---- TEST, INC, DEC ---- */

static HOT int f_TEST_EvGv_r(Cpu *cpu, const Insn *i)
{
    uint32_t a = cpu->s.regs[MODRM_RM(i)], b = cpu->s.regs[MODRM_REG(i)];
    cpu_set_lazy(cpu, LF_LOGIC, 4, a & b, a, b);
    return 0;
}

static HOT int f_TEST_Ev_r(Cpu *cpu, const Insn *i)
{
    uint32_t a = cpu->s.regs[MODRM_RM(i)], b = i->imm;
    cpu_set_lazy(cpu, LF_LOGIC, 4, a & b, a, b);
    return 0;
}

static inline int TEST_Ev_m(Cpu *cpu, const Insn *i, uint32_t ea)
{
    uint32_t a, b = i->imm;
    int r = segf_read(cpu, i->seg, ea, 4, &a);
    if (r) {
        return r;
    }
    cpu_set_lazy(cpu, LF_LOGIC, 4, a & b, a, b);
    return 0;
}
MEM3(TEST_Ev_m)

static HOT int f_TEST_eAXIz(Cpu *cpu, const Insn *i)
{
    uint32_t a = cpu->s.regs[R_EAX], b = i->imm;
    cpu_set_lazy(cpu, LF_LOGIC, 4, a & b, a, b);
    return 0;
}

static inline int incdec32(Cpu *cpu, const Insn *i, int kind)
{
    uint32_t *d = &cpu->s.regs[i->opcode & 7];
    uint32_t a = *d, res = kind == LF_DEC ? a - 1 : a + 1;
    *d = res;
    uint8_t cf = lazy_cf(cpu);
    cpu_set_lazy(cpu, kind, 4, res, a, 1);
    cpu->s.lf_cf_in = cf;
    return 0;
}

static HOT int f_INC_Zv(Cpu *cpu, const Insn *i)
{
    return incdec32(cpu, i, LF_INC);
}

static HOT int f_DEC_Zv(Cpu *cpu, const Insn *i)
{
    return incdec32(cpu, i, LF_DEC);
}

/* ---- MOV, MOVZX, LEA ---- */

static HOT int f_MOV_EvGv_r(Cpu *cpu, const Insn *i)
{
    cpu->s.regs[MODRM_RM(i)] = cpu->s.regs[MODRM_REG(i)];
    return 0;
}

static inline int MOV_EvGv_m(Cpu *cpu, const Insn *i, uint32_t ea)
{
    return segf_write(cpu, i->seg, ea, 4, cpu->s.regs[MODRM_REG(i)]);
}
MEM3(MOV_EvGv_m)

static HOT int f_MOV_GvEv_r(Cpu *cpu, const Insn *i)
{
    cpu->s.regs[MODRM_REG(i)] = cpu->s.regs[MODRM_RM(i)];
    return 0;
}

static inline int MOV_GvEv_m(Cpu *cpu, const Insn *i, uint32_t ea)
{
    uint32_t v;
    int r = segf_read(cpu, i->seg, ea, 4, &v);
    if (!r) {
        cpu->s.regs[MODRM_REG(i)] = v;
    }
    return r;
}

MEM3(MOV_GvEv_m)

static inline int MOV_EbGb_m(Cpu *cpu, const Insn *i, uint32_t ea)
{
    return segf_write(cpu, i->seg, ea, 1, cpu_reg8(cpu, MODRM_REG(i)));
}
MEM3(MOV_EbGb_m)

static inline int MOV_GbEb_m(Cpu *cpu, const Insn *i, uint32_t ea)
{
    uint32_t v;
    int r = segf_read(cpu, i->seg, ea, 1, &v);
    if (!r) {
        cpu_set_reg8(cpu, MODRM_REG(i), (uint8_t)v);
    }
    return r;
}
MEM3(MOV_GbEb_m)

static HOT int f_MOV_ZvIv(Cpu *cpu, const Insn *i)
{
    cpu->s.regs[i->opcode & 7] = i->imm;
    return 0;
}

static inline int MOV_EvIz_m(Cpu *cpu, const Insn *i, uint32_t ea)
{
    return segf_write(cpu, i->seg, ea, 4, i->imm);
}
MEM3(MOV_EvIz_m)

static HOT int f_MOVZX_GvEb_r(Cpu *cpu, const Insn *i)
{
    cpu->s.regs[MODRM_REG(i)] = cpu_reg8(cpu, MODRM_RM(i));
    return 0;
}

static inline int MOVZX_GvEb_m(Cpu *cpu, const Insn *i, uint32_t ea)
{
    uint32_t v;
    int r = segf_read(cpu, i->seg, ea, 1, &v);
    if (!r) {
        cpu->s.regs[MODRM_REG(i)] = v;
    }
    return r;
}
MEM3(MOVZX_GvEb_m)

static inline int MOVZX_GvEw_m(Cpu *cpu, const Insn *i, uint32_t ea)
{
    uint32_t v;
    int r = segf_read(cpu, i->seg, ea, 2, &v);
    if (!r) {
        cpu->s.regs[MODRM_REG(i)] = v;
    }
    return r;
}
MEM3(MOVZX_GvEw_m)

static inline int LEA_m(Cpu *cpu, const Insn *i, uint32_t ea)
{
    cpu->s.regs[MODRM_REG(i)] = ea;
    return 0;
}
MEM3(LEA_m)

/* ---- shifts by an immediate, register operand (cpu/shift.c's shift_value at size 4) ---- */

static inline int shl_r(Cpu *cpu, const Insn *i, unsigned c)
{
    if (c) {
        uint32_t *d = &cpu->s.regs[MODRM_RM(i)];
        uint32_t v = *d, res = v << c;
        *d = res;
        cpu_set_lazy(cpu, LF_SHL, 4, res, v, c);
        cpu->s.lf_cf_in = (uint8_t)((v >> (32 - c)) & 1);
    }
    return 0;
}

static inline int shr_r(Cpu *cpu, const Insn *i, unsigned c)
{
    if (c) {
        uint32_t *d = &cpu->s.regs[MODRM_RM(i)];
        uint32_t v = *d, res = v >> c;
        *d = res;
        cpu_set_lazy(cpu, LF_SHR, 4, res, v, c);
        cpu->s.lf_cf_in = (uint8_t)((v >> (c - 1)) & 1);
    }
    return 0;
}

static inline int sar_r(Cpu *cpu, const Insn *i, unsigned c)
{
    if (c) {
        uint32_t *d = &cpu->s.regs[MODRM_RM(i)];
        uint32_t v = *d;
        int32_t sv = (int32_t)v;
        uint32_t res = (uint32_t)(sv >> c);
        *d = res;
        cpu_set_lazy(cpu, LF_SAR, 4, res, v, c);
        cpu->s.lf_cf_in = (uint8_t)((sv >> (c - 1)) & 1);
    }
    return 0;
}

#define SHIFT_COUNTS(NAME, FN)                                                                     \
    static HOT int f_##NAME##_EvIb_r(Cpu *cpu, const Insn *i)                                      \
    {                                                                                              \
        return FN(cpu, i, i->imm & 0x1F);                                                          \
    }                                                                                              \
    static HOT int f_##NAME##_Ev1_r(Cpu *cpu, const Insn *i)                                       \
    {                                                                                              \
        return FN(cpu, i, 1);                                                                      \
    }                                                                                              \
    static HOT int f_##NAME##_EvCL_r(Cpu *cpu, const Insn *i)                                      \
    {                                                                                              \
        return FN(cpu, i, cpu->s.regs[R_ECX] & 0x1F);                                              \
    }
SHIFT_COUNTS(SHL, shl_r)
SHIFT_COUNTS(SHR, shr_r)
SHIFT_COUNTS(SAR, sar_r)

/* ---- CMOVcc (the source is read, and may fault, whatever the condition), SETcc, MOVZX/MOVSX
 * with a register source (cpu/data.c) ---- */

#define FAST_CMOV(CC, N)                                                                           \
    static HOT int f_CMOV##CC##_r(Cpu *cpu, const Insn *i)                                         \
    {                                                                                              \
        uint32_t v = cpu->s.regs[MODRM_RM(i)];                                                     \
        if (lazy_cond(cpu, N)) {                                                                   \
            cpu->s.regs[MODRM_REG(i)] = v;                                                         \
        }                                                                                          \
        return 0;                                                                                  \
    }                                                                                              \
    static inline int CMOV##CC##_m(Cpu *cpu, const Insn *i, uint32_t ea)                           \
    {                                                                                              \
        uint32_t v;                                                                                \
        int r = segf_read(cpu, i->seg, ea, 4, &v);                                                 \
        if (!r && lazy_cond(cpu, N)) {                                                             \
            cpu->s.regs[MODRM_REG(i)] = v;                                                         \
        }                                                                                          \
        return r;                                                                                  \
    }                                                                                              \
    MEM3(CMOV##CC##_m)                                                                             \
    static HOT int f_SET##CC##_r(Cpu *cpu, const Insn *i)                                          \
    {                                                                                              \
        cpu_set_reg8(cpu, MODRM_RM(i), lazy_cond(cpu, N) ? 1 : 0);                                 \
        return 0;                                                                                  \
    }                                                                                              \
    static inline int SET##CC##_m(Cpu *cpu, const Insn *i, uint32_t ea)                            \
    {                                                                                              \
        return segf_write(cpu, i->seg, ea, 1, lazy_cond(cpu, N) ? 1 : 0);                          \
    }                                                                                              \
    MEM3(SET##CC##_m)
FAST_CMOV(B, 2)
FAST_CMOV(AE, 3)
FAST_CMOV(E, 4)
FAST_CMOV(NE, 5)
FAST_CMOV(BE, 6)
FAST_CMOV(A, 7)
FAST_CMOV(S, 8)
FAST_CMOV(NS, 9)
FAST_CMOV(L, 12)
FAST_CMOV(GE, 13)
FAST_CMOV(LE, 14)
FAST_CMOV(G, 15)

static HOT int f_MOVZX_GvEw_r(Cpu *cpu, const Insn *i)
{
    cpu->s.regs[MODRM_REG(i)] = cpu->s.regs[MODRM_RM(i)] & 0xFFFFu;
    return 0;
}

static HOT int f_MOVSX_GvEb_r(Cpu *cpu, const Insn *i)
{
    cpu->s.regs[MODRM_REG(i)] = sext(cpu_reg8(cpu, MODRM_RM(i)), 1);
    return 0;
}

static HOT int f_MOVSX_GvEw_r(Cpu *cpu, const Insn *i)
{
    cpu->s.regs[MODRM_REG(i)] = sext(cpu->s.regs[MODRM_RM(i)] & 0xFFFFu, 2);
    return 0;
}

static inline int MOVSX_GvEb_m(Cpu *cpu, const Insn *i, uint32_t ea)
{
    uint32_t v;
    int r = segf_read(cpu, i->seg, ea, 1, &v);
    if (!r) {
        cpu->s.regs[MODRM_REG(i)] = sext(v, 1);
    }
    return r;
}
MEM3(MOVSX_GvEb_m)

static inline int MOVSX_GvEw_m(Cpu *cpu, const Insn *i, uint32_t ea)
{
    uint32_t v;
    int r = segf_read(cpu, i->seg, ea, 2, &v);
    if (!r) {
        cpu->s.regs[MODRM_REG(i)] = sext(v, 2);
    }
    return r;
}
MEM3(MOVSX_GvEw_m)

/* ---- multiplication (cpu/muldiv.c at size 4) ---- */

static inline void imul32_to(Cpu *cpu, int dst, uint32_t a, uint32_t b)
{
    int64_t p = (int64_t)(int32_t)a * (int64_t)(int32_t)b;
    uint32_t lo = (uint32_t)(uint64_t)p;
    cpu->s.regs[dst] = lo;
    cpu_set_lazy(cpu, LF_MUL, 4, lo, 0, 0); /* muldiv.c records LF_MUL for both */
    cpu->s.lf_cf_in = (int64_t)(int32_t)lo != p;
}

static HOT int f_IMUL_GvEvIbs_r(Cpu *cpu, const Insn *i)
{
    imul32_to(cpu, MODRM_REG(i), cpu->s.regs[MODRM_RM(i)], sext(i->imm, 1));
    return 0;
}

static HOT int f_IMUL_GvEvIz_r(Cpu *cpu, const Insn *i)
{
    imul32_to(cpu, MODRM_REG(i), cpu->s.regs[MODRM_RM(i)], i->imm);
    return 0;
}

static HOT int f_IMUL_GvEv_r(Cpu *cpu, const Insn *i)
{
    imul32_to(cpu, MODRM_REG(i), cpu->s.regs[MODRM_RM(i)], cpu->s.regs[MODRM_REG(i)]);
    return 0;
}

static inline void mul32(Cpu *cpu, uint32_t src)
{
    uint64_t p = (uint64_t)cpu->s.regs[R_EAX] * src;
    uint32_t lo = (uint32_t)p, hi = (uint32_t)(p >> 32);
    cpu->s.regs[R_EAX] = lo;
    cpu->s.regs[R_EDX] = hi;
    cpu_set_lazy(cpu, LF_MUL, 4, lo, 0, 0);
    cpu->s.lf_cf_in = hi != 0;
}

static HOT int f_MUL_Ev_r(Cpu *cpu, const Insn *i)
{
    mul32(cpu, cpu->s.regs[MODRM_RM(i)]);
    return 0;
}

static inline int MUL_Ev_m(Cpu *cpu, const Insn *i, uint32_t ea)
{
    uint32_t v;
    int r = segf_read(cpu, i->seg, ea, 4, &v);
    if (!r) {
        mul32(cpu, v);
    }
    return r;
}
MEM3(MUL_Ev_m)

/* ---- near branches, 32-bit operand size (cpu/branch.c) ---- */

static inline int jump32(Cpu *cpu, uint32_t target)
{
    if (target > cpu->s.seg[SEG_CS].limit) {
        return cpu_gp(cpu, 0);
    }
    cpu->s.eip = target;
    return 0;
}

#define FAST_JCC(CC, N)                                                                            \
    static HOT int f_J##CC##_Jb(Cpu *cpu, const Insn *i)                                           \
    {                                                                                              \
        return lazy_cond(cpu, N) ? jump32(cpu, cpu->s.eip + sext(i->imm, 1)) : 0;                  \
    }                                                                                              \
    static HOT int f_J##CC##_Jz(Cpu *cpu, const Insn *i)                                           \
    {                                                                                              \
        return lazy_cond(cpu, N) ? jump32(cpu, cpu->s.eip + i->imm) : 0;                           \
    }
FAST_JCC(B, 2)
FAST_JCC(AE, 3)
FAST_JCC(E, 4)
FAST_JCC(NE, 5)
FAST_JCC(BE, 6)
FAST_JCC(A, 7)
FAST_JCC(S, 8)
FAST_JCC(NS, 9)
FAST_JCC(L, 12)
FAST_JCC(GE, 13)
FAST_JCC(LE, 14)
FAST_JCC(G, 15)

static HOT int f_JMP_Jb(Cpu *cpu, const Insn *i)
{
    return jump32(cpu, cpu->s.eip + sext(i->imm, 1));
}

static HOT int f_JMP_Jz(Cpu *cpu, const Insn *i)
{
    return jump32(cpu, cpu->s.eip + i->imm);
}

/* ---- the stack with a 32-bit operand size; a 16-bit stack (SS.B clear) takes the table's
 * handler ---- */

static inline bool stack32(const Cpu *cpu)
{
    return (cpu->s.seg[SEG_SS].attr & SEG_ATTR_DB) != 0;
}

static inline int push32(Cpu *cpu, uint32_t v)
{
    uint32_t nsp = cpu->s.regs[R_ESP] - 4;
    int r = segf_write(cpu, SEG_SS, nsp, 4, v);
    if (!r) {
        cpu->s.regs[R_ESP] = nsp;
    }
    return r;
}

static HOT int f_PUSH_Zv(Cpu *cpu, const Insn *i)
{
    if (!stack32(cpu)) {
        return op_PUSH_Zv(cpu, i);
    }
    return push32(cpu, cpu->s.regs[i->opcode & 7]);
}

static HOT int f_POP_Zv(Cpu *cpu, const Insn *i)
{
    if (!stack32(cpu)) {
        return op_POP_Zv(cpu, i);
    }
    uint32_t esp = cpu->s.regs[R_ESP], v;
    int r = segf_read(cpu, SEG_SS, esp, 4, &v);
    if (r) {
        return r;
    }
    cpu->s.regs[R_ESP] = esp + 4;
    cpu->s.regs[i->opcode & 7] = v; /* POP ESP: the popped value wins */
    return 0;
}

static HOT int f_CALL_Jz(Cpu *cpu, const Insn *i)
{
    if (!stack32(cpu)) {
        return op_CALL_Jz(cpu, i);
    }
    uint32_t ret = cpu->s.eip;
    int r = jump32(cpu, ret + i->imm);
    /* a failing push leaves EIP moved: the run loop rewinds it to the CALL */
    return r ? r : push32(cpu, ret);
}

static HOT int f_RET(Cpu *cpu, const Insn *i)
{
    if (!stack32(cpu)) {
        return op_RET(cpu, i);
    }
    uint32_t esp = cpu->s.regs[R_ESP], t;
    int r = segf_read(cpu, SEG_SS, esp, 4, &t);
    if (r || (r = jump32(cpu, t))) {
        return r;
    }
    cpu->s.regs[R_ESP] = esp + 4;
    return 0;
}

/* ---- selection ---- */

#define ALU_CASES(NAME)                                                                            \
    case OPX_##NAME##_EvGv:                                                                        \
        return reg ? f_##NAME##_EvGv_r : PICK(NAME##_EvGv_m);                                      \
    case OPX_##NAME##_GvEv:                                                                        \
        return reg ? f_##NAME##_GvEv_r : PICK(NAME##_GvEv_m);                                      \
    case OPX_##NAME##_EvIz:                                                                        \
        return reg ? f_##NAME##_EvI_r : PICK(NAME##_EvI_m);                                        \
    case OPX_##NAME##_EvIbs:                                                                       \
        return reg ? f_##NAME##_EvIbs_r : PICK(NAME##_EvIbs_m);                                    \
    case OPX_##NAME##_eAXIz:                                                                       \
        return f_##NAME##_eAXIz;

#define JCC_CASES(CC)                                                                              \
    case OPX_J##CC##_Jb:                                                                           \
        return f_J##CC##_Jb;                                                                       \
    case OPX_J##CC##_Jz:                                                                           \
        return f_J##CC##_Jz;

#define CMOV_CASES(CC)                                                                             \
    case OPX_CMOV##CC:                                                                             \
        return reg ? f_CMOV##CC##_r : PICK(CMOV##CC##_m);

#define SET_CASES(CC)                                                                              \
    case OPX_SET##CC:                                                                              \
        return reg ? f_SET##CC##_r : PICK(SET##CC##_m);

OpHandler cpu_fast_handler(const Insn *i, OpHandler generic)
{
    if (generic != kOpHandlers[i->op]) {
        return generic; /* #UD on this model */
    }
    bool reg = MODRM_MOD(i) == 3;
    /* forms whose operand size does not matter here */
    switch (i->op) {
    case OPX_MOV_EbGb:
        return reg ? generic : PICK(MOV_EbGb_m);
    case OPX_MOV_GbEb:
        return reg ? generic : PICK(MOV_GbEb_m);
        SET_CASES(B)
        SET_CASES(AE)
        SET_CASES(E)
        SET_CASES(NE)
        SET_CASES(BE)
        SET_CASES(A)
        SET_CASES(S)
        SET_CASES(NS)
        SET_CASES(L)
        SET_CASES(GE)
        SET_CASES(LE)
        SET_CASES(G)
    default:
        break;
    }
    if (!(i->flags & INSN_OP32)) {
        return generic;
    }
    switch (i->op) {
        ALU_CASES(ADD)
        ALU_CASES(OR)
        ALU_CASES(ADC)
        ALU_CASES(SBB)
        ALU_CASES(AND)
        ALU_CASES(SUB)
        ALU_CASES(XOR)
        ALU_CASES(CMP)
        JCC_CASES(B)
        JCC_CASES(AE)
        JCC_CASES(E)
        JCC_CASES(NE)
        JCC_CASES(BE)
        JCC_CASES(A)
        JCC_CASES(S)
        JCC_CASES(NS)
        JCC_CASES(L)
        JCC_CASES(GE)
        JCC_CASES(LE)
        JCC_CASES(G)
    case OPX_TEST_EvGv:
        return reg ? f_TEST_EvGv_r : generic;
    case OPX_TEST_Ev:
        return reg ? f_TEST_Ev_r : PICK(TEST_Ev_m);
    case OPX_TEST_eAXIz:
        return f_TEST_eAXIz;
    case OPX_INC_Zv:
        return f_INC_Zv;
    case OPX_DEC_Zv:
        return f_DEC_Zv;
    case OPX_MOV_EvGv:
        return reg ? f_MOV_EvGv_r : PICK(MOV_EvGv_m);
    case OPX_MOV_GvEv:
        return reg ? f_MOV_GvEv_r : PICK(MOV_GvEv_m);
    case OPX_MOV_ZvIv:
        return f_MOV_ZvIv;
    case OPX_MOV_EvIz:
        return reg ? generic : PICK(MOV_EvIz_m);
    case OPX_MOVZX_GvEb:
        return reg ? f_MOVZX_GvEb_r : PICK(MOVZX_GvEb_m);
    case OPX_MOVZX_GvEw:
        return reg ? f_MOVZX_GvEw_r : PICK(MOVZX_GvEw_m);
    case OPX_LEA:
        return PICK(LEA_m);
    case OPX_SHL_EvIb:
    case OPX_SAL_EvIb:
        return reg ? f_SHL_EvIb_r : generic;
    case OPX_SHR_EvIb:
        return reg ? f_SHR_EvIb_r : generic;
    case OPX_SAR_EvIb:
        return reg ? f_SAR_EvIb_r : generic;
    case OPX_SHL_Ev1:
    case OPX_SAL_Ev1:
        return reg ? f_SHL_Ev1_r : generic;
    case OPX_SHR_Ev1:
        return reg ? f_SHR_Ev1_r : generic;
    case OPX_SAR_Ev1:
        return reg ? f_SAR_Ev1_r : generic;
    case OPX_SHL_EvCL:
    case OPX_SAL_EvCL:
        return reg ? f_SHL_EvCL_r : generic;
    case OPX_SHR_EvCL:
        return reg ? f_SHR_EvCL_r : generic;
    case OPX_SAR_EvCL:
        return reg ? f_SAR_EvCL_r : generic;
        CMOV_CASES(B)
        CMOV_CASES(AE)
        CMOV_CASES(E)
        CMOV_CASES(NE)
        CMOV_CASES(BE)
        CMOV_CASES(A)
        CMOV_CASES(S)
        CMOV_CASES(NS)
        CMOV_CASES(L)
        CMOV_CASES(GE)
        CMOV_CASES(LE)
        CMOV_CASES(G)
    case OPX_MOVSX_GvEb:
        return reg ? f_MOVSX_GvEb_r : PICK(MOVSX_GvEb_m);
    case OPX_MOVSX_GvEw:
        return reg ? f_MOVSX_GvEw_r : PICK(MOVSX_GvEw_m);
    case OPX_IMUL_GvEvIbs:
        return reg ? f_IMUL_GvEvIbs_r : generic;
    case OPX_IMUL_GvEvIz:
        return reg ? f_IMUL_GvEvIz_r : generic;
    case OPX_IMUL_GvEv:
        return reg ? f_IMUL_GvEv_r : generic;
    case OPX_MUL_Ev:
        return reg ? f_MUL_Ev_r : PICK(MUL_Ev_m);
    case OPX_JMP_Jb:
        return f_JMP_Jb;
    case OPX_JMP_Jz:
        return f_JMP_Jz;
    case OPX_PUSH_Zv:
        return f_PUSH_Zv;
    case OPX_POP_Zv:
        return f_POP_Zv;
    case OPX_CALL_Jz:
        return f_CALL_Jz;
    case OPX_RET:
        return f_RET;
    default:
        return generic;
    }
}
