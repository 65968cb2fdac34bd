/* 8259A pair through its ports: initialisation, priority, EOI, masking, cascade, spurious IRQ,
 * rotation, auto-EOI, poll, special mask mode, edge and level triggering. */
#include "chipset/pic.h"
#include "tests/unit/devtest.h"
#include "tests/unit/test.h"

typedef struct PicFx {
    Bus bus;
    PicState pic;
    DtIrq intr;
} PicFx;

/* The PC BIOS programming: vectors 0x08 and 0x70, cascade on IR2, 8086 mode. */
static void pic_fx_init(PicFx *f, uint8_t icw4)
{
    bus_init(&f->bus, 1 << 20);
    pic_init(&f->pic, &f->bus, NULL);
    f->intr = (DtIrq){0};
    irq_connect(&f->pic.intr, dt_irq_handler, &f->intr, 0);
    dt_outb(&f->bus, 0x20, 0x11);
    dt_outb(&f->bus, 0x21, 0x08);
    dt_outb(&f->bus, 0x21, 0x04);
    dt_outb(&f->bus, 0x21, icw4);
    dt_outb(&f->bus, 0xA0, 0x11);
    dt_outb(&f->bus, 0xA1, 0x70);
    dt_outb(&f->bus, 0xA1, 0x02);
    dt_outb(&f->bus, 0xA1, icw4);
    dt_outb(&f->bus, 0x21, 0x00);
    dt_outb(&f->bus, 0xA1, 0x00);
}

static uint8_t read_isr(PicFx *f, uint32_t port)
{
    dt_outb(&f->bus, port, 0x0B);
    uint8_t v = dt_inb(&f->bus, port);
    dt_outb(&f->bus, port, 0x0A);
    return v;
}

TEST(pic, priority_and_eoi)
{
    PicFx f;
    pic_fx_init(&f, 0x01);
    EXPECT_TRUE(!pic_has_intr(&f.pic));
    pic_set_irq(&f.pic, 1, 1);
    EXPECT_TRUE(pic_has_intr(&f.pic));
    EXPECT_EQ(f.intr.level, 1);
    EXPECT_EQ(dt_inb(&f.bus, 0x20), 0x02); /* IRR */
    EXPECT_EQ(pic_intack(&f.pic), 0x09);
    EXPECT_EQ(read_isr(&f, 0x20), 0x02);
    EXPECT_EQ(f.intr.level, 0);
    /* IRQ 3 has lower priority than IRQ 1 in service: held */
    pic_set_irq(&f.pic, 3, 1);
    EXPECT_TRUE(!pic_has_intr(&f.pic));
    /* IRQ 0 nests over it */
    pic_set_irq(&f.pic, 0, 1);
    EXPECT_TRUE(pic_has_intr(&f.pic));
    EXPECT_EQ(pic_intack(&f.pic), 0x08);
    EXPECT_EQ(read_isr(&f, 0x20), 0x03);
    dt_outb(&f.bus, 0x20, 0x20); /* non-specific EOI: the highest, IRQ 0 */
    EXPECT_EQ(read_isr(&f, 0x20), 0x02);
    EXPECT_TRUE(!pic_has_intr(&f.pic));
    dt_outb(&f.bus, 0x20, 0x61); /* specific EOI for IRQ 1 */
    EXPECT_EQ(read_isr(&f, 0x20), 0x00);
    EXPECT_TRUE(pic_has_intr(&f.pic));
    EXPECT_EQ(pic_intack(&f.pic), 0x0B);
    bus_free(&f.bus);
}

TEST(pic, masking)
{
    PicFx f;
    pic_fx_init(&f, 0x01);
    dt_outb(&f.bus, 0x21, 0x10);
    EXPECT_EQ(dt_inb(&f.bus, 0x21), 0x10);
    pic_set_irq(&f.pic, 4, 1);
    EXPECT_TRUE(!pic_has_intr(&f.pic));
    dt_outb(&f.bus, 0x21, 0x00);
    EXPECT_TRUE(pic_has_intr(&f.pic));
    EXPECT_EQ(pic_intack(&f.pic), 0x0C);
    bus_free(&f.bus);
}

