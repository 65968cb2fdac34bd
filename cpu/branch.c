/* Near control transfers: Jcc (rel8, rel16/32), JMP (rel, r/m), CALL (rel, r/m), RET, RET imm16,
 * LOOP, LOOPE, LOOPNE, JCXZ/JECXZ. SDM vol. 2, "Jcc", "JMP", "CALL", "RET", "LOOP/LOOPcc",
 * "JCXZ".
 *
 * Targets are truncated to 16 bits with a 16-bit operand size and checked against the CS limit
 * by cpu_jump_near (#GP(0)). The order follows the SDM so that a fault leaves no trace: CALL
 * checks the target before pushing (a failing push is rolled back by the run loop, which rewinds
 * EIP); RET reads the return address, jumps, and only then moves ESP; LOOP writes the count only
 * once the branch has succeeded. The counter of LOOP and JCXZ is CX or ECX by the address size.
 */
#include "cpu/intops.h"

static inline uint32_t rel_b(const Insn *i)
{
    return sext(i->imm, 1);
}

static inline uint32_t rel_z(const Insn *i)
{
    return (i->flags & INSN_OP32) ? i->imm : sext(i->imm, 2);
}

static inline int jcc(Cpu *cpu, const Insn *i, uint32_t rel)
{
    if (!lazy_cond(cpu, insn_cc(i))) {
        return 0;
    }
    return cpu_jump_near(cpu, cpu->s.eip + rel, insn_osize(i));
}

#define JCC_FORMS(CC)                                                                              \
    int op_J##CC##_Jb(Cpu *cpu, const Insn *i)                                                     \
    {                                                                                              \
        return jcc(cpu, i, rel_b(i));                                                              \
    }                                                                                              \
    int op_J##CC##_Jz(Cpu *cpu, const Insn *i)                                                     \
    {                                                                                              \
        return jcc(cpu, i, rel_z(i));                                                              \
    }
JCC_FORMS(O)
JCC_FORMS(NO)
JCC_FORMS(B)
JCC_FORMS(AE)
JCC_FORMS(E)
JCC_FORMS(NE)
JCC_FORMS(BE)
JCC_FORMS(A)
JCC_FORMS(S)
JCC_FORMS(NS)
JCC_FORMS(P)
JCC_FORMS(NP)
JCC_FORMS(L)
JCC_FORMS(GE)
JCC_FORMS(LE)
JCC_FORMS(G)

int op_JMP_Jb(Cpu *cpu, const Insn *i)
{
    return cpu_jump_near(cpu, cpu->s.eip + rel_b(i), insn_osize(i));
}

int op_JMP_Jz(Cpu *cpu, const Insn *i)
{
    return cpu_jump_near(cpu, cpu->s.eip + rel_z(i), insn_osize(i));
}

int op_JMP_Ev(Cpu *cpu, const Insn *i)
{
    unsigned sz = insn_osize(i);
    uint32_t t;
    int r = rm_read(cpu, i, sz, &t);
    return r ? r : cpu_jump_near(cpu, t, sz);
}

static inline int call_near(Cpu *cpu, uint32_t target, unsigned sz)
{
    uint32_t ret = cpu->s.eip;
    int r = cpu_jump_near(cpu, target, sz);
    /* the push may fault after EIP moved: the run loop rewinds EIP to the CALL */
    return r ? r : cpu_push(cpu, sz, ret & size_mask(sz));
}

int op_CALL_Jz(Cpu *cpu, const Insn *i)
{
    return call_near(cpu, cpu->s.eip + rel_z(i), insn_osize(i));
}

int op_CALL_Ev(Cpu *cpu, const Insn *i)
{
    unsigned sz = insn_osize(i);
    uint32_t t;
    int r = rm_read(cpu, i, sz, &t);
    return r ? r : call_near(cpu, t, sz);
}

static inline int ret_near(Cpu *cpu, const Insn *i, uint32_t extra)
{
    unsigned sz = insn_osize(i);
    uint32_t t;
    int r = cpu_stack_read(cpu, 0, sz, &t);
    if (r || (r = cpu_jump_near(cpu, t, sz))) {
        return r;
    }
    uint32_t m = cpu_sp_mask(cpu);
    reg_set_masked(cpu, R_ESP, m, cpu->s.regs[R_ESP] + sz + extra);
    return 0;
}

int op_RET(Cpu *cpu, const Insn *i)
{
    return ret_near(cpu, i, 0);
}

int op_RET_Iw(Cpu *cpu, const Insn *i)
{
    return ret_near(cpu, i, i->imm & 0xFFFF);
}

/* LOOP family: decrement the counter (no flags), branch if it is not zero (and ZF matches) */
static inline int loop(Cpu *cpu, const Insn *i, int zcond)
{
    uint32_t m = addr_mask(i);
    uint32_t cnt = (cpu->s.regs[R_ECX] - 1) & m;
    bool take = cnt != 0;
    if (take && zcond >= 0) {
        take = cpu_zf(cpu) == (zcond != 0);
    }
    if (take) {
        int r = cpu_jump_near(cpu, cpu->s.eip + rel_b(i), insn_osize(i));
        if (r) {
            return r;
        }
    }
    reg_set_masked(cpu, R_ECX, m, cnt);
    return 0;
}

int op_LOOP(Cpu *cpu, const Insn *i)
{
    return loop(cpu, i, -1);
}

int op_LOOPE(Cpu *cpu, const Insn *i)
{
    return loop(cpu, i, 1);
}

int op_LOOPNE(Cpu *cpu, const Insn *i)
{
    return loop(cpu, i, 0);
}

int op_JCXZ(Cpu *cpu, const Insn *i)
{
    if (cpu->s.regs[R_ECX] & addr_mask(i)) {
        return 0;
    }
    return cpu_jump_near(cpu, cpu->s.eip + rel_b(i), insn_osize(i));
}
