/* The SDL2 window (see display.h): the VGA's picture scaled into the window with its aspect
 * ratio kept, the keyboard as PS/2 scan code set 2 (IBM PS/2 Technical Reference, keyboard scan
 * code set 2; the 8042 translates to set 1 when the guest asks it to), the mouse as a PS/2
 * IntelliMouse, and the hotkeys. Host time is read here, never in the machine: it decides when
 * to redraw (at most 60 Hz), what the title says about the guest's speed, and how long to sleep
 * when virtual time runs ahead of wall time (which the guest cannot observe).
 *
 * Typed keys and mouse movement are queued here and enter the machine between slices through
 * machine_key_event and machine_mouse_event (the one place for those inputs); a key event waits
 * while the keyboard's queue has no room for it, so a burst of typing is not lost.
 */
#ifdef HAVE_SDL2

#include <SDL.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "frontend/console.h"
#include "frontend/display.h"
#include "frontend/display_int.h"
#include "frontend/machine.h"
#include "frontend/vmsnap.h"

#define REFRESH_MS 16             /* at most 60 redraws a second (16.7 ms; 16 rounds the timer) */
#define TITLE_MS 1000             /* title (speed) update period */
#define KEYQ 256                  /* queued key events */
#define PACE_SLACK_NS 10000000ull /* virtual time may lead wall time by this much */
#define PACE_MAX_LAG_NS 200000000ull /* a guest slower than real time catches up at most this */

typedef struct KeyEv {
    uint8_t b[8];
    uint8_t n;
} KeyEv;

typedef struct MouseEv {
    int dx, dy, dz;
    unsigned buttons;
} MouseEv;
#define MOUSEQ 64

typedef struct SdlUi {
    SDL_Window *win;
    SDL_Renderer *ren;
    SDL_Texture *tex;
    int tw, th;
    VgaFrame frame;
    bool have_frame;
    uint64_t last_refresh_ms;
    uint64_t last_title_ms, title_insns, title_vns;
    char speed[64];
    bool grabbed, paused, in_pause, title_dirty;
    KeyEv keyq[KEYQ];
    int kq_head, kq_count;
    MouseEv mq[MOUSEQ]; /* mouse events; motion merges into the last while buttons hold */
    int mq_count;
    unsigned mbuttons;
    uint64_t pace_host0, pace_virt0;
} SdlUi;

/* ---- host time ---- */

static uint64_t host_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* ---- keyboard: SDL scancodes (USB HID usages) to set 2 ---- */

#define E0 0x100 /* the code takes the 0xE0 prefix */

