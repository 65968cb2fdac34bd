/* Internals shared by the protected-mode system files: cpu/seg.c, cpu/far.c, cpu/interrupt.c,
 * cpu/task.c, cpu/io.c, cpu/flagsys.c and cpu/desc.c. Not a public interface: the rest of the CPU
 * uses the functions declared in cpu/cpu.h.
 *
 * Descriptors are kept raw (the two little-endian dwords of SDM vol. 3 figure 3-8); the helpers
 * below decode the fields. Error codes for selector faults follow SDM vol. 3 6.13: index and TI
 * from the selector, bit 0 (EXT) set while the CPU delivers an external event or an exception.
 */
#ifndef X86PC_CPU_SYS_H
#define X86PC_CPU_SYS_H

#include "cpu/cpu.h"
#include "decoder/opcodes.h"

/* a prototype for every handler of the opcode table (-Wmissing-prototypes) */
#define OP(code, ext, pfx, name, mnem, o1, o2, o3, isa, attr, frd, fwr, fund)                     \
    int op_##name(Cpu *cpu, const Insn *i);
#include "decoder/opcodes.def"
#undef OP

/* s.inhibit_irq for "interrupts held off until after the next instruction" (MOV SS, POP SS,
 * STI): the run loop decrements it after every instruction, the setting one included. */
#define SYS_INHIBIT_ONE 2

typedef struct Desc {
    uint32_t lo, hi;
} Desc;

/* system descriptor types (S = 0) */
enum {
    DT_TSS16_AVAIL = 1, DT_LDT = 2, DT_TSS16_BUSY = 3, DT_CALLGATE16 = 4, DT_TASKGATE = 5,
    DT_INTGATE16 = 6, DT_TRAPGATE16 = 7, DT_TSS32_AVAIL = 9, DT_TSS32_BUSY = 11,
    DT_CALLGATE32 = 12, DT_INTGATE32 = 14, DT_TRAPGATE32 = 15,
};

static inline unsigned desc_type(const Desc *d)
{
    return (d->hi >> 8) & 0xF;
}
static inline bool desc_s(const Desc *d) /* code or data (not system) */
{
    return (d->hi >> 12) & 1;
}
static inline unsigned desc_dpl(const Desc *d)
{
    return (d->hi >> 13) & 3;
}
static inline bool desc_present(const Desc *d)
{
    return (d->hi >> 15) & 1;
}
static inline bool desc_is_code(const Desc *d)
{
    return desc_s(d) && (d->hi & 0x800);
}
static inline bool desc_is_conforming(const Desc *d) /* only meaningful for code */
{
    return (d->hi & 0x400) != 0;
}
static inline bool desc_code_readable(const Desc *d)
{
    return (d->hi & 0x200) != 0;
}
static inline bool desc_is_writable_data(const Desc *d)
{
    return desc_s(d) && !(d->hi & 0x800) && (d->hi & 0x200);
}
static inline uint32_t desc_base(const Desc *d)
{
    return (d->lo >> 16) | ((d->hi & 0xFF) << 16) | (d->hi & 0xFF000000u);
}
static inline uint32_t desc_limit(const Desc *d) /* scaled by G */
{
    uint32_t l = (d->lo & 0xFFFF) | (d->hi & 0xF0000);
    return (d->hi & 0x800000) ? (l << 12) | 0xFFF : l;
}
/* gates */
static inline uint16_t gate_sel(const Desc *d)
{
    return (uint16_t)(d->lo >> 16);
}
static inline uint32_t gate_offset(const Desc *d)
{
    return (d->lo & 0xFFFF) | (d->hi & 0xFFFF0000u);
}
static inline unsigned gate_params(const Desc *d)
{
    return d->hi & 0x1F;
}

/* mode tests from the architectural state (not cpu->mode, so they hold mid-instruction) */
static inline bool cpu_pm(const Cpu *cpu)
{
    return (cpu->s.cr0 & CR0_PE) != 0;
}
static inline bool cpu_v86(const Cpu *cpu)
{
    return cpu_pm(cpu) && (cpu->s.eflags & F_VM);
}
static inline unsigned cpu_iopl(const Cpu *cpu)
{
    return (cpu->s.eflags >> 12) & 3;
}
/* error code for a selector fault, with the EXT bit of the event being delivered */
static inline uint32_t sel_err(const Cpu *cpu, uint16_t sel)
{
    return (uint32_t)(sel & 0xFFFC) | cpu->ext;
}
static inline int sys_fault_sel(Cpu *cpu, int vec, uint16_t sel)
{
    return cpu_raise(cpu, vec, 1, sel_err(cpu, sel));
}
static inline void sys_set_esp(Cpu *cpu, uint32_t v, uint32_t mask)
{
    cpu->s.regs[R_ESP] = (cpu->s.regs[R_ESP] & ~mask) | (v & mask);
}

