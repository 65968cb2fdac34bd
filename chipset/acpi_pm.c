/* Intel 82371AB PIIX4 function 3, the power-management function, following the PIIX4 datasheet
 * (order no. 290562, section "Power Management Registers") and the ACPI specification's fixed
 * hardware (PM1 event and control blocks, the PM timer, GPE0), in the configuration QEMU's "pc"
 * machine gives it: PCI 00:01.3, 8086:7113 revision 3, class 0x068000, beside a PIIX3.
 *
 * Configuration space: PMBA (0x40, I/O base of the 64-byte PM block, bit 0 reads 1), PMREGMISC
 * (0x80, bit 0 PMIOSE turns the block's decoding on), SMBBA (0x90) and SMBHSTCFG (0xD2) stored.
 * The PM block: PM1_STS/PM1_EN (TMR, GBL, PWRBTN, RTC; write 1 to clear a status bit), PM1_CNT
 * (SCI_EN, SLP_TYP, SLP_EN), the 24-bit 3.579545 MHz PM timer at +8, and GPE0 (status/enable
 * at +0x0C/+0x0E). The SCI is ISA IRQ 9, active high, level: asserted while SCI_EN is set and
 * some status bit is set with its enable bit. The APM control port 0xB2 (APMC) and 0xB3 (APMS).
 *
 * Departures from hardware:
 * - There is no SMM. On a PIIX4 a write to APMC raises an SMI whose handler (the BIOS) sets or
 *   clears SCI_EN for the OS's ACPI_ENABLE / ACPI_DISABLE commands; here the write does that
 *   directly, as QEMU does. DEVACTB.APMC_EN (config 0x5B bit 1) reads as set after reset, which
 *   tells SeaBIOS that SMM is already initialised so it does not wait for an SMI handler.
 * - Sleep types other than S5 (SUS_TYP 000b, soft off) do not stop the machine: WAK_STS is set at
 *   once, so an OS that tries them sees an immediate wake-up.
 * - The PM timer is derived from virtual time: value = floor(ns * 3579545 / 10^9) mod 2^24.
 *   TMR_STS is brought up to date lazily (on reads and events); a virtual-clock timer is armed
 *   for the next bit-23 transition only while TMR_EN is set, to raise the SCI.
 * - The bus has no call to unmap ports, so moving the block edits the bus's port map directly
 *   for our own region (the region is registered once, at the first mapping).
 */
#include "chipset/acpi_pm.h"

#include <string.h>

#include "mmu/log.h"

#define PMBA 0x40
#define PMREGMISC 0x80
#define SMBBA 0x90
#define SMBHSTCFG 0xD2
#define PM1_EN_MASK (ACPI_PM1_TMR | ACPI_PM1_GBL | ACPI_PM1_PWRBTN | ACPI_PM1_RTC)
#define PM1_CNT_MASK (ACPI_PM1_SCI_EN | ACPI_PM1_BM_RLD | ACPI_PM1_SLP_TYP_MASK)
#define NS_PER_S 1000000000ull

static void pm_timer_cb(void *opaque);
static int pm_post_load(void *opaque);
static int pm_pre_save(void *opaque);

static const VmsField kAcpiPmFields[] = {
    VMS_U16F(AcpiPmState, pm1_sts),
    VMS_U16F(AcpiPmState, pm1_en),
    VMS_U16F(AcpiPmState, pm1_cnt),
    VMS_U16F(AcpiPmState, gpe_sts),
    VMS_U16F(AcpiPmState, gpe_en),
    VMS_U8F(AcpiPmState, apmc),
    VMS_U8F(AcpiPmState, apms),
    VMS_ARRAY(AcpiPmState, other, VMS_U8, ACPI_PM_IO_LEN),
    VMS_U64F(AcpiPmState, tmr_period),
    VMS_TIMERF(AcpiPmState, tmr_timer),
    VMS_FIELDS_END,
};
static const VmsDesc kAcpiPmDesc = {"acpi-pm", 1, kAcpiPmFields, pm_pre_save, pm_post_load};

/* ---- the PM timer ---- */

static uint64_t pm_ticks_at(uint64_t ns)
{
    return (ns / NS_PER_S) * ACPI_PM_TIMER_HZ + (ns % NS_PER_S) * ACPI_PM_TIMER_HZ / NS_PER_S;
}