/* the other keys: set 2 codes, E0 for the 0xE0-prefixed ones */
static const uint16_t kSet2Keys[SDL_NUM_SCANCODES] = {
    [SDL_SCANCODE_RETURN] = 0x5A,         [SDL_SCANCODE_ESCAPE] = 0x76,
    [SDL_SCANCODE_BACKSPACE] = 0x66,      [SDL_SCANCODE_TAB] = 0x0D,
    [SDL_SCANCODE_SPACE] = 0x29,          [SDL_SCANCODE_MINUS] = 0x4E,
    [SDL_SCANCODE_EQUALS] = 0x55,         [SDL_SCANCODE_LEFTBRACKET] = 0x54,
    [SDL_SCANCODE_RIGHTBRACKET] = 0x5B,   [SDL_SCANCODE_BACKSLASH] = 0x5D,
    [SDL_SCANCODE_NONUSHASH] = 0x5D,      [SDL_SCANCODE_SEMICOLON] = 0x4C,
    [SDL_SCANCODE_APOSTROPHE] = 0x52,     [SDL_SCANCODE_GRAVE] = 0x0E,
    [SDL_SCANCODE_COMMA] = 0x41,          [SDL_SCANCODE_PERIOD] = 0x49,
    [SDL_SCANCODE_SLASH] = 0x4A,          [SDL_SCANCODE_CAPSLOCK] = 0x58,
    [SDL_SCANCODE_SCROLLLOCK] = 0x7E,     [SDL_SCANCODE_INSERT] = E0 | 0x70,
    [SDL_SCANCODE_HOME] = E0 | 0x6C,      [SDL_SCANCODE_PAGEUP] = E0 | 0x7D,
    [SDL_SCANCODE_DELETE] = E0 | 0x71,    [SDL_SCANCODE_END] = E0 | 0x69,
    [SDL_SCANCODE_PAGEDOWN] = E0 | 0x7A,  [SDL_SCANCODE_RIGHT] = E0 | 0x74,
    [SDL_SCANCODE_LEFT] = E0 | 0x6B,      [SDL_SCANCODE_DOWN] = E0 | 0x72,
    [SDL_SCANCODE_UP] = E0 | 0x75,        [SDL_SCANCODE_NUMLOCKCLEAR] = 0x77,
    [SDL_SCANCODE_KP_DIVIDE] = E0 | 0x4A, [SDL_SCANCODE_KP_MULTIPLY] = 0x7C,
    [SDL_SCANCODE_KP_MINUS] = 0x7B,       [SDL_SCANCODE_KP_PLUS] = 0x79,
    [SDL_SCANCODE_KP_ENTER] = E0 | 0x5A,  [SDL_SCANCODE_KP_1] = 0x69,
    [SDL_SCANCODE_KP_2] = 0x72,           [SDL_SCANCODE_KP_3] = 0x7A,
    [SDL_SCANCODE_KP_4] = 0x6B,           [SDL_SCANCODE_KP_5] = 0x73,
    [SDL_SCANCODE_KP_6] = 0x74,           [SDL_SCANCODE_KP_7] = 0x6C,
    [SDL_SCANCODE_KP_8] = 0x75,           [SDL_SCANCODE_KP_9] = 0x7D,
    [SDL_SCANCODE_KP_0] = 0x70,           [SDL_SCANCODE_KP_PERIOD] = 0x71,
    [SDL_SCANCODE_NONUSBACKSLASH] = 0x61, [SDL_SCANCODE_APPLICATION] = E0 | 0x2F,
    [SDL_SCANCODE_INTERNATIONAL1] = 0x51, /* Ro */
    [SDL_SCANCODE_INTERNATIONAL3] = 0x6A, /* Yen */
    [SDL_SCANCODE_LCTRL] = 0x14,          [SDL_SCANCODE_LSHIFT] = 0x12,
    [SDL_SCANCODE_LALT] = 0x11,           [SDL_SCANCODE_LGUI] = E0 | 0x1F,
    [SDL_SCANCODE_RCTRL] = E0 | 0x14,     [SDL_SCANCODE_RSHIFT] = 0x59,
    [SDL_SCANCODE_RALT] = E0 | 0x11,      [SDL_SCANCODE_RGUI] = E0 | 0x27,
};

static uint16_t set2_code(SDL_Scancode sc)
{
    if (sc >= SDL_SCANCODE_A && sc <= SDL_SCANCODE_Z) {
        static const uint8_t kLetters[26] = {
            0x1C, 0x32, 0x21, 0x23, 0x24, 0x2B, 0x34, 0x33, 0x43, 0x3B, 0x42, 0x4B, 0x3A,
            0x31, 0x44, 0x4D, 0x15, 0x2D, 0x1B, 0x2C, 0x3C, 0x2A, 0x1D, 0x22, 0x35, 0x1A,
        };
        return kLetters[sc - SDL_SCANCODE_A];
    }
    if (sc >= SDL_SCANCODE_1 && sc <= SDL_SCANCODE_0) {
        static const uint8_t kDigits[10] = {0x16, 0x1E, 0x26, 0x25, 0x2E,
                                            0x36, 0x3D, 0x3E, 0x46, 0x45};
        return kDigits[sc - SDL_SCANCODE_1];
    }
    if (sc >= SDL_SCANCODE_F1 && sc <= SDL_SCANCODE_F12) {
        static const uint8_t kF[12] = {0x05, 0x06, 0x04, 0x0C, 0x03, 0x0B,
                                       0x83, 0x0A, 0x01, 0x09, 0x78, 0x07};
        return kF[sc - SDL_SCANCODE_F1];
    }
    return (unsigned)sc < SDL_NUM_SCANCODES ? kSet2Keys[sc] : 0;
}

