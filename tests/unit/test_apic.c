/* Local APIC and I/O APIC through their MMIO registers, with no CPU: reset values, relocation and
 * global disable, the timer (one-shot and periodic at exact virtual times for every divider,
 * current count), TPR/PPR masking and the spurious vector, ISR/EOI ordering, I/O APIC
 * redirection (edge, level with remote IRR and EOI, masking, polarity, logical destinations),
 * ExtINT through LINT0 from an 8259, NMI through LINT1, ESR and IPIs. */
#include <string.h>

#include "chipset/ioapic.h"
#include "chipset/lapic.h"
#include "chipset/pic.h"
#include "cpu/cpu.h"
#include "tests/unit/devtest.h"
#include "tests/unit/test.h"

typedef struct ApicFx {
    Bus bus;
    Clock clock;
    LapicState lapic;
    IoapicState ioapic;
    PicState pic;
    DtIrq intr, nmi;
} ApicFx;

static int fx_pic_ack(void *opaque)
{
    return pic_intack(opaque);
}

static ApicFx *apic_fx_new(void)
{
    static ApicFx f; /* large (the bus): one at a time */
    memset(&f, 0, sizeof f);
    bus_init(&f.bus, 1 << 20);
    clock_init(&f.clock, 0); /* 1 ns per tick: timers fire at exact nanoseconds */
    lapic_init(&f.lapic, &f.bus, &f.clock, NULL);
    ioapic_init(&f.ioapic, &f.bus, &f.lapic, NULL);
    pic_init(&f.pic, &f.bus, NULL);
    f.intr.clock = &f.clock;
    f.nmi.clock = &f.clock;
    irq_connect(&f.lapic.intr, dt_irq_handler, &f.intr, 0);
    irq_connect(&f.lapic.nmi, dt_irq_handler, &f.nmi, 0);
    irq_connect(&f.pic.intr, lapic_set_lint, &f.lapic, 0);
    lapic_connect_pic(&f.lapic, fx_pic_ack, &f.pic);
    return &f;
}

static void apic_fx_free(ApicFx *f)
{
    bus_free(&f->bus);
}

static uint32_t lr(ApicFx *f, uint32_t off)
{
    return bus_mmio_read(&f->bus, LAPIC_DEFAULT_BASE + off, 4);
}

static void lw(ApicFx *f, uint32_t off, uint32_t v)
{
    bus_mmio_write(&f->bus, LAPIC_DEFAULT_BASE + off, v, 4);
}

static uint32_t ior(ApicFx *f, uint8_t reg)
{
    bus_mmio_write(&f->bus, IOAPIC_BASE, reg, 1);
    return bus_mmio_read(&f->bus, IOAPIC_BASE + 0x10, 4);
}

static void iow(ApicFx *f, uint8_t reg, uint32_t v)
{
    bus_mmio_write(&f->bus, IOAPIC_BASE, reg, 4);
    bus_mmio_write(&f->bus, IOAPIC_BASE + 0x10, v, 4);
}

static bool irr_bit(ApicFx *f, unsigned v)
{
    return (lr(f, 0x200 + (v >> 5) * 0x10) >> (v & 31)) & 1;
}

static bool isr_bit(ApicFx *f, unsigned v)
{
    return (lr(f, 0x100 + (v >> 5) * 0x10) >> (v & 31)) & 1;
}

static bool tmr_bit(ApicFx *f, unsigned v)
{
    return (lr(f, 0x180 + (v >> 5) * 0x10) >> (v & 31)) & 1;
}

/* a fixed, edge-triggered self IPI */
static void self_ipi(ApicFx *f, uint8_t vector)
{
    lw(f, 0x300, 0x00040000u | vector);
}

static void enable(ApicFx *f)
{
    lw(f, 0xF0, 0x1FF);
}

