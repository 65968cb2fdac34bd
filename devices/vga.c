/* The VGA device model (see vga.h): registers after IBM's "VGA and XGA Technical Reference"
 * (sequencer SR0-4, CRTC CR0-18, graphics controller GR0-8, attribute controller AR0-14, the
 * DAC at 0x3C6-0x3C9, misc output and input status), the display memory access paths (chain-4,
 * odd/even, write modes 0-3 with set/reset, rotate, logical function and bit mask; read modes 0
 * and 1), and the Bochs DISPI interface (ID 0xB0C0-0xB0C5) as Bochs and QEMU define it.
 *
 * Departures from hardware:
 * - Chain-4 packs the planes: CPU byte A is plane A & 3 at plane offset A >> 2 (vram[A]); the
 *   hardware uses every fourth byte of each plane. Software that switches from chain-4 to
 *   unchained mode and expects to see its chain-4 picture rearranged sees it unchanged. The
 *   CRTC's doubleword mode is ignored in 256-colour mode for the same reason (vga_render.c).
 * - Chain-4 writes store the byte as it is (no write modes or bit mask), as all known software
 *   expects in mode 13h.
 * - The odd/even page bit (misc output bit 5) is ignored: odd/even addresses keep bit 0 clear.
 * - Retrace timing follows the CRTC's totals and the dot clock, derived from the virtual clock.
 */
#include "devices/vga.h"

#include <stdlib.h>
#include <string.h>

#include "mmu/log.h"

static const VmsField kVgaFields[] = {
    VMS_U8F(VgaState, misc),
    VMS_U8F(VgaState, sr_index),
    VMS_ARRAY(VgaState, sr, VMS_U8, 8),
    VMS_U8F(VgaState, gr_index),
    VMS_ARRAY(VgaState, gr, VMS_U8, 16),
    VMS_U8F(VgaState, ar_index),
    VMS_ARRAY(VgaState, ar, VMS_U8, 32),
    VMS_BOOLF(VgaState, ar_flip),
    VMS_U8F(VgaState, cr_index),
    VMS_ARRAY(VgaState, cr, VMS_U8, 32),
    VMS_U8F(VgaState, feature),
    VMS_U8F(VgaState, pel_mask),
    VMS_U8F(VgaState, dac_read),
    VMS_U8F(VgaState, dac_write),
    VMS_U8F(VgaState, dac_sub),
    VMS_U8F(VgaState, dac_state),
    VMS_ARRAY(VgaState, dac_cache, VMS_U8, 3),
    VMS_ARRAY(VgaState, dac, VMS_U8, 768),
    VMS_U32F(VgaState, latch),
    VMS_U16F(VgaState, vbe_index),
    VMS_ARRAY(VgaState, vbe, VMS_U16, VBE_NREGS),
    VMS_FIELDS_END,
};

static int vga_post_load(void *opaque)
{
    VgaState *s = opaque;
    s->regs_gen++;
    s->shadow_hi = 0; /* the next refresh redraws */
    return 0;
}

static const VmsDesc kVgaDesc = {"vga", 1, kVgaFields, NULL, vga_post_load};

/* Video memory is its own section: its opaque is the buffer itself. */
static const VmsField kVramFields[] = {
    {"vram", VMS_U8, 0, VGA_VRAM_SIZE},
    VMS_FIELDS_END,
};
static const VmsDesc kVramDesc = {"vga-vram", 1, kVramFields, NULL, NULL};

/* Writable bits of each register (reads return what was stored). */
static const uint8_t kSrMask[8] = {0x03, 0x3D, 0x0F, 0x3F, 0x0E, 0x00, 0x00, 0x00};
static const uint8_t kGrMask[16] = {0x0F, 0x0F, 0x0F, 0x1F, 0x03, 0x7B, 0x0F, 0x0F, 0xFF};
#define VGA_NCR 0x19
#define VGA_NAR 0x15

static bool vbe_enabled(const VgaState *s)
{
    return (s->vbe[VBE_ENABLE] & VBE_ENABLED) != 0;
}

