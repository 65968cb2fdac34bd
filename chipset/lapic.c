/* The local APIC of a single-processor P6-class machine, following the Intel SDM vol. 3A chapter
 * 10 ("Advanced Programmable Interrupt Controller"): 10.4 (IA32_APIC_BASE, global and software
 * enable, reset and INIT states), 10.5 (local vector table, error handling, the timer), 10.6
 * (the ICR and IPIs), 10.8 (IRR/ISR/TMR, TPR/PPR/APR, EOI, interrupt acceptance) and 10.9
 * (spurious interrupts).
 *
 * Register model: xAPIC. The version register reads 0x00050014 (version 0x14, six LVT entries),
 * as QEMU reports for every CPU model, rather than a P6's 0x11: Linux then treats the APIC as an
 * xAPIC (8-bit IDs, no APIC-bus ID arbitration, firmware IOAPIC IDs taken as they are), the
 * configuration it is most exercised in. The spurious vector is fully writable (xAPIC).
 *
 * The timer counts the bus clock, taken as 100 MHz (10 ns a count, a 100 MHz Pentium II bus),
 * divided by the divide configuration register. The current count is derived from the virtual
 * clock; a Timer is armed for the next expiry only while the LVT entry is unmasked.
 *
 * Departures:
 * - When the APIC is globally disabled (IA32_APIC_BASE bit 11 = 0) or software disabled (SVR bit
 *   8 = 0), LINT0 drives INTR and LINT1 drives NMI directly, as on a processor without an APIC.
 *   Hardware masks LINT0 when software disabled and relies on the BIOS to set up virtual wire
 *   mode; SeaBIOS expects the 8259 to reach the CPU before it touches the APIC (QEMU makes the
 *   same choice by resetting the BSP's LINT0 to ExtINT).
 * - Fixed interrupts that arrive while software disabled are held in IRR and delivered once the
 *   APIC is enabled again.
 * - With one processor, IPIs to any other destination are dropped (and logged). An INIT or
 *   STARTUP IPI to this processor is logged and ignored: the BSP is never in wait-for-SIPI, and
 *   a self-INIT would need the board to INIT the CPU. SMI is logged and dropped (no SMM).
 * - Message delivery is instantaneous: the delivery status bits always read 0.
 * - Above 4 GB the APIC cannot be mapped; such a base is logged and the APIC is unreachable.
 */
#include "chipset/lapic.h"

#include <stddef.h>
#include <string.h>

#include "mmu/log.h"

#define LAPIC_VERSION 0x00050014u
#define LAPIC_BUS_NS 10 /* one bus clock: the timer's base rate */

/* register offsets */
enum {
    REG_ID = 0x020,
    REG_VERSION = 0x030,
    REG_TPR = 0x080,
    REG_APR = 0x090,
    REG_PPR = 0x0A0,
    REG_EOI = 0x0B0,
    REG_RRD = 0x0C0,
    REG_LDR = 0x0D0,
    REG_DFR = 0x0E0,
    REG_SVR = 0x0F0,
    REG_ISR = 0x100,
    REG_TMR = 0x180,
    REG_IRR = 0x200,
    REG_ESR = 0x280,
    REG_ICR_LO = 0x300,
    REG_ICR_HI = 0x310,
    REG_LVT = 0x320, /* ... 0x370 */
    REG_TIMER_INITIAL = 0x380,
    REG_TIMER_CURRENT = 0x390,
    REG_TIMER_DCR = 0x3E0,
};

#define SVR_ENABLE (1u << 8)
#define SVR_FOCUS (1u << 9)
#define LVT_MASKED (1u << 16)
#define LVT_LEVEL (1u << 15)
#define LVT_REMOTE_IRR (1u << 14)
#define LVT_POLARITY (1u << 13)
#define LVT_TIMER_PERIODIC (1u << 17)
#define ICR_DEST_LOGICAL (1u << 11)
#define ICR_ASSERT (1u << 14)
#define ICR_LEVEL (1u << 15)