TEST(lapic, reset_values)
{
    ApicFx *f = apic_fx_new();
    EXPECT_EQ(lr(f, 0x20), 0);
    EXPECT_EQ(lr(f, 0x30), 0x00050014u);
    EXPECT_EQ(lr(f, 0x80), 0);
    EXPECT_EQ(lr(f, 0x90), 0);
    EXPECT_EQ(lr(f, 0xA0), 0);
    EXPECT_EQ(lr(f, 0xD0), 0);
    EXPECT_EQ(lr(f, 0xE0), 0xFFFFFFFFu);
    EXPECT_EQ(lr(f, 0xF0), 0xFF);
    for (uint32_t off = 0x320; off <= 0x370; off += 0x10) {
        EXPECT_EQ(lr(f, off), 0x00010000u);
    }
    for (uint32_t off = 0x100; off < 0x280; off += 0x10) {
        EXPECT_EQ(lr(f, off), 0);
    }
    EXPECT_EQ(lr(f, 0x280), 0);
    EXPECT_EQ(lr(f, 0x300), 0);
    EXPECT_EQ(lr(f, 0x310), 0);
    EXPECT_EQ(lr(f, 0x380), 0);
    EXPECT_EQ(lr(f, 0x390), 0);
    EXPECT_EQ(lr(f, 0x3E0), 0);
    /* the ID is writable (bits 31:24), the version is not */
    lw(f, 0x20, 0x05000000u);
    EXPECT_EQ(lr(f, 0x20), 0x05000000u);
    lw(f, 0x30, 0);
    EXPECT_EQ(lr(f, 0x30), 0x00050014u);
    /* byte reads see the register's bytes */
    EXPECT_EQ(bus_mmio_read(&f->bus, LAPIC_DEFAULT_BASE + 0x32, 1), 0x05);
    /* LVT entries stay masked while software disabled */
    lw(f, 0x350, 0x700);
    EXPECT_EQ(lr(f, 0x350), 0x10700u);
    enable(f);
    lw(f, 0x350, 0x700);
    EXPECT_EQ(lr(f, 0x350), 0x700u);
    /* software disable masks every entry again */
    lw(f, 0xF0, 0xFF);
    EXPECT_EQ(lr(f, 0x350), 0x10700u);
    apic_fx_free(f);
}

TEST(lapic, relocation_and_global_disable)
{
    ApicFx *f = apic_fx_new();
    enable(f);
    lw(f, 0x80, 0x20);
    lapic_set_base(&f->lapic, 0xFED00000ull | LAPIC_MSR_BSP | LAPIC_MSR_ENABLE);
    EXPECT_EQ(lr(f, 0x30), 0xFFFFFFFFu); /* unclaimed now */
    EXPECT_EQ(bus_mmio_read(&f->bus, 0xFED00030u, 4), 0x00050014u);
    EXPECT_EQ(bus_mmio_read(&f->bus, 0xFED00080u, 4), 0x20); /* state kept */
    /* global disable: back to the reset state, registers no longer answer */
    lapic_set_base(&f->lapic, 0xFED00000ull | LAPIC_MSR_BSP);
    EXPECT_EQ(bus_mmio_read(&f->bus, 0xFED00030u, 4), 0xFFFFFFFFu);
    lapic_set_base(&f->lapic, LAPIC_BASE_MSR_RESET);
    EXPECT_EQ(lr(f, 0x30), 0x00050014u);
    EXPECT_EQ(lr(f, 0x80), 0);
    EXPECT_EQ(lr(f, 0xF0), 0xFF);
    apic_fx_free(f);
}

/* One-shot: the interrupt falls exactly initial * 10 ns * divider after the write. */
TEST(lapic, timer_one_shot_every_divider)
{
    static const uint32_t kDcr[8] = {0x0, 0x1, 0x2, 0x3, 0x8, 0x9, 0xA, 0xB};
    static const uint64_t kDiv[8] = {2, 4, 8, 16, 32, 64, 128, 1};
    for (int k = 0; k < 8; k++) {
        ApicFx *f = apic_fx_new();
        enable(f);
        dt_run_to(&f->clock, 1000);
        lw(f, 0x3E0, kDcr[k]);
        EXPECT_EQ(lr(f, 0x3E0), kDcr[k]);
        lw(f, 0x320, 0x40);
        lw(f, 0x380, 1000);
        uint64_t expiry = 1000 + 1000 * 10 * kDiv[k];
        EXPECT_EQ(lr(f, 0x390), 1000);
        dt_run_to(&f->clock, 1000 + 10 * kDiv[k] * 250);
        EXPECT_EQ(lr(f, 0x390), 750);
        dt_run_to(&f->clock, expiry - 1);
        EXPECT_EQ(lr(f, 0x390), 1);
        EXPECT_TRUE(!irr_bit(f, 0x40));
        EXPECT_EQ(f->intr.level, 0);
        dt_run_to(&f->clock, expiry);
        EXPECT_TRUE(irr_bit(f, 0x40));
        EXPECT_EQ(f->intr.level, 1);
        EXPECT_EQ(f->intr.rises, 1);
        EXPECT_EQ(f->intr.rise_ns[0], expiry);
        EXPECT_EQ(lr(f, 0x390), 0);
        EXPECT_EQ(lapic_intack(&f->lapic), 0x40);
        lw(f, 0xB0, 0);
        dt_run_to(&f->clock, expiry + 100000000);
        EXPECT_EQ(f->intr.rises, 1); /* one-shot: no more */
        EXPECT_EQ(lr(f, 0x390), 0);
        EXPECT_EQ(lr(f, 0x380), 1000);
        apic_fx_free(f);
    }
}

