/* 16550A UART at 0x3F8 through its ports: loopback, divisor latch, THRE and receive interrupts
 * with IIR priorities, FIFO trigger level, character timeout, overrun and the OUT2 IRQ gate. */
#include "devices/serial.h"
#include "tests/unit/devtest.h"
#include "tests/unit/test.h"

typedef struct SerFx {
    Bus bus;
    Clock clock;
    SerialState uart;
    DtIrq irq;
    uint8_t out[64];
    int nout;
} SerFx;

static void ser_tx(void *opaque, uint8_t b)
{
    SerFx *f = opaque;
    if (f->nout < 64) {
        f->out[f->nout++] = b;
    }
}

static void ser_fx_init(SerFx *f)
{
    bus_init(&f->bus, 1 << 20);
    clock_init(&f->clock, 0);
    f->nout = 0;
    serial_init(&f->uart, &f->bus, &f->clock, 0x3F8, ser_tx, f, NULL, 0);
    f->irq = (DtIrq){.clock = &f->clock};
    irq_connect(&f->uart.irq, dt_irq_handler, &f->irq, 4);
}

#define COM 0x3F8

TEST(serial, transmit_and_divisor)
{
    SerFx f;
    ser_fx_init(&f);
    dt_outb(&f.bus, COM + 3, 0x83); /* DLAB, 8N1 */
    dt_outb(&f.bus, COM + 0, 0x01);
    dt_outb(&f.bus, COM + 1, 0x00);
    EXPECT_EQ(dt_inb(&f.bus, COM + 0), 0x01);
    EXPECT_EQ(dt_inb(&f.bus, COM + 1), 0x00);
    dt_outb(&f.bus, COM + 3, 0x03);
    EXPECT_EQ(dt_inb(&f.bus, COM + 5), 0x60); /* THRE, TEMT */
    dt_outb(&f.bus, COM + 0, 'h');
    dt_outb(&f.bus, COM + 0, 'i');
    EXPECT_EQ(f.nout, 2);
    EXPECT_EQ(f.out[0], 'h');
    EXPECT_EQ(f.out[1], 'i');
    dt_outb(&f.bus, COM + 7, 0xA5);
    EXPECT_EQ(dt_inb(&f.bus, COM + 7), 0xA5);
    bus_free(&f.bus);
}

TEST(serial, loopback)
{
    SerFx f;
    ser_fx_init(&f);
    dt_outb(&f.bus, COM + 4, 0x13);                  /* loop, RTS, DTR */
    EXPECT_EQ(dt_inb(&f.bus, COM + 6) & 0xF0, 0x30); /* CTS, DSR from RTS, DTR */
    dt_outb(&f.bus, COM + 0, 'A');
    EXPECT_EQ(f.nout, 0);
    EXPECT_EQ(dt_inb(&f.bus, COM + 5) & 0x01, 0x01);
    EXPECT_EQ(dt_inb(&f.bus, COM + 0), 'A');
    EXPECT_EQ(dt_inb(&f.bus, COM + 5) & 0x01, 0x00);
    EXPECT_EQ(serial_can_receive(&f.uart), 0); /* host input is cut off in loopback */
    dt_outb(&f.bus, COM + 4, 0x1C);            /* loop, OUT1, OUT2 */
    EXPECT_EQ(dt_inb(&f.bus, COM + 6), 0xCB);  /* RI, DCD; deltas of CTS, DSR, DCD */
    EXPECT_EQ(dt_inb(&f.bus, COM + 6), 0xC0);  /* deltas cleared by the read */
    bus_free(&f.bus);
}

TEST(serial, thre_interrupt)
{
    SerFx f;
    ser_fx_init(&f);
    dt_outb(&f.bus, COM + 4, 0x08); /* OUT2: IRQ enabled on the card */
    EXPECT_EQ(dt_inb(&f.bus, COM + 2), 0x01);
    dt_outb(&f.bus, COM + 1, 0x02);
    EXPECT_EQ(f.irq.level, 1);
    EXPECT_EQ(dt_inb(&f.bus, COM + 2), 0x02);
    EXPECT_EQ(f.irq.level, 0); /* the IIR read cleared it */
    EXPECT_EQ(dt_inb(&f.bus, COM + 2), 0x01);
    dt_outb(&f.bus, COM + 0, 'x'); /* THR empties at once: THRE again */
    EXPECT_EQ(f.irq.level, 1);
    EXPECT_EQ(dt_inb(&f.bus, COM + 2), 0x02);
    /* re-enabling ETBEI with THR empty raises it again */
    dt_outb(&f.bus, COM + 1, 0x00);
    dt_outb(&f.bus, COM + 1, 0x02);
    EXPECT_EQ(dt_inb(&f.bus, COM + 2), 0x02);
    /* without OUT2 the line stays low though IIR shows the interrupt */
    dt_outb(&f.bus, COM + 4, 0x00);
    dt_outb(&f.bus, COM + 0, 'y');
    EXPECT_EQ(f.irq.level, 0);
    EXPECT_EQ(dt_inb(&f.bus, COM + 2), 0x02);
    bus_free(&f.bus);
}

