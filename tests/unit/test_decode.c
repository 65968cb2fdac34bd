/* Decoder unit tests: lengths, fields, prefixes, ModRM/SIB in 16- and 32-bit addressing, moffs,
 * LOCK validity, the 15-byte limit, +r forms, SSE prefix selection, and the disassembler's text.
 * Expected values come from the SDM vol. 2 (chapter 2 and appendix A). */
#include <stdlib.h>
#include <string.h>

#include "decoder/decode.h"
#include "tests/unit/test.h"

#define N EA_NONE
#define ANYV 0xDEADBEEFu /* "don't check" for the numeric fields below */

/* "66 0f 10 c1" -> bytes; returns the count */
static unsigned hex(const char *s, uint8_t *b)
{
    unsigned n = 0;
    while (*s) {
        if (*s == ' ') {
            s++;
            continue;
        }
        char t[3] = {s[0], s[1], 0};
        b[n++] = (uint8_t)strtoul(t, NULL, 16);
        s += 2;
    }
    return n;
}

static DecodeStatus dec(const char *h, bool d32, Insn *i)
{
    uint8_t b[32];
    unsigned n = hex(h, b);
    return decode_insn(i, b, n, d32);
}

typedef struct DecCase {
    const char *bytes;
    bool d32;
    int status;
    unsigned len;
    int op; /* OPX_* or -1 */
    uint32_t base, index, scale, disp, imm, imm2, seg;
} DecCase;

/* seg numbers as cpu/state.h: ES CS SS DS FS GS */
enum { ES, CS, SS, DS, FS, GS };

