/* Logging for the whole emulator core.
 *
 * The core never prints to stdout: everything it has to say about odd guest behaviour goes through
 * xlog() on a channel, to stderr, and only when that channel was enabled (-d chan,chan or -d all).
 * LOG_ONCE() reports a condition the first time only, for things a guest may do in a loop. The
 * channel mask is host configuration, not machine state, so it is the one piece of global data.
 */
#ifndef X86PC_LOG_H
#define X86PC_LOG_H

#include <stdint.h>

typedef enum LogChan {
    LOG_CPU,     /* unusual CPU events: triple fault, unimplemented MSRs */
    LOG_INT,     /* every exception and interrupt delivered (noisy) */
    LOG_MMU,     /* page faults (noisy) */
    LOG_IO,      /* unclaimed ports and MMIO */
    LOG_PIC,
    LOG_PIT,
    LOG_RTC,
    LOG_SERIAL,
    LOG_KBD,
    LOG_PCI,
    LOG_FWCFG,
    LOG_IDE,
    LOG_VGA,
    LOG_APIC,
    LOG_ACPI,
    LOG_NET,
    LOG_SNAP,
    LOG_MISC,
    LOG_FW, /* the firmware's own debug port (SeaBIOS: 0x402) */
    LOG_EXEC, /* every instruction executed, disassembled (very noisy) */
    LOG_NCHANS
} LogChan;

extern uint32_t g_log_mask;

void xlog_printf(LogChan ch, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define xlog(ch, ...)                                                                          \
    do {                                                                                       \
        if (g_log_mask & (1u << (ch))) {                                                       \
            xlog_printf((ch), __VA_ARGS__);                                                    \
        }                                                                                      \
    } while (0)

/* Logged the first time this source line runs, whatever the mask (warnings worth one line). */
#define LOG_ONCE(ch, ...)                                                                      \
    do {                                                                                       \
        static int log_once_done_;                                                             \
        if (!log_once_done_) {                                                                 \
            log_once_done_ = 1;                                                                \
            xlog(ch, __VA_ARGS__);                                                             \
        }                                                                                      \
    } while (0)

/* Parse "cpu,int,io" or "all" into g_log_mask. Returns 0, or -1 for an unknown name. */
int log_parse_mask(const char *spec);
const char *log_chan_name(LogChan ch);

#endif
