/* Protected-mode system architecture: segment loads, far transfers, interrupts and exceptions,
 * task switches, V86 and VME, the IF/IOPL/VIF/VIP rules, I/O permissions and the descriptor
 * instructions (cpu/seg.c, far.c, interrupt.c, task.c, flagsys.c, io.c, desc.c).
 *
 * Each test builds a small machine (cpu_init on 4 MB of RAM) with hand-made GDT, IDT and TSS,
 * then runs single instructions through the decoder and the handler table the way the run loop
 * does, or calls the delivery functions directly, and checks the state and the exact exception.
 */
#include <stdlib.h>
#include <string.h>

#include "cpu/sys.h"
#include "decoder/decode.h"
#include "tests/unit/test.h"

extern const OpHandler kOpHandlers[OPX_COUNT];

typedef struct Fx {
    Bus bus;
    Clock clock;
    Cpu cpu;
} Fx;

/* memory map of the test machine */
#define GDT 0x1000u
#define IDT 0x2000u
#define TSS1 0x3000u   /* the running task: ring stacks, redirection and I/O bitmaps */
#define TSS2 0x6000u   /* a second task */
#define LDT 0x7000u
#define IOBASE 0x88u
#define IVT_V86 0x0u
#define CODE 0x10000u
#define STK0 0x90000u
#define STK3 0x80000u

/* selectors */
#define S_CODE0 0x08
#define S_DATA0 0x10
#define S_CODE3 0x1B
#define S_DATA3 0x23
#define S_TSS1 0x28
#define S_CGATE 0x33   /* call gate, DPL 3 -> S_CODE0 */
#define S_TSS2 0x38
#define S_TGATE 0x43   /* task gate, DPL 3 -> S_TSS2 */
#define S_LDT 0x48
#define S_CONF0 0x50   /* conforming code, DPL 0 */
#define S_NP 0x58      /* data, not present */
#define S_CODE16 0x60
#define S_XO3 0x68     /* execute-only code, DPL 3 */

static void w8(Fx *f, uint32_t pa, uint8_t v)
{
    bus_mem_write(&f->bus, pa, &v, 1);
}
static void w16(Fx *f, uint32_t pa, uint16_t v)
{
    bus_mem_write(&f->bus, pa, &v, 2);
}
static void w32(Fx *f, uint32_t pa, uint32_t v)
{
    bus_mem_write(&f->bus, pa, &v, 4);
}
static uint32_t r32(Fx *f, uint32_t pa)
{
    uint32_t v;
    bus_mem_read(&f->bus, pa, &v, 4);
    return v;
}
static uint16_t r16(Fx *f, uint32_t pa)
{
    uint16_t v;
    bus_mem_read(&f->bus, pa, &v, 2);
    return v;
}
static uint8_t r8(Fx *f, uint32_t pa)
{
    uint8_t v;
    bus_mem_read(&f->bus, pa, &v, 1);
    return v;
}

/* access: P DPL S type byte; flags: G D/B nibble */
static void seg_desc(Fx *f, uint32_t table, unsigned idx, uint32_t base, uint32_t limit,
                     unsigned access, unsigned flags)
{
    uint32_t lo = (limit & 0xFFFF) | (base << 16);
    uint32_t hi = ((base >> 16) & 0xFF) | (access << 8) | (limit & 0xF0000) | (flags << 20) |
                  (base & 0xFF000000u);
    w32(f, table + idx * 8, lo);
    w32(f, table + idx * 8 + 4, hi);
}

static void gate_desc(Fx *f, uint32_t table, unsigned idx, uint16_t sel, uint32_t off,
                      unsigned access, unsigned params)
{
    w32(f, table + idx * 8, (off & 0xFFFF) | ((uint32_t)sel << 16));
    w32(f, table + idx * 8 + 4, (off & 0xFFFF0000u) | (access << 8) | params);
}

static void load_seg(Fx *f, int seg, uint16_t sel)
{
    Desc d;
    EXPECT_EQ(sys_fetch_desc(&f->cpu, sel, &d, EXC_GP), 0);
    if (seg == SEG_CS) {
        sys_load_cs(&f->cpu, sel, &d, sel & 3);
    } else {
        sys_seg_from_desc(&f->cpu.s.seg[seg], sel, &d);
    }
}

static Fx *fx_new(void)
{
    Fx *f = calloc(1, sizeof *f);
    if (!f || bus_init(&f->bus, 4u << 20)) {
        abort();
    }
    clock_init(&f->clock, CLOCK_DEFAULT_SHIFT);
    if (cpu_init(&f->cpu, &f->bus, &f->clock, &kCpuPentiumPro)) {
        abort();
    }
    return f;
}

static void fx_free(Fx *f)
{
    cpu_free(&f->cpu);
    bus_free(&f->bus);
    free(f);
}

/* Protected mode at `cpl` with flat segments, a 32-bit TSS with ring-0 stack, the redirection
 * bitmap all ones and the I/O bitmap all ones except ports 0x80-0x87 and 0x3F8. */
