/* The VGA through its ports and its memory window, with no CPU: write modes 0-3 (set/reset,
 * rotate, logical function, bit mask, latches), read mode 1, chain-4 and odd/even addressing,
 * CRTC write protection, the retrace bits on the virtual clock, the Bochs DISPI registers, the
 * linear framebuffer BAR, text and VBE rendering, and change detection. */
#include <stdlib.h>
#include <string.h>

#include "devices/vga.h"
#include "tests/unit/devtest.h"
#include "tests/unit/test.h"

typedef struct VgaFx {
    Bus bus;
    Clock clock;
    PciBus pci;
    VgaState vga;
} VgaFx;

static VgaFx *vga_fx(void)
{
    VgaFx *f = calloc(1, sizeof *f);
    bus_init(&f->bus, 1 << 20);
    clock_init(&f->clock, 0); /* 1 ns per tick */
    pci_bus_init(&f->pci, &f->bus, NULL, NULL, NULL);
    vga_init(&f->vga, &f->bus, &f->pci, &f->clock, NULL, 0x10);
    return f;
}

static void vga_fx_free(VgaFx *f)
{
    vga_free(&f->vga);
    bus_free(&f->bus);
    free(f);
}

static void seq(VgaFx *f, uint8_t i, uint8_t v)
{
    dt_outb(&f->bus, 0x3C4, i);
    dt_outb(&f->bus, 0x3C5, v);
}

static void gc(VgaFx *f, uint8_t i, uint8_t v)
{
    dt_outb(&f->bus, 0x3CE, i);
    dt_outb(&f->bus, 0x3CF, v);
}

static void crtc(VgaFx *f, uint8_t i, uint8_t v)
{
    dt_outb(&f->bus, 0x3D4, i);
    dt_outb(&f->bus, 0x3D5, v);
}

static void attr(VgaFx *f, uint8_t i, uint8_t v)
{
    (void)dt_inb(&f->bus, 0x3DA);
    dt_outb(&f->bus, 0x3C0, i);
    dt_outb(&f->bus, 0x3C0, v);
}

static uint8_t plane(VgaFx *f, unsigned p, uint32_t off)
{
    return f->vga.vram[off * 4 + p];
}

static void dispi(VgaFx *f, uint16_t i, uint16_t v)
{
    bus_pio_write(&f->bus, 0x1CE, i, 2);
    bus_pio_write(&f->bus, 0x1CF, v, 2);
}

static uint16_t dispi_rd(VgaFx *f, uint16_t i)
{
    bus_pio_write(&f->bus, 0x1CE, i, 2);
    return (uint16_t)bus_pio_read(&f->bus, 0x1CF, 2);
}

/* Planar graphics with the window at A0000 (64 KB), all planes, no odd/even. */
static void planar(VgaFx *f)
{
    dt_outb(&f->bus, 0x3C2, 0xE3);
    seq(f, 2, 0x0F);
    seq(f, 4, 0x06);
    gc(f, 5, 0x00);
    gc(f, 6, 0x05);
    gc(f, 8, 0xFF);
}

TEST(vga, write_mode0_set_reset_and_bit_mask)
{
    VgaFx *f = vga_fx();
    planar(f);
    gc(f, 0, 0x05); /* set/reset value: planes 0 and 2 */
    gc(f, 1, 0x0F); /* enabled on all planes */
    bus_mmio_write(&f->bus, 0xA0010, 0x00, 1);
    EXPECT_EQ(plane(f, 0, 0x10), 0xFF);
    EXPECT_EQ(plane(f, 1, 0x10), 0x00);
    EXPECT_EQ(plane(f, 2, 0x10), 0xFF);
    EXPECT_EQ(plane(f, 3, 0x10), 0x00);
    /* bit mask 0x0F with colour 0x0A: the latched high nibble stays */
    (void)bus_mmio_read(&f->bus, 0xA0010, 1);
    gc(f, 0, 0x0A);
    gc(f, 8, 0x0F);
    bus_mmio_write(&f->bus, 0xA0010, 0x00, 1);
    EXPECT_EQ(plane(f, 0, 0x10), 0xF0);
    EXPECT_EQ(plane(f, 1, 0x10), 0x0F);
    EXPECT_EQ(plane(f, 2, 0x10), 0xF0);
    EXPECT_EQ(plane(f, 3, 0x10), 0x0F);
    /* map mask: only plane 3 is written */
    gc(f, 1, 0x00);
    gc(f, 8, 0xFF);
    seq(f, 2, 0x08);
    bus_mmio_write(&f->bus, 0xA0020, 0x5A, 1);
    EXPECT_EQ(plane(f, 3, 0x20), 0x5A);
    EXPECT_EQ(plane(f, 0, 0x20), 0x00);
    vga_fx_free(f);
}

