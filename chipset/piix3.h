/* Intel 82371SB PIIX3 PCI-to-ISA bridge, function 0 (00:01.0): PIRQ routing registers.
 *
 * Built by pci_init (chipset/pci.h); piix3_init(&sb, &pcibus, snap), piix3_reset(&sb). The routed
 * interrupts come out of PciBus.isa_irq[] (chipset/pcibus.h); the ELCR is the PIC's
 * (chipset/pic.h).
 */
#ifndef X86PC_PIIX3_H
#define X86PC_PIIX3_H

#include "chipset/pcibus.h"

typedef struct Piix3State {
    PciDevice dev; /* config space saved by the PCI core */
} Piix3State;

void piix3_init(Piix3State *s, PciBus *pci, SnapRegistry *reg);
void piix3_reset(Piix3State *s);

#endif
