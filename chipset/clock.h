/* The virtual clock: the only source of guest time.
 *
 * Guest time advances with retired instructions: `ticks` counts them (plus the ticks skipped while
 * the CPU halts), and one tick lasts 2^shift virtual nanoseconds (QEMU's -icount shift=N). Devices
 * never poll and never read host time: they arm a Timer for a virtual-nanosecond deadline and the
 * CPU stops exactly at the instruction count where the earliest one falls due, so the same inputs
 * always give the same run.
 */
#ifndef X86PC_CLOCK_H
#define X86PC_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

typedef struct Clock Clock;
typedef void (*TimerCb)(void *opaque);

typedef struct Timer {
    Clock *clock;
    uint64_t deadline; /* in ticks */
    TimerCb cb;
    void *opaque;
    struct Timer *next;
    bool armed;
} Timer;

struct Clock {
    uint64_t ticks;         /* virtual ticks so far: retired instructions plus halted time */
    uint64_t next_deadline; /* ticks of the earliest armed timer, UINT64_MAX if none */
    unsigned shift;         /* one tick = 2^shift ns */
    Timer *head;            /* armed timers, earliest first */
    /* called when a timer is armed earlier than every other (the CPU then re-reads the
     * deadline: it only looks at it between blocks of instructions otherwise) */
    void (*deadline_earlier)(void *opaque);
    void *deadline_opaque;
};

#define CLOCK_DEFAULT_SHIFT 3 /* 8 ns per instruction: a 125 MIPS guest */
#define CLOCK_NEVER UINT64_MAX

void clock_init(Clock *c, unsigned shift);
/* Virtual nanoseconds since power-on. */
static inline uint64_t clock_now(const Clock *c)
{
    return c->ticks << c->shift;
}
uint64_t clock_ns_to_ticks(const Clock *c, uint64_t ns); /* rounded up */

void timer_init(Timer *t, Clock *c, TimerCb cb, void *opaque);
/* Arm (or re-arm) for the virtual time `when_ns`; a time in the past fires at the next boundary. */
void timer_mod(Timer *t, uint64_t when_ns);
void timer_mod_ticks(Timer *t, uint64_t when_ticks);
void timer_del(Timer *t);
static inline bool timer_pending(const Timer *t)
{
    return t->armed;
}
/* Fire every timer whose deadline is <= ticks. Returns how many fired. */
int clock_run_timers(Clock *c);
/* Advance ticks to the earliest deadline (HLT with nothing else to do). Returns false if none. */
bool clock_skip_to_deadline(Clock *c);

#endif
