/* Interrupt request lines as objects.
 *
 * A device holds an IrqLine and sets its level; whoever the board wired it to (the PIC, the IOAPIC,
 * both) sees the change through the line's handler. Devices never know where their line goes.
 */
#ifndef X86PC_IRQ_H
#define X86PC_IRQ_H

typedef void (*IrqHandler)(void *opaque, int n, int level);

#define IRQ_MAX_SINKS 2

typedef struct IrqLine {
    IrqHandler handler[IRQ_MAX_SINKS];
    void *opaque[IRQ_MAX_SINKS];
    int n[IRQ_MAX_SINKS];
    int nsinks;
    int level;
} IrqLine;

/* Connect a line to input n of a sink. A line may feed up to IRQ_MAX_SINKS sinks (PIC and IOAPIC). */
void irq_connect(IrqLine *l, IrqHandler h, void *opaque, int n);
void irq_set(IrqLine *l, int level);
static inline void irq_raise(IrqLine *l)
{
    irq_set(l, 1);
}
static inline void irq_lower(IrqLine *l)
{
    irq_set(l, 0);
}
/* A rising then falling edge (edge-triggered sources such as the PIT output in mode 2). */
void irq_pulse(IrqLine *l);

#endif