/* The first virtual nanosecond at which the timer has counted `ticks`. */
static uint64_t pm_ticks_to_ns(uint64_t ticks)
{
    return (ticks / ACPI_PM_TIMER_HZ) * NS_PER_S +
           ((ticks % ACPI_PM_TIMER_HZ) * NS_PER_S + ACPI_PM_TIMER_HZ - 1) / ACPI_PM_TIMER_HZ;
}

static uint64_t pm_ticks(const AcpiPmState *s)
{
    return pm_ticks_at(clock_now(s->clock));
}

uint32_t acpi_pm_timer_value(const AcpiPmState *s)
{
    return (uint32_t)(pm_ticks(s) & 0xFFFFFF);
}

/* TMR_STS is set by every change of the timer's bit 23. */
static void pm_update_tmr_sts(AcpiPmState *s)
{
    uint64_t period = pm_ticks(s) >> 23;
    if (period != s->tmr_period) {
        s->tmr_period = period;
        s->pm1_sts |= ACPI_PM1_TMR;
    }
}

static void pm_arm_timer(AcpiPmState *s)
{
    if (s->pm1_en & ACPI_PM1_TMR) {
        uint64_t next = ((pm_ticks(s) >> 23) + 1) << 23;
        timer_mod(&s->tmr_timer, pm_ticks_to_ns(next));
    } else {
        timer_del(&s->tmr_timer);
    }
}

static void pm_update_sci(AcpiPmState *s)
{
    pm_update_tmr_sts(s);
    bool level = (s->pm1_cnt & ACPI_PM1_SCI_EN) &&
                 ((s->pm1_sts & s->pm1_en & PM1_EN_MASK) || (s->gpe_sts & s->gpe_en));
    irq_set(&s->sci, level);
}

static void pm_timer_cb(void *opaque)
{
    AcpiPmState *s = opaque;
    pm_update_sci(s);
    pm_arm_timer(s);
}

/* ---- the PM I/O block ---- */

static uint8_t pm_read_byte(AcpiPmState *s, uint32_t off, uint32_t tmr)
{
    unsigned sh = 8 * (off & 1);
    switch (off) {
    case ACPI_PM_PM1_STS:
    case ACPI_PM_PM1_STS + 1:
        return (uint8_t)(s->pm1_sts >> sh);
    case ACPI_PM_PM1_EN:
    case ACPI_PM_PM1_EN + 1:
        return (uint8_t)(s->pm1_en >> sh);
    case ACPI_PM_PM1_CNT:
    case ACPI_PM_PM1_CNT + 1:
        return (uint8_t)(s->pm1_cnt >> sh); /* SLP_EN and GBL_RLS are never stored */
    case ACPI_PM_TMR:
    case ACPI_PM_TMR + 1:
    case ACPI_PM_TMR + 2:
    case ACPI_PM_TMR + 3:
        return (uint8_t)(tmr >> (8 * (off - ACPI_PM_TMR)));
    case ACPI_PM_GPE0_STS:
    case ACPI_PM_GPE0_STS + 1:
        return (uint8_t)(s->gpe_sts >> sh);
    case ACPI_PM_GPE0_EN:
    case ACPI_PM_GPE0_EN + 1:
        return (uint8_t)(s->gpe_en >> sh);
    default:
        return s->other[off];
    }
}

static uint32_t pm_io_read(void *opaque, uint32_t addr, unsigned size)
{
    AcpiPmState *s = opaque;
    pm_update_tmr_sts(s);
    uint32_t tmr = acpi_pm_timer_value(s);
    uint32_t v = 0;
    for (unsigned i = 0; i < size && addr + i < ACPI_PM_IO_LEN; i++) {
        v |= (uint32_t)pm_read_byte(s, addr + i, tmr) << (8 * i);
    }
    return v;
}

static void pm_sleep(AcpiPmState *s, unsigned typ)
{
    if (typ == ACPI_PM_SLP_TYP_S5) {
        xlog(LOG_ACPI, "acpi: S5 (soft off) requested");
        if (s->poweroff) {
            s->poweroff(s->opaque);
        }
        return;
    }
    LOG_ONCE(LOG_ACPI, "acpi: sleep type %u not supported, waking at once", typ);
    s->pm1_sts |= ACPI_PM1_WAK_STS;
}

