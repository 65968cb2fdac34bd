/* Memory through segments: the checks every data access makes before paging, ModRM effective
 * addresses, and the stack.
 *
 * Follows SDM vol. 3A 5.3 (limit checking, expand-down segments, the B flag), 5.4-5.5 (type
 * checking: no writes to code or read-only data, no reads of execute-only code), 3.4.3 (a null
 * selector leaves the descriptor cache invalid: any access through it is #GP(0)), and 20.1.1 / 6.15
 * for real mode (the 64 KB limit of the cached descriptor still applies: #GP(0), or #SS(0) for SS).
 * Every fault through SS is #SS(0), every other one #GP(0) (SDM vol. 3A 6.15, interrupts 12/13).
 *
 * The fast path is one lookup of the rights a descriptor type gives, a limit compare and the
 * inline TLB access of mmu/mmu.h. In real and V86 mode only the limit is checked: segments loaded
 * there are always readable and writable data (and CS may be written through an override).
 */
#include "cpu/cpu.h"

enum { SR_R = 1, SR_W = 2, SR_DOWN = 4 };

/* What a present code/data descriptor of each type allows (SDM vol. 3A table 3-1). */
static const uint8_t kTypeRights[16] = {
    SR_R,                SR_R,                /* read-only */
    SR_R | SR_W,         SR_R | SR_W,         /* read/write */
    SR_R | SR_DOWN,      SR_R | SR_DOWN,      /* read-only, expand-down */
    SR_R | SR_W | SR_DOWN, SR_R | SR_W | SR_DOWN, /* read/write, expand-down */
    0,    0,    SR_R, SR_R,                   /* code: execute-only, execute/read */
    0,    0,    SR_R, SR_R,                   /* conforming code */
};

static inline unsigned seg_rights(const Cpu *cpu, const SegReg *sr)
{
    if (cpu->mode != MODE_PROT) {
        return SR_R | SR_W;
    }
    /* not present (a null selector's invalid cache) or a system segment: nothing allowed */
    if ((sr->attr & (SEG_ATTR_P | SEG_ATTR_S)) != (SEG_ATTR_P | SEG_ATTR_S)) {
        return 0;
    }
    return kTypeRights[sr->attr & SEG_ATTR_TYPE];
}

static int seg_fault(Cpu *cpu, int seg)
{
    return seg == SEG_SS ? cpu_ss_fault(cpu, 0) : cpu_gp(cpu, 0);
}

static int seg_check_slow(Cpu *cpu, int seg, uint32_t off, unsigned size, unsigned need)
{
    const SegReg *sr = &cpu->s.seg[seg];
    unsigned r = seg_rights(cpu, sr);
    uint32_t last = size - 1;
    if ((r & need) != need) {
        return seg_fault(cpu, seg);
    }
    if (r & SR_DOWN) {
        /* valid offsets are limit+1 .. 0xFFFF, or .. 0xFFFFFFFF with the B flag (SDM 5.3) */
        uint32_t upper = (sr->attr & SEG_ATTR_DB) ? 0xFFFFFFFFu : 0xFFFFu;
        if (off <= sr->limit || off > upper || last > upper - off) {
            return seg_fault(cpu, seg);
        }
        return 0;
    }
    if (off > sr->limit || last > sr->limit - off) {
        return seg_fault(cpu, seg);
    }
    return 0;
}

/* Check an access of `size` bytes at seg:off needing the rights in `need`. */
static inline int seg_check(Cpu *cpu, int seg, uint32_t off, unsigned size, unsigned need)
{
    const SegReg *sr = &cpu->s.seg[seg];
    unsigned r = seg_rights(cpu, sr);
    if (__builtin_expect((r & (need | SR_DOWN)) == need && off <= sr->limit &&
                             size - 1 <= sr->limit - off,
                         1)) {
        return 0;
    }
    return seg_check_slow(cpu, seg, off, size, need);
}

/* #AC(0) for a misaligned access at CPL 3 with CR0.AM and EFLAGS.AC (SDM vol. 3A 6.15, int 17).
 * Departure: checked before paging, so #AC wins over a #PF of the same access, where the SDM's
 * priority table (6.9) puts the page fault first. */
static inline int align_check(Cpu *cpu, uint32_t lin, unsigned size)
{
    if (__builtin_expect((lin & (size - 1)) != 0, 0) && (cpu->s.cr0 & CR0_AM) &&
        (cpu->s.eflags & F_AC) && cpu->s.cpl == 3) {
        return cpu_raise(cpu, EXC_AC, 1, 0);
    }
    return 0;
}

