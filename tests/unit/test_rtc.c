/* MC146818 RTC/CMOS through ports 0x70/0x71: time in BCD, binary and 12-hour formats, SET,
 * update-in-progress timing, periodic/update/alarm interrupts, register C, checksum. */
#include "chipset/rtc.h"
#include "tests/unit/devtest.h"
#include "tests/unit/test.h"

typedef struct RtcFx {
    Bus bus;
    Clock clock;
    RtcState rtc;
    DtIrq irq;
} RtcFx;

static void rtc_fx_init(RtcFx *f, int64_t epoch)
{
    bus_init(&f->bus, 1 << 20);
    clock_init(&f->clock, 0);
    rtc_init(&f->rtc, &f->bus, &f->clock, NULL, epoch);
    f->irq = (DtIrq){.clock = &f->clock};
    irq_connect(&f->rtc.irq, dt_irq_handler, &f->irq, 8);
}

static uint8_t cmos_rd(RtcFx *f, uint8_t i)
{
    dt_outb(&f->bus, 0x70, i);
    return dt_inb(&f->bus, 0x71);
}

static void cmos_wr(RtcFx *f, uint8_t i, uint8_t v)
{
    dt_outb(&f->bus, 0x70, i);
    dt_outb(&f->bus, 0x71, v);
}

#define SEC 1000000000ull

TEST(rtc, default_epoch_bcd)
{
    RtcFx f;
    rtc_fx_init(&f, RTC_DEFAULT_EPOCH);
    EXPECT_EQ(cmos_rd(&f, 0x0A), 0x26);
    EXPECT_EQ(cmos_rd(&f, 0x0B), 0x02);
    EXPECT_EQ(cmos_rd(&f, 0x0D), 0x80);
    EXPECT_EQ(cmos_rd(&f, 0x00), 0x00);
    EXPECT_EQ(cmos_rd(&f, 0x07), 0x01);
    EXPECT_EQ(cmos_rd(&f, 0x08), 0x01);
    EXPECT_EQ(cmos_rd(&f, 0x09), 0x00);
    EXPECT_EQ(cmos_rd(&f, 0x32), 0x20);
    EXPECT_EQ(cmos_rd(&f, 0x06), 7); /* 2000-01-01 was a Saturday */
    dt_run_to(&f.clock, 3661 * SEC + SEC / 2);
    EXPECT_EQ(cmos_rd(&f, 0x00), 0x01);
    EXPECT_EQ(cmos_rd(&f, 0x02), 0x01);
    EXPECT_EQ(cmos_rd(&f, 0x04), 0x01);
    dt_run_to(&f.clock, 59 * 86400 * SEC); /* 2000-02-29, a leap day */
    EXPECT_EQ(cmos_rd(&f, 0x07), 0x29);
    EXPECT_EQ(cmos_rd(&f, 0x08), 0x02);
    bus_free(&f.bus);
}

TEST(rtc, custom_epoch_binary_and_12h)
{
    RtcFx f;
    rtc_fx_init(&f, 1709210096); /* 2024-02-29 12:34:56 */
    EXPECT_EQ(cmos_rd(&f, 0x00), 0x56);
    EXPECT_EQ(cmos_rd(&f, 0x02), 0x34);
    EXPECT_EQ(cmos_rd(&f, 0x04), 0x12);
    EXPECT_EQ(cmos_rd(&f, 0x07), 0x29);
    EXPECT_EQ(cmos_rd(&f, 0x08), 0x02);
    EXPECT_EQ(cmos_rd(&f, 0x09), 0x24);
    EXPECT_EQ(cmos_rd(&f, 0x06), 5); /* Thursday */
    cmos_wr(&f, 0x0B, 0x06);         /* binary, 24 h */
    EXPECT_EQ(cmos_rd(&f, 0x00), 56);
    EXPECT_EQ(cmos_rd(&f, 0x09), 24);
    dt_run_to(&f.clock, 3600 * SEC);
    cmos_wr(&f, 0x0B, 0x00); /* BCD, 12 h: 13:34 is 1 PM */
    EXPECT_EQ(cmos_rd(&f, 0x04), 0x81);
    EXPECT_EQ(rtc_time(&f.rtc), 1709210096 + 3600);
    bus_free(&f.bus);
}

