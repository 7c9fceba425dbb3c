#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <fcntl.h>
#include <malloc.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zygote.h"

static PyObject *runner_module;

static int py_fail(struct sb_error *err, const char *what)
{
        /* the exception text is the useful part of the message */
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        PyObject *s = value ? PyObject_Str(value) : NULL;
        const char *text = s ? PyUnicode_AsUTF8(s) : NULL;
        sb_failx(err, EIO, "%s: %s", what, text ? text : "unknown Python error");
        Py_XDECREF(s);
        Py_XDECREF(type);
        Py_XDECREF(value);
        Py_XDECREF(tb);
        PyErr_Clear();
        return -EIO;
}

/* The interpreter, with the job's environment and a /tmp of its own. */
static int start_python(const struct sb_plan *p, struct sb_error *err)
{
        PyStatus st;
        PyConfig config;

        /* The interpreter's environment is the job's: whatever the service
         * was started with (secrets included) must not be in os.environ. */
        /* One malloc arena, as the job's GLIBC_TUNABLES asks of a cold job's
         * python3 (a fork does not read the environment again): another
         * thread's arena reserves 64 MB of address space that RLIMIT_AS,
         * counted from our size, would hand to every job unseen (an import
         * that starts a thread, matplotlib's font-cache timer, makes one). */
        mallopt(M_ARENA_MAX, 1);
        /* huge pages for what the imports allocate (zygote_memory.c) */
        sb_zygote_memory_start();
        clearenv();
        for (size_t i = 0; sb_job_environ[i]; i++)
                putenv(sb_job_environ[i]);
        /* Imports run on the host as root, and some write caches (matplotlib's
         * font list, for one): the zygote gets a /tmp of its own, in a mount
         * namespace of its own, so nothing of that reaches the host. */
        if (unshare(CLONE_NEWNS) < 0)
                return sb_fail(err, errno, "zygote mount namespace");
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return sb_fail(err, errno, "zygote: make / private");
        if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=64m,mode=1777") < 0)
                return sb_fail(err, errno, "zygote: private /tmp");

        /* UTF-8 for files, file names and the standard streams, as a cold
         * job's python3 -X utf8 has: an isolated pre-configuration leaves the
         * C locale alone, whose encoding is ASCII, whatever LC_ALL says. */
        PyPreConfig pre;
        PyPreConfig_InitIsolatedConfig(&pre);
        pre.utf8_mode = 1;
        st = Py_PreInitialize(&pre);
        if (PyStatus_Exception(st))
                return sb_failx(err, EIO, "Python pre-initialisation failed: %s",
                                st.err_msg ? st.err_msg : "unknown");

        PyConfig_InitIsolatedConfig(&config);
        config.write_bytecode = 0;
        config.site_import = 1;
        config.install_signal_handlers = 1;   /* as python3 does: SIGPIPE/SIGXFSZ ignored, SIGINT raises */
        config.buffered_stdio = 1;
        st = PyConfig_SetBytesString(&config, &config.program_name, p->python);
        if (PyStatus_Exception(st))
                goto fail;
        st = PyConfig_SetBytesString(&config, &config.executable, p->python);
        if (PyStatus_Exception(st))
                goto fail;
        wchar_t *argv0 = L"python3";
        st = PyConfig_SetArgv(&config, 1, &argv0);
        if (PyStatus_Exception(st))
                goto fail;
        st = Py_InitializeFromConfig(&config);
        if (PyStatus_Exception(st))
                goto fail;
        PyConfig_Clear(&config);
        return 0;
fail:
        PyConfig_Clear(&config);
        return sb_failx(err, EIO, "Python initialisation failed: %s", st.err_msg ? st.err_msg : "unknown");
}

/* The runner's source, read from the file opened at start-up: its path may
 * be hidden by our own /tmp.  A new str, or NULL. */
static PyObject *runner_source(struct sb_error *err)
{
        char *src = NULL;
        size_t len = 0, cap = 0;
        for (;;) {
                if (len == cap) {
                        cap = cap ? cap * 2 : 65536;
                        char *n = realloc(src, cap);
                        if (!n) {
                                free(src);
                                sb_failx(err, ENOMEM, "out of memory");
                                return NULL;
                        }
                        src = n;
                }
                ssize_t k = pread(SB_RUNNER_FD, src + len, cap - len, (off_t) len);
                if (k < 0) {
                        free(src);
                        sb_fail(err, errno, "read runner.py");
                        return NULL;
                }
                if (k == 0)
                        break;
                len += (size_t) k;
        }
        PyObject *source = PyUnicode_DecodeUTF8(src, (Py_ssize_t) len, "strict");
        free(src);
        if (!source)
                py_fail(err, "runner.py is not UTF-8");
        return source;
}

