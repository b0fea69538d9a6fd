/* Maildock - SPDX-License-Identifier: MIT
 *
 * Unit tests for the UID list: its own format, imports of Courier's
 * courierimapuiddb and Dovecot's dovecot-uidlist v3 (fixtures written from
 * the formats' documentation), persistence, and two processes numbering
 * messages of one folder at once without a collision.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>
#include <cmocka.h>
#include "t/unit/storetest.h"
#include "storage/maildir/maildir.h"
#include "storage/maildir/maildir-uidlist.h"
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
user(void **state)
{
	struct store_user *u;
	const char *err;
	assert_int_equal(store_user_open(*state, NULL, &u, &err), 0);
	return u;
}

static void
test_maildir_uidlist_parse_formats(void **state)
{
	struct maildir_uidlist ul;
	char own[] = "MAILDOCK-UIDLIST 1 77 12 10\n"
		     "3 0 1000.M1.h:2,S\n9 120 1001.M2.h,S=100,W=120:2,\n"
		     "11 0 torn-last-li";
	char courier[] = "1 1234567890 10\n7 1001.M1P1.host\n"
			 "3 1000.M1P1.host:2,S\n";
	char dovecot[] = "3 V1275660208 N25022 "
			 "G3085f01b7f11094c501100008c4a11c1\n"
			 "25006 W2048 :1276528487.M364837P9451.kurkku,S=1988,"
			 "W=2048\n25017 :1276533073.M242911P3632.kurkku\n";
	char broken[] = "1 1234567890 10\n7 a\n7 b\n";

	(void)state;
	assert_int_equal(maildir_uidlist_parse_own(own, strlen(own), &ul), 0);
	assert_int_equal(ul.uidvalidity, 77);
	assert_int_equal(ul.uidnext, 12);
	assert_int_equal(ul.first_recent, 10);
	assert_int_equal(ul.n, 2);
	/* its own list keeps whole file names (flags included) */
	assert_string_equal(ul.e[0].base, "1000.M1.h:2,S");
	assert_int_equal(ul.e[0].blen, 9);
	assert_int_equal(ul.e[1].vsize, 120);
	free(ul.e);
	assert_int_equal(maildir_uidlist_parse_courier(courier,
						       strlen(courier), &ul),
			 0);
	assert_int_equal(ul.uidvalidity, 1234567890);
	assert_int_equal(ul.uidnext, 10);
	assert_int_equal(ul.n, 2);
	assert_int_equal(ul.e[0].uid, 3);	/* sorted */
	assert_string_equal(ul.e[0].base, "1000.M1P1.host");
	free(ul.e);
	assert_int_equal(maildir_uidlist_parse_dovecot(dovecot,
						       strlen(dovecot), &ul),
			 0);
	assert_int_equal(ul.uidvalidity, 1275660208);
	assert_int_equal(ul.uidnext, 25022);
	assert_int_equal(ul.n, 2);
	assert_int_equal(ul.e[0].uid, 25006);
	assert_int_equal(ul.e[0].vsize, 2048);
	assert_string_equal(ul.e[0].base,
			    "1276528487.M364837P9451.kurkku,S=1988,W=2048");
	assert_string_equal(ul.e[1].base,
			    "1276533073.M242911P3632.kurkku");
	free(ul.e);
	assert_int_equal(maildir_uidlist_parse_courier(broken, strlen(broken),
						       &ul), -ERR_CORRUPT);
	free(ul.e);
}

