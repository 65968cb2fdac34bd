/* Intel 8254 programmable interval timer, following the Intel 8254 datasheet (order no. 231164):
 * three 16-bit down counters clocked at 1.193182 MHz, modes 0-5, binary and BCD counting, LSB/MSB/
 * word access, counter latch and read-back commands; plus the PC/AT system control port B at 0x61
 * (IBM PC/AT Technical Reference: bit 0 channel 2 gate, bit 1 speaker data, bit 4 refresh
 * toggle, bit 5 OUT2).
 *
 * Nothing is clocked: a channel remembers the PIT clock edge at which its count was loaded, and
 * its counter and OUT at any instant are computed from the virtual clock with exact integer math
 * (edge k happens at ceil(k * 1e9 / 1193182) ns). Channel 0 arms one timer, at its next OUT edge
 * only, and drives IRQ0 with the OUT level.
 *
 * Departures: a count written while a mode 2 or 3 counter runs restarts it at the next clock
 * instead of at the end of the current period; a new count written during a mode 1/5 one-shot
 * takes effect at once; the "first byte of a word write stops mode 0" rule is not modelled.
 */
#include "chipset/pit.h"

#include <stddef.h>
#include <string.h>

#include "mmu/log.h"

static const VmsField kPitChFields[] = {
    VMS_U64F(PitChannel, load_tick),  VMS_U64F(PitChannel, base_elapsed),
    VMS_U32F(PitChannel, count),      VMS_U16F(PitChannel, latch),
    VMS_U8F(PitChannel, mode),        VMS_U8F(PitChannel, rw),
    VMS_U8F(PitChannel, status),      VMS_U8F(PitChannel, write_lsb),
    VMS_BOOLF(PitChannel, bcd),       VMS_BOOLF(PitChannel, gate),
    VMS_BOOLF(PitChannel, running),   VMS_BOOLF(PitChannel, loaded),
    VMS_BOOLF(PitChannel, triggered), VMS_BOOLF(PitChannel, write_msb),
    VMS_BOOLF(PitChannel, read_msb),  VMS_BOOLF(PitChannel, latched),
    VMS_BOOLF(PitChannel, latch_msb), VMS_BOOLF(PitChannel, status_latched),
    VMS_BOOLF(PitChannel, out),       VMS_FIELDS_END,
};
static const VmsDesc kPitChDesc = {"pit-channel", 1, kPitChFields, NULL, NULL};

static int pit_post_load(void *opaque);
static const VmsField kPitFields[] = {
    VMS_U8F(PitState, port61),
    VMS_TIMERF(PitState, timer),
    VMS_FIELDS_END,
};
static const VmsDesc kPitDesc = {"pit", 1, kPitFields, NULL, pit_post_load};

#define NS_PER_S 1000000000u
#define NO_EDGE UINT64_MAX

static uint64_t ns_to_ticks(uint64_t ns)
{
    return (uint64_t)((unsigned __int128)ns * PIT_FREQ_HZ / NS_PER_S);
}

/* The first virtual nanosecond at or after PIT clock edge k. */
static uint64_t tick_to_ns(uint64_t k)
{
    unsigned __int128 p = (unsigned __int128)k * NS_PER_S;
    return (uint64_t)((p + PIT_FREQ_HZ - 1) / PIT_FREQ_HZ);
}

uint64_t pit_ticks(const PitState *s)
{
    return ns_to_ticks(clock_now(s->clock));
}

static uint32_t modulus(const PitChannel *c)
{
    return c->bcd ? 10000 : 65536;
}

static uint64_t elapsed(const PitChannel *c, uint64_t t)
{
    uint64_t e = c->base_elapsed;
    if (c->running && t > c->load_tick) {
        e += t - c->load_tick;
    }
    return e;
}

