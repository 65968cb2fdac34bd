/* Paging for a P6 without PAE, and the software TLBs in front of it (mmu/mmu.h).
 *
 * Follows SDM vol. 3A chapter 4: 4.3 (32-bit paging: 4 KB pages, 4 MB pages with CR4.PSE),
 * 4.6 (access rights, CR0.WP), 4.7 (page-fault error code), 4.8 (accessed and dirty flags) and
 * 4.10 (TLBs, global pages). The A20 mask of the bus is applied to every physical address the
 * MMU forms, page-table entries included (A20M# masks all of the processor's memory accesses).
 *
 * The TLBs cache 4 KB pieces, also of 4 MB pages. A fast read entry exists only for a page with
 * a host read pointer; a fast write entry only once the dirty bit is set, for a page with a host
 * write pointer that holds no decoded code. Everything else (MMIO, ROM writes, code pages, page
 * crossings) takes the slow path through bus_read/bus_write, which also tells the CPU about
 * writes to code pages.
 */
#include "mmu/mmu.h"

#include "mmu/log.h"

#define PTE_P 0x001u
#define PTE_RW 0x002u
#define PTE_US 0x004u
#define PTE_A 0x020u
#define PTE_D 0x040u
#define PTE_PS 0x080u
#define PTE_G 0x100u
/* A 4 MB PDE without PSE-36 (neither model has it): bits 21:13 are reserved (SDM table 4-4). */
#define PDE4M_RSVD 0x003FE000u

/* #PF error code (SDM vol. 3A 4.7); no I/D bit without NX */
#define PF_P 0x1u
#define PF_W 0x2u
#define PF_U 0x4u
#define PF_RSVD 0x8u

void mmu_init(Mmu *m, CpuState *s, Bus *b)
{
    memset(m, 0, sizeof *m);
    m->s = s;
    m->bus = b;
    mmu_flush_all(m);
}

static void drop(Mmu *m, TlbEntry *e, uint8_t *f)
{
    if (*f & TLBF_GLOBAL) {
        m->global_pages--;
    }
    if (*f & TLBF_LARGE) {
        m->large_pages--;
    }
    e->tag = TLB_INVALID;
    *f = 0;
}

static void fill(Mmu *m, TlbEntry *e, uint8_t *f, uint32_t page, uint32_t ppage,
                 const uint8_t *host, unsigned flags)
{
    drop(m, e, f);
    e->tag = page;
    e->ppage = ppage;
    e->addend = (uintptr_t)host - (uintptr_t)page;
    *f = (uint8_t)flags;
    if (flags & TLBF_GLOBAL) {
        m->global_pages++;
    }
    if (flags & TLBF_LARGE) {
        m->large_pages++;
    }
}

void mmu_flush_all(Mmu *m)
{
    for (int u = 0; u < 2; u++) {
        for (uint32_t k = 0; k < TLB_SIZE; k++) {
            m->rd[u][k].tag = TLB_INVALID;
            m->wr[u][k].tag = TLB_INVALID;
        }
    }
    memset(m->rd_flags, 0, sizeof m->rd_flags);
    memset(m->wr_flags, 0, sizeof m->wr_flags);
    m->global_pages = 0;
    m->large_pages = 0;
}

/* A CR3 load: with CR4.PGE, entries from global pages stay (SDM vol. 3A 4.10.4.1). */
void mmu_flush(Mmu *m)
{
    if (!(m->s->cr4 & CR4_PGE) || m->global_pages == 0) {
        mmu_flush_all(m);
        return;
    }
    for (int u = 0; u < 2; u++) {
        for (uint32_t k = 0; k < TLB_SIZE; k++) {
            if (!(m->rd_flags[u][k] & TLBF_GLOBAL)) {
                drop(m, &m->rd[u][k], &m->rd_flags[u][k]);
            }
            if (!(m->wr_flags[u][k] & TLBF_GLOBAL)) {
                drop(m, &m->wr[u][k], &m->wr_flags[u][k]);
            }
        }
    }
}