static Fx *fx_pm(unsigned cpl)
{
    Fx *f = fx_new();
    CpuState *s = &f->cpu.s;
    seg_desc(f, GDT, 1, 0, 0xFFFFF, 0x9A, 0xC);
    seg_desc(f, GDT, 2, 0, 0xFFFFF, 0x92, 0xC);
    seg_desc(f, GDT, 3, 0, 0xFFFFF, 0xFA, 0xC);
    seg_desc(f, GDT, 4, 0, 0xFFFFF, 0xF2, 0xC);
    seg_desc(f, GDT, 5, TSS1, IOBASE + 0x2000, 0x8B, 0); /* busy: it is the current task */
    gate_desc(f, GDT, 6, S_CODE0, 0x20000, 0xEC, 2);
    seg_desc(f, GDT, 7, TSS2, 0x67, 0x89, 0);
    gate_desc(f, GDT, 8, S_TSS2, 0, 0xE5, 0);
    seg_desc(f, GDT, 9, LDT, 0x17, 0x82, 0);
    seg_desc(f, GDT, 10, 0, 0xFFFFF, 0x9E, 0xC);
    seg_desc(f, GDT, 11, 0, 0xFFFFF, 0x12, 0xC);
    seg_desc(f, GDT, 12, 0, 0xFFFF, 0x9A, 0);
    seg_desc(f, GDT, 13, 0, 0xFFFFF, 0xF8, 0xC);
    /* LDT entry 1: ring-3 data */
    seg_desc(f, LDT, 1, 0x100000, 0xFFF, 0xF2, 0x4);
    /* TSS1 */
    w32(f, TSS1 + 4, STK0);
    w16(f, TSS1 + 8, S_DATA0);
    w16(f, TSS1 + 0x66, IOBASE);
    for (uint32_t k = 0; k < 32; k++) {
        w8(f, TSS1 + IOBASE - 32 + k, 0xFF);
    }
    for (uint32_t k = 0; k <= 0x2000; k++) {
        w8(f, TSS1 + IOBASE + k, 0xFF);
    }
    w8(f, TSS1 + IOBASE + 0x80 / 8, 0x00);
    w8(f, TSS1 + IOBASE + 0x3F8 / 8, 0xFE);

    s->cr0 |= CR0_PE;
    s->gdtr.base = GDT;
    s->gdtr.limit = 0xFF;
    s->idtr.base = IDT;
    s->idtr.limit = 0x7FF;
    Desc d;
    EXPECT_EQ(sys_fetch_desc(&f->cpu, S_TSS1, &d, EXC_GP), 0);
    sys_seg_from_desc(&s->tr, S_TSS1, &d);
    uint16_t cs = cpl ? S_CODE3 : S_CODE0, ds = cpl ? S_DATA3 : S_DATA0;
    load_seg(f, SEG_CS, cs);
    for (int k = 0; k < 6; k++) {
        if (k != SEG_CS) {
            load_seg(f, k, ds);
        }
    }
    s->regs[R_ESP] = cpl ? STK3 : STK0;
    s->eip = CODE;
    s->eflags = 2 | F_IF;
    cpu_update_mode(&f->cpu);
    return f;
}

/* Enter V86 mode at 0x1000:0x0100 with SS:SP 0x2000:0x1000, the given IOPL and CR4 bits. */
static void fx_v86(Fx *f, unsigned iopl, uint32_t cr4)
{
    CpuState *s = &f->cpu.s;
    s->cr4 = cr4;
    s->eflags = 2 | F_IF | F_VM | (iopl << 12);
    cpu_update_mode(&f->cpu);
    for (int k = 0; k < 6; k++) {
        cpu_load_seg_real(&f->cpu, k, 0x1000);
    }
    cpu_load_seg_real(&f->cpu, SEG_SS, 0x2000);
    s->regs[R_ESP] = 0x1000;
    s->eip = 0x100;
}

/* Run one instruction the way cpu_run does, without delivering a fault: returns -1 when it
 * completed, else the exception vector (EIP rewound; the error code in s.exc_error). */
static int exec1(Fx *f, const uint8_t *bytes, unsigned len)
{
    Cpu *cpu = &f->cpu;
    Insn in;
    bool d32 = (cpu->s.seg[SEG_CS].attr & SEG_ATTR_DB) != 0;
    if (decode_insn(&in, bytes, len, d32) != DEC_OK || in.len != len) {
        printf("  bad test encoding\n");
        g_test_failed = 1;
        return -2;
    }
    cpu->insn_eip = cpu->s.eip;
    cpu->s.eip += in.len;
    if (kOpHandlers[in.op](cpu, &in)) {
        cpu->s.eip = cpu->insn_eip;
        return cpu->s.exc_vector;
    }
    return -1;
}
#define X(...)                                                                                 \
    exec1(f, (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))

/* ------------------------------------------------------------------------------------------ */

TEST(sys, mov_ds_privilege_and_accessed_bit)
{
    Fx *f = fx_pm(3);
    CpuState *s = &f->cpu.s;
    s->regs[R_EAX] = S_DATA0 | 3; /* DPL 0 data from CPL 3 */
    EXPECT_EQ(X(0x8E, 0xD8), EXC_GP);
    EXPECT_EQ(s->exc_error, S_DATA0);
    w8(f, GDT + 4 * 8 + 5, 0xF2); /* clear accessed */
    s->regs[R_EAX] = S_DATA3;
    EXPECT_EQ(X(0x8E, 0xD8), -1);
    EXPECT_EQ(s->seg[SEG_DS].sel, S_DATA3);
    EXPECT_EQ(r8(f, GDT + 4 * 8 + 5), 0xF3);
    /* null is fine for DS, and makes it unusable */
    s->regs[R_EAX] = 0;
    EXPECT_EQ(X(0x8E, 0xD8), -1);
    EXPECT_EQ(s->seg[SEG_DS].attr & SEG_ATTR_P, 0);
    /* execute-only code is not readable */
    s->regs[R_EAX] = S_XO3;
    EXPECT_EQ(X(0x8E, 0xC0), EXC_GP);
    EXPECT_EQ(s->exc_error, S_XO3 & 0xFFFC);
    /* beyond the GDT limit */
    s->regs[R_EAX] = 0x103;
    EXPECT_EQ(X(0x8E, 0xE0), EXC_GP);
    EXPECT_EQ(s->exc_error, 0x100);
    /* LDT selector with a valid LDTR */
    Desc d;
    sys_fetch_desc(&f->cpu, S_LDT, &d, EXC_GP);
    sys_seg_from_desc(&s->ldtr, S_LDT, &d);
    s->regs[R_EAX] = 0x0F;
    EXPECT_EQ(X(0x8E, 0xE8), -1);
    EXPECT_EQ(s->seg[SEG_GS].base, 0x100000);
    fx_free(f);
}

TEST(sys, mov_ss_rules)
{
    Fx *f = fx_pm(0);
    CpuState *s = &f->cpu.s;
    s->regs[R_EAX] = 0;
    EXPECT_EQ(X(0x8E, 0xD0), EXC_GP);
    EXPECT_EQ(s->exc_error, 0);
    s->regs[R_EAX] = S_DATA0 | 1; /* RPL != CPL */
    EXPECT_EQ(X(0x8E, 0xD0), EXC_GP);
    EXPECT_EQ(s->exc_error, S_DATA0);
    s->regs[R_EAX] = S_CODE0; /* not writable data */
    EXPECT_EQ(X(0x8E, 0xD0), EXC_GP);
    s->regs[R_EAX] = S_NP;
    EXPECT_EQ(X(0x8E, 0xD0), EXC_SS);
    EXPECT_EQ(s->exc_error, S_NP);
    s->regs[R_EAX] = S_DATA0;
    s->inhibit_irq = 0;
    EXPECT_EQ(X(0x8E, 0xD0), -1);
    EXPECT_TRUE(s->inhibit_irq != 0);
    /* POP DS with a not-present segment: #NP(sel), ESP unchanged */
    s->regs[R_ESP] = 0x8000;
    w32(f, 0x8000, S_NP);
    EXPECT_EQ(X(0x1F), EXC_NP);
    EXPECT_EQ(s->exc_error, S_NP);
    EXPECT_EQ(s->regs[R_ESP], 0x8000);
    fx_free(f);
}

