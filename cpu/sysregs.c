/* System registers and the instructions that reach them: MOV to/from control and debug
 * registers, the descriptor-table registers, the machine status word, TLB and cache control,
 * model-specific registers, the time-stamp and performance counters, CPUID, SYSENTER/SYSEXIT.
 *
 * Follows the SDM vol. 2 instruction pages of each, vol. 3A 2.5 (control registers), 17.2
 * (debug registers), 11.11 (MTRRs), 17.17 (time-stamp counter) and the P6 MSR list of vol. 4.
 * Privilege: the table marks these PRIV but the run loop does not check it, so every handler
 * tests CPL itself (CPL is 3 in V86 mode, which gives #GP(0) there as the SDM requires).
 */
#include "cpu/cpu.h"
#include "decoder/opcodes.h"
#include "mmu/log.h"

/* a prototype for every handler of the opcode table (-Wmissing-prototypes) */
#define OP(code, ext, pfx, name, mnem, o1, o2, o3, isa, attr, frd, fwr, fund)                     \
    int op_##name(Cpu *cpu, const Insn *i);
#include "decoder/opcodes.def"
#undef OP

/* CR0 bits a P6 implements; the others read as zero and writes to them are ignored
 * (departure: the SDM asks software to preserve reserved CR0 bits and defines no fault). */
#define CR0_WRITABLE                                                                           \
    (CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_NE | CR0_WP | CR0_AM | CR0_NW | CR0_CD | CR0_PG)

/* CPUID.1 EDX feature bits named below */
#define FEAT_PAE (1u << 6)
#define FEAT_MCE (1u << 7)
#define FEAT_PAT (1u << 16)
#define FEAT_FXSR (1u << 24)

static uint64_t cpu_tsc(const Cpu *cpu)
{
    return (cpu->clock ? cpu->clock->ticks : 0) + cpu->s.tsc_offset;
}

/* ---- control registers ---- */

int op_MOV_RdCd(Cpu *cpu, const Insn *i)
{
    int n = MODRM_REG(i);
    /* CR1, CR5-CR7 do not exist: #UD, a decode-time fault ahead of the CPL check */
    if (n == 1 || n > 4) {
        return cpu_ud(cpu);
    }
    if (cpu->s.cpl != 0) {
        return cpu_gp(cpu, 0);
    }
    const uint32_t *cr[5] = {&cpu->s.cr0, NULL, &cpu->s.cr2, &cpu->s.cr3, &cpu->s.cr4};
    cpu->s.regs[MODRM_RM(i)] = *cr[n];
    return 0;
}

static uint32_t cr4_allowed(const Cpu *cpu)
{
    uint32_t ok = CR4_VME | CR4_PVI | CR4_TSD | CR4_DE | CR4_PSE | CR4_PGE | CR4_PCE;
    uint32_t edx = cpu->model->cpuid_edx;
    if (edx & FEAT_PAE) {
        ok |= CR4_PAE;
    }
    if (edx & FEAT_MCE) {
        ok |= CR4_MCE;
    }
    if (edx & FEAT_FXSR) {
        ok |= CR4_OSFXSR;
    }
    return ok;
}

static int write_cr0(Cpu *cpu, uint32_t v)
{
    /* SDM MOV CR: invalid combinations are #GP(0) */
    if (((v & CR0_PG) && !(v & CR0_PE)) || ((v & CR0_NW) && !(v & CR0_CD))) {
        return cpu_gp(cpu, 0);
    }
    v = (v & CR0_WRITABLE) | CR0_ET; /* ET is hardwired to 1 from the i486 on */
    uint32_t chg = cpu->s.cr0 ^ v;
    cpu->s.cr0 = v;
    if (chg & (CR0_PG | CR0_WP | CR0_PE)) {
        mmu_flush_all(&cpu->mmu);
        cpu_dbg_cr0(cpu, v ^ chg, v); /* debugger: stop on a CR0.PE/PG change */
    }
    if (chg & CR0_PE) {
        cpu_update_mode(cpu);
    }
    return 0;
}

