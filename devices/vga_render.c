/* Drawing the VGA's picture from its state (devices/vga.h), the way the CRT controller scans
 * display memory (IBM VGA Technical Reference, "CRT Controller" and "Attribute Controller"):
 * a character-clock address counter that starts at the start address (CR0C/CR0D), advances by
 * the offset register (CR13, in words) per character row, and is reset by the line compare
 * (split screen); a row scan counter that counts CR9's scan lines per row (twice each with
 * double scanning); word, byte and doubleword addressing (CR17 bit 6, CR14 bit 6) and the CGA
 * bank substitution of address bits 13 and 14 (CR17 bits 0 and 1). Pixels go through the
 * attribute controller's palette (AR0-AR0F, AR10, AR12, AR14) and the DAC.
 *
 * The picture is drawn at the dot resolution: a text mode is 720x400 with 9-dot characters,
 * mode 13h is 640x400 (each pixel two dots wide and, by double scanning, two lines high), mode
 * 12h is 640x480. VBE modes are drawn at their own resolution. The pixel panning register
 * (AR13) and the cursor skew (CR0B bits 5-6) are not modelled. Blinking (cursor every 16 frames,
 * characters every 32) follows the virtual frame count, so a picture depends only on the state
 * and the virtual time.
 */
#include <stdlib.h>
#include <string.h>

#include "devices/vga.h"

typedef struct RenderCtx {
    VgaState *s;
    uint32_t pal[256]; /* DAC entries as 0x00RRGGBB, after the PEL mask */
    VgaFrame *f;
} RenderCtx;

static uint8_t dac6to8(uint8_t v)
{
    v &= 0x3F;
    return (uint8_t)(v << 2 | v >> 4);
}

static void build_palette(RenderCtx *c)
{
    const VgaState *s = c->s;
    bool dac8 = (s->vbe[VBE_ENABLE] & VBE_8BIT_DAC) != 0;
    for (int i = 0; i < 256; i++) {
        const uint8_t *e = &s->dac[(i & s->pel_mask) * 3];
        uint8_t r = dac8 ? e[0] : dac6to8(e[0]);
        uint8_t g = dac8 ? e[1] : dac6to8(e[1]);
        uint8_t b = dac8 ? e[2] : dac6to8(e[2]);
        c->pal[i] = (uint32_t)r << 16 | (uint32_t)g << 8 | b;
    }
}

/* A 4-bit pixel value through the attribute controller to a DAC index. */
static uint8_t attr_map(const VgaState *s, unsigned v)
{
    v &= s->ar[0x12] & 0x0F;
    uint8_t p = s->ar[v] & 0x3F;
    if (s->ar[0x10] & 0x80) {
        p = (uint8_t)((p & 0x0F) | (s->ar[0x14] & 3) << 4);
    }
    return (uint8_t)(p | (s->ar[0x14] & 0x0C) << 4);
}

static int frame_alloc(VgaFrame *f, int w, int h)
{
    if (w < 1) {
        w = 1;
    }
    if (h < 1) {
        h = 1;
    }
    if (w > VGA_MAX_WIDTH) {
        w = VGA_MAX_WIDTH;
    }
    if (h > VGA_MAX_HEIGHT) {
        h = VGA_MAX_HEIGHT;
    }
    size_t need = (size_t)w * (size_t)h;
    if (need > f->cap) {
        uint32_t *p = realloc(f->pix, need * sizeof *p);
        if (!p) {
            f->w = f->h = 0;
            return -1;
        }
        f->pix = p;
        f->cap = need;
    }
    f->w = w;
    f->h = h;
    return 0;
}

void vga_frame_free(VgaFrame *f)
{
    free(f->pix);
    f->pix = NULL;
    f->cap = 0;
    f->w = f->h = 0;
}

/* ---- the CRTC's scan of a VGA mode ---- */

