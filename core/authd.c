/* Maildock - SPDX-License-Identifier: MIT
 *
 * The privileged helper. One request per SOCK_SEQPACKET message, answered
 * by one response; the helper is single-threaded and trusts nothing in a
 * request: sizes, the module index, the operation and NUL-free strings
 * are checked before a module sees them. Passwords are wiped after use.
 * The helpers serve every worker process: a helper's socket is taken
 * under a robust mutex in shared memory, and each answer carries the id
 * of its request, so an answer that a dead or timed-out caller left
 * behind is recognised and dropped, never handed to the next caller.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "core/auth-password.h"
#include "core/authd.h"
#include "core/error.h"
#include "core/log.h"
#include "core/shm.h"

#define AUTHD_MAGIC 0x4d444175u	/* "uADM" */
#define AUTHD_OP_VERIFY 1u
#define AUTHD_OP_LOOKUP 2u
#define AUTHD_USER_MAX 512
#define AUTHD_MODS_MAX 16
#define AUTHD_TIMEOUT_MS 30000
#define AUTHD_NSTR 6
#define AUTHD_NULL UINT32_MAX

struct authd_req {
	uint32_t magic, id, op, index, user_len, pass_len;
};

struct authd_resp {
	uint32_t magic, id;		/* id: that of the request */
	int32_t result;
	uint32_t uid, gid;
	uint32_t len[AUTHD_NSTR];	/* AUTHD_NULL: unset */
};

#define REQ_MAX (sizeof(struct authd_req) + AUTHD_USER_MAX + AUTH_PASSWORD_MAX)
#define RESP_MAX (sizeof(struct authd_resp) + AUTHMOD_USER_BUF)

/* Several identical helper processes, so that one slow answer (a PAM
 * failure delay, a slow NSS) does not hold up every other login. */
#define AUTHD_WORKERS 4

/* shared by the daemon's worker processes, one per helper */
struct worker_shared {
	pthread_mutex_t lock;	/* one request at a time on the socket */
	uint32_t next_id;
};

struct worker {
	int sock;		/* this process's copy; -1: given up on */
	pid_t pid;
	struct worker_shared *sh;
};

static struct worker workers[AUTHD_WORKERS] = {
	[0 ... AUTHD_WORKERS - 1] = { -1, -1, NULL } };
static unsigned nworkers;
static pid_t owner;		/* the process that forked the helpers */
static atomic_uint next_worker;
static char *helper_names[AUTHD_MODS_MAX];
static unsigned helper_count;

bool
authd_running(void)
{
	return nworkers > 0;
}

int
authd_find(const char *name)
{
	for (unsigned i = 0; i < helper_count; i++)
		if (strcmp(helper_names[i], name) == 0)
			return (int)i;
	return -1;
}

/* ---- the helper side ---- */

static const char **
resp_fields(struct authmod_user *u, const char **f)
{
	f[0] = u->user;
	f[1] = u->home;
	f[2] = u->mail;
	f[3] = u->quota;
	f[4] = u->options;
	f[5] = u->proxy_host;
	return f;
}

static size_t
build_resp(uint32_t id, int result, struct authmod_user *u,
	   unsigned char *out)
{
	struct authd_resp r = { .magic = AUTHD_MAGIC, .id = id,
				.result = result };
	const char *f[AUTHD_NSTR];
	size_t off = sizeof(r);

	r.uid = (uint32_t)u->uid;
	r.gid = (uint32_t)u->gid;
	resp_fields(u, f);
	for (int i = 0; i < AUTHD_NSTR; i++) {
		size_t n = f[i] && result == AUTHMOD_OK ?
			   strnlen(f[i], AUTHMOD_USER_BUF) : 0;
		if (result != AUTHMOD_OK || f[i] == NULL ||
		    off + n > RESP_MAX) {
			r.len[i] = AUTHD_NULL;
			continue;
		}
		memcpy(out + off, f[i], n);
		off += n;
		r.len[i] = (uint32_t)n;
	}
	memcpy(out, &r, sizeof(r));
	return off;
}

static int
serve_one(struct auth_module **mods, unsigned char *req, size_t n,
	  unsigned char *out, size_t *out_len)
{
	struct authd_req q;
	struct authmod_user *u = xcalloc(1, sizeof(*u));
	char user[AUTHD_USER_MAX + 1], *pass = NULL;
	int result;

	memcpy(&q, req, sizeof(q));
	if (q.magic != AUTHD_MAGIC || q.index >= helper_count ||
	    (q.op != AUTHD_OP_VERIFY && q.op != AUTHD_OP_LOOKUP) ||
	    q.user_len == 0 || q.user_len > AUTHD_USER_MAX ||
	    q.pass_len > AUTH_PASSWORD_MAX ||
	    (q.op == AUTHD_OP_LOOKUP && q.pass_len != 0) ||
	    n != sizeof(q) + q.user_len + q.pass_len ||
	    memchr(req + sizeof(q), '\0', q.user_len + q.pass_len) != NULL) {
		free(u);
		return -1;
	}
	memcpy(user, req + sizeof(q), q.user_len);
	user[q.user_len] = '\0';
	u->uid = (uid_t)-1;
	u->gid = (gid_t)-1;
	struct auth_module *m = mods[q.index];
	if (q.op == AUTHD_OP_VERIFY) {
		pass = xmalloc(q.pass_len + 1);
		memcpy(pass, req + sizeof(q) + q.user_len, q.pass_len);
		pass[q.pass_len] = '\0';
		result = m->mod->verify(m->state, user, pass, u);
		explicit_bzero(pass, q.pass_len);
		free(pass);
	} else {
		result = m->mod->lookup(m->state, user, u);
	}
	if (result > AUTHMOD_OK || result < AUTHMOD_ERROR)
		result = AUTHMOD_ERROR;
	*out_len = build_resp(q.id, result, u, out);
	free(u);
	return 0;
}

