/* 8042 keyboard controller with its PS/2 keyboard and mouse, through ports 0x60/0x64: self test,
 * command byte, A20 and reset through the output port, keyboard reset and identify, scan code
 * translation, IRQ1/IRQ12, IntelliMouse detection and movement packets. */
#include "devices/i8042.h"
#include "tests/unit/devtest.h"
#include "tests/unit/test.h"

typedef struct KbcFx {
    Bus bus;
    I8042State kbc;
    DtIrq irq1, irq12;
    int resets;
} KbcFx;

static void kbc_reset_cb(void *opaque)
{
    ((KbcFx *)opaque)->resets++;
}

static void kbc_fx_init(KbcFx *f)
{
    bus_init(&f->bus, 1 << 20);
    f->resets = 0;
    i8042_init(&f->kbc, &f->bus, kbc_reset_cb, f, NULL);
    f->irq1 = (DtIrq){0};
    f->irq12 = (DtIrq){0};
    irq_connect(&f->kbc.irq1, dt_irq_handler, &f->irq1, 1);
    irq_connect(&f->kbc.irq12, dt_irq_handler, &f->irq12, 12);
}

/* Read one byte, checking the output buffer was full; -1 if it was empty. */
static int kbc_read(KbcFx *f)
{
    if (!(dt_inb(&f->bus, 0x64) & 1)) {
        return -1;
    }
    return dt_inb(&f->bus, 0x60);
}

static void mouse_cmd(KbcFx *f, uint8_t b)
{
    dt_outb(&f->bus, 0x64, 0xD4);
    dt_outb(&f->bus, 0x60, b);
}

TEST(i8042, self_test_and_command_byte)
{
    KbcFx f;
    kbc_fx_init(&f);
    EXPECT_EQ(dt_inb(&f.bus, 0x64) & 1, 0);
    dt_outb(&f.bus, 0x64, 0xAA);
    EXPECT_EQ(dt_inb(&f.bus, 0x64) & 0x0D, 0x0D); /* OBF, system flag, command */
    EXPECT_EQ(kbc_read(&f), 0x55);
    EXPECT_EQ(kbc_read(&f), -1);
    dt_outb(&f.bus, 0x64, 0xAB);
    EXPECT_EQ(kbc_read(&f), 0x00);
    dt_outb(&f.bus, 0x64, 0x60);
    dt_outb(&f.bus, 0x60, 0x65);
    dt_outb(&f.bus, 0x64, 0x20);
    EXPECT_EQ(kbc_read(&f), 0x65);
    EXPECT_EQ(f.irq1.rises, 3); /* each reply raised IRQ1 (command byte bit 0) */
    dt_outb(&f.bus, 0x64, 0xA7);
    dt_outb(&f.bus, 0x64, 0x20);
    EXPECT_EQ(kbc_read(&f), 0x65 | 0x20);
    bus_free(&f.bus);
}

TEST(i8042, a20_and_reset_through_output_port)
{
    KbcFx f;
    kbc_fx_init(&f);
    EXPECT_TRUE(bus_a20(&f.bus));
    dt_outb(&f.bus, 0x64, 0xD1);
    dt_outb(&f.bus, 0x60, 0xDD); /* A20 off, reset line high */
    EXPECT_TRUE(!bus_a20(&f.bus));
    dt_outb(&f.bus, 0x64, 0xD0);
    EXPECT_EQ(kbc_read(&f) & 0x03, 0x01);
    dt_outb(&f.bus, 0x64, 0xD1);
    dt_outb(&f.bus, 0x60, 0xDF);
    EXPECT_TRUE(bus_a20(&f.bus));
    EXPECT_EQ(f.resets, 0);
    dt_outb(&f.bus, 0x64, 0xFE); /* pulse reset */
    EXPECT_EQ(f.resets, 1);
    dt_outb(&f.bus, 0x64, 0xFF); /* pulse nothing */
    EXPECT_EQ(f.resets, 1);
    dt_outb(&f.bus, 0x64, 0xD1);
    dt_outb(&f.bus, 0x60, 0xDE); /* reset bit low */
    EXPECT_EQ(f.resets, 2);
    bus_free(&f.bus);
}

TEST(i8042, keyboard_reset_and_identify)
{
    KbcFx f;
    kbc_fx_init(&f);
    dt_outb(&f.bus, 0x60, 0xFF);
    EXPECT_EQ(kbc_read(&f), 0xFA);
    EXPECT_EQ(kbc_read(&f), 0xAA);
    EXPECT_EQ(kbc_read(&f), -1);
    dt_outb(&f.bus, 0x60, 0xF2);
    EXPECT_EQ(kbc_read(&f), 0xFA);
    EXPECT_EQ(kbc_read(&f), 0xAB);
    EXPECT_EQ(kbc_read(&f), 0x83);
    dt_outb(&f.bus, 0x60, 0xEE);
    EXPECT_EQ(kbc_read(&f), 0xEE);
    dt_outb(&f.bus, 0x60, 0xED);
    EXPECT_EQ(kbc_read(&f), 0xFA);
    dt_outb(&f.bus, 0x60, 0x07);
    EXPECT_EQ(kbc_read(&f), 0xFA);
    EXPECT_EQ(f.kbc.kbd.leds, 7);
    dt_outb(&f.bus, 0x60, 0xF0);
    dt_outb(&f.bus, 0x60, 0x00);
    EXPECT_EQ(kbc_read(&f), 0xFA);
    EXPECT_EQ(kbc_read(&f), 0xFA);
    EXPECT_EQ(kbc_read(&f), 0x02); /* scan code set 2 */
    dt_outb(&f.bus, 0x60, 0x12);   /* not a command */
    EXPECT_EQ(kbc_read(&f), 0xFE);
    bus_free(&f.bus);
}