TEST(vga, write_mode0_rotate_and_logical_functions)
{
    VgaFx *f = vga_fx();
    planar(f);
    bus_mmio_write(&f->bus, 0xA0000, 0xF0, 1);
    gc(f, 3, 0x04); /* rotate right by 4 */
    bus_mmio_write(&f->bus, 0xA0001, 0xF0, 1);
    EXPECT_EQ(plane(f, 1, 1), 0x0F);
    (void)bus_mmio_read(&f->bus, 0xA0000, 1); /* latches = 0xF0 on every plane */
    gc(f, 3, 0x18);                           /* XOR, no rotation */
    bus_mmio_write(&f->bus, 0xA0002, 0xFF, 1);
    EXPECT_EQ(plane(f, 2, 2), 0x0F);
    gc(f, 3, 0x08); /* AND */
    bus_mmio_write(&f->bus, 0xA0003, 0x3C, 1);
    EXPECT_EQ(plane(f, 0, 3), 0x30);
    gc(f, 3, 0x10); /* OR */
    bus_mmio_write(&f->bus, 0xA0004, 0x03, 1);
    EXPECT_EQ(plane(f, 3, 4), 0xF3);
    vga_fx_free(f);
}

TEST(vga, write_modes_1_2_3)
{
    VgaFx *f = vga_fx();
    planar(f);
    gc(f, 0, 0x06);
    gc(f, 1, 0x0F);
    bus_mmio_write(&f->bus, 0xA0000, 0, 1); /* planes 1 and 2 all ones at offset 0 */
    gc(f, 1, 0x00);
    /* mode 1: latches copied to another address */
    gc(f, 5, 0x01);
    (void)bus_mmio_read(&f->bus, 0xA0000, 1);
    bus_mmio_write(&f->bus, 0xA0100, 0x00, 1);
    EXPECT_EQ(plane(f, 1, 0x100), 0xFF);
    EXPECT_EQ(plane(f, 2, 0x100), 0xFF);
    EXPECT_EQ(plane(f, 0, 0x100), 0x00);
    /* mode 2: the CPU byte's low bits are the colour; bit mask 0x81 */
    gc(f, 5, 0x02);
    gc(f, 8, 0x81);
    (void)bus_mmio_read(&f->bus, 0xA0200, 1);
    bus_mmio_write(&f->bus, 0xA0200, 0x09, 1);
    EXPECT_EQ(plane(f, 0, 0x200), 0x81);
    EXPECT_EQ(plane(f, 1, 0x200), 0x00);
    EXPECT_EQ(plane(f, 3, 0x200), 0x81);
    /* mode 3: set/reset colour, bit mask ANDed with the rotated CPU byte */
    gc(f, 5, 0x03);
    gc(f, 8, 0xF0);
    gc(f, 0, 0x04);
    (void)bus_mmio_read(&f->bus, 0xA0300, 1);
    bus_mmio_write(&f->bus, 0xA0300, 0x3C, 1);
    EXPECT_EQ(plane(f, 2, 0x300), 0x30);
    EXPECT_EQ(plane(f, 0, 0x300), 0x00);
    vga_fx_free(f);
}

