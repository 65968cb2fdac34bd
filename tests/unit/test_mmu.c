/* mmu/mmu.c: page walks, A/D bits, #PF error codes and CR2, CR0.WP, PSE, global pages, the
 * TLBs, page-crossing accesses, MMIO and ROM. Page tables are written into guest RAM by hand. */
#include <stdlib.h>
#include <string.h>

#include "mmu/bus.h"
#include "mmu/mmu.h"
#include "tests/unit/test.h"

#define PD_BASE 0x10000u   /* page directory */
#define PT_BASE 0x20000u   /* page tables: one per 4 MB region, PT_BASE + 4K * pde index */

#define P 0x001u
#define RW 0x002u
#define US 0x004u
#define A 0x020u
#define D 0x040u
#define PS 0x080u
#define G 0x100u

typedef struct Fx {
    Bus bus;
    CpuState s;
    Mmu m;
    int code_writes;
    uint32_t last_code_page;
} Fx;

static void on_code_write(void *opaque, uint32_t ppage)
{
    Fx *f = opaque;
    f->code_writes++;
    f->last_code_page = ppage;
}

static Fx *fx_new(void)
{
    Fx *f = calloc(1, sizeof *f);
    if (!f || bus_init(&f->bus, 16u << 20)) {
        abort();
    }
    f->bus.cpu_opaque = f;
    f->bus.code_write = on_code_write;
    mmu_init(&f->m, &f->s, &f->bus);
    return f;
}

static void fx_free(Fx *f)
{
    bus_free(&f->bus);
    free(f);
}

static void wr32(Fx *f, uint32_t pa, uint32_t v)
{
    memcpy(f->bus.ram + pa, &v, 4);
}

static uint32_t rd32(Fx *f, uint32_t pa)
{
    uint32_t v;
    memcpy(&v, f->bus.ram + pa, 4);
    return v;
}

static uint32_t pde_addr(uint32_t lin)
{
    return PD_BASE + (lin >> 22) * 4;
}

static uint32_t pte_addr(uint32_t lin)
{
    return PT_BASE + (lin >> 22) * 0x1000 + ((lin >> 12) & 0x3FF) * 4;
}

/* Turn paging on with an empty directory. */
static void paging_on(Fx *f)
{
    memset(f->bus.ram + PD_BASE, 0, 4096);
    f->s.cr3 = PD_BASE;
    f->s.cr0 = CR0_PE | CR0_PG | CR0_ET;
    mmu_flush_all(&f->m);
}

/* Map a 4 KB page; the PDE gets `pde_flags` (P added). */
static void map4k(Fx *f, uint32_t lin, uint32_t pa, uint32_t pte_flags, uint32_t pde_flags)
{
    uint32_t pt = PT_BASE + (lin >> 22) * 0x1000;
    wr32(f, pde_addr(lin), pt | pde_flags | P);
    wr32(f, pte_addr(lin), pa | pte_flags);
}

static uint32_t translate(Fx *f, uint32_t lin, int acc, int *rc)
{
    uint32_t pa = 0xDEADBEEF;
    *rc = mmu_translate(&f->m, lin, acc, &pa);
    return pa;
}

TEST(mmu, paging_off_is_identity_with_a20)
{
    Fx *f = fx_new();
    int rc;
    EXPECT_EQ(translate(f, 0x00123456, ACC_READ, &rc), 0x00123456);
    EXPECT_EQ(rc, 0);
    bus_set_a20(&f->bus, false);
    mmu_flush_all(&f->m);
    EXPECT_EQ(translate(f, 0x00123456, ACC_WRITE, &rc), 0x00023456);
    /* a write through the masked address lands below 1 MB */
    EXPECT_EQ(mmu_write(&f->m, 0x00100010, 4, 0xCAFEF00D), 0);
    EXPECT_EQ(rd32(f, 0x10), 0xCAFEF00D);
    fx_free(f);
}

