/* IDE through its ports with no CPU: the empty-channel and absent-device reads, signatures after
 * SRST, IDENTIFY fields, PIO reads and writes of sectors with their BSY/DRQ/INTRQ sequence,
 * multiple mode, 48-bit commands, CHS addressing, errors, nIEN; the ATAPI CD-ROM through PACKET
 * (TEST UNIT READY, READ CAPACITY, READ(10) in byte-count windows, REQUEST SENSE, READ TOC,
 * unit attention); the PIIX3 IDE function's configuration space and bus-master DMA with a PRD
 * table in RAM, for ATA and ATAPI; and -snapshot leaving the image file alone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chipset/pci.h"
#include "chipset/piix_ide.h"
#include "devices/ide.h"
#include "snapshots/snapshot.h"
#include "tests/unit/devtest.h"
#include "tests/unit/test.h"

#define P0 0x1F0
#define C0 0x3F6
#define P1 0x170
#define C1 0x376
#define BMBASE 0xC000

typedef struct IdeFx {
    Bus bus;
    Clock clock;
    PciState pci;
    IdeChannel ide[2];
    PiixIdeState pide;
    DtIrq irq14, irq15;
    SnapRegistry snap;
    BlockDev disk, cd;
    char disk_path[64], cd_path[64];
    bool has_disk, has_cd;
} IdeFx;

static uint8_t disk_pattern(uint64_t a)
{
    return (uint8_t)(a * 7 + a / 512);
}

static uint8_t cd_pattern(uint64_t a)
{
    return (uint8_t)(a ^ (a >> 11) ^ 0x5A);
}

static void make_file(char *path, size_t len, uint64_t size, uint8_t (*pat)(uint64_t))
{
    snprintf(path, len, "/tmp/x86pc-ide-XXXXXX");
    int fd = mkstemp(path);
    uint8_t buf[4096];
    for (uint64_t off = 0; off < size; off += sizeof buf) {
        for (size_t i = 0; i < sizeof buf; i++) {
            buf[i] = pat(off + i);
        }
        size_t n = size - off < sizeof buf ? (size_t)(size - off) : sizeof buf;
        if (write(fd, buf, n) != (ssize_t)n) {
            break;
        }
    }
    close(fd);
}

/* disk_sectors 0: no disk; cd_sectors 0: no CD drive; cd_sectors < 0: a drive with no disc. */
static IdeFx *fx_new(uint32_t disk_sectors, int cd_sectors, unsigned disk_flags)
{
    IdeFx *f = calloc(1, sizeof *f);
    bus_init(&f->bus, 1 << 20);
    clock_init(&f->clock, 0);
    pci_init(&f->pci, &f->bus, &f->snap, NULL, NULL, NULL);
    ide_channel_init(&f->ide[0], &f->bus, &f->clock, &f->snap, 0, P0, C0);
    ide_channel_init(&f->ide[1], &f->bus, &f->clock, &f->snap, 1, P1, C1);
    f->irq14.clock = f->irq15.clock = &f->clock;
    irq_connect(&f->ide[0].irq, dt_irq_handler, &f->irq14, 14);
    irq_connect(&f->ide[1].irq, dt_irq_handler, &f->irq15, 15);
    piix_ide_init(&f->pide, &f->pci.bus, &f->bus, &f->snap, &f->ide[0], &f->ide[1]);
    char err[256];
    if (disk_sectors) {
        make_file(f->disk_path, sizeof f->disk_path, (uint64_t)disk_sectors * 512, disk_pattern);
        if (block_open(&f->disk, f->disk_path, disk_flags, err, sizeof err) == 0) {
            ide_attach_disk(&f->ide[0], 0, &f->disk);
            f->has_disk = true;
        }
    }
    if (cd_sectors > 0) {
        make_file(f->cd_path, sizeof f->cd_path, (uint64_t)cd_sectors * 2048, cd_pattern);
        if (block_open(&f->cd, f->cd_path, BLOCK_CDROM, err, sizeof err) == 0) {
            ide_attach_cdrom(&f->ide[1], 0, &f->cd);
            f->has_cd = true;
        }
    } else if (cd_sectors < 0) {
        ide_attach_cdrom(&f->ide[1], 0, NULL);
    }
    return f;
}

static void fx_free(IdeFx *f)
{
    if (f->has_disk) {
        block_close(&f->disk);
        unlink(f->disk_path);
    }
    if (f->has_cd) {
        block_close(&f->cd);
        unlink(f->cd_path);
    }
    bus_free(&f->bus);
    free(f);
}

static void run_ns(IdeFx *f, uint64_t ns)
{
    dt_run_to(&f->clock, clock_now(&f->clock) + ns);
}

static void settle(IdeFx *f)
{
    run_ns(f, 100000);
}

static uint16_t inw(IdeFx *f, uint32_t port)
{
    return (uint16_t)bus_pio_read(&f->bus, port, 2);
}

static void outw(IdeFx *f, uint32_t port, uint16_t v)
{
    bus_pio_write(&f->bus, port, v, 2);
}

static void read_words(IdeFx *f, uint32_t port, uint8_t *buf, int bytes)
{
    for (int i = 0; i < bytes; i += 2) {
        uint16_t w = inw(f, port);
        buf[i] = (uint8_t)w;
        buf[i + 1] = (uint8_t)(w >> 8);
    }
}

static uint16_t id_word(const uint8_t *id, int w)
{
    return (uint16_t)(id[2 * w] | id[2 * w + 1] << 8);
}

static void lba28_cmd(IdeFx *f, uint32_t base, uint8_t dev, uint32_t lba, uint8_t count,
                      uint8_t cmd)
{
    dt_outb(&f->bus, base + 6, (uint8_t)(0xE0 | dev << 4 | ((lba >> 24) & 0xF)));
    dt_outb(&f->bus, base + 2, count);
    dt_outb(&f->bus, base + 3, (uint8_t)lba);
    dt_outb(&f->bus, base + 4, (uint8_t)(lba >> 8));
    dt_outb(&f->bus, base + 5, (uint8_t)(lba >> 16));
    dt_outb(&f->bus, base + 7, cmd);
}

static void lba48_cmd(IdeFx *f, uint32_t base, uint64_t lba, uint16_t count, uint8_t cmd)
{
    dt_outb(&f->bus, base + 6, 0x40);
    dt_outb(&f->bus, base + 2, (uint8_t)(count >> 8));
    dt_outb(&f->bus, base + 3, (uint8_t)(lba >> 24));
    dt_outb(&f->bus, base + 4, (uint8_t)(lba >> 32));
    dt_outb(&f->bus, base + 5, (uint8_t)(lba >> 40));
    dt_outb(&f->bus, base + 2, (uint8_t)count);
    dt_outb(&f->bus, base + 3, (uint8_t)lba);
    dt_outb(&f->bus, base + 4, (uint8_t)(lba >> 8));
    dt_outb(&f->bus, base + 5, (uint8_t)(lba >> 16));
    dt_outb(&f->bus, base + 7, cmd);
}

