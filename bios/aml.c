/* AML writer (see aml.h), following the ACPI specification 6.x, chapter 20 "ACPI Machine
 * Language (AML) Specification" (name strings, PkgLength, data objects, the opcodes) and section
 * 6.4 "Resource Data Types for ACPI" (small and large resource descriptors).
 */
#include "bios/aml.h"

#include <stdlib.h>
#include <string.h>

void aml_init(AmlBuf *b)
{
    memset(b, 0, sizeof *b);
}

void aml_free(AmlBuf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

static bool aml_reserve(AmlBuf *b, size_t extra)
{
    if (b->err) {
        return false;
    }
    if (b->len + extra <= b->cap) {
        return true;
    }
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra) {
        cap *= 2;
    }
    uint8_t *p = realloc(b->data, cap);
    if (!p) {
        b->err = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

void aml_bytes(AmlBuf *b, const void *p, size_t n)
{
    if (n && aml_reserve(b, n)) {
        memcpy(b->data + b->len, p, n);
        b->len += n;
    }
}

void aml_byte(AmlBuf *b, uint8_t v)
{
    aml_bytes(b, &v, 1);
}

void aml_op(AmlBuf *b, uint8_t op)
{
    aml_byte(b, op);
}

static void aml_le(AmlBuf *b, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        aml_byte(b, (uint8_t)(v >> (8 * i)));
    }
}

/* ---- names ---- */

static void aml_nameseg(AmlBuf *b, const char *s, size_t n)
{
    char seg[4] = {'_', '_', '_', '_'};
    for (size_t i = 0; i < n && i < 4; i++) {
        seg[i] = s[i];
    }
    aml_bytes(b, seg, 4);
}

void aml_name(AmlBuf *b, const char *path)
{
    while (*path == '\\' || *path == '^') {
        aml_byte(b, (uint8_t)*path++);
    }
    unsigned nsegs = 0;
    if (*path) {
        nsegs = 1;
        for (const char *p = path; *p; p++) {
            nsegs += *p == '.';
        }
    }
    if (nsegs == 0) {
        aml_byte(b, 0x00); /* NullName */
        return;
    }
    if (nsegs == 2) {
        aml_byte(b, AML_DUAL_NAME);
    } else if (nsegs > 2) {
        aml_byte(b, AML_MULTI_NAME);
        aml_byte(b, (uint8_t)nsegs);
    }
    while (*path) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        aml_nameseg(b, path, n);
        path += n + (dot != NULL);
    }
}

/* ---- data ---- */

void aml_int(AmlBuf *b, uint64_t v)
{
    if (v == 0) {
        aml_byte(b, AML_ZERO);
    } else if (v == 1) {
        aml_byte(b, AML_ONE);
    } else if (v <= 0xFF) {
        aml_byte(b, AML_BYTE_PREFIX);
        aml_le(b, v, 1);
    } else if (v <= 0xFFFF) {
        aml_byte(b, AML_WORD_PREFIX);
        aml_le(b, v, 2);
    } else if (v <= 0xFFFFFFFFu) {
        aml_byte(b, AML_DWORD_PREFIX);
        aml_le(b, v, 4);
    } else {
        aml_byte(b, AML_QWORD_PREFIX);
        aml_le(b, v, 8);
    }
}

void aml_string(AmlBuf *b, const char *s)
{
    aml_byte(b, AML_STRING_PREFIX);
    aml_bytes(b, s, strlen(s) + 1);
}

static unsigned hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return (unsigned)(c - '0');
    }
    if (c >= 'A' && c <= 'F') {
        return (unsigned)(c - 'A' + 10);
    }
    if (c >= 'a' && c <= 'f') {
        return (unsigned)(c - 'a' + 10);
    }
    return 0;
}

