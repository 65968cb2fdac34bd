/* Descriptor-table and selector instructions: SLDT, STR, LLDT, LTR, VERR, VERW, LAR, LSL, ARPL.
 *
 * Follows the vol. 2 page of each (SDM), and vol. 3 3.5 (system descriptor types) and 7.2.4 (the
 * task register). All are protected-mode only: #UD in real and virtual-8086 mode. LAR, LSL, VERR
 * and VERW never fault on the selector: an unusable one clears ZF and leaves the destination.
 */
#include "cpu/sys.h"

static bool prot_only(const Cpu *cpu)
{
    return cpu_pm(cpu) && !cpu_v86(cpu);
}

/* SLDT/STR: a memory destination gets 16 bits; a 32-bit register the selector zero-extended
 * (P6 behaviour, SDM SLDT) */
static int store_sel(Cpu *cpu, const Insn *i, uint16_t sel)
{
    unsigned size = (!(i->flags & INSN_MEM) && (i->flags & INSN_OP32)) ? 4 : 2;
    return cpu_write_rm(cpu, i, size, sel);
}

int op_SLDT(Cpu *cpu, const Insn *i)
{
    if (!prot_only(cpu)) {
        return cpu_ud(cpu);
    }
    return store_sel(cpu, i, cpu->s.ldtr.sel);
}

int op_STR(Cpu *cpu, const Insn *i)
{
    if (!prot_only(cpu)) {
        return cpu_ud(cpu);
    }
    return store_sel(cpu, i, cpu->s.tr.sel);
}

int op_LLDT(Cpu *cpu, const Insn *i)
{
    uint32_t v;
    Desc d;
    if (!prot_only(cpu)) {
        return cpu_ud(cpu);
    }
    if (cpu->s.cpl != 0) {
        return cpu_gp(cpu, 0);
    }
    if (cpu_read_rm(cpu, i, 2, &v)) {
        return 1;
    }
    uint16_t sel = (uint16_t)v;
    if (!(sel & 0xFFFC)) {
        /* a null selector marks the LDTR invalid (SDM LLDT) */
        cpu->s.ldtr.sel = sel;
        cpu->s.ldtr.attr = 0;
        cpu->s.ldtr.base = 0;
        cpu->s.ldtr.limit = 0;
        return 0;
    }
    if (sel & 4) {
        return cpu_gp(cpu, sel & 0xFFFC);
    }
    if (sys_fetch_desc(cpu, sel, &d, EXC_GP)) {
        return 1;
    }
    if (desc_s(&d) || desc_type(&d) != DT_LDT) {
        return cpu_gp(cpu, sel & 0xFFFC);
    }
    if (!desc_present(&d)) {
        return cpu_raise(cpu, EXC_NP, 1, sel & 0xFFFC);
    }
    sys_seg_from_desc(&cpu->s.ldtr, sel, &d);
    return 0;
}

int op_LTR(Cpu *cpu, const Insn *i)
{
    uint32_t v;
    Desc d;
    if (!prot_only(cpu)) {
        return cpu_ud(cpu);
    }
    if (cpu->s.cpl != 0) {
        return cpu_gp(cpu, 0);
    }
    if (cpu_read_rm(cpu, i, 2, &v)) {
        return 1;
    }
    uint16_t sel = (uint16_t)v;
    if (!(sel & 0xFFFC)) {
        return cpu_gp(cpu, 0);
    }
    if (sel & 4) {
        return cpu_gp(cpu, sel & 0xFFFC);
    }
    if (sys_fetch_desc(cpu, sel, &d, EXC_GP)) {
        return 1;
    }
    if (desc_s(&d) || (desc_type(&d) != DT_TSS16_AVAIL && desc_type(&d) != DT_TSS32_AVAIL)) {
        return cpu_gp(cpu, sel & 0xFFFC);
    }
    if (!desc_present(&d)) {
        return cpu_raise(cpu, EXC_NP, 1, sel & 0xFFFC);
    }
    if (sys_set_busy(cpu, sel, true)) {
        return 1;
    }
    d.hi |= 0x200;
    sys_seg_from_desc(&cpu->s.tr, sel, &d);
    return 0;
}

/* Fetch the descriptor of a selector for LAR/LSL/VERR/VERW: false (ZF=0) for a null selector or
 * one beyond the table limit; a page fault on the table is still a fault (*fault set). */
static bool probe_desc(Cpu *cpu, uint16_t sel, Desc *d, int *fault)
{
    uint32_t lin;
    *fault = 0;
    if (!(sel & 0xFFFC) || !sys_desc_addr(cpu, sel, &lin)) {
        return false;
    }
    if (cpu_lin_read(cpu, lin, 4, true, &d->lo) || cpu_lin_read(cpu, lin + 4, 4, true, &d->hi)) {
        *fault = 1;
        return false;
    }
    return true;
}