/* ESR bits (SDM 10.5.3) */
#define ESR_SEND_ILLEGAL (1u << 5)
#define ESR_RECV_ILLEGAL (1u << 6)
#define ESR_ILLEGAL_REG (1u << 7)

/* writable bits of each LVT entry: vector, delivery mode, polarity, trigger, mask, timer mode */
static const uint32_t kLvtWritable[LVT_COUNT] = {
    [LVT_TIMER] = 0x000100FFu | LVT_TIMER_PERIODIC,
    [LVT_THERMAL] = 0x000107FFu,
    [LVT_PERF] = 0x000107FFu,
    [LVT_LINT0] = 0x0001A7FFu,
    [LVT_LINT1] = 0x0001A7FFu,
    [LVT_ERROR] = 0x000100FFu,
};

static const VmsField kLapicFields[] = {
    VMS_U64F(LapicState, base_msr),
    VMS_U8F(LapicState, id),
    VMS_U8F(LapicState, tpr),
    VMS_U32F(LapicState, ldr),
    VMS_U32F(LapicState, dfr),
    VMS_U32F(LapicState, svr),
    VMS_U32F(LapicState, esr),
    VMS_U32F(LapicState, esr_pending),
    VMS_U32F(LapicState, icr_lo),
    VMS_U32F(LapicState, icr_hi),
    VMS_ARRAY(LapicState, lvt, VMS_U32, LVT_COUNT),
    VMS_ARRAY(LapicState, irr, VMS_U32, 8),
    VMS_ARRAY(LapicState, isr, VMS_U32, 8),
    VMS_ARRAY(LapicState, tmr, VMS_U32, 8),
    VMS_U32F(LapicState, timer_initial),
    VMS_U32F(LapicState, timer_dcr),
    VMS_U64F(LapicState, timer_load_ns),
    VMS_U32F(LapicState, timer_load_count),
    VMS_TIMERF(LapicState, timer),
    VMS_ARRAY(LapicState, lint_level, VMS_U8, 2),
    VMS_BOOLF(LapicState, extint_msg),
    VMS_BOOLF(LapicState, intr_held),
    VMS_FIELDS_END,
};

static int lapic_post_load(void *opaque);
static const VmsDesc kLapicDesc = {"lapic", 1, kLapicFields, NULL, lapic_post_load};

/* ---- 256-bit registers ---- */

static inline void bit_set(uint32_t *r, unsigned v)
{
    r[v >> 5] |= 1u << (v & 31);
}

static inline void bit_clear(uint32_t *r, unsigned v)
{
    r[v >> 5] &= ~(1u << (v & 31));
}

static inline bool bit_test(const uint32_t *r, unsigned v)
{
    return (r[v >> 5] >> (v & 31)) & 1;
}

/* Highest set bit of a 256-bit register, or -1. */
static int highest(const uint32_t *r)
{
    for (int w = 7; w >= 0; w--) {
        if (r[w]) {
            return w * 32 + 31 - __builtin_clz(r[w]);
        }
    }
    return -1;
}

/* ---- state ---- */

static bool globally_enabled(const LapicState *s)
{
    return (s->base_msr & LAPIC_MSR_ENABLE) != 0;
}

/* Both enables: the APIC takes part in interrupt delivery. */
static bool active(const LapicState *s)
{
    return globally_enabled(s) && (s->svr & SVR_ENABLE);
}

/* Processor priority (SDM 10.8.3.1): TPR if its class is at least the in-service class. */
static uint8_t ppr(const LapicState *s)
{
    int isrv = highest(s->isr);
    uint8_t isr_class = isrv < 0 ? 0 : (uint8_t)(isrv & 0xF0);
    return (s->tpr & 0xF0) >= isr_class ? s->tpr : isr_class;
}

