/* The x87 instruction set on FpuState (see x87.h), following the SDM vol. 2 pages of each
 * instruction and vol. 1 chapter 8 (stack faults 8.5.1.1, masked responses 8.5, the state
 * images of figures 8-9 to 8-12, FXSAVE table 10-2). Arithmetic is cpu/fp80.c.
 *
 * Tags: FpuState.tw holds the full 2-bit tags, kept equal to what the hardware would report:
 * every register write recomputes its tag from the value, so images store it as it is. Like
 * the P6, which keeps only an empty/full bit per register, loads of a tag word (FLDENV,
 * FRSTOR, FXRSTOR) honour "empty" and recompute every other tag from the register.
 *
 * Exceptions: an unmasked IE (stack fault or invalid operand), DE or ZE leaves the registers,
 * TOP and memory untouched; an unmasked OE or UE stores the biased result to a register, but
 * nothing to memory; an unmasked PE stores normally. ES and B follow the unmasked flags.
 */
#include "cpu/x87.h"

#include <string.h>

#include "cpu/fp80.h"

/* ---- registers, tags and the status word ---- */

static int phys(const FpuState *f, int i)
{
    return (f->top + i) & 7;
}

int x87_tag(const FpuState *f, int p)
{
    return (f->tw >> (2 * p)) & 3;
}

static void tag_set(FpuState *f, int p, int tag)
{
    f->tw = (uint16_t)((f->tw & ~(3u << (2 * p))) | ((unsigned)tag << (2 * p)));
}

static int tag_of(Float80 v)
{
    switch (fp80_classify(v)) {
    case FP_CLASS_ZERO:
        return X87_TAG_ZERO;
    case FP_CLASS_NORMAL:
        return X87_TAG_VALID;
    default:
        return X87_TAG_SPECIAL;
    }
}

static int st_empty(const FpuState *f, int i)
{
    return x87_tag(f, phys(f, i)) == X87_TAG_EMPTY;
}

static Float80 st_get(const FpuState *f, int i)
{
    return f->st[phys(f, i)];
}

static void st_set(FpuState *f, int i, Float80 v)
{
    int p = phys(f, i);
    f->st[p] = v;
    tag_set(f, p, tag_of(v));
}

static void st_push(FpuState *f, Float80 v)
{
    f->top = (uint8_t)((f->top - 1) & 7);
    st_set(f, 0, v);
}

static void st_pop(FpuState *f)
{
    tag_set(f, f->top, X87_TAG_EMPTY);
    f->top = (uint8_t)((f->top + 1) & 7);
}

uint16_t x87_status_word(const FpuState *f)
{
    return (uint16_t)((f->sw & ~X87_SW_TOP) | ((f->top & 7u) << 11));
}

uint16_t x87_tag_word(const FpuState *f)
{
    uint16_t tw = 0;
    for (int p = 0; p < 8; p++) {
        int t = x87_tag(f, p) == X87_TAG_EMPTY ? X87_TAG_EMPTY : tag_of(f->st[p]);
        tw |= (uint16_t)(t << (2 * p));
    }
    return tw;
}

int x87_pending(const FpuState *f)
{
    return (f->sw & X87_SW_ES) != 0;
}

int x87_ferr(const FpuState *f)
{
    return x87_pending(f);
}

/* a control word as stored: reserved bits 7 and 13-15 read as 0, bit 6 as 1 */
static uint16_t cw_sanitise(uint16_t cw)
{
    return (uint16_t)((cw & 0x1F3F) | 0x0040);
}

/* ES and B summarise the unmasked exception flags */
static void update_es(FpuState *f)
{
    if (f->sw & ~f->cw & 0x3F) {
        f->sw |= X87_SW_ES | X87_SW_B;
    } else {
        f->sw &= (uint16_t) ~(X87_SW_ES | X87_SW_B);
    }
}

static void raise_flags(FpuState *f, unsigned flags)
{
    f->sw |= (uint16_t)flags;
    if (f->sw & ~f->cw & 0x3F) {
        f->sw |= X87_SW_ES | X87_SW_B;
    }
}

static void set_c1(FpuState *f, int c1)
{
    f->sw = (uint16_t)((f->sw & ~X87_SW_C1) | (c1 ? X87_SW_C1 : 0));
}

static void set_cc(FpuState *f, unsigned cc)
{
    f->sw = (uint16_t)((f->sw & ~(X87_SW_C0 | X87_SW_C1 | X87_SW_C2 | X87_SW_C3)) | cc);
}

static int masked(const FpuState *f, unsigned flag)
{
    return (f->cw & flag) != 0;
}

/* Stack underflow (an empty source) and overflow (a push onto a full register): IE with SF,
 * C1 = 0 or 1. Returns 1 when IE is masked and the masked response (indefinite) applies. */
static int stack_underflow(FpuState *f)
{
    raise_flags(f, X87_SW_IE | X87_SW_SF);
    set_c1(f, 0);
    return masked(f, X87_SW_IE);
}

static int stack_overflow(FpuState *f)
{
    raise_flags(f, X87_SW_IE | X87_SW_SF);
    set_c1(f, 1);
    return masked(f, X87_SW_IE);
}

/* Records an operation's flags and C1; returns 1 when its result may be stored. */
static int commit(FpuState *f, const Fp80Ctx *c)
{
    raise_flags(f, c->flags);
    set_c1(f, c->c1);
    return !fp80_unmasked_fault(c);
}

/* memory results are also dropped on unmasked overflow and underflow */
static int commit_mem(FpuState *f, const Fp80Ctx *c)
{
    int ok = commit(f, c);
    return ok && !(c->flags & ~c->mask & (FP_E_OVERFLOW | FP_E_UNDERFLOW));
}