static void queue_key(SdlUi *u, const uint8_t *b, int n)
{
    if (u->kq_count == KEYQ || n > 8) {
        return; /* a stuck guest: drop rather than grow without bound */
    }
    KeyEv *e = &u->keyq[(u->kq_head + u->kq_count) % KEYQ];
    memcpy(e->b, b, (size_t)n);
    e->n = (uint8_t)n;
    u->kq_count++;
}

/* A key press or release as set 2 bytes. */
static void key_event(SdlUi *u, SDL_Scancode sc, bool down)
{
    uint8_t b[8];
    int n = 0;
    if (sc == SDL_SCANCODE_PAUSE) {
        if (down) { /* Pause has no break code */
            static const uint8_t kPause[8] = {0xE1, 0x14, 0x77, 0xE1, 0xF0, 0x14, 0xF0, 0x77};
            queue_key(u, kPause, 8);
        }
        return;
    }
    if (sc == SDL_SCANCODE_PRINTSCREEN) {
        static const uint8_t kMake[4] = {0xE0, 0x12, 0xE0, 0x7C};
        static const uint8_t kBreak[6] = {0xE0, 0xF0, 0x7C, 0xE0, 0xF0, 0x12};
        queue_key(u, down ? kMake : kBreak, down ? 4 : 6);
        return;
    }
    uint16_t code = set2_code(sc);
    if (!code) {
        return;
    }
    if (code & E0) {
        b[n++] = 0xE0;
    }
    if (!down) {
        b[n++] = 0xF0;
    }
    b[n++] = (uint8_t)code;
    queue_key(u, b, n);
}

/* Motion and wheel add to the last queued event while the buttons stay as they were; a
 * button change starts a new event, so that a click within one slice is not lost. */
static void queue_mouse(SdlUi *u, int dx, int dy, int dz, bool new_event)
{
    MouseEv *e = u->mq_count ? &u->mq[u->mq_count - 1] : NULL;
    if (!e || new_event || e->buttons != u->mbuttons) {
        if (u->mq_count == MOUSEQ) {
            return;
        }
        e = &u->mq[u->mq_count++];
        *e = (MouseEv){0, 0, 0, u->mbuttons};
    }
    e->dx += dx;
    e->dy += dy;
    e->dz += dz;
}

static void flush_input(Machine *m, SdlUi *u)
{
    while (u->kq_count > 0) {
        KeyEv *e = &u->keyq[u->kq_head];
        if (!machine_key_event(m, e->b, e->n)) {
            break; /* no room in the keyboard's queue: try at the next slice */
        }
        u->kq_head = (u->kq_head + 1) % KEYQ;
        u->kq_count--;
    }
    for (int k = 0; k < u->mq_count; k++) {
        const MouseEv *e = &u->mq[k];
        machine_mouse_event(m, e->dx, e->dy, e->dz, e->buttons);
    }
    u->mq_count = 0;
}

/* ---- window ---- */

static void set_title(Machine *m, SdlUi *u)
{
    char t[256];
    snprintf(t, sizeof t, "x86pc%s%s%s - %s", u->speed[0] ? " - " : "", u->speed,
             u->paused ? " [paused]" : "",
             u->grabbed ? "Ctrl-Alt-G releases the mouse" : "Ctrl-Alt-G grabs the mouse");
    SDL_SetWindowTitle(u->win, t);
    u->title_dirty = false;
}