typedef struct Scan {
    unsigned cols;      /* character clocks per line (CR1 + 1) */
    unsigned char_dots; /* 8 or 9 */
    unsigned dot_mult;  /* 2 with the half dot clock (SR1 bit 3) */
    unsigned lines;     /* vertical display end */
    unsigned msl;       /* maximum scan line (CR9) */
    bool dbl;           /* double scanning (CR9 bit 7) */
    unsigned start;     /* start address */
    unsigned offset;    /* counter advance per row */
    unsigned line_compare;
} Scan;

static void scan_setup(const VgaState *s, Scan *sc)
{
    const uint8_t *cr = s->cr;
    sc->cols = cr[1] + 1u;
    sc->char_dots = (s->sr[1] & 1) ? 8 : 9;
    sc->dot_mult = (s->sr[1] & 0x08) ? 2 : 1;
    sc->lines = (cr[0x12] | (cr[7] & 2) << 7 | (cr[7] & 0x40) << 3) + 1u;
    sc->msl = cr[9] & 0x1F;
    sc->dbl = (cr[9] & 0x80) != 0;
    sc->start = (unsigned)cr[0x0C] << 8 | cr[0x0D];
    sc->offset = cr[0x13] * 2u;
    sc->line_compare = cr[0x18] | (cr[7] & 0x10) << 4 | (cr[9] & 0x40) << 3;
}

/* The display memory address (plane offset) of counter value c on row scan rs. */
static uint32_t crtc_addr(const VgaState *s, uint32_t c, unsigned rs, bool packed)
{
    const uint8_t *cr = s->cr;
    uint32_t m;
    if (packed) {
        m = c; /* chain-4 is packed (vga.c): doubleword mode has nothing to spread */
    } else if (cr[0x14] & 0x40) {
        m = c << 2 | ((c >> 14) & 3);
    } else if (!(cr[0x17] & 0x40)) {
        m = c << 1 | ((cr[0x17] & 0x20) ? (c >> 15) & 1 : (c >> 13) & 1);
    } else {
        m = c;
    }
    if (!(cr[0x17] & 1)) {
        m = (m & ~0x2000u) | (rs & 1u) << 13;
    }
    if (!(cr[0x17] & 2)) {
        m = (m & ~0x4000u) | (rs & 2u) << 13;
    }
    return m & 0xFFFF;
}

static void fill(VgaFrame *f, uint32_t rgb)
{
    for (size_t k = 0; k < (size_t)f->w * (size_t)f->h; k++) {
        f->pix[k] = rgb;
    }
}

/* The blink counter: frames of the virtual clock. */
static uint64_t vframe(const VgaState *s, uint64_t now_ns)
{
    return now_ns / vga_frame_ns(s, NULL, NULL, NULL, NULL, NULL);
}

