/* The snapshot engine (see snapshot.h for the file layout and the loading rules).
 *
 * Saving streams the file (FILE or a growing buffer); loading works from the whole file in memory:
 * parse() walks it and checks everything, recording where each section's payload lies, and only
 * then apply() writes the machine. The payload encoding is the descriptor's fields in order, each
 * element little-endian at its fixed width, so a file does not depend on the host's struct layout.
 */
#include "snapshots/snapshot.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "chipset/clock.h"
#include "mmu/log.h"

#define TIMER_FILE_SIZE 13 /* u8 armed, u64 deadline, u32 position in the armed list */
#define SEC_RAW 0
#define SEC_ZLIB 1
#define MAX_SECTION (256u << 20)
#define MAX_CHUNK (64u << 20)

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* ---- little-endian fixed widths ---- */

static void put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static void put_u32(uint8_t *p, uint32_t v)
{
    for (int k = 0; k < 4; k++) {
        p[k] = (uint8_t)(v >> (8 * k));
    }
}
static void put_u64(uint8_t *p, uint64_t v)
{
    for (int k = 0; k < 8; k++) {
        p[k] = (uint8_t)(v >> (8 * k));
    }
}
static uint16_t get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}
static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}
static uint64_t get_u64(const uint8_t *p)
{
    return (uint64_t)get_u32(p) | ((uint64_t)get_u32(p + 4) << 32);
}

static uint32_t crc_update(uint32_t crc, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n > 0) {
        uInt step = n > 0x40000000u ? 0x40000000u : (uInt)n;
        crc = (uint32_t)crc32(crc, b, step);
        b += step;
        n -= step;
    }
    return crc;
}

/* ---- field encoding ---- */

static size_t file_size(VmsType t)
{
    switch (t) {
    case VMS_U8:
    case VMS_BOOL:
        return 1;
    case VMS_U16:
        return 2;
    case VMS_U32:
    case VMS_I32:
        return 4;
    case VMS_U64:
    case VMS_I64:
        return 8;
    case VMS_TIMER:
        return TIMER_FILE_SIZE;
    default:
        return 0;
    }
}

static size_t host_size(VmsType t)
{
    switch (t) {
    case VMS_BOOL:
        return sizeof(bool);
    case VMS_TIMER:
        return sizeof(Timer);
    default:
        return file_size(t);
    }
}

size_t snap_payload_size(const VmsDesc *d)
{
    size_t n = 0;
    for (const VmsField *f = d->fields; f && f->type != VMS_END; f++) {
        n += file_size(f->type) * f->count;
    }
    return n;
}

/* A descriptor the engine can encode: known types, at least one element per field. */
static int check_registry(const SnapRegistry *r, char *err, size_t errlen)
{
    for (int i = 0; i < r->n; i++) {
        const SnapSection *s = &r->sec[i];
        for (const VmsField *f = s->desc->fields; f && f->type != VMS_END; f++) {
            if (file_size(f->type) == 0 || f->count == 0) {
                return fail(err, errlen, "section '%s' field '%s' has an unknown type", s->name,
                            f->name);
            }
        }
    }
    return 0;
}

static uint32_t timer_position(const Timer *t)
{
    uint32_t n = 0;
    for (const Timer *p = t->clock->head; p; p = p->next, n++) {
        if (p == t) {
            return n;
        }
    }
    return UINT32_MAX;
}

static void encode_section(const SnapSection *s, uint8_t *p)
{
    const uint8_t *base = s->opaque;
    for (const VmsField *f = s->desc->fields; f && f->type != VMS_END; f++) {
        for (uint32_t k = 0; k < f->count; k++) {
            const uint8_t *h = base + f->offset + k * host_size(f->type);
            switch (f->type) {
            case VMS_U8:
                *p = *h;
                break;
            case VMS_BOOL: {
                bool v;
                memcpy(&v, h, sizeof v);
                *p = v ? 1 : 0;
                break;
            }
            case VMS_U16: {
                uint16_t v;
                memcpy(&v, h, 2);
                put_u16(p, v);
                break;
            }
            case VMS_U32:
            case VMS_I32: {
                uint32_t v;
                memcpy(&v, h, 4);
                put_u32(p, v);
                break;
            }
            case VMS_U64:
            case VMS_I64: {
                uint64_t v;
                memcpy(&v, h, 8);
                put_u64(p, v);
                break;
            }
            case VMS_TIMER: {
                const Timer *t = (const Timer *)(const void *)h;
                bool armed = t->armed && t->clock;
                p[0] = armed ? 1 : 0;
                put_u64(p + 1, armed ? t->deadline : 0);
                put_u32(p + 9, armed ? timer_position(t) : 0);
                break;
            }
            default:
                break;
            }
            p += file_size(f->type);
        }
    }
}

