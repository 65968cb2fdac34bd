/* The interpreter's run loop: fetch through the TLB, decode once per instruction per code page,
 * dispatch through the handler table generated from decoder/opcodes.def, and check for pending
 * events between instructions.
 *
 * Virtual time: every instruction executed (retired, or faulted and turned into an exception)
 * advances the clock by one tick; an external interrupt's delivery takes no tick. The loop stops
 * exactly when the clock reaches the earliest timer deadline, so timers fire at the same
 * instruction count on every run (DESIGN.md "Virtual time").
 *
 * Decoded instructions live in straight-line blocks (up to BLOCK_MAX instructions, ending at an
 * instruction the table marks BLK other than a conditional jump, or at the end of the page), in
 * a direct-mapped cache keyed by physical address and the CS D bit; the loop runs through a
 * block without looking anything up again until a taken branch, an event or a deadline. A block
 * holds, per instruction, the table's handler or a specialised one (cpu/fastops.c). Each physical page has a generation number; a
 * write to a page that holds decoded code (the bus reports it through code_write) bumps the
 * generation, which invalidates every block from that page at once (and ends the running block
 * if it wrote its own page). Instructions that straddle two pages are decoded each time.
 */
#include <stdlib.h>

#include "cpu/cpu.h"
#include "cpu/fastops.h"
#include "cpu/x87ops.h"
#include "decoder/decode.h"
#include "decoder/opcodes.h"
#include "mmu/log.h"

/* Handlers are looked up through weak references: one nobody has written resolves to NULL and
 * raises #UD (tests/unit/test_dispatch.c lists those, and requires none for the model's ISA). */
#define OP(code, ext, pfx, name, mnem, o1, o2, o3, isa, attr, frd, fwr, fund)                     \
    extern int op_##name(Cpu *cpu, const Insn *i) __attribute__((weak));
#include "decoder/opcodes.def"
#undef OP

const OpHandler kOpHandlers[OPX_COUNT] = {
#define OP(code, ext, pfx, name, mnem, o1, o2, o3, isa, attr, frd, fwr, fund) op_##name,
#include "decoder/opcodes.def"
#undef OP
};

static int op_undefined(Cpu *cpu, const Insn *i)
{
    (void)i;
    return cpu_ud(cpu);
}

/* The handler to run for a decoded instruction on this CPU model. */
static OpHandler handler_for(const Cpu *cpu, const Insn *i)
{
    const OpInfo *info = &kOpTable[i->op];
    if ((info->attr & UD) || !(cpu->model->isa_mask & (1u << info->isa)) || !kOpHandlers[i->op]) {
        return op_undefined;
    }
    return cpu_fast_handler(i, kOpHandlers[i->op]); /* perf: a specialised form, or the table's */
}

#define GEN_INVALID UINT32_MAX

static void on_code_write(void *opaque, uint32_t ppage)
{
    Cpu *cpu = opaque;
    if (++cpu->page_gen[ppage] == GEN_INVALID) {
        cpu->page_gen[ppage] = 0;
    }
    cpu->bus->code[ppage] = 0;
    cpu->pending |= PEND_RECHECK;
}

static void on_deadline_earlier(void *opaque)
{
    Cpu *cpu = opaque;
    cpu->pending |= PEND_RECHECK;
}

static void on_map_changed(void *opaque)
{
    Cpu *cpu = opaque;
    mmu_flush_all(&cpu->mmu);
    cpu_flush_decoded(cpu);
}

int cpu_init(Cpu *cpu, Bus *bus, Clock *clock, const CpuModel *model)
{
    memset(cpu, 0, sizeof *cpu);
    cpu->bus = bus;
    cpu->clock = clock;
    cpu->model = model;
    cpu->bcache = calloc(BCACHE_SIZE, sizeof *cpu->bcache);
    cpu->page_gen = calloc(PHYS_PAGES, sizeof *cpu->page_gen);
    if (!cpu->bcache || !cpu->page_gen) {
        cpu_free(cpu);
        return -1;
    }
    mmu_init(&cpu->mmu, &cpu->s, bus);
    bus->cpu_opaque = cpu;
    bus->code_write = on_code_write;
    bus->map_changed = on_map_changed;
    clock->deadline_earlier = on_deadline_earlier;
    clock->deadline_opaque = cpu;
    cpu_flush_decoded(cpu);
    cpu_reset(cpu);
    return 0;
}