/* Arbitration priority (SDM 10.8.3.1, P6 family and Pentium). */
static uint8_t apr(const LapicState *s)
{
    int isrv = highest(s->isr), irrv = highest(s->irr);
    unsigned tc = s->tpr >> 4;
    unsigned ic = isrv < 0 ? 0 : (unsigned)isrv >> 4;
    unsigned rc = irrv < 0 ? 0 : (unsigned)irrv >> 4;
    if (tc >= rc && tc > ic) {
        return s->tpr;
    }
    unsigned m = tc > ic ? tc : ic;
    m = m > rc ? m : rc;
    return (uint8_t)(m << 4);
}

/* The highest IRR vector if its priority class is above the processor priority, else -1. */
static int deliverable(const LapicState *s)
{
    int v = highest(s->irr);
    if (v < 0 || (v & 0xF0) <= (ppr(s) & 0xF0)) {
        return -1;
    }
    return v;
}

static bool extint_pending(const LapicState *s)
{
    uint32_t l0 = s->lvt[LVT_LINT0];
    bool wire = !(l0 & LVT_MASKED) && ((l0 >> 8) & 7) == APIC_DM_EXTINT && s->lint_level[0];
    return s->extint_msg || wire;
}

/* Recompute the INTR output. Once raised for a fixed interrupt, INTR stays up until the
 * acknowledge even if a TPR write masks the request meanwhile (SDM 10.9: the INTA then gets
 * the spurious vector). */
static void update_intr(LapicState *s)
{
    int level;
    if (!active(s)) {
        s->intr_held = false;
        level = s->lint_level[0];
    } else if (deliverable(s) >= 0) {
        s->intr_held = true;
        level = 1;
    } else if (extint_pending(s)) {
        level = 1;
    } else {
        level = s->intr_held && highest(s->irr) >= 0;
        s->intr_held = level != 0;
    }
    if (level != s->intr.level) {
        irq_set(&s->intr, level);
    }
}

static void nmi_pulse(LapicState *s)
{
    irq_pulse(&s->nmi);
}

static void signal_error(LapicState *s, uint32_t bits);

/* Accept a fixed (or lowest priority) interrupt into IRR. */
static void accept_fixed(LapicState *s, uint8_t vector, bool level_trig)
{
    if (vector < 16) {
        signal_error(s, ESR_RECV_ILLEGAL);
        return;
    }
    bit_set(s->irr, vector);
    if (level_trig) {
        bit_set(s->tmr, vector);
    } else {
        bit_clear(s->tmr, vector);
    }
    update_intr(s);
}

/* Deliver a local interrupt through its LVT entry (timer, thermal, perf, error, or LINT as an
 * edge). */
static void local_deliver(LapicState *s, int lvt)
{
    uint32_t e = s->lvt[lvt];
    if (e & LVT_MASKED) {
        return;
    }
    int mode = (lvt == LVT_TIMER || lvt == LVT_ERROR) ? APIC_DM_FIXED : (int)((e >> 8) & 7);
    uint8_t vector = (uint8_t)e;
    switch (mode) {
    case APIC_DM_FIXED:
        if (vector < 16) {
            /* an illegal error vector reports itself only once */
            if (lvt == LVT_ERROR) {
                s->esr_pending |= ESR_RECV_ILLEGAL;
            } else {
                signal_error(s, ESR_RECV_ILLEGAL);
            }
            return;
        }
        accept_fixed(s, vector, false);
        break;
    case APIC_DM_NMI:
        nmi_pulse(s);
        break;
    case APIC_DM_EXTINT:
        update_intr(s);
        break;
    case APIC_DM_SMI:
        LOG_ONCE(LOG_APIC, "lapic: SMI from LVT %d dropped (no SMM)", lvt);
        break;
    default:
        xlog(LOG_APIC, "lapic: LVT %d with delivery mode %d ignored", lvt, mode);
        break;
    }
}

static void signal_error(LapicState *s, uint32_t bits)
{
    s->esr_pending |= bits;
    xlog(LOG_APIC, "lapic: error 0x%02x", bits);
    local_deliver(s, LVT_ERROR);
}

/* ---- timer ---- */