/* Values a payload may hold: bools and armed flags are 0 or 1. Returns the bad field or NULL. */
static const VmsField *check_payload(const VmsDesc *d, const uint8_t *p)
{
    for (const VmsField *f = d->fields; f && f->type != VMS_END; f++) {
        for (uint32_t k = 0; k < f->count; k++) {
            if ((f->type == VMS_BOOL || f->type == VMS_TIMER) && p[0] > 1) {
                return f;
            }
            p += file_size(f->type);
        }
    }
    return NULL;
}

typedef struct TimerLoad {
    Timer *t;
    bool armed;
    uint64_t deadline;
    uint32_t position;
    uint32_t seq; /* registration order, to break ties deterministically */
} TimerLoad;

static size_t count_timers(const SnapRegistry *r)
{
    size_t n = 0;
    for (int i = 0; i < r->n; i++) {
        for (const VmsField *f = r->sec[i].desc->fields; f && f->type != VMS_END; f++) {
            if (f->type == VMS_TIMER) {
                n += f->count;
            }
        }
    }
    return n;
}

/* Write one section's fields; timers are collected in tl (re-armed by the caller). */
static void decode_section(const SnapSection *s, const uint8_t *p, TimerLoad *tl, size_t *ntl)
{
    uint8_t *base = s->opaque;
    for (const VmsField *f = s->desc->fields; f && f->type != VMS_END; f++) {
        for (uint32_t k = 0; k < f->count; k++) {
            uint8_t *h = base + f->offset + k * host_size(f->type);
            switch (f->type) {
            case VMS_U8:
                *h = *p;
                break;
            case VMS_BOOL: {
                bool v = p[0] != 0;
                memcpy(h, &v, sizeof v);
                break;
            }
            case VMS_U16: {
                uint16_t v = get_u16(p);
                memcpy(h, &v, 2);
                break;
            }
            case VMS_U32:
            case VMS_I32: {
                uint32_t v = get_u32(p);
                memcpy(h, &v, 4);
                break;
            }
            case VMS_U64:
            case VMS_I64: {
                uint64_t v = get_u64(p);
                memcpy(h, &v, 8);
                break;
            }
            case VMS_TIMER: {
                TimerLoad *e = &tl[*ntl];
                e->t = (Timer *)(void *)h;
                e->armed = p[0] != 0;
                e->deadline = get_u64(p + 1);
                e->position = get_u32(p + 9);
                e->seq = (uint32_t)*ntl;
                (*ntl)++;
                break;
            }
            default:
                break;
            }
            p += file_size(f->type);
        }
    }
}