void cpu_free(Cpu *cpu)
{
    free(cpu->bcache);
    free(cpu->page_gen);
    cpu->bcache = NULL;
    cpu->page_gen = NULL;
}

void cpu_flush_decoded(Cpu *cpu)
{
    for (uint32_t k = 0; k < BCACHE_SIZE; k++) {
        cpu->bcache[k].gen = GEN_INVALID;
        cpu->bcache[k].n = 0;
    }
}

void cpu_update_mode(Cpu *cpu)
{
    CpuState *s = &cpu->s;
    if (!(s->cr0 & CR0_PE)) {
        cpu->mode = MODE_REAL;
        s->cpl = 0;
    } else if (s->eflags & F_VM) {
        cpu->mode = MODE_V86;
        s->cpl = 3;
    } else {
        cpu->mode = MODE_PROT;
    }
}

static void seg_reset(SegReg *sg, uint16_t sel, uint32_t base, uint16_t attr)
{
    sg->sel = sel;
    sg->base = base;
    sg->limit = 0xFFFF;
    sg->attr = attr;
}

/* Power-on and RESET state: SDM vol. 3, 9.1.1, table 9-1. */
void cpu_reset(Cpu *cpu)
{
    CpuState *s = &cpu->s;
    memset(s, 0, sizeof *s);
    s->eflags = 0x00000002u;
    s->eip = 0xFFF0;
    seg_reset(&s->seg[SEG_CS], 0xF000, 0xFFFF0000u, 0x9B);
    for (int r = 0; r < 6; r++) {
        if (r != SEG_CS) {
            seg_reset(&s->seg[r], 0, 0, 0x93);
        }
    }
    seg_reset(&s->ldtr, 0, 0, 0x82);
    seg_reset(&s->tr, 0, 0, 0x8B);
    s->gdtr.limit = 0xFFFF;
    s->idtr.limit = 0xFFFF;
    s->cr0 = 0x60000010u;
    s->dr[6] = 0xFFFF0FF0u;
    s->dr[7] = 0x00000400u;
    s->regs[R_EDX] = (cpu->model->family << 8) | (cpu->model->model << 4) | cpu->model->stepping;
    s->apic_base_msr_lo = 0xFEE00900u; /* BSP, enabled */
    s->tsc_offset = (uint64_t)0 - cpu->clock->ticks;
    s->fpu.cw = 0x0040; /* RESET (not FINIT) value */
    s->fpu.tw = 0x5555; /* all valid (zero) after RESET on a P6 ... */
    s->fpu.tw = 0xFFFF; /* ... but the SDM's table 9-1 gives empty: follow the SDM */
    s->mxcsr = 0x1F80;
    cpu->pending &= PEND_INTR | PEND_NMI;
    cpu->shutdown = 0;
    x87_update_ferr(cpu); /* FERR# follows the (now clear) ES bit */
    cpu_update_mode(cpu);
    mmu_flush_all(&cpu->mmu);
}

void cpu_set_intr(Cpu *cpu, int level)
{
    cpu->intr_line = (uint8_t)(level != 0);
    if (level) {
        cpu->pending |= PEND_INTR;
    } else {
        cpu->pending &= ~PEND_INTR;
    }
}

void cpu_nmi(Cpu *cpu)
{
    cpu->pending |= PEND_NMI;
}

/* Fetch the bytes of the instruction at CS:EIP and decode it. Returns 0 with *i and *paddr
 * filled (paddr = UINT32_MAX if the instruction straddles pages and must not be cached), or
 * nonzero with an exception recorded. */
