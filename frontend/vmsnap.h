/* Whole-machine snapshots of the board: the configuration a snapshot must match, and savevm /
 * loadvm on a Machine through the generic engine (snapshots/snapshot.h). */
#ifndef X86PC_VMSNAP_H
#define X86PC_VMSNAP_H

#include <stddef.h>

struct Machine;

/* Declare the CPU's and the board's sections; machine_init calls it after every device. */
void machine_snap_register(struct Machine *m);
/* 0, or -1 with one line in err (the machine is then unchanged). */
int machine_savevm(struct Machine *m, const char *path, char *err, size_t errlen);
int machine_loadvm(struct Machine *m, const char *path, char *err, size_t errlen);

#endif
