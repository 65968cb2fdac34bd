/* cpu/segmem.c and cpu/sysregs.c: segment limits and rights, expand-down segments, the stack,
 * ModRM addressing, and the system-register instructions, on a Cpu assembled by hand (Bus, Mmu,
 * segment caches) so that no run loop is needed. */
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "decoder/opcodes.h"
#include "tests/unit/test.h"

int op_MOV_CdRd(Cpu *cpu, const Insn *i);
int op_MOV_RdCd(Cpu *cpu, const Insn *i);
int op_MOV_DdRd(Cpu *cpu, const Insn *i);
int op_MOV_RdDd(Cpu *cpu, const Insn *i);
int op_LGDT(Cpu *cpu, const Insn *i);
int op_SGDT(Cpu *cpu, const Insn *i);
int op_LMSW(Cpu *cpu, const Insn *i);
int op_SMSW(Cpu *cpu, const Insn *i);
int op_RDMSR(Cpu *cpu, const Insn *i);
int op_WRMSR(Cpu *cpu, const Insn *i);
int op_RDTSC(Cpu *cpu, const Insn *i);
int op_RDPMC(Cpu *cpu, const Insn *i);
int op_CPUID(Cpu *cpu, const Insn *i);
int op_SYSENTER(Cpu *cpu, const Insn *i);
int op_SYSEXIT(Cpu *cpu, const Insn *i);
int op_INVLPG(Cpu *cpu, const Insn *i);

typedef struct Fx {
    Cpu cpu;
    Bus bus;
    Clock clock;
} Fx;

static void seg_set(Cpu *cpu, int seg, uint32_t base, uint32_t limit, uint16_t attr)
{
    cpu->s.seg[seg] = (SegReg){(uint16_t)(seg * 8 + 8), attr, base, limit};
}

/* Real mode, every segment base 0 limit 64 KB, 16 MB of RAM. */
static Fx *fx_new(void)
{
    Fx *f = calloc(1, sizeof *f);
    if (!f || bus_init(&f->bus, 16u << 20)) {
        abort();
    }
    Cpu *cpu = &f->cpu;
    cpu->bus = &f->bus;
    cpu->clock = &f->clock;
    cpu->model = &kCpuPentiumPro;
    mmu_init(&cpu->mmu, &cpu->s, &f->bus);
    cpu->s.cr0 = CR0_ET;
    cpu->s.eflags = 2;
    for (int k = 0; k < 6; k++) {
        seg_set(cpu, k, 0, 0xFFFF, k == SEG_CS ? 0x9B : 0x93);
    }
    cpu->mode = MODE_REAL;
    return f;
}

/* Protected mode, CPL 0, flat 4 GB data segments. */
static Fx *fx_new_pm(void)
{
    Fx *f = fx_new();
    Cpu *cpu = &f->cpu;
    cpu->s.cr0 |= CR0_PE;
    cpu->mode = MODE_PROT;
    for (int k = 0; k < 6; k++) {
        seg_set(cpu, k, 0, 0xFFFFFFFFu, k == SEG_CS ? 0xC09B : 0xC093);
    }
    return f;
}

static void fx_free(Fx *f)
{
    bus_free(&f->bus);
    free(f);
}

static uint32_t ram32(Fx *f, uint32_t pa)
{
    uint32_t v;
    memcpy(&v, f->bus.ram + pa, 4);
    return v;
}

static void set_ram32(Fx *f, uint32_t pa, uint32_t v)
{
    memcpy(f->bus.ram + pa, &v, 4);
}

/* the exception the last failing call raised, as vector << 16 | error code */
static uint32_t exc(const Fx *f)
{
    return (uint32_t)f->cpu.s.exc_vector << 16 | (f->cpu.s.exc_error & 0xFFFF);
}

#define GP0 ((uint32_t)EXC_GP << 16)
#define SS0 ((uint32_t)EXC_SS << 16)

TEST(segmem, real_mode_64k_limit)
{
    Fx *f = fx_new();
    Cpu *cpu = &f->cpu;
    cpu->s.seg[SEG_DS].base = 0x1000;
    uint16_t w;
    uint8_t b;
    set_ram32(f, 0x1000 + 0xFFFC, 0x44332211);
    EXPECT_EQ(cpu_read8(cpu, SEG_DS, 0xFFFF, &b), 0);
    EXPECT_EQ(b, 0x44);
    EXPECT_EQ(cpu_read16(cpu, SEG_DS, 0xFFFE, &w), 0);
    EXPECT_EQ(w, 0x4433);
    /* a word at offset 0xFFFF crosses the limit: #GP(0), or #SS(0) through SS */
    EXPECT_EQ(cpu_read16(cpu, SEG_DS, 0xFFFF, &w), 1);
    EXPECT_EQ(exc(f), GP0);
    cpu->s.seg[SEG_SS].base = 0x1000;
    EXPECT_EQ(cpu_write32(cpu, SEG_SS, 0xFFFD, 0), 1);
    EXPECT_EQ(exc(f), SS0);
    EXPECT_EQ(ram32(f, 0x1000 + 0xFFFC), 0x44332211);
    /* real mode may write through CS, whose cached type is execute/read code */
    EXPECT_EQ(cpu_write16(cpu, SEG_CS, 0x10, 0xABCD), 0);
    EXPECT_EQ(ram32(f, 0x10) & 0xFFFF, 0xABCD);
    /* an unreal-mode 4 GB limit lets 32-bit offsets through */
    cpu->s.seg[SEG_ES].limit = 0xFFFFFFFFu;
    EXPECT_EQ(cpu_write32(cpu, SEG_ES, 0x00200000, 0x600DF00D), 0);
    EXPECT_EQ(ram32(f, 0x00200000), 0x600DF00D);
    fx_free(f);
}

