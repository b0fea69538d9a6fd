/* Maildock - SPDX-License-Identifier: MIT
 *
 * Unit tests for folder operations, subscriptions, STATUS, COPY/MOVE,
 * quota and the POP3 helpers of storage/store.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "t/unit/storetest.h"
#include "core/error.h"

static const char msg[] = "Subject: x\n\nhello\n";

static int
setup(void **state)
{
	*state = tmp_maildir();
	return 0;
}

static int
teardown(void **state)
{
	char *p = *state, *slash = strrchr(p, '/');
	*slash = '\0';
	rm_rf(p);
	free(p);
	return 0;
}

static struct store_user *
user(void **state, const char *quota)
{
	struct store_user *u;
	const char *err;
	assert_int_equal(store_user_open(*state, quota, &u, &err), 0);
	return u;
}

struct listing {
	char text[4096];
};

static int
collect(void *ctx, const char *name, unsigned attrs)
{
	struct listing *l = ctx;
	size_t len = strlen(l->text);
	snprintf(l->text + len, sizeof(l->text) - len, "%s%s%s%s%s%s;", name,
		 attrs & STORE_ATTR_NOSELECT ? " N" : "",
		 attrs & STORE_ATTR_HASCHILDREN ? " C" : "",
		 attrs & STORE_ATTR_HASNOCHILDREN ? " L" : "",
		 attrs & STORE_ATTR_SUBSCRIBED ? " S" : "",
		 attrs & STORE_ATTR_NONEXISTENT ? " X" : "");
	return 0;
}

static const char *
list(struct store_user *u, bool subscribed)
{
	static struct listing l;
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_folder_list(u, subscribed, collect, &l), 0);
	return l.text;
}

static void
test_store_folder_create_list_delete(void **state)
{
	struct store_user *u = user(state, NULL);
	char path[4096];
	struct stat st;

	assert_int_equal(store_folder_create(u, "A.B.C"), 0);
	assert_int_equal(store_folder_create(u, "Entw\xc3\xbcrfe."), 0);
	assert_int_equal(store_folder_create(u, "A"), -ERR_EXISTS);
	assert_int_equal(store_folder_create(u, "inbox"), -ERR_EXISTS);
	assert_int_equal(store_folder_create(u, "a/b"), -ERR_INVAL);
	assert_int_equal(store_folder_create(u, "..x"), -ERR_INVAL);
	/* the on-disk name is Courier's modified UTF-7 */
	snprintf(path, sizeof(path), "%s/.Entw&APw-rfe/maildirfolder",
		 (char *)*state);
	assert_int_equal(stat(path, &st), 0);
	assert_string_equal(list(u, false),
			    "INBOX L;A C;A.B C;A.B.C L;Entw\xc3\xbcrfe L;");
	/* DELETE keeps the children; the parent becomes \Noselect */
	assert_int_equal(store_folder_delete(u, "A"), 0);
	assert_string_equal(list(u, false),
			    "INBOX L;A N C;A.B C;A.B.C L;Entw\xc3\xbcrfe L;");
	assert_int_equal(store_folder_delete(u, "A"), -ERR_NOTFOUND);
	/* a bare directory another tool made is listed, not selectable */
	snprintf(path, sizeof(path), "%s/.Bare", (char *)*state);
	mkdir(path, 0700);
	assert_string_equal(list(u, false), "INBOX L;A N C;A.B C;A.B.C L;"
			    "Bare N L;Entw\xc3\xbcrfe L;");
	rmdir(path);
	assert_int_equal(store_folder_delete(u, "INBOX"), -ERR_PERM);
	assert_int_equal(store_folder_exists(u, "A.B"), 1);
	assert_int_equal(store_folder_exists(u, "A"), 0);
	struct store_mailbox *mb;
	assert_int_equal(store_mailbox_open(u, "A", false, &mb),
			 -ERR_NOTFOUND);
	store_user_close(&u);
}