TEST(lapic, timer_periodic)
{
    static const uint32_t kDcr[3] = {0x1, 0xB, 0xA};
    static const uint64_t kDiv[3] = {4, 1, 128};
    for (int k = 0; k < 3; k++) {
        ApicFx *f = apic_fx_new();
        enable(f);
        lw(f, 0x3E0, kDcr[k]);
        lw(f, 0x320, 0x20000 | 0x41);
        dt_run_to(&f->clock, 777);
        lw(f, 0x380, 100);
        uint64_t period = 100 * 10 * kDiv[k];
        for (int n = 1; n <= 6; n++) {
            uint64_t t = 777 + n * period;
            dt_run_to(&f->clock, t - 1);
            EXPECT_EQ(f->intr.rises, n - 1);
            EXPECT_EQ(lr(f, 0x390), 1);
            dt_run_to(&f->clock, t);
            EXPECT_EQ(f->intr.rises, n);
            EXPECT_EQ(f->intr.rise_ns[n - 1], t);
            EXPECT_EQ(lr(f, 0x390), 100); /* reloaded */
            EXPECT_EQ(lapic_intack(&f->lapic), 0x41);
            EXPECT_EQ(f->intr.level, 0);
            lw(f, 0xB0, 0);
        }
        /* masked: no interrupts, but the count goes on */
        lw(f, 0x320, 0x30000 | 0x41);
        uint64_t t0 = 777 + 6 * period;
        dt_run_to(&f->clock, t0 + 10 * period + 10 * kDiv[k] * 30);
        EXPECT_EQ(f->intr.rises, 6);
        EXPECT_EQ(lr(f, 0x390), 70);
        /* unmasked again: the next expiry keeps the phase */
        lw(f, 0x320, 0x20000 | 0x41);
        dt_run_to(&f->clock, t0 + 11 * period - 1);
        EXPECT_EQ(f->intr.rises, 6);
        dt_run_to(&f->clock, t0 + 11 * period);
        EXPECT_EQ(f->intr.rises, 7);
        /* writing 0 stops it */
        EXPECT_EQ(lapic_intack(&f->lapic), 0x41);
        lw(f, 0xB0, 0);
        lw(f, 0x380, 0);
        dt_run_to(&f->clock, t0 + 30 * period);
        EXPECT_EQ(f->intr.rises, 7);
        EXPECT_EQ(lr(f, 0x390), 0);
        apic_fx_free(f);
    }
}

TEST(lapic, timer_divider_change_mid_count)
{
    ApicFx *f = apic_fx_new();
    enable(f);
    lw(f, 0x3E0, 0xB); /* divide by 1: 10 ns a count */
    lw(f, 0x320, 0x42);
    lw(f, 0x380, 1000);
    dt_run_to(&f->clock, 4000); /* 400 counts gone */
    EXPECT_EQ(lr(f, 0x390), 600);
    lw(f, 0x3E0, 0x0); /* divide by 2: the remaining 600 counts take 12000 ns */
    dt_run_to(&f->clock, 4000 + 12000 - 1);
    EXPECT_TRUE(!irr_bit(f, 0x42));
    dt_run_to(&f->clock, 4000 + 12000);
    EXPECT_TRUE(irr_bit(f, 0x42));
    apic_fx_free(f);
}