static int fetch_decode(Cpu *cpu, uint32_t lin, Insn *i, uint32_t *paddr_out)
{
    CpuState *s = &cpu->s;
    int acc = ACC_FETCH | (s->cpl == 3 ? ACC_USER : 0);
    uint32_t pa;
    if (mmu_translate(&cpu->mmu, lin, acc, &pa)) {
        return 1;
    }
    uint8_t buf[16];
    unsigned first = 0x1000 - (lin & 0xFFF);
    if (first > 15) {
        first = 15;
    }
    for (unsigned k = 0; k < first; k++) {
        buf[k] = (uint8_t)bus_read(cpu->bus, pa + k, 1);
    }
    bool d32 = (s->seg[SEG_CS].attr & SEG_ATTR_DB) != 0;
    DecodeStatus st = decode_insn(i, buf, first, d32);
    *paddr_out = pa;
    if (st == DEC_MORE) {
        uint32_t pa2;
        if (mmu_translate(&cpu->mmu, lin + first, acc, &pa2)) {
            return 1;
        }
        for (unsigned k = first; k < 15; k++) {
            buf[k] = (uint8_t)bus_read(cpu->bus, pa2 + (k - first), 1);
        }
        st = decode_insn(i, buf, 15, d32);
        *paddr_out = UINT32_MAX;
    }
    if (st == DEC_TOOLONG) {
        return cpu_gp(cpu, 0);
    }
    if (st != DEC_OK) {
        /* #UD, unless the bytes that make it undefined lie past the CS limit */
        return cpu_ud(cpu);
    }
    return 0;
}

/* Single-stepping delivered an interrupt: that is the step (the debugger sees the handler's
 * first instruction). */
static int dbg_step_delivered(Cpu *cpu)
{
    cpu->pending &= ~PEND_DEBUG;
    if (cpu->dbg.hit.kind == DBG_HIT_NONE) {
        cpu->dbg.hit.kind = DBG_HIT_STEP;
    }
    return CPU_STOP_DEBUG;
}

/* Deliver what the pending bits and the halted state call for. Returns -1 to go on executing,
 * or a CpuStop. */
static int handle_events(Cpu *cpu)
{
    CpuState *s = &cpu->s;
    if (cpu->pending & PEND_RESET) {
        cpu->pending &= ~PEND_RESET;
        cpu_reset(cpu);
    }
    if (cpu->pending & PEND_FLUSH) {
        cpu->pending &= ~PEND_FLUSH;
        cpu_flush_decoded(cpu);
        mmu_flush_all(&cpu->mmu);
    }
    cpu->pending &= ~PEND_RECHECK;
    if (cpu->pending & PEND_EXIT) {
        cpu->pending &= ~PEND_EXIT;
        return CPU_STOP_EXIT;
    }
    if (cpu->shutdown) {
        return CPU_STOP_SHUTDOWN;
    }
    /* ---- debugger: a stop, and single steps that hold interrupts ---- */
    if (cpu->pending & PEND_DEBUG) {
        cpu->pending &= ~PEND_DEBUG;
        return CPU_STOP_DEBUG;
    }
    uint32_t dflags = cpu->dbg.flags;
    if ((dflags & (DBG_F_STEP | DBG_F_NOIRQ)) == (DBG_F_STEP | DBG_F_NOIRQ)) {
        return s->halted ? CPU_STOP_DEBUG : -1; /* a halted CPU cannot step without them */
    }
    /* ---- end debugger ---- */
    if (!s->inhibit_irq) {
        /* SDM 6.9: NMI before maskable interrupts */
        if ((cpu->pending & PEND_NMI) && !s->nmi_blocked) {
            cpu->pending &= ~PEND_NMI;
            s->halted = 0;
            s->nmi_blocked = 1;
            if (cpu_interrupt(cpu, EXC_NMI, INT_EXT, 0, 0)) {
                cpu_deliver_exception(cpu);
            }
            return (dflags & DBG_F_STEP) ? dbg_step_delivered(cpu) : -1;
        }
        if ((cpu->pending & PEND_INTR) && (s->eflags & F_IF)) {
            int vec = cpu->intr_ack ? cpu->intr_ack(cpu->intr_opaque) : -1;
            s->halted = 0;
            if (vec >= 0) {
                xlog(LOG_INT, "irq vector 0x%02x at %04x:%08x", vec, s->seg[SEG_CS].sel, s->eip);
                if (cpu_interrupt(cpu, (uint8_t)vec, INT_EXT, 0, 0)) {
                    cpu_deliver_exception(cpu);
                }
                if (dflags & DBG_F_STEP) {
                    return dbg_step_delivered(cpu);
                }
            }
            return -1;
        }
    }
    if (s->halted) {
        return CPU_STOP_HALT;
    }
    return -1;
}