static int timer_order(const void *a, const void *b)
{
    const TimerLoad *x = a, *y = b;
    if (x->position != y->position) {
        return x->position < y->position ? -1 : 1;
    }
    return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

/* Write every section from payloads[i] and re-arm the timers: disarm all first, then arm in the
 * saved list order, so timers with equal deadlines fire in the order they did before. */
static void apply_sections(const SnapRegistry *r, const uint8_t *const *payloads, TimerLoad *tl)
{
    size_t ntl = 0;
    for (int i = 0; i < r->n; i++) {
        decode_section(&r->sec[i], payloads[i], tl, &ntl);
    }
    for (size_t k = 0; k < ntl; k++) {
        if (tl[k].t->clock) {
            timer_del(tl[k].t);
        }
    }
    qsort(tl, ntl, sizeof *tl, timer_order);
    for (size_t k = 0; k < ntl; k++) {
        if (tl[k].armed && tl[k].t->clock) {
            timer_mod_ticks(tl[k].t, tl[k].deadline);
        }
    }
}

/* Runs the post_load hooks in order; returns the index of the first that refused, or -1. */
static int run_post_loads(const SnapRegistry *r, bool stop_on_error)
{
    int bad = -1;
    for (int i = 0; i < r->n; i++) {
        const SnapSection *s = &r->sec[i];
        if (s->desc->post_load && s->desc->post_load(s->opaque) != 0 && bad < 0) {
            bad = i;
            if (stop_on_error) {
                break;
            }
        }
    }
    return bad;
}

/* ---- output ---- */

typedef struct Out {
    FILE *f;       /* a file, or else the growing buffer */
    uint8_t *buf;
    size_t len, cap;
    bool bad;
} Out;

static void out_bytes(Out *o, const void *p, size_t n)
{
    if (o->bad || n == 0) {
        return;
    }
    if (o->f) {
        if (fwrite(p, 1, n, o->f) != n) {
            o->bad = true;
        }
        return;
    }
    if (o->len + n > o->cap) {
        size_t cap = o->cap ? o->cap : 65536;
        while (cap < o->len + n) {
            cap *= 2;
        }
        uint8_t *nb = realloc(o->buf, cap);
        if (!nb) {
            o->bad = true;
            return;
        }
        o->buf = nb;
        o->cap = cap;
    }
    memcpy(o->buf + o->len, p, n);
    o->len += n;
}

/* write and fold into a running CRC */
static void out_crc(Out *o, uint32_t *crc, const void *p, size_t n)
{
    out_bytes(o, p, n);
    *crc = crc_update(*crc, p, n);
}

static void out_u32(Out *o, uint32_t *crc, uint32_t v)
{
    uint8_t b[4];
    put_u32(b, v);
    if (crc) {
        out_crc(o, crc, b, 4);
    } else {
        out_bytes(o, b, 4);
    }
}

static int save_ram(const SnapTarget *t, Out *o, char *err, size_t errlen)
{
    uint32_t crc = 0;
    uint8_t hdr[16];
    uint64_t nchunks = (t->ram_size + SNAP_RAM_CHUNK - 1) / SNAP_RAM_CHUNK;
    if (nchunks > UINT32_MAX) {
        return fail(err, errlen, "RAM too large to save");
    }
    put_u64(hdr, t->ram_size);
    put_u32(hdr + 8, SNAP_RAM_CHUNK);
    put_u32(hdr + 12, (uint32_t)nchunks);
    out_crc(o, &crc, hdr, sizeof hdr);

    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit(&zs, SNAP_ZLIB_LEVEL) != Z_OK) {
        return fail(err, errlen, "out of memory (zlib)");
    }
    uLong bound = deflateBound(&zs, SNAP_RAM_CHUNK);
    uint8_t *cbuf = malloc(bound);
    if (!cbuf) {
        deflateEnd(&zs);
        return fail(err, errlen, "out of memory");
    }
    int rc = 0;
    for (uint64_t off = 0; off < t->ram_size && rc == 0; off += SNAP_RAM_CHUNK) {
        uint64_t left = t->ram_size - off;
        uInt n = left < SNAP_RAM_CHUNK ? (uInt)left : SNAP_RAM_CHUNK;
        deflateReset(&zs);
        zs.next_in = t->ram + off;
        zs.avail_in = n;
        zs.next_out = cbuf;
        zs.avail_out = (uInt)bound;
        if (deflate(&zs, Z_FINISH) != Z_STREAM_END) {
            rc = fail(err, errlen, "zlib could not compress RAM");
            break;
        }
        uint32_t clen = (uint32_t)(bound - zs.avail_out);
        out_u32(o, &crc, clen);
        out_crc(o, &crc, cbuf, clen);
    }
    deflateEnd(&zs);
    free(cbuf);
    if (rc == 0) {
        out_u32(o, NULL, crc);
    }
    return rc;
}

/* A timer armed on the clock but declared by no section would survive a load unchanged: say so
 * (a device whose descriptor forgot its Timer). */
static void check_undeclared_timers(const SnapRegistry *r)
{
    const Clock *c = NULL;
    size_t declared = 0;
    for (int i = 0; i < r->n; i++) {
        const SnapSection *s = &r->sec[i];
        for (const VmsField *f = s->desc->fields; f && f->type != VMS_END; f++) {
            for (uint32_t k = 0; f->type == VMS_TIMER && k < f->count; k++) {
                const Timer *t = (const Timer *)(const void *)((const uint8_t *)s->opaque +
                                                              f->offset + k * sizeof(Timer));
                c = t->clock ? t->clock : c;
                declared += t->armed;
            }
        }
    }
    size_t armed = 0;
    for (const Timer *t = c ? c->head : NULL; t; t = t->next) {
        armed++;
    }
    if (armed != declared) {
        xlog(LOG_SNAP, "%zu armed timers belong to no snapshot section", armed - declared);
    }
}