TEST(lapic, tpr_ppr_masking_and_spurious)
{
    ApicFx *f = apic_fx_new();
    lw(f, 0xF0, 0x1EF); /* enabled, spurious vector 0xEF */
    lw(f, 0x80, 0x60);
    self_ipi(f, 0x50);
    EXPECT_TRUE(irr_bit(f, 0x50));
    EXPECT_EQ(f->intr.level, 0); /* class 5 <= class 6 */
    EXPECT_EQ(lr(f, 0xA0), 0x60);
    EXPECT_EQ(lr(f, 0x90), 0x60); /* APR: TPR, since TPR >= IRR class */
    lw(f, 0x80, 0x5F);
    EXPECT_EQ(f->intr.level, 0); /* same class: still masked */
    lw(f, 0x80, 0x4F);
    EXPECT_EQ(f->intr.level, 1);
    EXPECT_EQ(lr(f, 0x90), 0x50); /* APR: the IRR class */
    EXPECT_EQ(lapic_intack(&f->lapic), 0x50);
    EXPECT_TRUE(isr_bit(f, 0x50));
    EXPECT_TRUE(!irr_bit(f, 0x50));
    EXPECT_EQ(lr(f, 0xA0), 0x50); /* PPR: the in-service class */
    lw(f, 0xB0, 0);
    EXPECT_EQ(lr(f, 0xA0), 0x4F); /* PPR: TPR again */
    /* INTR raised for 0x70, then TPR raised above it before the acknowledge */
    self_ipi(f, 0x70);
    EXPECT_EQ(f->intr.level, 1);
    lw(f, 0x80, 0x80);
    EXPECT_EQ(f->intr.level, 1); /* INTR stays up until INTA */
    EXPECT_EQ(lapic_intack(&f->lapic), 0xEF); /* spurious vector */
    EXPECT_EQ(f->intr.level, 0);
    EXPECT_TRUE(irr_bit(f, 0x70)); /* still pending */
    EXPECT_TRUE(!isr_bit(f, 0x70));
    lw(f, 0xB0, 0); /* no ISR bit: EOI does nothing */
    lw(f, 0x80, 0);
    EXPECT_EQ(f->intr.level, 1);
    EXPECT_EQ(lapic_intack(&f->lapic), 0x70);
    apic_fx_free(f);
}

TEST(lapic, isr_eoi_ordering)
{
    ApicFx *f = apic_fx_new();
    enable(f);
    self_ipi(f, 0x30);
    EXPECT_EQ(lapic_intack(&f->lapic), 0x30);
    self_ipi(f, 0x80);
    EXPECT_EQ(f->intr.level, 1); /* higher class nests */
    EXPECT_EQ(lapic_intack(&f->lapic), 0x80);
    self_ipi(f, 0x35);
    self_ipi(f, 0x33);
    EXPECT_EQ(f->intr.level, 0);
    EXPECT_TRUE(isr_bit(f, 0x30) && isr_bit(f, 0x80));
    lw(f, 0xB0, 0); /* clears the highest: 0x80 */
    EXPECT_TRUE(isr_bit(f, 0x30) && !isr_bit(f, 0x80));
    EXPECT_EQ(f->intr.level, 0); /* 0x35 is in 0x30's class */
    lw(f, 0xB0, 0);
    EXPECT_EQ(f->intr.level, 1);
    EXPECT_EQ(lapic_intack(&f->lapic), 0x35); /* highest vector first */
    self_ipi(f, 0x90);
    EXPECT_EQ(lapic_intack(&f->lapic), 0x90);
    lw(f, 0xB0, 0);
    lw(f, 0xB0, 0);
    EXPECT_EQ(lapic_intack(&f->lapic), 0x33);
    lw(f, 0xB0, 0);
    EXPECT_EQ(f->intr.level, 0);
    for (uint32_t off = 0x100; off < 0x180; off += 0x10) {
        EXPECT_EQ(lr(f, off), 0);
    }
    apic_fx_free(f);
}

TEST(lapic, esr_and_illegal_vectors)
{
    ApicFx *f = apic_fx_new();
    enable(f);
    lw(f, 0x370, 0xFE); /* error LVT: vector 0xFE */
    self_ipi(f, 0x05);  /* illegal vector: send error */
    EXPECT_EQ(lr(f, 0x280), 0); /* not visible before a write */
    lw(f, 0x280, 0);
    EXPECT_EQ(lr(f, 0x280), 0x20);
    EXPECT_TRUE(irr_bit(f, 0xFE)); /* the error interrupt */
    lw(f, 0x280, 0);
    EXPECT_EQ(lr(f, 0x280), 0);
    /* a timer LVT with an illegal vector: receive error */
    lw(f, 0x320, 0x03);
    lw(f, 0x3E0, 0xB);
    lw(f, 0x380, 1);
    dt_run_to(&f->clock, 10);
    lw(f, 0x280, 0);
    EXPECT_EQ(lr(f, 0x280), 0x40);
    /* a reserved register */
    lr(f, 0x040);
    lw(f, 0x280, 0);
    EXPECT_EQ(lr(f, 0x280), 0x80);
    apic_fx_free(f);
}

