/* Physical memory map, port I/O and MMIO dispatch (see bus.h). */
#include "mmu/bus.h"

#include <stdlib.h>
#include <string.h>

#include "mmu/log.h"

int bus_init(Bus *b, uint32_t ram_size)
{
    memset(b, 0, sizeof *b);
    b->pages = calloc(PHYS_PAGES, sizeof *b->pages);
    b->code = calloc(PHYS_PAGES, 1);
    b->ram = calloc(1, ram_size ? ram_size : 1);
    if (!b->pages || !b->code || !b->ram) {
        bus_free(b);
        return -1;
    }
    b->ram_size = ram_size;
    b->a20_mask = 0xFFFFFFFFu;
    bus_map_mem(b, 0, ram_size & ~0xFFFu, b->ram, b->ram);
    return 0;
}

void bus_free(Bus *b)
{
    free(b->pages);
    free(b->code);
    free(b->ram);
    b->pages = NULL;
    b->code = NULL;
    b->ram = NULL;
}

static void map_changed(Bus *b)
{
    if (b->map_changed) {
        b->map_changed(b->cpu_opaque);
    }
}

/* ---- ports ---- */

int bus_register_pio(Bus *b, uint32_t base, uint32_t len, const IoOps *ops, void *opaque,
                     const char *name)
{
    if (b->npio >= BUS_MAX_REGIONS || base + len > 65536) {
        return -1;
    }
    IoRegion *r = &b->pio[b->npio++];
    *r = (IoRegion){base, len, ops, opaque, name};
    for (uint32_t p = base; p < base + len; p++) {
        b->pio_map[p] = (uint8_t)b->npio;
    }
    return 0;
}

int bus_place_pio(Bus *b, int *region, uint32_t base, uint32_t len, const IoOps *ops, void *opaque,
                  const char *name)
{
    if (*region >= 0) {
        IoRegion *r = &b->pio[*region];
        if (r->base != BUS_PIO_NOWHERE) {
            for (uint32_t p = r->base; p < r->base + r->len; p++) {
                if (b->pio_map[p] == *region + 1) {
                    b->pio_map[p] = 0;
                }
            }
        }
        r->base = BUS_PIO_NOWHERE;
    }
    if (base == BUS_PIO_NOWHERE || base + len > 65536 || base + len < base) {
        return 0;
    }
    if (*region < 0) {
        if (b->npio >= BUS_MAX_REGIONS) {
            return -1;
        }
        *region = b->npio++;
        b->pio[*region] = (IoRegion){BUS_PIO_NOWHERE, len, ops, opaque, name};
    }
    IoRegion *r = &b->pio[*region];
    r->base = base;
    r->len = len;
    for (uint32_t p = base; p < base + len; p++) {
        if (!b->pio_map[p]) {
            b->pio_map[p] = (uint8_t)(*region + 1);
        } else if (b->pio_map[p] != *region + 1) {
            LOG_ONCE(LOG_IO, "port region %s at 0x%x overlaps another device", name, base);
        }
    }
    return 0;
}

static bool size_ok(const IoOps *ops, unsigned size)
{
    return ops->sizes == 0 || (ops->sizes & size);
}

/* Read `size` bytes from a region, splitting into the widths it implements. */
static uint32_t region_read(IoRegion *r, uint32_t off, unsigned size)
{
    if (size_ok(r->ops, size) && r->ops->read) {
        return r->ops->read(r->opaque, off, size);
    }
    if (size == 1) {
        return r->ops->read ? r->ops->read(r->opaque, off, 1) & 0xFF : 0xFF;
    }
    unsigned half = size / 2;
    uint32_t lo = region_read(r, off, half);
    uint32_t hi = region_read(r, off + half, half);
    return lo | (hi << (8 * half));
}

static void region_write(IoRegion *r, uint32_t off, uint32_t val, unsigned size)
{
    if (size_ok(r->ops, size) || size == 1) {
        if (r->ops->write) {
            r->ops->write(r->opaque, off, val, size);
        }
        return;
    }
    unsigned half = size / 2;
    uint32_t mask = (1u << (8 * half)) - 1;
    region_write(r, off, val & mask, half);
    region_write(r, off + half, val >> (8 * half), half);
}

uint32_t bus_pio_read(Bus *b, uint32_t port, unsigned size)
{
    port &= 0xFFFF;
    int idx = b->pio_map[port];
    if (!idx) {
        xlog(LOG_IO, "unclaimed port read 0x%04x size %u", port, size);
        return size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
    }
    IoRegion *r = &b->pio[idx - 1];
    if (port + size > r->base + r->len) {
        /* straddles two regions: byte by byte */
        uint32_t v = 0;
        for (unsigned i = 0; i < size; i++) {
            v |= bus_pio_read(b, port + i, 1) << (8 * i);
        }
        return v;
    }
    return region_read(r, port - r->base, size);
}

void bus_pio_write(Bus *b, uint32_t port, uint32_t val, unsigned size)
{
    port &= 0xFFFF;
    int idx = b->pio_map[port];
    if (!idx) {
        xlog(LOG_IO, "unclaimed port write 0x%04x <- 0x%x size %u", port, val, size);
        return;
    }
    IoRegion *r = &b->pio[idx - 1];
    if (port + size > r->base + r->len) {
        for (unsigned i = 0; i < size; i++) {
            bus_pio_write(b, port + i, (val >> (8 * i)) & 0xFF, 1);
        }
        return;
    }
    region_write(r, port - r->base, val, size);
}

/* ---- memory map ---- */