TEST(mmu, walk_4k_sets_accessed_then_dirty)
{
    Fx *f = fx_new();
    paging_on(f);
    map4k(f, 0x00400000, 0x00200000, P | RW | US, RW | US);
    wr32(f, 0x00200123, 0x11223344);
    int rc;
    EXPECT_EQ(translate(f, 0x00400123, ACC_READ, &rc), 0x00200123);
    EXPECT_EQ(rc, 0);
    EXPECT_EQ(rd32(f, pde_addr(0x00400000)) & (A | D), A);
    EXPECT_EQ(rd32(f, pte_addr(0x00400000)) & (A | D), A);
    uint32_t v = 0;
    EXPECT_EQ(mmu_read(&f->m, 0x00400123, 4, &v), 0);
    EXPECT_EQ(v, 0x11223344);
    /* the read filled no write entry (D clear): the write walks and sets D in the PTE only */
    EXPECT_EQ(f->m.wr[0][0x400 & (TLB_SIZE - 1)].tag, TLB_INVALID);
    EXPECT_EQ(mmu_write(&f->m, 0x00400124, 2, 0xBEEF), 0);
    EXPECT_EQ(rd32(f, 0x00200123), 0x11BEEF44);
    EXPECT_EQ(rd32(f, pte_addr(0x00400000)) & (A | D), A | D);
    EXPECT_EQ(rd32(f, pde_addr(0x00400000)) & D, 0);
    EXPECT_EQ(f->m.wr[0][0x400 & (TLB_SIZE - 1)].tag, 0x00400000);
    fx_free(f);
}

TEST(mmu, read_of_dirty_page_fills_write_entry)
{
    Fx *f = fx_new();
    paging_on(f);
    map4k(f, 0x00801000, 0x00300000, P | RW | A | D, RW);
    uint32_t v;
    EXPECT_EQ(mmu_read(&f->m, 0x00801000, 4, &v), 0);
    EXPECT_EQ(f->m.wr[0][0x801 & (TLB_SIZE - 1)].tag, 0x00801000);
    EXPECT_EQ(f->m.wr[0][0x801 & (TLB_SIZE - 1)].ppage, 0x00300000);
    fx_free(f);
}

/* Not present at the PDE or the PTE: P=0, with W/R and U/S from the access. */
TEST(mmu, not_present_error_codes)
{
    Fx *f = fx_new();
    paging_on(f);
    map4k(f, 0x00400000, 0x00200000, 0, RW | US); /* PTE not present */
    static const struct {
        uint32_t lin;
        int acc;
        uint32_t err;
    } k[] = {
        {0x00400ABC, ACC_READ, 0x0},
        {0x00400ABC, ACC_WRITE, 0x2},
        {0x00400ABC, ACC_READ | ACC_USER, 0x4},
        {0x00400ABC, ACC_WRITE | ACC_USER, 0x6},
        {0x00400ABC, ACC_FETCH | ACC_USER, 0x4},
        {0x00C00010, ACC_READ, 0x0}, /* PDE not present */
        {0x00C00010, ACC_WRITE | ACC_USER, 0x6},
    };
    for (unsigned n = 0; n < sizeof k / sizeof k[0]; n++) {
        int rc;
        f->s.cr2 = 0;
        f->s.exc_vector = 0;
        translate(f, k[n].lin, k[n].acc, &rc);
        EXPECT_EQ(rc, 1);
        EXPECT_EQ(f->s.exc_vector, EXC_PF);
        EXPECT_EQ(f->s.exc_has_error, 1);
        EXPECT_EQ(f->s.exc_error, k[n].err);
        EXPECT_EQ(f->s.cr2, k[n].lin);
    }
    /* faults set no accessed bits */
    EXPECT_EQ(rd32(f, pde_addr(0x00400000)) & A, 0);
    fx_free(f);
}