TEST(segmem, protected_mode_rights)
{
    Fx *f = fx_new_pm();
    Cpu *cpu = &f->cpu;
    uint32_t v;
    /* null selector: the cache is invalid (P clear) */
    seg_set(cpu, SEG_FS, 0, 0, 0);
    EXPECT_EQ(cpu_read(cpu, SEG_FS, 0, 1, &v), 1);
    EXPECT_EQ(exc(f), GP0);
    EXPECT_EQ(cpu_write(cpu, SEG_FS, 0, 1, 0), 1);
    /* execute-only code: no reads; execute/read code: reads, no writes */
    seg_set(cpu, SEG_ES, 0, 0xFFFF, 0x98);
    EXPECT_EQ(cpu_read(cpu, SEG_ES, 0, 2, &v), 1);
    EXPECT_EQ(exc(f), GP0);
    seg_set(cpu, SEG_ES, 0, 0xFFFF, 0x9A);
    EXPECT_EQ(cpu_read(cpu, SEG_ES, 0, 2, &v), 0);
    EXPECT_EQ(cpu_write(cpu, SEG_ES, 0, 2, 0), 1);
    EXPECT_EQ(exc(f), GP0);
    /* read-only data */
    seg_set(cpu, SEG_GS, 0, 0xFFFF, 0x91);
    EXPECT_EQ(cpu_read(cpu, SEG_GS, 0, 4, &v), 0);
    EXPECT_EQ(cpu_write(cpu, SEG_GS, 0, 4, 0), 1);
    EXPECT_EQ(cpu_probe_write(cpu, SEG_GS, 0, 4), 1);
    /* read-only stack segment: #SS(0) */
    seg_set(cpu, SEG_SS, 0, 0xFFFF, 0x91);
    EXPECT_EQ(cpu_write(cpu, SEG_SS, 0, 4, 0), 1);
    EXPECT_EQ(exc(f), SS0);
    /* a system descriptor type never reaches a data access */
    seg_set(cpu, SEG_DS, 0, 0xFFFF, 0x82);
    EXPECT_EQ(cpu_read(cpu, SEG_DS, 0, 1, &v), 1);
    fx_free(f);
}

TEST(segmem, limit_includes_operand_size)
{
    Fx *f = fx_new_pm();
    Cpu *cpu = &f->cpu;
    uint32_t v;
    seg_set(cpu, SEG_DS, 0x3000, 0x100, 0x93);
    EXPECT_EQ(cpu_read(cpu, SEG_DS, 0xFD, 4, &v), 0);
    EXPECT_EQ(cpu_read(cpu, SEG_DS, 0xFE, 4, &v), 1);
    EXPECT_EQ(cpu_read(cpu, SEG_DS, 0x100, 1, &v), 0);
    EXPECT_EQ(cpu_read(cpu, SEG_DS, 0x101, 1, &v), 1);
    EXPECT_EQ(cpu_read(cpu, SEG_DS, 0xFFFFFFFFu, 2, &v), 1); /* no wrap-around */
    /* a 4 GB limit: the last dword is fine, a dword crossing 4 GB is not */
    seg_set(cpu, SEG_DS, 0, 0xFFFFFFFFu, 0xC093);
    EXPECT_EQ(cpu_read(cpu, SEG_DS, 0xFFFFFFFDu, 4, &v), 1);
    EXPECT_EQ(exc(f), GP0);
    fx_free(f);
}

TEST(segmem, expand_down)
{
    Fx *f = fx_new_pm();
    Cpu *cpu = &f->cpu;
    uint32_t v;
    /* 16-bit expand-down read/write: valid offsets 0x1000..0xFFFF */
    seg_set(cpu, SEG_DS, 0x10000, 0x0FFF, 0x97);
    EXPECT_EQ(cpu_read(cpu, SEG_DS, 0x0FFF, 1, &v), 1);
    EXPECT_EQ(exc(f), GP0);
    EXPECT_EQ(cpu_read(cpu, SEG_DS, 0x0000, 1, &v), 1);
    EXPECT_EQ(cpu_write(cpu, SEG_DS, 0x1000, 4, 0x01020304), 0);
    EXPECT_EQ(ram32(f, 0x11000), 0x01020304);
    EXPECT_EQ(cpu_read(cpu, SEG_DS, 0xFFFF, 1, &v), 0);
    EXPECT_EQ(cpu_read(cpu, SEG_DS, 0xFFFE, 4, &v), 1);
    EXPECT_EQ(cpu_read(cpu, SEG_DS, 0x10000, 1, &v), 1);
    /* with B set the upper bound is 4 GB */
    seg_set(cpu, SEG_DS, 0, 0x0FFF, 0x4097);
    EXPECT_EQ(cpu_read(cpu, SEG_DS, 0x10000, 4, &v), 0);
    EXPECT_EQ(cpu_read(cpu, SEG_DS, 0xFFFFFFFCu, 4, &v), 0);
    EXPECT_EQ(cpu_read(cpu, SEG_DS, 0xFFFFFFFDu, 4, &v), 1);
    /* read-only expand-down: no writes; an expand-down stack faults with #SS */
    seg_set(cpu, SEG_DS, 0, 0x0FFF, 0x95);
    EXPECT_EQ(cpu_write(cpu, SEG_DS, 0x2000, 1, 0), 1);
    seg_set(cpu, SEG_SS, 0, 0x7FFF, 0x97);
    cpu->s.regs[R_ESP] = 0x8002;
    EXPECT_EQ(cpu_push(cpu, 2, 0x1234), 0);
    EXPECT_EQ(cpu->s.regs[R_ESP], 0x8000);
    EXPECT_EQ(cpu_push(cpu, 2, 0x5678), 1);
    EXPECT_EQ(exc(f), SS0);
    EXPECT_EQ(cpu->s.regs[R_ESP], 0x8000);
    fx_free(f);
}

