/* PNG encoder (see png.h). Each row is filtered with the Sub filter (type 1), which suits the
 * flat areas of screen pictures, and the whole image is one zlib stream in one IDAT chunk. The
 * file is written to a temporary name and renamed, so a reader never sees half a picture. */
#include "frontend/png.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static int write_chunk(FILE *f, const char *type, const uint8_t *data, size_t len)
{
    uint8_t hdr[8];
    put_be32(hdr, (uint32_t)len);
    memcpy(hdr + 4, type, 4);
    uLong crc = crc32(0L, hdr + 4, 4);
    size_t done = 0;
    while (done < len) { /* crc32 takes uInt lengths */
        size_t step = len - done > 0x40000000u ? 0x40000000u : len - done;
        crc = crc32(crc, data + done, (uInt)step);
        done += step;
    }
    uint8_t tail[4];
    put_be32(tail, (uint32_t)crc);
    if (fwrite(hdr, 1, 8, f) != 8 || (len && fwrite(data, 1, len, f) != len) ||
        fwrite(tail, 1, 4, f) != 4) {
        return -1;
    }
    return 0;
}

int png_write_rgb(const char *path, const uint32_t *pix, int w, int h, char *err, size_t errlen)
{
    if (w <= 0 || h <= 0) {
        snprintf(err, errlen, "empty picture");
        return -1;
    }
    size_t stride = (size_t)w * 3 + 1;
    size_t rawlen = stride * (size_t)h;
    uint8_t *raw = malloc(rawlen);
    uLongf zlen = compressBound((uLong)rawlen);
    uint8_t *z = malloc(zlen);
    if (!raw || !z) {
        free(raw);
        free(z);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int y = 0; y < h; y++) {
        uint8_t *r = raw + (size_t)y * stride;
        const uint32_t *src = pix + (size_t)y * (size_t)w;
        r[0] = 1; /* Sub: each byte minus the same component of the pixel to its left */
        uint8_t prev[3] = {0, 0, 0};
        for (int x = 0; x < w; x++) {
            uint8_t c[3] = {(uint8_t)(src[x] >> 16), (uint8_t)(src[x] >> 8), (uint8_t)src[x]};
            for (int k = 0; k < 3; k++) {
                r[1 + x * 3 + k] = (uint8_t)(c[k] - prev[k]);
                prev[k] = c[k];
            }
        }
    }
    int zrc = compress2(z, &zlen, raw, (uLong)rawlen, 6);
    free(raw);
    if (zrc != Z_OK) {
        free(z);
        snprintf(err, errlen, "zlib could not compress the picture");
        return -1;
    }
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
        free(z);
        snprintf(err, errlen, "file name too long");
        return -1;
    }
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        snprintf(err, errlen, "cannot create '%s': %s", tmp, strerror(errno));
        free(z);
        return -1;
    }
    static const uint8_t kSig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    uint8_t ihdr[13];
    put_be32(ihdr, (uint32_t)w);
    put_be32(ihdr + 4, (uint32_t)h);
    ihdr[8] = 8;  /* bit depth */
    ihdr[9] = 2;  /* colour type: RGB */
    ihdr[10] = 0; /* deflate */
    ihdr[11] = 0; /* adaptive filtering */
    ihdr[12] = 0; /* no interlace */
    int bad = fwrite(kSig, 1, 8, f) != 8 || write_chunk(f, "IHDR", ihdr, sizeof ihdr) ||
              write_chunk(f, "IDAT", z, zlen) || write_chunk(f, "IEND", NULL, 0);
    free(z);
    if (fclose(f) != 0) {
        bad = 1;
    }
    if (bad || rename(tmp, path) != 0) {
        snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
        remove(tmp);
        return -1;
    }
    return 0;
}
