/* Motorola MC146818A real-time clock plus RAM, following the MC146818A datasheet: time, calendar
 * and alarm registers in BCD or binary and 12 or 24 hour format, registers A-D (divider and rate
 * select, SET/PIE/AIE/UIE/DM/24h, the IRQF/PF/AF/UF flags cleared by reading C, VRT), the 244 us
 * update-in-progress window and the periodic, alarm and update-ended interrupts on IRQ8. The PC
 * specifics (index port 0x70 with the NMI mask in bit 7, the century byte at 0x32, the CMOS
 * layout and its checksum at 0x2E-0x2F over 0x10-0x2D) follow the IBM PC/AT Technical Reference.
 *
 * The time is never ticked: it is base_time plus the whole seconds of virtual time since base_ns,
 * a second boundary of the divider chain, and the time bytes are refreshed from it when read.
 * Flags are brought up to date lazily (on a register C read, a mode change, or a timer) by
 * counting the periodic and second boundaries passed since flags_ns; a timer is armed only for
 * an event whose interrupt is enabled and whose flag is not already set.
 *
 * Departures: the update cycle is instantaneous at the second boundary (UIP is set for the 244 us
 * before it), the daylight-saving bit is stored but ignored, and the day of week is derived from
 * the date while the clock runs.
 */
#include "chipset/rtc.h"

#include <string.h>

#include "mmu/log.h"

enum {
    REG_SEC = 0,
    REG_SEC_ALARM = 1,
    REG_MIN = 2,
    REG_MIN_ALARM = 3,
    REG_HOUR = 4,
    REG_HOUR_ALARM = 5,
    REG_DOW = 6,
    REG_DOM = 7,
    REG_MONTH = 8,
    REG_YEAR = 9,
    REG_A = 10,
    REG_B = 11,
    REG_C = 12,
    REG_D = 13,
    REG_CENTURY = 0x32,
};

#define A_UIP 0x80
#define B_SET 0x80
#define B_PIE 0x40
#define B_AIE 0x20
#define B_UIE 0x10
#define B_DM 0x04 /* 1 = binary */
#define B_24H 0x02
#define C_IRQF 0x80
#define C_PF 0x40
#define C_AF 0x20
#define C_UF 0x10

#define NS_PER_S 1000000000LL
#define RTC_HZ 32768

static int rtc_post_load(void *opaque);
static const VmsField kRtcFields[] = {
    VMS_ARRAY(RtcState, cmos, VMS_U8, 128),
    VMS_U8F(RtcState, index),
    VMS_BOOLF(RtcState, nmi_masked),
    VMS_SCALAR(RtcState, base_time, VMS_I64),
    VMS_U64F(RtcState, base_ns),
    VMS_U64F(RtcState, flags_ns),
    VMS_TIMERF(RtcState, timer),
    VMS_FIELDS_END,
};
static const VmsDesc kRtcDesc = {"rtc", 1, kRtcFields, NULL, rtc_post_load};

