/* Maildock - SPDX-License-Identifier: MIT
 *
 * THREAD (RFC 5256 section 3): ORDEREDSUBJECT and the REFERENCES algorithm
 * (message-id links with dummy parents, de-duplicated ids, loop checks,
 * dummy pruning, subject merging, sorting by sent date), and REFS (the
 * draft successor of REFERENCES as Dovecot implements it: steps 1-4 and
 * 6, no subject merging, threads ordered by their most recent message).
 * Every walk is iterative so a long reply chain cannot exhaust the
 * thread's stack.
 */
#include <stdlib.h>
#include <strings.h>
#include <inttypes.h>
#include "core/arena.h"
#include "core/error.h"
#include "core/sbuf.h"
#include "protocols/imap/imap-sort.h"
#include "core/compat.h"

struct node {
	const struct imap_sort_rec *rec;	/* NULL: dummy */
	struct node *parent, *child, *next;
	int64_t date;		/* sort key: own, or a dummy's first child's */
	uint32_t seq;
	bool deleted;
};

struct table {
	struct node **slots;
	const char **keys;
	size_t size;		/* power of two */
};

struct threader {
	struct arena *a;
	struct node root;	/* its children are the root set */
	struct node **all;	/* every node made */
	size_t nall, maxall;
	struct node **tmp;	/* scratch for sorting sibling lists */
};

static uint64_t
hash_str(const char *s, bool ci)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (ci && c >= 'A' && c <= 'Z')
			c += 32;
		h = (h ^ c) * 1099511628211ULL;
	}
	return h;
}

static int
table_init(struct arena *a, struct table *t, size_t n)
{
	t->size = 16;
	while (t->size < n * 2)
		t->size *= 2;
	t->slots = arena_zalloc(a, t->size * sizeof(*t->slots));
	t->keys = arena_zalloc(a, t->size * sizeof(*t->keys));
	return t->slots == NULL || t->keys == NULL ? -ERR_LIMIT : 0;
}

/* the slot of key (found, or empty where it would go) */
static size_t
table_slot(const struct table *t, const char *key, bool ci)
{
	size_t i = (size_t)hash_str(key, ci) & (t->size - 1);

	while (t->keys[i] != NULL &&
	       (ci ? strcasecmp(t->keys[i], key) :
		     strcmp(t->keys[i], key)) != 0)
		i = (i + 1) & (t->size - 1);
	return i;
}

static struct node *
node_new(struct threader *th, const struct imap_sort_rec *rec)
{
	struct node *n;

	if (th->nall == th->maxall ||
	    (n = arena_zalloc(th->a, sizeof(*n))) == NULL)
		return NULL;
	n->rec = rec;
	if (rec != NULL) {
		n->date = rec->date;
		n->seq = rec->seq;
	}
	th->all[th->nall++] = n;
	return n;
}

