/* A decoded instruction.
 *
 * The decoder turns instruction bytes into this compact struct once per instruction per code page;
 * the interpreter executes it from the decoded-instruction cache. Layout (24 bytes):
 *
 *   0       2     3      4     5      6      7     8     9      10   11  12        16      20
 *   +-------+-----+------+-----+------+------+-----+-----+------+----+---+---------+-------+-------+
 *   | op    | len |flags | seg |modrm | base |index|scale|opcode| pfx|rsv| disp    | imm   | imm2  |
 *   +-------+-----+------+-----+------+------+-----+-----+------+----+---+---------+-------+-------+
 *
 * `op` indexes the opcode table (decoder/opcodes.def, OPX_* enum). The effective address of a
 * memory operand is base + (index << scale) + disp, truncated to 16 bits when the address size is
 * 16; the 16-bit ModRM forms are expressed with the same fields ([BX+SI] is base BX, index SI).
 */
#ifndef X86PC_INSN_H
#define X86PC_INSN_H

#include <stdint.h>

#define EA_NONE 0xFF

/* flags */
#define INSN_OP32 0x01     /* operand size 32 */
#define INSN_ADDR32 0x02   /* address size 32 */
#define INSN_LOCK 0x04     /* F0 prefix */
#define INSN_REP 0x08      /* F3 prefix */
#define INSN_REPNE 0x10    /* F2 prefix */
#define INSN_SEG_OVR 0x20  /* an explicit segment override was given */
#define INSN_HAS_MODRM 0x40
#define INSN_MEM 0x80      /* has a memory operand (ModRM mod != 3, or moffs) */

/* pfx: the mandatory prefix that selected an SSE/MMX entry (or PAUSE): 0, 0x66, 0xF2, 0xF3.
 * F2/F3 (the last one given) take precedence over 66; a prefix that selects no form of the
 * opcode is ignored (F3 0F FC is PADDB mm with INSN_REP set, and pfx 0). */

typedef struct Insn {
    uint16_t op;
    uint8_t len;
    uint8_t flags;
    uint8_t seg;
    uint8_t modrm;
    uint8_t base;
    uint8_t index;
    uint8_t scale;
    uint8_t opcode; /* the last opcode byte (low 3 bits name a register in +r forms) */
    uint8_t pfx;
    uint8_t rsv;
    uint32_t disp;
    uint32_t imm;
    uint32_t imm2; /* ENTER's nesting level; the selector of a far pointer immediate */
} Insn;

#define MODRM_MOD(i) ((i)->modrm >> 6)
#define MODRM_REG(i) (((i)->modrm >> 3) & 7)
#define MODRM_RM(i) ((i)->modrm & 7)

#endif
