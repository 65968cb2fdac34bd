/* IRQ lines (see irq.h). */
#include "chipset/irq.h"

void irq_connect(IrqLine *l, IrqHandler h, void *opaque, int n)
{
    if (l->nsinks < IRQ_MAX_SINKS) {
        l->handler[l->nsinks] = h;
        l->opaque[l->nsinks] = opaque;
        l->n[l->nsinks] = n;
        l->nsinks++;
    }
}

void irq_set(IrqLine *l, int level)
{
    l->level = level;
    for (int i = 0; i < l->nsinks; i++) {
        l->handler[i](l->opaque[i], l->n[i], level);
    }
}

void irq_pulse(IrqLine *l)
{
    irq_set(l, 1);
    irq_set(l, 0);
}