/* Counter element value and OUT at PIT clock edge t. */
static void eval(const PitChannel *c, uint64_t t, uint32_t *ce_out, bool *out_out)
{
    uint32_t n = c->count, m = modulus(c);
    uint32_t ce = n % m;
    bool out = true;
    uint64_t e = elapsed(c, t);
    if (!c->loaded) {
        out = c->mode != 0;
    } else {
        switch (c->mode) {
        case 0:
        case 1:
            if (c->mode == 1 && !c->triggered) {
                break;
            }
            out = e >= n;
            ce = (uint32_t)((n + m - e % m) % m);
            break;
        case 2: {
            uint64_t p = e % n;
            out = n == 1 || p != n - 1u;
            ce = (uint32_t)((n - p) % m);
            break;
        }
        case 3: {
            uint64_t hh = (n + 1) / 2, p = e % n;
            out = p < hh;
            uint64_t q = out ? p : p - hh;
            if (n & 1) {
                /* odd: one less on the first clock of the high half, three on the low half */
                ce = q == 0 ? n : (uint32_t)(n - (out ? 1 : 3) - 2 * (q - 1));
            } else {
                ce = (uint32_t)(n - 2 * q);
            }
            ce %= m;
            break;
        }
        case 4:
        case 5:
            if (c->mode == 5 && !c->triggered) {
                break;
            }
            out = e != n;
            ce = (uint32_t)((n + m - e % m) % m);
            break;
        }
    }
    if (!c->running && c->loaded && (c->mode == 2 || c->mode == 3)) {
        out = true; /* gate low forces OUT high in modes 2 and 3 */
    }
    *ce_out = ce;
    *out_out = out;
}

/* The next PIT clock edge after t at which OUT changes, or NO_EDGE. */
static uint64_t next_edge(const PitChannel *c, uint64_t t)
{
    if (!c->loaded || !c->running) {
        return NO_EDGE;
    }
    if ((c->mode == 1 || c->mode == 5) && !c->triggered) {
        return NO_EDGE;
    }
    uint64_t n = c->count, e = elapsed(c, t), x;
    switch (c->mode) {
    case 0:
    case 1:
        if (e >= n) {
            return NO_EDGE;
        }
        x = n;
        break;
    case 2: {
        if (n == 1) {
            return NO_EDGE;
        }
        uint64_t p = e % n;
        x = p < n - 1 ? e + (n - 1 - p) : e + 1;
        break;
    }
    case 3: {
        if (n == 1) {
            return NO_EDGE;
        }
        uint64_t hh = (n + 1) / 2, p = e % n;
        x = p < hh ? e + (hh - p) : e + (n - p);
        break;
    }
    default: /* 4, 5 */
        if (e < n) {
            x = n;
        } else if (e == n) {
            x = n + 1;
        } else {
            return NO_EDGE;
        }
        break;
    }
    return c->load_tick + (x - c->base_elapsed);
}

static bool channel_out(PitState *s, int i)
{
    uint32_t ce;
    bool out;
    eval(&s->ch[i], pit_ticks(s), &ce, &out);
    return out;
}

bool pit_out2(PitState *s)
{
    return channel_out(s, 2);
}

/* Drive IRQ0 with channel 0's OUT now and arm the timer for its next edge. */
static void irq_update(PitState *s)
{
    PitChannel *c = &s->ch[0];
    uint64_t t = pit_ticks(s);
    uint32_t ce;
    bool out;
    eval(c, t, &ce, &out);
    if (out != c->out) {
        c->out = out;
        irq_set(&s->irq0, out);
    }
    uint64_t edge = next_edge(c, t);
    if (edge == NO_EDGE) {
        timer_del(&s->timer);
    } else {
        timer_mod(&s->timer, tick_to_ns(edge));
    }
}

static void pit_timer_cb(void *opaque)
{
    PitState *s = opaque;
    PitChannel *c = &s->ch[0];
    /* If the CPU got here late, past the edge armed for and the one after it (a one-clock
     * mode 2 pulse), still show the guest the transition that was due. */
    uint64_t t = pit_ticks(s);
    uint64_t armed = ns_to_ticks(s->timer.deadline << s->clock->shift);
    if (armed < t) {
        uint32_t ce;
        bool out;
        eval(c, armed, &ce, &out);
        if (out != c->out) {
            c->out = out;
            irq_set(&s->irq0, out);
        }
    }
    irq_update(s);
}

