/* Virtual clock and timers (see clock.h). The armed list is short (a dozen timers at most), so a
 * sorted singly linked list is both the simplest and the fastest structure. */
#include "chipset/clock.h"

#include <stddef.h>

void clock_init(Clock *c, unsigned shift)
{
    c->ticks = 0;
    c->next_deadline = CLOCK_NEVER;
    c->shift = shift;
    c->head = NULL;
    c->deadline_earlier = NULL;
    c->deadline_opaque = NULL;
}

uint64_t clock_ns_to_ticks(const Clock *c, uint64_t ns)
{
    uint64_t t = ns >> c->shift;
    if (t << c->shift != ns) {
        t++;
    }
    return t;
}

void timer_init(Timer *t, Clock *c, TimerCb cb, void *opaque)
{
    t->clock = c;
    t->deadline = 0;
    t->cb = cb;
    t->opaque = opaque;
    t->next = NULL;
    t->armed = false;
}

static void unlink_timer(Timer *t)
{
    Clock *c = t->clock;
    for (Timer **pp = &c->head; *pp; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    }
    t->next = NULL;
    t->armed = false;
    c->next_deadline = c->head ? c->head->deadline : CLOCK_NEVER;
}

void timer_del(Timer *t)
{
    if (t->armed) {
        unlink_timer(t);
    }
}

void timer_mod_ticks(Timer *t, uint64_t when)
{
    Clock *c = t->clock;
    if (t->armed) {
        unlink_timer(t);
    }
    t->deadline = when;
    Timer **pp = &c->head;
    /* Equal deadlines keep arming order, so firing order is deterministic. */
    while (*pp && (*pp)->deadline <= when) {
        pp = &(*pp)->next;
    }
    t->next = *pp;
    *pp = t;
    t->armed = true;
    uint64_t before = c->next_deadline;
    c->next_deadline = c->head->deadline;
    if (c->next_deadline < before && c->deadline_earlier) {
        c->deadline_earlier(c->deadline_opaque);
    }
}

void timer_mod(Timer *t, uint64_t when_ns)
{
    timer_mod_ticks(t, clock_ns_to_ticks(t->clock, when_ns));
}

int clock_run_timers(Clock *c)
{
    int n = 0;
    while (c->head && c->head->deadline <= c->ticks) {
        Timer *t = c->head;
        unlink_timer(t);
        t->cb(t->opaque); /* may re-arm itself or others */
        n++;
    }
    return n;
}

bool clock_skip_to_deadline(Clock *c)
{
    if (!c->head) {
        return false;
    }
    if (c->head->deadline > c->ticks) {
        c->ticks = c->head->deadline;
    }
    return true;
}