void x87_init(FpuState *f)
{
    f->cw = 0x037F;
    f->sw = 0;
    f->tw = 0xFFFF;
    f->top = 0;
    f->fop = 0;
    f->fip = f->fdp = 0;
    f->fcs = f->fds = 0;
}

void x87_reset(FpuState *f)
{
    memset(f->st, 0, sizeof f->st);
    x87_init(f);
    f->cw = 0x0040;
}

/* ---- little-endian memory helpers ---- */

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16;
}

static uint64_t rd64(const uint8_t *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static void wr16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void wr32(uint8_t *p, uint32_t v)
{
    wr16(p, v);
    wr16(p + 2, v >> 16);
}

static void wr64(uint8_t *p, uint64_t v)
{
    wr32(p, (uint32_t)v);
    wr32(p + 4, (uint32_t)(v >> 32));
}

static Float80 rd80(const uint8_t *p)
{
    Float80 v = {rd64(p), rd16(p + 8)};
    return v;
}

static void wr80(uint8_t *p, Float80 v)
{
    wr64(p, v.mant);
    wr16(p + 8, v.sexp);
}

/* ---- environment images ---- */

int x87_store_env(const FpuState *f, uint8_t *b, int opsize32, int pmode)
{
    uint16_t sw = x87_status_word(f), tw = x87_tag_word(f);
    uint32_t fop = f->fop & 0x7FFu;
    if (opsize32) {
        /* reserved upper halves read as ones */
        wr32(b + 0, 0xFFFF0000u | f->cw);
        wr32(b + 4, 0xFFFF0000u | sw);
        wr32(b + 8, 0xFFFF0000u | tw);
        if (pmode) {
            wr32(b + 12, f->fip);
            wr32(b + 16, f->fcs | fop << 16);
            wr32(b + 20, f->fdp);
            wr32(b + 24, 0xFFFF0000u | f->fds);
        } else {
            uint32_t ip = ((uint32_t)f->fcs << 4) + f->fip, dp = ((uint32_t)f->fds << 4) + f->fdp;
            wr32(b + 12, 0xFFFF0000u | (ip & 0xFFFF));
            wr32(b + 16, fop | (ip >> 16) << 12);
            wr32(b + 20, 0xFFFF0000u | (dp & 0xFFFF));
            wr32(b + 24, (dp >> 16) << 12);
        }
        return 28;
    }
    wr16(b + 0, f->cw);
    wr16(b + 2, sw);
    wr16(b + 4, tw);
    if (pmode) {
        wr16(b + 6, f->fip);
        wr16(b + 8, f->fcs);
        wr16(b + 10, f->fdp);
        wr16(b + 12, f->fds);
    } else {
        uint32_t ip = ((uint32_t)f->fcs << 4) + f->fip, dp = ((uint32_t)f->fds << 4) + f->fdp;
        wr16(b + 6, ip);
        wr16(b + 8, fop | ((ip >> 16) & 0xF) << 12);
        wr16(b + 10, dp);
        wr16(b + 12, ((dp >> 16) & 0xF) << 12);
    }
    return 14;
}

/* a loaded tag word: empty is honoured, the rest is recomputed from the registers */
static void load_tags(FpuState *f, uint16_t tw)
{
    for (int p = 0; p < 8; p++) {
        int t = (tw >> (2 * p)) & 3;
        tag_set(f, p, t == X87_TAG_EMPTY ? X87_TAG_EMPTY : tag_of(f->st[p]));
    }
}

static void load_env_words(FpuState *f, const uint8_t *b, int opsize32, int pmode, uint16_t *tw)
{
    uint16_t sw;
    if (opsize32) {
        f->cw = cw_sanitise(rd16(b + 0));
        sw = rd16(b + 4);
        *tw = rd16(b + 8);
        if (pmode) {
            f->fip = rd32(b + 12);
            f->fcs = rd16(b + 16);
            f->fop = (rd32(b + 16) >> 16) & 0x7FF;
            f->fdp = rd32(b + 20);
            f->fds = rd16(b + 24);
        } else {
            f->fip = rd16(b + 12) | ((rd32(b + 16) >> 12) & 0xFFFF) << 16;
            f->fop = rd16(b + 16) & 0x7FF;
            f->fdp = rd16(b + 20) | ((rd32(b + 24) >> 12) & 0xFFFF) << 16;
            f->fcs = f->fds = 0;
        }
    } else {
        f->cw = cw_sanitise(rd16(b + 0));
        sw = rd16(b + 2);
        *tw = rd16(b + 4);
        if (pmode) {
            f->fip = rd16(b + 6);
            f->fcs = rd16(b + 8);
            f->fdp = rd16(b + 10);
            f->fds = rd16(b + 12);
        } else {
            f->fip = rd16(b + 6) | (uint32_t)(rd16(b + 8) >> 12) << 16;
            f->fop = rd16(b + 8) & 0x7FF;
            f->fdp = rd16(b + 10) | (uint32_t)(rd16(b + 12) >> 12) << 16;
            f->fcs = f->fds = 0;
        }
    }
    f->top = (sw >> 11) & 7;
    f->sw = sw & (uint16_t)~X87_SW_TOP;
    update_es(f);
}

void x87_load_env(FpuState *f, const uint8_t *b, int opsize32, int pmode)
{
    uint16_t tw;
    load_env_words(f, b, opsize32, pmode, &tw);
    load_tags(f, tw);
}

int x87_fsave_image(const FpuState *f, uint8_t *b, int opsize32, int pmode)
{
    int n = x87_store_env(f, b, opsize32, pmode);
    for (int i = 0; i < 8; i++) {
        wr80(b + n + 10 * i, st_get(f, i));
    }
    return n + 80;
}

void x87_frstor_image(FpuState *f, const uint8_t *b, int opsize32, int pmode)
{
    uint16_t tw;
    int n = opsize32 ? 28 : 14;
    load_env_words(f, b, opsize32, pmode, &tw);
    for (int i = 0; i < 8; i++) {
        f->st[phys(f, i)] = rd80(b + n + 10 * i);
    }
    load_tags(f, tw);
}

/* ---- FXSAVE / FXRSTOR ---- */

void x87_fxsave(const FpuState *f, uint32_t mxcsr, const Xmm *xmm, int with_sse, uint8_t img[512])
{
    uint8_t ftw = 0;
    memset(img, 0, 288);
    for (int p = 0; p < 8; p++) {
        if (x87_tag(f, p) != X87_TAG_EMPTY) {
            ftw |= (uint8_t)(1u << p);
        }
    }
    wr16(img + 0, f->cw);
    wr16(img + 2, x87_status_word(f));
    img[4] = ftw;
    wr16(img + 6, f->fop & 0x7FFu);
    wr32(img + 8, f->fip);
    wr16(img + 12, f->fcs);
    wr32(img + 16, f->fdp);
    wr16(img + 20, f->fds);
    if (with_sse) {
        wr32(img + 24, mxcsr);
        wr32(img + 28, X87_MXCSR_MASK);
    }
    for (int i = 0; i < 8; i++) {
        wr80(img + 32 + 16 * i, st_get(f, i));
    }
    if (with_sse) {
        for (int i = 0; i < 8; i++) {
            memcpy(img + 160 + 16 * i, xmm[i].b, 16);
        }
    }
}

int x87_fxrstor(FpuState *f, uint32_t *mxcsr, Xmm *xmm, int with_sse, const uint8_t img[512])
{
    if (with_sse && (rd32(img + 24) & ~X87_MXCSR_MASK)) {
        return -1;
    }
    uint16_t sw = rd16(img + 2);
    f->cw = cw_sanitise(rd16(img + 0));
    f->top = (sw >> 11) & 7;
    f->sw = sw & (uint16_t)~X87_SW_TOP;
    f->fop = rd16(img + 6) & 0x7FF;
    f->fip = rd32(img + 8);
    f->fcs = rd16(img + 12);
    f->fdp = rd32(img + 16);
    f->fds = rd16(img + 20);
    for (int i = 0; i < 8; i++) {
        f->st[phys(f, i)] = rd80(img + 32 + 16 * i);
    }
    for (int p = 0; p < 8; p++) {
        tag_set(f, p, (img[4] >> p) & 1 ? tag_of(f->st[p]) : X87_TAG_EMPTY);
    }
    update_es(f);
    if (with_sse) {
        *mxcsr = rd32(img + 24);
        for (int i = 0; i < 8; i++) {
            memcpy(xmm[i].b, img + 160 + 16 * i, 16);
        }
    }
    return 0;
}

/* ---- instruction classification ---- */

static int is_reserved(unsigned op, unsigned modrm)
{
    unsigned reg = (modrm >> 3) & 7;
    if (modrm < 0xC0) {
        switch (op) {
        case 1:
            return reg == 1;
        case 3:
            return reg == 1 || reg == 4 || reg == 6; /* FISTTP is SSE3 */
        case 5:
            return reg == 1 || reg == 5;
        case 7:
            return reg == 1;
        default:
            return 0;
        }
    }
    switch (op) {
    case 1:
        return (modrm >= 0xD1 && modrm <= 0xD7) || modrm == 0xE2 || modrm == 0xE3 ||
               modrm == 0xE6 || modrm == 0xE7 || modrm == 0xEF;
    case 2:
        return modrm >= 0xE0 && modrm != 0xE9;
    case 3:
        return (modrm >= 0xE5 && modrm <= 0xE7) || modrm >= 0xF8;
    case 5:
        return modrm >= 0xF0;
    case 6:
        return modrm >= 0xD8 && modrm <= 0xDF && modrm != 0xD9;
    case 7:
        return (modrm >= 0xE1 && modrm <= 0xE7) || modrm >= 0xF8;
    default:
        return 0;
    }
}

/* control instructions leave the instruction/operand pointers and opcode alone */
static int is_control(unsigned op, unsigned modrm)
{
    unsigned reg = (modrm >> 3) & 7;
    if (modrm < 0xC0) {
        return (op == 1 && reg >= 4) || (op == 5 && (reg == 4 || reg == 6 || reg == 7));
    }
    return (op == 3 && modrm >= 0xE0 && modrm <= 0xE4) || (op == 7 && modrm == 0xE0);
}

int x87_insn_waits(uint8_t op, uint8_t modrm)
{
    unsigned o = op & 7, reg = (modrm >> 3) & 7;
    if (modrm < 0xC0) {
        return !((o == 1 && (reg == 6 || reg == 7)) || (o == 5 && (reg == 6 || reg == 7)));
    }
    return !((o == 3 && modrm >= 0xE0 && modrm <= 0xE4) || (o == 7 && modrm == 0xE0));
}

void x87_mem_access(uint8_t op, uint8_t modrm, int opsize32, int *load, int *store)
{
    static const uint8_t kArith[8] = {4, 0, 4, 0, 8, 0, 2, 0}; /* D8 DA DC DE */
    unsigned o = op & 7, reg = (modrm >> 3) & 7;
    int env = opsize32 ? 28 : 14;
    *load = *store = 0;
    if (modrm >= 0xC0) {
        return;
    }
    if (!(o & 1)) {
        *load = kArith[o];
        return;
    }
    switch (o) {
    case 1: {
        static const int8_t kL[8] = {4, 0, 0, 0, -1, 2, 0, 0};
        static const int8_t kS[8] = {0, 0, 4, 4, 0, 0, -1, 2};
        *load = kL[reg] < 0 ? env : kL[reg];
        *store = kS[reg] < 0 ? env : kS[reg];
        break;
    }
    case 3: {
        static const uint8_t kL[8] = {4, 0, 0, 0, 0, 10, 0, 0};
        static const uint8_t kS[8] = {0, 0, 4, 4, 0, 0, 0, 10};
        *load = kL[reg];
        *store = kS[reg];
        break;
    }
    case 5: {
        static const int8_t kL[8] = {8, 0, 0, 0, -1, 0, 0, 0};
        static const int8_t kS[8] = {0, 0, 8, 8, 0, 0, -1, 2};
        *load = kL[reg] < 0 ? env + 80 : kL[reg];
        *store = kS[reg] < 0 ? env + 80 : kS[reg];
        break;
    }
    default: {
        static const uint8_t kL[8] = {2, 0, 0, 0, 10, 8, 0, 0};
        static const uint8_t kS[8] = {0, 0, 2, 2, 0, 0, 10, 8};
        *load = kL[reg];
        *store = kS[reg];
        break;
    }
    }
}

/* ---- operations ---- */

enum { A_ADD = 0, A_MUL = 1, A_SUB = 4, A_SUBR = 5, A_DIV = 6, A_DIVR = 7 };

static Float80 arith(Fp80Ctx *c, int kind, Float80 x, Float80 y)
{
    switch (kind) {
    case A_ADD:
        return fp80_add(c, x, y);
    case A_MUL:
        return fp80_mul(c, x, y);
    case A_SUB:
        return fp80_sub(c, x, y);
    case A_SUBR:
        return fp80_sub(c, y, x);
    case A_DIV:
        return fp80_div(c, x, y);
    default:
        return fp80_div(c, y, x);
    }
}

/* ST(dst) = ST(dst) op src, then pop if asked. x_empty/y_empty: a source register was empty. */
/* A denormal binary32/64 memory operand raises DE unless the operation found something of
 * higher priority (an invalid operand, a division by zero). */
static void operand_denormal(Fp80Ctx *c, Float80 other, int src_denormal)
{
    int cls = fp80_classify(other); /* a NaN operand also outranks DE, even a quiet one */
    if (src_denormal && !(c->flags & (FP_E_INVALID | FP_E_ZERODIV)) && cls != FP_CLASS_NAN &&
        cls != FP_CLASS_UNSUPPORTED) {
        c->flags |= FP_E_DENORMAL;
        if (!(c->mask & FP_E_DENORMAL)) { /* the operation never happened */
            c->flags &= (uint8_t) ~(FP_E_OVERFLOW | FP_E_UNDERFLOW | FP_E_PRECISION);
            c->c1 = 0;
        }
    }
}

static void do_arith(FpuState *f, Fp80Ctx *c, int kind, int dst, Float80 x, Float80 y,
                     int any_empty, int pop, int src_denormal)
{
    if (any_empty) {
        if (!stack_underflow(f)) {
            return;
        }
        st_set(f, dst, fp80_indefinite());
    } else {
        Float80 r = arith(c, kind, x, y);
        operand_denormal(c, x, src_denormal);
        if (!commit(f, c)) {
            return;
        }
        st_set(f, dst, r);
    }
    if (pop) {
        st_pop(f);
    }
}

static const unsigned kCmpCc[4] = {X87_SW_C0, X87_SW_C3, 0, X87_SW_C0 | X87_SW_C2 | X87_SW_C3};
static const uint32_t kCmpFlags[4] = {F_CF, F_ZF, 0, F_ZF | F_PF | F_CF};

/* FCOM family: CC (or EFLAGS for FCOMI) from a compare, then pops. */
static void do_compare(FpuState *f, Fp80Ctx *c, Float80 a, Float80 b, int any_empty, int quiet,
                       int pops, int to_eflags, X87Out *out, int src_denormal)
{
    int r, stop = 0;
    if (any_empty) {
        stop = !stack_underflow(f);
        r = FP_CMP_UN;
    } else {
        r = fp80_compare(c, a, b, quiet);
        operand_denormal(c, a, src_denormal);
        raise_flags(f, c->flags);
        if (!to_eflags) { /* FCOMI leaves C1 alone */
            set_c1(f, 0);
        }
        if (fp80_unmasked_fault(c)) {
            /* unmasked IE or DE: the condition codes are still set, but nothing is popped */
            stop = 1;
        }
    }
    if (to_eflags) {
        out->set_eflags = 1;
        out->eflags = kCmpFlags[r];
    } else {
        set_cc(f, kCmpCc[r]);
    }
    if (stop) {
        return;
    }
    while (pops-- > 0) {
        st_pop(f);
    }
}

/* A memory operand of an arithmetic or compare instruction, as an extended value. Binary32/64
 * SNaNs stay signalling so that the operation applies the two-NaN rules; *denormal tells
 * whether the source was a denormal (see operand_denormal). */
static Float80 load_operand(unsigned op, const uint8_t *m, int *denormal)
{
    Fp80Ctx t;
    Float80 v;
    fp80_ctx_init(&t, 0x037F);
    switch (op) {
    case 0:
        v = fp80_from_f32(&t, rd32(m));
        break;
    case 4:
        v = fp80_from_f64(&t, rd64(m));
        break;
    case 2:
        v = fp80_from_int((int32_t)rd32(m));
        break;
    default:
        v = fp80_from_int((int16_t)rd16(m));
        break;
    }
    if (t.flags & FP_E_INVALID) { /* it was an SNaN: keep it signalling */
        v.mant &= ~0x4000000000000000ull;
    }
    *denormal = (t.flags & FP_E_DENORMAL) != 0;
    return v;
}

/* FLD of a converted value (m32, m64): stack overflow first, then the conversion's own
 * exceptions (IE for an SNaN, DE for a denormal). */
static void do_load(FpuState *f, Fp80Ctx *c, Float80 v, int overflow)
{
    if (overflow) {
        if (stack_overflow(f)) {
            st_push(f, fp80_indefinite());
        }
        return;
    }
    if (!commit(f, c)) {
        return;
    }
    st_push(f, v);
}

/* FST/FIST/FBSTP to memory: ST0 converted by `kind`, stored unless an unmasked exception. */
enum { S_F32, S_F64, S_I16, S_I32, S_I64, S_F80, S_BCD };

static void do_store(FpuState *f, Fp80Ctx *c, int kind, int pop, uint8_t *m, X87Out *out)
{
    static const uint8_t kLen[7] = {4, 8, 2, 4, 8, 10, 10};
    Float80 v = st_get(f, 0);
    if (st_empty(f, 0)) {
        if (!stack_underflow(f)) {
            return;
        }
        v = fp80_indefinite(); /* converts to each format's indefinite below */
        c->flags = 0;
        Fp80Ctx t = *c;
        switch (kind) {
        case S_F32:
            wr32(m, fp80_to_f32(&t, v));
            break;
        case S_F64:
            wr64(m, fp80_to_f64(&t, v));
            break;
        case S_I16:
            wr16(m, 0x8000);
            break;
        case S_I32:
            wr32(m, 0x80000000u);
            break;
        case S_I64:
            wr64(m, 0x8000000000000000ull);
            break;
        case S_F80:
            wr80(m, v);
            break;
        default:
            fp80_to_bcd(&t, v, m);
            break;
        }
    } else {
        switch (kind) {
        case S_F32:
            wr32(m, fp80_to_f32(c, v));
            break;
        case S_F64:
            wr64(m, fp80_to_f64(c, v));
            break;
        case S_I16:
            wr16(m, (uint32_t)fp80_to_int(c, v, 16, 0));
            break;
        case S_I32:
            wr32(m, (uint32_t)fp80_to_int(c, v, 32, 0));
            break;
        case S_I64:
            wr64(m, (uint64_t)fp80_to_int(c, v, 64, 0));
            break;
        case S_F80:
            wr80(m, v);
            break;
        default:
            fp80_to_bcd(c, v, m);
            break;
        }
        if (!commit_mem(f, c)) {
            return;
        }
    }
    out->store_len = kLen[kind];
    if (pop) {
        st_pop(f);
    }
}

/* one-operand functions on ST0 (FSQRT, FRNDINT, F2XM1, FSIN, FCOS) */
enum { U_SQRT, U_RNDINT, U_F2XM1, U_SIN, U_COS };

static void do_unary(FpuState *f, Fp80Ctx *c, int kind)
{
    if (st_empty(f, 0)) {
        if (kind >= U_SIN) {
            f->sw &= (uint16_t)~X87_SW_C2;
        }
        if (stack_underflow(f)) {
            st_set(f, 0, fp80_indefinite());
        }
        return;
    }
    Float80 a = st_get(f, 0), r = a;
    switch (kind) {
    case U_SQRT:
        r = fp80_sqrt(c, a);
        break;
    case U_RNDINT:
        r = fp80_round_int(c, a);
        break;
    case U_F2XM1:
        r = fp80_f2xm1(c, a);
        break;
    default:
        if (!fp80_sincos(c, a, kind == U_SIN ? &r : NULL, kind == U_COS ? &r : NULL)) {
            f->sw |= X87_SW_C2; /* out of range: nothing else happens */
            return;
        }
        f->sw &= (uint16_t)~X87_SW_C2;
        break;
    }
    if (commit(f, c)) {
        st_set(f, 0, r);
    }
}

/* two-operand functions of ST0 and ST1 (FYL2X, FYL2XP1, FPATAN: into ST1 and pop; FSCALE,
 * FPREM, FPREM1: into ST0) */
enum { B_YL2X, B_YL2XP1, B_PATAN, B_SCALE, B_PREM, B_PREM1 };

static void do_binary(FpuState *f, Fp80Ctx *c, int kind)
{
    int into_st1 = kind <= B_PATAN;
    if (st_empty(f, 0) || st_empty(f, 1)) {
        if (kind >= B_PREM) {
            f->sw &= (uint16_t)~X87_SW_C2;
        }
        if (stack_underflow(f)) {
            st_set(f, into_st1, fp80_indefinite());
            if (into_st1) {
                st_pop(f);
            }
        }
        return;
    }
    Float80 a = st_get(f, 0), b = st_get(f, 1), r;
    uint16_t cc = 0;
    switch (kind) {
    case B_YL2X:
        r = fp80_fyl2x(c, a, b);
        break;
    case B_YL2XP1:
        r = fp80_fyl2xp1(c, a, b);
        break;
    case B_PATAN:
        r = fp80_fpatan(c, a, b);
        break;
    case B_SCALE:
        r = fp80_scale(c, a, b);
        break;
    default:
        r = fp80_rem(c, a, b, kind == B_PREM1, &cc);
        break;
    }
    if (kind >= B_PREM && ((c->flags & FP_E_INVALID) || fp80_unmasked_fault(c))) {
        f->sw &= (uint16_t) ~(X87_SW_C1 | X87_SW_C2);
    }
    if (!commit(f, c)) {
        return;
    }
    if (kind >= B_PREM) {
        if (fp80_is_nan(r)) { /* no quotient: C0 and C3 keep their values */
            f->sw &= (uint16_t) ~(X87_SW_C1 | X87_SW_C2);
        } else {
            set_cc(f, cc);
        }
    }
    st_set(f, into_st1, r);
    if (into_st1) {
        st_pop(f);
    }
}

/* FPTAN, FSINCOS, FXTRACT: ST0 := first, then push second */
enum { P_TAN, P_SINCOS, P_XTRACT };

static void do_push2(FpuState *f, Fp80Ctx *c, int kind)
{
    if (kind != P_XTRACT && (st_empty(f, 0) || !st_empty(f, 7))) {
        f->sw &= (uint16_t)~X87_SW_C2;
    }
    if (st_empty(f, 0)) {
        if (stack_underflow(f)) {
            st_set(f, 0, fp80_indefinite());
            st_push(f, fp80_indefinite());
        }
        return;
    }
    if (!st_empty(f, 7)) {
        if (stack_overflow(f)) {
            st_set(f, 0, fp80_indefinite());
            st_push(f, fp80_indefinite());
        }
        return;
    }
    Float80 a = st_get(f, 0), r0, r1;
    switch (kind) {
    case P_TAN:
        if (!fp80_tan(c, a, &r0)) {
            f->sw |= X87_SW_C2;
            return;
        }
        f->sw &= (uint16_t)~X87_SW_C2;
        r1 = fp80_is_nan(r0) ? r0 : fp80_const(FP_CONST_ONE, 0);
        break;
    case P_SINCOS:
        if (!fp80_sincos(c, a, &r0, &r1)) {
            f->sw |= X87_SW_C2;
            return;
        }
        f->sw &= (uint16_t)~X87_SW_C2;
        break;
    default:
        fp80_xtract(c, a, &r0, &r1);
        break;
    }
    if (!commit(f, c)) {
        return;
    }
    st_set(f, 0, r0);
    st_push(f, r1);
}

static int fcmov_cond(unsigned cc, uint32_t eflags)
{
    switch (cc & 3) {
    case 0:
        return (eflags & F_CF) != 0;
    case 1:
        return (eflags & F_ZF) != 0;
    case 2:
        return (eflags & (F_CF | F_ZF)) != 0;
    default:
        return (eflags & F_PF) != 0;
    }
}

static void do_fxch(FpuState *f, int i)
{
    int e0 = st_empty(f, 0), ei = st_empty(f, i);
    if (e0 || ei) {
        if (!stack_underflow(f)) {
            return;
        }
    } else {
        set_c1(f, 0);
    }
    Float80 a = e0 ? fp80_indefinite() : st_get(f, 0);
    Float80 b = ei ? fp80_indefinite() : st_get(f, i);
    st_set(f, 0, b);
    st_set(f, i, a);
}

/* FLD ST(i), the constants, FILD, FLD m80, FBLD: push an exact value */
static void push_value(FpuState *f, Float80 v, int src_empty)
{
    if (src_empty || !st_empty(f, 7)) { /* an empty source outranks a full destination */
        if (src_empty ? stack_underflow(f) : stack_overflow(f)) {
            st_push(f, fp80_indefinite());
        }
        return;
    }
    set_c1(f, 0);
    st_push(f, v);
}

/* FST/FSTP ST(i) */
static void do_fst_reg(FpuState *f, int i, int pop)
{
    if (st_empty(f, 0)) {
        if (!stack_underflow(f)) {
            return;
        }
        st_set(f, i, fp80_indefinite());
    } else {
        set_c1(f, 0);
        st_set(f, i, st_get(f, 0));
    }
    if (pop) {
        st_pop(f);
    }
}

static int exec_reg(FpuState *f, Fp80Ctx *c, unsigned op, unsigned modrm, const X87Insn *in,
                    X87Out *out)
{
    unsigned reg = (modrm >> 3) & 7, i = modrm & 7;
    switch (op) {
    case 0: /* D8: ST0 := ST0 op ST(i) */
        if (reg == 2 || reg == 3) {
            do_compare(f, c, st_get(f, 0), st_get(f, (int)i), st_empty(f, 0) || st_empty(f, (int)i),
                       0, reg == 3, 0, out, 0);
        } else {
            do_arith(f, c, (int)reg, 0, st_get(f, 0), st_get(f, (int)i),
                     st_empty(f, 0) || st_empty(f, (int)i), 0, 0);
        }
        return X87_OK;
    case 4: /* DC: ST(i) := ST(i) op ST0, SUB/SUBR and DIV/DIVR swapped */
    case 6: /* DE: the same, then pop */
        if (reg == 2 || reg == 3) {
            do_compare(f, c, st_get(f, 0), st_get(f, (int)i), st_empty(f, 0) || st_empty(f, (int)i),
                       0, op == 6 ? (modrm == 0xD9 ? 2 : 1) : reg == 3, 0, out, 0);
        } else {
            do_arith(f, c, reg >= 4 ? (int)(reg ^ 1) : (int)reg, (int)i, st_get(f, (int)i),
                     st_get(f, 0), st_empty(f, 0) || st_empty(f, (int)i), op == 6, 0);
        }
        return X87_OK;
    case 1:
        break;
    case 2: /* DA */
        if (modrm == 0xE9) {
            do_compare(f, c, st_get(f, 0), st_get(f, 1), st_empty(f, 0) || st_empty(f, 1), 1, 2, 0,
                       out, 0);
            return X87_OK;
        }
        /* FCMOVcc, reg 0-3 */
        /* fall through */
    case 3:
        if (op == 3 && modrm >= 0xE0 && modrm <= 0xE4) {
            if (modrm == 0xE2) { /* FNCLEX */
                f->sw &= (uint16_t) ~(0x00FFu | X87_SW_B);
            } else if (modrm == 0xE3) {
                x87_init(f);
            } /* FNENI, FNDISI, FNSETPM do nothing on a 387 or later */
            return X87_OK;
        }
        if (reg <= 3) { /* FCMOVcc (DB: negated) */
            int cond = fcmov_cond(reg, in->eflags) ^ (op == 3);
            if (st_empty(f, 0) || st_empty(f, (int)i)) {
                if (stack_underflow(f)) { /* whatever the condition */
                    st_set(f, 0, fp80_indefinite());
                }
                return X87_OK;
            }
            if (cond) { /* C1 is left alone */
                st_set(f, 0, st_get(f, (int)i));
            }
            return X87_OK;
        }
        /* DB E8 FUCOMI, DB F0 FCOMI */
        do_compare(f, c, st_get(f, 0), st_get(f, (int)i), st_empty(f, 0) || st_empty(f, (int)i),
                   reg == 5, 0, 1, out, 0);
        return X87_OK;
    case 5: /* DD */
        switch (reg) {
        case 0: /* FFREE (C1 is undefined; cleared as on the reference host) */
            tag_set(f, phys(f, (int)i), X87_TAG_EMPTY);
            set_c1(f, 0);
            return X87_OK;
        case 1: /* FXCH4 */
            do_fxch(f, (int)i);
            return X87_OK;
        case 2:
        case 3:
            do_fst_reg(f, (int)i, reg == 3);
            return X87_OK;
        default: /* FUCOM, FUCOMP */
            do_compare(f, c, st_get(f, 0), st_get(f, (int)i), st_empty(f, 0) || st_empty(f, (int)i),
                       1, reg == 5, 0, out, 0);
            return X87_OK;
        }
    default: /* DF */
        switch (reg) {
        case 0: /* FFREEP */
            tag_set(f, phys(f, (int)i), X87_TAG_EMPTY);
            set_c1(f, 0);
            st_pop(f);
            return X87_OK;
        case 1: /* FXCH7 */
            do_fxch(f, (int)i);
            return X87_OK;
        case 2:
        case 3: /* FSTP8, FSTP9 */
            do_fst_reg(f, (int)i, 1);
            return X87_OK;
        case 4: /* FNSTSW AX */
            out->set_ax = 1;
            out->ax = x87_status_word(f);
            return X87_OK;
        default: /* FUCOMIP, FCOMIP */
            do_compare(f, c, st_get(f, 0), st_get(f, (int)i), st_empty(f, 0) || st_empty(f, (int)i),
                       reg == 5, 1, 1, out, 0);
            return X87_OK;
        }
    }
    /* D9 */
    switch (reg) {
    case 0: /* FLD ST(i) */
        push_value(f, st_get(f, (int)i), st_empty(f, (int)i));
        return X87_OK;
    case 1:
        do_fxch(f, (int)i);
        return X87_OK;
    case 2: /* FNOP */
        return X87_OK;
    case 3: /* FSTP1 */
        do_fst_reg(f, (int)i, 1);
        return X87_OK;
    default:
        break;
    }
    switch (modrm) {
    case 0xE0: /* FCHS */
    case 0xE1: /* FABS */
        if (st_empty(f, 0)) {
            if (stack_underflow(f)) {
                st_set(f, 0, fp80_indefinite());
            }
            return X87_OK;
        }
        set_c1(f, 0);
        st_set(f, 0, modrm == 0xE0 ? fp80_chs(st_get(f, 0)) : fp80_abs(st_get(f, 0)));
        return X87_OK;
    case 0xE4: /* FTST */
        do_compare(f, c, st_get(f, 0), fp80_zero(0), st_empty(f, 0), 0, 0, 0, out, 0);
        return X87_OK;
    case 0xE5: { /* FXAM */
        int cls = st_empty(f, 0) ? FP_CLASS_EMPTY : fp80_classify(st_get(f, 0));
        set_cc(f, ((cls & 1) ? X87_SW_C0 : 0) | ((cls & 2) ? X87_SW_C2 : 0) |
                      ((cls & 4) ? X87_SW_C3 : 0) | (fp80_sign(st_get(f, 0)) ? X87_SW_C1 : 0));
        return X87_OK;
    }
    case 0xE8:
    case 0xE9:
    case 0xEA:
    case 0xEB:
    case 0xEC:
    case 0xED:
    case 0xEE: {
        static const int kConst[7] = {FP_CONST_ONE, FP_CONST_L2T, FP_CONST_L2E, FP_CONST_PI,
                                      FP_CONST_LG2, FP_CONST_LN2, FP_CONST_ZERO};
        push_value(f, fp80_const(kConst[modrm - 0xE8], c->rc), 0);
        return X87_OK;
    }
    case 0xF0:
        do_unary(f, c, U_F2XM1);
        return X87_OK;
    case 0xF1:
        do_binary(f, c, B_YL2X);
        return X87_OK;
    case 0xF2:
        do_push2(f, c, P_TAN);
        return X87_OK;
    case 0xF3:
        do_binary(f, c, B_PATAN);
        return X87_OK;
    case 0xF4:
        do_push2(f, c, P_XTRACT);
        return X87_OK;
    case 0xF5:
        do_binary(f, c, B_PREM1);
        return X87_OK;
    case 0xF6: /* FDECSTP */
    case 0xF7: /* FINCSTP */
        f->top = (uint8_t)((f->top + (modrm == 0xF7 ? 1 : 7)) & 7);
        set_c1(f, 0);
        return X87_OK;
    case 0xF8:
        do_binary(f, c, B_PREM);
        return X87_OK;
    case 0xF9:
        do_binary(f, c, B_YL2XP1);
        return X87_OK;
    case 0xFA:
        do_unary(f, c, U_SQRT);
        return X87_OK;
    case 0xFB:
        do_push2(f, c, P_SINCOS);
        return X87_OK;
    case 0xFC:
        do_unary(f, c, U_RNDINT);
        return X87_OK;
    case 0xFD:
        do_binary(f, c, B_SCALE);
        return X87_OK;
    case 0xFE:
        do_unary(f, c, U_SIN);
        return X87_OK;
    default:
        do_unary(f, c, U_COS);
        return X87_OK;
    }
}

static int exec_mem(FpuState *f, Fp80Ctx *c, unsigned op, unsigned reg, const X87Insn *in,
                    const uint8_t *m, uint8_t *s, X87Out *out)
{
    Float80 v;
    if (!(op & 1)) { /* D8 DA DC DE: ST0 op m32fp/m32int/m64fp/m16int */
        int empty = st_empty(f, 0), den;
        v = load_operand(op, m, &den);
        if (reg == 2 || reg == 3) {
            do_compare(f, c, st_get(f, 0), v, empty, 0, reg == 3, 0, out, den);
        } else {
            do_arith(f, c, (int)reg, 0, st_get(f, 0), v, empty, 0, den);
        }
        return X87_OK;
    }
    int full = !st_empty(f, 7);
    switch (op * 8 + reg) {
    case 1 * 8 + 0: /* FLD m32 */
        v = full ? fp80_zero(0) : fp80_from_f32(c, rd32(m));
        do_load(f, c, v, full);
        return X87_OK;
    case 5 * 8 + 0: /* FLD m64 */
        v = full ? fp80_zero(0) : fp80_from_f64(c, rd64(m));
        do_load(f, c, v, full);
        return X87_OK;
    case 3 * 8 + 5: /* FLD m80: raw, no exceptions */
        push_value(f, rd80(m), 0);
        return X87_OK;
    case 3 * 8 + 0:
        push_value(f, fp80_from_int((int32_t)rd32(m)), 0);
        return X87_OK;
    case 7 * 8 + 0:
        push_value(f, fp80_from_int((int16_t)rd16(m)), 0);
        return X87_OK;
    case 7 * 8 + 5:
        push_value(f, fp80_from_int((int64_t)rd64(m)), 0);
        return X87_OK;
    case 7 * 8 + 4: /* FBLD */
        push_value(f, fp80_from_bcd(m), 0);
        return X87_OK;
    case 1 * 8 + 2:
    case 1 * 8 + 3:
        do_store(f, c, S_F32, reg == 3, s, out);
        return X87_OK;
    case 5 * 8 + 2:
    case 5 * 8 + 3:
        do_store(f, c, S_F64, reg == 3, s, out);
        return X87_OK;
    case 3 * 8 + 7:
        do_store(f, c, S_F80, 1, s, out);
        return X87_OK;
    case 3 * 8 + 2:
    case 3 * 8 + 3:
        do_store(f, c, S_I32, reg == 3, s, out);
        return X87_OK;
    case 7 * 8 + 2:
    case 7 * 8 + 3:
        do_store(f, c, S_I16, reg == 3, s, out);
        return X87_OK;
    case 7 * 8 + 7:
        do_store(f, c, S_I64, 1, s, out);
        return X87_OK;
    case 7 * 8 + 6:
        do_store(f, c, S_BCD, 1, s, out);
        return X87_OK;
    case 1 * 8 + 4: /* FLDENV */
        x87_load_env(f, m, in->opsize32, in->pmode);
        return X87_OK;
    case 1 * 8 + 5: /* FLDCW */
        f->cw = cw_sanitise(rd16(m));
        update_es(f);
        return X87_OK;
    case 1 * 8 + 6: /* FNSTENV, then mask all exceptions */
        out->store_len = (uint16_t)x87_store_env(f, s, in->opsize32, in->pmode);
        f->cw |= 0x3F;
        update_es(f);
        return X87_OK;
    case 1 * 8 + 7: /* FNSTCW */
        wr16(s, f->cw);
        out->store_len = 2;
        return X87_OK;
    case 5 * 8 + 4: /* FRSTOR */
        x87_frstor_image(f, m, in->opsize32, in->pmode);
        return X87_OK;
    case 5 * 8 + 6: /* FNSAVE, then FNINIT */
        out->store_len = (uint16_t)x87_fsave_image(f, s, in->opsize32, in->pmode);
        x87_init(f);
        return X87_OK;
    default: /* DD /7 FNSTSW m16 */
        wr16(s, x87_status_word(f));
        out->store_len = 2;
        return X87_OK;
    }
}

int x87_exec(FpuState *f, const X87Insn *in, const uint8_t *load, uint8_t *store, X87Out *out)
{
    unsigned op = in->op & 7u, modrm = in->modrm;
    memset(out, 0, sizeof *out);
    if (is_reserved(op, modrm)) {
        return X87_UD;
    }
    if (!is_control(op, modrm)) {
        f->fop = (uint16_t)(op << 8 | modrm);
        f->fip = in->eip;
        f->fcs = in->cs;
        if (modrm < 0xC0) {
            f->fdp = in->ea;
            f->fds = in->ds;
        }
    }
    Fp80Ctx c;
    fp80_ctx_init(&c, f->cw);
    if (modrm >= 0xC0) {
        return exec_reg(f, &c, op, modrm, in, out);
    }
    return exec_mem(f, &c, op, (modrm >> 3) & 7, in, load, store, out);
}