int op_MOV_CdRd(Cpu *cpu, const Insn *i)
{
    int n = MODRM_REG(i);
    if (n == 1 || n > 4) {
        return cpu_ud(cpu);
    }
    if (cpu->s.cpl != 0) {
        return cpu_gp(cpu, 0);
    }
    uint32_t v = cpu->s.regs[MODRM_RM(i)];
    switch (n) {
    case 0:
        return write_cr0(cpu, v);
    case 2:
        cpu->s.cr2 = v;
        return 0;
    case 3:
        /* page-directory base, PWT and PCD; the other bits are ignored (SDM table 4-3) */
        cpu->s.cr3 = v & 0xFFFFF018u;
        mmu_flush(&cpu->mmu);
        return 0;
    default: {
        if (v & ~cr4_allowed(cpu)) {
            return cpu_gp(cpu, 0);
        }
        uint32_t chg = cpu->s.cr4 ^ v;
        cpu->s.cr4 = v;
        /* a change of PSE, PGE or PAE invalidates every TLB entry, global ones too (4.10.4.1) */
        if (chg & (CR4_PSE | CR4_PGE | CR4_PAE)) {
            mmu_flush_all(&cpu->mmu);
        }
        return 0;
    }
    }
}

/* ---- debug registers ---- */

#define DR7_GD 0x2000u
#define DR6_BD 0x2000u

/* The register a MOV DR names: DR4/DR5 alias DR6/DR7 unless CR4.DE (then #UD); any access
 * while DR7.GD is set is a #DB fault with DR6.BD (SDM vol. 3A 17.2.2, 17.2.4). Returns the
 * index, or -1 with the exception raised. */
static int dr_index(Cpu *cpu, const Insn *i)
{
    int n = MODRM_REG(i);
    if (cpu->s.cpl != 0) {
        cpu_gp(cpu, 0);
        return -1;
    }
    if (n == 4 || n == 5) {
        if (cpu->s.cr4 & CR4_DE) {
            cpu_ud(cpu);
            return -1;
        }
        n += 2;
    }
    if (cpu->s.dr[7] & DR7_GD) {
        /* the processor clears GD on entering the handler, so that it may use the registers */
        cpu->s.dr[6] |= DR6_BD;
        cpu->s.dr[7] &= ~DR7_GD;
        cpu_raise(cpu, EXC_DB, 0, 0);
        return -1;
    }
    return n;
}

int op_MOV_RdDd(Cpu *cpu, const Insn *i)
{
    int n = dr_index(cpu, i);
    if (n < 0) {
        return 1;
    }
    cpu->s.regs[MODRM_RM(i)] = cpu->s.dr[n];
    return 0;
}

int op_MOV_DdRd(Cpu *cpu, const Insn *i)
{
    int n = dr_index(cpu, i);
    if (n < 0) {
        return 1;
    }
    uint32_t v = cpu->s.regs[MODRM_RM(i)];
    if (n == 6) {
        /* bits 4-11 and 16-31 read as 1, bit 12 as 0 on the P6 */
        v = (v & 0x0000E00Fu) | 0xFFFF0FF0u;
    } else if (n == 7) {
        /* bit 10 reads as 1; 11, 12, 14, 15 as 0 */
        v = (v & 0xFFFF23FFu) | 0x00000400u;
    }
    cpu->s.dr[n] = v;
    cpu_request_exit(cpu); /* breakpoints may have changed */
    return 0;
}

/* ---- descriptor-table registers and the machine status word ---- */

static uint32_t addr_wrap(const Insn *i, uint32_t off)
{
    return (i->flags & INSN_ADDR32) ? off : (off & 0xFFFFu);
}

