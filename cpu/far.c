/* Far transfers: JMP and CALL through code segments, call gates, task gates and TSS descriptors;
 * RETF; IRET in real, protected and virtual-8086 mode.
 *
 * Follows the vol. 2 pseudocode of JMP, CALL, RET and IRET/IRETD (SDM), keeping its order of
 * checks and its error codes, with SDM vol. 3 5.8 (privilege rules of control transfers, call
 * gates and stack switching), 7.3 (task switches, cpu/task.c) and 20.3/20.4 (IRET and VME). The
 * whole new state is computed and every fault checked before any register changes; stack frames
 * are probed before they are written (cpu/seg.c). In real and V86 mode a far transfer loads CS
 * the 8086 way and only checks the new IP against the CS limit.
 */
#include "cpu/sys.h"

/* ---- real and V86 mode ---- */

static int far_real(Cpu *cpu, uint16_t sel, uint32_t off, unsigned osize, bool call)
{
    CpuState *s = &cpu->s;
    StackFrame f;
    if (osize == 2) {
        off &= 0xFFFF;
    }
    if (call) {
        sys_frame_init(&f, &s->seg[SEG_SS], s->regs[R_ESP], osize, s->cpl);
        sys_frame_push(&f, s->seg[SEG_CS].sel);
        sys_frame_push(&f, osize == 2 ? (s->eip & 0xFFFF) : s->eip);
        if (sys_frame_check(cpu, &f, 0)) {
            return 1;
        }
    }
    /* the limit that will apply: real mode keeps the cached one, V86 has 64 KB */
    uint32_t limit = cpu_v86(cpu) ? 0xFFFF : s->seg[SEG_CS].limit;
    if (off > limit) {
        return cpu_gp(cpu, 0);
    }
    if (call) {
        s->regs[R_ESP] = sys_frame_commit(cpu, &f);
    }
    cpu_load_seg_real(cpu, SEG_CS, sel);
    s->eip = off;
    return 0;
}

/* ---- protected mode ---- */

/* JMP/CALL to a TSS through a task gate or directly: the checks the SDM gives both. */
static int far_task_gate(Cpu *cpu, const Desc *g, int kind)
{
    uint16_t tsel = gate_sel(g);
    Desc td;
    if (tsel & 4) {
        return sys_fault_sel(cpu, EXC_GP, tsel);
    }
    if (sys_fetch_desc(cpu, tsel, &td, EXC_GP)) {
        return 1;
    }
    if (desc_s(&td) || (desc_type(&td) != DT_TSS16_AVAIL && desc_type(&td) != DT_TSS32_AVAIL)) {
        return sys_fault_sel(cpu, EXC_GP, tsel);
    }
    if (!desc_present(&td)) {
        return sys_fault_sel(cpu, EXC_NP, tsel);
    }
    return sys_task_switch(cpu, tsel, &td, kind, 0, 0);
}

