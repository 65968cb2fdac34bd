/* Data movement: MOV (general registers, immediates, moffs), MOVZX, MOVSX, LEA, XCHG, CBW/CWDE,
 * CWD/CDQ, XLAT, CMOVcc, SETcc, the NOPs, and the stack: PUSH, POP, PUSHA, POPA, ENTER, LEAVE.
 * SDM vol. 2, the pages of each.
 *
 * Stack instructions that move several values read (POPA, LEAVE) or write (PUSHA, ENTER) them
 * all before committing ESP/EBP, or put ESP/EBP back on a fault, so a faulting instruction can be
 * restarted. The stack width (SP or ESP) is SS.B; the value width is the operand size.
 */
#include "cpu/intops.h"

/* ---- MOV ---- */

int op_MOV_EbGb(Cpu *cpu, const Insn *i)
{
    return rm_write(cpu, i, 1, cpu_reg8(cpu, MODRM_REG(i)));
}

int op_MOV_EvGv(Cpu *cpu, const Insn *i)
{
    unsigned sz = insn_osize(i);
    return rm_write(cpu, i, sz, reg_get(cpu, MODRM_REG(i), sz));
}

int op_MOV_GbEb(Cpu *cpu, const Insn *i)
{
    uint32_t v;
    int r = rm_read(cpu, i, 1, &v);
    if (!r) {
        cpu_set_reg8(cpu, MODRM_REG(i), (uint8_t)v);
    }
    return r;
}

int op_MOV_GvEv(Cpu *cpu, const Insn *i)
{
    unsigned sz = insn_osize(i);
    uint32_t v;
    int r = rm_read(cpu, i, sz, &v);
    if (!r) {
        reg_set(cpu, MODRM_REG(i), sz, v);
    }
    return r;
}

/* moffs forms: the decoder puts the offset in the displacement, and cpu_ea resolves it */
int op_MOV_ALOb(Cpu *cpu, const Insn *i)
{
    uint32_t v;
    int r = cpu_read(cpu, i->seg, cpu_ea(cpu, i), 1, &v);
    if (!r) {
        cpu_set_reg8(cpu, 0, (uint8_t)v);
    }
    return r;
}

int op_MOV_eAXOv(Cpu *cpu, const Insn *i)
{
    unsigned sz = insn_osize(i);
    uint32_t v;
    int r = cpu_read(cpu, i->seg, cpu_ea(cpu, i), sz, &v);
    if (!r) {
        reg_set(cpu, R_EAX, sz, v);
    }
    return r;
}

int op_MOV_ObAL(Cpu *cpu, const Insn *i)
{
    return cpu_write(cpu, i->seg, cpu_ea(cpu, i), 1, cpu_reg8(cpu, 0));
}

int op_MOV_OveAX(Cpu *cpu, const Insn *i)
{
    unsigned sz = insn_osize(i);
    return cpu_write(cpu, i->seg, cpu_ea(cpu, i), sz, reg_get(cpu, R_EAX, sz));
}

int op_MOV_ZbIb(Cpu *cpu, const Insn *i)
{
    cpu_set_reg8(cpu, i->opcode & 7, (uint8_t)i->imm);
    return 0;
}

int op_MOV_ZvIv(Cpu *cpu, const Insn *i)
{
    reg_set(cpu, i->opcode & 7, insn_osize(i), i->imm);
    return 0;
}

int op_MOV_EbIb(Cpu *cpu, const Insn *i)
{
    return rm_write(cpu, i, 1, i->imm & 0xFF);
}

int op_MOV_EvIz(Cpu *cpu, const Insn *i)
{
    unsigned sz = insn_osize(i);
    return rm_write(cpu, i, sz, i->imm & size_mask(sz));
}

/* ---- MOVZX, MOVSX, LEA ---- */

static inline int movx(Cpu *cpu, const Insn *i, unsigned src_size, bool sign)
{
    uint32_t v;
    int r = rm_read(cpu, i, src_size, &v);
    if (!r) {
        reg_set(cpu, MODRM_REG(i), insn_osize(i), sign ? sext(v, src_size) : v);
    }
    return r;
}

