/* The CPU: architectural state plus what the interpreter needs around it.
 *
 * Conventions every handler follows (DESIGN.md "Exceptions are values"):
 * - A handler is `int op_<NAME>(Cpu *cpu, const Insn *i)` for the table entry OPX_<NAME>. When it
 *   runs, s.eip already points past the instruction (next_eip); the start is cpu->insn_eip.
 * - It returns 0, or the nonzero value of cpu_raise()/cpu_gp()/... after recording an exception
 *   in the CPU state. The run loop then rewinds EIP to the instruction's start and delivers it.
 *   Before returning nonzero a handler must not have changed architectural state it cannot undo:
 *   do every access that can fault (reads, write probes) before the first register or memory
 *   update.
 * - STI, MOV SS and POP SS hold off interrupts until the next instruction has completed by
 *   setting s.inhibit_irq = 2: the loop decrements it after every instruction.
 * - Anything that must end the current run of instructions (a mode change, a write to a device
 *   that may move a timer deadline, HLT) sets a bit in cpu->pending with cpu_request_exit().
 */
#ifndef X86PC_CPU_H
#define X86PC_CPU_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "chipset/clock.h"
#include "cpu/state.h"
#include "decoder/insn.h"
#include "mmu/bus.h"
#include "mmu/mmu.h"

typedef struct Cpu Cpu;
typedef int (*OpHandler)(Cpu *cpu, const Insn *i);

/* run-loop stop reasons */
typedef enum CpuStop {
    CPU_STOP_DEADLINE = 0, /* a timer is due (or the budget ran out) */
    CPU_STOP_HALT,         /* halted, waiting for an interrupt */
    CPU_STOP_EXIT,         /* cpu_request_exit() from outside or from a device */
    CPU_STOP_SHUTDOWN,     /* triple fault */
    CPU_STOP_DEBUG,        /* breakpoint, watchpoint or single-step for the debugger */
} CpuStop;

/* cpu->pending bits, checked between instructions */
#define PEND_INTR 0x01u  /* the INTR line is high */
#define PEND_NMI 0x02u
#define PEND_EXIT 0x04u  /* leave the run loop at the next boundary */
#define PEND_FLUSH 0x08u /* decoded code or TLB must be flushed (mode change) */
#define PEND_RESET 0x10u /* INIT/reset requested */
#define PEND_RECHECK 0x20u /* a timer deadline moved earlier, or code the CPU runs was written:
                            * leave the current block and look again */
#define PEND_DEBUG 0x40u /* stop for the debugger at the next boundary (cpu->dbg.hit says why) */

/* interrupt kinds for cpu_interrupt() */
#define INT_EXT 0      /* external (PIC/APIC) or NMI */
#define INT_SOFT 1     /* INT n (subject to IOPL/VME rules) */
#define INT_SOFT_EXC 2 /* INT3, INTO: software, but not IOPL-checked in V86 (SDM) */
#define INT_ICEBP 3    /* INT1 / F1 */
#define INT_EXC 4      /* processor exception */

/* CPU modes (derived from CR0.PE and EFLAGS.VM) */
enum { MODE_REAL = 0, MODE_PROT = 1, MODE_V86 = 2 };

typedef struct CpuModel {
    const char *name;
    uint32_t family, model, stepping;
    uint32_t cpuid_edx, cpuid_ecx;
    uint32_t isa_mask; /* bit per IsaLevel the model implements */
} CpuModel;

/* the decoded-instruction cache (cpu/exec.c): straight-line blocks of decoded instructions,
 * direct-mapped by the physical address of their first byte */
#define BLOCK_MAX 32
#define BCACHE_BITS 14
#define BCACHE_SIZE (1u << BCACHE_BITS)
typedef struct DecodedInsn {
    OpHandler fn;
    Insn insn;
} DecodedInsn;
typedef struct DecodedBlock {
    uint32_t key; /* physical address of the first byte | 1 if CS.D (32-bit default) */
    uint32_t gen; /* generation of the page when decoded */
    uint32_t n;     /* instructions */
    uint32_t bytes; /* their total length */
    DecodedInsn ins[BLOCK_MAX];
} DecodedBlock;

