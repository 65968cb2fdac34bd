/* The headless debugger prompt (-debug): commands in the spirit of Bochs' internal debugger and
 * gdb, read from a script (-debug-script FILE) and then from stdin. */
#ifndef X86PC_DEBUGGER_H
#define X86PC_DEBUGGER_H

#include <stdbool.h>
#include <stdio.h>

#include "frontend/machine.h"

/* Attach the prompt to the machine: it stops before the first instruction, and then at every
 * breakpoint, watchpoint, catchpoint, triple fault and Ctrl-C (SIGINT). `script` may be NULL.
 * Returns 0, or -1 after printing one line (script not readable). */
int debugger_init(Machine *m, const char *script);
void debugger_free(Machine *m);

/* Run one command line against a stopped machine, output to `out`. Returns 1 if the command
 * resumes the machine (step, continue, ...), 2 for quit, 0 otherwise. Used by the prompt and by
 * the gdb stub's 'monitor' command (which passes allow_resume = false). */
struct DbgCore;
int debugger_command(struct DbgCore *core, const char *line, FILE *out, bool allow_resume);

#endif