TEST(segmem, stack_16_and_32_bit)
{
    Fx *f = fx_new();
    Cpu *cpu = &f->cpu;
    uint32_t v;
    cpu->s.seg[SEG_SS].base = 0x20000;
    /* 16-bit stack: SP wraps from 0 to 0xFFFE, the high half of ESP is kept */
    cpu->s.regs[R_ESP] = 0x12340000;
    EXPECT_EQ(cpu_push(cpu, 2, 0xBEEF), 0);
    EXPECT_EQ(cpu->s.regs[R_ESP], 0x1234FFFE);
    EXPECT_EQ(ram32(f, 0x2FFFE) & 0xFFFF, 0xBEEF);
    EXPECT_EQ(cpu_push(cpu, 4, 0xCAFEBABE), 0);
    EXPECT_EQ(cpu->s.regs[R_ESP], 0x1234FFFA);
    EXPECT_EQ(cpu_stack_read(cpu, 4, 2, &v), 0);
    EXPECT_EQ(v, 0xBEEF);
    EXPECT_EQ(cpu_pop(cpu, 4, &v), 0);
    EXPECT_EQ(v, 0xCAFEBABE);
    EXPECT_EQ(cpu_pop(cpu, 2, &v), 0);
    EXPECT_EQ(v, 0xBEEF);
    EXPECT_EQ(cpu->s.regs[R_ESP], 0x12340000);
    /* SP = 1: the word would straddle the 64 KB limit: #SS(0), SP unchanged (SDM PUSH) */
    cpu->s.regs[R_ESP] = 1;
    EXPECT_EQ(cpu_push(cpu, 2, 0), 1);
    EXPECT_EQ(exc(f), SS0);
    EXPECT_EQ(cpu->s.regs[R_ESP], 1);
    /* a pop at SP = 0xFFFF also crosses the limit */
    cpu->s.regs[R_ESP] = 0xFFFF;
    EXPECT_EQ(cpu_pop(cpu, 2, &v), 1);
    EXPECT_EQ(exc(f), SS0);
    /* 32-bit stack (B set): ESP does not wrap at 64 KB */
    Fx *g = fx_new_pm();
    g->cpu.s.regs[R_ESP] = 0x10000;
    EXPECT_EQ(cpu_push(&g->cpu, 4, 0x11223344), 0);
    EXPECT_EQ(g->cpu.s.regs[R_ESP], 0xFFFC);
    EXPECT_EQ(ram32(g, 0xFFFC), 0x11223344);
    EXPECT_EQ(cpu_pop(&g->cpu, 2, &v), 0);
    EXPECT_EQ(v, 0x3344);
    EXPECT_EQ(g->cpu.s.regs[R_ESP], 0xFFFE);
    fx_free(g);
    fx_free(f);
}

/* Identity-map the low 4 MB with 4 KB pages (PD at 0x1000, PT at 0x2000), all user RW. */
static void identity_paging(Fx *f)
{
    set_ram32(f, 0x1000, 0x2000 | 7);
    for (uint32_t k = 0; k < 1024; k++) {
        set_ram32(f, 0x2000 + 4 * k, (k << 12) | 7);
    }
    f->cpu.s.cr3 = 0x1000;
    f->cpu.s.cr0 |= CR0_PG;
    mmu_flush_all(&f->cpu.mmu);
}

TEST(segmem, page_fault_in_push_keeps_esp)
{
    Fx *f = fx_new_pm();
    Cpu *cpu = &f->cpu;
    identity_paging(f);
    set_ram32(f, 0x2000 + 4 * 0x9F, 0); /* page 0x9F000 not present */
    cpu->s.regs[R_ESP] = 0xA0002;
    EXPECT_EQ(cpu_push(cpu, 4, 1), 1); /* crosses into the missing page */
    EXPECT_EQ(cpu->s.exc_vector, EXC_PF);
    EXPECT_EQ(cpu->s.exc_error, 0x2);
    EXPECT_EQ(cpu->s.cr2, 0x9FFFE);
    EXPECT_EQ(cpu->s.regs[R_ESP], 0xA0002);
    EXPECT_EQ(ram32(f, 0xA0000) & 0xFFFF, 0);
    fx_free(f);
}

TEST(segmem, effective_addresses)
{
    Fx *f = fx_new();
    Cpu *cpu = &f->cpu;
    Insn i = {0};
    cpu->s.regs[R_EBX] = 0xAAAA0001;
    cpu->s.regs[R_ESI] = 0x55550002;
    /* [bx+si-2] in 16-bit addressing wraps to 0xFFFF... within 64 KB */
    i.base = R_EBX;
    i.index = R_ESI;
    i.scale = 0;
    i.disp = 0xFFFFFFFCu;
    EXPECT_EQ(cpu_ea(cpu, &i), 0xFFFF);
    /* 32-bit [ebx+esi*4+0x10] */
    i.flags = INSN_ADDR32;
    i.scale = 2;
    i.disp = 0x10;
    EXPECT_EQ(cpu_ea(cpu, &i), 0xAAAA0001u + 0x55550002u * 4 + 0x10);
    /* disp32 only, and no base with an index */
    i.base = EA_NONE;
    i.index = EA_NONE;
    i.disp = 0x12345678;
    EXPECT_EQ(cpu_ea(cpu, &i), 0x12345678);
    i.flags = 0;
    EXPECT_EQ(cpu_ea(cpu, &i), 0x5678);
    fx_free(f);
}

