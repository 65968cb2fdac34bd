/* The disk image backend: the error messages for unusable images, reads and writes that reach
 * the file and survive a reopen, and the -snapshot overlay that keeps the file untouched and can
 * be enumerated and restored. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/block.h"
#include "tests/unit/test.h"

/* A temporary file of `size` bytes where byte i is (i * 7 + i / 512) & 0xFF. */
static void make_image(char *path, size_t pathlen, uint64_t size)
{
    snprintf(path, pathlen, "/tmp/x86pc-blk-XXXXXX");
    int fd = mkstemp(path);
    uint8_t buf[4096];
    for (uint64_t off = 0; off < size; off += sizeof buf) {
        size_t n = size - off < sizeof buf ? (size_t)(size - off) : sizeof buf;
        for (size_t i = 0; i < n; i++) {
            uint64_t a = off + i;
            buf[i] = (uint8_t)(a * 7 + a / 512);
        }
        if (write(fd, buf, n) != (ssize_t)n) {
            break;
        }
    }
    close(fd);
}

static uint8_t pattern(uint64_t a)
{
    return (uint8_t)(a * 7 + a / 512);
}

static int file_byte(const char *path, uint64_t off)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return -1;
    }
    fseek(f, (long)off, SEEK_SET);
    int c = fgetc(f);
    fclose(f);
    return c;
}

TEST(block, open_errors)
{
    BlockDev b;
    char err[256], path[64];
    EXPECT_EQ(block_open(&b, "/nonexistent/x86pc.img", BLOCK_DISK, err, sizeof err), -1);
    EXPECT_TRUE(strstr(err, "cannot open disk image '/nonexistent/x86pc.img'") != NULL);
    EXPECT_TRUE(strstr(err, "No such file") != NULL);

    make_image(path, sizeof path, 0);
    EXPECT_EQ(block_open(&b, path, BLOCK_DISK, err, sizeof err), -1);
    EXPECT_TRUE(strstr(err, "is empty") != NULL);
    unlink(path);

    make_image(path, sizeof path, 1000);
    EXPECT_EQ(block_open(&b, path, BLOCK_DISK, err, sizeof err), -1);
    EXPECT_TRUE(strstr(err, "not a multiple of 512") != NULL);
    unlink(path);

    make_image(path, sizeof path, 15 * 2048);
    EXPECT_EQ(block_open(&b, path, BLOCK_CDROM, err, sizeof err), -1);
    EXPECT_TRUE(strstr(err, "CD image") != NULL && strstr(err, "too short") != NULL);
    unlink(path);

    EXPECT_EQ(block_open(&b, "/tmp", BLOCK_DISK, err, sizeof err), -1);
    EXPECT_TRUE(strstr(err, "'/tmp'") != NULL && strstr(err, "directory") != NULL);
}

TEST(block, read_write_reach_the_file)
{
    char path[64], err[256];
    make_image(path, sizeof path, 64 * 1024);
    BlockDev b;
    EXPECT_EQ(block_open(&b, path, BLOCK_DISK, err, sizeof err), 0);
    EXPECT_EQ(block_size(&b), 64 * 1024);
    EXPECT_TRUE(!block_read_only(&b));
    uint8_t buf[1024];
    EXPECT_EQ(block_read(&b, 512, buf, 1024), 0);
    EXPECT_EQ(buf[0], pattern(512));
    EXPECT_EQ(buf[1023], pattern(1535));
    /* out of range */
    EXPECT_EQ(block_read(&b, 64 * 1024 - 512, buf, 1024), -1);
    EXPECT_EQ(block_write(&b, 64 * 1024, buf, 1), -1);
    memset(buf, 0xA5, 512);
    EXPECT_EQ(block_write(&b, 2048, buf, 512), 0);
    EXPECT_EQ(block_flush(&b), 0);
    block_close(&b);
    EXPECT_EQ(file_byte(path, 2048), 0xA5);
    EXPECT_EQ(file_byte(path, 2559), 0xA5);
    EXPECT_EQ(file_byte(path, 2560), pattern(2560));
    /* the write survives a reopen */
    EXPECT_EQ(block_open(&b, path, BLOCK_DISK, err, sizeof err), 0);
    EXPECT_EQ(block_read(&b, 2048, buf, 4), 0);
    EXPECT_EQ(buf[3], 0xA5);
    block_close(&b);
    /* read-only and CD images refuse writes */
    EXPECT_EQ(block_open(&b, path, BLOCK_RDONLY, err, sizeof err), 0);
    EXPECT_TRUE(block_read_only(&b));
    EXPECT_EQ(block_write(&b, 0, buf, 4), -1);
    block_close(&b);
    EXPECT_EQ(block_open(&b, path, BLOCK_CDROM, err, sizeof err), 0);
    EXPECT_EQ(block_size(&b), 64 * 1024);
    EXPECT_EQ(block_write(&b, 0, buf, 4), -1);
    block_close(&b);
    unlink(path);
}

