/* The small ports: 8237 DMA registers and the POST code, the debug console, port 0x92. */
#include "chipset/port92.h"
#include "devices/debugcon.h"
#include "devices/dma8237.h"
#include "tests/unit/devtest.h"
#include "tests/unit/test.h"

TEST(dma8237, registers_and_post_code)
{
    Bus bus;
    Dma8237State dma;
    bus_init(&bus, 1 << 20);
    dma8237_init(&dma, &bus, NULL);
    dt_outb(&bus, 0x0C, 0);    /* clear flip-flop */
    dt_outb(&bus, 0x04, 0x34); /* channel 2 address */
    dt_outb(&bus, 0x04, 0x12);
    dt_outb(&bus, 0x0C, 0);
    EXPECT_EQ(dt_inb(&bus, 0x04), 0x34);
    EXPECT_EQ(dt_inb(&bus, 0x04), 0x12);
    dt_outb(&bus, 0xD8, 0);    /* second controller: clear flip-flop */
    dt_outb(&bus, 0xC4, 0xCD); /* channel 5 address */
    dt_outb(&bus, 0xC4, 0xAB);
    EXPECT_EQ(dma.chip[1].base_addr[1], 0xABCD);
    EXPECT_EQ(dt_inb(&bus, 0x0F) & 0x0F, 0x0F); /* all masked after reset */
    dt_outb(&bus, 0x0A, 0x02);                  /* unmask channel 2 */
    EXPECT_EQ(dt_inb(&bus, 0x0F) & 0x0F, 0x0B);
    dt_outb(&bus, 0x81, 0x07);
    EXPECT_EQ(dt_inb(&bus, 0x81), 0x07);
    dt_outb(&bus, 0x80, 0x42);
    EXPECT_EQ(dma.post_code, 0x42);
    EXPECT_EQ(dt_inb(&bus, 0x80), 0x42);
    bus_free(&bus);
}

typedef struct DcSink {
    char buf[16];
    int n;
} DcSink;

static void dc_out(void *opaque, uint8_t b)
{
    DcSink *s = opaque;
    if (s->n < 15) {
        s->buf[s->n++] = (char)b;
    }
}

TEST(debugcon, output_and_readback)
{
    Bus bus;
    DebugconState dc;
    DcSink sink = {{0}, 0};
    bus_init(&bus, 1 << 20);
    debugcon_init(&dc, &bus, 0x402, dc_out, &sink);
    EXPECT_EQ(dt_inb(&bus, 0x402), 0xE9);
    dt_outb(&bus, 0x402, 'o');
    dt_outb(&bus, 0x402, 'k');
    EXPECT_EQ(sink.n, 2);
    EXPECT_EQ(sink.buf[0], 'o');
    EXPECT_EQ(sink.buf[1], 'k');
    EXPECT_EQ(dt_inb(&bus, 0xE9), 0xFF); /* only the port asked for */
    bus_free(&bus);
}

static void p92_reset(void *opaque)
{
    ++*(int *)opaque;
}

TEST(port92, a20_and_fast_reset)
{
    Bus bus;
    Port92State p;
    int resets = 0;
    bus_init(&bus, 1 << 20);
    port92_init(&p, &bus, p92_reset, &resets, NULL);
    dt_outb(&bus, 0x92, 0x00);
    EXPECT_TRUE(!bus_a20(&bus));
    EXPECT_EQ(dt_inb(&bus, 0x92), 0x00);
    dt_outb(&bus, 0x92, 0x02);
    EXPECT_TRUE(bus_a20(&bus));
    EXPECT_EQ(dt_inb(&bus, 0x92), 0x02);
    EXPECT_EQ(resets, 0);
    dt_outb(&bus, 0x92, 0x03);
    EXPECT_EQ(resets, 1);
    EXPECT_EQ(dt_inb(&bus, 0x92), 0x02); /* the reset bit does not stick */
    bus_free(&bus);
}