/* ---- debugger support (cpu/debug.c; managed by frontend/dbgcore.c) ----
 * Everything the debugger and the gdb stub ask of the CPU. While `active` is zero the run loop
 * pays one predicted branch per block; when it is set (a breakpoint, single-stepping, the
 * history ring, a trace or a watchpoint exists) every instruction takes the careful path and
 * goes through cpu_dbg_before/record/after. Stops on vectors, ports and CR0 need no careful path:
 * their checks sit in cpu/interrupt.c, cpu/io.c and cpu/sysregs.c and raise PEND_DEBUG. */
#define DBG_MAX_BP 64
#define DBG_MAX_IO 16
enum { DBG_BP_LIN, DBG_BP_PHYS, DBG_BP_SEGOFF };
enum { DBG_COND_NONE, DBG_COND_EQ, DBG_COND_NE };
/* registers a breakpoint condition can name: 0-7 the GPRs, then these */
enum { DBG_REG_EIP = 8, DBG_REG_EFLAGS, DBG_REG_SEG0 /* + SEG_ES..SEG_GS */ };
typedef struct DbgBreak {
    uint8_t kind;    /* DBG_BP_* */
    uint8_t enabled;
    uint8_t cond_op; /* DBG_COND_* */
    uint8_t cond_reg;
    uint16_t sel;    /* DBG_BP_SEGOFF: CS selector */
    uint16_t id;     /* the frontend's number for it */
    uint32_t addr;   /* linear, physical or offset */
    uint32_t cond_val;
    uint32_t hits;
} DbgBreak;

/* why the CPU stopped for the debugger */
enum {
    DBG_HIT_NONE = 0,
    DBG_HIT_USER,   /* requested from outside (Ctrl-C, gdb's interrupt, attach, -debug start) */
    DBG_HIT_STEP,   /* one instruction retired or one interrupt delivered */
    DBG_HIT_BREAK,  /* index = bp[] slot */
    DBG_HIT_WATCH,  /* index = mmu.watch[] slot; addr/phys/size/write/value of the access */
    DBG_HIT_VECTOR, /* vector delivered (exception or interrupt) */
    DBG_HIT_IO,     /* port access */
    DBG_HIT_CR0,    /* CR0.PE or CR0.PG changed: value = old CR0, addr = new CR0 */
    DBG_HIT_TRIPLE, /* triple fault (the board stops instead of resetting) */
};
typedef struct DbgHit {
    uint8_t kind;
    uint8_t index;
    uint8_t vector;
    uint8_t write;
    uint16_t port;
    uint16_t size;
    uint32_t addr, phys, value;
} DbgHit;

/* one instruction of the history ring */
typedef struct DbgHistEntry {
    uint16_t cs;
    uint8_t len;
    uint8_t d32;
    uint32_t eip;
    uint32_t lin;
    uint8_t bytes[16];
} DbgHistEntry;

#define DBG_F_STEP 0x01u    /* stop after one instruction or one interrupt delivery */
#define DBG_F_NOIRQ 0x02u   /* while stepping: hold external interrupts and NMI */
#define DBG_F_NOTIMER 0x04u /* while stepping: do not stop for timer deadlines */
#define DBG_F_TRIPLE 0x08u  /* stop on a triple fault instead of resetting (the board checks) */
#define DBG_F_CR0 0x10u     /* stop when CR0.PE or CR0.PG changes */

typedef struct CpuDebug {
    uint8_t active;     /* see above: cpu_dbg_update() computes it */
    uint8_t vec_any;    /* some bit of vec_mask is set */
    uint8_t nio;        /* entries of io[] */
    uint8_t skip_valid; /* resume: do not stop at the breakpoint at skip_lin once */
    uint32_t flags;     /* DBG_F_* */
    uint32_t nbp;       /* slots of bp[] in use */
    uint32_t skip_lin;
    DbgBreak bp[DBG_MAX_BP];
    uint32_t vec_mask[8];
    struct {
        uint16_t lo, hi;
        uint8_t rw; /* 1 = IN, 2 = OUT, 3 = both */
    } io[DBG_MAX_IO];
    DbgHit hit;
    /* the last instructions executed, oldest overwritten (memory owned by the frontend) */
    DbgHistEntry *hist;
    uint32_t hist_size, hist_pos;
    uint64_t hist_count;
    /* called before every instruction while set (the frontend's instruction trace) */
    void (*trace)(void *opaque, Cpu *cpu, const DbgHistEntry *e);
    void *trace_opaque;
} CpuDebug;
/* ---- end debugger support ---- */

