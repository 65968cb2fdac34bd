/* Saved state of the CPU and the board (see cpu_state.h), declared with the VmsDesc machinery of
 * vmstate.h.
 *
 * Every field of CpuState is listed, element by element for the arrays of structures (segment
 * registers, x87 registers), so the file never depends on the host's struct padding; only the
 * explicit padding (pad0, pad1) is left out. The decoded-instruction cache, the TLBs and the mode
 * are derived: after a load they are dropped or recomputed. A static assertion on the size of
 * CpuState (and tests/unit/test_snapshot.c, which checks that every byte of it is covered) makes
 * whoever adds a field come here.
 */
#include "snapshots/cpu_state.h"

#include <stddef.h>

#define SEG_FIELDS(r)                                                                          \
    VMS_U16F(CpuState, r.sel), VMS_U16F(CpuState, r.attr), VMS_U32F(CpuState, r.base),        \
        VMS_U32F(CpuState, r.limit)
#define ST_FIELDS(n) VMS_U64F(CpuState, fpu.st[n].mant), VMS_U16F(CpuState, fpu.st[n].sexp)

_Static_assert(sizeof(CpuState) == 792, "CpuState changed: update kCpuStateFields");
_Static_assert(sizeof(Xmm) == 16, "Xmm is saved as two 64-bit halves");

static const VmsField kCpuStateFields[] = {
    VMS_ARRAY(CpuState, regs, VMS_U32, 8),
    VMS_U32F(CpuState, eip),
    VMS_U32F(CpuState, eflags),
    VMS_U32F(CpuState, lf_res),
    VMS_U32F(CpuState, lf_op1),
    VMS_U32F(CpuState, lf_op2),
    VMS_U8F(CpuState, lf_op),
    VMS_U8F(CpuState, lf_size),
    VMS_U8F(CpuState, lf_cf_in),
    VMS_U8F(CpuState, cpl),
    SEG_FIELDS(seg[0]),
    SEG_FIELDS(seg[1]),
    SEG_FIELDS(seg[2]),
    SEG_FIELDS(seg[3]),
    SEG_FIELDS(seg[4]),
    SEG_FIELDS(seg[5]),
    SEG_FIELDS(ldtr),
    SEG_FIELDS(tr),
    VMS_U32F(CpuState, gdtr.base),
    VMS_U16F(CpuState, gdtr.limit),
    VMS_U32F(CpuState, idtr.base),
    VMS_U16F(CpuState, idtr.limit),
    VMS_U32F(CpuState, cr0),
    VMS_U32F(CpuState, cr2),
    VMS_U32F(CpuState, cr3),
    VMS_U32F(CpuState, cr4),
    VMS_ARRAY(CpuState, dr, VMS_U32, 8),
    VMS_U64F(CpuState, tsc_offset),
    VMS_U32F(CpuState, apic_base_msr_lo),
    VMS_U32F(CpuState, apic_base_msr_hi),
    VMS_U32F(CpuState, sysenter_cs),
    VMS_U32F(CpuState, sysenter_esp),
    VMS_U32F(CpuState, sysenter_eip),
    VMS_U64F(CpuState, mtrr_cap_dummy),
    VMS_U64F(CpuState, mtrr_def_type),
    VMS_ARRAY(CpuState, mtrr_fixed, VMS_U64, 11),
    VMS_ARRAY(CpuState, mtrr_var, VMS_U64, 16),
    VMS_U64F(CpuState, pat),
    VMS_U64F(CpuState, misc_enable),
    ST_FIELDS(0),
    ST_FIELDS(1),
    ST_FIELDS(2),
    ST_FIELDS(3),
    ST_FIELDS(4),
    ST_FIELDS(5),
    ST_FIELDS(6),
    ST_FIELDS(7),
    VMS_U16F(CpuState, fpu.cw),
    VMS_U16F(CpuState, fpu.sw),
    VMS_U16F(CpuState, fpu.tw),
    VMS_U8F(CpuState, fpu.top),
    VMS_U16F(CpuState, fpu.fop),
    VMS_U32F(CpuState, fpu.fip),
    VMS_U32F(CpuState, fpu.fdp),
    VMS_U16F(CpuState, fpu.fcs),
    VMS_U16F(CpuState, fpu.fds),
    VMS_ARRAY(CpuState, xmm, VMS_U64, 16), /* XMM0-7, low half first */
    VMS_U32F(CpuState, mxcsr),
    VMS_U8F(CpuState, halted),
    VMS_U8F(CpuState, inhibit_irq),
    VMS_U8F(CpuState, nmi_blocked),
    VMS_U8F(CpuState, exc_vector),
    VMS_U8F(CpuState, exc_has_error),
    VMS_U32F(CpuState, exc_error),
    VMS_FIELDS_END,
};
const VmsDesc kCpuStateDesc = {"cpu-state", 1, kCpuStateFields, NULL, NULL};