/* LGDT/LIDT: a 16-bit limit and a 32-bit base, of which a 16-bit operand size keeps 24 bits. */
static int load_dtr(Cpu *cpu, const Insn *i, DescTable *dt)
{
    if (cpu->s.cpl != 0) {
        return cpu_gp(cpu, 0);
    }
    uint32_t off = cpu_ea(cpu, i);
    uint16_t limit;
    uint32_t base;
    if (cpu_read16(cpu, i->seg, off, &limit) ||
        cpu_read32(cpu, i->seg, addr_wrap(i, off + 2), &base)) {
        return 1;
    }
    if (!(i->flags & INSN_OP32)) {
        base &= 0x00FFFFFFu;
    }
    dt->base = base;
    dt->limit = limit;
    return 0;
}

/* SGDT/SIDT store the full 32-bit base whatever the operand size (current SDM: "Full 32-bit
 * base address stored"; the Pentium-era manual's zero top byte for 16 bits is not what P6
 * hardware does). Both parts are probed before either is written. */
static int store_dtr(Cpu *cpu, const Insn *i, const DescTable *dt)
{
    uint32_t off = cpu_ea(cpu, i);
    uint32_t off2 = addr_wrap(i, off + 2);
    if (cpu_probe_write(cpu, i->seg, off, 2) || cpu_probe_write(cpu, i->seg, off2, 4)) {
        return 1;
    }
    if (cpu_write16(cpu, i->seg, off, dt->limit) || cpu_write32(cpu, i->seg, off2, dt->base)) {
        return 1;
    }
    return 0;
}

int op_LGDT(Cpu *cpu, const Insn *i)
{
    return load_dtr(cpu, i, &cpu->s.gdtr);
}

int op_LIDT(Cpu *cpu, const Insn *i)
{
    return load_dtr(cpu, i, &cpu->s.idtr);
}

int op_SGDT(Cpu *cpu, const Insn *i)
{
    return store_dtr(cpu, i, &cpu->s.gdtr);
}

int op_SIDT(Cpu *cpu, const Insn *i)
{
    return store_dtr(cpu, i, &cpu->s.idtr);
}

/* SMSW: a 32-bit register destination gets all of CR0 (P6 behaviour; the SDM leaves the high
 * half undefined before), a 16-bit register or memory the low 16 bits. */
int op_SMSW(Cpu *cpu, const Insn *i)
{
    if (MODRM_MOD(i) == 3 && (i->flags & INSN_OP32)) {
        cpu->s.regs[MODRM_RM(i)] = cpu->s.cr0;
        return 0;
    }
    return cpu_write_rm(cpu, i, 2, cpu->s.cr0 & 0xFFFFu);
}

/* LMSW loads PE, MP, EM and TS; it can set PE but never clear it (SDM LMSW). */
int op_LMSW(Cpu *cpu, const Insn *i)
{
    if (cpu->s.cpl != 0) {
        return cpu_gp(cpu, 0);
    }
    uint32_t v;
    if (cpu_read_rm(cpu, i, 2, &v)) {
        return 1;
    }
    uint32_t old = cpu->s.cr0;
    uint32_t cr0 = (old & ~(CR0_MP | CR0_EM | CR0_TS)) | (v & (CR0_PE | CR0_MP | CR0_EM | CR0_TS));
    cpu->s.cr0 = cr0;
    if ((old ^ cr0) & CR0_PE) {
        mmu_flush_all(&cpu->mmu);
        cpu_update_mode(cpu);
        cpu_dbg_cr0(cpu, old, cr0); /* debugger: stop on a CR0.PE change */
    }
    return 0;
}

int op_CLTS(Cpu *cpu, const Insn *i)
{
    if (cpu->s.cpl != 0) {
        return cpu_gp(cpu, 0);
    }
    cpu->s.cr0 &= ~CR0_TS;
    return 0;
}

/* ---- TLB and caches ---- */

/* INVLPG makes no memory access, so no segment check (SDM INVLPG lists none). */
int op_INVLPG(Cpu *cpu, const Insn *i)
{
    if (cpu->s.cpl != 0) {
        return cpu_gp(cpu, 0);
    }
    mmu_invlpg(&cpu->mmu, cpu->s.seg[i->seg].base + cpu_ea(cpu, i));
    return 0;
}

