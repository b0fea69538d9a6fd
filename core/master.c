/* Maildock - SPDX-License-Identifier: MIT
 *
 * Supervising the workers: fork, reap, log the cause of a death, release
 * the dead worker's connection slots, restart; pass SIGHUP on and log the
 * reload when every worker has taken it; stop them all on SIGTERM.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "core/connlimit.h"
#include "core/log.h"
#include "core/master.h"
#include "core/shm.h"

#define RELOAD_WAIT_MS 10000	/* workers that answer later get a warning */
#define RESTART_PAUSE_MS 1000	/* a worker that dies this young waits */

struct worker {
	pid_t pid;			/* 0: not running */
	long long started_ms, restart_ms;
};

/* in shared memory: which reload each worker has taken */
struct reloads {
	atomic_uint gen;		/* the master's */
	struct {
		atomic_uint gen;
		atomic_bool ok;
		atomic_bool ready;	/* it serves */
	} w[MASTER_WORKERS_MAX];
};

static struct worker workers[MASTER_WORKERS_MAX];
static unsigned nworkers;
static struct reloads *reloads;
static int self = -1;			/* a worker's index */
static pid_t master_pid;

static long long
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

unsigned
master_worker_count(unsigned setting)
{
	long n = setting;
	if (n == 0) {
		n = sysconf(_SC_NPROCESSORS_ONLN);
		if (n < 2)
			n = 2;
	}
	return n > MASTER_WORKERS_MAX ? MASTER_WORKERS_MAX : (unsigned)n;
}

void
master_worker_reloaded(bool ok)
{
	if (self < 0 || reloads == NULL)
		return;
	atomic_store(&reloads->w[self].ok, ok);
	atomic_store(&reloads->w[self].gen, atomic_load(&reloads->gen));
}

void
master_worker_ready(void)
{
	if (self >= 0 && reloads != NULL)
		atomic_store(&reloads->w[self].ready, true);
}

/* every worker serves (a restarted one counts once it says so again) */
static bool
all_ready(void)
{
	for (unsigned i = 0; i < nworkers; i++)
		if (!atomic_load(&reloads->w[i].ready))
			return false;
	return true;
}

static void
spawn(unsigned i, const struct master_hooks *h)
{
	sigset_t block, old;
	char name[16];

	sigemptyset(&block);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGCHLD);
	/* blocked across fork: a signal for the child must wait for its own
	 * handlers, not run the master's (which write to the master's pipe) */
	sigprocmask(SIG_BLOCK, &block, &old);
	atomic_store(&reloads->w[i].ready, false);
	pid_t pid = fork();
	if (pid == 0) {
		self = (int)i;
		atomic_store(&reloads->w[i].gen, atomic_load(&reloads->gen));
		atomic_store(&reloads->w[i].ok, true);
		/* a master that goes away takes its workers with it, gently */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != master_pid)
			_exit(0);
		snprintf(name, sizeof(name), "maildock-w%u", i);
		prctl(PR_SET_NAME, name);
		exit(h->worker_main(i));
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	workers[i].restart_ms = 0;
	if (pid < 0) {
		log_error("core", "worker %u: fork: %s", i, strerror(errno));
		workers[i].restart_ms = now_ms() + RESTART_PAUSE_MS;
		return;
	}
	workers[i].pid = pid;
	workers[i].started_ms = now_ms();
	log_debug("core", "worker %u started pid=%d", i, (int)pid);
}

static void
describe(int status, char *buf, size_t size)
{
	if (WIFSIGNALED(status)) {
		const char *abbrev = sigabbrev_np(WTERMSIG(status));
		if (abbrev != NULL)
			snprintf(buf, size, "killed by signal SIG%s%s", abbrev,
				 WCOREDUMP(status) ? " (core dumped)" : "");
		else
			snprintf(buf, size, "killed by signal %d",
				 WTERMSIG(status));
	} else {
		snprintf(buf, size, "exited status=%d", WEXITSTATUS(status));
	}
}

/* reap the workers that ended; returns how many still run */
static unsigned
reap(bool stopping)
{
	unsigned running = 0;
	char why[64];

	for (unsigned i = 0; i < nworkers; i++) {
		struct worker *w = &workers[i];
		int status;
		if (w->pid <= 0)
			continue;
		if (waitpid(w->pid, &status, WNOHANG) != w->pid) {
			running++;
			continue;
		}
		/* a killed worker could not release its slots: the master
		 * does, so global counts stay true */
		unsigned held = connlimit_release_pid(w->pid);
		describe(status, why, sizeof(why));
		long long now = now_ms();
		if (stopping) {
			log_debug("core", "worker %u pid=%d %s", i,
				  (int)w->pid, why);
		} else {
			log_error("core", "worker %u pid=%d %s sessions=%u: "
				  "restarting it", i, (int)w->pid, why, held);
			w->restart_ms = now - w->started_ms < RESTART_PAUSE_MS
						? now + RESTART_PAUSE_MS : now;
		}
		w->pid = 0;
	}
	return running;
}

