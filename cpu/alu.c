/* The two-operand ALU group (ADD OR ADC SBB AND SUB XOR CMP) in all nine encodings plus the 82
 * alias, TEST, INC, DEC, NOT, NEG, and the locked exchange-and-compute family (XADD, CMPXCHG,
 * CMPXCHG8B). SDM vol. 2, the instruction pages of each. Flags are lazy (cpu/flags.c).
 *
 * Ordering (cpu/cpu.h): a memory destination is read with the write check first
 * (rm_read_rmw), so the final store cannot fault and nothing is half done.
 */
#include "cpu/intops.h"

enum { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP };

/* Compute op(a, b) at `size`, record the lazy flags, return the result. */
static inline uint32_t alu(Cpu *cpu, int op, unsigned size, uint32_t a, uint32_t b)
{
    uint32_t m = size_mask(size), r;
    uint8_t cf;
    switch (op) {
    case ALU_ADD:
        r = (a + b) & m;
        cpu_set_lazy(cpu, LF_ADD, (int)size, r, a, b);
        return r;
    case ALU_OR:
        r = a | b;
        cpu_set_lazy(cpu, LF_LOGIC, (int)size, r, a, b);
        return r;
    case ALU_ADC:
        cf = lazy_cf(cpu);
        r = (a + b + cf) & m;
        cpu_set_lazy(cpu, LF_ADC, (int)size, r, a, b);
        cpu->s.lf_cf_in = cf;
        return r;
    case ALU_SBB:
        cf = lazy_cf(cpu);
        r = (a - b - cf) & m;
        cpu_set_lazy(cpu, LF_SBB, (int)size, r, a, b);
        cpu->s.lf_cf_in = cf;
        return r;
    case ALU_AND:
        r = a & b;
        cpu_set_lazy(cpu, LF_LOGIC, (int)size, r, a, b);
        return r;
    case ALU_XOR:
        r = a ^ b;
        cpu_set_lazy(cpu, LF_LOGIC, (int)size, r, a, b);
        return r;
    default: /* SUB, CMP */
        r = (a - b) & m;
        cpu_set_lazy(cpu, LF_SUB, (int)size, r, a, b);
        return r;
    }
}

/* op r/m, reg */
static inline int alu_eg(Cpu *cpu, const Insn *i, int op, unsigned size)
{
    uint32_t a, b = reg_get(cpu, MODRM_REG(i), size);
    int r = op == ALU_CMP ? rm_read(cpu, i, size, &a) : rm_read_rmw(cpu, i, size, &a);
    if (r) {
        return r;
    }
    uint32_t res = alu(cpu, op, size, a, b);
    return op == ALU_CMP ? 0 : rm_write(cpu, i, size, res);
}

/* op reg, r/m */
static inline int alu_ge(Cpu *cpu, const Insn *i, int op, unsigned size)
{
    uint32_t b;
    int r = rm_read(cpu, i, size, &b);
    if (r) {
        return r;
    }
    uint32_t res = alu(cpu, op, size, reg_get(cpu, MODRM_REG(i), size), b);
    if (op != ALU_CMP) {
        reg_set(cpu, MODRM_REG(i), size, res);
    }
    return 0;
}

/* op AL/eAX, imm */
static inline int alu_ai(Cpu *cpu, const Insn *i, int op, unsigned size)
{
    uint32_t res = alu(cpu, op, size, reg_get(cpu, R_EAX, size), i->imm & size_mask(size));
    if (op != ALU_CMP) {
        reg_set(cpu, R_EAX, size, res);
    }
    return 0;
}

/* op r/m, imm (imm already sized; Ibs is sign-extended by the caller) */
static inline int alu_ei(Cpu *cpu, const Insn *i, int op, unsigned size, uint32_t imm)
{
    uint32_t a;
    int r = op == ALU_CMP ? rm_read(cpu, i, size, &a) : rm_read_rmw(cpu, i, size, &a);
    if (r) {
        return r;
    }
    uint32_t res = alu(cpu, op, size, a, imm & size_mask(size));
    return op == ALU_CMP ? 0 : rm_write(cpu, i, size, res);
}

