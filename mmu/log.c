/* Log channels (see log.h). */
#include "mmu/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

uint32_t g_log_mask;

static const char *const kLogNames[LOG_NCHANS] = {
    "cpu", "int", "mmu", "io", "pic", "pit", "rtc", "serial", "kbd", "pci",
    "fwcfg", "ide", "vga", "apic", "acpi", "net", "snap", "misc", "fw", "exec",
};

const char *log_chan_name(LogChan ch)
{
    return (unsigned)ch < LOG_NCHANS ? kLogNames[ch] : "?";
}

void xlog_printf(LogChan ch, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "[%s] ", log_chan_name(ch));
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    size_t n = strlen(fmt);
    if (n == 0 || fmt[n - 1] != '\n') {
        fputc('\n', stderr);
    }
}

int log_parse_mask(const char *spec)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", spec);
    uint32_t mask = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (strcmp(tok, "all") == 0) {
            mask = ~0u;
            continue;
        }
        int found = 0;
        for (int i = 0; i < LOG_NCHANS; i++) {
            if (strcmp(tok, kLogNames[i]) == 0) {
                mask |= 1u << i;
                found = 1;
            }
        }
        if (!found) {
            return -1;
        }
    }
    g_log_mask = mask;
    return 0;
}