/* ---- retrace timing (virtual time) ---- */

uint64_t vga_frame_ns(const VgaState *s, uint64_t *line_ns, unsigned *vtotal, unsigned *vrs,
                      unsigned *vre, unsigned *vde)
{
    const uint8_t *cr = s->cr;
    unsigned dots = (s->sr[1] & 1) ? 8 : 9;
    uint64_t hz = ((s->misc >> 2) & 3) == 1 ? 28322000u : 25175000u;
    uint64_t ln = (uint64_t)(cr[0] + 5) * dots * 1000000000u / hz;
    unsigned vt = (cr[6] | (cr[7] & 1) << 8 | (cr[7] & 0x20) << 4) + 2;
    unsigned de = (cr[0x12] | (cr[7] & 2) << 7 | (cr[7] & 0x40) << 3) + 1;
    unsigned rs = cr[0x10] | (cr[7] & 4) << 6 | (cr[7] & 0x80) << 2;
    unsigned rlen = ((cr[0x11] & 0x0F) - rs) & 0x0F;
    if (vbe_enabled(s)) {
        /* a 60 Hz frame with the VBE height; 4 % blanking */
        de = s->vbe[VBE_YRES] ? s->vbe[VBE_YRES] : 480;
        vt = de + de / 24 + 4;
        rs = de + 2;
        rlen = 2;
        ln = 16666667u / vt;
    }
    if (vt < 64 || ln < 5000 || ln > 200000 || de > vt || rs >= vt) {
        /* unprogrammed or implausible: the 70 Hz 400-line timing */
        ln = 31778;
        vt = 449;
        de = 400;
        rs = 412;
        rlen = 2;
    }
    if (rlen == 0) {
        rlen = 16;
    }
    if (line_ns) {
        *line_ns = ln;
    }
    if (vtotal) {
        *vtotal = vt;
    }
    if (vrs) {
        *vrs = rs;
    }
    if (vre) {
        *vre = rs + rlen;
    }
    if (vde) {
        *vde = de;
    }
    return ln * vt;
}

/* Input status 1: bit 0 display disabled (blanking), bit 3 vertical retrace. */
static uint8_t input_status1(VgaState *s)
{
    uint64_t line_ns;
    unsigned vt, vrs, vre, vde;
    uint64_t frame = vga_frame_ns(s, &line_ns, &vt, &vrs, &vre, &vde);
    uint64_t pos = clock_now(s->clock) % frame;
    unsigned line = (unsigned)(pos / line_ns);
    uint64_t in_line = pos % line_ns;
    unsigned htotal = s->cr[0] + 5u;
    unsigned hde = s->cr[1] + 1u;
    uint64_t active = hde < htotal ? line_ns * hde / htotal : line_ns * 4 / 5;
    uint8_t v = 0;
    if (line >= vde || in_line >= active) {
        v |= 0x01;
    }
    if (line >= vrs && line < vre) {
        v |= 0x08;
    }
    return v;
}

/* ---- ports ---- */

static bool crtc_port_ok(const VgaState *s, uint32_t port)
{
    bool color = s->misc & 1;
    if (port >= 0x3B0 && port <= 0x3BF) {
        return !color;
    }
    if (port >= 0x3D0 && port <= 0x3DF) {
        return color;
    }
    return true;
}

static uint8_t dac_component(const VgaState *s, uint8_t v)
{
    return (s->vbe[VBE_ENABLE] & VBE_8BIT_DAC) ? v : (uint8_t)(v & 0x3F);
}

