/* PCI bus 0 behind configuration mechanism #1 (0xCF8 address, 0xCFC-0xCFF data), the PIIX3 reset
 * control register at 0xCF9, INTx routing through the PIIX3 PIRQ registers to ISA IRQs, and the
 * small device model every PCI function builds on: a 256-byte configuration space with write
 * masks, BARs with a relocation callback, and an interrupt pin.
 *
 * The PC's whole PCI complex (this bus, the i440FX and the PIIX3) is built by pci_init in
 * chipset/pci.h; this header is the bus and the device model that PCI functions use.
 *
 * A device model embeds a PciDevice, fills config[] (pci_set_ids etc.), sets wmask for its
 * writable registers, registers BARs with pci_register_bar and the function with
 * pci_register_device. Its INTx output is pci_set_irq(d, level).
 */
#ifndef X86PC_PCIBUS_H
#define X86PC_PCIBUS_H

#include <stdbool.h>
#include <stdint.h>

#include "chipset/irq.h"
#include "mmu/bus.h"
#include "snapshots/vmstate.h"

#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_REVISION_ID 0x08
#define PCI_CLASS_PROG 0x09
#define PCI_CLASS_DEVICE 0x0A
#define PCI_HEADER_TYPE 0x0E
#define PCI_BASE_ADDRESS_0 0x10
#define PCI_SUBSYSTEM_VENDOR_ID 0x2C
#define PCI_SUBSYSTEM_ID 0x2E
#define PCI_ROM_ADDRESS 0x30
#define PCI_INTERRUPT_LINE 0x3C
#define PCI_INTERRUPT_PIN 0x3D

#define PCI_COMMAND_IO 0x1
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4

#define PCI_BAR_IO 0x01
#define PCI_BAR_MEM 0x00
#define PCI_BAR_PREFETCH 0x08
#define PCI_ROM_BAR 6 /* bar index of the expansion ROM (0x30) */
#define PCI_BAR_UNMAPPED 0xFFFFFFFFu

typedef struct PciBus PciBus;
typedef struct PciDevice PciDevice;

struct PciDevice {
    uint8_t config[256];
    int32_t irq_level; /* INTx output */
    /* not saved: */
    uint8_t wmask[256];   /* writable bits */
    uint8_t w1cmask[256]; /* write-1-to-clear bits (status) */
    uint8_t devfn;
    uint32_t bar_size[7]; /* 0 = no such BAR; index 6 is the expansion ROM */
    uint32_t bar_addr[7]; /* where the BAR was last reported mapped, or PCI_BAR_UNMAPPED */
    PciBus *bus;
    const char *name;
    void *opaque;
    /* Called when a BAR is mapped at a new address or unmapped (addr = PCI_BAR_UNMAPPED) by a
     * BAR write or a command register change. */
    void (*bar_map)(PciDevice *d, int bar, uint32_t addr);
    /* Optional: called after the generic masked write of config bytes [addr, addr + size). */
    void (*config_write)(PciDevice *d, uint32_t addr, uint32_t val, unsigned size);
    /* Optional: replaces the generic read. */
    uint32_t (*config_read)(PciDevice *d, uint32_t addr, unsigned size);
    /* Optional: after a snapshot load, once config[] is back. */
    void (*post_load)(PciDevice *d);
};

struct PciBus {
    uint32_t config_addr; /* 0xCF8 */
    uint8_t rc;           /* 0xCF9 reset control */
    /* not saved (rebuilt from the devices): */
    uint16_t isa_levels; /* ISA IRQ levels driven through isa_irq */
    int pirq_count[4];   /* devices asserting each PIRQ */
    PciDevice *dev[256];
    PciDevice *router; /* the PIIX3: PIRQ route registers at 0x60-0x63 */
    Bus *bus;
    void (*reset_cb)(void *opaque);
    void *reset_opaque;
    IrqLine isa_irq[16]; /* PCI interrupts routed to ISA IRQs (the board connects them) */
};

void pci_bus_init(PciBus *pci, Bus *bus, SnapRegistry *reg, void (*reset_cb)(void *opaque),
                  void *opaque);
void pci_bus_reset(PciBus *pci);

/* Device model helpers. */
void pci_device_init(PciDevice *d, const char *name, void *opaque);
void pci_set_ids(PciDevice *d, uint16_t vendor, uint16_t device, uint8_t revision,
                 uint32_t class_code /* class << 16 | subclass << 8 | prog-if */);
void pci_register_bar(PciDevice *d, int bar, uint32_t size, uint8_t flags);
/* Plugs the function in at devfn (slot << 3 | function); returns 0, or -1 if taken. */
int pci_register_device(PciBus *pci, PciDevice *d, uint8_t devfn, SnapRegistry *reg);
void pci_set_irq(PciDevice *d, int level);
/* Re-evaluate BAR mappings (after a device changes config[] itself, e.g. on reset). */
void pci_update_mappings(PciDevice *d);

/* Configuration access as from the CPU, bus 0 only (also for the board and tests). */
uint32_t pci_config_read(PciBus *pci, uint8_t devfn, uint8_t addr, unsigned size);
void pci_config_write(PciBus *pci, uint8_t devfn, uint8_t addr, uint32_t val, unsigned size);
/* Recompute the PIRQ -> ISA IRQ outputs (the PIIX3 calls it when its routes change). */
void pci_route_update(PciBus *pci);

static inline void pci_set_byte(PciDevice *d, uint8_t addr, uint8_t v)
{
    d->config[addr] = v;
}
static inline void pci_set_word(PciDevice *d, uint8_t addr, uint16_t v)
{
    d->config[addr] = (uint8_t)v;
    d->config[addr + 1] = (uint8_t)(v >> 8);
}
static inline void pci_set_long(PciDevice *d, uint8_t addr, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        d->config[addr + i] = (uint8_t)(v >> (8 * i));
    }
}
static inline uint16_t pci_get_word(const PciDevice *d, uint8_t addr)
{
    return (uint16_t)(d->config[addr] | d->config[addr + 1] << 8);
}
static inline uint32_t pci_get_long(const PciDevice *d, uint8_t addr)
{
    return (uint32_t)d->config[addr] | (uint32_t)d->config[addr + 1] << 8 |
           (uint32_t)d->config[addr + 2] << 16 | (uint32_t)d->config[addr + 3] << 24;
}

#endif
