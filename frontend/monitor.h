/* The human monitor, after QEMU's: a "(x86pc) " prompt on the terminal with commands to inspect
 * and control the machine (help lists them: savevm, loadvm, info registers, stop, cont, quit, ...).
 *
 * It lives on stdio: alone with -monitor stdio, or multiplexed with COM1 when the serial console is
 * on stdio too (-nographic gives that by default): Ctrl-A c then switches between the two, as in
 * QEMU. Commands run between two slices of guest execution, so the machine is always at an
 * instruction boundary; an error in a command is printed and the machine carries on.
 */
#ifndef X86PC_MONITOR_H
#define X86PC_MONITOR_H

#include <stdbool.h>
#include <stdio.h>

struct Machine;

/* enabled: a monitor exists on stdio. mux: it shares stdio with COM1 (Ctrl-A c switches).
 * focus: it has the terminal first. stopped: the machine starts stopped (-S). */
void monitor_init(struct Machine *m, bool enabled, bool mux, bool focus, bool stopped);
bool monitor_enabled(void);
bool monitor_mux(void);       /* Ctrl-A is an escape even when stdin is not a terminal */
bool monitor_focused(void);   /* typed bytes go to the monitor, not to COM1 */
bool monitor_stopped(void);   /* 'stop' given: the guest must not run */
void monitor_toggle(struct Machine *m); /* Ctrl-A c */
void monitor_input(struct Machine *m, unsigned char c);
void monitor_stdin_closed(struct Machine *m);
/* Run one command line, printing to out. Returns 0, or -1 if the command failed. */
int monitor_command(struct Machine *m, const char *line, FILE *out);

#endif