static void
test_maildir_uidlist_import_courier(void **state)
{
	struct store_user *u = user(state);
	struct store_mailbox *mb;
	char path[4096];

	put_file(*state, "cur", "1000.M1P1.host:2,S", msg);
	put_file(*state, "cur", "1001.M1P1.host:2,", msg);
	put_file(*state, "new", "1002.M1P1.host", msg);
	put_file(*state, NULL, "courierimapuiddb",
		 "1 1234567890 10\n3 1000.M1P1.host\n7 1001.M1P1.host\n"
		 "8 999.gone.host\n");
	assert_int_equal(store_mailbox_open(u, "INBOX", false, &mb), 0);
	assert_int_equal(store_mailbox_uidvalidity(mb), 1234567890);
	assert_int_equal(store_mailbox_count(mb), 3);
	assert_int_equal(store_msg_get(mb, 1)->uid, 3);
	assert_int_equal(store_msg_get(mb, 2)->uid, 7);
	assert_int_equal(store_msg_get(mb, 3)->uid, 10);
	assert_int_equal(store_mailbox_uidnext(mb), 11);
	/* only the message Courier never saw is \Recent */
	assert_int_equal(store_mailbox_recent_count(mb), 1);
	assert_true(store_msg_get(mb, 3)->flags & STORE_FLAG_RECENT);
	store_user_close(&u);
	snprintf(path, sizeof(path), "%s/maildock-uidlist", (char *)*state);
	assert_non_null(get_file(path));
	/* the imported numbers are ours from now on */
	unlink(path);
	put_file(*state, NULL, "courierimapuiddb", "garbage\n");
	u = user(state);
	put_file(*state, NULL, "maildock-uidlist",
		 "MAILDOCK-UIDLIST 1 1234567890 11 11\n3 0 1000.M1P1.host\n"
		 "7 0 1001.M1P1.host\n10 0 1002.M1P1.host\n");
	assert_int_equal(store_mailbox_open(u, "INBOX", false, &mb), 0);
	assert_int_equal(store_msg_get(mb, 3)->uid, 10);
	store_user_close(&u);
}

/* RFC 3501 2.3.1.1: UIDs are 32-bit and strictly ascending; when they run
 * out the folder gets a new UIDVALIDITY and is renumbered from 1, never
 * UID 0 and never one handed out before (as Dovecot does). */
static void
test_maildir_uidlist_uids_exhausted(void **state)
{
	struct store_user *u = user(state);
	struct store_mailbox *mb;
	char path[4096], want[128];
	uint32_t uid;

	put_file(*state, "cur", "1000.M1P1.host:2,S", msg);
	put_file(*state, "cur", "1001.M1P1.host:2,F", msg);
	put_file(*state, NULL, "courierimapuiddb",
		 "1 1234567890 4294967295\n4294967290 1000.M1P1.host\n"
		 "4294967294 1001.M1P1.host\n");
	assert_int_equal(store_mailbox_open(u, "INBOX", false, &mb), 0);
	assert_int_equal(store_mailbox_uidvalidity(mb), 1234567890);
	assert_int_equal(store_msg_get(mb, 2)->uid, 4294967294u);
	assert_int_equal(store_mailbox_uidnext(mb), 4294967295u);
	store_mailbox_close(&mb);
	/* no room for another UID: renumbered under a new UIDVALIDITY */
	assert_int_equal(append_text(u, "INBOX", msg, 0, &uid), 0);
	assert_int_equal(uid, 3);
	assert_int_equal(store_mailbox_open(u, "INBOX", false, &mb), 0);
	assert_int_not_equal(store_mailbox_uidvalidity(mb), 1234567890);
	assert_int_equal(store_mailbox_count(mb), 3);
	assert_int_equal(store_msg_get(mb, 1)->uid, 1);
	assert_true(store_msg_get(mb, 1)->flags & STORE_FLAG_SEEN);
	assert_int_equal(store_msg_get(mb, 2)->uid, 2);
	assert_true(store_msg_get(mb, 2)->flags & STORE_FLAG_FLAGGED);
	assert_int_equal(store_mailbox_uidnext(mb), 4);
	/* Courier's list follows, so Courier shows the same numbers */
	snprintf(path, sizeof(path), "%s/courierimapuiddb", (char *)*state);
	snprintf(want, sizeof(want), "1 %u 4\n1 1000.M1P1.host\n",
		 store_mailbox_uidvalidity(mb));
	assert_memory_equal(get_file(path), want, strlen(want));
	store_mailbox_close(&mb);
	store_user_close(&u);
	/* a list whose last UID is 2^32-1 (no UIDNEXT can follow it) */
	snprintf(path, sizeof(path), "%s/maildock-uidlist", (char *)*state);
	unlink(path);
	put_file(*state, NULL, "courierimapuiddb",
		 "1 1234567890 0\n4294967295 1000.M1P1.host\n");
	u = user(state);
	assert_int_equal(store_mailbox_open(u, "INBOX", false, &mb), 0);
	assert_int_not_equal(store_mailbox_uidvalidity(mb), 1234567890);
	for (uint32_t i = 1; i <= store_mailbox_count(mb); i++) {
		assert_int_not_equal(store_msg_get(mb, i)->uid, 0);
		assert_true(store_msg_get(mb, i)->uid <
			    store_mailbox_uidnext(mb));
	}
	assert_true(store_mailbox_uidnext(mb) > 1);
	store_user_close(&u);
}