/* No caches are modelled: INVD and WBINVD only check privilege. */
int op_INVD(Cpu *cpu, const Insn *i)
{
    return cpu->s.cpl != 0 ? cpu_gp(cpu, 0) : 0;
}

int op_WBINVD(Cpu *cpu, const Insn *i)
{
    return cpu->s.cpl != 0 ? cpu_gp(cpu, 0) : 0;
}

/* ---- model-specific registers ---- */

enum {
    MSR_TSC = 0x10, MSR_PLATFORM_ID = 0x17, MSR_APIC_BASE = 0x1B, MSR_EBL_CR_POWERON = 0x2A,
    MSR_BIOS_UPDT_TRIG = 0x79, MSR_BIOS_SIGN = 0x8B, MSR_PERFCTR0 = 0xC1, MSR_PERFCTR1 = 0xC2,
    MSR_MTRRCAP = 0xFE, MSR_SYSENTER_CS = 0x174, MSR_SYSENTER_ESP = 0x175,
    MSR_SYSENTER_EIP = 0x176, MSR_EVNTSEL0 = 0x186, MSR_EVNTSEL1 = 0x187,
    MSR_MISC_ENABLE = 0x1A0, MSR_MTRR_PHYS_FIRST = 0x200, MSR_MTRR_PHYS_LAST = 0x20F,
    MSR_MTRR_FIX64K = 0x250, MSR_MTRR_FIX16K_80000 = 0x258, MSR_MTRR_FIX16K_A0000 = 0x259,
    MSR_MTRR_FIX4K_FIRST = 0x268, MSR_MTRR_FIX4K_LAST = 0x26F, MSR_PAT = 0x277,
    MSR_MTRR_DEF_TYPE = 0x2FF,
};

/* MTRRcap: 8 variable ranges, fixed ranges, write-combining (SDM vol. 3A 11.11.1) */
#define MTRRCAP_VALUE 0x508u
/* The P6 has 36 physical address bits: MTRR and APIC-base addresses may use bits 35:32. */
#define PHYS_HI_RSVD 0xFFFFFFF0u

static bool mtrr_type_ok(uint64_t t)
{
    return t == 0 || t == 1 || t == 4 || t == 5 || t == 6;
}

/* Index into mtrr_fixed[] of a fixed-range MTRR, or -1. */
static int mtrr_fixed_index(uint32_t msr)
{
    if (msr == MSR_MTRR_FIX64K) {
        return 0;
    }
    if (msr == MSR_MTRR_FIX16K_80000 || msr == MSR_MTRR_FIX16K_A0000) {
        return 1 + (int)(msr - MSR_MTRR_FIX16K_80000);
    }
    if (msr >= MSR_MTRR_FIX4K_FIRST && msr <= MSR_MTRR_FIX4K_LAST) {
        return 3 + (int)(msr - MSR_MTRR_FIX4K_FIRST);
    }
    return -1;
}

static bool has_pat(const Cpu *cpu)
{
    return (cpu->model->cpuid_edx & FEAT_PAT) != 0;
}

