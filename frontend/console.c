/* Host terminal console (see console.h). Host input is nondeterministic by nature: it enters
 * the machine only through machine_serial_input(), at an instruction boundary. */
#include "frontend/console.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "frontend/display.h" /* ---- display ---- */
#include "frontend/machine.h"
#include "frontend/monitor.h" /* monitor mux: Ctrl-A c, and the stopped state (monitor.c) */

static struct termios g_saved_tio;
static bool g_tio_saved;
static bool g_stdin_open;
static bool g_escape;
/* Typed bytes the guest's UART has no room for yet (a pasted or piped command line). */
static uint8_t g_pending[4096];
static int g_npending;

void console_restore(void)
{
    if (g_tio_saved) {
        tcsetattr(STDIN_FILENO, TCSANOW, &g_saved_tio);
        g_tio_saved = false;
    }
}

void console_init(bool grab_stdin)
{
    g_stdin_open = grab_stdin;
    if (grab_stdin && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &g_saved_tio) == 0) {
        struct termios t = g_saved_tio;
        t.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ISIG | IEXTEN);
        t.c_iflag &= ~(tcflag_t)(IXON | ICRNL | INLCR);
        t.c_oflag |= OPOST | ONLCR;
        t.c_cc[VMIN] = 1;
        t.c_cc[VTIME] = 0;
        if (tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0) {
            g_tio_saved = true;
            atexit(console_restore);
        }
    }
}

static void handle_byte(Machine *m, uint8_t c)
{
    if (g_escape) {
        g_escape = false;
        switch (c) {
        case 'x':
            fprintf(stderr, "\r\nx86pc: terminated by Ctrl-A x\r\n");
            m->quit = true;
            m->exit_status = 0;
            return;
        case 'h':
            fprintf(stderr, "\r\nC-a h    print this help\r\nC-a x    exit emulator\r\n"
                            "C-a C-a  send C-a\r\n");
            /* ---- monitor mux (monitor.c) ---- */
            if (monitor_mux()) {
                fprintf(stderr, "C-a c    switch between console and monitor\r\n");
            }
            /* ---- end monitor mux ---- */
            return;
        /* ---- monitor mux (monitor.c) ---- */
        case 'c':
            monitor_toggle(m);
            return;
        /* ---- end monitor mux ---- */
        case 1:
            break; /* a literal Ctrl-A */
        default:
            return;
        }
    } else if (c == 1 && (g_tio_saved || monitor_mux())) {
        g_escape = true;
        return;
    }
    /* ---- monitor mux (monitor.c): typed bytes go to whichever has the focus ---- */
    if (monitor_focused()) {
        monitor_input(m, c);
        return;
    }
    /* ---- end monitor mux ---- */
    if (g_npending < (int)sizeof g_pending) {
        g_pending[g_npending++] = c;
    }
}

static void flush_pending(Machine *m)
{
    if (g_npending == 0) {
        return;
    }
    int took = machine_serial_input(m, g_pending, g_npending);
    memmove(g_pending, g_pending + took, (size_t)(g_npending - took));
    g_npending -= took;
}

static void poll_once(Machine *m, int timeout_ms)
{
    flush_pending(m);
    if (g_npending > (int)sizeof g_pending / 2 && !monitor_stopped()) {
        return; /* let the guest drain the UART first (a stopped one cannot: read on) */
    }
    if (!g_stdin_open) {
        if (timeout_ms > 0) {
            poll(NULL, 0, timeout_ms);
        }
        return;
    }
    struct pollfd pfd = {STDIN_FILENO, POLLIN, 0};
    if (poll(&pfd, 1, timeout_ms) <= 0) {
        return;
    }
    uint8_t buf[256];
    ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
        g_stdin_open = false; /* EOF: the guest simply gets no more input */
        return;
    }
    for (ssize_t k = 0; k < n; k++) {
        handle_byte(m, buf[k]);
    }
    flush_pending(m);
}

/* ---- monitor (monitor.c): a machine stopped by the monitor waits here for 'cont' ---- */
void console_poll(Machine *m, int timeout_ms)
{
    poll_once(m, timeout_ms);
    while (monitor_stopped() && !m->quit) {
        if (!g_stdin_open) {
            monitor_stdin_closed(m);
            break;
        }
        /* ---- display: the window stays live while the monitor holds the machine ---- */
        if (display_has_window(m)) {
            display_poll(m, true);
            poll_once(m, 20);
            continue;
        }
        /* ---- end display ---- */
        poll_once(m, 200);
    }
}
/* ---- end monitor ---- */
