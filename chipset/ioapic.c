/* Intel 82093AA I/O Advanced Programmable Interrupt Controller, following its datasheet (order
 * no. 290566-001): IOREGSEL at offset 0x00 and IOWIN at 0x10; registers IOAPICID (0x00, ID in
 * bits 27:24), IOAPICVER (0x01: version 0x11, maximum redirection entry 0x17), IOAPICARB (0x02,
 * the arbitration ID, loaded from the ID) and the redirection table (0x10 + 2n low dword, 0x11 + 2n
 * high dword): vector, delivery mode (fixed, lowest priority, SMI, NMI, INIT, ExtINT),
 * destination mode, delivery status, polarity, remote IRR, trigger mode, mask, destination.
 *
 * Edge-triggered inputs send one message per rising edge of the asserted level (after polarity);
 * an edge on a masked input is lost, as the datasheet says. Level-triggered inputs send a message
 * while asserted and set remote IRR; the local APIC's EOI for that vector clears it, and an input
 * still asserted then sends again.
 *
 * Departures: messages reach the (single) local APIC at once, so delivery status reads 0; the
 * physical destination is compared on 8 bits (xAPIC, like the local APIC model) rather than the
 * 82093AA's 4. A level-triggered message no APIC accepts is dropped instead of retried forever.
 */
#include "chipset/ioapic.h"

#include <stddef.h>
#include <string.h>

#include "mmu/log.h"

#define IOAPIC_VERSION (0x11u | ((IOAPIC_PINS - 1u) << 16))

#define RTE_MASKED (1ull << 16)
#define RTE_LEVEL (1ull << 15)
#define RTE_REMOTE_IRR (1ull << 14)
#define RTE_POLARITY_LOW (1ull << 13)
#define RTE_DELIVERY_STATUS (1ull << 12)
#define RTE_DEST_LOGICAL (1ull << 11)
/* writable bits: vector, delivery mode, destination mode, polarity, trigger, mask; destination */
#define RTE_WRITABLE (0xFF00000000000000ull | 0x1AFFFull)

static const VmsField kIoapicFields[] = {
    VMS_U8F(IoapicState, id),
    VMS_U8F(IoapicState, regsel),
    VMS_U32F(IoapicState, pins),
    VMS_ARRAY(IoapicState, redir, VMS_U64, IOAPIC_PINS),
    VMS_FIELDS_END,
};

static const VmsDesc kIoapicDesc = {"ioapic", 1, kIoapicFields, NULL, NULL};

static bool asserted(const IoapicState *s, int pin)
{
    bool level = (s->pins >> pin) & 1;
    return level ^ ((s->redir[pin] & RTE_POLARITY_LOW) != 0);
}

/* Send the message of one entry (its input is asserted, or had a rising edge). */
static void send(IoapicState *s, int pin)
{
    uint64_t e = s->redir[pin];
    if (e & RTE_MASKED) {
        return;
    }
    bool level = (e & RTE_LEVEL) != 0;
    if (level && (e & RTE_REMOTE_IRR)) {
        return;
    }
    int mode = (int)((e >> 8) & 7);
    if (mode == 3 || mode == 6) {
        xlog(LOG_APIC, "ioapic: pin %d has reserved delivery mode %d", pin, mode);
        return;
    }
    uint8_t vector = (uint8_t)e;
    uint8_t dest = (uint8_t)(e >> 56);
    bool ok = s->lapic &&
              lapic_deliver(s->lapic, dest, (e & RTE_DEST_LOGICAL) != 0, mode, vector, level);
    if (ok && level && (mode == APIC_DM_FIXED || mode == APIC_DM_LOWPRI)) {
        s->redir[pin] |= RTE_REMOTE_IRR;
    }
}

void ioapic_set_irq(void *opaque, int n, int level)
{
    IoapicState *s = opaque;
    if (n < 0 || n >= IOAPIC_PINS) {
        return;
    }
    bool was = asserted(s, n);
    if (level) {
        s->pins |= 1u << n;
    } else {
        s->pins &= ~(1u << n);
    }
    bool now = asserted(s, n);
    if (!now) {
        return;
    }
    if (s->redir[n] & RTE_LEVEL) {
        send(s, n);
    } else if (!was) {
        send(s, n);
    }
}