static void
test_maildir_uidlist_import_dovecot(void **state)
{
	struct store_user *u = user(state);
	struct store_mailbox *mb;
	uint64_t size;

	put_file(*state, "cur", "1276528487.M364837P9451.kurkku,S=18:2,S",
		 msg);
	put_file(*state, "cur", "1276533073.M242911P3632.kurkku:2,F", msg);
	put_file(*state, NULL, "dovecot-uidlist",
		 "3 V1275660208 N25022 G3085f01b7f11094c501100008c4a11c1\n"
		 "25006 W2048 :1276528487.M364837P9451.kurkku,S=18\n"
		 "25017 :1276533073.M242911P3632.kurkku\n");
	assert_int_equal(store_mailbox_open(u, "INBOX", false, &mb), 0);
	assert_int_equal(store_mailbox_uidvalidity(mb), 1275660208);
	assert_int_equal(store_mailbox_uidnext(mb), 25022);
	assert_int_equal(store_mailbox_count(mb), 2);
	assert_int_equal(store_msg_get(mb, 1)->uid, 25006);
	assert_int_equal(store_msg_get(mb, 2)->uid, 25017);
	assert_true(store_msg_get(mb, 2)->flags & STORE_FLAG_FLAGGED);
	/* Dovecot's W= size is taken over */
	assert_int_equal(store_msg_size(mb, 1, &size), 0);
	assert_int_equal(size, 2048);
	assert_int_equal(store_mailbox_recent_count(mb), 0);
	store_user_close(&u);
}

static void
test_maildir_uidlist_survives_flag_renames(void **state)
{
	struct store_user *u = user(state);
	struct store_mailbox *mb;
	char from[4096], to[4200];

	for (int i = 0; i < 3; i++)
		assert_int_equal(append_text(u, "INBOX", msg, 0, NULL), 0);
	assert_int_equal(store_mailbox_open(u, "INBOX", false, &mb), 0);
	uint32_t v = store_mailbox_uidvalidity(mb);
	/* another program renames a file for a flag change */
	assert_int_equal(store_msg_path(mb, 2, from, sizeof(from)), 0);
	snprintf(to, sizeof(to), "%sS", from);
	assert_int_equal(rename(from, to), 0);
	store_user_close(&u);
	u = user(state);
	assert_int_equal(store_mailbox_open(u, "INBOX", false, &mb), 0);
	assert_int_equal(store_mailbox_uidvalidity(mb), v);
	assert_int_equal(store_mailbox_count(mb), 3);
	assert_int_equal(store_msg_get(mb, 2)->uid, 2);
	assert_true(store_msg_get(mb, 2)->flags & STORE_FLAG_SEEN);
	assert_int_equal(store_mailbox_uidnext(mb), 4);
	/* expunging the last one never lowers UIDNEXT */
	assert_int_equal(store_msg_set_flags(mb, 3, STORE_FLAGS_ADD,
					     STORE_FLAG_DELETED, NULL, 0), 0);
	assert_int_equal(store_mailbox_expunge(mb, NULL, 0, NULL, NULL), 0);
	store_user_close(&u);
	u = user(state);
	assert_int_equal(store_mailbox_open(u, "INBOX", false, &mb), 0);
	assert_int_equal(store_mailbox_uidnext(mb), 4);
	assert_int_equal(store_mailbox_count(mb), 2);
	store_user_close(&u);
}