int cpu_read(Cpu *cpu, int seg, uint32_t off, unsigned size, uint32_t *v)
{
    if (seg_check(cpu, seg, off, size, SR_R)) {
        return 1;
    }
    uint32_t lin = cpu->s.seg[seg].base + off;
    if (align_check(cpu, lin, size)) {
        return 1;
    }
    return mmu_read(&cpu->mmu, lin, size, v);
}

int cpu_write(Cpu *cpu, int seg, uint32_t off, unsigned size, uint32_t v)
{
    if (seg_check(cpu, seg, off, size, SR_W)) {
        return 1;
    }
    uint32_t lin = cpu->s.seg[seg].base + off;
    if (align_check(cpu, lin, size)) {
        return 1;
    }
    return mmu_write(&cpu->mmu, lin, size, v);
}

/* Would a write succeed? A hit in the write TLB answers without a walk. */
static int probe_lin(Cpu *cpu, uint32_t lin, unsigned size)
{
    Mmu *m = &cpu->mmu;
    int u = mmu_user(m);
    const TlbEntry *e = &m->wr[u][(lin >> 12) & (TLB_SIZE - 1)];
    if (e->tag == (lin & ~0xFFFu) && (lin & 0xFFF) <= 0x1000 - size) {
        return 0;
    }
    return mmu_probe_write(m, lin, size, u ? ACC_USER : 0);
}

int cpu_probe_write(Cpu *cpu, int seg, uint32_t off, unsigned size)
{
    if (seg_check(cpu, seg, off, size, SR_W)) {
        return 1;
    }
    uint32_t lin = cpu->s.seg[seg].base + off;
    if (align_check(cpu, lin, size)) {
        return 1;
    }
    return probe_lin(cpu, lin, size);
}

int cpu_read8(Cpu *cpu, int seg, uint32_t off, uint8_t *v)
{
    uint32_t t = 0;
    int r = cpu_read(cpu, seg, off, 1, &t);
    *v = (uint8_t)t;
    return r;
}

int cpu_read16(Cpu *cpu, int seg, uint32_t off, uint16_t *v)
{
    uint32_t t = 0;
    int r = cpu_read(cpu, seg, off, 2, &t);
    *v = (uint16_t)t;
    return r;
}

int cpu_read32(Cpu *cpu, int seg, uint32_t off, uint32_t *v)
{
    uint32_t t = 0;
    int r = cpu_read(cpu, seg, off, 4, &t);
    *v = t;
    return r;
}

int cpu_write8(Cpu *cpu, int seg, uint32_t off, uint8_t v)
{
    return cpu_write(cpu, seg, off, 1, v);
}

int cpu_write16(Cpu *cpu, int seg, uint32_t off, uint16_t v)
{
    return cpu_write(cpu, seg, off, 2, v);
}

int cpu_write32(Cpu *cpu, int seg, uint32_t off, uint32_t v)
{
    return cpu_write(cpu, seg, off, 4, v);
}

/* Linear accesses. `supervisor` makes an implicit supervisor access (descriptor tables, TSS:
 * SDM vol. 3A 4.6) even at CPL 3; otherwise the access has the current CPL's privilege. */
int cpu_lin_read(Cpu *cpu, uint32_t lin, unsigned size, bool supervisor, uint32_t *v)
{
    uint32_t t = 0;
    int r;
    if (supervisor && cpu->s.cpl == 3) {
        r = mmu_read_slow(&cpu->mmu, lin, size, ACC_READ, &t);
    } else {
        r = mmu_read(&cpu->mmu, lin, size, &t);
    }
    *v = t;
    return r;
}

int cpu_lin_write(Cpu *cpu, uint32_t lin, unsigned size, bool supervisor, uint32_t v)
{
    if (supervisor && cpu->s.cpl == 3) {
        return mmu_write_slow(&cpu->mmu, lin, size, ACC_WRITE, v);
    }
    return mmu_write(&cpu->mmu, lin, size, v);
}

/* ---- ModRM operands ---- */

/* base + (index << scale) + disp; 16-bit addressing keeps the low 16 bits, which depend only on
 * the low halves of the registers (SDM vol. 2A 2.1.5, vol. 1 3.7.5). */
