/* Inside the display (display.c, sdl.c): not for other parts. */
#ifndef X86PC_DISPLAY_INT_H
#define X86PC_DISPLAY_INT_H

#include <stdbool.h>

#include "devices/vga.h"

struct Machine;
struct SdlUi;

typedef struct Display {
    VgaFrame shot;     /* screendump's picture */
    struct SdlUi *sdl; /* the window, or NULL when headless */
} Display;

#ifdef HAVE_SDL2
/* Open the window; on failure (no display, SDL error) leaves d->sdl NULL. */
void sdl_open(struct Machine *m, Display *d);
void sdl_close(struct Machine *m, Display *d);
void sdl_poll(struct Machine *m, Display *d, bool idle);
#endif

#endif
