/* Hardware task switching: JMP/CALL to a TSS or task gate, interrupts through task gates, and
 * IRET with NT set; 32-bit and 16-bit TSS formats.
 *
 * Follows SDM vol. 3 chapter 7: 7.2 (TSS layouts, figures 7-2 and 7-11), 7.3 (the 14 steps of a
 * task switch and table 7-1, its exception conditions and error codes), 7.4 (NT, the link field
 * and the busy bit). Steps 1-11 are checked and prepared before anything changes, so a fault there
 * leaves the old task intact; faults while the new task's segments are qualified (step 13) happen
 * in the context of the new task, as the SDM says. Departures: the TSS T bit (debug trap after
 * the switch) is not implemented; with a 16-bit TSS the upper halves of the general registers keep
 * their old values (the SDM leaves them undefined).
 */
#include "cpu/sys.h"

/* TSS field offsets (32-bit, 16-bit) */
#define T32_CR3 28
#define T32_EIP 32
#define T32_EFLAGS 36
#define T32_REGS 40
#define T32_SEGS 72
#define T32_LDT 96
#define T16_IP 14
#define T16_FLAGS 16
#define T16_REGS 18
#define T16_SEGS 34
#define T16_LDT 42

typedef struct TaskImage {
    uint32_t cr3, eip, eflags, regs[8];
    uint16_t segs[6], ldt;
} TaskImage;

static int read_image(Cpu *cpu, uint32_t base, bool t32, TaskImage *t)
{
    uint32_t v;
    memset(t, 0, sizeof *t);
    if (t32) {
        if (cpu_lin_read(cpu, base + T32_CR3, 4, true, &t->cr3) ||
            cpu_lin_read(cpu, base + T32_EIP, 4, true, &t->eip) ||
            cpu_lin_read(cpu, base + T32_EFLAGS, 4, true, &t->eflags)) {
            return 1;
        }
        for (int r = 0; r < 8; r++) {
            if (cpu_lin_read(cpu, base + T32_REGS + 4 * r, 4, true, &t->regs[r])) {
                return 1;
            }
        }
        for (int k = 0; k < 6; k++) {
            if (cpu_lin_read(cpu, base + T32_SEGS + 4 * k, 2, true, &v)) {
                return 1;
            }
            t->segs[k] = (uint16_t)v;
        }
        if (cpu_lin_read(cpu, base + T32_LDT, 2, true, &v)) {
            return 1;
        }
        t->ldt = (uint16_t)v;
        return 0;
    }
    if (cpu_lin_read(cpu, base + T16_IP, 2, true, &t->eip) ||
        cpu_lin_read(cpu, base + T16_FLAGS, 2, true, &t->eflags)) {
        return 1;
    }
    for (int r = 0; r < 8; r++) {
        if (cpu_lin_read(cpu, base + T16_REGS + 2 * r, 2, true, &t->regs[r])) {
            return 1;
        }
    }
    /* the 16-bit TSS holds ES CS SS DS; FS and GS become null */
    for (int k = 0; k < 4; k++) {
        if (cpu_lin_read(cpu, base + T16_SEGS + 2 * k, 2, true, &v)) {
            return 1;
        }
        t->segs[k] = (uint16_t)v;
    }
    if (cpu_lin_read(cpu, base + T16_LDT, 2, true, &v)) {
        return 1;
    }
    t->ldt = (uint16_t)v;
    return 0;
}

/* Step 5: every byte the switch writes must be writable before the commit. */
static int probe_range(Cpu *cpu, uint32_t lin, uint32_t len)
{
    for (uint32_t a = 0; a < len; a += 4) {
        unsigned n = len - a < 4 ? len - a : 4;
        if (mmu_probe_write(&cpu->mmu, lin + a, n, 0)) {
            return 1;
        }
    }
    return 0;
}

static int probe_busy(Cpu *cpu, uint16_t sel)
{
    uint32_t lin;
    if (!sys_desc_addr(cpu, sel & ~4u, &lin)) {
        return 0;
    }
    return mmu_probe_write(&cpu->mmu, lin + 5, 1, 0);
}