/* The files below are what Courier-IMAP 5.0.13 (Debian 12) wrote after
 * SELECT, STORE 1 +FLAGS (\Seen $Label1), STORE 2 +FLAGS (Project-X) and
 * APPEND (\Flagged) on a Maildir with two messages in new/. */
static void
test_maildir_uidlist_real_courier_maildir(void **state)
{
	struct store_user *u = user(state);
	struct store_mailbox *mb;
	char kw[4096];
	unsigned n;
	const char *third =
		"1795950169.M192491P7257V000000000000FE00I0000000000AC21C4"
		"_0.vm";

	put_file(*state, "cur", "1700000001.M1P1.test:2,S", msg);
	put_file(*state, "cur", "1700000002.M2P1.test:2,", msg);
	char name[256];
	snprintf(name, sizeof(name), "%s,S=12:2,F", third);
	put_file(*state, "cur", name, "Subject: x\r\n\r\n");
	snprintf(kw, sizeof(kw), "1 795950169 4\n1 1700000001.M1P1.test\n"
		 "2 1700000002.M2P1.test\n3 %s,S=12\n", third);
	put_file(*state, NULL, "courierimapuiddb", kw);
	snprintf(kw, sizeof(kw), "%s/courierimapkeywords", (char *)*state);
	mkdir(kw, 0700);
	put_file(kw, NULL, ":list", "Project-X\n$Label1\n\n"
		 "1700000001.M1P1.test:1\n1700000002.M2P1.test:0\n");
	put_file(kw, NULL, ".5986501.1700000001.M1P1.test", "$Label1\n");
	put_file(kw, NULL, ".5986501.1700000002.M2P1.test", "Project-X\n");
	assert_int_equal(store_mailbox_open(u, "INBOX", false, &mb), 0);
	assert_int_equal(store_mailbox_uidvalidity(mb), 795950169);
	assert_int_equal(store_mailbox_uidnext(mb), 4);
	assert_int_equal(store_mailbox_count(mb), 3);
	const char *const *names = store_mailbox_keywords(mb, &n);
	const struct store_msg *m1 = store_msg_get(mb, 1);
	const struct store_msg *m2 = store_msg_get(mb, 2);
	const struct store_msg *m3 = store_msg_get(mb, 3);
	assert_int_equal(m1->uid, 1);
	assert_int_equal(m1->flags, STORE_FLAG_SEEN);
	assert_int_equal(m1->keyword_count, 1);
	assert_string_equal(names[m1->keywords[0]], "$Label1");
	assert_int_equal(m2->keyword_count, 1);
	assert_string_equal(names[m2->keywords[0]], "Project-X");
	assert_int_equal(m3->uid, 3);
	assert_int_equal(m3->flags, STORE_FLAG_FLAGGED);
	assert_int_equal(store_mailbox_recent_count(mb), 0);
	store_user_close(&u);
}

/* What Dovecot 2.3.19 (Debian 12) wrote after doveadm mailbox status,
 * flags add '\Seen $Label1' uid 1, save, flags add '\Flagged Project-X'
 * uid 3: flags on files still in new/, keyword letters a-z. */
