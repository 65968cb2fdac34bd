/* The opcode table's vocabulary, and the table itself as an enum and an array.
 *
 * decoder/opcodes.def is the single source of truth for every instruction form (DESIGN.md):
 *
 *   OP(code, ext, pfx, name, mnem, o1, o2, o3, isa, attr, frd, fwr, fund)
 *
 *   code   0x00-0xFF one-byte opcodes, 0x100-0x1FF the 0F xx map
 *   ext    NX: no extension; R0-R7: ModRM.reg, any mod; M0-M7: ModRM.reg with a memory operand;
 *          X0-X7: ModRM.reg with a register operand; MB(0xE0): this exact ModRM byte (mod 3).
 *          Operand kinds narrow an entry further: an M* operand matches only mod != 3, an Nq or
 *          Ux operand only mod == 3 (0F 12 is MOVLPS with memory, MOVHLPS with a register).
 *          Rd/Cd/Dd entries (MOV CRn/DRn) read ModRM as mod 3 whatever mod says (SDM).
 *          An entry with a Zb/Zv/Zd operand covers code to the next multiple of 8 (+r forms).
 *          Most specific wins: MB over M/X (or an operand-kind mod restriction) over R/NX, and
 *          an NP/P66/PF3/PF2 entry over an ANY entry.
 *   pfx    ANY: prefixes keep their usual meaning; NP, P66, PF3, PF2: a mandatory SSE prefix,
 *          chosen by the last F2/F3 given, else 66, else none; the chosen prefix then neither
 *          changes the operand size nor means REP
 *   name   unique identifier: OPX_<name> and the handler op_<name> in the interpreter
 *   mnem   Intel-syntax mnemonic (the disassembler chooses w/d variants from the operand size
 *          where the mnemonic contains '%': "movs%" gives movsb/movsw/movsd from the operands)
 *   o1-o3  operands in SDM notation (Eb, Gv, Iz, ...), __ for none
 *   isa    the CPU level that introduced the form
 *   attr   LOCK (lockable), BLK (ends a translation block), PRIV (CPL 0 only), SENS (sensitive:
 *          depends on IOPL/VM/VME/CR bits, traps under the native backend), UD (always #UD)
 *   frd    arithmetic flags read; fwr flags written; fund flags left undefined (all as EFLAGS
 *          bit masks built from Fc Fp Fa Fz Fs Fo)
 */
#ifndef X86PC_OPCODES_H
#define X86PC_OPCODES_H

#include <stdint.h>

/* operand kinds */
typedef enum OperandKind {
    __ = 0,
    /* ModRM r/m */
    Eb, Ew, Ed, Ev, Eq, M, Mp, Ma, Ms, Mw, Md, Mq, Mt, Mx, Rd,
    /* ModRM reg */
    Gb, Gw, Gd, Gv, Sw, Cd, Dd, Pq, Vx,
    /* ModRM r/m for MMX/SSE */
    Qq, Qd, Wx, Wd, Wq, Nq, Ux,
    /* immediates */
    Ib, Ibs, Iw, Iz, Iv, Jb, Jz, Ap, Ob, Ov,
    /* implied */
    Zb, Zv, Zd, AL, eAX, CL, DX, One, Xb, Xv, Yb, Yv,
    sES, sCS, sSS, sDS, sFS, sGS, ST0, STi, AX,
    OPERAND_KIND_COUNT
} OperandKind;

/* ext encodings */
#define NX (-1)
#define R0 0
#define R1 1
#define R2 2
#define R3 3
#define R4 4
#define R5 5
#define R6 6
#define R7 7
#define M0 0x10
#define M1 0x11
#define M2 0x12
#define M3 0x13
#define M4 0x14
#define M5 0x15
#define M6 0x16
#define M7 0x17
#define X0 0x20
#define X1 0x21
#define X2 0x22
#define X3 0x23
#define X4 0x24
#define X5 0x25
#define X6 0x26
#define X7 0x27
#define MB(b) (0x100 | (b))

#define EXT_IS_REGFIELD(e) ((e) >= 0 && (e) < 0x100)
#define EXT_REG(e) ((e) & 7)
#define EXT_KIND(e) ((e) < 0 ? 0 : (e) >= 0x100 ? 3 : ((e) >> 4) & 3) /* 0 any,1 mem,2 reg,3 byte */

/* mandatory prefixes */
enum { ANY = 0, NP = 1, P66 = 2, PF3 = 3, PF2 = 4 };

/* ISA levels */
typedef enum IsaLevel { I386, I486, I586, I686, FPU, MMX, SSE, SSE2, ISA_NONE } IsaLevel;

/* attributes */
#define LOCK 0x01u
#define BLK 0x02u
#define PRIV 0x04u
#define SENS 0x08u
#define UD 0x10u
#define A0 0x00u

/* flag masks (EFLAGS bit positions) */
#define Fc 0x001u
#define Fp 0x004u
#define Fa 0x010u
#define Fz 0x040u
#define Fs 0x080u
#define Fo 0x800u
#define F0 0x000u
#define OSZAPC (Fo | Fs | Fz | Fa | Fp | Fc)
#define OSZAP (Fo | Fs | Fz | Fa | Fp)
#define SZAPC (Fs | Fz | Fa | Fp | Fc)
#define SZP (Fs | Fz | Fp)

typedef enum OpIndex {
#define OP(code, ext, pfx, name, mnem, o1, o2, o3, isa, attr, frd, fwr, fund) OPX_##name,
#include "decoder/opcodes.def"
#undef OP
    OPX_COUNT
} OpIndex;

typedef struct OpInfo {
    int16_t code;
    int16_t ext;
    uint8_t pfx;
    const char *name;
    const char *mnem;
    uint8_t opnd[3];
    uint8_t isa;
    uint8_t attr;
    uint16_t frd, fwr, fund;
} OpInfo;

extern const OpInfo kOpTable[OPX_COUNT];

#endif
