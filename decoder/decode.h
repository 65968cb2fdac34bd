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
 * consumed so far (for traces) and out->op is undefined. */
DecodeStatus decode_insn(Insn *out, const uint8_t *bytes, unsigned avail, bool d32);

/* Intel-syntax text of a decoded instruction at `eip` (relative branch targets are resolved).
 * Returns the number of characters written (snprintf-style). */
int disasm_insn(const Insn *i, uint32_t eip, char *buf, size_t n);

/* Convenience for traces and the debugger: decode and disassemble; returns the length, or 0 and
 * "(bad)" in buf for undecodable bytes. */
int disasm_bytes(const uint8_t *bytes, unsigned avail, bool d32, uint32_t eip, char *buf,
                 size_t n);

#endif