#define ALU_FORMS(NAME, OP)                                                                        \
    int op_##NAME##_EbGb(Cpu *cpu, const Insn *i)                                                  \
    {                                                                                              \
        return alu_eg(cpu, i, OP, 1);                                                              \
    }                                                                                              \
    int op_##NAME##_EvGv(Cpu *cpu, const Insn *i)                                                  \
    {                                                                                              \
        return alu_eg(cpu, i, OP, insn_osize(i));                                                  \
    }                                                                                              \
    int op_##NAME##_GbEb(Cpu *cpu, const Insn *i)                                                  \
    {                                                                                              \
        return alu_ge(cpu, i, OP, 1);                                                              \
    }                                                                                              \
    int op_##NAME##_GvEv(Cpu *cpu, const Insn *i)                                                  \
    {                                                                                              \
        return alu_ge(cpu, i, OP, insn_osize(i));                                                  \
    }                                                                                              \
    int op_##NAME##_ALIb(Cpu *cpu, const Insn *i)                                                  \
    {                                                                                              \
        return alu_ai(cpu, i, OP, 1);                                                              \
    }                                                                                              \
    int op_##NAME##_eAXIz(Cpu *cpu, const Insn *i)                                                 \
    {                                                                                              \
        return alu_ai(cpu, i, OP, insn_osize(i));                                                  \
    }                                                                                              \
    int op_##NAME##_EbIb(Cpu *cpu, const Insn *i)                                                  \
    {                                                                                              \
        return alu_ei(cpu, i, OP, 1, i->imm);                                                      \
    }                                                                                              \
    /* 82 /r is an alias of 80 /r on every 32-bit processor (SDM vol. 2, table A-6) */             \
    int op_##NAME##_EbIb_82(Cpu *cpu, const Insn *i)                                               \
    {                                                                                              \
        return alu_ei(cpu, i, OP, 1, i->imm);                                                      \
    }                                                                                              \
    int op_##NAME##_EvIz(Cpu *cpu, const Insn *i)                                                  \
    {                                                                                              \
        return alu_ei(cpu, i, OP, insn_osize(i), i->imm);                                          \
    }                                                                                              \
    int op_##NAME##_EvIbs(Cpu *cpu, const Insn *i)                                                 \
    {                                                                                              \
        return alu_ei(cpu, i, OP, insn_osize(i), sext(i->imm, 1));                                 \
    }

ALU_FORMS(ADD, ALU_ADD)
ALU_FORMS(OR, ALU_OR)
ALU_FORMS(ADC, ALU_ADC)
ALU_FORMS(SBB, ALU_SBB)
ALU_FORMS(AND, ALU_AND)
ALU_FORMS(SUB, ALU_SUB)
ALU_FORMS(XOR, ALU_XOR)
ALU_FORMS(CMP, ALU_CMP)

/* ---- TEST ---- */

static inline int test_ev(Cpu *cpu, const Insn *i, unsigned size, uint32_t b)
{
    uint32_t a;
    int r = rm_read(cpu, i, size, &a);
    if (r) {
        return r;
    }
    cpu_set_lazy(cpu, LF_LOGIC, (int)size, a & b & size_mask(size), a, b);
    return 0;
}

int op_TEST_EbGb(Cpu *cpu, const Insn *i)
{
    return test_ev(cpu, i, 1, reg_get(cpu, MODRM_REG(i), 1));
}

int op_TEST_EvGv(Cpu *cpu, const Insn *i)
{
    unsigned sz = insn_osize(i);
    return test_ev(cpu, i, sz, reg_get(cpu, MODRM_REG(i), sz));
}