static uint64_t timer_period_ns(const LapicState *s)
{
    unsigned v = (s->timer_dcr & 3) | ((s->timer_dcr >> 1) & 4);
    return (uint64_t)LAPIC_BUS_NS << ((v + 1) & 7);
}

static bool timer_periodic(const LapicState *s)
{
    return (s->lvt[LVT_TIMER] & LVT_TIMER_PERIODIC) != 0;
}

/* The current count at virtual time `now`. */
static uint32_t timer_current(const LapicState *s, uint64_t now)
{
    if (!s->timer_load_count || now < s->timer_load_ns) {
        return s->timer_load_count;
    }
    uint64_t e = (now - s->timer_load_ns) / timer_period_ns(s);
    if (e < s->timer_load_count) {
        return (uint32_t)(s->timer_load_count - e);
    }
    if (!timer_periodic(s) || !s->timer_initial) {
        return 0;
    }
    e -= s->timer_load_count;
    return (uint32_t)(s->timer_initial - e % s->timer_initial);
}

/* The first expiry strictly after `now`; false if the counter will not reach 0 again. */
static bool timer_next(const LapicState *s, uint64_t now, uint64_t *when)
{
    if (!s->timer_load_count) {
        return false;
    }
    uint64_t p = timer_period_ns(s);
    uint64_t first = s->timer_load_ns + (uint64_t)s->timer_load_count * p;
    if (first > now) {
        *when = first;
        return true;
    }
    if (!timer_periodic(s) || !s->timer_initial) {
        return false;
    }
    uint64_t per = (uint64_t)s->timer_initial * p;
    *when = first + ((now - first) / per + 1) * per;
    return true;
}

static void timer_rearm(LapicState *s)
{
    uint64_t when;
    if (!(s->lvt[LVT_TIMER] & LVT_MASKED) && timer_next(s, clock_now(s->clock), &when)) {
        timer_mod(&s->timer, when);
    } else {
        timer_del(&s->timer);
    }
}

/* Restart the count from its present value (before the rate or the mode changes). */
static void timer_rebase(LapicState *s)
{
    uint64_t now = clock_now(s->clock);
    s->timer_load_count = timer_current(s, now);
    s->timer_load_ns = now;
}

static void timer_expired(void *opaque)
{
    LapicState *s = opaque;
    if (!timer_periodic(s)) {
        s->timer_load_count = 0; /* a one-shot count stays at 0 */
    }
    local_deliver(s, LVT_TIMER);
    timer_rearm(s);
}

/* ---- EOI, acknowledge ---- */

static void do_eoi(LapicState *s)
{
    int v = highest(s->isr);
    if (v < 0) {
        return;
    }
    bit_clear(s->isr, (unsigned)v);
    if (bit_test(s->tmr, (unsigned)v)) {
        bit_clear(s->tmr, (unsigned)v);
        /* a level-triggered LINT input waits for this EOI (remote IRR) */
        for (int l = LVT_LINT0; l <= LVT_LINT1; l++) {
            uint32_t *e = &s->lvt[l];
            if ((*e & LVT_REMOTE_IRR) && (uint8_t)*e == v) {
                *e &= ~LVT_REMOTE_IRR;
                if (s->lint_level[l - LVT_LINT0]) {
                    lapic_set_lint(s, l - LVT_LINT0, 1);
                }
            }
        }
        if (s->eoi_broadcast) {
            s->eoi_broadcast(s->eoi_opaque, (uint8_t)v);
        }
    }
    update_intr(s);
}

int lapic_intack(LapicState *s)
{
    if (!active(s)) {
        return s->extint_ack ? s->extint_ack(s->extint_opaque) : -1;
    }
    int v = deliverable(s);
    if (v >= 0) {
        bit_clear(s->irr, (unsigned)v);
        bit_set(s->isr, (unsigned)v);
        s->intr_held = false;
        update_intr(s);
        return v;
    }
    if (extint_pending(s)) {
        s->extint_msg = false;
        int vec = s->extint_ack ? s->extint_ack(s->extint_opaque) : -1;
        update_intr(s);
        return vec;
    }
    /* INTR was raised, but TPR now masks the request */
    s->intr_held = false;
    update_intr(s);
    xlog(LOG_APIC, "lapic: spurious interrupt (TPR 0x%02x)", s->tpr);
    return (int)(s->svr & 0xFF);
}

