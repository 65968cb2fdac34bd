/* String instructions: MOVS CMPS STOS LODS SCAS INS OUTS, byte and word/dword, with REP, REPE
 * and REPNE. SDM vol. 2, the pages of each, and "REP/REPE/REPZ/REPNE/REPNZ".
 *
 * The source is DS:(E)SI (segment override allowed), the destination ES:(E)DI (never
 * overridden); the index and count registers are SI/DI/CX or ESI/EDI/ECX by the address size;
 * DF picks the direction. A REP-prefixed instruction does one iteration per execution: if the
 * count is not exhausted (and, for CMPS/SCAS, the ZF condition holds), EIP is set back to the
 * instruction so the run loop executes it again. Each iteration thus retires as one instruction
 * (our defined instruction count), interrupts and timers are taken between iterations exactly as
 * the SDM describes for interrupted string operations, and a fault leaves SI/DI/CX describing the
 * iterations done so far, ready for restart. F2 before a non-comparing string instruction acts
 * as REP, as on Intel processors.
 */
#include "cpu/intops.h"

enum { ST_MOVS, ST_CMPS, ST_STOS, ST_LODS, ST_SCAS, ST_INS, ST_OUTS };

/* One iteration. *more says whether a REP prefix wants another. */
static inline __attribute__((always_inline)) int string_iter(Cpu *cpu, const Insn *i, int kind,
                                                             unsigned size, bool *more_out)
{
    CpuState *s = &cpu->s;
    uint32_t am = addr_mask(i);
    bool rep = (i->flags & (INSN_REP | INSN_REPNE)) != 0;
    *more_out = false;
    if (rep && (s->regs[R_ECX] & am) == 0) {
        return 0;
    }
    uint32_t si = s->regs[R_ESI] & am, di = s->regs[R_EDI] & am, a, b;
    uint32_t delta = (s->eflags & F_DF) ? 0u - size : size;
    int r;
    switch (kind) {
    case ST_MOVS:
        if ((r = segf_read(cpu, src_seg(i), si, size, &a)) ||
            (r = segf_write(cpu, SEG_ES, di, size, a))) {
            return r;
        }
        reg_set_masked(cpu, R_ESI, am, si + delta);
        reg_set_masked(cpu, R_EDI, am, di + delta);
        break;
    case ST_CMPS:
        if ((r = segf_read(cpu, src_seg(i), si, size, &a)) ||
            (r = segf_read(cpu, SEG_ES, di, size, &b))) {
            return r;
        }
        cpu_set_lazy(cpu, LF_SUB, (int)size, (a - b) & size_mask(size), a, b);
        reg_set_masked(cpu, R_ESI, am, si + delta);
        reg_set_masked(cpu, R_EDI, am, di + delta);
        break;
    case ST_STOS:
        if ((r = segf_write(cpu, SEG_ES, di, size, reg_get(cpu, R_EAX, size)))) {
            return r;
        }
        reg_set_masked(cpu, R_EDI, am, di + delta);
        break;
    case ST_LODS:
        if ((r = segf_read(cpu, src_seg(i), si, size, &a))) {
            return r;
        }
        reg_set(cpu, R_EAX, size, a);
        reg_set_masked(cpu, R_ESI, am, si + delta);
        break;
    case ST_SCAS:
        if ((r = segf_read(cpu, SEG_ES, di, size, &b))) {
            return r;
        }
        a = reg_get(cpu, R_EAX, size);
        cpu_set_lazy(cpu, LF_SUB, (int)size, (a - b) & size_mask(size), a, b);
        reg_set_masked(cpu, R_EDI, am, di + delta);
        break;
    case ST_INS: {
        /* the I/O permission check comes first, then the destination is checked so that a
         * faulting store does not consume the device's data */
        uint16_t port = (uint16_t)s->regs[R_EDX];
        if ((r = cpu_io_check(cpu, port, size)) || (r = cpu_probe_write(cpu, SEG_ES, di, size)) ||
            (r = cpu_in(cpu, port, size, &a)) || (r = segf_write(cpu, SEG_ES, di, size, a))) {
            return r;
        }
        reg_set_masked(cpu, R_EDI, am, di + delta);
        break;
    }
    default: { /* OUTS */
        uint16_t port = (uint16_t)s->regs[R_EDX];
        if ((r = cpu_io_check(cpu, port, size)) || (r = segf_read(cpu, src_seg(i), si, size, &a)) ||
            (r = cpu_out(cpu, port, size, a))) {
            return r;
        }
        reg_set_masked(cpu, R_ESI, am, si + delta);
        break;
    }
    }
    if (rep) {
        uint32_t cnt = (s->regs[R_ECX] - 1) & am;
        reg_set_masked(cpu, R_ECX, am, cnt);
        bool more = cnt != 0;
        if (more && (kind == ST_CMPS || kind == ST_SCAS)) {
            /* REPE ends when ZF = 0, REPNE when ZF = 1 */
            bool zf = cpu_zf(cpu);
            more = (i->flags & INSN_REPNE) ? !zf : zf;
        }
        *more_out = more;
    }
    return 0;
}