int op_MOVZX_GvEb(Cpu *cpu, const Insn *i)
{
    return movx(cpu, i, 1, false);
}

int op_MOVZX_GvEw(Cpu *cpu, const Insn *i)
{
    return movx(cpu, i, 2, false);
}

int op_MOVSX_GvEb(Cpu *cpu, const Insn *i)
{
    return movx(cpu, i, 1, true);
}

int op_MOVSX_GvEw(Cpu *cpu, const Insn *i)
{
    return movx(cpu, i, 2, true);
}

/* LEA: the offset at the address size, then truncated or zero-extended to the operand size
 * (SDM "LEA", table 3-54); a register source is #UD from the decoder */
int op_LEA(Cpu *cpu, const Insn *i)
{
    reg_set(cpu, MODRM_REG(i), insn_osize(i), cpu_ea(cpu, i));
    return 0;
}

/* ---- XCHG ---- */

static inline int xchg(Cpu *cpu, const Insn *i, unsigned size)
{
    uint32_t m;
    int r = rm_read_rmw(cpu, i, size, &m);
    if (r) {
        return r;
    }
    uint32_t g = reg_get(cpu, MODRM_REG(i), size);
    r = rm_write(cpu, i, size, g);
    if (!r) {
        reg_set(cpu, MODRM_REG(i), size, m);
    }
    return r;
}

int op_XCHG_EbGb(Cpu *cpu, const Insn *i)
{
    return xchg(cpu, i, 1);
}

int op_XCHG_EvGv(Cpu *cpu, const Insn *i)
{
    return xchg(cpu, i, insn_osize(i));
}

int op_XCHG_ZveAX(Cpu *cpu, const Insn *i)
{
    unsigned sz = insn_osize(i);
    int n = i->opcode & 7;
    uint32_t a = reg_get(cpu, R_EAX, sz);
    reg_set(cpu, R_EAX, sz, reg_get(cpu, n, sz));
    reg_set(cpu, n, sz, a);
    return 0;
}

/* ---- conversions, XLAT ---- */

int op_CBW(Cpu *cpu, const Insn *i)
{
    if (i->flags & INSN_OP32) {
        cpu->s.regs[R_EAX] = sext(cpu->s.regs[R_EAX], 2); /* CWDE */
    } else {
        cpu_set_reg16(cpu, R_EAX, (uint16_t)sext(cpu->s.regs[R_EAX], 1));
    }
    return 0;
}

int op_CWD(Cpu *cpu, const Insn *i)
{
    if (i->flags & INSN_OP32) {
        cpu->s.regs[R_EDX] = (cpu->s.regs[R_EAX] & 0x80000000u) ? 0xFFFFFFFFu : 0; /* CDQ */
    } else {
        cpu_set_reg16(cpu, R_EDX, (cpu->s.regs[R_EAX] & 0x8000u) ? 0xFFFF : 0);
    }
    return 0;
}

int op_XLAT(Cpu *cpu, const Insn *i)
{
    uint32_t off = (cpu->s.regs[R_EBX] + cpu_reg8(cpu, 0)) & addr_mask(i), v;
    int r = cpu_read(cpu, src_seg(i), off, 1, &v);
    if (!r) {
        cpu_set_reg8(cpu, 0, (uint8_t)v);
    }
    return r;
}

/* ---- NOPs: 90, F3 90 (PAUSE), 0F 18-1F /r (hint NOPs: no memory access) ---- */

int op_NOP(Cpu *cpu, const Insn *i)
{
    return 0;
}

int op_PAUSE(Cpu *cpu, const Insn *i)
{
    return 0;
}

#define HINT_NOP(NN)                                                                               \
    int op_NOP_Ev_##NN(Cpu *cpu, const Insn *i)                                                    \
    {                                                                                              \
        return 0;                                                                                  \
    }
