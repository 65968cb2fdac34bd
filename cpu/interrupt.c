/* Interrupt and exception delivery in every mode, and the instructions that raise them.
 *
 * Follows SDM vol. 3 chapter 6 (6.10-6.14: the IDT, gates, stack switches, error codes; 6.15 and
 * table 6-5 for double faults) and chapter 20 (20.3: interrupts in virtual-8086 mode, the six
 * methods of table 20-2 for INT n with and without CR4.VME), and the vol. 2 pseudocode of INT n/
 * INTO/INT3/INT1, whose order of checks and error codes is kept. Every check and every read comes
 * before the first change of state; the frame is probed on the new stack before it is written, so
 * a fault during delivery leaves the machine as it was (the SDM's "restartable" delivery).
 */
#include "cpu/sys.h"
#include "mmu/log.h"

/* ---- the TSS ring stacks (shared with call gates in cpu/far.c) ---- */

int sys_tss_stack(Cpu *cpu, unsigned dpl, uint16_t *ss, uint32_t *esp)
{
    const SegReg *tr = &cpu->s.tr;
    unsigned t = tr->attr & 0xF;
    uint32_t v;
    if (t == DT_TSS32_AVAIL || t == DT_TSS32_BUSY) {
        uint32_t a = dpl * 8 + 4;
        if (a + 5 > tr->limit) {
            return sys_fault_sel(cpu, EXC_TS, tr->sel);
        }
        if (cpu_lin_read(cpu, tr->base + a, 4, true, esp) ||
            cpu_lin_read(cpu, tr->base + a + 4, 2, true, &v)) {
            return 1;
        }
    } else {
        uint32_t a = dpl * 4 + 2;
        if (a + 3 > tr->limit) {
            return sys_fault_sel(cpu, EXC_TS, tr->sel);
        }
        if (cpu_lin_read(cpu, tr->base + a, 2, true, esp) ||
            cpu_lin_read(cpu, tr->base + a + 2, 2, true, &v)) {
            return 1;
        }
    }
    *ss = (uint16_t)v;
    return 0;
}

/* New inner stack for a privilege change to `dpl`: SDM INT n "INTER-PRIVILEGE-LEVEL-INTERRUPT"
 * (and CALL's MORE-PRIVILEGE, identical but for the error codes' EXT bit). */
int sys_inner_stack(Cpu *cpu, unsigned dpl, SegReg *ss, Desc *ssd, uint32_t *esp)
{
    uint16_t sel;
    if (sys_tss_stack(cpu, dpl, &sel, esp)) {
        return 1;
    }
    if (!(sel & 0xFFFC)) {
        return cpu_raise(cpu, EXC_TS, 1, cpu->ext);
    }
    if (sys_fetch_desc(cpu, sel, ssd, EXC_TS)) {
        return 1;
    }
    if ((sel & 3) != dpl || desc_dpl(ssd) != dpl || !desc_is_writable_data(ssd)) {
        return sys_fault_sel(cpu, EXC_TS, sel);
    }
    if (!desc_present(ssd)) {
        return sys_fault_sel(cpu, EXC_SS, sel);
    }
    sys_seg_from_desc(ss, sel, ssd);
    return 0;
}

/* ---- real mode ---- */

static int int_real(Cpu *cpu, uint8_t vec)
{
    CpuState *s = &cpu->s;
    uint32_t ent;
    /* SDM INT n, REAL-ADDRESS-MODE: the IVT is at IDTR.base and its limit is checked */
    if ((uint32_t)vec * 4 + 3 > s->idtr.limit) {
        return cpu_gp(cpu, 0);
    }
    if (cpu_lin_read(cpu, s->idtr.base + (uint32_t)vec * 4, 4, true, &ent)) {
        return 1;
    }
    StackFrame f;
    sys_frame_init(&f, &s->seg[SEG_SS], s->regs[R_ESP], 2, 0);
    sys_frame_push(&f, cpu_get_eflags(cpu) & 0xFFFF);
    sys_frame_push(&f, s->seg[SEG_CS].sel);
    sys_frame_push(&f, s->eip & 0xFFFF);
    if (sys_frame_check(cpu, &f, 0)) {
        return 1;
    }
    s->regs[R_ESP] = sys_frame_commit(cpu, &f);
    s->eflags &= ~(F_IF | F_TF | F_AC);
    cpu_load_seg_real(cpu, SEG_CS, (uint16_t)(ent >> 16));
    s->eip = ent & 0xFFFF;
    return 0;
}

