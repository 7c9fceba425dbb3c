/* sandrun-fcgi: the FastCGI front.  Start-up order matters:
 *   1. settings (file, then command line), the listening socket
 *   2. signal handlers, before FCGX_Init (which would install its own)
 *   3. the service: policy, seccomp program and the spawner, forked while
 *      this process has one thread
 *   4. drop to the service user, then the thread pool
 *   5. the main thread waits for SIGTERM/SIGINT, stops accepting, lets the
 *      jobs in flight finish (each is bounded by its own deadline) and exits. */
#include <getopt.h>
#include <grp.h>
#include <malloc.h>
#include <pwd.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <fcgiapp.h>

#include "listen.h"
#include "peers.h"
#include "common/clock.h"
#include "jobs/log.h"
#include "server.h"

#ifndef SANDRUN_SYSCONFDIR
#define SANDRUN_SYSCONFDIR "/etc"
#endif
#define DEFAULT_CONFIG SANDRUN_SYSCONFDIR "/sandrun/sandrun.conf"

static struct service service;
static int listen_fd = -1;
static int listen_is_tcp;
static struct peers allowed_peers;
static volatile sig_atomic_t stopping;

static void usage(FILE *f)
{
        fprintf(f,
                "Usage: sandrun-fcgi [--config FILE] [--listen PATH|HOST:PORT] [--SETTING VALUE]...\n"
                "       sandrun-fcgi [--config FILE] [--SETTING VALUE]... --nginx-classes\n"
                "       sandrun-fcgi --help | --version\n\n"
                "Serves the sandrun API over FastCGI.  The socket comes from --listen, from systemd\n"
                "socket activation (LISTEN_FDS), or from fd 0 (spawn-fcgi, StandardInput=socket).\n"
                "Settings are read from %s (or --config) and may be overridden one by one;\n"
                "see sandrun.conf(5).  Client classes are the JSON object \"classes\" in the file,\n"
                "or --classes '{\"NAME\": {...}}'.  --nginx-classes prints the nginx configuration of\n"
                "the classes' per-client caps (/etc/nginx/sandrun-classes.conf) and exits.  Settings:\n",
                DEFAULT_CONFIG);
        for (size_t i = 0; i < config_n_settings; i++)
                fprintf(f, "  --%-20s %s (default: %s)\n", config_settings[i].name, config_settings[i].help,
                        config_settings[i].def[0] ? config_settings[i].def : "empty");
}

/* Stopping without touching an inherited listening socket.  It is shared: with
 * systemd (socket activation) or spawn-fcgi, the next instance serves the
 * same socket, and connections that arrive meanwhile wait in its backlog.
 * shutdown() on it would refuse them all, for every later instance too.  So
 * the thread blocked in accept() is woken by a signal instead (its handler
 * does nothing; installed without SA_RESTART, accept() fails with EINTR,
 * and libfcgi gives up once FCGX_ShutdownPending was called). */
static pthread_mutex_t accept_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t accepting;
static volatile sig_atomic_t have_accepting;
static unsigned running_workers;

static void wake(int sig)
{
        (void) sig;
}