static void draw_text_line(RenderCtx *c, const Scan *sc, uint32_t *row, uint32_t addr, unsigned rs,
                           uint64_t frame)
{
    const VgaState *s = c->s;
    const uint8_t *vram = s->vram;
    unsigned cw = sc->char_dots;
    unsigned sr3 = s->sr[3];
    uint32_t map_a = ((sr3 >> 2) & 3) | ((sr3 >> 3) & 4);
    uint32_t map_b = (sr3 & 3) | ((sr3 >> 2) & 4);
    map_a = (map_a & 3) * 0x4000 + (map_a >> 2) * 0x2000;
    map_b = (map_b & 3) * 0x4000 + (map_b >> 2) * 0x2000;
    bool blink_en = (s->ar[0x10] & 0x08) != 0;
    bool blink_on = (frame & 16) == 0;
    bool line_gfx = (s->ar[0x10] & 0x04) != 0;
    bool mono = (s->ar[0x10] & 0x02) != 0;
    unsigned ul = s->cr[0x14] & 0x1F;
    uint32_t cursor = (uint32_t)s->cr[0x0E] << 8 | s->cr[0x0F];
    unsigned cs = s->cr[0x0A] & 0x1F, ce = s->cr[0x0B] & 0x1F;
    bool cursor_here = !(s->cr[0x0A] & 0x20) && rs >= cs && rs <= ce && (frame & 8) == 0;
    unsigned x = 0;
    for (unsigned col = 0; col < sc->cols; col++, x += cw * sc->dot_mult) {
        uint32_t cnt = addr + col;
        uint32_t m = crtc_addr(s, cnt, rs, false);
        uint8_t ch = vram[m * 4];
        uint8_t at = vram[m * 4 + 1];
        unsigned fg = at & 0x0F, bg = at >> 4;
        if (blink_en) {
            bg &= 7;
            if ((at & 0x80) && !blink_on) {
                fg = bg;
            }
        }
        uint32_t font = ((at & 0x08) ? map_a : map_b) + ch * 32u + rs;
        uint8_t bits = rs < 32 ? vram[(font & 0xFFFF) * 4 + 2] : 0;
        if (mono && (at & 0x77) == 0x01 && rs == ul) {
            bits = 0xFF;
        }
        if (cursor_here && (cnt & 0xFFFF) == cursor) {
            bits = 0xFF;
        }
        uint32_t cf = c->pal[attr_map(s, fg)], cb = c->pal[attr_map(s, bg)];
        for (unsigned d = 0; d < cw; d++) {
            bool on;
            if (d < 8) {
                on = (bits >> (7 - d)) & 1;
            } else {
                on = line_gfx && ch >= 0xC0 && ch <= 0xDF && (bits & 1);
                if (cursor_here && (cnt & 0xFFFF) == cursor) {
                    on = true;
                }
            }
            for (unsigned k = 0; k < sc->dot_mult; k++) {
                row[x + d * sc->dot_mult + k] = on ? cf : cb;
            }
        }
    }
}

static void draw_gfx_line(RenderCtx *c, const Scan *sc, uint32_t *row, uint32_t addr, unsigned rs)
{
    const VgaState *s = c->s;
    const uint8_t *vram = s->vram;
    unsigned mode = s->gr[5] & 0x60;
    unsigned x = 0;
    unsigned dm = sc->dot_mult;
    for (unsigned col = 0; col < sc->cols; col++) {
        if (mode & 0x40) {
            /* 256 colours: four packed pixels per character clock, each two dots */
            uint32_t m = crtc_addr(s, addr + col, rs, true);
            for (unsigned p = 0; p < 4; p++) {
                uint32_t rgb = c->pal[vram[m * 4 + p]];
                for (unsigned k = 0; k < 2 * dm; k++) {
                    row[x++] = rgb;
                }
            }
        } else if (mode & 0x20) {
            /* CGA 4-colour interleave: 2-bit pixels from planes 0 and 1 (high bits 2 and 3) */
            uint32_t m = crtc_addr(s, addr + col, rs, false);
            const uint8_t *p = &vram[m * 4];
            for (unsigned i = 0; i < 8; i++) {
                unsigned sh = 6 - 2 * (i & 3);
                unsigned v = (i < 4) ? ((p[0] >> sh) & 3) | ((p[2] >> sh) & 3) << 2
                                     : ((p[1] >> sh) & 3) | ((p[3] >> sh) & 3) << 2;
                uint32_t rgb = c->pal[attr_map(s, v)];
                for (unsigned k = 0; k < dm; k++) {
                    row[x++] = rgb;
                }
            }
        } else {
            /* planar: one bit from each plane per pixel */
            uint32_t m = crtc_addr(s, addr + col, rs, false);
            const uint8_t *p = &vram[m * 4];
            for (unsigned i = 0; i < 8; i++) {
                unsigned sh = 7 - i;
                unsigned v = ((p[0] >> sh) & 1) | ((p[1] >> sh) & 1) << 1 |
                             ((p[2] >> sh) & 1) << 2 | ((p[3] >> sh) & 1) << 3;
                uint32_t rgb = c->pal[attr_map(s, v)];
                for (unsigned k = 0; k < dm; k++) {
                    row[x++] = rgb;
                }
            }
            if (sc->char_dots == 9) { /* a ninth dot in a graphics mode shows the background */
                for (unsigned k = 0; k < dm; k++) {
                    row[x++] = c->pal[attr_map(s, 0)];
                }
            }
        }
    }
}

