/* The text console on the host's terminal: stdin feeds COM1 (raw mode on a tty), with the
 * QEMU-style escape Ctrl-A: Ctrl-A x quits, Ctrl-A h lists the keys, Ctrl-A Ctrl-A sends Ctrl-A. */
#ifndef X86PC_CONSOLE_H
#define X86PC_CONSOLE_H

#include <stdbool.h>

struct Machine;

void console_init(bool grab_stdin);
void console_restore(void);
/* Poll stdin without blocking (or wait up to timeout_ms) and deliver input to the machine. */
void console_poll(struct Machine *m, int timeout_ms);

#endif