TEST(lapic, ipis_to_other_cpus_are_dropped)
{
    ApicFx *f = apic_fx_new();
    enable(f);
    lw(f, 0x300, 0x000C4500u); /* INIT to all excluding self (SeaBIOS) */
    lw(f, 0x300, 0x000C4610u); /* STARTUP, vector 0x10 */
    lw(f, 0x310, 0x01000000u);
    lw(f, 0x300, 0x00000060u); /* fixed, physical destination 1: nobody */
    EXPECT_EQ(lr(f, 0x300) & (1u << 12), 0); /* delivery status idle */
    EXPECT_EQ(f->intr.level, 0);
    EXPECT_EQ(f->nmi.rises, 0);
    EXPECT_TRUE(!irr_bit(f, 0x60));
    lw(f, 0x310, 0x00000000u);
    lw(f, 0x300, 0x00000061u); /* physical destination 0: us */
    EXPECT_TRUE(irr_bit(f, 0x61));
    lw(f, 0x300, 0x00080062u); /* all including self */
    EXPECT_TRUE(irr_bit(f, 0x62));
    lw(f, 0x300, 0x00040400u); /* NMI to self */
    EXPECT_EQ(f->nmi.rises, 1);
    EXPECT_EQ(f->nmi.level, 0);
    apic_fx_free(f);
}

TEST(lapic, extint_through_lint0)
{
    ApicFx *f = apic_fx_new();
    /* the 8259 pair as the PC BIOS programs it */
    static const uint8_t kInit[][2] = {{0x20, 0x11}, {0x21, 0x08}, {0x21, 0x04}, {0x21, 0x01},
                                       {0xA0, 0x11}, {0xA1, 0x70}, {0xA1, 0x02}, {0xA1, 0x01},
                                       {0x21, 0x00}, {0xA1, 0x00}};
    for (size_t k = 0; k < sizeof kInit / sizeof kInit[0]; k++) {
        dt_outb(&f->bus, kInit[k][0], kInit[k][1]);
    }
    /* software disabled (reset): the 8259 reaches INTR directly */
    pic_set_irq(&f->pic, 1, 1);
    EXPECT_EQ(f->intr.level, 1);
    EXPECT_EQ(lapic_intack(&f->lapic), 0x09);
    EXPECT_EQ(f->intr.level, 0);
    dt_outb(&f->bus, 0x20, 0x20);
    pic_set_irq(&f->pic, 1, 0);
    /* enabled, LINT0 masked: the 8259 is cut off */
    enable(f);
    pic_set_irq(&f->pic, 3, 1);
    EXPECT_EQ(f->intr.level, 0);
    /* LINT0 ExtINT (SeaBIOS's 0x8700): INTR follows the 8259, INTA goes to it */
    lw(f, 0x350, 0x8700);
    EXPECT_EQ(f->intr.level, 1);
    /* ExtINT is not subject to TPR */
    lw(f, 0x80, 0xF0);
    EXPECT_EQ(f->intr.level, 1);
    EXPECT_EQ(lapic_intack(&f->lapic), 0x0B);
    EXPECT_EQ(f->intr.level, 0);
    EXPECT_TRUE(!isr_bit(f, 0x0B)); /* ExtINT bypasses IRR/ISR */
    dt_outb(&f->bus, 0x20, 0x20);
    pic_set_irq(&f->pic, 3, 0);
    lw(f, 0x80, 0);
    /* a fixed interrupt pending with ExtINT: the APIC's own first */
    self_ipi(f, 0x44);
    pic_set_irq(&f->pic, 4, 1);
    EXPECT_EQ(lapic_intack(&f->lapic), 0x44);
    EXPECT_EQ(f->intr.level, 1);
    EXPECT_EQ(lapic_intack(&f->lapic), 0x0C);
    dt_outb(&f->bus, 0x20, 0x20);
    pic_set_irq(&f->pic, 4, 0);
    lw(f, 0xB0, 0);
    /* globally disabled: straight through again */
    lapic_set_base(&f->lapic, LAPIC_DEFAULT_BASE | LAPIC_MSR_BSP);
    pic_set_irq(&f->pic, 5, 1);
    EXPECT_EQ(f->intr.level, 1);
    EXPECT_EQ(lapic_intack(&f->lapic), 0x0D);
    apic_fx_free(f);
}