static void
test_store_folder_rename(void **state)
{
	struct store_user *u = user(state, NULL);
	struct store_status st;

	assert_int_equal(store_folder_create(u, "Work.2024"), 0);
	assert_int_equal(append_text(u, "Work", msg, 0, NULL), 0);
	assert_int_equal(store_subscribe(u, "Work.2024", true), 0);
	assert_int_equal(store_folder_rename(u, "Work", "Old.Work"), 0);
	assert_string_equal(list(u, false),
			    "INBOX L;Old C;Old.Work C;Old.Work.2024 L S;");
	assert_string_equal(list(u, true), "Old.Work.2024 L S;");
	assert_int_equal(store_folder_status(u, "Old.Work", &st), 0);
	assert_int_equal(st.messages, 1);
	assert_int_equal(store_folder_rename(u, "Nope", "X"), -ERR_NOTFOUND);
	assert_int_equal(store_folder_rename(u, "Old", "INBOX"), -ERR_EXISTS);
	assert_int_equal(store_folder_create(u, "Y"), 0);
	assert_int_equal(store_folder_rename(u, "Y", "Old.Work"),
			 -ERR_EXISTS);
	/* RENAME INBOX moves the messages and leaves INBOX empty */
	assert_int_equal(append_text(u, "INBOX", msg, 0, NULL), 0);
	assert_int_equal(append_text(u, "INBOX", msg, 0, NULL), 0);
	assert_int_equal(store_folder_rename(u, "INBOX", "Saved"), 0);
	assert_int_equal(store_folder_status(u, "INBOX", &st), 0);
	assert_int_equal(st.messages, 0);
	assert_int_equal(store_folder_status(u, "Saved", &st), 0);
	assert_int_equal(st.messages, 2);
	store_user_close(&u);
}

static void
test_store_uidvalidity_never_reused(void **state)
{
	struct store_user *u = user(state, NULL);
	struct store_status a, b;
	uint32_t uid1, uid2;

	/* B26: RENAME Work Work-old; CREATE Work; APPEND */
	assert_int_equal(store_folder_create(u, "Work"), 0);
	assert_int_equal(append_text(u, "Work", msg, 0, &uid1), 0);
	assert_int_equal(store_folder_status(u, "Work", &a), 0);
	assert_int_equal(store_folder_rename(u, "Work", "Work-old"), 0);
	assert_int_equal(store_folder_create(u, "Work"), 0);
	assert_int_equal(append_text(u, "Work", msg, 0, &uid2), 0);
	assert_int_equal(store_folder_status(u, "Work", &b), 0);
	assert_true(b.uidvalidity != a.uidvalidity || uid2 > uid1);
	store_user_close(&u);
}

static void
test_store_subscriptions_courier_file(void **state)
{
	struct store_user *u = user(state, NULL);
	char path[4096];

	assert_int_equal(store_subscribe(u, "inbox", true), 0);
	assert_int_equal(store_subscribe(u, "Entw\xc3\xbcrfe", true), 0);
	assert_int_equal(store_subscribe(u, "Gone", true), 0);
	assert_int_equal(store_subscribe(u, "Gone", true), 0);
	assert_int_equal(store_subscribe(u, "Never", false), -ERR_NOTFOUND);
	assert_int_equal(store_subscribe(u, "a/b", true), -ERR_INVAL);
	assert_int_equal(store_folder_create(u, "Entw\xc3\xbcrfe"), 0);
	snprintf(path, sizeof(path), "%s/courierimapsubscribed",
		 (char *)*state);
	assert_string_equal(get_file(path),
			    "INBOX\nINBOX.Entw&APw-rfe\nINBOX.Gone\n");
	assert_string_equal(list(u, true),
			    "INBOX L S;Entw\xc3\xbcrfe L S;Gone N L S X;");
	assert_int_equal(store_subscribe(u, "Gone", false), 0);
	assert_string_equal(list(u, false), "INBOX L S;Entw\xc3\xbcrfe L S;");
	store_user_close(&u);
}