void ioapic_eoi(void *opaque, uint8_t vector)
{
    IoapicState *s = opaque;
    for (int pin = 0; pin < IOAPIC_PINS; pin++) {
        uint64_t *e = &s->redir[pin];
        if ((*e & RTE_REMOTE_IRR) && (uint8_t)*e == vector) {
            *e &= ~RTE_REMOTE_IRR;
            if ((*e & RTE_LEVEL) && asserted(s, pin)) {
                send(s, pin);
            }
        }
    }
}

static uint32_t reg_read(IoapicState *s)
{
    uint8_t r = s->regsel;
    switch (r) {
    case 0x00:
        return (uint32_t)s->id << 24;
    case 0x01:
        return IOAPIC_VERSION;
    case 0x02:
        return (uint32_t)s->id << 24; /* arbitration ID: loaded from the ID */
    default:
        break;
    }
    if (r >= 0x10 && r < 0x10 + 2 * IOAPIC_PINS) {
        uint64_t e = s->redir[(r - 0x10) >> 1];
        return (r & 1) ? (uint32_t)(e >> 32) : (uint32_t)e;
    }
    xlog(LOG_APIC, "ioapic: read of register 0x%02x that does not exist", r);
    return 0;
}

static void reg_write(IoapicState *s, uint32_t v)
{
    uint8_t r = s->regsel;
    if (r == 0x00) {
        s->id = (uint8_t)((v >> 24) & 0xF);
        return;
    }
    if (r < 0x10 || r >= 0x10 + 2 * IOAPIC_PINS) {
        xlog(LOG_APIC, "ioapic: write 0x%08x to read-only or absent register 0x%02x", v, r);
        return;
    }
    int pin = (r - 0x10) >> 1;
    uint64_t *e = &s->redir[pin];
    uint64_t old = *e;
    uint64_t nv = (r & 1) ? ((uint64_t)v << 32) | (old & 0xFFFFFFFFu)
                          : (old & 0xFFFFFFFF00000000ull) | v;
    nv = (nv & RTE_WRITABLE) | (old & RTE_REMOTE_IRR);
    if (!(nv & RTE_LEVEL)) {
        nv &= ~RTE_REMOTE_IRR; /* remote IRR means nothing for edge triggering */
    }
    *e = nv;
    /* an asserted level-triggered input is seen as soon as it is unmasked */
    if ((nv & RTE_LEVEL) && !(nv & RTE_MASKED) && asserted(s, pin)) {
        send(s, pin);
    }
}

/* IOREGSEL may be written as a byte; IOWIN is a dword. Other offsets of the page read 0. */
static uint32_t ioapic_mmio_read(void *opaque, uint32_t addr, unsigned size)
{
    IoapicState *s = opaque;
    uint32_t v;
    switch (addr & ~3u) {
    case 0x00:
        v = s->regsel;
        break;
    case 0x10:
        v = reg_read(s);
        break;
    default:
        return 0;
    }
    v >>= 8 * (addr & 3);
    return size == 4 ? v : v & ((1u << (8 * size)) - 1);
}

static void ioapic_mmio_write(void *opaque, uint32_t addr, uint32_t val, unsigned size)
{
    IoapicState *s = opaque;
    if (addr == 0x00) {
        s->regsel = (uint8_t)val;
    } else if (addr == 0x10 && size == 4) {
        reg_write(s, val);
    } else {
        LOG_ONCE(LOG_APIC, "ioapic: %u-byte write at offset 0x%02x dropped", size, addr);
    }
}

static const IoOps kIoapicOps = {ioapic_mmio_read, ioapic_mmio_write, 0};

void ioapic_reset(IoapicState *s)
{
    s->id = IOAPIC_RESET_ID;
    s->regsel = 0;
    for (int pin = 0; pin < IOAPIC_PINS; pin++) {
        s->redir[pin] = RTE_MASKED;
    }
    /* the input levels are the devices', not reset */
}

void ioapic_init(IoapicState *s, Bus *bus, LapicState *lapic, SnapRegistry *reg)
{
    memset(s, 0, sizeof *s);
    s->lapic = lapic;
    ioapic_reset(s);
    if (lapic) {
        lapic->eoi_broadcast = ioapic_eoi;
        lapic->eoi_opaque = s;
    }
    bus_register_mmio(bus, IOAPIC_BASE, 0x1000, &kIoapicOps, s, "ioapic");
    snap_register(reg, &kIoapicDesc, s, 0);
}