static void
test_maildir_uidlist_real_dovecot_maildir(void **state)
{
	struct store_user *u = user(state);
	struct store_mailbox *mb;
	char path[4096];

	put_file(*state, "new", "1700000001.M1P1.test:2,Sa", msg);
	put_file(*state, "new", "1700000002.M2P1.test", msg);
	put_file(*state, "new", "1795950146.M433872P32264.vm,S=18,W=21:2,Fb",
		 "Subject: three\r\n\r\nx\r\n");
	put_file(*state, NULL, "dovecot-uidlist",
		 "3 V1795950146 N4 Ge4217d0f42060c6bea7d000083ecc375\n"
		 "1 :1700000001.M1P1.test\n2 :1700000002.M2P1.test\n"
		 "3 :1795950146.M433872P32264.vm,S=18,W=21\n");
	put_file(*state, NULL, "dovecot-keywords", "0 $Label1\n1 Project-X\n");
	assert_int_equal(store_mailbox_open(u, "INBOX", false, &mb), 0);
	assert_int_equal(store_mailbox_uidvalidity(mb), 1795950146);
	assert_int_equal(store_mailbox_uidnext(mb), 4);
	assert_int_equal(store_mailbox_count(mb), 3);
	assert_int_equal(store_msg_get(mb, 1)->flags, STORE_FLAG_SEEN);
	assert_int_equal(store_msg_get(mb, 3)->flags, STORE_FLAG_FLAGGED);
	/* Dovecot's keyword letters: a = $Label1, b = Project-X */
	unsigned nkw;
	const char *const *names = store_mailbox_keywords(mb, &nkw);
	assert_int_equal(store_msg_get(mb, 1)->keyword_count, 1);
	assert_string_equal(names[store_msg_get(mb, 1)->keywords[0]],
			    "$Label1");
	assert_int_equal(store_msg_get(mb, 2)->keyword_count, 0);
	assert_string_equal(names[store_msg_get(mb, 3)->keywords[0]],
			    "Project-X");
	uint64_t size;
	assert_int_equal(store_msg_size(mb, 3, &size), 0);
	assert_int_equal(size, 21);
	/* a flag change keeps Dovecot's keyword letter in the name */
	assert_int_equal(store_msg_set_flags(mb, 3, STORE_FLAGS_ADD,
					     STORE_FLAG_SEEN, NULL, 0), 0);
	assert_int_equal(store_msg_path(mb, 3, path, sizeof(path)), 0);
	assert_non_null(strstr(path, "/cur/1795950146.M433872P32264.vm,S=18,"
			       "W=21:2,FSb"));
	/* Maildock's own keyword change wins over the letter left behind */
	const char *px[] = { "Project-X" };
	assert_int_equal(store_msg_set_flags(mb, 3, STORE_FLAGS_REMOVE, 0, px,
					     1), 0);
	store_user_close(&u);
	u = user(state);
	assert_int_equal(store_mailbox_open(u, "INBOX", false, &mb), 0);
	assert_int_equal(store_msg_get(mb, 3)->keyword_count, 0);
	assert_int_equal(store_msg_get(mb, 1)->keyword_count, 1);
	store_user_close(&u);
}

static void
age_cur(const char *dir)
{
	char path[4096];
	struct timespec ts[2];

	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= 60;
	ts[1] = ts[0];
	snprintf(path, sizeof(path), "%s/cur", dir);
	utimensat(AT_FDCWD, path, ts, 0);
}

static void
test_maildir_uidlist_open_without_listing(void **state)
{
	struct store_user *u = user(state);
	struct store_mailbox *mb;
	char path[4096], from[4096], to[4200];

	for (int i = 0; i < 3; i++)
		assert_int_equal(append_text(u, "INBOX", msg, 0, NULL), 0);
	store_user_close(&u);
	age_cur(*state);
	/* an open after cur/ settled records its stamp in the list... */
	u = user(state);
	assert_int_equal(store_mailbox_open(u, "INBOX", true, &mb), 0);
	store_user_close(&u);
	snprintf(path, sizeof(path), "%s/maildock-uidlist", (char *)*state);
	assert_non_null(strstr(get_file(path), " C"));
	/* ...so the next one trusts the names in the list */
	u = user(state);
	assert_int_equal(store_mailbox_open(u, "INBOX", true, &mb), 0);
	assert_int_equal(store_mailbox_count(mb), 3);
	assert_int_equal(store_msg_get(mb, 3)->uid, 3);
	assert_int_equal(store_msg_path(mb, 2, from, sizeof(from)), 0);
	store_user_close(&u);
	/* any change to cur/ (here another program's flag rename) is seen */
	snprintf(to, sizeof(to), "%sF", from);
	assert_int_equal(rename(from, to), 0);
	u = user(state);
	assert_int_equal(store_mailbox_open(u, "INBOX", true, &mb), 0);
	assert_int_equal(store_mailbox_count(mb), 3);
	assert_true(store_msg_get(mb, 2)->flags & STORE_FLAG_FLAGGED);
	assert_int_equal(store_msg_get(mb, 2)->uid, 2);
	store_user_close(&u);
}