static void update_speed(Machine *m, SdlUi *u, uint64_t now_ms)
{
    if (now_ms - u->last_title_ms < TITLE_MS) {
        return;
    }
    uint64_t dt = now_ms - u->last_title_ms;
    uint64_t insns = m->cpu.retired - u->title_insns;
    uint64_t vns = clock_now(&m->clock) - u->title_vns;
    if (u->last_title_ms && !u->paused) {
        snprintf(u->speed, sizeof u->speed, "%.1f MIPS, %.0f%% of real time",
                 (double)insns / ((double)dt * 1000.0), (double)vns / ((double)dt * 1e4));
    }
    u->last_title_ms = now_ms;
    u->title_insns = m->cpu.retired;
    u->title_vns = clock_now(&m->clock);
    set_title(m, u);
}

static void present(SdlUi *u)
{
    SDL_SetRenderDrawColor(u->ren, 0, 0, 0, 255);
    SDL_RenderClear(u->ren);
    if (u->tex) {
        SDL_RenderCopy(u->ren, u->tex, NULL, NULL);
    }
    SDL_RenderPresent(u->ren);
}

static void redraw(Machine *m, SdlUi *u, bool force)
{
    VgaState *vga = &m->vga;
    uint64_t now = clock_now(&m->clock);
    if (!vga_frame_changed(vga, now) && !force) {
        return;
    }
    if (vga_render(vga, now, &u->frame)) {
        return;
    }
    VgaFrame *f = &u->frame;
    if (!u->tex || f->w != u->tw || f->h != u->th) {
        if (u->tex) {
            SDL_DestroyTexture(u->tex);
        }
        u->tex = SDL_CreateTexture(u->ren, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_STREAMING,
                                   f->w, f->h);
        if (!u->tex) {
            return;
        }
        u->tw = f->w;
        u->th = f->h;
        /* the picture keeps its aspect ratio: letterboxed in a window of another shape */
        SDL_RenderSetLogicalSize(u->ren, f->w, f->h);
        int scale = f->w < 640 ? 2 : 1;
        if (!(SDL_GetWindowFlags(u->win) & SDL_WINDOW_MAXIMIZED)) {
            SDL_SetWindowSize(u->win, f->w * scale, f->h * scale);
            /* a window that grew past the screen's edge moves back onto it */
            SDL_Rect b;
            int x, y;
            SDL_GetWindowPosition(u->win, &x, &y);
            if (SDL_GetDisplayUsableBounds(SDL_GetWindowDisplayIndex(u->win), &b) == 0 &&
                (x + f->w * scale > b.x + b.w || y + f->h * scale > b.y + b.h)) {
                SDL_SetWindowPosition(u->win, SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED);
            }
        }
    }
    SDL_UpdateTexture(u->tex, NULL, f->pix, f->w * 4);
    present(u);
}

static void set_grab(Machine *m, SdlUi *u, bool on)
{
    u->grabbed = on;
    SDL_SetRelativeMouseMode(on ? SDL_TRUE : SDL_FALSE);
    SDL_SetWindowGrab(u->win, on ? SDL_TRUE : SDL_FALSE);
    set_title(m, u);
}

/* A file name NAME-N.EXT that does not exist yet. */
static void next_name(char *buf, size_t len, const char *stem, const char *ext)
{
    for (int n = 1; n < 100000; n++) {
        snprintf(buf, len, "%s-%d.%s", stem, n, ext);
        if (access(buf, F_OK) != 0) {
            return;
        }
    }
}