static void pm_write_byte(AcpiPmState *s, uint32_t off, uint8_t b)
{
    unsigned sh = 8 * (off & 1);
    uint16_t v = (uint16_t)(b << sh);
    uint16_t keep = (uint16_t)~(0xFFu << sh);
    switch (off) {
    case ACPI_PM_PM1_STS:
    case ACPI_PM_PM1_STS + 1:
        s->pm1_sts &= (uint16_t)~v;
        break;
    case ACPI_PM_PM1_EN:
    case ACPI_PM_PM1_EN + 1:
        s->pm1_en = (uint16_t)((s->pm1_en & keep) | (v & PM1_EN_MASK));
        break;
    case ACPI_PM_PM1_CNT:
    case ACPI_PM_PM1_CNT + 1:
        s->pm1_cnt = (uint16_t)((s->pm1_cnt & keep) | (v & PM1_CNT_MASK));
        if (v & ACPI_PM1_SLP_EN) {
            pm_sleep(s, (v & ACPI_PM1_SLP_TYP_MASK) >> ACPI_PM1_SLP_TYP_SHIFT);
        }
        break;
    case ACPI_PM_TMR:
    case ACPI_PM_TMR + 1:
    case ACPI_PM_TMR + 2:
    case ACPI_PM_TMR + 3:
        break; /* read-only */
    case ACPI_PM_GPE0_STS:
    case ACPI_PM_GPE0_STS + 1:
        s->gpe_sts &= (uint16_t)~v;
        break;
    case ACPI_PM_GPE0_EN:
    case ACPI_PM_GPE0_EN + 1:
        s->gpe_en = (uint16_t)((s->gpe_en & keep) | v);
        break;
    default:
        s->other[off] = b;
        break;
    }
}

static void pm_io_write(void *opaque, uint32_t addr, uint32_t val, unsigned size)
{
    AcpiPmState *s = opaque;
    pm_update_tmr_sts(s); /* a status write clears what has happened so far, not later events */
    for (unsigned i = 0; i < size && addr + i < ACPI_PM_IO_LEN; i++) {
        pm_write_byte(s, addr + i, (uint8_t)(val >> (8 * i)));
    }
    pm_arm_timer(s);
    pm_update_sci(s);
}

static const IoOps kPmIoOps = {pm_io_read, pm_io_write, 0};

/* ---- APM control and status: 0xB2, 0xB3 ---- */

static uint32_t apm_read(void *opaque, uint32_t addr, unsigned size)
{
    AcpiPmState *s = opaque;
    return addr == 0 ? s->apmc : s->apms;
}

static void apm_write(void *opaque, uint32_t addr, uint32_t val, unsigned size)
{
    AcpiPmState *s = opaque;
    if (addr != 0) {
        s->apms = (uint8_t)val;
        return;
    }
    s->apmc = (uint8_t)val;
    if (s->apmc == ACPI_PM_ACPI_ENABLE) {
        xlog(LOG_ACPI, "acpi: enabled through SMI_CMD");
        s->pm1_cnt |= ACPI_PM1_SCI_EN;
    } else if (s->apmc == ACPI_PM_ACPI_DISABLE) {
        xlog(LOG_ACPI, "acpi: disabled through SMI_CMD");
        s->pm1_cnt &= (uint16_t)~ACPI_PM1_SCI_EN;
    }
    pm_update_sci(s);
}

static const IoOps kApmOps = {apm_read, apm_write, IO_SIZE_1};

/* ---- configuration space and the block's mapping ---- */

static void pm_map(AcpiPmState *s, uint32_t base)
{
    if (base == s->io_base) {
        return;
    }
    s->io_base = 0;
    if (bus_place_pio(s->bus, &s->pio_index, base ? base : BUS_PIO_NOWHERE, ACPI_PM_IO_LEN,
                      &kPmIoOps, s, "acpi-pm")) {
        LOG_ONCE(LOG_ACPI, "acpi: no room for the PM block on the bus");
        return;
    }
    if (base) {
        s->io_base = base;
        xlog(LOG_ACPI, "acpi: PM block at 0x%04x", base);
    }
}

