/* cpu/fastops.c and cpu/string.c's bulk REP path against the table's handlers.
 *
 * fastops: every instruction form that cpu_fast_handler specialises is run through the table's
 * handler on one CPU and through the specialised one on a twin CPU, from identical random states
 * (registers, lazy flags, memory), in several settings: flat protected mode, a 16-bit stack, real
 * mode with operand- and address-size prefixes, a small data segment limit (faults), and CPL 3
 * with alignment checking. The two CPUs must end with the same return value, the same
 * architectural state (byte for byte, lazy flag record included) and the same memory.
 *
 * bulk REP: REP MOVS/STOS run through cpu_run in one go must end exactly where single steps end
 * (memory, registers, clock), and a budget that ends in the middle of the string must stop at
 * exactly that count.
 */
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/fastops.h"
#include "decoder/decode.h"
#include "decoder/opcodes.h"
#include "tests/unit/test.h"

#define FX_RAM (64u << 10)

typedef struct Fx {
    Cpu cpu;
    Bus bus;
    Clock clock;
} Fx;

static uint64_t g_seed = 0x9E3779B97F4A7C15ull;

static uint32_t rnd32(void)
{
    g_seed ^= g_seed << 13;
    g_seed ^= g_seed >> 7;
    g_seed ^= g_seed << 17;
    return (uint32_t)(g_seed >> 11);
}

static void seg_set(Cpu *cpu, int seg, uint32_t base, uint32_t limit, uint16_t attr)
{
    cpu->s.seg[seg] = (SegReg){(uint16_t)(seg * 8 + 8), attr, base, limit};
}

/* settings */
enum { SET_FLAT, SET_STACK16, SET_REAL, SET_SMALL_DS, SET_USER_AC, SET_COUNT };

static Fx *fx_new(void)
{
    Fx *f = calloc(1, sizeof *f);
    if (!f || bus_init(&f->bus, FX_RAM)) {
        abort();
    }
    Cpu *cpu = &f->cpu;
    cpu->bus = &f->bus;
    cpu->clock = &f->clock;
    cpu->model = &kCpuPentiumPro;
    mmu_init(&cpu->mmu, &cpu->s, &f->bus);
    return f;
}

static void fx_free(Fx *f)
{
    bus_free(&f->bus);
    free(f);
}

static void fx_setting(Fx *f, int setting)
{
    Cpu *cpu = &f->cpu;
    cpu->s.cr0 = CR0_ET | CR0_PE;
    cpu->s.cpl = 0;
    cpu->mode = MODE_PROT;
    for (int k = 0; k < 6; k++) {
        seg_set(cpu, k, 0, 0xFFFFFFFFu, k == SEG_CS ? 0xC09B : 0xC093);
    }
    switch (setting) {
    case SET_STACK16:
        seg_set(cpu, SEG_SS, 0, 0xFFFF, 0x0093);
        break;
    case SET_REAL:
        cpu->s.cr0 = CR0_ET;
        cpu->mode = MODE_REAL;
        for (int k = 0; k < 6; k++) {
            seg_set(cpu, k, (uint32_t)k * 0x10, 0xFFFF, k == SEG_CS ? 0x9B : 0x93);
        }
        break;
    case SET_SMALL_DS:
        seg_set(cpu, SEG_DS, 0x100, 0x7FFF, 0x4093);
        seg_set(cpu, SEG_SS, 0, 0x9FFF, 0x4093);
        seg_set(cpu, SEG_ES, 0, 0x8FFF, 0x4091); /* read-only */
        break;
    case SET_USER_AC:
        cpu->s.cr0 |= CR0_AM;
        cpu->s.cpl = 3;
        for (int k = 0; k < 6; k++) {
            seg_set(cpu, k, 0, 0xFFFFFFFFu, k == SEG_CS ? 0xC0FB : 0xC0F3);
        }
        break;
    default:
        break;
    }
}

