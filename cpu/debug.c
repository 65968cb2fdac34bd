/* The CPU's side of the debugger and the gdb stub: breakpoint checks before an instruction, the
 * history ring and the trace hook, single-step and watchpoint stops after it, and stops on
 * vectors, ports and CR0 changes (cpu/cpu.h "debugger support" says when each runs).
 *
 * These are debugger breakpoints, outside the machine: they are not the architectural debug
 * registers (DR0-DR7 keep their own meaning for the guest, SDM vol. 3 chapter 17), and a stop
 * leaves no trace in the guest's state. A breakpoint stops before the instruction at its address
 * executes; a watchpoint, a port or a CR0 stop after the instruction that caused it completes,
 * and a vector stop after the delivery, at the handler's first instruction (gdb's convention for
 * watchpoints, Bochs' for the others). The first reason recorded in dbg.hit is the one reported.
 */
#include "cpu/cpu.h"

void cpu_dbg_update(Cpu *cpu)
{
    CpuDebug *d = &cpu->dbg;
    bool bp = false;
    for (uint32_t k = 0; k < d->nbp; k++) {
        bp |= d->bp[k].enabled != 0;
    }
    bool vec = false;
    for (int k = 0; k < 8; k++) {
        vec |= d->vec_mask[k] != 0;
    }
    d->vec_any = vec;
    d->active = bp || (d->flags & DBG_F_STEP) || d->hist || d->trace || cpu->mmu.nwatch;
}

static void stop(Cpu *cpu, const DbgHit *h)
{
    if (cpu->dbg.hit.kind == DBG_HIT_NONE) {
        cpu->dbg.hit = *h;
    }
    cpu->pending |= PEND_DEBUG;
}

void cpu_dbg_request_stop(Cpu *cpu, int kind)
{
    stop(cpu, &(DbgHit){.kind = (uint8_t)kind});
}

static uint32_t cond_reg_value(const Cpu *cpu, unsigned r)
{
    if (r < 8) {
        return cpu->s.regs[r];
    }
    if (r == DBG_REG_EIP) {
        return cpu->s.eip;
    }
    if (r == DBG_REG_EFLAGS) {
        return cpu_get_eflags((Cpu *)cpu);
    }
    if (r >= DBG_REG_SEG0 && r < DBG_REG_SEG0 + 6) {
        return cpu->s.seg[r - DBG_REG_SEG0].sel;
    }
    return 0;
}

int cpu_dbg_before(Cpu *cpu, uint32_t lin)
{
    CpuDebug *d = &cpu->dbg;
    if (d->skip_valid) {
        d->skip_valid = 0;
        if (lin == d->skip_lin) {
            return 0; /* resuming from a stop here: this instruction runs */
        }
    }
    bool have_pa = false;
    uint32_t pa = 0;
    for (uint32_t k = 0; k < d->nbp; k++) {
        DbgBreak *b = &d->bp[k];
        if (!b->enabled) {
            continue;
        }
        bool match;
        switch (b->kind) {
        case DBG_BP_LIN:
            match = b->addr == lin;
            break;
        case DBG_BP_SEGOFF:
            match = b->addr == cpu->s.eip && b->sel == cpu->s.seg[SEG_CS].sel;
            break;
        default:
            if (!have_pa) {
                int acc = ACC_FETCH | ACC_NOFAULT | (cpu->s.cpl == 3 ? ACC_USER : 0);
                if (mmu_translate(&cpu->mmu, lin, acc, &pa)) {
                    pa = UINT32_MAX; /* not mapped: the fetch will fault */
                }
                have_pa = true;
            }
            match = pa != UINT32_MAX && b->addr == pa;
            break;
        }
        if (!match) {
            continue;
        }
        if (b->cond_op != DBG_COND_NONE) {
            bool eq = cond_reg_value(cpu, b->cond_reg) == b->cond_val;
            if (eq != (b->cond_op == DBG_COND_EQ)) {
                continue;
            }
        }
        b->hits++;
        stop(cpu, &(DbgHit){.kind = DBG_HIT_BREAK, .index = (uint8_t)k, .addr = lin});
        cpu->pending &= ~PEND_DEBUG; /* the loop returns CPU_STOP_DEBUG itself */
        return 1;
    }
    return 0;
}