/* ---- APIC bus messages and IPIs ---- */

/* Does a message's destination select this APIC (SDM 10.6.2)? */
static bool dest_match(const LapicState *s, uint8_t dest, bool logical)
{
    if (!logical) {
        return dest == 0xFF || dest == s->id;
    }
    uint8_t ldr = (uint8_t)(s->ldr >> 24);
    if (dest == 0xFF) {
        return true;
    }
    if ((s->dfr >> 28) == 0xF) {
        return (dest & ldr) != 0; /* flat model */
    }
    /* cluster model: cluster in bits 7:4 (15 = all clusters), members in bits 3:0 */
    return ((dest >> 4) == 0xF || (dest >> 4) == (ldr >> 4)) && (dest & ldr & 0xF) != 0;
}

/* A message addressed to this APIC. */
static void receive(LapicState *s, int mode, uint8_t vector, bool level_trig)
{
    switch (mode) {
    case APIC_DM_FIXED:
    case APIC_DM_LOWPRI:
        accept_fixed(s, vector, level_trig);
        break;
    case APIC_DM_NMI:
        nmi_pulse(s);
        break;
    case APIC_DM_EXTINT:
        s->extint_msg = true;
        update_intr(s);
        break;
    case APIC_DM_SMI:
        LOG_ONCE(LOG_APIC, "lapic: SMI message dropped (no SMM)");
        break;
    case APIC_DM_INIT:
        xlog(LOG_APIC, "lapic: INIT to this processor ignored");
        break;
    case APIC_DM_STARTUP:
        xlog(LOG_APIC, "lapic: STARTUP to this processor ignored (not waiting for SIPI)");
        break;
    default:
        xlog(LOG_APIC, "lapic: message with reserved delivery mode %d dropped", mode);
        break;
    }
}

bool lapic_deliver(LapicState *s, uint8_t dest, bool logical, int mode, uint8_t vector,
                   bool level_trig)
{
    if (!globally_enabled(s) || !dest_match(s, dest, logical)) {
        xlog(LOG_APIC, "lapic: message vector 0x%02x mode %d to %s 0x%02x: no such APIC", vector,
             mode, logical ? "logical" : "physical", dest);
        return false;
    }
    receive(s, mode, vector, level_trig);
    return true;
}

/* A write to ICR low sends an IPI (SDM 10.6.1). */
static void send_ipi(LapicState *s)
{
    uint32_t lo = s->icr_lo;
    int mode = (int)((lo >> 8) & 7);
    uint8_t vector = (uint8_t)lo;
    uint8_t dest = (uint8_t)(s->icr_hi >> 24);
    unsigned shorthand = (lo >> 18) & 3;
    bool to_self, to_others;
    switch (shorthand) {
    case 1:
        to_self = true;
        to_others = false;
        break;
    case 2:
        to_self = to_others = true;
        break;
    case 3:
        to_self = false;
        to_others = true;
        break;
    default:
        to_self = dest_match(s, dest, (lo & ICR_DEST_LOGICAL) != 0);
        /* a broadcast or a destination that is not us names (absent) others */
        to_others = !to_self || dest == 0xFF;
        break;
    }
    if (mode == APIC_DM_INIT && !(lo & ICR_ASSERT) && (lo & ICR_LEVEL)) {
        return; /* INIT level de-assert: arbitration ID resync, nothing to do with one APIC */
    }
    if ((mode == APIC_DM_FIXED || mode == APIC_DM_LOWPRI) && vector < 16) {
        signal_error(s, ESR_SEND_ILLEGAL);
        return;
    }
    if (to_others) {
        xlog(LOG_APIC, "lapic: IPI mode %d vector 0x%02x to other processors dropped (one CPU)",
             mode, vector);
    }
    if (to_self) {
        receive(s, mode, vector, (lo & ICR_LEVEL) != 0 && mode == APIC_DM_FIXED);
    }
}