static int save_to(const SnapTarget *t, Out *o, char *err, size_t errlen)
{
    const SnapRegistry *r = t->reg;
    if (check_registry(r, err, errlen)) {
        return -1;
    }
    if (t->config_len > UINT32_MAX) {
        return fail(err, errlen, "configuration text too long");
    }
    for (int i = 0; i < r->n; i++) {
        const SnapSection *s = &r->sec[i];
        if (s->desc->pre_save && s->desc->pre_save(s->opaque) != 0) {
            return fail(err, errlen, "section '%s' cannot be saved now", s->name);
        }
    }
    check_undeclared_timers(r);
    uint32_t crc = 0;
    out_crc(o, &crc, SNAP_MAGIC, 8);
    out_u32(o, &crc, SNAP_FORMAT_VERSION);
    out_u32(o, &crc, (uint32_t)t->config_len);
    out_crc(o, &crc, t->config, t->config_len);
    out_u32(o, &crc, (uint32_t)r->n);
    out_u32(o, NULL, crc);

    size_t maxp = 0;
    for (int i = 0; i < r->n; i++) {
        size_t n = snap_payload_size(r->sec[i].desc);
        maxp = n > maxp ? n : maxp;
    }
    uLong zmax = compressBound((uLong)maxp);
    uint8_t *payload = malloc(maxp ? maxp : 1);
    uint8_t *zbuf = maxp >= SNAP_SECTION_ZLIB_MIN ? malloc(zmax) : NULL;
    if (!payload || (maxp >= SNAP_SECTION_ZLIB_MIN && !zbuf)) {
        free(payload);
        free(zbuf);
        return fail(err, errlen, "out of memory");
    }
    for (int i = 0; i < r->n; i++) {
        const SnapSection *s = &r->sec[i];
        size_t n = snap_payload_size(s->desc);
        encode_section(s, payload);
        uint8_t nl = (uint8_t)strlen(s->name);
        crc = 0;
        out_crc(o, &crc, &nl, 1);
        out_crc(o, &crc, s->name, nl);
        out_u32(o, &crc, s->desc->version);
        out_u32(o, &crc, (uint32_t)n);
        uint8_t enc = SEC_RAW;
        const uint8_t *stored = payload;
        uLong slen = (uLong)n;
        if (n >= SNAP_SECTION_ZLIB_MIN) {
            slen = zmax;
            if (compress2(zbuf, &slen, payload, (uLong)n, SNAP_ZLIB_LEVEL) != Z_OK) {
                free(payload);
                free(zbuf);
                return fail(err, errlen, "zlib could not compress section '%s'", s->name);
            }
            enc = SEC_ZLIB;
            stored = zbuf;
        }
        out_crc(o, &crc, &enc, 1);
        out_u32(o, &crc, (uint32_t)slen);
        out_crc(o, &crc, stored, slen);
        out_u32(o, NULL, crc);
    }
    free(payload);
    free(zbuf);
    if (save_ram(t, o, err, errlen)) {
        return -1;
    }
    out_bytes(o, SNAP_END_MAGIC, 8);
    if (o->bad) {
        return fail(err, errlen, "%s", o->f ? "write error" : "out of memory");
    }
    return 0;
}

int snapshot_save_mem(const SnapTarget *t, uint8_t **out, size_t *outlen, char *err,
                      size_t errlen)
{
    Out o = {0};
    if (save_to(t, &o, err, errlen)) {
        free(o.buf);
        return -1;
    }
    *out = o.buf;
    *outlen = o.len;
    return 0;
}

int snapshot_save(const SnapTarget *t, const char *path, char *err, size_t errlen)
{
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (!tmp) {
        return fail(err, errlen, "%s: out of memory", path);
    }
    snprintf(tmp, plen + 16, "%s.tmpXXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return fail(err, errlen, "%s: cannot create a file there: %s", path, strerror(e));
    }
    /* mkstemp makes the file 0600; give it the mode a plain fopen would */
    mode_t um = umask(0);
    umask(um);
    fchmod(fd, 0666 & ~um);
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        close(fd);
        unlink(tmp);
        free(tmp);
        return fail(err, errlen, "%s: out of memory", path);
    }
    Out o = {.f = f};
    char why[256];
    int rc = save_to(t, &o, why, sizeof why);
    if (rc == 0 && (fflush(f) != 0 || fsync(fileno(f)) != 0)) {
        rc = fail(why, sizeof why, "write error: %s", strerror(errno));
    }
    if (fclose(f) != 0 && rc == 0) {
        rc = fail(why, sizeof why, "write error: %s", strerror(errno));
    }
    if (rc == 0 && rename(tmp, path) != 0) {
        rc = fail(why, sizeof why, "cannot rename the temporary file: %s", strerror(errno));
    }
    if (rc != 0) {
        unlink(tmp);
        fail(err, errlen, "%s: %s", path, why);
    }
    free(tmp);
    return rc;
}