/* ---- V86 mode, INT n through the 8086 program's own IVT (SDM 20.3.3, methods 5 and 6) ---- */

static int int_v86_redirect(Cpu *cpu, uint8_t vec)
{
    CpuState *s = &cpu->s;
    uint32_t ent;
    bool vif_mode = cpu_iopl(cpu) < 3;
    /* the IVT at linear 0 of the V86 task, read with CPL 3 rights through paging */
    if (cpu_lin_read(cpu, (uint32_t)vec * 4, 4, false, &ent)) {
        return 1;
    }
    uint32_t fl = cpu_get_eflags(cpu) & 0xFFFF;
    if (vif_mode) {
        /* method 6: the image carries VIF in the IF position and IOPL 3 */
        fl = (fl & ~F_IF) | ((s->eflags & F_VIF) ? F_IF : 0) | F_IOPL;
    }
    StackFrame f;
    sys_frame_init(&f, &s->seg[SEG_SS], s->regs[R_ESP], 2, 3);
    sys_frame_push(&f, fl);
    sys_frame_push(&f, s->seg[SEG_CS].sel);
    sys_frame_push(&f, s->eip & 0xFFFF);
    if (sys_frame_check(cpu, &f, 0)) {
        return 1;
    }
    s->regs[R_ESP] = sys_frame_commit(cpu, &f);
    s->eflags &= ~(F_TF | (vif_mode ? F_VIF : F_IF));
    sys_load_seg_v86(cpu, SEG_CS, (uint16_t)(ent >> 16));
    s->eip = ent & 0xFFFF;
    return 0;
}

/* bit `vec` of the TSS interrupt redirection bitmap, 32 bytes below the I/O map base; a map
 * outside the TSS limit counts as all ones (handled by the protected-mode IDT) */
static int redirect_bit(Cpu *cpu, uint8_t vec, bool *set)
{
    const SegReg *tr = &cpu->s.tr;
    unsigned t = tr->attr & 0xF;
    uint32_t iobase, byte;
    *set = true;
    if ((t != DT_TSS32_AVAIL && t != DT_TSS32_BUSY) || tr->limit < 0x67) {
        return 0;
    }
    if (cpu_lin_read(cpu, tr->base + 0x66, 2, true, &iobase)) {
        return 1;
    }
    uint32_t off = iobase + vec / 8u;
    if (off < 32 || off - 32 > tr->limit) {
        return 0;
    }
    if (cpu_lin_read(cpu, tr->base + off - 32, 1, true, &byte)) {
        return 1;
    }
    *set = (byte >> (vec & 7)) & 1;
    return 0;
}

static int int_pm(Cpu *cpu, uint8_t vec, int kind, int has_error, uint32_t error);

/* INT n (opcode CD) in V86 mode: SDM table 20-2 */
static int int_v86_soft(Cpu *cpu, uint8_t vec)
{
    unsigned iopl = cpu_iopl(cpu);
    if (!(cpu->s.cr4 & CR4_VME)) {
        /* methods 1 and 2 */
        return iopl < 3 ? cpu_gp(cpu, 0) : int_pm(cpu, vec, INT_SOFT, 0, 0);
    }
    bool set;
    if (redirect_bit(cpu, vec, &set)) {
        return 1;
    }
    if (set) {
        /* methods 3 and 4 */
        return iopl < 3 ? cpu_gp(cpu, 0) : int_pm(cpu, vec, INT_SOFT, 0, 0);
    }
    return int_v86_redirect(cpu, vec); /* methods 5 and 6 */
}

/* ---- protected mode and V86 through the IDT ---- */