/* Returns 0 with *v, or -1 for an MSR this model does not have. */
static int msr_read(Cpu *cpu, uint32_t msr, uint64_t *v)
{
    CpuState *s = &cpu->s;
    int fx = mtrr_fixed_index(msr);
    if (fx >= 0) {
        *v = s->mtrr_fixed[fx];
        return 0;
    }
    if (msr >= MSR_MTRR_PHYS_FIRST && msr <= MSR_MTRR_PHYS_LAST) {
        *v = s->mtrr_var[msr - MSR_MTRR_PHYS_FIRST];
        return 0;
    }
    switch (msr) {
    case MSR_TSC:
        *v = cpu_tsc(cpu);
        return 0;
    case MSR_PLATFORM_ID:    /* platform 0 */
    case MSR_EBL_CR_POWERON: /* no power-on configuration worth reporting */
    case MSR_BIOS_SIGN:      /* microcode revision 0 */
    case MSR_PERFCTR0:
    case MSR_PERFCTR1:
    case MSR_EVNTSEL0:
    case MSR_EVNTSEL1:
        /* departure: the performance counters are not modelled; they read as zero */
        *v = 0;
        return 0;
    case MSR_APIC_BASE:
        *v = (uint64_t)s->apic_base_msr_hi << 32 | s->apic_base_msr_lo;
        return 0;
    case MSR_MTRRCAP:
        *v = MTRRCAP_VALUE;
        return 0;
    case MSR_SYSENTER_CS:
        *v = s->sysenter_cs;
        return 0;
    case MSR_SYSENTER_ESP:
        *v = s->sysenter_esp;
        return 0;
    case MSR_SYSENTER_EIP:
        *v = s->sysenter_eip;
        return 0;
    case MSR_MISC_ENABLE:
        *v = s->misc_enable;
        return 0;
    case MSR_MTRR_DEF_TYPE:
        *v = s->mtrr_def_type;
        return 0;
    case MSR_PAT:
        if (!has_pat(cpu)) {
            return -1;
        }
        *v = s->pat;
        return 0;
    default:
        return -1;
    }
}

/* Returns 0, or -1 for an MSR the model does not have or a value with reserved bits set. */
static int msr_write(Cpu *cpu, uint32_t msr, uint64_t v)
{
    CpuState *s = &cpu->s;
    uint32_t lo = (uint32_t)v, hi = (uint32_t)(v >> 32);
    int fx = mtrr_fixed_index(msr);
    if (fx >= 0) {
        for (int k = 0; k < 8; k++) {
            if (!mtrr_type_ok((v >> (8 * k)) & 0xFF)) {
                return -1;
            }
        }
        s->mtrr_fixed[fx] = v;
        return 0;
    }
    if (msr >= MSR_MTRR_PHYS_FIRST && msr <= MSR_MTRR_PHYS_LAST) {
        bool is_mask = (msr & 1) != 0;
        /* PhysBase: type in 7:0, 11:8 reserved; PhysMask: valid in 11, 10:0 reserved */
        if ((hi & PHYS_HI_RSVD) || (is_mask ? (lo & 0x7FFu) : (lo & 0xF00u)) ||
            (!is_mask && !mtrr_type_ok(lo & 0xFF))) {
            return -1;
        }
        s->mtrr_var[msr - MSR_MTRR_PHYS_FIRST] = v;
        return 0;
    }
    switch (msr) {
    case MSR_TSC:
        /* SDM vol. 3B 17.17: on P6 processors WRMSR writes the low 32 bits of the TSC and
         * clears the high 32 */
        s->tsc_offset = (uint64_t)lo - (cpu->clock ? cpu->clock->ticks : 0);
        return 0;
    case MSR_APIC_BASE:
        /* bits 7:0, 9, 10 and 63:36 are reserved; BSP (bit 8) is read-only */
        if ((lo & 0x6FFu) || (hi & PHYS_HI_RSVD)) {
            return -1;
        }
        s->apic_base_msr_lo = (lo & ~0x100u) | (s->apic_base_msr_lo & 0x100u);
        s->apic_base_msr_hi = hi;
        /* the local APIC follows (relocation, global enable/disable) */
        if (cpu->apic_base_changed) {
            cpu->apic_base_changed(cpu->apic_opaque,
                                   (uint64_t)s->apic_base_msr_hi << 32 | s->apic_base_msr_lo);
        }
        return 0;
    case MSR_BIOS_UPDT_TRIG: /* no microcode to load: the update "succeeds" and does nothing */
    case MSR_BIOS_SIGN:
    case MSR_EBL_CR_POWERON:
    case MSR_PERFCTR0:
    case MSR_PERFCTR1:
    case MSR_EVNTSEL0:
    case MSR_EVNTSEL1:
        return 0;
    case MSR_SYSENTER_CS:
        s->sysenter_cs = lo;
        return 0;
    case MSR_SYSENTER_ESP:
        s->sysenter_esp = lo;
        return 0;
    case MSR_SYSENTER_EIP:
        s->sysenter_eip = lo;
        return 0;
    case MSR_MISC_ENABLE:
        s->misc_enable = v;
        return 0;
    case MSR_MTRR_DEF_TYPE:
        /* type in 7:0, FE (10) and E (11); everything else reserved */
        if ((lo & ~0xCFFu) || hi || !mtrr_type_ok(lo & 0xFF)) {
            return -1;
        }
        s->mtrr_def_type = v;
        return 0;
    case MSR_PAT:
        if (!has_pat(cpu)) {
            return -1;
        }
        for (int k = 0; k < 8; k++) {
            uint64_t t = (v >> (8 * k)) & 0xFF;
            if (t != 7 && !mtrr_type_ok(t)) {
                return -1;
            }
        }
        s->pat = v;
        return 0;
    default:
        return -1;
    }
}