static void save_image(Cpu *cpu, uint32_t base, bool t32, uint32_t eflags)
{
    CpuState *s = &cpu->s;
    /* all probed: these writes cannot fault */
    if (t32) {
        (void)cpu_lin_write(cpu, base + T32_EIP, 4, true, s->eip);
        (void)cpu_lin_write(cpu, base + T32_EFLAGS, 4, true, eflags);
        for (int r = 0; r < 8; r++) {
            (void)cpu_lin_write(cpu, base + T32_REGS + 4 * r, 4, true, s->regs[r]);
        }
        for (int k = 0; k < 6; k++) {
            (void)cpu_lin_write(cpu, base + T32_SEGS + 4 * k, 2, true, s->seg[k].sel);
        }
        return;
    }
    (void)cpu_lin_write(cpu, base + T16_IP, 2, true, s->eip & 0xFFFF);
    (void)cpu_lin_write(cpu, base + T16_FLAGS, 2, true, eflags & 0xFFFF);
    for (int r = 0; r < 8; r++) {
        (void)cpu_lin_write(cpu, base + T16_REGS + 2 * r, 2, true, s->regs[r] & 0xFFFF);
    }
    for (int k = 0; k < 4; k++) {
        (void)cpu_lin_write(cpu, base + T16_SEGS + 2 * k, 2, true, s->seg[k].sel);
    }
}

/* Step 13: qualify the new task's LDTR and segment registers (table 7-1). */
static int load_new_segments(Cpu *cpu, const TaskImage *t)
{
    CpuState *s = &cpu->s;
    Desc d;
    if (t->ldt & 0xFFFC) {
        if (t->ldt & 4) {
            return sys_fault_sel(cpu, EXC_TS, t->ldt);
        }
        if (sys_fetch_desc(cpu, t->ldt, &d, EXC_TS)) {
            return 1;
        }
        if (desc_s(&d) || desc_type(&d) != DT_LDT || !desc_present(&d)) {
            return sys_fault_sel(cpu, EXC_TS, t->ldt);
        }
        sys_seg_from_desc(&s->ldtr, t->ldt, &d);
    }
    if (s->eflags & F_VM) {
        for (int k = 0; k < 6; k++) {
            sys_load_seg_v86(cpu, k, t->segs[k]);
        }
        s->cpl = 3;
        return 0;
    }
    /* CS first: its RPL is the new CPL that the other checks use */
    uint16_t cs = t->segs[SEG_CS];
    unsigned cpl = cs & 3;
    if (!(cs & 0xFFFC)) {
        return sys_fault_sel(cpu, EXC_TS, cs);
    }
    if (sys_fetch_desc(cpu, cs, &d, EXC_TS)) {
        return 1;
    }
    if (!desc_is_code(&d) ||
        (desc_is_conforming(&d) ? desc_dpl(&d) > cpl : desc_dpl(&d) != cpl)) {
        return sys_fault_sel(cpu, EXC_TS, cs);
    }
    if (!desc_present(&d)) {
        return sys_fault_sel(cpu, EXC_NP, cs);
    }
    if (sys_set_accessed(cpu, cs, &d)) {
        return 1;
    }
    sys_load_cs(cpu, cs, &d, cpl);

    uint16_t ss = t->segs[SEG_SS];
    if (!(ss & 0xFFFC)) {
        return sys_fault_sel(cpu, EXC_TS, ss);
    }
    if (sys_fetch_desc(cpu, ss, &d, EXC_TS)) {
        return 1;
    }
    if ((ss & 3) != cpl || desc_dpl(&d) != cpl || !desc_is_writable_data(&d)) {
        return sys_fault_sel(cpu, EXC_TS, ss);
    }
    if (!desc_present(&d)) {
        return sys_fault_sel(cpu, EXC_SS, ss);
    }
    if (sys_set_accessed(cpu, ss, &d)) {
        return 1;
    }
    sys_seg_from_desc(&s->seg[SEG_SS], ss, &d);

    static const int kData[4] = {SEG_ES, SEG_DS, SEG_FS, SEG_GS};
    for (int k = 0; k < 4; k++) {
        if (sys_load_data_seg(cpu, kData[k], t->segs[kData[k]], cpl, EXC_TS)) {
            return 1;
        }
    }
    return 0;
}

