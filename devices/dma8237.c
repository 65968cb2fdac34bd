/* Intel 8237A high performance programmable DMA controller, following its datasheet (order no.
 * 231466), as the PC/AT cascades two of them: the first at 0x00-0x0F for 8-bit channels 0-3, the
 * second at 0xC0-0xDE (every other port) for 16-bit channels 4-7, with the page registers at
 * 0x80-0x8F. Address and count registers are written and read a byte at a time through the
 * byte-pointer flip-flop; the mode, mask, request and command registers are stored; master clear
 * and clear-mask work as documented; status reports terminal count for none and requests as
 * written. Port 0x80 is also kept as the POST code (logged on the misc channel).
 *
 * Departures: no transfer ever takes place, so current address/count only change when written.
 */
#include "devices/dma8237.h"

#include <string.h>

#include "mmu/log.h"

#define CHIP_FIELDS(n)                                                                             \
    VMS_ARRAY(Dma8237State, chip[n].base_addr, VMS_U16, 4),                                        \
        VMS_ARRAY(Dma8237State, chip[n].base_count, VMS_U16, 4),                                   \
        VMS_ARRAY(Dma8237State, chip[n].cur_addr, VMS_U16, 4),                                     \
        VMS_ARRAY(Dma8237State, chip[n].cur_count, VMS_U16, 4),                                    \
        VMS_ARRAY(Dma8237State, chip[n].mode, VMS_U8, 4), VMS_U8F(Dma8237State, chip[n].command),  \
        VMS_U8F(Dma8237State, chip[n].status), VMS_U8F(Dma8237State, chip[n].request),             \
        VMS_U8F(Dma8237State, chip[n].mask), VMS_U8F(Dma8237State, chip[n].temp),                  \
        VMS_BOOLF(Dma8237State, chip[n].flip_flop)

static const VmsField kDmaFields[] = {
    CHIP_FIELDS(0),
    CHIP_FIELDS(1),
    VMS_ARRAY(Dma8237State, page, VMS_U8, 16),
    VMS_U8F(Dma8237State, post_code),
    VMS_FIELDS_END,
};
static const VmsDesc kDmaDesc = {"dma8237", 1, kDmaFields, NULL, NULL};

static void chip_clear(Dma8237Chip *c)
{
    c->command = 0;
    c->status = 0;
    c->request = 0;
    c->temp = 0;
    c->flip_flop = false;
    c->mask = 0x0F;
}

static uint8_t chip_read(Dma8237Chip *c, unsigned reg)
{
    if (reg < 8) {
        int ch = reg >> 1;
        uint16_t v = (reg & 1) ? c->cur_count[ch] : c->cur_addr[ch];
        bool hi = c->flip_flop;
        c->flip_flop = !c->flip_flop;
        return hi ? v >> 8 : v & 0xFF;
    }
    switch (reg) {
    case 8: { /* status: terminal count bits clear on read */
        uint8_t v = (uint8_t)((c->status & 0x0F) | (c->request & 0x0F) << 4);
        c->status &= 0xF0;
        return v;
    }
    case 13:
        return c->temp;
    case 15: /* the mask register reads back on the AT's 8237 derivatives */
        return c->mask | 0xF0;
    default:
        return 0xFF;
    }
}

static void chip_write(Dma8237Chip *c, unsigned reg, uint8_t v)
{
    if (reg < 8) {
        int ch = reg >> 1;
        uint16_t *base = (reg & 1) ? &c->base_count[ch] : &c->base_addr[ch];
        uint16_t *cur = (reg & 1) ? &c->cur_count[ch] : &c->cur_addr[ch];
        if (c->flip_flop) {
            *base = (uint16_t)((*base & 0x00FF) | v << 8);
        } else {
            *base = (uint16_t)((*base & 0xFF00) | v);
        }
        *cur = *base;
        c->flip_flop = !c->flip_flop;
        return;
    }
    switch (reg) {
    case 8:
        c->command = v;
        break;
    case 9: /* request */
        if (v & 4) {
            c->request |= 1u << (v & 3);
        } else {
            c->request &= ~(1u << (v & 3));
        }
        break;
    case 10: /* single mask bit */
        if (v & 4) {
            c->mask |= 1u << (v & 3);
        } else {
            c->mask &= ~(1u << (v & 3));
        }
        break;
    case 11:
        c->mode[v & 3] = v;
        break;
    case 12:
        c->flip_flop = false;
        break;
    case 13:
        chip_clear(c);
        break;
    case 14:
        c->mask = 0;
        break;
    default: /* 15: all mask bits */
        c->mask = v & 0x0F;
        break;
    }
}

static uint32_t dma1_read(void *opaque, uint32_t addr, unsigned size)
{
    Dma8237State *s = opaque;
    return chip_read(&s->chip[0], addr);
}

static void dma1_write(void *opaque, uint32_t addr, uint32_t val, unsigned size)
{
    Dma8237State *s = opaque;
    chip_write(&s->chip[0], addr, (uint8_t)val);
}

static uint32_t dma2_read(void *opaque, uint32_t addr, unsigned size)
{
    Dma8237State *s = opaque;
    return (addr & 1) ? 0xFF : chip_read(&s->chip[1], addr >> 1);
}

static void dma2_write(void *opaque, uint32_t addr, uint32_t val, unsigned size)
{
    Dma8237State *s = opaque;
    if (!(addr & 1)) {
        chip_write(&s->chip[1], addr >> 1, (uint8_t)val);
    }
}

static uint32_t page_read(void *opaque, uint32_t addr, unsigned size)
{
    Dma8237State *s = opaque;
    return addr == 0 ? s->post_code : s->page[addr];
}

static void page_write(void *opaque, uint32_t addr, uint32_t val, unsigned size)
{
    Dma8237State *s = opaque;
    s->page[addr] = (uint8_t)val;
    if (addr == 0) {
        s->post_code = (uint8_t)val;
        xlog(LOG_MISC, "POST code 0x%02x", s->post_code);
    }
}

static const IoOps kDma1Ops = {dma1_read, dma1_write, IO_SIZE_1};
static const IoOps kDma2Ops = {dma2_read, dma2_write, IO_SIZE_1};
static const IoOps kPageOps = {page_read, page_write, IO_SIZE_1};

void dma8237_reset(Dma8237State *s)
{
    for (int i = 0; i < 2; i++) {
        chip_clear(&s->chip[i]);
    }
}

void dma8237_init(Dma8237State *s, Bus *bus, SnapRegistry *reg)
{
    memset(s, 0, sizeof *s);
    dma8237_reset(s);
    bus_register_pio(bus, 0x00, 16, &kDma1Ops, s, "dma1");
    bus_register_pio(bus, 0xC0, 32, &kDma2Ops, s, "dma2");
    bus_register_pio(bus, 0x80, 16, &kPageOps, s, "dma-page");
    snap_register(reg, &kDmaDesc, s, 0);
}