TEST(segmem, rm_register_and_memory_operands)
{
    Fx *f = fx_new();
    Cpu *cpu = &f->cpu;
    Insn i = {0};
    uint32_t v;
    cpu->s.regs[R_EAX] = 0x11223344;
    i.modrm = 0xC4; /* mod 3, rm 4: AH for bytes, SP/ESP otherwise */
    cpu->s.regs[R_ESP] = 0xAABBCCDD;
    EXPECT_EQ(cpu_read_rm(cpu, &i, 1, &v), 0);
    EXPECT_EQ(v, 0x33);
    EXPECT_EQ(cpu_read_rm(cpu, &i, 2, &v), 0);
    EXPECT_EQ(v, 0xCCDD);
    EXPECT_EQ(cpu_write_rm(cpu, &i, 1, 0x99), 0);
    EXPECT_EQ(cpu->s.regs[R_EAX], 0x11229944);
    EXPECT_EQ(cpu_write_rm(cpu, &i, 2, 0x1234), 0);
    EXPECT_EQ(cpu->s.regs[R_ESP], 0xAABB1234);
    EXPECT_EQ(cpu_read_rm_rmw(cpu, &i, 4, &v), 0);
    EXPECT_EQ(v, 0xAABB1234);
    /* memory: [bx+0x10] through DS base 0x5000 */
    i.modrm = 0x47;
    i.base = R_EBX;
    i.index = EA_NONE;
    i.disp = 0x10;
    i.seg = SEG_DS;
    cpu->s.regs[R_EBX] = 0x20;
    cpu->s.seg[SEG_DS].base = 0x5000;
    EXPECT_EQ(cpu_write_rm(cpu, &i, 4, 0xFEEDFACE), 0);
    EXPECT_EQ(ram32(f, 0x5030), 0xFEEDFACE);
    EXPECT_EQ(cpu_read_rm_rmw(cpu, &i, 2, &v), 0);
    EXPECT_EQ(v, 0xFACE);
    fx_free(f);
}

TEST(segmem, rmw_checks_write_first)
{
    Fx *f = fx_new_pm();
    Cpu *cpu = &f->cpu;
    identity_paging(f);
    set_ram32(f, 0x2000 + 4 * 0x50, 0x50000 | 5); /* user read-only page */
    Insn i = {0};
    i.modrm = 0x05;
    i.flags = INSN_ADDR32;
    i.base = EA_NONE;
    i.index = EA_NONE;
    i.disp = 0x50010;
    i.seg = SEG_DS;
    uint32_t v;
    cpu->s.cpl = 3;
    EXPECT_EQ(cpu_read_rm(cpu, &i, 4, &v), 0);
    EXPECT_EQ(cpu_read_rm_rmw(cpu, &i, 4, &v), 1);
    EXPECT_EQ(cpu->s.exc_vector, EXC_PF);
    EXPECT_EQ(cpu->s.exc_error, 0x7);
    /* and a read-only segment: #GP(0) even where paging would allow it */
    cpu->s.cpl = 0;
    seg_set(cpu, SEG_DS, 0, 0xFFFFFFFFu, 0xC091);
    i.disp = 0x60000;
    EXPECT_EQ(cpu_read_rm_rmw(cpu, &i, 4, &v), 1);
    EXPECT_EQ(exc(f), GP0);
    fx_free(f);
}

TEST(segmem, jump_near)
{
    Fx *f = fx_new();
    Cpu *cpu = &f->cpu;
    cpu->s.eip = 0x100;
    EXPECT_EQ(cpu_jump_near(cpu, 0x12345678, 2), 0);
    EXPECT_EQ(cpu->s.eip, 0x5678);
    EXPECT_EQ(cpu_jump_near(cpu, 0x10000, 4), 1);
    EXPECT_EQ(exc(f), GP0);
    EXPECT_EQ(cpu->s.eip, 0x5678);
    EXPECT_EQ(cpu_jump_near(cpu, 0xFFFF, 4), 0);
    EXPECT_EQ(cpu->s.eip, 0xFFFF);
    fx_free(f);
}

TEST(segmem, alignment_check_at_cpl3)
{
    Fx *f = fx_new_pm();
    Cpu *cpu = &f->cpu;
    uint32_t v;
    cpu->s.cr0 |= CR0_AM;
    cpu->s.eflags |= F_AC;
    EXPECT_EQ(cpu_read(cpu, SEG_DS, 0x1001, 4, &v), 0); /* CPL 0: no check */
    cpu->s.cpl = 3;
    EXPECT_EQ(cpu_read(cpu, SEG_DS, 0x1001, 4, &v), 1);
    EXPECT_EQ(cpu->s.exc_vector, EXC_AC);
    EXPECT_EQ(cpu->s.exc_has_error, 1);
    EXPECT_EQ(cpu_read(cpu, SEG_DS, 0x1002, 2, &v), 0);
    EXPECT_EQ(cpu_read(cpu, SEG_DS, 0x1003, 1, &v), 0);
    cpu->s.eflags &= ~F_AC;
    EXPECT_EQ(cpu_read(cpu, SEG_DS, 0x1001, 4, &v), 0);
    fx_free(f);
}

TEST(segmem, linear_supervisor_access_at_cpl3)
{
    Fx *f = fx_new_pm();
    Cpu *cpu = &f->cpu;
    identity_paging(f);
    set_ram32(f, 0x2000 + 4 * 0x30, 0x30000 | 3); /* supervisor page */
    set_ram32(f, 0x30008, 0x00CF9A00);
    cpu->s.cpl = 3;
    uint32_t v;
    EXPECT_EQ(cpu_lin_read(cpu, 0x30008, 4, true, &v), 0);
    EXPECT_EQ(v, 0x00CF9A00);
    EXPECT_EQ(cpu_lin_write(cpu, 0x30008, 4, true, 0x00CF9B00), 0);
    EXPECT_EQ(ram32(f, 0x30008), 0x00CF9B00);
    EXPECT_EQ(cpu_lin_read(cpu, 0x30008, 4, false, &v), 1);
    EXPECT_EQ(cpu->s.exc_error, 0x5);
    fx_free(f);
}

