/* Maildock - SPDX-License-Identifier: MIT
 *
 * The failure counters: a fixed open-addressing table in shared memory
 * under one robust process-shared mutex. An entry holds a 64-bit keyed
 * hash (HMAC-SHA-256 with a random key made at start-up) of "i:<ip>" or
 * "u:<user>", so names never sit in shared memory and collisions cannot
 * be aimed at.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include "core/auth-throttle.h"
#include "core/shm.h"

#define THROTTLE_MAX 65536
#define SLOTS (2 * THROTTLE_MAX)	/* a power of two; half full at most */
#define KEY_MAX 300

struct counter {
	uint64_t key;			/* 0: empty */
	uint32_t count;			/* 0: forgotten (a success) */
	uint32_t since;			/* CLOCK_MONOTONIC seconds */
};

struct table {
	pthread_mutex_t lock;
	unsigned n;			/* entries with key != 0 */
	unsigned char mac_key[32];
	struct counter e[SLOTS];
};

static struct table *t;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void
init_once(void)
{
	t = shm_alloc(sizeof(*t));
	shm_mutex_init(&t->lock);
	if (RAND_bytes(t->mac_key, sizeof(t->mac_key)) != 1)
		abort();	/* no randomness: nothing else works either */
}

void
auth_throttle_init(void)
{
	pthread_once(&once, init_once);
}

static uint64_t
hash_key(char kind, const char *s)
{
	char buf[KEY_MAX];
	unsigned char out[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	uint64_t h = 0;

	int n = snprintf(buf, sizeof(buf), "%c:%s", kind, s);
	if (n < 0 || (size_t)n >= sizeof(buf))
		n = (int)sizeof(buf) - 1;
	if (HMAC(EVP_sha256(), t->mac_key, sizeof(t->mac_key),
		 (const unsigned char *)buf, (size_t)n, out, &len) == NULL)
		abort();
	memcpy(&h, out, sizeof(h));
	return h | 1;			/* never 0, the empty mark */
}

static unsigned
find(uint64_t key)
{
	unsigned i = (unsigned)(key >> 17) & (SLOTS - 1);
	while (t->e[i].key != 0 && t->e[i].key != key)
		i = (i + 1) & (SLOTS - 1);
	return i;
}

static bool
live(const struct counter *c, unsigned window, time_t now)
{
	return c->count > 0 && now - (time_t)c->since < (time_t)window;
}

/* keep the entries worth keeping and rehash them: level 0 drops expired
 * and forgotten ones, 1 also single failures, 2 everything; -1 keeps all
 * (a repair after a worker died holding the lock) */
static void
rebuild(unsigned window, time_t now, int level)
{
	struct counter *old = xmalloc(sizeof(t->e));
	memcpy(old, t->e, sizeof(t->e));
	memset(t->e, 0, sizeof(t->e));
	t->n = 0;
	for (unsigned i = 0; i < SLOTS; i++) {
		const struct counter *c = &old[i];
		if (c->key == 0 || level >= 2 ||
		    (level >= 0 && !live(c, window, now)) ||
		    (level >= 1 && c->count <= 1))
			continue;
		unsigned j = find(c->key);
		if (t->e[j].key == 0)
			t->n++;
		t->e[j] = *c;
	}
	free(old);
}

static void
lock(void)
{
	auth_throttle_init();
	if (shm_lock(&t->lock))
		rebuild(0, 0, -1);
}

static uint32_t
get(uint64_t key, unsigned window, time_t now)
{
	const struct counter *c = &t->e[find(key)];
	return c->key != 0 && live(c, window, now) ? c->count : 0;
}

static void
add(uint64_t key, unsigned window, time_t now)
{
	struct counter *c = &t->e[find(key)];
	if (c->key == 0) {
		for (int level = 0; t->n >= THROTTLE_MAX && level <= 2;
		     level++)
			rebuild(window, now, level);
		c = &t->e[find(key)];
		c->key = key;
		t->n++;
	}
	if (!live(c, window, now)) {
		c->count = 0;
		c->since = (uint32_t)now;
	}
	c->count++;
}

/* An IPv6 client usually owns a whole /64: count its failures together,
 * or it could take a fresh address for every guess. */
static uint64_t
ip_key(const char *ip)
{
	struct in6_addr a;
	char net[INET6_ADDRSTRLEN], key[INET6_ADDRSTRLEN + 3];

	if (strchr(ip, ':') != NULL && inet_pton(AF_INET6, ip, &a) == 1 &&
	    !IN6_IS_ADDR_V4MAPPED(&a)) {
		memset(a.s6_addr + 8, 0, 8);
		if (inet_ntop(AF_INET6, &a, net, sizeof(net)) != NULL) {
			snprintf(key, sizeof(key), "%s/64", net);
			return hash_key('i', key);
		}
	}
	return hash_key('i', ip);
}

bool
auth_throttle_blocked(const char *ip, const char *user, unsigned max_ip,
		      unsigned max_user, unsigned window, time_t now)
{
	bool blocked = false;
	uint64_t ik = 0, uk = 0;

	auth_throttle_init();
	if (max_ip > 0 && ip != NULL && *ip != '\0')
		ik = ip_key(ip);
	if (max_user > 0 && user != NULL)
		uk = hash_key('u', user);
	lock();
	if (ik != 0)
		blocked = get(ik, window, now) >= max_ip;
	if (!blocked && uk != 0)
		blocked = get(uk, window, now) >= max_user;
	shm_unlock(&t->lock);
	return blocked;
}

void
auth_throttle_fail(const char *ip, const char *user, unsigned window,
		   time_t now)
{
	uint64_t ik = 0, uk = 0;

	auth_throttle_init();
	if (ip != NULL && *ip != '\0')
		ik = ip_key(ip);
	if (user != NULL)
		uk = hash_key('u', user);
	lock();
	if (ik != 0)
		add(ik, window, now);
	if (uk != 0)
		add(uk, window, now);
	shm_unlock(&t->lock);
}

void
auth_throttle_success(const char *user)
{
	auth_throttle_init();
	uint64_t key = hash_key('u', user);
	lock();
	struct counter *c = &t->e[find(key)];
	if (c->key != 0)
		c->count = 0;	/* the entry goes at the next rebuild */
	shm_unlock(&t->lock);
}

void
auth_throttle_clear(void)
{
	lock();
	memset(t->e, 0, sizeof(t->e));
	t->n = 0;
	shm_unlock(&t->lock);
}
