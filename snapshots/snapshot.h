/* The snapshot engine: whole-machine state to a file and back (DESIGN.md "Snapshots").
 *
 * The engine knows no part by name. It is given the machine's SnapRegistry (every section a part
 * declared with snap_register, vmstate.h), the guest RAM, and a configuration text that must match
 * for a file to load. File layout (all integers little-endian):
 *
 *   header   "X86PCSNP", u32 format version, u32 config length, config bytes ("key=value\n"
 *            lines), u32 section count, u32 CRC32 of everything before it
 *   section  u8 name length, name, u32 version, u32 payload length, u8 encoding (0 raw,
 *            1 zlib for payloads of SNAP_SECTION_ZLIB_MIN bytes or more, such as video memory),
 *            u32 stored length, the stored payload, u32 CRC32 of the record. The payload is the
 *            descriptor's fields in order at fixed widths; a Timer is u8 armed, u64 deadline in
 *            ticks, u32 its position in the clock's list of armed timers
 *            -- one per registered section, in registration order
 *   RAM      u64 size, u32 chunk size, u32 chunk count, then per chunk u32 length and a zlib
 *            stream (level SNAP_ZLIB_LEVEL) that inflates to exactly one chunk, u32 CRC32 of the
 *            whole RAM record
 *   trailer  "X86PCEND", then end of file
 *
 * Nothing in a file depends on when or where it was written, so save, load, save gives the same
 * bytes. Loading parses and checks the whole file (magic, version, configuration, every section's
 * presence, version, length and CRC, every RAM chunk's CRC and inflated size) before touching the
 * machine; a refused file leaves the machine as it was, and err gets one line saying why. Applying
 * writes every section's fields, re-arms the timers (in their saved order), then runs the
 * post_load hooks in registration order; if one refuses, the previous state is put back (its
 * sections were kept in memory first) and the load fails. RAM is restored last, so post_load hooks
 * must rebuild their state from their own fields, not from guest memory. The caller flushes
 * whatever caches guest RAM (decoded instructions, TLBs) after a successful load.
 *
 * For save, load, save to give the same bytes, a post_load must not change the fields it saves:
 * state a device keeps lazily (brought up to date only when observed) is brought up to date in
 * pre_save instead. With -d snap, a load names any section whose post_load changed its fields.
 *
 * Memory: saving deflates RAM one chunk at a time; loading reads the (compressed) file into memory
 * and inflates twice (once to check, once into RAM), never holding a second copy of RAM.
 */
#ifndef X86PC_SNAPSHOT_H
#define X86PC_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "snapshots/vmstate.h"

#define SNAP_MAGIC "X86PCSNP"
#define SNAP_END_MAGIC "X86PCEND"
#define SNAP_FORMAT_VERSION 1u
#define SNAP_RAM_CHUNK (1u << 20)
#define SNAP_ZLIB_LEVEL 1 /* fixed: the same RAM always deflates to the same bytes */
#define SNAP_SECTION_ZLIB_MIN 4096

typedef struct SnapTarget {
    SnapRegistry *reg;
    uint8_t *ram;
    uint64_t ram_size;
    const char *config; /* "key=value\n" lines describing what must match to load */
    size_t config_len;
} SnapTarget;

/* To and from a file: 0, or -1 with one line in err. Saving writes PATH.tmpXXXXXX in the same
 * directory and renames it over PATH, so PATH is never half written. */
int snapshot_save(const SnapTarget *t, const char *path, char *err, size_t errlen);
int snapshot_load(const SnapTarget *t, const char *path, char *err, size_t errlen);

/* The same in memory (record/replay, tests). *out is malloc'ed; the caller frees it. */
int snapshot_save_mem(const SnapTarget *t, uint8_t **out, size_t *outlen, char *err,
                      size_t errlen);
int snapshot_load_mem(const SnapTarget *t, const uint8_t *buf, size_t len, char *err,
                      size_t errlen);

/* Bytes a section's payload takes in a file. */
size_t snap_payload_size(const VmsDesc *d);

#endif