HINT_NOP(18)
HINT_NOP(19)
HINT_NOP(1A)
HINT_NOP(1B)
HINT_NOP(1C)
HINT_NOP(1D)
HINT_NOP(1E)
HINT_NOP(1F)

/* ---- CMOVcc, SETcc ---- */

/* CMOVcc reads its source whatever the condition (a memory source can fault even when no move
 * happens, SDM "CMOVcc"); a false condition leaves the destination as it was */
static inline int cmov(Cpu *cpu, const Insn *i)
{
    unsigned sz = insn_osize(i);
    uint32_t v;
    int r = rm_read(cpu, i, sz, &v);
    if (!r && lazy_cond(cpu, insn_cc(i))) {
        reg_set(cpu, MODRM_REG(i), sz, v);
    }
    return r;
}

static inline int setcc(Cpu *cpu, const Insn *i)
{
    return rm_write(cpu, i, 1, lazy_cond(cpu, insn_cc(i)) ? 1 : 0);
}

#define CC_FORMS(CC)                                                                               \
    int op_CMOV##CC(Cpu *cpu, const Insn *i)                                                       \
    {                                                                                              \
        return cmov(cpu, i);                                                                       \
    }                                                                                              \
    int op_SET##CC(Cpu *cpu, const Insn *i)                                                        \
    {                                                                                              \
        return setcc(cpu, i);                                                                      \
    }
CC_FORMS(O)
CC_FORMS(NO)
CC_FORMS(B)
CC_FORMS(AE)
CC_FORMS(E)
CC_FORMS(NE)
CC_FORMS(BE)
CC_FORMS(A)
CC_FORMS(S)
CC_FORMS(NS)
CC_FORMS(P)
CC_FORMS(NP)
CC_FORMS(L)
CC_FORMS(GE)
CC_FORMS(LE)
CC_FORMS(G)

/* ---- PUSH, POP ---- */

static inline void sp_add(Cpu *cpu, uint32_t delta)
{
    uint32_t m = cpu_sp_mask(cpu);
    reg_set_masked(cpu, R_ESP, m, cpu->s.regs[R_ESP] + delta);
}

/* PUSH eSP pushes the value from before the push (386 and later) */
int op_PUSH_Zv(Cpu *cpu, const Insn *i)
{
    unsigned sz = insn_osize(i);
    return cpu_push(cpu, sz, reg_get(cpu, i->opcode & 7, sz));
}

/* POP eSP: the register gets the popped value, after the increment */
int op_POP_Zv(Cpu *cpu, const Insn *i)
{
    unsigned sz = insn_osize(i);
    uint32_t v;
    int r = cpu_pop(cpu, sz, &v);
    if (!r) {
        reg_set(cpu, i->opcode & 7, sz, v);
    }
    return r;
}

int op_PUSH_Ev(Cpu *cpu, const Insn *i)
{
    unsigned sz = insn_osize(i);
    uint32_t v;
    int r = rm_read(cpu, i, sz, &v);
    return r ? r : cpu_push(cpu, sz, v);
}

/* POP r/m: with ESP in the address, the address is computed after the increment (SDM "POP");
 * the stack is read first and ESP committed last, so a faulting store leaves ESP as it was */
int op_POP_Ev(Cpu *cpu, const Insn *i)
{
    unsigned sz = insn_osize(i);
    uint32_t v;
    if (MODRM_MOD(i) == 3) {
        int r = cpu_pop(cpu, sz, &v);
        if (!r) {
            reg_set(cpu, MODRM_RM(i), sz, v);
        }
        return r;
    }
    int r = cpu_stack_read(cpu, 0, sz, &v);
    if (r) {
        return r;
    }
    uint32_t old_esp = cpu->s.regs[R_ESP];
    sp_add(cpu, sz);
    uint32_t ea = cpu_ea(cpu, i);
    uint32_t new_esp = cpu->s.regs[R_ESP];
    cpu->s.regs[R_ESP] = old_esp;
    r = cpu_write(cpu, i->seg, ea, sz, v);
    if (!r) {
        cpu->s.regs[R_ESP] = new_esp;
    }
    return r;
}