/* INVLPG drops the page's entries, global or not; for a 4 MB page every cached piece of it
 * (SDM vol. 3A 4.10.4.1: "all TLB entries for the page"). Dropping more is always allowed. */
void mmu_invlpg(Mmu *m, uint32_t lin)
{
    uint32_t page = lin & ~0xFFFu;
    uint32_t k = (lin >> 12) & (TLB_SIZE - 1);
    for (int u = 0; u < 2; u++) {
        if (m->rd[u][k].tag == page) {
            drop(m, &m->rd[u][k], &m->rd_flags[u][k]);
        }
        if (m->wr[u][k].tag == page) {
            drop(m, &m->wr[u][k], &m->wr_flags[u][k]);
        }
    }
    if (m->large_pages == 0) {
        return;
    }
    for (int u = 0; u < 2; u++) {
        for (k = 0; k < TLB_SIZE; k++) {
            if ((m->rd_flags[u][k] & TLBF_LARGE) && (m->rd[u][k].tag >> 22) == (lin >> 22)) {
                drop(m, &m->rd[u][k], &m->rd_flags[u][k]);
            }
            if ((m->wr_flags[u][k] & TLBF_LARGE) && (m->wr[u][k].tag >> 22) == (lin >> 22)) {
                drop(m, &m->wr[u][k], &m->wr_flags[u][k]);
            }
        }
    }
}

void mmu_protect_code_page(Mmu *m, uint32_t ppage)
{
    ppage &= ~0xFFFu;
    for (int u = 0; u < 2; u++) {
        for (uint32_t k = 0; k < TLB_SIZE; k++) {
            if (m->wr[u][k].tag != TLB_INVALID && m->wr[u][k].ppage == ppage) {
                drop(m, &m->wr[u][k], &m->wr_flags[u][k]);
            }
        }
    }
}

static int page_fault(Mmu *m, uint32_t lin, int acc, uint32_t code)
{
    if (acc & ACC_NOFAULT) {
        return 1;
    }
    if ((acc & 3) == ACC_WRITE) {
        code |= PF_W;
    }
    if (acc & ACC_USER) {
        code |= PF_U;
    }
    CpuState *s = m->s;
    s->cr2 = lin;
    s->exc_vector = EXC_PF;
    s->exc_has_error = 1;
    s->exc_error = code;
    xlog(LOG_MMU, "#PF lin 0x%08x error 0x%x cr3 0x%08x", lin, code, s->cr3);
    return 1;
}

/* May an access of kind `acc` use a page whose combined PDE&PTE bits are `rights`?
 * SDM vol. 3A 4.6: user accesses need U/S and, to write, R/W; supervisor writes need R/W only
 * with CR0.WP; reads and fetches are always allowed to the supervisor. */
static bool allowed(uint32_t rights, bool write, bool user, uint32_t cr0)
{
    if (user) {
        return (rights & PTE_US) && (!write || (rights & PTE_RW));
    }
    return !write || (rights & PTE_RW) || !(cr0 & CR0_WP);
}

/* Set the accessed (and for writes the dirty) flag in an entry if not yet set. The update is a
 * locked read-modify-write on hardware; here nothing runs between the read and the write. */
static uint32_t set_ad(Bus *b, uint32_t addr, uint32_t entry, uint32_t bits)
{
    if ((entry & bits) != bits) {
        entry |= bits;
        bus_write(b, addr, entry, 4);
    }
    return entry;
}

/* ---- debugger watchpoints ---- */
static bool overlaps(uint32_t a, uint32_t alen, uint32_t b, uint32_t blen)
{
    /* [a, a+alen) and [b, b+blen) intersect; lengths are at least 1, no wrap assumed past 4 GB */
    return (uint64_t)a < (uint64_t)b + blen && (uint64_t)b < (uint64_t)a + alen;
}

static bool watch_on_page(const Mmu *m, uint32_t lpage, uint32_t ppage)
{
    for (uint32_t k = 0; k < m->nwatch; k++) {
        const MmuWatch *w = &m->watch[k];
        if (overlaps(w->start, w->len, w->phys ? ppage : lpage, 0x1000)) {
            return true;
        }
    }
    return false;
}