static uint8_t vga_port_read(VgaState *s, uint32_t port)
{
    if (!crtc_port_ok(s, port)) {
        return 0xFF;
    }
    switch (port) {
    case 0x3C0:
        return s->ar_index;
    case 0x3C1:
        return (s->ar_index & 0x1F) < VGA_NAR ? s->ar[s->ar_index & 0x1F] : 0;
    case 0x3C2:
        return 0x10; /* input status 0: switch sense (a colour monitor) */
    case 0x3C3:
        return 1; /* VGA enable */
    case 0x3C4:
        return s->sr_index;
    case 0x3C5:
        return s->sr[s->sr_index & 7];
    case 0x3C6:
        return s->pel_mask;
    case 0x3C7:
        return s->dac_state;
    case 0x3C8:
        return s->dac_write;
    case 0x3C9: {
        uint8_t v = s->dac[s->dac_read * 3 + s->dac_sub];
        if (++s->dac_sub == 3) {
            s->dac_sub = 0;
            s->dac_read++;
        }
        return v;
    }
    case 0x3CA:
        return s->feature;
    case 0x3CC:
        return s->misc;
    case 0x3CE:
        return s->gr_index;
    case 0x3CF:
        return (s->gr_index & 0x0F) <= 8 ? s->gr[s->gr_index & 0x0F] : 0xFF;
    case 0x3B4:
    case 0x3D4:
        return s->cr_index;
    case 0x3B5:
    case 0x3D5:
        return s->cr_index < VGA_NCR ? s->cr[s->cr_index] : 0xFF;
    case 0x3BA:
    case 0x3DA:
        s->ar_flip = false;
        return input_status1(s);
    default:
        LOG_ONCE(LOG_VGA, "vga: read of port 0x%x", port);
        return 0xFF;
    }
}

static void vga_port_write(VgaState *s, uint32_t port, uint8_t v)
{
    if (!crtc_port_ok(s, port)) {
        return;
    }
    s->regs_gen++;
    switch (port) {
    case 0x3C0:
        if (!s->ar_flip) {
            s->ar_index = v & 0x3F;
        } else {
            unsigned i = s->ar_index & 0x1F;
            if (i < 0x10) {
                s->ar[i] = v & 0x3F;
            } else if (i == 0x10) {
                s->ar[i] = v & 0xEF;
            } else if (i == 0x11) {
                s->ar[i] = v;
            } else if (i == 0x12) {
                s->ar[i] = v & 0x3F;
            } else if (i == 0x13 || i == 0x14) {
                s->ar[i] = v & 0x0F;
            }
        }
        s->ar_flip = !s->ar_flip;
        break;
    case 0x3C2:
        s->misc = v;
        break;
    case 0x3C3:
        break;
    case 0x3C4:
        s->sr_index = v;
        break;
    case 0x3C5:
        s->sr[s->sr_index & 7] = v & kSrMask[s->sr_index & 7];
        break;
    case 0x3C6:
        s->pel_mask = v;
        break;
    case 0x3C7:
        s->dac_read = v;
        s->dac_sub = 0;
        s->dac_state = 3;
        break;
    case 0x3C8:
        s->dac_write = v;
        s->dac_sub = 0;
        s->dac_state = 0;
        break;
    case 0x3C9:
        s->dac_cache[s->dac_sub] = dac_component(s, v);
        if (++s->dac_sub == 3) {
            memcpy(&s->dac[s->dac_write * 3], s->dac_cache, 3);
            s->dac_sub = 0;
            s->dac_write++;
        }
        break;
    case 0x3CE:
        s->gr_index = v;
        break;
    case 0x3CF:
        if ((s->gr_index & 0x0F) <= 8) {
            s->gr[s->gr_index & 0x0F] = v & kGrMask[s->gr_index & 0x0F];
        }
        break;
    case 0x3B4:
    case 0x3D4:
        s->cr_index = v;
        break;
    case 0x3B5:
    case 0x3D5: {
        unsigned i = s->cr_index;
        if (i >= VGA_NCR) {
            break;
        }
        if ((s->cr[0x11] & 0x80) && i <= 7) {
            /* CR0-7 protected; only the line compare bit 8 of CR7 stays writable */
            if (i == 7) {
                s->cr[7] = (uint8_t)((s->cr[7] & ~0x10) | (v & 0x10));
            }
            break;
        }
        s->cr[i] = v;
        break;
    }
    case 0x3BA:
    case 0x3DA:
        s->feature = v;
        break;
    default:
        LOG_ONCE(LOG_VGA, "vga: write 0x%02x to port 0x%x", v, port);
        break;
    }
}

