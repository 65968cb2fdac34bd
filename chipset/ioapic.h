/* The Intel 82093AA I/O APIC at 0xFEC00000: 24 interrupt inputs, each with a redirection entry
 * that turns it into a message for the local APIC.
 *
 * Board wiring:
 *   ioapic_init(&ioapic, bus, &lapic, snap);   also registers for the local APIC's EOI broadcast
 *   irq_connect(&some_line, ioapic_set_irq, &ioapic, pin);   pin 0..23
 *   on a PC: ISA IRQ n -> pin n, except the PIT's IRQ 0 -> pin 2 (the ACPI interrupt source
 *   override), and the 8259's INTR -> pin 0 (for ExtINT "virtual wire through the I/O APIC");
 *   ioapic_reset(&ioapic) on machine reset.
 */
#ifndef X86PC_IOAPIC_H
#define X86PC_IOAPIC_H

#include <stdint.h>

#include "chipset/lapic.h"
#include "mmu/bus.h"
#include "snapshots/vmstate.h"

#define IOAPIC_BASE 0xFEC00000u
#define IOAPIC_PINS 24
/* ID after reset: 0, as QEMU's hardware model and its ACPI MADT use (SeaBIOS's MP table says
 * ID = number of CPUs = 1; Linux on an xAPIC takes the firmware's ID as it is). */
#define IOAPIC_RESET_ID 0

typedef struct IoapicState {
    /* saved state */
    uint8_t id;
    uint8_t regsel;                /* IOREGSEL */
    uint32_t pins;                 /* input levels, bit per pin, before polarity */
    uint64_t redir[IOAPIC_PINS];   /* redirection table */
    /* not saved */
    LapicState *lapic;
} IoapicState;

void ioapic_init(IoapicState *s, Bus *bus, LapicState *lapic, SnapRegistry *reg);
void ioapic_reset(IoapicState *s);
/* IrqHandler: n = input pin 0..23. */
void ioapic_set_irq(void *opaque, int n, int level);
/* The local APIC's EOI for a level-triggered vector: clears remote IRR of the entries with it. */
void ioapic_eoi(void *opaque, uint8_t vector);

#endif
