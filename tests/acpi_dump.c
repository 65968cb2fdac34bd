/* Writes the PC's ACPI tables (bios/acpi.c), laid out in memory as for a boot without firmware,
 * one file per table (DIR/dsdt.dat, facp.dat, apic.dat, rsdt.dat, facs.dat, rsdp.dat), for
 * checking with ACPICA's disassembler: tests/acpi_iasl.sh runs `iasl -d` on them.
 *
 *   acpi_dump DIR [RAM_MB]
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bios/acpi.h"

static int write_file(const char *dir, const char *sig, const uint8_t *p, size_t len)
{
    char path[4096];
    char name[5] = {0};
    for (int i = 0; i < 4 && sig[i]; i++) {
        name[i] = (char)tolower((unsigned char)sig[i]);
    }
    snprintf(path, sizeof path, "%s/%s.dat", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, len, f) != len) {
        fprintf(stderr, "acpi_dump: cannot write %s\n", path);
        if (f) {
            fclose(f);
        }
        return -1;
    }
    fclose(f);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: acpi_dump DIR [RAM_MB]\n");
        return 2;
    }
    uint32_t ram_mb = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 0) : 128;
    const uint32_t mem_size = 0x200000, tables = 0x100000, rsdp = 0xF0000;
    uint8_t *mem = calloc(1, mem_size);
    AcpiConfig cfg;
    acpi_config_default(&cfg, ram_mb << 20);
    AcpiTables t;
    if (!mem || acpi_build(&t, &cfg) || acpi_build_in_memory(mem, mem_size, tables, rsdp, &cfg)) {
        fprintf(stderr, "acpi_dump: building the tables failed\n");
        return 1;
    }
    int rc = write_file(argv[1], "RSDP", mem + rsdp, ACPI_RSDP_LEN);
    for (int i = 0; i < t.ntables && !rc; i++) {
        rc = write_file(argv[1], t.table[i].sig, mem + tables + t.table[i].off, t.table[i].len);
    }
    acpi_tables_free(&t);
    free(mem);
    return rc ? 1 : 0;
}