static const DecCase kFieldCases[] = {
    /* 16-bit ModRM: the eight base/index pairs, mod 0/1/2, and [disp16] */
    {"00 00", 0, DEC_OK, 2, OPX_ADD_EbGb, 3, 6, 0, 0, ANYV, ANYV, DS},
    {"00 01", 0, DEC_OK, 2, OPX_ADD_EbGb, 3, 7, 0, 0, ANYV, ANYV, DS},
    {"00 02", 0, DEC_OK, 2, OPX_ADD_EbGb, 5, 6, 0, 0, ANYV, ANYV, SS},
    {"00 03", 0, DEC_OK, 2, OPX_ADD_EbGb, 5, 7, 0, 0, ANYV, ANYV, SS},
    {"00 04", 0, DEC_OK, 2, OPX_ADD_EbGb, 6, N, 0, 0, ANYV, ANYV, DS},
    {"00 05", 0, DEC_OK, 2, OPX_ADD_EbGb, 7, N, 0, 0, ANYV, ANYV, DS},
    {"00 06 34 12", 0, DEC_OK, 4, OPX_ADD_EbGb, N, N, 0, 0x1234, ANYV, ANYV, DS},
    {"00 07", 0, DEC_OK, 2, OPX_ADD_EbGb, 3, N, 0, 0, ANYV, ANYV, DS},
    {"00 46 fe", 0, DEC_OK, 3, OPX_ADD_EbGb, 5, N, 0, 0xFFFFFFFE, ANYV, ANYV, SS},
    {"00 86 00 80", 0, DEC_OK, 4, OPX_ADD_EbGb, 5, N, 0, 0xFFFF8000, ANYV, ANYV, SS},
    {"26 00 46 02", 0, DEC_OK, 4, OPX_ADD_EbGb, 5, N, 0, 2, ANYV, ANYV, ES},
    {"00 c0", 0, DEC_OK, 2, OPX_ADD_EbGb, N, N, 0, 0, ANYV, ANYV, DS},
    /* 32-bit ModRM and SIB */
    {"8b 00", 1, DEC_OK, 2, OPX_MOV_GvEv, 0, N, 0, 0, ANYV, ANYV, DS},
    {"8b 05 78 56 34 12", 1, DEC_OK, 6, OPX_MOV_GvEv, N, N, 0, 0x12345678, ANYV, ANYV, DS},
    {"8b 45 00", 1, DEC_OK, 3, OPX_MOV_GvEv, 5, N, 0, 0, ANYV, ANYV, SS},
    {"8b 04 24", 1, DEC_OK, 3, OPX_MOV_GvEv, 4, N, 0, 0, ANYV, ANYV, SS},
    {"8b 44 88 10", 1, DEC_OK, 4, OPX_MOV_GvEv, 0, 1, 2, 0x10, ANYV, ANYV, DS},
    {"8b 04 cd 78 56 34 12", 1, DEC_OK, 7, OPX_MOV_GvEv, N, 1, 3, 0x12345678, ANYV, ANYV, DS},
    {"8b 04 25 00 10 00 00", 1, DEC_OK, 7, OPX_MOV_GvEv, N, N, 0, 0x1000, ANYV, ANYV, DS},
    {"8b 44 25 f0", 1, DEC_OK, 4, OPX_MOV_GvEv, 5, N, 0, 0xFFFFFFF0, ANYV, ANYV, SS},
    {"8b 84 65 00 01 00 00", 1, DEC_OK, 7, OPX_MOV_GvEv, 5, N, 0, 0x100, ANYV, ANYV, SS},
    {"64 8b 44 24 04", 1, DEC_OK, 5, OPX_MOV_GvEv, 4, N, 0, 4, ANYV, ANYV, FS},
    /* 67 switches the ModRM form */
    {"67 8b 00", 1, DEC_OK, 3, OPX_MOV_GvEv, 3, 6, 0, 0, ANYV, ANYV, DS},
    {"67 8b 00", 0, DEC_OK, 3, OPX_MOV_GvEv, 0, N, 0, 0, ANYV, ANYV, DS},
    /* the last segment override wins */
    {"26 2e 3e 65 8b 00", 1, DEC_OK, 6, OPX_MOV_GvEv, 0, N, 0, 0, ANYV, ANYV, GS},
    /* moffs: address-size bytes in disp */
    {"a1 78 56 34 12", 1, DEC_OK, 5, OPX_MOV_eAXOv, N, N, 0, 0x12345678, ANYV, ANYV, DS},
    {"67 a1 34 12", 1, DEC_OK, 4, OPX_MOV_eAXOv, N, N, 0, 0x1234, ANYV, ANYV, DS},
    {"a2 34 12", 0, DEC_OK, 3, OPX_MOV_ObAL, N, N, 0, 0x1234, ANYV, ANYV, DS},
    {"36 67 a0 78 56 34 12", 0, DEC_OK, 7, OPX_MOV_ALOb, N, N, 0, 0x12345678, ANYV, ANYV, SS},
    /* immediates */
    {"83 c0 ff", 1, DEC_OK, 3, OPX_ADD_EvIbs, ANYV, ANYV, ANYV, ANYV, 0xFFFFFFFF, ANYV, ANYV},
    {"83 c0 ff", 0, DEC_OK, 3, OPX_ADD_EvIbs, ANYV, ANYV, ANYV, ANYV, 0xFFFF, ANYV, ANYV},
    {"6a 80", 1, DEC_OK, 2, OPX_PUSH_Ibs, ANYV, ANYV, ANYV, ANYV, 0xFFFFFF80, ANYV, ANYV},
    {"05 78 56 34 12", 1, DEC_OK, 5, OPX_ADD_eAXIz, ANYV, ANYV, ANYV, ANYV, 0x12345678, ANYV, ANYV},
    {"66 05 34 12", 1, DEC_OK, 4, OPX_ADD_eAXIz, ANYV, ANYV, ANYV, ANYV, 0x1234, ANYV, ANYV},
    {"69 c0 34 12", 0, DEC_OK, 4, OPX_IMUL_GvEvIz, ANYV, ANYV, ANYV, ANYV, 0x1234, ANYV, ANYV},
    {"c7 44 24 08 78 56 34 12", 1, DEC_OK, 8, OPX_MOV_EvIz, 4, N, 0, 8, 0x12345678, ANYV, SS},
    {"c2 08 00", 1, DEC_OK, 3, OPX_RET_Iw, ANYV, ANYV, ANYV, ANYV, 8, ANYV, ANYV},
    {"c8 10 00 02", 0, DEC_OK, 4, OPX_ENTER, ANYV, ANYV, ANYV, ANYV, 0x10, 2, ANYV},
    {"eb fe", 1, DEC_OK, 2, OPX_JMP_Jb, ANYV, ANYV, ANYV, ANYV, 0xFFFFFFFE, ANYV, ANYV},
    {"e9 fd ff", 0, DEC_OK, 3, OPX_JMP_Jz, ANYV, ANYV, ANYV, ANYV, 0xFFFFFFFD, ANYV, ANYV},
    {"0f 84 00 01 00 00", 1, DEC_OK, 6, OPX_JE_Jz, ANYV, ANYV, ANYV, ANYV, 0x100, ANYV, ANYV},
    {"9a 78 56 34 12 23 01", 1, DEC_OK, 7, OPX_CALLF_Ap, ANYV, ANYV, ANYV, ANYV, 0x12345678, 0x123,
     ANYV},
    {"ea 34 12 00 f0", 0, DEC_OK, 5, OPX_JMPF_Ap, ANYV, ANYV, ANYV, ANYV, 0x1234, 0xF000, ANYV},
    {"c1 e0 04", 1, DEC_OK, 3, OPX_SHL_EvIb, ANYV, ANYV, ANYV, ANYV, 4, ANYV, ANYV},
    {"0f a4 c2 05", 1, DEC_OK, 4, OPX_SHLD_EvGvIb, ANYV, ANYV, ANYV, ANYV, 5, ANYV, ANYV},
    {"f6 c3 80", 1, DEC_OK, 3, OPX_TEST_Eb, ANYV, ANYV, ANYV, ANYV, 0x80, ANYV, ANYV},
    {"f7 c3 00 80", 0, DEC_OK, 4, OPX_TEST_Ev, ANYV, ANYV, ANYV, ANYV, 0x8000, ANYV, ANYV},
    {"f7 d3", 0, DEC_OK, 2, OPX_NOT_Ev, ANYV, ANYV, ANYV, ANYV, ANYV, ANYV, ANYV},
    {"d4 0a", 0, DEC_OK, 2, OPX_AAM, ANYV, ANYV, ANYV, ANYV, 10, ANYV, ANYV},
    /* x87: memory by reg field, registers by reg field, exact bytes */
    {"d9 06 34 12", 0, DEC_OK, 4, OPX_FLD_Md, N, N, 0, 0x1234, ANYV, ANYV, DS},
    {"d9 c1", 1, DEC_OK, 2, OPX_FLD_STi, ANYV, ANYV, ANYV, ANYV, ANYV, ANYV, ANYV},
    {"d9 e8", 1, DEC_OK, 2, OPX_FLD1, ANYV, ANYV, ANYV, ANYV, ANYV, ANYV, ANYV},
    {"d9 d0", 1, DEC_OK, 2, OPX_FNOP, ANYV, ANYV, ANYV, ANYV, ANYV, ANYV, ANYV},
    {"df e0", 1, DEC_OK, 2, OPX_FNSTSW_AX, ANYV, ANYV, ANYV, ANYV, ANYV, ANYV, ANYV},
    {"de d9", 1, DEC_OK, 2, OPX_FCOMPP, ANYV, ANYV, ANYV, ANYV, ANYV, ANYV, ANYV},
    {"9b", 1, DEC_OK, 1, OPX_FWAIT, ANYV, ANYV, ANYV, ANYV, ANYV, ANYV, ANYV},
    /* MOV CRn/DRn read mod as 3 whatever it says */
    {"0f 20 00", 1, DEC_OK, 3, OPX_MOV_RdCd, N, N, ANYV, 0, ANYV, ANYV, ANYV},
    {"0f 23 f8", 1, DEC_OK, 3, OPX_MOV_DdRd, N, N, ANYV, 0, ANYV, ANYV, ANYV},
    {"0f 22 e0", 1, DEC_OK, 3, OPX_MOV_CdRd, N, N, ANYV, 0, ANYV, ANYV, ANYV},
    /* group selection by reg, memory/register-only forms */
    {"0f 01 10", 1, DEC_OK, 3, OPX_LGDT, 0, N, ANYV, ANYV, ANYV, ANYV, ANYV},
    {"0f 01 e0", 1, DEC_OK, 3, OPX_SMSW, ANYV, ANYV, ANYV, ANYV, ANYV, ANYV, ANYV},
    {"0f ae f0", 1, DEC_OK, 3, OPX_MFENCE, ANYV, ANYV, ANYV, ANYV, ANYV, ANYV, ANYV},
    {"0f ae 38", 1, DEC_OK, 3, OPX_CLFLUSH, ANYV, ANYV, ANYV, ANYV, ANYV, ANYV, ANYV},
    {"0f c7 08", 1, DEC_OK, 3, OPX_CMPXCHG8B, ANYV, ANYV, ANYV, ANYV, ANYV, ANYV, ANYV},
    {"0f 18 00", 1, DEC_OK, 3, OPX_PREFETCHNTA, ANYV, ANYV, ANYV, ANYV, ANYV, ANYV, ANYV},
    {"0f 18 20", 1, DEC_OK, 3, OPX_NOP_Ev_18, ANYV, ANYV, ANYV, ANYV, ANYV, ANYV, ANYV},
    {"0f 1f 44 00 00", 1, DEC_OK, 5, OPX_NOP_Ev_1F, 0, 0, 0, 0, ANYV, ANYV, DS},
    {"0f 71 d0 03", 1, DEC_OK, 4, OPX_PSRLW_NqIb, ANYV, ANYV, ANYV, ANYV, 3, ANYV, ANYV},
    {"66 0f 73 f9 08", 1, DEC_OK, 5, OPX_PSLLDQ, ANYV, ANYV, ANYV, ANYV, 8, ANYV, ANYV},
    {"0f 12 c1", 1, DEC_OK, 3, OPX_MOVHLPS, ANYV, ANYV, ANYV, ANYV, ANYV, ANYV, ANYV},
    {"0f 12 01", 1, DEC_OK, 3, OPX_MOVLPS_VxMq, 1, N, ANYV, ANYV, ANYV, ANYV, ANYV},
    {"0f 16 c1", 1, DEC_OK, 3, OPX_MOVLHPS, ANYV, ANYV, ANYV, ANYV, ANYV, ANYV, ANYV},
    {"0f c2 c1 02", 1, DEC_OK, 4, OPX_CMPPS, ANYV, ANYV, ANYV, ANYV, 2, ANYV, ANYV},
    {"0f c5 c1 07", 1, DEC_OK, 4, OPX_PEXTRW_Pq, ANYV, ANYV, ANYV, ANYV, 7, ANYV, ANYV},
    {"0f b9 00", 1, DEC_OK, 3, OPX_UD1, ANYV, ANYV, ANYV, ANYV, ANYV, ANYV, ANYV},
    {"0f 0b", 1, DEC_OK, 2, OPX_UD2, ANYV, ANYV, ANYV, ANYV, ANYV, ANYV, ANYV},
};