/* ---- system registers ---- */

static Insn modrm_insn(uint8_t modrm, uint8_t flags)
{
    Insn i = {0};
    i.modrm = modrm;
    i.flags = flags;
    i.base = EA_NONE;
    i.index = EA_NONE;
    i.seg = SEG_DS;
    return i;
}

/* mov crN, eax (0F 22 /r with mod 3, rm 0) */
static int mov_cr(Cpu *cpu, int n, uint32_t v)
{
    Insn i = modrm_insn((uint8_t)(0xC0 | (n << 3)), INSN_OP32);
    cpu->s.regs[R_EAX] = v;
    return op_MOV_CdRd(cpu, &i);
}

static int mov_dr(Cpu *cpu, int n, uint32_t v)
{
    Insn i = modrm_insn((uint8_t)(0xC0 | (n << 3)), INSN_OP32);
    cpu->s.regs[R_EAX] = v;
    return op_MOV_DdRd(cpu, &i);
}

static int read_dr(Cpu *cpu, int n, uint32_t *v)
{
    Insn i = modrm_insn((uint8_t)(0xC0 | (n << 3) | R_EBX), INSN_OP32);
    int r = op_MOV_RdDd(cpu, &i);
    *v = cpu->s.regs[R_EBX];
    return r;
}

TEST(sysregs, mov_cr0)
{
    Fx *f = fx_new();
    Cpu *cpu = &f->cpu;
    EXPECT_EQ(mov_cr(cpu, 0, CR0_PG), 1); /* PG without PE */
    EXPECT_EQ(exc(f), GP0);
    EXPECT_EQ(mov_cr(cpu, 0, CR0_NW), 1); /* NW without CD */
    EXPECT_EQ(mov_cr(cpu, 0, CR0_PE), 0);
    EXPECT_EQ(cpu->s.cr0, CR0_PE | CR0_ET); /* ET reads as 1 */
    EXPECT_EQ(cpu->mode, MODE_PROT);
    Insn rd = modrm_insn(0xC3, INSN_OP32); /* mov ebx, cr0 */
    EXPECT_EQ(op_MOV_RdCd(cpu, &rd), 0);
    EXPECT_EQ(cpu->s.regs[R_EBX], CR0_PE | CR0_ET);
    /* CR1 and CR5-7: #UD; CPL 3: #GP(0) */
    EXPECT_EQ(mov_cr(cpu, 1, 0), 1);
    EXPECT_EQ(cpu->s.exc_vector, EXC_UD);
    cpu->s.cpl = 3;
    EXPECT_EQ(mov_cr(cpu, 0, CR0_PE), 1);
    EXPECT_EQ(exc(f), GP0);
    EXPECT_EQ(op_MOV_RdCd(cpu, &rd), 1);
    fx_free(f);
}

TEST(sysregs, mov_cr0_wp_flushes_tlb)
{
    Fx *f = fx_new_pm();
    Cpu *cpu = &f->cpu;
    identity_paging(f);
    set_ram32(f, 0x2000 + 4 * 0x40, 0x40000 | 0x61); /* supervisor read-only, A and D */
    EXPECT_EQ(cpu_write(cpu, SEG_DS, 0x40000, 4, 1), 0); /* WP clear: allowed (and cached) */
    EXPECT_EQ(mov_cr(cpu, 0, cpu->s.cr0 | CR0_WP), 0);
    EXPECT_EQ(cpu_write(cpu, SEG_DS, 0x40000, 4, 2), 1);
    EXPECT_EQ(cpu->s.exc_vector, EXC_PF);
    EXPECT_EQ(cpu->s.exc_error, 0x3);
    EXPECT_EQ(ram32(f, 0x40000), 1);
    fx_free(f);
}

TEST(sysregs, mov_cr3_cr4_and_global_pages)
{
    Fx *f = fx_new_pm();
    Cpu *cpu = &f->cpu;
    identity_paging(f);
    /* CR4: PAE and MCE are not in the model; OSFXSR needs FXSR (Pentium II only) */
    EXPECT_EQ(mov_cr(cpu, 4, CR4_PAE), 1);
    EXPECT_EQ(exc(f), GP0);
    EXPECT_EQ(mov_cr(cpu, 4, CR4_OSFXSR), 1);
    EXPECT_EQ(mov_cr(cpu, 4, 0x800), 1);
    cpu->model = &kCpuPentium2;
    EXPECT_EQ(mov_cr(cpu, 4, CR4_OSFXSR), 0);
    cpu->model = &kCpuPentiumPro;
    EXPECT_EQ(mov_cr(cpu, 4, CR4_PGE | CR4_PSE | CR4_VME | CR4_PVI | CR4_TSD | CR4_DE | CR4_PCE),
              0);
    /* page 0x40 global, 0x41 not; both remapped in a second directory */
    set_ram32(f, 0x2000 + 4 * 0x40, 0x40000 | 0x107);
    set_ram32(f, 0x40000, 0x600D);
    set_ram32(f, 0x41000, 0x1111);
    set_ram32(f, 0x50000, 0xBAD);
    set_ram32(f, 0x51000, 0x2222);
    uint32_t v;
    cpu_read(cpu, SEG_DS, 0x40000, 4, &v);
    cpu_read(cpu, SEG_DS, 0x41000, 4, &v);
    memcpy(f->bus.ram + 0x3000, f->bus.ram + 0x2000, 4096);
    set_ram32(f, 0x3000 + 4 * 0x40, 0x50000 | 0x107);
    set_ram32(f, 0x3000 + 4 * 0x41, 0x51000 | 0x7);
    set_ram32(f, 0x4000, 0x3000 | 7);
    EXPECT_EQ(mov_cr(cpu, 3, 0x4FFF), 0);
    EXPECT_EQ(cpu->s.cr3, 0x4018); /* PWT and PCD kept, the rest of the low bits ignored */
    cpu_read(cpu, SEG_DS, 0x40000, 4, &v);
    EXPECT_EQ(v, 0x600D);
    cpu_read(cpu, SEG_DS, 0x41000, 4, &v);
    EXPECT_EQ(v, 0x2222);
    /* INVLPG through DS (base 0x10000): drops the global entry */
    seg_set(cpu, SEG_DS, 0x10000, 0xFFFFFFFFu, 0xC093);
    Insn inv = modrm_insn(0x3D, INSN_OP32 | INSN_ADDR32);
    inv.disp = 0x30000;
    EXPECT_EQ(op_INVLPG(cpu, &inv), 0);
    seg_set(cpu, SEG_DS, 0, 0xFFFFFFFFu, 0xC093);
    cpu_read(cpu, SEG_DS, 0x40000, 4, &v);
    EXPECT_EQ(v, 0xBAD);
    /* the refilled global entry survives the next CR3 load; clearing PGE flushes it */
    set_ram32(f, 0x3000 + 4 * 0x40, 0x40000 | 0x107);
    mov_cr(cpu, 3, 0x4000);
    cpu_read(cpu, SEG_DS, 0x40000, 4, &v);
    EXPECT_EQ(v, 0xBAD);
    EXPECT_EQ(mov_cr(cpu, 4, CR4_PSE), 0);
    cpu_read(cpu, SEG_DS, 0x40000, 4, &v);
    EXPECT_EQ(v, 0x600D);
    fx_free(f);
}