TEST(rtc, set_bit_freezes_and_loads_time)
{
    RtcFx f;
    rtc_fx_init(&f, RTC_DEFAULT_EPOCH);
    dt_run_to(&f.clock, 10 * SEC + SEC / 4);
    cmos_wr(&f, 0x0B, 0x82);
    cmos_wr(&f, 0x00, 0x30);
    cmos_wr(&f, 0x02, 0x15);
    dt_run_to(&f.clock, 20 * SEC);
    EXPECT_EQ(cmos_rd(&f, 0x00), 0x30); /* frozen */
    cmos_wr(&f, 0x0B, 0x02);
    EXPECT_EQ(cmos_rd(&f, 0x00), 0x30);
    dt_run_to(&f.clock, 21 * SEC);
    EXPECT_EQ(cmos_rd(&f, 0x00), 0x31);
    EXPECT_EQ(cmos_rd(&f, 0x02), 0x15);
    bus_free(&f.bus);
}

TEST(rtc, update_in_progress_window)
{
    RtcFx f;
    rtc_fx_init(&f, RTC_DEFAULT_EPOCH);
    dt_run_to(&f.clock, SEC - 300000);
    EXPECT_EQ(cmos_rd(&f, 0x0A) & 0x80, 0);
    dt_run_to(&f.clock, SEC - 200000);
    EXPECT_EQ(cmos_rd(&f, 0x0A) & 0x80, 0x80);
    EXPECT_EQ(cmos_rd(&f, 0x00), 0x00);
    dt_run_to(&f.clock, SEC);
    EXPECT_EQ(cmos_rd(&f, 0x0A) & 0x80, 0);
    EXPECT_EQ(cmos_rd(&f, 0x00), 0x01);
    bus_free(&f.bus);
}

TEST(rtc, periodic_interrupt_rate)
{
    RtcFx f;
    rtc_fx_init(&f, RTC_DEFAULT_EPOCH);
    cmos_wr(&f, 0x0B, 0x42); /* PIE, 24 h; register A 0x26 = 1024 Hz */
    dt_run_to(&f.clock, 976562);
    EXPECT_EQ(f.irq.level, 0);
    dt_run_to(&f.clock, 976563); /* 1/1024 s, rounded up to the ns */
    EXPECT_EQ(f.irq.level, 1);
    EXPECT_EQ(cmos_rd(&f, 0x0C), 0xC0);
    EXPECT_EQ(f.irq.level, 0);
    EXPECT_EQ(cmos_rd(&f, 0x0C), 0x00); /* reading C cleared it */
    /* count the interrupts in the first 100 ms, acknowledging each */
    int n = 1;
    for (uint64_t t = 976563; t <= 100000000; t += 10000) {
        dt_run_to(&f.clock, t);
        if (f.irq.level) {
            EXPECT_EQ(cmos_rd(&f, 0x0C) & 0xC0, 0xC0);
            n++;
        }
    }
    EXPECT_EQ(n, 102); /* floor(0.1 * 1024) */
    /* rate 15: 2 Hz */
    cmos_wr(&f, 0x0A, 0x2F);
    cmos_rd(&f, 0x0C);
    int before = f.irq.rises;
    dt_run_to(&f.clock, 100000000 + 2 * SEC);
    cmos_rd(&f, 0x0C);
    dt_run_to(&f.clock, 100000000 + 3 * SEC);
    EXPECT_EQ(f.irq.rises - before, 2);
    bus_free(&f.bus);
}