TEST(decode, fields_table)
{
    for (size_t k = 0; k < sizeof kFieldCases / sizeof kFieldCases[0]; k++) {
        const DecCase *c = &kFieldCases[k];
        Insn i;
        DecodeStatus st = dec(c->bytes, c->d32, &i);
        if (st != c->status || i.len != c->len || (st == DEC_OK && c->op >= 0 && i.op != c->op)) {
            printf("  case '%s' d32=%d: status %d len %u op %s\n", c->bytes, c->d32, st, i.len,
                   st == DEC_OK ? kOpTable[i.op].name : "-");
            g_test_failed = 1;
            continue;
        }
        const uint32_t got[7] = {i.base, i.index, i.scale, i.disp, i.imm, i.imm2, i.seg};
        const uint32_t want[7] = {c->base, c->index, c->scale, c->disp, c->imm, c->imm2, c->seg};
        static const char *const kNames[7] = {"base", "index", "scale", "disp",
                                              "imm",  "imm2",  "seg"};
        for (int f = 0; f < 7; f++) {
            if (want[f] != ANYV && got[f] != want[f]) {
                printf("  case '%s' d32=%d: %s 0x%x, expected 0x%x\n", c->bytes, c->d32, kNames[f],
                       got[f], want[f]);
                g_test_failed = 1;
            }
        }
    }
}

