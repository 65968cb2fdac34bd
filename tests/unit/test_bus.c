/* The bus: port regions that move (bus_place_pio), width splitting, unclaimed ports. */
#include "mmu/bus.h"
#include "tests/unit/test.h"

typedef struct Recorder {
    uint32_t last_addr, last_val;
    unsigned last_size;
    int writes;
} Recorder;

static uint32_t rec_read(void *opaque, uint32_t addr, unsigned size)
{
    return 0xA0 + addr;
}

static void rec_write(void *opaque, uint32_t addr, uint32_t val, unsigned size)
{
    Recorder *r = opaque;
    r->last_addr = addr;
    r->last_val = val;
    r->last_size = size;
    r->writes++;
}

static const IoOps kByteOps = {rec_read, rec_write, IO_SIZE_1};

TEST(bus, place_pio_moves_and_removes)
{
    Bus b;
    EXPECT_EQ(bus_init(&b, 1 << 20), 0);
    Recorder rec = {0};
    int region = -1;
    EXPECT_EQ(bus_place_pio(&b, &region, 0x600, 16, &kByteOps, &rec, "test"), 0);
    EXPECT_TRUE(region >= 0);
    EXPECT_EQ(bus_pio_read(&b, 0x605, 1), 0xA5);
    /* moving it frees the old ports and claims the new ones, with the same region */
    int first = region;
    EXPECT_EQ(bus_place_pio(&b, &region, 0xB000, 16, &kByteOps, &rec, "test"), 0);
    EXPECT_EQ(region, first);
    EXPECT_EQ(bus_pio_read(&b, 0x605, 1), 0xFF);
    EXPECT_EQ(bus_pio_read(&b, 0xB00F, 1), 0xAF);
    /* a word write is split into the byte widths the region implements */
    bus_pio_write(&b, 0xB002, 0x1234, 2);
    EXPECT_EQ(rec.writes, 2);
    EXPECT_EQ(rec.last_addr, 3);
    EXPECT_EQ(rec.last_val, 0x12);
    /* nowhere: unclaimed again */
    EXPECT_EQ(bus_place_pio(&b, &region, BUS_PIO_NOWHERE, 16, &kByteOps, &rec, "test"), 0);
    EXPECT_EQ(bus_pio_read(&b, 0xB000, 1), 0xFF);
    /* a range past 0xFFFF is refused as "nowhere" */
    EXPECT_EQ(bus_place_pio(&b, &region, 0xFFF8, 16, &kByteOps, &rec, "test"), 0);
    EXPECT_EQ(bus_pio_read(&b, 0xFFF8, 1), 0xFF);
    bus_free(&b);
}

TEST(bus, place_pio_leaves_other_devices_ports)
{
    Bus b;
    EXPECT_EQ(bus_init(&b, 1 << 20), 0);
    Recorder a = {0}, c = {0};
    EXPECT_EQ(bus_register_pio(&b, 0x700, 4, &kByteOps, &a, "fixed"), 0);
    int region = -1;
    EXPECT_EQ(bus_place_pio(&b, &region, 0x6FE, 4, &kByteOps, &c, "mover"), 0);
    bus_pio_write(&b, 0x700, 0x55, 1); /* still the fixed device's */
    EXPECT_EQ(a.writes, 1);
    EXPECT_EQ(c.writes, 0);
    bus_pio_write(&b, 0x6FF, 0x66, 1);
    EXPECT_EQ(c.writes, 1);
    bus_free(&b);
}