/* ---- LINT pins ---- */

void lapic_set_lint(void *opaque, int n, int level)
{
    LapicState *s = opaque;
    if (n < 0 || n > 1) {
        return;
    }
    uint8_t old = s->lint_level[n];
    s->lint_level[n] = (uint8_t)(level != 0);
    if (!active(s)) {
        /* no APIC in the way: LINT0 is INTR, LINT1 is NMI */
        if (n == 0) {
            update_intr(s);
        } else if (level && !old) {
            nmi_pulse(s);
        }
        return;
    }
    uint32_t *e = &s->lvt[LVT_LINT0 + n];
    int mode = (int)((*e >> 8) & 7);
    if (mode == APIC_DM_EXTINT) {
        update_intr(s); /* level sensitive, read at INTA */
        return;
    }
    if (*e & LVT_MASKED) {
        return;
    }
    bool asserted = s->lint_level[n] ^ ((*e & LVT_POLARITY) != 0);
    bool was = old ^ ((*e & LVT_POLARITY) != 0);
    if (mode == APIC_DM_FIXED && (*e & LVT_LEVEL)) {
        /* level triggered: one interrupt until its EOI clears the remote IRR */
        if (asserted && !(*e & LVT_REMOTE_IRR)) {
            uint8_t vector = (uint8_t)*e;
            if (vector < 16) {
                signal_error(s, ESR_RECV_ILLEGAL);
                return;
            }
            *e |= LVT_REMOTE_IRR;
            accept_fixed(s, vector, true);
        }
        return;
    }
    if (asserted && !was) {
        local_deliver(s, LVT_LINT0 + n);
    }
}

void lapic_connect_pic(LapicState *s, int (*intack)(void *opaque), void *opaque)
{
    s->extint_ack = intack;
    s->extint_opaque = opaque;
}

/* ---- registers ---- */

static void set_svr(LapicState *s, uint32_t v)
{
    s->svr = v & (0xFF | SVR_ENABLE | SVR_FOCUS);
    if (!(s->svr & SVR_ENABLE)) {
        /* software disabled: every LVT entry masked (SDM 10.4.7.2) */
        for (int l = 0; l < LVT_COUNT; l++) {
            s->lvt[l] |= LVT_MASKED;
        }
        timer_rearm(s);
    }
    update_intr(s);
}

static void set_lvt(LapicState *s, int l, uint32_t v)
{
    uint32_t old = s->lvt[l];
    v &= kLvtWritable[l];
    if (!(s->svr & SVR_ENABLE)) {
        v |= LVT_MASKED;
    }
    v |= old & LVT_REMOTE_IRR;
    if (l == LVT_TIMER && ((old ^ v) & LVT_TIMER_PERIODIC)) {
        timer_rebase(s); /* count so far under the old mode */
    }
    if ((l == LVT_LINT0 || l == LVT_LINT1) && !(v & LVT_LEVEL)) {
        v &= ~LVT_REMOTE_IRR;
    }
    s->lvt[l] = v;
    if (l == LVT_TIMER) {
        timer_rearm(s);
    }
    if (l == LVT_LINT0 || l == LVT_LINT1) {
        int n = l - LVT_LINT0;
        /* a level-triggered input already asserted is seen once unmasked */
        if ((old & LVT_MASKED) && !(v & LVT_MASKED) && (v & LVT_LEVEL) &&
            ((v >> 8) & 7) == APIC_DM_FIXED && s->lint_level[n]) {
            lapic_set_lint(s, n, 1);
        }
    }
    update_intr(s);
}