static void
test_maildir_uidlist_lock_left_empty_by_a_crash(void **state)
{
	struct store_user *u = user(state);
	struct store_mailbox *mb;
	char path[4096];
	struct timespec old[2];

	/* a writer killed between creating the lock file and writing its
	 * owner left it empty: not held by anyone after a few seconds */
	put_file(*state, NULL, "maildock-uidlist.lock", "");
	snprintf(path, sizeof(path), "%s/maildock-uidlist.lock",
		 (char *)*state);
	clock_gettime(CLOCK_REALTIME, &old[0]);
	old[0].tv_sec -= 10;
	old[1] = old[0];
	utimensat(AT_FDCWD, path, old, 0);
	put_file(*state, "new", "1000.M1P1.host", msg);
	time_t t0 = time(NULL);
	assert_int_equal(store_mailbox_open(u, "INBOX", false, &mb), 0);
	assert_true(time(NULL) - t0 < 3);
	assert_int_equal(store_mailbox_count(mb), 1);
	assert_int_equal(access(path, F_OK), -1);	/* released */
	store_user_close(&u);
}

#define PER_CHILD 150

static void
test_maildir_uidlist_two_processes_no_collision(void **state)
{
	pid_t pids[2];
	struct store_user *u = user(state);
	store_user_close(&u);

	for (int c = 0; c < 2; c++) {
		pids[c] = fork();
		if (pids[c] == 0) {
			const char *err;
			if (store_user_open(*state, NULL, &u, &err) < 0)
				_exit(2);
			for (int i = 0; i < PER_CHILD; i++) {
				uint32_t uid;
				if (append_text(u, "INBOX", msg, 0, &uid) < 0 ||
				    uid == 0)
					_exit(3);
				/* also deliveries by others, seen by sync */
				if (i % 20 == 0) {
					struct store_mailbox *mb;
					if (store_mailbox_open(u, "INBOX",
							       false, &mb) < 0)
						_exit(4);
					store_mailbox_close(&mb);
				}
			}
			store_user_close(&u);
			_exit(0);
		}
	}
	for (int c = 0; c < 2; c++) {
		int st;
		waitpid(pids[c], &st, 0);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	struct store_mailbox *mb;
	u = user(state);
	assert_int_equal(store_mailbox_open(u, "INBOX", false, &mb), 0);
	assert_int_equal(store_mailbox_count(mb), 2 * PER_CHILD);
	for (uint32_t s = 1; s <= 2 * PER_CHILD; s++)
		assert_int_equal(store_msg_get(mb, s)->uid, s);
	assert_int_equal(store_mailbox_uidnext(mb), 2 * PER_CHILD + 1);
	store_user_close(&u);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_maildir_uidlist_parse_formats),
		cmocka_unit_test_setup_teardown(
			test_maildir_uidlist_import_courier, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_maildir_uidlist_uids_exhausted, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_maildir_uidlist_import_dovecot, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_maildir_uidlist_real_courier_maildir, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_maildir_uidlist_real_dovecot_maildir, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_maildir_uidlist_survives_flag_renames, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_maildir_uidlist_open_without_listing, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_maildir_uidlist_lock_left_empty_by_a_crash, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_maildir_uidlist_two_processes_no_collision,
			setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
