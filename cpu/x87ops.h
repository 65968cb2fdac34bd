/* Helpers the x87 handlers (cpu/x87ops.c) share with the MMX and SSE handlers (cpu/mmx.c):
 * multi-byte memory operands moved without faulting half-way, and the FERR# output.
 * Not a public interface.
 */
#ifndef X86PC_CPU_X87OPS_H
#define X86PC_CPU_X87OPS_H

#include "cpu/cpu.h"

/* Read n bytes (n <= 512) at seg:off; nothing changes on a fault. */
int x87_mem_read(Cpu *cpu, int seg, uint32_t off, unsigned n, uint8_t *buf);
/* Would a write of n bytes (n <= 512) at seg:off succeed? */
int x87_mem_probe(Cpu *cpu, int seg, uint32_t off, unsigned n);
/* Write n bytes that x87_mem_probe() accepted. */
int x87_mem_write(Cpu *cpu, int seg, uint32_t off, unsigned n, const uint8_t *buf);
/* Tell the board (cpu->ferr) when the FPU's ES bit, the level of FERR#, has changed. */
void x87_update_ferr(Cpu *cpu);

#endif