typedef struct StatusCase {
    const char *bytes;
    bool d32;
    int status;
} StatusCase;

static const StatusCase kStatusCases[] = {
    /* LOCK: only lockable entries, only with a memory destination */
    {"f0 01 00", 1, DEC_OK},
    {"f0 01 c0", 1, DEC_UD},
    {"f0 8b 00", 1, DEC_UD},
    {"f0 90", 1, DEC_UD},
    {"f0 0f c7 08", 1, DEC_OK},
    {"f0 0f ab 00", 1, DEC_OK},
    {"f0 0f a3 00", 1, DEC_UD}, /* BT does not write */
    {"f0 38 00", 1, DEC_UD},    /* CMP does not write */
    {"f0 86 00", 1, DEC_OK},
    {"f0 f6 10", 1, DEC_OK},    /* NOT */
    {"f0 f6 00 01", 1, DEC_UD}, /* TEST */
    {"f0 fe 00", 1, DEC_OK},
    {"f0 ff 30", 1, DEC_UD}, /* PUSH */
    {"2e f0 66 81 00 34 12", 1, DEC_OK},
    /* memory-only operand kinds with a register */
    {"8d c0", 1, DEC_UD},
    {"c4 c0", 1, DEC_UD},
    {"62 c0", 1, DEC_UD},
    {"ff d8", 1, DEC_UD},
    {"ff e8", 1, DEC_UD},
    {"0f 01 c0", 1, DEC_UD},
    {"0f b2 c0", 1, DEC_UD},
    {"0f c7 c8", 1, DEC_UD},
    {"0f ae c0", 1, DEC_UD},
    {"66 0f 12 c1", 1, DEC_UD}, /* MOVLPD takes memory only */
    {"0f 50 00", 1, DEC_UD},    /* MOVMSKPS takes a register only */
    {"0f c5 00 01", 1, DEC_UD},
    {"f3 0f d6 00", 1, DEC_UD},
    {"0f 71 00 01", 1, DEC_UD},
    /* register fields that name nothing */
    {"8e c8", 1, DEC_UD}, /* MOV CS, ax */
    {"8e f0", 1, DEC_UD},
    {"8c f8", 1, DEC_UD},
    {"8e d8", 1, DEC_OK},
    {"0f 20 c8", 1, DEC_UD}, /* CR1 */
    {"0f 22 e8", 1, DEC_UD}, /* CR5 */
    {"0f 22 d8", 1, DEC_OK}, /* CR3 */
    /* undefined opcodes and group members */
    {"0f 0f", 1, DEC_UD},
    {"0f 38 00 c0", 1, DEC_UD},
    {"0f 05", 1, DEC_UD},
    {"8f c8", 1, DEC_UD},
    {"c6 c8 00", 1, DEC_UD},
    {"fe d0", 1, DEC_UD},
    {"ff f8", 1, DEC_UD},
    {"0f ba 00 01", 1, DEC_UD},
    {"d9 08", 1, DEC_UD},
    {"d9 d1", 1, DEC_UD},
    {"d9 e2", 1, DEC_UD},
    {"da ea", 1, DEC_UD},
    {"dd 28", 1, DEC_UD},
    {"0f 6c c1", 1, DEC_UD}, /* PUNPCKLQDQ needs 66 */
    {"f3 0f 6c c1", 1, DEC_UD},
    /* the 15-byte limit */
    {"66 66 66 66 66 66 66 66 66 66 66 66 66 66 90", 1, DEC_OK},
    {"66 66 66 66 66 66 66 66 66 66 66 66 66 66 66 90", 1, DEC_TOOLONG},
    {"66 66 66 66 66 66 66 66 66 66 05 78 56 34 12", 0, DEC_OK},
    {"66 66 66 66 66 66 66 66 66 66 66 05 78 56 34 12", 0, DEC_TOOLONG},
    {"66 66 66 66 66 66 66 66 66 66 66 05", 0, DEC_TOOLONG}, /* known too long though cut */
    {"66 66 66 66 66 66 66 66 66 66 66 66 66 66 66", 1, DEC_TOOLONG},
    {"26 26 26 26 26 26 26 26 26 26 8b 84 88 00 00 00 00", 1, DEC_TOOLONG},
    /* too short */
    {"", 1, DEC_MORE},
    {"66", 1, DEC_MORE},
    {"0f", 1, DEC_MORE},
    {"8b", 1, DEC_MORE},
    {"8b 04", 1, DEC_MORE},
    {"8b 80 00 00 00", 1, DEC_MORE},
    {"8b 80 00 00", 0, DEC_OK},
    {"c8 00 00", 1, DEC_MORE},
    {"9a 00 00 00 00 00", 1, DEC_MORE},
    {"9a 00 00 00 00", 0, DEC_OK},
};

