/* Disk image backend: a raw image in a host file, read and written in place (pread/pwrite), or
 * under -snapshot with every write kept in a sparse in-memory overlay of 64 KB chunks so that the
 * file is never touched.
 *
 * Use:
 *   BlockDev d;  char err[256];
 *   if (block_open(&d, path, BLOCK_DISK | BLOCK_SNAPSHOT, err, sizeof err)) {
 *       fprintf(stderr, "x86pc: %s\n", err); exit(1);      (the board does this)
 *   }
 *   block_read(&d, offset, buf, len); block_write(&d, offset, buf, len);   (bytes; 0 or -1)
 *   block_flush(&d);  block_close(&d);   (close flushes)
 * A disk image must be a non-empty multiple of 512 bytes; a CD image must hold at least 16
 * sectors of 2048 bytes (the ISO 9660 system area), any tail shorter than 2048 is ignored.
 *
 * The overlay is enumerable so that snapshots and record/replay can save it:
 *   for (uint64_t i = 0; (i = block_overlay_next(&d, i)) != BLOCK_OVERLAY_END; i++) {
 *       const uint8_t *data = block_overlay_chunk(&d, i);     (BLOCK_CHUNK_SIZE bytes)
 *   }
 *   block_overlay_load(&d, i, data) puts a saved chunk back; block_overlay_clear drops them all.
 * Chunks past the end of the image are cut at the image size (the tail bytes stay zero).
 */
#ifndef X86PC_BLOCK_H
#define X86PC_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BLOCK_CHUNK_SHIFT 16
#define BLOCK_CHUNK_SIZE (1u << BLOCK_CHUNK_SHIFT)
#define BLOCK_LEAF_BITS 10 /* chunks per second-level table: 1024, 64 MB of image */
#define BLOCK_OVERLAY_END UINT64_MAX

enum {
    BLOCK_DISK = 0,          /* a hard disk image: 512-byte sectors, read-write */
    BLOCK_CDROM = 1 << 0,    /* a CD image: 2048-byte sectors, always read-only */
    BLOCK_RDONLY = 1 << 1,   /* open the file read-only; writes fail */
    BLOCK_SNAPSHOT = 1 << 2, /* writes go to the in-memory overlay; the file is opened read-only */
};

typedef struct BlockDev {
    int fd;         /* -1 when closed */
    unsigned flags; /* BLOCK_* given to block_open */
    uint64_t size;  /* bytes usable (a CD's size rounded down to 2048) */
    uint32_t sector_size;
    bool dirty;     /* written since the last flush (file mode) */
    char path[256]; /* for messages */
    /* -snapshot overlay: dir[chunk >> BLOCK_LEAF_BITS][chunk & mask] -> 64 KB or NULL */
    uint8_t ***dir;
    uint64_t ndir;           /* entries of dir */
    uint64_t nchunks;        /* chunks covering the image */
    uint64_t overlay_chunks; /* chunks allocated */
} BlockDev;

/* Opens `path`; on failure returns -1 with a one-line message (no "x86pc:" prefix) in err. */
int block_open(BlockDev *b, const char *path, unsigned flags, char *err, size_t errlen);
void block_close(BlockDev *b);
static inline uint64_t block_size(const BlockDev *b)
{
    return b->size;
}
static inline bool block_read_only(const BlockDev *b)
{
    return (b->flags & BLOCK_CDROM) || ((b->flags & BLOCK_RDONLY) && !(b->flags & BLOCK_SNAPSHOT));
}
/* Byte ranges inside the image; return 0, or -1 (out of range, host I/O error, read-only). */
int block_read(BlockDev *b, uint64_t offset, void *buf, size_t len);
int block_write(BlockDev *b, uint64_t offset, const void *buf, size_t len);
/* Makes earlier writes durable in the file (fdatasync); a no-op under -snapshot. 0 or -1. */
int block_flush(BlockDev *b);

/* The overlay: index of the first allocated chunk >= from, or BLOCK_OVERLAY_END. */
uint64_t block_overlay_next(const BlockDev *b, uint64_t from);
const uint8_t *block_overlay_chunk(const BlockDev *b, uint64_t chunk);
/* Installs a whole chunk (BLOCK_CHUNK_SIZE bytes); 0, or -1 if out of range or out of memory. */
int block_overlay_load(BlockDev *b, uint64_t chunk, const uint8_t *data);
void block_overlay_clear(BlockDev *b);

#endif