static int render_vga(RenderCtx *c, uint64_t now_ns)
{
    VgaState *s = c->s;
    Scan sc;
    scan_setup(s, &sc);
    bool text = !(s->gr[6] & 1);
    unsigned cw = (text || !(s->gr[5] & 0x60)) ? sc.char_dots : 8;
    unsigned width = sc.cols * cw * sc.dot_mult;
    unsigned height = sc.lines;
    if (frame_alloc(c->f, (int)width, (int)height)) {
        return -1;
    }
    VgaFrame *f = c->f;
    /* the attribute controller's palette address source off, or the screen off: blank (and a
     * line wider than VGA_MAX_WIDTH, which no monitor would sync to) */
    if (!(s->ar_index & 0x20) || (s->sr[1] & 0x20) || width > (unsigned)f->w) {
        fill(f, 0);
        return 0;
    }
    uint64_t frame = vframe(s, now_ns);
    uint32_t addr = sc.start;
    unsigned rs = 0;
    unsigned per_row = sc.msl + 1;
    for (unsigned y = 0; y < (unsigned)f->h; y++) {
        if (y == sc.line_compare) {
            addr = 0;
            rs = 0;
        }
        uint32_t *row = f->pix + (size_t)y * (size_t)f->w;
        if (text) {
            draw_text_line(c, &sc, row, addr, rs, frame);
        } else {
            draw_gfx_line(c, &sc, row, addr, rs);
        }
        if (!sc.dbl || (y & 1)) {
            if (++rs >= per_row) {
                rs = 0;
                addr += sc.offset;
            }
        }
    }
    return 0;
}

/* ---- VBE ---- */