TEST(sysregs, debug_registers)
{
    Fx *f = fx_new();
    Cpu *cpu = &f->cpu;
    uint32_t v;
    cpu->s.dr[6] = 0xFFFF0FF0u;
    cpu->s.dr[7] = 0x400;
    EXPECT_EQ(mov_dr(cpu, 0, 0x12345678), 0);
    EXPECT_EQ(cpu->s.dr[0], 0x12345678);
    EXPECT_EQ(mov_dr(cpu, 6, 0), 0);
    EXPECT_EQ(cpu->s.dr[6], 0xFFFF0FF0u);
    EXPECT_EQ(mov_dr(cpu, 6, 0xFFFFFFFFu), 0);
    EXPECT_EQ(cpu->s.dr[6], 0xFFFFEFFFu);
    /* DR4/DR5 alias DR6/DR7 without CR4.DE */
    EXPECT_EQ(mov_dr(cpu, 5, 0x00000003), 0);
    EXPECT_EQ(cpu->s.dr[7], 0x00000403);
    EXPECT_EQ(read_dr(cpu, 4, &v), 0);
    EXPECT_EQ(v, 0xFFFFEFFFu);
    cpu->s.cr4 = CR4_DE;
    EXPECT_EQ(read_dr(cpu, 4, &v), 1);
    EXPECT_EQ(cpu->s.exc_vector, EXC_UD);
    /* general detect: #DB with BD, GD cleared */
    EXPECT_EQ(mov_dr(cpu, 7, 0x2000), 0);
    EXPECT_EQ(cpu->s.dr[7], 0x2400);
    cpu->s.dr[6] = 0xFFFF0FF0u;
    EXPECT_EQ(read_dr(cpu, 0, &v), 1);
    EXPECT_EQ(cpu->s.exc_vector, EXC_DB);
    EXPECT_EQ(cpu->s.dr[6] & 0x2000, 0x2000);
    EXPECT_EQ(cpu->s.dr[7] & 0x2000, 0);
    cpu->s.cpl = 3;
    EXPECT_EQ(read_dr(cpu, 0, &v), 1);
    EXPECT_EQ(exc(f), GP0);
    fx_free(f);
}

TEST(sysregs, lgdt_sgdt_lmsw_smsw)
{
    Fx *f = fx_new();
    Cpu *cpu = &f->cpu;
    /* lgdt [0x100] with a 16-bit operand size keeps 24 bits of the base */
    Insn i = modrm_insn(0x16, 0); /* mod 0 rm 6: disp16 */
    i.disp = 0x100;
    set_ram32(f, 0x100, 0x56780027);
    set_ram32(f, 0x104, 0x00001234);
    EXPECT_EQ(op_LGDT(cpu, &i), 0);
    EXPECT_EQ(cpu->s.gdtr.limit, 0x0027);
    EXPECT_EQ(cpu->s.gdtr.base, 0x00345678);
    i.flags = INSN_OP32;
    EXPECT_EQ(op_LGDT(cpu, &i), 0);
    EXPECT_EQ(cpu->s.gdtr.base, 0x12345678);
    /* sgdt [0x200] stores all 32 bits */
    i.flags = 0;
    i.disp = 0x200;
    EXPECT_EQ(op_SGDT(cpu, &i), 0);
    EXPECT_EQ(ram32(f, 0x200), 0x56780027);
    EXPECT_EQ(ram32(f, 0x204) & 0xFFFF, 0x1234);
    /* sgdt at 0xFFFC: the base crosses the 64 KB limit: #GP(0) and nothing written */
    i.disp = 0xFFFC;
    EXPECT_EQ(op_SGDT(cpu, &i), 1);
    EXPECT_EQ(exc(f), GP0);
    EXPECT_EQ(ram32(f, 0xFFFC), 0);
    /* lmsw sets PE but cannot clear it */
    cpu->s.regs[R_EAX] = 0x000F;
    Insn l = modrm_insn(0xF0, 0); /* lmsw ax */
    EXPECT_EQ(op_LMSW(cpu, &l), 0);
    EXPECT_EQ(cpu->s.cr0 & 0xF, 0xF);
    EXPECT_EQ(cpu->mode, MODE_PROT);
    cpu->s.regs[R_EAX] = 0;
    EXPECT_EQ(op_LMSW(cpu, &l), 0);
    EXPECT_EQ(cpu->s.cr0 & 0xF, CR0_PE);
    /* smsw eax gives all of CR0, smsw ax the low word */
    cpu->s.cr0 |= CR0_PG;
    cpu->s.regs[R_EAX] = 0xFFFFFFFFu;
    Insn s16 = modrm_insn(0xE0, 0);
    EXPECT_EQ(op_SMSW(cpu, &s16), 0);
    EXPECT_EQ(cpu->s.regs[R_EAX], 0xFFFF0000u | CR0_PE | CR0_ET);
    Insn s32 = modrm_insn(0xE0, INSN_OP32);
    EXPECT_EQ(op_SMSW(cpu, &s32), 0);
    EXPECT_EQ(cpu->s.regs[R_EAX], CR0_PG | CR0_PE | CR0_ET);
    fx_free(f);
}

