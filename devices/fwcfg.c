/* QEMU's fw_cfg device as its x86 I/O port variant presents it, following QEMU's
 * docs/specs/fw_cfg.rst: a 16-bit selector at 0x510, a byte-wide data port at 0x511 whose reads
 * advance through the selected item (0 past its end or for a missing key), the file directory
 * item 0x19 (a big-endian count, then 64-byte entries: be32 size, be16 select, u16 reserved,
 * char name[56]), and the DMA interface: a big-endian 64-bit address written as two 32-bit halves
 * (0x514 high, 0x518 low; the low write starts the transfer) of a FWCfgDmaAccess {be32 control,
 * be32 length, be64 address} whose control word (bit 3 select with the key in bits 31-16, bit 1
 * read, bit 2 skip, bit 4 write, bit 0 error) is written back as 0 or error when done. Reading
 * the DMA ports gives the signature "QEMU CFG". All memory access goes through bus_mem_read/write.
 *
 * Departures: no item is writable (a DMA write sets the error bit, data port writes are ignored);
 * the directory lists files in the order they were added, not sorted by name.
 */
#include "devices/fwcfg.h"

#include <stdlib.h>
#include <string.h>

#include "mmu/log.h"

#define DMA_CTL_ERROR 0x01
#define DMA_CTL_READ 0x02
#define DMA_CTL_SKIP 0x04
#define DMA_CTL_SELECT 0x08
#define DMA_CTL_WRITE 0x10
#define DIR_ENTRY_SIZE 64

static const VmsField kFwCfgFields[] = {
    VMS_U16F(FwCfgState, selector),
    VMS_U32F(FwCfgState, offset),
    VMS_U32F(FwCfgState, dma_high),
    VMS_FIELDS_END,
};
static const VmsDesc kFwCfgDesc = {"fw_cfg", 1, kFwCfgFields, NULL, NULL};

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t bswap32(uint32_t v)
{
    return (v >> 24) | ((v >> 8) & 0xFF00) | ((v << 8) & 0xFF0000) | (v << 24);
}

static FwCfgEntry *find_entry(FwCfgState *s, uint16_t key)
{
    key &= (uint16_t)~FW_CFG_WRITE_CHANNEL;
    for (int i = 0; i < s->nentries; i++) {
        if (s->entries[i].key == key) {
            return &s->entries[i];
        }
    }
    return NULL;
}

int fwcfg_add_bytes(FwCfgState *s, uint16_t key, const void *data, size_t len)
{
    if (len > UINT32_MAX) {
        return -1;
    }
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy) {
        return -1;
    }
    if (len) {
        memcpy(copy, data, len);
    }
    key &= (uint16_t)~FW_CFG_WRITE_CHANNEL;
    FwCfgEntry *e = find_entry(s, key);
    if (!e) {
        if (s->nentries >= FWCFG_MAX_ENTRIES) {
            free(copy);
            return -1;
        }
        e = &s->entries[s->nentries++];
        e->key = key;
    } else {
        free(e->data);
    }
    e->data = copy;
    e->len = (uint32_t)len;
    return 0;
}

int fwcfg_add_i16(FwCfgState *s, uint16_t key, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    return fwcfg_add_bytes(s, key, b, 2);
}

int fwcfg_add_i32(FwCfgState *s, uint16_t key, uint32_t v)
{
    uint8_t b[4];
    for (int i = 0; i < 4; i++) {
        b[i] = (uint8_t)(v >> (8 * i));
    }
    return fwcfg_add_bytes(s, key, b, 4);
}

int fwcfg_add_i64(FwCfgState *s, uint16_t key, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++) {
        b[i] = (uint8_t)(v >> (8 * i));
    }
    return fwcfg_add_bytes(s, key, b, 8);
}

int fwcfg_find_file(FwCfgState *s, const char *name)
{
    for (int i = 0; i < s->nfiles; i++) {
        const uint8_t *d = s->dir + 4 + i * DIR_ENTRY_SIZE;
        if (strncmp((const char *)d + 8, name, FWCFG_NAME_LEN) == 0) {
            return (d[4] << 8) | d[5];
        }
    }
    return -1;
}

int fwcfg_add_file(FwCfgState *s, const char *name, const void *data, size_t len)
{
    if (strlen(name) >= FWCFG_NAME_LEN || len > UINT32_MAX) {
        return -1;
    }
    int key = fwcfg_find_file(s, name);
    bool is_new = key < 0;
    if (is_new) {
        key = FW_CFG_FILE_FIRST + s->nfiles;
        if (key >= FW_CFG_WRITE_CHANNEL) {
            return -1;
        }
    }
    if (fwcfg_add_bytes(s, (uint16_t)key, data, len) < 0) {
        return -1;
    }
    int idx = key - FW_CFG_FILE_FIRST;
    if (is_new) {
        uint8_t *dir = realloc(s->dir, 4 + (size_t)(s->nfiles + 1) * DIR_ENTRY_SIZE);
        if (!dir) {
            return -1;
        }
        s->dir = dir;
        s->nfiles++;
        put_be32(s->dir, (uint32_t)s->nfiles);
    }
    uint8_t *d = s->dir + 4 + idx * DIR_ENTRY_SIZE;
    memset(d, 0, DIR_ENTRY_SIZE);
    put_be32(d, (uint32_t)len);
    d[4] = (uint8_t)(key >> 8);
    d[5] = (uint8_t)key;
    memcpy(d + 8, name, strlen(name));
    if (fwcfg_add_bytes(s, FW_CFG_FILE_DIR, s->dir, 4 + (size_t)s->nfiles * DIR_ENTRY_SIZE) < 0) {
        return -1;
    }
    return key;
}