/* Ctrl-Alt-<key>: returns true if the key was a hotkey (not passed to the guest). */
static bool hotkey(Machine *m, SdlUi *u, SDL_Scancode sc)
{
    char name[64], err[512];
    switch (sc) {
    case SDL_SCANCODE_G:
        set_grab(m, u, !u->grabbed);
        return true;
    case SDL_SCANCODE_P:
        u->paused = !u->paused;
        set_title(m, u);
        return true;
    case SDL_SCANCODE_R:
        machine_reset(m);
        return true;
    case SDL_SCANCODE_Q:
        m->quit = true;
        m->exit_status = 0;
        return true;
    case SDL_SCANCODE_S:
        next_name(name, sizeof name, "x86pc-snapshot", "x86s");
        if (machine_savevm(m, name, err, sizeof err)) {
            fprintf(stderr, "x86pc: snapshot: %s\n", err);
        } else {
            fprintf(stderr, "x86pc: snapshot saved to %s\n", name);
        }
        return true;
    case SDL_SCANCODE_F:
        next_name(name, sizeof name, "x86pc-screenshot", "png");
        if (display_screendump(m, name, err, sizeof err)) {
            fprintf(stderr, "x86pc: screenshot: %s\n", err);
        } else {
            fprintf(stderr, "x86pc: screenshot saved to %s\n", name);
        }
        return true;
    case SDL_SCANCODE_END: {
        /* Ctrl and Alt are held (the guest saw them go down): add Delete */
        static const uint8_t kDelDown[2] = {0xE0, 0x71}, kDelUp[3] = {0xE0, 0xF0, 0x71};
        queue_key(u, kDelDown, 2);
        queue_key(u, kDelUp, 3);
        return true;
    }
    default:
        return false;
    }
}

/* SDL's buttons to the PS/2 mouse's: left, right, middle, and the two side buttons */
static unsigned sdl_button_bit(uint8_t b)
{
    static const uint8_t kBits[] = {
        [SDL_BUTTON_LEFT] = 1, [SDL_BUTTON_RIGHT] = 2, [SDL_BUTTON_MIDDLE] = 4,
        [SDL_BUTTON_X1] = 8,   [SDL_BUTTON_X2] = 16,
    };
    return b < sizeof kBits ? kBits[b] : 0;
}

static void handle_event(Machine *m, SdlUi *u, const SDL_Event *ev)
{
    switch (ev->type) {
    case SDL_QUIT:
        m->quit = true;
        m->exit_status = 0;
        break;
    case SDL_WINDOWEVENT:
        if (ev->window.event == SDL_WINDOWEVENT_EXPOSED ||
            ev->window.event == SDL_WINDOWEVENT_SIZE_CHANGED) {
            present(u);
        } else if (ev->window.event == SDL_WINDOWEVENT_FOCUS_LOST && u->grabbed) {
            set_grab(m, u, false);
        }
        break;
    case SDL_KEYDOWN:
    case SDL_KEYUP: {
        bool down = ev->type == SDL_KEYDOWN;
        SDL_Keymod mod = SDL_GetModState();
        if (down && (mod & KMOD_CTRL) && (mod & KMOD_ALT) &&
            hotkey(m, u, ev->key.keysym.scancode)) {
            break;
        }
        /* a held key repeats as further make codes, as a typematic keyboard sends them */
        key_event(u, ev->key.keysym.scancode, down);
        break;
    }
    case SDL_MOUSEMOTION:
        if (u->grabbed) {
            queue_mouse(u, ev->motion.xrel, ev->motion.yrel, 0, false);
        }
        break;
    case SDL_MOUSEBUTTONDOWN:
    case SDL_MOUSEBUTTONUP:
        if (u->grabbed) {
            unsigned bit = sdl_button_bit(ev->button.button);
            if (ev->type == SDL_MOUSEBUTTONDOWN) {
                u->mbuttons |= bit;
            } else {
                u->mbuttons &= ~bit;
            }
            queue_mouse(u, 0, 0, 0, true);
        }
        break;
    case SDL_MOUSEWHEEL:
        if (u->grabbed) {
            int y = ev->wheel.direction == SDL_MOUSEWHEEL_FLIPPED ? -ev->wheel.y : ev->wheel.y;
            queue_mouse(u, 0, 0, -y, false); /* SDL: + away from the user; PS/2 dz: towards */
        }
        break;
    default:
        break;
    }
}

static void pump(Machine *m, SdlUi *u, int wait_ms)
{
    SDL_Event ev;
    if (wait_ms > 0 && SDL_WaitEventTimeout(&ev, wait_ms)) {
        handle_event(m, u, &ev);
    }
    while (SDL_PollEvent(&ev)) {
        handle_event(m, u, &ev);
    }
}

