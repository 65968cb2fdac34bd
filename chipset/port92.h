/* System control port A (port 0x92): fast A20 gate and fast CPU reset, as on the PS/2 and every
 * PC chipset since.
 *
 * Board wiring:
 *   port92_init(&p92, bus, reset_cb, opaque, snap);   reset_cb(opaque) requests a CPU reset
 *   port92_reset(&p92) on machine reset.
 */
#ifndef X86PC_PORT92_H
#define X86PC_PORT92_H

#include <stdint.h>

#include "mmu/bus.h"
#include "snapshots/vmstate.h"

typedef struct Port92State {
    uint8_t val; /* bit 1 A20, bit 0 reset (reads back 0 after the reset) */
    /* not saved: */
    Bus *bus;
    void (*reset_cb)(void *opaque);
    void *reset_opaque;
} Port92State;

void port92_init(Port92State *s, Bus *bus, void (*reset_cb)(void *opaque), void *opaque,
                 SnapRegistry *reg);
void port92_reset(Port92State *s);

#endif