static int int_pm(Cpu *cpu, uint8_t vec, int kind, int has_error, uint32_t error)
{
    CpuState *s = &cpu->s;
    uint32_t idt_err = ((uint32_t)vec << 3) | 2 | cpu->ext;
    Desc g;
    if ((uint32_t)vec * 8 + 7 > s->idtr.limit) {
        return cpu_gp(cpu, idt_err);
    }
    if (cpu_lin_read(cpu, s->idtr.base + (uint32_t)vec * 8, 4, true, &g.lo) ||
        cpu_lin_read(cpu, s->idtr.base + (uint32_t)vec * 8 + 4, 4, true, &g.hi)) {
        return 1;
    }
    unsigned t = desc_type(&g);
    if (desc_s(&g) || !(t == DT_TASKGATE || t == DT_INTGATE16 || t == DT_TRAPGATE16 ||
                        t == DT_INTGATE32 || t == DT_TRAPGATE32)) {
        return cpu_gp(cpu, idt_err);
    }
    /* the gate DPL check applies to INT n, INT3 and INTO, not to INT1 or events (SDM 6.12.1.1) */
    if ((kind == INT_SOFT || kind == INT_SOFT_EXC) && desc_dpl(&g) < s->cpl) {
        return cpu_gp(cpu, ((uint32_t)vec << 3) | 2);
    }
    if (!desc_present(&g)) {
        return cpu_raise(cpu, EXC_NP, 1, idt_err);
    }

    if (t == DT_TASKGATE) {
        uint16_t tsel = gate_sel(&g);
        Desc td;
        if (tsel & 4) {
            return sys_fault_sel(cpu, EXC_GP, tsel);
        }
        if (sys_fetch_desc(cpu, tsel, &td, EXC_GP)) {
            return 1;
        }
        /* not an available TSS (busy, or not a TSS at all) -> #GP(TSS selector) */
        if (desc_s(&td) || (desc_type(&td) != DT_TSS16_AVAIL &&
                            desc_type(&td) != DT_TSS32_AVAIL)) {
            return sys_fault_sel(cpu, EXC_GP, tsel);
        }
        if (!desc_present(&td)) {
            return sys_fault_sel(cpu, EXC_NP, tsel);
        }
        return sys_task_switch(cpu, tsel, &td, TS_INT, has_error, error);
    }

    /* interrupt or trap gate */
    uint16_t csel = gate_sel(&g);
    Desc cd, ssd;
    if (!(csel & 0xFFFC)) {
        return cpu_gp(cpu, cpu->ext);
    }
    if (sys_fetch_desc(cpu, csel, &cd, EXC_GP)) {
        return 1;
    }
    unsigned dpl = desc_dpl(&cd);
    if (!desc_is_code(&cd) || dpl > s->cpl) {
        return sys_fault_sel(cpu, EXC_GP, csel);
    }
    if (!desc_present(&cd)) {
        return sys_fault_sel(cpu, EXC_NP, csel);
    }
    bool gate32 = t >= 8, v86 = (s->eflags & F_VM) != 0, inner;
    unsigned sz = gate32 ? 4 : 2;
    uint32_t off = gate32 ? gate_offset(&g) : (gate_offset(&g) & 0xFFFF);
    uint32_t fl = cpu_get_eflags(cpu);
    SegReg nss;
    uint32_t nesp, ss_err;
    StackFrame f;

    if (!desc_is_conforming(&cd) && dpl < s->cpl) {
        /* INTER-PRIVILEGE-LEVEL-INTERRUPT, or INTERRUPT-FROM-VIRTUAL-8086-MODE (to ring 0 only) */
        if (v86 && dpl != 0) {
            return sys_fault_sel(cpu, EXC_GP, csel);
        }
        if (sys_inner_stack(cpu, dpl, &nss, &ssd, &nesp)) {
            return 1;
        }
        inner = true;
        ss_err = sel_err(cpu, nss.sel);
        sys_frame_init(&f, &nss, nesp, sz, dpl);
        if (v86) {
            sys_frame_push(&f, s->seg[SEG_GS].sel);
            sys_frame_push(&f, s->seg[SEG_FS].sel);
            sys_frame_push(&f, s->seg[SEG_DS].sel);
            sys_frame_push(&f, s->seg[SEG_ES].sel);
        }
        sys_frame_push(&f, s->seg[SEG_SS].sel);
        sys_frame_push(&f, s->regs[R_ESP]);
    } else {
        /* INTRA-PRIVILEGE-LEVEL-INTERRUPT: conforming, or DPL == CPL; never from V86 */
        if (v86 || (!desc_is_conforming(&cd) && dpl != s->cpl)) {
            return sys_fault_sel(cpu, EXC_GP, csel);
        }
        inner = false;
        dpl = s->cpl;
        ss_err = cpu->ext;
        sys_frame_init(&f, &s->seg[SEG_SS], s->regs[R_ESP], sz, dpl);
    }
    sys_frame_push(&f, gate32 ? fl : (fl & 0xFFFF));
    sys_frame_push(&f, s->seg[SEG_CS].sel);
    sys_frame_push(&f, gate32 ? s->eip : (s->eip & 0xFFFF));
    if (has_error) {
        sys_frame_push(&f, gate32 ? error : (error & 0xFFFF));
    }
    if (sys_frame_check(cpu, &f, ss_err)) {
        return 1;
    }
    if (off > desc_limit(&cd)) {
        return cpu_gp(cpu, cpu->ext);
    }
    if (sys_set_accessed(cpu, csel, &cd) || (inner && sys_set_accessed(cpu, nss.sel, &ssd))) {
        return 1;
    }

    /* commit */
    uint32_t esp = sys_frame_commit(cpu, &f);
    if (inner) {
        s->seg[SEG_SS] = nss;
        s->seg[SEG_SS].attr |= 1; /* accessed, as now in the descriptor */
    }
    s->regs[R_ESP] = esp;
    if (v86) {
        /* the segment registers of the V86 task are unusable in protected mode */
        sys_load_null(cpu, SEG_GS, 0);
        sys_load_null(cpu, SEG_FS, 0);
        sys_load_null(cpu, SEG_DS, 0);
        sys_load_null(cpu, SEG_ES, 0);
    }
    sys_load_cs(cpu, csel, &cd, dpl);
    s->eip = off;
    s->eflags &= ~(F_TF | F_NT | F_RF | F_VM);
    if (t == DT_INTGATE16 || t == DT_INTGATE32) {
        s->eflags &= ~F_IF;
    }
    if (v86) {
        cpu_update_mode(cpu);
    }
    return 0;
}