TEST(block, snapshot_overlay_leaves_file_alone)
{
    char path[64], err[256];
    uint64_t size = 300 * 1024; /* five chunks, the last one short */
    make_image(path, sizeof path, size);
    BlockDev b;
    EXPECT_EQ(block_open(&b, path, BLOCK_DISK | BLOCK_SNAPSHOT, err, sizeof err), 0);
    EXPECT_TRUE(!block_read_only(&b));
    EXPECT_EQ(block_overlay_next(&b, 0), BLOCK_OVERLAY_END);
    /* a write straddling chunks 0 and 1, and one into the short last chunk */
    uint8_t w[1024];
    memset(w, 0x3C, sizeof w);
    EXPECT_EQ(block_write(&b, 65536 - 512, w, 1024), 0);
    EXPECT_EQ(block_write(&b, size - 512, w, 512), 0);
    uint8_t r[2048];
    EXPECT_EQ(block_read(&b, 65536 - 1024, r, 2048), 0);
    EXPECT_EQ(r[0], pattern(65536 - 1024)); /* unwritten part of the chunk: from the file */
    EXPECT_EQ(r[511], pattern(65536 - 513));
    EXPECT_EQ(r[512], 0x3C);
    EXPECT_EQ(r[1535], 0x3C);
    EXPECT_EQ(r[1536], pattern(65536 + 512));
    EXPECT_EQ(block_read(&b, size - 1024, r, 1024), 0);
    EXPECT_EQ(r[511], pattern(size - 513));
    EXPECT_EQ(r[512], 0x3C);
    /* enumeration: chunks 0, 1 and 4 */
    EXPECT_EQ(block_overlay_next(&b, 0), 0);
    EXPECT_EQ(block_overlay_next(&b, 1), 1);
    EXPECT_EQ(block_overlay_next(&b, 2), 4);
    EXPECT_EQ(block_overlay_next(&b, 5), BLOCK_OVERLAY_END);
    EXPECT_EQ(b.overlay_chunks, 3);
    const uint8_t *c1 = block_overlay_chunk(&b, 1);
    EXPECT_TRUE(c1 != NULL);
    uint8_t saved[BLOCK_CHUNK_SIZE];
    memcpy(saved, c1, BLOCK_CHUNK_SIZE);
    EXPECT_EQ(saved[0], 0x3C);
    EXPECT_EQ(block_flush(&b), 0);
    block_close(&b);
    /* the file is as it was */
    EXPECT_EQ(file_byte(path, 65536), pattern(65536));
    EXPECT_EQ(file_byte(path, size - 1), pattern(size - 1));
    /* a saved chunk loads back into a fresh overlay */
    EXPECT_EQ(block_open(&b, path, BLOCK_DISK | BLOCK_SNAPSHOT, err, sizeof err), 0);
    EXPECT_EQ(block_read(&b, 65536, r, 4), 0);
    EXPECT_EQ(r[0], pattern(65536));
    EXPECT_EQ(block_overlay_load(&b, 1, saved), 0);
    EXPECT_EQ(block_overlay_load(&b, 5, saved), -1);
    EXPECT_EQ(block_read(&b, 65536, r, 4), 0);
    EXPECT_EQ(r[0], 0x3C);
    block_overlay_clear(&b);
    EXPECT_EQ(block_overlay_next(&b, 0), BLOCK_OVERLAY_END);
    EXPECT_EQ(block_read(&b, 65536, r, 4), 0);
    EXPECT_EQ(r[0], pattern(65536));
    block_close(&b);
    unlink(path);
}

TEST(block, snapshot_of_read_only_file)
{
    char path[64], err[256];
    make_image(path, sizeof path, 4096);
    chmod(path, 0444);
    BlockDev b;
    if (getuid() != 0) { /* root can open anything for writing */
        EXPECT_EQ(block_open(&b, path, BLOCK_DISK, err, sizeof err), -1);
        EXPECT_TRUE(strstr(err, "-snapshot") != NULL);
    }
    EXPECT_EQ(block_open(&b, path, BLOCK_DISK | BLOCK_SNAPSHOT, err, sizeof err), 0);
    uint8_t w[512] = {1, 2, 3};
    EXPECT_EQ(block_write(&b, 0, w, 512), 0);
    block_close(&b);
    EXPECT_EQ(file_byte(path, 0), pattern(0));
    unlink(path);
}
