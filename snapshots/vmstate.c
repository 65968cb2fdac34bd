/* Section registration (see vmstate.h). */
#include "snapshots/vmstate.h"

#include <stdio.h>

void snap_register(SnapRegistry *r, const VmsDesc *d, void *opaque, int instance)
{
    if (r == NULL || r->n >= SNAP_MAX_SECTIONS) {
        return;
    }
    SnapSection *s = &r->sec[r->n++];
    s->desc = d;
    s->opaque = opaque;
    if (instance) {
        snprintf(s->name, sizeof s->name, "%s.%d", d->name, instance);
    } else {
        snprintf(s->name, sizeof s->name, "%s", d->name);
    }
}