int op_PUSH_Iz(Cpu *cpu, const Insn *i)
{
    unsigned sz = insn_osize(i);
    return cpu_push(cpu, sz, i->imm & size_mask(sz));
}

int op_PUSH_Ibs(Cpu *cpu, const Insn *i)
{
    unsigned sz = insn_osize(i);
    return cpu_push(cpu, sz, sext(i->imm, 1) & size_mask(sz));
}

/* PUSHA: AX CX DX BX, SP as it was, BP SI DI */
int op_PUSHA(Cpu *cpu, const Insn *i)
{
    unsigned sz = insn_osize(i);
    uint32_t esp0 = cpu->s.regs[R_ESP];
    for (int n = R_EAX; n <= R_EDI; n++) {
        uint32_t v = n == R_ESP ? (esp0 & size_mask(sz)) : reg_get(cpu, n, sz);
        int r = cpu_push(cpu, sz, v);
        if (r) {
            cpu->s.regs[R_ESP] = esp0;
            return r;
        }
    }
    return 0;
}

/* POPA: DI SI BP, (SP discarded), BX DX CX AX; all read before any register changes */
int op_POPA(Cpu *cpu, const Insn *i)
{
    unsigned sz = insn_osize(i);
    uint32_t v[8];
    for (int k = 0; k < 8; k++) {
        int r = cpu_stack_read(cpu, (uint32_t)k * sz, sz, &v[k]);
        if (r) {
            return r;
        }
    }
    for (int k = 0; k < 8; k++) {
        int n = R_EDI - k;
        if (n != R_ESP) {
            reg_set(cpu, n, sz, v[k]);
        }
    }
    sp_add(cpu, 8 * sz);
    return 0;
}

/* ENTER imm16, imm8 (SDM "ENTER", operation section: nesting level mod 32, the display of
 * level-1 frame pointers copied from the old frame, then the new frame pointer) */
int op_ENTER(Cpu *cpu, const Insn *i)
{
    CpuState *s = &cpu->s;
    unsigned sz = insn_osize(i);
    uint32_t alloc = i->imm & 0xFFFF, level = i->imm2 & 31, sm = cpu_sp_mask(cpu);
    uint32_t esp0 = s->regs[R_ESP], ebp0 = s->regs[R_EBP];
    int r = cpu_push(cpu, sz, reg_get(cpu, R_EBP, sz));
    if (r) {
        return r;
    }
    uint32_t frame = s->regs[R_ESP] & sm;
    if (level > 0) {
        uint32_t bp = ebp0;
        for (uint32_t k = 1; k < level; k++) {
            uint32_t v;
            bp = (bp & ~sm) | ((bp - sz) & sm);
            if ((r = cpu_read(cpu, SEG_SS, bp & sm, sz, &v)) || (r = cpu_push(cpu, sz, v))) {
                goto fault;
            }
        }
        if ((r = cpu_push(cpu, sz, frame & size_mask(sz)))) {
            goto fault;
        }
    }
    reg_set(cpu, R_EBP, sz, frame);
    /* the dynamic area is below the display: ESP - size, not frame - size */
    reg_set_masked(cpu, R_ESP, sm, s->regs[R_ESP] - alloc);
    return 0;
fault:
    s->regs[R_ESP] = esp0;
    s->regs[R_EBP] = ebp0;
    return r;
}

/* LEAVE: eSP <- eBP, then POP eBP; the pop is read before either register changes */
int op_LEAVE(Cpu *cpu, const Insn *i)
{
    unsigned sz = insn_osize(i);
    uint32_t sm = cpu_sp_mask(cpu), sp = cpu->s.regs[R_EBP] & sm, v;
    int r = cpu_read(cpu, SEG_SS, sp, sz, &v);
    if (r) {
        return r;
    }
    reg_set_masked(cpu, R_ESP, sm, sp + sz);
    reg_set(cpu, R_EBP, sz, v);
    return 0;
}