TEST(serial, receive_priority)
{
    SerFx f;
    ser_fx_init(&f);
    dt_outb(&f.bus, COM + 4, 0x08);
    dt_outb(&f.bus, COM + 1, 0x07); /* RDA, THRE, line status */
    uint8_t b = 'k';
    serial_receive(&f.uart, &b, 1);
    EXPECT_EQ(dt_inb(&f.bus, COM + 2), 0x04); /* data beats THRE */
    EXPECT_EQ(dt_inb(&f.bus, COM + 0), 'k');
    EXPECT_EQ(dt_inb(&f.bus, COM + 2), 0x02);
    EXPECT_EQ(dt_inb(&f.bus, COM + 2), 0x01);
    /* overrun without FIFOs: line status beats data */
    uint8_t two[2] = {'1', '2'};
    serial_receive(&f.uart, two, 2);
    EXPECT_EQ(dt_inb(&f.bus, COM + 2), 0x06);
    EXPECT_EQ(dt_inb(&f.bus, COM + 5) & 0x03, 0x03);
    EXPECT_EQ(dt_inb(&f.bus, COM + 2), 0x04);
    EXPECT_EQ(dt_inb(&f.bus, COM + 0), '2'); /* the holding register was overwritten */
    EXPECT_EQ(f.irq.level, 0);
    bus_free(&f.bus);
}

TEST(serial, fifo_trigger_and_timeout)
{
    SerFx f;
    ser_fx_init(&f);
    dt_outb(&f.bus, COM + 3, 0x80);
    dt_outb(&f.bus, COM + 0, 0x01); /* 115200 baud */
    dt_outb(&f.bus, COM + 3, 0x03); /* 8N1: 10 bits a character */
    dt_outb(&f.bus, COM + 2, 0xC7); /* FIFO on, trigger 14 */
    dt_outb(&f.bus, COM + 4, 0x08);
    dt_outb(&f.bus, COM + 1, 0x01);
    EXPECT_EQ(dt_inb(&f.bus, COM + 2), 0xC1);
    uint8_t buf[20];
    for (int i = 0; i < 20; i++) {
        buf[i] = (uint8_t)('a' + i);
    }
    serial_receive(&f.uart, buf, 13);
    EXPECT_EQ(dt_inb(&f.bus, COM + 2), 0xC1); /* below the trigger level */
    EXPECT_EQ(f.irq.level, 0);
    serial_receive(&f.uart, buf + 13, 1);
    EXPECT_EQ(dt_inb(&f.bus, COM + 2), 0xC4);
    EXPECT_EQ(f.irq.level, 1);
    for (int i = 0; i < 12; i++) {
        EXPECT_EQ(dt_inb(&f.bus, COM + 0), 'a' + i);
    }
    EXPECT_EQ(f.irq.level, 0); /* 2 left: below the trigger */
    /* timeout: four character times (4 * 10 bits / 115200 s) after the last FIFO read */
    uint64_t t0 = clock_now(&f.clock);
    uint64_t four_chars = (4ull * 10 * 1000000000 + 115199) / 115200;
    dt_run_to(&f.clock, t0 + four_chars - 1);
    EXPECT_EQ(f.irq.level, 0);
    dt_run_to(&f.clock, t0 + four_chars);
    EXPECT_EQ(f.irq.level, 1);
    EXPECT_EQ(dt_inb(&f.bus, COM + 2), 0xCC);
    EXPECT_EQ(dt_inb(&f.bus, COM + 0), 'm');
    EXPECT_EQ(dt_inb(&f.bus, COM + 2), 0xC1);
    bus_free(&f.bus);
}

TEST(serial, fifo_overrun)
{
    SerFx f;
    ser_fx_init(&f);
    dt_outb(&f.bus, COM + 2, 0x07);
    EXPECT_EQ(serial_can_receive(&f.uart), 16);
    uint8_t buf[17];
    for (int i = 0; i < 17; i++) {
        buf[i] = (uint8_t)i;
    }
    serial_receive(&f.uart, buf, 17);
    EXPECT_EQ(serial_can_receive(&f.uart), 0);
    EXPECT_EQ(dt_inb(&f.bus, COM + 5), 0x63); /* DR, OE, THRE, TEMT */
    EXPECT_EQ(dt_inb(&f.bus, COM + 5), 0x61); /* OE cleared by the read */
    for (int i = 0; i < 16; i++) {
        EXPECT_EQ(dt_inb(&f.bus, COM + 0), i); /* the FIFO kept the first 16 */
    }
    EXPECT_EQ(dt_inb(&f.bus, COM + 5), 0x60);
    dt_outb(&f.bus, COM + 2, 0x00);
    EXPECT_EQ(dt_inb(&f.bus, COM + 2), 0x01); /* FIFOs off: IIR bits 7:6 clear */
    bus_free(&f.bus);
}
