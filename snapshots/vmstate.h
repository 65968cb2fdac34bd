/* Declarative, versioned state descriptors (DESIGN.md "Snapshots").
 *
 * Every device and the CPU describe their saved state once, as a table of named fixed-width fields
 * at offsets in their state struct; one engine (snapshot.c) saves and loads them all. No host
 * pointers are ever saved: a Timer field saves its armed flag and deadline and is re-armed on load,
 * and post_load lets a device rebuild anything derived (pointers, IRQ levels, mappings).
 */
#ifndef X86PC_VMSTATE_H
#define X86PC_VMSTATE_H

#include <stddef.h>
#include <stdint.h>

typedef enum VmsType {
    VMS_END = 0,
    VMS_U8,
    VMS_U16,
    VMS_U32,
    VMS_U64,
    VMS_I32,
    VMS_I64,
    VMS_BOOL,  /* a C bool, saved as one byte */
    VMS_TIMER, /* a Timer: armed flag and deadline */
} VmsType;

typedef struct VmsField {
    const char *name;
    VmsType type;
    size_t offset;
    uint32_t count; /* array elements (1 for a scalar) */
} VmsField;

typedef struct VmsDesc {
    const char *name;
    uint32_t version;
    const VmsField *fields;
    int (*pre_save)(void *opaque);
    int (*post_load)(void *opaque); /* nonzero: the loaded state is refused */
} VmsDesc;

#define VMS_SCALAR(St, f, t) {#f, t, offsetof(St, f), 1}
#define VMS_ARRAY(St, f, t, n) {#f, t, offsetof(St, f), (n)}
#define VMS_U8F(St, f) VMS_SCALAR(St, f, VMS_U8)
#define VMS_U16F(St, f) VMS_SCALAR(St, f, VMS_U16)
#define VMS_U32F(St, f) VMS_SCALAR(St, f, VMS_U32)
#define VMS_U64F(St, f) VMS_SCALAR(St, f, VMS_U64)
#define VMS_I32F(St, f) VMS_SCALAR(St, f, VMS_I32)
#define VMS_BOOLF(St, f) VMS_SCALAR(St, f, VMS_BOOL)
#define VMS_TIMERF(St, f) VMS_SCALAR(St, f, VMS_TIMER)
#define VMS_FIELDS_END {NULL, VMS_END, 0, 0}

#define SNAP_MAX_SECTIONS 64

typedef struct SnapSection {
    const VmsDesc *desc;
    void *opaque;
    char name[48]; /* desc->name plus an instance suffix, unique in a machine */
} SnapSection;

/* The per-machine list of state sections. */
typedef struct SnapRegistry {
    SnapSection sec[SNAP_MAX_SECTIONS];
    int n;
} SnapRegistry;

/* Declare a state section; instance distinguishes two devices of one kind (0 for the first). */
void snap_register(SnapRegistry *r, const VmsDesc *d, void *opaque, int instance);

#endif