static void select_key(FwCfgState *s, uint16_t key)
{
    s->selector = key;
    s->offset = 0;
    if (key & FW_CFG_WRITE_CHANNEL) {
        LOG_ONCE(LOG_FWCFG, "fw_cfg: write channel selected (0x%04x); items are read-only", key);
    }
}

static uint8_t read_byte(FwCfgState *s)
{
    FwCfgEntry *e = find_entry(s, s->selector);
    if (!e || s->offset >= e->len) {
        return 0;
    }
    return e->data[s->offset++];
}

static void dma_transfer(FwCfgState *s, uint32_t addr_lo)
{
    uint64_t addr = (uint64_t)s->dma_high << 32 | addr_lo;
    s->dma_high = 0;
    if (addr >> 32) {
        LOG_ONCE(LOG_FWCFG, "fw_cfg: DMA descriptor above 4 GB ignored");
        return;
    }
    uint8_t desc[16];
    bus_mem_read(s->bus, (uint32_t)addr, desc, sizeof desc);
    uint32_t control = get_be32(desc), length = get_be32(desc + 4);
    uint64_t target = (uint64_t)get_be32(desc + 8) << 32 | get_be32(desc + 12);
    if (control & DMA_CTL_SELECT) {
        select_key(s, (uint16_t)(control >> 16));
    }
    uint32_t result = 0;
    if (control & DMA_CTL_READ) {
        FwCfgEntry *e = find_entry(s, s->selector);
        uint8_t buf[256];
        while (length) {
            uint32_t n = length < sizeof buf ? length : (uint32_t)sizeof buf;
            for (uint32_t i = 0; i < n; i++) {
                buf[i] = (e && s->offset < e->len) ? e->data[s->offset++] : 0;
            }
            if (target + n > 0x100000000ull) {
                result = DMA_CTL_ERROR;
                break;
            }
            bus_mem_write(s->bus, (uint32_t)target, buf, n);
            target += n;
            length -= n;
        }
    } else if (control & DMA_CTL_WRITE) {
        LOG_ONCE(LOG_FWCFG, "fw_cfg: DMA write to item 0x%04x refused", s->selector);
        result = DMA_CTL_ERROR;
    } else if (control & DMA_CTL_SKIP) {
        FwCfgEntry *e = find_entry(s, s->selector);
        uint64_t off = (uint64_t)s->offset + length;
        s->offset = (uint32_t)(e && off > e->len ? e->len : (off > UINT32_MAX ? UINT32_MAX : off));
    }
    uint8_t done[4];
    put_be32(done, result);
    bus_mem_write(s->bus, (uint32_t)addr, done, 4);
}

static uint32_t io_read(void *opaque, uint32_t addr, unsigned size)
{
    FwCfgState *s = opaque;
    if (addr == 1 && size == 1) {
        return read_byte(s);
    }
    return 0; /* the selector cannot be read back */
}

static void io_write(void *opaque, uint32_t addr, uint32_t val, unsigned size)
{
    FwCfgState *s = opaque;
    if (addr == 0) {
        select_key(s, (uint16_t)val);
    } else {
        LOG_ONCE(LOG_FWCFG, "fw_cfg: data port write ignored");
    }
}

static uint32_t dma_read(void *opaque, uint32_t addr, unsigned size)
{
    static const char kSig[8] = {'Q', 'E', 'M', 'U', ' ', 'C', 'F', 'G'};
    uint32_t v = 0;
    for (unsigned i = 0; i < size && addr + i < 8; i++) {
        v |= (uint32_t)(uint8_t)kSig[addr + i] << (8 * i);
    }
    return v;
}

static void dma_write(void *opaque, uint32_t addr, uint32_t val, unsigned size)
{
    FwCfgState *s = opaque;
    if (size != 4) {
        LOG_ONCE(LOG_FWCFG, "fw_cfg: %u-byte DMA port write ignored", size);
        return;
    }
    if (addr == 0) {
        s->dma_high = bswap32(val);
    } else if (addr == 4) {
        dma_transfer(s, bswap32(val));
    }
}

static const IoOps kFwCfgIoOps = {io_read, io_write, 0};
static const IoOps kFwCfgDmaOps = {dma_read, dma_write, 0};

void fwcfg_reset(FwCfgState *s)
{
    s->selector = 0;
    s->offset = 0;
    s->dma_high = 0;
}

void fwcfg_free(FwCfgState *s)
{
    for (int i = 0; i < s->nentries; i++) {
        free(s->entries[i].data);
    }
    s->nentries = 0;
    free(s->dir);
    s->dir = NULL;
    s->nfiles = 0;
}

int fwcfg_init(FwCfgState *s, Bus *bus, SnapRegistry *reg)
{
    return fwcfg_init_opts(s, bus, reg, true);
}

int fwcfg_init_opts(FwCfgState *s, Bus *bus, SnapRegistry *reg, bool dma)
{
    memset(s, 0, sizeof *s);
    s->bus = bus;
    s->dma = dma;
    s->dir = calloc(1, 4);
    if (!s->dir || fwcfg_add_bytes(s, FW_CFG_SIGNATURE, "QEMU", 4) < 0 ||
        fwcfg_add_i32(s, FW_CFG_ID, dma ? 3 : 1) < 0 ||
        fwcfg_add_bytes(s, FW_CFG_FILE_DIR, s->dir, 4) < 0) {
        fwcfg_free(s);
        return -1;
    }
    bus_register_pio(bus, 0x510, 2, &kFwCfgIoOps, s, "fw_cfg");
    if (dma) {
        bus_register_pio(bus, 0x514, 8, &kFwCfgDmaOps, s, "fw_cfg-dma");
    }
    snap_register(reg, &kFwCfgDesc, s, 0);
    return 0;
}
