/* 8254 PIT through its ports on a 1 ns-per-tick virtual clock: counts and IRQ0 edges at exact
 * virtual times in modes 0, 2 and 3, latch and read-back, BCD, and channel 2 on port 0x61. */
#include "chipset/pit.h"
#include "tests/unit/devtest.h"
#include "tests/unit/test.h"

typedef struct PitFx {
    Bus bus;
    Clock clock;
    PitState pit;
    DtIrq irq;
} PitFx;

static void pit_fx_init(PitFx *f)
{
    bus_init(&f->bus, 1 << 20);
    clock_init(&f->clock, 0);
    pit_init(&f->pit, &f->bus, &f->clock, NULL);
    f->irq = (DtIrq){.level = 1, .clock = &f->clock}; /* reset leaves OUT0 high */
    irq_connect(&f->pit.irq0, dt_irq_handler, &f->irq, 0);
}

/* Virtual ns of PIT clock edge k, computed independently of the model. */
static uint64_t edge_ns(uint64_t k)
{
    return (k * 1000000000ull + 1193181) / 1193182;
}

static uint16_t latch_read(PitFx *f, int ch)
{
    dt_outb(&f->bus, 0x43, (uint8_t)(ch << 6));
    uint8_t lo = dt_inb(&f->bus, 0x40 + ch);
    return (uint16_t)(lo | dt_inb(&f->bus, 0x40 + ch) << 8);
}

TEST(pit, mode2_irq0_edges_at_exact_times)
{
    PitFx f;
    pit_fx_init(&f);
    dt_outb(&f.bus, 0x43, 0x34); /* ch0, lobyte/hibyte, mode 2 */
    dt_outb(&f.bus, 0x40, 1193 & 0xFF);
    dt_outb(&f.bus, 0x40, 1193 >> 8);
    dt_run_to(&f.clock, 10000000); /* 10 ms */
    /* loaded at edge 1; OUT low for one clock at 1 + k*1193 - 1, high again at 1 + k*1193 */
    EXPECT_EQ(f.irq.rises, 10);
    EXPECT_EQ(f.irq.falls, 10);
    EXPECT_EQ(f.irq.rise_ns[0], edge_ns(1 + 1193));
    EXPECT_EQ(f.irq.rise_ns[9], edge_ns(1 + 10 * 1193));
    EXPECT_EQ(f.irq.level, 1);
    bus_free(&f.bus);
}

TEST(pit, mode2_counts_down)
{
    PitFx f;
    pit_fx_init(&f);
    dt_outb(&f.bus, 0x43, 0x34);
    dt_outb(&f.bus, 0x40, 0xE8); /* 1000 */
    dt_outb(&f.bus, 0x40, 0x03);
    dt_run_to(&f.clock, edge_ns(1 + 300));
    EXPECT_EQ(latch_read(&f, 0), 700);
    dt_run_to(&f.clock, edge_ns(1 + 1000 + 5));
    EXPECT_EQ(latch_read(&f, 0), 995); /* reloaded and counting again */
    bus_free(&f.bus);
}

TEST(pit, mode0_interrupt_on_terminal_count)
{
    PitFx f;
    pit_fx_init(&f);
    dt_outb(&f.bus, 0x43, 0x30); /* ch0, lobyte/hibyte, mode 0 */
    EXPECT_EQ(f.irq.level, 0);   /* OUT goes low on the mode write */
    dt_outb(&f.bus, 0x40, 100);
    dt_outb(&f.bus, 0x40, 0);
    dt_run_to(&f.clock, edge_ns(101) - 1);
    EXPECT_EQ(f.irq.level, 0);
    dt_run_to(&f.clock, edge_ns(101));
    EXPECT_EQ(f.irq.level, 1);
    EXPECT_EQ(f.irq.rises, 1);
    EXPECT_EQ(f.irq.rise_ns[0], edge_ns(101));
    /* the counter wraps and keeps counting; OUT stays high */
    dt_run_to(&f.clock, edge_ns(101 + 5));
    EXPECT_EQ(latch_read(&f, 0), 0xFFFB);
    dt_run_to(&f.clock, 100000000);
    EXPECT_EQ(f.irq.rises, 1);
    bus_free(&f.bus);
}

TEST(pit, mode3_square_wave)
{
    PitFx f;
    pit_fx_init(&f);
    dt_outb(&f.bus, 0x43, 0x36); /* ch0, lobyte/hibyte, mode 3 */
    dt_outb(&f.bus, 0x40, 0x00); /* 65536: the 18.2 Hz BIOS tick */
    dt_outb(&f.bus, 0x40, 0x00);
    dt_run_to(&f.clock, 1000000000);
    EXPECT_EQ(f.irq.rises, 18); /* edges at 1 + k*65536 for k = 1..18 within one second */
    EXPECT_EQ(f.irq.rise_ns[0], edge_ns(1 + 65536));
    EXPECT_EQ(f.irq.falls, 18); /* at 1 + 32768 + k*65536, k = 0..17 */
    /* half way through a period OUT is low; the counter runs down by two */
    dt_outb(&f.bus, 0x43, 0x36);
    dt_outb(&f.bus, 0x40, 10);
    dt_outb(&f.bus, 0x40, 0);
    uint64_t t0 = (uint64_t)((unsigned __int128)clock_now(&f.clock) * 1193182 / 1000000000);
    dt_run_to(&f.clock, edge_ns(t0 + 1 + 2));
    EXPECT_EQ(latch_read(&f, 0), 6);
    EXPECT_EQ(f.irq.level, 1);
    dt_run_to(&f.clock, edge_ns(t0 + 1 + 5));
    EXPECT_EQ(f.irq.level, 0);
    dt_run_to(&f.clock, edge_ns(t0 + 1 + 10));
    EXPECT_EQ(f.irq.level, 1);
    bus_free(&f.bus);
}