static ATTR_NORETURN void
helper_main(int fd, struct auth_module **mods)
{
	unsigned char *req = xmalloc(REQ_MAX + 1), *out = xmalloc(RESP_MAX);
	sigset_t all;

	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGUSR1, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, SIG_DFL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	prctl(PR_SET_NAME, "maildock-authd");
	for (;;) {
		ssize_t n = recv(fd, req, REQ_MAX + 1, 0);
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		size_t len = 0;
		if ((size_t)n < sizeof(struct authd_req) ||
		    (size_t)n > REQ_MAX ||
		    serve_one(mods, req, (size_t)n, out, &len) < 0) {
			log_error("authd", "malformed request refused");
			explicit_bzero(req, REQ_MAX + 1);
			break;	/* the parent is confused or compromised */
		}
		explicit_bzero(req, REQ_MAX + 1);
		if (send(fd, out, len, MSG_NOSIGNAL) < 0)
			break;
	}
	_exit(0);
}

static int
fork_worker(struct worker *w, struct auth_module **hm)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		if (dup2(sv[1], 3) < 0)
			_exit(1);
		close_range(4, ~0U, 0);
		helper_main(3, hm);
	}
	close(sv[1]);
	w->sock = sv[0];
	w->pid = pid;
	w->sh = shm_alloc(sizeof(*w->sh));
	shm_mutex_init(&w->sh->lock);
	return 0;
}

int
authd_start(struct auth_module *mods, size_t count, char **error_r)
{
	static struct auth_module *hm[AUTHD_MODS_MAX];
	unsigned n = 0;

	if (nworkers > 0 || geteuid() != 0)
		return 0;
	for (size_t i = 0; i < count && n < AUTHD_MODS_MAX; i++)
		if (mods[i].mod->flags & AUTHMOD_NEEDS_ROOT)
			hm[n++] = &mods[i];
	if (n == 0)
		return 0;
	helper_count = n;
	owner = getpid();
	for (unsigned i = 0; i < AUTHD_WORKERS; i++) {
		if (fork_worker(&workers[i], hm) < 0) {
			*error_r = xstrdup("authd: cannot start the privileged "
					   "helper (socketpair or fork failed)");
			authd_stop();
			return -ERR_IO;
		}
		nworkers++;
	}
	for (unsigned i = 0; i < n; i++) {
		helper_names[i] = xstrdup(hm[i]->name);
		hm[i]->helper_index = (int)i;
	}
	log_info("auth", "authd: privileged helper started pid=%d "
		 "processes=%u modules=%u", (int)workers[0].pid, nworkers, n);
	return 0;
}

static int
parse_resp(const unsigned char *buf, size_t n, struct authmod_user *u)
{	/* the id was checked by exchange() */
	struct authd_resp r;
	const char **f[AUTHD_NSTR] = { &u->user, &u->home, &u->mail,
				       &u->quota, &u->options,
				       &u->proxy_host };
	size_t off = sizeof(r), boff = 0;

	if (n < sizeof(r))
		return AUTHMOD_TEMPFAIL;
	memcpy(&r, buf, sizeof(r));
	if (r.magic != AUTHD_MAGIC || r.result > AUTHMOD_OK ||
	    r.result < AUTHMOD_ERROR)
		return AUTHMOD_TEMPFAIL;
	if (r.result != AUTHMOD_OK)
		return r.result;
	u->uid = (uid_t)r.uid;
	u->gid = (gid_t)r.gid;
	for (int i = 0; i < AUTHD_NSTR; i++) {
		*f[i] = NULL;
		if (r.len[i] == AUTHD_NULL)
			continue;
		if (r.len[i] > n - off || boff + r.len[i] + 1 > sizeof(u->buf))
			return AUTHMOD_TEMPFAIL;
		memcpy(u->buf + boff, buf + off, r.len[i]);
		u->buf[boff + r.len[i]] = '\0';
		*f[i] = u->buf + boff;
		boff += r.len[i] + 1;
		off += r.len[i];
	}
	return AUTHMOD_OK;
}

static long long
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* send req and wait for the answer that carries its id; answers to
 * earlier requests (a caller that died or gave up) are dropped */
