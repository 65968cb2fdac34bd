/* Segment registers: loading them in every mode, descriptor-table access, and the instructions
 * that move selectors (MOV Sreg, PUSH/POP Sreg, LDS/LES/LSS/LFS/LGS).
 *
 * Follows SDM vol. 3 chapter 3 (3.4 segment selectors and descriptors, 3.4.5.1 the accessed bit),
 * 5.5-5.8 (privilege checks for data and stack segments) and the vol. 2 pages of MOV, POP and
 * LDS/LES/LFS/LGS/LSS, whose pseudocode gives the order of the checks kept here. Real mode changes
 * only the selector and base of a segment register and keeps the cached limit and attributes;
 * V86 mode forces a 64 KB writable data segment at DPL 3 (SDM 20.1.1).
 */
#include "cpu/sys.h"

/* ---- descriptor tables ---- */

bool sys_desc_addr(const Cpu *cpu, uint16_t sel, uint32_t *lin)
{
    uint32_t base, limit;
    if (sel & 4) {
        /* LDTR loaded with a null selector (or never loaded): every LDT reference is out of
         * limits (SDM 3.5.1) */
        if (!(cpu->s.ldtr.sel & 0xFFFC) || !(cpu->s.ldtr.attr & SEG_ATTR_P)) {
            return false;
        }
        base = cpu->s.ldtr.base;
        limit = cpu->s.ldtr.limit;
    } else {
        base = cpu->s.gdtr.base;
        limit = cpu->s.gdtr.limit;
    }
    uint32_t off = sel & 0xFFF8u;
    if (off + 7 > limit) {
        return false;
    }
    *lin = base + off;
    return true;
}

int sys_fetch_desc(Cpu *cpu, uint16_t sel, Desc *d, int vec)
{
    uint32_t lin;
    if (!sys_desc_addr(cpu, sel, &lin)) {
        return sys_fault_sel(cpu, vec, sel);
    }
    /* descriptor tables are read with supervisor rights whatever the CPL (SDM 4.6.1) */
    if (cpu_lin_read(cpu, lin, 4, true, &d->lo) || cpu_lin_read(cpu, lin + 4, 4, true, &d->hi)) {
        return 1;
    }
    return 0;
}

int sys_set_accessed(Cpu *cpu, uint16_t sel, Desc *d)
{
    uint32_t lin;
    if (!desc_s(d) || (d->hi & 0x100) || !sys_desc_addr(cpu, sel, &lin)) {
        return 0;
    }
    if (cpu_lin_write(cpu, lin + 5, 1, true, ((d->hi >> 8) & 0xFF) | 1)) {
        return 1;
    }
    d->hi |= 0x100;
    return 0;
}

int sys_set_busy(Cpu *cpu, uint16_t sel, bool busy)
{
    uint32_t lin, v;
    if (!sys_desc_addr(cpu, sel & ~4u, &lin)) {
        return 0;
    }
    if (cpu_lin_read(cpu, lin + 5, 1, true, &v)) {
        return 1;
    }
    v = busy ? (v | 2) : (v & ~2u);
    return cpu_lin_write(cpu, lin + 5, 1, true, v);
}

void sys_seg_from_desc(SegReg *r, uint16_t sel, const Desc *d)
{
    r->sel = sel;
    r->base = desc_base(d);
    r->limit = desc_limit(d);
    r->attr = (uint16_t)((d->hi >> 8) & 0xF0FF);
}

void sys_load_cs(Cpu *cpu, uint16_t sel, const Desc *d, unsigned cpl)
{
    sys_seg_from_desc(&cpu->s.seg[SEG_CS], (uint16_t)((sel & 0xFFFC) | cpl), d);
    cpu->s.cpl = (uint8_t)cpl;
}

void sys_load_null(Cpu *cpu, int seg, uint16_t sel)
{
    SegReg *r = &cpu->s.seg[seg];
    r->sel = sel;
    r->base = 0;
    r->limit = 0;
    r->attr = 0; /* not present: any access through it is #GP(0) (SDM 3.4.2) */
}