int op_RDMSR(Cpu *cpu, const Insn *i)
{
    if (cpu->s.cpl != 0) {
        return cpu_gp(cpu, 0);
    }
    uint32_t msr = cpu->s.regs[R_ECX];
    uint64_t v;
    if (msr_read(cpu, msr, &v)) {
        xlog(LOG_CPU, "rdmsr 0x%x: no such MSR, #GP", msr);
        return cpu_gp(cpu, 0);
    }
    cpu->s.regs[R_EAX] = (uint32_t)v;
    cpu->s.regs[R_EDX] = (uint32_t)(v >> 32);
    return 0;
}

int op_WRMSR(Cpu *cpu, const Insn *i)
{
    if (cpu->s.cpl != 0) {
        return cpu_gp(cpu, 0);
    }
    uint32_t msr = cpu->s.regs[R_ECX];
    uint64_t v = (uint64_t)cpu->s.regs[R_EDX] << 32 | cpu->s.regs[R_EAX];
    if (msr_write(cpu, msr, v)) {
        xlog(LOG_CPU, "wrmsr 0x%x <- 0x%016llx: no such MSR or reserved bits, #GP", msr,
             (unsigned long long)v);
        return cpu_gp(cpu, 0);
    }
    return 0;
}

/* ---- counters ---- */

int op_RDTSC(Cpu *cpu, const Insn *i)
{
    if ((cpu->s.cr4 & CR4_TSD) && cpu->s.cpl != 0) {
        return cpu_gp(cpu, 0);
    }
    uint64_t t = cpu_tsc(cpu);
    cpu->s.regs[R_EAX] = (uint32_t)t;
    cpu->s.regs[R_EDX] = (uint32_t)(t >> 32);
    return 0;
}

/* Two counters (ECX 0 and 1), not modelled: they read as zero. */
int op_RDPMC(Cpu *cpu, const Insn *i)
{
    if (!(cpu->s.cr4 & CR4_PCE) && cpu->s.cpl != 0) {
        return cpu_gp(cpu, 0);
    }
    if (cpu->s.regs[R_ECX] > 1) {
        return cpu_gp(cpu, 0);
    }
    cpu->s.regs[R_EAX] = 0;
    cpu->s.regs[R_EDX] = 0;
    return 0;
}

/* ---- CPUID ---- */

