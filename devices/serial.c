/* National Semiconductor PC16550D UART with FIFOs, following its datasheet (June 1995): RBR/THR,
 * IER, IIR with the five prioritised interrupt sources, FCR (16-byte receive FIFO, trigger
 * levels 1/4/8/14), LCR with the divisor latch, MCR with loopback, LSR, MSR and SCR.
 *
 * Transmission is instantaneous: a byte written to THR goes to the host (or, in loopback, to the
 * receiver) at once and THR is empty again, so THRE and TEMT always read 1 and the THRE interrupt
 * condition is re-set by the write itself. The THRE condition is also set when IER bit 1 goes from
 * 0 to 1 while THR is empty, and cleared by reading IIR when THRE is the source shown or by
 * writing THR. The character timeout (four character times with data in the FIFO and no FIFO
 * activity, timed from the programmed divisor and frame format) is a virtual-clock timer.
 *
 * The IRQ output reaches the bus only when MCR OUT2 is set (and loopback is off), the gate that
 * every PC serial card puts between the UART and its IRQ line. Modem inputs from the host read as
 * CTS, DSR and DCD asserted, RI off.
 */
#include "devices/serial.h"

#include <string.h>

#include "mmu/log.h"

#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_ERRORS 0x1E
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80
#define IIR_NONE 0x01

static const VmsField kSerialFields[] = {
    VMS_ARRAY(SerialState, rx_fifo, VMS_U8, SERIAL_FIFO_SIZE),
    VMS_U8F(SerialState, rx_head),
    VMS_U8F(SerialState, rx_count),
    VMS_U8F(SerialState, ier),
    VMS_U8F(SerialState, lcr),
    VMS_U8F(SerialState, mcr),
    VMS_U8F(SerialState, lsr),
    VMS_U8F(SerialState, msr),
    VMS_U8F(SerialState, scr),
    VMS_U8F(SerialState, fcr),
    VMS_U16F(SerialState, divisor),
    VMS_BOOLF(SerialState, thr_ipending),
    VMS_BOOLF(SerialState, timeout_ipending),
    VMS_U64F(SerialState, tx_count),
    VMS_TIMERF(SerialState, timeout_timer),
    VMS_FIELDS_END,
};
static int serial_post_load(void *opaque);
static const VmsDesc kSerialDesc = {"serial", 1, kSerialFields, NULL, serial_post_load};

static bool fifo_on(const SerialState *s)
{
    return s->fcr & 1;
}

static int rx_capacity(const SerialState *s)
{
    return fifo_on(s) ? SERIAL_FIFO_SIZE : 1;
}

static int rx_trigger(const SerialState *s)
{
    static const uint8_t kTrigger[4] = {1, 4, 8, 14};
    return fifo_on(s) ? kTrigger[s->fcr >> 6] : 1;
}

static uint8_t iir_id(const SerialState *s)
{
    if ((s->ier & 4) && (s->lsr & LSR_ERRORS)) {
        return 0x06;
    }
    if ((s->ier & 1) && s->rx_count >= rx_trigger(s)) {
        return 0x04;
    }
    if ((s->ier & 1) && s->timeout_ipending) {
        return 0x0C;
    }
    if ((s->ier & 2) && s->thr_ipending) {
        return 0x02;
    }
    if ((s->ier & 8) && (s->msr & 0x0F)) {
        return 0x00;
    }
    return IIR_NONE;
}

static void update_irq(SerialState *s)
{
    int level = !(iir_id(s) & IIR_NONE) && (s->mcr & MCR_OUT2) && !(s->mcr & MCR_LOOP);
    if (level != s->irq.level) {
        irq_set(&s->irq, level);
    }
}

/* Four character times at the programmed rate and frame, rounded up to the ns. */
static uint64_t timeout_ns(const SerialState *s)
{
    unsigned data = 5 + (s->lcr & 3);
    unsigned half_bits = 2 * (1 + data + ((s->lcr & 8) ? 1 : 0));
    half_bits += (s->lcr & 4) ? (data == 5 ? 3 : 4) : 2;
    uint64_t div = s->divisor ? s->divisor : 65536;
    uint64_t n = 4ull * half_bits * div * 1000000000ull;
    return (n + 115200 * 2 - 1) / (115200 * 2);
}