static int wrmsr(Cpu *cpu, uint32_t msr, uint64_t v)
{
    Insn i = modrm_insn(0, 0);
    cpu->s.regs[R_ECX] = msr;
    cpu->s.regs[R_EAX] = (uint32_t)v;
    cpu->s.regs[R_EDX] = (uint32_t)(v >> 32);
    return op_WRMSR(cpu, &i);
}

static int rdmsr(Cpu *cpu, uint32_t msr, uint64_t *v)
{
    Insn i = modrm_insn(0, 0);
    cpu->s.regs[R_ECX] = msr;
    int r = op_RDMSR(cpu, &i);
    *v = (uint64_t)cpu->s.regs[R_EDX] << 32 | cpu->s.regs[R_EAX];
    return r;
}

TEST(sysregs, msrs)
{
    Fx *f = fx_new();
    Cpu *cpu = &f->cpu;
    uint64_t v;
    f->clock.ticks = 1000;
    /* TSC: writes set the low 32 bits and clear the high ones (P6) */
    EXPECT_EQ(wrmsr(cpu, 0x10, 0x0000000500000064ull), 0);
    f->clock.ticks = 1100;
    EXPECT_EQ(rdmsr(cpu, 0x10, &v), 0);
    EXPECT_EQ(v, 200);
    Insn i = modrm_insn(0, 0);
    EXPECT_EQ(op_RDTSC(cpu, &i), 0);
    EXPECT_EQ(cpu->s.regs[R_EAX], 200);
    EXPECT_EQ(cpu->s.regs[R_EDX], 0);
    /* MTRRs */
    EXPECT_EQ(rdmsr(cpu, 0xFE, &v), 0);
    EXPECT_EQ(v, 0x508);
    EXPECT_EQ(wrmsr(cpu, 0xFE, 0), 1);
    EXPECT_EQ(exc(f), GP0);
    EXPECT_EQ(wrmsr(cpu, 0x200, 0x0000000F00000006ull), 0); /* WB, 36-bit base */
    EXPECT_EQ(wrmsr(cpu, 0x201, 0x0000000FFC000800ull), 0);
    EXPECT_EQ(rdmsr(cpu, 0x201, &v), 0);
    EXPECT_EQ(v, 0x0000000FFC000800ull);
    EXPECT_EQ(wrmsr(cpu, 0x202, 0x2), 1);                    /* type 2 is reserved */
    EXPECT_EQ(wrmsr(cpu, 0x202, 0x0000001000000000ull), 1); /* bit 36 */
    EXPECT_EQ(wrmsr(cpu, 0x203, 0x400), 1);                  /* mask bit 10 */
    EXPECT_EQ(wrmsr(cpu, 0x250, 0x0606060606060606ull), 0);
    EXPECT_EQ(wrmsr(cpu, 0x26F, 0x0000000000000300ull), 1);
    EXPECT_EQ(rdmsr(cpu, 0x250, &v), 0);
    EXPECT_EQ(v, 0x0606060606060606ull);
    EXPECT_EQ(wrmsr(cpu, 0x2FF, 0xC06), 0);
    EXPECT_EQ(wrmsr(cpu, 0x2FF, 0x1006), 1);
    /* SYSENTER MSRs, APIC base, PAT (not in this model), unknown MSRs */
    EXPECT_EQ(wrmsr(cpu, 0x174, 0x10), 0);
    EXPECT_EQ(rdmsr(cpu, 0x174, &v), 0);
    EXPECT_EQ(v, 0x10);
    cpu->s.apic_base_msr_lo = 0xFEE00900u;
    EXPECT_EQ(wrmsr(cpu, 0x1B, 0xFEC00800u), 0); /* BSP stays */
    EXPECT_EQ(rdmsr(cpu, 0x1B, &v), 0);
    EXPECT_EQ(v, 0xFEC00900u);
    EXPECT_EQ(wrmsr(cpu, 0x1B, 0xFEE00A00u), 1);
    EXPECT_EQ(rdmsr(cpu, 0x277, &v), 1);
    EXPECT_EQ(rdmsr(cpu, 0xC0000080u, &v), 1);
    EXPECT_EQ(wrmsr(cpu, 0x179, 0), 1);
    /* CPL 3 (e.g. V86 mode): #GP(0) */
    cpu->s.cpl = 3;
    EXPECT_EQ(rdmsr(cpu, 0x10, &v), 1);
    EXPECT_EQ(exc(f), GP0);
    fx_free(f);
}

