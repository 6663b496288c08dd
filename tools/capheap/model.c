/*
 * model.c - releasing what a model holds (model.h).
 */
#include "model.h"

#include <stdlib.h>
#include <string.h>

void model_free(model_t *m) {
    for (size_t s = 0; s < m->nsnapshots; s++) {
        model_snapshot_t *snap = &m->snapshots[s];
        for (size_t r = 0; r < snap->nregions; r++)
            free(snap->regions[r].blocks);
        free(snap->regions);
    }
    free(m->snapshots);
    free(m->samples);
    free(m->failures);
    memset(m, 0, sizeof *m);
}