/* Values the interpreter relies on (table indexes, shift counts): a snapshot that passed its CRC
 * but holds anything else came from a different build, and is refused. */
static int cpu_post_load(void *opaque)
{
    Cpu *cpu = opaque;
    CpuState *s = &cpu->s;
    int bad = s->lf_op > LF_IMUL || (s->lf_op != LF_NONE && s->lf_size != 1 &&
                                     s->lf_size != 2 && s->lf_size != 4) ||
              s->fpu.top > 7 || s->cpl > 3 || s->inhibit_irq > 2;
    if (bad) {
        return -1;
    }
    cpu->intr_line = cpu->intr_line != 0;
    /* re-arming the timers asked the (not running) loop to look again: nothing to look at */
    cpu->pending &= ~PEND_RECHECK;
    /* derived state: the mode, and every cache of guest memory and mappings */
    cpu_update_mode(cpu);
    mmu_flush_all(&cpu->mmu);
    cpu_flush_decoded(cpu);
    return 0;
}

/* The run loop's own signals (leave the block, flush, look again) mean nothing between two runs:
 * carry out a pending flush now and drop them, so that only events that are state (a latched
 * NMI, a requested INIT, the INTR level, a stop request) are saved. */
static int cpu_pre_save(void *opaque)
{
    Cpu *cpu = opaque;
    if (cpu->pending & PEND_FLUSH) {
        mmu_flush_all(&cpu->mmu);
        cpu_flush_decoded(cpu);
    }
    cpu->pending &= ~(PEND_FLUSH | PEND_RECHECK);
    return 0;
}

static const VmsField kCpuRunFields[] = {
    VMS_U8F(Cpu, intr_line),
    VMS_U8F(Cpu, shutdown),
    VMS_U32F(Cpu, pending),
    VMS_U64F(Cpu, retired),
    VMS_U64F(Cpu, halted_ticks),
    VMS_FIELDS_END,
};
const VmsDesc kCpuRunDesc = {"cpu", 1, kCpuRunFields, cpu_pre_save, cpu_post_load};

static const VmsField kClockFields[] = {
    VMS_U64F(Clock, ticks),
    VMS_FIELDS_END,
};
static const VmsDesc kClockDesc = {"clock", 1, kClockFields, NULL, NULL};

static int a20_post_load(void *opaque)
{
    Bus *b = opaque;
    /* only the two masks the gate can make; the CPU's post_load flushes the TLBs */
    return b->a20_mask == 0xFFFFFFFFu || b->a20_mask == 0xFFEFFFFFu ? 0 : -1;
}

static const VmsField kA20Fields[] = {
    VMS_U32F(Bus, a20_mask),
    VMS_FIELDS_END,
};
static const VmsDesc kA20Desc = {"a20", 1, kA20Fields, NULL, a20_post_load};

void cpu_snap_register(SnapRegistry *r, Cpu *cpu)
{
    snap_register(r, &kCpuStateDesc, &cpu->s, 0);
    snap_register(r, &kCpuRunDesc, cpu, 0);
}

void board_snap_register(SnapRegistry *r, Clock *clock, Bus *bus)
{
    snap_register(r, &kClockDesc, clock, 0);
    snap_register(r, &kA20Desc, bus, 0);
}