TEST(vga, read_modes)
{
    VgaFx *f = vga_fx();
    planar(f);
    f->vga.vram[0x40 * 4 + 0] = 0xF0;
    f->vga.vram[0x40 * 4 + 1] = 0xCC;
    f->vga.vram[0x40 * 4 + 2] = 0xAA;
    f->vga.vram[0x40 * 4 + 3] = 0x00;
    gc(f, 4, 2);
    EXPECT_EQ(bus_mmio_read(&f->bus, 0xA0040, 1), 0xAA);
    /* read mode 1: pixels whose colour is 0b0011 (planes 0 and 1 set, 2 and 3 clear) */
    gc(f, 5, 0x08);
    gc(f, 2, 0x03);
    gc(f, 7, 0x0F);
    EXPECT_EQ(bus_mmio_read(&f->bus, 0xA0040, 1), 0xC0 & ~0xAA & 0xFF);
    gc(f, 7, 0x01); /* compare plane 0 only */
    EXPECT_EQ(bus_mmio_read(&f->bus, 0xA0040, 1), 0xF0);
    vga_fx_free(f);
}

TEST(vga, chain4_and_odd_even)
{
    VgaFx *f = vga_fx();
    seq(f, 2, 0x0F);
    seq(f, 4, 0x0E);
    gc(f, 6, 0x05);
    bus_mmio_write(&f->bus, 0xA0007, 0x42, 1);
    EXPECT_EQ(f->vga.vram[7], 0x42);
    EXPECT_EQ(bus_mmio_read(&f->bus, 0xA0007, 1), 0x42);
    /* text: odd/even at B8000 */
    seq(f, 2, 0x03);
    seq(f, 4, 0x02);
    gc(f, 5, 0x10);
    gc(f, 6, 0x0E);
    gc(f, 8, 0xFF);
    bus_mmio_write(&f->bus, 0xB8000 + 2 * 5, 'A', 1);
    bus_mmio_write(&f->bus, 0xB8000 + 2 * 5 + 1, 0x1F, 1);
    EXPECT_EQ(plane(f, 0, 10), 'A');
    EXPECT_EQ(plane(f, 1, 10), 0x1F);
    EXPECT_EQ(bus_mmio_read(&f->bus, 0xB8000 + 11, 1), 0x1F);
    /* outside the B8000 window: nothing */
    EXPECT_EQ(bus_mmio_read(&f->bus, 0xA0000, 1), 0xFF);
    vga_fx_free(f);
}

TEST(vga, dac_and_attribute_registers)
{
    VgaFx *f = vga_fx();
    dt_outb(&f->bus, 0x3C8, 7);
    dt_outb(&f->bus, 0x3C9, 0x3F);
    dt_outb(&f->bus, 0x3C9, 0x7F); /* 6 bits kept */
    dt_outb(&f->bus, 0x3C9, 0x01);
    dt_outb(&f->bus, 0x3C7, 7);
    EXPECT_EQ(dt_inb(&f->bus, 0x3C9), 0x3F);
    EXPECT_EQ(dt_inb(&f->bus, 0x3C9), 0x3F);
    EXPECT_EQ(dt_inb(&f->bus, 0x3C9), 0x01);
    EXPECT_EQ(dt_inb(&f->bus, 0x3C7), 3);
    attr(f, 0x05, 0x2A);
    dt_outb(&f->bus, 0x3C0, 0x05);
    EXPECT_EQ(dt_inb(&f->bus, 0x3C1), 0x2A);
    /* misc selects the mono or colour CRTC ports */
    dt_outb(&f->bus, 0x3C2, 0x00);
    EXPECT_EQ(dt_inb(&f->bus, 0x3D4), 0xFF);
    dt_outb(&f->bus, 0x3B4, 0x0E);
    dt_outb(&f->bus, 0x3B5, 0x12);
    dt_outb(&f->bus, 0x3C2, 0x01);
    dt_outb(&f->bus, 0x3D4, 0x0E);
    EXPECT_EQ(dt_inb(&f->bus, 0x3D5), 0x12);
    /* CR11 bit 7 protects CR0-7 but for CR7's line compare bit */
    crtc(f, 0x11, 0x80);
    crtc(f, 0x01, 0x4F);
    crtc(f, 0x07, 0xFF);
    dt_outb(&f->bus, 0x3D4, 0x01);
    EXPECT_EQ(dt_inb(&f->bus, 0x3D5), 0x00);
    dt_outb(&f->bus, 0x3D4, 0x07);
    EXPECT_EQ(dt_inb(&f->bus, 0x3D5), 0x10);
    vga_fx_free(f);
}

