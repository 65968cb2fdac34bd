/* The interpreter's x87 handlers: D8-DF (every form of the opcode table, the undocumented
 * aliases included), WAIT/FWAIT (9B) and FXSAVE/FXRSTOR (0F AE /0 /1), driving the FPU of
 * cpu/x87.c through the sequence its header gives.
 *
 * SDM vol. 1 8.1.8 (FIP/FCS/FDP/FDS), 8.7 and appendix D (#MF with CR0.NE = 1, FERR# and IRQ13
 * with CR0.NE = 0), vol. 3 2.5 and table 2-2 (CR0.EM/MP/TS: #NM for x87 and WAIT), vol. 2 the
 * FXSAVE/FXRSTOR pages (16-byte alignment #GP(0), #NM with TS, #UD with EM or without FXSR,
 * MXCSR and XMM0-7 only with CR4.OSFXSR on a CPU with SSE).
 *
 * Every x87 instruction goes through x87_insn(): the 150-odd op_<NAME> functions are one-line
 * wrappers generated from X87_HANDLERS below (tests/unit/test_dispatch.c checks the list covers
 * the table). Memory operands are moved here, in pieces that never fault half-way: the operand
 * is read whole before the FPU changes, and a store is probed whole before its first byte is
 * written.
 *
 * FERR#: the pin follows the ES bit, whatever CR0.NE says (SDM vol. 1 D.4.2: with NE = 1 an OS
 * keeps IRQ13 masked). The board learns of every change through cpu->ferr. Departure: the pin
 * rises when the exception is flagged, not at the next waiting instruction as on a P6, and the
 * processor does not freeze there with CR0.NE = 0 (x87.h step 2: the interrupt is already on its
 * way and the instruction proceeds, as if IGNNE# were asserted).
 */
#include "cpu/intops.h"
#include "cpu/x87.h"
#include "cpu/x87ops.h"

#define CPUID_FXSR_BIT (1u << 24)

/* ---- FERR# ---- */

void x87_update_ferr(Cpu *cpu)
{
    uint8_t level = (uint8_t)x87_ferr(&cpu->s.fpu);
    if (level != cpu->ferr_level) {
        cpu->ferr_level = level;
        if (cpu->ferr) {
            cpu->ferr(cpu->board_opaque, level);
        }
    }
}

/* ---- operands in memory ---- */

/* Reads n bytes at seg:off. Pieces are dwords where the linear address is dword-aligned and
 * bytes elsewhere, so no piece can raise #AC; operands of 2, 4 and 8 bytes are checked as
 * such first. Nothing changes on a fault. */
int x87_mem_read(Cpu *cpu, int seg, uint32_t off, unsigned n, uint8_t *buf)
{
    uint32_t v;
    if (n == 2 || n == 4) {
        if (cpu_read(cpu, seg, off, n, &v)) {
            return 1;
        }
        for (unsigned k = 0; k < n; k++) {
            buf[k] = (uint8_t)(v >> (8 * k));
        }
        return 0;
    }
    /* the whole operand must lie inside the segment, whatever order the pieces take */
    if (n > 1 && cpu_read(cpu, seg, off + n - 1, 1, &v)) {
        return 1;
    }
    uint32_t base = cpu->s.seg[seg].base;
    for (unsigned k = 0; k < n;) {
        unsigned sz = (n - k >= 4 && ((base + off + k) & 3) == 0) ? 4 : 1;
        if (cpu_read(cpu, seg, off + k, sz, &v)) {
            return 1;
        }
        for (unsigned b = 0; b < sz; b++) {
            buf[k + b] = (uint8_t)(v >> (8 * b));
        }
        k += sz;
    }
    return 0;
}

/* Checks that n bytes at seg:off can be written: segment rights and limit and both ends'
 * pages (n <= 512 spans at most two pages); 2-, 4- and 8-byte operands also get the #AC
 * check of their size. */
int x87_mem_probe(Cpu *cpu, int seg, uint32_t off, unsigned n)
{
    if (n == 2 || n == 4 || n == 8) {
        return cpu_probe_write(cpu, seg, off, n);
    }
    if (cpu_probe_write(cpu, seg, off, 1)) {
        return 1;
    }
    return n > 1 && cpu_probe_write(cpu, seg, off + n - 1, 1);
}

/* Writes n bytes that x87_mem_probe() accepted, in pieces that cannot fault. */
int x87_mem_write(Cpu *cpu, int seg, uint32_t off, unsigned n, const uint8_t *buf)
{
    uint32_t base = cpu->s.seg[seg].base;
    for (unsigned k = 0; k < n;) {
        unsigned sz = (n - k >= 4 && ((base + off + k) & 3) == 0) ? 4 : 1;
        uint32_t v = 0;
        for (unsigned b = 0; b < sz; b++) {
            v |= (uint32_t)buf[k + b] << (8 * b);
        }
        if (cpu_write(cpu, seg, off + k, sz, v)) {
            return 1;
        }
        k += sz;
    }
    return 0;
}

/* ---- availability ---- */