/* ---- channel basics ---- */

TEST(ide, empty_channel_and_absent_slave)
{
    IdeFx *f = fx_new(2048, 0, BLOCK_DISK);
    /* secondary channel: nothing attached, the floating bus reads 0x7F */
    EXPECT_EQ(dt_inb(&f->bus, P1 + 7), 0x7F);
    EXPECT_EQ(dt_inb(&f->bus, C1), 0x7F);
    dt_outb(&f->bus, P1 + 2, 0x55);
    EXPECT_EQ(dt_inb(&f->bus, P1 + 2), 0x7F);
    /* primary: the master answers, the absent slave reads 0 but echoes the device register */
    EXPECT_EQ(dt_inb(&f->bus, P0 + 7), 0x50);
    dt_outb(&f->bus, P0 + 6, 0xB0);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 6), 0xB0);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 7), 0x00);
    dt_outb(&f->bus, P0 + 2, 0x55);
    dt_outb(&f->bus, P0 + 3, 0xAA);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 2), 0x00);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 3), 0x00);
    /* a command to the absent slave does nothing */
    dt_outb(&f->bus, P0 + 7, 0xEC);
    settle(f);
    EXPECT_EQ(f->irq14.rises, 0);
    /* the master latched the same writes */
    dt_outb(&f->bus, P0 + 6, 0xA0);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 2), 0x55);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 3), 0xAA);
    fx_free(f);
}

TEST(ide, srst_gives_signatures)
{
    IdeFx *f = fx_new(2048, 64, BLOCK_DISK);
    dt_outb(&f->bus, P0 + 2, 0x12);
    dt_outb(&f->bus, C0, 0x06); /* SRST, nIEN */
    EXPECT_EQ(dt_inb(&f->bus, C0) & 0x80, 0x80);
    run_ns(f, 100000);
    EXPECT_EQ(dt_inb(&f->bus, C0) & 0x80, 0x80); /* BSY for as long as SRST is held */
    dt_outb(&f->bus, C0, 0x02);
    EXPECT_EQ(dt_inb(&f->bus, C0) & 0x80, 0x80);
    settle(f);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 7), 0x50);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 1), 0x01);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 2), 0x01);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 3), 0x01);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 4), 0x00);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 5), 0x00);
    EXPECT_EQ(f->irq14.rises, 0);
    /* the CD-ROM on the secondary channel: PACKET signature, status 0 */
    dt_outb(&f->bus, C1, 0x06);
    dt_outb(&f->bus, C1, 0x02);
    settle(f);
    EXPECT_EQ(dt_inb(&f->bus, P1 + 7), 0x00);
    EXPECT_EQ(dt_inb(&f->bus, P1 + 1), 0x01);
    EXPECT_EQ(dt_inb(&f->bus, P1 + 2), 0x01);
    EXPECT_EQ(dt_inb(&f->bus, P1 + 3), 0x01);
    EXPECT_EQ(dt_inb(&f->bus, P1 + 4), 0x14);
    EXPECT_EQ(dt_inb(&f->bus, P1 + 5), 0xEB);
    /* EXECUTE DEVICE DIAGNOSTIC interrupts */
    dt_outb(&f->bus, C0, 0x00);
    dt_outb(&f->bus, P0 + 7, 0x90);
    settle(f);
    EXPECT_EQ(f->irq14.rises, 1);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 1), 0x01);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 7), 0x50);
    EXPECT_EQ(f->irq14.level, 0);
    fx_free(f);
}

TEST(ide, identify_device)
{
    IdeFx *f = fx_new(20000, 0, BLOCK_DISK);
    dt_outb(&f->bus, P0 + 6, 0xA0);
    dt_outb(&f->bus, P0 + 7, 0xEC);
    EXPECT_EQ(dt_inb(&f->bus, C0), 0x80); /* BSY at once, nothing else */
    EXPECT_EQ(f->irq14.rises, 0);
    settle(f);
    EXPECT_EQ(f->irq14.rises, 1);
    EXPECT_EQ(f->irq14.level, 1);
    EXPECT_EQ(dt_inb(&f->bus, C0), 0x58); /* alternate status does not acknowledge */
    EXPECT_EQ(f->irq14.level, 1);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 7), 0x58);
    EXPECT_EQ(f->irq14.level, 0);
    uint8_t id[512];
    read_words(f, P0, id, 512);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 7), 0x50);
    EXPECT_EQ(f->irq14.rises, 1); /* no interrupt after the last block of data-in */
    EXPECT_EQ(id_word(id, 0), 0x0040);
    EXPECT_EQ(id_word(id, 1), 19); /* 20000 / (16 * 63) */
    EXPECT_EQ(id_word(id, 3), 16);
    EXPECT_EQ(id_word(id, 6), 63);
    EXPECT_EQ(id_word(id, 49) & 0x0300, 0x0300); /* LBA and DMA */
    EXPECT_EQ(id_word(id, 60) | (uint32_t)id_word(id, 61) << 16, 20000);
    EXPECT_EQ(id_word(id, 83) & 0x4400, 0x4400); /* LBA48 */
    EXPECT_EQ(id_word(id, 86) & 0x0400, 0x0400);
    EXPECT_EQ(id_word(id, 100), 20000);
    EXPECT_EQ(id_word(id, 101), 0);
    EXPECT_EQ(id_word(id, 47) & 0xFF, 16);
    EXPECT_EQ(id_word(id, 59), 0);                           /* multiple mode off */
    EXPECT_TRUE(memcmp(id + 54, "8XP6 CAHDRIDKS", 14) == 0); /* byte-swapped model */
    uint8_t sum = 0;
    for (int i = 0; i < 512; i++) {
        sum = (uint8_t)(sum + id[i]);
    }
    EXPECT_EQ(id[510], 0xA5);
    EXPECT_EQ(sum, 0);
    /* IDENTIFY PACKET DEVICE to a disk aborts */
    dt_outb(&f->bus, P0 + 7, 0xA1);
    settle(f);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 7), 0x51);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 1), 0x04);
    fx_free(f);
}

/* ---- PIO ---- */

