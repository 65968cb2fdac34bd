/* PS/2 keyboard and mouse, following the IBM PS/2 Hardware Interface Technical Reference
 * ("Keyboard and Auxiliary Device Controller", "Keyboards (101- and 102-Key)") and Microsoft's
 * IntelliMouse PS/2 protocol notes.
 *
 * Keyboard: reset (0xFF -> FA AA), resend (0xFE), set defaults (0xF6), disable (0xF5), enable
 * (0xF4, clears the buffer), typematic rate (0xF3 + byte), scan code set (0xF0 + 0 reports,
 * 1-3 selects), identify (0xF2 -> FA AB 83), echo (0xEE -> EE), LEDs (0xED + byte); the set-3
 * key type commands 0xF7-0xFD are acknowledged and ignored; anything else answers FE. Keys come
 * from the board in set 2 and are converted to set 1 with the 8042 translation table when the
 * keyboard itself is switched to set 1 (set 3 is reported as selected but sends set 2).
 *
 * Mouse: reset (0xFF -> FA AA 00), resend, defaults (0xF6), disable/enable reporting (0xF5/0xF4),
 * sample rate (0xF3 + rate; 200,100,80 selects the IntelliMouse ID 3 and then 200,200,80 ID 4),
 * get ID (0xF2), remote mode (0xF0), wrap mode (0xEE, left by 0xEC or 0xFF), read data (0xEB),
 * stream mode (0xEA), status request (0xE9 -> FA status resolution rate), resolution (0xE8 + n),
 * scaling 2:1 / 1:1 (0xE7/0xE6); mode and rate commands clear the motion counters, and no motion
 * is counted while stream reporting is off. Movement is reported in 3-byte (4 with a wheel) packets
 * of at most 255/-256 counts each; 2:1 scaling applies the documented table in stream mode.
 *
 * Queues hold PS2_QUEUE_SIZE bytes; what does not fit is dropped (a real keyboard buffers 16).
 */
#include "devices/ps2.h"

#include <string.h>

#include "mmu/log.h"

static const uint8_t kSet2ToSet1[128] = {
    0xff, 0x43, 0x41, 0x3f, 0x3d, 0x3b, 0x3c, 0x58, 0x64, 0x44, 0x42, 0x40, 0x3e, 0x0f, 0x29, 0x59,
    0x65, 0x38, 0x2a, 0x70, 0x1d, 0x10, 0x02, 0x5a, 0x66, 0x71, 0x2c, 0x1f, 0x1e, 0x11, 0x03, 0x5b,
    0x67, 0x2e, 0x2d, 0x20, 0x12, 0x05, 0x04, 0x5c, 0x68, 0x39, 0x2f, 0x21, 0x14, 0x13, 0x06, 0x5d,
    0x69, 0x31, 0x30, 0x23, 0x22, 0x15, 0x07, 0x5e, 0x6a, 0x72, 0x32, 0x24, 0x16, 0x08, 0x09, 0x5f,
    0x6b, 0x33, 0x25, 0x17, 0x18, 0x0b, 0x0a, 0x60, 0x6c, 0x34, 0x35, 0x26, 0x27, 0x19, 0x0c, 0x61,
    0x6d, 0x73, 0x28, 0x74, 0x1a, 0x0d, 0x62, 0x6e, 0x3a, 0x36, 0x1c, 0x1b, 0x75, 0x2b, 0x63, 0x76,
    0x55, 0x56, 0x77, 0x78, 0x79, 0x7a, 0x0e, 0x7b, 0x7c, 0x4f, 0x7d, 0x4b, 0x47, 0x7e, 0x7f, 0x6f,
    0x52, 0x53, 0x50, 0x4c, 0x4d, 0x48, 0x01, 0x45, 0x57, 0x4e, 0x51, 0x4a, 0x37, 0x49, 0x46, 0x54,
};

uint8_t ps2_translate_set2(uint8_t b)
{
    if (b < 0x80) {
        return kSet2ToSet1[b];
    }
    if (b == 0x83) {
        return 0x41; /* F7, the one set-2 key code above 0x7F */
    }
    if (b == 0x84) {
        return 0x54; /* Alt+SysRq */
    }
    return b;
}