/* ---- cpu/seg.c ---- */
/* Linear address of a selector's descriptor; false when it lies beyond the GDT/LDT limit (or TI
 * names an unusable LDT). */
bool sys_desc_addr(const Cpu *cpu, uint16_t sel, uint32_t *lin);
/* Read a descriptor; beyond the table limit raise `vec`(selector). */
int sys_fetch_desc(Cpu *cpu, uint16_t sel, Desc *d, int vec);
/* Set the accessed bit of a code/data descriptor in memory if it is clear (SDM 3.4.5.1). */
int sys_set_accessed(Cpu *cpu, uint16_t sel, Desc *d);
/* Set a TSS descriptor's busy bit (in the GDT) to `busy`. */
int sys_set_busy(Cpu *cpu, uint16_t sel, bool busy);
void sys_seg_from_desc(SegReg *r, uint16_t sel, const Desc *d);
/* Load CS with a validated descriptor; the RPL becomes `cpl`, which becomes the CPL. */
void sys_load_cs(Cpu *cpu, uint16_t sel, const Desc *d, unsigned cpl);
/* A null selector in DS/ES/FS/GS: usable for nothing until reloaded. */
void sys_load_null(Cpu *cpu, int seg, uint16_t sel);
/* V86-mode segment register: base sel << 4, 64 KB writable data, DPL 3 (SDM 20.1.1). */
void sys_load_seg_v86(Cpu *cpu, int seg, uint16_t sel);
/* Protected-mode checks for a data segment register (ES/DS/FS/GS) at privilege `cpl`, raising
 * `vec_gp`(sel) for type/privilege errors and #NP(sel) if not present; sets the accessed bit and
 * loads the register. Used by MOV/POP/Lxx (vec_gp = #GP) and the task switch (#TS). */
int sys_load_data_seg(Cpu *cpu, int seg, uint16_t sel, unsigned cpl, int vec_gp);
/* RETF/IRET to an outer level: null DS/ES/FS/GS that the new CPL may not use (SDM RET). */
void sys_null_outer_segs(Cpu *cpu);
/* Offset range check of a segment cache entry (expand-down aware). */
bool sys_seg_range_ok(const SegReg *r, uint32_t off, unsigned len);

/* ---- stack frames built on a stack that may not be the current one (cpu/seg.c) ----
 * Values are pushed in order; nothing is written until sys_frame_commit, and sys_frame_check
 * raises #SS(`ss_err`) on a limit violation or #PF, so a failed check changes nothing. */
typedef struct StackFrame {
    SegReg ss;
    uint32_t esp;   /* ESP before the pushes */
    unsigned size;  /* 2 or 4 */
    bool user;      /* CPL 3 accesses */
    unsigned n;
    uint32_t val[12];
} StackFrame;
void sys_frame_init(StackFrame *f, const SegReg *ss, uint32_t esp, unsigned size, unsigned cpl);
static inline void sys_frame_push(StackFrame *f, uint32_t v)
{
    if (f->n < 12) {
        f->val[f->n++] = v;
    }
}
int sys_frame_check(Cpu *cpu, const StackFrame *f, uint32_t ss_err);
/* Writes the values; returns the ESP after the pushes (only the low 16 bits change if SS.B=0). */
uint32_t sys_frame_commit(Cpu *cpu, const StackFrame *f);

/* ---- cpu/task.c ---- */
enum { TS_JMP, TS_CALL, TS_IRET, TS_INT };
/* Switch to the task whose TSS selector is `sel` with descriptor `d` (already checked for type,
 * privilege and presence by the caller, SDM 7.3 steps 1-2). For TS_INT, `has_error`/`error` is
 * pushed on the new task's stack. */
int sys_task_switch(Cpu *cpu, uint16_t sel, Desc *d, int kind, int has_error, uint32_t error);

/* ---- cpu/interrupt.c ---- */
/* SS:ESP for ring `dpl` from the current TSS (32- or 16-bit); #TS(TR) beyond its limit. */
int sys_tss_stack(Cpu *cpu, unsigned dpl, uint16_t *ss, uint32_t *esp);
/* ... and validated as the inner stack of a privilege change (#TS/#SS with the SDM's codes). */
int sys_inner_stack(Cpu *cpu, unsigned dpl, SegReg *ss, Desc *ssd, uint32_t *esp);
/* EFLAGS writes from POPF/IRET and friends: replace the bits in `mask` and update the mode. */
void sys_write_eflags(Cpu *cpu, uint32_t v, uint32_t mask);

#endif
