/* The display (see display.h): the headless part and what the window shares with it. */
#include "frontend/display.h"

#include <stdio.h>
#include <stdlib.h>

#include "frontend/display_int.h"
#include "frontend/machine.h"
#include "frontend/png.h"

int display_init(Machine *m, bool want_window)
{
    Display *d = calloc(1, sizeof *d);
    if (!d) {
        fprintf(stderr, "x86pc: out of memory\n");
        return -1;
    }
    m->display = d;
#ifdef HAVE_SDL2
    if (want_window) {
        sdl_open(m, d); /* on failure the display stays headless */
    }
#else
    (void)want_window;
#endif
    return 0;
}

void display_free(Machine *m)
{
    Display *d = m->display;
    if (!d) {
        return;
    }
#ifdef HAVE_SDL2
    sdl_close(m, d);
#endif
    vga_frame_free(&d->shot);
    free(d);
    m->display = NULL;
}

void display_poll(Machine *m, bool idle)
{
#ifdef HAVE_SDL2
    if (m->display && m->display->sdl) {
        sdl_poll(m, m->display, idle);
    }
#else
    (void)m;
    (void)idle;
#endif
}

bool display_has_window(Machine *m)
{
    return m->display && m->display->sdl;
}

int display_screendump(Machine *m, const char *path, char *err, size_t len)
{
    VgaFrame local = {0};
    VgaFrame *f = m->display ? &m->display->shot : &local;
    int rc;
    if (vga_render(&m->vga, clock_now(&m->clock), f)) {
        snprintf(err, len, "out of memory");
        rc = -1;
    } else {
        rc = png_write_rgb(path, f->pix, f->w, f->h, err, len);
    }
    vga_frame_free(&local);
    return rc;
}
