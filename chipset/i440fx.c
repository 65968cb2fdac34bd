/* Intel 82441FX PMC host bridge, following the Intel 440FX PCIset datasheet (order no. 290549):
 * the configuration header (8086:1237, class 0x060000), the Programmable Attribute Map registers
 * PAM0-PAM6 (0x59-0x5F) and SMRAM (0x72). Each PAM nibble holds RE (bit 0) and WE (bit 1) for a
 * segment: PAM0 bits 5:4 cover 0xF0000-0xFFFFF, and PAM1-PAM6 low/high nibbles the 16 KB pieces
 * of 0xC0000-0xEFFFF. RE clear reads go to the ROM (here a board-supplied image), WE clear writes
 * are dropped (there is no writable flash), so the four modes map as: 0 read ROM, writes dropped;
 * 1 read RAM, writes dropped; 2 read ROM, write RAM; 3 RAM. The subsystem IDs are QEMU's
 * (1af4:1100), which SeaBIOS checks to know it runs on an emulator.
 *
 * Departures: SMRAM is stored but not decoded (there is no SMM); DRAM rows, timing and error
 * registers are plain storage.
 */
#include "chipset/i440fx.h"

#include <string.h>

#include "mmu/log.h"

static void map_segment(I440fxState *s, uint32_t base, uint32_t len, int mode)
{
    uint8_t *ram = s->bus->ram_size >= 0x100000 ? s->bus->ram + base : NULL;
    uint8_t *rom = s->rom ? s->rom + (base - 0xC0000) : NULL;
    uint8_t *rd = (mode & 1) ? ram : rom;
    uint8_t *wr = (mode & 2) ? ram : NULL;
    bus_map_mem(s->bus, base, len, rd, wr);
}

void i440fx_update_pam(I440fxState *s)
{
    const uint8_t *pam = &s->dev.config[I440FX_PAM0];
    map_segment(s, 0xF0000, 0x10000, (pam[0] >> 4) & 3);
    for (int r = 1; r <= 6; r++) {
        uint32_t base = 0xC0000 + (uint32_t)(r - 1) * 0x8000;
        map_segment(s, base, 0x4000, pam[r] & 3);
        map_segment(s, base + 0x4000, 0x4000, (pam[r] >> 4) & 3);
    }
}

static void i440fx_config_write(PciDevice *d, uint32_t addr, uint32_t val, unsigned size)
{
    I440fxState *s = d->opaque;
    if (addr < I440FX_PAM0 + 7 && addr + size > I440FX_PAM0) {
        i440fx_update_pam(s);
    }
    if (addr <= I440FX_SMRAM && addr + size > I440FX_SMRAM) {
        uint8_t v = d->config[I440FX_SMRAM];
        if (v & 0x10) {
            /* D_LCK: D_OPEN is forced off and the register locks until reset */
            d->config[I440FX_SMRAM] = v & ~0x40;
            d->wmask[I440FX_SMRAM] = 0;
        }
        if (v & 0x48) {
            LOG_ONCE(LOG_PCI, "i440fx: SMRAM 0x%02x (not decoded)", v);
        }
    }
}

static void i440fx_post_load(PciDevice *d)
{
    I440fxState *s = d->opaque;
    d->wmask[I440FX_SMRAM] = (d->config[I440FX_SMRAM] & 0x10) ? 0 : 0x78;
    i440fx_update_pam(s);
}

void i440fx_reset(I440fxState *s)
{
    PciDevice *d = &s->dev;
    memset(d->config + 0x04, 0, 256 - 0x04);
    pci_set_ids(d, 0x8086, 0x1237, 0x02, 0x060000);
    pci_set_word(d, PCI_COMMAND, 0x0006);
    pci_set_word(d, PCI_STATUS, 0x0280);
    d->config[PCI_HEADER_TYPE] = 0x00;
    pci_set_word(d, PCI_SUBSYSTEM_VENDOR_ID, 0x1AF4);
    pci_set_word(d, PCI_SUBSYSTEM_ID, 0x1100);
    d->config[0x57] = 0x01; /* DRAMC */
    d->config[0x58] = 0x10; /* DRAMT */
    for (int i = 0x60; i <= 0x67; i++) {
        d->config[i] = 0x01; /* DRB: row boundaries */
    }
    d->config[0x70] = 0x20;         /* MTT */
    d->config[0x71] = 0x10;         /* CLT */
    d->config[I440FX_SMRAM] = 0x02; /* C_BASE_SEG = 0xA0000 */
    d->wmask[I440FX_SMRAM] = 0x78;
    i440fx_update_pam(s);
}

void i440fx_init(I440fxState *s, PciBus *pci, Bus *bus, SnapRegistry *reg, uint8_t *rom)
{
    memset(s, 0, sizeof *s);
    s->bus = bus;
    s->rom = rom;
    PciDevice *d = &s->dev;
    pci_device_init(d, "i440fx", s);
    d->config_write = i440fx_config_write;
    d->post_load = i440fx_post_load;
    /* the memory controller's registers from 0x50 to 0x9F are plain read/write */
    for (int i = 0x50; i < 0xA0; i++) {
        d->wmask[i] = 0xFF;
    }
    d->wmask[I440FX_PAM0] = 0x30; /* PAM0 has only the 0xF0000 nibble's RE/WE */
    for (int i = I440FX_PAM0 + 1; i < I440FX_PAM0 + 7; i++) {
        d->wmask[i] = 0x33;
    }
    d->wmask[PCI_INTERRUPT_LINE] = 0;
    i440fx_reset(s);
    pci_register_device(pci, d, 0x00, reg);
}