static void
unlink_child(struct node *c)
{
	struct node **pp;

	if (c->parent == NULL)
		return;
	for (pp = &c->parent->child; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	c->parent = NULL;
	c->next = NULL;
}

static void
add_child(struct node *p, struct node *c)
{
	c->parent = p;
	c->next = p->child;
	p->child = c;
}

/* linking p -> c would make a loop when c is p or one of p's ancestors */
static bool
would_loop(const struct node *p, const struct node *c)
{
	if (c->child == NULL)
		return p == c;	/* a leaf is nobody's ancestor: O(1) */
	for (; p != NULL; p = p->parent)
		if (p == c)
			return true;
	return false;
}

/* get or make the container of message id */
static struct node *
id_node(struct threader *th, struct table *ids, const char *id)
{
	size_t i = table_slot(ids, id, false);

	if (ids->keys[i] == NULL) {
		ids->keys[i] = id;
		ids->slots[i] = node_new(th, NULL);
	}
	return ids->slots[i];
}

/* step 1 of REFERENCES for one message */
static int
link_message(struct threader *th, struct table *ids,
	     const struct imap_sort_rec *r)
{
	struct node *msg = NULL, *prev = NULL, *cur;
	unsigned j;

	if (r->message_id[0] != '\0') {
		size_t i = table_slot(ids, r->message_id, false);

		if (ids->keys[i] == NULL) {
			ids->keys[i] = r->message_id;
			ids->slots[i] = node_new(th, NULL);
		}
		msg = ids->slots[i];
		if (msg != NULL && msg->rec != NULL)
			msg = NULL;	/* duplicate id: a unique one */
	}
	if (msg == NULL && (msg = node_new(th, NULL)) == NULL)
		return -ERR_LIMIT;
	msg->rec = r;
	msg->date = r->date;
	msg->seq = r->seq;
	for (j = 0; j < r->nrefs; j++) {
		if ((cur = id_node(th, ids, r->refs[j])) == NULL)
			return -ERR_LIMIT;
		if (prev != NULL && cur->parent == NULL &&
		    !would_loop(prev, cur))
			add_child(prev, cur);
		prev = cur;
	}
	/* step 1.B: References is authoritative, so an earlier link of this
	 * message goes; none is made when it would close a loop */
	unlink_child(msg);
	if (prev != NULL && !would_loop(prev, msg))
		add_child(prev, msg);
	return 0;
}

/* step 3: prune dummies level by level with an explicit work list */
static void
prune(struct threader *th, struct node **work)
{
	size_t top = 0;
	struct node *parent, *prev, *cur, *c, *last;

	work[top++] = &th->root;
	while (top > 0) {
		parent = work[--top];
		prev = NULL;
		cur = parent->child;
		while (cur != NULL) {
			if (cur->rec == NULL && cur->child == NULL) {
				cur->deleted = true;
				cur = cur->next;
				if (prev != NULL)
					prev->next = cur;
				else
					parent->child = cur;
				continue;
			}
			if (cur->rec == NULL && (parent != &th->root ||
						 cur->child->next == NULL)) {
				/* splice the dummy's children in its place */
				for (c = cur->child; c != NULL; c = c->next) {
					c->parent = parent;
					last = c;
				}
				last->next = cur->next;
				if (prev != NULL)
					prev->next = cur->child;
				else
					parent->child = cur->child;
				cur->deleted = true;
				cur = prev != NULL ? prev->next : parent->child;
				continue;
			}
			if (cur->child != NULL)
				work[top++] = cur;
			prev = cur;
			cur = cur->next;
		}
	}
}

static int
cmp_nodes(const void *x, const void *y)
{
	const struct node *a = *(struct node *const *)x;
	const struct node *b = *(struct node *const *)y;

	if (a->date != b->date)
		return a->date < b->date ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static void
sort_children(struct threader *th, struct node *p)
{
	size_t n = 0, i;
	struct node *c;

	for (c = p->child; c != NULL; c = c->next)
		th->tmp[n++] = c;
	if (n < 2)
		return;
	qsort(th->tmp, n, sizeof(*th->tmp), cmp_nodes);
	p->child = th->tmp[0];
	for (i = 0; i + 1 < n; i++)
		th->tmp[i]->next = th->tmp[i + 1];
	th->tmp[n - 1]->next = NULL;
}

/* steps 4 and 6: every sibling list by sent date; a dummy (only at the
 * top) takes its first child's date */
static void
sort_all(struct threader *th)
{
	size_t i;

	for (i = 0; i < th->nall; i++) {
		struct node *n = th->all[i];

		if (!n->deleted && n->child != NULL)
			sort_children(th, n);
	}
	for (i = 0; i < th->nall; i++) {
		struct node *n = th->all[i];

		if (!n->deleted && n->rec == NULL && n->child != NULL) {
			n->date = n->child->date;
			n->seq = n->child->seq;
		}
	}
	sort_children(th, &th->root);
}

static const struct imap_sort_rec *
thread_rec(const struct node *n)
{
	if (n->rec != NULL)
		return n->rec;
	return n->child != NULL ? n->child->rec : NULL;
}

/* step 5: merge threads whose subjects match */
static int
merge_subjects(struct threader *th, size_t nroots)
{
	struct table subj;
	struct node **roots = th->tmp, *c, *t, *d;
	const struct imap_sort_rec *r;
	size_t i, n = 0, s;

	if (table_init(th->a, &subj, nroots) < 0)
		return -ERR_LIMIT;
	for (c = th->root.child; c != NULL; c = c->next)
		roots[n++] = c;
	for (i = 0; i < n; i++) {
		if ((r = thread_rec(roots[i])) == NULL || r->subject[0] == '\0')
			continue;
		s = table_slot(&subj, r->subject, false);
		t = subj.slots[s];
		if (t == NULL) {
			subj.keys[s] = r->subject;
			subj.slots[s] = roots[i];
		} else if (t->rec != NULL &&
			   (roots[i]->rec == NULL ||
			    (t->rec->is_reply && !roots[i]->rec->is_reply))) {
			subj.slots[s] = roots[i];
		}
	}
	for (i = 0; i < n; i++) {
		c = roots[i];
		if ((r = thread_rec(c)) == NULL || r->subject[0] == '\0')
			continue;
		s = table_slot(&subj, r->subject, false);
		if ((t = subj.slots[s]) == c)
			continue;
		unlink_child(c);
		if (t->rec == NULL && c->rec == NULL) {
			while ((d = c->child) != NULL) {
				unlink_child(d);
				add_child(t, d);
			}
			c->deleted = true;
		} else if (t->rec == NULL ||
			   (c->rec->is_reply && !t->rec->is_reply)) {
			add_child(t, c);
		} else {
			if ((d = node_new(th, NULL)) == NULL)
				return -ERR_LIMIT;
			unlink_child(t);
			add_child(&th->root, d);
			add_child(d, t);
			add_child(d, c);
			subj.slots[s] = d;
		}
	}
	return 0;
}

/* refs_order: each thread takes the sent date of its latest message
 * (Dovecot's sort_root_nodes_ref2), then the threads are sorted; ties by
 * the sequence number of the thread's first message */
static void
refs_order(struct threader *th)
{
	struct node **stack = th->tmp, *t, *cur, *c;
	size_t sp;

	for (t = th->root.child; t != NULL; t = t->next) {
		stack[0] = t;
		sp = 1;
		while (sp > 0) {
			cur = stack[--sp];
			if (cur->rec != NULL && cur->date > t->date)
				t->date = cur->date;
			for (c = cur->child; c != NULL; c = c->next)
				stack[sp++] = c;
		}
	}
	sort_children(th, &th->root);
}

static int
references(struct threader *th, const struct imap_sort_rec *recs, size_t n,
	   bool refs)
{
	struct table ids;
	size_t i, nids = n, nroots = 0;
	int ret;

	for (i = 0; i < n; i++)
		nids += recs[i].nrefs;
	if (table_init(th->a, &ids, nids) < 0)
		return -ERR_LIMIT;
	for (i = 0; i < n; i++)
		if ((ret = link_message(th, &ids, &recs[i])) < 0)
			return ret;
	/* step 2: the root set */
	for (i = 0; i < th->nall; i++) {
		if (th->all[i]->parent == NULL) {
			add_child(&th->root, th->all[i]);
			nroots++;
		}
	}
	prune(th, th->tmp);
	sort_all(th);
	if (refs) {
		refs_order(th);
		return 0;
	}
	if ((ret = merge_subjects(th, nroots)) < 0)
		return ret;
	sort_all(th);
	return 0;
}

static int
cmp_ordered(const void *x, const void *y)
{
	const struct imap_sort_rec *a = *(const struct imap_sort_rec *const *)x;
	const struct imap_sort_rec *b = *(const struct imap_sort_rec *const *)y;
	int c = strcmp(a->subject, b->subject);

	if (c != 0)
		return c;
	if (a->date != b->date)
		return a->date < b->date ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* ORDEREDSUBJECT: by base subject then date; the first of each subject is
 * the parent of the others (RFC 5256 3) */
static int
ordered_subject(struct threader *th, const struct imap_sort_rec *recs,
		size_t n)
{
	const struct imap_sort_rec **v;
	struct node *top = NULL, *m, *last = NULL;
	size_t i;

	if ((v = arena_alloc(th->a, (n ? n : 1) * sizeof(*v))) == NULL)
		return -ERR_LIMIT;
	for (i = 0; i < n; i++)
		v[i] = &recs[i];
	qsort(v, n, sizeof(*v), cmp_ordered);
	for (i = 0; i < n; i++) {
		if ((m = node_new(th, v[i])) == NULL)
			return -ERR_LIMIT;
		if (top != NULL && strcmp(top->rec->subject,
					      v[i]->subject) == 0) {
			/* children keep date order: append */
			m->parent = top;
			if (last == top)
				top->child = m;
			else
				last->next = m;
			last = m;
			continue;
		}
		add_child(&th->root, m);
		top = last = m;
	}
	sort_children(th, &th->root);
	return 0;
}

/* the thread list without recursion: a stack holds, per open branch, the
 * next sibling still to print */
static int
print(struct threader *th, bool uid, struct sbuf *b)
{
	struct node **stack = th->tmp, *t, *cur;
	size_t sp;
	bool first;

	for (t = th->root.child; t != NULL; t = t->next) {
		sbuf_appendc(b, '(');
		cur = t;
		sp = 0;
		first = true;
		for (;;) {
			if (cur->rec != NULL) {
				uint32_t id = uid ? cur->rec->uid :
						    cur->rec->seq;

				sbuf_appendf(b, first ? "%" PRIu32 :
					     " %" PRIu32, id);
				first = false;
			}
			if (cur->child != NULL && cur->child->next == NULL &&
			    cur->rec != NULL) {
				cur = cur->child;
				continue;
			}
			if (cur->child != NULL) {
				stack[sp++] = cur->child->next;
				sbuf_appends(b, first ? "(" : " (");
				first = true;
				cur = cur->child;
				continue;
			}
			while (sp > 0 && stack[sp - 1] == NULL) {
				sbuf_appendc(b, ')');
				sp--;
			}
			if (sp == 0)
				break;
			sbuf_appends(b, ")(");
			cur = stack[sp - 1];
			stack[sp - 1] = cur->next;
			first = true;
		}
		sbuf_appendc(b, ')');
	}
	return sbuf_failed(b) ? -ERR_LIMIT : 0;
}

int
imap_thread_build(struct arena *a, const struct imap_sort_rec *recs,
		  size_t n, enum imap_thread_alg alg, bool uid,
		  struct sbuf *b)
{
	struct threader th = { .a = a };
	size_t i, max = 2 * n + 1;
	int ret;

	for (i = 0; i < n; i++)
		max += recs[i].nrefs;
	th.maxall = max;
	th.all = arena_alloc(a, max * sizeof(*th.all));
	th.tmp = arena_alloc(a, (max + 1) * sizeof(*th.tmp));
	if (th.all == NULL || th.tmp == NULL)
		return -ERR_LIMIT;
	ret = alg == IMAP_THREAD_ORDEREDSUBJECT ?
	      ordered_subject(&th, recs, n) :
	      references(&th, recs, n, alg == IMAP_THREAD_REFS);
	if (ret < 0)
		return ret;
	return print(&th, uid, b);
}