/* Compare an access (split in at most two physical pieces) with the watched ranges. */
static void watch_check(Mmu *m, uint32_t lin, uint32_t pa, uint32_t pa2, unsigned n1,
                        unsigned size, bool write, uint32_t val)
{
    if (m->whit.hit) {
        return; /* the first hit of an instruction is the one reported */
    }
    unsigned want = write ? MMU_WATCH_WRITE : MMU_WATCH_READ;
    for (uint32_t k = 0; k < m->nwatch; k++) {
        const MmuWatch *w = &m->watch[k];
        if (!(w->rw & want)) {
            continue;
        }
        bool hit = w->phys ? (overlaps(w->start, w->len, pa, n1) ||
                              (n1 < size && overlaps(w->start, w->len, pa2, size - n1)))
                           : overlaps(w->start, w->len, lin, size);
        if (hit) {
            m->whit = (MmuWatchHit){1, (uint8_t)k, write, (uint8_t)size, lin, pa, val};
            return;
        }
    }
}
/* ---- end debugger watchpoints ---- */

int mmu_translate(Mmu *m, uint32_t lin, int acc, uint32_t *phys)
{
    CpuState *s = m->s;
    Bus *b = m->bus;
    uint32_t a20 = b->a20_mask;
    bool write = (acc & 3) == ACC_WRITE;
    bool user = (acc & ACC_USER) != 0;
    uint32_t pa;
    unsigned flags = 0;
    bool can_write; /* may a later write of the same kind use a fast entry without a walk? */

    if (!(s->cr0 & CR0_PG)) {
        pa = lin & a20;
        can_write = true;
    } else {
        uint32_t pde_addr = ((s->cr3 & 0xFFFFF000u) | ((lin >> 20) & 0xFFCu)) & a20;
        uint32_t pde = bus_read(b, pde_addr, 4);
        if (!(pde & PTE_P)) {
            return page_fault(m, lin, acc, 0);
        }
        if ((pde & PTE_PS) && (s->cr4 & CR4_PSE)) {
            if (pde & PDE4M_RSVD) {
                return page_fault(m, lin, acc, PF_P | PF_RSVD);
            }
            if (!allowed(pde, write, user, s->cr0)) {
                return page_fault(m, lin, acc, PF_P);
            }
            if (!(acc & ACC_NOFAULT)) {
                pde = set_ad(b, pde_addr, pde, write ? PTE_A | PTE_D : PTE_A);
            }
            pa = ((pde & 0xFFC00000u) | (lin & 0x003FF000u)) & a20;
            flags = TLBF_LARGE;
            if ((pde & PTE_G) && (s->cr4 & CR4_PGE)) {
                flags |= TLBF_GLOBAL;
            }
            can_write = (pde & PTE_D) && allowed(pde, true, user, s->cr0);
        } else {
            /* CR4.PSE clear: the PS bit is ignored and the PDE always points at a page table */
            uint32_t pte_addr = ((pde & 0xFFFFF000u) | ((lin >> 10) & 0xFFCu)) & a20;
            uint32_t pte = bus_read(b, pte_addr, 4);
            if (!(pte & PTE_P)) {
                return page_fault(m, lin, acc, 0);
            }
            uint32_t rights = pde & pte;
            if (!allowed(rights, write, user, s->cr0)) {
                return page_fault(m, lin, acc, PF_P);
            }
            /* SDM vol. 3A 4.8: A in every entry used, D only in the one that maps the page.
             * Flags are set only for accesses that pass the checks (a faulting access may or
             * may not set them on hardware; not setting them is the conservative choice). */
            if (!(acc & ACC_NOFAULT)) {
                set_ad(b, pde_addr, pde, PTE_A);
                pte = set_ad(b, pte_addr, pte, write ? PTE_A | PTE_D : PTE_A);
            }
            pa = (pte & 0xFFFFF000u) & a20;
            if ((pte & PTE_G) && (s->cr4 & CR4_PGE)) {
                flags |= TLBF_GLOBAL;
            }
            can_write = (pte & PTE_D) && allowed(rights, true, user, s->cr0);
        }
        pa |= lin & 0xFFFu;
    }
    *phys = pa;
    if (acc & ACC_NOFAULT) {
        return 0;
    }

    /* Fill the TLB of this access; the other one only if its slot is free, so that a copy
     * between two pages with the same index does not evict its source at every store. */
    const PhysPage *pp = &b->pages[pa >> 12];
    uint32_t page = lin & ~0xFFFu;
    /* ---- debugger watchpoints: watched pages stay on the slow path ---- */
    if (m->nwatch && watch_on_page(m, page, pa & ~0xFFFu)) {
        return 0;
    }
    /* ---- end debugger watchpoints ---- */
    uint32_t k = (lin >> 12) & (TLB_SIZE - 1);
    int u = user ? 1 : 0;
    if (pp->rd && (!write || m->rd[u][k].tag == TLB_INVALID)) {
        fill(m, &m->rd[u][k], &m->rd_flags[u][k], page, pa & ~0xFFFu, pp->rd, flags);
    }
    if ((write || (can_write && m->wr[u][k].tag == TLB_INVALID)) && pp->wr &&
        !b->code[pa >> 12]) {
        fill(m, &m->wr[u][k], &m->wr_flags[u][k], page, pa & ~0xFFFu, pp->wr, flags);
    }
    return 0;
}