/* -d exec: one line per instruction, before it executes. */
static void trace_insn(Cpu *cpu, const Insn *i)
{
    char text[96];
    disasm_insn(i, cpu->s.eip, text, sizeof text);
    xlog_printf(LOG_EXEC, "%llu %04x:%08x %s  eax=%08x ebx=%08x ecx=%08x edx=%08x esp=%08x",
                (unsigned long long)cpu->clock->ticks, cpu->s.seg[SEG_CS].sel, cpu->s.eip, text,
                cpu->s.regs[R_EAX], cpu->s.regs[R_EBX], cpu->s.regs[R_ECX], cpu->s.regs[R_EDX],
                cpu->s.regs[R_ESP]);
}

/* Raise #DB for a single-step trap (EFLAGS.TF was set when the instruction began). */
static void single_step_trap(Cpu *cpu)
{
    cpu->s.dr[6] |= 0x4000u; /* BS */
    if (cpu_interrupt(cpu, EXC_DB, INT_EXC, 0, 0)) {
        cpu_deliver_exception(cpu);
    }
}

static inline uint32_t bcache_index(uint32_t pa)
{
    return (pa ^ (pa >> BCACHE_BITS) ^ (pa >> 20)) & (BCACHE_SIZE - 1);
}

/* ---- perf: where decoded blocks end ----
 * At the instructions the table marks BLK, except the conditional jumps (Jcc): when one is not
 * taken, the run loop simply goes on with the next instruction of the block (a taken one ends
 * the run through the EIP check), so straight-line code runs on past it without a new lookup.
 * POP SS holds off interrupts like MOV SS and STI (both BLK): it ends its block too, so that
 * run_block_fast only meets inhibit_irq set by the last instruction it ran. */
static inline bool ends_block(uint16_t op)
{
    if ((op >= OPX_JO_Jb && op <= OPX_JG_Jb) || (op >= OPX_JO_Jz && op <= OPX_JG_Jz)) {
        return false;
    }
    return (kOpTable[op].attr & BLK) || op == OPX_POP_SS;
}
_Static_assert(OPX_JG_Jb - OPX_JO_Jb == 15 && OPX_JG_Jz - OPX_JO_Jz == 15,
               "the Jcc forms are contiguous in decoder/opcodes.def");
/* ---- end perf ---- */

/* Decode a block starting at physical address pa (the first instruction already decoded in
 * *first). Stops at an instruction that ends blocks, at the end of the page, at an instruction
 * that does not decode, or at BLOCK_MAX. */
static DecodedBlock *build_block(Cpu *cpu, uint32_t pa, uint32_t d, const Insn *first)
{
    uint32_t pp = pa >> 12;
    const uint8_t *page = cpu->bus->pages[pp].rd;
    DecodedBlock *b = &cpu->bcache[bcache_index(pa)];
    if (!cpu->bus->code[pp]) {
        cpu->bus->code[pp] = 1;
        mmu_protect_code_page(&cpu->mmu, pp << 12);
    }
    cpu->blocks_built++;
    b->key = pa | d;
    b->gen = cpu->page_gen[pp];
    b->n = 0;
    uint32_t off = pa & 0xFFF;
    uint32_t start = off;
    Insn insn = *first;
    for (;;) {
        DecodedInsn *di = &b->ins[b->n++];
        di->insn = insn;
        di->fn = handler_for(cpu, &insn);
        off += insn.len;
        b->bytes = off - start;
        if (ends_block(insn.op) || b->n == BLOCK_MAX || off >= 0x1000) {
            break;
        }
        if (decode_insn(&insn, page + off, 0x1000 - off, d != 0) != DEC_OK) {
            break; /* straddles the page end, or faults: run it on its own */
        }
    }
    return b;
}

