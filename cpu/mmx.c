/* MMX technology: the 0F 60-7F, D1-FF forms on the MMX registers MM0-MM7, plus the integer
 * instructions SSE and SSE2 added on MMX registers (PSHUFW, PINSRW, PEXTRW, PMOVMSKB, PAVGx,
 * PMINx/PMAXx, PMULHUW, PSADBW, MOVNTQ, MASKMOVQ; PADDQ, PSUBQ, PMULUDQ), which the decoder
 * only hands over on a CPU model with those extensions.
 *
 * SDM vol. 1 chapter 9 and vol. 3 chapter 12: MMi is the significand of physical x87 register
 * Ri; writing it sets that register's sign and exponent to all ones. Every MMX instruction but
 * EMMS sets TOP to 0 and marks all eight registers full (their tags then follow their contents,
 * as cpu/x87.c keeps them); EMMS empties them all. #UD with CR0.EM, #NM with CR0.TS, then #MF
 * for a pending unmasked x87 exception when CR0.NE = 1 (with NE = 0 FERR# has already asked
 * for IRQ13 and the instruction proceeds, as for x87 instructions: see cpu/x87ops.c).
 * The FPU's instruction and operand pointers and opcode are left alone.
 *
 * Departure: 8-byte memory operands are not checked for alignment (#AC).
 */
#include "cpu/fp80.h"
#include "cpu/intops.h"
#include "cpu/packed.h"
#include "cpu/x87.h"
#include "cpu/x87ops.h"

/* ---- the registers and the x87 state they share ---- */

static uint64_t mm_get(const Cpu *cpu, int n)
{
    return cpu->s.fpu.st[n & 7].mant;
}

static void mm_set(Cpu *cpu, int n, uint64_t v)
{
    cpu->s.fpu.st[n & 7].mant = v;
    cpu->s.fpu.st[n & 7].sexp = 0xFFFF;
}

/* #UD, #NM, #MF in that order (SDM vol. 3 table 12-1) */
static int mmx_check(Cpu *cpu)
{
    const CpuState *s = &cpu->s;
    if (s->cr0 & CR0_EM) {
        return cpu_ud(cpu);
    }
    if (s->cr0 & CR0_TS) {
        return cpu_raise(cpu, EXC_NM, 0, 0);
    }
    if (x87_pending(&s->fpu) && (s->cr0 & CR0_NE)) {
        return cpu_raise(cpu, EXC_MF, 0, 0);
    }
    return 0;
}

/* the x87-to-MMX transition after the instruction: TOP = 0, every register full */
static void mmx_done(Cpu *cpu)
{
    FpuState *f = &cpu->s.fpu;
    uint16_t tw = 0;
    for (int p = 0; p < 8; p++) {
        unsigned tag;
        switch (fp80_classify(f->st[p])) {
        case FP_CLASS_NORMAL:
            tag = X87_TAG_VALID;
            break;
        case FP_CLASS_ZERO:
            tag = X87_TAG_ZERO;
            break;
        default:
            tag = X87_TAG_SPECIAL;
            break;
        }
        tw |= (uint16_t)(tag << (2 * p));
    }
    f->tw = tw;
    f->top = 0;
}

/* ---- operands ---- */

/* the Qq (or, with size 4, Qd) source: MMX register ModRM.rm or memory */
static int mmx_read_src(Cpu *cpu, const Insn *i, unsigned size, uint64_t *v)
{
    if (MODRM_MOD(i) == 3) {
        *v = mm_get(cpu, MODRM_RM(i));
        return 0;
    }
    uint8_t b[8] = {0};
    if (x87_mem_read(cpu, i->seg, cpu_ea(cpu, i), size, b)) {
        return 1;
    }
    uint64_t r = 0;
    for (unsigned k = 0; k < 8; k++) {
        r |= (uint64_t)b[k] << (8 * k);
    }
    *v = r;
    return 0;
}

