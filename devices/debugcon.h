/* The Bochs/QEMU debug console: one port (0xE9 by default; SeaBIOS uses 0x402) whose written
 * bytes go to the host.
 *
 * Board wiring: debugcon_init(&dc, bus, 0x402, out_cb, opaque); out_cb(opaque, byte) per byte.
 * No state worth saving, nothing to reset.
 */
#ifndef X86PC_DEBUGCON_H
#define X86PC_DEBUGCON_H

#include <stdint.h>

#include "mmu/bus.h"

typedef struct DebugconState {
    uint16_t port;
    void (*out)(void *opaque, uint8_t byte);
    void *opaque;
} DebugconState;

void debugcon_init(DebugconState *s, Bus *bus, uint16_t port, void (*out)(void *opaque, uint8_t b),
                   void *opaque);

#endif