static int render_vbe(RenderCtx *c)
{
    VgaState *s = c->s;
    unsigned w = s->vbe[VBE_XRES], h = s->vbe[VBE_YRES], bpp = s->vbe[VBE_BPP];
    if (frame_alloc(c->f, (int)w, (int)h)) {
        return -1;
    }
    VgaFrame *f = c->f;
    w = (unsigned)f->w;
    h = (unsigned)f->h;
    const uint8_t *vram = s->vram;
    if (bpp == 4) {
        uint32_t lb = s->vbe[VBE_VIRT_WIDTH] / 8u;
        uint32_t base = s->vbe[VBE_Y_OFFSET] * lb + s->vbe[VBE_X_OFFSET] / 8u;
        for (unsigned y = 0; y < h; y++) {
            for (unsigned x = 0; x < w; x++) {
                uint32_t po = (base + y * lb + x / 8) & 0xFFFF;
                const uint8_t *p = &vram[po * 4];
                unsigned sh = 7 - (x & 7);
                unsigned v = ((p[0] >> sh) & 1) | ((p[1] >> sh) & 1) << 1 |
                             ((p[2] >> sh) & 1) << 2 | ((p[3] >> sh) & 1) << 3;
                f->pix[(size_t)y * w + x] = c->pal[attr_map(s, v)];
            }
        }
        return 0;
    }
    unsigned bypp = bpp <= 8 ? 1 : (bpp + 7) / 8;
    uint64_t lb = (uint64_t)s->vbe[VBE_VIRT_WIDTH] * bypp;
    uint64_t base = s->vbe[VBE_Y_OFFSET] * lb + (uint64_t)s->vbe[VBE_X_OFFSET] * bypp;
    for (unsigned y = 0; y < h; y++) {
        uint32_t *row = f->pix + (size_t)y * w;
        uint64_t a = base + y * lb;
        for (unsigned x = 0; x < w; x++, a += bypp) {
            if (a + bypp > VGA_VRAM_SIZE) {
                row[x] = 0;
                continue;
            }
            const uint8_t *p = vram + a;
            uint32_t rgb;
            switch (bpp) {
            case 8:
                rgb = c->pal[p[0]];
                break;
            case 15: {
                unsigned v = p[0] | p[1] << 8;
                unsigned r = (v >> 10) & 31, g = (v >> 5) & 31, b = v & 31;
                rgb = (r << 3 | r >> 2) << 16 | (g << 3 | g >> 2) << 8 | (b << 3 | b >> 2);
                break;
            }
            case 16: {
                unsigned v = p[0] | p[1] << 8;
                unsigned r = (v >> 11) & 31, g = (v >> 5) & 63, b = v & 31;
                rgb = (r << 3 | r >> 2) << 16 | (g << 2 | g >> 4) << 8 | (b << 3 | b >> 2);
                break;
            }
            default: /* 24 and 32: B, G, R in memory */
                rgb = (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
                break;
            }
            row[x] = rgb;
        }
    }
    return 0;
}

int vga_render(VgaState *s, uint64_t now_ns, VgaFrame *f)
{
    RenderCtx c = {.s = s, .f = f};
    build_palette(&c);
    if (s->vbe[VBE_ENABLE] & VBE_ENABLED) {
        return render_vbe(&c);
    }
    return render_vga(&c, now_ns);
}

/* ---- change detection ---- */

/* The range of vram the picture is drawn from. */
static void shown_range(const VgaState *s, uint32_t *lo, uint32_t *hi)
{
    if ((s->vbe[VBE_ENABLE] & VBE_ENABLED) && s->vbe[VBE_BPP] != 4) {
        unsigned bpp = s->vbe[VBE_BPP];
        unsigned bypp = bpp <= 8 ? 1 : (bpp + 7) / 8;
        uint64_t lb = (uint64_t)s->vbe[VBE_VIRT_WIDTH] * bypp;
        uint64_t a = s->vbe[VBE_Y_OFFSET] * lb + (uint64_t)s->vbe[VBE_X_OFFSET] * bypp;
        uint64_t b = a + lb * s->vbe[VBE_YRES];
        *lo = (uint32_t)(a < VGA_VRAM_SIZE ? a : VGA_VRAM_SIZE);
        *hi = (uint32_t)(b < VGA_VRAM_SIZE ? b : VGA_VRAM_SIZE);
        return;
    }
    *lo = 0;
    *hi = VGA_PLANES_SIZE;
}

bool vga_frame_changed(VgaState *s, uint64_t now_ns)
{
    bool changed = s->regs_gen != s->seen_gen;
    s->seen_gen = s->regs_gen;
    /* blinking: only a text mode blinks (the cursor, and characters with AR10 bit 3) */
    int blink = -1;
    if (!(s->vbe[VBE_ENABLE] & VBE_ENABLED) && !(s->gr[6] & 1) &&
        (!(s->cr[0x0A] & 0x20) || (s->ar[0x10] & 0x08))) {
        blink = (int)((vframe(s, now_ns) >> 3) & 3);
    }
    if (blink != s->seen_blink) {
        s->seen_blink = blink;
        changed = true;
    }
    uint32_t lo, hi;
    shown_range(s, &lo, &hi);
    if (lo != s->shadow_lo || hi != s->shadow_hi || !s->shadow) {
        if (!s->shadow) {
            s->shadow = malloc(VGA_VRAM_SIZE);
            if (!s->shadow) {
                return true;
            }
        }
        changed = true;
    } else if (memcmp(s->shadow + lo, s->vram + lo, hi - lo) != 0) {
        changed = true;
    } else {
        return changed;
    }
    memcpy(s->shadow + lo, s->vram + lo, hi - lo);
    s->shadow_lo = lo;
    s->shadow_hi = hi;
    return changed;
}