struct Cpu {
    CpuState s;
    Mmu mmu;
    Bus *bus;
    Clock *clock;
    const CpuModel *model;

    uint32_t pending;
    uint8_t mode;        /* MODE_* */
    uint8_t intr_line;   /* level of the INTR input */
    uint8_t shutdown;    /* triple fault happened: cpu_run returns CPU_STOP_SHUTDOWN */
    uint32_t insn_eip;   /* EIP of the instruction executing */
    uint64_t run_stop;   /* clock tick at which the current block must stop: a REP string
                          * instruction may run further iterations in one call while the
                          * clock is below it and nothing is pending */

    /* the interrupt controller: returns the vector of the highest pending interrupt (INTA) */
    int (*intr_ack)(void *opaque);
    void *intr_opaque;
    /* WRMSR to IA32_APIC_BASE (0x1B) succeeded: the board moves, enables or disables the local
     * APIC (cpu/sysregs.c); value is the MSR's new contents */
    void (*apic_base_changed)(void *opaque, uint64_t value);
    void *apic_opaque;
    /* board hooks */
    void (*on_shutdown)(void *opaque); /* triple fault */
    /* the FPU's FERR# output (the level of the ES bit) changed; PC boards route it to IRQ13
     * (cpu/x87ops.c). ferr_level is the last level reported. */
    void (*ferr)(void *opaque, int level);
    void *board_opaque;
    uint8_t ferr_level;

    /* decoded instructions */
    DecodedBlock *bcache;
    uint32_t *page_gen;  /* per physical page; bumped when code on it is written */

    /* statistics */
    uint64_t retired;
    uint64_t blocks_built; /* decoded blocks (re)built: cache misses */
    uint64_t blocks_run;   /* blocks entered */
    uint64_t halted_ticks;

    /* protected-mode events (cpu/interrupt.c) */
    uint8_t ext;      /* EXT bit (SDM vol. 3 6.13) of error codes while delivering an event */

    CpuDebug dbg; /* debugger support (cpu/debug.c) */
};

/* ---- lifetime (cpu/exec.c) ---- */
int cpu_init(Cpu *cpu, Bus *bus, Clock *clock, const CpuModel *model);
void cpu_free(Cpu *cpu);
void cpu_reset(Cpu *cpu);                    /* power-on / RESET state (SDM 9.1.1) */
CpuStop cpu_run(Cpu *cpu, uint64_t max_insns); /* until a deadline, a stop, or max_insns */
void cpu_set_intr(Cpu *cpu, int level);      /* the INTR pin */
void cpu_nmi(Cpu *cpu);
/* Is anything pending that the run loop must look at now? A high INTR line does not count
 * while EFLAGS.IF is clear (kernels run long stretches with interrupts off while one waits);
 * the instructions that set IF end their block, so the loop looks again right after them. */
static inline bool cpu_events_pending(const Cpu *cpu)
{
    uint32_t p = cpu->pending;
    return p && (p != PEND_INTR || (cpu->s.eflags & F_IF));
}
static inline void cpu_request_exit(Cpu *cpu)
{
    cpu->pending |= PEND_EXIT;
}
void cpu_flush_decoded(Cpu *cpu);            /* drop every decoded instruction */
void cpu_update_mode(Cpu *cpu);              /* after CR0.PE or EFLAGS.VM changed */
extern const CpuModel kCpuPentiumPro;
extern const CpuModel kCpuPentium2;

/* ---- debugger support (cpu/debug.c) ---- */
void cpu_dbg_update(Cpu *cpu);             /* after changing dbg (or mmu.watch): recompute active */
void cpu_dbg_request_stop(Cpu *cpu, int kind); /* stop at the next boundary with this hit kind */
int cpu_dbg_before(Cpu *cpu, uint32_t lin); /* run loop, before an instruction: 1 = stop here */
void cpu_dbg_record(Cpu *cpu, uint32_t eip, uint32_t lin, const Insn *i); /* history, trace */
void cpu_dbg_after(Cpu *cpu);               /* run loop, after an instruction: step, watch */
void cpu_dbg_vector(Cpu *cpu, uint8_t vector);
void cpu_dbg_io(Cpu *cpu, uint16_t port, unsigned size, bool write, uint32_t val);
void cpu_dbg_cr0(Cpu *cpu, uint32_t old_cr0, uint32_t new_cr0);
/* ---- end debugger support ---- */

