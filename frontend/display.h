/* The display: what the VGA shows, in an SDL2 window (frontend/sdl.c) or nowhere (headless),
 * and screendump to a PNG file in both cases.
 *
 * The board calls display_poll between two slices of guest execution: it takes the window's
 * input events (keyboard and mouse enter the machine through machine_key_event and
 * machine_mouse_event, at that slice boundary), redraws the window at most 60 times a second of
 * host time and only when the picture changed, keeps virtual time from running ahead of wall
 * time while a window is open, and holds the machine while the user has paused it.
 *
 * Hotkeys in the window (Ctrl-Alt held): G grab/release the mouse and keyboard, P pause/resume,
 * R reset, Q quit, S save a snapshot (x86pc-snapshot-N.x86s), F save a screenshot
 * (x86pc-screenshot-N.png), End send Ctrl-Alt-Del to the guest. Closing the window quits.
 */
#ifndef X86PC_DISPLAY_H
#define X86PC_DISPLAY_H

#include <stdbool.h>
#include <stddef.h>

struct Machine;

/* want_window: open a window if SDL2 was built in and a display exists, else run headless.
 * Returns 0, or -1 with one line on stderr (out of memory). */
int display_init(struct Machine *m, bool want_window);
void display_free(struct Machine *m);
/* Between slices (idle: the CPU is halted with nothing to do). */
void display_poll(struct Machine *m, bool idle);
/* Is a window open? */
bool display_has_window(struct Machine *m);
/* Write what the screen shows now as a PNG. Returns 0, or -1 with a message in err. */
int display_screendump(struct Machine *m, const char *path, char *err, size_t len);

#endif