/* ---- Bochs DISPI ---- */

static unsigned vbe_bytes_pp(unsigned bpp)
{
    return bpp <= 8 ? 1 : (bpp + 7) / 8;
}

/* Bytes per line: the planar 4-bit mode counts one plane's bytes. */
static uint32_t vbe_line_bytes(const VgaState *s, unsigned width)
{
    unsigned bpp = s->vbe[VBE_BPP];
    return bpp == 4 ? width / 8 : width * vbe_bytes_pp(bpp);
}

static void vbe_update_virt(VgaState *s)
{
    uint32_t lb = vbe_line_bytes(s, s->vbe[VBE_VIRT_WIDTH]);
    uint32_t h = lb ? VGA_VRAM_SIZE / lb : 0;
    if (s->vbe[VBE_BPP] == 4) {
        h = lb ? (VGA_PLANES_SIZE / 4) / lb : 0;
    }
    s->vbe[VBE_VIRT_HEIGHT] = (uint16_t)(h > 0xFFFF ? 0xFFFF : h);
}

static uint16_t vbe_read(VgaState *s)
{
    unsigned i = s->vbe_index;
    if (i >= VBE_NREGS) {
        return 0;
    }
    if ((s->vbe[VBE_ENABLE] & VBE_GETCAPS) && (i == VBE_XRES || i == VBE_YRES || i == VBE_BPP)) {
        return i == VBE_XRES ? VBE_MAX_XRES : i == VBE_YRES ? VBE_MAX_YRES : VBE_MAX_BPP;
    }
    return s->vbe[i];
}

static bool vbe_bpp_ok(unsigned bpp)
{
    return bpp == 4 || bpp == 8 || bpp == 15 || bpp == 16 || bpp == 24 || bpp == 32;
}

static void vbe_write(VgaState *s, uint16_t v)
{
    unsigned i = s->vbe_index;
    s->regs_gen++;
    switch (i) {
    case VBE_ID:
        if (v >= 0xB0C0 && v <= 0xB0C5) {
            s->vbe[VBE_ID] = v;
        }
        break;
    case VBE_XRES:
    case VBE_YRES:
    case VBE_BPP:
        if (vbe_enabled(s)) {
            LOG_ONCE(LOG_VGA, "vga: DISPI register %u written while enabled (ignored)", i);
            break;
        }
        if (i == VBE_BPP && v == 0) {
            v = 8;
        }
        s->vbe[i] = v;
        break;
    case VBE_ENABLE: {
        bool was = vbe_enabled(s);
        if ((v & VBE_ENABLED) && !was) {
            unsigned x = s->vbe[VBE_XRES], y = s->vbe[VBE_YRES], bpp = s->vbe[VBE_BPP];
            if (x == 0 || y == 0 || x > VBE_MAX_XRES || y > VBE_MAX_YRES || !vbe_bpp_ok(bpp) ||
                (uint64_t)vbe_line_bytes(s, x) * y >
                    (bpp == 4 ? VGA_PLANES_SIZE / 4 : VGA_VRAM_SIZE)) {
                xlog(LOG_VGA, "vga: DISPI mode %ux%ux%u refused", x, y, bpp);
                v &= (uint16_t)~VBE_ENABLED;
            } else {
                s->vbe[VBE_VIRT_WIDTH] = (uint16_t)x;
                s->vbe[VBE_X_OFFSET] = 0;
                s->vbe[VBE_Y_OFFSET] = 0;
                s->vbe[VBE_BANK] = 0;
                vbe_update_virt(s);
                if (!(v & VBE_NOCLEARMEM)) {
                    memset(s->vram, 0, VGA_VRAM_SIZE);
                }
            }
        }
        s->vbe[VBE_ENABLE] =
            v & (VBE_ENABLED | VBE_GETCAPS | VBE_8BIT_DAC | VBE_LFB_ENABLED | VBE_NOCLEARMEM);
        break;
    }
    case VBE_BANK:
        if ((uint32_t)v << 16 < VGA_VRAM_SIZE) {
            s->vbe[VBE_BANK] = v;
        }
        break;
    case VBE_VIRT_WIDTH:
        if (v < s->vbe[VBE_XRES]) {
            v = s->vbe[VBE_XRES];
        }
        if ((uint64_t)vbe_line_bytes(s, v) * (s->vbe[VBE_YRES] ? s->vbe[VBE_YRES] : 1) >
            VGA_VRAM_SIZE) {
            break;
        }
        s->vbe[VBE_VIRT_WIDTH] = v;
        vbe_update_virt(s);
        break;
    case VBE_X_OFFSET:
    case VBE_Y_OFFSET:
        s->vbe[i] = v;
        break;
    default:
        break; /* VIRT_HEIGHT and VIDEO_MEMORY_64K are read-only */
    }
}