void sys_load_seg_v86(Cpu *cpu, int seg, uint16_t sel)
{
    SegReg *r = &cpu->s.seg[seg];
    r->sel = sel;
    r->base = (uint32_t)sel << 4;
    r->limit = 0xFFFF;
    r->attr = 0xF3; /* present, DPL 3, read/write data, accessed */
}

bool sys_seg_range_ok(const SegReg *r, uint32_t off, unsigned len)
{
    uint32_t last = off + len - 1;
    if (last < off) {
        return false;
    }
    if ((r->attr & (SEG_ATTR_S | 0xC)) == (SEG_ATTR_S | 0x4)) {
        /* expand-down data: valid offsets are limit+1 .. 64K-1 or 4G-1 by the B bit */
        uint32_t top = (r->attr & SEG_ATTR_DB) ? 0xFFFFFFFFu : 0xFFFFu;
        return off > r->limit && last <= top;
    }
    return last <= r->limit;
}

int sys_load_data_seg(Cpu *cpu, int seg, uint16_t sel, unsigned cpl, int vec_gp)
{
    if (!(sel & 0xFFFC)) {
        sys_load_null(cpu, seg, sel);
        return 0;
    }
    Desc d;
    if (sys_fetch_desc(cpu, sel, &d, vec_gp)) {
        return 1;
    }
    unsigned rpl = sel & 3, dpl = desc_dpl(&d);
    /* SDM MOV: not a data or readable code segment, or (data or nonconforming code) with
     * RPL > DPL or CPL > DPL -> #GP(selector) */
    if (!desc_s(&d) || (desc_is_code(&d) && !desc_code_readable(&d))) {
        return sys_fault_sel(cpu, vec_gp, sel);
    }
    if ((!desc_is_code(&d) || !desc_is_conforming(&d)) && (rpl > dpl || cpl > dpl)) {
        return sys_fault_sel(cpu, vec_gp, sel);
    }
    if (!desc_present(&d)) {
        return sys_fault_sel(cpu, EXC_NP, sel);
    }
    if (sys_set_accessed(cpu, sel, &d)) {
        return 1;
    }
    sys_seg_from_desc(&cpu->s.seg[seg], sel, &d);
    return 0;
}

/* SS in protected mode (SDM MOV/POP: null -> #GP(0); RPL, DPL == CPL and writable -> #GP(sel);
 * not present -> #SS(sel)). */
static int load_ss_pm(Cpu *cpu, uint16_t sel)
{
    if (!(sel & 0xFFFC)) {
        return cpu_gp(cpu, 0);
    }
    Desc d;
    if (sys_fetch_desc(cpu, sel, &d, EXC_GP)) {
        return 1;
    }
    if ((sel & 3) != cpu->s.cpl || !desc_is_writable_data(&d) || desc_dpl(&d) != cpu->s.cpl) {
        return sys_fault_sel(cpu, EXC_GP, sel);
    }
    if (!desc_present(&d)) {
        return sys_fault_sel(cpu, EXC_SS, sel);
    }
    if (sys_set_accessed(cpu, sel, &d)) {
        return 1;
    }
    sys_seg_from_desc(&cpu->s.seg[SEG_SS], sel, &d);
    return 0;
}

void cpu_load_seg_real(Cpu *cpu, int seg, uint16_t sel)
{
    if (cpu_v86(cpu)) {
        sys_load_seg_v86(cpu, seg, sel);
        return;
    }
    /* real mode keeps the cached limit and attributes (SDM 9.9.2, "unreal" mode relies on it) */
    cpu->s.seg[seg].sel = sel;
    cpu->s.seg[seg].base = (uint32_t)sel << 4;
}

int cpu_load_seg(Cpu *cpu, int seg, uint16_t sel)
{
    if (!cpu_pm(cpu) || cpu_v86(cpu)) {
        cpu_load_seg_real(cpu, seg, sel);
        return 0;
    }
    if (seg == SEG_SS) {
        return load_ss_pm(cpu, sel);
    }
    if (seg == SEG_CS) {
        /* CS is loaded only by far transfers (cpu/far.c); MOV CS is #UD in the decoder */
        return cpu_ud(cpu);
    }
    return sys_load_data_seg(cpu, seg, sel, cpu->s.cpl, EXC_GP);
}