/* Protection faults: P=1; rights are the AND of the PDE and PTE (SDM 4.6). */
TEST(mmu, protection_error_codes_and_wp)
{
    Fx *f = fx_new();
    paging_on(f);
    map4k(f, 0x00400000, 0x00200000, P | RW, RW | US);      /* supervisor page */
    map4k(f, 0x00401000, 0x00201000, P | US, RW | US);      /* user read-only */
    map4k(f, 0x00800000, 0x00202000, P | RW | US, US);      /* PDE read-only */
    map4k(f, 0x00C00000, 0x00203000, P | RW | US, RW);      /* PDE supervisor */
    static const struct {
        uint32_t lin;
        int acc;
        uint32_t wp;
        int fault;
        uint32_t err;
    } k[] = {
        {0x00400000, ACC_READ | ACC_USER, 0, 1, 0x5},
        {0x00400000, ACC_WRITE | ACC_USER, 0, 1, 0x7},
        {0x00400000, ACC_FETCH | ACC_USER, 0, 1, 0x5},
        {0x00400000, ACC_WRITE, CR0_WP, 0, 0},
        {0x00401000, ACC_READ | ACC_USER, 0, 0, 0},
        {0x00401000, ACC_WRITE | ACC_USER, 0, 1, 0x7},
        {0x00401000, ACC_WRITE | ACC_USER, CR0_WP, 1, 0x7},
        {0x00401000, ACC_WRITE, 0, 0, 0},      /* WP clear: supervisor writes anywhere */
        {0x00401000, ACC_WRITE, CR0_WP, 1, 0x3}, /* WP set: read-only for the supervisor too */
        {0x00800000, ACC_WRITE | ACC_USER, 0, 1, 0x7},
        {0x00800000, ACC_WRITE, CR0_WP, 1, 0x3},
        {0x00800000, ACC_READ | ACC_USER, 0, 0, 0},
        {0x00C00000, ACC_READ | ACC_USER, 0, 1, 0x5},
        {0x00C00000, ACC_WRITE, CR0_WP, 0, 0},
    };
    for (unsigned n = 0; n < sizeof k / sizeof k[0]; n++) {
        int rc;
        f->s.cr0 = (f->s.cr0 & ~CR0_WP) | k[n].wp;
        mmu_flush_all(&f->m);
        f->s.exc_error = 0xFFFF;
        translate(f, k[n].lin + 0x10, k[n].acc, &rc);
        EXPECT_EQ(rc, k[n].fault);
        if (k[n].fault) {
            EXPECT_EQ(f->s.exc_error, k[n].err);
            EXPECT_EQ(f->s.cr2, k[n].lin + 0x10);
        }
    }
    fx_free(f);
}

TEST(mmu, user_and_supervisor_tlbs_are_separate)
{
    Fx *f = fx_new();
    paging_on(f);
    map4k(f, 0x00400000, 0x00200000, P | RW, RW | US);
    uint32_t v;
    EXPECT_EQ(mmu_read(&f->m, 0x00400000, 4, &v), 0); /* CPL 0: fills the supervisor TLB */
    f->s.cpl = 3;
    EXPECT_EQ(mmu_read(&f->m, 0x00400000, 4, &v), 1); /* CPL 3 does not hit it */
    EXPECT_EQ(f->s.exc_error, 0x5);
    fx_free(f);
}

