/* fw_cfg through its ports: signature and ID, integer items, the file directory as SeaBIOS
 * walks it, reads past the end, and the DMA interface. */
#include <string.h>

#include "devices/fwcfg.h"
#include "tests/unit/devtest.h"
#include "tests/unit/test.h"

static void fw_select(Bus *b, uint16_t key)
{
    bus_pio_write(b, 0x510, key, 2);
}

static void fw_read(Bus *b, void *buf, int n)
{
    uint8_t *p = buf;
    for (int i = 0; i < n; i++) {
        p[i] = dt_inb(b, 0x511);
    }
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

TEST(fwcfg, signature_id_and_integers)
{
    Bus bus;
    FwCfgState fw;
    bus_init(&bus, 1 << 20);
    EXPECT_EQ(fwcfg_init(&fw, &bus, NULL), 0);
    fwcfg_add_i64(&fw, FW_CFG_RAM_SIZE, 128ull << 20);
    fwcfg_add_i16(&fw, FW_CFG_NB_CPUS, 1);
    char sig[5] = {0};
    fw_select(&bus, FW_CFG_SIGNATURE);
    fw_read(&bus, sig, 4);
    EXPECT_TRUE(strcmp(sig, "QEMU") == 0);
    uint8_t id[4];
    fw_select(&bus, FW_CFG_ID);
    fw_read(&bus, id, 4);
    EXPECT_EQ(id[0], 3); /* traditional and DMA */
    uint8_t ram[8];
    fw_select(&bus, FW_CFG_RAM_SIZE);
    fw_read(&bus, ram, 8);
    EXPECT_EQ(ram[3], 0x08); /* 0x08000000 little-endian */
    EXPECT_EQ(ram[0] | ram[1] | ram[2] | ram[4], 0);
    fw_select(&bus, FW_CFG_NB_CPUS);
    EXPECT_EQ(dt_inb(&bus, 0x511), 1);
    EXPECT_EQ(dt_inb(&bus, 0x511), 0);
    EXPECT_EQ(dt_inb(&bus, 0x511), 0); /* past the end */
    fw_select(&bus, 0x7777);           /* no such item */
    EXPECT_EQ(dt_inb(&bus, 0x511), 0);
    /* the DMA ports read back their signature */
    EXPECT_EQ(bus_pio_read(&bus, 0x514, 4), 0x554D4551u);
    fwcfg_free(&fw);
    bus_free(&bus);
}

TEST(fwcfg, file_directory_lookup)
{
    Bus bus;
    FwCfgState fw;
    bus_init(&bus, 1 << 20);
    fwcfg_init_opts(&fw, &bus, NULL, false);
    uint8_t id[4];
    fw_select(&bus, FW_CFG_ID);
    fw_read(&bus, id, 4);
    EXPECT_EQ(id[0], 1);
    uint16_t port = 0x3F8;
    EXPECT_EQ(fwcfg_add_file(&fw, "etc/sercon-port", &port, 2), FW_CFG_FILE_FIRST);
    static const char kOrder[] = "/pci@i0cf8/ide@1,1/drive@0/disk@0\n";
    EXPECT_EQ(fwcfg_add_file(&fw, "bootorder", kOrder, sizeof kOrder), FW_CFG_FILE_FIRST + 1);
    EXPECT_EQ(fwcfg_find_file(&fw, "bootorder"), FW_CFG_FILE_FIRST + 1);
    EXPECT_EQ(fwcfg_find_file(&fw, "nope"), -1);
    /* walk the directory the way SeaBIOS does */
    uint8_t cnt[4];
    fw_select(&bus, FW_CFG_FILE_DIR);
    fw_read(&bus, cnt, 4);
    EXPECT_EQ(be32(cnt), 2);
    int select = -1;
    uint32_t size = 0;
    for (uint32_t i = 0; i < be32(cnt); i++) {
        uint8_t e[64];
        fw_read(&bus, e, 64);
        if (strcmp((char *)e + 8, "bootorder") == 0) {
            size = be32(e);
            select = e[4] << 8 | e[5];
        }
    }
    EXPECT_EQ(select, FW_CFG_FILE_FIRST + 1);
    EXPECT_EQ(size, sizeof kOrder);
    char got[sizeof kOrder];
    fw_select(&bus, (uint16_t)select);
    fw_read(&bus, got, (int)sizeof got);
    EXPECT_TRUE(memcmp(got, kOrder, sizeof kOrder) == 0);
    /* replacing a file keeps its key and updates the size */
    uint8_t wait[4] = {0x10, 0x27, 0, 0};
    fwcfg_add_file(&fw, "bootorder", wait, 4);
    fw_select(&bus, FW_CFG_FILE_DIR);
    fw_read(&bus, cnt, 4);
    EXPECT_EQ(be32(cnt), 2);
    uint8_t e[64];
    fw_read(&bus, e, 64);
    fw_read(&bus, e, 64);
    EXPECT_EQ(be32(e), 4);
    fwcfg_free(&fw);
    bus_free(&bus);
}

TEST(fwcfg, dma_read_and_skip)
{
    Bus bus;
    FwCfgState fw;
    bus_init(&bus, 1 << 20);
    fwcfg_init(&fw, &bus, NULL);
    fwcfg_add_file(&fw, "etc/test", "0123456789", 10);
    /* FWCfgDmaAccess at 0x1000: select the file and read 4 bytes to 0x2000 */
    uint8_t d[16] = {0};
    uint32_t ctl = (uint32_t)FW_CFG_FILE_FIRST << 16 | 0x08 | 0x02;
    d[0] = (uint8_t)(ctl >> 24);
    d[1] = (uint8_t)(ctl >> 16);
    d[2] = (uint8_t)(ctl >> 8);
    d[3] = (uint8_t)ctl;
    d[7] = 4;     /* length */
    d[14] = 0x20; /* address 0x2000 */
    bus_mem_write(&bus, 0x1000, d, 16);
    bus_pio_write(&bus, 0x514, 0, 4);
    bus_pio_write(&bus, 0x518, 0x00100000u, 4); /* big-endian 0x1000 */
    EXPECT_TRUE(memcmp(bus.ram + 0x2000, "0123", 4) == 0);
    EXPECT_EQ(be32(bus.ram + 0x1000), 0); /* done, no error */
    /* skip 3, then read on: "789" and zeros past the end */
    memset(d, 0, 4);
    d[3] = 0x04;
    d[7] = 3;
    bus_mem_write(&bus, 0x1000, d, 16);
    bus_pio_write(&bus, 0x518, 0x00100000u, 4);
    memset(d, 0, 4);
    d[3] = 0x02;
    d[7] = 5;
    memset(bus.ram + 0x2000, 0xEE, 8);
    bus_mem_write(&bus, 0x1000, d, 16);
    bus_pio_write(&bus, 0x518, 0x00100000u, 4);
    EXPECT_TRUE(memcmp(bus.ram + 0x2000, "789\0\0", 5) == 0);
    EXPECT_EQ(bus.ram[0x2005], 0xEE);
    /* writes are refused with the error bit */
    memset(d, 0, 4);
    d[3] = 0x10;
    bus_mem_write(&bus, 0x1000, d, 16);
    bus_pio_write(&bus, 0x518, 0x00100000u, 4);
    EXPECT_EQ(be32(bus.ram + 0x1000), 1);
    fwcfg_free(&fw);
    bus_free(&bus);
}