static void rearm_timeout(SerialState *s)
{
    if (fifo_on(s) && s->rx_count) {
        timer_mod(&s->timeout_timer, clock_now(s->clock) + timeout_ns(s));
    } else {
        timer_del(&s->timeout_timer);
    }
}

static void timeout_cb(void *opaque)
{
    SerialState *s = opaque;
    if (fifo_on(s) && s->rx_count) {
        s->timeout_ipending = true;
        update_irq(s);
    }
}

static void rx_push(SerialState *s, uint8_t b)
{
    if (s->rx_count >= rx_capacity(s)) {
        s->lsr |= LSR_OE;
        if (!fifo_on(s)) {
            s->rx_fifo[s->rx_head] = b; /* the holding register is overwritten */
        }
        return;
    }
    s->rx_fifo[(s->rx_head + s->rx_count) % SERIAL_FIFO_SIZE] = b;
    s->rx_count++;
}

static void rx_clear(SerialState *s)
{
    s->rx_head = 0;
    s->rx_count = 0;
    s->timeout_ipending = false;
    timer_del(&s->timeout_timer);
}

/* Modem status inputs: from MCR in loopback, else the host side's (always ready). */
static void update_msr(SerialState *s)
{
    uint8_t lines;
    if (s->mcr & MCR_LOOP) {
        lines = ((s->mcr & MCR_RTS) ? MSR_CTS : 0) | ((s->mcr & MCR_DTR) ? MSR_DSR : 0) |
                ((s->mcr & MCR_OUT1) ? MSR_RI : 0) | ((s->mcr & MCR_OUT2) ? MSR_DCD : 0);
    } else {
        lines = MSR_CTS | MSR_DSR | MSR_DCD;
    }
    uint8_t changed = (s->msr ^ lines) & 0xF0;
    uint8_t delta = 0;
    if (changed & MSR_CTS) {
        delta |= 0x01;
    }
    if (changed & MSR_DSR) {
        delta |= 0x02;
    }
    if ((changed & MSR_RI) && !(lines & MSR_RI)) {
        delta |= 0x04; /* trailing edge of RI */
    }
    if (changed & MSR_DCD) {
        delta |= 0x08;
    }
    s->msr = lines | (s->msr & 0x0F) | delta;
}

static void transmit(SerialState *s, uint8_t b)
{
    s->tx_count++;
    if (s->mcr & MCR_LOOP) {
        rx_push(s, b);
        rearm_timeout(s);
    } else if (s->tx) {
        s->tx(s->tx_opaque, b);
    }
    s->thr_ipending = true; /* THR is empty again at once */
}

static uint32_t serial_read(void *opaque, uint32_t addr, unsigned size)
{
    SerialState *s = opaque;
    uint32_t v = 0;
    switch (addr) {
    case 0:
        if (s->lcr & 0x80) {
            v = s->divisor & 0xFF;
            break;
        }
        if (s->rx_count) {
            v = s->rx_fifo[s->rx_head];
            s->rx_head = (s->rx_head + 1) % SERIAL_FIFO_SIZE;
            s->rx_count--;
        }
        s->timeout_ipending = false;
        rearm_timeout(s);
        break;
    case 1:
        v = (s->lcr & 0x80) ? s->divisor >> 8 : s->ier;
        break;
    case 2: {
        uint8_t id = iir_id(s);
        if (id == 0x02) {
            s->thr_ipending = false;
        }
        v = id | (fifo_on(s) ? 0xC0 : 0);
        break;
    }
    case 3:
        v = s->lcr;
        break;
    case 4:
        v = s->mcr;
        break;
    case 5:
        v = (s->lsr & LSR_ERRORS) | (s->rx_count ? LSR_DR : 0) | LSR_THRE | LSR_TEMT;
        s->lsr &= ~LSR_ERRORS;
        break;
    case 6:
        v = s->msr;
        s->msr &= 0xF0;
        break;
    default:
        v = s->scr;
        break;
    }
    update_irq(s);
    return v;
}

