/* Raw disk and CD images on host files (see block.h). Plain files are read and written with
 * pread/pwrite at the guest's offsets; -snapshot redirects writes into a copy-on-write overlay of
 * 64 KB chunks kept in a two-level table (a directory of 1024-entry leaves, allocated on first
 * write), so the image file is only ever read. Nothing here reads host time.
 */
#define _GNU_SOURCE
#include "devices/block.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mmu/log.h"

#define LEAF_ENTRIES (1u << BLOCK_LEAF_BITS)
#define CD_SECTOR 2048u
#define CD_MIN_SECTORS 16u

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

int block_open(BlockDev *b, const char *path, unsigned flags, char *err, size_t errlen)
{
    memset(b, 0, sizeof *b);
    b->fd = -1;
    b->flags = flags;
    bool cd = flags & BLOCK_CDROM;
    const char *what = cd ? "CD image" : "disk image";
    snprintf(b->path, sizeof b->path, "%s", path);
    bool want_write = !cd && !(flags & (BLOCK_RDONLY | BLOCK_SNAPSHOT));
    int fd = open(path, (want_write ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (fd < 0) {
        if (want_write && (errno == EACCES || errno == EROFS) && access(path, R_OK) == 0) {
            set_err(err, errlen, "cannot open %s '%s' for writing: %s (use -snapshot)", what, path,
                    strerror(errno));
        } else {
            set_err(err, errlen, "cannot open %s '%s': %s", what, path, strerror(errno));
        }
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        set_err(err, errlen, "cannot stat %s '%s': %s", what, path, strerror(errno));
        close(fd);
        return -1;
    }
    uint64_t size;
    if (S_ISREG(st.st_mode)) {
        size = (uint64_t)st.st_size;
    } else if (S_ISBLK(st.st_mode)) {
        off_t end = lseek(fd, 0, SEEK_END);
        size = end > 0 ? (uint64_t)end : 0;
    } else {
        set_err(err, errlen, "%s '%s' is not a regular file", what, path);
        close(fd);
        return -1;
    }
    /* one probe read: catches files that open but cannot be read (directories were refused) */
    uint8_t probe[512];
    if (size && pread(fd, probe, sizeof probe < size ? sizeof probe : size, 0) < 0) {
        set_err(err, errlen, "cannot read %s '%s': %s", what, path, strerror(errno));
        close(fd);
        return -1;
    }
    if (size == 0) {
        set_err(err, errlen, "%s '%s' is empty", what, path);
        close(fd);
        return -1;
    }
    if (cd) {
        if (size < (uint64_t)CD_MIN_SECTORS * CD_SECTOR) {
            set_err(err, errlen,
                    "CD image '%s' is too short (%llu bytes; an ISO 9660 image has at least "
                    "16 sectors of 2048 bytes)",
                    path, (unsigned long long)size);
            close(fd);
            return -1;
        }
        size -= size % CD_SECTOR;
        b->sector_size = CD_SECTOR;
    } else {
        if (size % 512) {
            set_err(err, errlen, "disk image '%s' is %llu bytes, not a multiple of 512", path,
                    (unsigned long long)size);
            close(fd);
            return -1;
        }
        b->sector_size = 512;
    }
    b->fd = fd;
    b->size = size;
    b->nchunks = (size + BLOCK_CHUNK_SIZE - 1) >> BLOCK_CHUNK_SHIFT;
    if (flags & BLOCK_SNAPSHOT) {
        b->ndir = (b->nchunks + LEAF_ENTRIES - 1) >> BLOCK_LEAF_BITS;
        b->dir = calloc(b->ndir, sizeof *b->dir);
        if (!b->dir) {
            set_err(err, errlen, "out of memory for the -snapshot overlay of '%s'", path);
            close(fd);
            b->fd = -1;
            return -1;
        }
    }
    return 0;
}

void block_close(BlockDev *b)
{
    if (b->fd >= 0) {
        block_flush(b);
        close(b->fd);
        b->fd = -1;
    }
    block_overlay_clear(b);
    free(b->dir);
    b->dir = NULL;
    b->ndir = 0;
}

/* pread/pwrite until done; short counts from signals or pipes are retried. */
static int file_read(BlockDev *b, uint64_t off, uint8_t *p, size_t len)
{
    while (len) {
        ssize_t n = pread(b->fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            if (n == 0) {
                memset(p, 0, len); /* the file shrank under us: zeros, as a sparse hole */
                return 0;
            }
            xlog(LOG_IDE, "block: read of '%s' at %llu failed: %s", b->path,
                 (unsigned long long)off, strerror(errno));
            return -1;
        }
        p += n;
        off += (uint64_t)n;
        len -= (size_t)n;
    }
    return 0;
}

static int file_write(BlockDev *b, uint64_t off, const uint8_t *p, size_t len)
{
    while (len) {
        ssize_t n = pwrite(b->fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            xlog(LOG_IDE, "block: write of '%s' at %llu failed: %s", b->path,
                 (unsigned long long)off, n < 0 ? strerror(errno) : "no progress");
            return -1;
        }
        p += n;
        off += (uint64_t)n;
        len -= (size_t)n;
    }
    b->dirty = true;
    return 0;
}

static uint8_t *overlay_get(const BlockDev *b, uint64_t chunk)
{
    if (!b->dir || chunk >= b->nchunks) {
        return NULL;
    }
    uint8_t **leaf = b->dir[chunk >> BLOCK_LEAF_BITS];
    return leaf ? leaf[chunk & (LEAF_ENTRIES - 1)] : NULL;
}

/* Bytes of the image inside chunk `chunk` (the last one may be short). */
static size_t chunk_len(const BlockDev *b, uint64_t chunk)
{
    uint64_t start = chunk << BLOCK_CHUNK_SHIFT;
    uint64_t left = b->size - start;
    return left < BLOCK_CHUNK_SIZE ? (size_t)left : BLOCK_CHUNK_SIZE;
}

/* The chunk's overlay copy, allocated (and filled from the file) on first use. */
static uint8_t *overlay_alloc(BlockDev *b, uint64_t chunk, bool fill)
{
    uint8_t *data = overlay_get(b, chunk);
    if (data) {
        return data;
    }
    uint8_t ***slot = &b->dir[chunk >> BLOCK_LEAF_BITS];
    if (!*slot) {
        *slot = calloc(LEAF_ENTRIES, sizeof **slot);
        if (!*slot) {
            return NULL;
        }
    }
    data = calloc(1, BLOCK_CHUNK_SIZE);
    if (!data) {
        return NULL;
    }
    if (fill && file_read(b, chunk << BLOCK_CHUNK_SHIFT, data, chunk_len(b, chunk))) {
        free(data);
        return NULL;
    }
    (*slot)[chunk & (LEAF_ENTRIES - 1)] = data;
    b->overlay_chunks++;
    return data;
}

static bool in_range(const BlockDev *b, uint64_t offset, size_t len)
{
    return b->fd >= 0 && offset <= b->size && len <= b->size - offset;
}

int block_read(BlockDev *b, uint64_t offset, void *buf, size_t len)
{
    if (!in_range(b, offset, len)) {
        return -1;
    }
    uint8_t *p = buf;
    if (!b->dir) {
        return file_read(b, offset, p, len);
    }
    while (len) {
        uint64_t chunk = offset >> BLOCK_CHUNK_SHIFT;
        size_t in = (size_t)(offset & (BLOCK_CHUNK_SIZE - 1));
        size_t n = BLOCK_CHUNK_SIZE - in < len ? BLOCK_CHUNK_SIZE - in : len;
        const uint8_t *data = overlay_get(b, chunk);
        if (data) {
            memcpy(p, data + in, n);
        } else if (file_read(b, offset, p, n)) {
            return -1;
        }
        p += n;
        offset += n;
        len -= n;
    }
    return 0;
}

int block_write(BlockDev *b, uint64_t offset, const void *buf, size_t len)
{
    if (!in_range(b, offset, len) || block_read_only(b)) {
        return -1;
    }
    const uint8_t *p = buf;
    if (!b->dir) {
        return file_write(b, offset, p, len);
    }
    while (len) {
        uint64_t chunk = offset >> BLOCK_CHUNK_SHIFT;
        size_t in = (size_t)(offset & (BLOCK_CHUNK_SIZE - 1));
        size_t n = BLOCK_CHUNK_SIZE - in < len ? BLOCK_CHUNK_SIZE - in : len;
        /* a write covering the whole chunk needs no copy of the old contents */
        uint8_t *data = overlay_alloc(b, chunk, !(in == 0 && n == chunk_len(b, chunk)));
        if (!data) {
            xlog(LOG_IDE, "block: no memory for the -snapshot overlay of '%s'", b->path);
            return -1;
        }
        memcpy(data + in, p, n);
        p += n;
        offset += n;
        len -= n;
    }
    return 0;
}

int block_flush(BlockDev *b)
{
    if (b->fd < 0 || b->dir || !b->dirty) {
        return 0;
    }
    b->dirty = false;
    if (fdatasync(b->fd) < 0 && errno != EINVAL && errno != EROFS) {
        xlog(LOG_IDE, "block: flush of '%s' failed: %s", b->path, strerror(errno));
        return -1;
    }
    return 0;
}

uint64_t block_overlay_next(const BlockDev *b, uint64_t from)
{
    if (!b->dir) {
        return BLOCK_OVERLAY_END;
    }
    for (uint64_t c = from; c < b->nchunks;) {
        uint8_t **leaf = b->dir[c >> BLOCK_LEAF_BITS];
        if (!leaf) {
            c = ((c >> BLOCK_LEAF_BITS) + 1) << BLOCK_LEAF_BITS;
            continue;
        }
        if (leaf[c & (LEAF_ENTRIES - 1)]) {
            return c;
        }
        c++;
    }
    return BLOCK_OVERLAY_END;
}

const uint8_t *block_overlay_chunk(const BlockDev *b, uint64_t chunk)
{
    return overlay_get(b, chunk);
}

int block_overlay_load(BlockDev *b, uint64_t chunk, const uint8_t *data)
{
    if (!b->dir || chunk >= b->nchunks) {
        return -1;
    }
    uint8_t *dst = overlay_alloc(b, chunk, false);
    if (!dst) {
        return -1;
    }
    size_t n = chunk_len(b, chunk);
    memcpy(dst, data, n);
    memset(dst + n, 0, BLOCK_CHUNK_SIZE - n);
    return 0;
}

void block_overlay_clear(BlockDev *b)
{
    if (!b->dir) {
        return;
    }
    for (uint64_t i = 0; i < b->ndir; i++) {
        if (b->dir[i]) {
            for (unsigned j = 0; j < LEAF_ENTRIES; j++) {
                free(b->dir[i][j]);
            }
            free(b->dir[i]);
            b->dir[i] = NULL;
        }
    }
    b->overlay_chunks = 0;
}