uint32_t aml_eisaid_value(const char *id)
{
    /* three letters of 5 bits ('A' = 1) and four hex digits, stored big-endian */
    uint32_t v = 0;
    for (int i = 0; i < 3; i++) {
        v = v << 5 | ((uint32_t)(id[i] - 0x40) & 0x1F);
    }
    for (int i = 3; i < 7; i++) {
        v = v << 4 | hexval(id[i]);
    }
    return (v >> 24) | ((v >> 8) & 0xFF00u) | ((v << 8) & 0xFF0000u) | (v << 24);
}

void aml_eisaid(AmlBuf *b, const char *id)
{
    aml_byte(b, AML_DWORD_PREFIX);
    aml_le(b, aml_eisaid_value(id), 4);
}

/* ---- PkgLength objects ---- */

static unsigned pkglength_raw(uint32_t v, unsigned n, uint8_t out[4])
{
    if (n == 1) {
        out[0] = (uint8_t)v;
        return 1;
    }
    out[0] = (uint8_t)(((n - 1) << 6) | (v & 0x0F));
    for (unsigned i = 1; i < n; i++) {
        out[i] = (uint8_t)(v >> (4 + 8 * (i - 1)));
    }
    return n;
}

unsigned aml_pkglength_encode(size_t content, uint8_t out[4])
{
    unsigned n = content + 1 <= 0x3F ? 1 : content + 2 <= 0xFFF ? 2 : content + 3 <= 0xFFFFF ? 3 : 4;
    return pkglength_raw((uint32_t)(content + n), n, out);
}

size_t aml_begin(AmlBuf *b, uint8_t op)
{
    aml_byte(b, op);
    return b->len;
}

size_t aml_begin_ext(AmlBuf *b, uint8_t ext_op)
{
    aml_byte(b, AML_EXT);
    aml_byte(b, ext_op);
    return b->len;
}

void aml_end(AmlBuf *b, size_t mark)
{
    if (b->err || mark > b->len) {
        return;
    }
    uint8_t pl[4];
    unsigned n = aml_pkglength_encode(b->len - mark, pl);
    if (!aml_reserve(b, n)) {
        return;
    }
    memmove(b->data + mark + n, b->data + mark, b->len - mark);
    memcpy(b->data + mark, pl, n);
    b->len += n;
}

size_t aml_scope_begin(AmlBuf *b, const char *path)
{
    size_t m = aml_begin(b, AML_SCOPE);
    aml_name(b, path);
    return m;
}

size_t aml_device_begin(AmlBuf *b, const char *path)
{
    size_t m = aml_begin_ext(b, AML_EXT_DEVICE);
    aml_name(b, path);
    return m;
}

size_t aml_method_begin(AmlBuf *b, const char *path, unsigned nargs, bool serialized)
{
    size_t m = aml_begin(b, AML_METHOD);
    aml_name(b, path);
    aml_byte(b, (uint8_t)((nargs & 7) | (serialized ? 0x08 : 0)));
    return m;
}

size_t aml_if_begin(AmlBuf *b)
{
    return aml_begin(b, AML_IF);
}

size_t aml_else_begin(AmlBuf *b)
{
    return aml_begin(b, AML_ELSE);
}

size_t aml_package_begin(AmlBuf *b, uint8_t nelems)
{
    size_t m = aml_begin(b, AML_PACKAGE);
    aml_byte(b, nelems);
    return m;
}

void aml_buffer(AmlBuf *b, const void *bytes, size_t n)
{
    size_t m = aml_begin(b, AML_BUFFER);
    aml_int(b, n);
    aml_bytes(b, bytes, n);
    aml_end(b, m);
}

void aml_name_decl(AmlBuf *b, const char *path)
{
    aml_byte(b, AML_NAME_OP);
    aml_name(b, path);
}

void aml_name_int(AmlBuf *b, const char *path, uint64_t v)
{
    aml_name_decl(b, path);
    aml_int(b, v);
}

void aml_op_region(AmlBuf *b, const char *name, uint8_t space, uint64_t offset, uint64_t len)
{
    aml_byte(b, AML_EXT);
    aml_byte(b, AML_EXT_OP_REGION);
    aml_name(b, name);
    aml_byte(b, space);
    aml_int(b, offset);
    aml_int(b, len);
}