#define QUEUE_FIELDS(St, f)                                                                        \
    VMS_ARRAY(St, f.data, VMS_U8, PS2_QUEUE_SIZE), VMS_U8F(St, f.head), VMS_U8F(St, f.count)

static const VmsField kKbdFields[] = {
    QUEUE_FIELDS(Ps2Kbd, q),     VMS_U8F(Ps2Kbd, pending_cmd),  VMS_U8F(Ps2Kbd, scancode_set),
    VMS_U8F(Ps2Kbd, leds),       VMS_U8F(Ps2Kbd, typematic),    VMS_U8F(Ps2Kbd, last_sent),
    VMS_BOOLF(Ps2Kbd, scanning), VMS_BOOLF(Ps2Kbd, set1_break), VMS_FIELDS_END,
};
static int kbd_post_load(void *opaque);
static const VmsDesc kKbdDesc = {"ps2-kbd", 1, kKbdFields, NULL, kbd_post_load};

static const VmsField kMouseFields[] = {
    QUEUE_FIELDS(Ps2Mouse, q),
    VMS_U8F(Ps2Mouse, pending_cmd),
    VMS_U8F(Ps2Mouse, sample_rate),
    VMS_U8F(Ps2Mouse, resolution),
    VMS_U8F(Ps2Mouse, id),
    VMS_ARRAY(Ps2Mouse, rate_hist, VMS_U8, 3),
    VMS_U8F(Ps2Mouse, buttons),
    VMS_U8F(Ps2Mouse, sent_buttons),
    VMS_U8F(Ps2Mouse, last_sent),
    VMS_BOOLF(Ps2Mouse, enabled),
    VMS_BOOLF(Ps2Mouse, remote),
    VMS_BOOLF(Ps2Mouse, wrap),
    VMS_BOOLF(Ps2Mouse, scaling21),
    VMS_I32F(Ps2Mouse, dx),
    VMS_I32F(Ps2Mouse, dy),
    VMS_I32F(Ps2Mouse, dz),
    VMS_FIELDS_END,
};
static int mouse_post_load(void *opaque);
static const VmsDesc kMouseDesc = {"ps2-mouse", 1, kMouseFields, NULL, mouse_post_load};

/* ---- queues ---- */

int ps2_queue_count(const Ps2Queue *q)
{
    return q->count;
}

static int queue_room(const Ps2Queue *q)
{
    return PS2_QUEUE_SIZE - q->count;
}

static void queue_push(Ps2Queue *q, uint8_t b)
{
    if (q->count >= PS2_QUEUE_SIZE || q->head >= PS2_QUEUE_SIZE) {
        return;
    }
    q->data[(q->head + q->count) % PS2_QUEUE_SIZE] = b;
    q->count++;
}

uint8_t ps2_queue_pop(Ps2Queue *q)
{
    if (!q->count) {
        return 0;
    }
    uint8_t b = q->data[q->head % PS2_QUEUE_SIZE];
    q->head = (q->head + 1) % PS2_QUEUE_SIZE;
    q->count--;
    return b;
}

static void queue_clear(Ps2Queue *q)
{
    q->head = 0;
    q->count = 0;
}

/* A loaded queue must index inside its buffer. */
static int queue_check(Ps2Queue *q)
{
    if (q->head >= PS2_QUEUE_SIZE || q->count > PS2_QUEUE_SIZE) {
        queue_clear(q);
        return -1;
    }
    return 0;
}

static int kbd_post_load(void *opaque)
{
    return queue_check(&((Ps2Kbd *)opaque)->q);
}

static int mouse_post_load(void *opaque)
{
    return queue_check(&((Ps2Mouse *)opaque)->q);
}

/* ---- keyboard ---- */

static void kbd_send(Ps2Kbd *k, uint8_t b)
{
    queue_push(&k->q, b);
    k->last_sent = b;
}

static void kbd_notify(Ps2Kbd *k)
{
    if (k->notify) {
        k->notify(k->opaque);
    }
}