static void
test_store_copy_and_move(void **state)
{
	struct store_user *u = user(state, NULL);
	struct store_mailbox *mb, *dst;
	uint32_t seqs[] = { 3, 1 }, uids[2], uidv;
	const char *kw[] = { "Work" };

	assert_int_equal(store_folder_create(u, "Archive"), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(append_text(u, "INBOX", msg, STORE_FLAG_SEEN,
					     NULL), 0);
	assert_int_equal(store_mailbox_open(u, "INBOX", false, &mb), 0);
	assert_int_equal(store_msg_set_flags(mb, 3, STORE_FLAGS_ADD, 0, kw,
					     1), 0);
	assert_int_equal(store_copy(mb, seqs, 2, "Archive", &uidv, uids), 0);
	assert_int_equal(uids[0], 1);
	assert_int_equal(uids[1], 2);
	assert_int_equal(store_copy(mb, seqs, 2, "Nope", &uidv, uids),
			 -ERR_NOTFOUND);
	assert_int_equal(store_mailbox_open(u, "Archive", false, &dst), 0);
	assert_int_equal(store_mailbox_uidvalidity(dst), uidv);
	assert_int_equal(store_mailbox_count(dst), 2);
	assert_true(store_msg_get(dst, 1)->flags & STORE_FLAG_SEEN);
	assert_int_equal(store_msg_get(dst, 1)->keyword_count, 1);
	assert_int_equal(store_msg_get(dst, 2)->keyword_count, 0);
	/* MOVE: gone from the source, expunges reported highest first */
	uint32_t mseq[] = { 2 };
	assert_int_equal(store_move(mb, mseq, 1, "Archive", &uidv, uids,
				    NULL, NULL), 0);
	assert_int_equal(uids[0], 3);
	assert_int_equal(store_mailbox_count(mb), 2);
	assert_int_equal(store_msg_get(mb, 2)->uid, 3);
	assert_int_equal(store_mailbox_sync(dst, NULL, NULL), 0);
	assert_int_equal(store_mailbox_count(dst), 3);
	assert_int_equal(count_files(*state, "cur"), 2);
	store_user_close(&u);
}

static void
test_store_quota(void **state)
{
	struct store_user *u = user(state, "100S,2C");
	uint64_t bu, bl, mu, ml;
	char path[4096];

	assert_int_equal(store_quota_get(u, &bu, &bl, &mu, &ml), 0);
	assert_int_equal(bl, 100);
	assert_int_equal(ml, 2);
	assert_int_equal(bu, 0);
	assert_int_equal(append_text(u, "INBOX", msg, 0, NULL), 0);
	assert_int_equal(store_quota_get(u, &bu, &bl, &mu, &ml), 0);
	assert_int_equal(bu, strlen(msg));
	assert_int_equal(mu, 1);
	/* too big */
	char big[200];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(append_text(u, "INBOX", big, 0, NULL), -ERR_QUOTA);
	struct store_append *a;
	assert_int_equal(store_append_begin(u, "INBOX", 0, NULL, 0, 0, 500,
					    &a), -ERR_QUOTA);
	assert_int_equal(append_text(u, "INBOX", msg, 0, NULL), 0);
	/* message count limit */
	assert_int_equal(append_text(u, "INBOX", msg, 0, NULL), -ERR_QUOTA);
	assert_int_equal(count_files(*state, "cur"), 2);
	assert_int_equal(count_files(*state, "tmp"), 0);
	/* expunge gives the room back */
	struct store_mailbox *mb;
	assert_int_equal(store_mailbox_open(u, "INBOX", false, &mb), 0);
	assert_int_equal(store_msg_set_flags(mb, 1, STORE_FLAGS_ADD,
					     STORE_FLAG_DELETED, NULL, 0), 0);
	assert_int_equal(store_mailbox_expunge(mb, NULL, 0, NULL, NULL), 0);
	assert_int_equal(store_quota_get(u, &bu, &bl, &mu, &ml), 0);
	assert_int_equal(mu, 1);
	/* deleting a folder gives its room back */
	assert_int_equal(store_folder_create(u, "Old"), 0);
	assert_int_equal(append_text(u, "Old", msg, 0, NULL), 0);
	assert_int_equal(store_quota_get(u, &bu, &bl, &mu, &ml), 0);
	assert_int_equal(mu, 2);
	assert_int_equal(store_folder_delete(u, "Old"), 0);
	assert_int_equal(store_quota_get(u, &bu, &bl, &mu, &ml), 0);
	assert_int_equal(mu, 1);
	assert_int_equal(bu, strlen(msg));
	/* a missing maildirsize is recalculated from the folders */
	store_user_close(&u);
	snprintf(path, sizeof(path), "%s/maildirsize", (char *)*state);
	unlink(path);
	u = user(state, "100S,2C");
	assert_int_equal(store_quota_get(u, &bu, &bl, &mu, &ml), 0);
	assert_int_equal(mu, 1);
	assert_int_equal(bu, strlen(msg));
	store_user_close(&u);
}

static void
test_store_quota_file_too_large_is_recalculated(void **state)
{
	struct store_user *u = user(state, "100000S,100C");
	char path[4096], *text = malloc(8192);
	uint64_t bu, mu;
	size_t len;

	assert_int_equal(append_text(u, "INBOX", msg, 0, NULL), 0);
	/* many deliveries later: a file past 5120 bytes, wrong in sum */
	len = (size_t)snprintf(text, 8192, "100000S,100C\n");
	while (len < 6000)
		len += (size_t)snprintf(text + len, 8192 - len, "1000 1\n");
	snprintf(path, sizeof(path), "%s/maildirsize", (char *)*state);
	FILE *fp = fopen(path, "w");
	fputs(text, fp);
	fclose(fp);
	free(text);
	assert_int_equal(store_quota_get(u, &bu, NULL, &mu, NULL), 0);
	assert_int_equal(mu, 1);
	assert_int_equal(bu, strlen(msg));
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_size < 100);
	store_user_close(&u);
}