uint32_t vga_ioport_read(VgaState *s, uint32_t port, unsigned size)
{
    if (port >= 0x1CE && port <= 0x1D0) {
        uint16_t v = port == 0x1CE ? s->vbe_index : vbe_read(s);
        return size == 1 ? (uint32_t)(v & 0xFF) : v;
    }
    uint32_t v = 0;
    for (unsigned k = 0; k < size; k++) {
        v |= (uint32_t)vga_port_read(s, port + k) << (8 * k);
    }
    return v;
}

void vga_ioport_write(VgaState *s, uint32_t port, uint32_t val, unsigned size)
{
    if (port >= 0x1CE && port <= 0x1D0) {
        if (port == 0x1CE) {
            s->vbe_index = (uint16_t)val;
        } else {
            vbe_write(s, (uint16_t)val);
        }
        return;
    }
    for (unsigned k = 0; k < size; k++) {
        vga_port_write(s, port + k, (uint8_t)(val >> (8 * k)));
    }
}

static uint32_t vga_pio_read(void *opaque, uint32_t addr, unsigned size)
{
    return vga_ioport_read(opaque, 0x3B0 + addr, size);
}

static void vga_pio_write(void *opaque, uint32_t addr, uint32_t val, unsigned size)
{
    vga_ioport_write(opaque, 0x3B0 + addr, val, size);
}

static uint32_t dispi_pio_read(void *opaque, uint32_t addr, unsigned size)
{
    return vga_ioport_read(opaque, 0x1CE + addr, size);
}

static void dispi_pio_write(void *opaque, uint32_t addr, uint32_t val, unsigned size)
{
    vga_ioport_write(opaque, 0x1CE + addr, val, size);
}

static const IoOps kVgaPioOps = {vga_pio_read, vga_pio_write, IO_SIZE_1};
static const IoOps kDispiOps = {dispi_pio_read, dispi_pio_write, IO_SIZE_1 | IO_SIZE_2};

/* ---- display memory through the legacy window ---- */

/* The window offset (0xA0000-based) to a display memory address, per GR6's memory map. */
static bool window_decode(const VgaState *s, uint32_t off, uint32_t *o)
{
    switch ((s->gr[6] >> 2) & 3) {
    case 0:
        *o = off;
        return true;
    case 1:
        *o = off;
        return off < 0x10000;
    case 2:
        *o = off - 0x10000;
        return off >= 0x10000 && off < 0x18000;
    default:
        *o = off - 0x18000;
        return off >= 0x18000;
    }
}

static bool vbe_banked(const VgaState *s)
{
    return vbe_enabled(s) && s->vbe[VBE_BPP] != 4;
}