TEST(rtc, update_and_alarm_interrupts)
{
    RtcFx f;
    rtc_fx_init(&f, RTC_DEFAULT_EPOCH);
    cmos_wr(&f, 0x0B, 0x12); /* UIE */
    dt_run_to(&f.clock, SEC - 1);
    EXPECT_EQ(f.irq.level, 0);
    dt_run_to(&f.clock, SEC);
    EXPECT_EQ(f.irq.level, 1);
    EXPECT_EQ(cmos_rd(&f, 0x0C), 0xD0); /* PF too: the 1024 Hz divider tap runs anyway */
    /* alarm at 00:00:05, any hour via the don't-care code */
    cmos_wr(&f, 0x01, 0x05);
    cmos_wr(&f, 0x03, 0x00);
    cmos_wr(&f, 0x05, 0xC0);
    cmos_wr(&f, 0x0B, 0x22); /* AIE only */
    dt_run_to(&f.clock, 5 * SEC - 1);
    EXPECT_EQ(f.irq.level, 0);
    EXPECT_EQ(cmos_rd(&f, 0x0C) & 0x20, 0); /* UF was set by the updates, AF not yet */
    dt_run_to(&f.clock, 5 * SEC);
    EXPECT_EQ(f.irq.level, 1);
    EXPECT_EQ(cmos_rd(&f, 0x0C), 0xF0);
    dt_run_to(&f.clock, 3605 * SEC); /* the next 00:05 match is at 01:00:05 */
    EXPECT_EQ(cmos_rd(&f, 0x0C) & 0xA0, 0xA0);
    bus_free(&f.bus);
}

TEST(rtc, flags_without_interrupts)
{
    RtcFx f;
    rtc_fx_init(&f, RTC_DEFAULT_EPOCH);
    dt_run_to(&f.clock, 1500000000);
    EXPECT_EQ(cmos_rd(&f, 0x0C), 0x50); /* PF and UF, no IRQF */
    EXPECT_EQ(f.irq.rises, 0);
    bus_free(&f.bus);
}

TEST(rtc, nmi_mask_and_ram)
{
    RtcFx f;
    rtc_fx_init(&f, RTC_DEFAULT_EPOCH);
    dt_outb(&f.bus, 0x70, 0x80 | 0x40);
    dt_outb(&f.bus, 0x71, 0x5A);
    EXPECT_TRUE(rtc_nmi_masked(&f.rtc));
    EXPECT_EQ(cmos_rd(&f, 0x40), 0x5A);
    EXPECT_TRUE(!rtc_nmi_masked(&f.rtc));
    bus_free(&f.bus);
}

TEST(rtc, checksum_and_memory_size)
{
    RtcFx f;
    rtc_fx_init(&f, RTC_DEFAULT_EPOCH);
    rtc_set_mem_size(&f.rtc, 32ull << 20, 0);
    EXPECT_EQ(cmos_rd(&f, 0x15), 0x80);
    EXPECT_EQ(cmos_rd(&f, 0x16), 0x02);
    EXPECT_EQ(cmos_rd(&f, 0x17) | cmos_rd(&f, 0x18) << 8, 0x7C00); /* 31 MB in KB */
    EXPECT_EQ(cmos_rd(&f, 0x30) | cmos_rd(&f, 0x31) << 8, 0x7C00);
    EXPECT_EQ(cmos_rd(&f, 0x34) | cmos_rd(&f, 0x35) << 8, 0x0100); /* 16 MB / 64 KB */
    rtc_set_cmos(&f.rtc, 0x10, 0x40);
    rtc_set_cmos(&f.rtc, 0x14, 0x06);
    unsigned sum = 0x80 + 0x02 + 0x00 + 0x7C + 0x40 + 0x06;
    EXPECT_EQ(cmos_rd(&f, 0x2E), sum >> 8);
    EXPECT_EQ(cmos_rd(&f, 0x2F), sum & 0xFF);
    rtc_set_mem_size(&f.rtc, 3ull << 30, 1ull << 30);
    EXPECT_EQ(cmos_rd(&f, 0x17) | cmos_rd(&f, 0x18) << 8, 0xFFFF); /* saturates */
    EXPECT_EQ(cmos_rd(&f, 0x34) | cmos_rd(&f, 0x35) << 8, 0xBF00);
    EXPECT_EQ(cmos_rd(&f, 0x5B) | cmos_rd(&f, 0x5C) << 8 | cmos_rd(&f, 0x5D) << 16, 0x4000);
    rtc_set_cmos(&f.rtc, 0x5F, 3);
    EXPECT_EQ(cmos_rd(&f, 0x5F), 3);
    bus_free(&f.bus);
}
