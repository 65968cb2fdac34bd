/* PCI configuration mechanism #1 with the i440FX host bridge and PIIX3: IDs through 0xCF8/0xCFC,
 * PAM remapping of 0xC0000-0xFFFFF, BAR sizing and relocation, PIRQ routing, 0xCF9 reset. */
#include <stdlib.h>
#include <string.h>

#include "chipset/pci.h"
#include "tests/unit/devtest.h"
#include "tests/unit/test.h"

typedef struct PciFx {
    Bus bus;
    PciState pc;
    uint8_t *rom;
    int resets;
} PciFx;

static void pci_reset_cb(void *opaque)
{
    ((PciFx *)opaque)->resets++;
}

static void pci_fx_init(PciFx *f)
{
    bus_init(&f->bus, 1 << 20);
    f->resets = 0;
    f->rom = malloc(0x40000);
    for (int i = 0; i < 0x40000; i++) {
        f->rom[i] = (uint8_t)(0xA0 + (i >> 16)); /* 0xA0 at 0xC0000, ..., 0xA3 at 0xF0000 */
    }
    pci_init(&f->pc, &f->bus, NULL, f->rom, pci_reset_cb, f);
}

static void pci_fx_free(PciFx *f)
{
    bus_free(&f->bus);
    free(f->rom);
}

static uint32_t cfg_read(PciFx *f, uint8_t devfn, uint8_t reg, unsigned size)
{
    bus_pio_write(&f->bus, 0xCF8, 0x80000000u | devfn << 8 | (reg & 0xFC), 4);
    return bus_pio_read(&f->bus, 0xCFC + (reg & 3), size);
}

static void cfg_write(PciFx *f, uint8_t devfn, uint8_t reg, uint32_t v, unsigned size)
{
    bus_pio_write(&f->bus, 0xCF8, 0x80000000u | devfn << 8 | (reg & 0xFC), 4);
    bus_pio_write(&f->bus, 0xCFC + (reg & 3), v, size);
}

TEST(pci, ids_through_cf8_cfc)
{
    PciFx f;
    pci_fx_init(&f);
    bus_pio_write(&f.bus, 0xCF8, 0x80000000u, 4);
    EXPECT_EQ(bus_pio_read(&f.bus, 0xCF8, 4), 0x80000000u); /* SeaBIOS's PCI probe */
    EXPECT_EQ(cfg_read(&f, 0x00, 0x00, 4), 0x12378086u);
    EXPECT_EQ(cfg_read(&f, 0x00, 0x08, 4), 0x06000002u);
    EXPECT_EQ(cfg_read(&f, 0x00, 0x2C, 4), 0x11001AF4u);
    EXPECT_EQ(cfg_read(&f, 0x08, 0x00, 4), 0x70008086u);
    EXPECT_EQ(cfg_read(&f, 0x08, 0x02, 2), 0x7000);
    EXPECT_EQ(cfg_read(&f, 0x08, 0x0A, 2), 0x0601);
    EXPECT_EQ(cfg_read(&f, 0x08, 0x0E, 1), 0x80);
    EXPECT_EQ(cfg_read(&f, 0x10, 0x00, 4), 0xFFFFFFFFu); /* no device 2 */
    bus_pio_write(&f.bus, 0xCF8, 0x00000000u, 4);
    EXPECT_EQ(bus_pio_read(&f.bus, 0xCFC, 4), 0xFFFFFFFFu); /* disabled */
    bus_pio_write(&f.bus, 0xCF8, 0x80010000u, 4);
    EXPECT_EQ(bus_pio_read(&f.bus, 0xCFC, 4), 0xFFFFFFFFu); /* bus 1 */
    /* read-only IDs stay */
    cfg_write(&f, 0x00, 0x00, 0xDEADBEEF, 4);
    EXPECT_EQ(cfg_read(&f, 0x00, 0x00, 4), 0x12378086u);
    pci_fx_free(&f);
}

TEST(pci, pam_remaps_bios_area)
{
    PciFx f;
    pci_fx_init(&f);
    f.bus.ram[0xF0000] = 0x11;
    f.bus.ram[0xC4000] = 0x22;
    EXPECT_EQ(bus_read(&f.bus, 0xF0000, 1), 0xA3); /* reset: ROM */
    bus_write(&f.bus, 0xF0000, 0x55, 1);
    EXPECT_EQ(bus_read(&f.bus, 0xF0000, 1), 0xA3);
    EXPECT_EQ(f.bus.ram[0xF0000], 0x11); /* dropped */
    /* SeaBIOS's make_bios_writable: dword writes at 0x58 and 0x5C */
    uint32_t lo = cfg_read(&f, 0, 0x58, 4), hi = cfg_read(&f, 0, 0x5C, 4);
    EXPECT_EQ(lo, 0x00000010u); /* DRAMT 0x10, PAM0-2 zero */
    lo = (lo & 0xFF) | 0x30 << 8 | 0x33 << 16 | 0x33u << 24;
    hi = 0x33333333u;
    cfg_write(&f, 0, 0x58, lo, 4);
    cfg_write(&f, 0, 0x5C, hi, 4);
    EXPECT_EQ(cfg_read(&f, 0, 0x59, 1), 0x30);
    EXPECT_EQ(bus_read(&f.bus, 0xF0000, 1), 0x11);
    bus_write(&f.bus, 0xF0000, 0x55, 1);
    EXPECT_EQ(f.bus.ram[0xF0000], 0x55);
    EXPECT_EQ(bus_read(&f.bus, 0xC4000, 1), 0x22);
    /* mode 1: read RAM, writes dropped */
    cfg_write(&f, 0, 0x59, 0x10, 1);
    bus_write(&f.bus, 0xF0000, 0x66, 1);
    EXPECT_EQ(bus_read(&f.bus, 0xF0000, 1), 0x55);
    /* mode 2: read ROM, write RAM */
    cfg_write(&f, 0, 0x59, 0x20, 1);
    bus_write(&f.bus, 0xF0001, 0x77, 1);
    EXPECT_EQ(bus_read(&f.bus, 0xF0001, 1), 0xA3);
    EXPECT_EQ(f.bus.ram[0xF0001], 0x77);
    /* PAM1 high nibble covers 0xC4000-0xC7FFF only */
    cfg_write(&f, 0, 0x5A, 0x03, 1);
    EXPECT_EQ(bus_read(&f.bus, 0xC0000, 1), f.bus.ram[0xC0000]);
    EXPECT_EQ(bus_read(&f.bus, 0xC4000, 1), 0xA0);
    /* only RE/WE bits exist */
    cfg_write(&f, 0, 0x5A, 0xFF, 1);
    EXPECT_EQ(cfg_read(&f, 0, 0x5A, 1), 0x33);
    pci_reset(&f.pc);
    EXPECT_EQ(bus_read(&f.bus, 0xF0000, 1), 0xA3);
    pci_fx_free(&f);
}

