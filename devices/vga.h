/* A standard VGA (IBM VGA register set: sequencer, CRT controller, graphics and attribute
 * controllers, DAC) with the Bochs "DISPI" VBE extension (ports 0x1CE/0x1CF), on a PCI function
 * that looks like QEMU's stdvga (1234:1111, class 0300, BAR0 = the linear framebuffer), so that
 * SeaVGABIOS's stdvga build (Debian's vgabios-stdvga.bin) and Linux's vgacon, vesafb and
 * bochs-drm drive it.
 *
 * Board wiring:
 *   vga_init(&vga, bus, &pci.bus, clock, snap, devfn);   returns 0, or -1 (out of memory)
 *   vga_reset(&vga) on machine reset; vga_free(&vga) when the machine goes away.
 *   The VGA BIOS is the board's business (fw_cfg "pci1234,1111.rom", see frontend/machine.c).
 * Display (frontend):
 *   vga_frame_changed(&vga, now_ns) says whether the picture may differ from the last render;
 *   vga_render(&vga, now_ns, &frame) draws the visible picture into frame (XRGB8888).
 *
 * Video memory: VGA_VRAM_SIZE bytes. The four 64 KB VGA planes are interleaved in its first
 * 256 KB (plane p of plane offset o is vram[o * 4 + p]), which makes chain-4 (mode 13h) and the
 * VBE modes plain linear memory. The legacy window 0xA0000-0xBFFFF is MMIO (every access goes
 * through the sequencer and graphics controller); the PCI BAR maps the whole of vram as memory
 * (fast: no device code per access). The display notices changes by comparing vram with a shadow
 * copy at refresh time, not by tracking writes.
 */
#ifndef X86PC_VGA_H
#define X86PC_VGA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chipset/clock.h"
#include "chipset/pcibus.h"
#include "mmu/bus.h"
#include "snapshots/vmstate.h"

#define VGA_VRAM_SIZE (8u << 20)
#define VGA_PLANES_SIZE (256u << 10)
#define VGA_PCI_VENDOR 0x1234
#define VGA_PCI_DEVICE 0x1111

/* Bochs DISPI registers (index written to 0x1CE, data at 0x1CF) */
enum {
    VBE_ID = 0,
    VBE_XRES,
    VBE_YRES,
    VBE_BPP,
    VBE_ENABLE,
    VBE_BANK,
    VBE_VIRT_WIDTH,
    VBE_VIRT_HEIGHT,
    VBE_X_OFFSET,
    VBE_Y_OFFSET,
    VBE_VIDEO_MEMORY_64K,
    VBE_NREGS
};
#define VBE_ENABLED 0x01
#define VBE_GETCAPS 0x02
#define VBE_8BIT_DAC 0x20
#define VBE_LFB_ENABLED 0x40
#define VBE_NOCLEARMEM 0x80
#define VBE_MAX_XRES 1600
#define VBE_MAX_YRES 1200
#define VBE_MAX_BPP 32

/* The largest picture vga_render produces. */
#define VGA_MAX_WIDTH 2048
#define VGA_MAX_HEIGHT 1600

typedef struct VgaFrame {
    uint32_t *pix; /* w * h pixels, 0x00RRGGBB, grown by vga_render as needed */
    size_t cap;    /* pixels allocated */
    int w, h;
} VgaFrame;

typedef struct VgaState {
    uint8_t misc;
    uint8_t sr_index, sr[8];
    uint8_t gr_index, gr[16];
    uint8_t ar_index, ar[32];
    bool ar_flip; /* the attribute controller's flip-flop: the next 0x3C0 write is data */
    uint8_t cr_index, cr[32];
    uint8_t feature;
    uint8_t pel_mask;
    uint8_t dac_read, dac_write, dac_sub, dac_state;
    uint8_t dac_cache[3];
    uint8_t dac[768]; /* 6 bits per component (8 with VBE_8BIT_DAC) */
    uint32_t latch;   /* the four plane latches, plane p in bits 8p..8p+7 */
    uint16_t vbe_index;
    uint16_t vbe[VBE_NREGS];
    uint32_t lfb_addr; /* where BAR0 is mapped, or PCI_BAR_UNMAPPED */
    /* not saved: */
    uint8_t *vram;
    PciDevice pci;
    Bus *bus;
    Clock *clock;
    /* change detection for the display */
    uint32_t regs_gen; /* bumped by every register or palette write */
    uint32_t seen_gen; /* regs_gen at the last render */
    uint8_t *shadow;   /* vram as of the last render (the displayed range only) */
    uint32_t shadow_lo, shadow_hi;
    int seen_blink; /* blink phase at the last render, -1 if none */
} VgaState;

int vga_init(VgaState *s, Bus *bus, PciBus *pci, Clock *clock, SnapRegistry *reg, uint8_t devfn);
void vga_reset(VgaState *s);
void vga_free(VgaState *s);

/* I/O for tests and the PCI MMIO aliases: the VGA ports 0x3B0-0x3DF and DISPI 0x1CE/0x1CF. */
uint32_t vga_ioport_read(VgaState *s, uint32_t port, unsigned size);
void vga_ioport_write(VgaState *s, uint32_t port, uint32_t val, unsigned size);
/* The legacy window: offset from 0xA0000 (0 .. 0x1FFFF), one byte. */
uint8_t vga_mem_read(VgaState *s, uint32_t off);
void vga_mem_write(VgaState *s, uint32_t off, uint8_t val);

/* Rendering (devices/vga_render.c): pure functions of the state and the virtual time (blinking
 * and the cursor follow the virtual frame count). */
bool vga_frame_changed(VgaState *s, uint64_t now_ns);
/* Returns 0, or -1 if out of memory (the frame is then left empty). */
int vga_render(VgaState *s, uint64_t now_ns, VgaFrame *f);
void vga_frame_free(VgaFrame *f);
/* The virtual frame period the CRTC registers program, in ns (for the retrace bits). */
uint64_t vga_frame_ns(const VgaState *s, uint64_t *line_ns, unsigned *vtotal, unsigned *vrs,
                      unsigned *vre, unsigned *vde);

#endif
