/* Specialised handlers for the most frequent instruction forms (cpu/fastops.c). */
#ifndef X86PC_CPU_FASTOPS_H
#define X86PC_CPU_FASTOPS_H

#include "cpu/cpu.h"

/* The handler to store in a decoded block for instruction *i, whose table handler is
 * `generic`: a specialised function that behaves exactly like `generic` for this decoded form
 * (a register operand, a 32-bit operand size, ...), or `generic` itself. */
OpHandler cpu_fast_handler(const Insn *i, OpHandler generic);

/* the table's handlers, indexed by OPX_* (cpu/exec.c) */
extern const OpHandler kOpHandlers[];

#endif
