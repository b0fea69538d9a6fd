/* Maildock - SPDX-License-Identifier: MIT
 *
 * The login cache: a small chained hash table under one mutex, bounded;
 * when full, the oldest entry goes, so a flood of names cannot grow
 * memory. Each worker process has its own (it is only a cache).
 */
#include <pthread.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include "core/auth-cache.h"
#include "core/auth-throttle.h"

#define BUCKETS 4096
#define KEY_MAX 300

struct cached {
	char user[KEY_MAX];
	unsigned char mac[32];
	time_t when;
	struct authmod_user u;
	struct cached *next;
};

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
	auth_throttle_clear();
}
