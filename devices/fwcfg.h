/* QEMU's firmware configuration interface (fw_cfg) on the PC's I/O ports: selector 0x510
 * (16-bit), data 0x511 (bytes), DMA address 0x514 (high) / 0x518 (low, starts the transfer).
 *
 * Board wiring:
 *   fwcfg_init(&fw, bus, snap);        with the DMA interface (FW_CFG_ID bit 1); or
 *   fwcfg_init_opts(&fw, bus, snap, false) without it
 *   fwcfg_add_i64(&fw, FW_CFG_RAM_SIZE, ram); fwcfg_add_i16(&fw, FW_CFG_NB_CPUS, 1); ...
 *   fwcfg_add_file(&fw, "etc/sercon-port", ...);
 *   fwcfg_reset(&fw) on machine reset; fwcfg_free(&fw) when the machine goes away.
 * The entries are configuration, not saved state: the board re-adds them when it builds a machine
 * to load a snapshot into.
 */
#ifndef X86PC_FWCFG_H
#define X86PC_FWCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mmu/bus.h"
#include "snapshots/vmstate.h"

enum {
    FW_CFG_SIGNATURE = 0x00,
    FW_CFG_ID = 0x01,
    FW_CFG_UUID = 0x02,
    FW_CFG_RAM_SIZE = 0x03,
    FW_CFG_NOGRAPHIC = 0x04,
    FW_CFG_NB_CPUS = 0x05,
    FW_CFG_MACHINE_ID = 0x06,
    FW_CFG_KERNEL_ADDR = 0x07,
    FW_CFG_KERNEL_SIZE = 0x08,
    FW_CFG_KERNEL_CMDLINE = 0x09,
    FW_CFG_INITRD_ADDR = 0x0A,
    FW_CFG_INITRD_SIZE = 0x0B,
    FW_CFG_BOOT_DEVICE = 0x0C,
    FW_CFG_NUMA = 0x0D,
    FW_CFG_BOOT_MENU = 0x0E,
    FW_CFG_MAX_CPUS = 0x0F,
    FW_CFG_FILE_DIR = 0x19,
    FW_CFG_FILE_FIRST = 0x20,
    FW_CFG_WRITE_CHANNEL = 0x4000,
    FW_CFG_ARCH_LOCAL = 0x8000,
    FW_CFG_ACPI_TABLES = 0x8000,
    FW_CFG_SMBIOS_ENTRIES = 0x8001,
    FW_CFG_IRQ0_OVERRIDE = 0x8002,
    FW_CFG_E820_TABLE = 0x8003,
};

#define FWCFG_MAX_ENTRIES 256
#define FWCFG_NAME_LEN 56

typedef struct FwCfgEntry {
    uint16_t key;
    uint32_t len;
    uint8_t *data;
} FwCfgEntry;

typedef struct FwCfgState {
    uint16_t selector;
    uint32_t offset;   /* read position in the selected entry */
    uint32_t dma_high; /* written to 0x514, consumed by the write to 0x518 */
    /* not saved (configuration): */
    bool dma;
    Bus *bus;
    int nentries, nfiles;
    FwCfgEntry entries[FWCFG_MAX_ENTRIES];
    uint8_t *dir; /* the FW_CFG_FILE_DIR entry is entries[] pointing here */
} FwCfgState;

int fwcfg_init(FwCfgState *s, Bus *bus, SnapRegistry *reg);
int fwcfg_init_opts(FwCfgState *s, Bus *bus, SnapRegistry *reg, bool dma);
void fwcfg_free(FwCfgState *s);
void fwcfg_reset(FwCfgState *s);
/* Add or replace an item; the data is copied. Return 0, or -1 if full or out of memory. */
int fwcfg_add_bytes(FwCfgState *s, uint16_t key, const void *data, size_t len);
int fwcfg_add_i16(FwCfgState *s, uint16_t key, uint16_t v); /* little-endian */
int fwcfg_add_i32(FwCfgState *s, uint16_t key, uint32_t v);
int fwcfg_add_i64(FwCfgState *s, uint16_t key, uint64_t v);
/* Add (or replace) a named file; returns its key (FW_CFG_FILE_FIRST + n), or -1. */
int fwcfg_add_file(FwCfgState *s, const char *name, const void *data, size_t len);
/* The selector key of a named file, or -1. */
int fwcfg_find_file(FwCfgState *s, const char *name);

#endif