TEST(mmu, pse_4m_pages)
{
    Fx *f = fx_new();
    paging_on(f);
    /* 4 MB page at 0x00C00000 for linear 0x00400000 */
    wr32(f, pde_addr(0x00400000), 0x00C00000 | PS | RW | US | P);
    int rc;
    /* without CR4.PSE the PS bit is ignored: the PDE points at a "page table" at 0xC00000 */
    wr32(f, 0x00C00000 + 0x345 * 4, 0x00005000 | P);
    EXPECT_EQ(translate(f, 0x00745678, ACC_READ, &rc), 0x00005678);
    EXPECT_EQ(rc, 0);
    f->s.cr4 |= CR4_PSE;
    mmu_flush_all(&f->m);
    wr32(f, pde_addr(0x00400000), 0x00C00000 | PS | RW | US | P);
    EXPECT_EQ(translate(f, 0x00745678, ACC_READ | ACC_USER, &rc), 0x00F45678);
    EXPECT_EQ(rc, 0);
    EXPECT_EQ(rd32(f, pde_addr(0x00400000)) & (A | D), A);
    EXPECT_EQ(translate(f, 0x00400000, ACC_WRITE, &rc), 0x00C00000);
    EXPECT_EQ(rd32(f, pde_addr(0x00400000)) & (A | D), A | D);
    /* reserved bits 21:13 of a 4 MB PDE: RSVD and P in the error code */
    wr32(f, pde_addr(0x00400000), 0x00C00000 | 0x2000 | PS | RW | US | P);
    mmu_flush_all(&f->m);
    translate(f, 0x00400010, ACC_READ, &rc);
    EXPECT_EQ(rc, 1);
    EXPECT_EQ(f->s.exc_error, 0x9);
    wr32(f, pde_addr(0x00400000), 0x00C00000 | 0x00200000 | PS | RW | US | P);
    translate(f, 0x00400010, ACC_WRITE | ACC_USER, &rc);
    EXPECT_EQ(rc, 1);
    EXPECT_EQ(f->s.exc_error, 0xF);
    EXPECT_EQ(f->s.cr2, 0x00400010);
    /* a read-only supervisor 4 MB page */
    wr32(f, pde_addr(0x00400000), 0x00C00000 | PS | P);
    f->s.cr0 |= CR0_WP;
    translate(f, 0x00400010, ACC_WRITE, &rc);
    EXPECT_EQ(rc, 1);
    EXPECT_EQ(f->s.exc_error, 0x3);
    fx_free(f);
}

/* CR3 loads (mmu_flush) keep global entries only with CR4.PGE; mmu_flush_all and INVLPG drop
 * them. The remapped page shows whether the old translation was still cached. */
TEST(mmu, global_pages_survive_cr3_load)
{
    Fx *f = fx_new();
    paging_on(f);
    f->s.cr4 = CR4_PGE;
    map4k(f, 0x00400000, 0x00200000, P | RW | G, RW);
    map4k(f, 0x00401000, 0x00201000, P | RW, RW);
    wr32(f, 0x00200000, 0xAAAA0000);
    wr32(f, 0x00201000, 0xBBBB0000);
    wr32(f, 0x00300000, 0xAAAA1111);
    wr32(f, 0x00301000, 0xBBBB1111);
    uint32_t v;
    mmu_read(&f->m, 0x00400000, 4, &v);
    EXPECT_EQ(v, 0xAAAA0000);
    mmu_read(&f->m, 0x00401000, 4, &v);
    EXPECT_EQ(v, 0xBBBB0000);
    EXPECT_EQ(f->m.global_pages, 1);
    /* remap both, then "load CR3" */
    map4k(f, 0x00400000, 0x00300000, P | RW | G, RW);
    map4k(f, 0x00401000, 0x00301000, P | RW, RW);
    mmu_flush(&f->m);
    mmu_read(&f->m, 0x00400000, 4, &v);
    EXPECT_EQ(v, 0xAAAA0000); /* global: still the old translation */
    mmu_read(&f->m, 0x00401000, 4, &v);
    EXPECT_EQ(v, 0xBBBB1111);
    /* INVLPG drops a global entry */
    mmu_invlpg(&f->m, 0x00400FFF);
    mmu_read(&f->m, 0x00400000, 4, &v);
    EXPECT_EQ(v, 0xAAAA1111);
    /* without PGE a CR3 load drops everything */
    map4k(f, 0x00400000, 0x00200000, P | RW | G, RW);
    f->s.cr4 = 0;
    mmu_flush(&f->m);
    mmu_read(&f->m, 0x00400000, 4, &v);
    EXPECT_EQ(v, 0xAAAA0000);
    EXPECT_EQ(f->m.global_pages, 0);
    /* mmu_flush_all (CR4.PGE or CR0.PG changes) drops global entries too */
    f->s.cr4 = CR4_PGE;
    mmu_flush_all(&f->m);
    mmu_read(&f->m, 0x00400000, 4, &v);
    map4k(f, 0x00400000, 0x00300000, P | RW | G, RW);
    mmu_flush_all(&f->m);
    mmu_read(&f->m, 0x00400000, 4, &v);
    EXPECT_EQ(v, 0xAAAA1111);
    fx_free(f);
}