/* A far JMP/CALL to a selector that is not a code segment: gates and TSS descriptors. */
static int far_system(Cpu *cpu, uint16_t sel, Desc *d, bool call)
{
    CpuState *s = &cpu->s;
    unsigned t = desc_type(d), gdpl = desc_dpl(d), rpl = sel & 3, cpl = s->cpl;
    int kind = call ? TS_CALL : TS_JMP;
    switch (t) {
    case DT_TSS16_AVAIL:
    case DT_TSS32_AVAIL:
    case DT_TASKGATE:
        if (gdpl < cpl || gdpl < rpl) {
            return sys_fault_sel(cpu, EXC_GP, sel);
        }
        if (!desc_present(d)) {
            return sys_fault_sel(cpu, EXC_NP, sel);
        }
        return t == DT_TASKGATE ? far_task_gate(cpu, d, kind)
                                : sys_task_switch(cpu, sel, d, kind, 0, 0);
    case DT_CALLGATE16:
    case DT_CALLGATE32:
        break;
    default:
        return sys_fault_sel(cpu, EXC_GP, sel); /* busy TSS, LDT, interrupt/trap gates */
    }

    /* call gate */
    if (gdpl < cpl || rpl > gdpl) {
        return sys_fault_sel(cpu, EXC_GP, sel);
    }
    if (!desc_present(d)) {
        return sys_fault_sel(cpu, EXC_NP, sel);
    }
    uint16_t csel = gate_sel(d);
    Desc cd, ssd;
    if (!(csel & 0xFFFC)) {
        return cpu_gp(cpu, 0);
    }
    if (sys_fetch_desc(cpu, csel, &cd, EXC_GP)) {
        return 1;
    }
    unsigned cdpl = desc_dpl(&cd);
    bool conf = desc_is_conforming(&cd);
    /* JMP through a gate cannot change privilege: nonconforming needs DPL == CPL */
    if (!desc_is_code(&cd) || cdpl > cpl || (!call && !conf && cdpl != cpl)) {
        return sys_fault_sel(cpu, EXC_GP, csel);
    }
    if (!desc_present(&cd)) {
        return sys_fault_sel(cpu, EXC_NP, csel);
    }
    bool gate32 = t == DT_CALLGATE32;
    unsigned sz = gate32 ? 4 : 2;
    uint32_t off = gate32 ? gate_offset(d) : (gate_offset(d) & 0xFFFF);
    bool inner = call && !conf && cdpl < cpl;
    StackFrame f;
    SegReg nss;
    uint32_t nesp;

    if (inner) {
        /* MORE-PRIVILEGE: new stack from the TSS, parameters copied from the caller's */
        if (sys_inner_stack(cpu, cdpl, &nss, &ssd, &nesp)) {
            return 1;
        }
        sys_frame_init(&f, &nss, nesp, sz, cdpl);
        sys_frame_push(&f, s->seg[SEG_SS].sel);
        sys_frame_push(&f, gate32 ? s->regs[R_ESP] : (s->regs[R_ESP] & 0xFFFF));
        for (int k = (int)gate_params(d) - 1; k >= 0; k--) {
            uint32_t p;
            if (cpu_stack_read(cpu, (uint32_t)k * sz, sz, &p)) {
                return 1;
            }
            sys_frame_push(&f, p);
        }
        sys_frame_push(&f, s->seg[SEG_CS].sel);
        sys_frame_push(&f, gate32 ? s->eip : (s->eip & 0xFFFF));
        if (sys_frame_check(cpu, &f, sel_err(cpu, nss.sel))) {
            return 1;
        }
    } else if (call) {
        sys_frame_init(&f, &s->seg[SEG_SS], s->regs[R_ESP], sz, cpl);
        sys_frame_push(&f, s->seg[SEG_CS].sel);
        sys_frame_push(&f, gate32 ? s->eip : (s->eip & 0xFFFF));
        if (sys_frame_check(cpu, &f, 0)) {
            return 1;
        }
    }
    if (off > desc_limit(&cd)) {
        return cpu_gp(cpu, 0);
    }
    if (sys_set_accessed(cpu, csel, &cd) || (inner && sys_set_accessed(cpu, nss.sel, &ssd))) {
        return 1;
    }
    if (inner) {
        s->regs[R_ESP] = sys_frame_commit(cpu, &f);
        s->seg[SEG_SS] = nss;
        s->seg[SEG_SS].attr |= 1;
        sys_load_cs(cpu, csel, &cd, cdpl);
    } else {
        if (call) {
            s->regs[R_ESP] = sys_frame_commit(cpu, &f);
        }
        sys_load_cs(cpu, csel, &cd, cpl);
    }
    s->eip = off;
    return 0;
}