static void load_count(PitState *s, int i, uint32_t v)
{
    PitChannel *c = &s->ch[i];
    if (c->bcd) {
        v = ((v >> 12) & 0xF) * 1000 + ((v >> 8) & 0xF) * 100 + ((v >> 4) & 0xF) * 10 + (v & 0xF);
    }
    if (v == 0) {
        v = modulus(c);
    }
    if (v == 1 && (c->mode == 2 || c->mode == 3)) {
        LOG_ONCE(LOG_PIT, "pit: count 1 in mode %d", c->mode);
    }
    uint64_t t = pit_ticks(s);
    c->count = v;
    c->loaded = true;
    c->base_elapsed = 0;
    c->load_tick = t + 1; /* the count reaches the counter on the next clock */
    switch (c->mode) {
    case 1:
    case 5:
        c->running = c->triggered;
        break;
    default:
        c->running = c->gate;
        break;
    }
}

static void set_gate(PitState *s, int i, bool gate)
{
    PitChannel *c = &s->ch[i];
    if (gate == c->gate) {
        return;
    }
    uint64_t t = pit_ticks(s);
    c->gate = gate;
    if (!c->loaded) {
        return;
    }
    switch (c->mode) {
    case 0:
    case 4:
        /* gate low suspends counting; counting resumes on the next clock */
        if (!gate) {
            c->base_elapsed = elapsed(c, t);
            c->running = false;
        } else {
            c->load_tick = t > c->load_tick ? t : c->load_tick;
            c->running = true;
        }
        break;
    case 1:
    case 5:
        if (gate) { /* rising edge: (re)trigger */
            c->triggered = true;
            c->running = true;
            c->base_elapsed = 0;
            c->load_tick = t + 1;
        }
        break;
    default: /* 2, 3: low stops and forces OUT high, rising edge reloads */
        if (gate) {
            c->running = true;
            c->base_elapsed = 0;
            c->load_tick = t + 1;
        } else {
            c->running = false;
        }
        break;
    }
}

static uint8_t status_byte(PitState *s, int i)
{
    PitChannel *c = &s->ch[i];
    uint64_t t = pit_ticks(s);
    uint32_t ce;
    bool out;
    eval(c, t, &ce, &out);
    bool null_count = !c->loaded || (c->running && t < c->load_tick) ||
                      ((c->mode == 1 || c->mode == 5) && !c->triggered);
    return (uint8_t)(out << 7 | null_count << 6 | c->rw << 4 | c->mode << 1 | c->bcd);
}

static uint16_t current_count(PitState *s, int i)
{
    PitChannel *c = &s->ch[i];
    uint32_t ce;
    bool out;
    eval(c, pit_ticks(s), &ce, &out);
    if (c->bcd) {
        ce %= 10000;
        ce = (ce / 1000) << 12 | (ce / 100 % 10) << 8 | (ce / 10 % 10) << 4 | (ce % 10);
    }
    return (uint16_t)ce;
}

static void latch_count(PitState *s, int i)
{
    PitChannel *c = &s->ch[i];
    if (c->latched) {
        return; /* further latches are ignored until the latched count is read */
    }
    c->latch = current_count(s, i);
    c->latched = true;
    c->latch_msb = c->rw == 2;
}

static void control_word(PitState *s, uint8_t v)
{
    int sc = v >> 6;
    if (sc == 3) {
        /* read-back: bit 5 = 0 latches counts, bit 4 = 0 latches status */
        for (int i = 0; i < 3; i++) {
            if (!(v & (2u << i))) {
                continue;
            }
            if (!(v & 0x20)) {
                latch_count(s, i);
            }
            if (!(v & 0x10) && !s->ch[i].status_latched) {
                s->ch[i].status = status_byte(s, i);
                s->ch[i].status_latched = true;
            }
        }
        return;
    }
    PitChannel *c = &s->ch[sc];
    int rw = (v >> 4) & 3;
    if (rw == 0) {
        latch_count(s, sc);
        return;
    }
    int mode = (v >> 1) & 7;
    if (mode > 5) {
        mode -= 4;
    }
    c->rw = (uint8_t)rw;
    c->mode = (uint8_t)mode;
    c->bcd = v & 1;
    c->loaded = false;
    c->running = false;
    c->triggered = false;
    c->write_msb = false;
    c->read_msb = false;
    if (sc == 0) {
        irq_update(s);
    }
}