/* #NM for CR0.EM or CR0.TS, then the pending-exception rule of waiting instructions: #MF with
 * CR0.NE = 1; with NE = 0 FERR# has already asked for IRQ13 and the instruction goes on. */
static int x87_check(Cpu *cpu, int waits)
{
    const CpuState *s = &cpu->s;
    if (s->cr0 & (CR0_EM | CR0_TS)) {
        return cpu_raise(cpu, EXC_NM, 0, 0);
    }
    if (waits && x87_pending(&s->fpu) && (s->cr0 & CR0_NE)) {
        return cpu_raise(cpu, EXC_MF, 0, 0);
    }
    return 0;
}

/* ---- D8-DF ---- */

static int x87_insn(Cpu *cpu, const Insn *i)
{
    CpuState *s = &cpu->s;
    uint8_t op = (uint8_t)(0xD8 | (i->opcode & 7));
    uint8_t modrm = i->modrm;
    if (x87_check(cpu, x87_insn_waits(op, modrm))) {
        return 1;
    }
    int opsize32 = (i->flags & INSN_OP32) != 0;
    int load = 0, store = 0;
    x87_mem_access(op, modrm, opsize32, &load, &store);
    X87Insn in = {
        .op = op,
        .modrm = modrm,
        .opsize32 = (uint8_t)opsize32,
        .pmode = cpu->mode == MODE_PROT,
        .cs = s->seg[SEG_CS].sel,
        .eip = cpu->insn_eip,
    };
    /* FCMOVcc (DA/DB C0-DF) reads CF, ZF and PF: only then materialise the lazy flags */
    if (modrm >= 0xC0 && (op & 6) == 2 && modrm < 0xE0) {
        in.eflags = cpu_get_eflags(cpu);
    }
    uint8_t lbuf[108];
    uint32_t off = 0;
    if (modrm < 0xC0) {
        off = cpu_ea(cpu, i);
        in.ds = s->seg[i->seg].sel;
        in.ea = off;
        if (load && x87_mem_read(cpu, i->seg, off, (unsigned)load, lbuf)) {
            return 1;
        }
    }
    uint8_t sbuf[108];
    FpuState saved;
    if (store) {
        saved = s->fpu;
    }
    X87Out out;
    if (x87_exec(&s->fpu, &in, load ? lbuf : NULL, sbuf, &out) != X87_OK) {
        return cpu_ud(cpu);
    }
    if (out.store_len) {
        if (x87_mem_probe(cpu, i->seg, off, out.store_len) ||
            x87_mem_write(cpu, i->seg, off, out.store_len, sbuf)) {
            s->fpu = saved;
            return 1;
        }
    }
    if (out.set_eflags) {
        cpu_set_flags_mask(cpu, F_ARITH, out.eflags & (F_ZF | F_PF | F_CF));
    }
    if (out.set_ax) {
        cpu_set_reg16(cpu, R_EAX, out.ax);
    }
    x87_update_ferr(cpu);
    return 0;
}

/* Every D8-DF entry of decoder/opcodes.def but the #UD (FISTTP) ones. */
#define X87_HANDLERS(X)                                                                          \
    X(FADD_Md) X(FMUL_Md) X(FCOM_Md) X(FCOMP_Md) X(FSUB_Md) X(FSUBR_Md) X(FDIV_Md) X(FDIVR_Md)   \
    X(FADD_ST0STi) X(FMUL_ST0STi) X(FCOM_STi) X(FCOMP_STi) X(FSUB_ST0STi) X(FSUBR_ST0STi)        \
    X(FDIV_ST0STi) X(FDIVR_ST0STi)                                                               \
    X(FLD_Md) X(FST_Md) X(FSTP_Md) X(FLDENV) X(FLDCW) X(FNSTENV) X(FNSTCW) X(FLD_STi)            \
    X(FXCH_STi) X(FNOP) X(FSTP1_STi) X(FCHS) X(FABS) X(FTST) X(FXAM) X(FLD1) X(FLDL2T)           \
    X(FLDL2E) X(FLDPI) X(FLDLG2) X(FLDLN2) X(FLDZ) X(F2XM1) X(FYL2X) X(FPTAN) X(FPATAN)          \
    X(FXTRACT) X(FPREM1) X(FDECSTP) X(FINCSTP) X(FPREM) X(FYL2XP1) X(FSQRT) X(FSINCOS)          \
    X(FRNDINT) X(FSCALE) X(FSIN) X(FCOS)                                                         \
    X(FIADD_Md) X(FIMUL_Md) X(FICOM_Md) X(FICOMP_Md) X(FISUB_Md) X(FISUBR_Md) X(FIDIV_Md)        \
    X(FIDIVR_Md) X(FCMOVB) X(FCMOVE) X(FCMOVBE) X(FCMOVU) X(FUCOMPP)                             \
    X(FILD_Md) X(FIST_Md) X(FISTP_Md) X(FLD_Mt) X(FSTP_Mt) X(FCMOVNB) X(FCMOVNE) X(FCMOVNBE)     \
    X(FCMOVNU) X(FENI) X(FDISI) X(FNCLEX) X(FNINIT) X(FSETPM) X(FUCOMI) X(FCOMI)                 \
    X(FADD_Mq) X(FMUL_Mq) X(FCOM_Mq) X(FCOMP_Mq) X(FSUB_Mq) X(FSUBR_Mq) X(FDIV_Mq) X(FDIVR_Mq)   \
    X(FADD_STiST0) X(FMUL_STiST0) X(FCOM2_STi) X(FCOMP3_STi) X(FSUBR_STiST0) X(FSUB_STiST0)      \
    X(FDIVR_STiST0) X(FDIV_STiST0)                                                               \
    X(FLD_Mq) X(FST_Mq) X(FSTP_Mq) X(FRSTOR) X(FNSAVE) X(FNSTSW_Mw) X(FFREE) X(FXCH4)            \
    X(FST_STi) X(FSTP_STi) X(FUCOM) X(FUCOMP)                                                    \
    X(FIADD_Mw) X(FIMUL_Mw) X(FICOM_Mw) X(FICOMP_Mw) X(FISUB_Mw) X(FISUBR_Mw) X(FIDIV_Mw)        \
    X(FIDIVR_Mw) X(FADDP) X(FMULP) X(FCOMP5_STi) X(FCOMPP) X(FSUBRP) X(FSUBP) X(FDIVRP)          \
    X(FDIVP)                                                                                     \
    X(FILD_Mw) X(FIST_Mw) X(FISTP_Mw) X(FBLD) X(FILD_Mq) X(FBSTP) X(FISTP_Mq) X(FFREEP)          \
    X(FXCH7) X(FSTP8) X(FSTP9) X(FNSTSW_AX) X(FUCOMIP) X(FCOMIP)

