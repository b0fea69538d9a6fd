/* Maildock - SPDX-License-Identifier: MIT
 *
 * maildockd: read the configuration, bind the listeners, load TLS keys and
 * auth modules, drop privileges, then fork the worker processes (see
 * core/master) that accept connections until SIGTERM. SIGHUP reloads the
 * configuration, certificates and auth modules for new connections, in
 * the master and then in each worker; a reload that fails keeps the
 * running configuration. SIGUSR1 reopens log.file (after logrotate moved
 * it), in the master and every worker.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>
#include <openssl/ssl.h>
#include "core/auth.h"
#include "core/auth-sysuser.h"
#include "core/conf.h"
#include "core/auth-throttle.h"
#include "core/conn.h"
#include "core/connlimit.h"
#include "core/control.h"
#include "core/detach.h"
#include "core/error.h"
#include "core/listener.h"
#include "core/log.h"
#include "core/master.h"
#include "core/metrics.h"
#include "core/notify.h"
#include "core/pidfile.h"
#include "core/preflight.h"
#include "core/proxy-protocol.h"
#include "core/proto.h"
#include "core/session-private.h"
#include "core/settings.h"
#include "core/stats.h"
#include "core/tlsconn.h"

#define DEFAULT_CONF SYSCONFDIR "/maildock/maildock.conf"
#define STATS_SLOTS 1024	/* label sets: every command of every protocol */

static int sig_pipe[2] = { -1, -1 };
static int stop_pipe[2] = { -1, -1 };
static const char *conf_path = DEFAULT_CONF;
static bool in_worker;

static void
usage(FILE *out)
{
	fprintf(out,
		"usage: maildockd [-F] [-t] [-n] [-c FILE] [-V] [-h]\n"
		"  -c FILE  configuration file (default %s)\n"
		"  -F       stay in the foreground; log to stderr unless log.file is set\n"
		"  -t       check the configuration and exit\n"
		"  -n       print the effective configuration and exit\n"
		"  -V       print the version and exit\n"
		"  -h       this help\n", DEFAULT_CONF);
}

static void
on_signal(int sig)
{
	unsigned char c = (unsigned char)sig;
	int saved = errno;
	ssize_t r = write(sig_pipe[1], &c, 1);
	(void)r;
	errno = saved;
}

static uintptr_t page_size;

/* SIGBUS: a file this process maps (a message over 256 KiB, the
 * parsed-message cache) was cut short by another program while we read
 * it, and the read went past the new end. Left alone, the signal would
 * end the worker and every session in it. Every file mapping here is
 * read-only, so a page of zeros mapped over the faulting page answers
 * the fault: the reader sees the lost tail as zeros (a FETCH literal
 * already announced keeps its length) and the process lives. Any other
 * SIGBUS is a crash, reported as before. */