TEST(sys, real_and_v86_segment_loads)
{
    Fx *f = fx_new();
    CpuState *s = &f->cpu.s;
    s->seg[SEG_DS].limit = 0xFFFFFFFFu; /* "unreal" limit survives a real-mode load */
    s->regs[R_EAX] = 0x1234;
    EXPECT_EQ(X(0x8E, 0xD8), -1);
    EXPECT_EQ(s->seg[SEG_DS].base, 0x12340);
    EXPECT_EQ(s->seg[SEG_DS].limit, 0xFFFFFFFFu);
    fx_free(f);
    f = fx_pm(0);
    s = &f->cpu.s;
    fx_v86(f, 3, 0);
    EXPECT_EQ(s->cpl, 3);
    EXPECT_EQ(s->seg[SEG_CS].attr, 0xF3);
    EXPECT_EQ(s->seg[SEG_SS].base, 0x20000);
    EXPECT_EQ(s->seg[SEG_SS].limit, 0xFFFF);
    fx_free(f);
}

TEST(sys, call_gate_ring3_to_ring0_and_back)
{
    Fx *f = fx_pm(3);
    CpuState *s = &f->cpu.s;
    s->regs[R_ESP] = STK3 - 8;
    w32(f, STK3 - 8, 0x1111);
    w32(f, STK3 - 4, 0x2222);
    /* call far S_CGATE:0 (32-bit) */
    EXPECT_EQ(X(0x9A, 0, 0, 0, 0, S_CGATE, 0), -1);
    EXPECT_EQ(s->cpl, 0);
    EXPECT_EQ(s->seg[SEG_CS].sel, S_CODE0);
    EXPECT_EQ(s->eip, 0x20000);
    EXPECT_EQ(s->seg[SEG_SS].sel, S_DATA0);
    EXPECT_EQ(s->regs[R_ESP], STK0 - 24);
    EXPECT_EQ(r32(f, STK0 - 4), S_DATA3);     /* old SS */
    EXPECT_EQ(r32(f, STK0 - 8), STK3 - 8);    /* old ESP */
    EXPECT_EQ(r32(f, STK0 - 12), 0x2222);     /* parameters in their order */
    EXPECT_EQ(r32(f, STK0 - 16), 0x1111);
    EXPECT_EQ(r32(f, STK0 - 20), S_CODE3);    /* return CS */
    EXPECT_EQ(r32(f, STK0 - 24), CODE + 7);   /* return EIP */
    /* the ring-0 code loads DS with ring-0 data; RETF 8 back to ring 3 nulls it */
    load_seg(f, SEG_DS, S_DATA0);
    load_seg(f, SEG_ES, S_DATA3);
    EXPECT_EQ(X(0xCA, 8, 0), -1);
    EXPECT_EQ(s->cpl, 3);
    EXPECT_EQ(s->seg[SEG_CS].sel, S_CODE3);
    EXPECT_EQ(s->eip, CODE + 7);
    EXPECT_EQ(s->seg[SEG_SS].sel, S_DATA3);
    EXPECT_EQ(s->regs[R_ESP], STK3);
    EXPECT_EQ(s->seg[SEG_DS].sel, 0);
    EXPECT_EQ(s->seg[SEG_ES].sel, S_DATA3);
    fx_free(f);
}

TEST(sys, call_gate_faults)
{
    Fx *f = fx_pm(3);
    CpuState *s = &f->cpu.s;
    /* gate DPL 0 from CPL 3 */
    w8(f, GDT + 6 * 8 + 5, 0x8C);
    EXPECT_EQ(X(0x9A, 0, 0, 0, 0, S_CGATE, 0), EXC_GP);
    EXPECT_EQ(s->exc_error, S_CGATE & 0xFFFC);
    EXPECT_EQ(s->cpl, 3);
    /* gate present bit clear */
    w8(f, GDT + 6 * 8 + 5, 0x6C);
    EXPECT_EQ(X(0x9A, 0, 0, 0, 0, S_CGATE, 0), EXC_NP);
    EXPECT_EQ(s->exc_error, S_CGATE & 0xFFFC);
    /* inner stack not present: #SS(new SS), nothing changed */
    w8(f, GDT + 6 * 8 + 5, 0xEC);
    w16(f, TSS1 + 8, S_NP);
    s->regs[R_ESP] = STK3 - 8;
    EXPECT_EQ(X(0x9A, 0, 0, 0, 0, S_CGATE, 0), EXC_SS);
    EXPECT_EQ(s->exc_error, S_NP);
    EXPECT_EQ(s->cpl, 3);
    EXPECT_EQ(s->regs[R_ESP], STK3 - 8);
    /* inner SS with the wrong RPL: #TS(SS) */
    w16(f, TSS1 + 8, S_DATA0 | 1);
    EXPECT_EQ(X(0x9A, 0, 0, 0, 0, S_CGATE, 0), EXC_TS);
    EXPECT_EQ(s->exc_error, S_DATA0);
    /* TSS too short for the ring-0 stack: #TS(TR) */
    s->tr.limit = 8;
    EXPECT_EQ(X(0x9A, 0, 0, 0, 0, S_CGATE, 0), EXC_TS);
    EXPECT_EQ(s->exc_error, S_TSS1);
    fx_free(f);
}

TEST(sys, far_jump_rules)
{
    Fx *f = fx_pm(3);
    CpuState *s = &f->cpu.s;
    /* to a nonconforming ring-0 segment from CPL 3 */
    EXPECT_EQ(X(0xEA, 0, 0, 0, 0, S_CODE0, 0), EXC_GP);
    EXPECT_EQ(s->exc_error, S_CODE0);
    /* a conforming ring-0 segment keeps CPL 3 */
    EXPECT_EQ(X(0xEA, 0x34, 0x12, 0, 0, S_CONF0, 0), -1);
    EXPECT_EQ(s->cpl, 3);
    EXPECT_EQ(s->seg[SEG_CS].sel, S_CONF0 | 3);
    EXPECT_EQ(s->eip, 0x1234);
    /* a data segment */
    EXPECT_EQ(X(0xEA, 0, 0, 0, 0, S_DATA3, 0), EXC_GP);
    /* null */
    EXPECT_EQ(X(0xEA, 0, 0, 0, 0, 0, 0), EXC_GP);
    EXPECT_EQ(s->exc_error, 0);
    fx_free(f);
}

