/* savevm / loadvm for the PC board (see vmsnap.h).
 *
 * The configuration text lists what a snapshot cannot carry and must therefore match: the RAM
 * size, the CPU model, the firmware image (size and CRC32), the instruction-to-time rate, and the
 * board options that change what the devices or the firmware tables hold. Host-side choices
 * (where the serial port's output goes, logging, -no-reboot) are not part of it. The devices
 * present are checked by the engine itself: each one's section must be in the file.
 *
 * Disk contents are not in a snapshot yet (the overlays will be): only each drive's kind and image
 * size are checked, so loading with images whose contents changed since the save is the user's
 * responsibility.
 */
#include "frontend/vmsnap.h"

#include <stdio.h>
#include <sys/stat.h>
#include <zlib.h>

#include "frontend/machine.h"
#include "snapshots/cpu_state.h"
#include "snapshots/snapshot.h"

void machine_snap_register(Machine *m)
{
    board_snap_register(&m->snap, &m->clock, &m->bus);
    cpu_snap_register(&m->snap, &m->cpu);
}

static size_t machine_config(const Machine *m, char *buf, size_t len)
{
    uint32_t bios_crc = (uint32_t)crc32(0, m->rom, m->rom_size);
    char exitdev[32] = "none";
    if (m->cfg.debug_exit) {
        snprintf(exitdev, sizeof exitdev, "0x%x", m->cfg.debug_exit_port);
    }
    int n = snprintf(buf, len,
                     "board=pc-i440fx\n"
                     "ram_mb=%u\n"
                     "cpu=%s\n"
                     "bios_size=%u\n"
                     "bios_crc32=%08x\n"
                     "icount_shift=%u\n"
                     "nographic=%d\n"
                     "isa-debug-exit=%s\n",
                     m->cfg.ram_mb, m->cpu.model->name, m->rom_size, bios_crc,
                     m->cfg.icount_shift, m->cfg.nographic ? 1 : 0, exitdev);
    if (n < 0 || (size_t)n >= len) {
        return 0;
    }
    size_t used = (size_t)n;
    used += (size_t)snprintf(buf + used, len - used, "firmware=%s\n",
                             m->cfg.kernel ? "linux-direct" : "bios");
    for (int d = 0; d < 4 && used < len; d++) {
        const char *file = m->cfg.drive[d].file;
        if (!file) {
            continue;
        }
        struct stat st;
        long long size = stat(file, &st) == 0 ? (long long)st.st_size : -1;
        used += (size_t)snprintf(buf + used, len - used, "drive%d=%s,%lld bytes\n", d,
                                 m->cfg.drive[d].cdrom ? "cdrom" : "disk", size);
    }
    return used < len ? used : len - 1;
}

int machine_savevm(Machine *m, const char *path, char *err, size_t errlen)
{
    char cfg[1024];
    size_t cfglen = machine_config(m, cfg, sizeof cfg);
    SnapTarget t = {&m->snap, m->bus.ram, m->bus.ram_size, cfg, cfglen};
    return snapshot_save(&t, path, err, errlen);
}

int machine_loadvm(Machine *m, const char *path, char *err, size_t errlen)
{
    char cfg[1024];
    size_t cfglen = machine_config(m, cfg, sizeof cfg);
    SnapTarget t = {&m->snap, m->bus.ram, m->bus.ram_size, cfg, cfglen};
    if (snapshot_load(&t, path, err, errlen)) {
        return -1;
    }
    /* RAM changed under every cache of it */
    mmu_flush_all(&m->cpu.mmu);
    cpu_flush_decoded(&m->cpu);
    return 0;
}