size_t aml_field_begin(AmlBuf *b, const char *region, uint8_t flags)
{
    size_t m = aml_begin_ext(b, AML_EXT_FIELD);
    aml_name(b, region);
    aml_byte(b, flags);
    return m;
}

void aml_field_entry(AmlBuf *b, const char *name, uint32_t bits)
{
    uint8_t pl[4];
    unsigned n = bits <= 0x3F ? 1 : bits <= 0xFFF ? 2 : bits <= 0xFFFFF ? 3 : 4;
    aml_nameseg(b, name, strlen(name));
    aml_bytes(b, pl, pkglength_raw(bits, n, pl));
}

/* ---- resource descriptors ---- */

void aml_rd_io(AmlBuf *b, uint16_t min, uint16_t max, uint8_t align, uint8_t len)
{
    aml_byte(b, 0x47); /* small item 8: I/O port, 7 bytes */
    aml_byte(b, 0x01); /* 16-bit decode */
    aml_le(b, min, 2);
    aml_le(b, max, 2);
    aml_byte(b, align);
    aml_byte(b, len);
}

void aml_rd_irq_noflags(AmlBuf *b, uint16_t mask)
{
    aml_byte(b, 0x22); /* small item 4: IRQ, 2 bytes (high-true edge) */
    aml_le(b, mask, 2);
}

void aml_rd_interrupt(AmlBuf *b, bool edge, bool active_low, bool shared, const uint32_t *irqs,
                      unsigned n)
{
    aml_byte(b, 0x89); /* large item 9: extended interrupt */
    aml_le(b, 2 + 4 * n, 2);
    aml_byte(b, (uint8_t)(0x01 | (edge ? 0x02 : 0) | (active_low ? 0x04 : 0) | (shared ? 0x08 : 0)));
    aml_byte(b, (uint8_t)n);
    for (unsigned i = 0; i < n; i++) {
        aml_le(b, irqs[i], 4);
    }
}

/* Large item 8 (word address space): type, general flags, type-specific flags, then
 * granularity, minimum, maximum, translation offset and length. */
static void aml_rd_word(AmlBuf *b, uint8_t type, uint8_t tflags, uint16_t min, uint16_t max)
{
    aml_byte(b, 0x88);
    aml_le(b, 13, 2);
    aml_byte(b, type);
    aml_byte(b, 0x0C); /* producer, positive decode, MinFixed, MaxFixed */
    aml_byte(b, tflags);
    aml_le(b, 0, 2);
    aml_le(b, min, 2);
    aml_le(b, max, 2);
    aml_le(b, 0, 2);
    aml_le(b, (uint32_t)max - min + 1, 2);
}

void aml_rd_word_bus(AmlBuf *b, uint16_t min, uint16_t max)
{
    aml_rd_word(b, 2, 0x00, min, max);
}

void aml_rd_word_io(AmlBuf *b, uint16_t min, uint16_t max)
{
    aml_rd_word(b, 1, 0x03 /* EntireRange */, min, max);
}

void aml_rd_dword_memory(AmlBuf *b, bool cacheable, uint32_t min, uint32_t max)
{
    aml_byte(b, 0x87); /* large item 7: dword address space */
    aml_le(b, 23, 2);
    aml_byte(b, 0);    /* memory */
    aml_byte(b, 0x0C);
    aml_byte(b, cacheable ? 0x03 : 0x01); /* ReadWrite, Cacheable or NonCacheable */
    aml_le(b, 0, 4);
    aml_le(b, min, 4);
    aml_le(b, max, 4);
    aml_le(b, 0, 4);
    aml_le(b, (uint64_t)max - min + 1, 4);
}

void aml_rd_end(AmlBuf *b)
{
    aml_byte(b, 0x79);
    aml_byte(b, 0x00);
}