TEST(sys, interrupt_stack_switch_and_iret)
{
    Fx *f = fx_pm(3);
    CpuState *s = &f->cpu.s;
    gate_desc(f, IDT, 0x80, S_CODE0, 0x30000, 0xEE, 0); /* interrupt gate, DPL 3 */
    s->eflags |= F_TF | F_NT;
    s->eflags &= ~F_NT;
    EXPECT_EQ(X(0xCD, 0x80), -1);
    EXPECT_EQ(s->cpl, 0);
    EXPECT_EQ(s->eip, 0x30000);
    EXPECT_EQ(s->seg[SEG_SS].sel, S_DATA0);
    EXPECT_EQ(s->regs[R_ESP], STK0 - 20);
    EXPECT_EQ(r32(f, STK0 - 4), S_DATA3);
    EXPECT_EQ(r32(f, STK0 - 8), STK3);
    EXPECT_EQ(r32(f, STK0 - 12) & (F_IF | F_TF), F_IF | F_TF);
    EXPECT_EQ(r32(f, STK0 - 16), S_CODE3);
    EXPECT_EQ(r32(f, STK0 - 20), CODE + 2);
    EXPECT_EQ(s->eflags & (F_IF | F_TF), 0);
    EXPECT_EQ(X(0xCF), -1);
    EXPECT_EQ(s->cpl, 3);
    EXPECT_EQ(s->eip, CODE + 2);
    EXPECT_EQ(s->regs[R_ESP], STK3);
    EXPECT_EQ(s->eflags & (F_IF | F_TF), F_IF | F_TF);
    fx_free(f);
}

TEST(sys, int_gate_dpl_and_errors)
{
    Fx *f = fx_pm(3);
    CpuState *s = &f->cpu.s;
    gate_desc(f, IDT, 0x21, S_CODE0, 0x30000, 0x8E, 0); /* DPL 0 */
    EXPECT_EQ(X(0xCD, 0x21), EXC_GP);
    EXPECT_EQ(s->exc_error, 0x21 * 8 + 2);
    /* an external interrupt ignores the gate DPL */
    EXPECT_EQ(cpu_interrupt(&f->cpu, 0x21, INT_EXT, 0, 0), 0);
    EXPECT_EQ(s->cpl, 0);
    fx_free(f);
    f = fx_pm(0);
    s = &f->cpu.s;
    /* vector beyond the IDT limit, from an exception: EXT and IDT bits */
    s->idtr.limit = 0x7F;
    EXPECT_TRUE(cpu_interrupt(&f->cpu, 0x20, INT_EXC, 0, 0) != 0);
    EXPECT_EQ(s->exc_vector, EXC_GP);
    EXPECT_EQ(s->exc_error, 0x20 * 8 + 3);
    /* not-present gate */
    s->idtr.limit = 0x7FF;
    gate_desc(f, IDT, 0x22, S_CODE0, 0x30000, 0x0E, 0);
    EXPECT_TRUE(cpu_interrupt(&f->cpu, 0x22, INT_SOFT, 0, 0) != 0);
    EXPECT_EQ(s->exc_vector, EXC_NP);
    EXPECT_EQ(s->exc_error, 0x22 * 8 + 2);
    /* #GP with an error code through a 32-bit trap gate: pushed, IF kept */
    gate_desc(f, IDT, EXC_GP, S_CODE0, 0x31000, 0x8F, 0);
    s->eflags |= F_IF;
    EXPECT_EQ(cpu_interrupt(&f->cpu, EXC_GP, INT_EXC, 1, 0x1234), 0);
    EXPECT_EQ(r32(f, STK0 - 16), 0x1234);
    EXPECT_EQ(s->regs[R_ESP], STK0 - 16);
    EXPECT_TRUE(s->eflags & F_IF);
    fx_free(f);
}

TEST(sys, double_and_triple_fault)
{
    Fx *f = fx_pm(0);
    CpuState *s = &f->cpu.s;
    /* #GP's gate is not present -> #NP during delivery -> #DF */
    gate_desc(f, IDT, EXC_GP, S_CODE0, 0x31000, 0x0E, 0);
    gate_desc(f, IDT, EXC_DF, S_CODE0, 0x32000, 0x8E, 0);
    cpu_gp(&f->cpu, 0);
    cpu_deliver_exception(&f->cpu);
    EXPECT_EQ(s->eip, 0x32000);
    EXPECT_EQ(r32(f, STK0 - 16), 0); /* #DF error code */
    EXPECT_EQ(f->cpu.shutdown, 0);
    /* a benign exception followed by a contributory one: serial, no #DF */
    s->regs[R_ESP] = STK0;
    gate_desc(f, IDT, EXC_UD, S_CODE0, 0x33000, 0x0E, 0); /* not present */
    gate_desc(f, IDT, EXC_NP, S_CODE0, 0x34000, 0x8E, 0);
    cpu_ud(&f->cpu);
    cpu_deliver_exception(&f->cpu);
    EXPECT_EQ(s->eip, 0x34000);
    EXPECT_EQ(r32(f, STK0 - 16), EXC_UD * 8 + 3);
    /* nothing usable at all: shutdown */
    s->idtr.limit = 0;
    cpu_gp(&f->cpu, 0);
    cpu_deliver_exception(&f->cpu);
    EXPECT_EQ(f->cpu.shutdown, 1);
    EXPECT_TRUE(f->cpu.pending & PEND_EXIT);
    fx_free(f);
}

TEST(sys, real_mode_interrupt_and_iret)
{
    Fx *f = fx_new();
    CpuState *s = &f->cpu.s;
    s->idtr.base = 0;
    s->idtr.limit = 0x3FF;
    w32(f, 0x21 * 4, 0x20000100); /* 2000:0100 */
    cpu_load_seg_real(&f->cpu, SEG_CS, 0x1000);
    cpu_load_seg_real(&f->cpu, SEG_SS, 0x3000);
    s->eip = 0x50;
    s->regs[R_ESP] = 0x100;
    s->eflags = 2 | F_IF | F_TF | F_CF;
    EXPECT_EQ(X(0xCD, 0x21), -1);
    EXPECT_EQ(s->seg[SEG_CS].base, 0x20000);
    EXPECT_EQ(s->eip, 0x100);
    EXPECT_EQ(s->regs[R_ESP], 0xFA);
    EXPECT_EQ(r16(f, 0x300FA), 0x52);
    EXPECT_EQ(r16(f, 0x300FC), 0x1000);
    EXPECT_EQ(r16(f, 0x300FE), 2 | F_IF | F_TF | F_CF);
    EXPECT_EQ(s->eflags & (F_IF | F_TF), 0);
    EXPECT_EQ(X(0xCF), -1);
    EXPECT_EQ(s->seg[SEG_CS].sel, 0x1000);
    EXPECT_EQ(s->eip, 0x52);
    EXPECT_EQ(cpu_get_eflags(&f->cpu), 2 | F_IF | F_TF | F_CF);
    fx_free(f);
}