TEST(lapic, lint1_nmi_and_lint_fixed_level)
{
    ApicFx *f = apic_fx_new();
    /* disabled: LINT1 is the NMI pin */
    lapic_set_lint(&f->lapic, 1, 1);
    EXPECT_EQ(f->nmi.rises, 1);
    lapic_set_lint(&f->lapic, 1, 0);
    enable(f);
    lw(f, 0x360, 0x8400); /* NMI (SeaBIOS's value) */
    lapic_set_lint(&f->lapic, 1, 1);
    EXPECT_EQ(f->nmi.rises, 2);
    lapic_set_lint(&f->lapic, 1, 0);
    lw(f, 0x360, 0x10400); /* masked */
    lapic_set_lint(&f->lapic, 1, 1);
    EXPECT_EQ(f->nmi.rises, 2);
    /* LINT0 as a fixed level-triggered input: remote IRR until EOI */
    lw(f, 0x350, 0x8000 | 0x55);
    lapic_set_lint(&f->lapic, 0, 1);
    EXPECT_TRUE(irr_bit(f, 0x55) && tmr_bit(f, 0x55));
    EXPECT_TRUE(lr(f, 0x350) & (1u << 14));
    EXPECT_EQ(lapic_intack(&f->lapic), 0x55);
    lw(f, 0xB0, 0);
    EXPECT_TRUE(irr_bit(f, 0x55)); /* still asserted: again */
    EXPECT_EQ(lapic_intack(&f->lapic), 0x55);
    lapic_set_lint(&f->lapic, 0, 0);
    lw(f, 0xB0, 0);
    EXPECT_TRUE(!irr_bit(f, 0x55));
    EXPECT_EQ(lr(f, 0x350) & (1u << 14), 0);
    apic_fx_free(f);
}

TEST(ioapic, registers)
{
    ApicFx *f = apic_fx_new();
    EXPECT_EQ(ior(f, 0x00), 0);
    EXPECT_EQ(ior(f, 0x01), 0x00170011u);
    EXPECT_EQ(ior(f, 0x02), 0);
    for (int pin = 0; pin < 24; pin++) {
        EXPECT_EQ(ior(f, (uint8_t)(0x10 + 2 * pin)), 0x00010000u);
        EXPECT_EQ(ior(f, (uint8_t)(0x11 + 2 * pin)), 0);
    }
    iow(f, 0x00, 0x0F000000u);
    EXPECT_EQ(ior(f, 0x00), 0x0F000000u);
    EXPECT_EQ(ior(f, 0x02), 0x0F000000u);
    iow(f, 0x01, 0);
    EXPECT_EQ(ior(f, 0x01), 0x00170011u);
    iow(f, 0x12, 0xFFFFFFFFu);
    EXPECT_EQ(ior(f, 0x12), 0x0001AFFFu); /* delivery status, remote IRR read-only */
    iow(f, 0x13, 0xFFFFFFFFu);
    EXPECT_EQ(ior(f, 0x13), 0xFF000000u);
    EXPECT_EQ(bus_mmio_read(&f->bus, IOAPIC_BASE, 1), 0x13); /* IOREGSEL reads back */
    apic_fx_free(f);
}