void cpu_dbg_record(Cpu *cpu, uint32_t eip, uint32_t lin, const Insn *i)
{
    CpuDebug *d = &cpu->dbg;
    if (!d->hist && !d->trace) {
        return;
    }
    DbgHistEntry e = {.cs = cpu->s.seg[SEG_CS].sel,
                      .len = i->len,
                      .d32 = (cpu->s.seg[SEG_CS].attr & SEG_ATTR_DB) != 0,
                      .eip = eip,
                      .lin = lin};
    /* the bytes as the CPU fetched them (pages translated without side effects) */
    int acc = ACC_FETCH | ACC_NOFAULT | (cpu->s.cpl == 3 ? ACC_USER : 0);
    uint32_t pa = 0;
    for (unsigned k = 0; k < i->len && k < sizeof e.bytes; k++, pa++) {
        if (k == 0 || ((lin + k) & 0xFFF) == 0) {
            /* the TLB's entry for the page, else a walk without side effects */
            const TlbEntry *te = &cpu->mmu.rd[cpu->s.cpl == 3][((lin + k) >> 12) & (TLB_SIZE - 1)];
            if (te->tag == ((lin + k) & ~0xFFFu)) {
                pa = te->ppage | ((lin + k) & 0xFFF);
            } else if (mmu_translate(&cpu->mmu, lin + k, acc, &pa)) {
                break;
            }
        }
        const uint8_t *host = cpu->bus->pages[pa >> 12].rd;
        e.bytes[k] = host ? host[pa & 0xFFF] : 0; /* never read MMIO twice */
    }
    if (d->hist && d->hist_size) {
        d->hist[d->hist_pos] = e;
        d->hist_pos = (d->hist_pos + 1) % d->hist_size;
        d->hist_count++;
    }
    if (d->trace) {
        d->trace(d->trace_opaque, cpu, &e);
    }
}

void cpu_dbg_after(Cpu *cpu)
{
    MmuWatchHit *w = &cpu->mmu.whit;
    if (w->hit) {
        w->hit = 0;
        stop(cpu, &(DbgHit){.kind = DBG_HIT_WATCH,
                            .index = w->index,
                            .write = w->write,
                            .size = w->size,
                            .addr = w->lin,
                            .phys = w->phys,
                            .value = w->value});
    }
    if (cpu->dbg.flags & DBG_F_STEP) {
        stop(cpu, &(DbgHit){.kind = DBG_HIT_STEP});
    }
}

void cpu_dbg_vector(Cpu *cpu, uint8_t vector)
{
    if (cpu->dbg.vec_mask[vector >> 5] & (1u << (vector & 31))) {
        stop(cpu, &(DbgHit){.kind = DBG_HIT_VECTOR, .vector = vector});
    }
}

void cpu_dbg_io(Cpu *cpu, uint16_t port, unsigned size, bool write, uint32_t val)
{
    const CpuDebug *d = &cpu->dbg;
    for (unsigned k = 0; k < d->nio; k++) {
        if (port + size - 1 >= d->io[k].lo && port <= d->io[k].hi &&
            (d->io[k].rw & (write ? 2 : 1))) {
            stop(cpu, &(DbgHit){.kind = DBG_HIT_IO,
                                .port = port,
                                .size = (uint16_t)size,
                                .write = write,
                                .value = val});
            return;
        }
    }
}

void cpu_dbg_cr0(Cpu *cpu, uint32_t old_cr0, uint32_t new_cr0)
{
    if ((cpu->dbg.flags & DBG_F_CR0) && ((old_cr0 ^ new_cr0) & (CR0_PE | CR0_PG))) {
        stop(cpu, &(DbgHit){.kind = DBG_HIT_CR0, .value = old_cr0, .addr = new_cr0});
    }
}