static void
test_store_pop3_uidl_like_courier(void **state)
{
	struct store_user *u = user(state, NULL);
	struct store_mailbox *mb, *other;
	char path[4096], buf[STORE_POP3_UIDL_MAX];

	/* courierpop3dsizelist as Courier's pop3d wrote it */
	put_file(*state, "cur", "1000.M1P1.host:2,S", msg);
	put_file(*state, "cur", "1002.M1P1.host:2,", msg);
	put_file(*state, NULL, "courierpop3dsizelist",
		 "/3 8 1111111111\n1000.M1P1.host:2,S 19 5:1111111111:0\n");
	assert_int_equal(store_mailbox_open(u, "INBOX", false, &mb), 0);
	assert_int_equal(store_pop3_uidl(mb, 1, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "UID5-1111111111");
	/* a message Courier never saw gets Courier's next number */
	assert_int_equal(store_pop3_uidl(mb, 2, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "UID8-1111111111");
	snprintf(path, sizeof(path), "%s/courierpop3dsizelist",
		 (char *)*state);
	assert_string_equal(get_file(path),
			    "/3 9 1111111111\n"
			    "1000.M1P1.host:2,S 19 5:1111111111:0\n"
			    "1002.M1P1.host:2, 21 8:1111111111:0\n");
	assert_int_equal(store_pop3_uidl(mb, 3, buf, sizeof(buf)),
			 -ERR_INVAL);
	/* the maildrop lock is exclusive */
	assert_int_equal(store_mailbox_open(u, "INBOX", false, &other), 0);
	assert_int_equal(store_pop3_lock(mb), 0);
	assert_int_equal(store_pop3_lock(other), -ERR_BUSY);
	store_pop3_unlock(mb);
	assert_int_equal(store_pop3_lock(other), 0);
	store_mailbox_close(&other);	/* releases it */
	assert_int_equal(store_pop3_lock(mb), 0);
	store_pop3_unlock(mb);
	/* a lock left by a dead process is stale */
	put_file(*state, NULL, "maildock-pop3.lock", "999999999 nohost\n");
	assert_int_equal(store_pop3_lock(mb), -ERR_BUSY);
	char host[64];
	gethostname(host, sizeof(host));
	char text[128];
	snprintf(text, sizeof(text), "999999 %s\n", host);
	put_file(*state, NULL, "maildock-pop3.lock", text);
	assert_int_equal(store_pop3_lock(mb), 0);
	store_user_close(&u);
}

static void
test_store_pop3_uidl_stable_across_sessions(void **state)
{
	struct store_user *u = user(state, NULL);
	struct store_mailbox *mb;
	static char first[3000][STORE_POP3_UIDL_MAX];
	char buf[STORE_POP3_UIDL_MAX], name[64];

	for (int i = 0; i < 3000; i++) {
		snprintf(name, sizeof(name), "%d.M%dP1.host:2,", 1000 + i % 7,
			 i);
		put_file(*state, "cur", name, msg);
	}
	assert_int_equal(store_mailbox_open(u, "INBOX", false, &mb), 0);
	for (uint32_t s = 1; s <= 3000; s++)
		assert_int_equal(store_pop3_uidl(mb, s, first[s - 1],
						 STORE_POP3_UIDL_MAX), 0);
	store_user_close(&u);
	u = user(state, NULL);
	assert_int_equal(store_mailbox_open(u, "INBOX", false, &mb), 0);
	for (uint32_t s = 1; s <= 3000; s++) {
		assert_int_equal(store_pop3_uidl(mb, s, buf, sizeof(buf)), 0);
		assert_string_equal(buf, first[s - 1]);
	}
	store_user_close(&u);
}

static void
test_store_pop3_lock_across_processes(void **state)
{
	struct store_user *u = user(state, NULL);
	struct store_mailbox *mb;
	int ready[2], go[2];
	char c = 0;

	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	pid_t pid = fork();
	if (pid == 0) {
		struct store_user *cu;
		struct store_mailbox *cmb;
		const char *err;
		if (store_user_open(*state, NULL, &cu, &err) < 0 ||
		    store_mailbox_open(cu, "INBOX", false, &cmb) < 0 ||
		    store_pop3_lock(cmb) < 0)
			_exit(1);
		if (write(ready[1], "x", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(1);
		_exit(0);	/* dies holding the lock */
	}
	assert_int_equal(read(ready[0], &c, 1), 1);
	assert_int_equal(store_mailbox_open(u, "INBOX", false, &mb), 0);
	assert_int_equal(store_pop3_lock(mb), -ERR_BUSY);
	assert_int_equal(write(go[1], "x", 1), 1);
	int st;
	waitpid(pid, &st, 0);
	/* the holder is dead: its lock is stale and taken over */
	assert_int_equal(store_pop3_lock(mb), 0);
	store_user_close(&u);
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
}

static void
test_store_status(void **state)
{
	struct store_user *u = user(state, NULL);
	struct store_status st;

	assert_int_equal(store_folder_status(u, "INBOX", &st), 0);
	assert_int_equal(st.messages, 0);
	assert_true(st.uidnext >= 1);
	assert_true(st.uidvalidity >= 1);
	assert_int_equal(append_text(u, "INBOX", msg, STORE_FLAG_SEEN, NULL),
			 0);
	put_file(*state, "new", "2000.M1P1.host", msg);
	assert_int_equal(store_folder_status(u, "INBOX", &st), 0);
	assert_int_equal(st.messages, 2);
	assert_int_equal(st.recent, 2);
	assert_int_equal(st.unseen, 1);
	assert_int_equal(st.uidnext, 3);
	assert_int_equal(store_folder_status(u, "Nope", &st), -ERR_NOTFOUND);
	assert_int_equal(store_folder_status(u, "../x", &st), -ERR_INVAL);
	store_user_close(&u);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_store_folder_create_list_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_folder_rename,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_store_uidvalidity_never_reused, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_store_subscriptions_courier_file, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_store_copy_and_move,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_quota, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_store_quota_file_too_large_is_recalculated, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_store_pop3_uidl_like_courier, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_store_pop3_uidl_stable_across_sessions, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_store_pop3_lock_across_processes, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_store_status, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