static void refresh(Machine *m, SdlUi *u, bool force)
{
    uint64_t now_ms = host_ns() / 1000000u;
    if (!force && now_ms - u->last_refresh_ms < REFRESH_MS) {
        return;
    }
    u->last_refresh_ms = now_ms;
    redraw(m, u, force);
    update_speed(m, u, now_ms);
    if (u->title_dirty) {
        set_title(m, u);
    }
}

static void pace_reset(Machine *m, SdlUi *u)
{
    u->pace_host0 = host_ns();
    u->pace_virt0 = clock_now(&m->clock);
}

/* Keep virtual time from running ahead of wall time (HLT skips ahead in virtual time). */
static void pace(Machine *m, SdlUi *u)
{
    uint64_t h = host_ns() - u->pace_host0;
    uint64_t v = clock_now(&m->clock) - u->pace_virt0;
    if (v + PACE_MAX_LAG_NS < h) {
        u->pace_host0 = host_ns() - (v + PACE_MAX_LAG_NS); /* the guest is slow: cap the lag */
        return;
    }
    /* sleep it off (one HLT may skip a whole PIT period), staying responsive meanwhile */
    for (int k = 0; k < 25 && v > h + PACE_SLACK_NS && !m->quit; k++) {
        uint64_t ms = (v - h) / 1000000u;
        pump(m, u, ms > 20 ? 20 : (int)ms);
        refresh(m, u, false);
        h = host_ns() - u->pace_host0;
    }
}

void sdl_poll(Machine *m, Display *d, bool idle)
{
    SdlUi *u = d->sdl;
    pump(m, u, 0);
    flush_input(m, u);
    refresh(m, u, false);
    if (u->paused && !u->in_pause) {
        /* hold the machine here; the monitor (stdio) and the window stay live */
        u->in_pause = true;
        set_title(m, u);
        while (u->paused && !m->quit) {
            pump(m, u, 50);
            refresh(m, u, false);
            console_poll(m, 0);
        }
        u->in_pause = false;
        pace_reset(m, u);
        set_title(m, u);
        return;
    }
    if (!u->in_pause) {
        pace(m, u);
    }
}

void sdl_open(Machine *m, Display *d)
{
    const char *drv = getenv("SDL_VIDEODRIVER");
    if (!getenv("DISPLAY") && !getenv("WAYLAND_DISPLAY") && !(drv && *drv)) {
        return; /* no display: headless */
    }
    SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        fprintf(stderr, "x86pc: no window (%s); running headless\n", SDL_GetError());
        return;
    }
    SdlUi *u = calloc(1, sizeof *u);
    if (!u) {
        SDL_Quit();
        return;
    }
    u->win = SDL_CreateWindow("x86pc", SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED, 720, 400,
                              SDL_WINDOW_RESIZABLE);
    if (u->win) {
        u->ren = SDL_CreateRenderer(u->win, -1, 0);
        if (!u->ren) {
            u->ren = SDL_CreateRenderer(u->win, -1, SDL_RENDERER_SOFTWARE);
        }
    }
    if (!u->win || !u->ren) {
        fprintf(stderr, "x86pc: no window (%s); running headless\n", SDL_GetError());
        if (u->win) {
            SDL_DestroyWindow(u->win);
        }
        free(u);
        SDL_Quit();
        return;
    }
    SDL_SetHint(SDL_HINT_RENDER_SCALE_QUALITY, "nearest");
    d->sdl = u;
    m->display_paced = true;
    pace_reset(m, u);
    set_title(m, u);
    present(u);
}

void sdl_close(Machine *m, Display *d)
{
    m->display_paced = false;
    SdlUi *u = d->sdl;
    if (!u) {
        return;
    }
    vga_frame_free(&u->frame);
    if (u->tex) {
        SDL_DestroyTexture(u->tex);
    }
    SDL_DestroyRenderer(u->ren);
    SDL_DestroyWindow(u->win);
    free(u);
    d->sdl = NULL;
    SDL_Quit();
}

#else
typedef int x86pc_no_sdl; /* built without SDL2: the display is headless (display.c) */
#endif
