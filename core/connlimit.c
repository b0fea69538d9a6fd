/* Maildock - SPDX-License-Identifier: MIT
 *
 * One shared table of connection slots, the truth of who holds what: the
 * free list, the total and the per-address counts (an open-addressing
 * hash with linear probing) are derived from it, so when a worker died
 * holding the lock they are rebuilt from the slots.
 */
#include <unistd.h>
#include <netinet/in.h>
#include "core/connlimit.h"
#include "core/error.h"
#include "core/shm.h"

struct slot {
	pid_t pid;			/* owner; 0: free */
	bool ip_counted;		/* in the per-address counts */
	uint8_t ip[16];
};

struct ipent {
	uint8_t ip[16];
	uint32_t count;			/* 0: empty */
};

struct table {
	pthread_mutex_t lock;
	unsigned capacity;
	unsigned mask;			/* of ips[], a power of two - 1 */
	unsigned active;
	unsigned nfree;
	uint32_t *free;			/* [capacity] stack of free slots */
	struct slot *slots;		/* [capacity] */
	struct ipent *ips;		/* [mask + 1], at least 2x capacity */
};

static struct table *t;

static unsigned
ip_hash(const uint8_t ip[16])
{
	uint32_t h = 2166136261u;	/* FNV-1a */
	for (int i = 0; i < 16; i++)
		h = (h ^ ip[i]) * 16777619u;
	return h & t->mask;
}

/* the entry of ip, or the empty one where it would go */
static unsigned
ip_find(const uint8_t ip[16])
{
	unsigned i = ip_hash(ip);
	while (t->ips[i].count != 0 && memcmp(t->ips[i].ip, ip, 16) != 0)
		i = (i + 1) & t->mask;
	return i;
}

/* empty entry i, shifting later entries of its probe run back so that
 * every lookup still finds them (no tombstones) */
static void
ip_remove(unsigned i)
{
	for (unsigned j = (i + 1) & t->mask; t->ips[j].count != 0;
	     j = (j + 1) & t->mask) {
		unsigned home = ip_hash(t->ips[j].ip);
		bool stays = i <= j ? (home > i && home <= j)
				    : (home > i || home <= j);
		if (!stays) {
			t->ips[i] = t->ips[j];
			i = j;
		}
	}
	t->ips[i].count = 0;
}

static void
ip_add(const uint8_t ip[16], int delta)
{
	unsigned i = ip_find(ip);
	if (t->ips[i].count == 0) {
		if (delta < 0)
			return;
		memcpy(t->ips[i].ip, ip, 16);
	}
	t->ips[i].count += (uint32_t)delta;
	if (t->ips[i].count == 0)
		ip_remove(i);
}

/* a worker died holding the lock: derive everything again from slots */
static void
rebuild(void)
{
	memset(t->ips, 0, (t->mask + 1) * sizeof(*t->ips));
	t->active = t->nfree = 0;
	for (unsigned s = t->capacity; s-- > 0;) {
		if (t->slots[s].pid == 0) {
			t->free[t->nfree++] = s;
		} else {
			t->active++;
			if (t->slots[s].ip_counted)
				ip_add(t->slots[s].ip, 1);
		}
	}
}

static void
lock(void)
{
	if (shm_lock(&t->lock))
		rebuild();
}

void
connlimit_init(unsigned capacity)
{
	unsigned ipn = 16;
	while (ipn < 2 * capacity)
		ipn *= 2;
	size_t size = sizeof(*t) + capacity * sizeof(uint32_t) +
		      capacity * sizeof(struct slot) +
		      ipn * sizeof(struct ipent);
	char *p = shm_alloc(size);
	t = (struct table *)p;
	p += sizeof(*t);
	t->ips = (struct ipent *)p;
	p += ipn * sizeof(struct ipent);
	t->slots = (struct slot *)p;
	p += capacity * sizeof(struct slot);
	t->free = (uint32_t *)p;
	t->capacity = capacity;
	t->mask = ipn - 1;
	shm_mutex_init(&t->lock);
	rebuild();
}

unsigned
connlimit_capacity(void)
{
	return t->capacity;
}

static void
remote_ip(const struct sockaddr_storage *ss, uint8_t ip[16])
{
	memset(ip, 0, 16);
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
		ip[10] = ip[11] = 0xff;		/* ::ffff:a.b.c.d */
		memcpy(ip + 12, &in->sin_addr, 4);
	} else if (ss->ss_family == AF_INET6) {
		memcpy(ip, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
	}
}

int
connlimit_admit(const struct sockaddr_storage *remote, bool count_ip,
		unsigned max_total, unsigned max_per_ip, const char **reason_r)
{
	uint8_t ip[16];
	int slot = -ERR_LIMIT;

	remote_ip(remote, ip);
	lock();
	if (t->active >= max_total || t->nfree == 0)
		*reason_r = "Too many connections, try again later.";
	else if (count_ip && t->ips[ip_find(ip)].count >= max_per_ip)
		*reason_r = "Too many connections from your address.";
	else {
		slot = (int)t->free[--t->nfree];
		t->slots[slot].pid = getpid();
		t->slots[slot].ip_counted = count_ip;
		memcpy(t->slots[slot].ip, ip, 16);
		t->active++;
		if (count_ip)
			ip_add(ip, 1);
	}
	shm_unlock(&t->lock);
	return slot;
}

int
connlimit_readdress(int slot, const struct sockaddr_storage *client,
		    unsigned max_per_ip, const char **reason_r)
{
	uint8_t ip[16];
	int r = 0;

	if (slot < 0 || (unsigned)slot >= t->capacity)
		return 0;
	remote_ip(client, ip);
	lock();
	struct slot *sl = &t->slots[slot];
	if (!sl->ip_counted) {
		if (t->ips[ip_find(ip)].count >= max_per_ip) {
			*reason_r = "Too many connections from your address.";
			r = -ERR_LIMIT;
		} else {
			memcpy(sl->ip, ip, 16);
			sl->ip_counted = true;
			ip_add(ip, 1);
		}
	}
	shm_unlock(&t->lock);
	return r;
}

/* under the lock */
static void
release(unsigned slot)
{
	if (t->slots[slot].ip_counted)
		ip_add(t->slots[slot].ip, -1);
	t->slots[slot].pid = 0;
	t->free[t->nfree++] = slot;
	t->active--;
}

void
connlimit_release(int slot)
{
	if (slot < 0 || (unsigned)slot >= t->capacity)
		return;
	lock();
	if (t->slots[slot].pid != 0)
		release((unsigned)slot);
	shm_unlock(&t->lock);
}

unsigned
connlimit_release_pid(pid_t pid)
{
	unsigned n = 0;

	lock();
	for (unsigned s = 0; s < t->capacity; s++)
		if (t->slots[s].pid == pid) {
			release(s);
			n++;
		}
	shm_unlock(&t->lock);
	return n;
}

unsigned
connlimit_active(void)
{
	lock();
	unsigned n = t->active;
	shm_unlock(&t->lock);
	return n;
}
