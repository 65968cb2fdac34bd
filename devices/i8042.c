/* The PC/AT and PS/2 keyboard controller, an Intel 8042/8742 UPI with IBM's firmware, following
 * the IBM PS/2 Hardware Interface Technical Reference ("Keyboard and Auxiliary Device
 * Controller"): the status register (OBF, system flag, command/data, inhibit switch, mouse OBF),
 * the command byte (interrupt enables, system flag, port disables, translation), the commands
 * 0x20-0x3F/0x60-0x7F (RAM), 0xA4, 0xA7-0xA9, 0xAA (self test -> 0x55), 0xAB, 0xAD/0xAE, 0xC0,
 * 0xD0-0xD4, 0xDD/0xDF, 0xE0 and 0xF0-0xFF (pulse output port bits; bit 0 low resets the CPU), and
 * the output port (bit 0 reset, bit 1 A20). With translation on, keyboard bytes go through the
 * set 2 -> set 1 table and an 0xF0 prefix sets bit 7 of the next byte.
 *
 * The output buffer is refilled the moment it is read, from the controller's own replies first,
 * then the keyboard, then the mouse (a port disabled in the command byte holds its data back).
 * IRQ1/IRQ12 follow the output buffer when enabled; a read drops the line before the refill
 * raises it again, so the PIC sees an edge for every byte.
 */
#include "devices/i8042.h"

#include <string.h>

#include "mmu/log.h"

#define ST_OBF 0x01
#define ST_SYS 0x04
#define ST_CMD 0x08
#define ST_UNLOCKED 0x10
#define ST_AUX 0x20
#define CB_KBD_INT 0x01
#define CB_AUX_INT 0x02
#define CB_SYS 0x04
#define CB_KBD_OFF 0x10
#define CB_AUX_OFF 0x20
#define CB_XLATE 0x40
#define OP_RESET 0x01
#define OP_A20 0x02

static int i8042_post_load(void *opaque);
static const VmsField kI8042Fields[] = {
    VMS_U8F(I8042State, cmdbyte),
    VMS_U8F(I8042State, status),
    VMS_U8F(I8042State, outport),
    VMS_U8F(I8042State, out_data),
    VMS_BOOLF(I8042State, obf),
    VMS_BOOLF(I8042State, obf_aux),
    VMS_U8F(I8042State, pending_cmd),
    VMS_ARRAY(I8042State, ram, VMS_U8, 32),
    VMS_BOOLF(I8042State, xlat_break),
    VMS_ARRAY(I8042State, ctlq, VMS_U8, I8042_CTLQ_SIZE),
    VMS_ARRAY(I8042State, ctlq_aux, VMS_U8, I8042_CTLQ_SIZE),
    VMS_U8F(I8042State, ctlq_count),
    VMS_FIELDS_END,
};
static const VmsDesc kI8042Desc = {"i8042", 1, kI8042Fields, NULL, i8042_post_load};

static void update_irqs(I8042State *s)
{
    int l1 = s->obf && !s->obf_aux && (s->cmdbyte & CB_KBD_INT);
    int l12 = s->obf && s->obf_aux && (s->cmdbyte & CB_AUX_INT);
    if (l1 != s->irq1.level) {
        irq_set(&s->irq1, l1);
    }
    if (l12 != s->irq12.level) {
        irq_set(&s->irq12, l12);
    }
}

/* Move the next byte into an empty output buffer. */
static void refill(I8042State *s)
{
    while (!s->obf) {
        if (s->ctlq_count) {
            s->out_data = s->ctlq[0];
            s->obf_aux = s->ctlq_aux[0];
            s->ctlq_count--;
            memmove(s->ctlq, s->ctlq + 1, s->ctlq_count);
            memmove(s->ctlq_aux, s->ctlq_aux + 1, s->ctlq_count);
            s->obf = true;
        } else if (!(s->cmdbyte & CB_KBD_OFF) && ps2_queue_count(&s->kbd.q)) {
            uint8_t b = ps2_queue_pop(&s->kbd.q);
            if (s->cmdbyte & CB_XLATE) {
                if (b == 0xF0) {
                    s->xlat_break = true;
                    continue;
                }
                b = ps2_translate_set2(b);
                if (s->xlat_break) {
                    b |= 0x80;
                    s->xlat_break = false;
                }
            }
            s->out_data = b;
            s->obf_aux = false;
            s->obf = true;
        } else if (!(s->cmdbyte & CB_AUX_OFF) && ps2_queue_count(&s->mouse.q)) {
            s->out_data = ps2_queue_pop(&s->mouse.q);
            s->obf_aux = true;
            s->obf = true;
        } else {
            break;
        }
    }
    update_irqs(s);
}

