/* Direct Linux boot: the board loads a bzImage (and an initrd and a command line) and starts the
 * kernel at its 32-bit entry point, with no BIOS code at all, following the Linux/x86 boot
 * protocol (Documentation/arch/x86/boot.rst, protocol 2.02 and later, "32-bit boot protocol";
 * the zero page layout is Documentation/arch/x86/zero-page.rst).
 *
 * Board wiring:
 *   LinuxBoot lb;                  (zero it, or let linuxboot_load do it)
 *   if (linuxboot_load(&lb, kernel, initrd_or_NULL, cmdline_or_NULL, ram_bytes, err, sizeof err))
 *       print err, exit non-zero;
 *   lb.bios_rom_size = size of the ROM mapped at the top of 4 GB (0 if none);  (optional)
 *   lb.acpi_build = ...; lb.acpi_opaque = ...;                                   (optional)
 *   after cpu_init and after every machine reset (cpu_reset, PCI reset, A20 on):
 *       linuxboot_setup(&lb, &bus, &cpu);
 *   linuxboot_free(&lb) at exit.
 * linuxboot_load keeps its own copies of the images, so every reset boots the same kernel again.
 */
#ifndef X86PC_LINUXBOOT_H
#define X86PC_LINUXBOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu/cpu.h"
#include "mmu/bus.h"

/* Where the loader puts its own structures in guest memory (all RAM, all in the first 64 KB,
 * above the BIOS data area). */
#define LB_GDT_ADDR 0x1000u      /* null, null, __BOOT_CS (0x10), __BOOT_DS (0x18) */
#define LB_ZEROPAGE_ADDR 0x2000u /* struct boot_params, 4 KB */
#define LB_CMDLINE_ADDR 0x3000u  /* the command line, up to LB_CMDLINE_MAX bytes with its NUL */
#define LB_CMDLINE_MAX 0x4000u
#define LB_STACK_TOP 0x8000u          /* ESP at entry (the protocol promises none; kindness) */
#define LB_KERNEL_ADDR 0x100000u      /* where a bzImage's protected-mode part goes */
#define LB_EBDA_ADDR 0x9FC00u         /* a 1 KB EBDA, as the E820 map and the BDA say */
#define LB_RSDP_ADDR 0xF0000u         /* a slot for ACPI's RSDP in the BIOS area Linux scans */
#define LB_ACPI_DEFAULT_SIZE 0x20000u /* reserved at the top of RAM for ACPI tables */

/* boot_params ("zero page") offsets used here */
#define BP_EXT_MEM_K 0x002 /* screen_info.ext_mem_k */
#define BP_ORIG_VIDEO_MODE 0x006
#define BP_ORIG_VIDEO_COLS 0x007
#define BP_ORIG_VIDEO_LINES 0x00E
#define BP_ORIG_VIDEO_ISVGA 0x00F
#define BP_ORIG_VIDEO_POINTS 0x010
#define BP_ACPI_RSDP_ADDR 0x070 /* u64, protocol 2.14 */
#define BP_ALT_MEM_K 0x1E0
#define BP_E820_ENTRIES 0x1E8
#define BP_HDR 0x1F1        /* the setup header, at the same offset as in the image */
#define BP_HDR_LIMIT 0x290  /* edd_mbr_sig_buffer follows it */
#define BP_E820_TABLE 0x2D0 /* 128 entries of {u64 addr, u64 size, u32 type} */
#define BP_E820_MAX 128

/* setup header offsets (in the image and in boot_params alike) */
#define HDR_SETUP_SECTS 0x1F1
#define HDR_SYSSIZE 0x1F4
#define HDR_VID_MODE 0x1FA
#define HDR_BOOT_FLAG 0x1FE
#define HDR_JUMP 0x200
#define HDR_MAGIC 0x202 /* "HdrS" */
#define HDR_VERSION 0x206
#define HDR_TYPE_OF_LOADER 0x210
#define HDR_LOADFLAGS 0x211
#define HDR_CODE32_START 0x214
#define HDR_RAMDISK_IMAGE 0x218
#define HDR_RAMDISK_SIZE 0x21C
#define HDR_HEAP_END_PTR 0x224
#define HDR_CMD_LINE_PTR 0x228
#define HDR_INITRD_ADDR_MAX 0x22C
#define HDR_KERNEL_ALIGNMENT 0x230
#define HDR_RELOCATABLE 0x234
#define HDR_CMDLINE_SIZE 0x238
#define HDR_PREF_ADDRESS 0x258
#define HDR_INIT_SIZE 0x260

#define LOADFLAG_LOADED_HIGH 0x01
#define LOADFLAG_KEEP_SEGMENTS 0x40
#define LOADFLAG_CAN_USE_HEAP 0x80