/* Mode 3's CRTC: 70 Hz, 449 lines of 31.78 us, retrace on lines 412-413. */
static const uint8_t kMode3Crtc[25] = {0x5F, 0x4F, 0x50, 0x82, 0x55, 0x81, 0xBF, 0x1F, 0x00,
                                       0x4F, 0x0D, 0x0E, 0x00, 0x00, 0x00, 0x00, 0x9C, 0x8E,
                                       0x8F, 0x28, 0x1F, 0x96, 0xB9, 0xA3, 0xFF};

static void mode3(VgaFx *f)
{
    dt_outb(&f->bus, 0x3C2, 0x67);
    seq(f, 1, 0x00);
    seq(f, 2, 0x03);
    seq(f, 3, 0x00);
    seq(f, 4, 0x02);
    for (int i = 0; i < 25; i++) {
        crtc(f, (uint8_t)i, kMode3Crtc[i]);
    }
    gc(f, 5, 0x10);
    gc(f, 6, 0x0E);
    gc(f, 8, 0xFF);
    for (int i = 0; i < 16; i++) {
        attr(f, (uint8_t)i, (uint8_t)i);
    }
    attr(f, 0x10, 0x04); /* line graphics on, blink off */
    attr(f, 0x12, 0x0F);
    dt_outb(&f->bus, 0x3C0, 0x20);
}

TEST(vga, retrace_follows_virtual_time)
{
    VgaFx *f = vga_fx();
    mode3(f);
    uint64_t line_ns;
    unsigned vt, vrs, vre, vde;
    uint64_t frame = vga_frame_ns(&f->vga, &line_ns, &vt, &vrs, &vre, &vde);
    EXPECT_EQ(vt, 449);
    EXPECT_EQ(vde, 400);
    EXPECT_EQ(vrs, 0x19C);
    EXPECT_EQ(vre, 0x19E);
    EXPECT_TRUE(frame > 14200000 && frame < 14400000); /* 70 Hz */
    int retrace = 0, blank = 0, samples = 0;
    for (uint64_t t = 0; t < frame; t += 1000) {
        f->clock.ticks = t;
        uint8_t st = dt_inb(&f->bus, 0x3DA);
        retrace += (st & 8) != 0;
        blank += (st & 1) != 0;
        samples++;
    }
    EXPECT_TRUE(retrace > 50 && retrace < 80); /* 2 lines of 449 */
    EXPECT_TRUE(blank > samples / 4 && blank < samples / 2);
    f->clock.ticks = frame * 7 + vrs * line_ns + 10;
    EXPECT_EQ(dt_inb(&f->bus, 0x3DA) & 8, 8);
    vga_fx_free(f);
}

