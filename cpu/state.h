/* The CPU's architectural state, as plain data.
 *
 * Everything here is fixed-width and pointer-free so that it snapshots as it is and the MMU can
 * read it (DESIGN.md layering). Arithmetic flags are lazy: the last flag-setting operation keeps
 * its kind, operands and result (lf_*), and cpu/flags.c computes CF/PF/AF/ZF/SF/OF on demand;
 * `eflags` holds every other bit, and the arithmetic bits too whenever lf_op == LF_NONE.
 */
#ifndef X86PC_CPU_STATE_H
#define X86PC_CPU_STATE_H

#include <stdbool.h>
#include <stdint.h>

enum { R_EAX, R_ECX, R_EDX, R_EBX, R_ESP, R_EBP, R_ESI, R_EDI };
enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_NONE = 7 };

/* EFLAGS bits */
#define F_CF 0x00000001u
#define F_PF 0x00000004u
#define F_AF 0x00000010u
#define F_ZF 0x00000040u
#define F_SF 0x00000080u
#define F_TF 0x00000100u
#define F_IF 0x00000200u
#define F_DF 0x00000400u
#define F_OF 0x00000800u
#define F_IOPL 0x00003000u
#define F_NT 0x00004000u
#define F_RF 0x00010000u
#define F_VM 0x00020000u
#define F_AC 0x00040000u
#define F_VIF 0x00080000u
#define F_VIP 0x00100000u
#define F_ID 0x00200000u
#define F_ARITH (F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF)

/* CR0 / CR4 bits */
#define CR0_PE 0x00000001u
#define CR0_MP 0x00000002u
#define CR0_EM 0x00000004u
#define CR0_TS 0x00000008u
#define CR0_ET 0x00000010u
#define CR0_NE 0x00000020u
#define CR0_WP 0x00010000u
#define CR0_AM 0x00040000u
#define CR0_NW 0x20000000u
#define CR0_CD 0x40000000u
#define CR0_PG 0x80000000u
#define CR4_VME 0x0001u
#define CR4_PVI 0x0002u
#define CR4_TSD 0x0004u
#define CR4_DE 0x0008u
#define CR4_PSE 0x0010u
#define CR4_PAE 0x0020u
#define CR4_MCE 0x0040u
#define CR4_PGE 0x0080u
#define CR4_PCE 0x0100u
#define CR4_OSFXSR 0x0200u
#define CR4_OSXMMEXCPT 0x0400u

/* Exception vectors */
enum {
    EXC_DE = 0, EXC_DB = 1, EXC_NMI = 2, EXC_BP = 3, EXC_OF = 4, EXC_BR = 5, EXC_UD = 6,
    EXC_NM = 7, EXC_DF = 8, EXC_TS = 10, EXC_NP = 11, EXC_SS = 12, EXC_GP = 13, EXC_PF = 14,
    EXC_MF = 16, EXC_AC = 17, EXC_MC = 18, EXC_XM = 19,
};

/* A segment register with its descriptor cache. `attr` holds descriptor bits 40-55 shifted down
 * (bits 0-3 type, 4 S, 5-6 DPL, 7 P, 12 AVL, 14 D/B, 15 G); limit is already scaled by G. */
typedef struct SegReg {
    uint16_t sel;
    uint16_t attr;
    uint32_t base;
    uint32_t limit;
} SegReg;

#define SEG_ATTR_TYPE 0x000Fu
#define SEG_ATTR_S 0x0010u
#define SEG_ATTR_DPL 0x0060u
#define SEG_ATTR_P 0x0080u
#define SEG_ATTR_DB 0x4000u
#define SEG_ATTR_G 0x8000u

typedef struct DescTable {
    uint32_t base;
    uint16_t limit;
} DescTable;

/* The x87 register stack holds 80-bit extended values: 64-bit significand and sign+exponent. */
typedef struct Float80 {
    uint64_t mant;
    uint16_t sexp;
} Float80;

typedef struct FpuState {
    Float80 st[8];  /* physical registers R0-R7; ST(i) is st[(top + i) & 7] */
    uint16_t cw;    /* control word */
    uint16_t sw;    /* status word without TOP (bits 11-13 come from `top`) */
    uint16_t tw;    /* full tag word, 2 bits per physical register */
    uint8_t top;
    uint16_t fop;   /* last opcode (11 bits) */
    uint32_t fip, fdp;
    uint16_t fcs, fds;
} FpuState;

typedef union Xmm {
    uint8_t b[16];
    uint16_t w[8];
    uint32_t d[4];
    uint64_t q[2];
} Xmm;

/* Lazy flag operation kinds (cpu/flags.c). The size is in lf_size (1, 2 or 4). */
enum {
    LF_NONE = 0, /* eflags holds the arithmetic bits */
    LF_ADD, LF_ADC, LF_SUB, LF_SBB, LF_LOGIC, LF_INC, LF_DEC, LF_NEG,
    LF_SHL, LF_SHR, LF_SAR, LF_MUL, LF_IMUL,
};

typedef struct CpuState {
    uint32_t regs[8];
    uint32_t eip;
    uint32_t eflags;
    /* lazy flags */
    uint32_t lf_res, lf_op1, lf_op2;
    uint8_t lf_op, lf_size;
    uint8_t lf_cf_in; /* carry-in for ADC/SBB, shifted-out bit for shifts */
    uint8_t cpl;

    SegReg seg[6];
    SegReg ldtr, tr;
    DescTable gdtr, idtr;
    uint32_t cr0, cr2, cr3, cr4;
    uint32_t dr[8];

    /* model-specific registers a P6 has */
    uint64_t tsc_offset; /* TSC = virtual ticks + tsc_offset */
    uint32_t apic_base_msr_lo, apic_base_msr_hi;
    uint32_t sysenter_cs, sysenter_esp, sysenter_eip;
    uint64_t mtrr_cap_dummy;
    uint64_t mtrr_def_type;
    uint64_t mtrr_fixed[11];
    uint64_t mtrr_var[16]; /* base/mask pairs */
    uint64_t pat;
    uint64_t misc_enable;

    FpuState fpu;
    Xmm xmm[8];
    uint32_t mxcsr;

    /* run state */
    uint8_t halted;        /* HLT executed, waiting for an interrupt */
    uint8_t inhibit_irq;   /* interrupts are held off for one instruction (MOV SS, STI) */
    uint8_t nmi_blocked;   /* in an NMI handler, until IRET */
    uint8_t pad0;

    /* the exception being raised by the current instruction (exceptions are values) */
    uint8_t exc_vector;
    uint8_t exc_has_error;
    uint16_t pad1;
    uint32_t exc_error;
} CpuState;

#endif