uint32_t cpu_ea(const Cpu *cpu, const Insn *i)
{
    uint32_t ea = i->disp;
    if (i->base != EA_NONE) {
        ea += cpu->s.regs[i->base & 7];
    }
    if (i->index != EA_NONE) {
        ea += cpu->s.regs[i->index & 7] << (i->scale & 3);
    }
    return (i->flags & INSN_ADDR32) ? ea : (ea & 0xFFFFu);
}

static inline uint32_t reg_read(const Cpu *cpu, int n, unsigned size)
{
    switch (size) {
    case 1:
        return cpu_reg8(cpu, n);
    case 2:
        return cpu->s.regs[n] & 0xFFFFu;
    default:
        return cpu->s.regs[n];
    }
}

int cpu_read_rm(Cpu *cpu, const Insn *i, unsigned size, uint32_t *v)
{
    if (MODRM_MOD(i) == 3) {
        *v = reg_read(cpu, MODRM_RM(i), size);
        return 0;
    }
    return cpu_read(cpu, i->seg, cpu_ea(cpu, i), size, v);
}

int cpu_write_rm(Cpu *cpu, const Insn *i, unsigned size, uint32_t v)
{
    if (MODRM_MOD(i) == 3) {
        int n = MODRM_RM(i);
        switch (size) {
        case 1:
            cpu_set_reg8(cpu, n, (uint8_t)v);
            break;
        case 2:
            cpu_set_reg16(cpu, n, (uint16_t)v);
            break;
        default:
            cpu->s.regs[n] = v;
            break;
        }
        return 0;
    }
    return cpu_write(cpu, i->seg, cpu_ea(cpu, i), size, v);
}

int cpu_read_rm_rmw(Cpu *cpu, const Insn *i, unsigned size, uint32_t *v)
{
    if (MODRM_MOD(i) == 3) {
        *v = reg_read(cpu, MODRM_RM(i), size);
        return 0;
    }
    int seg = i->seg;
    uint32_t off = cpu_ea(cpu, i);
    /* a writable segment is a readable one (data read/write, or any segment in real mode) */
    if (seg_check(cpu, seg, off, size, SR_W)) {
        return 1;
    }
    uint32_t lin = cpu->s.seg[seg].base + off;
    if (align_check(cpu, lin, size) || probe_lin(cpu, lin, size)) {
        return 1;
    }
    return mmu_read(&cpu->mmu, lin, size, v);
}

/* ---- stack: SS:ESP with a 32-bit stack (B set), SS:SP wrapping at 64 KB otherwise ---- */

int cpu_push(Cpu *cpu, unsigned size, uint32_t v)
{
    uint32_t mask = cpu_sp_mask(cpu);
    uint32_t esp = cpu->s.regs[R_ESP];
    uint32_t nsp = (esp - size) & mask;
    /* the store comes first: ESP is unchanged if it faults (#SS(0) past the limit, or #PF) */
    int r = cpu_write(cpu, SEG_SS, nsp, size, v);
    if (r) {
        return r;
    }
    cpu->s.regs[R_ESP] = (esp & ~mask) | nsp;
    return 0;
}

int cpu_pop(Cpu *cpu, unsigned size, uint32_t *v)
{
    uint32_t mask = cpu_sp_mask(cpu);
    uint32_t esp = cpu->s.regs[R_ESP];
    int r = cpu_read(cpu, SEG_SS, esp & mask, size, v);
    if (r) {
        return r;
    }
    cpu->s.regs[R_ESP] = (esp & ~mask) | ((esp + size) & mask);
    return 0;
}

int cpu_stack_read(Cpu *cpu, uint32_t offset, unsigned size, uint32_t *v)
{
    uint32_t mask = cpu_sp_mask(cpu);
    return cpu_read(cpu, SEG_SS, (cpu->s.regs[R_ESP] + offset) & mask, size, v);
}

/* Near branches: the target is truncated to 16 bits with a 16-bit operand size and must lie
 * within the CS limit in every mode (SDM vol. 2A JMP/CALL/RET: "IF tempEIP is not within code
 * segment limit THEN #GP(0)"). */
int cpu_jump_near(Cpu *cpu, uint32_t target, unsigned osize)
{
    if (osize == 2) {
        target &= 0xFFFFu;
    }
    if (target > cpu->s.seg[SEG_CS].limit) {
        return cpu_gp(cpu, 0);
    }
    cpu->s.eip = target;
    return 0;
}