static void kbd_defaults(Ps2Kbd *k)
{
    k->scancode_set = 2;
    k->typematic = 0x2B; /* 10.9 characters/s after 500 ms */
    k->set1_break = false;
}

void ps2_kbd_reset(Ps2Kbd *k)
{
    queue_clear(&k->q);
    kbd_defaults(k);
    k->pending_cmd = 0;
    k->leds = 0;
    k->last_sent = 0;
    k->scanning = true;
}

void ps2_kbd_write(Ps2Kbd *k, uint8_t b)
{
    if (k->pending_cmd && b < 0x80) {
        /* the parameter of ED, F0 or F3 */
        switch (k->pending_cmd) {
        case 0xED:
            k->leds = b & 7;
            kbd_send(k, 0xFA);
            break;
        case 0xF3:
            k->typematic = b & 0x7F;
            kbd_send(k, 0xFA);
            break;
        case 0xF0:
            kbd_send(k, 0xFA);
            if (b == 0) {
                kbd_send(k, k->scancode_set);
            } else if (b <= 3) {
                k->scancode_set = b;
                if (b == 3) {
                    LOG_ONCE(LOG_KBD, "ps2: scan code set 3 selected; set 2 codes are sent");
                }
            }
            break;
        }
        k->pending_cmd = 0;
        kbd_notify(k);
        return;
    }
    k->pending_cmd = 0;
    switch (b) {
    case 0xFF:
        ps2_kbd_reset(k);
        kbd_send(k, 0xFA);
        kbd_send(k, 0xAA); /* basic assurance test passed */
        break;
    case 0xFE:
        queue_push(&k->q, k->last_sent);
        break;
    case 0xF6:
        kbd_defaults(k);
        kbd_send(k, 0xFA);
        break;
    case 0xF5:
        queue_clear(&k->q);
        kbd_defaults(k);
        k->scanning = false;
        kbd_send(k, 0xFA);
        break;
    case 0xF4:
        queue_clear(&k->q);
        k->scanning = true;
        kbd_send(k, 0xFA);
        break;
    case 0xF3:
    case 0xF0:
    case 0xED:
        k->pending_cmd = b;
        kbd_send(k, 0xFA);
        break;
    case 0xF2:
        kbd_send(k, 0xFA);
        kbd_send(k, 0xAB);
        kbd_send(k, 0x83);
        break;
    case 0xEE:
        kbd_send(k, 0xEE);
        break;
    case 0xF7:
    case 0xF8:
    case 0xF9:
    case 0xFA:
    case 0xFB:
    case 0xFC:
    case 0xFD:
        kbd_send(k, 0xFA);
        break;
    default:
        xlog(LOG_KBD, "ps2: unknown keyboard command 0x%02x", b);
        kbd_send(k, 0xFE);
        break;
    }
    kbd_notify(k);
}

/* ---- display (desktop issue): the keyboard's own buffer ----
 * A PS/2 keyboard buffers 16 bytes (IBM PS/2 Technical Reference, keyboard): key bytes that do
 * not fit are not sent. Here the 8042 takes the next byte the moment its output buffer is read
 * (a real keyboard needs about a millisecond per byte), so the buffer is kept one byte shorter,
 * so that a flush reading 16 bytes (Linux's i8042_flush) finds the controller empty. */
#define PS2_KBD_BUFFER 15

bool ps2_kbd_can_take(const Ps2Kbd *k, int n)
{
    return k->q.count + n <= PS2_KBD_BUFFER;
}
/* ---- end display ---- */

void ps2_kbd_event(Ps2Kbd *k, const uint8_t *set2, int n)
{
    if (!k->scanning || n <= 0) {
        return;
    }
    if (!ps2_kbd_can_take(k, n)) { /* ---- display: the 16-byte buffer ---- */
        LOG_ONCE(LOG_KBD, "ps2: keyboard buffer full, key dropped");
        return;
    }
    for (int i = 0; i < n; i++) {
        uint8_t b = set2[i];
        if (k->scancode_set == 1) {
            if (b == 0xF0) {
                k->set1_break = true;
                continue;
            }
            b = ps2_translate_set2(b);
            if (k->set1_break && b != 0xE0 && b != 0xE1) {
                b |= 0x80;
                k->set1_break = false;
            }
        }
        kbd_send(k, b);
    }
    kbd_notify(k);
}