/* ---- calendar arithmetic (proleptic Gregorian, days since 1970-01-01) ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b) != 0 && ((a < 0) != (b < 0))) {
        q--;
    }
    return q;
}

static int64_t days_from_date(int64_t y, int m, int d)
{
    /* count years from March so the leap day ends the year */
    if (m <= 2) {
        y--;
    }
    int64_t era = floor_div(y, 400);
    int64_t yoe = y - era * 400;
    int64_t mp = (m + 9) % 12; /* March = 0 */
    int64_t doy = (153 * mp + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

typedef struct RtcTm {
    int64_t year;
    int month, day, hour, min, sec, dow; /* dow: 1 = Sunday */
} RtcTm;

static void tm_from_time(int64_t t, RtcTm *tm)
{
    int64_t days = floor_div(t, 86400);
    int64_t secs = t - days * 86400;
    tm->hour = (int)(secs / 3600);
    tm->min = (int)(secs / 60 % 60);
    tm->sec = (int)(secs % 60);
    tm->dow = (int)((days % 7 + 7 + 4) % 7) + 1; /* 1970-01-01 was a Thursday */
    int64_t z = days + 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    tm->day = (int)(doy - (153 * mp + 2) / 5 + 1);
    tm->month = (int)(mp < 10 ? mp + 3 : mp - 9);
    tm->year = yoe + era * 400 + (tm->month <= 2);
}

/* ---- register formats ---- */

static bool binary(const RtcState *s)
{
    return s->cmos[REG_B] & B_DM;
}

static uint8_t to_reg(const RtcState *s, int v)
{
    return binary(s) ? (uint8_t)v : (uint8_t)((v / 10) << 4 | (v % 10));
}

static int from_reg(const RtcState *s, uint8_t v)
{
    return binary(s) ? v : (v >> 4) * 10 + (v & 0xF);
}

static uint8_t hour_to_reg(const RtcState *s, int h)
{
    if (s->cmos[REG_B] & B_24H) {
        return to_reg(s, h);
    }
    int h12 = h % 12 == 0 ? 12 : h % 12;
    return to_reg(s, h12) | (h >= 12 ? 0x80 : 0);
}

static int hour_from_reg(const RtcState *s, uint8_t v)
{
    if (s->cmos[REG_B] & B_24H) {
        return from_reg(s, v);
    }
    int h = from_reg(s, v & 0x7F) % 12;
    return (v & 0x80) ? h + 12 : h;
}

/* ---- the running clock ---- */

static bool divider_running(const RtcState *s)
{
    return ((s->cmos[REG_A] >> 4) & 7) <= 2;
}

static bool updating(const RtcState *s)
{
    return divider_running(s) && !(s->cmos[REG_B] & B_SET);
}

static int64_t since_base(const RtcState *s, uint64_t ns)
{
    return (int64_t)(ns - s->base_ns);
}

static int64_t second_index(const RtcState *s, uint64_t ns)
{
    return floor_div(since_base(s, ns), NS_PER_S);
}

/* 32.768 kHz divider clocks since base_ns. */
static int64_t divider_count(const RtcState *s, uint64_t ns)
{
    __int128 p = (__int128)since_base(s, ns) * RTC_HZ;
    int64_t q = (int64_t)(p / NS_PER_S);
    if (p < 0 && p % NS_PER_S) {
        q--;
    }
    return q;
}

static uint64_t divider_count_to_ns(const RtcState *s, int64_t count)
{
    __int128 p = (__int128)count * NS_PER_S;
    return s->base_ns + (uint64_t)((p + RTC_HZ - 1) / RTC_HZ);
}

static int64_t periodic_clocks(unsigned rs)
{
    return rs <= 2 ? (int64_t)1 << (rs + 6) : (int64_t)1 << (rs - 1);
}

static void time_to_cmos(RtcState *s, int64_t t)
{
    RtcTm tm;
    tm_from_time(t, &tm);
    s->cmos[REG_SEC] = to_reg(s, tm.sec);
    s->cmos[REG_MIN] = to_reg(s, tm.min);
    s->cmos[REG_HOUR] = hour_to_reg(s, tm.hour);
    s->cmos[REG_DOW] = to_reg(s, tm.dow);
    s->cmos[REG_DOM] = to_reg(s, tm.day);
    s->cmos[REG_MONTH] = to_reg(s, tm.month);
    s->cmos[REG_YEAR] = to_reg(s, (int)(tm.year % 100));
    s->cmos[REG_CENTURY] = to_reg(s, (int)(tm.year / 100));
}

static int64_t cmos_to_time(const RtcState *s)
{
    int year = from_reg(s, s->cmos[REG_YEAR]) % 100;
    int century = from_reg(s, s->cmos[REG_CENTURY]);
    if (century < 19 || century > 21) {
        century = year < 70 ? 20 : 19;
    }
    int month = from_reg(s, s->cmos[REG_MONTH]);
    int day = from_reg(s, s->cmos[REG_DOM]);
    if (month < 1 || month > 12) {
        month = 1;
    }
    int64_t days = days_from_date((int64_t)century * 100 + year, month, day);
    return days * 86400 + hour_from_reg(s, s->cmos[REG_HOUR]) * 3600LL +
           from_reg(s, s->cmos[REG_MIN]) * 60LL + from_reg(s, s->cmos[REG_SEC]);
}

int64_t rtc_time(RtcState *s)
{
    if (updating(s)) {
        return s->base_time + second_index(s, clock_now(s->clock));
    }
    return cmos_to_time(s);
}

static void sync_to_cmos(RtcState *s)
{
    if (updating(s)) {
        time_to_cmos(s, rtc_time(s));
    }
}

static bool alarm_match(RtcState *s, int64_t t)
{
    RtcTm tm;
    tm_from_time(t, &tm);
    uint8_t cur[3] = {to_reg(s, tm.sec), to_reg(s, tm.min), hour_to_reg(s, tm.hour)};
    uint8_t alarm[3] = {s->cmos[REG_SEC_ALARM], s->cmos[REG_MIN_ALARM], s->cmos[REG_HOUR_ALARM]};
    for (int i = 0; i < 3; i++) {
        if ((alarm[i] & 0xC0) != 0xC0 && alarm[i] != cur[i]) {
            return false;
        }
    }
    return true;
}

/* ---- flags, IRQ8 and the timer ---- */

static void update_irq(RtcState *s)
{
    uint8_t c = s->cmos[REG_C] & (C_PF | C_AF | C_UF);
    uint8_t en = s->cmos[REG_B] & (B_PIE | B_AIE | B_UIE);
    if (c & en) { /* the flag and enable bits line up */
        c |= C_IRQF;
    }
    s->cmos[REG_C] = c;
    int level = (c & C_IRQF) != 0;
    if (level != s->irq.level) {
        irq_set(&s->irq, level);
    }
}

/* Set PF, UF and AF for every event in (flags_ns, now]. */
static void update_flags(RtcState *s)
{
    uint64_t now = clock_now(s->clock);
    if (now > s->flags_ns && divider_running(s)) {
        unsigned rs = s->cmos[REG_A] & 15;
        if (rs) {
            int64_t p = periodic_clocks(rs);
            if (floor_div(divider_count(s, now), p) !=
                floor_div(divider_count(s, s->flags_ns), p)) {
                s->cmos[REG_C] |= C_PF;
            }
        }
        if (!(s->cmos[REG_B] & B_SET)) {
            int64_t s0 = second_index(s, s->flags_ns), s1 = second_index(s, now);
            if (s1 > s0) {
                s->cmos[REG_C] |= C_UF;
                /* any alarm time recurs within a day */
                int64_t k = s1 - s0 > 86400 ? s1 - 86400 : s0 + 1;
                for (; k <= s1 && !(s->cmos[REG_C] & C_AF); k++) {
                    if (alarm_match(s, s->base_time + k)) {
                        s->cmos[REG_C] |= C_AF;
                    }
                }
            }
        }
    }
    if (now > s->flags_ns) {
        s->flags_ns = now;
    }
    update_irq(s);
}

static void rearm(RtcState *s)
{
    uint64_t now = clock_now(s->clock);
    uint64_t next = UINT64_MAX;
    uint8_t b = s->cmos[REG_B], c = s->cmos[REG_C];
    if (divider_running(s)) {
        unsigned rs = s->cmos[REG_A] & 15;
        if ((b & B_PIE) && !(c & C_PF) && rs) {
            int64_t p = periodic_clocks(rs);
            int64_t k = (floor_div(divider_count(s, now), p) + 1) * p;
            next = divider_count_to_ns(s, k);
        }
        if (!(b & B_SET) && (((b & B_UIE) && !(c & C_UF)) || ((b & B_AIE) && !(c & C_AF)))) {
            uint64_t t = s->base_ns + (uint64_t)((second_index(s, now) + 1) * NS_PER_S);
            if (t < next) {
                next = t;
            }
        }
    }
    if (next == UINT64_MAX) {
        timer_del(&s->timer);
    } else {
        timer_mod(&s->timer, next);
    }
}

static void rtc_timer_cb(void *opaque)
{
    RtcState *s = opaque;
    update_flags(s);
    rearm(s);
}

/* ---- ports ---- */

static bool is_time_reg(uint8_t i)
{
    return i == REG_SEC || i == REG_MIN || i == REG_HOUR || i == REG_DOW || i == REG_DOM ||
           i == REG_MONTH || i == REG_YEAR || i == REG_CENTURY;
}

static uint8_t reg_read(RtcState *s, uint8_t i)
{
    uint64_t now = clock_now(s->clock);
    if (is_time_reg(i)) {
        sync_to_cmos(s);
        return s->cmos[i];
    }
    switch (i) {
    case REG_A: {
        uint8_t a = s->cmos[REG_A] & 0x7F;
        /* UIP: within 8 divider clocks (244 us) of the next update */
        if (updating(s) && (divider_count(s, now) & (RTC_HZ - 1)) >= RTC_HZ - 8) {
            a |= A_UIP;
        }
        return a;
    }
    case REG_C: {
        update_flags(s);
        uint8_t c = s->cmos[REG_C];
        s->cmos[REG_C] = 0;
        update_irq(s);
        rearm(s);
        return c;
    }
    case REG_D:
        return 0x80; /* VRT: the battery is fine */
    default:
        return s->cmos[i];
    }
}

static void reg_write(RtcState *s, uint8_t i, uint8_t v)
{
    uint64_t now = clock_now(s->clock);
    if (is_time_reg(i)) {
        bool run = updating(s);
        sync_to_cmos(s);
        s->cmos[i] = v;
        if (run) {
            s->base_time = cmos_to_time(s) - second_index(s, now);
        }
        return;
    }
    switch (i) {
    case REG_A: {
        update_flags(s);
        bool was_running = divider_running(s);
        sync_to_cmos(s);
        s->cmos[REG_A] = v & 0x7F;
        if (!was_running && divider_running(s)) {
            /* leaving divider reset: the first update comes half a second later */
            s->base_ns = now - NS_PER_S / 2;
            s->base_time = cmos_to_time(s) - second_index(s, now);
            s->flags_ns = now;
        }
        if ((v & 0x70) > 0x20 && (v & 0x60) != 0x60) {
            LOG_ONCE(LOG_RTC, "rtc: divider test mode 0x%02x", v);
        }
        update_irq(s);
        rearm(s);
        break;
    }
    case REG_B: {
        update_flags(s);
        bool was_updating = updating(s);
        sync_to_cmos(s);
        if (v & B_SET) {
            v &= ~B_UIE;
        }
        s->cmos[REG_B] = v;
        if (!was_updating && updating(s)) {
            /* SET cleared: the divider kept its phase; the time is what was written */
            int64_t k = second_index(s, now);
            s->base_ns += (uint64_t)(k * NS_PER_S);
            s->base_time = cmos_to_time(s);
        }
        update_irq(s);
        rearm(s);
        break;
    }
    case REG_C:
    case REG_D:
        break; /* read only */
    default:
        s->cmos[i] = v;
        break;
    }
}

static uint32_t rtc_read(void *opaque, uint32_t addr, unsigned size)
{
    RtcState *s = opaque;
    if (addr == 0) {
        return 0xFF; /* the index register is write-only */
    }
    return reg_read(s, s->index & 0x7F);
}

static void rtc_write(void *opaque, uint32_t addr, uint32_t val, unsigned size)
{
    RtcState *s = opaque;
    if (addr == 0) {
        s->index = val & 0x7F;
        s->nmi_masked = val & 0x80;
        return;
    }
    reg_write(s, s->index & 0x7F, (uint8_t)val);
}

static const IoOps kRtcOps = {rtc_read, rtc_write, IO_SIZE_1};

/* ---- board API ---- */

void rtc_update_checksum(RtcState *s)
{
    unsigned sum = 0;
    for (int i = 0x10; i <= 0x2D; i++) {
        sum += s->cmos[i];
    }
    s->cmos[0x2E] = (uint8_t)(sum >> 8);
    s->cmos[0x2F] = (uint8_t)sum;
}

void rtc_set_cmos(RtcState *s, uint8_t index, uint8_t val)
{
    index &= 0x7F;
    if (index <= REG_D || index == REG_CENTURY) {
        reg_write(s, index, val);
    } else {
        s->cmos[index] = val;
    }
    if (index >= 0x10 && index <= 0x2D) {
        rtc_update_checksum(s);
    }
}

uint8_t rtc_get_cmos(RtcState *s, uint8_t index)
{
    index &= 0x7F;
    if (index == REG_C) {
        return s->cmos[REG_C]; /* peek without clearing */
    }
    return reg_read(s, index);
}

void rtc_set_mem_size(RtcState *s, uint64_t below_4g, uint64_t above_4g)
{
    const uint64_t mb = 1024 * 1024;
    s->cmos[0x15] = 640 & 0xFF;
    s->cmos[0x16] = 640 >> 8;
    uint64_t ext = below_4g > mb ? (below_4g - mb) / 1024 : 0;
    if (ext > 0xFFFF) {
        ext = 0xFFFF;
    }
    s->cmos[0x17] = s->cmos[0x30] = (uint8_t)ext;
    s->cmos[0x18] = s->cmos[0x31] = (uint8_t)(ext >> 8);
    uint64_t over16 = below_4g > 16 * mb ? (below_4g - 16 * mb) / 65536 : 0;
    if (over16 > 0xFFFF) {
        over16 = 0xFFFF;
    }
    s->cmos[0x34] = (uint8_t)over16;
    s->cmos[0x35] = (uint8_t)(over16 >> 8);
    uint64_t high = above_4g / 65536;
    s->cmos[0x5B] = (uint8_t)high;
    s->cmos[0x5C] = (uint8_t)(high >> 8);
    s->cmos[0x5D] = (uint8_t)(high >> 16);
    rtc_update_checksum(s);
}

bool rtc_nmi_masked(const RtcState *s)
{
    return s->nmi_masked;
}

static int rtc_post_load(void *opaque)
{
    RtcState *s = opaque;
    s->irq.level = -1;
    update_irq(s);
    return 0;
}

void rtc_reset(RtcState *s)
{
    /* the RESET pin clears PIE, AIE, UIE, SQWE and the flags; time and RAM are kept */
    update_flags(s);
    s->cmos[REG_B] &= ~(B_PIE | B_AIE | B_UIE | 0x08);
    s->cmos[REG_C] = 0;
    update_irq(s);
    rearm(s);
}

void rtc_init(RtcState *s, Bus *bus, Clock *clock, SnapRegistry *reg, int64_t epoch)
{
    memset(s, 0, sizeof *s);
    s->clock = clock;
    timer_init(&s->timer, clock, rtc_timer_cb, s);
    s->cmos[REG_A] = 0x26; /* 32.768 kHz time base, 1024 Hz periodic rate */
    s->cmos[REG_B] = B_24H;
    s->base_ns = clock_now(clock);
    s->flags_ns = s->base_ns;
    s->base_time = epoch;
    time_to_cmos(s, epoch);
    bus_register_pio(bus, 0x70, 2, &kRtcOps, s, "rtc");
    snap_register(reg, &kRtcDesc, s, 0);
}