/* the privilege rule shared by the four: conforming code is visible at any level, everything
 * else needs DPL >= CPL and DPL >= RPL */
static bool visible(const Cpu *cpu, uint16_t sel, const Desc *d)
{
    if (desc_is_code(d) && desc_is_conforming(d)) {
        return true;
    }
    unsigned dpl = desc_dpl(d);
    return dpl >= cpu->s.cpl && dpl >= (sel & 3u);
}

static void set_zf(Cpu *cpu, bool z)
{
    cpu_set_flags_mask(cpu, F_ZF, z ? F_ZF : 0);
}

/* VERR/VERW/LAR/LSL: #UD outside protected mode, then read the selector operand and look up its
 * descriptor (*ok false when there is none to look at). Nonzero: an exception was raised. */
static int probe_operand(Cpu *cpu, const Insn *i, uint16_t *sel, Desc *d, bool *ok)
{
    uint32_t v;
    int fault;
    if (!prot_only(cpu)) {
        return cpu_ud(cpu);
    }
    if (cpu_read_rm(cpu, i, 2, &v)) {
        return 1;
    }
    *sel = (uint16_t)v;
    *ok = probe_desc(cpu, *sel, d, &fault);
    return fault ? 1 : 0;
}

static int verify(Cpu *cpu, const Insn *i, bool write)
{
    uint16_t sel;
    Desc d;
    bool ok;
    if (probe_operand(cpu, i, &sel, &d, &ok)) {
        return 1;
    }
    if (ok) {
        if (!desc_s(&d)) {
            ok = false;
        } else if (write) {
            ok = desc_is_writable_data(&d) && visible(cpu, sel, &d);
        } else {
            ok = (!desc_is_code(&d) || desc_code_readable(&d)) && visible(cpu, sel, &d);
        }
    }
    set_zf(cpu, ok);
    return 0;
}

int op_VERR(Cpu *cpu, const Insn *i)
{
    return verify(cpu, i, false);
}

int op_VERW(Cpu *cpu, const Insn *i)
{
    return verify(cpu, i, true);
}

/* system descriptor types LAR accepts (SDM LAR table), and the subset LSL accepts */
static bool lar_type_ok(unsigned t)
{
    switch (t) {
    case DT_TSS16_AVAIL: case DT_LDT: case DT_TSS16_BUSY: case DT_CALLGATE16: case DT_TASKGATE:
    case DT_TSS32_AVAIL: case DT_TSS32_BUSY: case DT_CALLGATE32:
        return true;
    default:
        return false;
    }
}

static bool lsl_type_ok(unsigned t)
{
    return t == DT_TSS16_AVAIL || t == DT_LDT || t == DT_TSS16_BUSY || t == DT_TSS32_AVAIL ||
           t == DT_TSS32_BUSY;
}

static int lar_lsl(Cpu *cpu, const Insn *i, bool lsl)
{
    uint16_t sel;
    Desc d;
    bool ok;
    if (probe_operand(cpu, i, &sel, &d, &ok)) {
        return 1;
    }
    if (ok) {
        if (!desc_s(&d)) {
            ok = lsl ? lsl_type_ok(desc_type(&d)) : lar_type_ok(desc_type(&d));
        }
        ok = ok && visible(cpu, sel, &d);
    }
    if (ok) {
        uint32_t r = lsl ? desc_limit(&d) : (d.hi & 0x00F0FF00u);
        cpu_set_reg_v(cpu, i, MODRM_REG(i), r);
    }
    set_zf(cpu, ok);
    return 0;
}

int op_LAR(Cpu *cpu, const Insn *i)
{
    return lar_lsl(cpu, i, false);
}

int op_LSL(Cpu *cpu, const Insn *i)
{
    return lar_lsl(cpu, i, true);
}

int op_ARPL(Cpu *cpu, const Insn *i)
{
    uint32_t dst;
    if (!prot_only(cpu)) {
        return cpu_ud(cpu);
    }
    if (cpu_read_rm_rmw(cpu, i, 2, &dst)) {
        return 1;
    }
    uint32_t src = cpu->s.regs[MODRM_REG(i)] & 3;
    if ((dst & 3) < src) {
        if (cpu_write_rm(cpu, i, 2, (dst & ~3u) | src)) {
            return 1;
        }
        set_zf(cpu, true);
    } else {
        set_zf(cpu, false);
    }
    return 0;
}
