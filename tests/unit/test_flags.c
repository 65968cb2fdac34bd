/* The lazy-flag engine (cpu/flags.c): each LF_* kind against hand-computed EFLAGS, the condition
 * codes against the flags they name (SDM vol. 1, appendix B), and the explicit setters. These
 * touch only cpu->s, so a zeroed Cpu is enough. */
#include <string.h>

#include "cpu/cpu.h"
#include "tests/unit/test.h"

static Cpu g_fc;

static Cpu *fresh(void)
{
    memset(&g_fc, 0, sizeof g_fc);
    g_fc.s.eflags = 0x2;
    return &g_fc;
}

static uint32_t lazy(int op, int size, uint32_t res, uint32_t a, uint32_t b, uint8_t cf_in)
{
    Cpu *c = fresh();
    cpu_set_lazy(c, op, size, res, a, b);
    c->s.lf_cf_in = cf_in;
    return cpu_get_eflags(c) & F_ARITH;
}

TEST(flags, add_carry_overflow_aux)
{
    /* 0x7F + 0x01 = 0x80: OF, SF, AF; no CF; PF (0x80 has one bit: odd) clear */
    EXPECT_EQ(lazy(LF_ADD, 1, 0x80, 0x7F, 0x01, 0), F_OF | F_SF | F_AF);
    /* 0xFF + 0x01 = 0x00: CF, ZF, AF, PF */
    EXPECT_EQ(lazy(LF_ADD, 1, 0x00, 0xFF, 0x01, 0), F_CF | F_ZF | F_AF | F_PF);
    /* 16-bit 0x8000 + 0x8000 = 0: CF, OF, ZF, PF */
    EXPECT_EQ(lazy(LF_ADD, 2, 0x0000, 0x8000, 0x8000, 0), F_CF | F_OF | F_ZF | F_PF);
    /* 32-bit 0xFFFFFFFF + 0xFFFFFFFF = 0xFFFFFFFE: CF, SF, AF */
    EXPECT_EQ(lazy(LF_ADD, 4, 0xFFFFFFFEu, 0xFFFFFFFFu, 0xFFFFFFFFu, 0), F_CF | F_SF | F_AF);
}

TEST(flags, adc_sbb_carry_in)
{
    /* 0xFF + 0x00 + 1 = 0x00 with carry out */
    EXPECT_EQ(lazy(LF_ADC, 1, 0x00, 0xFF, 0x00, 1), F_CF | F_ZF | F_AF | F_PF);
    /* 0x00 + 0xFF + 0 = 0xFF: no carry */
    EXPECT_EQ(lazy(LF_ADC, 1, 0xFF, 0x00, 0xFF, 0), F_SF | F_PF);
    /* 0x00 - 0x00 - 1 = 0xFF: borrow */
    EXPECT_EQ(lazy(LF_SBB, 1, 0xFF, 0x00, 0x00, 1), F_CF | F_SF | F_PF | F_AF);
    /* 0x05 - 0x05 - 0 = 0 */
    EXPECT_EQ(lazy(LF_SBB, 1, 0x00, 0x05, 0x05, 0), F_ZF | F_PF);
}

TEST(flags, sub_and_cmp)
{
    /* 0x80 - 0x01 = 0x7F: OF (negative minus positive gave positive), AF */
    EXPECT_EQ(lazy(LF_SUB, 1, 0x7F, 0x80, 0x01, 0), F_OF | F_AF);
    /* 1 - 2 = 0xFFFF (16-bit): CF, SF, PF, AF */
    EXPECT_EQ(lazy(LF_SUB, 2, 0xFFFF, 1, 2, 0), F_CF | F_SF | F_PF | F_AF);
}

TEST(flags, inc_dec_keep_cf)
{
    EXPECT_EQ(lazy(LF_INC, 1, 0x80, 0x7F, 1, 1), F_CF | F_OF | F_SF | F_AF);
    EXPECT_EQ(lazy(LF_INC, 4, 0, 0xFFFFFFFFu, 1, 0), F_ZF | F_PF | F_AF);
    EXPECT_EQ(lazy(LF_DEC, 2, 0x7FFF, 0x8000, 1, 0), F_OF | F_AF | F_PF);
    EXPECT_EQ(lazy(LF_DEC, 1, 0x00, 0x01, 1, 1), F_CF | F_ZF | F_PF);
}

TEST(flags, neg_logic)
{
    EXPECT_EQ(lazy(LF_NEG, 1, 0x00, 0x00, 0, 0), F_ZF | F_PF);
    EXPECT_EQ(lazy(LF_NEG, 1, 0x80, 0x80, 0, 0), F_CF | F_OF | F_SF);
    EXPECT_EQ(lazy(LF_NEG, 2, 0xFFFF, 0x0001, 0, 0), F_CF | F_SF | F_PF | F_AF);
    EXPECT_EQ(lazy(LF_LOGIC, 4, 0x80000000u, 0, 0, 0), F_SF | F_PF);
}

TEST(flags, shifts_and_mul)
{
    /* SHL 0x40 by 1 = 0x80: CF 0, OF = MSB ^ CF = 1 */
    EXPECT_EQ(lazy(LF_SHL, 1, 0x80, 0x40, 1, 0), F_OF | F_SF);
    /* SHR 0x81 by 1 = 0x40: CF 1, OF = MSB of the original */
    EXPECT_EQ(lazy(LF_SHR, 1, 0x40, 0x81, 1, 1), F_CF | F_OF);
    /* SAR 0x81 by 1 = 0xC0: CF 1, OF 0 */
    EXPECT_EQ(lazy(LF_SAR, 1, 0xC0, 0x81, 1, 1), F_CF | F_SF | F_PF);
    EXPECT_EQ(lazy(LF_MUL, 2, 0x0000, 0, 0, 1) & (F_CF | F_OF), F_CF | F_OF);
    EXPECT_EQ(lazy(LF_IMUL, 2, 0x1234, 0, 0, 0) & (F_CF | F_OF), 0);
}

