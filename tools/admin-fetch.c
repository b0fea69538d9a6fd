/* Maildock - SPDX-License-Identifier: MIT
 *
 * maildock-admin fetch and expunge: the messages of one folder that match
 * an IMAP SEARCH query (RFC 3501 6.4.4), printed as an mbox or removed,
 * for abuse handling and support staff.
 */
#include <time.h>
#include <unistd.h>
#include "core/arena.h"
#include "core/error.h"
#include "storage/store.h"
#include "protocols/imap/imap-search.h"
#include "tools/admin-mail.h"

/* A word that IMAP would take as an atom; anything else is a string. */
static bool
atom_like(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f ||
		    strchr("(){\"\\", *s) != NULL)
			return false;
	return true;
}

struct tokens {
	const char **t;
	size_t n, pos;
};

/* the tokens from pos up to the ")" closing this depth, as search args */
static int
build(struct arena *a, struct tokens *tk, unsigned depth,
      struct imap_search_arg **out_r, size_t *count_r)
{
	if (depth > IMAP_SEARCH_MAX_DEPTH)
		return -ERR_LIMIT;
	struct imap_search_arg *out = arena_zalloc(a, (tk->n + 1) *
						      sizeof(*out));
	size_t k = 0;
	if (out == NULL)
		return -ERR_LIMIT;
	while (tk->pos < tk->n) {
		const char *t = tk->t[tk->pos++];
		if (strcmp(t, ")") == 0) {
			if (depth == 0)
				return -ERR_SYNTAX;
			*out_r = out;
			*count_r = k;
			return 0;
		}
		struct imap_search_arg *x = &out[k++];
		if (strcmp(t, "(") == 0) {
			struct imap_search_arg *list;
			x->type = IMAP_SEARCH_ARG_LIST;
			int r = build(a, tk, depth + 1, &list, &x->count);
			if (r < 0)
				return r;
			x->list = list;
		} else {
			x->type = atom_like(t) ? IMAP_SEARCH_ARG_ATOM
					       : IMAP_SEARCH_ARG_STRING;
			x->str = t;
			x->len = strlen(t);
		}
	}
	if (depth > 0)
		return -ERR_SYNTAX;	/* a "(" never closed */
	*out_r = out;
	*count_r = k;
	return 0;
}

/* words (one per argument) into a search program: "(" and ")" at a
 * word's ends open and close lists, as a shell user writes them */
static int
query(struct arena *a, char **words, unsigned n,
      struct imap_search_key **prog_r)
{
	struct tokens tk = { NULL, 0, 0 };
	struct imap_search_arg *args;
	size_t count, most = 1;
	const char *error = "out of memory";
	int r;

	/* a word gives at most one token per byte, and one for itself */
	for (unsigned i = 0; i < n; i++)
		most += strlen(words[i]) + 1;
	if ((tk.t = arena_zalloc(a, most * sizeof(char *))) == NULL)
		return -ERR_LIMIT;
	for (unsigned i = 0; i < n; i++) {
		const char *w = words[i];
		size_t len = strlen(w), close = 0;
		for (; *w == '(' && len > 0; w++, len--)
			tk.t[tk.n++] = "(";
		while (close < len && w[len - 1 - close] == ')')
			close++;
		if (len > close)
			tk.t[tk.n++] = arena_strndup(a, w, len - close);
		for (; close > 0; close--)
			tk.t[tk.n++] = ")";
	}
	if ((r = build(a, &tk, 0, &args, &count)) == 0)
		r = imap_search_parse(a, args, count, NULL, prog_r, &error);
	else
		error = r == -ERR_LIMIT ? "nested too deep" : "unbalanced "
							      "parentheses";
	if (r < 0)
		admin_say("bad search query: %s", error);
	return r;
}

/* the folder's messages that match args[2..n) (the query) */
static int
search(struct admin_mail *m, char **args, unsigned n, bool readonly,
       struct admin_account *acc, struct store_mailbox **mb_r, uint32_t **seqs_r,
       uint32_t *count_r)
{
	struct imap_search_key *prog;
	int r = admin_account_open(m, args[0], acc), e;

	*mb_r = NULL;
	if (r != ADMIN_EXIT_OK)
		return r;
	if (query(acc->a, args + 2, n - 2, &prog) < 0)
		return ADMIN_EXIT_USAGE;
	if ((e = store_mailbox_open(acc->store, args[1], readonly, mb_r)) < 0) {
		admin_say("%s: %s", args[1], e == -ERR_NOTFOUND ?
			  "no such mailbox" : store_user_error(acc->store));
		return ADMIN_EXIT_REFUSED;
	}
	if ((e = imap_search_box(*mb_r, acc->a, prog, seqs_r, count_r)) < 0) {
		admin_say("%s: search failed: %s", args[1], err_str(e));
		return ADMIN_EXIT_REFUSED;
	}
	return ADMIN_EXIT_OK;
}

static void
json_bytes(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
}

/* One message: an mboxrd entry ("From " line, ">From " quoting, LF line
 * ends), or a JSON object. Returns 1 (printed), 0 (gone meanwhile) or an
 * error. */
