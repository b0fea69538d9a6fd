/* Maildock - SPDX-License-Identifier: MIT
 *
 * The master process (DESIGN "Processes and threads"): it forks
 * server.workers worker processes that share the listening sockets,
 * restarts one that dies at once and logs why, passes a reload on, and
 * stops them all on SIGTERM. A fault in one session then ends only the
 * sessions of its own worker.
 */
#ifndef CORE_MASTER_H
#define CORE_MASTER_H

#include "core/compat.h"

#define MASTER_WORKERS_MAX 64

struct master_hooks {
	/* the worker's whole life, in the forked child, which it leaves
	 * with the returned exit status. It starts with SIGHUP, SIGUSR1,
	 * SIGTERM, SIGINT and SIGCHLD blocked: it sets up its own handling,
	 * then unblocks them. */
	int (*worker_main)(unsigned index);
	/* called once, in the master, when every worker of the first start
	 * has said master_worker_ready: from then on every worker exists,
	 * has its control socket and serves the bound listeners (what
	 * "started" in the log and READY=1 to systemd must mean) */
	void (*started)(unsigned workers);
	/* the master's own handling of SIGHUP (reload), SIGUSR1 (reopen the
	 * log), SIGTERM and SIGINT (stop); for SIGHUP and SIGUSR1, true
	 * passes the signal on to the workers (a reload that failed here is
	 * not); SIGTERM and SIGINT are always passed on */
	bool (*signal)(int sig);
	/* a reload passed on was taken by every worker (ok), or not by all
	 * within 10 s */
	void (*reloaded)(bool ok);
	/* seconds SIGTERM lets the workers' sessions end, at most */
	unsigned (*shutdown_timeout)(void);
};

/* master_worker_count: the number of workers for the setting
 * server.workers: itself, or for 0 one per online CPU, at least 2; at
 * most MASTER_WORKERS_MAX. */
unsigned master_worker_count(unsigned setting);

/* master_run: fork n workers and supervise them until SIGTERM or SIGINT;
 * sig_fd is the pipe the signal handlers write the signal number to
 * (SIGHUP, SIGUSR1, SIGTERM, SIGINT and SIGCHLD must be handled). A
 * worker that dies is restarted at once (after 1 s if it lived less than
 * that), and its connection slots are released (core/connlimit). Returns 0 once
 * every worker has ended; workers still running shutdown_timeout + 5 s
 * after SIGTERM are killed. Single-threaded master only. */
int master_run(int sig_fd, unsigned n, const struct master_hooks *h);

/* master_worker_reloaded: in a worker, after the reload a SIGHUP from the
 * master asked for; ok says whether it took. The master logs the reload
 * once every worker has answered. Async-signal-unsafe; thread-safe. */
void master_worker_reloaded(bool ok);

/* master_worker_ready: in a worker, when it serves (its control socket
 * made, about to accept). The master calls hooks->started once every worker
 * of the first start has said so. Thread-safe. */
void master_worker_ready(void);

#endif