static int far_pm(Cpu *cpu, uint16_t sel, uint32_t off, unsigned osize, bool call)
{
    CpuState *s = &cpu->s;
    Desc d;
    if (!(sel & 0xFFFC)) {
        return cpu_gp(cpu, 0);
    }
    if (sys_fetch_desc(cpu, sel, &d, EXC_GP)) {
        return 1;
    }
    if (!desc_s(&d)) {
        return far_system(cpu, sel, &d, call);
    }
    if (!desc_is_code(&d)) {
        return sys_fault_sel(cpu, EXC_GP, sel);
    }
    unsigned dpl = desc_dpl(&d), rpl = sel & 3, cpl = s->cpl;
    if (desc_is_conforming(&d) ? dpl > cpl : (rpl > cpl || dpl != cpl)) {
        return sys_fault_sel(cpu, EXC_GP, sel);
    }
    if (!desc_present(&d)) {
        return sys_fault_sel(cpu, EXC_NP, sel);
    }
    StackFrame f;
    if (call) {
        sys_frame_init(&f, &s->seg[SEG_SS], s->regs[R_ESP], osize, cpl);
        sys_frame_push(&f, s->seg[SEG_CS].sel);
        sys_frame_push(&f, osize == 2 ? (s->eip & 0xFFFF) : s->eip);
        if (sys_frame_check(cpu, &f, 0)) {
            return 1;
        }
    }
    if (osize == 2) {
        off &= 0xFFFF;
    }
    if (off > desc_limit(&d)) {
        return cpu_gp(cpu, 0);
    }
    if (sys_set_accessed(cpu, sel, &d)) {
        return 1;
    }
    if (call) {
        s->regs[R_ESP] = sys_frame_commit(cpu, &f);
    }
    sys_load_cs(cpu, sel, &d, cpl); /* RPL becomes CPL, also for conforming segments */
    s->eip = off;
    return 0;
}

int cpu_far_jump(Cpu *cpu, uint16_t sel, uint32_t off, unsigned osize)
{
    if (!cpu_pm(cpu) || cpu_v86(cpu)) {
        return far_real(cpu, sel, off, osize, false);
    }
    return far_pm(cpu, sel, off, osize, false);
}

int cpu_far_call(Cpu *cpu, uint16_t sel, uint32_t off, unsigned osize)
{
    if (!cpu_pm(cpu) || cpu_v86(cpu)) {
        return far_real(cpu, sel, off, osize, true);
    }
    return far_pm(cpu, sel, off, osize, true);
}

/* ---- returns ---- */

/* The checks RETF and IRET share on the popped CS (SDM RET/IRET, "PROTECTED-MODE-RETURN"). */
static int check_return_cs(Cpu *cpu, uint16_t sel, Desc *d)
{
    if (!(sel & 0xFFFC)) {
        return cpu_gp(cpu, 0);
    }
    if (sys_fetch_desc(cpu, sel, d, EXC_GP)) {
        return 1;
    }
    unsigned rpl = sel & 3, dpl = desc_dpl(d);
    if (!desc_is_code(d) || rpl < cpu->s.cpl ||
        (desc_is_conforming(d) ? dpl > rpl : dpl != rpl)) {
        return sys_fault_sel(cpu, EXC_GP, sel);
    }
    if (!desc_present(d)) {
        return sys_fault_sel(cpu, EXC_NP, sel);
    }
    return 0;
}

/* The stack of the outer level (RETURN-TO-OUTER-PRIVILEGE-LEVEL). */
static int check_return_ss(Cpu *cpu, uint16_t ssel, unsigned rpl, Desc *d)
{
    if (!(ssel & 0xFFFC)) {
        return cpu_gp(cpu, 0);
    }
    if (sys_fetch_desc(cpu, ssel, d, EXC_GP)) {
        return 1;
    }
    if ((ssel & 3) != rpl || !desc_is_writable_data(d) || desc_dpl(d) != rpl) {
        return sys_fault_sel(cpu, EXC_GP, ssel);
    }
    if (!desc_present(d)) {
        return sys_fault_sel(cpu, EXC_SS, ssel);
    }
    return 0;
}