static void *worker(void *arg)
{
        FCGX_Request rq;
        (void) arg;
        if (FCGX_InitRequest(&rq, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0)
                goto out;
        for (;;) {
                /* libfcgi's accept is not safe to call from many threads at once
                 * on every platform; its own threaded example serialises it */
                pthread_mutex_lock(&accept_lock);
                int r = -1;
                while (!stopping) {
                        accepting = pthread_self();
                        have_accepting = 1;
                        r = FCGX_Accept_r(&rq);
                        have_accepting = 0;
                        /* EINTR (a stray signal) is no reason to stop */
                        if (r >= 0 || stopping)
                                break;
                }
                pthread_mutex_unlock(&accept_lock);
                if (r < 0)
                        break;
                if (listen_is_tcp && !peers_allow_fd(&allowed_peers, rq.ipcFd)) {
                        /* before a byte of the request is read */
                        log_msg(LOG_WARNING_, "refused a FastCGI connection from an address not in web_server_addrs");
                        /* close without an answer (FCGX_Finish_r would send one) */
                        FCGX_Free(&rq, 1);
                        continue;
                }
                server_handle(&service, &rq);   /* finishes the request itself */
        }
        FCGX_Free(&rq, 1);
out:
        __atomic_sub_fetch(&running_workers, 1, __ATOMIC_SEQ_CST);
        return NULL;
}

static int drop_user(const char *name, struct sb_error *err)
{
        struct passwd *pw = getpwnam(name);
        if (!pw)
                return sb_failx(err, ENOENT, "user '%s' does not exist", name);
        if (pw->pw_uid == 0)
                return sb_failx(err, EPERM, "user '%s' is root", name);
        if (setgroups(0, NULL) < 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
            setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0)
                return sb_fail(err, errno, "switch to user '%s'", name);
        return 0;
}

/* Settings: the file first (--config or the default), then every --name
 * value on the command line, which wins.  0, a usage error's exit status
 * (2, message printed), or -1 for --help/--version (done). */
static int read_settings(int argc, char **argv, struct config *c)
{
        struct sb_error err = { 0 };
        const char *config_path = NULL;

        config_defaults(c);
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
                        usage(stdout);
                        return -1;
                }
                if (strcmp(argv[i], "--version") == 0) {
                        printf("sandrun-fcgi %s\n", PACKAGE_VERSION);
                        return -1;
                }
                if (strcmp(argv[i], "--config") == 0) {
                        if (i + 1 >= argc) {
                                fprintf(stderr, "sandrun-fcgi: --config needs a file\n");
                                return 2;
                        }
                        config_path = argv[++i];
                }
        }
        if ((config_path || access(DEFAULT_CONFIG, F_OK) == 0) &&
            config_load_file(c, config_path ? config_path : DEFAULT_CONFIG, &err) < 0) {
                fprintf(stderr, "sandrun-fcgi: %s\n", err.msg);
                return 2;
        }
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--config") == 0) {
                        i++;
                        continue;
                }
                if (strcmp(argv[i], "--nginx-classes") == 0)
                        continue;
                const char *name = argv[i], *value = NULL;
                if (strncmp(name, "--", 2) != 0) {
                        fprintf(stderr, "sandrun-fcgi: unexpected argument '%s' (see --help)\n", name);
                        return 2;
                }
                name += 2;
                char key[64];
                const char *eq = strchr(name, '=');
                size_t kl = eq ? (size_t) (eq - name) : strlen(name);
                if (kl >= sizeof(key)) {
                        fprintf(stderr, "sandrun-fcgi: unknown option '%s'\n", argv[i]);
                        return 2;
                }
                memcpy(key, name, kl);
                key[kl] = 0;
                for (char *p = key; *p; p++)
                        if (*p == '-')
                                *p = '_';
                if (eq)
                        value = eq + 1;
                else if (i + 1 < argc)
                        value = argv[++i];
                else {
                        fprintf(stderr, "sandrun-fcgi: --%s needs a value\n", key);
                        return 2;
                }
                if (config_set(c, key, value, &err) < 0) {
                        fprintf(stderr, "sandrun-fcgi: %s\n", err.msg);
                        return 2;
                }
        }
        if (config_finish(c, &err) < 0) {
                fprintf(stderr, "sandrun-fcgi: %s\n", err.msg);
                return 2;
        }
        for (int i = 1; i < argc; i++)
                if (strcmp(argv[i], "--nginx-classes") == 0) {
                        /* nginx's half of the classes' caps, from the same settings */
                        classes_write_nginx(&c->classes, stdout);
                        return fflush(stdout) == 0 ? -1 : 1;
                }
        return 0;
}

