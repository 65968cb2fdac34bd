/* Intel 82371SB PIIX3 function 1 (00:01.1), the IDE controller: both channels in compatibility
 * mode (legacy ports 0x1F0/0x3F6 with IRQ 14 and 0x170/0x376 with IRQ 15, decoded always) and
 * the bus master IDE function behind BAR4.
 *
 * Board wiring:
 *   ide_channel_init(&ide[0], ...); ide_channel_init(&ide[1], ...);   (devices/ide.h)
 *   piix_ide_init(&pide, &pci.bus, bus, snap, &ide[0], &ide[1]);      plugs in at devfn 0x09
 *   piix_ide_reset(&pide) on machine reset (after pci_reset); with no firmware (direct Linux
 *   boot) also piix_ide_bios_setup(&pide) after it.
 * The channels' interrupts are the IdeChannel irq lines (ISA IRQ 14 and 15), not PCI INTx.
 */
#ifndef X86PC_PIIX_IDE_H
#define X86PC_PIIX_IDE_H

#include <stdint.h>

#include "chipset/pcibus.h"
#include "devices/ide.h"

#define PIIX_IDE_DEVFN 0x09

typedef struct PiixIdeBm {
    uint8_t cmd;       /* BMICx: bit 0 start, bit 3 direction (1: writes to memory) */
    uint8_t status;    /* BMISx: bit 0 active, 1 error, 2 interrupt, 5/6 drive DMA capable */
    uint32_t prd;      /* BMIDTPx: descriptor table pointer */
    uint32_t cur_prd;  /* next descriptor to fetch */
    uint32_t cur_addr; /* the region being transferred */
    uint32_t cur_left;
    uint8_t eot; /* the current region is the table's last */
    /* not saved */
    struct PiixIdeState *s;
    IdeChannel *ch;
} PiixIdeBm;

typedef struct PiixIdeState {
    PciDevice dev; /* config space saved by the PCI core */
    PiixIdeBm bm[2];
    /* not saved */
    Bus *bus;
    int bm_region;    /* index of the BAR4 port region in bus->pio, -1 before the first map */
    uint32_t bm_base; /* where BAR4 is decoded, PCI_BAR_UNMAPPED if nowhere */
} PiixIdeState;

void piix_ide_init(PiixIdeState *s, PciBus *pci, Bus *bus, SnapRegistry *reg, IdeChannel *ide0,
                   IdeChannel *ide1);
void piix_ide_reset(PiixIdeState *s);
/* What a PC BIOS does to the function before an OS runs: IDETIM bit 15 (IDE decode enable) for
 * both channels, which Linux's ata_piix requires. Only for boots without firmware (-kernel);
 * SeaBIOS does it itself. */
void piix_ide_bios_setup(PiixIdeState *s);

#endif