TEST(pic, cascade)
{
    PicFx f;
    pic_fx_init(&f, 0x01);
    pic_set_irq(&f.pic, 12, 1);
    EXPECT_TRUE(pic_has_intr(&f.pic));
    EXPECT_EQ(pic_intack(&f.pic), 0x74);
    EXPECT_EQ(read_isr(&f, 0x20), 0x04);
    EXPECT_EQ(read_isr(&f, 0xA0), 0x10);
    /* masking the cascade input hides the slave */
    dt_outb(&f.bus, 0xA0, 0x20);
    dt_outb(&f.bus, 0x20, 0x20);
    pic_set_irq(&f.pic, 12, 0);
    pic_set_irq(&f.pic, 12, 1);
    dt_outb(&f.bus, 0x21, 0x04);
    EXPECT_TRUE(!pic_has_intr(&f.pic));
    dt_outb(&f.bus, 0x21, 0x00);
    EXPECT_TRUE(pic_has_intr(&f.pic));
    EXPECT_EQ(pic_intack(&f.pic), 0x74);
    bus_free(&f.bus);
}

TEST(pic, spurious_irq7)
{
    PicFx f;
    pic_fx_init(&f, 0x01);
    /* a level-triggered request that goes away before the acknowledge */
    dt_outb(&f.bus, 0x4D0, 0x20);
    EXPECT_EQ(dt_inb(&f.bus, 0x4D0), 0x20);
    pic_set_irq(&f.pic, 5, 1);
    EXPECT_TRUE(pic_has_intr(&f.pic));
    pic_set_irq(&f.pic, 5, 0);
    EXPECT_TRUE(!pic_has_intr(&f.pic));
    EXPECT_EQ(pic_intack(&f.pic), 0x0F);
    EXPECT_EQ(read_isr(&f, 0x20), 0x00); /* a spurious IRQ 7 sets no ISR bit */
    bus_free(&f.bus);
}

TEST(pic, elcr_fixed_bits)
{
    PicFx f;
    pic_fx_init(&f, 0x01);
    dt_outb(&f.bus, 0x4D0, 0xFF);
    dt_outb(&f.bus, 0x4D1, 0xFF);
    EXPECT_EQ(dt_inb(&f.bus, 0x4D0), 0xF8); /* IRQ 0-2 are always edge */
    EXPECT_EQ(dt_inb(&f.bus, 0x4D1), 0xDE); /* IRQ 8 and 13 too */
    bus_free(&f.bus);
}

TEST(pic, edge_versus_level)
{
    PicFx f;
    pic_fx_init(&f, 0x01);
    pic_set_irq(&f.pic, 3, 1);
    EXPECT_EQ(pic_intack(&f.pic), 0x0B);
    dt_outb(&f.bus, 0x20, 0x20);
    EXPECT_TRUE(!pic_has_intr(&f.pic)); /* still high, but no new edge */
    pic_set_irq(&f.pic, 3, 0);
    pic_set_irq(&f.pic, 3, 1);
    EXPECT_TRUE(pic_has_intr(&f.pic));
    EXPECT_EQ(pic_intack(&f.pic), 0x0B);
    dt_outb(&f.bus, 0x20, 0x20);
    /* level triggered (ELCR): requests again after EOI while the line stays high */
    dt_outb(&f.bus, 0x4D1, 0x08); /* IRQ 11 */
    pic_set_irq(&f.pic, 11, 1);
    EXPECT_EQ(pic_intack(&f.pic), 0x73);
    dt_outb(&f.bus, 0xA0, 0x20);
    dt_outb(&f.bus, 0x20, 0x20);
    EXPECT_TRUE(pic_has_intr(&f.pic));
    EXPECT_EQ(pic_intack(&f.pic), 0x73);
    bus_free(&f.bus);
}