void ps2_kbd_init(Ps2Kbd *k, SnapRegistry *reg, void (*notify)(void *opaque), void *opaque)
{
    memset(k, 0, sizeof *k);
    k->notify = notify;
    k->opaque = opaque;
    ps2_kbd_reset(k);
    snap_register(reg, &kKbdDesc, k, 0);
}

/* ---- mouse ---- */

static void mouse_send(Ps2Mouse *m, uint8_t b)
{
    queue_push(&m->q, b);
    m->last_sent = b;
}

static void mouse_notify(Ps2Mouse *m)
{
    if (m->notify) {
        m->notify(m->opaque);
    }
}

static void mouse_defaults(Ps2Mouse *m)
{
    m->sample_rate = 100;
    m->resolution = 2;
    m->scaling21 = false;
    m->enabled = false;
    m->remote = false;
    m->dx = m->dy = m->dz = 0;
}

void ps2_mouse_reset(Ps2Mouse *m)
{
    queue_clear(&m->q);
    mouse_defaults(m);
    m->pending_cmd = 0;
    m->id = 0;
    m->wrap = false;
    memset(m->rate_hist, 0, sizeof m->rate_hist);
    m->sent_buttons = m->buttons;
    m->last_sent = 0;
}

static int clamp(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static int scale21(int v)
{
    static const int kTable[6] = {0, 1, 1, 3, 6, 9};
    int a = v < 0 ? -v : v;
    int r = a <= 5 ? kTable[a] : 2 * a;
    return v < 0 ? -r : r;
}

static int packet_size(const Ps2Mouse *m)
{
    return m->id ? 4 : 3;
}

/* Queue one movement packet with as much of the pending motion as fits. */
static void mouse_packet(Ps2Mouse *m, bool stream)
{
    int dx = clamp(m->dx, -256, 255), dy = clamp(m->dy, -256, 255), dz = clamp(m->dz, -8, 7);
    m->dx -= dx;
    m->dy -= dy;
    m->dz -= dz;
    if (stream && m->scaling21) {
        dx = clamp(scale21(dx), -256, 255);
        dy = clamp(scale21(dy), -256, 255);
    }
    uint8_t b0 = 0x08 | (m->buttons & 1) | (m->buttons & 2) | (m->buttons & 4);
    if (dx < 0) {
        b0 |= 0x10;
    }
    if (dy < 0) {
        b0 |= 0x20;
    }
    mouse_send(m, b0);
    mouse_send(m, (uint8_t)dx);
    mouse_send(m, (uint8_t)dy);
    if (m->id == 3) {
        mouse_send(m, (uint8_t)dz);
    } else if (m->id == 4) {
        mouse_send(m, (uint8_t)((dz & 0x0F) | (m->buttons & 0x18) << 1));
    }
    m->sent_buttons = m->buttons;
}

static void mouse_flush(Ps2Mouse *m)
{
    if (!m->enabled || m->remote || m->wrap) {
        return;
    }
    while ((m->dx || m->dy || m->dz || m->buttons != m->sent_buttons) &&
           queue_room(&m->q) >= packet_size(m)) {
        mouse_packet(m, true);
    }
}

void ps2_mouse_event(Ps2Mouse *m, int dx, int dy, int dz, unsigned buttons)
{
    if (!m->enabled && !m->remote) {
        m->buttons = buttons & 0x1F; /* motion is not counted while reporting is off */
        m->sent_buttons = m->buttons;
        return;
    }
    m->dx = clamp(m->dx + dx, -65536, 65535);
    m->dy = clamp(m->dy - dy, -65536, 65535);
    m->dz = clamp(m->dz + dz, -1024, 1023);
    m->buttons = buttons & 0x1F;
    mouse_flush(m);
    mouse_notify(m);
}

static void note_rate(Ps2Mouse *m, uint8_t rate)
{
    m->rate_hist[0] = m->rate_hist[1];
    m->rate_hist[1] = m->rate_hist[2];
    m->rate_hist[2] = rate;
    if (m->rate_hist[0] == 200 && m->rate_hist[1] == 100 && m->rate_hist[2] == 80 && m->id == 0) {
        m->id = 3;
    } else if (m->rate_hist[0] == 200 && m->rate_hist[1] == 200 && m->rate_hist[2] == 80 &&
               m->id == 3) {
        m->id = 4;
    }
}

static void reset_counters(Ps2Mouse *m)
{
    m->dx = m->dy = m->dz = 0;
}

void ps2_mouse_write(Ps2Mouse *m, uint8_t b)
{
    if (m->pending_cmd) {
        uint8_t cmd = m->pending_cmd;
        m->pending_cmd = 0;
        reset_counters(m);
        if (cmd == 0xF3) {
            m->sample_rate = b;
            note_rate(m, b);
        } else {
            m->resolution = b & 3;
        }
        mouse_send(m, 0xFA);
        mouse_notify(m);
        return;
    }
    if (m->wrap && b != 0xEC && b != 0xFF) {
        mouse_send(m, b);
        mouse_notify(m);
        return;
    }
    switch (b) {
    case 0xFF:
        ps2_mouse_reset(m);
        mouse_send(m, 0xFA);
        mouse_send(m, 0xAA);
        mouse_send(m, 0x00);
        break;
    case 0xFE:
        queue_push(&m->q, m->last_sent);
        break;
    case 0xF6:
        mouse_defaults(m);
        mouse_send(m, 0xFA);
        break;
    case 0xF5:
        m->enabled = false;
        reset_counters(m);
        mouse_send(m, 0xFA);
        break;
    case 0xF4:
        m->enabled = true;
        reset_counters(m);
        mouse_send(m, 0xFA);
        break;
    case 0xF3:
    case 0xE8:
        m->pending_cmd = b;
        mouse_send(m, 0xFA);
        break;
    case 0xF2:
        mouse_send(m, 0xFA);
        mouse_send(m, m->id);
        break;
    case 0xF0:
        m->remote = true;
        reset_counters(m);
        mouse_send(m, 0xFA);
        break;
    case 0xEE:
        m->wrap = true;
        mouse_send(m, 0xFA);
        break;
    case 0xEC:
        m->wrap = false;
        mouse_send(m, 0xFA);
        break;
    case 0xEB:
        mouse_send(m, 0xFA);
        mouse_packet(m, false);
        break;
    case 0xEA:
        m->remote = false;
        reset_counters(m);
        mouse_send(m, 0xFA);
        break;
    case 0xE9: {
        uint8_t st = (m->remote ? 0x40 : 0) | (m->enabled ? 0x20 : 0) | (m->scaling21 ? 0x10 : 0) |
                     ((m->buttons & 1) << 2) | ((m->buttons & 4) >> 1) | ((m->buttons & 2) >> 1);
        mouse_send(m, 0xFA);
        mouse_send(m, st);
        mouse_send(m, m->resolution);
        mouse_send(m, m->sample_rate);
        break;
    }
    case 0xE7:
        m->scaling21 = true;
        reset_counters(m);
        mouse_send(m, 0xFA);
        break;
    case 0xE6:
        m->scaling21 = false;
        reset_counters(m);
        mouse_send(m, 0xFA);
        break;
    default:
        xlog(LOG_KBD, "ps2: unknown mouse command 0x%02x", b);
        mouse_send(m, 0xFE);
        break;
    }
    mouse_notify(m);
}

void ps2_mouse_init(Ps2Mouse *m, SnapRegistry *reg, void (*notify)(void *opaque), void *opaque)
{
    memset(m, 0, sizeof *m);
    m->notify = notify;
    m->opaque = opaque;
    ps2_mouse_reset(m);
    snap_register(reg, &kMouseDesc, m, 0);
}