/* ---- perf: REP MOVS and REP STOS in bulk ----
 * Up to `max` iterations at once, forward (DF = 0) only, while every element lies inside both
 * segments (the fast-path segments of cpu/segfast.h), inside the current source and
 * destination pages, and those pages hit the read and write TLBs; returns how many ran (0: take
 * the one-at-a-time path). Each iteration would have hit the same two TLB entries, so nothing
 * but the copy happens: no walk, no MMIO, no watchpoint (those pages never get fast entries),
 * no code page (those never get write entries). Overlapping MOVS copies element by element in
 * order, as the instruction does. */
static uint32_t string_bulk(Cpu *cpu, const Insn *i, int kind, unsigned size, uint32_t max)
{
    CpuState *s = &cpu->s;
    uint32_t am = addr_mask(i);
    if ((s->eflags & F_DF) || (s->cr0 & CR0_AM)) {
        return 0;
    }
    uint32_t di = s->regs[R_EDI] & am, si = s->regs[R_ESI] & am;
    const SegReg *es = &s->seg[SEG_ES];
    uint32_t dlin = es->base + di;
    /* elements in the destination page, and below the limit and the address-size wrap */
    uint64_t n = (0x1000 - (dlin & 0xFFF)) / size;
    uint64_t lim = es->limit < am ? es->limit : am;
    if (!((es->attr & SEGF_WR_MASK) == SEGF_WR_WANT || cpu->mode != MODE_PROT) || di > lim ||
        n == 0) {
        return 0;
    }
    if ((lim - di + 1) / size < n) {
        n = (lim - di + 1) / size;
    }
    const TlbEntry *dte = segf_tlb(cpu, cpu->mmu.wr, dlin, size);
    if (!dte) {
        return 0;
    }
    uint8_t *d = (uint8_t *)(dte->addend + dlin);
    if (kind == ST_MOVS) {
        const SegReg *ss = &s->seg[src_seg(i)];
        uint32_t slin = ss->base + si;
        uint64_t slim = ss->limit < am ? ss->limit : am;
        if (!((ss->attr & SEGF_RD_MASK) == SEGF_RD_WANT || cpu->mode != MODE_PROT) || si > slim) {
            return 0;
        }
        if ((0x1000 - (slin & 0xFFF)) / size < n) {
            n = (0x1000 - (slin & 0xFFF)) / size;
        }
        if ((slim - si + 1) / size < n) {
            n = (slim - si + 1) / size;
        }
        const TlbEntry *ste = segf_tlb(cpu, cpu->mmu.rd, slin, size);
        if (!ste || n == 0) {
            return 0;
        }
        if (n > max) {
            n = max;
        }
        const uint8_t *src = (const uint8_t *)(ste->addend + slin);
        size_t bytes = (size_t)n * size;
        if (d + bytes <= src || src + bytes <= d) {
            memcpy(d, src, bytes);
        } else {
            for (size_t k = 0; k < bytes; k += size) {
                memmove(d + k, src + k, size);
            }
        }
        reg_set_masked(cpu, R_ESI, am, si + (uint32_t)bytes);
    } else { /* STOS */
        if (n > max) {
            n = max;
        }
        uint32_t v = reg_get(cpu, R_EAX, size);
        if (size == 1) {
            memset(d, (int)v, (size_t)n);
        } else {
            for (uint64_t k = 0; k < n; k++) {
                memcpy(d + k * size, &v, size);
            }
        }
    }
    reg_set_masked(cpu, R_EDI, am, di + (uint32_t)n * size);
    reg_set_masked(cpu, R_ECX, am, (s->regs[R_ECX] - (uint32_t)n) & am);
    return (uint32_t)n;
}
/* ---- end perf ---- */