TEST(mmu, invlpg_drops_every_piece_of_a_4m_page)
{
    Fx *f = fx_new();
    paging_on(f);
    f->s.cr4 = CR4_PSE;
    wr32(f, pde_addr(0x00400000), 0x00800000 | PS | RW | P);
    wr32(f, 0x00800000, 0x11111111);
    wr32(f, 0x00A01000, 0x22222222);
    wr32(f, 0x00C00000, 0x33333333);
    wr32(f, 0x00E01000, 0x44444444);
    uint32_t v;
    mmu_read(&f->m, 0x00400000, 4, &v);
    mmu_read(&f->m, 0x00601000, 4, &v);
    EXPECT_EQ(v, 0x22222222);
    EXPECT_EQ(f->m.large_pages, 2);
    wr32(f, pde_addr(0x00400000), 0x00C00000 | PS | RW | P);
    mmu_invlpg(&f->m, 0x00402000); /* a third 4 KB piece of the same 4 MB page */
    mmu_read(&f->m, 0x00400000, 4, &v);
    EXPECT_EQ(v, 0x33333333);
    mmu_read(&f->m, 0x00601000, 4, &v);
    EXPECT_EQ(v, 0x44444444);
    fx_free(f);
}

TEST(mmu, crossing_write_faulting_on_second_page_writes_nothing)
{
    Fx *f = fx_new();
    paging_on(f);
    map4k(f, 0x00400000, 0x00200000, P | RW | US, RW | US);
    map4k(f, 0x00401000, 0x00201000, 0, RW | US); /* not present */
    wr32(f, 0x00200FFC, 0x55555555);
    f->s.cpl = 3;
    EXPECT_EQ(mmu_write(&f->m, 0x00400FFE, 4, 0xAABBCCDD), 1);
    EXPECT_EQ(f->s.exc_vector, EXC_PF);
    EXPECT_EQ(f->s.exc_error, 0x6);
    EXPECT_EQ(f->s.cr2, 0x00401000); /* the first byte of the page that faulted */
    EXPECT_EQ(rd32(f, 0x00200FFC), 0x55555555);
    /* read-only second page: protection fault, still nothing written */
    map4k(f, 0x00401000, 0x00201000, P | US, RW | US);
    EXPECT_EQ(mmu_write(&f->m, 0x00400FFD, 4, 0xAABBCCDD), 1);
    EXPECT_EQ(f->s.exc_error, 0x7);
    EXPECT_EQ(rd32(f, 0x00200FFC), 0x55555555);
    /* probe agrees */
    EXPECT_EQ(mmu_probe_write(&f->m, 0x00400FFE, 4, ACC_USER), 1);
    EXPECT_EQ(mmu_probe_write(&f->m, 0x00400FFC, 4, ACC_USER), 0);
    fx_free(f);
}