/* the random part of a trial: registers, lazy flags, EFLAGS */
static void random_state(CpuState *s, int setting)
{
    for (int k = 0; k < 8; k++) {
        uint32_t v = rnd32();
        s->regs[k] = (rnd32() & 3) ? (v & 0xFFFC) | (v >> 31) : v;
    }
    s->regs[R_ESP] = 0x8000 + (rnd32() & 0x3FFC) + ((rnd32() & 7) == 0 ? 1 : 0);
    static const uint8_t kOps[] = {LF_NONE, LF_ADD, LF_ADC, LF_SUB, LF_SBB, LF_LOGIC, LF_INC,
                                   LF_DEC,  LF_NEG, LF_SHL, LF_SHR, LF_SAR, LF_MUL,   LF_IMUL};
    static const uint8_t kSizes[] = {1, 2, 4};
    s->lf_op = kOps[rnd32() % sizeof kOps];
    s->lf_size = kSizes[rnd32() % 3];
    uint32_t m = s->lf_size == 4 ? 0xFFFFFFFFu : (1u << (s->lf_size * 8)) - 1;
    s->lf_op1 = rnd32() & m;
    s->lf_op2 = (rnd32() & 1) ? s->lf_op1 : rnd32() & m;
    s->lf_res = (rnd32() & 3) == 0 ? 0 : rnd32() & m;
    s->lf_cf_in = (uint8_t)(rnd32() & 1);
    s->eflags = (rnd32() & (F_ARITH | F_DF)) | 2u;
    if (setting == SET_USER_AC) {
        s->eflags |= F_AC;
    }
}

/* one encoding: prefixes, opcode bytes, a ModRM byte (or none), then random bytes for the SIB,
 * displacement and immediate (the decoder takes what it needs) */
typedef struct Enc {
    uint8_t b[20];
    unsigned n;
} Enc;

static void enc_start(Enc *e, int p66, int p67)
{
    e->n = 0;
    if (p66) {
        e->b[e->n++] = 0x66;
    }
    if (p67) {
        e->b[e->n++] = 0x67;
    }
}

static void enc_tail(Enc *e, int small)
{
    for (int k = 0; k < 12; k++) {
        uint32_t v = rnd32();
        e->b[e->n++] = (uint8_t)(small && k % 4 != 0 ? 0 : v);
    }
}

static int g_mismatches, g_compared, g_specialised;

static void fx_sync(Fx *dst, const Fx *src)
{
    dst->cpu.s = src->cpu.s;
    dst->cpu.mode = src->cpu.mode;
    memcpy(dst->bus.ram, src->bus.ram, FX_RAM);
}

/* Run one encoding through both handlers from the same state. */
static void run_pair(Fx *fa, Fx *fb, const Enc *e, int setting)
{
    Insn in;
    bool d32 = setting != SET_REAL;
    if (decode_insn(&in, e->b, e->n, d32) != DEC_OK || (kOpTable[in.op].attr & UD)) {
        return;
    }
    OpHandler generic = kOpHandlers[in.op];
    if (!generic) {
        return;
    }
    OpHandler fast = cpu_fast_handler(&in, generic);
    if (fast == generic) {
        return;
    }
    g_specialised++;
    random_state(&fa->cpu.s, setting);
    fx_sync(fb, fa);
    uint32_t eip = 0x1000 + (rnd32() & 0xFFF);
    for (int k = 0; k < 2; k++) {
        Fx *f = k ? fb : fa;
        f->cpu.insn_eip = eip;
        f->cpu.s.eip = eip + in.len;
    }
    int ra = generic(&fa->cpu, &in);
    int rb = fast(&fb->cpu, &in);
    g_compared++;
    bool same = ra == rb && memcmp(&fa->cpu.s, &fb->cpu.s, sizeof fa->cpu.s) == 0 &&
                memcmp(fa->bus.ram, fb->bus.ram, FX_RAM) == 0;
    if (!same) {
        if (g_mismatches++ < 10) {
            printf("  fastops mismatch: %s setting %d bytes", kOpTable[in.op].name, setting);
            for (unsigned k = 0; k < in.len; k++) {
                printf(" %02x", e->b[k]);
            }
            printf(" ret %d/%d eax %08x/%08x eip %08x/%08x\n", ra, rb, fa->cpu.s.regs[0],
                   fb->cpu.s.regs[0], fa->cpu.s.eip, fb->cpu.s.eip);
        }
        fx_sync(fb, fa);
    }
}

/* the ModRM bytes tried for each opcode: registers, and each memory shape */
static const uint8_t kModrm[] = {
    0xC0, 0xC1, 0xCA, 0xD3, 0xDC, 0xE5, 0xEE, 0xF7, 0xFF, /* registers */
    0x00, 0x03, 0x0D, /* [reg] ([di] with a 16-bit address), disp32 / disp16 */
    0x04, 0x0C,       /* SIB */
    0x43, 0x5E, 0x44, /* [reg + disp8], SIB + disp8 */
    0x86, 0x94, 0xBD, /* [reg + disp32], SIB + disp32 */
};

