/* Step 4: who the job is.  A fixed hostname; then the dedicated unprivileged
 * uid and gid with no supplementary groups, every capability set (effective,
 * permitted, inheritable, ambient, bounding) empty, and no_new_privs so no
 * setuid or file-capability binary can give any of it back. */
#include <grp.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <cap-ng.h>

#include "enter.h"

int sb_identity_drop(uid_t uid, gid_t gid, struct sb_error *err)
{
        if (uid == 0 || gid == 0)
                return sb_failx(err, EPERM, "refusing to run a job as uid %u gid %u", (unsigned) uid, (unsigned) gid);

        if (sethostname(SB_HOSTNAME, strlen(SB_HOSTNAME)) < 0)
                return sb_fail(err, errno, "sethostname");
        if (setdomainname(SB_HOSTNAME, strlen(SB_HOSTNAME)) < 0)
                return sb_fail(err, errno, "setdomainname");

        /* libcap-ng returns its own negative codes, not errno values */
        capng_clear(CAPNG_SELECT_ALL);
        int r = capng_change_id((int) uid, (int) gid, CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING);
        if (r < 0)
                return sb_failx(err, EPERM, "capng_change_id(%u, %u) failed with libcap-ng code %d",
                                (unsigned) uid, (unsigned) gid, r);
        /* capng_change_id leaves the ambient set alone on some versions */
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                return sb_fail(err, errno, "clear ambient capabilities");

        /* Verify rather than trust: a job must never keep an id of the host's. */
        uid_t ru, eu, su;
        gid_t rg, eg, sg;
        if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0)
                return sb_fail(err, errno, "getresuid");
        if (ru != uid || eu != uid || su != uid || rg != gid || eg != gid || sg != gid)
                return sb_failx(err, EPERM, "ids did not change to %u/%u", (unsigned) uid, (unsigned) gid);
        if (getgroups(0, NULL) != 0)
                return sb_failx(err, EPERM, "supplementary groups remain");

        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return sb_fail(err, errno, "PR_SET_NO_NEW_PRIVS");
        /* A job must not be able to make itself dumpable/ptraceable by others
         * of its uid; the pid namespace already hides it, this is belt and braces. */
        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
                return sb_fail(err, errno, "PR_SET_DUMPABLE");
        return 0;
}

/* If the spawner dies, the job dies with it: never an orphan.  Set after
 * the identity change, which clears it. */
int sb_die_with_spawner(struct sb_error *err)
{
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
                return sb_fail(err, errno, "PR_SET_PDEATHSIG");
        return 0;
}