TEST(ide, pio_read_sectors)
{
    IdeFx *f = fx_new(2048, 0, BLOCK_DISK);
    lba28_cmd(f, P0, 0, 100, 3, 0x20);
    EXPECT_EQ(dt_inb(&f->bus, C0), 0x80);
    uint8_t buf[512];
    for (int s = 0; s < 3; s++) {
        settle(f);
        EXPECT_EQ(f->irq14.rises, s + 1);
        EXPECT_EQ(dt_inb(&f->bus, P0 + 7), 0x58);
        read_words(f, P0, buf, 512);
        EXPECT_EQ(buf[0], disk_pattern((100 + s) * 512));
        EXPECT_EQ(buf[511], disk_pattern((100 + s) * 512 + 511));
        if (s < 2) {
            EXPECT_EQ(dt_inb(&f->bus, C0), 0x80); /* BSY between blocks */
        }
    }
    EXPECT_EQ(dt_inb(&f->bus, P0 + 7), 0x50);
    settle(f);
    EXPECT_EQ(f->irq14.rises, 3);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 3), 102); /* the last sector read */
    /* 32-bit data port */
    lba28_cmd(f, P0, 0, 7, 1, 0x21);
    settle(f);
    uint32_t d = bus_pio_read(&f->bus, P0, 4);
    EXPECT_EQ(d & 0xFF, disk_pattern(7 * 512));
    EXPECT_EQ(d >> 24, disk_pattern(7 * 512 + 3));
    fx_free(f);
}

TEST(ide, pio_write_reaches_the_image)
{
    IdeFx *f = fx_new(2048, 0, BLOCK_DISK);
    lba28_cmd(f, P0, 0, 10, 2, 0x30);
    EXPECT_EQ(dt_inb(&f->bus, C0), 0x80);
    settle(f);
    EXPECT_EQ(f->irq14.rises, 0); /* the first data-out block comes without an interrupt */
    EXPECT_EQ(dt_inb(&f->bus, C0), 0x58);
    for (int i = 0; i < 256; i++) {
        outw(f, P0, (uint16_t)(0x1100 + i));
    }
    EXPECT_EQ(dt_inb(&f->bus, C0), 0x80);
    settle(f);
    EXPECT_EQ(f->irq14.rises, 1);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 7), 0x58);
    for (int i = 0; i < 256; i++) {
        outw(f, P0, (uint16_t)(0x2200 + i));
    }
    settle(f);
    EXPECT_EQ(f->irq14.rises, 2);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 7), 0x50);
    /* FLUSH CACHE, then read back through the drive and the file */
    dt_outb(&f->bus, P0 + 7, 0xE7);
    settle(f);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 7), 0x50);
    lba28_cmd(f, P0, 0, 11, 1, 0x20);
    settle(f);
    uint8_t buf[512];
    read_words(f, P0, buf, 512);
    EXPECT_EQ(buf[0], 0x00);
    EXPECT_EQ(buf[1], 0x22);
    EXPECT_EQ(buf[510], 0xFF);
    FILE *fp = fopen(f->disk_path, "rb");
    uint8_t fb[2];
    fseek(fp, 10 * 512 + 2, SEEK_SET);
    EXPECT_EQ(fread(fb, 1, 2, fp), 2);
    fclose(fp);
    EXPECT_EQ(fb[0], 0x01);
    EXPECT_EQ(fb[1], 0x11);
    fx_free(f);
}

TEST(ide, multiple_mode)
{
    IdeFx *f = fx_new(2048, 0, BLOCK_DISK);
    lba28_cmd(f, P0, 0, 0, 8, 0xC4); /* READ MULTIPLE before SET MULTIPLE: aborted */
    settle(f);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 7), 0x51);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 1), 0x04);
    dt_outb(&f->bus, P0 + 2, 3); /* not a power of two */
    dt_outb(&f->bus, P0 + 7, 0xC6);
    settle(f);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 7), 0x51);
    dt_outb(&f->bus, P0 + 2, 4);
    dt_outb(&f->bus, P0 + 7, 0xC6);
    settle(f);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 7), 0x50);
    int rises = f->irq14.rises;
    lba28_cmd(f, P0, 0, 20, 6, 0xC4); /* blocks of 4 and 2 sectors */
    settle(f);
    EXPECT_EQ(f->irq14.rises, rises + 1);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 7), 0x58); /* acknowledges */
    uint8_t buf[4 * 512];
    read_words(f, P0, buf, 4 * 512);
    EXPECT_EQ(buf[3 * 512], disk_pattern(23 * 512));
    EXPECT_EQ(dt_inb(&f->bus, C0), 0x80);
    settle(f);
    EXPECT_EQ(f->irq14.rises, rises + 2);
    read_words(f, P0, buf, 2 * 512);
    EXPECT_EQ(buf[512], disk_pattern(25 * 512));
    EXPECT_EQ(dt_inb(&f->bus, P0 + 7), 0x50);
    /* IDENTIFY word 59 shows the setting */
    dt_outb(&f->bus, P0 + 7, 0xEC);
    settle(f);
    uint8_t id[512];
    read_words(f, P0, id, 512);
    EXPECT_EQ(id_word(id, 59), 0x0104);
    /* WRITE MULTIPLE: one interrupt per block */
    rises = f->irq14.rises;
    lba28_cmd(f, P0, 0, 40, 8, 0xC5);
    settle(f);
    for (int i = 0; i < 4 * 256; i++) {
        outw(f, P0, 0xBEEF);
    }
    settle(f);
    EXPECT_EQ(f->irq14.rises, rises + 1);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 7), 0x58);
    for (int i = 0; i < 4 * 256; i++) {
        outw(f, P0, 0xCAFE);
    }
    settle(f);
    EXPECT_EQ(f->irq14.rises, rises + 2);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 7), 0x50);
    fx_free(f);
}

TEST(ide, lba48_commands)
{
    IdeFx *f = fx_new(4096, 0, BLOCK_DISK);
    lba48_cmd(f, P0, 4000, 2, 0x24);
    settle(f);
    uint8_t buf[512];
    read_words(f, P0, buf, 512);
    EXPECT_EQ(buf[0], disk_pattern(4000 * 512));
    settle(f);
    read_words(f, P0, buf, 512);
    EXPECT_EQ(buf[5], disk_pattern(4001 * 512 + 5));
    EXPECT_EQ(dt_inb(&f->bus, P0 + 7), 0x50);
    /* the address of the last sector, with HOB for the high bytes */
    EXPECT_EQ(dt_inb(&f->bus, P0 + 3), 4001 & 0xFF);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 4), 4001 >> 8);
    dt_outb(&f->bus, C0, 0x80);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 3), 0);
    dt_outb(&f->bus, C0, 0x00);
    /* an address above 2^28 on a small disk: IDNF */
    lba48_cmd(f, P0, 0x123456789ull, 1, 0x24);
    settle(f);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 7), 0x51);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 1), 0x10);
    /* WRITE SECTORS EXT, count 0x0100 in the high byte is 256 sectors */
    lba48_cmd(f, P0, 3000, 0x0100, 0x34);
    settle(f);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 7), 0x58);
    EXPECT_EQ(f->ide[0].nleft, 256);
    /* READ VERIFY EXT and FLUSH CACHE EXT complete with an interrupt */
    dt_outb(&f->bus, C0, 0x04);
    dt_outb(&f->bus, C0, 0x00);
    settle(f);
    int rises = f->irq14.rises;
    lba48_cmd(f, P0, 100, 10, 0x42);
    settle(f);
    EXPECT_EQ(f->irq14.rises, rises + 1);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 7), 0x50);
    dt_outb(&f->bus, P0 + 7, 0xEA);
    settle(f);
    EXPECT_EQ(f->irq14.rises, rises + 2);
    fx_free(f);
}