int op_TEST_ALIb(Cpu *cpu, const Insn *i)
{
    uint32_t a = reg_get(cpu, R_EAX, 1);
    cpu_set_lazy(cpu, LF_LOGIC, 1, a & i->imm & 0xFFu, a, i->imm);
    return 0;
}

int op_TEST_eAXIz(Cpu *cpu, const Insn *i)
{
    unsigned sz = insn_osize(i);
    uint32_t a = reg_get(cpu, R_EAX, sz);
    cpu_set_lazy(cpu, LF_LOGIC, (int)sz, a & i->imm & size_mask(sz), a, i->imm);
    return 0;
}

int op_TEST_Eb(Cpu *cpu, const Insn *i)
{
    return test_ev(cpu, i, 1, i->imm);
}

/* F6 /1 and F7 /1: undocumented aliases of /0 on Intel processors */
int op_TEST1_Eb(Cpu *cpu, const Insn *i)
{
    return test_ev(cpu, i, 1, i->imm);
}

int op_TEST_Ev(Cpu *cpu, const Insn *i)
{
    return test_ev(cpu, i, insn_osize(i), i->imm);
}

int op_TEST1_Ev(Cpu *cpu, const Insn *i)
{
    return test_ev(cpu, i, insn_osize(i), i->imm);
}

/* ---- INC, DEC: CF is preserved (kept in lf_cf_in) ---- */

static inline void incdec_flags(Cpu *cpu, int kind, unsigned size, uint32_t a, uint32_t r)
{
    uint8_t cf = lazy_cf(cpu);
    cpu_set_lazy(cpu, kind, (int)size, r, a, 1);
    cpu->s.lf_cf_in = cf;
}

static inline int incdec_e(Cpu *cpu, const Insn *i, unsigned size, int dec)
{
    uint32_t a;
    int r = rm_read_rmw(cpu, i, size, &a);
    if (r) {
        return r;
    }
    uint32_t res = (dec ? a - 1 : a + 1) & size_mask(size);
    r = rm_write(cpu, i, size, res);
    if (r) {
        return r;
    }
    incdec_flags(cpu, dec ? LF_DEC : LF_INC, size, a, res);
    return 0;
}

int op_INC_Zv(Cpu *cpu, const Insn *i)
{
    unsigned sz = insn_osize(i);
    int n = i->opcode & 7;
    uint32_t a = reg_get(cpu, n, sz), res = (a + 1) & size_mask(sz);
    reg_set(cpu, n, sz, res);
    incdec_flags(cpu, LF_INC, sz, a, res);
    return 0;
}

int op_DEC_Zv(Cpu *cpu, const Insn *i)
{
    unsigned sz = insn_osize(i);
    int n = i->opcode & 7;
    uint32_t a = reg_get(cpu, n, sz), res = (a - 1) & size_mask(sz);
    reg_set(cpu, n, sz, res);
    incdec_flags(cpu, LF_DEC, sz, a, res);
    return 0;
}

int op_INC_Eb(Cpu *cpu, const Insn *i)
{
    return incdec_e(cpu, i, 1, 0);
}

int op_DEC_Eb(Cpu *cpu, const Insn *i)
{
    return incdec_e(cpu, i, 1, 1);
}

int op_INC_Ev(Cpu *cpu, const Insn *i)
{
    return incdec_e(cpu, i, insn_osize(i), 0);
}

int op_DEC_Ev(Cpu *cpu, const Insn *i)
{
    return incdec_e(cpu, i, insn_osize(i), 1);
}

/* ---- NOT, NEG ---- */

static inline int not_e(Cpu *cpu, const Insn *i, unsigned size)
{
    uint32_t a;
    int r = rm_read_rmw(cpu, i, size, &a);
    if (r) {
        return r;
    }
    return rm_write(cpu, i, size, ~a & size_mask(size));
}