#define E820_RAM 1
#define E820_RESERVED 2
#define E820_ACPI 3

#define LB_BOOT_CS 0x10
#define LB_BOOT_DS 0x18

typedef struct E820Entry {
    uint64_t addr, size;
    uint32_t type;
} E820Entry;

/* Builds the ACPI tables in guest memory (bios/acpi.c's acpi_build_in_memory, through a small
 * adapter in the board). Called by linuxboot_setup after everything else is in place:
 *   tables_base/tables_size: a RAM range at the top of RAM, marked reserved in the E820 map,
 *       for RSDT/XSDT, FADT, FACS, DSDT, MADT, ...;
 *   rsdp_addr: a 16-byte aligned slot in the BIOS area (0xF0000, reserved in the E820 map, where
 *       Linux's RSDP scan of 0xE0000-0xFFFFF finds it; writable here, shadow RAM read-only
 *       once the callback returns).
 * Returns the RSDP's physical address (stored in boot_params.acpi_rsdp_addr), or 0 if it built
 * nothing. */
typedef uint32_t (*LinuxBootAcpiFn)(void *opaque, Bus *bus, uint32_t tables_base,
                                    uint32_t tables_size, uint32_t rsdp_addr);

typedef struct LinuxBoot {
    /* the images, as read (copies: every reset reloads from them) */
    uint8_t *kernel;
    size_t kernel_size;
    uint8_t *initrd;
    size_t initrd_size;
    char *cmdline; /* "" when none was given */

    /* from the setup header */
    uint16_t version;    /* protocol, e.g. 0x020F */
    uint32_t setup_size; /* (setup_sects + 1) * 512: the real-mode part, not loaded */
    uint32_t hdr_end;    /* 0x202 + byte at 0x201, clamped to BP_HDR_LIMIT */
    uint32_t init_size;  /* memory the kernel needs from its load address */
    uint32_t initrd_addr_max;
    uint32_t cmdline_max; /* longest command line the kernel takes (without the NUL) */

    /* the layout chosen by linuxboot_load */
    uint32_t ram_size;
    uint32_t kernel_addr; /* 0x100000, or pref_address for a relocatable kernel */
    uint32_t entry;       /* EIP at entry (code32_start, moved with the kernel) */
    uint32_t initrd_addr; /* 0 without an initrd */
    uint32_t ram_top;     /* end of usable RAM (ram_size minus the ACPI reservation) */

    /* set by the board before linuxboot_setup (optional) */
    uint32_t bios_rom_size; /* a ROM mapped below 4 GB: reserved in the E820 map */
    bool vga_text;          /* a VGA in 80x25 text mode exists: say so in screen_info */
    LinuxBootAcpiFn acpi_build;
    void *acpi_opaque;
    uint32_t acpi_size; /* kept free at the top of RAM for ACPI tables (set by load) */
} LinuxBoot;

/* Read the images from files and validate them (see linuxboot_load_mem). initrd_path and
 * cmdline may be NULL. Returns 0, or -1 with one line (no newline, no "x86pc:" prefix) in err. */
int linuxboot_load(LinuxBoot *lb, const char *kernel_path, const char *initrd_path,
                   const char *cmdline, uint32_t ram_size, char *err, size_t errlen);
/* The same from memory (copied). Checks the setup header ("HdrS", protocol >= 2.02, a bzImage
 * with LOADED_HIGH), the command line's length, and that kernel and initrd fit in ram_size
 * with the loader's structures; chooses the layout. Keeps lb->acpi_size (LB_ACPI_DEFAULT_SIZE)
 * free at the top of RAM for ACPI tables; the E820 map marks it reserved only when an
 * acpi_build hook is set (otherwise it is plain RAM the kernel may use). */
int linuxboot_load_mem(LinuxBoot *lb, const uint8_t *kernel, size_t kernel_size,
                       const uint8_t *initrd, size_t initrd_size, const char *cmdline,
                       uint32_t ram_size, char *err, size_t errlen);
/* Write the kernel, initrd, command line, GDT, BDA/EBDA words and boot_params into guest
 * memory, make the BIOS area 0xC0000-0xFFFFF shadow RAM (i440FX PAM through the PCI
 * configuration ports, as firmware leaves it), call the ACPI hook, and put the CPU in the
 * 32-bit boot protocol's entry state. Call after every machine reset. */
void linuxboot_setup(LinuxBoot *lb, Bus *bus, Cpu *cpu);
/* The E820 map linuxboot_setup gives the kernel; returns the number of entries (<= max). */
int linuxboot_e820(const LinuxBoot *lb, E820Entry *out, int max);
void linuxboot_free(LinuxBoot *lb);

#endif
