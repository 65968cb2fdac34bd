/* The PC/AT's pair of Intel 8237A DMA controllers (0x00-0x0F 8-bit channels 0-3, 0xC0-0xDF 16-bit
 * channels 4-7) and the 74LS612 page registers (0x80-0x8F, port 0x80 doubling as the POST code
 * port). Registers only: no transfers are performed (no device here uses ISA DMA yet).
 *
 * Board wiring: dma8237_init(&dma, bus, snap); dma8237_reset(&dma) on machine reset.
 * dma.post_code holds the last byte written to port 0x80.
 */
#ifndef X86PC_DMA8237_H
#define X86PC_DMA8237_H

#include <stdbool.h>
#include <stdint.h>

#include "mmu/bus.h"
#include "snapshots/vmstate.h"

typedef struct Dma8237Chip {
    uint16_t base_addr[4], base_count[4]; /* as programmed */
    uint16_t cur_addr[4], cur_count[4];
    uint8_t mode[4];
    uint8_t command, status, request, mask, temp;
    bool flip_flop; /* false: next byte is the low byte */
} Dma8237Chip;

typedef struct Dma8237State {
    Dma8237Chip chip[2];
    uint8_t page[16]; /* 0x80-0x8F */
    uint8_t post_code;
} Dma8237State;

void dma8237_init(Dma8237State *s, Bus *bus, SnapRegistry *reg);
void dma8237_reset(Dma8237State *s);

#endif