/* ---- the IF rules ---- */

TEST(sys, popf_cpl3_iopl0_keeps_if_silently)
{
    Fx *f = fx_pm(3);
    CpuState *s = &f->cpu.s;
    s->regs[R_ESP] = STK3 - 4;
    w32(f, STK3 - 4, 2 | F_CF | F_IOPL); /* IF clear, IOPL 3 in the image */
    EXPECT_EQ(X(0x9D), -1);
    EXPECT_TRUE(s->eflags & F_IF);
    EXPECT_EQ(cpu_iopl(&f->cpu), 0);
    EXPECT_TRUE(cpu_cf(&f->cpu));
    EXPECT_EQ(s->regs[R_ESP], STK3);
    fx_free(f);
}

TEST(sys, popf_cpl0_changes_if_and_iopl_not_vm)
{
    Fx *f = fx_pm(0);
    CpuState *s = &f->cpu.s;
    s->regs[R_ESP] = STK0 - 4;
    w32(f, STK0 - 4, 2 | F_IOPL | F_VM | F_VIF | F_RF | F_AC);
    EXPECT_EQ(X(0x9D), -1);
    EXPECT_EQ(s->eflags & (F_IF | F_IOPL | F_VM | F_VIF | F_RF | F_AC), F_IOPL | F_AC);
    fx_free(f);
}

TEST(sys, cli_sti_cpl_above_iopl_fault)
{
    Fx *f = fx_pm(3);
    CpuState *s = &f->cpu.s;
    EXPECT_EQ(X(0xFA), EXC_GP);
    EXPECT_EQ(s->exc_error, 0);
    EXPECT_TRUE(s->eflags & F_IF);
    EXPECT_EQ(X(0xFB), EXC_GP);
    s->eflags |= F_IOPL;
    EXPECT_EQ(X(0xFA), -1);
    EXPECT_EQ(s->eflags & F_IF, 0);
    s->inhibit_irq = 0;
    EXPECT_EQ(X(0xFB), -1);
    EXPECT_TRUE(s->eflags & F_IF);
    EXPECT_TRUE(s->inhibit_irq != 0);
    fx_free(f);
}

TEST(sys, pvi_at_cpl3)
{
    Fx *f = fx_pm(3);
    CpuState *s = &f->cpu.s;
    s->cr4 = CR4_PVI;
    s->eflags |= F_VIF;
    EXPECT_EQ(X(0xFA), -1);
    EXPECT_EQ(s->eflags & (F_VIF | F_IF), F_IF);
    EXPECT_EQ(X(0xFB), -1);
    EXPECT_EQ(s->eflags & (F_VIF | F_IF), F_VIF | F_IF);
    s->eflags &= ~F_VIF;
    s->eflags |= F_VIP;
    EXPECT_EQ(X(0xFB), EXC_GP);
    EXPECT_EQ(s->eflags & F_VIF, 0);
    /* PVI does nothing for POPF: IF kept, VIF untouched */
    s->regs[R_ESP] = STK3 - 4;
    w32(f, STK3 - 4, 2);
    EXPECT_EQ(X(0x9D), -1);
    EXPECT_EQ(s->eflags & (F_VIF | F_IF), F_IF);
    fx_free(f);
    /* at CPL 1 PVI does not apply */
    f = fx_pm(0);
    s = &f->cpu.s;
    s->cpl = 1;
    s->cr4 = CR4_PVI;
    EXPECT_EQ(X(0xFA), EXC_GP);
    fx_free(f);
}

TEST(sys, v86_iopl0_no_vme_sensitive_instructions_fault)
{
    Fx *f = fx_pm(0);
    CpuState *s = &f->cpu.s;
    fx_v86(f, 0, 0);
    w16(f, 0x20000 + 0xFF0, 0);
    EXPECT_EQ(X(0x9C), EXC_GP);          /* pushf */
    EXPECT_EQ(X(0x9D), EXC_GP);          /* popf */
    EXPECT_EQ(X(0xFA), EXC_GP);          /* cli */
    EXPECT_EQ(X(0xFB), EXC_GP);          /* sti */
    EXPECT_EQ(X(0xCD, 0x21), EXC_GP);    /* int n */
    EXPECT_EQ(s->exc_error, 0);
    EXPECT_EQ(X(0xCF), EXC_GP);          /* iret */
    EXPECT_EQ(X(0x66, 0x9C), EXC_GP);    /* pushfd */
    EXPECT_EQ(s->regs[R_ESP], 0x1000);
    EXPECT_TRUE(s->eflags & F_IF);
    fx_free(f);
}

TEST(sys, v86_iopl3_flags_work_on_if)
{
    Fx *f = fx_pm(0);
    CpuState *s = &f->cpu.s;
    fx_v86(f, 3, 0);
    EXPECT_EQ(X(0xFA), -1);
    EXPECT_EQ(s->eflags & F_IF, 0);
    EXPECT_EQ(X(0x9C), -1);
    EXPECT_EQ(r16(f, 0x20000 + 0xFFE) & (F_IF | F_IOPL), F_IOPL);
    /* popf cannot change IOPL in V86 */
    w16(f, 0x20000 + 0xFFE, 2 | F_IF);
    EXPECT_EQ(X(0x9D), -1);
    EXPECT_EQ(s->eflags & (F_IF | F_IOPL | F_VM), F_IF | F_IOPL | F_VM);
    fx_free(f);
}

