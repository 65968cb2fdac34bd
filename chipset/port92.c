/* System control port A at 0x92, following the Intel 82371 PIIX3 datasheet (Port 92h: bit 1 is
 * ALT_A20_GATE, bit 0 is ALT_RST_CPU, a 0 to 1 transition of which resets the CPU). The A20 gate
 * is the bus's: the last of port 0x92 and the 8042 output port to change it wins, as on QEMU,
 * rather than the two being ORed as on a real board.
 */
#include "chipset/port92.h"

#include <string.h>

static const VmsField kPort92Fields[] = {
    VMS_U8F(Port92State, val),
    VMS_FIELDS_END,
};
static const VmsDesc kPort92Desc = {"port92", 1, kPort92Fields, NULL, NULL};

static uint32_t port92_read(void *opaque, uint32_t addr, unsigned size)
{
    Port92State *s = opaque;
    return (s->val & ~2u) | (bus_a20(s->bus) ? 2 : 0);
}

static void port92_write(void *opaque, uint32_t addr, uint32_t val, unsigned size)
{
    Port92State *s = opaque;
    uint8_t old = s->val;
    s->val = (uint8_t)val;
    bus_set_a20(s->bus, val & 2);
    if ((val & 1) && !(old & 1)) {
        s->val &= ~1u;
        if (s->reset_cb) {
            s->reset_cb(s->reset_opaque);
        }
    }
}

static const IoOps kPort92Ops = {port92_read, port92_write, IO_SIZE_1};

void port92_reset(Port92State *s)
{
    s->val = 0;
}

void port92_init(Port92State *s, Bus *bus, void (*reset_cb)(void *opaque), void *opaque,
                 SnapRegistry *reg)
{
    memset(s, 0, sizeof *s);
    s->bus = bus;
    s->reset_cb = reset_cb;
    s->reset_opaque = opaque;
    bus_register_pio(bus, 0x92, 1, &kPort92Ops, s, "port92");
    snap_register(reg, &kPort92Desc, s, 0);
}