static void serial_write(void *opaque, uint32_t addr, uint32_t val, unsigned size)
{
    SerialState *s = opaque;
    uint8_t v = (uint8_t)val;
    switch (addr) {
    case 0:
        if (s->lcr & 0x80) {
            s->divisor = (s->divisor & 0xFF00) | v;
        } else {
            s->thr_ipending = false;
            transmit(s, v);
        }
        break;
    case 1:
        if (s->lcr & 0x80) {
            s->divisor = (uint16_t)((s->divisor & 0xFF) | v << 8);
        } else {
            uint8_t old = s->ier;
            s->ier = v & 0x0F;
            if ((s->ier & 2) && !(old & 2)) {
                s->thr_ipending = true; /* THR is always empty here */
            }
        }
        break;
    case 2:
        if ((v ^ s->fcr) & 1) {
            rx_clear(s); /* switching the FIFOs on or off empties them */
        }
        if (v & 2) {
            rx_clear(s);
            s->lsr &= ~0x80u;
        }
        if (v & 8) {
            LOG_ONCE(LOG_SERIAL, "serial: DMA mode 1 selected (no DMA modelled)");
        }
        s->fcr = v & 0xC9;
        if (!(v & 1)) {
            s->fcr = 0;
        }
        rearm_timeout(s);
        break;
    case 3:
        s->lcr = v;
        break;
    case 4:
        s->mcr = v & 0x1F;
        update_msr(s);
        break;
    case 5:
        LOG_ONCE(LOG_SERIAL, "serial: write to LSR (factory test) ignored");
        break;
    case 6:
        LOG_ONCE(LOG_SERIAL, "serial: write to MSR ignored");
        break;
    default:
        s->scr = v;
        break;
    }
    update_irq(s);
}

static const IoOps kSerialOps = {serial_read, serial_write, IO_SIZE_1};

void serial_receive(SerialState *s, const uint8_t *buf, int n)
{
    if (s->mcr & MCR_LOOP) {
        return; /* the receiver listens to the transmitter only */
    }
    for (int i = 0; i < n; i++) {
        rx_push(s, buf[i]);
    }
    rearm_timeout(s); /* a pending timeout stays until the FIFO is read */
    update_irq(s);
}

int serial_can_receive(SerialState *s)
{
    if (s->mcr & MCR_LOOP) {
        return 0;
    }
    return rx_capacity(s) - s->rx_count;
}

static int serial_post_load(void *opaque)
{
    SerialState *s = opaque;
    int bad = s->rx_head >= SERIAL_FIFO_SIZE || s->rx_count > SERIAL_FIFO_SIZE;
    if (bad) {
        rx_clear(s);
    }
    s->irq.level = -1;
    update_irq(s);
    return bad ? -1 : 0;
}

void serial_reset(SerialState *s)
{
    /* master reset: everything but RBR, THR, SCR and the divisor latch */
    rx_clear(s);
    s->ier = 0;
    s->lcr = 0;
    s->mcr = 0;
    s->lsr = 0;
    s->fcr = 0;
    s->msr = 0;
    update_msr(s);
    s->msr &= 0xF0;
    s->thr_ipending = false;
    update_irq(s);
}

void serial_init(SerialState *s, Bus *bus, Clock *clock, uint16_t base,
                 void (*tx)(void *opaque, uint8_t byte), void *opaque, SnapRegistry *reg,
                 int instance)
{
    memset(s, 0, sizeof *s);
    s->base = base;
    s->clock = clock;
    s->tx = tx;
    s->tx_opaque = opaque;
    s->divisor = 12; /* 9600 baud until programmed */
    timer_init(&s->timeout_timer, clock, timeout_cb, s);
    serial_reset(s);
    bus_register_pio(bus, base, 8, &kSerialOps, s, "serial");
    snap_register(reg, &kSerialDesc, s, instance);
}
