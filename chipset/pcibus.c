/* PCI bus 0 with configuration mechanism #1, following the PCI Local Bus Specification 2.1
 * (section 3.7.4.1: CONFIG_ADDRESS at 0xCF8 with the enable bit 31, bus, device, function and
 * dword register; CONFIG_DATA at 0xCFC-0xCFF in bytes, words or dwords; section 6: the type 0
 * header, BAR sizing by writing all ones), plus two registers of the Intel 82371SB PIIX3 that
 * sit in the same port range or concern the whole bus: the reset control register at 0xCF9
 * (writing bit 2 = 1 resets the system; bit 1 selects a hard reset) and the PIRQ[A-D] route
 * registers (0x60-0x63 of the PIIX3, which this file reads through `router`) that steer PCI INTx
 * to ISA IRQs. A device's INTx pin maps to PIRQ (pin - 1 + slot) mod 4, the swizzle of QEMU's
 * i440FX board which SeaBIOS assumes.
 *
 * Departures: only bus 0 exists (other buses read as all ones); byte and word accesses to
 * 0xCF8-0xCFB other than the 0xCF9 byte read as all ones and are dropped.
 */
#include "chipset/pcibus.h"

#include <string.h>

#include "mmu/log.h"

static const VmsField kPciBusFields[] = {
    VMS_U32F(PciBus, config_addr),
    VMS_U8F(PciBus, rc),
    VMS_FIELDS_END,
};
static const VmsDesc kPciBusDesc = {"pci", 1, kPciBusFields, NULL, NULL};

static int pci_dev_post_load(void *opaque);
static const VmsField kPciDevFields[] = {
    VMS_ARRAY(PciDevice, config, VMS_U8, 256),
    VMS_I32F(PciDevice, irq_level),
    VMS_FIELDS_END,
};
static const VmsDesc kPciDevDesc = {"pci-dev", 1, kPciDevFields, NULL, pci_dev_post_load};

/* ---- device model ---- */

void pci_device_init(PciDevice *d, const char *name, void *opaque)
{
    memset(d, 0, sizeof *d);
    d->name = name;
    d->opaque = opaque;
    for (int i = 0; i < 7; i++) {
        d->bar_addr[i] = PCI_BAR_UNMAPPED;
    }
    /* command: I/O, memory, bus master, parity, SERR, fast back-to-back, INTx disable */
    d->wmask[PCI_COMMAND] = 0xFF;
    d->wmask[PCI_COMMAND + 1] = 0x07;
    d->w1cmask[PCI_STATUS + 1] = 0xF9; /* the error bits of the status register */
    d->wmask[0x0C] = 0xFF;             /* cache line size */
    d->wmask[0x0D] = 0xFF;             /* latency timer */
    d->wmask[PCI_INTERRUPT_LINE] = 0xFF;
}

void pci_set_ids(PciDevice *d, uint16_t vendor, uint16_t device, uint8_t revision,
                 uint32_t class_code)
{
    pci_set_word(d, PCI_VENDOR_ID, vendor);
    pci_set_word(d, PCI_DEVICE_ID, device);
    d->config[PCI_REVISION_ID] = revision;
    d->config[PCI_CLASS_PROG] = (uint8_t)class_code;
    d->config[PCI_CLASS_DEVICE] = (uint8_t)(class_code >> 8);
    d->config[PCI_CLASS_DEVICE + 1] = (uint8_t)(class_code >> 16);
}

static uint8_t bar_offset(int bar)
{
    return bar == PCI_ROM_BAR ? PCI_ROM_ADDRESS : (uint8_t)(PCI_BASE_ADDRESS_0 + 4 * bar);
}

void pci_register_bar(PciDevice *d, int bar, uint32_t size, uint8_t flags)
{
    if (bar < 0 || bar > 6 || size == 0 || (size & (size - 1))) {
        LOG_ONCE(LOG_PCI, "pci: %s: bad BAR %d size 0x%x", d->name, bar, size);
        return;
    }
    if (bar == PCI_ROM_BAR) {
        if (size < 2048) {
            size = 2048;
        }
    } else if (flags & PCI_BAR_IO) {
        if (size < 4) {
            size = 4;
        }
    } else if (size < 16) {
        size = 16;
    }
    d->bar_size[bar] = size;
    uint8_t off = bar_offset(bar);
    uint32_t mask;
    uint32_t type = 0;
    if (bar == PCI_ROM_BAR) {
        mask = ~(size - 1) | 1; /* address and the enable bit */
    } else if (flags & PCI_BAR_IO) {
        mask = ~(size - 1) & ~3u;
        type = PCI_BAR_IO;
    } else {
        mask = ~(size - 1) & ~0xFu;
        type = flags & PCI_BAR_PREFETCH;
    }
    pci_set_long(d, off, type);
    for (int i = 0; i < 4; i++) {
        d->wmask[off + i] = (uint8_t)(mask >> (8 * i));
    }
}

