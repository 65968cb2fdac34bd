/* The gdb remote stub (-gdb tcp::PORT, -s, -S): GDB's remote serial protocol over TCP. */
#ifndef X86PC_GDBSTUB_H
#define X86PC_GDBSTUB_H

#include <stdbool.h>

#include "frontend/machine.h"

/* Listen on `spec` ("tcp::PORT", "tcp:HOST:PORT" or ":PORT"; the host defaults to 127.0.0.1).
 * With `wait`, the machine waits for gdb before its first instruction; otherwise it runs and
 * stops when gdb connects. Returns 0, or -1 after printing one line (bad spec, port in use). */
int gdbstub_init(Machine *m, const char *spec, bool wait);
void gdbstub_free(Machine *m);

#endif