int op_CPUID(Cpu *cpu, const Insn *i)
{
    const CpuModel *md = cpu->model;
    uint32_t *r = cpu->s.regs;
    uint32_t leaf = r[R_EAX];
    /* Intel: a leaf above the maximum returns the highest basic leaf (SDM CPUID); the P6 has
     * no extended leaves, so 0x80000000 lands there too and reports none. */
    if (leaf > 2) {
        leaf = 2;
    }
    switch (leaf) {
    case 0:
        r[R_EAX] = 2;
        r[R_EBX] = 0x756E6547u; /* "Genu" */
        r[R_EDX] = 0x49656E69u; /* "ineI" */
        r[R_ECX] = 0x6C65746Eu; /* "ntel" */
        break;
    case 1:
        r[R_EAX] = (md->family << 8) | (md->model << 4) | md->stepping;
        r[R_EBX] = 0; /* bits 31:24: initial APIC ID 0 (the one CPU) */
        r[R_ECX] = md->cpuid_ecx;
        r[R_EDX] = md->cpuid_edx;
        /* SDM 10.4.3: with the local APIC globally disabled, CPUID reports no APIC */
        if (!(cpu->s.apic_base_msr_lo & (1u << 11))) {
            r[R_EDX] &= ~(1u << 9);
        }
        break;
    default:
        /* cache and TLB descriptors (SDM CPUID table 3-12): instruction TLB 4K/4M (01, 02),
         * data TLB 4K/4M (03, 04); Pentium Pro: 8K L1 I and D (06, 0A), 256K L2 (42);
         * Pentium II: 16K L1 I and D (08, 0C), 512K L2 (43) */
        r[R_EAX] = 0x03020101u;
        r[R_EBX] = 0;
        r[R_ECX] = 0;
        r[R_EDX] = md->model < 3 ? 0x06040A42u : 0x0C040843u;
        break;
    }
    return 0;
}

/* ---- SYSENTER / SYSEXIT (SDM vol. 2B): flat segments built from SYSENTER_CS ---- */

static void flat_seg(SegReg *sr, uint16_t sel, uint16_t attr)
{
    sr->sel = sel;
    sr->base = 0;
    sr->limit = 0xFFFFFFFFu;
    sr->attr = attr;
}

/* G, D/B, P, S with DPL and type */
#define FLAT_ATTR(dpl, type)                                                                   \
    (SEG_ATTR_G | SEG_ATTR_DB | SEG_ATTR_P | SEG_ATTR_S | ((dpl) << 5) | (type))

int op_SYSENTER(Cpu *cpu, const Insn *i)
{
    CpuState *s = &cpu->s;
    if (!(s->cr0 & CR0_PE) || (s->sysenter_cs & 0xFFFC) == 0) {
        return cpu_gp(cpu, 0);
    }
    uint32_t was_vm = s->eflags & F_VM;
    s->eflags &= ~(F_VM | F_IF | F_RF);
    uint16_t cs = (uint16_t)(s->sysenter_cs & 0xFFFC);
    flat_seg(&s->seg[SEG_CS], cs, FLAT_ATTR(0, 0xB)); /* execute/read, accessed */
    flat_seg(&s->seg[SEG_SS], (uint16_t)(cs + 8), FLAT_ATTR(0, 0x3)); /* read/write, accessed */
    s->cpl = 0;
    s->regs[R_ESP] = s->sysenter_esp;
    s->eip = s->sysenter_eip;
    if (was_vm) {
        cpu_update_mode(cpu);
    }
    return 0;
}

int op_SYSEXIT(Cpu *cpu, const Insn *i)
{
    CpuState *s = &cpu->s;
    if (!(s->cr0 & CR0_PE) || (s->sysenter_cs & 0xFFFC) == 0 || s->cpl != 0) {
        return cpu_gp(cpu, 0);
    }
    uint16_t cs = (uint16_t)(((s->sysenter_cs + 16) & 0xFFFC) | 3);
    uint16_t ss = (uint16_t)(((s->sysenter_cs + 24) & 0xFFFC) | 3);
    flat_seg(&s->seg[SEG_CS], cs, FLAT_ATTR(3, 0xB));
    flat_seg(&s->seg[SEG_SS], ss, FLAT_ATTR(3, 0x3));
    s->cpl = 3;
    s->regs[R_ESP] = s->regs[R_ECX];
    s->eip = s->regs[R_EDX];
    return 0;
}