TEST(decode, status_table)
{
    for (size_t k = 0; k < sizeof kStatusCases / sizeof kStatusCases[0]; k++) {
        const StatusCase *c = &kStatusCases[k];
        Insn i;
        DecodeStatus st = dec(c->bytes, c->d32, &i);
        if (st != (DecodeStatus)c->status) {
            printf("  case '%s' d32=%d: status %d, expected %d\n", c->bytes, c->d32, st, c->status);
            g_test_failed = 1;
        }
    }
}

TEST(decode, flags_and_sizes)
{
    Insn i;
    EXPECT_EQ(dec("90", true, &i), DEC_OK);
    EXPECT_EQ(i.flags & (INSN_OP32 | INSN_ADDR32 | INSN_HAS_MODRM | INSN_MEM),
              INSN_OP32 | INSN_ADDR32);
    EXPECT_EQ(dec("66 67 90", true, &i), DEC_OK);
    EXPECT_EQ(i.flags & (INSN_OP32 | INSN_ADDR32), 0);
    EXPECT_EQ(dec("66 67 90", false, &i), DEC_OK);
    EXPECT_EQ(i.flags & (INSN_OP32 | INSN_ADDR32), INSN_OP32 | INSN_ADDR32);
    EXPECT_EQ(dec("66 66 90", false, &i), DEC_OK); /* a repeated 66 still only toggles once */
    EXPECT_TRUE(i.flags & INSN_OP32);
    EXPECT_EQ(dec("f3 a5", true, &i), DEC_OK);
    EXPECT_EQ(i.flags & (INSN_REP | INSN_REPNE), INSN_REP);
    EXPECT_EQ(i.pfx, 0);
    EXPECT_EQ(dec("f3 f2 a6", true, &i), DEC_OK); /* the last of F2/F3 counts */
    EXPECT_EQ(i.flags & (INSN_REP | INSN_REPNE), INSN_REPNE);
    EXPECT_EQ(dec("f0 01 00", true, &i), DEC_OK);
    EXPECT_EQ(i.flags & (INSN_LOCK | INSN_MEM | INSN_HAS_MODRM),
              INSN_LOCK | INSN_MEM | INSN_HAS_MODRM);
    EXPECT_EQ(dec("2e 90", true, &i), DEC_OK);
    EXPECT_TRUE(i.flags & INSN_SEG_OVR);
    EXPECT_EQ(i.seg, CS);
    EXPECT_EQ(dec("a4", true, &i), DEC_OK);
    EXPECT_EQ(i.seg, DS);
    EXPECT_EQ(i.flags & (INSN_SEG_OVR | INSN_MEM), 0);
    EXPECT_EQ(dec("a1 00 10 00 00", true, &i), DEC_OK);
    EXPECT_EQ(i.flags & (INSN_MEM | INSN_HAS_MODRM), INSN_MEM);
    EXPECT_EQ(dec("8b c1", true, &i), DEC_OK);
    EXPECT_EQ(i.modrm, 0xC1);
    EXPECT_EQ(i.flags & (INSN_MEM | INSN_HAS_MODRM), INSN_HAS_MODRM);
    EXPECT_EQ(dec("0f 20 00", true, &i), DEC_OK); /* mod ignored: no memory operand */
    EXPECT_EQ(i.flags & INSN_MEM, 0);
    /* DEC_UD reports the length consumed so far */
    EXPECT_EQ(dec("66 0f 0f", true, &i), DEC_UD);
    EXPECT_EQ(i.len, 3);
    EXPECT_EQ(dec("f0 01 c0", true, &i), DEC_UD);
}