TEST(i8042, translation)
{
    KbcFx f;
    kbc_fx_init(&f);
    dt_outb(&f.bus, 0x64, 0x60);
    dt_outb(&f.bus, 0x60, 0x61); /* translate, system, keyboard interrupt */
    static const uint8_t kDown[] = {0x1C}, kUp[] = {0xF0, 0x1C}, kExt[] = {0xE0, 0xF0, 0x75};
    i8042_key_event(&f.kbc, kDown, 1);
    EXPECT_EQ(f.irq1.level, 1);
    EXPECT_EQ(kbc_read(&f), 0x1E); /* A make in set 1 */
    EXPECT_EQ(f.irq1.level, 0);
    i8042_key_event(&f.kbc, kUp, 2);
    EXPECT_EQ(kbc_read(&f), 0x9E);
    i8042_key_event(&f.kbc, kExt, 3);
    EXPECT_EQ(kbc_read(&f), 0xE0);
    EXPECT_EQ(kbc_read(&f), 0xC8); /* cursor up break */
    dt_outb(&f.bus, 0x60, 0xF2);
    EXPECT_EQ(kbc_read(&f), 0xFA);
    EXPECT_EQ(kbc_read(&f), 0xAB);
    EXPECT_EQ(kbc_read(&f), 0x41); /* the translated keyboard ID */
    EXPECT_EQ(f.irq1.rises, 7);    /* one per byte; the F0 prefix is swallowed */
    /* a disabled keyboard port holds its data back */
    dt_outb(&f.bus, 0x64, 0xAD);
    i8042_key_event(&f.kbc, kDown, 1);
    EXPECT_EQ(kbc_read(&f), -1);
    dt_outb(&f.bus, 0x64, 0xAE);
    EXPECT_EQ(kbc_read(&f), 0x1E);
    bus_free(&f.bus);
}

TEST(i8042, intellimouse_id_and_packets)
{
    KbcFx f;
    kbc_fx_init(&f);
    mouse_cmd(&f, 0xFF);
    EXPECT_EQ(dt_inb(&f.bus, 0x64) & 0x21, 0x21); /* mouse data in the buffer */
    EXPECT_EQ(kbc_read(&f), 0xFA);
    EXPECT_EQ(kbc_read(&f), 0xAA);
    EXPECT_EQ(kbc_read(&f), 0x00);
    EXPECT_EQ(f.irq12.rises, 3);
    EXPECT_EQ(f.irq1.rises, 0);
    static const uint8_t kRates[3] = {200, 100, 80};
    for (int i = 0; i < 3; i++) {
        mouse_cmd(&f, 0xF3);
        EXPECT_EQ(kbc_read(&f), 0xFA);
        mouse_cmd(&f, kRates[i]);
        EXPECT_EQ(kbc_read(&f), 0xFA);
    }
    mouse_cmd(&f, 0xF2);
    EXPECT_EQ(kbc_read(&f), 0xFA);
    EXPECT_EQ(kbc_read(&f), 0x03);
    mouse_cmd(&f, 0xE8);
    EXPECT_EQ(kbc_read(&f), 0xFA);
    mouse_cmd(&f, 0x03);
    EXPECT_EQ(kbc_read(&f), 0xFA);
    mouse_cmd(&f, 0xE9);
    EXPECT_EQ(kbc_read(&f), 0xFA);
    EXPECT_EQ(kbc_read(&f), 0x00); /* stream, disabled, 1:1, no buttons */
    EXPECT_EQ(kbc_read(&f), 0x03);
    EXPECT_EQ(kbc_read(&f), 80);
    /* no reports while disabled */
    i8042_mouse_event(&f.kbc, 10, 5, 0, 0);
    EXPECT_EQ(kbc_read(&f), -1);
    mouse_cmd(&f, 0xF4);
    EXPECT_EQ(kbc_read(&f), 0xFA);
    EXPECT_EQ(kbc_read(&f), -1);
    i8042_mouse_event(&f.kbc, 10, 5, 0, 0);
    EXPECT_EQ(kbc_read(&f), 0x28); /* dx 10, dy 5 down = -5 */
    EXPECT_EQ(kbc_read(&f), 10);
    EXPECT_EQ(kbc_read(&f), 0xFB);
    EXPECT_EQ(kbc_read(&f), 0x00);
    i8042_mouse_event(&f.kbc, -3, -300, 1, 1);
    EXPECT_EQ(kbc_read(&f), 0x19); /* left button, x negative */
    EXPECT_EQ(kbc_read(&f), 0xFD);
    EXPECT_EQ(kbc_read(&f), 0xFF); /* 255 up: the most one packet carries */
    EXPECT_EQ(kbc_read(&f), 0x01);
    EXPECT_EQ(kbc_read(&f), 0x09);
    EXPECT_EQ(kbc_read(&f), 0x00);
    EXPECT_EQ(kbc_read(&f), 45); /* the remaining 45 */
    EXPECT_EQ(kbc_read(&f), 0x00);
    EXPECT_EQ(kbc_read(&f), -1);
    bus_free(&f.bus);
}