void pci_update_mappings(PciDevice *d)
{
    uint16_t cmd = pci_get_word(d, PCI_COMMAND);
    for (int bar = 0; bar < 7; bar++) {
        uint32_t size = d->bar_size[bar];
        if (!size) {
            continue;
        }
        uint32_t raw = pci_get_long(d, bar_offset(bar));
        uint32_t addr = PCI_BAR_UNMAPPED;
        if (bar == PCI_ROM_BAR) {
            uint32_t a = raw & ~(size - 1);
            if ((cmd & PCI_COMMAND_MEMORY) && (raw & 1) && a && a + (size - 1) != 0xFFFFFFFFu) {
                addr = a;
            }
        } else if (raw & PCI_BAR_IO) {
            uint32_t a = raw & ~3u;
            if ((cmd & PCI_COMMAND_IO) && a && a + size <= 0x10000) {
                addr = a;
            }
        } else {
            uint32_t a = raw & ~0xFu;
            /* all ones (a BAR being sized) and addresses that wrap are not decoded */
            if ((cmd & PCI_COMMAND_MEMORY) && a && a + (size - 1) > a &&
                a + (size - 1) != 0xFFFFFFFFu) {
                addr = a;
            }
        }
        if (addr != d->bar_addr[bar]) {
            d->bar_addr[bar] = addr;
            if (d->bar_map) {
                d->bar_map(d, bar, addr);
            }
        }
    }
}

static uint32_t dev_config_read(PciDevice *d, uint32_t addr, unsigned size)
{
    if (d->config_read) {
        return d->config_read(d, addr, size);
    }
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        v |= (uint32_t)d->config[addr + i] << (8 * i);
    }
    return v;
}

static void dev_config_write(PciDevice *d, uint32_t addr, uint32_t val, unsigned size)
{
    bool remap = false;
    for (unsigned i = 0; i < size; i++) {
        uint32_t a = addr + i;
        uint8_t b = (uint8_t)(val >> (8 * i));
        uint8_t wm = d->wmask[a];
        d->config[a] = (uint8_t)((d->config[a] & ~wm) | (b & wm));
        d->config[a] &= (uint8_t) ~(b & d->w1cmask[a]);
        if (a == PCI_COMMAND || (a >= 0x10 && a < 0x28) || (a >= 0x30 && a < 0x34)) {
            remap = true;
        }
    }
    if (remap) {
        pci_update_mappings(d);
    }
    if (d->config_write) {
        d->config_write(d, addr, val, size);
    }
}

uint32_t pci_config_read(PciBus *pci, uint8_t devfn, uint8_t addr, unsigned size)
{
    PciDevice *d = pci->dev[devfn];
    if (!d || addr + size > 256) {
        return size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
    }
    return dev_config_read(d, addr, size);
}

void pci_config_write(PciBus *pci, uint8_t devfn, uint8_t addr, uint32_t val, unsigned size)
{
    PciDevice *d = pci->dev[devfn];
    if (!d || addr + size > 256) {
        return;
    }
    dev_config_write(d, addr, val, size);
}

/* ---- interrupt routing ---- */

static bool isa_irq_routable(int irq)
{
    return irq >= 3 && irq <= 15 && irq != 8 && irq != 13;
}

void pci_route_update(PciBus *pci)
{
    uint16_t levels = 0;
    if (pci->router) {
        for (int p = 0; p < 4; p++) {
            uint8_t route = pci->router->config[0x60 + p];
            int irq = route & 0x0F;
            if (!(route & 0x80) && isa_irq_routable(irq) && pci->pirq_count[p] > 0) {
                levels |= 1u << irq;
            }
        }
    }
    uint16_t changed = levels ^ pci->isa_levels;
    pci->isa_levels = levels;
    for (int irq = 0; irq < 16; irq++) {
        if (changed & (1u << irq)) {
            irq_set(&pci->isa_irq[irq], (levels >> irq) & 1);
        }
    }
}