int cpu_far_ret(Cpu *cpu, unsigned osize, uint16_t pop_bytes)
{
    CpuState *s = &cpu->s;
    uint32_t eip, cs, spmask = cpu_sp_mask(cpu);
    if (cpu_stack_read(cpu, 0, osize, &eip) || cpu_stack_read(cpu, osize, osize, &cs)) {
        return 1;
    }
    uint16_t sel = (uint16_t)cs;
    if (!cpu_pm(cpu) || cpu_v86(cpu)) {
        uint32_t limit = cpu_v86(cpu) ? 0xFFFF : s->seg[SEG_CS].limit;
        if (eip > limit) {
            return cpu_gp(cpu, 0);
        }
        cpu_load_seg_real(cpu, SEG_CS, sel);
        s->eip = eip;
        sys_set_esp(cpu, s->regs[R_ESP] + 2 * osize + pop_bytes, spmask);
        return 0;
    }
    Desc cd, sd;
    if (check_return_cs(cpu, sel, &cd)) {
        return 1;
    }
    unsigned rpl = sel & 3;
    if (rpl > s->cpl) {
        /* RETURN-TO-OUTER-PRIVILEGE-LEVEL: SS:ESP above the parameters */
        uint32_t nesp, nss;
        if (cpu_stack_read(cpu, 2 * osize + pop_bytes, osize, &nesp) ||
            cpu_stack_read(cpu, 3 * osize + pop_bytes, osize, &nss)) {
            return 1;
        }
        if (check_return_ss(cpu, (uint16_t)nss, rpl, &sd)) {
            return 1;
        }
        if (eip > desc_limit(&cd)) {
            return cpu_gp(cpu, 0);
        }
        if (sys_set_accessed(cpu, sel, &cd) || sys_set_accessed(cpu, (uint16_t)nss, &sd)) {
            return 1;
        }
        sys_load_cs(cpu, sel, &cd, rpl);
        s->eip = eip;
        sys_seg_from_desc(&s->seg[SEG_SS], (uint16_t)nss, &sd);
        s->regs[R_ESP] = nesp;
        sys_set_esp(cpu, nesp + pop_bytes, cpu_sp_mask(cpu));
        sys_null_outer_segs(cpu);
        return 0;
    }
    if (eip > desc_limit(&cd)) {
        return cpu_gp(cpu, 0);
    }
    if (sys_set_accessed(cpu, sel, &cd)) {
        return 1;
    }
    sys_load_cs(cpu, sel, &cd, s->cpl);
    s->eip = eip;
    sys_set_esp(cpu, s->regs[R_ESP] + 2 * osize + pop_bytes, spmask);
    return 0;
}

/* ---- IRET ---- */

#define FL_LOW 0x7FD5u /* every writable bit of FLAGS */

static int iret_real(Cpu *cpu, unsigned osize)
{
    CpuState *s = &cpu->s;
    uint32_t eip, cs, fl, spmask = cpu_sp_mask(cpu);
    if (cpu_stack_read(cpu, 0, osize, &eip) || cpu_stack_read(cpu, osize, osize, &cs) ||
        cpu_stack_read(cpu, 2 * osize, osize, &fl)) {
        return 1;
    }
    if (eip > s->seg[SEG_CS].limit) {
        return cpu_gp(cpu, 0);
    }
    /* IRETD: (temp AND 257FD5H) OR (EFLAGS AND 1A0000H): VM, VIF, VIP are kept */
    sys_write_eflags(cpu, fl, osize == 4 ? 0x257FD5u : FL_LOW);
    cpu_load_seg_real(cpu, SEG_CS, (uint16_t)cs);
    s->eip = eip;
    sys_set_esp(cpu, s->regs[R_ESP] + 3 * osize, spmask);
    return 0;
}

static int iret_v86(Cpu *cpu, unsigned osize)
{
    CpuState *s = &cpu->s;
    uint32_t eip, cs, fl, mask, spmask = cpu_sp_mask(cpu);
    bool vme = false;
    if (cpu_iopl(cpu) < 3) {
        if (!(s->cr4 & CR4_VME) || osize == 4) {
            return cpu_gp(cpu, 0);
        }
        vme = true;
    }
    if (cpu_stack_read(cpu, 0, osize, &eip) || cpu_stack_read(cpu, osize, osize, &cs) ||
        cpu_stack_read(cpu, 2 * osize, osize, &fl)) {
        return 1;
    }
    if (vme && (((fl & F_IF) && (s->eflags & F_VIP)) || (fl & F_TF))) {
        return cpu_gp(cpu, 0);
    }
    if (eip > 0xFFFF) {
        return cpu_gp(cpu, 0);
    }
    if (vme) {
        /* VME: IF and IOPL stay; the popped IF becomes VIF (SDM IRET, 20.3) */
        fl = (fl & 0xFFFF) | ((fl & F_IF) ? F_VIF : 0);
        mask = (FL_LOW & ~(F_IF | F_IOPL)) | F_VIF;
    } else {
        /* IOPL 3: VM, IOPL, VIP and VIF are not changed by the pop */
        mask = osize == 4 ? (0x257FD5u & ~F_IOPL) : (FL_LOW & ~F_IOPL);
    }
    sys_write_eflags(cpu, fl, mask);
    sys_load_seg_v86(cpu, SEG_CS, (uint16_t)cs);
    s->eip = eip;
    sys_set_esp(cpu, s->regs[R_ESP] + 3 * osize, spmask);
    return 0;
}