/* ---- perf: the block loop of cpu_run when no instruction needs the careful path ----
 * Runs instructions of a block until it ends, one branches or faults, something becomes
 * pending, or the clock reaches `stop` (at least one instruction). The bounds are worked out
 * once per block: the clock allows `stop - ticks` instructions, REP string instructions that
 * ran several iterations raise PEND_RECHECK (cpu/string.c), and the three instructions that
 * hold off interrupts (STI, MOV SS, POP SS) always end their block (build_block), so
 * inhibit_irq can only be set by the last instruction run here, or be set on entry, when only
 * one instruction runs: each retired instruction then decrements it, as on the careful path. */
static inline __attribute__((always_inline)) void run_block_fast(Cpu *cpu, const DecodedInsn *di,
                                                                 uint32_t n, uint64_t stop)
{
    CpuState *s = &cpu->s;
    Clock *clk = cpu->clock;
    uint64_t t = clk->ticks;
    if (__builtin_expect(stop - t < n, 0)) {
        n = stop > t ? (uint32_t)(stop - t) : 1;
    }
    if (__builtin_expect(s->inhibit_irq != 0, 0)) {
        n = 1;
    }
    const DecodedInsn *end = di + n;
    /* cpu_events_pending(): a pending bit other than INTR, or INTR with IF. IF can only go from
     * 0 to 1 in an instruction that ends its block (STI, POPF, IRET, task switches: BLK), so
     * the mask taken here serves the whole block (a CLI in it only ends the block early). */
    uint32_t pmask = (s->eflags & F_IF) ? ~0u : ~PEND_INTR;
    uint32_t eip = s->eip;
    for (;;) {
        uint32_t next = eip + di->insn.len;
        clk->ticks = ++t;
        cpu->insn_eip = eip;
        s->eip = next;
        if (__builtin_expect(di->fn(cpu, &di->insn), 0)) {
            s->eip = cpu->insn_eip;
            cpu_deliver_exception(cpu);
            return;
        }
        cpu->retired++;
        /* a branch, or an event */
        if (__builtin_expect(((s->eip ^ next) | (cpu->pending & pmask)) != 0, 0)) {
            break;
        }
        if (++di == end) {
            break;
        }
        eip = next;
    }
    if (__builtin_expect(s->inhibit_irq != 0, 0)) {
        s->inhibit_irq--;
    }
}
/* ---- end perf ---- */