int sb_zygote_init(const struct sb_plan *p, struct sb_error *err)
{
        int r;
        if ((r = start_python(p, err)) < 0)
                return r;

        /* The configured libraries, then the runner from its own file under a
         * name no user module can collide with.  gc.freeze() moves every object
         * made so far out of the collector's reach, so a child's collections
         * never write to (and copy) the zygote's pages. */
        PyObject *libs = PyList_New(0);
        for (size_t i = 0; i < p->n_preload; i++) {
                PyObject *s = PyUnicode_FromString(p->preload[i]);
                PyList_Append(libs, s);
                Py_DECREF(s);
        }
        PyObject *main_mod = PyImport_AddModule("__main__");
        PyObject *globals = PyModule_GetDict(main_mod);
        PyDict_SetItemString(globals, "_libs", libs);
        PyObject *source = runner_source(err);
        if (!source)
                return err->code;
        PyDict_SetItemString(globals, "_runner_source", source);
        Py_DECREF(source);
        Py_DECREF(libs);
        static const char boot[] =
                "import importlib, importlib.util, sys, gc\n"
                "for _n in _libs:\n"
                "    try:\n"
                "        importlib.import_module(_n)\n"
                "    except Exception:\n"
                "        pass\n"
                /* compiled under the name it has inside the job, so nothing of
                 * it (its __file__, its code objects) tells a host path */
                "import types\n"
                "_r = types.ModuleType('_sandrun_runner')\n"
                "_r.__file__ = '/sandrun/runner.py'\n"
                "exec(compile(_runner_source, '/sandrun/runner.py', 'exec'), _r.__dict__)\n"
                "sys.modules['_sandrun_runner'] = _r\n"
                "_r.warm_prepare()\n"
                "del _r, _libs, _runner_source\n"
                "globals().pop('_n', None)\n"   /* unbound when no library is configured */
                "gc.collect()\n"
                "gc.freeze()\n";
        PyObject *res = PyRun_String(boot, Py_file_input, globals, globals);
        if (!res)
                return py_fail(err, "zygote start-up");
        Py_DECREF(res);
        runner_module = PyImport_ImportModule("_sandrun_runner");
        if (!runner_module)
                return py_fail(err, "import runner");
        sb_zygote_memory_settle();
        return 0;
}

void sb_zygote_size(uint64_t *vsize, uint64_t *rss)
{
        unsigned long pages = 0, anon_kb = 0;
        char line[256];
        FILE *f = fopen("/proc/self/statm", "re");
        if (f) {
                if (fscanf(f, "%lu", &pages) != 1)
                        pages = 0;
                fclose(f);
        }
        /* a fork starts with the anonymous pages mapped; file pages come
         * back only as the job touches them */
        f = fopen("/proc/self/status", "re");
        while (f && fgets(line, sizeof(line), f))
                if (sscanf(line, "RssAnon: %lu kB", &anon_kb) == 1)
                        break;
        if (f)
                fclose(f);
        *vsize = (uint64_t) pages * (uint64_t) sysconf(_SC_PAGESIZE);
        *rss = (uint64_t) anon_kb * 1024;
        /* What the imports allocated and freed stays mapped in malloc's heap
         * (matplotlib's font list alone leaves tens of MB): a job reuses it
         * without mapping anything, so RLIMIT_AS, counted from our size,
         * would not see it.  It is not ours to give: the base is our size
         * without it. */
        struct mallinfo2 mi = mallinfo2();
        uint64_t free_heap = (uint64_t) mi.fordblks;
        *vsize -= free_heap < *vsize / 2 ? free_heap : *vsize / 2;
}

void sb_zygote_before_fork(void)
{
        PyOS_BeforeFork();
}

void sb_zygote_after_fork_parent(void)
{
        PyOS_AfterFork_Parent();
}

static bool job_prepared;

void sb_zygote_prepare(bool pooled)
{
        if (job_prepared)
                return;
        job_prepared = true;
        PyOS_AfterFork_Child();
        /* The job's GLIBC_TUNABLES (enter.c) came too late for the zygote's
         * malloc, which read its tunables when the zygote started: the same
         * setting, now.  It takes effect since the single-threaded zygote
         * never made a second arena. */
        mallopt(M_ARENA_MAX, SB_JOB_MALLOC_ARENAS);
        sb_zygote_memory_job();
        /* what python3 itself sets up, since the sandbox reset every signal */
        signal(SIGPIPE, SIG_IGN);
        signal(SIGXFSZ, SIG_IGN);
        PyObject *r = PyObject_CallMethod(runner_module, "job_prepare", "O", pooled ? Py_True : Py_False);
        if (!r) {
                PyErr_Print();
                fflush(stderr);
                _exit(70);
        }
        Py_DECREF(r);
}

void sb_zygote_run(const char *dialect, uint64_t max_result, const char *handler)
{
        sb_zygote_prepare(false);
        PyObject *r = PyObject_CallMethod(runner_module, "warm_main", "sKs", dialect,
                                          (unsigned long long) max_result, handler);
        /* warm_main ends the process itself; getting here means it broke */
        if (!r)
                PyErr_Print();
        fflush(stderr);
        _exit(70);
}