/* RETURN-TO-VIRTUAL-8086-MODE: from CPL 0, IRETD with VM set in the popped image */
static int iret_to_v86(Cpu *cpu, uint32_t eip, uint32_t cs, uint32_t fl)
{
    CpuState *s = &cpu->s;
    uint32_t v[6];
    for (unsigned k = 0; k < 6; k++) {
        if (cpu_stack_read(cpu, 12 + 4 * k, 4, &v[k])) {
            return 1;
        }
    }
    if (eip > 0xFFFF) {
        return cpu_gp(cpu, 0);
    }
    sys_write_eflags(cpu, fl, 0x003F7FD5u); /* VM=1: cpu_update_mode makes CPL 3 */
    sys_load_seg_v86(cpu, SEG_CS, (uint16_t)cs);
    sys_load_seg_v86(cpu, SEG_SS, (uint16_t)v[1]);
    sys_load_seg_v86(cpu, SEG_ES, (uint16_t)v[2]);
    sys_load_seg_v86(cpu, SEG_DS, (uint16_t)v[3]);
    sys_load_seg_v86(cpu, SEG_FS, (uint16_t)v[4]);
    sys_load_seg_v86(cpu, SEG_GS, (uint16_t)v[5]);
    s->regs[R_ESP] = v[0];
    s->eip = eip;
    s->cpl = 3;
    return 0;
}

/* TASK-RETURN: NT=1, back to the task named by the link field of the current TSS */
static int iret_task(Cpu *cpu)
{
    uint32_t link;
    Desc d;
    if (cpu_lin_read(cpu, cpu->s.tr.base, 2, true, &link)) {
        return 1;
    }
    uint16_t sel = (uint16_t)link;
    if (sel & 4) {
        return sys_fault_sel(cpu, EXC_TS, sel);
    }
    if (sys_fetch_desc(cpu, sel, &d, EXC_TS)) {
        return 1;
    }
    if (desc_s(&d) || (desc_type(&d) != DT_TSS16_BUSY && desc_type(&d) != DT_TSS32_BUSY)) {
        return sys_fault_sel(cpu, EXC_TS, sel);
    }
    if (!desc_present(&d)) {
        return sys_fault_sel(cpu, EXC_NP, sel);
    }
    return sys_task_switch(cpu, sel, &d, TS_IRET, 0, 0);
}

