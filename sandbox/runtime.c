#include <stdlib.h>
#include <unistd.h>

#include "cgroup.h"
#include "enter.h"
#include "runtime.h"

int sb_runtime_init(struct sb_runtime *rt, unsigned slots, struct sb_error *err)
{
        rt->slots = slots;
        rt->slot = calloc(slots, sizeof(*rt->slot));
        /* a new zygote knows no limit it wrote */
        rt->memory_limit = calloc(slots, sizeof(*rt->memory_limit));
        if (!rt->slot || !rt->memory_limit)
                return sb_failx(err, ENOMEM, "out of memory");
        for (unsigned i = 0; i < slots; i++) {
                struct sb_slot_fds *s = &rt->slot[i];
                s->netns = s->mntns = s->ipcns = s->events = -1;
                for (int k = 0; k < SB_CG_DIRS; k++)
                        s->cgroup[k] = -1;
        }
        return 0;
}

int sb_runtime_open(const struct sb_plan *p, struct sb_runtime *rt, struct sb_error *err)
{
        int r;
        if ((r = sb_runtime_init(rt, p->slots, err)) < 0 || (r = sb_cgroup_open(p, rt, err)) < 0)
                return r;
        for (unsigned i = 0; i < rt->slots; i++)
                if ((r = sb_slot_ns_create(p, i, &rt->slot[i], err)) < 0)
                        return r;
        /* one net namespace per slot, made before any zygote so every
         * incarnation shares them (see step1_namespaces.c) */
        for (unsigned i = 0; i < rt->slots; i++) {
                struct sb_error ignored = { 0 };
                rt->slot[i].netns = sb_netns_create(&ignored);
                if (rt->slot[i].netns < 0) {
                        /* fall back to a fresh namespace per job */
                        for (unsigned j = 0; j < i; j++) {
                                close(rt->slot[j].netns);
                                rt->slot[j].netns = -1;
                        }
                        rt->slot[i].netns = -1;
                        break;
                }
        }
        return 0;
}
