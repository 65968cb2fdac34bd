/* The CPU's and the board's saved state, declared to the snapshot engine (snapshots/cpu_state.c).
 *
 * The devices register their own sections; these are the parts no device owns: the CPU's
 * architectural state (cpu/state.h), the Cpu fields that are state rather than caches, the virtual
 * clock's tick count and the bus's A20 gate. Register them after every device, so that the CPU's
 * post_load (which drops decoded instructions and TLBs) runs last.
 */
#ifndef X86PC_CPU_STATE_SNAP_H
#define X86PC_CPU_STATE_SNAP_H

#include "chipset/clock.h"
#include "cpu/cpu.h"
#include "mmu/bus.h"
#include "snapshots/vmstate.h"

/* "cpu-state" (CpuState: registers, segment caches, control and debug registers, MSRs, x87, SSE)
 * and "cpu" (the INTR line, shutdown, pending events, the instruction counters). */
void cpu_snap_register(SnapRegistry *r, Cpu *cpu);
/* "clock" (ticks; the timers are saved by their owners) and "a20" (the gate's address mask). */
void board_snap_register(SnapRegistry *r, Clock *clock, Bus *bus);

/* The descriptors, for tests. */
extern const VmsDesc kCpuStateDesc;
extern const VmsDesc kCpuRunDesc;

#endif