static int iret_pm(Cpu *cpu, unsigned osize)
{
    CpuState *s = &cpu->s;
    uint32_t eip, cs, fl, spmask = cpu_sp_mask(cpu);
    if (s->eflags & F_NT) {
        return iret_task(cpu);
    }
    if (cpu_stack_read(cpu, 0, osize, &eip) || cpu_stack_read(cpu, osize, osize, &cs) ||
        cpu_stack_read(cpu, 2 * osize, osize, &fl)) {
        return 1;
    }
    if (osize == 4 && (fl & F_VM) && s->cpl == 0) {
        return iret_to_v86(cpu, eip, cs, fl);
    }
    uint16_t sel = (uint16_t)cs;
    Desc cd, sd;
    if (check_return_cs(cpu, sel, &cd)) {
        return 1;
    }
    unsigned rpl = sel & 3, cpl = s->cpl;
    uint32_t nesp = 0, nss = 0;
    bool outer = rpl > cpl;
    if (outer) {
        if (cpu_stack_read(cpu, 3 * osize, osize, &nesp) ||
            cpu_stack_read(cpu, 4 * osize, osize, &nss)) {
            return 1;
        }
        if (check_return_ss(cpu, (uint16_t)nss, rpl, &sd)) {
            return 1;
        }
    }
    if (eip > desc_limit(&cd)) {
        return cpu_gp(cpu, 0);
    }
    if (sys_set_accessed(cpu, sel, &cd) || (outer && sys_set_accessed(cpu, (uint16_t)nss, &sd))) {
        return 1;
    }
    /* which flags the return may change, judged at the old CPL (SDM IRET) */
    uint32_t mask = F_CF | F_PF | F_AF | F_ZF | F_SF | F_TF | F_DF | F_OF | F_NT;
    if (osize == 4) {
        mask |= F_RF | F_AC | F_ID;
    }
    if (cpl <= cpu_iopl(cpu)) {
        mask |= F_IF;
    }
    if (cpl == 0) {
        mask |= F_IOPL | (osize == 4 ? (F_VIF | F_VIP) : 0);
    }
    sys_write_eflags(cpu, fl, mask);
    sys_load_cs(cpu, sel, &cd, rpl);
    s->eip = eip;
    if (outer) {
        sys_seg_from_desc(&s->seg[SEG_SS], (uint16_t)nss, &sd);
        s->regs[R_ESP] = osize == 4 ? nesp : (nesp & 0xFFFF);
        sys_null_outer_segs(cpu);
    } else {
        sys_set_esp(cpu, s->regs[R_ESP] + 3 * osize, spmask);
    }
    return 0;
}

int cpu_iret(Cpu *cpu, unsigned osize)
{
    int r;
    if (!cpu_pm(cpu)) {
        r = iret_real(cpu, osize);
    } else if (cpu->s.eflags & F_VM) {
        r = iret_v86(cpu, osize);
    } else {
        r = iret_pm(cpu, osize);
    }
    if (r == 0) {
        cpu->s.nmi_blocked = 0; /* IRET ends NMI blocking (SDM 6.7.1) */
    }
    return r;
}

/* ---- handlers ---- */

static int read_far_ptr(Cpu *cpu, const Insn *i, uint16_t *sel, uint32_t *off)
{
    unsigned sz = insn_osize(i);
    uint32_t v;
    if (!(i->flags & INSN_MEM)) {
        return cpu_ud(cpu);
    }
    uint32_t ea = cpu_ea(cpu, i);
    uint32_t amask = (i->flags & INSN_ADDR32) ? 0xFFFFFFFFu : 0xFFFFu;
    if (cpu_read(cpu, i->seg, ea, sz, off) || cpu_read(cpu, i->seg, (ea + sz) & amask, 2, &v)) {
        return 1;
    }
    *sel = (uint16_t)v;
    return 0;
}

int op_JMPF_Ap(Cpu *cpu, const Insn *i)
{
    return cpu_far_jump(cpu, (uint16_t)i->imm2, i->imm, insn_osize(i));
}

int op_CALLF_Ap(Cpu *cpu, const Insn *i)
{
    return cpu_far_call(cpu, (uint16_t)i->imm2, i->imm, insn_osize(i));
}

int op_JMPF_Mp(Cpu *cpu, const Insn *i)
{
    uint16_t sel;
    uint32_t off;
    if (read_far_ptr(cpu, i, &sel, &off)) {
        return 1;
    }
    return cpu_far_jump(cpu, sel, off, insn_osize(i));
}

int op_CALLF_Mp(Cpu *cpu, const Insn *i)
{
    uint16_t sel;
    uint32_t off;
    if (read_far_ptr(cpu, i, &sel, &off)) {
        return 1;
    }
    return cpu_far_call(cpu, sel, off, insn_osize(i));
}

int op_RETF(Cpu *cpu, const Insn *i)
{
    return cpu_far_ret(cpu, insn_osize(i), 0);
}

int op_RETF_Iw(Cpu *cpu, const Insn *i)
{
    return cpu_far_ret(cpu, insn_osize(i), (uint16_t)i->imm);
}

int op_IRET(Cpu *cpu, const Insn *i)
{
    return cpu_iret(cpu, insn_osize(i));
}