/* ---- exceptions as values ---- */
static inline int cpu_raise(Cpu *cpu, int vector, int has_error, uint32_t error)
{
    cpu->s.exc_vector = (uint8_t)vector;
    cpu->s.exc_has_error = (uint8_t)has_error;
    cpu->s.exc_error = error;
    return 1;
}
static inline int cpu_gp(Cpu *cpu, uint32_t err)
{
    return cpu_raise(cpu, EXC_GP, 1, err);
}
static inline int cpu_ud(Cpu *cpu)
{
    return cpu_raise(cpu, EXC_UD, 0, 0);
}
static inline int cpu_ss_fault(Cpu *cpu, uint32_t err)
{
    return cpu_raise(cpu, EXC_SS, 1, err);
}

/* Deliver the exception recorded in s.exc_* (cpu/interrupt.c): double fault when the SDM says
 * so, triple fault -> shutdown. EIP has been rewound to the faulting instruction for faults. */
void cpu_deliver_exception(Cpu *cpu);
/* Deliver an interrupt or exception through the IVT/IDT (all modes, gates, stack switches, task
 * gates, V86 and VME redirection for INT_SOFT). Returns 0, or nonzero with a new exception
 * recorded (the caller decides on double fault). s.eip must be the return address. */
int cpu_interrupt(Cpu *cpu, uint8_t vector, int kind, int has_error, uint32_t error);

/* ---- flags (cpu/flags.c) ---- */
uint32_t cpu_get_eflags(Cpu *cpu);                    /* materialise the lazy bits */
void cpu_set_eflags_raw(Cpu *cpu, uint32_t v);        /* no privilege rules; bit 1 forced */
bool cpu_cf(Cpu *cpu);
bool cpu_zf(Cpu *cpu);
bool cpu_sf(Cpu *cpu);
bool cpu_of(Cpu *cpu);
bool cpu_pf(Cpu *cpu);
bool cpu_af(Cpu *cpu);
bool cpu_cond(Cpu *cpu, int cc);                      /* Jcc condition 0-15 */
static inline void cpu_set_lazy(Cpu *cpu, int op, int size, uint32_t res, uint32_t op1,
                                uint32_t op2)
{
    cpu->s.lf_op = (uint8_t)op;
    cpu->s.lf_size = (uint8_t)size;
    cpu->s.lf_res = res;
    cpu->s.lf_op1 = op1;
    cpu->s.lf_op2 = op2;
}
/* Set some arithmetic flags explicitly (materialises the rest first). */
void cpu_set_flags_mask(Cpu *cpu, uint32_t mask, uint32_t values);

/* ---- registers ---- */
static inline uint8_t cpu_reg8(const Cpu *cpu, int n)
{
    uint32_t r = cpu->s.regs[n & 3];
    return (uint8_t)(n & 4 ? r >> 8 : r);
}
static inline void cpu_set_reg8(Cpu *cpu, int n, uint8_t v)
{
    uint32_t *r = &cpu->s.regs[n & 3];
    if (n & 4) {
        *r = (*r & 0xFFFF00FFu) | ((uint32_t)v << 8);
    } else {
        *r = (*r & 0xFFFFFF00u) | v;
    }
}
static inline void cpu_set_reg16(Cpu *cpu, int n, uint16_t v)
{
    cpu->s.regs[n] = (cpu->s.regs[n] & 0xFFFF0000u) | v;
}
/* Read/write a register of the instruction's operand size (2 or 4 bytes). */
static inline unsigned insn_osize(const Insn *i)
{
    return (i->flags & INSN_OP32) ? 4 : 2;
}
static inline uint32_t cpu_reg_v(const Cpu *cpu, const Insn *i, int n)
{
    return (i->flags & INSN_OP32) ? cpu->s.regs[n] : (cpu->s.regs[n] & 0xFFFF);
}
static inline void cpu_set_reg_v(Cpu *cpu, const Insn *i, int n, uint32_t v)
{
    if (i->flags & INSN_OP32) {
        cpu->s.regs[n] = v;
    } else {
        cpu_set_reg16(cpu, n, (uint16_t)v);
    }
}
/* Set EIP after a near branch: truncated to 16 bits with a 16-bit operand size; #GP(0) if past
 * the CS limit (the SDM's check for every near transfer). */