/* ---- loading ---- */

typedef struct In {
    const uint8_t *p;
    size_t len, pos;
} In;

static const uint8_t *take(In *in, size_t n)
{
    if (in->len - in->pos < n) {
        return NULL;
    }
    const uint8_t *p = in->p + in->pos;
    in->pos += n;
    return p;
}

typedef struct FileSection {
    const uint8_t *name;
    uint8_t name_len;
    uint32_t version;
    uint8_t encoding;
    const uint8_t *stored;
    uint32_t stored_len;
    const uint8_t *payload; /* the stored bytes, or `inflated` */
    uint32_t len;
    uint8_t *inflated;      /* owned, for a deflated payload */
    bool used;
} FileSection;

typedef struct Parsed {
    FileSection sec[SNAP_MAX_SECTIONS];
    uint32_t nsec;
    const uint8_t *payload[SNAP_MAX_SECTIONS]; /* by registry index */
    uint64_t ram_size;
    uint32_t chunk, nchunks;
    size_t ram_chunks_pos; /* offset of the first chunk's length */
} Parsed;

/* A name or config line from a file, made printable for a message. */
static void printable(char *dst, size_t dlen, const uint8_t *s, size_t n)
{
    size_t k = 0;
    for (; k < n && k + 1 < dlen; k++) {
        dst[k] = (s[k] >= 0x20 && s[k] < 0x7F) ? (char)s[k] : '?';
    }
    dst[k] = 0;
}

static const uint8_t *find_line(const uint8_t *cfg, size_t len, const uint8_t *key, size_t klen,
                                size_t *line_len)
{
    size_t pos = 0;
    while (pos < len) {
        const uint8_t *nl = memchr(cfg + pos, '\n', len - pos);
        size_t l = nl ? (size_t)(nl - (cfg + pos)) : len - pos;
        if (l > klen && !memcmp(cfg + pos, key, klen) && cfg[pos + klen] == '=') {
            *line_len = l;
            return cfg + pos;
        }
        pos += l + 1;
    }
    return NULL;
}

/* Name the first configuration line that differs. */
static int config_mismatch(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
                           char *err, size_t errlen)
{
    char x[96], y[96];
    for (int pass = 0; pass < 2; pass++) {
        const uint8_t *p = pass ? b : a, *q = pass ? a : b;
        size_t plen = pass ? blen : alen, qlen = pass ? alen : blen;
        size_t pos = 0;
        while (pos < plen) {
            const uint8_t *nl = memchr(p + pos, '\n', plen - pos);
            size_t l = nl ? (size_t)(nl - (p + pos)) : plen - pos;
            const uint8_t *eq = memchr(p + pos, '=', l);
            size_t klen = eq ? (size_t)(eq - (p + pos)) : l;
            size_t ql;
            const uint8_t *other = find_line(q, qlen, p + pos, klen, &ql);
            printable(x, sizeof x, p + pos, l);
            if (!other) {
                if (pass == 0) {
                    return fail(err, errlen, "snapshot is of another machine: it has %s, this "
                                "machine does not", x);
                }
                return fail(err, errlen, "snapshot is of another machine: this machine has %s, "
                            "the snapshot does not", x);
            }
            if (ql != l || memcmp(other, p + pos, l)) {
                printable(y, sizeof y, other, ql);
                return fail(err, errlen, "snapshot is of another machine: it has %s, this "
                            "machine has %s", pass ? y : x, pass ? x : y);
            }
            pos += l + 1;
        }
    }
    return fail(err, errlen, "snapshot is of another machine (configuration differs)");
}