static void
on_sigbus(int sig, siginfo_t *si, void *uctx)
{
	(void)uctx;
	if (si->si_code == BUS_ADRERR && page_size != 0) {
		void *page = (void *)((uintptr_t)si->si_addr & ~(page_size - 1));
		if (mmap(page, page_size, PROT_READ,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) !=
		    MAP_FAILED)
			return;
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
apply_log_level(const struct conf *conf)
{
	enum log_level lvl;
	if (log_level_parse(session_core_settings(conf)->log_level, &lvl) == 0)
		log_set_level(lvl);
}

/* Load and check everything a configuration needs; on success the new
 * generation and TLS context become current. */
static int
load(bool starting, char **error_r)
{
	struct conf *conf;
	struct tlsconn_ctx *tls;
	int r = conf_load(conf_path, &conf, error_r);
	if (r < 0)
		return r;
	char bad[64];
	if (proxy_protocol_check_networks(session_core_settings(conf)->
					  proxy_trusted_networks, bad,
					  sizeof(bad)) < 0) {
		*error_r = conf_errorf(conf, "proxy.trusted_networks",
				       "\"%s\" is not an address or "
				       "address/prefix", bad);
		conf_unref(&conf);
		return -ERR_INVAL;
	}
	r = tlsconn_ctx_new(conf, &tls, error_r);
	if (r == -ERR_PERM && !starting) {
		/* Keys are usually readable by root only, and we no longer
		 * are: keep serving the loaded certificates and apply the rest.
		 * Renewing a certificate then needs a restart, or a key that
		 * server.user may read. */
		log_warn("core", "reload: keeping the loaded certificates: %s",
			 *error_r);
		free(*error_r);
		*error_r = NULL;
		tls = tlsconn_current();
		r = 0;
	}
	if (r == 0)
		r = auth_init(conf, error_r);
	if (r < 0) {
		tlsconn_ctx_unref(&tls);
		conf_unref(&conf);
		return r;
	}
	if (!starting && !in_worker) {
		const char *keys[] = { "server.user", "server.group",
				       "server.pid_file", "log.file",
				       "server.workers" };
		struct conf *old = conf_current();
		for (size_t i = 0; i < N_ELEMENTS(keys); i++)
			if (strcmp(conf_value(old, keys[i]),
				   conf_value(conf, keys[i])) != 0)
				log_warn("core", "reload: %s changes only at restart",
					 keys[i]);
		conf_unref(&old);
		if (session_core_settings(conf)->max_connections >
		    connlimit_capacity())
			log_warn("core", "reload: limits.max_connections above "
				 "%u takes effect at restart",
				 connlimit_capacity());
	}
	apply_log_level(conf);
	tlsconn_current_set(tls);
	conf_current_set(conf);
	return 0;
}

static int
drop_privileges(const struct conf *conf, const struct core_settings *set,
		char **error_r)
{
	char buf[4096];
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp = NULL;

	if (set->server_user[0] == '\0')
		return 0;
	if (getpwnam_r(set->server_user, &pw, buf, sizeof(buf), &pwp) != 0 ||
	    pwp == NULL) {
		*error_r = conf_errorf(conf, "server.user", "no such user");
		return -ERR_NOTFOUND;
	}
	if (geteuid() != 0) {
		if (geteuid() == pw.pw_uid)
			return 0;
		*error_r = conf_errorf(conf, "server.user",
				       "only root can change user");
		return -ERR_PERM;
	}
	gid_t gid = pw.pw_gid;
	if (set->server_group[0] != '\0') {
		char gbuf[4096];
		if (getgrnam_r(set->server_group, &gr, gbuf, sizeof(gbuf),
			       &grp) != 0 || grp == NULL) {
			*error_r = conf_errorf(conf, "server.group",
					       "no such group");
			return -ERR_NOTFOUND;
		}
		gid = gr.gr_gid;
	}
	if (initgroups(pw.pw_name, gid) < 0 || setgid(gid) < 0 ||
	    setuid(pw.pw_uid) < 0) {
		*error_r = xstrdup("cannot drop privileges");
		return -ERR_PERM;
	}
	if (setuid(0) == 0 || seteuid(0) == 0) {
		*error_r = xstrdup("root privileges could be regained");
		return -ERR_PERM;
	}
	log_info("core", "running as user=%s uid=%u gid=%u", pw.pw_name,
		 (unsigned)pw.pw_uid, (unsigned)gid);
	return 0;
}

/* every worker of the first start serves (master_hooks.started): what
 * tests, systemd and the shell that started us wait for */
static void
master_started(unsigned workers)
{
	log_info("core", "started version=%s listeners=%zu workers=%u",
		 PACKAGE_VERSION, listener_count(), workers);
	notify_ready();
	detach_ready();
}

/* SIGHUP, SIGUSR1, SIGTERM and SIGINT in the master, before they are
 * passed on to the workers (a reload only when it took here) */
static bool
master_signal(int sig)
{
	char *error = NULL;

	if (sig == SIGUSR1) {
		if (log_reopen(&error) < 0) {
			log_error("core", "cannot reopen log.file: %s", error);
			free(error);
		}
		return true;
	}
	if (sig != SIGHUP) {
		notify_stopping();
		return true;
	}
	notify_reloading();
	if (load(false, &error) == 0) {
		log_debug("core", "reload: read %s", conf_path);
		return true;
	}
	log_error("core", "reload failed, keeping the running configuration: "
		  "%s", error);
	free(error);
	notify_reloaded(false);
	return false;
}

/* the signal pipe in a worker: SIGHUP (from the master) reloads */
static bool
on_wake(void)
{
	unsigned char sig;
	char *error = NULL;

	while (read(sig_pipe[0], &sig, 1) == 1) {
		if (sig == SIGUSR1) {
			if (log_reopen(&error) < 0) {
				log_error("core", "cannot reopen log.file: %s",
					  error);
				free(error);
				error = NULL;
			}
		} else if (sig == SIGHUP) {
			int r = load(false, &error);
			if (r < 0) {
				log_error("core", "reload failed in this worker, "
					  "keeping its configuration: %s", error);
				free(error);
				error = NULL;
			}
			master_worker_reloaded(r == 0);
		} else if (sig == SIGTERM || sig == SIGINT) {
			return false;
		}
	}
	return true;
}

/* Signals become bytes on sig_pipe, read by the master's loop or a
 * worker's accept loop; a forked worker calls this again for pipes of its
 * own (it must not read the master's) and leaves SIGCHLD alone. */
static void
setup_signals(void)
{
	struct sigaction sa = { 0 }, bus = { 0 };
	sigset_t set;

	for (int i = 0; i < 2; i++) {
		if (sig_pipe[i] >= 0)
			close(sig_pipe[i]);
		if (stop_pipe[i] >= 0)
			close(stop_pipe[i]);
	}
	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0 ||
	    pipe2(stop_pipe, O_CLOEXEC) < 0) {
		log_error("core", "pipe: %s", strerror(errno));
		exit(1);
	}
	conn_set_shutdown_fd(stop_pipe[0]);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	page_size = (uintptr_t)sysconf(_SC_PAGESIZE);
	bus.sa_sigaction = on_sigbus;
	sigemptyset(&bus.sa_mask);
	bus.sa_flags = SA_SIGINFO;
	sigaction(SIGBUS, &bus, NULL);
	if (in_worker)
		signal(SIGCHLD, SIG_DFL);
	else
		sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

/* The sink chosen by the configuration: log.file, else syslog (stderr with
 * -F). Syslog without /dev/log loses every line silently: say so while
 * stderr still reaches the admin. */
static int
open_log_sink(bool foreground, char **error_r)
{
	struct conf *conf = conf_current();
	const char *path = session_core_settings(conf)->log_file;
	int r = 0;

	if (path[0] != '\0') {
		char *e = NULL;
		if ((r = log_open_file(path, &e)) < 0) {
			*error_r = conf_errorf(conf, "log.file", "%s", e);
			free(e);
		}
	} else if (!foreground && log_syslog_missing()) {
		fprintf(stderr, "maildockd: warning: /dev/log does not exist: "
			"syslog lines will be lost (no syslog daemon?); set "
			"log.file, or run with -F to log to stderr\n");
	}
	conf_unref(&conf);
	return r;
}

/* After detach_start(): the pid is final. Before the privilege drop: the
 * pidfile's directory is usually root's. */
static int
write_pidfile(char **error_r)
{
	struct conf *conf = conf_current();
	const char *path = session_core_settings(conf)->pid_file;
	int r = 0;

	if (path[0] != '\0') {
		char *e = NULL;
		if ((r = pidfile_create(path, &e)) < 0) {
			*error_r = conf_errorf(conf, "server.pid_file", "%s", e);
			free(e);
		}
	}
	conf_unref(&conf);
	return r;
}

/* maildockd -t: what start-up checks later than load(), short of binding
 * and dropping privileges. */
static int
check_startup(char **error_r)
{
	struct conf *conf = conf_current();
	int r = preflight_run(conf, error_r);
	conf_unref(&conf);
	return r;
}

static unsigned
shutdown_grace(void)
{
	struct conf *conf = conf_current();
	unsigned grace = session_core_settings(conf)->shutdown_timeout;
	conf_unref(&conf);
	return grace;
}

/* a worker process: today's thread-per-connection server */
static int
worker_main(unsigned index)
{
	char *error = NULL;
	struct conf *conf = conf_current();

	in_worker = true;
	detach_forget();
	setup_signals();
	stats_process_register();
	/* the sessions are here: this worker's own control socket lists and
	 * kicks them (maildock-admin asks every process's socket) */
	if (control_bind(conf, &error) < 0 || control_start(&error) < 0) {
		log_warn("core", "worker %u: no control socket: %s", index,
			 error);
		free(error);
		error = NULL;
	}
	if (index == 0 && metrics_start(&error) < 0) {
		log_error("core", "worker 0: metrics: %s", error);
		free(error);
	}
	conf_unref(&conf);
	master_worker_ready();
	listener_run(sig_pipe[0], on_wake);

	log_debug("core", "worker %u stopping sessions=%u", index,
		  listener_active());
	unsigned grace = shutdown_grace();
	listener_close_all();
	session_set_stopping();
	ssize_t w = write(stop_pipe[1], "x", 1);
	(void)w;
	if (!listener_wait_idle(grace))
		log_warn("core", "worker %u stopped with %u sessions still open",
			 index, listener_active());
	auth_deinit();
	tlsconn_current_set(NULL);
	conf_current_set(NULL);
	return 0;
}

static int
serve(void)
{
	char *error = NULL;
	struct conf *conf = conf_current();
	const struct core_settings *set = session_core_settings(conf);
	static const struct master_hooks hooks = {
		worker_main, master_started, master_signal, notify_reloaded,
		shutdown_grace };

	/* System-users mode keeps CAP_SETUID/CAP_SETGID so that each session
	 * thread can become its user; otherwise every privilege goes. */
	listener_fit_descriptors(set->max_connections);
	int r = listener_bind_all(conf, &error);
	/* the master runs no thread: it forks workers (also to replace one
	 * that died), and a fork copies a lock another thread holds at that
	 * instant into the child, held for ever (under the sanitizers a worker
	 * hung in the allocator's lock, or ThreadSanitizer refused it). Worker
	 * 0 serves the metrics socket bound here; each worker has its own
	 * control socket. */
	if (r == 0)
		r = metrics_bind(conf, &error);
	if (r == 0)
		r = auth_system_users(conf)
			    ? auth_sysuser_restrict(set->server_user, &error)
			    : drop_privileges(conf, set, &error);
	if (r < 0) {
		log_error("core", "%s", error);
		detach_fail(error);
		free(error);
		conf_unref(&conf);
		return 1;
	}
	if (listener_count() == 0)
		log_warn("core", "no listeners configured");
	/* what the workers share: made before they are forked */
	connlimit_init(set->max_connections);
	auth_throttle_init();
	conf_unref(&conf);
	master_run(sig_pipe[0], master_worker_count(set->workers), &hooks);

	listener_close_all();
	auth_deinit();
	tlsconn_current_set(NULL);
	conf_current_set(NULL);
	log_info("core", "stopped");
	return 0;
}

int
main(int argc, char **argv)
{
	bool foreground = false, check = false, dump = false;
	char *error = NULL;
	int opt;

	while ((opt = getopt(argc, argv, "c:FtnVh")) != -1) {
		switch (opt) {
		case 'c': conf_path = optarg; break;
		case 'F': foreground = true; break;
		case 't': check = true; break;
		case 'n': dump = true; break;
		case 'V': printf("maildockd %s\n", PACKAGE_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	log_open(foreground || check || dump, "maildockd");
	settings_register_all(protocols, protocols_conf_tables);
	if (dump) {
		struct conf *conf;
		if (conf_load(conf_path, &conf, &error) < 0) {
			fprintf(stderr, "maildockd: %s\n", error);
			return 1;
		}
		conf_dump(conf, stdout);
		conf_unref(&conf);
		return 0;
	}
	setup_signals();
	/* the shared counters exist before any process is forked */
	if (!check && stats_init(STATS_SLOTS, &error) < 0) {
		fprintf(stderr, "maildockd: %s\n", error);
		free(error);
		return 1;
	}
	if (load(true, &error) < 0) {
		if (check || foreground)
			fprintf(stderr, "maildockd: %s\n", error);
		else
			log_error("core", "%s", error);
		free(error);
		return 1;
	}
	if (check && check_startup(&error) < 0) {
		fprintf(stderr, "maildockd: %s\n", error);
		free(error);
		auth_deinit();
		return 1;
	}
	if (check) {
		printf("maildockd: configuration %s is valid\n", conf_path);
		auth_deinit();
		return 0;
	}
	if (open_log_sink(foreground, &error) < 0) {
		fprintf(stderr, "maildockd: %s\n", error);
		free(error);
		return 1;
	}
	if (!foreground && detach_start(&error) < 0) {
		fprintf(stderr, "maildockd: %s\n", error);
		free(error);
		return 1;
	}
	if (write_pidfile(&error) < 0) {
		log_error("core", "%s", error);
		if (foreground)
			fprintf(stderr, "maildockd: %s\n", error);
		detach_fail(error);
		free(error);
		return 1;
	}
	int r = serve();
	pidfile_remove();
	return r;
}