int cpu_jump_near(Cpu *cpu, uint32_t target, unsigned osize);

/* ---- memory through segments (cpu/segmem.c) ----
 * `seg` is SEG_ES..SEG_GS; `off` the offset. These check the segment (present, rights, limit,
 * expand-down; #GP(0), or #SS(0) for SS) and then paging, raising the right exception. */
int cpu_read8(Cpu *cpu, int seg, uint32_t off, uint8_t *v);
int cpu_read16(Cpu *cpu, int seg, uint32_t off, uint16_t *v);
int cpu_read32(Cpu *cpu, int seg, uint32_t off, uint32_t *v);
int cpu_write8(Cpu *cpu, int seg, uint32_t off, uint8_t v);
int cpu_write16(Cpu *cpu, int seg, uint32_t off, uint16_t v);
int cpu_write32(Cpu *cpu, int seg, uint32_t off, uint32_t v);
/* size 1, 2 or 4: value zero-extended */
int cpu_read(Cpu *cpu, int seg, uint32_t off, unsigned size, uint32_t *v);
int cpu_write(Cpu *cpu, int seg, uint32_t off, unsigned size, uint32_t v);
/* check that a write of `size` bytes would succeed (segment and paging) without writing */
int cpu_probe_write(Cpu *cpu, int seg, uint32_t off, unsigned size);
/* linear reads and writes at a given privilege (descriptor tables, TSS: supervisor) */
int cpu_lin_read(Cpu *cpu, uint32_t lin, unsigned size, bool supervisor, uint32_t *v);
int cpu_lin_write(Cpu *cpu, uint32_t lin, unsigned size, bool supervisor, uint32_t v);

/* ---- ModRM operands (cpu/segmem.c) ---- */
uint32_t cpu_ea(const Cpu *cpu, const Insn *i); /* offset of the memory operand */
/* r/m operand of `size` bytes: a register when mod == 3, else memory at seg:ea */
int cpu_read_rm(Cpu *cpu, const Insn *i, unsigned size, uint32_t *v);
int cpu_write_rm(Cpu *cpu, const Insn *i, unsigned size, uint32_t v);
/* read-modify-write: reads after checking the write would succeed, so the write cannot fault */
int cpu_read_rm_rmw(Cpu *cpu, const Insn *i, unsigned size, uint32_t *v);

/* ---- stack (cpu/segmem.c): SS:ESP or SS:SP by SS.B, size 2 or 4 ---- */
int cpu_push(Cpu *cpu, unsigned size, uint32_t v);
int cpu_pop(Cpu *cpu, unsigned size, uint32_t *v);
/* read the stack at ESP+offset without popping (multi-pop instructions check first) */
int cpu_stack_read(Cpu *cpu, uint32_t offset, unsigned size, uint32_t *v);
static inline uint32_t cpu_sp_mask(const Cpu *cpu)
{
    return (cpu->s.seg[SEG_SS].attr & SEG_ATTR_DB) ? 0xFFFFFFFFu : 0xFFFFu;
}

/* ---- segments (cpu/seg.c) ---- */
/* MOV/POP to a segment register, LDS..LGS: every mode's rules (real: base = sel << 4). */
int cpu_load_seg(Cpu *cpu, int seg, uint16_t sel);
/* real-mode / V86 style load with no checks */
void cpu_load_seg_real(Cpu *cpu, int seg, uint16_t sel);
/* far transfers (cpu/far.c): JMP/CALL through code segments, call gates, task gates, TSS */
int cpu_far_jump(Cpu *cpu, uint16_t sel, uint32_t off, unsigned osize);
int cpu_far_call(Cpu *cpu, uint16_t sel, uint32_t off, unsigned osize);
int cpu_far_ret(Cpu *cpu, unsigned osize, uint16_t pop_bytes);
int cpu_iret(Cpu *cpu, unsigned osize);

/* ---- I/O (cpu/io.c): IOPL and TSS I/O-bitmap checks, then the bus ---- */
int cpu_io_check(Cpu *cpu, uint16_t port, unsigned size);
int cpu_in(Cpu *cpu, uint16_t port, unsigned size, uint32_t *v);
int cpu_out(Cpu *cpu, uint16_t port, unsigned size, uint32_t v);

#endif