static uint32_t reg_read(LapicState *s, uint32_t reg)
{
    if (reg >= REG_ISR && reg < REG_ISR + 0x80) {
        return s->isr[(reg - REG_ISR) >> 4];
    }
    if (reg >= REG_TMR && reg < REG_TMR + 0x80) {
        return s->tmr[(reg - REG_TMR) >> 4];
    }
    if (reg >= REG_IRR && reg < REG_IRR + 0x80) {
        return s->irr[(reg - REG_IRR) >> 4];
    }
    if (reg >= REG_LVT && reg < REG_LVT + 0x10 * LVT_COUNT) {
        return s->lvt[(reg - REG_LVT) >> 4];
    }
    switch (reg) {
    case REG_ID:
        return (uint32_t)s->id << 24;
    case REG_VERSION:
        return LAPIC_VERSION;
    case REG_TPR:
        return s->tpr;
    case REG_APR:
        return apr(s);
    case REG_PPR:
        return ppr(s);
    case REG_EOI:
        return 0; /* write-only */
    case REG_RRD:
        return 0; /* remote read: nothing to read from */
    case REG_LDR:
        return s->ldr;
    case REG_DFR:
        return s->dfr;
    case REG_SVR:
        return s->svr;
    case REG_ESR:
        return s->esr;
    case REG_ICR_LO:
        return s->icr_lo;
    case REG_ICR_HI:
        return s->icr_hi;
    case REG_TIMER_INITIAL:
        return s->timer_initial;
    case REG_TIMER_CURRENT:
        return timer_current(s, clock_now(s->clock));
    case REG_TIMER_DCR:
        return s->timer_dcr;
    default:
        xlog(LOG_APIC, "lapic: read of reserved register 0x%03x", reg);
        signal_error(s, ESR_ILLEGAL_REG);
        return 0;
    }
}

static void reg_write(LapicState *s, uint32_t reg, uint32_t v)
{
    if (reg >= REG_LVT && reg < REG_LVT + 0x10 * LVT_COUNT) {
        set_lvt(s, (int)((reg - REG_LVT) >> 4), v);
        return;
    }
    if ((reg >= REG_ISR && reg < REG_IRR + 0x80) || reg == REG_VERSION || reg == REG_APR ||
        reg == REG_PPR || reg == REG_RRD || reg == REG_TIMER_CURRENT) {
        xlog(LOG_APIC, "lapic: write 0x%08x to read-only register 0x%03x ignored", v, reg);
        return;
    }
    switch (reg) {
    case REG_ID:
        s->id = (uint8_t)(v >> 24);
        break;
    case REG_TPR:
        s->tpr = (uint8_t)v;
        update_intr(s);
        break;
    case REG_EOI:
        do_eoi(s);
        break;
    case REG_LDR:
        s->ldr = v & 0xFF000000u;
        break;
    case REG_DFR:
        s->dfr = v | 0x0FFFFFFFu;
        break;
    case REG_SVR:
        set_svr(s, v);
        break;
    case REG_ESR:
        /* write-to-update: latch the errors seen since the last write (SDM 10.5.3) */
        s->esr = s->esr_pending;
        s->esr_pending = 0;
        break;
    case REG_ICR_LO:
        s->icr_lo = v & 0x000CCFFFu; /* delivery status (bit 12) always reads 0 */
        send_ipi(s);
        break;
    case REG_ICR_HI:
        s->icr_hi = v & 0xFF000000u;
        break;
    case REG_TIMER_INITIAL:
        s->timer_initial = v;
        s->timer_load_count = v;
        s->timer_load_ns = clock_now(s->clock);
        timer_rearm(s);
        break;
    case REG_TIMER_DCR:
        timer_rebase(s);
        s->timer_dcr = v & 0xB;
        timer_rearm(s);
        break;
    default:
        xlog(LOG_APIC, "lapic: write 0x%08x to reserved register 0x%03x", v, reg);
        signal_error(s, ESR_ILLEGAL_REG);
        break;
    }
}

/* Registers sit on 16-byte boundaries; only aligned 32-bit writes are defined (SDM 10.4.1).
 * Narrower reads return the bytes of the register; narrower or misaligned writes are dropped. */