static uint32_t pit_read(void *opaque, uint32_t addr, unsigned size)
{
    PitState *s = opaque;
    if (addr == 3) {
        return 0xFF; /* the control word register cannot be read (8254: tristate) */
    }
    PitChannel *c = &s->ch[addr];
    if (c->status_latched) {
        c->status_latched = false;
        return c->status;
    }
    if (c->latched) {
        bool msb = c->latch_msb;
        if (c->rw == 3 && !msb) {
            c->latch_msb = true;
        } else {
            c->latched = false;
            c->latch_msb = false;
        }
        return msb ? c->latch >> 8 : c->latch & 0xFF;
    }
    uint16_t ce = current_count(s, addr);
    bool msb;
    if (c->rw == 3) {
        msb = c->read_msb;
        c->read_msb = !c->read_msb;
    } else {
        msb = c->rw == 2;
    }
    return msb ? ce >> 8 : ce & 0xFF;
}

static void pit_write(void *opaque, uint32_t addr, uint32_t val, unsigned size)
{
    PitState *s = opaque;
    uint8_t v = (uint8_t)val;
    if (addr == 3) {
        control_word(s, v);
        return;
    }
    PitChannel *c = &s->ch[addr];
    if (c->rw == 0) {
        LOG_ONCE(LOG_PIT, "pit: count written to channel %u before its mode", addr);
        c->rw = 3;
    }
    switch (c->rw) {
    case 1:
        load_count(s, addr, v);
        break;
    case 2:
        load_count(s, addr, (uint32_t)v << 8);
        break;
    default:
        if (!c->write_msb) {
            c->write_lsb = v;
            c->write_msb = true;
            return;
        }
        c->write_msb = false;
        load_count(s, addr, c->write_lsb | (uint32_t)v << 8);
        break;
    }
    if (addr == 0) {
        irq_update(s);
    }
}

static uint32_t port61_read(void *opaque, uint32_t addr, unsigned size)
{
    PitState *s = opaque;
    uint64_t t = pit_ticks(s);
    /* DRAM refresh requests come every 18 PIT clocks (15.09 us); bit 4 toggles on each */
    uint8_t refresh = ((t / 18) & 1) << 4;
    return (s->port61 & 0x0F) | refresh | (channel_out(s, 2) << 5);
}

static void port61_write(void *opaque, uint32_t addr, uint32_t val, unsigned size)
{
    PitState *s = opaque;
    s->port61 = val & 0x0F;
    set_gate(s, 2, val & 1);
}

static const IoOps kPitOps = {pit_read, pit_write, IO_SIZE_1};
static const IoOps kPort61Ops = {port61_read, port61_write, IO_SIZE_1};

static int pit_post_load(void *opaque)
{
    PitState *s = opaque;
    int bad = 0;
    for (int i = 0; i < 3; i++) {
        PitChannel *c = &s->ch[i];
        if (c->count == 0 || c->count > modulus(c) || c->mode > 5 || c->rw > 3) {
            c->count = modulus(c);
            c->mode = c->mode > 5 ? 2 : c->mode;
            c->rw = c->rw > 3 ? 3 : c->rw;
            bad = 1;
        }
    }
    irq_set(&s->irq0, s->ch[0].out);
    return bad ? -1 : 0;
}

void pit_reset(PitState *s)
{
    timer_del(&s->timer);
    memset(s->ch, 0, sizeof s->ch);
    s->port61 = 0;
    for (int i = 0; i < 3; i++) {
        PitChannel *c = &s->ch[i];
        c->gate = i != 2;
        c->rw = 3;
        c->mode = 3;
        c->out = true;
        load_count(s, i, 0);
    }
    s->ch[0].out = true;
    irq_set(&s->irq0, 1);
    irq_update(s);
}

void pit_init(PitState *s, Bus *bus, Clock *clock, SnapRegistry *reg)
{
    memset(s, 0, sizeof *s);
    s->clock = clock;
    timer_init(&s->timer, clock, pit_timer_cb, s);
    pit_reset(s);
    bus_register_pio(bus, 0x40, 4, &kPitOps, s, "pit");
    bus_register_pio(bus, 0x61, 1, &kPort61Ops, s, "port61");
    for (int i = 0; i < 3; i++) {
        snap_register(reg, &kPitChDesc, &s->ch[i], i);
    }
    snap_register(reg, &kPitDesc, s, 0);
}