static int mmx_write_mem64(Cpu *cpu, const Insn *i, uint64_t v)
{
    uint8_t b[8];
    for (unsigned k = 0; k < 8; k++) {
        b[k] = (uint8_t)(v >> (8 * k));
    }
    uint32_t off = cpu_ea(cpu, i);
    if (x87_mem_probe(cpu, i->seg, off, 8)) {
        return 1;
    }
    return x87_mem_write(cpu, i->seg, off, 8, b);
}

/* ---- the generic forms ---- */

/* MMi := MMi op Qq (Qd for the low unpacks, which read 32 bits of memory) */
static int mmx_binop(Cpu *cpu, const Insn *i, PackedOp fn, unsigned memsize)
{
    uint64_t src;
    if (mmx_check(cpu) || mmx_read_src(cpu, i, memsize, &src)) {
        return 1;
    }
    Xmm d = {.q = {mm_get(cpu, MODRM_REG(i)), 0}}, s = {.q = {src, 0}};
    fn(&d, &s, 8);
    mm_set(cpu, MODRM_REG(i), d.q[0]);
    mmx_done(cpu);
    return 0;
}

/* shift MMi by the count in Qq */
static int mmx_shift(Cpu *cpu, const Insn *i, PackedShift fn)
{
    uint64_t count;
    if (mmx_check(cpu) || mmx_read_src(cpu, i, 8, &count)) {
        return 1;
    }
    Xmm d = {.q = {mm_get(cpu, MODRM_REG(i)), 0}};
    fn(&d, count, 8);
    mm_set(cpu, MODRM_REG(i), d.q[0]);
    mmx_done(cpu);
    return 0;
}

/* shift MM(rm) by imm8 (0F 71-73 group, register forms only) */
static int mmx_shift_imm(Cpu *cpu, const Insn *i, PackedShift fn)
{
    if (mmx_check(cpu)) {
        return 1;
    }
    Xmm d = {.q = {mm_get(cpu, MODRM_RM(i)), 0}};
    fn(&d, i->imm & 0xFF, 8);
    mm_set(cpu, MODRM_RM(i), d.q[0]);
    mmx_done(cpu);
    return 0;
}

#define MMX_BINOPS(X)                                                                            \
    X(PUNPCKLBW_Pq, punpcklbw, 4) X(PUNPCKLWD_Pq, punpcklwd, 4) X(PUNPCKLDQ_Pq, punpckldq, 4)    \
    X(PUNPCKHBW_Pq, punpckhbw, 8) X(PUNPCKHWD_Pq, punpckhwd, 8) X(PUNPCKHDQ_Pq, punpckhdq, 8)    \
    X(PACKSSWB_Pq, packsswb, 8) X(PACKSSDW_Pq, packssdw, 8) X(PACKUSWB_Pq, packuswb, 8)          \
    X(PCMPGTB_Pq, pcmpgtb, 8) X(PCMPGTW_Pq, pcmpgtw, 8) X(PCMPGTD_Pq, pcmpgtd, 8)                \
    X(PCMPEQB_Pq, pcmpeqb, 8) X(PCMPEQW_Pq, pcmpeqw, 8) X(PCMPEQD_Pq, pcmpeqd, 8)                \
    X(PMULLW_Pq, pmullw, 8) X(PMULHW_Pq, pmulhw, 8) X(PMADDWD_Pq, pmaddwd, 8)                    \
    X(PSUBUSB_Pq, psubusb, 8) X(PSUBUSW_Pq, psubusw, 8) X(PADDUSB_Pq, paddusb, 8)                \
    X(PADDUSW_Pq, paddusw, 8) X(PSUBSB_Pq, psubsb, 8) X(PSUBSW_Pq, psubsw, 8)                    \
    X(PADDSB_Pq, paddsb, 8) X(PADDSW_Pq, paddsw, 8)                                              \
    X(PAND_Pq, pand, 8) X(PANDN_Pq, pandn, 8) X(POR_Pq, por, 8) X(PXOR_Pq, pxor, 8)              \
    X(PSUBB_Pq, psubb, 8) X(PSUBW_Pq, psubw, 8) X(PSUBD_Pq, psubd, 8)                            \
    X(PADDB_Pq, paddb, 8) X(PADDW_Pq, paddw, 8) X(PADDD_Pq, paddd, 8)                            \
    /* SSE and SSE2 on MMX registers */                                                          \
    X(PMINUB_Pq, pminub, 8) X(PMAXUB_Pq, pmaxub, 8) X(PMINSW_Pq, pminsw, 8)                      \
    X(PMAXSW_Pq, pmaxsw, 8) X(PAVGB_Pq, pavgb, 8) X(PAVGW_Pq, pavgw, 8)                          \
    X(PMULHUW_Pq, pmulhuw, 8) X(PSADBW_Pq, psadbw, 8)                                            \
    X(PADDQ_Pq, paddq, 8) X(PSUBQ_Pq, psubq, 8) X(PMULUDQ_Pq, pmuludq, 8)

