/* The PC's ACPI tables: RSDP, RSDT, FADT, FACS, DSDT (AML) and MADT, describing the i440FX/PIIX3
 * board with the PIIX4-style power-management function of chipset/acpi_pm.h.
 *
 * Two consumers:
 *   acpi_build_fwcfg(&fw, &cfg): the tables as QEMU hands them to SeaBIOS: the fw_cfg files
 *       "etc/acpi/tables" and "etc/acpi/rsdp" with pointers stored as offsets, and the
 *       linker/loader script "etc/table-loader" (ALLOCATE, ADD_POINTER, ADD_CHECKSUM) with which
 *       the firmware places them in memory, patches the pointers and fixes the checksums.
 *   acpi_build_in_memory(ram, ram_size, tables_addr, rsdp_addr, &cfg): for a boot without
 *       firmware: the tables at tables_addr (64-byte aligned, for the FACS), the RSDP at
 *       rsdp_addr (16-byte aligned: in 0xE0000-0xFFFFF for a kernel that scans, or anywhere if
 *       the boot protocol passes its address: boot_params.acpi_rsdp_addr). `ram` is host
 *       memory backing physical [0, ram_size). The PM function must then be enabled at
 *       cfg.pm_base by the loader: acpi_pm_set_base (chipset/acpi_pm.h).
 */
#ifndef X86PC_ACPI_H
#define X86PC_ACPI_H

#include <stdbool.h>
#include <stdint.h>

#include "bios/aml.h"
#include "devices/fwcfg.h"

typedef struct AcpiConfig {
    uint32_t ram_size;    /* RAM from 0 below 4 GB: the PCI memory window starts above it */
    uint16_t pm_base;     /* the PM block's I/O base (ACPI_PM_DEFAULT_BASE) */
    bool apic;            /* publish a MADT with the local APIC (ID 0 at 0xFEE00000) */
    bool ioapic;          /* ... and the IOAPIC with its interrupt source overrides */
    uint8_t ioapic_id;    /* 0, as QEMU's pc machine */
    uint32_t ioapic_addr; /* 0xFEC00000 */
} AcpiConfig;

void acpi_config_default(AcpiConfig *c, uint32_t ram_size);

int acpi_build_fwcfg(FwCfgState *fw, const AcpiConfig *cfg);
int acpi_build_in_memory(uint8_t *ram, uint32_t ram_size, uint32_t tables_addr,
                         uint32_t rsdp_addr, const AcpiConfig *cfg);

/* ---- the builder underneath, for the tests and the table dump tool ---- */

#define ACPI_MAX_TABLES 8
#define ACPI_MAX_PTRS 16
#define ACPI_RSDP_LEN 20

typedef struct AcpiTableRef {
    char sig[5];
    uint32_t off, len;
    bool checksum; /* the FACS has none */
} AcpiTableRef;

typedef struct AcpiPtrRef {
    uint32_t off; /* a pointer in the blob holding an offset in the blob */
    uint8_t size; /* 4 or 8 */
} AcpiPtrRef;

typedef struct AcpiTables {
    AmlBuf blob;                  /* FACS (at 0), DSDT, FADT, MADT, RSDT */
    uint8_t rsdp[ACPI_RSDP_LEN];  /* revision 0; its RSDT address is an offset in blob */
    AcpiTableRef table[ACPI_MAX_TABLES];
    int ntables;
    AcpiPtrRef ptr[ACPI_MAX_PTRS];
    int nptrs;
} AcpiTables;

/* Returns 0, or -1 if out of memory. */
int acpi_build(AcpiTables *t, const AcpiConfig *cfg);
void acpi_tables_free(AcpiTables *t);
const AcpiTableRef *acpi_find_table(const AcpiTables *t, const char *sig);
uint8_t acpi_checksum(const uint8_t *p, uint32_t len); /* the byte that makes the sum zero */

#endif
