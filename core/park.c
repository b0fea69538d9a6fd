/* Maildock - SPDX-License-Identifier: MIT
 *
 * The per-process poller of parked sessions (see park.h): one epoll
 * instance and one thread that waits on it, checks deadlines once a
 * second, and queues woken sessions for a pool of resume threads that it
 * creates on demand and that end after a while without work.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include "core/conn.h"
#include "core/error.h"
#include "core/park.h"
#include "core/session-private.h"

#define PARK_SCAN_MS 1000	/* deadline and shutdown check interval */
#define PARK_BURST 16		/* resume threads started without delay */
#define PARK_SPAWN_MS 50	/* past that, one more per wait this long
				   (busy threads may be blocked on a slow
				   client; on a loaded machine more threads
				   only share the same cores) */
#define PARK_WORKER_IDLE_S 10	/* a resume thread without work ends */
#define PARK_IDLE_KEEP 4	/* idle resume threads kept after a burst */
#define PARK_EVENTS 256
#define PARK_POLLER_STACK (128u * 1024)

enum { PS_RUNNING, PS_PARKED, PS_QUEUED, PS_DEAD };

/* The lock orders after the storage locks (park_wake is called under
 * them) and before nothing: nothing is called with it held but epoll_ctl,
 * pthread_create and free. */
static pthread_mutex_t park_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t park_cond = PTHREAD_COND_INITIALIZER;
static pid_t park_pid;		/* a forked child starts its own poller */
static int epfd = -1, evfd = -1;
static struct session *parked;	/* list of PS_PARKED, for deadlines */
static struct session *q_head, *q_tail;	/* PS_QUEUED, oldest first */
static struct session *grave;	/* ended, freed after the next batch */
static long long q_since;	/* when the queue's head was queued */
static unsigned q_len, idle_workers, busy_workers, starting;
static size_t worker_stack;

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
unlink_parked(struct session *s)
{
	if (s->park.prev != NULL)
		s->park.prev->park.next = s->park.next;
	else
		parked = s->park.next;
	if (s->park.next != NULL)
		s->park.next->park.prev = s->park.prev;
	s->park.prev = s->park.next = NULL;
}

/* wake_locked: hand a parked s to the resume threads; remember a change
 * of a running one */
static void
wake_locked(struct session *s, int why)
{
	if (s->park.state == PS_RUNNING && why == PARK_WAKE_CHANGE) {
		s->park.pending = true;
		return;
	}
	if (s->park.state != PS_PARKED)
		return;
	unlink_parked(s);
	s->park.state = PS_QUEUED;
	s->park.why = why;
	s->park.next = NULL;
	if (q_tail != NULL)
		q_tail->park.next = s;
	else {
		q_head = s;
		q_since = now_ms();
	}
	q_tail = s;
	q_len++;
	if (idle_workers > 0)
		pthread_cond_signal(&park_cond);
	/* a signalled thread counts as idle until it runs: more sessions
	 * queued than that, and the poller starts more threads */
	if (q_len > idle_workers && evfd >= 0) {
		uint64_t one = 1;
		if (write(evfd, &one, sizeof(one)) < 0) {
			/* counter full: the poller is woken already */
		}
	}
}

void
park_wake(struct session *s)
{
	pthread_mutex_lock(&park_lock);
	wake_locked(s, PARK_WAKE_CHANGE);
	pthread_mutex_unlock(&park_lock);
}

void
park_request(struct session *s, unsigned timeout_ms)
{
	s->park.requested = true;
	s->park.timeout_ms = timeout_ms;
}

static void *
worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&park_lock);
	starting--;
	for (;;) {
		struct session *s;
		while (q_head == NULL) {
			struct timespec ts;
			/* a condition variable wakes its waiters in turn: the
			 * surplus of a burst would never sit out the timeout */
			if (idle_workers >= PARK_IDLE_KEEP)
				goto out;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += PARK_WORKER_IDLE_S;
			idle_workers++;
			int r = pthread_cond_timedwait(&park_cond, &park_lock,
						       &ts);
			idle_workers--;
			if (r == ETIMEDOUT && q_head == NULL)
				goto out;
		}
		s = q_head;
		if ((q_head = s->park.next) == NULL)
			q_tail = NULL;
		q_since = now_ms();
		q_len--;
		s->park.next = NULL;
		s->park.state = PS_RUNNING;
		s->park.pending = false;
		busy_workers++;
		pthread_mutex_unlock(&park_lock);
		bool reusable = session_resume(s, s->park.why);
		pthread_mutex_lock(&park_lock);
		busy_workers--;
		if (!reusable)
			break;	/* it took a user's identity for good */
	}
out:
	pthread_mutex_unlock(&park_lock);
	OPENSSL_thread_stop();
	return NULL;
}

/* spawn_locked: start resume threads for queued sessions: up to
 * PARK_BURST busy at once right away (a delivery to a folder many idle
 * on), past that one more each PARK_SPAWN_MS the queue does not move
 * (busy threads may be sessions that went on after IDLE) */
static void
spawn_locked(void)
{
	pthread_attr_t attr;
	pthread_t t;

	if (q_len <= idle_workers + starting)
		return;
	bool stuck = now_ms() - q_since >= PARK_SPAWN_MS;
	if (busy_workers + starting >= PARK_BURST && !stuck)
		return;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, worker_stack);
	while (q_len > idle_workers + starting &&
	       (busy_workers + starting < PARK_BURST || stuck)) {
		if (pthread_create(&t, &attr, worker, NULL) != 0)
			break;	/* the next pass tries again */
		starting++;
		stuck = false;
	}
	pthread_attr_destroy(&attr);
}

