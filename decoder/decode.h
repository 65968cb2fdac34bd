/* Instruction decoding and disassembly, driven by the one opcode table (decoder/opcodes.def).
 * The decoder knows nothing of execution: it turns bytes into an Insn and nothing else. */
#ifndef X86PC_DECODE_H
#define X86PC_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decoder/insn.h"
#include "decoder/opcodes.h"

typedef enum DecodeStatus {
    DEC_OK = 0,
    DEC_MORE = -1,    /* the instruction continues past `avail` bytes: fetch more and retry */
    DEC_UD = -2,      /* no such instruction, or LOCK where it is not allowed: #UD */
    DEC_TOOLONG = -3, /* longer than 15 bytes: #GP(0) */
} DecodeStatus;

/* Decode one instruction from bytes[0..avail). d32 is the code segment's D bit (default operand
 * and address size 32). On DEC_OK, out->len is the length. On DEC_UD, out->len is the length
 * consumed so far (for traces) and out->op is undefined. DEC_TOOLONG wins over DEC_MORE: it is
 * returned as soon as the instruction is known to need a 16th byte, even past `avail`.
 * Entries with the UD attribute (UD0/UD1/UD2, RSM, FISTTP) decode as DEC_OK: the handler or the
 * run loop raises #UD from the table. Field conventions (see also decoder/insn.h):
 * - imm: Ib zero-extended; Ibs sign-extended to the operand size (0xFF80 for a 16-bit push of
 *   0x80); Iw, Iz, Iv zero-extended; Jb and Jz sign-extended to 32 bits; Ap: offset in imm,
 *   selector in imm2; ENTER: Iw in imm, Ib in imm2.
 * - disp: sign-extended disp8/disp16/disp32; moffs (Ob/Ov) zero-extended, with INSN_MEM set
 *   and base/index EA_NONE.
 * - base/index are register numbers (EAX=0 ... EDI=7; in 16-bit forms BX=3, BP=5, SI=6,
 *   DI=7), scale is the shift count; seg is the override or the default (SS for BP/EBP/ESP
 *   bases, else DS), also when there is no memory operand (string sources, XLAT).
 * - pfx: the mandatory prefix (0x66, 0xF2, 0xF3) that selected an SSE/MMX entry (or PAUSE),
 *   else 0; that prefix then neither toggles the operand size nor sets INSN_REP/INSN_REPNE.
 * Thread-safe: the lookup index is built once, under pthread_once. */
DecodeStatus decode_insn(Insn *out, const uint8_t *bytes, unsigned avail, bool d32);

/* Intel-syntax text of a decoded instruction at `eip` (relative branch targets are resolved).
 * Returns the number of characters written (snprintf-style). */
int disasm_insn(const Insn *i, uint32_t eip, char *buf, size_t n);

/* Convenience for traces and the debugger: decode and disassemble; returns the length, or 0 and
 * "(bad)" in buf for undecodable bytes. */
int disasm_bytes(const uint8_t *bytes, unsigned avail, bool d32, uint32_t eip, char *buf,
                 size_t n);

#endif