TEST(flags, single_flag_readers_match_materialised)
{
    static const struct {
        int op, size;
        uint32_t res, a, b;
        uint8_t cf;
    } kCases[] = {
        {LF_ADD, 1, 0x80, 0x7F, 0x01, 0},  {LF_SUB, 2, 0xFFFF, 1, 2, 0},
        {LF_ADC, 4, 0, 0xFFFFFFFFu, 0, 1}, {LF_SBB, 1, 0xFF, 0, 0, 1},
        {LF_INC, 1, 0x80, 0x7F, 1, 1},     {LF_DEC, 2, 0x7FFF, 0x8000, 1, 0},
        {LF_NEG, 1, 0x80, 0x80, 0, 0},     {LF_LOGIC, 1, 0, 0, 0, 0},
        {LF_SHL, 2, 0x8000, 0x4000, 1, 0}, {LF_SHR, 4, 1, 3, 1, 1},
        {LF_SAR, 1, 0xFF, 0xFE, 1, 0},     {LF_MUL, 1, 0x10, 0, 0, 1},
    };
    for (size_t k = 0; k < sizeof kCases / sizeof kCases[0]; k++) {
        Cpu *c = fresh();
        cpu_set_lazy(c, kCases[k].op, kCases[k].size, kCases[k].res, kCases[k].a, kCases[k].b);
        c->s.lf_cf_in = kCases[k].cf;
        bool cf = cpu_cf(c), zf = cpu_zf(c), sf = cpu_sf(c), of = cpu_of(c), pf = cpu_pf(c),
             af = cpu_af(c);
        uint32_t e = cpu_get_eflags(c);
        EXPECT_EQ(cf, (e & F_CF) != 0);
        EXPECT_EQ(zf, (e & F_ZF) != 0);
        EXPECT_EQ(sf, (e & F_SF) != 0);
        EXPECT_EQ(of, (e & F_OF) != 0);
        EXPECT_EQ(pf, (e & F_PF) != 0);
        EXPECT_EQ(af, (e & F_AF) != 0);
        EXPECT_EQ(c->s.lf_op, LF_NONE);
    }
}

/* the 16 conditions from the materialised flags (SDM vol. 1, table B-1) */
static bool cond_ref(uint32_t e, int cc)
{
    bool cf = e & F_CF, zf = e & F_ZF, sf = e & F_SF, of = e & F_OF, pf = e & F_PF, r;
    switch (cc >> 1) {
    case 0:
        r = of;
        break;
    case 1:
        r = cf;
        break;
    case 2:
        r = zf;
        break;
    case 3:
        r = cf || zf;
        break;
    case 4:
        r = sf;
        break;
    case 5:
        r = pf;
        break;
    case 6:
        r = sf != of;
        break;
    default:
        r = zf || sf != of;
        break;
    }
    return r ^ (cc & 1);
}

TEST(flags, conditions_agree_with_flags)
{
    static const uint32_t kVals[] = {0,      1,      2,      0x7F,        0x80,        0xFF,
                                     0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFFu, 0x80000000u, 0xFFFFFFFFu};
    const size_t n = sizeof kVals / sizeof kVals[0];
    for (int size = 1; size <= 4; size *= 2) {
        uint32_t m = size == 4 ? 0xFFFFFFFFu : (1u << (size * 8)) - 1;
        for (size_t x = 0; x < n; x++) {
            for (size_t y = 0; y < n; y++) {
                uint32_t a = kVals[x] & m, b = kVals[y] & m;
                for (int op = LF_ADD; op <= LF_SUB; op++) {
                    if (op == LF_ADC) {
                        continue;
                    }
                    uint32_t res = (op == LF_ADD ? a + b : a - b) & m;
                    for (int cc = 0; cc < 16; cc++) {
                        Cpu *c = fresh();
                        cpu_set_lazy(c, op, size, res, a, b);
                        bool fast = cpu_cond(c, cc);
                        uint32_t e = cpu_get_eflags(c);
                        EXPECT_EQ(fast, cond_ref(e, cc));
                        EXPECT_EQ(cpu_cond(c, cc), cond_ref(e, cc)); /* materialised path */
                    }
                }
            }
        }
    }
}

TEST(flags, set_raw_and_mask)
{
    Cpu *c = fresh();
    cpu_set_eflags_raw(c, 0xFFFFFFFFu);
    /* reserved bits 3, 5, 15, 22-31 read as zero; bit 1 as one */
    EXPECT_EQ(cpu_get_eflags(c), 0x003F7FD7u);
    cpu_set_lazy(c, LF_LOGIC, 1, 0, 0, 0);
    cpu_set_flags_mask(c, F_CF, F_CF);
    /* the logic result is materialised first: ZF PF from 0, CF set explicitly, the rest kept */
    EXPECT_EQ(cpu_get_eflags(c) & F_ARITH, F_CF | F_ZF | F_PF);
    EXPECT_EQ(cpu_get_eflags(c) & F_DF, F_DF);
    cpu_set_eflags_raw(c, 0);
    EXPECT_EQ(cpu_get_eflags(c), 2);
}