void sys_null_outer_segs(Cpu *cpu)
{
    static const int kSegs[4] = {SEG_ES, SEG_FS, SEG_GS, SEG_DS};
    for (int k = 0; k < 4; k++) {
        SegReg *r = &cpu->s.seg[kSegs[k]];
        unsigned dpl = (r->attr >> 5) & 3;
        bool data_or_nc = !(r->attr & 0x8) || !(r->attr & 0x4);
        /* SDM RET: a data or nonconforming code segment with DPL < new CPL becomes null; a
         * register already holding a null selector stays as it is */
        if ((r->sel & 0xFFFC) && data_or_nc && cpu->s.cpl > dpl) {
            sys_load_null(cpu, kSegs[k], 0);
        }
    }
}

/* ---- stack frames ---- */

void sys_frame_init(StackFrame *f, const SegReg *ss, uint32_t esp, unsigned size, unsigned cpl)
{
    f->ss = *ss;
    f->esp = esp;
    f->size = size;
    f->user = cpl == 3;
    f->n = 0;
}

static uint32_t frame_slot(const StackFrame *f, unsigned k)
{
    uint32_t mask = (f->ss.attr & SEG_ATTR_DB) ? 0xFFFFFFFFu : 0xFFFFu;
    return (f->esp - (k + 1) * f->size) & mask;
}

int sys_frame_check(Cpu *cpu, const StackFrame *f, uint32_t ss_err)
{
    for (unsigned k = 0; k < f->n; k++) {
        uint32_t off = frame_slot(f, k);
        /* real mode keeps its cached limit too; the present bit matters only in PM */
        if (!sys_seg_range_ok(&f->ss, off, f->size)) {
            return cpu_raise(cpu, EXC_SS, 1, ss_err);
        }
        if (mmu_probe_write(&cpu->mmu, f->ss.base + off, f->size, f->user ? ACC_USER : 0)) {
            return 1;
        }
    }
    return 0;
}

uint32_t sys_frame_commit(Cpu *cpu, const StackFrame *f)
{
    for (unsigned k = 0; k < f->n; k++) {
        uint32_t off = frame_slot(f, k);
        /* the probe succeeded, so this write cannot fault */
        (void)mmu_write_slow(&cpu->mmu, f->ss.base + off, f->size, f->user ? ACC_USER : 0,
                             f->val[k]);
    }
    uint32_t mask = (f->ss.attr & SEG_ATTR_DB) ? 0xFFFFFFFFu : 0xFFFFu;
    uint32_t sp = (f->esp - f->n * f->size) & mask;
    return (f->esp & ~mask) | sp;
}

/* ---- instructions ---- */

static int push_sreg(Cpu *cpu, const Insn *i, int seg)
{
    /* a 32-bit push of a selector writes it zero-extended (SDM PUSH allows either this or a
     * 16-bit store; we pick the deterministic one) */
    return cpu_push(cpu, insn_osize(i), cpu->s.seg[seg].sel);
}

int op_PUSH_ES(Cpu *cpu, const Insn *i)
{
    return push_sreg(cpu, i, SEG_ES);
}
int op_PUSH_CS(Cpu *cpu, const Insn *i)
{
    return push_sreg(cpu, i, SEG_CS);
}
int op_PUSH_SS(Cpu *cpu, const Insn *i)
{
    return push_sreg(cpu, i, SEG_SS);
}
int op_PUSH_DS(Cpu *cpu, const Insn *i)
{
    return push_sreg(cpu, i, SEG_DS);
}
int op_PUSH_FS(Cpu *cpu, const Insn *i)
{
    return push_sreg(cpu, i, SEG_FS);
}
int op_PUSH_GS(Cpu *cpu, const Insn *i)
{
    return push_sreg(cpu, i, SEG_GS);
}