TEST(decode, plus_r_forms)
{
    static const struct {
        uint8_t first;
        int n;
        bool twobyte;
        int op;
    } kForms[] = {
        {0x40, 8, false, OPX_INC_Zv},     {0x48, 8, false, OPX_DEC_Zv},
        {0x50, 8, false, OPX_PUSH_Zv},    {0x58, 8, false, OPX_POP_Zv},
        {0x91, 7, false, OPX_XCHG_ZveAX}, {0xB0, 8, false, OPX_MOV_ZbIb},
        {0xB8, 8, false, OPX_MOV_ZvIv},   {0xC8, 8, true, OPX_BSWAP},
    };
    for (size_t f = 0; f < sizeof kForms / sizeof kForms[0]; f++) {
        for (int r = 0; r < kForms[f].n; r++) {
            uint8_t b[8] = {0x0F, 0, 1, 2, 3, 4, 5, 6};
            uint8_t *p = kForms[f].twobyte ? b : b + 1;
            p[kForms[f].twobyte ? 1 : 0] = (uint8_t)(kForms[f].first + r);
            Insn i;
            EXPECT_EQ(decode_insn(&i, p, 7, true), DEC_OK);
            EXPECT_EQ(i.op, kForms[f].op);
            EXPECT_EQ(i.opcode, (uint8_t)(kForms[f].first + r));
        }
    }
    Insn i;
    EXPECT_EQ(dec("90", true, &i), DEC_OK);
    EXPECT_EQ(i.op, OPX_NOP);
    EXPECT_EQ(dec("bf 78 56 34 12", true, &i), DEC_OK);
    EXPECT_EQ(i.len, 5);
    EXPECT_EQ(i.imm, 0x12345678);
    EXPECT_EQ(dec("66 bf 34 12", true, &i), DEC_OK);
    EXPECT_EQ(i.len, 4);
    EXPECT_EQ(dec("b7 12", false, &i), DEC_OK);
    EXPECT_EQ(i.op, OPX_MOV_ZbIb);
    EXPECT_EQ(i.imm, 0x12);
}

TEST(decode, sse_prefix_selection)
{
    static const struct {
        const char *bytes;
        int op;
        uint8_t pfx;
        uint8_t flags; /* expected OP32/REP/REPNE bits */
    } kCases[] = {
        {"0f 10 c1", OPX_MOVUPS_VxWx, 0, INSN_OP32},
        {"66 0f 10 c1", OPX_MOVUPD_VxWx, 0x66, INSN_OP32}, /* 66 chose: no size change */
        {"f3 0f 10 c1", OPX_MOVSS_VxWd, 0xF3, INSN_OP32},  /* F3 chose: not REP */
        {"f2 0f 10 c1", OPX_MOVSD_VxWq, 0xF2, INSN_OP32},
        {"66 f3 0f 58 c1", OPX_ADDSS, 0xF3, 0}, /* F3 over 66; 66 is size */
        {"f3 66 0f 58 c1", OPX_ADDSS, 0xF3, 0},
        {"f3 f2 0f 58 c1", OPX_ADDSD, 0xF2, INSN_OP32},
        {"66 f2 0f d4 c1", OPX_PADDQ_Vx, 0x66, INSN_OP32 | INSN_REPNE}, /* F2 ignored */
        {"f3 0f fc c1", OPX_PADDB_Pq, 0, INSN_OP32 | INSN_REP},         /* F3 ignored */
        {"66 0f 77", OPX_EMMS, 0, 0},
        {"66 0f 6c c1", OPX_PUNPCKLQDQ, 0x66, INSN_OP32},
        {"f3 90", OPX_PAUSE, 0xF3, INSN_OP32},
        {"f2 90", OPX_NOP, 0, INSN_OP32 | INSN_REPNE},
        {"66 0f 6f c1", OPX_MOVDQA_VxWx, 0x66, INSN_OP32},
        {"f3 0f 6f c1", OPX_MOVDQU_VxWx, 0xF3, INSN_OP32},
        {"0f 6f c1", OPX_MOVQ_PqQq, 0, INSN_OP32},
        {"f3 0f 7e c1", OPX_MOVQ_VxWq, 0xF3, INSN_OP32},
        {"66 0f 7e c1", OPX_MOVD_EdVx, 0x66, INSN_OP32},
        {"f3 0f d6 c1", OPX_MOVQ2DQ, 0xF3, INSN_OP32},
        {"f2 0f d6 c1", OPX_MOVDQ2Q, 0xF2, INSN_OP32},
        {"66 0f ae f8", OPX_SFENCE, 0, 0}, /* ANY entries ignore 66 */
        {"f3 0f bc c1", OPX_BSF, 0, INSN_OP32 | INSN_REP},
    };
    for (size_t k = 0; k < sizeof kCases / sizeof kCases[0]; k++) {
        Insn i;
        DecodeStatus st = dec(kCases[k].bytes, true, &i);
        uint8_t fl = i.flags & (INSN_OP32 | INSN_REP | INSN_REPNE);
        if (st != DEC_OK || i.op != kCases[k].op || i.pfx != kCases[k].pfx ||
            fl != kCases[k].flags) {
            printf("  case '%s': status %d op %s pfx %02x flags %02x\n", kCases[k].bytes, st,
                   st == DEC_OK ? kOpTable[i.op].name : "-", i.pfx, fl);
            g_test_failed = 1;
        }
    }
}

