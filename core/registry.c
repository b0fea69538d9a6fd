/* Maildock - SPDX-License-Identifier: MIT
 *
 * The session list behind "maildock-admin who" and "kick": a list of
 * entries under one mutex. Kicking ends the connection's input (never
 * closes it: the descriptor stays the session's until it leaves the list),
 * which wakes the session thread, or its parked IDLE, with -ERR_KICKED; the
 * protocol then says goodbye on the still open output.
 */
#include <pthread.h>
#include "core/conn.h"
#include "core/proto.h"
#include "core/registry.h"
#include "core/sbuf.h"
#include "core/session.h"

#define USER_MAX 256

struct entry {
	struct entry *next, *prev;
	const struct session *s;
	struct conn *conn;	/* the session's, until it leaves */
	bool tls, kicked;
	time_t since;
	char user[USER_MAX];
	char ip[INET6_ADDRSTRLEN];	/* copies: the session may change its own */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct entry head = { &head, &head, NULL, NULL, false, false, 0, "", "" };

static struct entry *
find(const struct session *s)
{
	for (struct entry *e = head.next; e != &head; e = e->next)
		if (e->s == s)
			return e;
	return NULL;
}

void
registry_add(struct session *s)
{
	struct entry *e = xcalloc(1, sizeof(*e));
	e->s = s;
	e->conn = s->conn;
	e->tls = s->implicit_tls;
	e->since = time(NULL);
	str_copy(e->ip, s->remote_ip, sizeof(e->ip));
	pthread_mutex_lock(&lock);
	e->next = head.next;
	e->prev = &head;
	head.next->prev = e;
	head.next = e;
	pthread_mutex_unlock(&lock);
}

bool
registry_remove(struct session *s)
{
	pthread_mutex_lock(&lock);
	struct entry *e = find(s);
	bool kicked = false;
	if (e != NULL) {
		e->prev->next = e->next;
		e->next->prev = e->prev;
		kicked = e->kicked;
	}
	pthread_mutex_unlock(&lock);
	free(e);
	return kicked;
}

void
registry_update(struct session *s, bool tls)
{
	pthread_mutex_lock(&lock);
	struct entry *e = find(s);
	if (e != NULL) {
		e->tls = tls;
		str_copy(e->user, s->user != NULL ? s->user : "",
			 sizeof(e->user));
		str_copy(e->ip, s->remote_ip, sizeof(e->ip));
	}
	pthread_mutex_unlock(&lock);
}

/* user names come from clients: no tab or newline may split a row */
static void
append_field(struct sbuf *b, const char *s)
{
	if (*s == '\0')
		s = "-";
	for (; *s != '\0'; s++)
		sbuf_appendc(b, (unsigned char)*s < 0x20 || *s == 0x7f ? '?'
								      : *s);
}

void
registry_who(struct sbuf *b)
{
	pthread_mutex_lock(&lock);
	for (struct entry *e = head.prev; e != &head; e = e->prev) {
		append_field(b, e->s->id);
		sbuf_appendc(b, '\t');
		append_field(b, e->user);
		sbuf_appendf(b, "\t%s\t%s\t%d\t%lld\n", e->ip,
			     e->s->proto->name, e->tls ? 1 : 0,
			     (long long)e->since);
	}
	pthread_mutex_unlock(&lock);
}

unsigned
registry_kick(const char *who)
{
	unsigned n = 0;
	pthread_mutex_lock(&lock);
	for (struct entry *e = head.next; e != &head; e = e->next) {
		if (strcmp(e->user, who) != 0 && strcmp(e->ip, who) != 0)
			continue;
		if (!e->kicked)
			conn_kick(e->conn);
		e->kicked = true;
		n++;
	}
	pthread_mutex_unlock(&lock);
	return n;
}
