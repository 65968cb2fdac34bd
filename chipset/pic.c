/* Intel 8259A programmable interrupt controller, as the master/slave pair of the PC/AT, following
 * the Intel 8259A datasheet (order no. 231468): ICW1-ICW4 initialisation, OCW1-OCW3, IRR/ISR/IMR,
 * fully nested and rotating priority, special mask mode, poll mode, automatic EOI, special fully
 * nested mode and spurious IR7. The per-IRQ edge/level selection is the ELCR pair of the Intel
 * 82371 PIIX3 datasheet (ports 0x4D0/0x4D1; IRQ 0, 1, 2, 8 and 13 are always edge triggered).
 *
 * Departures: the slave's INT output drives master IR2 as a level (so a slave request is never
 * lost when several arrive back to back); in edge mode an IRR bit stays latched when the input
 * drops before the acknowledge (devices pulse their lines), as on QEMU and Bochs, rather than
 * turning into a spurious IR7.
 */
#include "chipset/pic.h"

#include <stddef.h>
#include <string.h>

#include "mmu/log.h"

static const VmsField kPicFields[] = {
    VMS_U8F(Pic8259, irr),
    VMS_U8F(Pic8259, isr),
    VMS_U8F(Pic8259, imr),
    VMS_U8F(Pic8259, lines),
    VMS_U8F(Pic8259, elcr),
    VMS_U8F(Pic8259, elcr_mask),
    VMS_U8F(Pic8259, vector_base),
    VMS_U8F(Pic8259, icw3),
    VMS_U8F(Pic8259, prio_base),
    VMS_U8F(Pic8259, init_step),
    VMS_BOOLF(Pic8259, icw4_needed),
    VMS_BOOLF(Pic8259, single),
    VMS_BOOLF(Pic8259, ltim),
    VMS_BOOLF(Pic8259, auto_eoi),
    VMS_BOOLF(Pic8259, rotate_aeoi),
    VMS_BOOLF(Pic8259, sfnm),
    VMS_BOOLF(Pic8259, special_mask),
    VMS_BOOLF(Pic8259, read_isr),
    VMS_BOOLF(Pic8259, poll),
    VMS_BOOLF(Pic8259, x86_mode),
    VMS_FIELDS_END,
};

static const VmsDesc kPicDesc = {"pic8259", 1, kPicFields, NULL, NULL};

/* The pair's INTR is recomputed after a load, through the post_load of the slave's section,
 * which is registered (so loaded) after the master's. */
static int pic_post_load(void *opaque);
static const VmsDesc kPicSlaveDesc = {"pic8259", 1, kPicFields, NULL, pic_post_load};

static uint8_t level_mask(const Pic8259 *c)
{
    return c->ltim ? 0xFF : c->elcr;
}

/* Priority rank (0 = highest) of the best request in mask, 8 if none. */
static int best_rank(const Pic8259 *c, uint8_t mask)
{
    if (!mask) {
        return 8;
    }
    for (int r = 0; r < 8; r++) {
        if (mask & (1u << ((r + c->prio_base) & 7))) {
            return r;
        }
    }
    return 8;
}

/* The IR this chip would present at INTA, or -1. `cascade` is the IR of the slave on a master
 * in special fully nested mode (-1 otherwise). */
static int chip_pending(const Pic8259 *c, int cascade)
{
    int req = best_rank(c, c->irr & ~c->imr);
    if (req == 8) {
        return -1;
    }
    uint8_t in_service = c->isr;
    if (c->special_mask) {
        in_service &= ~c->imr;
    }
    if (cascade >= 0 && c->sfnm) {
        /* a higher-priority slave request may nest over the one in service */
        in_service &= ~(1u << cascade);
    }
    int cur = best_rank(c, in_service);
    if (req < cur) {
        return (req + c->prio_base) & 7;
    }
    return -1;
}

static void pic_update(PicState *s)
{
    Pic8259 *m = &s->chip[0], *sl = &s->chip[1];
    int slave_out = chip_pending(sl, -1) >= 0;
    /* master IR2 follows the slave's INT output as a level */
    if (slave_out) {
        m->lines |= 4;
        m->irr |= 4;
    } else {
        m->lines &= ~4;
        m->irr &= ~4;
    }
    int out = chip_pending(m, 2) >= 0;
    if (out != s->intr.level) {
        irq_set(&s->intr, out);
    }
}