static void log_started(const struct service *s, const char *socket_desc)
{
        const struct config *c = &s->cfg;
        const struct sb_plan *p = &s->policy;
        struct json_object *f = json_object_new_object();
        json_object_object_add(f, "version", json_object_new_string(PACKAGE_VERSION));
        json_object_object_add(f, "mode", json_object_new_string(c->mode));
        json_object_object_add(f, "socket", json_object_new_string(socket_desc));
        json_object_object_add(f, "slots", json_object_new_int64(c->slots));
        json_object_object_add(f, "threads", json_object_new_int64(c->threads));
        json_object_object_add(f, "queue_max", json_object_new_int64(c->queue_max));
        json_object_object_add(f, "max_timeout_s", json_object_new_double(c->max_timeout_s));
        json_object_object_add(f, "max_memory_mb", json_object_new_int64(c->max_memory_mb));
        json_object_object_add(f, "job_uids", json_object_new_int64(c->job_uid_base));
        json_object_object_add(f, "cgroup", json_object_new_string(p->cgroup ? p->cgroup_dir : "none"));
        if (!p->cgroup)
                json_object_object_add(f, "cgroup_why", json_object_new_string(p->cgroup_why));
        else
                json_object_object_add(f, "cgroup_cpu", json_object_new_string(!p->cgroup_cpu      ? "none"
                                                                               : p->cgroup == 2 ? p->cgroup_dir
                                                                                                : p->cgroup_cpu_dir));
        struct json_object *libs = json_object_new_array();
        for (size_t i = 0; i < s->n_libraries; i++)
                json_object_array_add(libs, json_object_new_string(s->libraries[i]));
        json_object_object_add(f, "libraries", libs);
        log_json(LOG_INFO_, "sandrun-fcgi started", f);
}

/* Start the service and switch to the service user: 0, or < 0 logged. */
static int start(struct config *c)
{
        struct sb_error err = { 0 };
        if (getuid() != 0) {
                log_msg(LOG_ERROR_, "sandrun-fcgi cannot start: it must start as root to set up sandboxes "
                                    "(it drops to the 'user' setting afterwards)");
                return -EPERM;
        }
        int r = service_start(&service, true, &err);
        if (r >= 0 && c->user[0])
                r = drop_user(c->user, &err);
        /* our own check (peers.c) covers IPv6 too; libfcgi's must not get in
         * its way with a different idea of the list */
        unsetenv("FCGI_WEB_SERVER_ADDRS");
        if (r >= 0 && FCGX_Init() != 0)
                r = sb_failx(&err, EIO, "FCGX_Init failed");
        if (r < 0) {
                log_msg(LOG_ERROR_, "sandrun-fcgi cannot start: %s", err.msg);
                service_stop(&service);
        }
        return r;
}

/* Wait for a reason to stop: TERM, INT or HUP (0), or the end of the
 * supervisor (-EPIPE).  The supervisor is root and this process may not be
 * any more, so it cannot be started again from here: the front exits
 * non-zero instead, and systemd (Restart=) or dev/run starts the whole
 * service again, while the listening socket, held by systemd or spawn-fcgi,
 * keeps the connections that arrive meanwhile. */
static int wait_for_stop(const sigset_t *stop)
{
        for (;;) {
                int sig = 0, st;
                sigwait(stop, &sig);
                if (sig != SIGCHLD) {
                        log_msg(LOG_INFO_, "sandrun-fcgi stopping on signal %d: finishing jobs in flight", sig);
                        return 0;
                }
                pid_t sup = service.spawner.pid;
                if (sup <= 0 || waitpid(sup, &st, WNOHANG) != sup)
                        continue;
                service.spawner.pid = 0;
                char why[128];
                if (WIFSIGNALED(st))
                        snprintf(why, sizeof(why), "the supervisor (pid %d) was killed by signal %d", (int) sup,
                                 WTERMSIG(st));
                else
                        snprintf(why, sizeof(why), "the supervisor (pid %d) exited with status %d", (int) sup,
                                 WEXITSTATUS(st));
                service_mark_broken(&service, why);
                log_msg(LOG_ERROR_, "sandrun-fcgi stopping: %s; no job can run, so the service must be "
                                    "started again (systemd's Restart= or dev/run do)", why);
                return -EPIPE;
        }
}

/* Stop accepting, and let the requests in flight finish, for at most the
 * drain setting: past it, the spawner is told to stop, which ends the jobs
 * still running, and their requests are answered 503 (retry).  Threads that
 * wait for the accept lock see `stopping` once they have it. */