TEST(ioapic, edge_redirection)
{
    ApicFx *f = apic_fx_new();
    enable(f);
    iow(f, 0x10 + 2 * 4, 0x34); /* pin 4: fixed, edge, physical, dest 0, unmasked */
    iow(f, 0x11 + 2 * 4, 0x00000000u);
    ioapic_set_irq(&f->ioapic, 4, 1);
    EXPECT_TRUE(irr_bit(f, 0x34));
    EXPECT_TRUE(!tmr_bit(f, 0x34));
    EXPECT_EQ(f->intr.level, 1);
    EXPECT_EQ(lapic_intack(&f->lapic), 0x34);
    ioapic_set_irq(&f->ioapic, 4, 1); /* no new edge */
    EXPECT_TRUE(!irr_bit(f, 0x34));
    ioapic_set_irq(&f->ioapic, 4, 0);
    lw(f, 0xB0, 0);
    /* an edge on a masked pin is lost */
    iow(f, 0x10 + 2 * 4, 0x10034);
    ioapic_set_irq(&f->ioapic, 4, 1);
    ioapic_set_irq(&f->ioapic, 4, 0);
    iow(f, 0x10 + 2 * 4, 0x34);
    EXPECT_TRUE(!irr_bit(f, 0x34));
    /* the PIT's IRQ 0 on pin 2, pulsed */
    iow(f, 0x10 + 2 * 2, 0x30);
    ioapic_set_irq(&f->ioapic, 2, 1);
    ioapic_set_irq(&f->ioapic, 2, 0);
    EXPECT_TRUE(irr_bit(f, 0x30));
    /* active low: the falling edge of the wire asserts */
    iow(f, 0x10 + 2 * 5, 0x2000 | 0x35);
    ioapic_set_irq(&f->ioapic, 5, 1);
    EXPECT_TRUE(!irr_bit(f, 0x35));
    ioapic_set_irq(&f->ioapic, 5, 0);
    EXPECT_TRUE(irr_bit(f, 0x35));
    /* destinations: physical 1 is nobody; logical flat needs LDR */
    iow(f, 0x10 + 2 * 6, 0x36);
    iow(f, 0x11 + 2 * 6, 0x01000000u);
    ioapic_set_irq(&f->ioapic, 6, 1);
    EXPECT_TRUE(!irr_bit(f, 0x36));
    ioapic_set_irq(&f->ioapic, 6, 0);
    iow(f, 0x10 + 2 * 6, 0x800 | 0x100 | 0x36); /* logical, lowest priority */
    ioapic_set_irq(&f->ioapic, 6, 1);
    EXPECT_TRUE(!irr_bit(f, 0x36)); /* LDR is 0 */
    ioapic_set_irq(&f->ioapic, 6, 0);
    lw(f, 0xD0, 0x01000000u);
    ioapic_set_irq(&f->ioapic, 6, 1);
    EXPECT_TRUE(irr_bit(f, 0x36));
    ioapic_set_irq(&f->ioapic, 6, 0);
    /* cluster model: cluster 0, member bit 0 */
    lw(f, 0xE0, 0x0FFFFFFFu);
    EXPECT_EQ(lr(f, 0xE0), 0x0FFFFFFFu);
    iow(f, 0x10 + 2 * 7, 0x800 | 0x37);
    iow(f, 0x11 + 2 * 7, 0x11000000u); /* cluster 1: not us */
    ioapic_set_irq(&f->ioapic, 7, 1);
    EXPECT_TRUE(!irr_bit(f, 0x37));
    ioapic_set_irq(&f->ioapic, 7, 0);
    iow(f, 0x11 + 2 * 7, 0x01000000u);
    ioapic_set_irq(&f->ioapic, 7, 1);
    EXPECT_TRUE(irr_bit(f, 0x37));
    /* NMI delivery mode */
    iow(f, 0x10 + 2 * 8, 0x400);
    ioapic_set_irq(&f->ioapic, 8, 1);
    EXPECT_EQ(f->nmi.rises, 1);
    apic_fx_free(f);
}

TEST(ioapic, level_remote_irr_and_eoi)
{
    ApicFx *f = apic_fx_new();
    enable(f);
    iow(f, 0x11 + 2 * 9, 0);
    iow(f, 0x10 + 2 * 9, 0x8000 | 0x39); /* level, fixed */
    ioapic_set_irq(&f->ioapic, 9, 1);
    EXPECT_TRUE(irr_bit(f, 0x39) && tmr_bit(f, 0x39));
    EXPECT_TRUE(ior(f, 0x10 + 2 * 9) & (1u << 14)); /* remote IRR */
    EXPECT_EQ(lapic_intack(&f->lapic), 0x39);
    ioapic_set_irq(&f->ioapic, 9, 1); /* still asserted: nothing new before EOI */
    EXPECT_TRUE(!irr_bit(f, 0x39));
    lw(f, 0xB0, 0); /* EOI broadcast: remote IRR cleared, the input is still high: again */
    EXPECT_TRUE(irr_bit(f, 0x39));
    EXPECT_TRUE(ior(f, 0x10 + 2 * 9) & (1u << 14));
    EXPECT_EQ(lapic_intack(&f->lapic), 0x39);
    ioapic_set_irq(&f->ioapic, 9, 0); /* the device is serviced */
    lw(f, 0xB0, 0);
    EXPECT_TRUE(!irr_bit(f, 0x39));
    EXPECT_EQ(ior(f, 0x10 + 2 * 9) & (1u << 14), 0);
    EXPECT_EQ(f->intr.level, 0);
    /* masked while asserted, then unmasked: delivered */
    iow(f, 0x10 + 2 * 9, 0x18000 | 0x39);
    ioapic_set_irq(&f->ioapic, 9, 1);
    EXPECT_TRUE(!irr_bit(f, 0x39));
    iow(f, 0x10 + 2 * 9, 0x8000 | 0x39);
    EXPECT_TRUE(irr_bit(f, 0x39));
    /* an edge-triggered EOI does not touch remote IRR of another vector */
    self_ipi(f, 0x90);
    EXPECT_EQ(lapic_intack(&f->lapic), 0x90);
    lw(f, 0xB0, 0);
    EXPECT_TRUE(ior(f, 0x10 + 2 * 9) & (1u << 14));
    apic_fx_free(f);
}