static void pm_update_mapping(AcpiPmState *s)
{
    uint32_t base = pci_get_word(&s->dev, PMBA) & 0xFFC0u;
    bool on = (s->dev.config[PMREGMISC] & 1) && base != 0;
    pm_map(s, on ? base : 0);
}

static void pm_config_write(PciDevice *d, uint32_t addr, uint32_t val, unsigned size)
{
    AcpiPmState *s = d->opaque;
    if ((addr < PMBA + 4 && addr + size > PMBA) || (addr <= PMREGMISC && addr + size > PMREGMISC)) {
        pm_update_mapping(s);
    }
}

static void pm_pci_post_load(PciDevice *d)
{
    pm_update_mapping(d->opaque);
}

/* TMR_STS is brought up to date lazily; do it before saving so that save, load, save gives
 * the same bytes. */
static int pm_pre_save(void *opaque)
{
    pm_update_tmr_sts(opaque);
    return 0;
}

static int pm_post_load(void *opaque)
{
    AcpiPmState *s = opaque;
    irq_set(&s->sci, 0); /* re-drive the line from the loaded state */
    pm_update_sci(s);
    return 0;
}

static void pm_config_reset(AcpiPmState *s)
{
    PciDevice *d = &s->dev;
    memset(d->config + 0x04, 0, 256 - 0x04);
    pci_set_ids(d, 0x8086, 0x7113, 0x03, 0x068000);
    pci_set_word(d, PCI_STATUS, 0x0280); /* medium DEVSEL, fast back-to-back capable */
    d->config[PCI_INTERRUPT_PIN] = 1;
    d->config[PMBA] = 0x01;  /* I/O space indicator */
    d->config[SMBBA] = 0x01;
    d->config[0x5B] = 0x02; /* DEVACTB.APMC_EN: "SMM already set up" (no SMM here) */
}

void acpi_pm_reset(AcpiPmState *s)
{
    pm_config_reset(s);
    s->pm1_sts = s->pm1_en = s->pm1_cnt = 0;
    s->gpe_sts = s->gpe_en = 0;
    s->apmc = s->apms = 0;
    memset(s->other, 0, sizeof s->other);
    s->tmr_period = pm_ticks(s) >> 23;
    timer_del(&s->tmr_timer);
    pm_update_mapping(s);
    irq_set(&s->sci, 0);
}

void acpi_pm_set_base(AcpiPmState *s, uint16_t base)
{
    pci_set_word(&s->dev, PMBA, (uint16_t)((base & 0xFFC0u) | 1));
    s->dev.config[PMREGMISC] |= 1;
    pm_update_mapping(s);
}

void acpi_pm_power_button(AcpiPmState *s)
{
    s->pm1_sts |= ACPI_PM1_PWRBTN;
    pm_update_sci(s);
}

int acpi_pm_init(AcpiPmState *s, PciBus *pci, Bus *bus, Clock *clock, SnapRegistry *reg,
                 void (*poweroff)(void *opaque), void *opaque)
{
    memset(s, 0, sizeof *s);
    s->bus = bus;
    s->clock = clock;
    s->pio_index = -1;
    s->poweroff = poweroff;
    s->opaque = opaque;
    timer_init(&s->tmr_timer, clock, pm_timer_cb, s);

    PciDevice *d = &s->dev;
    pci_device_init(d, "piix4-pm", s);
    d->config_write = pm_config_write;
    d->post_load = pm_pci_post_load;
    for (int i = 0x40; i < 0x100; i++) {
        d->wmask[i] = 0xFF;
    }
    d->wmask[PMBA] = 0xC0;
    d->wmask[PMBA + 2] = d->wmask[PMBA + 3] = 0;
    d->wmask[PMREGMISC] = 0x01;
    d->wmask[SMBBA] = 0xF0;
    d->wmask[SMBBA + 2] = d->wmask[SMBBA + 3] = 0;
    d->wmask[SMBHSTCFG] = 0x0F;
    acpi_pm_reset(s);
    if (bus_register_pio(bus, ACPI_PM_SMI_CMD, 2, &kApmOps, s, "apm")) {
        return -1;
    }
    if (pci_register_device(pci, d, ACPI_PM_DEVFN, reg)) {
        return -1;
    }
    if (reg) {
        snap_register(reg, &kAcpiPmDesc, s, 0);
    }
    return 0;
}
