/* Step 2: the job's own fds move to fixed numbers and everything else the
 * spawner had open is closed, so no socket, pipe or file of the service or of
 * another job can be reached from the script. */
#include <fcntl.h>
#include <unistd.h>
#include <linux/close_range.h>

#include "enter.h"

int sb_fds_install(const int job_fds[], size_t n, struct sb_error *err)
{
        /* First move every fd above the target range, so a dup2 never lands
         * on a source that is still needed. */
        int tmp[16];
        if (n > 16)
                return sb_failx(err, EINVAL, "too many job fds (%zu)", n);
        for (size_t i = 0; i < n; i++) {
                tmp[i] = fcntl(job_fds[i], F_DUPFD_CLOEXEC, 64);
                if (tmp[i] < 0)
                        return sb_fail(err, errno, "dup job fd %zu", i);
        }
        for (size_t i = 0; i < n; i++) {
                if (dup2(tmp[i], (int) i) < 0)   /* dup2 clears FD_CLOEXEC */
                        return sb_fail(err, errno, "dup2 job fd %zu", i);
        }
        /* all but the runner and init files (step 3 closes the runner's,
         * the first process executes init's) and the job's memory.events,
         * which init keeps */
        if (close_range((unsigned) n, SB_RUNNER_FD - 1, 0) < 0 || close_range(SB_EVENTS_FD + 1, ~0U, 0) < 0)
                return sb_fail(err, errno, "close_range");
        return 0;
}