TEST(vga, text_render)
{
    VgaFx *f = vga_fx();
    mode3(f);
    VgaState *s = &f->vga;
    /* DAC 1 = blue, 14 = yellow; glyph 0xC4 has row 7 set; 'A' at (0,0), 0xC4 at (1,0) */
    dt_outb(&f->bus, 0x3C8, 1);
    dt_outb(&f->bus, 0x3C9, 0);
    dt_outb(&f->bus, 0x3C9, 0);
    dt_outb(&f->bus, 0x3C9, 0x2A);
    dt_outb(&f->bus, 0x3C8, 14);
    dt_outb(&f->bus, 0x3C9, 0x3F);
    dt_outb(&f->bus, 0x3C9, 0x3F);
    dt_outb(&f->bus, 0x3C9, 0x15);
    s->vram[(0xC4 * 32 + 7) * 4 + 2] = 0x81;
    s->vram[('A' * 32 + 7) * 4 + 2] = 0x81;
    s->vram[0 * 4 + 0] = 'A';
    s->vram[0 * 4 + 1] = 0x1E;
    s->vram[2 * 4 + 0] = 0xC4;
    s->vram[2 * 4 + 1] = 0x1E;
    crtc(f, 0x0A, 0x20); /* cursor off */
    VgaFrame fr = {0};
    EXPECT_EQ(vga_render(s, 0, &fr), 0);
    EXPECT_EQ(fr.w, 720);
    EXPECT_EQ(fr.h, 400);
    uint32_t yellow = 0xFFFF55, blue = 0x0000AA;
    EXPECT_EQ(fr.pix[7 * 720 + 0], yellow);
    EXPECT_EQ(fr.pix[7 * 720 + 1], blue);
    EXPECT_EQ(fr.pix[7 * 720 + 7], yellow);
    EXPECT_EQ(fr.pix[7 * 720 + 8], blue);       /* 'A': the ninth dot is background */
    EXPECT_EQ(fr.pix[7 * 720 + 9 + 8], yellow); /* 0xC4: it repeats the eighth */
    EXPECT_EQ(fr.pix[6 * 720 + 0], blue);
    /* 8-dot characters: 640 wide */
    seq(f, 1, 0x01);
    EXPECT_EQ(vga_render(s, 0, &fr), 0);
    EXPECT_EQ(fr.w, 640);
    /* the screen off through the attribute controller's address bit 5: black */
    (void)dt_inb(&f->bus, 0x3DA);
    dt_outb(&f->bus, 0x3C0, 0x00);
    EXPECT_EQ(vga_render(s, 0, &fr), 0);
    EXPECT_EQ(fr.pix[7 * 640], 0);
    vga_frame_free(&fr);
    vga_fx_free(f);
}

TEST(vga, cursor_blinks_with_virtual_frames)
{
    VgaFx *f = vga_fx();
    mode3(f);
    VgaState *s = &f->vga;
    crtc(f, 0x0A, 0x0E);
    crtc(f, 0x0B, 0x0F);
    crtc(f, 0x0E, 0x00);
    crtc(f, 0x0F, 0x01); /* cursor at column 1 */
    s->vram[2 * 4 + 1] = 0x07;
    dt_outb(&f->bus, 0x3C8, 7);
    for (int k = 0; k < 3; k++) {
        dt_outb(&f->bus, 0x3C9, 0x2A);
    }
    VgaFrame fr = {0};
    uint64_t frame = vga_frame_ns(s, NULL, NULL, NULL, NULL, NULL);
    vga_render(s, 0, &fr);
    EXPECT_EQ(fr.pix[14 * 720 + 9], 0xAAAAAA);
    vga_render(s, frame * 8, &fr);
    EXPECT_EQ(fr.pix[14 * 720 + 9], 0);
    vga_render(s, frame * 16, &fr);
    EXPECT_EQ(fr.pix[14 * 720 + 9], 0xAAAAAA);
    vga_frame_free(&fr);
    vga_fx_free(f);
}