TEST(mmu, crossing_access_joins_two_physical_pages)
{
    Fx *f = fx_new();
    paging_on(f);
    map4k(f, 0x00400000, 0x00205000, P | RW, RW); /* not adjacent physically */
    map4k(f, 0x00401000, 0x00202000, P | RW, RW);
    wr32(f, 0x00205FFC, 0x44332211);
    wr32(f, 0x00202000, 0x88776655);
    uint32_t v;
    EXPECT_EQ(mmu_read(&f->m, 0x00400FFE, 4, &v), 0);
    EXPECT_EQ(v, 0x66554433);
    EXPECT_EQ(mmu_read(&f->m, 0x00400FFF, 2, &v), 0);
    EXPECT_EQ(v, 0x5544);
    EXPECT_EQ(mmu_write(&f->m, 0x00400FFD, 4, 0xDDCCBBAA), 0);
    EXPECT_EQ(rd32(f, 0x00205FFC), 0xCCBBAA11);
    EXPECT_EQ(rd32(f, 0x00202000), 0x887766DD);
    EXPECT_EQ(rd32(f, pte_addr(0x00401000)) & D, D);
    fx_free(f);
}

typedef struct MmioDev {
    uint32_t last_addr, last_val;
    unsigned last_size;
    int reads, writes;
} MmioDev;

static uint32_t mmio_rd(void *opaque, uint32_t addr, unsigned size)
{
    MmioDev *d = opaque;
    d->reads++;
    d->last_addr = addr;
    d->last_size = size;
    return 0x12345678u & (size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1);
}

static void mmio_wr(void *opaque, uint32_t addr, uint32_t val, unsigned size)
{
    MmioDev *d = opaque;
    d->writes++;
    d->last_addr = addr;
    d->last_val = val;
    d->last_size = size;
}

TEST(mmu, mmio_dispatch_and_no_fast_entry)
{
    Fx *f = fx_new();
    static const IoOps ops = {mmio_rd, mmio_wr, 0};
    MmioDev dev = {0};
    EXPECT_TRUE(bus_register_mmio(&f->bus, 0xFEC00000u, 0x1000, &ops, &dev, "dev") >= 0);
    paging_on(f);
    map4k(f, 0x00400000, 0xFEC00000u, P | RW | A | D, RW);
    uint32_t v;
    EXPECT_EQ(mmu_read(&f->m, 0x00400010, 4, &v), 0);
    EXPECT_EQ(v, 0x12345678);
    EXPECT_EQ(dev.last_addr, 0x10);
    EXPECT_EQ(dev.last_size, 4);
    EXPECT_EQ(mmu_write(&f->m, 0x00400020, 2, 0xABCD), 0);
    EXPECT_EQ(dev.last_addr, 0x20);
    EXPECT_EQ(dev.last_val, 0xABCD);
    EXPECT_EQ(dev.last_size, 2);
    /* nothing was cached: the next access reaches the device again */
    EXPECT_EQ(f->m.rd[0][0x400 & (TLB_SIZE - 1)].tag, TLB_INVALID);
    EXPECT_EQ(f->m.wr[0][0x400 & (TLB_SIZE - 1)].tag, TLB_INVALID);
    mmu_read(&f->m, 0x00400010, 1, &v);
    EXPECT_EQ(dev.reads, 2);
    EXPECT_EQ(v, 0x78);
    fx_free(f);
}

TEST(mmu, rom_writes_dropped)
{
    Fx *f = fx_new();
    static uint8_t rom[4096];
    memset(rom, 0x5A, sizeof rom);
    bus_map_mem(&f->bus, 0x000F0000, 4096, rom, NULL);
    mmu_flush_all(&f->m);
    uint32_t v;
    EXPECT_EQ(mmu_write(&f->m, 0x000F0100, 4, 0x01020304), 0);
    EXPECT_EQ(mmu_read(&f->m, 0x000F0100, 4, &v), 0);
    EXPECT_EQ(v, 0x5A5A5A5A);
    EXPECT_EQ(f->m.wr[0][0xF0 & (TLB_SIZE - 1)].tag, TLB_INVALID);
    fx_free(f);
}