TEST(sysregs, rdtsc_rdpmc_privilege)
{
    Fx *f = fx_new_pm();
    Cpu *cpu = &f->cpu;
    Insn i = modrm_insn(0, 0);
    cpu->s.cpl = 3;
    EXPECT_EQ(op_RDTSC(cpu, &i), 0);
    cpu->s.cr4 = CR4_TSD;
    EXPECT_EQ(op_RDTSC(cpu, &i), 1);
    EXPECT_EQ(exc(f), GP0);
    cpu->s.regs[R_ECX] = 0;
    EXPECT_EQ(op_RDPMC(cpu, &i), 1);
    cpu->s.cr4 = CR4_PCE;
    cpu->s.regs[R_EAX] = 0xFFFF;
    EXPECT_EQ(op_RDPMC(cpu, &i), 0);
    EXPECT_EQ(cpu->s.regs[R_EAX], 0);
    cpu->s.regs[R_ECX] = 2;
    EXPECT_EQ(op_RDPMC(cpu, &i), 1);
    fx_free(f);
}

TEST(sysregs, cpuid)
{
    Fx *f = fx_new();
    Cpu *cpu = &f->cpu;
    Insn i = modrm_insn(0, 0);
    uint32_t *r = cpu->s.regs;
    r[R_EAX] = 0;
    EXPECT_EQ(op_CPUID(cpu, &i), 0);
    EXPECT_EQ(r[R_EAX], 2);
    char vendor[13] = {0};
    memcpy(vendor, &r[R_EBX], 4);
    memcpy(vendor + 4, &r[R_EDX], 4);
    memcpy(vendor + 8, &r[R_ECX], 4);
    EXPECT_TRUE(strcmp(vendor, "GenuineIntel") == 0);
    r[R_EAX] = 1;
    cpu->s.apic_base_msr_lo = 0; /* APIC globally disabled: CPUID hides it (SDM) */
    op_CPUID(cpu, &i);
    EXPECT_EQ(r[R_EAX], 0x619);
    EXPECT_EQ(r[R_EDX], 0x0000B93Fu); /* FPU VME DE PSE TSC MSR CX8 SEP MTRR PGE CMOV */
    EXPECT_EQ(r[R_EDX] & ((1u << 9) | (1u << 6) | (1u << 23)), 0); /* no APIC, PAE, MMX */
    r[R_EAX] = 1;
    cpu->s.apic_base_msr_lo = 0xFEE00900u; /* enabled, as after RESET */
    op_CPUID(cpu, &i);
    EXPECT_EQ(r[R_EDX], 0x0000BB3Fu); /* ... and APIC */
    r[R_EAX] = 2;
    op_CPUID(cpu, &i);
    EXPECT_EQ(r[R_EAX], 0x03020101u);
    EXPECT_EQ(r[R_EDX], 0x06040A42u);
    r[R_EAX] = 0x80000000u; /* above the maximum: the highest basic leaf */
    op_CPUID(cpu, &i);
    EXPECT_EQ(r[R_EAX], 0x03020101u);
    cpu->model = &kCpuPentium2;
    r[R_EAX] = 1;
    op_CPUID(cpu, &i);
    EXPECT_EQ(r[R_EAX] & 0xFF0, 0x650);
    EXPECT_EQ(r[R_EDX], 0x0000BB3Fu | (1u << 23) | (1u << 24));
    EXPECT_TRUE(kCpuPentium2.isa_mask & (1u << MMX));
    EXPECT_TRUE(!(kCpuPentiumPro.isa_mask & (1u << MMX)));
    fx_free(f);
}

TEST(sysregs, sysenter_sysexit)
{
    Fx *f = fx_new();
    Cpu *cpu = &f->cpu;
    Insn i = modrm_insn(0, 0);
    EXPECT_EQ(op_SYSENTER(cpu, &i), 1); /* real mode */
    EXPECT_EQ(exc(f), GP0);
    Fx *g = fx_new_pm();
    cpu = &g->cpu;
    EXPECT_EQ(op_SYSENTER(cpu, &i), 1); /* SYSENTER_CS = 0 */
    cpu->s.sysenter_cs = 0x10;
    cpu->s.sysenter_esp = 0x9000;
    cpu->s.sysenter_eip = 0xC0001000u;
    cpu->s.cpl = 3;
    cpu->s.eflags = 0x202 | F_RF;
    EXPECT_EQ(op_SYSENTER(cpu, &i), 0);
    EXPECT_EQ(cpu->s.seg[SEG_CS].sel, 0x10);
    EXPECT_EQ(cpu->s.seg[SEG_CS].attr, 0xC09B);
    EXPECT_EQ(cpu->s.seg[SEG_CS].limit, 0xFFFFFFFFu);
    EXPECT_EQ(cpu->s.seg[SEG_SS].sel, 0x18);
    EXPECT_EQ(cpu->s.seg[SEG_SS].attr, 0xC093);
    EXPECT_EQ(cpu->s.cpl, 0);
    EXPECT_EQ(cpu->s.eflags, 0x2);
    EXPECT_EQ(cpu->s.eip, 0xC0001000u);
    EXPECT_EQ(cpu->s.regs[R_ESP], 0x9000);
    cpu->s.regs[R_ECX] = 0xBFFF0000u;
    cpu->s.regs[R_EDX] = 0x08048000u;
    EXPECT_EQ(op_SYSEXIT(cpu, &i), 0);
    EXPECT_EQ(cpu->s.seg[SEG_CS].sel, 0x23);
    EXPECT_EQ(cpu->s.seg[SEG_CS].attr, 0xC0FB);
    EXPECT_EQ(cpu->s.seg[SEG_SS].sel, 0x2B);
    EXPECT_EQ(cpu->s.seg[SEG_SS].attr, 0xC0F3);
    EXPECT_EQ(cpu->s.cpl, 3);
    EXPECT_EQ(cpu->s.eip, 0x08048000u);
    EXPECT_EQ(cpu->s.regs[R_ESP], 0xBFFF0000u);
    EXPECT_EQ(op_SYSEXIT(cpu, &i), 1); /* CPL 3 */
    EXPECT_EQ(exc(g), GP0);
    fx_free(g);
    fx_free(f);
}