TEST(ide, lba48_above_2_28_on_a_sparse_image)
{
    /* a sparse 128 GB + 1 MB image, when the host file system allows it */
    char path[64] = "/tmp/x86pc-ide-XXXXXX";
    int fd = mkstemp(path);
    uint64_t size = (1ull << 28) * 512 + (1 << 20);
    bool sparse = ftruncate(fd, (off_t)size) == 0;
    uint8_t mark[512];
    memset(mark, 0x77, sizeof mark);
    sparse = sparse && pwrite(fd, mark, 512, (off_t)((1ull << 28) + 5) * 512) == 512;
    close(fd);
    if (sparse) {
        IdeFx *f = fx_new(0, 0, BLOCK_DISK);
        char err[256];
        EXPECT_EQ(block_open(&f->disk, path, BLOCK_DISK, err, sizeof err), 0);
        ide_attach_disk(&f->ide[0], 0, &f->disk);
        dt_outb(&f->bus, P0 + 7, 0xEC);
        settle(f);
        uint8_t id[512];
        read_words(f, P0, id, 512);
        EXPECT_EQ(id_word(id, 60) | (uint32_t)id_word(id, 61) << 16, 0x0FFFFFFF);
        EXPECT_EQ(id_word(id, 101), ((1u << 28) + 2048) >> 16);
        EXPECT_EQ(id_word(id, 1), 16383);
        lba48_cmd(f, P0, (1ull << 28) + 5, 1, 0x24);
        settle(f);
        uint8_t buf[512];
        read_words(f, P0, buf, 512);
        EXPECT_EQ(buf[0], 0x77);
        EXPECT_EQ(dt_inb(&f->bus, P0 + 7), 0x50);
        block_close(&f->disk);
        fx_free(f);
    }
    unlink(path);
}

TEST(ide, chs_and_initialize_device_parameters)
{
    IdeFx *f = fx_new(2048, 0, BLOCK_DISK); /* 2 cylinders of 16 heads x 63 */
    /* C/H/S 1/2/3 -> LBA (1 * 16 + 2) * 63 + 2 = 1136 */
    dt_outb(&f->bus, P0 + 6, 0xA2);
    dt_outb(&f->bus, P0 + 2, 1);
    dt_outb(&f->bus, P0 + 3, 3);
    dt_outb(&f->bus, P0 + 4, 1);
    dt_outb(&f->bus, P0 + 5, 0);
    dt_outb(&f->bus, P0 + 7, 0x20);
    settle(f);
    uint8_t buf[512];
    read_words(f, P0, buf, 512);
    EXPECT_EQ(buf[0], disk_pattern(1136 * 512));
    /* sector 0 is not a CHS address */
    dt_outb(&f->bus, P0 + 3, 0);
    dt_outb(&f->bus, P0 + 7, 0x20);
    settle(f);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 7), 0x51);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 1) & 0x10, 0x10);
    /* translate to 4 heads of 32 sectors: C/H/S 2/1/5 -> (2 * 4 + 1) * 32 + 4 = 292 */
    dt_outb(&f->bus, P0 + 6, 0xA3);
    dt_outb(&f->bus, P0 + 2, 32);
    dt_outb(&f->bus, P0 + 7, 0x91);
    settle(f);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 7), 0x50);
    dt_outb(&f->bus, P0 + 6, 0xA1);
    dt_outb(&f->bus, P0 + 2, 1);
    dt_outb(&f->bus, P0 + 3, 5);
    dt_outb(&f->bus, P0 + 4, 2);
    dt_outb(&f->bus, P0 + 5, 0);
    dt_outb(&f->bus, P0 + 7, 0x20);
    settle(f);
    read_words(f, P0, buf, 512);
    EXPECT_EQ(buf[0], disk_pattern(292 * 512));
    dt_outb(&f->bus, P0 + 7, 0xEC);
    settle(f);
    uint8_t id[512];
    read_words(f, P0, id, 512);
    EXPECT_EQ(id_word(id, 54), 2048 / (4 * 32));
    EXPECT_EQ(id_word(id, 55), 4);
    EXPECT_EQ(id_word(id, 56), 32);
    fx_free(f);
}

TEST(ide, errors_nien_power_and_features)
{
    IdeFx *f = fx_new(2048, 0, BLOCK_DISK);
    lba28_cmd(f, P0, 0, 2047, 2, 0x20); /* runs off the end */
    settle(f);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 7), 0x51);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 1), 0x10);
    dt_outb(&f->bus, P0 + 7, 0xB0); /* SMART: not supported */
    settle(f);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 7), 0x51);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 1), 0x04);
    /* with nIEN the line stays low, the status still completes */
    int rises = f->irq14.rises;
    dt_outb(&f->bus, C0, 0x02);
    dt_outb(&f->bus, P0 + 7, 0xE0); /* STANDBY IMMEDIATE */
    settle(f);
    EXPECT_EQ(f->irq14.rises, rises);
    EXPECT_EQ(dt_inb(&f->bus, C0), 0x50);
    dt_outb(&f->bus, P0 + 7, 0xE5); /* CHECK POWER MODE */
    settle(f);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 2), 0x00);
    /* clearing nIEN with the interrupt still pending asserts the line */
    dt_outb(&f->bus, C0, 0x00);
    EXPECT_EQ(f->irq14.level, 1);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 7), 0x50);
    EXPECT_EQ(f->irq14.level, 0);
    dt_outb(&f->bus, P0 + 7, 0xE1); /* IDLE IMMEDIATE */
    settle(f);
    dt_outb(&f->bus, P0 + 7, 0xE5);
    settle(f);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 2), 0xFF);
    /* SET FEATURES: MWDMA2 shows in word 63; a bad mode aborts */
    dt_outb(&f->bus, P0 + 1, 0x03);
    dt_outb(&f->bus, P0 + 2, 0x22);
    dt_outb(&f->bus, P0 + 7, 0xEF);
    settle(f);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 7), 0x50);
    dt_outb(&f->bus, P0 + 2, 0x77);
    dt_outb(&f->bus, P0 + 7, 0xEF);
    settle(f);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 7), 0x51);
    dt_outb(&f->bus, P0 + 7, 0xEC);
    settle(f);
    uint8_t id[512];
    read_words(f, P0, id, 512);
    EXPECT_EQ(id_word(id, 63), 0x0407);
    /* SEEK and RECALIBRATE */
    dt_outb(&f->bus, P0 + 7, 0x70);
    settle(f);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 7), 0x50);
    dt_outb(&f->bus, P0 + 7, 0x10);
    settle(f);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 7), 0x50);
    fx_free(f);
}