/* A REP-prefixed instruction keeps iterating here while the run loop's current block could have
 * run on anyway (no pending event, the clock below cpu->run_stop): each further iteration counts
 * one tick and one retired instruction, exactly as if the loop had re-executed it, so interrupts
 * and timers still land between the same iterations. I/O string forms go one at a time. REP
 * MOVS/STOS may run several of those further iterations at once (string_bulk): each counts its
 * tick and retired instruction all the same, and the bound keeps the clock where the
 * one-at-a-time loop would have stopped. */
static inline __attribute__((always_inline)) int string_op(Cpu *cpu, const Insn *i, int kind,
                                                           unsigned size)
{
    Clock *clk = cpu->clock;
    uint64_t t0 = clk->ticks;
    bool more;
    int r = string_iter(cpu, i, kind, size, &more);
    while (!r && more) {
        if (kind == ST_INS || kind == ST_OUTS || cpu_events_pending(cpu) ||
            clk->ticks + 1 >= cpu->run_stop) {
            cpu->s.eip = cpu->insn_eip; /* the loop executes it again */
            break;
        }
        cpu->retired++;
        clk->ticks++;
        if (kind == ST_MOVS || kind == ST_STOS) {
            /* this iteration and up to the ones the checks above would still let through:
             * the clock must stay below run_stop before each of them, and the count (at
             * least 1 here) must not run out before */
            uint32_t cnt = cpu->s.regs[R_ECX] & addr_mask(i);
            uint64_t room = cpu->run_stop - clk->ticks;
            uint32_t m = string_bulk(cpu, i, kind, size, room < cnt ? (uint32_t)room : cnt);
            if (m) {
                cpu->retired += m - 1;
                clk->ticks += m - 1;
                more = (cpu->s.regs[R_ECX] & addr_mask(i)) != 0;
                continue;
            }
        }
        r = string_iter(cpu, i, kind, size, &more);
    }
    if (clk->ticks != t0) {
        /* the run loop bounded its block by the clock before this instruction: make it look
         * again (cpu/exec.c run_block_fast) */
        cpu->pending |= PEND_RECHECK;
    }
    return r;
}

#define STRING_FORMS(NAME, KIND)                                                                   \
    int op_##NAME##B(Cpu *cpu, const Insn *i)                                                      \
    {                                                                                              \
        return string_op(cpu, i, KIND, 1);                                                         \
    }                                                                                              \
    int op_##NAME##V(Cpu *cpu, const Insn *i)                                                      \
    {                                                                                              \
        return string_op(cpu, i, KIND, insn_osize(i));                                             \
    }
STRING_FORMS(MOVS, ST_MOVS)
STRING_FORMS(CMPS, ST_CMPS)
STRING_FORMS(STOS, ST_STOS)
STRING_FORMS(LODS, ST_LODS)
STRING_FORMS(SCAS, ST_SCAS)
STRING_FORMS(INS, ST_INS)
STRING_FORMS(OUTS, ST_OUTS)