static void drain(const struct config *c)
{
        stopping = 1;
        FCGX_ShutdownPending();
        /* A socket of our own (the listen setting) has no next instance to
         * wait for: shut it at once, so new connections are refused and nginx
         * takes them to another backend (it may not retry a POST it has
         * already sent).  An inherited one is left alone (see above). */
        if (c->listen[0])
                shutdown(listen_fd, SHUT_RDWR);
        uint64_t deadline = sb_now_ns() + (uint64_t) (c->drain_s * 1e9);
        bool cut = false;
        while (__atomic_load_n(&running_workers, __ATOMIC_SEQ_CST) > 0) {
                if (have_accepting)
                        pthread_kill(accepting, SIGUSR1);
                if (!cut && sb_now_ns() >= deadline) {
                        log_msg(LOG_WARNING_, "sandrun-fcgi: jobs still running after drain_s (%g s): ending them",
                                c->drain_s);
                        if (service.spawner.fd >= 0)
                                shutdown(service.spawner.fd, SHUT_RDWR);
                        cut = true;
                }
                struct timespec tick = { .tv_sec = 0, .tv_nsec = 20000000L };
                nanosleep(&tick, NULL);
        }
}

/* The worker threads serve until wait_for_stop returns; then the jobs in
 * flight finish (each bounded by its own deadline). */
static int serve(const struct config *c, const sigset_t *stop)
{
        pthread_t *threads = calloc(c->threads, sizeof(pthread_t));
        unsigned started = 0;
        running_workers = c->threads;
        for (; threads && started < c->threads; started++)
                if (pthread_create(&threads[started], NULL, worker, NULL) != 0)
                        break;
        __atomic_sub_fetch(&running_workers, c->threads - started, __ATOMIC_SEQ_CST);
        if (started == 0) {
                log_msg(LOG_ERROR_, "sandrun-fcgi cannot start: no worker thread");
                free(threads);
                return -EAGAIN;
        }
        int r = wait_for_stop(stop);
        drain(c);
        for (unsigned i = 0; i < started; i++)
                pthread_join(threads[i], NULL);
        free(threads);
        return r;
}

int main(int argc, char **argv)
{
        struct config *c = &service.cfg;
        struct sb_error err = { 0 };
        int r;

        /* the spawner executes this program again as its zygote (spawner.h) */
        if (argc >= 1 && strcmp(argv[0], SB_ZYGOTE_ARGV0) == 0)
                sb_spawner_zygote_main();
        if ((r = read_settings(argc, argv, c)) != 0)
                return r < 0 ? 0 : r;
        log_set_level(c->log_level);
        /* A request's large buffers (a body, an answer with files) come from
         * mmap and go back to the system when freed: by default glibc raises
         * this threshold after such a free and keeps the next ones in its
         * arenas, so a burst of large answers would stay resident for good. */
        mallopt(M_MMAP_THRESHOLD, 256 * 1024);

        char desc[300];
        int is_tcp = 0;
        if (peers_parse(&allowed_peers, c->web_server_addrs, &err) < 0) {
                fprintf(stderr, "sandrun-fcgi: %s\n", err.msg);
                return 2;
        }
        listen_fd = listen_socket(c, &is_tcp, desc, sizeof(desc), &err);
        if (listen_fd < 0) {
                log_msg(LOG_ERROR_, "sandrun-fcgi cannot start: %s", err.msg);
                return 1;
        }

        /* SIGUSR1 wakes the thread in accept() at the stop (drain): set before
         * FCGX_Init, which would install its own handler */
        struct sigaction wake_sa = { .sa_handler = wake };
        sigemptyset(&wake_sa.sa_mask);
        sigaction(SIGUSR1, &wake_sa, NULL);
        /* Signals: TERM, INT, HUP and CHLD are taken by sigwait in the main
         * thread, so every thread blocks them (the spawner is forked after
         * this and unblocks its own); SIGPIPE from a vanished peer is ignored. */
        signal(SIGPIPE, SIG_IGN);
        sigset_t stop;
        sigemptyset(&stop);
        sigaddset(&stop, SIGTERM);
        sigaddset(&stop, SIGINT);
        sigaddset(&stop, SIGHUP);
        /* the supervisor is our child: its end wakes the main thread too */
        sigaddset(&stop, SIGCHLD);
        pthread_sigmask(SIG_BLOCK, &stop, NULL);

        if (start(c) < 0)
                return 1;
        listen_is_tcp = is_tcp;
        log_started(&service, desc);
        r = serve(c, &stop);
        service_stop(&service);
        if (r < 0)
                return 1;
        if (c->listen[0] == '/')
                unlink(c->listen);
        log_msg(LOG_INFO_, "sandrun-fcgi stopped");
        return 0;
}
