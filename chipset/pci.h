/* The PC's PCI complex as QEMU's "pc" (i440FX) machine has it: PCI bus 0 with configuration
 * mechanism #1 and the 0xCF9 reset register (chipset/pcibus.h), the i440FX host bridge at 00:00.0
 * with its PAM shadowing (chipset/i440fx.h) and the PIIX3 ISA bridge at 00:01.0 with the PIRQ
 * routers (chipset/piix3.h).
 *
 * Board wiring:
 *   pci_init(&pci, bus, snap, rom, reset_cb, opaque);
 *       rom: 256 KB shown at 0xC0000-0xFFFFF while PAM says "read ROM" (rom[addr - 0xC0000]),
 *            or NULL; the board maps the BIOS image at the top of 4 GB itself.
 *       reset_cb(opaque): a reset requested through 0xCF9.
 *   for n in 3..7, 9..12, 14, 15: irq_connect(&pci.bus.isa_irq[n], pic_set_irq, &pic, n);
 *   other PCI functions: pci_register_device(&pci.bus, &dev, devfn, snap).
 *   pci_reset(&pci) on machine reset.
 */
#ifndef X86PC_PCI_H
#define X86PC_PCI_H

#include <stdint.h>

#include "chipset/i440fx.h"
#include "chipset/pcibus.h"
#include "chipset/piix3.h"

typedef struct PciState {
    PciBus bus;
    I440fxState i440fx;
    Piix3State piix3;
} PciState;

void pci_init(PciState *s, Bus *bus, SnapRegistry *reg, uint8_t *rom,
              void (*reset_cb)(void *opaque), void *opaque);
void pci_reset(PciState *s);

#endif