static int pirq_of(const PciDevice *d)
{
    int pin = d->config[PCI_INTERRUPT_PIN];
    if (pin < 1 || pin > 4) {
        return -1;
    }
    /* the PIIX board swizzle SeaBIOS and the ACPI _PRT assume: slot 1 INTA is PIRQA */
    return (pin - 1 + (d->devfn >> 3) - 1) & 3;
}

static void recount_pirqs(PciBus *pci)
{
    memset(pci->pirq_count, 0, sizeof pci->pirq_count);
    for (int i = 0; i < 256; i++) {
        PciDevice *d = pci->dev[i];
        int p;
        if (d && d->irq_level && (p = pirq_of(d)) >= 0) {
            pci->pirq_count[p]++;
        }
    }
    pci_route_update(pci);
}

void pci_set_irq(PciDevice *d, int level)
{
    level = level != 0;
    if (level == d->irq_level) {
        return;
    }
    d->irq_level = level;
    if (d->bus) {
        recount_pirqs(d->bus);
    }
}

/* ---- ports ---- */

static uint32_t addr_read(void *opaque, uint32_t addr, unsigned size)
{
    PciBus *pci = opaque;
    if (addr == 0 && size == 4) {
        return pci->config_addr;
    }
    if (addr == 1 && size == 1) {
        return pci->rc;
    }
    return size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
}

static void addr_write(void *opaque, uint32_t addr, uint32_t val, unsigned size)
{
    PciBus *pci = opaque;
    if (addr == 0 && size == 4) {
        pci->config_addr = val & 0x80FFFFFCu;
        return;
    }
    if (addr == 1 && size == 1) {
        pci->rc = val & 0x02;
        if (val & 0x04) {
            xlog(LOG_PCI, "pci: reset through 0xCF9 (0x%02x)", val);
            if (pci->reset_cb) {
                pci->reset_cb(pci->reset_opaque);
            }
        }
        return;
    }
    LOG_ONCE(LOG_PCI, "pci: %u-byte write to 0x%x ignored", size, 0xCF8 + addr);
}

static uint32_t data_read(void *opaque, uint32_t addr, unsigned size)
{
    PciBus *pci = opaque;
    uint32_t ca = pci->config_addr;
    if (!(ca & 0x80000000u) || ((ca >> 16) & 0xFF) != 0) {
        return size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
    }
    return pci_config_read(pci, (uint8_t)(ca >> 8), (uint8_t)((ca & 0xFC) + addr), size);
}

static void data_write(void *opaque, uint32_t addr, uint32_t val, unsigned size)
{
    PciBus *pci = opaque;
    uint32_t ca = pci->config_addr;
    if (!(ca & 0x80000000u) || ((ca >> 16) & 0xFF) != 0) {
        return;
    }
    pci_config_write(pci, (uint8_t)(ca >> 8), (uint8_t)((ca & 0xFC) + addr), val, size);
}

static const IoOps kAddrOps = {addr_read, addr_write, 0};
static const IoOps kDataOps = {data_read, data_write, 0};

static int pci_dev_post_load(void *opaque)
{
    PciDevice *d = opaque;
    for (int i = 0; i < 7; i++) {
        d->bar_addr[i] = PCI_BAR_UNMAPPED - 1; /* force every BAR to be reported again */
    }
    pci_update_mappings(d);
    if (d->bus) {
        recount_pirqs(d->bus);
    }
    if (d->post_load) {
        d->post_load(d);
    }
    return 0;
}

int pci_register_device(PciBus *pci, PciDevice *d, uint8_t devfn, SnapRegistry *reg)
{
    if (pci->dev[devfn]) {
        return -1;
    }
    pci->dev[devfn] = d;
    d->devfn = devfn;
    d->bus = pci;
    snap_register(reg, &kPciDevDesc, d, devfn);
    return 0;
}

void pci_bus_reset(PciBus *pci)
{
    pci->config_addr = 0;
    pci->rc = 0;
}

void pci_bus_init(PciBus *pci, Bus *bus, SnapRegistry *reg, void (*reset_cb)(void *opaque),
                  void *opaque)
{
    memset(pci, 0, sizeof *pci);
    pci->bus = bus;
    pci->reset_cb = reset_cb;
    pci->reset_opaque = opaque;
    bus_register_pio(bus, 0xCF8, 4, &kAddrOps, pci, "pci-addr");
    bus_register_pio(bus, 0xCFC, 4, &kDataOps, pci, "pci-data");
    snap_register(reg, &kPciBusDesc, pci, 0);
}