TEST(vga, dispi_registers_and_lfb)
{
    VgaFx *f = vga_fx();
    EXPECT_EQ(dispi_rd(f, VBE_ID), 0xB0C0);
    dispi(f, VBE_ID, 0xB0C5);
    EXPECT_EQ(dispi_rd(f, VBE_ID), 0xB0C5);
    EXPECT_EQ(dispi_rd(f, VBE_VIDEO_MEMORY_64K), VGA_VRAM_SIZE >> 16);
    dispi(f, VBE_ENABLE, VBE_GETCAPS);
    EXPECT_EQ(dispi_rd(f, VBE_XRES), VBE_MAX_XRES);
    EXPECT_EQ(dispi_rd(f, VBE_BPP), VBE_MAX_BPP);
    dispi(f, VBE_ENABLE, 0);
    f->vga.vram[100] = 0x77;
    dispi(f, VBE_XRES, 800);
    dispi(f, VBE_YRES, 600);
    dispi(f, VBE_BPP, 32);
    dispi(f, VBE_ENABLE, VBE_ENABLED | VBE_LFB_ENABLED);
    EXPECT_EQ(dispi_rd(f, VBE_ENABLE), VBE_ENABLED | VBE_LFB_ENABLED);
    EXPECT_EQ(f->vga.vram[100], 0); /* cleared */
    EXPECT_EQ(dispi_rd(f, VBE_VIRT_WIDTH), 800);
    EXPECT_EQ(dispi_rd(f, VBE_VIRT_HEIGHT), VGA_VRAM_SIZE / 3200);
    dispi(f, VBE_XRES, 640); /* ignored while enabled */
    EXPECT_EQ(dispi_rd(f, VBE_XRES), 800);
    /* the PCI BAR: 1234:1111, 8 MB prefetchable memory, mapped where the guest puts it */
    EXPECT_EQ(pci_config_read(&f->pci, 0x10, 0, 4), 0x11111234);
    EXPECT_EQ(pci_config_read(&f->pci, 0x10, 0x0A, 2), 0x0300);
    pci_config_write(&f->pci, 0x10, 0x10, 0xFFFFFFFF, 4);
    EXPECT_EQ(pci_config_read(&f->pci, 0x10, 0x10, 4), (uint32_t) ~(VGA_VRAM_SIZE - 1) | 8);
    pci_config_write(&f->pci, 0x10, 0x10, 0xE0000000, 4);
    pci_config_write(&f->pci, 0x10, 0x04, 0x0003, 2);
    bus_write(&f->bus, 0xE0000000 + 4 * (800 * 2 + 3), 0x00123456, 4);
    EXPECT_EQ(f->vga.vram[4 * (800 * 2 + 3)], 0x56);
    VgaFrame fr = {0};
    vga_render(&f->vga, 0, &fr);
    EXPECT_EQ(fr.w, 800);
    EXPECT_EQ(fr.h, 600);
    EXPECT_EQ(fr.pix[800 * 2 + 3], 0x123456);
    /* the banked window at A0000 */
    gc(f, 6, 0x05);
    dispi(f, VBE_BANK, 2);
    bus_mmio_write(&f->bus, 0xA0010, 0x99, 1);
    EXPECT_EQ(f->vga.vram[0x20010], 0x99);
    /* an impossible mode is refused */
    dispi(f, VBE_ENABLE, 0);
    dispi(f, VBE_BPP, 13);
    dispi(f, VBE_ENABLE, VBE_ENABLED);
    EXPECT_EQ(dispi_rd(f, VBE_ENABLE) & VBE_ENABLED, 0);
    /* BAR unmapped by the command register */
    pci_config_write(&f->pci, 0x10, 0x04, 0x0000, 2);
    EXPECT_EQ(bus_read(&f->bus, 0xE0000000, 4), 0xFFFFFFFF);
    vga_frame_free(&fr);
    vga_fx_free(f);
}

TEST(vga, change_detection)
{
    VgaFx *f = vga_fx();
    mode3(f);
    crtc(f, 0x0A, 0x20);
    VgaState *s = &f->vga;
    EXPECT_TRUE(vga_frame_changed(s, 0));
    EXPECT_TRUE(!vga_frame_changed(s, 0));
    bus_mmio_write(&f->bus, 0xB8000, 'x', 1);
    EXPECT_TRUE(vga_frame_changed(s, 0));
    EXPECT_TRUE(!vga_frame_changed(s, 0));
    dt_outb(&f->bus, 0x3C8, 3);
    EXPECT_TRUE(vga_frame_changed(s, 0));
    /* with the cursor off and blinking disabled, time alone changes nothing */
    uint64_t frame = vga_frame_ns(s, NULL, NULL, NULL, NULL, NULL);
    EXPECT_TRUE(!vga_frame_changed(s, frame * 8));
    /* with the cursor on, the blink phase moves with the virtual frames */
    crtc(f, 0x0A, 0x0E);
    EXPECT_TRUE(vga_frame_changed(s, 0));
    EXPECT_TRUE(!vga_frame_changed(s, frame * 3));
    EXPECT_TRUE(vga_frame_changed(s, frame * 8));
    vga_fx_free(f);
}
