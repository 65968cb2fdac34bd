/* Intel 82371SB PIIX3 function 0, the PCI-to-ISA bridge, following the 82371FB/SB datasheet
 * (order no. 290550): the configuration header (8086:7000, class 0x060100, multi-function header
 * type 0x80) and its registers with their reset values, among them the PIRQ[A-D] route control
 * registers 0x60-0x63 (bit 7 disables routing, bits 3:0 the ISA IRQ) that pci.c applies.
 *
 * Departures: the ISA bus, DMA and SMI registers are plain storage; the APIC chip select, the
 * motherboard IRQ/DMA and the top-of-memory registers have no effect.
 */
#include "chipset/piix3.h"

#include <string.h>

static void piix3_config_write(PciDevice *d, uint32_t addr, uint32_t val, unsigned size)
{
    if (addr < 0x64 && addr + size > 0x60 && d->bus) {
        pci_route_update(d->bus);
    }
}

void piix3_reset(Piix3State *s)
{
    PciDevice *d = &s->dev;
    memset(d->config + 0x04, 0, 256 - 0x04);
    pci_set_ids(d, 0x8086, 0x7000, 0x00, 0x060100);
    pci_set_word(d, PCI_COMMAND, 0x0007);
    pci_set_word(d, PCI_STATUS, 0x0200);
    d->config[PCI_HEADER_TYPE] = 0x80;
    pci_set_word(d, PCI_SUBSYSTEM_VENDOR_ID, 0x1AF4);
    pci_set_word(d, PCI_SUBSYSTEM_ID, 0x1100);
    d->config[0x4C] = 0x4D; /* IORT */
    d->config[0x4E] = 0x03; /* XBCS */
    for (int i = 0x60; i <= 0x63; i++) {
        d->config[i] = 0x80; /* PIRQ routing disabled */
    }
    d->config[0x69] = 0x02; /* TOM */
    d->config[0x70] = 0x80; /* MBIRQ0 */
    d->config[0x71] = 0x80; /* MBIRQ1 */
    d->config[0x76] = 0x0C; /* MBDMA0 */
    d->config[0x77] = 0x0C; /* MBDMA1 */
    d->config[0x78] = 0x02; /* PCSC */
    d->config[0xA0] = 0x08; /* SMICNTL */
    d->config[0xA8] = 0x0F; /* FTMR */
    if (d->bus) {
        pci_route_update(d->bus);
    }
}

void piix3_init(Piix3State *s, PciBus *pci, SnapRegistry *reg)
{
    memset(s, 0, sizeof *s);
    PciDevice *d = &s->dev;
    pci_device_init(d, "piix3", s);
    d->config_write = piix3_config_write;
    d->wmask[PCI_COMMAND] = 0x08; /* only special cycle enable is writable */
    d->wmask[PCI_COMMAND + 1] = 0;
    d->wmask[PCI_INTERRUPT_LINE] = 0;
    for (int i = 0x4C; i < 0x100; i++) {
        d->wmask[i] = 0xFF;
    }
    piix3_reset(s);
    pci_register_device(pci, d, 0x08, reg);
    pci->router = d;
}
