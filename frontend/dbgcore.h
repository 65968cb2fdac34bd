/* What the debugger prompt (debugger.c) and the gdb stub (gdbstub.c) share: breakpoint,
 * watchpoint and catchpoint bookkeeping synchronised into the CPU's and the MMU's debug state,
 * memory access through the MMU without side effects, register access by name, and the
 * decoders for page tables, descriptors, the TSS and device state. */
#ifndef X86PC_DBGCORE_H
#define X86PC_DBGCORE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "frontend/machine.h"

enum { DBGI_BREAK, DBGI_WATCH, DBGI_VECTOR, DBGI_IO, DBGI_CR0, DBGI_TRIPLE };
enum { DBG_OWNER_PROMPT, DBG_OWNER_GDB, DBG_OWNER_TEMP };

typedef struct DbgItem {
    uint16_t id;
    uint8_t type;  /* DBGI_* */
    uint8_t owner; /* DBG_OWNER_*: temporary ones go at the next stop, gdb's at detach */
    uint8_t enabled;
    uint8_t kind;  /* DBGI_BREAK: DBG_BP_*; DBGI_WATCH: 1 if physical */
    uint8_t rw;    /* DBGI_WATCH: MMU_WATCH_*; DBGI_IO: 1 = in, 2 = out */
    uint8_t cond_op, cond_reg;
    uint16_t sel;
    uint32_t addr, len; /* DBGI_VECTOR/DBGI_IO: first and last number in addr and len */
    uint32_t cond_val;
    uint32_t hits;
} DbgItem;

#define DBG_MAX_ITEMS 128
#define DBG_HIST_SIZE 1024

typedef struct DbgCore {
    Machine *m;
    DbgItem items[DBG_MAX_ITEMS];
    int nitems;
    int next_id;
    bool stop_triple; /* the default triple-fault stop, besides any 'catch triple' */
    DbgHistEntry hist[DBG_HIST_SIZE];
    FILE *trace;      /* instruction trace file, or NULL */
    uint32_t step_left; /* the prompt's 'step N': steps still to go */
} DbgCore;

void dbgcore_init(DbgCore *c, Machine *m);
void dbgcore_free(DbgCore *c);
/* Push the item list into the CPU and MMU (after any change). Returns -1 if the CPU's or the
 * MMU's tables are full (the items that did not fit are disabled). */
int dbgcore_sync(DbgCore *c);
/* Add an item; returns its id, or -1 (list full). The item's id is assigned. */
int dbgcore_add(DbgCore *c, const DbgItem *it);
DbgItem *dbgcore_find(DbgCore *c, int id);
int dbgcore_delete(DbgCore *c, int id);
void dbgcore_delete_owner(DbgCore *c, int owner);
void dbgcore_list(DbgCore *c, FILE *out);
/* The stop that just happened, in words (one line, no newline), and the hit counts. */
void dbgcore_describe_stop(DbgCore *c, char *buf, size_t n);
/* Resume: clear the hit, step over a breakpoint at the current instruction, set the flags. */
void dbgcore_resume(DbgCore *c, bool step, bool noirq, bool notimer);
bool dbgcore_set_trace(DbgCore *c, const char *path); /* NULL: stop tracing */

/* ---- memory without side effects (no A/D bits, no faults, no watchpoints) ---- */
/* Returns the number of bytes done before the first unmapped page. */
uint32_t dbg_read_lin(Machine *m, uint32_t lin, void *buf, uint32_t len);
uint32_t dbg_write_lin(Machine *m, uint32_t lin, const void *buf, uint32_t len);
uint32_t dbg_read_phys(Machine *m, uint64_t pa, void *buf, uint32_t len);
uint32_t dbg_write_phys(Machine *m, uint64_t pa, const void *buf, uint32_t len);
int dbg_lin_to_phys(Machine *m, uint32_t lin, uint32_t *pa); /* 0, or -1 if not mapped */

/* ---- registers by name (eax, ax, al, eip, eflags, cs, cr0, dr7, ...) ---- */
int dbg_reg_get(Machine *m, const char *name, uint32_t *v); /* 0, or -1 unknown */
/* Set a register; segment registers load as MOV would (protected mode: from the GDT/LDT).
 * Returns 0, or -1 with a reason in err. */
int dbg_reg_set(Machine *m, const char *name, uint32_t v, char *err, size_t n);
/* the DBG_REG_* number for a breakpoint condition, or -1 */
int dbg_cond_reg(const char *name);

/* ---- state dumps ---- */
void dbg_show_regs(Machine *m, FILE *out);
void dbg_show_sregs(Machine *m, FILE *out);
void dbg_show_cregs(Machine *m, FILE *out);
void dbg_show_dregs(Machine *m, FILE *out);
void dbg_show_fpu(Machine *m, FILE *out);
void dbg_show_eflags(uint32_t f, char *buf, size_t n);
void dbg_page_walk(Machine *m, uint32_t lin, FILE *out);
/* table: 'g' GDT, 'l' LDT, 'i' IDT; entries first..first+count-1 (clipped to the limit) */
void dbg_show_table(Machine *m, int table, uint32_t first, uint32_t count, FILE *out);
void dbg_show_tss(Machine *m, FILE *out);
void dbg_fmt_desc(uint32_t lo, uint32_t hi, bool idt, char *buf, size_t n);
/* device: "pic", "pit", "serial", "apic", "ioapic"; returns -1 for an unknown name */
int dbg_show_device(Machine *m, const char *name, FILE *out);
/* One line "[lin] cs:eip: disassembly (bytes)" for the current instruction or a given address. */
uint32_t dbg_disasm_at(Machine *m, uint32_t lin, uint32_t eip, uint16_t cs, bool d32, FILE *out);
void dbg_show_where(Machine *m, FILE *out);

#endif