static int
print_message(struct admin_mail *m, struct store_mailbox *mb, uint32_t seq,
	      bool first)
{
	const struct store_msg *sm = store_msg_get(mb, seq);
	uint64_t size = 0;
	time_t date = 0;
	char when[64];
	struct tm tm;
	int fd, r;

	if ((r = store_msg_size(mb, seq, &size)) < 0 ||
	    (r = store_msg_internal_date(mb, seq, &date)) < 0 ||
	    (r = store_msg_open(mb, seq, &fd)) < 0)
		return r == -ERR_NOTFOUND ? 0 : r;	/* expunged meanwhile */
	r = 1;
	FILE *in = fdopen(fd, "r");
	if (in == NULL) {
		close(fd);
		return -ERR_IO;
	}
	if (m->json)
		printf("%s{\"uid\":%u,\"size\":%llu,\"date\":%lld,\"flags\":"
		       "\"%s%s%s%s%s\",\"message\":\"", first ? "" : ",",
		       sm->uid, (unsigned long long)size, (long long)date,
		       sm->flags & STORE_FLAG_SEEN ? "\\\\Seen " : "",
		       sm->flags & STORE_FLAG_ANSWERED ? "\\\\Answered " : "",
		       sm->flags & STORE_FLAG_FLAGGED ? "\\\\Flagged " : "",
		       sm->flags & STORE_FLAG_DELETED ? "\\\\Deleted " : "",
		       sm->flags & STORE_FLAG_DRAFT ? "\\\\Draft " : "");
	else
		printf("From MAILER-DAEMON %s\n", gmtime_r(&date, &tm) &&
		       strftime(when, sizeof(when), "%a %b %e %H:%M:%S %Y",
				&tm) ? when : "Thu Jan  1 00:00:00 1970");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	while ((len = getline(&line, &cap, in)) > 0) {
		if (m->json) {
			json_bytes(line, (size_t)len);
			continue;
		}
		size_t body = (size_t)len;
		if (body > 0 && line[body - 1] == '\n')
			body--;
		if (body > 0 && line[body - 1] == '\r')
			body--;
		size_t gt = strspn(line, ">");
		/* mboxrd: any number of ">" before "From " gets one more */
		if (body >= gt + 5 && memcmp(line + gt, "From ", 5) == 0)
			putchar('>');
		fwrite(line, 1, body, stdout);
		putchar('\n');
	}
	free(line);
	fclose(in);
	fputs(m->json ? "\"}" : "\n", stdout);
	return r;
}

int
admin_fetch(struct admin_mail *m, char **args, unsigned n)
{
	struct admin_account acc;
	struct store_mailbox *mb;
	uint32_t *seqs = NULL, count = 0, shown = 0;
	int r = search(m, args, n, true, &acc, &mb, &seqs, &count);

	if (r == ADMIN_EXIT_OK && m->json)
		putchar('[');
	for (uint32_t i = 0; r == ADMIN_EXIT_OK && i < count; i++) {
		int e = print_message(m, mb, seqs[i], shown == 0);
		if (e < 0) {
			admin_say("%s: message %u: %s", args[1], seqs[i],
				  err_str(e));
			r = ADMIN_EXIT_REFUSED;
		}
		shown += e > 0;
	}
	if (r == ADMIN_EXIT_OK && m->json)
		puts("]");
	if (r == ADMIN_EXIT_OK && shown == 0)
		r = ADMIN_EXIT_REFUSED;		/* nothing matched: scripts see it */
	store_mailbox_close(&mb);
	return admin_account_close(&acc, r);
}

int
admin_expunge(struct admin_mail *m, char **args, unsigned n)
{
	struct admin_account acc;
	struct store_mailbox *mb;
	struct store_uid_range *ranges = NULL;
	uint32_t *seqs = NULL, count = 0;
	int r = search(m, args, n, false, &acc, &mb, &seqs, &count), e = 0;

	if (r == ADMIN_EXIT_OK && count > 0 &&
	    (ranges = arena_alloc(acc.a, count * sizeof(*ranges))) == NULL)
		e = -ERR_LIMIT;
	/* \Deleted, then an expunge of exactly these UIDs (UID EXPUNGE,
	 * RFC 4315 2.1): messages the user marked \Deleted stay */
	for (uint32_t i = 0; r == ADMIN_EXIT_OK && e == 0 && i < count; i++) {
		ranges[i].first = ranges[i].last =
			store_msg_get(mb, seqs[i])->uid;
		e = store_msg_set_flags(mb, seqs[i], STORE_FLAGS_ADD,
					STORE_FLAG_DELETED, NULL, 0);
	}
	if (r == ADMIN_EXIT_OK && e == 0 && count > 0)
		e = store_mailbox_expunge(mb, ranges, count, NULL, NULL);
	if (e < 0) {
		admin_say("%s: expunge failed: %s", args[1], err_str(e));
		r = ADMIN_EXIT_REFUSED;
	}
	if (r == ADMIN_EXIT_OK && m->json)
		printf("{\"expunged\":%u}\n", count);
	else if (r == ADMIN_EXIT_OK)
		printf("expunged %u message%s from %s of %s\n", count,
		       count == 1 ? "" : "s", args[1], args[0]);
	if (r == ADMIN_EXIT_OK && count == 0)
		r = ADMIN_EXIT_REFUSED;
	store_mailbox_close(&mb);
	return admin_account_close(&acc, r);
}