static uint32_t lapic_mmio_read(void *opaque, uint32_t addr, unsigned size)
{
    LapicState *s = opaque;
    if (!globally_enabled(s)) {
        return size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
    }
    uint32_t within = addr & 0xF;
    if (within + size > 4) {
        return 0;
    }
    uint32_t v = reg_read(s, addr & 0xFF0u);
    v >>= 8 * within;
    return size == 4 ? v : v & ((1u << (8 * size)) - 1);
}

static void lapic_mmio_write(void *opaque, uint32_t addr, uint32_t val, unsigned size)
{
    LapicState *s = opaque;
    if (!globally_enabled(s)) {
        return;
    }
    if (size != 4 || (addr & 0xF)) {
        LOG_ONCE(LOG_APIC, "lapic: %u-byte write at offset 0x%03x dropped", size, addr);
        return;
    }
    reg_write(s, addr & 0xFF0u, val);
}

static const IoOps kLapicOps = {lapic_mmio_read, lapic_mmio_write, 0};

/* ---- base, enable, reset ---- */

static void map_at(LapicState *s, uint64_t base)
{
    if (s->mmio_index >= 0 && s->mapped_base == base) {
        return;
    }
    if (s->mmio_index >= 0) {
        bus_unmap_mmio(s->bus, s->mmio_index);
        s->mmio_index = -1;
    }
    if (base > 0xFFFFF000u) {
        xlog(LOG_APIC, "lapic: base 0x%llx above 4 GB: unreachable", (unsigned long long)base);
        return;
    }
    s->mmio_index = bus_register_mmio(s->bus, (uint32_t)base, 0x1000, &kLapicOps, s, "lapic");
    if (s->mmio_index < 0) {
        LOG_ONCE(LOG_APIC, "lapic: no MMIO region left to map the APIC at 0x%llx",
                 (unsigned long long)base);
        return;
    }
    s->mapped_base = (uint32_t)base;
}

/* The register state after RESET or INIT (SDM 10.4.7.1); the ID and the base MSR are kept. */
static void reset_registers(LapicState *s)
{
    s->tpr = 0;
    s->ldr = 0;
    s->dfr = 0xFFFFFFFFu;
    s->svr = 0xFF;
    s->esr = s->esr_pending = 0;
    s->icr_lo = s->icr_hi = 0;
    for (int l = 0; l < LVT_COUNT; l++) {
        s->lvt[l] = LVT_MASKED;
    }
    memset(s->irr, 0, sizeof s->irr);
    memset(s->isr, 0, sizeof s->isr);
    memset(s->tmr, 0, sizeof s->tmr);
    s->timer_initial = s->timer_dcr = 0;
    s->timer_load_ns = 0;
    s->timer_load_count = 0;
    timer_del(&s->timer);
    s->extint_msg = false;
    s->intr_held = false;
}

void lapic_reset(LapicState *s)
{
    s->id = 0;
    s->base_msr = LAPIC_BASE_MSR_RESET;
    reset_registers(s);
    map_at(s, LAPIC_DEFAULT_BASE);
    update_intr(s);
}

void lapic_set_base(LapicState *s, uint64_t msr)
{
    bool was = globally_enabled(s);
    s->base_msr = msr;
    if (was && !globally_enabled(s)) {
        /* SDM 10.4.3: disabling returns the APIC to its reset state */
        reset_registers(s);
    }
    map_at(s, msr & 0xFFFFFF000ull);
    update_intr(s);
}

static int lapic_post_load(void *opaque)
{
    LapicState *s = opaque;
    map_at(s, s->base_msr & 0xFFFFFF000ull);
    s->intr.level = -1; /* drive the outputs whatever their remembered level */
    update_intr(s);
    return 0;
}

void lapic_init(LapicState *s, Bus *bus, Clock *clock, SnapRegistry *reg)
{
    memset(s, 0, sizeof *s);
    s->bus = bus;
    s->clock = clock;
    s->mmio_index = -1;
    timer_init(&s->timer, clock, timer_expired, s);
    lapic_reset(s);
    snap_register(reg, &kLapicDesc, s, 0);
}
