/* Shared between the files of the people stage; not part of the engine API. */
#ifndef CTXPROF_PEOPLE_INTERNAL_H
#define CTXPROF_PEOPLE_INTERNAL_H

#include "core/strmap.h"
#include "people/people.h"

/* After the groups and members of res are known (vid: member pid -> index):
 * each group's incidents (count, silos, centroid), each member's school
 * (attends / nearest), the peer_group_contexts links, and the summary. */
int ctxprof_people_group_contexts(ctxprof_ctx *ctx, ctxprof_people_result *res,
                                  const ctxprof_incidents *inc, const ctxprof_snap_result *snap,
                                  const ctxprof_contexts *c, const ctxprof_strmap *vid,
                                  int min_group_size);

#endif