int cpu_interrupt(Cpu *cpu, uint8_t vector, int kind, int has_error, uint32_t error)
{
    int r;
    /* EXT: the event was not caused by the program (SDM 6.13); INT1 counts as external */
    cpu->ext = (kind == INT_EXT || kind == INT_EXC || kind == INT_ICEBP) ? 1 : 0;
    if (kind == INT_EXC) {
        /* only #DF, #TS, #NP, #SS, #GP, #PF and #AC push an error code (SDM table 6-1) */
        has_error = vector == EXC_DF || (vector >= EXC_TS && vector <= EXC_PF) ||
                    vector == EXC_AC;
    } else if (kind != INT_EXT) {
        has_error = 0;
    }
    if (cpu->dbg.vec_any) { /* debugger: stop on this vector (after its delivery) */
        cpu_dbg_vector(cpu, vector);
    }
    if (!cpu_pm(cpu)) {
        r = int_real(cpu, vector); /* no error codes in real mode */
    } else if (cpu_v86(cpu) && kind == INT_SOFT) {
        r = int_v86_soft(cpu, vector);
    } else {
        r = int_pm(cpu, vector, kind, has_error, error);
    }
    cpu->ext = 0;
    if (r == 0) {
        xlog(LOG_INT, "int 0x%02x kind %d err %x -> %04x:%08x", vector, kind, error,
             cpu->s.seg[SEG_CS].sel, cpu->s.eip);
    }
    return r;
}

/* ---- exceptions: double and triple faults ---- */

enum { XC_BENIGN, XC_CONTRIB, XC_PF, XC_DF };

