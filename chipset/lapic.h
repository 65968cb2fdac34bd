/* The local APIC of a single P6-class CPU (APIC ID 0), xAPIC register model, memory mapped at the
 * address held in the IA32_APIC_BASE MSR (default 0xFEE00000, 4 KB).
 *
 * Board wiring:
 *   lapic_init(&lapic, bus, clock, snap);
 *   irq_connect(&lapic.intr, cpu_intr_handler, cpu, 0);   INTR output to the CPU (level)
 *   irq_connect(&lapic.nmi, cpu_nmi_handler, cpu, 0);     NMI output (pulses 1 then 0)
 *   irq_connect(&pic.intr, lapic_set_lint, &lapic, 0);    the 8259's INTR on LINT0 (virtual wire)
 *   lapic_connect_pic(&lapic, pic_intack_wrapper, &pic);  INTA for ExtINT and pass-through
 *   the CPU's interrupt acknowledge calls lapic_intack(&lapic) and uses the vector it returns;
 *   the CPU's IA32_APIC_BASE write hook calls lapic_set_base(&lapic, value);
 *   lapic_reset(&lapic) on machine reset (together with the CPU's reset of the MSR).
 * The I/O APIC (ioapic.h) delivers its messages with lapic_deliver and registers itself for the
 * EOI broadcast of level-triggered vectors.
 */
#ifndef X86PC_LAPIC_H
#define X86PC_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "chipset/clock.h"
#include "chipset/irq.h"
#include "mmu/bus.h"
#include "snapshots/vmstate.h"

#define LAPIC_DEFAULT_BASE 0xFEE00000u
#define LAPIC_BASE_MSR_RESET 0xFEE00900ull /* base, BSP (bit 8), global enable (bit 11) */
#define LAPIC_MSR_BSP (1u << 8)
#define LAPIC_MSR_ENABLE (1u << 11)

/* delivery modes (ICR, LVT, I/O APIC redirection entries) */
enum {
    APIC_DM_FIXED = 0,
    APIC_DM_LOWPRI = 1,
    APIC_DM_SMI = 2,
    APIC_DM_NMI = 4,
    APIC_DM_INIT = 5,
    APIC_DM_STARTUP = 6,
    APIC_DM_EXTINT = 7,
};

/* local vector table entries, in register order 0x320..0x370 */
enum {
    LVT_TIMER = 0,
    LVT_THERMAL,
    LVT_PERF,
    LVT_LINT0,
    LVT_LINT1,
    LVT_ERROR,
    LVT_COUNT,
};

typedef struct LapicState {
    /* saved state */
    uint64_t base_msr; /* copy of IA32_APIC_BASE: where we are mapped, global enable */
    uint8_t id;        /* APIC ID (register 0x20 bits 31:24) */
    uint8_t tpr;
    uint32_t ldr, dfr, svr;
    uint32_t esr;         /* what ESR reads: the errors latched by the last write */
    uint32_t esr_pending; /* errors seen since the last write to ESR */
    uint32_t icr_lo, icr_hi;
    uint32_t lvt[LVT_COUNT];
    uint32_t irr[8], isr[8], tmr[8]; /* 256 bits each, bit v of word v / 32 */
    uint32_t timer_initial; /* initial count register */
    uint32_t timer_dcr;     /* divide configuration register */
    uint64_t timer_load_ns; /* virtual time at which the count was timer_load_count */
    uint32_t timer_load_count; /* 0: the counter is stopped */
    Timer timer;               /* armed for the next expiry when the LVT entry is unmasked */
    uint8_t lint_level[2];     /* levels of the LINT0 and LINT1 pins */
    bool extint_msg;           /* an ExtINT message (from the I/O APIC) awaits its INTA */
    bool intr_held;            /* INTR was raised for a fixed interrupt and not yet acknowledged */

    /* not saved: wiring */
    Bus *bus;
    Clock *clock;
    int mmio_index;      /* bus region, -1 if unmapped */
    uint32_t mapped_base;
    IrqLine intr; /* INTR output to the CPU */
    IrqLine nmi;  /* NMI output: a pulse per NMI */
    int (*extint_ack)(void *opaque); /* the 8259's interrupt acknowledge */
    void *extint_opaque;
    void (*eoi_broadcast)(void *opaque, uint8_t vector); /* EOI of a level-triggered vector */
    void *eoi_opaque;
} LapicState;

void lapic_init(LapicState *s, Bus *bus, Clock *clock, SnapRegistry *reg);
/* Power-on / RESET state (SDM vol. 3A 10.4.7.1), base MSR back to 0xFEE00900. */
void lapic_reset(LapicState *s);
/* IA32_APIC_BASE was written: relocation (bits 35:12) and global enable (bit 11). */
void lapic_set_base(LapicState *s, uint64_t msr);
/* IrqHandler: n = 0 for LINT0, 1 for LINT1. */
void lapic_set_lint(void *opaque, int n, int level);
/* Who answers INTA for ExtINT interrupts (and for INTR when the APIC is disabled). */
void lapic_connect_pic(LapicState *s, int (*intack)(void *opaque), void *opaque);
/* Interrupt acknowledge: the vector to deliver (a fixed vector moved from IRR to ISR, the 8259's
 * vector for ExtINT, or the spurious vector when TPR masked the request after INTR rose). */
int lapic_intack(LapicState *s);
/* An interrupt message on the APIC bus (from the I/O APIC, or an IPI). `dest` is the 8-bit
 * destination field, `logical` the destination mode. Returns true if this APIC accepted it. */
bool lapic_deliver(LapicState *s, uint8_t dest, bool logical, int mode, uint8_t vector,
                   bool level_trig);

#endif