TEST(sys, vme_cli_sti_pushf_popf_use_vif)
{
    Fx *f = fx_pm(0);
    CpuState *s = &f->cpu.s;
    fx_v86(f, 0, CR4_VME);
    s->eflags |= F_VIF;
    EXPECT_EQ(X(0xFA), -1);
    EXPECT_EQ(s->eflags & (F_VIF | F_IF), F_IF);
    EXPECT_EQ(X(0x9C), -1); /* pushf: IF <- VIF (0), IOPL 3 */
    EXPECT_EQ(r16(f, 0x20000 + 0xFFE) & (F_IF | F_IOPL), F_IOPL);
    EXPECT_EQ(X(0xFB), -1);
    EXPECT_EQ(s->eflags & (F_VIF | F_IF), F_VIF | F_IF);
    EXPECT_EQ(X(0x9C), -1);
    EXPECT_EQ(r16(f, 0x20000 + 0xFFC) & (F_IF | F_IOPL), F_IF | F_IOPL);
    /* popf of IF=0 clears VIF, not IF; IOPL stays 0 */
    w16(f, 0x20000 + 0xFFC, 2 | F_IOPL);
    EXPECT_EQ(X(0x9D), -1);
    EXPECT_EQ(s->eflags & (F_VIF | F_IF | F_IOPL), F_IF);
    /* 32-bit forms still fault */
    EXPECT_EQ(X(0x66, 0x9C), EXC_GP);
    EXPECT_EQ(X(0x66, 0x9D), EXC_GP);
    fx_free(f);
}

TEST(sys, vme_vip_faults_sti_and_popf)
{
    Fx *f = fx_pm(0);
    CpuState *s = &f->cpu.s;
    fx_v86(f, 0, CR4_VME);
    s->eflags |= F_VIP;
    EXPECT_EQ(X(0xFB), EXC_GP);
    EXPECT_EQ(s->eflags & F_VIF, 0);
    s->regs[R_ESP] = 0xFFE;
    w16(f, 0x20000 + 0xFFE, 2 | F_IF);
    EXPECT_EQ(X(0x9D), EXC_GP);
    EXPECT_EQ(s->regs[R_ESP], 0xFFE);
    /* popf with TF set faults under VME even without VIP */
    s->eflags &= ~F_VIP;
    w16(f, 0x20000 + 0xFFE, 2 | F_TF);
    EXPECT_EQ(X(0x9D), EXC_GP);
    /* CLI is fine with VIP */
    s->eflags |= F_VIP;
    EXPECT_EQ(X(0xFA), -1);
    fx_free(f);
}

TEST(sys, vme_int_redirection_bitmap)
{
    Fx *f = fx_pm(0);
    CpuState *s = &f->cpu.s;
    gate_desc(f, IDT, 0x21, S_CODE0, 0x30000, 0xEE, 0);
    gate_desc(f, IDT, 0x10, S_CODE0, 0x30000, 0xEE, 0);
    w8(f, TSS1 + IOBASE - 32 + 0x21 / 8, 0xFF & ~(1u << (0x21 & 7))); /* 0x21 redirected */
    w32(f, IVT_V86 + 0x21 * 4, 0x30000200); /* 3000:0200 */
    fx_v86(f, 0, CR4_VME);
    s->eflags |= F_VIF | F_TF;
    EXPECT_EQ(X(0xCD, 0x21), -1);
    EXPECT_TRUE(s->eflags & F_VM);
    EXPECT_EQ(s->seg[SEG_CS].sel, 0x3000);
    EXPECT_EQ(s->eip, 0x200);
    EXPECT_EQ(s->regs[R_ESP], 0xFFA);
    /* pushed FLAGS: IF from VIF, IOPL 3 */
    EXPECT_EQ(r16(f, 0x20000 + 0xFFE) & (F_IF | F_IOPL | F_TF), F_IF | F_IOPL | F_TF);
    EXPECT_EQ(r16(f, 0x20000 + 0xFFC), 0x1000);
    EXPECT_EQ(r16(f, 0x20000 + 0xFFA), 0x102);
    EXPECT_EQ(s->eflags & (F_VIF | F_TF | F_IF), F_IF); /* VIF and TF cleared, IF kept */
    /* IRET (16-bit, VME) of an image with TF set faults for the monitor */
    EXPECT_EQ(X(0xCF), EXC_GP);
    w16(f, 0x20000 + 0xFFE, r16(f, 0x20000 + 0xFFE) & ~F_TF);
    /* IRET back: VIF from the popped IF */
    EXPECT_EQ(X(0xCF), -1);
    EXPECT_EQ(s->seg[SEG_CS].sel, 0x1000);
    EXPECT_EQ(s->eip, 0x102);
    EXPECT_TRUE(s->eflags & F_VIF);
    EXPECT_EQ(cpu_iopl(&f->cpu), 0);
    /* vector 0x10 has its bit set: with IOPL 0, #GP(0) */
    EXPECT_EQ(X(0xCD, 0x10), EXC_GP);
    EXPECT_EQ(s->exc_error, 0);
    /* with IOPL 3 and the bit clear: real-mode style, IF cleared */
    s->eflags |= F_IOPL | F_IF;
    EXPECT_EQ(X(0xCD, 0x21), -1);
    EXPECT_EQ(s->eflags & F_IF, 0);
    EXPECT_TRUE(s->eflags & F_VM);
    fx_free(f);
}

TEST(sys, v86_interrupt_to_ring0_and_iret_back)
{
    Fx *f = fx_pm(0);
    CpuState *s = &f->cpu.s;
    gate_desc(f, IDT, 0x30, S_CODE0, 0x30000, 0xEE, 0);
    fx_v86(f, 3, 0);
    cpu_load_seg_real(&f->cpu, SEG_DS, 0x1111);
    cpu_load_seg_real(&f->cpu, SEG_ES, 0x2222);
    cpu_load_seg_real(&f->cpu, SEG_FS, 0x3333);
    cpu_load_seg_real(&f->cpu, SEG_GS, 0x4444);
    EXPECT_EQ(X(0xCD, 0x30), -1);
    EXPECT_EQ(s->eflags & F_VM, 0);
    EXPECT_EQ(f->cpu.mode, MODE_PROT);
    EXPECT_EQ(s->cpl, 0);
    EXPECT_EQ(s->regs[R_ESP], STK0 - 36);
    EXPECT_EQ(r32(f, STK0 - 4), 0x4444);
    EXPECT_EQ(r32(f, STK0 - 8), 0x3333);
    EXPECT_EQ(r32(f, STK0 - 12), 0x1111);
    EXPECT_EQ(r32(f, STK0 - 16), 0x2222);
    EXPECT_EQ(r32(f, STK0 - 20), 0x2000);
    EXPECT_EQ(r32(f, STK0 - 24), 0x1000);
    EXPECT_TRUE(r32(f, STK0 - 28) & F_VM);
    EXPECT_EQ(r32(f, STK0 - 32), 0x1000);
    EXPECT_EQ(r32(f, STK0 - 36), 0x102);
    EXPECT_EQ(s->seg[SEG_DS].sel, 0);
    EXPECT_EQ(s->seg[SEG_GS].sel, 0);
    EXPECT_EQ(X(0xCF), -1);
    EXPECT_TRUE(s->eflags & F_VM);
    EXPECT_EQ(f->cpu.mode, MODE_V86);
    EXPECT_EQ(s->cpl, 3);
    EXPECT_EQ(s->seg[SEG_FS].base, 0x33330);
    EXPECT_EQ(s->seg[SEG_SS].sel, 0x2000);
    EXPECT_EQ(s->regs[R_ESP], 0x1000);
    EXPECT_EQ(s->eip, 0x102);
    /* a gate to a ring-3 handler from V86 is #GP(code selector) */
    gate_desc(f, IDT, 0x31, S_CODE3, 0x30000, 0xEE, 0);
    EXPECT_EQ(X(0xCD, 0x31), EXC_GP);
    EXPECT_EQ(s->exc_error, S_CODE3 & 0xFFFC);
    fx_free(f);
}