#define MMX_SHIFTS(X)                                                                            \
    X(PSRLW_Pq, psrlw) X(PSRLD_Pq, psrld) X(PSRLQ_Pq, psrlq) X(PSRAW_Pq, psraw)                  \
    X(PSRAD_Pq, psrad) X(PSLLW_Pq, psllw) X(PSLLD_Pq, pslld) X(PSLLQ_Pq, psllq)

#define MMX_SHIFTS_IMM(X)                                                                        \
    X(PSRLW_NqIb, psrlw) X(PSRAW_NqIb, psraw) X(PSLLW_NqIb, psllw) X(PSRLD_NqIb, psrld)          \
    X(PSRAD_NqIb, psrad) X(PSLLD_NqIb, pslld) X(PSRLQ_NqIb, psrlq) X(PSLLQ_NqIb, psllq)

#define DEFINE_BINOP(name, fn, memsize)                                                          \
    int op_##name(Cpu *cpu, const Insn *i)                                                       \
    {                                                                                            \
        return mmx_binop(cpu, i, pk_##fn, memsize);                                              \
    }
#define DEFINE_SHIFT(name, fn)                                                                   \
    int op_##name(Cpu *cpu, const Insn *i)                                                       \
    {                                                                                            \
        return mmx_shift(cpu, i, pk_##fn);                                                       \
    }
#define DEFINE_SHIFT_IMM(name, fn)                                                               \
    int op_##name(Cpu *cpu, const Insn *i)                                                       \
    {                                                                                            \
        return mmx_shift_imm(cpu, i, pk_##fn);                                                   \
    }
MMX_BINOPS(DEFINE_BINOP)
MMX_SHIFTS(DEFINE_SHIFT)
MMX_SHIFTS_IMM(DEFINE_SHIFT_IMM)

/* ---- moves ---- */

int op_MOVD_PqEd(Cpu *cpu, const Insn *i)
{
    uint32_t v;
    if (mmx_check(cpu) || rm_read(cpu, i, 4, &v)) {
        return 1;
    }
    mm_set(cpu, MODRM_REG(i), v);
    mmx_done(cpu);
    return 0;
}

int op_MOVD_EdPq(Cpu *cpu, const Insn *i)
{
    if (mmx_check(cpu) || rm_write(cpu, i, 4, (uint32_t)mm_get(cpu, MODRM_REG(i)))) {
        return 1;
    }
    mmx_done(cpu);
    return 0;
}

int op_MOVQ_PqQq(Cpu *cpu, const Insn *i)
{
    uint64_t v;
    if (mmx_check(cpu) || mmx_read_src(cpu, i, 8, &v)) {
        return 1;
    }
    mm_set(cpu, MODRM_REG(i), v);
    mmx_done(cpu);
    return 0;
}

int op_MOVQ_QqPq(Cpu *cpu, const Insn *i)
{
    if (mmx_check(cpu)) {
        return 1;
    }
    uint64_t v = mm_get(cpu, MODRM_REG(i));
    if (MODRM_MOD(i) == 3) {
        mm_set(cpu, MODRM_RM(i), v);
    } else if (mmx_write_mem64(cpu, i, v)) {
        return 1;
    }
    mmx_done(cpu);
    return 0;
}

/* MOVNTQ m64, mm: a plain store here (no caches to bypass) */
int op_MOVNTQ(Cpu *cpu, const Insn *i)
{
    if (mmx_check(cpu) || mmx_write_mem64(cpu, i, mm_get(cpu, MODRM_REG(i)))) {
        return 1;
    }
    mmx_done(cpu);
    return 0;
}

/* EMMS: every tag empty; TOP and the registers stay */
int op_EMMS(Cpu *cpu, const Insn *i)
{
    (void)i;
    if (mmx_check(cpu)) {
        return 1;
    }
    cpu->s.fpu.tw = 0xFFFF;
    return 0;
}

/* ---- SSE integer instructions on MMX registers ---- */

int op_PSHUFW(Cpu *cpu, const Insn *i)
{
    uint64_t src;
    if (mmx_check(cpu) || mmx_read_src(cpu, i, 8, &src)) {
        return 1;
    }
    uint64_t r = 0;
    for (unsigned k = 0; k < 4; k++) {
        unsigned sel = (i->imm >> (2 * k)) & 3;
        r |= ((src >> (16 * sel)) & 0xFFFF) << (16 * k);
    }
    mm_set(cpu, MODRM_REG(i), r);
    mmx_done(cpu);
    return 0;
}

/* PINSRW mm, r32/m16, imm8: the low word of the source into word imm8 & 3 */
int op_PINSRW_Pq(Cpu *cpu, const Insn *i)
{
    uint32_t v;
    if (mmx_check(cpu)) {
        return 1;
    }
    if (MODRM_MOD(i) == 3) {
        v = cpu->s.regs[MODRM_RM(i)];
    } else if (cpu_read(cpu, i->seg, cpu_ea(cpu, i), 2, &v)) {
        return 1;
    }
    unsigned sh = 16 * (i->imm & 3);
    uint64_t m = mm_get(cpu, MODRM_REG(i));
    m = (m & ~(0xFFFFull << sh)) | ((uint64_t)(v & 0xFFFF) << sh);
    mm_set(cpu, MODRM_REG(i), m);
    mmx_done(cpu);
    return 0;
}

/* PEXTRW r32, mm, imm8: word imm8 & 3, zero-extended */
int op_PEXTRW_Pq(Cpu *cpu, const Insn *i)
{
    if (mmx_check(cpu)) {
        return 1;
    }
    uint64_t m = mm_get(cpu, MODRM_RM(i));
    cpu->s.regs[MODRM_REG(i)] = (uint32_t)((m >> (16 * (i->imm & 3))) & 0xFFFF);
    mmx_done(cpu);
    return 0;
}

/* PMOVMSKB r32, mm: the byte sign bits */
int op_PMOVMSKB_Pq(Cpu *cpu, const Insn *i)
{
    if (mmx_check(cpu)) {
        return 1;
    }
    uint64_t m = mm_get(cpu, MODRM_RM(i));
    uint32_t r = 0;
    for (unsigned k = 0; k < 8; k++) {
        r |= (uint32_t)((m >> (8 * k + 7)) & 1) << k;
    }
    cpu->s.regs[MODRM_REG(i)] = r;
    mmx_done(cpu);
    return 0;
}

/* MASKMOVQ mm1, mm2: the bytes of mm1 whose mask byte in mm2 has its top bit set go to
 * DS:(E)DI (segment overridable). Departure: every byte's write is checked before the first
 * one is written, also for bytes the mask leaves out. */
int op_MASKMOVQ(Cpu *cpu, const Insn *i)
{
    if (mmx_check(cpu)) {
        return 1;
    }
    uint64_t data = mm_get(cpu, MODRM_REG(i)), mask = mm_get(cpu, MODRM_RM(i));
    int seg = src_seg(i);
    uint32_t off = cpu->s.regs[R_EDI] & addr_mask(i);
    if (mask & 0x8080808080808080ull) {
        if (x87_mem_probe(cpu, seg, off, 8)) {
            return 1;
        }
        for (unsigned k = 0; k < 8; k++) {
            if ((mask >> (8 * k + 7)) & 1) {
                if (cpu_write(cpu, seg, off + k, 1, (uint32_t)(data >> (8 * k)) & 0xFF)) {
                    return 1;
                }
            }
        }
    }
    mmx_done(cpu);
    return 0;
}
