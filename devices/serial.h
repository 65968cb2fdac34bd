/* National Semiconductor PC16550D UART (COM1 = 0x3F8/IRQ4, COM2 = 0x2F8/IRQ3, ...).
 *
 * Board wiring:
 *   serial_init(&com1, bus, clock, 0x3F8, tx_cb, opaque, snap, 0);  tx_cb(opaque, byte) per
 *                                        transmitted byte; the last 0 is the snapshot instance
 *   irq_connect(&com1.irq, pic_set_irq, &pic, 4);
 *   host input: if (serial_can_receive(&com1) > 0) serial_receive(&com1, buf, n);
 *   serial_reset(&com1) on machine reset.
 */
#ifndef X86PC_SERIAL_H
#define X86PC_SERIAL_H

#include <stdbool.h>
#include <stdint.h>

#include "chipset/clock.h"
#include "chipset/irq.h"
#include "mmu/bus.h"
#include "snapshots/vmstate.h"

#define SERIAL_FIFO_SIZE 16

typedef struct SerialState {
    uint8_t rx_fifo[SERIAL_FIFO_SIZE];
    uint8_t rx_head, rx_count;
    uint8_t ier, lcr, mcr, lsr, msr, scr, fcr;
    uint16_t divisor;
    bool thr_ipending; /* the THRE interrupt condition (cleared by an IIR read or a THR write) */
    bool timeout_ipending;
    uint64_t tx_count; /* bytes transmitted, for statistics and tests */
    Timer timeout_timer;
    /* not saved: */
    uint16_t base;
    Clock *clock;
    IrqLine irq;
    void (*tx)(void *opaque, uint8_t byte);
    void *tx_opaque;
} SerialState;

void serial_init(SerialState *s, Bus *bus, Clock *clock, uint16_t base,
                 void (*tx)(void *opaque, uint8_t byte), void *opaque, SnapRegistry *reg,
                 int instance);
void serial_reset(SerialState *s);
/* Host input. Bytes beyond the free space are lost and set the overrun error (LSR bit 1). */
void serial_receive(SerialState *s, const uint8_t *buf, int n);
/* How many bytes serial_receive can take now without an overrun. */
int serial_can_receive(SerialState *s);

#endif