TEST(sys, io_permission_bitmap)
{
    Fx *f = fx_pm(3);
    CpuState *s = &f->cpu.s;
    EXPECT_EQ(X(0xE4, 0x80), -1);          /* in al, 0x80: allowed */
    EXPECT_EQ(X(0xE5, 0x84), -1);          /* in eax, 0x84: 0x84-0x87 allowed */
    EXPECT_EQ(X(0xE5, 0x86), EXC_GP);      /* 0x86-0x89: 0x88 denied */
    EXPECT_EQ(X(0xE6, 0x60), EXC_GP);
    s->regs[R_EDX] = 0x3F8;
    EXPECT_EQ(X(0xEC), -1);                /* bit 0 of that byte is clear */
    s->regs[R_EDX] = 0x3F9;
    EXPECT_EQ(X(0xEC), EXC_GP);
    s->regs[R_EDX] = 0xFFFF;               /* the terminating byte is within the limit */
    EXPECT_EQ(X(0xEC), EXC_GP);
    /* IOPL 3: no bitmap */
    s->eflags |= F_IOPL;
    EXPECT_EQ(X(0xE6, 0x60), -1);
    /* V86 uses the bitmap whatever IOPL */
    fx_v86(f, 3, 0);
    EXPECT_EQ(X(0xE4, 0x60), EXC_GP);
    EXPECT_EQ(X(0xE4, 0x81), -1);
    fx_free(f);
}

TEST(sys, task_gate_call_and_iret)
{
    Fx *f = fx_pm(3);
    CpuState *s = &f->cpu.s;
    /* task 2: ring 0, flat, its own stack */
    w32(f, TSS2 + 28, 0);
    w32(f, TSS2 + 32, 0x40000);
    w32(f, TSS2 + 36, 2);
    w32(f, TSS2 + 40, 0xAAAA);
    w32(f, TSS2 + 56, 0x70000);
    w16(f, TSS2 + 72, S_DATA0);
    w16(f, TSS2 + 76, S_CODE0);
    w16(f, TSS2 + 80, S_DATA0);
    w16(f, TSS2 + 84, S_DATA0);
    w16(f, TSS2 + 88, S_DATA0);
    w16(f, TSS2 + 92, S_DATA0);
    s->regs[R_EAX] = 0x5555;
    EXPECT_EQ(X(0x9A, 0, 0, 0, 0, S_TGATE, 0), -1);
    EXPECT_EQ(s->tr.sel, S_TSS2);
    EXPECT_EQ(s->cpl, 0);
    EXPECT_EQ(s->eip, 0x40000);
    EXPECT_EQ(s->regs[R_EAX], 0xAAAA);
    EXPECT_EQ(s->regs[R_ESP], 0x70000);
    EXPECT_TRUE(s->eflags & F_NT);
    EXPECT_TRUE(s->cr0 & CR0_TS);
    EXPECT_EQ(r16(f, TSS2), S_TSS1);                    /* back link */
    EXPECT_EQ(r8(f, GDT + 7 * 8 + 5) & 0x0F, 0xB);     /* new task busy */
    EXPECT_EQ(r8(f, GDT + 5 * 8 + 5) & 0x0F, 0xB);     /* old one stays busy (CALL) */
    EXPECT_EQ(r32(f, TSS1 + 32), CODE + 7);             /* old EIP saved */
    EXPECT_EQ(r32(f, TSS1 + 40), 0x5555);
    EXPECT_EQ(r16(f, TSS1 + 76), S_CODE3);
    /* a busy task cannot be called again */
    s->eip = 0x40000;
    EXPECT_EQ(X(0x9A, 0, 0, 0, 0, S_TSS2, 0), EXC_GP);
    EXPECT_EQ(s->exc_error, S_TSS2);
    /* IRET with NT returns to task 1 and frees task 2 */
    EXPECT_EQ(X(0xCF), -1);
    EXPECT_EQ(s->tr.sel, S_TSS1);
    EXPECT_EQ(s->cpl, 3);
    EXPECT_EQ(s->eip, CODE + 7);
    EXPECT_EQ(s->regs[R_EAX], 0x5555);
    EXPECT_EQ(r8(f, GDT + 7 * 8 + 5) & 0x0F, 0x9);
    EXPECT_EQ(r32(f, TSS2 + 32), 0x40001);
    EXPECT_EQ(r32(f, TSS2 + 36) & F_NT, 0);
    fx_free(f);
}

TEST(sys, task_gate_in_idt_pushes_error_code)
{
    Fx *f = fx_pm(0);
    CpuState *s = &f->cpu.s;
    w32(f, TSS2 + 32, 0x40000);
    w32(f, TSS2 + 36, 2);
    w32(f, TSS2 + 56, 0x70000);
    w16(f, TSS2 + 76, S_CODE0);
    w16(f, TSS2 + 80, S_DATA0);
    gate_desc(f, IDT, EXC_GP, S_TSS2, 0, 0x85, 0);
    cpu_gp(&f->cpu, 0x18);
    cpu_deliver_exception(&f->cpu);
    EXPECT_EQ(s->tr.sel, S_TSS2);
    EXPECT_EQ(s->eip, 0x40000);
    EXPECT_EQ(s->regs[R_ESP], 0x6FFFC);
    EXPECT_EQ(r32(f, 0x6FFFC), 0x18);
    EXPECT_TRUE(s->eflags & F_NT);
    EXPECT_EQ(s->seg[SEG_DS].sel, 0);
    fx_free(f);
}

