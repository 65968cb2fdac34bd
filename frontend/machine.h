/* The board: a PC built from the options, with the CPU, chipset, devices and firmware wired
 * together. The frontend (main.c, console, debugger) drives it through this interface. */
#ifndef X86PC_MACHINE_H
#define X86PC_MACHINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "bios/linuxboot.h"
#include "chipset/acpi_pm.h" /* ---- ACPI ---- */
#include "chipset/clock.h"
#include "chipset/ioapic.h"
#include "chipset/lapic.h"
#include "chipset/pci.h"
#include "chipset/pic.h"
#include "chipset/piix_ide.h" /* ---- disks ---- */
#include "chipset/pit.h"
#include "chipset/port92.h"
#include "chipset/rtc.h"
#include "cpu/cpu.h"
#include "devices/debugcon.h"
#include "devices/dma8237.h"
#include "devices/fwcfg.h"
#include "devices/i8042.h"
#include "devices/ide.h" /* ---- disks ---- */
#include "devices/serial.h"
#include "devices/vga.h" /* ---- display ---- */
#include "mmu/bus.h"
#include "snapshots/vmstate.h"

typedef struct MachineConfig {
    uint32_t ram_mb;
    const char *bios_path;
    const char *cpu_model;
    bool nographic;
    bool no_reboot;
    bool no_shutdown;
    const char *serial;   /* "stdio", "none", "file:PATH" */
    const char *debugcon; /* NULL, "stdio", "file:PATH" */
    bool debug_exit;
    uint16_t debug_exit_port;
    int64_t rtc_epoch;    /* seconds since 1970 for the RTC at power-on */
    unsigned icount_shift;
    uint64_t max_insns;   /* stop after this many instructions (0: no limit) */
    /* ---- direct Linux boot (bios/linuxboot.c) ---- */
    const char *kernel;   /* -kernel bzImage: boot it directly, with no BIOS image mapped */
    const char *initrd;   /* -initrd FILE (needs -kernel) */
    const char *append;   /* -append "command line" (needs -kernel) */
    /* ---- end direct Linux boot ---- */
    /* ---- disks (devices/ide.c, devices/block.c, chipset/piix_ide.c) ---- */
    struct {
        const char *file; /* NULL: no drive at this index */
        bool cdrom;
    } drive[4];           /* index 0/1: primary master/slave, 2/3: secondary master/slave */
    bool snapshot;        /* -snapshot: disk writes stay in memory */
    const char *boot;     /* -boot order, e.g. "cd"; NULL: QEMU's default "cad" */
    /* ---- end disks ---- */
} MachineConfig;

typedef struct Machine {
    MachineConfig cfg;
    Bus bus;
    Clock clock;
    Cpu cpu;
    SnapRegistry snap;
    PicState pic;
    LapicState lapic;   /* ---- APIC ---- */
    IoapicState ioapic; /* ---- APIC ---- */
    PitState pit;
    RtcState rtc;
    Port92State port92;
    I8042State kbc;
    SerialState com1;
    DebugconState debugcon;
    DebugconState fwlog; /* SeaBIOS's debug port 0x402 */
    Dma8237State dma;
    FwCfgState fwcfg;
    PciState pci;
    AcpiPmState acpi_pm; /* ---- ACPI: the PIIX4 PM function at 00:01.3 ---- */
    /* ---- disks ---- */
    IdeChannel ide[2];     /* primary 0x1F0/0x3F6 IRQ 14, secondary 0x170/0x376 IRQ 15 */
    PiixIdeState piix_ide; /* 00:01.1 */
    BlockDev blk[4];       /* the images, by drive index (fd -1 if none) */
    /* ---- end disks ---- */
    IrqLine ferr_irq;     /* the FPU's FERR# to IRQ13 */
    uint8_t *rom;         /* the BIOS image */
    uint8_t *rom_low;     /* its last 256 KB, for the PAM window at 0xC0000 */
    uint32_t rom_size;
    LinuxBoot linuxboot;  /* direct Linux boot (cfg.kernel): images kept for every reset */
    FILE *serial_out;
    FILE *debugcon_out;
    /* ---- debugger and gdb stub (frontend/debugger.c, frontend/gdbstub.c) ---- */
    void (*dbg_stopped)(void *opaque); /* the CPU stopped for the debugger (cpu.dbg.hit: why) */
    void (*dbg_poll)(void *opaque);    /* between slices while the machine runs */
    void *dbg_opaque;
    bool dbg_stop_pending;
    /* ---- end debugger ---- */
    /* ---- display (devices/vga.c, frontend/display.c) ---- */
    VgaState vga;
    struct Display *display; /* the window, or headless (display_init); NULL before it */
    bool display_paced; /* a window is open: run_slice returns after 10 ms of halted time */
    /* ---- end display ---- */
    bool reset_requested;
    bool quit;
    int exit_status;
} Machine;

/* Build the machine; on a user error prints one line to stderr and returns -1. */
int machine_init(Machine *m, const MachineConfig *cfg);
void machine_free(Machine *m);
void machine_reset(Machine *m);
/* Run until the machine quits (guest exit, shutdown under -no-reboot, user quit). Returns the
 * process exit status. */
int machine_run(Machine *m);
/* Feed bytes typed by the user into COM1 (the one place host input enters). Returns how many
 * the UART accepted; the caller keeps the rest for later. */
int machine_serial_input(Machine *m, const uint8_t *buf, int n);
/* ---- display: keyboard and mouse input (the one place they enter the machine) ---- */
/* One key press or release as scan code set 2 bytes. Returns false, taking nothing, while the
 * keyboard's queue has no room for it (the caller keeps it for the next slice). */
bool machine_key_event(Machine *m, const uint8_t *set2, int n);
/* dx right, dy down, dz wheel towards the user, buttons bit 0 left, 1 right, 2 middle. */
void machine_mouse_event(Machine *m, int dx, int dy, int dz, unsigned buttons);
/* ---- end display ---- */

#endif