/* the reload is logged once every running worker has taken it */
static bool
reload_done(unsigned gen, long long deadline, const struct master_hooks *h)
{
	unsigned waiting = 0, failed = 0;

	for (unsigned i = 0; i < nworkers; i++) {
		if (workers[i].pid <= 0)
			continue;
		if (atomic_load(&reloads->w[i].gen) != gen)
			waiting++;
		else if (!atomic_load(&reloads->w[i].ok))
			failed++;
	}
	if (waiting > 0 && now_ms() < deadline)
		return false;
	if (waiting + failed > 0)
		log_warn("core", "reload: %u of %u workers did not take the "
			 "new configuration (see their errors)",
			 waiting + failed, nworkers);
	else
		log_info("core", "reload: configuration reloaded workers=%u",
			 nworkers);
	h->reloaded(waiting + failed == 0);
	return true;
}

static void
signal_all(int sig)
{
	for (unsigned i = 0; i < nworkers; i++)
		if (workers[i].pid > 0)
			kill(workers[i].pid, sig);
}

/* SIGTERM to every worker, and wait for them (their sessions end within
 * the shutdown timeout); those still there after it are killed */
static void
stop_all(int sig_fd, unsigned grace)
{
	unsigned char buf[64];
	long long deadline = now_ms() + (grace + 5) * 1000LL;

	signal_all(SIGTERM);
	while (reap(true) > 0) {
		if (now_ms() >= deadline) {
			log_warn("core", "workers still running after %u s: "
				 "killing them", grace + 5);
			signal_all(SIGKILL);
			for (unsigned i = 0; i < nworkers; i++)
				if (workers[i].pid > 0)
					waitpid(workers[i].pid, NULL, 0);
			break;
		}
		struct pollfd p = { sig_fd, POLLIN, 0 };
		if (poll(&p, 1, 100) > 0)
			while (read(sig_fd, buf, sizeof(buf)) > 0)
				;
	}
}

int
master_run(int sig_fd, unsigned n, const struct master_hooks *h)
{
	unsigned gen = 0;
	long long reload_deadline = 0;	/* 0: no reload pending */
	bool ready = false;

	master_pid = getpid();
	nworkers = n;
	if (reloads == NULL)
		reloads = shm_alloc(sizeof(*reloads));
	for (unsigned i = 0; i < n; i++)
		spawn(i, h);
	for (;;) {
		long long now = now_ms(), wake = -1;
		for (unsigned i = 0; i < n; i++) {
			if (workers[i].pid > 0 || workers[i].restart_ms == 0)
				continue;
			if (workers[i].restart_ms <= now)
				spawn(i, h);
			else if (wake < 0 || workers[i].restart_ms < wake)
				wake = workers[i].restart_ms;
		}
		if (!ready && (ready = all_ready()))
			h->started(n);
		else if (!ready && (wake < 0 || wake > now + 20))
			wake = now + 20;	/* look again soon */
		if (reload_deadline != 0) {
			if (reload_done(gen, reload_deadline, h))
				reload_deadline = 0;
			else if (wake < 0 || wake > now + 20)
				wake = now + 20;	/* look again soon */
		}
		struct pollfd p = { sig_fd, POLLIN, 0 };
		int timeout = wake < 0 ? -1 : (int)(wake > now ? wake - now : 0);
		if (poll(&p, 1, timeout) <= 0)
			continue;
		unsigned char sig;
		while (read(sig_fd, &sig, 1) == 1) {
			if (sig == SIGCHLD) {
				reap(false);
			} else if (sig == SIGHUP && h->signal(sig)) {
				gen = atomic_fetch_add(&reloads->gen, 1) + 1;
				signal_all(SIGHUP);
				reload_deadline = now_ms() + RELOAD_WAIT_MS;
			} else if (sig == SIGUSR1 && h->signal(sig)) {
				signal_all(SIGUSR1);
			} else if (sig == SIGTERM || sig == SIGINT) {
				h->signal(sig);
				stop_all(sig_fd, h->shutdown_timeout());
				return 0;
			}
		}
	}
}
