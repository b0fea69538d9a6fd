/* Maildock - SPDX-License-Identifier: MIT
 *
 * Failure counters and the login cache: small chained hash tables under
 * one mutex each. Both are bounded; when full, expired entries go first
 * and then the oldest, so a flood of names cannot grow memory.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include "core/auth-cache.h"

#define BUCKETS 4096
#define THROTTLE_MAX 65536
#define KEY_MAX 300

struct counter {
	char key[KEY_MAX];	/* "i:<ip>" or "u:<user>" */
	unsigned count;
	time_t since;
	struct counter *next;
};

struct cached {
	char user[KEY_MAX];
	unsigned char mac[32];
	time_t when;
	struct authmod_user u;
	struct cached *next;
};

static pthread_mutex_t tlock = PTHREAD_MUTEX_INITIALIZER;
static struct counter *counters[BUCKETS];
static unsigned ncounters;

static pthread_mutex_t clock_ = PTHREAD_MUTEX_INITIALIZER;
static struct cached *cache[BUCKETS];
static unsigned ncached;
static unsigned char mac_key[32];
static bool mac_key_set;

static unsigned
hash(const char *s)
{
	uint32_t h = 2166136261u;	/* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % BUCKETS;
}

static struct counter **
counter_find(const char *key)
{
	struct counter **pp = &counters[hash(key)];
	for (; *pp != NULL; pp = &(*pp)->next)
		if (strcmp((*pp)->key, key) == 0)
			return pp;
	return pp;
}

static unsigned
counter_get(const char *key, unsigned window, time_t now)
{
	struct counter *c = *counter_find(key);
	if (c == NULL || now - c->since >= (time_t)window)
		return 0;
	return c->count;
}

/* drop counters: expired ones (level 0), then also single failures
 * (level 1), then everything (level 2). A flood of new names thus evicts
 * the flood first, not the counters that block someone. */
static void
counters_purge(unsigned window, time_t now, int level)
{
	for (unsigned b = 0; b < BUCKETS; b++) {
		struct counter **pp = &counters[b];
		while (*pp != NULL) {
			struct counter *c = *pp;
			if (level >= 2 || now - c->since >= (time_t)window ||
			    (level == 1 && c->count <= 1)) {
				*pp = c->next;
				free(c);
				ncounters--;
			} else {
				pp = &c->next;
			}
		}
	}
}

static void
counter_add(const char *key, unsigned window, time_t now)
{
	struct counter **pp = counter_find(key), *c = *pp;
	if (c != NULL) {
		if (now - c->since >= (time_t)window) {
			c->count = 0;
			c->since = now;
		}
		c->count++;
		return;
	}
	for (int level = 0; ncounters >= THROTTLE_MAX && level <= 2; level++) {
		counters_purge(window, now, level);
		pp = counter_find(key);
	}
	c = xcalloc(1, sizeof(*c));
	str_copy(c->key, key, sizeof(c->key));
	c->count = 1;
	c->since = now;
	*pp = c;
	ncounters++;
}

static void
mkkey(char *buf, size_t size, char kind, const char *s)
{
	snprintf(buf, size, "%c:%s", kind, s);
}

/* An IPv6 client usually owns a whole /64: count its failures together,
 * or it could take a fresh address for every guess. */
static void
ipkey(char *buf, size_t size, const char *ip)
{
	struct in6_addr a;
	char net[INET6_ADDRSTRLEN];

	if (strchr(ip, ':') != NULL && inet_pton(AF_INET6, ip, &a) == 1 &&
	    !IN6_IS_ADDR_V4MAPPED(&a)) {
		memset(a.s6_addr + 8, 0, 8);
		if (inet_ntop(AF_INET6, &a, net, sizeof(net)) != NULL) {
			snprintf(buf, size, "i:%s/64", net);
			return;
		}
	}
	mkkey(buf, size, 'i', ip);
}

bool
auth_throttle_blocked(const char *ip, const char *user, unsigned max_ip,
		      unsigned max_user, unsigned window, time_t now)
{
	char key[KEY_MAX];
	bool blocked = false;

	pthread_mutex_lock(&tlock);
	if (max_ip > 0 && ip != NULL && *ip != '\0') {
		ipkey(key, sizeof(key), ip);
		blocked = counter_get(key, window, now) >= max_ip;
	}
	if (!blocked && max_user > 0 && user != NULL) {
		mkkey(key, sizeof(key), 'u', user);
		blocked = counter_get(key, window, now) >= max_user;
	}
	pthread_mutex_unlock(&tlock);
	return blocked;
}

void
auth_throttle_fail(const char *ip, const char *user, unsigned window,
		   time_t now)
{
	char key[KEY_MAX];

	pthread_mutex_lock(&tlock);
	if (ip != NULL && *ip != '\0') {
		ipkey(key, sizeof(key), ip);
		counter_add(key, window, now);
	}
	if (user != NULL) {
		mkkey(key, sizeof(key), 'u', user);
		counter_add(key, window, now);
	}
	pthread_mutex_unlock(&tlock);
}

void
auth_throttle_success(const char *user)
{
	char key[KEY_MAX];

	mkkey(key, sizeof(key), 'u', user);
	pthread_mutex_lock(&tlock);
	struct counter **pp = counter_find(key), *c = *pp;
	if (c != NULL) {
		*pp = c->next;
		free(c);
		ncounters--;
	}
	pthread_mutex_unlock(&tlock);
}

/* ---- the login cache ---- */

static bool
mac(const char *user, const char *password, unsigned char out[32])
{
	unsigned len = 32;
	if (!mac_key_set) {
		if (RAND_bytes(mac_key, sizeof(mac_key)) != 1)
			return false;
		mac_key_set = true;
	}
	/* user and password are separated by a NUL so "ab"+"c" != "a"+"bc" */
	size_t ul = strlen(user), pl = strlen(password);
	unsigned char *msg = xmalloc(ul + 1 + pl);
	memcpy(msg, user, ul + 1);
	memcpy(msg + ul + 1, password, pl);
	bool ok = HMAC(EVP_sha256(), mac_key, sizeof(mac_key), msg, ul + 1 + pl,
		       out, &len) != NULL;
	explicit_bzero(msg, ul + 1 + pl);
	free(msg);
	return ok;
}

static void
repack(struct authmod_user *dst, const struct authmod_user *src)
{
	const char *const in[] = { src->user, src->home, src->mail,
				   src->quota, src->options, src->proxy_host };
	const char **out[] = { &dst->user, &dst->home, &dst->mail,
			       &dst->quota, &dst->options, &dst->proxy_host };
	size_t off = 0;

	dst->uid = src->uid;
	dst->gid = src->gid;
	for (size_t i = 0; i < N_ELEMENTS(in); i++) {
		*out[i] = NULL;
		if (in[i] == NULL)
			continue;
		size_t n = strlen(in[i]) + 1;
		if (n > sizeof(dst->buf) - off)
			continue;
		memmove(dst->buf + off, in[i], n);
		*out[i] = dst->buf + off;
		off += n;
	}
}

static struct cached **
cached_find(const char *user)
{
	struct cached **pp = &cache[hash(user)];
	for (; *pp != NULL; pp = &(*pp)->next)
		if (strcmp((*pp)->user, user) == 0)
			return pp;
	return pp;
}

bool
auth_cache_get(const char *user, const char *password, unsigned ttl,
	       time_t now, struct authmod_user *u_r)
{
	unsigned char m[32];
	bool hit = false;

	if (ttl == 0 || strlen(user) >= KEY_MAX)
		return false;
	pthread_mutex_lock(&clock_);
	if (!mac(user, password, m)) {
		pthread_mutex_unlock(&clock_);
		return false;
	}
	struct cached *c = *cached_find(user);
	if (c != NULL && now - c->when < (time_t)ttl &&
	    CRYPTO_memcmp(c->mac, m, sizeof(m)) == 0) {
		repack(u_r, &c->u);
		hit = true;
	}
	pthread_mutex_unlock(&clock_);
	explicit_bzero(m, sizeof(m));
	return hit;
}

static void
cache_drop_oldest(void)
{
	struct cached **oldest = NULL;
	for (unsigned b = 0; b < BUCKETS; b++)
		for (struct cached **pp = &cache[b]; *pp; pp = &(*pp)->next)
			if (oldest == NULL || (*pp)->when < (*oldest)->when)
				oldest = pp;
	if (oldest != NULL) {
		struct cached *c = *oldest;
		*oldest = c->next;
		free(c);
		ncached--;
	}
}

void
auth_cache_put(const char *user, const char *password,
	       const struct authmod_user *u, time_t now, unsigned max)
{
	if (strlen(user) >= KEY_MAX || max == 0)
		return;
	pthread_mutex_lock(&clock_);
	struct cached **pp = cached_find(user), *c = *pp;
	if (c == NULL) {
		while (ncached >= max)
			cache_drop_oldest();
		c = xcalloc(1, sizeof(*c));
		str_copy(c->user, user, sizeof(c->user));
		*cached_find(user) = c;
		ncached++;
	}
	if (!mac(user, password, c->mac)) {
		memset(c->mac, 0, sizeof(c->mac));
		c->when = 0;
	} else {
		c->when = now;
	}
	repack(&c->u, u);
	pthread_mutex_unlock(&clock_);
}

void
auth_cache_clear(void)
{
	pthread_mutex_lock(&clock_);
	for (unsigned b = 0; b < BUCKETS; b++) {
		while (cache[b] != NULL) {
			struct cached *c = cache[b];
			cache[b] = c->next;
			free(c);
		}
	}
	ncached = 0;
	pthread_mutex_unlock(&clock_);
	pthread_mutex_lock(&tlock);
	counters_purge(0, 0, 2);
	pthread_mutex_unlock(&tlock);
}