int sys_task_switch(Cpu *cpu, uint16_t sel, Desc *nd, int kind, int has_error, uint32_t error)
{
    CpuState *s = &cpu->s;
    bool n32 = (desc_type(nd) & 8) != 0;
    uint32_t nbase = desc_base(nd), nlimit = desc_limit(nd);
    SegReg otr = s->tr;
    bool o32 = (otr.attr & 8) != 0;
    TaskImage t;

    /* steps 3-5: new TSS limit, readable state, writable old TSS and descriptors */
    if (nlimit < (n32 ? 0x67u : 0x2Bu)) {
        return sys_fault_sel(cpu, EXC_TS, sel);
    }
    if (read_image(cpu, nbase, n32, &t)) {
        return 1;
    }
    if (probe_range(cpu, otr.base + (o32 ? T32_EIP : T16_IP), o32 ? 64 : 28) ||
        ((kind == TS_CALL || kind == TS_INT) && probe_range(cpu, nbase, 2)) ||
        ((kind == TS_JMP || kind == TS_IRET) && probe_busy(cpu, otr.sel)) ||
        (kind != TS_IRET && probe_busy(cpu, sel))) {
        return 1;
    }

    /* steps 6-8: the old task */
    uint32_t ofl = cpu_get_eflags(cpu);
    if (kind == TS_IRET) {
        ofl &= ~F_NT;
    }
    if (kind == TS_JMP || kind == TS_IRET) {
        (void)sys_set_busy(cpu, otr.sel, false);
    }
    save_image(cpu, otr.base, o32, ofl);

    /* steps 9-12: commit to the new task */
    if (kind == TS_CALL || kind == TS_INT) {
        (void)cpu_lin_write(cpu, nbase, 2, true, otr.sel); /* back link */
        t.eflags |= F_NT;
    }
    if (kind != TS_IRET) {
        (void)sys_set_busy(cpu, sel, true);
    }
    nd->hi |= 0x200; /* busy */
    sys_seg_from_desc(&s->tr, sel, nd);
    s->cr0 |= CR0_TS;
    if (n32) {
        s->cr3 = t.cr3;
        mmu_flush(&cpu->mmu);
    }
    if (n32) {
        cpu_set_eflags_raw(cpu, t.eflags);
        memcpy(s->regs, t.regs, sizeof s->regs);
    } else {
        cpu_set_eflags_raw(cpu, (ofl & 0xFFFF0000u & ~(F_VM | F_RF)) | (t.eflags & 0xFFFF));
        for (int r = 0; r < 8; r++) {
            cpu_set_reg16(cpu, r, (uint16_t)t.regs[r]);
        }
    }
    s->eip = t.eip;
    /* the selectors go in raw, their caches unusable until qualified below */
    for (int k = 0; k < 6; k++) {
        sys_load_null(cpu, k, t.segs[k]);
    }
    s->ldtr.sel = t.ldt;
    s->ldtr.attr = 0;
    s->ldtr.base = 0;
    s->ldtr.limit = 0;
    cpu_update_mode(cpu);
    /* a fault from here on is reported at the new task's first instruction: the run loop
     * rewinds EIP to insn_eip */
    cpu->insn_eip = s->eip;

    /* step 13 */
    if (load_new_segments(cpu, &t)) {
        return 1;
    }
    if (kind == TS_INT && has_error) {
        StackFrame f;
        sys_frame_init(&f, &s->seg[SEG_SS], s->regs[R_ESP], n32 ? 4 : 2, s->cpl);
        sys_frame_push(&f, error);
        if (sys_frame_check(cpu, &f, cpu->ext)) {
            return 1;
        }
        s->regs[R_ESP] = sys_frame_commit(cpu, &f);
    }
    if (s->eip > s->seg[SEG_CS].limit) {
        return cpu_gp(cpu, cpu->ext);
    }
    return 0;
}