#define X87_DEFINE(name)                                                                         \
    int op_##name(Cpu *cpu, const Insn *i)                                                       \
    {                                                                                            \
        return x87_insn(cpu, i);                                                                 \
    }
X87_HANDLERS(X87_DEFINE)
#undef X87_DEFINE

/* ---- WAIT ---- */

/* #NM only when both TS and MP are set (SDM vol. 3 table 2-2), then pending exceptions. */
int op_FWAIT(Cpu *cpu, const Insn *i)
{
    (void)i;
    const CpuState *s = &cpu->s;
    if ((s->cr0 & (CR0_TS | CR0_MP)) == (CR0_TS | CR0_MP)) {
        return cpu_raise(cpu, EXC_NM, 0, 0);
    }
    if (x87_pending(&s->fpu) && (s->cr0 & CR0_NE)) {
        return cpu_raise(cpu, EXC_MF, 0, 0);
    }
    return 0;
}

/* ---- FXSAVE / FXRSTOR ---- */

/* #UD without FXSR or with CR0.EM, #NM with CR0.TS, #GP(0) unless the operand's linear address
 * is 16-byte aligned. No pending-exception check: both are non-waiting. */
static int fx_check(Cpu *cpu, const Insn *i, uint32_t *off)
{
    const CpuState *s = &cpu->s;
    if (!(cpu->model->cpuid_edx & CPUID_FXSR_BIT) || (s->cr0 & CR0_EM)) {
        return cpu_ud(cpu);
    }
    if (s->cr0 & CR0_TS) {
        return cpu_raise(cpu, EXC_NM, 0, 0);
    }
    *off = cpu_ea(cpu, i);
    if ((s->seg[i->seg].base + *off) & 15) {
        return cpu_gp(cpu, 0);
    }
    return 0;
}

static int fx_with_sse(const Cpu *cpu)
{
    return (cpu->model->isa_mask & (1u << SSE)) && (cpu->s.cr4 & CR4_OSFXSR);
}

/* Bytes 0-159 hold the x87 state, 160-287 XMM0-7; the rest of the 512 is not written. */
int op_FXSAVE(Cpu *cpu, const Insn *i)
{
    uint32_t off;
    if (fx_check(cpu, i, &off) || x87_mem_probe(cpu, i->seg, off, 512)) {
        return 1;
    }
    int sse = fx_with_sse(cpu);
    uint8_t img[512];
    x87_fxsave(&cpu->s.fpu, cpu->s.mxcsr, cpu->s.xmm, sse, img);
    return x87_mem_write(cpu, i->seg, off, sse ? 288 : 160, img);
}

int op_FXRSTOR(Cpu *cpu, const Insn *i)
{
    uint32_t off;
    uint8_t img[512];
    if (fx_check(cpu, i, &off) || x87_mem_read(cpu, i->seg, off, 288, img)) {
        return 1;
    }
    uint32_t v;
    if (cpu_read(cpu, i->seg, off + 511, 1, &v)) { /* the whole image must be readable */
        return 1;
    }
    CpuState *s = &cpu->s;
    if (x87_fxrstor(&s->fpu, &s->mxcsr, s->xmm, fx_with_sse(cpu), img)) {
        return cpu_gp(cpu, 0);
    }
    x87_update_ferr(cpu);
    return 0;
}