void pic_set_irq(void *opaque, int n, int level)
{
    PicState *s = opaque;
    if (n < 0 || n > 15 || n == 2) {
        LOG_ONCE(LOG_PIC, "pic: input %d is not an ISA IRQ", n);
        return;
    }
    Pic8259 *c = &s->chip[n >> 3];
    uint8_t bit = 1u << (n & 7);
    if (level) {
        if (level_mask(c) & bit) {
            c->irr |= bit;
        } else if (!(c->lines & bit)) {
            c->irr |= bit; /* rising edge */
        }
        c->lines |= bit;
    } else {
        if (level_mask(c) & bit) {
            c->irr &= ~bit;
        }
        c->lines &= ~bit;
    }
    pic_update(s);
}

bool pic_has_intr(PicState *s)
{
    return s->intr.level != 0;
}

/* Acknowledge `ir` on one chip: the IRR/ISR side of the INTA cycle. */
static void chip_ack(Pic8259 *c, int ir)
{
    uint8_t bit = 1u << ir;
    if (!(level_mask(c) & bit)) {
        c->irr &= ~bit;
    }
    if (c->auto_eoi) {
        if (c->rotate_aeoi) {
            c->prio_base = (ir + 1) & 7;
        }
    } else {
        c->isr |= bit;
    }
}

int pic_intack(PicState *s)
{
    Pic8259 *m = &s->chip[0], *sl = &s->chip[1];
    int vec;
    int ir = chip_pending(m, 2);
    if (ir < 0) {
        /* the request went away before INTA: spurious IR7 (ISR not set) */
        vec = m->vector_base | 7;
    } else {
        chip_ack(m, ir);
        if (ir == 2 && !m->single) {
            int sir = chip_pending(sl, -1);
            if (sir < 0) {
                vec = sl->vector_base | 7; /* spurious IRQ 15; master ISR2 stays set */
            } else {
                chip_ack(sl, sir);
                vec = sl->vector_base + sir;
            }
        } else {
            vec = m->vector_base + ir;
        }
    }
    pic_update(s);
    return vec;
}

/* Poll command: like INTA on this chip alone; returns the poll word. */
static uint8_t chip_poll(PicState *s, Pic8259 *c)
{
    c->poll = false;
    int ir = chip_pending(c, c == &s->chip[0] ? 2 : -1);
    if (ir < 0) {
        return 0;
    }
    chip_ack(c, ir);
    pic_update(s);
    return 0x80 | ir;
}

static void chip_eoi(Pic8259 *c, int ir, bool rotate)
{
    c->isr &= ~(1u << ir);
    if (rotate) {
        c->prio_base = (ir + 1) & 7;
    }
}

static void chip_icw1(Pic8259 *c, uint8_t v)
{
    if (v & 2) {
        /* single mode is not a PC configuration; honoured on the chip alone */
        LOG_ONCE(LOG_PIC, "pic: ICW1 selects single mode");
    }
    if (!(v & 1)) {
        LOG_ONCE(LOG_PIC, "pic: ICW1 without ICW4 (8080 mode)");
    }
    c->single = v & 2;
    c->ltim = v & 8;
    c->icw4_needed = v & 1;
    c->init_step = 2;
    c->imr = 0;
    c->isr = 0;
    /* the edge sense is reset: inputs already high need a new rising edge */
    c->irr = c->lines & level_mask(c);
    c->prio_base = 0;
    c->special_mask = false;
    c->read_isr = false;
    c->poll = false;
    c->auto_eoi = false;
    c->rotate_aeoi = false;
    c->sfnm = false;
    c->x86_mode = false;
}

