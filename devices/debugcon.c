/* The debug console port of Bochs (port_e9_hack) and QEMU (isa-debugcon): every byte written is
 * passed to the host, and a read returns 0xE9 so that firmware (SeaBIOS's qemu_debug_preinit)
 * can tell the port is there. It has no state.
 */
#include "devices/debugcon.h"

#include <string.h>

static uint32_t debugcon_read(void *opaque, uint32_t addr, unsigned size)
{
    return 0xE9;
}

static void debugcon_write(void *opaque, uint32_t addr, uint32_t val, unsigned size)
{
    DebugconState *s = opaque;
    if (s->out) {
        s->out(s->opaque, (uint8_t)val);
    }
}

static const IoOps kDebugconOps = {debugcon_read, debugcon_write, IO_SIZE_1};

void debugcon_init(DebugconState *s, Bus *bus, uint16_t port, void (*out)(void *opaque, uint8_t b),
                   void *opaque)
{
    memset(s, 0, sizeof *s);
    s->port = port;
    s->out = out;
    s->opaque = opaque;
    bus_register_pio(bus, port, 1, &kDebugconOps, s, "debugcon");
}