static int pop_sreg(Cpu *cpu, const Insn *i, int seg)
{
    unsigned sz = insn_osize(i);
    uint32_t v, mask = cpu_sp_mask(cpu);
    /* read first, load the register (which can fault), and only then move ESP, with the stack
     * width in force when the pop began */
    if (cpu_stack_read(cpu, 0, sz, &v) || cpu_load_seg(cpu, seg, (uint16_t)v)) {
        return 1;
    }
    sys_set_esp(cpu, cpu->s.regs[R_ESP] + sz, mask);
    if (seg == SEG_SS) {
        cpu->s.inhibit_irq = SYS_INHIBIT_ONE;
    }
    return 0;
}

int op_POP_ES(Cpu *cpu, const Insn *i)
{
    return pop_sreg(cpu, i, SEG_ES);
}
int op_POP_SS(Cpu *cpu, const Insn *i)
{
    return pop_sreg(cpu, i, SEG_SS);
}
int op_POP_DS(Cpu *cpu, const Insn *i)
{
    return pop_sreg(cpu, i, SEG_DS);
}
int op_POP_FS(Cpu *cpu, const Insn *i)
{
    return pop_sreg(cpu, i, SEG_FS);
}
int op_POP_GS(Cpu *cpu, const Insn *i)
{
    return pop_sreg(cpu, i, SEG_GS);
}

int op_MOV_SwEw(Cpu *cpu, const Insn *i)
{
    int seg = MODRM_REG(i);
    uint32_t v;
    if (seg == SEG_CS || seg > SEG_GS) {
        return cpu_ud(cpu);
    }
    if (cpu_read_rm(cpu, i, 2, &v) || cpu_load_seg(cpu, seg, (uint16_t)v)) {
        return 1;
    }
    if (seg == SEG_SS) {
        cpu->s.inhibit_irq = SYS_INHIBIT_ONE;
    }
    return 0;
}

int op_MOV_EvSw(Cpu *cpu, const Insn *i)
{
    int seg = MODRM_REG(i);
    if (seg > SEG_GS) {
        return cpu_ud(cpu);
    }
    uint16_t sel = cpu->s.seg[seg].sel;
    /* memory: always a 16-bit store; a 32-bit register gets the selector zero-extended (what
     * P6 processors do, SDM MOV) */
    unsigned size = (!(i->flags & INSN_MEM) && (i->flags & INSN_OP32)) ? 4 : 2;
    return cpu_write_rm(cpu, i, size, sel);
}

/* LDS/LES/LFS/LGS/LSS: offset then selector from memory; the segment load (which can fault)
 * comes before the register write. */
static int load_far_ptr(Cpu *cpu, const Insn *i, int seg)
{
    unsigned sz = insn_osize(i);
    uint32_t off, sel;
    if (!(i->flags & INSN_MEM)) {
        return cpu_ud(cpu);
    }
    uint32_t ea = cpu_ea(cpu, i);
    uint32_t amask = (i->flags & INSN_ADDR32) ? 0xFFFFFFFFu : 0xFFFFu;
    if (cpu_read(cpu, i->seg, ea, sz, &off) ||
        cpu_read(cpu, i->seg, (ea + sz) & amask, 2, &sel)) {
        return 1;
    }
    if (cpu_load_seg(cpu, seg, (uint16_t)sel)) {
        return 1;
    }
    cpu_set_reg_v(cpu, i, MODRM_REG(i), off);
    return 0;
}

int op_LES(Cpu *cpu, const Insn *i)
{
    return load_far_ptr(cpu, i, SEG_ES);
}
int op_LDS(Cpu *cpu, const Insn *i)
{
    return load_far_ptr(cpu, i, SEG_DS);
}
int op_LSS(Cpu *cpu, const Insn *i)
{
    return load_far_ptr(cpu, i, SEG_SS);
}
int op_LFS(Cpu *cpu, const Insn *i)
{
    return load_far_ptr(cpu, i, SEG_FS);
}
int op_LGS(Cpu *cpu, const Insn *i)
{
    return load_far_ptr(cpu, i, SEG_GS);
}