TEST(sys, task_switch_bad_cs_faults_in_new_task)
{
    Fx *f = fx_pm(0);
    CpuState *s = &f->cpu.s;
    w32(f, TSS2 + 32, 0x40000);
    w16(f, TSS2 + 76, S_DATA0); /* CS is not code */
    w16(f, TSS2 + 80, S_DATA0);
    EXPECT_EQ(X(0xEA, 0, 0, 0, 0, S_TSS2, 0), EXC_TS);
    EXPECT_EQ(s->exc_error, S_DATA0);
    EXPECT_EQ(s->tr.sel, S_TSS2);     /* past the commit point */
    EXPECT_EQ(s->eip, 0x40000);       /* the fault is at the new task's EIP */
    EXPECT_EQ(r8(f, GDT + 5 * 8 + 5) & 0x0F, 0x9); /* JMP frees the old task */
    fx_free(f);
}

TEST(sys, descriptor_instructions)
{
    Fx *f = fx_pm(3);
    CpuState *s = &f->cpu.s;
    s->regs[R_ECX] = S_DATA0;
    s->regs[R_EAX] = 0xDEAD;
    EXPECT_EQ(X(0x0F, 0x02, 0xC1), -1); /* lar eax, ecx: DPL 0 invisible at CPL 3 */
    EXPECT_EQ(cpu_zf(&f->cpu), 0);
    EXPECT_EQ(s->regs[R_EAX], 0xDEAD);
    s->regs[R_ECX] = S_DATA3;
    EXPECT_EQ(X(0x0F, 0x02, 0xC1), -1);
    EXPECT_EQ(cpu_zf(&f->cpu), 1);
    EXPECT_EQ(s->regs[R_EAX], 0x00C0F200); /* mask 00F0FF00 */
    EXPECT_EQ(X(0x0F, 0x03, 0xC1), -1);    /* lsl */
    EXPECT_EQ(s->regs[R_EAX], 0xFFFFFFFFu);
    s->regs[R_ECX] = S_CGATE;              /* LAR accepts call gates, LSL does not */
    EXPECT_EQ(X(0x0F, 0x02, 0xC1), -1);
    EXPECT_EQ(cpu_zf(&f->cpu), 1);
    EXPECT_EQ(X(0x0F, 0x03, 0xC1), -1);
    EXPECT_EQ(cpu_zf(&f->cpu), 0);
    s->regs[R_ECX] = S_CONF0;              /* conforming code: readable, not writable */
    EXPECT_EQ(X(0x0F, 0x00, 0xE1), -1);    /* verr cx */
    EXPECT_EQ(cpu_zf(&f->cpu), 1);
    EXPECT_EQ(X(0x0F, 0x00, 0xE9), -1);    /* verw cx */
    EXPECT_EQ(cpu_zf(&f->cpu), 0);
    s->regs[R_ECX] = S_XO3;
    EXPECT_EQ(X(0x0F, 0x00, 0xE1), -1);
    EXPECT_EQ(cpu_zf(&f->cpu), 0);
    s->regs[R_ECX] = 0x1F8;                /* beyond the GDT: ZF=0, no fault */
    EXPECT_EQ(X(0x0F, 0x02, 0xC1), -1);
    EXPECT_EQ(cpu_zf(&f->cpu), 0);
    /* ARPL */
    s->regs[R_EAX] = 0x10;
    s->regs[R_ECX] = 0x3;
    EXPECT_EQ(X(0x63, 0xC8), -1);
    EXPECT_EQ(s->regs[R_EAX], 0x13);
    EXPECT_EQ(cpu_zf(&f->cpu), 1);
    /* STR, and LTR needs CPL 0 */
    EXPECT_EQ(X(0x0F, 0x00, 0xC8), -1);
    EXPECT_EQ(s->regs[R_EAX], S_TSS1);
    EXPECT_EQ(X(0x0F, 0x00, 0xD8), EXC_GP);
    fx_free(f);
    f = fx_pm(0);
    s = &f->cpu.s;
    s->regs[R_EAX] = S_TSS1;               /* busy: LTR refuses */
    EXPECT_EQ(X(0x0F, 0x00, 0xD8), EXC_GP);
    EXPECT_EQ(s->exc_error, S_TSS1);
    s->regs[R_EAX] = S_TSS2;
    EXPECT_EQ(X(0x0F, 0x00, 0xD8), -1);
    EXPECT_EQ(s->tr.sel, S_TSS2);
    EXPECT_EQ(r8(f, GDT + 7 * 8 + 5), 0x8B);
    s->regs[R_EAX] = S_LDT;
    EXPECT_EQ(X(0x0F, 0x00, 0xD0), -1);    /* lldt ax */
    EXPECT_EQ(s->ldtr.base, LDT);
    s->regs[R_EAX] = S_DATA0;
    EXPECT_EQ(X(0x0F, 0x00, 0xD0), EXC_GP);
    fx_free(f);
    /* real mode: #UD */
    f = fx_new();
    EXPECT_EQ(X(0x0F, 0x00, 0xC8), EXC_UD);
    EXPECT_EQ(X(0x63, 0xC8), EXC_UD);
    fx_free(f);
}

TEST(sys, hlt_privilege)
{
    Fx *f = fx_pm(3);
    EXPECT_EQ(X(0xF4), EXC_GP);
    EXPECT_EQ(f->cpu.s.halted, 0);
    fx_free(f);
    f = fx_pm(0);
    EXPECT_EQ(X(0xF4), -1);
    EXPECT_EQ(f->cpu.s.halted, 1);
    fx_free(f);
}

TEST(sys, bound_and_lss)
{
    Fx *f = fx_pm(0);
    CpuState *s = &f->cpu.s;
    w32(f, 0x5000, 10);
    w32(f, 0x5004, 20);
    s->regs[R_EBX] = 0x5000;
    s->regs[R_EAX] = 20;
    EXPECT_EQ(X(0x62, 0x03), -1);
    s->regs[R_EAX] = 21;
    EXPECT_EQ(X(0x62, 0x03), EXC_BR);
    s->regs[R_EAX] = (uint32_t)-1;
    EXPECT_EQ(X(0x62, 0x03), EXC_BR);
    /* lss esp, [ebx]: the segment is checked before ESP changes */
    w32(f, 0x5000, 0x12345678);
    w16(f, 0x5004, S_NP);
    s->regs[R_ESP] = STK0;
    EXPECT_EQ(X(0x0F, 0xB2, 0x23), EXC_SS);
    EXPECT_EQ(s->exc_error, S_NP);
    EXPECT_EQ(s->regs[R_ESP], STK0);
    w16(f, 0x5004, S_DATA0);
    EXPECT_EQ(X(0x0F, 0xB2, 0x23), -1);
    EXPECT_EQ(s->regs[R_ESP], 0x12345678);
    fx_free(f);
}
