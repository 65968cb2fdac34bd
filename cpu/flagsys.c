/* The interrupt-flag instructions CLI, STI, PUSHF and POPF, in every mode.
 *
 * Follows the vol. 2 pseudocode of each (SDM: CLI, STI, PUSHF/PUSHFD, POPF/POPFD), with the
 * virtual-interrupt extensions of SDM vol. 3 20.3 (VME in V86 mode) and 20.4 (PVI at CPL 3). The
 * IF rules: in protected mode IF changes only when CPL <= IOPL (POPF keeps it silently otherwise,
 * CLI/STI fault or, with PVI at CPL 3, change VIF); in V86 mode with IOPL < 3 these instructions
 * fault unless CR4.VME lets the 16-bit forms work on VIF. Real mode behaves as CPL 0.
 */
#include "cpu/sys.h"

/* EFLAGS bits that POPF can ever write (bit 1 and the reserved bits never change) */
#define POPF_LOW 0x7FD5u /* CF PF AF ZF SF TF IF DF OF IOPL NT */
#define POPF_HIGH (F_AC | F_ID)

void sys_write_eflags(Cpu *cpu, uint32_t v, uint32_t mask)
{
    uint32_t old = cpu_get_eflags(cpu);
    uint32_t nv = (old & ~mask) | (v & mask);
    cpu_set_eflags_raw(cpu, nv);
    if ((old ^ nv) & F_VM) {
        cpu_update_mode(cpu);
    }
}

int op_CLI(Cpu *cpu, const Insn *i)
{
    CpuState *s = &cpu->s;
    unsigned iopl = cpu_iopl(cpu);
    if (!cpu_pm(cpu)) {
        s->eflags &= ~F_IF;
    } else if (!(s->eflags & F_VM)) {
        if (iopl >= s->cpl) {
            s->eflags &= ~F_IF;
        } else if (s->cpl == 3 && (s->cr4 & CR4_PVI)) {
            s->eflags &= ~F_VIF;
        } else {
            return cpu_gp(cpu, 0);
        }
    } else if (iopl == 3) {
        s->eflags &= ~F_IF;
    } else if (s->cr4 & CR4_VME) {
        s->eflags &= ~F_VIF;
    } else {
        return cpu_gp(cpu, 0);
    }
    return 0;
}

static void sti_set_if(Cpu *cpu)
{
    /* interrupts stay blocked until after the next instruction if IF was clear (SDM STI) */
    if (!(cpu->s.eflags & F_IF)) {
        cpu->s.inhibit_irq = SYS_INHIBIT_ONE;
    }
    cpu->s.eflags |= F_IF;
}

int op_STI(Cpu *cpu, const Insn *i)
{
    CpuState *s = &cpu->s;
    unsigned iopl = cpu_iopl(cpu);
    if (!cpu_pm(cpu)) {
        sti_set_if(cpu);
    } else if (!(s->eflags & F_VM)) {
        if (iopl >= s->cpl) {
            sti_set_if(cpu);
        } else if (s->cpl == 3 && (s->cr4 & CR4_PVI) && !(s->eflags & F_VIP)) {
            s->eflags |= F_VIF;
        } else {
            return cpu_gp(cpu, 0); /* includes PVI with VIP set: the monitor must deliver */
        }
    } else if (iopl == 3) {
        sti_set_if(cpu);
    } else if ((s->cr4 & CR4_VME) && !(s->eflags & F_VIP)) {
        s->eflags |= F_VIF;
    } else {
        return cpu_gp(cpu, 0);
    }
    return 0;
}

int op_PUSHF(Cpu *cpu, const Insn *i)
{
    unsigned sz = insn_osize(i);
    uint32_t fl = cpu_get_eflags(cpu);
    if (cpu_v86(cpu) && cpu_iopl(cpu) < 3) {
        if (!(cpu->s.cr4 & CR4_VME) || sz == 4) {
            return cpu_gp(cpu, 0);
        }
        /* VME: the image shows VIF as IF and IOPL as 3 (SDM PUSHF) */
        fl = (fl & 0xFFFF & ~F_IF) | ((fl & F_VIF) ? F_IF : 0) | F_IOPL;
        return cpu_push(cpu, 2, fl);
    }
    /* VM and RF read as zero in the pushed image */
    return cpu_push(cpu, sz, sz == 4 ? (fl & 0x00FCFFFFu) : (fl & 0xFFFF));
}

int op_POPF(Cpu *cpu, const Insn *i)
{
    CpuState *s = &cpu->s;
    unsigned sz = insn_osize(i);
    uint32_t v, mask, spmask = cpu_sp_mask(cpu);
    bool v86 = cpu_v86(cpu);
    if (v86 && cpu_iopl(cpu) < 3 && (sz == 4 || !(s->cr4 & CR4_VME))) {
        return cpu_gp(cpu, 0); /* before the stack is touched */
    }
    if (cpu_stack_read(cpu, 0, sz, &v)) {
        return 1;
    }
    if (v86 && cpu_iopl(cpu) < 3) {
        /* VME, 16-bit: IF goes to VIF; IF and IOPL stay; an attempt to set VIF with VIP
         * pending, or to set TF, faults for the monitor (SDM POPF) */
        if (((v & F_IF) && (s->eflags & F_VIP)) || (v & F_TF)) {
            return cpu_gp(cpu, 0);
        }
        uint32_t vif = (v & F_IF) ? F_VIF : 0;
        sys_write_eflags(cpu, v | vif, (POPF_LOW & ~(F_IF | F_IOPL)) | F_VIF);
    } else {
        unsigned cpl = cpu_pm(cpu) ? s->cpl : 0;
        mask = POPF_LOW | (sz == 4 ? POPF_HIGH : 0);
        if (v86) {
            mask &= ~F_IOPL; /* V86, IOPL 3: IOPL is never popped */
        } else {
            if (cpl > 0) {
                mask &= ~F_IOPL;
            }
            if (cpl > cpu_iopl(cpu)) {
                mask &= ~F_IF; /* kept silently: no fault (SDM POPF) */
            }
        }
        if (sz == 4) {
            /* 32-bit POPF clears RF; VM, VIP and VIF never come from the stack */
            mask |= F_RF;
            v &= ~F_RF;
        }
        sys_write_eflags(cpu, v, mask);
    }
    sys_set_esp(cpu, s->regs[R_ESP] + sz, spmask);
    return 0;
}