/* one-byte opcodes with a ModRM byte, and 0F xx ones (0x100 | xx) */
static const uint16_t kModrmOps[] = {
    0x01,  0x03,  0x09,  0x0B,  0x11,  0x13,  0x19,  0x1B,  0x21,  0x23,  0x29,  0x2B,  0x31,
    0x33,  0x39,  0x3B,  0x69,  0x6B,  0x81,  0x83,  0x85,  0x88,  0x89,  0x8A,  0x8B,  0x8D,
    0xC1,  0xC7,  0xD1,  0xD3,  0xF7,  0x1AF, 0x1B6, 0x1B7, 0x1BE, 0x1BF, 0x140, 0x142, 0x143,
    0x144, 0x145, 0x146, 0x147, 0x148, 0x149, 0x14C, 0x14D, 0x14E, 0x14F, 0x192, 0x193, 0x194,
    0x195, 0x196, 0x197, 0x198, 0x199, 0x19C, 0x19D, 0x19E, 0x19F,
};

TEST(fastops, same_as_table_handlers)
{
    Fx *fa = fx_new(), *fb = fx_new();
    for (uint32_t k = 0; k < FX_RAM; k += 4) {
        uint32_t v = rnd32();
        memcpy(fa->bus.ram + k, &v, 4);
    }
    g_mismatches = g_compared = g_specialised = 0;
    for (int setting = 0; setting < SET_COUNT; setting++) {
        fx_setting(fa, setting);
        fx_setting(fb, setting);
        fx_sync(fb, fa);
        for (int pfx = 0; pfx < 4; pfx++) {
            int p66 = pfx & 1, p67 = pfx >> 1;
            /* ModRM forms, every /reg */
            for (unsigned o = 0; o < sizeof kModrmOps / sizeof kModrmOps[0]; o++) {
                for (unsigned m = 0; m < sizeof kModrm; m++) {
                    for (int reg = 0; reg < 8; reg++) {
                        for (int t = 0; t < 3; t++) {
                            Enc e;
                            enc_start(&e, p66, p67);
                            if (kModrmOps[o] & 0x100) {
                                e.b[e.n++] = 0x0F;
                            }
                            e.b[e.n++] = (uint8_t)kModrmOps[o];
                            e.b[e.n++] = (uint8_t)((kModrm[m] & 0xC7) | (reg << 3));
                            enc_tail(&e, t != 2);
                            run_pair(fa, fb, &e, setting);
                        }
                    }
                }
            }
            /* forms without ModRM: +r, accumulator, branches, RET */
            static const uint16_t kPlain[] = {0x05, 0x0D, 0x15, 0x1D, 0x25, 0x2D, 0x35,
                                              0x3D, 0xA9, 0xEB, 0xE9, 0xE8, 0xC3};
            for (int t = 0; t < 40; t++) {
                for (unsigned o = 0; o < sizeof kPlain / sizeof kPlain[0] + 8 * 5 + 16 * 2; o++) {
                    Enc e;
                    enc_start(&e, p66, p67);
                    unsigned np = sizeof kPlain / sizeof kPlain[0];
                    if (o < np) {
                        e.b[e.n++] = (uint8_t)kPlain[o];
                    } else if (o < np + 40) {
                        static const uint8_t kBase[] = {0x40, 0x48, 0x50, 0x58, 0xB8};
                        e.b[e.n++] = (uint8_t)(kBase[(o - np) / 8] + (o - np) % 8);
                    } else if (o < np + 56) {
                        e.b[e.n++] = (uint8_t)(0x70 + (o - np - 40));
                    } else {
                        e.b[e.n++] = 0x0F;
                        e.b[e.n++] = (uint8_t)(0x80 + (o - np - 56));
                    }
                    enc_tail(&e, t & 1);
                    run_pair(fa, fb, &e, setting);
                }
            }
        }
    }
    EXPECT_EQ(g_mismatches, 0);
    EXPECT_TRUE(g_specialised > 20000); /* the forms above do reach the specialised handlers */
    fx_free(fa);
    fx_free(fb);
}

/* ---- bulk REP MOVS / STOS through cpu_run ---- */

static Fx *fx_run_new(void)
{
    Fx *f = calloc(1, sizeof *f);
    if (!f || bus_init(&f->bus, 1u << 20) ||
        cpu_init(&f->cpu, &f->bus, &f->clock, &kCpuPentiumPro)) {
        abort();
    }
    Cpu *cpu = &f->cpu;
    cpu->s.cr0 |= CR0_PE;
    cpu_update_mode(cpu);
    for (int k = 0; k < 6; k++) {
        seg_set(cpu, k, 0, 0xFFFFFFFFu, k == SEG_CS ? 0xC09B : 0xC093);
    }
    cpu->s.eflags = 2;
    f->clock.next_deadline = UINT64_MAX;
    return f;
}

static void fx_run_free(Fx *f)
{
    cpu_free(&f->cpu);
    bus_free(&f->bus);
    free(f);
}