/* ---- ATAPI ---- */

/* Sends a PACKET command with PIO and the byte count limit; returns after the packet. */
static void packet(IdeFx *f, const uint8_t cdb[12], uint16_t limit, bool dma)
{
    dt_outb(&f->bus, P1 + 6, 0xA0);
    dt_outb(&f->bus, P1 + 1, dma ? 1 : 0);
    dt_outb(&f->bus, P1 + 4, (uint8_t)limit);
    dt_outb(&f->bus, P1 + 5, (uint8_t)(limit >> 8));
    dt_outb(&f->bus, P1 + 7, 0xA0);
    settle(f);
    for (int i = 0; i < 12; i += 2) {
        outw(f, P1, (uint16_t)(cdb[i] | cdb[i + 1] << 8));
    }
}

/* Reads a PIO PACKET command's data (all windows) into buf; returns the byte count. */
static int packet_data(IdeFx *f, uint8_t *buf, int max, int *windows)
{
    int n = 0;
    *windows = 0;
    for (;;) {
        settle(f);
        uint8_t st = dt_inb(&f->bus, P1 + 7);
        if (!(st & 0x08)) {
            return n;
        }
        EXPECT_EQ(dt_inb(&f->bus, P1 + 2), 0x02); /* IO, data */
        int w = dt_inb(&f->bus, P1 + 4) | dt_inb(&f->bus, P1 + 5) << 8;
        (*windows)++;
        for (int i = 0; i < w; i += 2) {
            uint16_t v = inw(f, P1);
            if (n + i < max) {
                buf[n + i] = (uint8_t)v;
            }
            if (n + i + 1 < max) {
                buf[n + i + 1] = (uint8_t)(v >> 8);
            }
        }
        n += w;
    }
}

TEST(atapi, identify_and_signature)
{
    IdeFx *f = fx_new(0, 64, BLOCK_DISK);
    dt_outb(&f->bus, P1 + 6, 0xA0);
    dt_outb(&f->bus, P1 + 7, 0xEC); /* IDENTIFY DEVICE: aborted, with the signature */
    settle(f);
    EXPECT_EQ(dt_inb(&f->bus, P1 + 7), 0x41);
    EXPECT_EQ(dt_inb(&f->bus, P1 + 1), 0x04);
    EXPECT_EQ(dt_inb(&f->bus, P1 + 4), 0x14);
    EXPECT_EQ(dt_inb(&f->bus, P1 + 5), 0xEB);
    dt_outb(&f->bus, P1 + 7, 0xA1);
    settle(f);
    EXPECT_EQ(dt_inb(&f->bus, P1 + 7), 0x58);
    uint8_t id[512];
    read_words(f, P1, id, 512);
    EXPECT_EQ(id_word(id, 0), 0x85C0);
    EXPECT_EQ(id_word(id, 49) & 0x0300, 0x0300);
    EXPECT_TRUE(memcmp(id + 54, "8XP6 CDCR-MO", 12) == 0);
    EXPECT_EQ(dt_inb(&f->bus, P1 + 7) & 0x89, 0x00);
    fx_free(f);
}

