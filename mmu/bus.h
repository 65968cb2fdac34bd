/* The buses: the physical memory map, port I/O and MMIO dispatch.
 *
 * Physical memory is a map of 4 KB pages (the whole 4 GB). Each page is RAM or ROM with host
 * pointers for reads and for writes (separate, so the i440FX PAM modes "read ROM, write RAM" and
 * "read RAM, drop writes" are just two pointers), or belongs to an MMIO region, or is unassigned.
 * Ports and MMIO use one registration call with an ops struct; the bus splits an access into the
 * widths the region implements (little-endian). Unclaimed reads return all ones, unclaimed writes
 * are dropped; both are logged once per port/page run.
 *
 * The A20 gate is applied here, to every physical address from the CPU. Any change of the map (PAM,
 * A20, a BAR moving) calls map_changed so the CPU can drop TLB entries that cached host pointers.
 * Pages holding decoded code are marked in `code`; a write to one of them (from the CPU's slow path
 * or from DMA through bus_mem_write) calls code_write so the CPU can drop its decoded instructions.
 */
#ifndef X86PC_BUS_H
#define X86PC_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct IoOps {
    /* addr is the offset from the region's base; size is 1, 2 or 4 */
    uint32_t (*read)(void *opaque, uint32_t addr, unsigned size);
    void (*write)(void *opaque, uint32_t addr, uint32_t val, unsigned size);
    uint8_t sizes; /* bit mask of implemented widths: 1, 2, 4 (0 means all) */
} IoOps;

#define IO_SIZE_1 1
#define IO_SIZE_2 2
#define IO_SIZE_4 4

typedef struct IoRegion {
    uint32_t base, len;
    const IoOps *ops;
    void *opaque;
    const char *name;
} IoRegion;

#define BUS_MAX_REGIONS 128
#define PHYS_PAGES (1u << 20)

typedef struct PhysPage {
    uint8_t *rd;   /* host pointer for reads of this page, or NULL */
    uint8_t *wr;   /* host pointer for writes, or NULL (dropped, or MMIO) */
    uint16_t mmio; /* MMIO region index + 1, 0 if none */
} PhysPage;

typedef struct Bus {
    PhysPage *pages;       /* PHYS_PAGES entries */
    uint8_t *code;         /* per physical page: nonzero if decoded code may live there */
    uint32_t a20_mask;     /* 0xFFFFFFFF, or 0xFFEFFFFF with the gate closed */
    uint8_t pio_map[65536]; /* port -> region index + 1 */
    IoRegion pio[BUS_MAX_REGIONS];
    int npio;
    IoRegion mmio[BUS_MAX_REGIONS];
    int nmmio;
    uint8_t *ram;          /* guest RAM, ram_size bytes, at physical 0 (below the PCI hole) */
    uint32_t ram_size;
    void (*map_changed)(void *opaque);
    void (*code_write)(void *opaque, uint32_t ppage);
    void *cpu_opaque;
} Bus;

int bus_init(Bus *b, uint32_t ram_size); /* allocates RAM; returns -1 if out of memory */
void bus_free(Bus *b);

/* Port I/O. Registration returns 0, or -1 if the table is full. */
int bus_register_pio(Bus *b, uint32_t base, uint32_t len, const IoOps *ops, void *opaque,
                     const char *name);
/* A port region that moves (PCI I/O BARs, the ACPI PM block). *region is -1 until the first
 * placement; a base of BUS_PIO_NOWHERE (or a range past 0xFFFF) removes it from the map. Ports
 * another region already claims stay with it. Returns 0, or -1 if the table is full. */
#define BUS_PIO_NOWHERE 0xFFFFFFFFu
int bus_place_pio(Bus *b, int *region, uint32_t base, uint32_t len, const IoOps *ops, void *opaque,
                  const char *name);
uint32_t bus_pio_read(Bus *b, uint32_t port, unsigned size);
void bus_pio_write(Bus *b, uint32_t port, uint32_t val, unsigned size);

/* MMIO regions are page-granular in the map; base and len should be 4 KB aligned. A region can be
 * moved (PCI BARs) by unmapping and registering again. */
int bus_register_mmio(Bus *b, uint32_t base, uint32_t len, const IoOps *ops, void *opaque,
                      const char *name);
void bus_unmap_mmio(Bus *b, int region_index);
uint32_t bus_mmio_read(Bus *b, uint32_t paddr, unsigned size);
void bus_mmio_write(Bus *b, uint32_t paddr, uint32_t val, unsigned size);

/* Map host memory (RAM or ROM) at a physical range; rd/wr may be NULL. Page aligned. */
void bus_map_mem(Bus *b, uint32_t paddr, uint32_t len, uint8_t *rd, uint8_t *wr);
void bus_set_a20(Bus *b, bool enabled);
static inline bool bus_a20(const Bus *b)
{
    return b->a20_mask == 0xFFFFFFFFu;
}

/* Device and loader access to physical memory (DMA): goes through the map (RAM, ROM, MMIO),
 * honours neither A20 nor paging, and notifies code pages on writes. */
void bus_mem_read(Bus *b, uint32_t paddr, void *buf, size_t len);
void bus_mem_write(Bus *b, uint32_t paddr, const void *buf, size_t len);
/* Single accesses of 1, 2 or 4 bytes, within one page, for the CPU's slow path. */
uint32_t bus_read(Bus *b, uint32_t paddr, unsigned size);
void bus_write(Bus *b, uint32_t paddr, uint32_t val, unsigned size);

#endif
