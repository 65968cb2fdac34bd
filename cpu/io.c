/* Port I/O: the IOPL and I/O permission bitmap checks, and IN/OUT with immediate and DX ports.
 *
 * Follows SDM vol. 1 chapter 19 (19.5 I/O privilege level, 19.5.2 the I/O permission bit map)
 * and the vol. 2 pages of IN and OUT. In protected mode with CPL <= IOPL every port is allowed;
 * with CPL > IOPL, and always in virtual-8086 mode, the bitmap of a 32-bit TSS decides: every bit
 * of a multi-byte access must be clear. Like the hardware, the check reads the two bitmap bytes
 * that can hold those bits, so both must lie within the TSS limit (hence the SDM's advice to end
 * the map with an all-ones byte). The string forms INS/OUTS live with the integer instructions.
 */
#include "cpu/sys.h"

int cpu_io_check(Cpu *cpu, uint16_t port, unsigned size)
{
    if (!cpu_pm(cpu) || (!cpu_v86(cpu) && cpu->s.cpl <= cpu_iopl(cpu))) {
        return 0;
    }
    const SegReg *tr = &cpu->s.tr;
    unsigned t = tr->attr & 0xF;
    uint32_t iobase, bits;
    /* a 16-bit TSS has no bitmap: everything beyond IOPL faults */
    if ((t != DT_TSS32_AVAIL && t != DT_TSS32_BUSY) || tr->limit < 0x67) {
        return cpu_gp(cpu, 0);
    }
    if (cpu_lin_read(cpu, tr->base + 0x66, 2, true, &iobase)) {
        return 1;
    }
    uint32_t off = iobase + port / 8u;
    if (off + 1 > tr->limit) {
        return cpu_gp(cpu, 0);
    }
    if (cpu_lin_read(cpu, tr->base + off, 2, true, &bits)) {
        return 1;
    }
    uint32_t want = ((1u << size) - 1) << (port & 7);
    return (bits & want) ? cpu_gp(cpu, 0) : 0;
}

int cpu_in(Cpu *cpu, uint16_t port, unsigned size, uint32_t *v)
{
    if (cpu_io_check(cpu, port, size)) {
        return 1;
    }
    *v = bus_pio_read(cpu->bus, port, size);
    if (cpu->dbg.nio) { /* debugger: stop on this port */
        cpu_dbg_io(cpu, port, size, false, *v);
    }
    return 0;
}

int cpu_out(Cpu *cpu, uint16_t port, unsigned size, uint32_t v)
{
    if (cpu_io_check(cpu, port, size)) {
        return 1;
    }
    /* the run loop re-reads the clock deadline after every instruction, so a device that arms
     * a timer needs no exit here; a device that stops the machine calls cpu_request_exit */
    bus_pio_write(cpu->bus, port, v, size);
    if (cpu->dbg.nio) { /* debugger: stop on this port */
        cpu_dbg_io(cpu, port, size, true, v);
    }
    return 0;
}

static int in_op(Cpu *cpu, const Insn *i, uint16_t port, unsigned size)
{
    uint32_t v;
    if (cpu_in(cpu, port, size, &v)) {
        return 1;
    }
    if (size == 1) {
        cpu_set_reg8(cpu, R_EAX, (uint8_t)v);
    } else if (size == 2) {
        cpu_set_reg16(cpu, R_EAX, (uint16_t)v);
    } else {
        cpu->s.regs[R_EAX] = v;
    }
    return 0;
}

static int out_op(Cpu *cpu, const Insn *i, uint16_t port, unsigned size)
{
    uint32_t v = cpu->s.regs[R_EAX];
    if (size < 4) {
        v &= size == 1 ? 0xFFu : 0xFFFFu;
    }
    return cpu_out(cpu, port, size, v);
}

int op_IN_ALIb(Cpu *cpu, const Insn *i)
{
    return in_op(cpu, i, (uint8_t)i->imm, 1);
}
int op_IN_eAXIb(Cpu *cpu, const Insn *i)
{
    return in_op(cpu, i, (uint8_t)i->imm, insn_osize(i));
}
int op_IN_ALDX(Cpu *cpu, const Insn *i)
{
    return in_op(cpu, i, (uint16_t)cpu->s.regs[R_EDX], 1);
}
int op_IN_eAXDX(Cpu *cpu, const Insn *i)
{
    return in_op(cpu, i, (uint16_t)cpu->s.regs[R_EDX], insn_osize(i));
}
int op_OUT_IbAL(Cpu *cpu, const Insn *i)
{
    return out_op(cpu, i, (uint8_t)i->imm, 1);
}
int op_OUT_IbeAX(Cpu *cpu, const Insn *i)
{
    return out_op(cpu, i, (uint8_t)i->imm, insn_osize(i));
}
int op_OUT_DXAL(Cpu *cpu, const Insn *i)
{
    return out_op(cpu, i, (uint16_t)cpu->s.regs[R_EDX], 1);
}
int op_OUT_DXeAX(Cpu *cpu, const Insn *i)
{
    return out_op(cpu, i, (uint16_t)cpu->s.regs[R_EDX], insn_osize(i));
}