static int
exchange(struct worker *w, const unsigned char *req, size_t len,
	 unsigned char *resp, size_t *resp_len)
{
	struct pollfd p = { .fd = w->sock, .events = POLLIN };
	struct authd_req q;
	long long deadline = now_ms() + AUTHD_TIMEOUT_MS;

	memcpy(&q, req, sizeof(q));
	if (w->sock < 0 ||
	    send(w->sock, req, len, MSG_NOSIGNAL) != (ssize_t)len)
		return -1;
	for (;;) {
		long long left = deadline - now_ms();
		int r = left > 0 ? poll(&p, 1, (int)left) : 0;
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		ssize_t n = recv(w->sock, resp, RESP_MAX, 0);
		if (n <= 0)
			return -1;
		uint32_t id;
		if ((size_t)n < sizeof(struct authd_resp))
			return -1;
		memcpy(&id, resp + offsetof(struct authd_resp, id), sizeof(id));
		if (id == q.id) {
			*resp_len = (size_t)n;
			return 0;
		}
	}
}

static bool
worker_lock(struct worker *w, bool wait)
{
	if (wait) {
		shm_lock(&w->sh->lock);	/* a dead holder: the ids cope */
		return true;
	}
	int r = pthread_mutex_trylock(&w->sh->lock);
	if (r == EOWNERDEAD)
		pthread_mutex_consistent(&w->sh->lock);
	return r == 0 || r == EOWNERDEAD;
}

/* a free worker if there is one, else wait for one in turn; locked */
static struct worker *
worker_get(void)
{
	unsigned start = atomic_fetch_add(&next_worker, 1);
	for (unsigned i = 0; i < nworkers; i++) {
		struct worker *w = &workers[(start + i) % nworkers];
		if (worker_lock(w, false)) {
			if (w->sock >= 0)
				return w;
			shm_unlock(&w->sh->lock);
		}
	}
	for (unsigned i = 0; i < nworkers; i++) {
		struct worker *w = &workers[(start + i) % nworkers];
		worker_lock(w, true);
		if (w->sock >= 0)
			return w;
		shm_unlock(&w->sh->lock);
	}
	return NULL;
}

int
authd_call(int index, const char *user, const char *password,
	   struct authmod_user *u_r)
{
	struct authd_req q = { .magic = AUTHD_MAGIC };
	size_t ul = strlen(user), pl = password ? strlen(password) : 0;
	size_t len = 0;
	int ret;

	if (index < 0 || (unsigned)index >= helper_count || ul == 0 ||
	    ul > AUTHD_USER_MAX || pl > AUTH_PASSWORD_MAX)
		return index < 0 ? AUTHMOD_ERROR : AUTHMOD_NOUSER;
	q.op = password ? AUTHD_OP_VERIFY : AUTHD_OP_LOOKUP;
	q.index = (uint32_t)index;
	q.user_len = (uint32_t)ul;
	q.pass_len = (uint32_t)pl;
	unsigned char *req = xmalloc(REQ_MAX), *resp = xmalloc(RESP_MAX);
	memcpy(req, &q, sizeof(q));
	memcpy(req + sizeof(q), user, ul);
	if (pl > 0)
		memcpy(req + sizeof(q) + ul, password, pl);
	/* a helper that fails is dropped and the request goes to another */
	int r = -1;
	struct worker *w;
	for (unsigned tries = 0; r < 0 && tries < AUTHD_WORKERS &&
	     (w = worker_get()) != NULL; tries++) {
		q.id = ++w->sh->next_id;
		memcpy(req, &q, sizeof(q));
		r = exchange(w, req, sizeof(q) + ul + pl, resp, &len);
		if (r < 0) {
			/* a late answer would pair with the next request: give
			 * up on this process rather than mix answers */
			log_error("auth", "authd: helper pid=%d does not answer, "
				  "disabled", (int)w->pid);
			close(w->sock);
			w->sock = -1;
		}
		shm_unlock(&w->sh->lock);
	}
	ret = r < 0 ? AUTHMOD_TEMPFAIL : parse_resp(resp, len, u_r);
	explicit_bzero(req, REQ_MAX);
	free(req);
	free(resp);
	return ret;
}

int
authd_socket(unsigned i)
{
	return i < nworkers ? workers[i].sock : -1;
}

void
authd_stop(void)
{
	/* a worker process closes its copies; only the process that forked
	 * the helpers ends them (others still use them) */
	for (unsigned i = 0; i < nworkers; i++) {
		struct worker *w = &workers[i];
		worker_lock(w, true);	/* not under a thread's exchange */
		if (w->sock >= 0)
			close(w->sock);
		w->sock = -1;
		shm_unlock(&w->sh->lock);
	}
	for (unsigned i = 0; i < nworkers && owner == getpid(); i++) {
		struct worker *w = &workers[i];
		if (w->pid > 0) {
			/* closing the socket ends it; the signal is for a
			 * helper stuck in a module */
			kill(w->pid, SIGTERM);
			waitpid(w->pid, NULL, 0);
		}
		w->pid = -1;
	}
	nworkers = 0;
	for (unsigned i = 0; i < helper_count; i++)
		free(helper_names[i]);
	helper_count = 0;
}
