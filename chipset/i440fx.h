/* Intel 82441FX PCI and memory controller (the host bridge of the i440FX chipset) at 00:00.0:
 * PAM shadowing of 0xC0000-0xFFFFF and the SMRAM register.
 *
 * Built by pci_init (chipset/pci.h), or by hand:
 *   i440fx_init(&nb, &pci, bus, snap, rom);  rom: 256 KB that read-only mode shows at
 *           0xC0000-0xFFFFF (rom[addr - 0xC0000]; for SeaBIOS the last 128 KB of bios-256k.bin
 *           at rom + 0x20000, the first 128 KB 0xFF or option ROMs), or NULL for unassigned.
 *           The board maps the BIOS image at 0xFFFC0000 itself.
 *   i440fx_reset(&nb) on machine reset (PAM back to "read ROM").
 */
#ifndef X86PC_I440FX_H
#define X86PC_I440FX_H

#include <stdint.h>

#include "chipset/pcibus.h"

#define I440FX_PAM0 0x59
#define I440FX_SMRAM 0x72

typedef struct I440fxState {
    PciDevice dev; /* config space saved by the PCI core */
    /* not saved: */
    Bus *bus;
    uint8_t *rom;
} I440fxState;

void i440fx_init(I440fxState *s, PciBus *pci, Bus *bus, SnapRegistry *reg, uint8_t *rom);
void i440fx_reset(I440fxState *s);
/* Re-apply the PAM registers to the memory map (done on every PAM write and after a load). */
void i440fx_update_pam(I440fxState *s);

#endif