TEST(mmu, code_pages_get_no_fast_write_entry)
{
    Fx *f = fx_new();
    uint32_t v;
    /* an entry filled before the page held code is removed by mmu_protect_code_page */
    EXPECT_EQ(mmu_write(&f->m, 0x00007000, 4, 1), 0);
    EXPECT_EQ(f->m.wr[0][7].tag, 0x00007000);
    f->bus.code[7] = 1;
    mmu_protect_code_page(&f->m, 0x00007000);
    EXPECT_EQ(f->m.wr[0][7].tag, TLB_INVALID);
    EXPECT_EQ(f->m.rd[0][7].tag, 0x00007000); /* reads and fetches keep their entry */
    /* writes now take the slow path, which tells the CPU */
    EXPECT_EQ(mmu_write(&f->m, 0x00007004, 2, 0x4242), 0);
    EXPECT_EQ(f->code_writes, 1);
    EXPECT_EQ(f->last_code_page, 7);
    EXPECT_EQ(f->m.wr[0][7].tag, TLB_INVALID);
    EXPECT_EQ(mmu_read(&f->m, 0x00007004, 2, &v), 0);
    EXPECT_EQ(v, 0x4242);
    fx_free(f);
}

TEST(mmu, nofault_translation_for_the_debugger)
{
    Fx *f = fx_new();
    paging_on(f);
    map4k(f, 0x00400000, 0x00200000, P | RW, RW);
    f->s.cr2 = 0x1234;
    int rc;
    EXPECT_EQ(translate(f, 0x00400010, ACC_WRITE | ACC_NOFAULT, &rc), 0x00200010);
    EXPECT_EQ(rc, 0);
    EXPECT_EQ(rd32(f, pte_addr(0x00400000)) & (A | D), 0); /* no A/D */
    EXPECT_EQ(f->m.rd[0][0x400 & (TLB_SIZE - 1)].tag, TLB_INVALID); /* no fill */
    f->s.exc_vector = 0;
    translate(f, 0x00500000, ACC_READ | ACC_NOFAULT, &rc);
    EXPECT_EQ(rc, 1);
    EXPECT_EQ(f->s.cr2, 0x1234);
    EXPECT_EQ(f->s.exc_vector, 0);
    fx_free(f);
}

TEST(mmu, a20_masks_page_walks)
{
    Fx *f = fx_new();
    paging_on(f);
    map4k(f, 0x00400000, 0x00200000, P | RW, RW);
    /* move the directory to 0x110000: with the gate closed the walk reads 0x010000 */
    memcpy(f->bus.ram + 0x110000, f->bus.ram + PD_BASE, 4096);
    wr32(f, 0x110000 + 4, 0); /* the copy at 1 MB + 64 KB maps nothing */
    f->s.cr3 = 0x110000;
    bus_set_a20(&f->bus, false);
    mmu_flush_all(&f->m);
    int rc;
    EXPECT_EQ(translate(f, 0x00400010, ACC_READ, &rc), 0x00200010);
    EXPECT_EQ(rc, 0);
    bus_set_a20(&f->bus, true);
    mmu_flush_all(&f->m);
    translate(f, 0x00400010, ACC_READ, &rc);
    EXPECT_EQ(rc, 1);
    fx_free(f);
}

/* A copy between two pages with the same TLB index keeps the source in the read TLB and the
 * destination in the write TLB (no eviction ping-pong). */
TEST(mmu, colliding_source_and_destination_stay_cached)
{
    Fx *f = fx_new();
    uint32_t v;
    uint32_t src = 0x00100000, dst = 0x00200000; /* both index 0 */
    EXPECT_EQ(mmu_read(&f->m, src, 4, &v), 0);
    EXPECT_EQ(mmu_write(&f->m, dst, 4, v), 0);
    EXPECT_EQ(f->m.rd[0][0].tag, src);
    EXPECT_EQ(f->m.wr[0][0].tag, dst);
    EXPECT_EQ(mmu_read(&f->m, src + 4, 4, &v), 0);
    EXPECT_EQ(f->m.wr[0][0].tag, dst);
    fx_free(f);
}
