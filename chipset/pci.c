/* The PC's PCI complex: bus 0, the Intel 82441FX host bridge and the 82371SB PIIX3 ISA bridge
 * (function 0), put together as on QEMU's i440FX board, which is what SeaBIOS expects to find.
 * The parts are modelled in pcibus.c, i440fx.c and piix3.c; this file only assembles them.
 */
#include "chipset/pci.h"

void pci_init(PciState *s, Bus *bus, SnapRegistry *reg, uint8_t *rom,
              void (*reset_cb)(void *opaque), void *opaque)
{
    pci_bus_init(&s->bus, bus, reg, reset_cb, opaque);
    i440fx_init(&s->i440fx, &s->bus, bus, reg, rom);
    piix3_init(&s->piix3, &s->bus, reg);
}

void pci_reset(PciState *s)
{
    pci_bus_reset(&s->bus);
    i440fx_reset(&s->i440fx);
    piix3_reset(&s->piix3);
}