static void chip_write(PicState *s, Pic8259 *c, uint32_t port, uint8_t v)
{
    if (port == 0) {
        if (v & 0x10) {
            chip_icw1(c, v);
        } else if (v & 0x08) {
            /* OCW3 */
            if (v & 0x04) {
                c->poll = true;
            }
            if (v & 0x02) {
                c->read_isr = v & 0x01;
            }
            if (v & 0x40) {
                c->special_mask = v & 0x20;
            }
        } else {
            /* OCW2: R SL EOI in bits 7..5, level in bits 2..0 */
            int level = v & 7;
            int ir;
            switch (v >> 5) {
            case 0: /* clear rotate in AEOI */
                c->rotate_aeoi = false;
                break;
            case 4: /* set rotate in AEOI */
                c->rotate_aeoi = true;
                break;
            case 1: /* non-specific EOI */
            case 5: /* rotate on non-specific EOI */
                ir = best_rank(c, c->isr);
                if (ir < 8) {
                    chip_eoi(c, (ir + c->prio_base) & 7, (v >> 5) == 5);
                }
                break;
            case 3: /* specific EOI */
                chip_eoi(c, level, false);
                break;
            case 7: /* rotate on specific EOI */
                chip_eoi(c, level, true);
                break;
            case 6: /* set priority: level becomes the lowest */
                c->prio_base = (level + 1) & 7;
                break;
            default: /* 2: no operation */
                break;
            }
        }
    } else {
        switch (c->init_step) {
        case 2:
            c->vector_base = v & 0xF8;
            c->init_step = c->single ? (c->icw4_needed ? 4 : 0) : 3;
            break;
        case 3:
            c->icw3 = v;
            c->init_step = c->icw4_needed ? 4 : 0;
            break;
        case 4:
            c->x86_mode = v & 1;
            c->auto_eoi = v & 2;
            c->sfnm = v & 0x10;
            if (!c->x86_mode) {
                LOG_ONCE(LOG_PIC, "pic: ICW4 selects 8080/8085 mode; treated as x86");
            }
            c->init_step = 0;
            break;
        default: /* OCW1 */
            c->imr = v;
            break;
        }
    }
    pic_update(s);
}

static uint8_t chip_read(PicState *s, Pic8259 *c, uint32_t port)
{
    if (c->poll) {
        return chip_poll(s, c);
    }
    if (port == 0) {
        return c->read_isr ? c->isr : c->irr;
    }
    return c->imr;
}

static uint32_t pic_io_read(void *opaque, uint32_t addr, unsigned size, int which)
{
    PicState *s = opaque;
    return chip_read(s, &s->chip[which], addr & 1);
}

static uint32_t master_read(void *opaque, uint32_t addr, unsigned size)
{
    return pic_io_read(opaque, addr, size, 0);
}

static uint32_t slave_read(void *opaque, uint32_t addr, unsigned size)
{
    return pic_io_read(opaque, addr, size, 1);
}

static void master_write(void *opaque, uint32_t addr, uint32_t val, unsigned size)
{
    PicState *s = opaque;
    chip_write(s, &s->chip[0], addr & 1, (uint8_t)val);
}

static void slave_write(void *opaque, uint32_t addr, uint32_t val, unsigned size)
{
    PicState *s = opaque;
    chip_write(s, &s->chip[1], addr & 1, (uint8_t)val);
}

static uint32_t elcr_read(void *opaque, uint32_t addr, unsigned size)
{
    PicState *s = opaque;
    return s->chip[addr & 1].elcr;
}

static void elcr_write(void *opaque, uint32_t addr, uint32_t val, unsigned size)
{
    PicState *s = opaque;
    Pic8259 *c = &s->chip[addr & 1];
    c->elcr = (uint8_t)val & c->elcr_mask;
    /* a level input's request follows its line from now on */
    c->irr = (c->irr & ~c->elcr) | (c->lines & c->elcr);
    pic_update(s);
}

static const IoOps kMasterOps = {master_read, master_write, IO_SIZE_1};
static const IoOps kSlaveOps = {slave_read, slave_write, IO_SIZE_1};
static const IoOps kElcrOps = {elcr_read, elcr_write, IO_SIZE_1};

static int pic_post_load(void *opaque)
{
    PicState *s = (PicState *)((char *)opaque - offsetof(PicState, chip[1]));
    s->intr.level = -1; /* drive the line whatever its remembered level */
    pic_update(s);
    return 0;
}

void pic_reset(PicState *s)
{
    for (int i = 0; i < 2; i++) {
        Pic8259 *c = &s->chip[i];
        uint8_t lines = c->lines;
        memset(c, 0, sizeof *c);
        c->lines = lines;
        c->elcr_mask = i ? 0xDE : 0xF8;
    }
    s->chip[0].lines &= ~4;
    pic_update(s);
}

void pic_init(PicState *s, Bus *bus, SnapRegistry *reg)
{
    memset(s, 0, sizeof *s);
    pic_reset(s);
    bus_register_pio(bus, 0x20, 2, &kMasterOps, s, "pic-master");
    bus_register_pio(bus, 0xA0, 2, &kSlaveOps, s, "pic-slave");
    bus_register_pio(bus, 0x4D0, 2, &kElcrOps, s, "elcr");
    snap_register(reg, &kPicDesc, &s->chip[0], 0);
    snap_register(reg, &kPicSlaveDesc, &s->chip[1], 1);
}