TEST(pit, latch_holds_value)
{
    PitFx f;
    pit_fx_init(&f);
    dt_outb(&f.bus, 0x43, 0x34);
    dt_outb(&f.bus, 0x40, 0x00);
    dt_outb(&f.bus, 0x40, 0x10); /* 4096 */
    dt_run_to(&f.clock, edge_ns(1 + 96));
    dt_outb(&f.bus, 0x43, 0x00); /* latch */
    dt_run_to(&f.clock, edge_ns(1 + 1000));
    dt_outb(&f.bus, 0x43, 0x00);           /* a second latch is ignored until read */
    EXPECT_EQ(dt_inb(&f.bus, 0x40), 0xA0); /* 4096 - 96 = 4000 = 0x0FA0, as latched */
    EXPECT_EQ(dt_inb(&f.bus, 0x40), 0x0F);
    EXPECT_EQ(latch_read(&f, 0), 4096 - 1000);
    bus_free(&f.bus);
}

TEST(pit, readback_status_and_count)
{
    PitFx f;
    pit_fx_init(&f);
    dt_outb(&f.bus, 0x43, 0x34);
    dt_outb(&f.bus, 0x43, 0xE2);           /* read-back status only, channel 0 */
    EXPECT_EQ(dt_inb(&f.bus, 0x40), 0xF4); /* OUT high, null count, lo/hi, mode 2, binary */
    dt_outb(&f.bus, 0x40, 50);
    dt_outb(&f.bus, 0x40, 0);
    dt_run_to(&f.clock, edge_ns(1 + 20));
    dt_outb(&f.bus, 0x43, 0xC2);           /* count and status */
    EXPECT_EQ(dt_inb(&f.bus, 0x40), 0xB4); /* status first: count now loaded */
    EXPECT_EQ(dt_inb(&f.bus, 0x40), 30);
    EXPECT_EQ(dt_inb(&f.bus, 0x40), 0);
    bus_free(&f.bus);
}

TEST(pit, bcd_counting)
{
    PitFx f;
    pit_fx_init(&f);
    dt_outb(&f.bus, 0x43, 0x35); /* mode 2, BCD */
    dt_outb(&f.bus, 0x40, 0x00);
    dt_outb(&f.bus, 0x40, 0x10); /* 1000 decimal */
    dt_run_to(&f.clock, edge_ns(1 + 250));
    EXPECT_EQ(latch_read(&f, 0), 0x0750);
    bus_free(&f.bus);
}

TEST(pit, lsb_only_access)
{
    PitFx f;
    pit_fx_init(&f);
    dt_outb(&f.bus, 0x43, 0x14); /* lobyte only, mode 2 */
    dt_outb(&f.bus, 0x40, 200);
    dt_run_to(&f.clock, edge_ns(1 + 50));
    EXPECT_EQ(dt_inb(&f.bus, 0x40), 150);
    EXPECT_EQ(dt_inb(&f.bus, 0x40), 150); /* LSB every time */
    bus_free(&f.bus);
}

TEST(pit, channel2_out_on_port61)
{
    PitFx f;
    pit_fx_init(&f);
    /* SeaBIOS's TSC calibration */
    dt_outb(&f.bus, 0x61, 0x01);
    dt_outb(&f.bus, 0x43, 0xB0);
    dt_outb(&f.bus, 0x42, 0x00);
    dt_outb(&f.bus, 0x42, 0x08); /* 2048 */
    EXPECT_EQ(dt_inb(&f.bus, 0x61) & 0x23, 0x01);
    dt_run_to(&f.clock, edge_ns(1 + 2048) - 1);
    EXPECT_EQ(dt_inb(&f.bus, 0x61) & 0x20, 0);
    dt_run_to(&f.clock, edge_ns(1 + 2048));
    EXPECT_EQ(dt_inb(&f.bus, 0x61) & 0x20, 0x20);
    EXPECT_TRUE(pit_out2(&f.pit));
    /* gate low suspends mode 0 counting */
    dt_outb(&f.bus, 0x43, 0xB0);
    dt_outb(&f.bus, 0x42, 100);
    dt_outb(&f.bus, 0x42, 0);
    uint64_t t0 = pit_ticks(&f.pit);
    dt_run_to(&f.clock, edge_ns(t0 + 1 + 40));
    dt_outb(&f.bus, 0x61, 0x00);
    dt_run_to(&f.clock, edge_ns(t0 + 1 + 500));
    EXPECT_EQ(latch_read(&f, 2), 60);
    EXPECT_EQ(dt_inb(&f.bus, 0x61) & 0x20, 0);
    bus_free(&f.bus);
}

TEST(pit, refresh_toggle)
{
    PitFx f;
    pit_fx_init(&f);
    dt_run_to(&f.clock, edge_ns(5));
    uint8_t a = dt_inb(&f.bus, 0x61) & 0x10;
    dt_run_to(&f.clock, edge_ns(18 + 5));
    uint8_t b = dt_inb(&f.bus, 0x61) & 0x10;
    dt_run_to(&f.clock, edge_ns(36 + 5));
    uint8_t c = dt_inb(&f.bus, 0x61) & 0x10;
    EXPECT_EQ(a ^ b, 0x10);
    EXPECT_EQ(a, c);
    bus_free(&f.bus);
}