static int parse(const SnapTarget *t, In *in, Parsed *ps, char *err, size_t errlen)
{
    const SnapRegistry *r = t->reg;
    if (in->len == 0) {
        return fail(err, errlen, "empty file, not an x86pc snapshot");
    }
    const uint8_t *p = take(in, 8);
    if (!p || memcmp(p, SNAP_MAGIC, 8) != 0) {
        return fail(err, errlen, "not an x86pc snapshot (bad magic)");
    }
    if (!(p = take(in, 4))) {
        return fail(err, errlen, "truncated snapshot (in the header)");
    }
    uint32_t version = get_u32(p);
    if (version != SNAP_FORMAT_VERSION) {
        return fail(err, errlen, "snapshot format version %u is not supported (this x86pc "
                    "reads version %u)", version, SNAP_FORMAT_VERSION);
    }
    if (!(p = take(in, 4))) {
        return fail(err, errlen, "truncated snapshot (in the header)");
    }
    uint32_t cfglen = get_u32(p);
    const uint8_t *cfg = take(in, cfglen);
    const uint8_t *np = cfg ? take(in, 4) : NULL;
    const uint8_t *cp = np ? take(in, 4) : NULL;
    if (!cp) {
        return fail(err, errlen, "truncated snapshot (in the header)");
    }
    if (crc_update(0, in->p, in->pos - 4) != get_u32(cp)) {
        return fail(err, errlen, "snapshot header is corrupted (CRC mismatch)");
    }
    if (cfglen != t->config_len || memcmp(cfg, t->config, cfglen) != 0) {
        return config_mismatch(cfg, cfglen, (const uint8_t *)t->config, t->config_len, err,
                               errlen);
    }
    ps->nsec = get_u32(np);
    if (ps->nsec > SNAP_MAX_SECTIONS) {
        return fail(err, errlen, "snapshot has %u sections, more than any machine (%d)",
                    ps->nsec, SNAP_MAX_SECTIONS);
    }

    char name[64];
    for (uint32_t i = 0; i < ps->nsec; i++) {
        FileSection *fs = &ps->sec[i];
        size_t start = in->pos;
        const uint8_t *nl = take(in, 1);
        fs->name = nl ? take(in, *nl) : NULL;
        const uint8_t *vp = fs->name ? take(in, 13) : NULL;
        fs->stored = vp ? take(in, get_u32(vp + 9)) : NULL;
        const uint8_t *sc = fs->stored ? take(in, 4) : NULL;
        if (!sc) {
            return fail(err, errlen, "truncated snapshot (in section %u of %u)", i + 1,
                        ps->nsec);
        }
        fs->name_len = *nl;
        fs->version = get_u32(vp);
        fs->len = get_u32(vp + 4);
        fs->encoding = vp[8];
        fs->stored_len = get_u32(vp + 9);
        printable(name, sizeof name, fs->name, fs->name_len);
        if (crc_update(0, in->p + start, in->pos - 4 - start) != get_u32(sc)) {
            return fail(err, errlen, "snapshot section %u ('%s') is corrupted (CRC mismatch)",
                        i + 1, name);
        }
        if (fs->encoding == SEC_RAW && fs->stored_len == fs->len) {
            fs->payload = fs->stored;
        } else if (fs->encoding == SEC_ZLIB && fs->len <= MAX_SECTION) {
            fs->inflated = malloc(fs->len ? fs->len : 1);
            if (!fs->inflated) {
                return fail(err, errlen, "out of memory");
            }
            uLongf out = fs->len;
            uLong used = fs->stored_len;
            if (uncompress2(fs->inflated, &out, fs->stored, &used) != Z_OK || out != fs->len ||
                used != fs->stored_len) {
                return fail(err, errlen, "snapshot section '%s' is corrupted (does not "
                            "inflate to its size)", name);
            }
            fs->payload = fs->inflated;
        } else {
            return fail(err, errlen, "snapshot section '%s' has an invalid encoding", name);
        }
    }

    /* every section of this machine, once, with its version and length */
    for (int i = 0; i < r->n; i++) {
        const SnapSection *s = &r->sec[i];
        size_t slen = strlen(s->name);
        FileSection *fs = NULL;
        for (uint32_t k = 0; k < ps->nsec && !fs; k++) {
            FileSection *c = &ps->sec[k];
            if (!c->used && c->name_len == slen && !memcmp(c->name, s->name, slen)) {
                fs = c;
            }
        }
        if (!fs) {
            return fail(err, errlen, "snapshot has no state for '%s', which this machine has",
                        s->name);
        }
        fs->used = true;
        if (fs->version != s->desc->version) {
            return fail(err, errlen, "snapshot holds version %u of '%s'; this x86pc has "
                        "version %u", fs->version, s->name, s->desc->version);
        }
        size_t want = snap_payload_size(s->desc);
        if (fs->len != want) {
            return fail(err, errlen, "snapshot section '%s' has %u bytes; this x86pc expects "
                        "%zu", s->name, fs->len, want);
        }
        const VmsField *bad = check_payload(s->desc, fs->payload);
        if (bad) {
            return fail(err, errlen, "snapshot section '%s' holds an invalid value in '%s'",
                        s->name, bad->name);
        }
        ps->payload[i] = fs->payload;
    }
    for (uint32_t k = 0; k < ps->nsec; k++) {
        if (!ps->sec[k].used) {
            printable(name, sizeof name, ps->sec[k].name, ps->sec[k].name_len);
            return fail(err, errlen, "snapshot has state for '%s', which this machine lacks",
                        name);
        }
    }

    /* RAM: structure and CRC here; the chunks' inflated sizes in check_ram() */
    size_t ram_start = in->pos;
    const uint8_t *rh = take(in, 16);
    if (!rh) {
        return fail(err, errlen, "truncated snapshot (before RAM)");
    }
    ps->ram_size = get_u64(rh);
    ps->chunk = get_u32(rh + 8);
    ps->nchunks = get_u32(rh + 12);
    ps->ram_chunks_pos = in->pos;
    for (uint32_t c = 0; c < ps->nchunks; c++) {
        const uint8_t *lp = take(in, 4);
        if (!lp || !take(in, get_u32(lp))) {
            return fail(err, errlen, "truncated snapshot (in RAM chunk %u of %u)", c + 1,
                        ps->nchunks);
        }
    }
    const uint8_t *rc = take(in, 4);
    if (!rc) {
        return fail(err, errlen, "truncated snapshot (at the end of RAM)");
    }
    if (crc_update(0, in->p + ram_start, in->pos - 4 - ram_start) != get_u32(rc)) {
        return fail(err, errlen, "snapshot RAM is corrupted (CRC mismatch)");
    }
    if (ps->ram_size != t->ram_size) {
        return fail(err, errlen, "snapshot has %llu bytes of RAM; this machine has %llu",
                    (unsigned long long)ps->ram_size, (unsigned long long)t->ram_size);
    }
    if (ps->chunk == 0 || ps->chunk > MAX_CHUNK ||
        (uint64_t)ps->nchunks != (ps->ram_size + ps->chunk - 1) / ps->chunk) {
        return fail(err, errlen, "snapshot RAM layout is invalid (chunk size %u, %u chunks)",
                    ps->chunk, ps->nchunks);
    }
    const uint8_t *end = take(in, 8);
    if (!end) {
        return fail(err, errlen, "truncated snapshot (no end marker)");
    }
    if (memcmp(end, SNAP_END_MAGIC, 8) != 0) {
        return fail(err, errlen, "snapshot end marker is corrupted");
    }
    if (in->pos != in->len) {
        return fail(err, errlen, "snapshot has %zu unexpected bytes after its end",
                    in->len - in->pos);
    }
    return 0;
}