typedef struct TestDev {
    PciDevice dev;
    uint32_t mapped[7];
    int calls;
} TestDev;

static void test_bar_map(PciDevice *d, int bar, uint32_t addr)
{
    TestDev *t = d->opaque;
    t->mapped[bar] = addr;
    t->calls++;
}

TEST(pci, bar_sizing_and_mapping)
{
    PciFx f;
    pci_fx_init(&f);
    TestDev t;
    pci_device_init(&t.dev, "test", &t);
    t.calls = 0;
    t.dev.bar_map = test_bar_map;
    pci_set_ids(&t.dev, 0x1234, 0x5678, 1, 0x020000);
    pci_register_bar(&t.dev, 0, 0x20, PCI_BAR_IO);
    pci_register_bar(&t.dev, 1, 0x1000, PCI_BAR_MEM);
    EXPECT_EQ(pci_register_device(&f.pc.bus, &t.dev, 0x18, NULL), 0);
    EXPECT_EQ(pci_register_device(&f.pc.bus, &t.dev, 0x18, NULL), -1);
    cfg_write(&f, 0x18, 0x10, 0xFFFFFFFFu, 4);
    EXPECT_EQ(cfg_read(&f, 0x18, 0x10, 4), 0xFFFFFFE1u);
    cfg_write(&f, 0x18, 0x14, 0xFFFFFFFFu, 4);
    EXPECT_EQ(cfg_read(&f, 0x18, 0x14, 4), 0xFFFFF000u);
    EXPECT_EQ(t.calls, 0); /* decoding is still off */
    cfg_write(&f, 0x18, 0x10, 0xC000, 4);
    cfg_write(&f, 0x18, 0x14, 0xFEB00000u, 4);
    cfg_write(&f, 0x18, 0x04, PCI_COMMAND_IO | PCI_COMMAND_MEMORY, 2);
    EXPECT_EQ(t.calls, 2);
    EXPECT_EQ(t.mapped[0], 0xC000);
    EXPECT_EQ(t.mapped[1], 0xFEB00000u);
    cfg_write(&f, 0x18, 0x10, 0xC100, 4);
    EXPECT_EQ(t.mapped[0], 0xC100);
    cfg_write(&f, 0x18, 0x04, 0, 2);
    EXPECT_EQ(t.mapped[0], PCI_BAR_UNMAPPED);
    EXPECT_EQ(t.mapped[1], PCI_BAR_UNMAPPED);
    pci_fx_free(&f);
}

TEST(pci, pirq_routing)
{
    PciFx f;
    pci_fx_init(&f);
    DtIrq irq10 = {0}, irq11 = {0};
    irq_connect(&f.pc.bus.isa_irq[10], dt_irq_handler, &irq10, 10);
    irq_connect(&f.pc.bus.isa_irq[11], dt_irq_handler, &irq11, 11);
    TestDev t;
    pci_device_init(&t.dev, "test", &t);
    t.dev.config[PCI_INTERRUPT_PIN] = 1;                  /* INTA */
    pci_register_device(&f.pc.bus, &t.dev, 3 << 3, NULL); /* slot 3: INTA -> PIRQC */
    pci_set_irq(&t.dev, 1);
    EXPECT_EQ(irq11.level, 0); /* routing disabled at reset */
    /* SeaBIOS's routes: PIRQA-D = 10, 10, 11, 11 */
    cfg_write(&f, 0x08, 0x60, 0x0B0B0A0Au, 4);
    EXPECT_EQ(irq11.level, 1);
    EXPECT_EQ(irq10.level, 0);
    pci_set_irq(&t.dev, 0);
    EXPECT_EQ(irq11.level, 0);
    pci_set_irq(&t.dev, 1);
    cfg_write(&f, 0x08, 0x62, 0x8B, 1); /* disable PIRQC */
    EXPECT_EQ(irq11.level, 0);
    cfg_write(&f, 0x08, 0x62, 0x0A, 1);
    EXPECT_EQ(irq10.level, 1);
    pci_fx_free(&f);
}

TEST(pci, cf9_reset)
{
    PciFx f;
    pci_fx_init(&f);
    bus_pio_write(&f.bus, 0xCF9, 0x02, 1);
    EXPECT_EQ(f.resets, 0);
    EXPECT_EQ(bus_pio_read(&f.bus, 0xCF9, 1), 0x02);
    bus_pio_write(&f.bus, 0xCF9, 0x06, 1);
    EXPECT_EQ(f.resets, 1);
    pci_fx_free(&f);
}
