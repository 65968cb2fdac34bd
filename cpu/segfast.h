/* Inline fast paths of the data accesses in cpu/segmem.c, for the instruction handlers.
 *
 * They cover the common case only and hand everything else to the full functions of
 * cpu/segmem.c, so the rules of SDM vol. 3A 5.3-5.5 (limits, expand-down, rights) and the
 * #AC and paging checks still live there: a fast path accepts an access only when segmem.c
 * would accept it too, and then does exactly what segmem.c would do.
 *   - Segment: a present data segment, expand-up (readable; writable for a write), or any
 *     segment outside protected mode, where segmem.c allows reads and writes; then the offset
 *     and the last byte within the limit. For a flat segment (limit 4 GB) that is the compare
 *     of a register with a constant.
 *   - #AC: an aligned access, or CR0.AM clear, cannot raise it.
 *   - Paging: a hit in the read or write TLB (the lookup of mmu/mmu.h's inline accesses), else
 *     mmu_read/mmu_write, which take their own slow path.
 */
#ifndef X86PC_CPU_SEGFAST_H
#define X86PC_CPU_SEGFAST_H

#include "cpu/cpu.h"

#define SEGF_LIKELY(x) __builtin_expect(!!(x), 1)
#define SEGF_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* descriptor attribute bits: P, S, code, expand-down, writable */
#define SEGF_RD_MASK 0x9Cu /* P S C E */
#define SEGF_RD_WANT 0x90u /* present data, expand-up */
#define SEGF_WR_MASK 0x9Eu /* P S C E W */
#define SEGF_WR_WANT 0x92u /* present writable data, expand-up */

static inline bool segf_ok(const Cpu *cpu, const SegReg *sr, uint32_t off, unsigned size,
                           unsigned mask, unsigned want)
{
    return ((sr->attr & mask) == want || cpu->mode != MODE_PROT) && off <= sr->limit &&
           size - 1 <= sr->limit - off;
}

static inline bool segf_align_ok(const Cpu *cpu, uint32_t lin, unsigned size)
{
    return !(lin & (size - 1)) || !(cpu->s.cr0 & CR0_AM);
}

/* offset of the ModRM memory operand (the same sum as cpu_ea); the _b and _bi forms are for a
 * 32-bit address with a base register and no index, and with both */
static inline uint32_t segf_ea_b(const Cpu *cpu, const Insn *i)
{
    return cpu->s.regs[i->base & 7] + i->disp;
}
static inline uint32_t segf_ea_bi(const Cpu *cpu, const Insn *i)
{
    return cpu->s.regs[i->base & 7] + (cpu->s.regs[i->index & 7] << (i->scale & 3)) + i->disp;
}
static inline uint32_t segf_ea(const Cpu *cpu, const Insn *i)
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

/* The TLB entry that serves an access at lin (mmu_read/mmu_write's lookup, with the CPL taken
 * from the CPU state the MMU also reads): NULL unless it hits for all `size` bytes. */
static inline const TlbEntry *segf_tlb(const Cpu *cpu, const TlbEntry (*tlb)[TLB_SIZE],
                                       uint32_t lin, unsigned size)
{
    const TlbEntry *e = &tlb[cpu->s.cpl == 3][(lin >> 12) & (TLB_SIZE - 1)];
    if (SEGF_LIKELY(e->tag == (lin & ~0xFFFu) && (lin & 0xFFF) <= 0x1000 - size)) {
        return e;
    }
    return NULL;
}

static inline uint32_t segf_load(const TlbEntry *e, uint32_t lin, unsigned size)
{
    const uint8_t *h = (const uint8_t *)(e->addend + lin);
    if (size == 1) {
        return *h;
    }
    if (size == 2) {
        uint16_t v16;
        memcpy(&v16, h, 2);
        return v16;
    }
    uint32_t v32;
    memcpy(&v32, h, 4);
    return v32;
}

static inline int segf_read(Cpu *cpu, int seg, uint32_t off, unsigned size, uint32_t *v)
{
    const SegReg *sr = &cpu->s.seg[seg];
    if (SEGF_LIKELY(segf_ok(cpu, sr, off, size, SEGF_RD_MASK, SEGF_RD_WANT))) {
        uint32_t lin = sr->base + off;
        if (SEGF_LIKELY(segf_align_ok(cpu, lin, size))) {
            const TlbEntry *e = segf_tlb(cpu, cpu->mmu.rd, lin, size);
            if (SEGF_LIKELY(e != NULL)) {
                *v = segf_load(e, lin, size);
                return 0;
            }
            return mmu_read(&cpu->mmu, lin, size, v);
        }
    }
    return cpu_read(cpu, seg, off, size, v);
}

static inline int segf_write(Cpu *cpu, int seg, uint32_t off, unsigned size, uint32_t v)
{
    const SegReg *sr = &cpu->s.seg[seg];
    if (SEGF_LIKELY(segf_ok(cpu, sr, off, size, SEGF_WR_MASK, SEGF_WR_WANT))) {
        uint32_t lin = sr->base + off;
        if (SEGF_LIKELY(segf_align_ok(cpu, lin, size))) {
            const TlbEntry *e = segf_tlb(cpu, cpu->mmu.wr, lin, size);
            if (SEGF_LIKELY(e != NULL)) {
                uint8_t *h = (uint8_t *)(e->addend + lin);
                if (size == 1) {
                    *h = (uint8_t)v;
                } else if (size == 2) {
                    uint16_t v16 = (uint16_t)v;
                    memcpy(h, &v16, 2);
                } else {
                    memcpy(h, &v, 4);
                }
                return 0;
            }
            return mmu_write(&cpu->mmu, lin, size, v);
        }
    }
    return cpu_write(cpu, seg, off, size, v);
}

/* Read for read-modify-write: a hit in the write TLB shows the store will succeed (what
 * cpu_read_rm_rmw's probe establishes), then the read goes through the read TLB as usual. */
static inline int segf_read_rmw(Cpu *cpu, const Insn *i, uint32_t off, unsigned size, uint32_t *v)
{
    const SegReg *sr = &cpu->s.seg[i->seg];
    if (SEGF_LIKELY(segf_ok(cpu, sr, off, size, SEGF_WR_MASK, SEGF_WR_WANT))) {
        uint32_t lin = sr->base + off;
        if (SEGF_LIKELY(segf_align_ok(cpu, lin, size) && segf_tlb(cpu, cpu->mmu.wr, lin, size))) {
            const TlbEntry *e = segf_tlb(cpu, cpu->mmu.rd, lin, size);
            if (SEGF_LIKELY(e != NULL)) {
                *v = segf_load(e, lin, size);
                return 0;
            }
            return mmu_read(&cpu->mmu, lin, size, v);
        }
    }
    return cpu_read_rm_rmw(cpu, i, size, v);
}

#endif