TEST(pic, rotation)
{
    PicFx f;
    pic_fx_init(&f, 0x01);
    dt_outb(&f.bus, 0x21, 0xFF);
    pic_set_irq(&f.pic, 1, 1);
    pic_set_irq(&f.pic, 5, 1);
    dt_outb(&f.bus, 0x20, 0xC3); /* set priority: IRQ 3 lowest, so IRQ 4 highest */
    dt_outb(&f.bus, 0x21, 0x00);
    EXPECT_EQ(pic_intack(&f.pic), 0x0D);
    dt_outb(&f.bus, 0x20, 0xA0); /* rotate on non-specific EOI: IRQ 5 becomes lowest */
    EXPECT_EQ(pic_intack(&f.pic), 0x09);
    dt_outb(&f.bus, 0x20, 0x20);
    pic_set_irq(&f.pic, 5, 0);
    pic_set_irq(&f.pic, 5, 1);
    pic_set_irq(&f.pic, 6, 1);
    EXPECT_EQ(pic_intack(&f.pic), 0x0E); /* IRQ 6 now outranks IRQ 5 */
    bus_free(&f.bus);
}

TEST(pic, auto_eoi)
{
    PicFx f;
    pic_fx_init(&f, 0x03);
    pic_set_irq(&f.pic, 4, 1);
    EXPECT_EQ(pic_intack(&f.pic), 0x0C);
    EXPECT_EQ(read_isr(&f, 0x20), 0x00);
    pic_set_irq(&f.pic, 6, 1);
    EXPECT_TRUE(pic_has_intr(&f.pic)); /* nothing in service blocks it */
    bus_free(&f.bus);
}

TEST(pic, poll_mode)
{
    PicFx f;
    pic_fx_init(&f, 0x01);
    dt_outb(&f.bus, 0x20, 0x0C);
    EXPECT_EQ(dt_inb(&f.bus, 0x20), 0x00); /* nothing requesting */
    pic_set_irq(&f.pic, 6, 1);
    dt_outb(&f.bus, 0x20, 0x0C);
    EXPECT_EQ(dt_inb(&f.bus, 0x20), 0x86);
    EXPECT_EQ(read_isr(&f, 0x20), 0x40);
    bus_free(&f.bus);
}

TEST(pic, special_mask_mode)
{
    PicFx f;
    pic_fx_init(&f, 0x01);
    pic_set_irq(&f.pic, 3, 1);
    EXPECT_EQ(pic_intack(&f.pic), 0x0B);
    pic_set_irq(&f.pic, 5, 1);
    EXPECT_TRUE(!pic_has_intr(&f.pic));
    dt_outb(&f.bus, 0x21, 0x08); /* mask the IRQ in service */
    dt_outb(&f.bus, 0x20, 0x68); /* set special mask mode */
    EXPECT_TRUE(pic_has_intr(&f.pic));
    EXPECT_EQ(pic_intack(&f.pic), 0x0D);
    dt_outb(&f.bus, 0x20, 0x48); /* reset special mask mode */
    EXPECT_EQ(read_isr(&f, 0x20), 0x28);
    bus_free(&f.bus);
}

TEST(pic, icw1_resets_state)
{
    PicFx f;
    pic_fx_init(&f, 0x01);
    dt_outb(&f.bus, 0x21, 0x5A);
    pic_set_irq(&f.pic, 4, 1);
    dt_outb(&f.bus, 0x20, 0x11);
    EXPECT_EQ(dt_inb(&f.bus, 0x21), 0x00);
    dt_outb(&f.bus, 0x21, 0x20);
    dt_outb(&f.bus, 0x21, 0x04);
    dt_outb(&f.bus, 0x21, 0x01);
    EXPECT_TRUE(!pic_has_intr(&f.pic)); /* the old request needs a new edge */
    pic_set_irq(&f.pic, 4, 0);
    pic_set_irq(&f.pic, 4, 1);
    EXPECT_EQ(pic_intack(&f.pic), 0x24);
    bus_free(&f.bus);
}