int bus_register_mmio(Bus *b, uint32_t base, uint32_t len, const IoOps *ops, void *opaque,
                      const char *name)
{
    if (b->nmmio >= BUS_MAX_REGIONS) {
        return -1;
    }
    int idx = b->nmmio++;
    b->mmio[idx] = (IoRegion){base, len, ops, opaque, name};
    for (uint64_t a = base & ~0xFFFu; a < (uint64_t)base + len; a += 4096) {
        PhysPage *p = &b->pages[a >> 12];
        p->rd = p->wr = NULL;
        p->mmio = (uint16_t)(idx + 1);
    }
    map_changed(b);
    return idx;
}

void bus_unmap_mmio(Bus *b, int idx)
{
    if (idx < 0 || idx >= b->nmmio) {
        return;
    }
    IoRegion *r = &b->mmio[idx];
    for (uint64_t a = r->base & ~0xFFFu; a < (uint64_t)r->base + r->len; a += 4096) {
        PhysPage *p = &b->pages[a >> 12];
        if (p->mmio == idx + 1) {
            p->mmio = 0;
            /* RAM below the hole shows through again */
            if (a + 4096 <= b->ram_size) {
                p->rd = p->wr = b->ram + a;
            }
        }
    }
    r->len = 0;
    map_changed(b);
}

void bus_map_mem(Bus *b, uint32_t paddr, uint32_t len, uint8_t *rd, uint8_t *wr)
{
    for (uint64_t off = 0; off < len; off += 4096) {
        PhysPage *p = &b->pages[(paddr + off) >> 12];
        p->rd = rd ? rd + off : NULL;
        p->wr = wr ? wr + off : NULL;
        p->mmio = 0;
    }
    map_changed(b);
}

void bus_set_a20(Bus *b, bool enabled)
{
    uint32_t m = enabled ? 0xFFFFFFFFu : 0xFFEFFFFFu;
    if (m != b->a20_mask) {
        b->a20_mask = m;
        map_changed(b);
    }
}

uint32_t bus_mmio_read(Bus *b, uint32_t paddr, unsigned size)
{
    PhysPage *p = &b->pages[paddr >> 12];
    if (p->mmio) {
        IoRegion *r = &b->mmio[p->mmio - 1];
        if (paddr >= r->base && paddr + size <= r->base + r->len) {
            return region_read(r, paddr - r->base, size);
        }
    }
    LOG_ONCE(LOG_IO, "unassigned physical read 0x%08x", paddr);
    return size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
}

void bus_mmio_write(Bus *b, uint32_t paddr, uint32_t val, unsigned size)
{
    PhysPage *p = &b->pages[paddr >> 12];
    if (p->mmio) {
        IoRegion *r = &b->mmio[p->mmio - 1];
        if (paddr >= r->base && paddr + size <= r->base + r->len) {
            region_write(r, paddr - r->base, val, size);
            return;
        }
    }
    LOG_ONCE(LOG_IO, "unassigned physical write 0x%08x", paddr);
}

static inline void note_code_write(Bus *b, uint32_t paddr)
{
    if (b->code[paddr >> 12] && b->code_write) {
        b->code_write(b->cpu_opaque, paddr >> 12);
    }
}

uint32_t bus_read(Bus *b, uint32_t paddr, unsigned size)
{
    PhysPage *p = &b->pages[paddr >> 12];
    if (p->rd) {
        const uint8_t *h = p->rd + (paddr & 0xFFF);
        switch (size) {
        case 1:
            return h[0];
        case 2:
            return (uint32_t)h[0] | (uint32_t)h[1] << 8;
        default:
            return (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 |
                   (uint32_t)h[3] << 24;
        }
    }
    return bus_mmio_read(b, paddr, size);
}

void bus_write(Bus *b, uint32_t paddr, uint32_t val, unsigned size)
{
    PhysPage *p = &b->pages[paddr >> 12];
    if (p->wr) {
        uint8_t *h = p->wr + (paddr & 0xFFF);
        for (unsigned i = 0; i < size; i++) {
            h[i] = (uint8_t)(val >> (8 * i));
        }
        note_code_write(b, paddr);
        return;
    }
    if (p->rd) {
        return; /* ROM: writes dropped */
    }
    bus_mmio_write(b, paddr, val, size);
}

void bus_mem_read(Bus *b, uint32_t paddr, void *buf, size_t len)
{
    uint8_t *out = buf;
    while (len) {
        uint32_t chunk = 4096 - (paddr & 0xFFF);
        if (chunk > len) {
            chunk = (uint32_t)len;
        }
        PhysPage *p = &b->pages[paddr >> 12];
        if (p->rd) {
            memcpy(out, p->rd + (paddr & 0xFFF), chunk);
        } else {
            for (uint32_t i = 0; i < chunk; i++) {
                out[i] = (uint8_t)bus_mmio_read(b, paddr + i, 1);
            }
        }
        out += chunk;
        paddr += chunk;
        len -= chunk;
    }
}

void bus_mem_write(Bus *b, uint32_t paddr, const void *buf, size_t len)
{
    const uint8_t *in = buf;
    while (len) {
        uint32_t chunk = 4096 - (paddr & 0xFFF);
        if (chunk > len) {
            chunk = (uint32_t)len;
        }
        PhysPage *p = &b->pages[paddr >> 12];
        if (p->wr) {
            memcpy(p->wr + (paddr & 0xFFF), in, chunk);
            note_code_write(b, paddr);
        } else if (!p->rd) {
            for (uint32_t i = 0; i < chunk; i++) {
                bus_mmio_write(b, paddr + i, in[i], 1);
            }
        }
        in += chunk;
        paddr += chunk;
        len -= chunk;
    }
}
