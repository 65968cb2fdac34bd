/* Helpers for device tests: a bus, a 1 ns-per-tick virtual clock, and time that advances the
 * way the CPU makes it advance (stopping at every timer deadline on the way). */
#ifndef X86PC_DEVTEST_H
#define X86PC_DEVTEST_H

#include "chipset/clock.h"
#include "mmu/bus.h"

/* Run the clock forward to absolute virtual time `ns`, firing timers at their exact deadlines. */
static inline void dt_run_to(Clock *c, uint64_t ns)
{
    uint64_t target = clock_ns_to_ticks(c, ns);
    while (c->next_deadline <= target) {
        if (c->next_deadline > c->ticks) {
            c->ticks = c->next_deadline;
        }
        clock_run_timers(c);
    }
    if (target > c->ticks) {
        c->ticks = target;
    }
    clock_run_timers(c);
}

static inline uint8_t dt_inb(Bus *b, uint32_t port)
{
    return (uint8_t)bus_pio_read(b, port, 1);
}

static inline void dt_outb(Bus *b, uint32_t port, uint8_t v)
{
    bus_pio_write(b, port, v, 1);
}

/* An IRQ sink that records the level and counts rising edges with their times. */
typedef struct DtIrq {
    int level;
    int rises, falls;
    uint64_t rise_ns[64];
    const Clock *clock;
} DtIrq;

static inline void dt_irq_handler(void *opaque, int n, int level)
{
    DtIrq *d = opaque;
    if (level && !d->level) {
        if (d->rises < 64) {
            d->rise_ns[d->rises] = d->clock ? clock_now(d->clock) : 0;
        }
        d->rises++;
    } else if (!level && d->level) {
        d->falls++;
    }
    d->level = level;
}

#endif
