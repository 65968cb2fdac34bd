/* Every instruction form the CPU model implements has a handler: the opcode table, the decoder
 * and the interpreter agree (a missing handler would silently raise #UD). */
#include "cpu/cpu.h"
#include "decoder/opcodes.h"
#include "tests/unit/test.h"

extern const OpHandler kOpHandlers[OPX_COUNT];

static int missing_handlers(const CpuModel *model, int verbose)
{
    int missing = 0;
    for (int op = 0; op < OPX_COUNT; op++) {
        const OpInfo *info = &kOpTable[op];
        if ((info->attr & UD) || !(model->isa_mask & (1u << info->isa))) {
            continue;
        }
        if (!kOpHandlers[op]) {
            if (verbose && missing < 400) {
                printf("  %s: no handler op_%s (%s)\n", model->name, info->name, info->mnem);
            }
            missing++;
        }
    }
    return missing;
}

TEST(dispatch, pentiumpro_has_every_handler)
{
    EXPECT_EQ(missing_handlers(&kCpuPentiumPro, 1), 0);
}

TEST(dispatch, pentium2_has_every_handler)
{
    EXPECT_EQ(missing_handlers(&kCpuPentium2, 1), 0);
}

TEST(dispatch, table_names_are_consistent)
{
    /* the enum and the table come from the same .def: spot-check the mapping */
    EXPECT_EQ(kOpTable[OPX_ADD_EbGb].code, 0x00);
    EXPECT_EQ(kOpTable[OPX_CPUID].code, 0x1A2);
    EXPECT_EQ(kOpTable[OPX_HLT].attr & PRIV, PRIV);
}
