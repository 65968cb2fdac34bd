/* PS/2 keyboard and mouse, the devices behind the 8042's two ports (devices/i8042.h embeds one
 * of each; the board talks to them through i8042_key_event / i8042_mouse_event).
 */
#ifndef X86PC_PS2_H
#define X86PC_PS2_H

#include <stdbool.h>
#include <stdint.h>

#include "snapshots/vmstate.h"

#define PS2_QUEUE_SIZE 64

typedef struct Ps2Queue {
    uint8_t data[PS2_QUEUE_SIZE];
    uint8_t head, count;
} Ps2Queue;

typedef struct Ps2Kbd {
    Ps2Queue q;
    uint8_t pending_cmd;  /* command waiting for its parameter byte, 0 if none */
    uint8_t scancode_set; /* 1, 2 or 3 */
    uint8_t leds;
    uint8_t typematic;
    uint8_t last_sent; /* for 0xFE resend */
    bool scanning;
    bool set1_break; /* set-1 conversion: an 0xF0 prefix was seen */
    /* not saved: */
    void (*notify)(void *opaque); /* called when bytes were queued */
    void *opaque;
} Ps2Kbd;

typedef struct Ps2Mouse {
    Ps2Queue q;
    uint8_t pending_cmd;
    uint8_t sample_rate;
    uint8_t resolution;
    uint8_t id;           /* 0 standard, 3 IntelliMouse, 4 IntelliMouse Explorer */
    uint8_t rate_hist[3]; /* the last three sample rates set, for the ID knock sequences */
    uint8_t buttons;      /* bit 0 left, 1 right, 2 middle, 3 and 4 the side buttons */
    uint8_t sent_buttons;
    uint8_t last_sent;
    bool enabled; /* data reporting (0xF4) */
    bool remote;  /* remote mode (0xF0) */
    bool wrap;    /* wrap (echo) mode */
    bool scaling21;
    int32_t dx, dy, dz; /* movement not yet reported (PS/2 directions: y up) */
    /* not saved: */
    void (*notify)(void *opaque);
    void *opaque;
} Ps2Mouse;

void ps2_kbd_init(Ps2Kbd *k, SnapRegistry *reg, void (*notify)(void *opaque), void *opaque);
void ps2_kbd_reset(Ps2Kbd *k);
void ps2_kbd_write(Ps2Kbd *k, uint8_t b); /* a byte from the controller */
/* Key bytes in scan code set 2 (0xE0/0xF0 prefixes included); the whole event is dropped if
 * the queue cannot take it. */
void ps2_kbd_event(Ps2Kbd *k, const uint8_t *set2, int n);
/* Would an event of n bytes fit in the keyboard's buffer now? (---- display ----) */
bool ps2_kbd_can_take(const Ps2Kbd *k, int n);

void ps2_mouse_init(Ps2Mouse *m, SnapRegistry *reg, void (*notify)(void *opaque), void *opaque);
void ps2_mouse_reset(Ps2Mouse *m);
void ps2_mouse_write(Ps2Mouse *m, uint8_t b);
/* dx right, dy down (screen directions), dz wheel (positive = towards the user), buttons bit 0
 * left, 1 right, 2 middle, 3 and 4 side buttons. */
void ps2_mouse_event(Ps2Mouse *m, int dx, int dy, int dz, unsigned buttons);

int ps2_queue_count(const Ps2Queue *q);
uint8_t ps2_queue_pop(Ps2Queue *q);

/* The 8042's scan code translation (set 2 -> set 1) table, shared with the keyboard's own set-1
 * mode. */
uint8_t ps2_translate_set2(uint8_t b);

#endif
