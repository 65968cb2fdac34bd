/* Intel 8254 programmable interval timer (ports 0x40-0x43) and the PC/AT system control port B
 * (port 0x61: channel 2 gate, speaker enable, refresh toggle, OUT2).
 *
 * Board wiring:
 *   pit_init(&pit, bus, clock, snap);
 *   irq_connect(&pit.irq0, pic_set_irq, &pic, 0);   channel 0 OUT (IRQ0)
 *   pit_reset(&pit) on machine reset.
 */
#ifndef X86PC_PIT_H
#define X86PC_PIT_H

#include <stdbool.h>
#include <stdint.h>

#include "chipset/clock.h"
#include "chipset/irq.h"
#include "mmu/bus.h"
#include "snapshots/vmstate.h"

#define PIT_FREQ_HZ 1193182u

typedef struct PitChannel {
    uint64_t load_tick;    /* PIT clock edge at which the counter holds `count` (elapsed 0) */
    uint64_t base_elapsed; /* elapsed clocks accumulated before load_tick (gate pauses) */
    uint32_t count;        /* initial count, 1..65536 (binary) or 1..10000 (BCD) */
    uint16_t latch;        /* latched count */
    uint8_t mode;          /* 0..5 */
    uint8_t rw;            /* 1 LSB, 2 MSB, 3 LSB then MSB */
    uint8_t status;        /* latched status byte */
    uint8_t write_lsb;     /* LSB held while waiting for the MSB */
    bool bcd;
    bool gate;
    bool running;   /* counting from load_tick (else the counter is stopped) */
    bool loaded;    /* a count has been written since the last mode set */
    bool triggered; /* modes 1 and 5: a gate trigger has started the count */
    bool write_msb; /* word access: next write is the MSB */
    bool read_msb;  /* word access: next read is the MSB */
    bool latched;   /* a count latch is pending */
    bool latch_msb; /* reading the latched count's MSB next */
    bool status_latched;
    bool out; /* OUT last driven (channel 0: the IRQ0 level) */
} PitChannel;

typedef struct PitState {
    PitChannel ch[3];
    uint8_t port61; /* bits 0-3 of system control port B as written */
    Timer timer;    /* channel 0's next OUT edge */
    /* not saved: */
    Clock *clock;
    IrqLine irq0;
} PitState;

void pit_init(PitState *s, Bus *bus, Clock *clock, SnapRegistry *reg);
void pit_reset(PitState *s);
/* Channel 2's OUT (the speaker input), for a sound frontend or tests. */
bool pit_out2(PitState *s);
/* The PIT clock edges since power-on: floor(now_ns * 1193182 / 1e9). */
uint64_t pit_ticks(const PitState *s);

#endif