/* Every table entry must be reachable: no entry shadows another. */
TEST(decode, every_entry_reachable)
{
    static const uint8_t kPfx[] = {[ANY] = 0, [NP] = 0, [P66] = 0x66, [PF3] = 0xF3, [PF2] = 0xF2};
    for (unsigned k = 0; k < OPX_COUNT; k++) {
        const OpInfo *e = &kOpTable[k];
        uint8_t b[16] = {0};
        unsigned p = 0;
        if (kPfx[e->pfx]) {
            b[p++] = kPfx[e->pfx];
        }
        if (e->code >= 0x100) {
            b[p++] = 0x0F;
        }
        b[p++] = (uint8_t)e->code;
        bool mem = EXT_KIND(e->ext) == 1, reg = EXT_KIND(e->ext) == 2;
        for (int j = 0; j < 3; j++) {
            mem |= e->opnd[j] >= M && e->opnd[j] <= Mx;
            reg |= e->opnd[j] == Nq || e->opnd[j] == Ux || e->opnd[j] == STi;
        }
        if (EXT_KIND(e->ext) == 3) {
            b[p] = (uint8_t)e->ext;
        } else {
            unsigned r = EXT_IS_REGFIELD(e->ext) ? (unsigned)EXT_REG(e->ext) : 0;
            b[p] = (uint8_t)((mem ? 0x00 : reg ? 0xC0 : 0x00) | r << 3);
        }
        Insn i;
        DecodeStatus st = decode_insn(&i, b, sizeof b, true);
        if (!mem && !reg && (st != DEC_OK || i.op != k)) {
            b[p] |= 0xC0; /* an any-mod entry may be reachable only with a register */
            st = decode_insn(&i, b, sizeof b, true);
        }
        if (st != DEC_OK || i.op != k) {
            printf("  %s: status %d op %s\n", e->name, st,
                   st == DEC_OK ? kOpTable[i.op].name : "-");
            g_test_failed = 1;
        }
    }
}

/* Cutting an instruction anywhere before its end asks for more bytes. */
TEST(decode, more_at_every_cut)
{
    static const char *const kLong[] = {
        "2e 66 c7 84 88 78 56 34 12 cd ab",
        "f3 0f c2 44 24 08 01",
        "9a 78 56 34 12 23 01",
        "67 8b 86 34 12",
        "c8 10 00 02",
        "66 f2 0f 70 40 01 07",
    };
    for (size_t k = 0; k < sizeof kLong / sizeof kLong[0]; k++) {
        uint8_t b[16];
        unsigned n = hex(kLong[k], b);
        Insn i;
        for (unsigned a = 0; a < n; a++) {
            EXPECT_EQ(decode_insn(&i, b, a, true), DEC_MORE);
        }
        EXPECT_EQ(decode_insn(&i, b, n, true), DEC_OK);
        EXPECT_EQ(i.len, n);
    }
}

typedef struct DisCase {
    const char *bytes;
    bool d32;
    const char *text;
} DisCase;