static inline int neg_e(Cpu *cpu, const Insn *i, unsigned size)
{
    uint32_t a;
    int r = rm_read_rmw(cpu, i, size, &a);
    if (r) {
        return r;
    }
    uint32_t res = (0u - a) & size_mask(size);
    r = rm_write(cpu, i, size, res);
    if (r) {
        return r;
    }
    cpu_set_lazy(cpu, LF_NEG, (int)size, res, a, 0);
    return 0;
}

int op_NOT_Eb(Cpu *cpu, const Insn *i)
{
    return not_e(cpu, i, 1);
}

int op_NOT_Ev(Cpu *cpu, const Insn *i)
{
    return not_e(cpu, i, insn_osize(i));
}

int op_NEG_Eb(Cpu *cpu, const Insn *i)
{
    return neg_e(cpu, i, 1);
}

int op_NEG_Ev(Cpu *cpu, const Insn *i)
{
    return neg_e(cpu, i, insn_osize(i));
}

/* ---- XADD, CMPXCHG, CMPXCHG8B (486+, P5+) ---- */

static inline int xadd(Cpu *cpu, const Insn *i, unsigned size)
{
    uint32_t d;
    int r = rm_read_rmw(cpu, i, size, &d);
    if (r) {
        return r;
    }
    uint32_t s = reg_get(cpu, MODRM_REG(i), size);
    uint32_t sum = alu(cpu, ALU_ADD, size, d, s);
    /* SRC <- DEST, then DEST <- sum: with the same register for both, the sum wins */
    reg_set(cpu, MODRM_REG(i), size, d);
    return rm_write(cpu, i, size, sum);
}

int op_XADD_EbGb(Cpu *cpu, const Insn *i)
{
    return xadd(cpu, i, 1);
}

int op_XADD_EvGv(Cpu *cpu, const Insn *i)
{
    return xadd(cpu, i, insn_osize(i));
}

static inline int cmpxchg(Cpu *cpu, const Insn *i, unsigned size)
{
    uint32_t d;
    int r = rm_read_rmw(cpu, i, size, &d);
    if (r) {
        return r;
    }
    uint32_t acc = reg_get(cpu, R_EAX, size);
    alu(cpu, ALU_CMP, size, acc, d);
    if (acc == d) {
        return rm_write(cpu, i, size, reg_get(cpu, MODRM_REG(i), size));
    }
    /* SDM: the destination is written back with its own value when the compare fails (the
     * processor always does a locked write); the accumulator gets the old destination first */
    reg_set(cpu, R_EAX, size, d);
    return rm_write(cpu, i, size, d);
}

int op_CMPXCHG_EbGb(Cpu *cpu, const Insn *i)
{
    return cmpxchg(cpu, i, 1);
}

int op_CMPXCHG_EvGv(Cpu *cpu, const Insn *i)
{
    return cmpxchg(cpu, i, insn_osize(i));
}

int op_CMPXCHG8B(Cpu *cpu, const Insn *i)
{
    uint32_t ea = cpu_ea(cpu, i);
    uint32_t lo, hi;
    int r;
    /* both halves are checked for writing before anything changes */
    if ((r = cpu_probe_write(cpu, i->seg, ea, 4)) ||
        (r = cpu_probe_write(cpu, i->seg, ea + 4, 4)) || (r = cpu_read32(cpu, i->seg, ea, &lo)) ||
        (r = cpu_read32(cpu, i->seg, ea + 4, &hi))) {
        return r;
    }
    CpuState *s = &cpu->s;
    bool eq = lo == s->regs[R_EAX] && hi == s->regs[R_EDX];
    uint32_t wlo = eq ? s->regs[R_EBX] : lo, whi = eq ? s->regs[R_ECX] : hi;
    if ((r = cpu_write32(cpu, i->seg, ea, wlo)) || (r = cpu_write32(cpu, i->seg, ea + 4, whi))) {
        return r;
    }
    if (!eq) {
        s->regs[R_EAX] = lo;
        s->regs[R_EDX] = hi;
    }
    cpu_set_flags_mask(cpu, F_ZF, eq ? F_ZF : 0);
    return 0;
}