static void device_notify(void *opaque)
{
    refill(opaque);
}

static void reply(I8042State *s, uint8_t b, bool aux)
{
    if (s->ctlq_count >= I8042_CTLQ_SIZE) {
        LOG_ONCE(LOG_KBD, "i8042: reply queue full");
        return;
    }
    s->ctlq[s->ctlq_count] = b;
    s->ctlq_aux[s->ctlq_count] = aux;
    s->ctlq_count++;
}

static void write_outport(I8042State *s, uint8_t v)
{
    uint8_t old = s->outport;
    s->outport = v;
    if ((old ^ v) & OP_A20) {
        bus_set_a20(s->bus, v & OP_A20);
    }
    if (!(v & OP_RESET)) {
        s->outport |= OP_RESET; /* the reset line pulses; the CPU comes back out of reset */
        if (s->reset_cb) {
            s->reset_cb(s->reset_opaque);
        }
    }
}

static uint8_t read_outport(I8042State *s)
{
    uint8_t v = s->outport & ~0x30;
    if (s->obf && !s->obf_aux) {
        v |= 0x10;
    }
    if (s->obf && s->obf_aux) {
        v |= 0x20;
    }
    return v;
}

static void controller_command(I8042State *s, uint8_t cmd)
{
    if (cmd >= 0x20 && cmd <= 0x3F) {
        reply(s, cmd == 0x20 ? s->cmdbyte : s->ram[cmd & 0x1F], false);
        return;
    }
    if ((cmd >= 0x60 && cmd <= 0x7F) || (cmd >= 0xD1 && cmd <= 0xD4)) {
        s->pending_cmd = cmd;
        return;
    }
    if (cmd >= 0xF0) {
        /* pulse the output port bits whose command bit is 0 */
        if (!(cmd & 1)) {
            write_outport(s, s->outport & ~OP_RESET);
        }
        return;
    }
    switch (cmd) {
    case 0xA4: /* password installed? */
        reply(s, 0xF1, false);
        break;
    case 0xA7:
        s->cmdbyte |= CB_AUX_OFF;
        break;
    case 0xA8:
        s->cmdbyte &= ~CB_AUX_OFF;
        break;
    case 0xA9: /* mouse interface test: no error */
    case 0xAB: /* keyboard interface test */
        reply(s, 0x00, false);
        break;
    case 0xAA:
        s->status |= ST_SYS;
        reply(s, 0x55, false);
        break;
    case 0xAD:
        s->cmdbyte |= CB_KBD_OFF;
        break;
    case 0xAE:
        s->cmdbyte &= ~CB_KBD_OFF;
        break;
    case 0xC0: /* input port: keyboard not inhibited, colour display */
        reply(s, 0x80, false);
        break;
    case 0xD0:
        reply(s, read_outport(s), false);
        break;
    case 0xDD:
        write_outport(s, s->outport & ~OP_A20);
        break;
    case 0xDF:
        write_outport(s, s->outport | OP_A20);
        break;
    case 0xE0: /* test inputs */
        reply(s, 0x00, false);
        break;
    default:
        xlog(LOG_KBD, "i8042: unknown controller command 0x%02x", cmd);
        break;
    }
}

