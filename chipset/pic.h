/* The PC's pair of 8259A programmable interrupt controllers (master at 0x20/0x21, slave at
 * 0xA0/0xA1 cascaded on master IR2) with the PIIX edge/level control registers at 0x4D0/0x4D1.
 *
 * Board wiring:
 *   pic_init(&pic, bus, snap);
 *   irq_connect(&some_device_line, pic_set_irq, &pic, n);   n = ISA IRQ 0..15
 *   irq_connect(&pic.intr, cpu_intr_handler, cpu, 0);        INTR to the CPU (level)
 *   the CPU's interrupt acknowledge calls pic_intack(&pic) and uses the vector it returns.
 *   pic_reset(&pic) on machine reset.
 */
#ifndef X86PC_PIC_H
#define X86PC_PIC_H

#include <stdbool.h>
#include <stdint.h>

#include "chipset/irq.h"
#include "mmu/bus.h"
#include "snapshots/vmstate.h"

/* One 8259A. Everything here is saved state. */
typedef struct Pic8259 {
    uint8_t irr;         /* interrupt request register */
    uint8_t isr;         /* in-service register */
    uint8_t imr;         /* interrupt mask register */
    uint8_t lines;       /* current level of the eight IR inputs */
    uint8_t elcr;        /* 1 = level triggered (PIIX ELCR) */
    uint8_t elcr_mask;   /* which ELCR bits exist */
    uint8_t vector_base; /* ICW2 & 0xF8 */
    uint8_t icw3;
    uint8_t prio_base; /* the IR with the highest priority (rotation) */
    uint8_t init_step; /* 0 = operational; 2, 3, 4 = expecting that ICW */
    bool icw4_needed;
    bool single; /* ICW1 SNGL */
    bool ltim;   /* ICW1 LTIM: all inputs level triggered */
    bool auto_eoi;
    bool rotate_aeoi;
    bool sfnm; /* special fully nested mode */
    bool special_mask;
    bool read_isr; /* OCW3 RR/RIS: port A0=0 reads ISR, else IRR */
    bool poll;     /* OCW3 P: the next read of port 0 is a poll */
    bool x86_mode; /* ICW4 uPM */
} Pic8259;

typedef struct PicState {
    Pic8259 chip[2]; /* 0 = master, 1 = slave */
    /* not saved: */
    IrqLine intr; /* INTR output to the CPU */
} PicState;

void pic_init(PicState *s, Bus *bus, SnapRegistry *reg);
void pic_reset(PicState *s);
/* IrqHandler for irq_connect: n = ISA IRQ 0..15. */
void pic_set_irq(void *opaque, int n, int level);
/* INTR level as the CPU sees it. */
bool pic_has_intr(PicState *s);
/* Interrupt acknowledge cycle: returns the vector (a spurious IRQ 7/15 vector if the request
 * went away). */
int pic_intack(PicState *s);

#endif