TEST(atapi, tur_capacity_read10_sense_toc)
{
    IdeFx *f = fx_new(0, 100, BLOCK_DISK);
    uint8_t buf[8192];
    int windows;
    uint8_t tur[12] = {0x00};
    packet(f, tur, 0, false);
    EXPECT_EQ(dt_inb(&f->bus, C1), 0x80);
    settle(f);
    EXPECT_EQ(dt_inb(&f->bus, P1 + 7), 0x50);
    EXPECT_EQ(dt_inb(&f->bus, P1 + 2), 0x03); /* IO, CoD: status */
    EXPECT_EQ(f->irq15.rises, 1);

    uint8_t cap[12] = {0x25};
    packet(f, cap, 8, false);
    EXPECT_EQ(packet_data(f, buf, sizeof buf, &windows), 8);
    EXPECT_EQ(buf[3], 99);   /* last LBA */
    EXPECT_EQ(buf[6], 0x08); /* 2048 */
    EXPECT_EQ(dt_inb(&f->bus, P1 + 7), 0x50);

    /* READ(10) of 3 sectors with a 2048-byte limit: three windows, three interrupts */
    int rises = f->irq15.rises;
    uint8_t rd[12] = {0x28, 0, 0, 0, 0, 17, 0, 0, 3};
    packet(f, rd, 2048, false);
    EXPECT_EQ(packet_data(f, buf, sizeof buf, &windows), 3 * 2048);
    EXPECT_EQ(windows, 3);
    EXPECT_EQ(f->irq15.rises, rises + 4);
    EXPECT_EQ(buf[0], cd_pattern(17 * 2048));
    EXPECT_EQ(buf[2 * 2048 + 100], cd_pattern(19 * 2048 + 100));
    EXPECT_EQ(dt_inb(&f->bus, P1 + 2), 0x03);
    /* an odd limit gives even windows */
    uint8_t rd1[12] = {0x28, 0, 0, 0, 0, 5, 0, 0, 1};
    packet(f, rd1, 1001, false);
    EXPECT_EQ(packet_data(f, buf, sizeof buf, &windows), 2048);
    EXPECT_EQ(windows, 3); /* 1000, 1000, 48 */
    EXPECT_EQ(buf[2047], cd_pattern(5 * 2048 + 2047));
    /* READ(12) beyond the disc: ILLEGAL REQUEST, LBA out of range */
    uint8_t rd12[12] = {0xA8, 0, 0, 0, 0, 99, 0, 0, 0, 2};
    packet(f, rd12, 2048, false);
    settle(f);
    EXPECT_EQ(dt_inb(&f->bus, P1 + 7), 0x41);
    EXPECT_EQ(dt_inb(&f->bus, P1 + 1), 0x54);
    uint8_t rs[12] = {0x03, 0, 0, 0, 18};
    packet(f, rs, 18, false);
    EXPECT_EQ(packet_data(f, buf, sizeof buf, &windows), 18);
    EXPECT_EQ(buf[0], 0x70);
    EXPECT_EQ(buf[2], 0x05);
    EXPECT_EQ(buf[12], 0x21);
    /* an unknown opcode */
    uint8_t bad[12] = {0xEE};
    packet(f, bad, 2048, false);
    settle(f);
    EXPECT_EQ(dt_inb(&f->bus, P1 + 7), 0x41);
    packet(f, rs, 18, false);
    packet_data(f, buf, sizeof buf, &windows);
    EXPECT_EQ(buf[12], 0x20);
    packet(f, rs, 18, false); /* the sense was consumed */
    packet_data(f, buf, sizeof buf, &windows);
    EXPECT_EQ(buf[2], 0x00);

    /* READ TOC format 0 in LBA and MSF */
    uint8_t toc[12] = {0x43, 0, 0, 0, 0, 0, 0, 0, 100};
    packet(f, toc, 100, false);
    EXPECT_EQ(packet_data(f, buf, sizeof buf, &windows), 20);
    EXPECT_EQ(buf[1], 18);
    EXPECT_EQ(buf[2], 1);
    EXPECT_EQ(buf[3], 1);
    EXPECT_EQ(buf[5], 0x14);
    EXPECT_EQ(buf[6], 1);
    EXPECT_EQ(buf[14], 0xAA);
    EXPECT_EQ(buf[19], 100);
    toc[1] = 0x02;
    packet(f, toc, 100, false);
    EXPECT_EQ(packet_data(f, buf, sizeof buf, &windows), 20);
    EXPECT_EQ(buf[9], 0); /* 00:02:00 */
    EXPECT_EQ(buf[10], 2);
    EXPECT_EQ(buf[11], 0);
    EXPECT_EQ(buf[17], 0); /* lead-out 100 + 150 = 250 frames = 00:03:25 */
    EXPECT_EQ(buf[18], 3);
    EXPECT_EQ(buf[19], 25);
    uint8_t toc1[12] = {0x43, 0, 1, 0, 0, 0, 0, 0, 12};
    packet(f, toc1, 100, false);
    EXPECT_EQ(packet_data(f, buf, sizeof buf, &windows), 12);
    EXPECT_EQ(buf[1], 10);
    EXPECT_EQ(buf[6], 1);
    /* MODE SENSE(10) capabilities page, INQUIRY */
    uint8_t ms[12] = {0x5A, 0, 0x2A, 0, 0, 0, 0, 0, 64};
    packet(f, ms, 64, false);
    EXPECT_EQ(packet_data(f, buf, sizeof buf, &windows), 30);
    EXPECT_EQ(buf[1], 28);
    EXPECT_EQ(buf[8], 0x2A);
    EXPECT_EQ(buf[9], 0x14);
    uint8_t inq[12] = {0x12, 0, 0, 0, 36};
    packet(f, inq, 36, false);
    EXPECT_EQ(packet_data(f, buf, sizeof buf, &windows), 36);
    EXPECT_EQ(buf[0], 0x05);
    EXPECT_EQ(buf[1], 0x80);
    EXPECT_TRUE(memcmp(buf + 8, "X86PC", 5) == 0);
    /* READ TRACK INFORMATION of track 1, READ DISC INFORMATION */
    uint8_t ti[12] = {0x52, 1, 0, 0, 0, 1, 0, 0, 36};
    packet(f, ti, 36, false);
    EXPECT_EQ(packet_data(f, buf, sizeof buf, &windows), 36);
    EXPECT_EQ(buf[2], 1);
    EXPECT_EQ(buf[27], 100); /* track size */
    ti[5] = 2;
    packet(f, ti, 36, false);
    settle(f);
    EXPECT_EQ(dt_inb(&f->bus, P1 + 7), 0x41);
    uint8_t di[12] = {0x51, 0, 0, 0, 0, 0, 0, 0, 34};
    packet(f, di, 34, false);
    EXPECT_EQ(packet_data(f, buf, sizeof buf, &windows), 34);
    EXPECT_EQ(buf[2], 0x0E);
    /* GET CONFIGURATION: current profile CD-ROM */
    uint8_t gc[12] = {0x46, 0, 0, 0, 0, 0, 0, 0, 8};
    packet(f, gc, 8, false);
    EXPECT_EQ(packet_data(f, buf, sizeof buf, &windows), 8);
    EXPECT_EQ(buf[7], 0x08);
    fx_free(f);
}

TEST(atapi, media_change_and_no_disc)
{
    IdeFx *f = fx_new(0, 64, BLOCK_DISK);
    uint8_t buf[64];
    int windows;
    uint8_t tur[12] = {0x00};
    uint8_t rs[12] = {0x03, 0, 0, 0, 18};
    uint8_t ev[12] = {0x4A, 1, 0, 0, 0x10, 0, 0, 0, 8};
    packet(f, tur, 0, false);
    settle(f);
    EXPECT_EQ(dt_inb(&f->bus, P1 + 7), 0x50);
    /* the disc goes away */
    ide_cdrom_change(&f->ide[1], 0, NULL);
    packet(f, ev, 8, false);
    EXPECT_EQ(packet_data(f, buf, sizeof buf, &windows), 8);
    EXPECT_EQ(buf[4], 3); /* media removal */
    EXPECT_EQ(buf[5], 0);
    packet(f, tur, 0, false);
    settle(f);
    EXPECT_EQ(dt_inb(&f->bus, P1 + 7), 0x41);
    EXPECT_EQ(dt_inb(&f->bus, P1 + 1) >> 4, 0x06); /* unit attention first */
    packet(f, tur, 0, false);
    settle(f);
    EXPECT_EQ(dt_inb(&f->bus, P1 + 1) >> 4, 0x02); /* then not ready */
    packet(f, rs, 18, false);
    packet_data(f, buf, sizeof buf, &windows);
    EXPECT_EQ(buf[2], 0x02);
    EXPECT_EQ(buf[12], 0x3A);
    /* and comes back */
    ide_cdrom_change(&f->ide[1], 0, &f->cd);
    packet(f, rs, 18, false);
    packet_data(f, buf, sizeof buf, &windows);
    EXPECT_EQ(buf[2], 0x06);
    EXPECT_EQ(buf[12], 0x28);
    packet(f, tur, 0, false);
    settle(f);
    EXPECT_EQ(dt_inb(&f->bus, P1 + 7), 0x50);
    packet(f, ev, 8, false);
    packet_data(f, buf, sizeof buf, &windows);
    EXPECT_EQ(buf[4], 2); /* new media */
    EXPECT_EQ(buf[5], 2); /* present */
    /* locked: eject refused */
    uint8_t lock[12] = {0x1E, 0, 0, 0, 1};
    uint8_t eject[12] = {0x1B, 0, 0, 0, 2};
    packet(f, lock, 0, false);
    settle(f);
    packet(f, eject, 0, false);
    settle(f);
    EXPECT_EQ(dt_inb(&f->bus, P1 + 7), 0x41);
    fx_free(f);

    /* a drive with no disc at all */
    f = fx_new(0, -1, BLOCK_DISK);
    packet(f, tur, 0, false);
    settle(f);
    EXPECT_EQ(dt_inb(&f->bus, P1 + 7), 0x41);
    packet(f, rs, 18, false);
    packet_data(f, buf, sizeof buf, &windows);
    EXPECT_EQ(buf[12], 0x3A);
    fx_free(f);
}

