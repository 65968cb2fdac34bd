/* The opcode table as data: one OpInfo per line of decoder/opcodes.def, indexed by OPX_<name>. */
#include "decoder/opcodes.h"

const OpInfo kOpTable[OPX_COUNT] = {
#define OP(code, ext, pfx, name, mnem, o1, o2, o3, isa, attr, frd, fwr, fund)                      \
    [OPX_##name] = {code, ext, pfx, #name, mnem, {o1, o2, o3}, isa, attr, frd, fwr, fund},
#include "decoder/opcodes.def"
#undef OP
};
