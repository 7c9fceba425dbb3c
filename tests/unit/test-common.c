/* common/: the error value and its wrap, the clock, the file helpers. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/fileio.h"
#include "tap.h"

static void test_error(void)
{
        struct sb_error e = { 0 };
        ok(sb_fail(&e, ENOENT, "open %s", "/x") == -ENOENT && e.code == -ENOENT, "sb_fail returns -errno and records it");
        is_str(e.msg, "open /x: No such file or directory", "sb_fail adds strerror");
        ok(sb_fail(&e, -EPERM, "x") == -EPERM, "a negative errno is taken as the same error");
        ok(sb_failx(&e, 0, "no errno") == -EIO, "errno 0 becomes EIO: a failure is never 0");
        is_str(e.msg, "no errno", "sb_failx has no strerror suffix");
        ok(sb_fail(NULL, EINVAL, "nowhere") == -EINVAL, "a NULL error struct is allowed");

        sb_failx(&e, EBUSY, "cgroup job-1 has processes");
        ok(sb_error_wrap(&e, "slot %u", 1) == -EBUSY, "wrap keeps the code");
        is_str(e.msg, "slot 1: cgroup job-1 has processes", "wrap puts the context first");
        char big[400];
        memset(big, 'c', sizeof(big) - 1);
        big[sizeof(big) - 1] = 0;
        sb_failx(&e, EIO, "inner");
        sb_error_wrap(&e, "%s", big);
        ok(strlen(e.msg) == sizeof(e.msg) - 1, "a context longer than the buffer is cut, never overflows");
        struct sb_error none = { 0 };
        ok(sb_error_wrap(&none, "ctx") == -EIO, "wrapping no error still reports a failure");
}

static void test_clock(void)
{
        uint64_t a = sb_now_ns(), b = sb_now_ns();
        ok(b >= a && a > 0, "the clock is monotonic");
        ok(sb_ms_until(a, 1000) == 0, "a deadline in the past: 0 ms");
        int ms = sb_ms_until(sb_now_ns() + 1500 * SB_NSEC_PER_MSEC, 60000);
        ok(ms > 1400 && ms <= 1500, "1.5 s ahead: about 1500 ms (%d)", ms);
        ok(sb_ms_until(sb_now_ns() + 3600 * SB_NSEC_PER_SEC, 60000) == 60000, "capped at the given maximum");
        ok(sb_ns_to_ms(2500000) == 2.5, "ns to ms");
}

static void test_fileio(void)
{
        char dir[] = "/tmp/sandrun-test-common.XXXXXX";
        ok(mkdtemp(dir) != NULL, "temporary directory");
        _cleanup_close_ int d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        char path[64], buf[16];
        snprintf(path, sizeof(path), "%s/value", dir);
        _cleanup_close_ int f = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        ok(sb_write_at(d, "value", "12345") == 0, "write a value through the directory fd");
        ok(sb_read_at(d, "value", buf, sizeof(buf)) == 5, "read it back");
        is_str(buf, "12345", "the same bytes, NUL-terminated");
        ok(sb_read_at(d, "value", buf, 3) == 2 && strcmp(buf, "12") == 0, "a small buffer is filled, never overrun");
        ok(sb_write_at(d, "missing", "1") == -ENOENT, "no file is created: -ENOENT");
        ok(sb_read_at(d, "missing", buf, sizeof(buf)) == -ENOENT, "reading a missing file: -ENOENT");
        ok(sb_write_all(f, "abcdef", 6) == 0, "sb_write_all");
        unlink(path);
        rmdir(dir);
}

int main(void)
{
        test_error();
        test_clock();
        test_fileio();
        return tap_done();
}