static void controller_data(I8042State *s, uint8_t v)
{
    uint8_t cmd = s->pending_cmd;
    s->pending_cmd = 0;
    switch (cmd) {
    case 0:
        ps2_kbd_write(&s->kbd, v);
        break;
    case 0x60:
        s->cmdbyte = v;
        s->status = (s->status & ~ST_SYS) | (v & CB_SYS);
        break;
    case 0xD1:
        write_outport(s, v);
        break;
    case 0xD2:
        reply(s, v, false);
        break;
    case 0xD3:
        reply(s, v, true);
        break;
    case 0xD4:
        ps2_mouse_write(&s->mouse, v);
        break;
    default: /* 0x61-0x7F */
        s->ram[cmd & 0x1F] = v;
        break;
    }
}

static uint32_t i8042_read(I8042State *s, uint32_t addr)
{
    if (addr == 4) {
        return (s->obf ? ST_OBF : 0) | (s->status & (ST_SYS | ST_CMD)) | ST_UNLOCKED |
               (s->obf && s->obf_aux ? ST_AUX : 0);
    }
    uint8_t v = s->out_data; /* with the buffer empty, the last byte reads again */
    if (s->obf) {
        s->obf = false;
        update_irqs(s); /* the line drops before the next byte raises it */
        refill(s);
    }
    return v;
}

static void i8042_write(I8042State *s, uint32_t addr, uint32_t val)
{
    if (addr == 4) {
        s->status |= ST_CMD;
        controller_command(s, (uint8_t)val);
    } else {
        s->status &= ~ST_CMD;
        controller_data(s, (uint8_t)val);
    }
    refill(s);
}

static uint32_t data_read(void *opaque, uint32_t addr, unsigned size)
{
    return i8042_read(opaque, 0);
}

static uint32_t status_read(void *opaque, uint32_t addr, unsigned size)
{
    return i8042_read(opaque, 4);
}

static void data_write(void *opaque, uint32_t addr, uint32_t val, unsigned size)
{
    i8042_write(opaque, 0, val);
}

static void command_write(void *opaque, uint32_t addr, uint32_t val, unsigned size)
{
    i8042_write(opaque, 4, val);
}

static const IoOps kDataOps = {data_read, data_write, IO_SIZE_1};
static const IoOps kCommandOps = {status_read, command_write, IO_SIZE_1};

void i8042_key_event(I8042State *s, const uint8_t *set2, int n)
{
    ps2_kbd_event(&s->kbd, set2, n);
}

void i8042_mouse_event(I8042State *s, int dx, int dy, int dz, unsigned buttons)
{
    ps2_mouse_event(&s->mouse, dx, dy, dz, buttons);
}

static int i8042_post_load(void *opaque)
{
    I8042State *s = opaque;
    if (s->ctlq_count > I8042_CTLQ_SIZE) {
        s->ctlq_count = 0;
        return -1;
    }
    s->irq1.level = -1;
    s->irq12.level = -1;
    update_irqs(s);
    return 0;
}

void i8042_reset(I8042State *s)
{
    s->cmdbyte = CB_KBD_INT | CB_AUX_INT;
    s->status = ST_CMD;
    s->outport = 0xCC | OP_A20 | OP_RESET;
    s->obf = s->obf_aux = false;
    s->out_data = 0;
    s->pending_cmd = 0;
    s->xlat_break = false;
    s->ctlq_count = 0;
    memset(s->ram, 0, sizeof s->ram);
    ps2_kbd_reset(&s->kbd);
    ps2_mouse_reset(&s->mouse);
    update_irqs(s);
}

void i8042_init(I8042State *s, Bus *bus, void (*reset_cb)(void *opaque), void *opaque,
                SnapRegistry *reg)
{
    memset(s, 0, sizeof *s);
    s->bus = bus;
    s->reset_cb = reset_cb;
    s->reset_opaque = opaque;
    snap_register(reg, &kI8042Desc, s, 0);
    ps2_kbd_init(&s->kbd, reg, device_notify, s);
    ps2_mouse_init(&s->mouse, reg, device_notify, s);
    i8042_reset(s);
    bus_register_pio(bus, 0x60, 1, &kDataOps, s, "i8042-data");
    bus_register_pio(bus, 0x64, 1, &kCommandOps, s, "i8042-cmd");
}