CpuStop cpu_run(Cpu *cpu, uint64_t max_steps)
{
    CpuState *s = &cpu->s;
    Clock *clk = cpu->clock;
    /* every step advances the clock by one tick, and nothing else moves it while the loop
     * runs: the budget ends at a fixed tick */
    uint64_t limit = clk->ticks + max_steps;
    if (limit < clk->ticks) {
        limit = UINT64_MAX;
    }
    while (clk->ticks < limit) {
        if (cpu_events_pending(cpu) || s->halted || cpu->shutdown) {
            int r = handle_events(cpu);
            if (r >= 0) {
                return (CpuStop)r;
            }
            if (cpu->shutdown) {
                return CPU_STOP_SHUTDOWN;
            }
        }
        if (clk->ticks >= clk->next_deadline &&
            (cpu->dbg.flags & (DBG_F_STEP | DBG_F_NOTIMER)) != (DBG_F_STEP | DBG_F_NOTIMER)) {
            return CPU_STOP_DEADLINE;
        }
        uint32_t lin = s->seg[SEG_CS].base + s->eip;
        if (__builtin_expect(cpu->dbg.active, 0) && cpu_dbg_before(cpu, lin)) {
            return CPU_STOP_DEBUG; /* a breakpoint: nothing of the instruction has happened */
        }
        uint32_t d = (s->seg[SEG_CS].attr & SEG_ATTR_DB) ? 1 : 0;

        /* find the decoded block: the TLB gives the physical address */
        DecodedBlock *b = NULL;
        const TlbEntry *te = &cpu->mmu.rd[s->cpl == 3][(lin >> 12) & (TLB_SIZE - 1)];
        if (te->tag == (lin & ~0xFFFu)) {
            uint32_t pa = te->ppage | (lin & 0xFFF);
            b = &cpu->bcache[bcache_index(pa)];
            if (b->key != (pa | d) || b->gen != cpu->page_gen[pa >> 12]) {
                b = NULL;
            }
        }
        DecodedInsn single;
        const DecodedInsn *di;
        uint32_t n, bytes;
        if (b) {
            di = b->ins;
            n = b->n;
            bytes = b->bytes;
        } else {
            uint32_t pa;
            cpu->insn_eip = s->eip;
            if (fetch_decode(cpu, lin, &single.insn, &pa)) {
                clk->ticks++;
                s->eip = cpu->insn_eip;
                cpu_deliver_exception(cpu);
                if (cpu->dbg.active) {
                    cpu_dbg_after(cpu); /* a step that faulted on its fetch */
                }
                continue;
            }
            if (pa != UINT32_MAX && (pa & 0xFFF) + single.insn.len <= 0x1000 &&
                cpu->bus->pages[pa >> 12].rd) {
                /* a page without a fast TLB entry (a debugger watchpoint on it, or a TLB
                 * conflict) may still have its block decoded */
                b = &cpu->bcache[bcache_index(pa)];
                if (b->key != (pa | d) || b->gen != cpu->page_gen[pa >> 12]) {
                    b = build_block(cpu, pa, d, &single.insn);
                }
                di = b->ins;
                n = b->n;
                bytes = b->bytes;
            } else {
                single.fn = handler_for(cpu, &single.insn);
                di = &single;
                n = 1;
                bytes = single.insn.len;
            }
        }

        /* Run the block until it ends, branches, or something needs attention. A single-step
         * trap (TF), tracing, or a block not wholly inside the CS limit go one at a time. */
        uint64_t stop = limit;
        if (clk->next_deadline < stop) {
            stop = clk->next_deadline;
        }
        cpu->blocks_run++;
        bool careful = ((s->eflags & F_TF) | (g_log_mask & (1u << LOG_EXEC)) | cpu->dbg.active) ||
                       s->eip + bytes - 1 > s->seg[SEG_CS].limit || s->eip + bytes < s->eip;
        if (careful) {
            n = 1;
            stop = clk->ticks + 1;
        }
        cpu->run_stop = stop;
        if (!careful) {
            run_block_fast(cpu, di, n, stop); /* perf */
            n = 0;
        }
        for (uint32_t k = 0; k < n; k++, di++) {
            const Insn *insn = &di->insn;
            uint32_t eip = s->eip;
            clk->ticks++;
            cpu->insn_eip = eip;
            {
                if (cpu->dbg.active) {
                    cpu_dbg_record(cpu, eip, lin, insn);
                }
                /* the whole instruction must lie within the CS limit */
                if (eip + insn->len - 1 > s->seg[SEG_CS].limit || eip + insn->len < eip) {
                    cpu_gp(cpu, 0);
                    cpu_deliver_exception(cpu);
                } else {
                    if (g_log_mask & (1u << LOG_EXEC)) {
                        trace_insn(cpu, insn);
                    }
                    uint32_t trap_flags = s->eflags & F_TF;
                    s->eip = eip + insn->len;
                    if (di->fn(cpu, insn)) {
                        s->eip = cpu->insn_eip;
                        cpu_deliver_exception(cpu);
                    } else {
                        cpu->retired++;
                        if (s->inhibit_irq) {
                            s->inhibit_irq--;
                        }
                        if (trap_flags) {
                            single_step_trap(cpu);
                        }
                    }
                }
                if (cpu->dbg.active) {
                    cpu_dbg_after(cpu);
                }
                break;
            }
        }
    }
    return CPU_STOP_DEADLINE;
}
