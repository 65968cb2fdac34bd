/* The x87 FPU of a P6: register stack, tags, status and control words, exceptions, and the
 * instructions D8-DF plus FXSAVE/FXRSTOR, as pure functions on FpuState (cpu/state.h) and on
 * memory bytes the caller moves (SDM vol. 1 chapter 8, vol. 2 instruction pages).
 *
 * How the interpreter drives an x87 instruction (opcode byte D8-DF and its ModRM):
 *   1. CR0.EM set, or CR0.TS set: #NM (for WAIT/9B: only if CR0.TS and CR0.MP).
 *   2. If x87_insn_waits() and x87_pending(): the pending unmasked exception is taken now,
 *      before the instruction: #MF when CR0.NE = 1. When CR0.NE = 0 the board's FERR# line
 *      (x87_ferr(), wired to IRQ13 through the chipset) already requested the interrupt when
 *      the exception was flagged; the instruction then executes (the IGNNE# behaviour).
 *   3. x87_mem_access() gives the bytes to read before and to write after: read them (any
 *      fault aborts with nothing changed), call x87_exec(), then write out->store_len bytes
 *      of the store buffer. If that write faults, restore the FpuState saved before step 3.
 *   4. Apply out->eflags (FCOMI family) or out->ax (FNSTSW AX) when flagged.
 * x87_exec never raises a CPU exception itself except #UD for reserved encodings; unmasked
 * x87 exceptions only set ES/B in the status word, to be taken at the next waiting
 * instruction by step 2.
 *
 * Choices where the SDM is silent or hardware differs: the undocumented aliases behave as
 * their documented forms (D9 D8+i and DF D0+i/D8+i = FSTP ST(i), DD C8+i and DF C8+i = FXCH,
 * DC D0+i = FCOM, DC D8+i and DE D0+i = FCOMP, DF C0+i = FFREE and pop); FLD m32/m64 of a
 * denormal with DE unmasked loads nothing (SDM vol. 1 8.5.2); "undefined" condition codes
 * and the FPREM partial-reduction step (32 + (d - 32) mod 32 exponent bits) follow the
 * reference host the unit tests compare against.
 */
#ifndef X86PC_CPU_X87_H
#define X86PC_CPU_X87_H

#include <stdint.h>

#include "cpu/state.h"

/* status word bits */
#define X87_SW_IE 0x0001u
#define X87_SW_DE 0x0002u
#define X87_SW_ZE 0x0004u
#define X87_SW_OE 0x0008u
#define X87_SW_UE 0x0010u
#define X87_SW_PE 0x0020u
#define X87_SW_SF 0x0040u
#define X87_SW_ES 0x0080u
#define X87_SW_C0 0x0100u
#define X87_SW_C1 0x0200u
#define X87_SW_C2 0x0400u
#define X87_SW_TOP 0x3800u
#define X87_SW_C3 0x4000u
#define X87_SW_B 0x8000u

/* tag values (2 bits per physical register in the full tag word) */
enum { X87_TAG_VALID = 0, X87_TAG_ZERO = 1, X87_TAG_SPECIAL = 2, X87_TAG_EMPTY = 3 };

/* x87_exec results */
enum { X87_OK = 0, X87_UD = 1 };

typedef struct X87Insn {
    uint8_t op; /* D8-DF */
    uint8_t modrm;
    uint8_t opsize32; /* operand size: selects the 14- or 28-byte environment image */
    uint8_t pmode;    /* protected mode (0 in real and V86 mode): environment image layout */
    uint32_t eflags;  /* current EFLAGS (FCMOVcc reads CF, ZF, PF) */
    uint16_t cs;      /* instruction's CS selector and EIP (of its first prefix): FIP/FCS */
    uint32_t eip;
    uint16_t ds; /* memory operand's segment selector and offset: FDP/FDS */
    uint32_t ea;
} X87Insn;

typedef struct X87Out {
    uint16_t store_len; /* bytes of the store buffer to write at the operand (0: none) */
    uint8_t set_eflags; /* FCOMI/FUCOMI(P): ZF, PF, CF := eflags bits; OF, SF, AF := 0 */
    uint8_t set_ax;     /* FNSTSW AX: AX := ax */
    uint32_t eflags;
    uint16_t ax;
} X87Out;

void x87_reset(FpuState *f); /* power-on/RESET: CW 0040, all empty */
void x87_init(FpuState *f);  /* FNINIT: CW 037F, SW 0, all empty, pointers cleared */

uint16_t x87_status_word(const FpuState *f); /* SW with TOP in bits 11-13 */
int x87_tag(const FpuState *f, int phys);    /* X87_TAG_* of physical register */
uint16_t x87_tag_word(const FpuState *f);    /* full tag word as FSTENV stores it */

/* ES: an unmasked exception is pending (also the level of FERR#). */
int x87_pending(const FpuState *f);
int x87_ferr(const FpuState *f);
/* 0 for the no-wait control instructions (FNINIT, FNCLEX, FNSTENV, FNSAVE, FNSTCW, FNSTSW, and
 * the 8087 leftovers FNENI, FNDISI, FNSETPM), 1 for everything that first takes pending
 * exceptions. */
int x87_insn_waits(uint8_t op, uint8_t modrm);

/* Memory traffic of a memory-form instruction: bytes read before x87_exec (*load) and bytes
 * x87_exec may write at the same address (*store, an upper bound: out->store_len says what to
 * write). Both 0 for register forms. */
void x87_mem_access(uint8_t op, uint8_t modrm, int opsize32, int *load, int *store);

/* Executes one D8-DF instruction. `load` holds the *load bytes read from the operand (may be
 * NULL when none), `store` receives up to *store bytes (108 at most). Returns X87_OK, or
 * X87_UD for a reserved encoding (nothing changed). */
int x87_exec(FpuState *f, const X87Insn *in, const uint8_t *load, uint8_t *store, X87Out *out);

/* Environment and state images (FNSTENV/FLDENV: 14 or 28 bytes, FNSAVE/FRSTOR: 94 or 108),
 * in the four layouts of SDM vol. 1 figures 8-9 to 8-12. The store forms return the length
 * written; FNSTENV then masks all exceptions and FNSAVE reinitialises, as the instructions do
 * (x87_exec does that; these helpers only convert). */
int x87_store_env(const FpuState *f, uint8_t *buf, int opsize32, int pmode);
void x87_load_env(FpuState *f, const uint8_t *buf, int opsize32, int pmode);
int x87_fsave_image(const FpuState *f, uint8_t *buf, int opsize32, int pmode);
void x87_frstor_image(FpuState *f, const uint8_t *buf, int opsize32, int pmode);

/* FXSAVE/FXRSTOR 512-byte image (32-bit layout, abridged tag byte). x87_fxsave writes bytes
 * 0-287 (the reserved tail is left alone) and never changes state. with_sse: the CPU has
 * SSE and CR4.OSFXSR is set, so MXCSR and XMM0-7 are saved/restored (otherwise left out).
 * x87_fxrstor returns 0, or -1 (#GP(0), nothing loaded) when MXCSR has reserved bits set.
 * Alignment (#GP on a misaligned operand) is the caller's check. */
#define X87_MXCSR_MASK 0x0000FFBFu
void x87_fxsave(const FpuState *f, uint32_t mxcsr, const Xmm *xmm, int with_sse, uint8_t img[512]);
int x87_fxrstor(FpuState *f, uint32_t *mxcsr, Xmm *xmm, int with_sse, const uint8_t img[512]);

#endif
