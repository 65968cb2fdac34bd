/* Motorola MC146818 real-time clock and 128-byte CMOS RAM at ports 0x70/0x71 (bit 7 of the index
 * written to 0x70 is the PC's NMI mask).
 *
 * Board wiring:
 *   rtc_init(&rtc, bus, clock, snap, epoch);   epoch: seconds since 1970-01-01 00:00:00 UTC of
 *                                              virtual time 0 (RTC_DEFAULT_EPOCH = 2000-01-01)
 *   irq_connect(&rtc.irq, pic_set_irq, &pic, 8);
 *   rtc_set_mem_size(&rtc, ram_size, ram_above_4g); rtc_set_cmos(&rtc, index, value) for the
 *   rest (0x14 equipment, 0x10 floppy types, 0x3D/0x38 boot order, 0x5F CPU count - 1), then
 *   rtc_update_checksum(&rtc) (also done by rtc_set_cmos for bytes 0x10-0x2D).
 *   rtc_reset(&rtc) on machine reset (keeps the CMOS contents and the time, as a battery does).
 */
#ifndef X86PC_RTC_H
#define X86PC_RTC_H

#include <stdbool.h>
#include <stdint.h>

#include "chipset/clock.h"
#include "chipset/irq.h"
#include "mmu/bus.h"
#include "snapshots/vmstate.h"

#define RTC_DEFAULT_EPOCH 946684800LL /* 2000-01-01 00:00:00 */

typedef struct RtcState {
    uint8_t cmos[128]; /* registers 0-13 and the CMOS RAM; time bytes are refreshed on read */
    uint8_t index;
    bool nmi_masked;
    int64_t base_time; /* seconds since 1970 shown at virtual time base_ns */
    uint64_t base_ns;  /* virtual ns of a second boundary of the divider chain */
    uint64_t flags_ns; /* events up to this virtual time are reflected in register C */
    Timer timer;       /* next periodic/alarm/update event with its interrupt enabled */
    /* not saved: */
    Clock *clock;
    IrqLine irq;
} RtcState;

void rtc_init(RtcState *s, Bus *bus, Clock *clock, SnapRegistry *reg, int64_t epoch);
void rtc_reset(RtcState *s);
void rtc_set_cmos(RtcState *s, uint8_t index, uint8_t val);
uint8_t rtc_get_cmos(RtcState *s, uint8_t index);
void rtc_update_checksum(RtcState *s);
/* Memory size fields: 0x15/0x16 base KB, 0x17/0x18 and 0x30/0x31 KB above 1 MB (max 0xFFFF),
 * 0x34/0x35 64 KB units above 16 MB, 0x5B-0x5D 64 KB units above 4 GB. */
void rtc_set_mem_size(RtcState *s, uint64_t below_4g, uint64_t above_4g);
bool rtc_nmi_masked(const RtcState *s);
/* The time the clock shows now, in seconds since 1970 (for tests and the monitor). */
int64_t rtc_time(RtcState *s);

#endif