/* Inflate every RAM chunk, into dst (apply) or into scratch (check): each must be one complete
 * zlib stream of exactly the chunk's size. */
static int inflate_ram(z_stream *zs, const In *in, const Parsed *ps, uint8_t *dst,
                       uint8_t *scratch, char *err, size_t errlen)
{
    size_t pos = ps->ram_chunks_pos;
    for (uint32_t c = 0; c < ps->nchunks; c++) {
        uint32_t clen = get_u32(in->p + pos);
        const uint8_t *data = in->p + pos + 4;
        pos += 4 + (size_t)clen;
        uint64_t off = (uint64_t)c * ps->chunk;
        uint64_t left = ps->ram_size - off;
        uInt n = left < ps->chunk ? (uInt)left : ps->chunk;
        inflateReset(zs);
        zs->next_in = (Bytef *)(uintptr_t)data;
        zs->avail_in = clen;
        zs->next_out = dst ? dst + off : scratch;
        zs->avail_out = n;
        int rc = inflate(zs, Z_FINISH);
        if (rc != Z_STREAM_END || zs->avail_out != 0 || zs->avail_in != 0) {
            return fail(err, errlen, "snapshot RAM chunk %u of %u is corrupted (%s)", c + 1,
                        ps->nchunks, rc == Z_STREAM_END ? "wrong size" : "does not inflate");
        }
    }
    return 0;
}