/* Translate both pages of an access before any byte moves: a crossing access that faults on
 * its second page leaves the first untouched, and CR2 names the second page's first byte. */
static int translate_span(Mmu *m, uint32_t lin, unsigned size, int acc, uint32_t *pa,
                          uint32_t *pa2, unsigned *n1)
{
    *n1 = 0x1000 - (lin & 0xFFFu);
    if (mmu_translate(m, lin, acc, pa)) {
        return 1;
    }
    if (*n1 >= size) {
        *n1 = size;
        *pa2 = 0;
        return 0;
    }
    return mmu_translate(m, lin + *n1, acc, pa2);
}

int mmu_read_slow(Mmu *m, uint32_t lin, unsigned size, int acc, uint32_t *val)
{
    uint32_t pa, pa2;
    unsigned n1;
    if ((acc & 3) == ACC_WRITE) {
        acc &= ~3;
    }
    if (translate_span(m, lin, size, acc, &pa, &pa2, &n1)) {
        return 1;
    }
    uint32_t v = 0;
    if (n1 == size && (size == 1 || size == 2 || size == 4)) {
        v = bus_read(m->bus, pa, size);
    } else {
        for (unsigned k = 0; k < size && k < 4; k++) {
            uint32_t a = k < n1 ? pa + k : pa2 + (k - n1);
            v |= bus_read(m->bus, a, 1) << (8 * k);
        }
    }
    *val = v;
    if (m->nwatch) { /* debugger watchpoints */
        watch_check(m, lin, pa, pa2, n1, size, false, v);
    }
    return 0;
}

int mmu_write_slow(Mmu *m, uint32_t lin, unsigned size, int acc, uint32_t val)
{
    uint32_t pa, pa2;
    unsigned n1;
    acc = (acc & ~3) | ACC_WRITE;
    if (translate_span(m, lin, size, acc, &pa, &pa2, &n1)) {
        return 1;
    }
    if (m->nwatch) { /* debugger watchpoints */
        watch_check(m, lin, pa, pa2, n1, size, true, val);
    }
    if (n1 == size && (size == 1 || size == 2 || size == 4)) {
        bus_write(m->bus, pa, val, size);
        return 0;
    }
    for (unsigned k = 0; k < size && k < 4; k++) {
        uint32_t a = k < n1 ? pa + k : pa2 + (k - n1);
        bus_write(m->bus, a, (val >> (8 * k)) & 0xFF, 1);
    }
    return 0;
}

int mmu_probe_write(Mmu *m, uint32_t lin, unsigned size, int acc)
{
    uint32_t pa, pa2;
    unsigned n1;
    acc = (acc & ~3) | ACC_WRITE;
    return translate_span(m, lin, size, acc, &pa, &pa2, &n1);
}