/* code at 0x1000: `code`, then HLT; data from rnd at 0x20000..0x40000 */
static void fx_program(Fx *f, const uint8_t *code, unsigned n, uint32_t esi, uint32_t edi,
                       uint32_t ecx, uint32_t eax, bool df)
{
    uint8_t buf[32];
    memcpy(buf, code, n);
    buf[n] = 0xF4;
    bus_mem_write(&f->bus, 0x1000, buf, n + 1);
    uint64_t seed = 12345;
    for (uint32_t a = 0x20000; a < 0x40000; a += 4) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        uint32_t v = (uint32_t)(seed >> 33);
        bus_mem_write(&f->bus, a, &v, 4);
    }
    CpuState *s = &f->cpu.s;
    s->eip = 0x1000;
    s->regs[R_ESI] = esi;
    s->regs[R_EDI] = edi;
    s->regs[R_ECX] = ecx;
    s->regs[R_EAX] = eax;
    s->regs[R_ESP] = 0x8000;
    s->eflags = df ? (2u | F_DF) : 2u;
    s->halted = 0;
}

/* run to the HLT with budgets of `step` instructions; every cpu_run must use its whole budget */
static uint64_t fx_run_steps(Fx *f, uint64_t step, int *short_runs)
{
    for (int k = 0; k < 1000000 && !f->cpu.s.halted; k++) {
        uint64_t t0 = f->clock.ticks;
        cpu_run(&f->cpu, step);
        if (!f->cpu.s.halted && f->clock.ticks - t0 != step) {
            (*short_runs)++;
        }
    }
    return f->clock.ticks;
}

TEST(fastops, bulk_rep_string_matches_single_steps)
{
    static const struct {
        uint8_t code[4];
        unsigned n;
        uint32_t esi, edi, ecx;
        bool df;
    } kCases[] = {
        {{0xF3, 0xA5}, 2, 0x20010, 0x30ff0, 3000, false},       /* rep movsd across pages */
        {{0xF3, 0xA5}, 2, 0x20000, 0x20004, 2500, false},       /* overlapping, dst above */
        {{0xF3, 0xA4}, 2, 0x21000, 0x21001, 5000, false},       /* byte pattern replication */
        {{0xF3, 0xA4}, 2, 0x22003, 0x22000, 5000, false},       /* overlapping, dst below */
        {{0xF3, 0x66, 0xA5}, 3, 0x23001, 0x2a003, 4001, false}, /* misaligned words */
        {{0xF3, 0xAB}, 2, 0, 0x24ffe, 3000, false},             /* rep stosd, misaligned */
        {{0xF3, 0xAA}, 2, 0, 0x25000, 9000, false},             /* rep stosb */
        {{0xF3, 0xA5}, 2, 0x26000, 0x2c000, 2000, true},        /* DF = 1 */
        {{0xF3, 0x67, 0xA4}, 3, 0xFF00, 0xFFF0, 0x300, false},  /* 16-bit addresses wrap */
    };
    for (unsigned c = 0; c < sizeof kCases / sizeof kCases[0]; c++) {
        Fx *fa = fx_run_new(), *fb = fx_run_new();
        fx_program(fa, kCases[c].code, kCases[c].n, kCases[c].esi, kCases[c].edi, kCases[c].ecx,
                   0x5A6B7C8Du, kCases[c].df);
        fx_program(fb, kCases[c].code, kCases[c].n, kCases[c].esi, kCases[c].edi, kCases[c].ecx,
                   0x5A6B7C8Du, kCases[c].df);
        int short_a = 0, short_b = 0;
        uint64_t ta = fx_run_steps(fa, 1, &short_a);   /* one instruction at a time */
        uint64_t tb = fx_run_steps(fb, 997, &short_b); /* budgets that end mid-string */
        EXPECT_EQ(ta, tb);
        EXPECT_EQ(short_a, 0);
        EXPECT_EQ(short_b, 0);
        EXPECT_TRUE(memcmp(fa->cpu.s.regs, fb->cpu.s.regs, sizeof fa->cpu.s.regs) == 0);
        EXPECT_EQ(fa->cpu.s.eip, fb->cpu.s.eip);
        EXPECT_EQ(fa->cpu.retired, fb->cpu.retired);
        EXPECT_TRUE(memcmp(fa->bus.ram, fb->bus.ram, 1u << 20) == 0);
        EXPECT_EQ(fa->cpu.s.regs[R_ECX] & (kCases[c].code[1] == 0x67 ? 0xFFFF : 0xFFFFFFFF), 0);
        fx_run_free(fa);
        fx_run_free(fb);
    }
}