static uint32_t load_latch(const VgaState *s, uint32_t po)
{
    const uint8_t *p = s->vram + (po & 0xFFFF) * 4;
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint8_t vga_mem_read(VgaState *s, uint32_t off)
{
    uint32_t o;
    if (!window_decode(s, off, &o)) {
        return 0xFF;
    }
    if (vbe_banked(s)) {
        uint32_t a = ((uint32_t)s->vbe[VBE_BANK] << 16) + (o & 0xFFFF);
        return a < VGA_VRAM_SIZE ? s->vram[a] : 0xFF;
    }
    if (s->sr[4] & 0x08) { /* chain-4 */
        o &= VGA_PLANES_SIZE - 1;
        s->latch = load_latch(s, o >> 2);
        return s->vram[o];
    }
    unsigned plane;
    uint32_t po;
    if (s->gr[5] & 0x10) { /* odd/even */
        plane = (s->gr[4] & 2) | (o & 1);
        po = o & ~1u;
    } else {
        plane = s->gr[4] & 3;
        po = o;
    }
    po &= 0xFFFF;
    s->latch = load_latch(s, po);
    if (!(s->gr[5] & 0x08)) {
        return (uint8_t)(s->latch >> (8 * plane));
    }
    /* read mode 1: colour compare over the planes GR7 selects */
    uint8_t r = 0xFF;
    for (unsigned p = 0; p < 4; p++) {
        if (s->gr[7] & (1u << p)) {
            uint8_t lp = (uint8_t)(s->latch >> (8 * p));
            uint8_t want = (s->gr[2] & (1u << p)) ? 0xFF : 0x00;
            r &= (uint8_t) ~(lp ^ want);
        }
    }
    return r;
}

static uint8_t alu(uint8_t fn, uint8_t v, uint8_t latch)
{
    switch (fn) {
    case 1:
        return v & latch;
    case 2:
        return v | latch;
    case 3:
        return v ^ latch;
    default:
        return v;
    }
}

void vga_mem_write(VgaState *s, uint32_t off, uint8_t val)
{
    uint32_t o;
    if (!window_decode(s, off, &o)) {
        return;
    }
    if (vbe_banked(s)) {
        uint32_t a = ((uint32_t)s->vbe[VBE_BANK] << 16) + (o & 0xFFFF);
        if (a < VGA_VRAM_SIZE) {
            s->vram[a] = val;
        }
        return;
    }
    if (s->sr[4] & 0x08) { /* chain-4 */
        o &= VGA_PLANES_SIZE - 1;
        if (s->sr[2] & (1u << (o & 3))) {
            s->vram[o] = val;
        }
        return;
    }
    unsigned mask = s->sr[2] & 0x0F;
    uint32_t po = o;
    if (!(s->sr[4] & 0x04)) { /* odd/even: even addresses to planes 0 and 2, odd to 1 and 3 */
        mask &= (o & 1) ? 0x0A : 0x05;
        po = o & ~1u;
    }
    po &= 0xFFFF;
    uint8_t rot = s->gr[3] & 7;
    uint8_t fn = (s->gr[3] >> 3) & 3;
    uint8_t rv = (uint8_t)((val >> rot) | (val << ((8 - rot) & 7)));
    uint8_t bitmask = s->gr[8];
    unsigned mode = s->gr[5] & 3;
    uint8_t *dst = s->vram + po * 4;
    for (unsigned p = 0; p < 4; p++) {
        if (!(mask & (1u << p))) {
            continue;
        }
        uint8_t latch = (uint8_t)(s->latch >> (8 * p));
        uint8_t sr = (s->gr[0] & (1u << p)) ? 0xFF : 0x00;
        uint8_t d, bm = bitmask;
        switch (mode) {
        case 0:
            d = (s->gr[1] & (1u << p)) ? sr : rv;
            d = alu(fn, d, latch);
            break;
        case 1:
            d = latch;
            bm = 0xFF;
            break;
        case 2:
            d = (val & (1u << p)) ? 0xFF : 0x00;
            d = alu(fn, d, latch);
            break;
        default:
            bm = bitmask & rv;
            d = alu(fn, sr, latch);
            break;
        }
        dst[p] = (uint8_t)((d & bm) | (latch & ~bm));
    }
}

static uint32_t vga_mmio_read(void *opaque, uint32_t addr, unsigned size)
{
    return vga_mem_read(opaque, addr);
}

static void vga_mmio_write(void *opaque, uint32_t addr, uint32_t val, unsigned size)
{
    vga_mem_write(opaque, addr, (uint8_t)val);
}

static const IoOps kVgaMemOps = {vga_mmio_read, vga_mmio_write, IO_SIZE_1};

/* ---- PCI ---- */

static void vga_bar_map(PciDevice *d, int bar, uint32_t addr)
{
    VgaState *s = d->opaque;
    if (bar != 0) {
        return;
    }
    if (s->lfb_addr != PCI_BAR_UNMAPPED) {
        bus_map_mem(s->bus, s->lfb_addr, VGA_VRAM_SIZE, NULL, NULL);
    }
    s->lfb_addr = addr;
    if (addr != PCI_BAR_UNMAPPED) {
        bus_map_mem(s->bus, addr, VGA_VRAM_SIZE, s->vram, s->vram);
    }
}

static void vga_pci_reset(VgaState *s)
{
    PciDevice *d = &s->pci;
    memset(d->config + 0x04, 0, 256 - 0x04);
    pci_set_ids(d, VGA_PCI_VENDOR, VGA_PCI_DEVICE, 0x02, 0x030000);
    pci_set_word(d, PCI_SUBSYSTEM_VENDOR_ID, 0x1AF4);
    pci_set_word(d, PCI_SUBSYSTEM_ID, 0x1100);
    pci_set_long(d, PCI_BASE_ADDRESS_0, PCI_BAR_PREFETCH);
    pci_update_mappings(d);
}

void vga_reset(VgaState *s)
{
    s->misc = 0;
    s->sr_index = s->gr_index = s->ar_index = s->cr_index = 0;
    memset(s->sr, 0, sizeof s->sr);
    memset(s->gr, 0, sizeof s->gr);
    memset(s->ar, 0, sizeof s->ar);
    memset(s->cr, 0, sizeof s->cr);
    s->ar_flip = false;
    s->feature = 0;
    s->pel_mask = 0xFF;
    s->dac_read = s->dac_write = s->dac_sub = s->dac_state = 0;
    s->latch = 0;
    s->vbe_index = 0;
    memset(s->vbe, 0, sizeof s->vbe);
    s->vbe[VBE_ID] = 0xB0C0;
    s->vbe[VBE_BPP] = 8;
    s->vbe[VBE_VIDEO_MEMORY_64K] = (uint16_t)(VGA_VRAM_SIZE >> 16);
    s->regs_gen++;
    vga_pci_reset(s);
}

int vga_init(VgaState *s, Bus *bus, PciBus *pci, Clock *clock, SnapRegistry *reg, uint8_t devfn)
{
    memset(s, 0, sizeof *s);
    s->bus = bus;
    s->clock = clock;
    s->lfb_addr = PCI_BAR_UNMAPPED;
    s->seen_blink = -1;
    s->vram = calloc(1, VGA_VRAM_SIZE);
    if (!s->vram) {
        return -1;
    }
    bus_register_pio(bus, 0x3B0, 0x30, &kVgaPioOps, s, "vga");
    bus_register_pio(bus, 0x1CE, 3, &kDispiOps, s, "vbe-dispi");
    bus_register_mmio(bus, 0xA0000, 0x20000, &kVgaMemOps, s, "vga-mem");
    PciDevice *d = &s->pci;
    pci_device_init(d, "vga", s);
    d->bar_map = vga_bar_map;
    d->wmask[PCI_COMMAND] = PCI_COMMAND_IO | PCI_COMMAND_MEMORY;
    d->wmask[PCI_COMMAND + 1] = 0;
    pci_register_bar(d, 0, VGA_VRAM_SIZE, PCI_BAR_MEM | PCI_BAR_PREFETCH);
    snap_register(reg, &kVgaDesc, s, 0);
    snap_register(reg, &kVramDesc, s->vram, 0);
    vga_reset(s);
    if (pci && pci_register_device(pci, d, devfn, reg)) {
        xlog(LOG_VGA, "vga: devfn 0x%02x is taken", devfn);
    }
    return 0;
}

void vga_free(VgaState *s)
{
    free(s->vram);
    free(s->shadow);
    s->vram = NULL;
    s->shadow = NULL;
}