int snapshot_load_mem(const SnapTarget *t, const uint8_t *buf, size_t len, char *err,
                      size_t errlen)
{
    const SnapRegistry *r = t->reg;
    if (check_registry(r, err, errlen)) {
        return -1;
    }
    In in = {buf, len, 0};
    Parsed *ps = calloc(1, sizeof *ps);
    if (!ps) {
        return fail(err, errlen, "out of memory");
    }
    int rc = parse(t, &in, ps, err, errlen);

    /* Everything the apply step needs is allocated now, so it cannot fail half way: the
     * inflate state (its window is allocated by the checking pass), the scratch chunk, the
     * timer list, and the machine's current sections for the rollback. */
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    bool zinit = false;
    uint8_t *scratch = NULL, *backup = NULL;
    TimerLoad *tl = NULL;
    const uint8_t *old[SNAP_MAX_SECTIONS];
    if (rc == 0) {
        size_t total = 0;
        for (int i = 0; i < r->n; i++) {
            total += snap_payload_size(r->sec[i].desc);
        }
        size_t nt = count_timers(r);
        scratch = malloc(ps->chunk ? ps->chunk : 1);
        backup = malloc(total ? total : 1);
        tl = malloc((nt ? nt : 1) * sizeof *tl);
        zinit = inflateInit(&zs) == Z_OK;
        if (!scratch || !backup || !tl || !zinit) {
            rc = fail(err, errlen, "out of memory");
        }
    }
    if (rc == 0) {
        rc = inflate_ram(&zs, &in, ps, NULL, scratch, err, errlen);
    }
    if (rc == 0) {
        uint8_t *p = backup;
        for (int i = 0; i < r->n; i++) {
            const SnapSection *s = &r->sec[i];
            if (s->desc->pre_save) {
                s->desc->pre_save(s->opaque);
            }
            encode_section(s, p);
            old[i] = p;
            p += snap_payload_size(s->desc);
        }
        /* from here on the machine changes */
        apply_sections(r, ps->payload, tl);
        int bad = run_post_loads(r, true);
        if (bad >= 0) {
            rc = fail(err, errlen, "snapshot state of '%s' was refused by the device; nothing "
                      "was loaded", r->sec[bad].name);
            xlog(LOG_SNAP, "%s: post_load refused; restoring the previous state", r->sec[bad].name);
            apply_sections(r, old, tl);
            run_post_loads(r, false);
        } else {
            if (inflate_ram(&zs, &in, ps, t->ram, NULL, err, errlen)) {
                rc = -1; /* cannot happen: the same bytes inflated a moment ago */
            }
            /* a post_load that changes its saved fields breaks "save, load, save gives the same
             * bytes": name it for whoever wrote it (lazily kept state belongs in pre_save) */
            for (int i = 0; i < r->n && (g_log_mask & (1u << LOG_SNAP)); i++) {
                encode_section(&r->sec[i], backup);
                if (memcmp(backup, ps->payload[i], snap_payload_size(r->sec[i].desc)) != 0) {
                    xlog(LOG_SNAP, "%s: post_load changed saved fields", r->sec[i].name);
                }
            }
        }
    }
    if (zinit) {
        inflateEnd(&zs);
    }
    for (uint32_t k = 0; k < SNAP_MAX_SECTIONS; k++) {
        free(ps->sec[k].inflated);
    }
    free(scratch);
    free(backup);
    free(tl);
    free(ps);
    return rc;
}

int snapshot_load(const SnapTarget *t, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return fail(err, errlen, "cannot open snapshot '%s': %s", path, strerror(errno));
    }
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : (1u << 20);
            uint8_t *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return fail(err, errlen, "%s: out of memory", path);
            }
            buf = nb;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) {
            break;
        }
    }
    bool rerr = ferror(f);
    fclose(f);
    if (rerr) {
        free(buf);
        return fail(err, errlen, "cannot read snapshot '%s'", path);
    }
    char why[256];
    int rc = snapshot_load_mem(t, buf, len, why, sizeof why);
    free(buf);
    if (rc) {
        fail(err, errlen, "%s: %s", path, why);
    }
    return rc;
}