TEST(ioapic, extint_through_pin0)
{
    ApicFx *f = apic_fx_new();
    irq_connect(&f->pic.intr, ioapic_set_irq, &f->ioapic, 0);
    static const uint8_t kInit[][2] = {{0x20, 0x11}, {0x21, 0x08}, {0x21, 0x04}, {0x21, 0x01},
                                       {0x21, 0x00}};
    for (size_t k = 0; k < sizeof kInit / sizeof kInit[0]; k++) {
        dt_outb(&f->bus, kInit[k][0], kInit[k][1]);
    }
    enable(f); /* LINT0 masked: only the I/O APIC path */
    iow(f, 0x10, 0x700); /* pin 0: ExtINT, edge */
    pic_set_irq(&f->pic, 6, 1);
    EXPECT_EQ(f->intr.level, 1);
    EXPECT_EQ(lapic_intack(&f->lapic), 0x0E);
    EXPECT_EQ(f->intr.level, 0);
    apic_fx_free(f);
}

/* ---- the CPU side: CPUID's APIC bit, WRMSR IA32_APIC_BASE reaching the local APIC ---- */
int op_CPUID(Cpu *cpu, const Insn *i);
int op_WRMSR(Cpu *cpu, const Insn *i);

static void fx_base_changed(void *opaque, uint64_t value)
{
    lapic_set_base(opaque, value);
}

TEST(lapic, cpu_msr_hook_and_cpuid)
{
    ApicFx *f = apic_fx_new();
    static Cpu cpu;
    memset(&cpu, 0, sizeof cpu);
    cpu.model = &kCpuPentiumPro;
    cpu.clock = &f->clock;
    cpu.s.apic_base_msr_lo = 0xFEE00900u;
    cpu.apic_base_changed = fx_base_changed;
    cpu.apic_opaque = &f->lapic;
    Insn i;
    memset(&i, 0, sizeof i);
    cpu.s.regs[R_EAX] = 1;
    EXPECT_EQ(op_CPUID(&cpu, &i), 0);
    EXPECT_TRUE(cpu.s.regs[R_EDX] & (1u << 9));
    EXPECT_EQ(cpu.s.regs[R_EBX] >> 24, 0); /* initial APIC ID */
    /* relocate */
    cpu.s.regs[R_ECX] = 0x1B;
    cpu.s.regs[R_EDX] = 0;
    cpu.s.regs[R_EAX] = 0xFED00800u;
    EXPECT_EQ(op_WRMSR(&cpu, &i), 0);
    EXPECT_EQ(bus_mmio_read(&f->bus, 0xFED00030u, 4), 0x00050014u);
    EXPECT_EQ(lr(f, 0x30), 0xFFFFFFFFu);
    /* globally disable: CPUID drops the bit */
    cpu.s.regs[R_ECX] = 0x1B;
    cpu.s.regs[R_EDX] = 0;
    cpu.s.regs[R_EAX] = 0xFEE00000u;
    EXPECT_EQ(op_WRMSR(&cpu, &i), 0);
    EXPECT_EQ(lr(f, 0x30), 0xFFFFFFFFu);
    cpu.s.regs[R_EAX] = 1;
    op_CPUID(&cpu, &i);
    EXPECT_EQ(cpu.s.regs[R_EDX] & (1u << 9), 0);
    cpu.s.regs[R_ECX] = 0x1B;
    cpu.s.regs[R_EDX] = 0;
    cpu.s.regs[R_EAX] = 0xFEE00800u;
    EXPECT_EQ(op_WRMSR(&cpu, &i), 0);
    EXPECT_EQ(lr(f, 0x30), 0x00050014u);
    EXPECT_TRUE(kCpuPentium2.cpuid_edx & (1u << 9));
    apic_fx_free(f);
}
