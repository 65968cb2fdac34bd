/* Linear-to-physical translation and the TLBs (SDM vol. 3, chapter 4 "Paging").
 *
 * The MMU reads the CPU's architectural state (cpu/state.h: CR0, CR3, CR4, CPL) and owns the TLBs.
 * Separate read and write TLBs, each for supervisor and user accesses, hold entries of
 * {tag, host addend}: an access hits when (linear page | 0) equals the tag, so rights, "not RAM"
 * (MMIO, unassigned) and "this page holds decoded code" are folded into the tag by never filling
 * (or clearing) the fast entry for such pages. Fetches use the read TLB (no NX without PAE).
 *
 * The slow path walks the two-level tables (4 KB pages, 4 MB pages with CR4.PSE, global pages with
 * CR4.PGE), sets accessed and dirty bits, checks U/S and R/W (with CR0.WP), and on failure sets
 * #PF with its error code and CR2 in the CPU state and returns nonzero. PAE is not in this CPU model.
 */
#ifndef X86PC_MMU_H
#define X86PC_MMU_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "cpu/state.h"
#include "mmu/bus.h"

#define TLB_BITS 8
#define TLB_SIZE (1u << TLB_BITS)
#define TLB_INVALID 1u /* never equal to a page-aligned linear address */

typedef struct TlbEntry {
    uint32_t tag;       /* linear page address, or TLB_INVALID */
    uint32_t ppage;     /* physical page address (for code-page and debugger use) */
    uintptr_t addend;   /* host address = linear address + addend */
} TlbEntry;

/* access kinds for mmu_translate */
#define ACC_READ 0
#define ACC_WRITE 1
#define ACC_FETCH 2
#define ACC_USER 4     /* an access at CPL 3 (or forced user, none on this CPU) */
#define ACC_NOFAULT 8  /* debugger: translate without setting A/D or raising #PF */

/* ---- debugger watchpoints (frontend/dbgcore.c manages them) ----
 * While nwatch > 0, pages that hold a watched byte never get a fast TLB entry, so every access to
 * them takes the slow path, which compares it with the ranges and records the first hit. The
 * debugger's own accesses (ACC_NOFAULT translations) and page walks are not watched. */
#define MMU_MAX_WATCH 16
#define MMU_WATCH_READ 1u
#define MMU_WATCH_WRITE 2u
typedef struct MmuWatch {
    uint32_t start, len; /* linear or physical range */
    uint8_t phys;
    uint8_t rw;          /* MMU_WATCH_* */
    uint16_t id;         /* the frontend's number for it */
} MmuWatch;
typedef struct MmuWatchHit {
    uint8_t hit;   /* set by the slow path; the CPU's debug support clears it */
    uint8_t index; /* watch[] slot */
    uint8_t write;
    uint8_t size;
    uint32_t lin, phys, value;
} MmuWatchHit;
/* ---- end debugger watchpoints ---- */

typedef struct Mmu {
    CpuState *s;
    Bus *bus;
    TlbEntry rd[2][TLB_SIZE]; /* [user][index] */
    TlbEntry wr[2][TLB_SIZE];
    uint32_t global_pages;    /* count of entries filled from global pages (for flush) */
    /* per-entry TLBF_* bits beside rd/wr, kept out of TlbEntry so the fast path stays 16 bytes */
    uint8_t rd_flags[2][TLB_SIZE];
    uint8_t wr_flags[2][TLB_SIZE];
    uint32_t large_pages;     /* count of entries filled from 4 MB pages (for INVLPG) */
    /* debugger watchpoints (see above) */
    uint32_t nwatch;
    MmuWatch watch[MMU_MAX_WATCH];
    MmuWatchHit whit;
} Mmu;

#define TLBF_GLOBAL 1u /* from a global page (CR4.PGE): survives mmu_flush */
#define TLBF_LARGE 2u  /* a 4 KB piece of a 4 MB page: INVLPG drops every piece */

void mmu_init(Mmu *m, CpuState *s, Bus *b);
void mmu_flush(Mmu *m);                /* CR3 load without PGE: non-global entries */
void mmu_flush_all(Mmu *m);            /* CR0/CR4 paging changes, A20, memory map changes */
void mmu_invlpg(Mmu *m, uint32_t lin);
/* Drop fast write entries that point at this physical page (it now holds decoded code).
 * `ppage` is the page's physical address (paddr & ~0xFFF), like TlbEntry.ppage. */
void mmu_protect_code_page(Mmu *m, uint32_t ppage);

/* Translate a linear address. Returns 0 and the physical address (A20 applied), or nonzero with
 * #PF raised in the CPU state (unless ACC_NOFAULT). Fills the TLBs when the page is RAM. */
int mmu_translate(Mmu *m, uint32_t lin, int acc, uint32_t *phys);

/* Linear-address accesses of 1, 2 or 4 bytes (any alignment, page crossings handled), with the
 * privilege of the current CPL (ACC_USER when cpl == 3) unless `acc` says otherwise. */
int mmu_read_slow(Mmu *m, uint32_t lin, unsigned size, int acc, uint32_t *val);
int mmu_write_slow(Mmu *m, uint32_t lin, unsigned size, int acc, uint32_t val);
/* Check a write would succeed (for read-modify-write and multi-part stores) without writing. */
int mmu_probe_write(Mmu *m, uint32_t lin, unsigned size, int acc);

static inline int mmu_user(const Mmu *m)
{
    return m->s->cpl == 3;
}

static inline int mmu_read(Mmu *m, uint32_t lin, unsigned size, uint32_t *val)
{
    int u = mmu_user(m);
    const TlbEntry *e = &m->rd[u][(lin >> 12) & (TLB_SIZE - 1)];
    if (e->tag == (lin & ~0xFFFu) && (lin & 0xFFF) <= 0x1000 - size) {
        const uint8_t *h = (const uint8_t *)(e->addend + lin);
        switch (size) {
        case 1:
            *val = *h;
            break;
        case 2: {
            uint16_t v16;
            memcpy(&v16, h, 2);
            *val = v16;
            break;
        }
        default:
            memcpy(val, h, 4);
            break;
        }
        return 0;
    }
    return mmu_read_slow(m, lin, size, u ? ACC_USER : 0, val);
}

static inline int mmu_write(Mmu *m, uint32_t lin, unsigned size, uint32_t val)
{
    int u = mmu_user(m);
    const TlbEntry *e = &m->wr[u][(lin >> 12) & (TLB_SIZE - 1)];
    if (e->tag == (lin & ~0xFFFu) && (lin & 0xFFF) <= 0x1000 - size) {
        uint8_t *h = (uint8_t *)(e->addend + lin);
        switch (size) {
        case 1:
            *h = (uint8_t)val;
            break;
        case 2: {
            uint16_t v16 = (uint16_t)val;
            memcpy(h, &v16, 2);
            break;
        }
        default:
            memcpy(h, &val, 4);
            break;
        }
        return 0;
    }
    return mmu_write_slow(m, lin, size, u ? ACC_USER : 0, val);
}

#endif
