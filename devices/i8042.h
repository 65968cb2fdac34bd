/* The PC/AT keyboard controller (an Intel 8042 running the IBM keyboard controller firmware) at
 * ports 0x60/0x64, with a PS/2 keyboard on its first port and a PS/2 mouse on its second.
 *
 * Board wiring:
 *   i8042_init(&kbc, bus, reset_cb, opaque, snap);   reset_cb(opaque): the 8042 pulsed RESET
 *   irq_connect(&kbc.irq1, pic_set_irq, &pic, 1);
 *   irq_connect(&kbc.irq12, pic_set_irq, &pic, 12);
 *   input: i8042_key_event(&kbc, set2_bytes, n); i8042_mouse_event(&kbc, dx, dy, dz, buttons)
 *   i8042_reset(&kbc) on machine reset (also resets the keyboard and mouse).
 * The output port's A20 bit drives bus_set_a20 directly.
 */
#ifndef X86PC_I8042_H
#define X86PC_I8042_H

#include <stdbool.h>
#include <stdint.h>

#include "chipset/irq.h"
#include "devices/ps2.h"
#include "mmu/bus.h"
#include "snapshots/vmstate.h"

#define I8042_CTLQ_SIZE 4

typedef struct I8042State {
    uint8_t cmdbyte; /* the controller command byte (RAM byte 0) */
    uint8_t status;  /* bits 2 (system flag) and 3 (last write was a command) */
    uint8_t outport;
    uint8_t out_data;    /* the output buffer */
    bool obf, obf_aux;   /* output buffer full, and it holds mouse data */
    uint8_t pending_cmd; /* controller command waiting for its data byte */
    uint8_t ram[32];
    bool xlat_break;                   /* translation saw an 0xF0 prefix */
    uint8_t ctlq[I8042_CTLQ_SIZE];     /* controller replies, ahead of device data */
    uint8_t ctlq_aux[I8042_CTLQ_SIZE]; /* 1 if the reply poses as mouse data (0xD3) */
    uint8_t ctlq_count;
    /* not saved (ps2-kbd and ps2-mouse are their own sections): */
    Ps2Kbd kbd;
    Ps2Mouse mouse;
    Bus *bus;
    IrqLine irq1, irq12;
    void (*reset_cb)(void *opaque);
    void *reset_opaque;
} I8042State;

void i8042_init(I8042State *s, Bus *bus, void (*reset_cb)(void *opaque), void *opaque,
                SnapRegistry *reg);
void i8042_reset(I8042State *s);
/* One key press or release as scan code set 2 bytes, e.g. {0x1C} = A down, {0xF0, 0x1C} = A up,
 * {0xE0, 0x75} = cursor up down. */
void i8042_key_event(I8042State *s, const uint8_t *set2, int n);
/* dx right, dy down, dz wheel towards the user, buttons bit 0 left, 1 right, 2 middle. */
void i8042_mouse_event(I8042State *s, int dx, int dy, int dz, unsigned buttons);

#endif