/* ---- PIIX3 IDE function and bus master DMA ---- */

static uint32_t cfg_read(IdeFx *f, uint8_t reg, unsigned size)
{
    return pci_config_read(&f->pci.bus, PIIX_IDE_DEVFN, reg, size);
}

static void cfg_write(IdeFx *f, uint8_t reg, uint32_t v, unsigned size)
{
    pci_config_write(&f->pci.bus, PIIX_IDE_DEVFN, reg, v, size);
}

static void bm_setup(IdeFx *f)
{
    cfg_write(f, 0x20, BMBASE, 4);
    cfg_write(f, 0x04, PCI_COMMAND_IO | PCI_COMMAND_MASTER, 2);
}

static void put32(IdeFx *f, uint32_t addr, uint32_t v)
{
    memcpy(f->bus.ram + addr, &v, 4);
}

TEST(piix_ide, config_space_and_bar4)
{
    IdeFx *f = fx_new(0, 0, BLOCK_DISK);
    EXPECT_EQ(cfg_read(f, 0x00, 4), 0x70108086u);
    EXPECT_EQ(cfg_read(f, 0x08, 4), 0x01018000u);
    EXPECT_EQ(cfg_read(f, 0x0E, 1), 0x00);
    EXPECT_EQ(cfg_read(f, 0x20, 4), 0x00000001u);
    cfg_write(f, 0x20, 0xFFFFFFFFu, 4);
    EXPECT_EQ(cfg_read(f, 0x20, 4), 0xFFFFFFF1u); /* 16 bytes of I/O */
    cfg_write(f, 0x10, 0xFFFFFFFFu, 4);
    EXPECT_EQ(cfg_read(f, 0x10, 4), 0); /* no BAR0-3 in compatibility mode */
    cfg_write(f, 0x40, 0x8000A307u, 4);
    EXPECT_EQ(cfg_read(f, 0x40, 4), 0x8000A307u);
    /* BAR4 decoded once I/O is enabled, and it moves */
    cfg_write(f, 0x20, BMBASE, 4);
    EXPECT_EQ(dt_inb(&f->bus, BMBASE + 2), 0xFF);
    cfg_write(f, 0x04, PCI_COMMAND_IO, 2);
    EXPECT_EQ(dt_inb(&f->bus, BMBASE + 2), 0x00);
    dt_outb(&f->bus, BMBASE + 2, 0x60);
    EXPECT_EQ(dt_inb(&f->bus, BMBASE + 2), 0x60);
    bus_pio_write(&f->bus, BMBASE + 4, 0x12345677, 4);
    EXPECT_EQ(bus_pio_read(&f->bus, BMBASE + 4, 4), 0x12345674u);
    cfg_write(f, 0x20, 0xD000, 4);
    EXPECT_EQ(dt_inb(&f->bus, BMBASE + 2), 0xFF);
    EXPECT_EQ(dt_inb(&f->bus, 0xD002), 0x60);
    cfg_write(f, 0x04, 0, 2);
    EXPECT_EQ(dt_inb(&f->bus, 0xD002), 0xFF);
    /* legacy ports stay decoded with I/O off (compatibility mode) */
    EXPECT_EQ(dt_inb(&f->bus, P0 + 7), 0x7F);
    fx_free(f);
}

TEST(piix_ide, ata_dma_read_and_write)
{
    IdeFx *f = fx_new(2048, 0, BLOCK_DISK);
    bm_setup(f);
    /* PRD table at 0x1000: 512 bytes to 0x20000, then 1024 bytes to 0x30000 (EOT) */
    put32(f, 0x1000, 0x20000);
    put32(f, 0x1004, 512);
    put32(f, 0x1008, 0x30000);
    put32(f, 0x100C, 0x80000000u | 1024);
    bus_pio_write(&f->bus, BMBASE + 4, 0x1000, 4);
    dt_outb(&f->bus, BMBASE + 0, 0x08); /* to memory */
    dt_outb(&f->bus, BMBASE + 2, 0x06); /* clear error and interrupt */
    lba28_cmd(f, P0, 0, 50, 3, 0xC8);
    settle(f);
    /* the bus master is not started yet: the drive waits */
    EXPECT_EQ(f->irq14.rises, 0);
    EXPECT_EQ(dt_inb(&f->bus, C0) & 0x80, 0x80);
    dt_outb(&f->bus, BMBASE + 0, 0x09);
    EXPECT_EQ(dt_inb(&f->bus, BMBASE + 2) & 0x01, 0x01);
    settle(f);
    EXPECT_EQ(f->irq14.rises, 1);
    EXPECT_EQ(dt_inb(&f->bus, BMBASE + 2), 0x04); /* interrupt; table consumed: not active */
    dt_outb(&f->bus, BMBASE + 0, 0x08);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 7), 0x50);
    EXPECT_EQ(f->bus.ram[0x20000], disk_pattern(50 * 512));
    EXPECT_EQ(f->bus.ram[0x201FF], disk_pattern(50 * 512 + 511));
    EXPECT_EQ(f->bus.ram[0x30000], disk_pattern(51 * 512));
    EXPECT_EQ(f->bus.ram[0x303FF], disk_pattern(52 * 512 + 511));
    dt_outb(&f->bus, BMBASE + 2, 0x04);
    EXPECT_EQ(dt_inb(&f->bus, BMBASE + 2), 0x00);

    /* WRITE DMA EXT of 2 sectors from one region, started before the command; the region is
     * larger than the transfer, so the master stays active */
    memset(f->bus.ram + 0x40000, 0x5E, 1024);
    put32(f, 0x1100, 0x40000);
    put32(f, 0x1104, 0x80000000u | 0); /* 64 KB */
    bus_pio_write(&f->bus, BMBASE + 4, 0x1100, 4);
    dt_outb(&f->bus, BMBASE + 0, 0x01); /* from memory, start */
    lba48_cmd(f, P0, 60, 2, 0x35);
    settle(f);
    EXPECT_EQ(f->irq14.rises, 2);
    EXPECT_EQ(dt_inb(&f->bus, BMBASE + 2), 0x05);
    dt_outb(&f->bus, BMBASE + 0, 0x00);
    EXPECT_EQ(dt_inb(&f->bus, BMBASE + 2), 0x04);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 7), 0x50);
    uint8_t b[1024];
    EXPECT_EQ(block_read(&f->disk, 60 * 512, b, 1024), 0);
    EXPECT_EQ(b[0], 0x5E);
    EXPECT_EQ(b[1023], 0x5E);
    EXPECT_EQ(block_read(&f->disk, 62 * 512, b, 1), 0);
    EXPECT_EQ(b[0], disk_pattern(62 * 512));

    /* a PRD table too short for the command: error bits */
    put32(f, 0x1200, 0x50000);
    put32(f, 0x1204, 0x80000000u | 512);
    bus_pio_write(&f->bus, BMBASE + 4, 0x1200, 4);
    dt_outb(&f->bus, BMBASE + 2, 0x06);
    dt_outb(&f->bus, BMBASE + 0, 0x09);
    lba28_cmd(f, P0, 0, 0, 2, 0xC8);
    settle(f);
    EXPECT_EQ(dt_inb(&f->bus, BMBASE + 2), 0x06);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 7) & 0x01, 0x01);
    EXPECT_EQ(f->bus.ram[0x50000], disk_pattern(0));
    fx_free(f);
}