static const DisCase kDisCases[] = {
    {"00 01", 1, "add    BYTE PTR [ecx],al"},
    {"8b 44 24 fc", 1, "mov    eax,DWORD PTR [esp-0x4]"},
    {"8b 44 88 10", 1, "mov    eax,DWORD PTR [eax+ecx*4+0x10]"},
    {"8b 04 8d 00 10 00 00", 1, "mov    eax,DWORD PTR [ecx*4+0x1000]"},
    {"8b 05 00 10 00 00", 1, "mov    eax,DWORD PTR ds:0x1000"},
    {"64 8b 00", 1, "mov    eax,DWORD PTR fs:[eax]"},
    {"8b 42 fe", 0, "mov    ax,WORD PTR [bp+si-0x2]"},
    {"26 88 07", 0, "mov    BYTE PTR es:[bx],al"},
    {"a0 34 12", 0, "mov    al,ds:0x1234"},
    {"2e a3 34 12", 0, "mov    cs:0x1234,ax"},
    {"f3 a5", 1, "rep movsd"},
    {"66 a5", 1, "movsw"},
    {"a4", 0, "movsb"},
    {"f3 a6", 1, "repz cmpsb"},
    {"f2 af", 0, "repnz scasw"},
    {"f3 66 ab", 0, "rep stosd"},
    {"98", 1, "cwde"},
    {"66 98", 1, "cbw"},
    {"99", 1, "cdq"},
    {"99", 0, "cwd"},
    {"60", 1, "pushad"},
    {"60", 0, "pusha"},
    {"9d", 1, "popfd"},
    {"9c", 0, "pushf"},
    {"cf", 1, "iretd"},
    {"cf", 0, "iret"},
    {"66 61", 0, "popad"},
    {"e3 fe", 1, "jecxz  0x1000"},
    {"67 e3 fd", 1, "jcxz   0x1000"},
    {"eb fe", 1, "jmp    0x1000"},
    {"e8 fb ef ff ff", 1, "call   0x0"},
    {"e9 fd 0f", 0, "jmp    0x2000"},
    {"e9 fd ef", 0, "jmp    0x0"}, /* wraps at 64 KiB */
    {"0f 85 fa ff ff ff", 1, "jne    0x1000"},
    {"9a 34 12 00 f0", 0, "call   0xf000:0x1234"},
    {"ff 25 00 20 00 00", 1, "jmp    DWORD PTR ds:0x2000"},
    {"ff 2d 00 20 00 00", 1, "jmp    FWORD PTR ds:0x2000"},
    {"83 c0 ff", 1, "add    eax,0xffffffff"},
    {"6a 80", 0, "push   0xff80"},
    {"c8 10 00 02", 1, "enter  0x10,0x2"},
    {"c2 08 00", 1, "ret    0x8"},
    {"cd 21", 0, "int    0x21"},
    {"d1 e0", 1, "shl    eax,1"},
    {"d3 f8", 1, "sar    eax,cl"},
    {"f0 0f c1 08", 1, "lock xadd   DWORD PTR [eax],ecx"},
    {"0f b6 c0", 1, "movzx  eax,al"},
    {"8c d8", 1, "mov    eax,ds"},
    {"8c 18", 1, "mov    WORD PTR [eax],ds"},
    {"8e d0", 0, "mov    ss,ax"},
    {"0f 20 c0", 1, "mov    eax,cr0"},
    {"0f 23 f8", 1, "mov    dr7,eax"},
    {"06", 0, "push   es"},
    {"0f a1", 1, "pop    fs"},
    {"97", 1, "xchg   edi,eax"},
    {"0f c9", 1, "bswap  ecx"},
    {"b4 12", 0, "mov    ah,0x12"},
    {"d9 e8", 1, "fld1"},
    {"d8 c1", 1, "fadd   st,st(1)"},
    {"de c1", 1, "faddp  st(1),st"},
    {"dd 06 34 12", 0, "fld    QWORD PTR ds:0x1234"},
    {"db 28", 1, "fld    TBYTE PTR [eax]"},
    {"df e0", 1, "fnstsw ax"},
    {"0f 01 15 00 10 00 00", 1, "lgdt   ds:0x1000"},
    {"8d 04 40", 1, "lea    eax,[eax+eax*2]"},
    {"f3 0f 10 01", 1, "movss  xmm0,DWORD PTR [ecx]"},
    {"66 0f 6f 01", 1, "movdqa xmm0,XMMWORD PTR [ecx]"},
    {"0f 6f c1", 1, "movq   mm0,mm1"},
    {"0f 71 d0 03", 1, "psrlw  mm0,0x3"},
    {"f3 90", 1, "pause"},
    {"2e 90", 1, "cs nop"},
    {"9b", 1, "fwait"},
    {"0f 0b", 1, "ud2"},
};

TEST(disasm, text_table)
{
    for (size_t k = 0; k < sizeof kDisCases / sizeof kDisCases[0]; k++) {
        const DisCase *c = &kDisCases[k];
        uint8_t b[16];
        unsigned n = hex(c->bytes, b);
        char buf[96];
        int len = disasm_bytes(b, n, c->d32, 0x1000, buf, sizeof buf);
        if (len != (int)n || strcmp(buf, c->text)) {
            printf("  '%s' d32=%d: len %d '%s', expected '%s'\n", c->bytes, c->d32, len, buf,
                   c->text);
            g_test_failed = 1;
        }
    }
}

TEST(disasm, movsx_and_bad)
{
    char buf[64];
    uint8_t b[] = {0x0F, 0xBF, 0x46, 0x00};
    EXPECT_EQ(disasm_bytes(b, sizeof b, false, 0, buf, sizeof buf), 4);
    EXPECT_TRUE(!strcmp(buf, "movsx  ax,WORD PTR [bp]"));
    uint8_t u[] = {0x0F, 0x0F, 0x00, 0x00};
    EXPECT_EQ(disasm_bytes(u, sizeof u, true, 0, buf, sizeof buf), 0);
    EXPECT_TRUE(!strcmp(buf, "(bad)"));
}

TEST(disasm, truncates_like_snprintf)
{
    uint8_t b[] = {0x8B, 0x44, 0x88, 0x10};
    Insn i;
    EXPECT_EQ(decode_insn(&i, b, sizeof b, true), DEC_OK);
    char full[64], small[8];
    int n = disasm_insn(&i, 0, full, sizeof full);
    EXPECT_EQ(n, (int)strlen(full));
    EXPECT_EQ(disasm_insn(&i, 0, small, sizeof small), n);
    EXPECT_EQ(strlen(small), sizeof small - 1);
    EXPECT_TRUE(!strncmp(small, full, sizeof small - 1));
    EXPECT_EQ(disasm_insn(&i, 0, NULL, 0), n);
}