static void
scan_locked(long long now)
{
	struct session *s, *next;
	bool stop = session_stopping();

	for (s = parked; s != NULL; s = next) {
		next = s->park.next;
		if (stop)
			wake_locked(s, PARK_WAKE_SHUTDOWN);
		else if (s->park.deadline <= now)
			wake_locked(s, PARK_WAKE_TIMEOUT);
	}
}

static void *
poller(void *arg)
{
	struct epoll_event ev[PARK_EVENTS];
	long long next_scan = 0;
	int ms = PARK_SCAN_MS;

	(void)arg;
	for (;;) {
		int n = epoll_wait(epfd, ev, PARK_EVENTS, ms);
		long long now = now_ms();
		uint64_t drain;

		pthread_mutex_lock(&park_lock);
		for (int i = 0; i < n; i++) {
			if (ev[i].data.ptr == NULL) {
				if (read(evfd, &drain, sizeof(drain)) < 0) {
					/* drained by an earlier event */
				}
				continue;
			}
			wake_locked(ev[i].data.ptr, PARK_WAKE_INPUT);
		}
		if (now >= next_scan) {
			scan_locked(now);
			next_scan = now + PARK_SCAN_MS;
		}
		spawn_locked();
		/* no event of this batch names them any more, and later
		 * batches cannot: they left the epoll set before */
		while (grave != NULL) {
			struct session *s = grave;
			grave = s->park.next;
			free(s);
		}
		ms = q_head != NULL ? PARK_SPAWN_MS : PARK_SCAN_MS;
		pthread_mutex_unlock(&park_lock);
	}
	return NULL;
}

void
park_start(size_t stack_size)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	pthread_attr_t attr;
	pthread_t t;

	pthread_mutex_lock(&park_lock);
	worker_stack = stack_size;
	if (park_pid == getpid()) {
		pthread_mutex_unlock(&park_lock);
		return;
	}
	park_pid = getpid();
	parked = q_head = q_tail = grave = NULL;
	q_len = idle_workers = busy_workers = starting = 0;
	epfd = epoll_create1(EPOLL_CLOEXEC);
	evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (epfd >= 0 && evfd >= 0 &&
	    epoll_ctl(epfd, EPOLL_CTL_ADD, evfd, &ev) == 0) {
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&attr, PARK_POLLER_STACK);
		if (pthread_create(&t, &attr, poller, NULL) == 0) {
			pthread_attr_destroy(&attr);
			pthread_mutex_unlock(&park_lock);
			return;
		}
		pthread_attr_destroy(&attr);
	}
	log_error("core", "cannot start the poller of parked sessions; "
		  "they keep their threads");
	if (epfd >= 0)
		close(epfd);
	if (evfd >= 0)
		close(evfd);
	epfd = evfd = -1;
	pthread_mutex_unlock(&park_lock);
}

int
park_enter(struct session *s)
{
	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT,
		.data.ptr = s,
	};
	int r;

	if (session_stopping())
		return PARK_WAKE_SHUTDOWN;
	/* never park with input that epoll cannot see: bytes in the conn's
	 * buffer or a TLS record inside OpenSSL */
	if (conn_input_pending(s->conn))
		return PARK_WAKE_INPUT;
	pthread_mutex_lock(&park_lock);
	if (s->park.pending || epfd < 0) {
		/* a change since the last sync; or no poller: wait here */
		bool pending = s->park.pending;
		s->park.pending = false;
		pthread_mutex_unlock(&park_lock);
		if (pending)
			return PARK_WAKE_CHANGE;
		r = conn_wait(s->conn, -1, (int)s->park.timeout_ms);
		return r == 0 ? PARK_WAKE_TIMEOUT : r == -ERR_SHUTDOWN ?
		       PARK_WAKE_SHUTDOWN : PARK_WAKE_INPUT;
	}
	r = epoll_ctl(epfd, s->park.in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD,
		      conn_fd(s->conn), &ev);
	if (r < 0) {
		pthread_mutex_unlock(&park_lock);
		/* cannot watch the socket: let the session find out why */
		return PARK_WAKE_INPUT;
	}
	conn_shrink(s->conn);	/* before the poller may hand s on */
	s->park.in_epoll = true;
	s->park.state = PS_PARKED;
	s->park.deadline = now_ms() + s->park.timeout_ms;
	s->park.prev = NULL;
	s->park.next = parked;
	if (parked != NULL)
		parked->park.prev = s;
	parked = s;
	pthread_mutex_unlock(&park_lock);
	return 0;
}

void
park_free(struct session *s)
{
	pthread_mutex_lock(&park_lock);
	s->park.state = PS_DEAD;
	if (!s->park.in_epoll) {
		pthread_mutex_unlock(&park_lock);
		free(s);
		return;
	}
	/* the poller may hold an event naming s from before the DEL */
	s->park.next = grave;
	grave = s;
	pthread_mutex_unlock(&park_lock);
}

void
park_forget(struct session *s)
{
	pthread_mutex_lock(&park_lock);
	if (s->park.in_epoll)
		epoll_ctl(epfd, EPOLL_CTL_DEL, conn_fd(s->conn), NULL);
	pthread_mutex_unlock(&park_lock);
}