TEST(piix_ide, atapi_dma_read)
{
    IdeFx *f = fx_new(0, 64, BLOCK_DISK);
    bm_setup(f);
    put32(f, 0x2000, 0x60000);
    put32(f, 0x2004, 0x80000000u | 4096);
    bus_pio_write(&f->bus, BMBASE + 8 + 4, 0x2000, 4);
    dt_outb(&f->bus, BMBASE + 8 + 2, 0x06);
    dt_outb(&f->bus, BMBASE + 8 + 0, 0x09);
    uint8_t rd[12] = {0x28, 0, 0, 0, 0, 30, 0, 0, 2};
    packet(f, rd, 0, true);
    settle(f);
    EXPECT_EQ(f->irq15.rises, 1);
    EXPECT_EQ(dt_inb(&f->bus, BMBASE + 8 + 2), 0x04);
    EXPECT_EQ(dt_inb(&f->bus, P1 + 7), 0x50);
    EXPECT_EQ(dt_inb(&f->bus, P1 + 2), 0x03);
    EXPECT_EQ(f->bus.ram[0x60000], cd_pattern(30 * 2048));
    EXPECT_EQ(f->bus.ram[0x60FFF], cd_pattern(31 * 2048 + 2047));
    /* bus master enable off in the PCI command register: the drive waits */
    cfg_write(f, 0x04, PCI_COMMAND_IO, 2);
    dt_outb(&f->bus, BMBASE + 8 + 0, 0x08);
    dt_outb(&f->bus, BMBASE + 8 + 2, 0x06);
    dt_outb(&f->bus, BMBASE + 8 + 0, 0x09);
    packet(f, rd, 0, true);
    settle(f);
    EXPECT_EQ(f->irq15.rises, 1);
    fx_free(f);
}

TEST(ide, snapshot_mode_keeps_the_file)
{
    IdeFx *f = fx_new(2048, 0, BLOCK_DISK | BLOCK_SNAPSHOT);
    lba28_cmd(f, P0, 0, 3, 1, 0x30);
    settle(f);
    for (int i = 0; i < 256; i++) {
        outw(f, P0, 0x4242);
    }
    settle(f);
    EXPECT_EQ(dt_inb(&f->bus, P0 + 7), 0x50);
    lba28_cmd(f, P0, 0, 3, 1, 0x20);
    settle(f);
    uint8_t buf[512];
    read_words(f, P0, buf, 512);
    EXPECT_EQ(buf[0], 0x42);
    dt_outb(&f->bus, P0 + 7, 0xE7);
    settle(f);
    FILE *fp = fopen(f->disk_path, "rb");
    fseek(fp, 3 * 512, SEEK_SET);
    EXPECT_EQ(fgetc(fp), disk_pattern(3 * 512));
    fclose(fp);
    EXPECT_EQ(block_overlay_next(&f->disk, 0), 0);
    fx_free(f);
}

TEST(ide, snapshot_round_trip_mid_transfer)
{
    /* machine A: a 3-sector PIO read, one sector taken; saved with its timer armed */
    IdeFx *a = fx_new(2048, 64, BLOCK_DISK);
    bm_setup(a);
    lba28_cmd(a, P0, 0, 200, 3, 0x20);
    settle(a);
    uint8_t sa[512], sb[512];
    EXPECT_EQ(dt_inb(&a->bus, P0 + 7), 0x58);
    read_words(a, P0, sa, 512);
    EXPECT_TRUE(timer_pending(&a->ide[0].timer));
    SnapTarget ta = {&a->snap, a->bus.ram, a->bus.ram_size, "ide-test\n", 9};
    uint8_t *img = NULL;
    size_t len = 0;
    char err[256];
    EXPECT_EQ(snapshot_save_mem(&ta, &img, &len, err, sizeof err), 0);
    /* machine B on the same images loads it and goes on exactly as A does */
    IdeFx *b = fx_new(0, 0, BLOCK_DISK);
    ide_attach_disk(&b->ide[0], 0, &a->disk);
    ide_attach_cdrom(&b->ide[1], 0, &a->cd);
    SnapTarget tb = {&b->snap, b->bus.ram, b->bus.ram_size, "ide-test\n", 9};
    b->clock.ticks = a->clock.ticks; /* the clock is the board's section */
    EXPECT_EQ(snapshot_load_mem(&tb, img, len, err, sizeof err), 0);
    for (int s = 1; s < 3; s++) {
        settle(a);
        settle(b);
        EXPECT_EQ(dt_inb(&a->bus, P0 + 7), 0x58);
        EXPECT_EQ(dt_inb(&b->bus, P0 + 7), 0x58);
        read_words(a, P0, sa, 512);
        read_words(b, P0, sb, 512);
        EXPECT_TRUE(memcmp(sa, sb, 512) == 0);
        EXPECT_EQ(sb[0], disk_pattern((200 + s) * 512));
    }
    EXPECT_EQ(dt_inb(&b->bus, P0 + 7), 0x50);
    EXPECT_EQ(b->irq14.rises, 2); /* the line followed INTRQ after the load */
    /* the bus master registers came back at the BAR4 address of the PCI configuration */
    EXPECT_EQ(dt_inb(&b->bus, BMBASE + 2), dt_inb(&a->bus, BMBASE + 2));
    EXPECT_EQ(dt_inb(&b->bus, BMBASE + 2), 0x04); /* IDE interrupt seen */
    /* save, load, save gives the same bytes */
    uint8_t *img2 = NULL;
    size_t len2 = 0;
    EXPECT_EQ(snapshot_load_mem(&tb, img, len, err, sizeof err), 0);
    EXPECT_EQ(snapshot_save_mem(&tb, &img2, &len2, err, sizeof err), 0);
    EXPECT_EQ(len2, len);
    EXPECT_TRUE(len2 == len && memcmp(img, img2, len) == 0);
    free(img);
    free(img2);
    b->has_disk = b->has_cd = false; /* a's */
    fx_free(b);
    fx_free(a);
}
