/* The plan's pure parts: which extra read-only paths may be shown to a job. */
#include <stddef.h>

#include "sandbox/plan.h"
#include "tap.h"

int main(void)
{
        static const char *const secrets[] = {
                "/etc/shadow", "/etc/gshadow", "/etc/sandrun", "/etc/sandrun/keys", "/etc/nginx",
                "/etc/nginx/conf.d", "/etc/ssl/private", "/etc/ssl/private/key.pem", "/root", "/root/.ssh",
                "/home", "/home/alice", "/run", "/run/sandrun", "/var", "/var/lib/sandrun", "/proc", "/proc/1",
                "/sys", "/sys/fs/cgroup", "/dev", "/dev/sda", "/tmp", "/tmp/x",
        };
        for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
                is_str(sb_plan_refuses(secrets[i]), "it may hold secrets or host state", "%s refused", secrets[i]);

        is_str(sb_plan_refuses("/etc"), "too broad", "/etc refused as too broad");
        is_str(sb_plan_refuses("/"), "too broad", "/ refused as too broad");

        /* a prefix of a refused path's name is not under it */
        static const char *const shown[] = {
                "/etc/alternatives", "/etc/ssl/certs", "/etc/shadows", "/etc/nginx-example", "/rooted", "/homework",
                "/running", "/variable", "/device", "/tmpfiles", "/usr/share/zoneinfo", "/opt/data", "/etc/ssl",
        };
        for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++)
                ok(sb_plan_refuses(shown[i]) == NULL, "%s may be shown", shown[i]);
        return tap_done();
}
