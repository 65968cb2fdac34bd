/* The ACPI power-management function of the PC: the Intel 82371AB PIIX4 function 3 at 00:01.3,
 * as QEMU's "pc" machine places it beside the PIIX3 ISA bridge (00:01.0).
 *
 * Board wiring:
 *   acpi_pm_init(&pm, &pci.bus, bus, clock, snap, poweroff_cb, opaque);
 *       poweroff_cb(opaque): the guest entered S5 (soft off) through PM1_CNT.SLP_EN.
 *   irq_connect(&pm.sci, pic_set_irq, &pic, ACPI_PM_SCI_IRQ);   (and the IOAPIC pin 9)
 *   acpi_pm_reset(&pm) on machine reset.
 * Firmware (SeaBIOS) programs the I/O base through PMBA (config 0x40) and turns decoding on
 * through PMREGMISC (0x80). A boot without firmware (direct Linux boot) calls
 * acpi_pm_set_base(&pm, ACPI_PM_DEFAULT_BASE) to do the same. bios/acpi.c publishes the register
 * blocks at ACPI_PM_DEFAULT_BASE in the FADT, so the two must agree.
 */
#ifndef X86PC_ACPI_PM_H
#define X86PC_ACPI_PM_H

#include <stdbool.h>
#include <stdint.h>

#include "chipset/clock.h"
#include "chipset/irq.h"
#include "chipset/pcibus.h"
#include "mmu/bus.h"
#include "snapshots/vmstate.h"

#define ACPI_PM_DEVFN 0x0B           /* 00:01.3 */
#define ACPI_PM_DEFAULT_BASE 0x600   /* QEMU's and SeaBIOS's PMBA */
#define ACPI_PM_IO_LEN 0x40
#define ACPI_PM_SCI_IRQ 9
#define ACPI_PM_SMI_CMD 0xB2         /* APMC; 0xB3 is APMS */
#define ACPI_PM_ACPI_ENABLE 0xF1     /* FADT ACPI_ENABLE / ACPI_DISABLE values */
#define ACPI_PM_ACPI_DISABLE 0xF0
#define ACPI_PM_SLP_TYP_S5 0         /* PIIX4 SUS_TYP 000b: soft off; the DSDT's \_S5 */
#define ACPI_PM_TIMER_HZ 3579545u

/* Offsets in the PM I/O block (PIIX4 datasheet, "Power Management I/O Space"). */
#define ACPI_PM_PM1_STS 0x00
#define ACPI_PM_PM1_EN 0x02
#define ACPI_PM_PM1_CNT 0x04
#define ACPI_PM_TMR 0x08
#define ACPI_PM_GPE0_STS 0x0C
#define ACPI_PM_GPE0_EN 0x0E
#define ACPI_PM_GPE0_LEN 4

/* PM1 status / enable bits (ACPI spec, "PM1 Event Grouping"). */
#define ACPI_PM1_TMR 0x0001
#define ACPI_PM1_BM_STS 0x0010
#define ACPI_PM1_GBL 0x0020
#define ACPI_PM1_PWRBTN 0x0100
#define ACPI_PM1_RTC 0x0400
#define ACPI_PM1_WAK_STS 0x8000
/* PM1 control bits. */
#define ACPI_PM1_SCI_EN 0x0001
#define ACPI_PM1_BM_RLD 0x0002
#define ACPI_PM1_GBL_RLS 0x0004
#define ACPI_PM1_SLP_TYP_SHIFT 10
#define ACPI_PM1_SLP_TYP_MASK 0x1C00
#define ACPI_PM1_SLP_EN 0x2000

typedef struct AcpiPmState {
    PciDevice dev; /* config space saved by the PCI core */
    uint16_t pm1_sts, pm1_en, pm1_cnt;
    uint16_t gpe_sts, gpe_en;
    uint8_t apmc, apms;        /* 0xB2 / 0xB3 */
    uint8_t other[ACPI_PM_IO_LEN]; /* PCNTRL, P_LVL2/3, GLBSTS, DEVSTS, ...: storage only */
    uint64_t tmr_period;       /* PM timer value >> 23 when TMR_STS was last brought up to date */
    Timer tmr_timer;           /* armed for the next bit-23 transition while TMR_EN is set */
    /* not saved: */
    Bus *bus;
    Clock *clock;
    int pio_index;             /* our port region in the bus, -1 before the first mapping */
    uint32_t io_base;          /* where the PM block decodes now, 0 if it does not */
    void (*poweroff)(void *opaque);
    void *opaque;
    IrqLine sci;
} AcpiPmState;

int acpi_pm_init(AcpiPmState *s, PciBus *pci, Bus *bus, Clock *clock, SnapRegistry *reg,
                 void (*poweroff)(void *opaque), void *opaque);
void acpi_pm_reset(AcpiPmState *s);
/* What firmware does: PMBA = base, PMREGMISC.PMIOSE = 1. */
void acpi_pm_set_base(AcpiPmState *s, uint16_t base);
/* The power button was pressed (a frontend's "system_powerdown"). */
void acpi_pm_power_button(AcpiPmState *s);
/* The PM timer's current 24-bit value (also for tests). */
uint32_t acpi_pm_timer_value(const AcpiPmState *s);

#endif