static int exc_class(unsigned v)
{
    if (v == EXC_DE || (v >= EXC_TS && v <= EXC_GP)) {
        return XC_CONTRIB;
    }
    if (v == EXC_PF) {
        return XC_PF;
    }
    return v == EXC_DF ? XC_DF : XC_BENIGN;
}

static void shutdown(Cpu *cpu)
{
    xlog(LOG_CPU, "triple fault at %04x:%08x: shutdown", cpu->s.seg[SEG_CS].sel, cpu->s.eip);
    cpu->shutdown = 1;
    cpu_request_exit(cpu);
    if (cpu->on_shutdown) {
        cpu->on_shutdown(cpu->board_opaque);
    }
}

void cpu_deliver_exception(Cpu *cpu)
{
    CpuState *s = &cpu->s;
    unsigned vec = s->exc_vector;
    int has = s->exc_has_error;
    uint32_t err = s->exc_error;
    /* a benign first event is followed by at most a contributory/#PF one, then #DF, then
     * shutdown: the bound only guards against surprises */
    for (int tries = 0; tries < 8; tries++) {
        if (cpu_interrupt(cpu, (uint8_t)vec, INT_EXC, has, err) == 0) {
            return;
        }
        unsigned nv = s->exc_vector;
        int c1 = exc_class(vec), c2 = exc_class(nv);
        if (c1 == XC_DF) {
            break; /* a fault while delivering #DF: triple fault (SDM 6.15, interrupt 8) */
        }
        if ((c1 == XC_CONTRIB && c2 == XC_CONTRIB) ||
            (c1 == XC_PF && (c2 == XC_CONTRIB || c2 == XC_PF))) {
            vec = EXC_DF; /* table 6-5 */
            has = 1;
            err = 0;
        } else {
            vec = nv; /* handled serially */
            has = s->exc_has_error;
            err = s->exc_error;
        }
    }
    shutdown(cpu);
}

/* ---- instructions ---- */

int op_INT_Ib(Cpu *cpu, const Insn *i)
{
    return cpu_interrupt(cpu, (uint8_t)i->imm, INT_SOFT, 0, 0);
}

int op_INT3(Cpu *cpu, const Insn *i)
{
    return cpu_interrupt(cpu, EXC_BP, INT_SOFT_EXC, 0, 0);
}

int op_INTO(Cpu *cpu, const Insn *i)
{
    return cpu_of(cpu) ? cpu_interrupt(cpu, EXC_OF, INT_SOFT_EXC, 0, 0) : 0;
}

int op_INT1(Cpu *cpu, const Insn *i)
{
    return cpu_interrupt(cpu, EXC_DB, INT_ICEBP, 0, 0);
}

int op_BOUND(Cpu *cpu, const Insn *i)
{
    unsigned sz = insn_osize(i);
    uint32_t lo, hi;
    if (!(i->flags & INSN_MEM)) {
        return cpu_ud(cpu);
    }
    uint32_t ea = cpu_ea(cpu, i);
    uint32_t amask = (i->flags & INSN_ADDR32) ? 0xFFFFFFFFu : 0xFFFFu;
    if (cpu_read(cpu, i->seg, ea, sz, &lo) || cpu_read(cpu, i->seg, (ea + sz) & amask, sz, &hi)) {
        return 1;
    }
    int32_t idx, l, h;
    if (sz == 2) {
        idx = (int16_t)(uint16_t)cpu->s.regs[MODRM_REG(i)];
        l = (int16_t)(uint16_t)lo;
        h = (int16_t)(uint16_t)hi;
    } else {
        idx = (int32_t)cpu->s.regs[MODRM_REG(i)];
        l = (int32_t)lo;
        h = (int32_t)hi;
    }
    return (idx < l || idx > h) ? cpu_raise(cpu, EXC_BR, 0, 0) : 0;
}

int op_HLT(Cpu *cpu, const Insn *i)
{
    if (cpu->s.cpl != 0) {
        return cpu_gp(cpu, 0); /* CPL 3 in V86 mode too */
    }
    cpu->s.halted = 1; /* the run loop stops at the next boundary (handle_events) */
    return 0;
}
