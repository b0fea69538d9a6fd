/* Maildock - SPDX-License-Identifier: MIT
 *
 * Unit tests for keeping Courier's courierimapuiddb and Dovecot's
 * dovecot-uidlist current: what Maildock numbers is written there as those
 * servers write it, what they number meanwhile (simulated here by writing
 * their files as they do) is never numbered again, and their locks are
 * honoured. The real servers are driven in t/proto/test_migrate_*.py.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "t/unit/storetest.h"
#include "storage/maildir/maildir.h"
#include "storage/maildir/maildir-tree.h"
#include "core/error.h"

static const char msg[] = "Subject: x\n\nhello\n";

static int
setup(void **state)
{
	*state = tmp_maildir();
	maildir_settings.compat = MAILDIR_COMPAT_AUTO;
	maildir_settings.lock_timeout = 10;
	return 0;
}

static int
teardown(void **state)
{
	char *p = *state, *slash = strrchr(p, '/');
	*slash = '\0';
	rm_rf(p);
	free(p);
	maildir_settings.compat = MAILDIR_COMPAT_AUTO;
	maildir_settings.lock_timeout = 10;
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

static const char *
file_of(const char *dir, const char *name)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return get_file(path);
}

/* base_of: the base name of the message with uid (seq) in mb. */
static void
base_of(struct store_mailbox *mb, uint32_t seq, char *buf, size_t size)
{
	char path[4096];

	assert_int_equal(store_msg_path(mb, seq, path, sizeof(path)), 0);
	snprintf(buf, size, "%s", strrchr(path, '/') + 1);
	*strchr(buf, ':') = '\0';
}

static void
test_maildir_compat_courier_numbering_shared(void **state)
{
	struct store_user *u = user(state), *u2;
	struct store_mailbox *mb;
	char want[1024], base[256];
	uint32_t uid;

	put_file(*state, "cur", "1000.M1P1.host:2,S", msg);
	put_file(*state, "cur", "1001.M1P1.host:2,", msg);
	put_file(*state, NULL, "courierimapuiddb",
		 "1 1234567890 10\n3 1000.M1P1.host\n7 1001.M1P1.host\n");
	assert_int_equal(append_text(u, "INBOX", msg, 0, &uid), 0);
	assert_int_equal(uid, 10);
	/* written as Courier writes it: base names, next UID in the header */
	assert_int_equal(store_mailbox_open(u, "INBOX", false, &mb), 0);
	base_of(mb, 3, base, sizeof(base));
	snprintf(want, sizeof(want), "1 1234567890 11\n3 1000.M1P1.host\n"
		 "7 1001.M1P1.host\n10 %s\n", base);
	assert_string_equal(file_of(*state, "courierimapuiddb"), want);
	/* Courier APPENDs while the folder is open here: its file in cur/
	 * and its list, written under its lock */
	put_file(*state, "cur", "1005.M9P9.courier:2,F", msg);
	snprintf(want, sizeof(want), "1 1234567890 12\n3 1000.M1P1.host\n"
		 "7 1001.M1P1.host\n10 %s\n11 1005.M9P9.courier\n", base);
	put_file(*state, NULL, "courierimapuiddb", want);
	/* a second session appends: never Courier's 11 again */
	u2 = user(state);
	assert_int_equal(append_text(u2, "INBOX", msg, 0, &uid), 0);
	assert_int_equal(uid, 12);
	store_user_close(&u2);
	store_mailbox_close(&mb);
	assert_int_equal(store_mailbox_open(u, "INBOX", false, &mb), 0);
	assert_int_equal(store_mailbox_count(mb), 5);
	assert_int_equal(store_msg_get(mb, 4)->uid, 11);
	assert_true(store_msg_get(mb, 4)->flags & STORE_FLAG_FLAGGED);
	assert_int_equal(store_msg_get(mb, 5)->uid, 12);
	assert_int_equal(store_mailbox_uidnext(mb), 13);
	assert_non_null(strstr(file_of(*state, "courierimapuiddb"),
			       "1 1234567890 13\n"));
	assert_non_null(strstr(file_of(*state, "courierimapuiddb"),
			       "\n11 1005.M9P9.courier\n"));
	store_user_close(&u);
}

static void
test_maildir_compat_dovecot_numbering_shared(void **state)
{
	struct store_user *u = user(state);
	struct store_mailbox *mb;
	char want[1024], base[256];
	uint32_t uid;
	FILE *fp;

	put_file(*state, "cur", "1276528487.M364837P9451.kurkku,S=18:2,S",
		 msg);
	put_file(*state, NULL, "dovecot-uidlist",
		 "3 V1275660208 N25022 G3085f01b7f11094c501100008c4a11c1\n"
		 "25006 W2048 :1276528487.M364837P9451.kurkku,S=18\n");
	assert_int_equal(append_text(u, "INBOX", msg, 0, &uid), 0);
	assert_int_equal(uid, 25022);
	assert_int_equal(store_mailbox_open(u, "INBOX", false, &mb), 0);
	base_of(mb, 2, base, sizeof(base));
	/* version 3 as Dovecot writes it, its mailbox GUID kept */
	snprintf(want, sizeof(want),
		 "3 V1275660208 N25023 G3085f01b7f11094c501100008c4a11c1\n"
		 "25006 :1276528487.M364837P9451.kurkku,S=18\n"
		 "25022 :%s\n", base);
	assert_string_equal(file_of(*state, "dovecot-uidlist"), want);
	/* Dovecot appends a record at the end without touching the header
	 * (its maildir_uidlist_sync_update does) */
	put_file(*state, "new", "1300000000.M1P2.dovecot,S=18", msg);
	snprintf(want, sizeof(want), "%s/dovecot-uidlist", (char *)*state);
	assert_non_null(fp = fopen(want, "a"));
	fputs("25023 :1300000000.M1P2.dovecot,S=18\n", fp);
	fclose(fp);
	assert_int_equal(append_text(u, "INBOX", msg, 0, &uid), 0);
	assert_int_equal(uid, 25024);
	store_mailbox_close(&mb);
	assert_int_equal(store_mailbox_open(u, "INBOX", false, &mb), 0);
	assert_int_equal(store_mailbox_count(mb), 4);
	assert_int_equal(store_msg_get(mb, 3)->uid, 25023);
	assert_non_null(strstr(file_of(*state, "dovecot-uidlist"),
			       "3 V1275660208 N25025 G3085f01b7f11094c5011"));
	store_user_close(&u);
}

static void
test_maildir_compat_new_folder_recorded(void **state)
{
	struct store_user *u;
	struct store_mailbox *mb;
	char dir[4096], want[128];

	maildir_settings.compat = MAILDIR_COMPAT_COURIER |
				  MAILDIR_COMPAT_DOVECOT;
	u = user(state);
	assert_int_equal(store_folder_create(u, "Work"), 0);
	assert_int_equal(store_mailbox_open(u, "Work", false, &mb), 0);
	uint32_t v = store_mailbox_uidvalidity(mb);
	snprintf(dir, sizeof(dir), "%s/.Work", (char *)*state);
	snprintf(want, sizeof(want), "1 %u 1\n", v);
	assert_string_equal(file_of(dir, "courierimapuiddb"), want);
	snprintf(want, sizeof(want), "3 V%u N1 G", v);
	assert_memory_equal(file_of(dir, "dovecot-uidlist"), want,
			    strlen(want));
	assert_int_equal(strlen(file_of(dir, "dovecot-uidlist")),
			 strlen(want) + 33);
	store_user_close(&u);
	/* none: only maildock-uidlist is written */
	maildir_settings.compat = 0;
	u = user(state);
	assert_int_equal(store_folder_create(u, "Other"), 0);
	assert_int_equal(store_mailbox_open(u, "Other", false, &mb), 0);
	snprintf(dir, sizeof(dir), "%s/.Other", (char *)*state);
	assert_null(file_of(dir, "courierimapuiddb"));
	assert_null(file_of(dir, "dovecot-uidlist"));
	assert_non_null(file_of(dir, "maildock-uidlist"));
	store_user_close(&u);
	/* auto: a Maildir that has Courier's list gets it in new folders */
	maildir_settings.compat = MAILDIR_COMPAT_AUTO;
	put_file(*state, NULL, "courierimapuiddb", "1 1234567890 1\n");
	u = user(state);
	assert_int_equal(store_folder_create(u, "Third"), 0);
	assert_int_equal(store_mailbox_open(u, "Third", false, &mb), 0);
	snprintf(dir, sizeof(dir), "%s/.Third", (char *)*state);
	assert_non_null(file_of(dir, "courierimapuiddb"));
	assert_null(file_of(dir, "dovecot-uidlist"));
	store_user_close(&u);
}

static void
test_maildir_compat_locks_honoured(void **state)
{
	struct store_user *u = user(state);
	char path[4096], owner[128], host[64];
	uint32_t uid;

	put_file(*state, NULL, "courierimapuiddb", "1 1234567890 5\n");
	put_file(*state, NULL, "dovecot-uidlist",
		 "3 V1234567890 N5 G3085f01b7f11094c501100008c4a11c1\n");
	assert_int_equal(append_text(u, "INBOX", msg, 0, &uid), 0);
	assert_int_equal(uid, 5);
	/* a live Courier (here: this process) holds its lock */
	gethostname(host, sizeof(host));
	snprintf(owner, sizeof(owner), "%ld:%s", (long)getpid(), host);
	maildir_settings.lock_timeout = 1;
	put_file(*state, "tmp", "courier.lock", owner);
	assert_int_equal(append_text(u, "INBOX", msg, 0, &uid),
			 -ERR_TIMEOUT);
	snprintf(path, sizeof(path), "%s/tmp/courier.lock", (char *)*state);
	unlink(path);
	/* and Dovecot holds its dotlock */
	put_file(*state, NULL, "dovecot-uidlist.lock", owner);
	assert_int_equal(append_text(u, "INBOX", msg, 0, &uid),
			 -ERR_TIMEOUT);
	snprintf(path, sizeof(path), "%s/dovecot-uidlist.lock",
		 (char *)*state);
	unlink(path);
	/* the lock left by a dead Courier process is taken over */
	snprintf(owner, sizeof(owner), "%d:%s", 0x3fffffff, host);
	put_file(*state, "tmp", "courier.lock", owner);
	assert_int_equal(append_text(u, "INBOX", msg, 0, &uid), 0);
	char want[64];
	snprintf(want, sizeof(want), "1 1234567890 %u\n", uid + 1);
	assert_non_null(strstr(file_of(*state, "courierimapuiddb"), want));
	/* every lock was released */
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/tmp/courier.lock", (char *)*state);
	assert_int_equal(access(path, F_OK), -1);
	store_user_close(&u);
}

static void
test_maildir_compat_other_uidvalidity_rewritten(void **state)
{
	struct store_user *u = user(state);
	struct store_mailbox *mb;
	uint32_t uid;

	assert_int_equal(append_text(u, "INBOX", msg, 0, &uid), 0);
	store_user_close(&u);
	/* Courier started on the folder without Maildock's numbers: its list
	 * (another UIDVALIDITY) is replaced by ours, never merged */
	put_file(*state, NULL, "courierimapuiddb", "1 99 40\n39 zzz.gone\n");
	maildir_settings.compat = MAILDIR_COMPAT_COURIER;
	u = user(state);
	assert_int_equal(store_mailbox_open(u, "INBOX", false, &mb), 0);
	assert_int_equal(store_mailbox_uidnext(mb), 2);
	char want[64];
	snprintf(want, sizeof(want), "1 %u 2\n1 ",
		 store_mailbox_uidvalidity(mb));
	assert_memory_equal(file_of(*state, "courierimapuiddb"), want,
			    strlen(want));
	store_user_close(&u);
}

static void
test_maildir_compat_dovecot_keyword_letters(void **state)
{
	struct store_user *u = user(state);
	struct store_mailbox *mb;
	char path[4096];
	const char *px[] = { "Project-X" }, *two[] = { "$Label1", "Later" };

	put_file(*state, "cur", "1700000001.M1P1.test:2,Sa", msg);
	put_file(*state, "cur", "1700000002.M2P1.test:2,", msg);
	put_file(*state, NULL, "dovecot-uidlist",
		 "3 V1795950146 N3 Ge4217d0f42060c6bea7d000083ecc375\n"
		 "1 :1700000001.M1P1.test\n2 :1700000002.M2P1.test\n");
	put_file(*state, NULL, "dovecot-keywords", "0 $Label1\n");
	assert_int_equal(store_mailbox_open(u, "INBOX", false, &mb), 0);
	/* a new keyword gets the next free letter, named in
	 * dovecot-keywords, and the letter goes into the file name */
	assert_int_equal(store_msg_set_flags(mb, 2, STORE_FLAGS_ADD,
					     STORE_FLAG_FLAGGED, px, 1), 0);
	assert_string_equal(file_of(*state, "dovecot-keywords"),
			    "0 $Label1\n1 Project-X\n");
	assert_int_equal(store_msg_path(mb, 2, path, sizeof(path)), 0);
	assert_non_null(strstr(path, "/cur/1700000002.M2P1.test:2,Fb"));
	/* a removed keyword loses its letter; SET replaces them all */
	assert_int_equal(store_msg_set_flags(mb, 1, STORE_FLAGS_SET,
					     STORE_FLAG_SEEN, two, 2), 0);
	assert_int_equal(store_msg_path(mb, 1, path, sizeof(path)), 0);
	assert_non_null(strstr(path, "/cur/1700000001.M1P1.test:2,Sac"));
	assert_int_equal(store_msg_set_flags(mb, 1, STORE_FLAGS_REMOVE, 0,
					     two, 1), 0);
	assert_int_equal(store_msg_path(mb, 1, path, sizeof(path)), 0);
	assert_non_null(strstr(path, "/cur/1700000001.M1P1.test:2,Sc"));
	assert_string_equal(file_of(*state, "dovecot-keywords"),
			    "0 $Label1\n1 Project-X\n2 Later\n");
	snprintf(path, sizeof(path), "%s/dovecot-uidlist.lock",
		 (char *)*state);
	assert_int_equal(access(path, F_OK), -1);
	store_user_close(&u);
}

static void
test_maildir_compat_dovecot_subscriptions(void **state)
{
	struct store_user *u;
	size_t n;
	char **names;

	maildir_settings.compat = MAILDIR_COMPAT_DOVECOT;
	u = user(state);
	assert_int_equal(store_folder_create(u, "Work"), 0);
	assert_int_equal(store_folder_create(u, "Work.Caf\xc3\xa9"), 0);
	assert_int_equal(store_subscribe(u, "Work.Caf\xc3\xa9", true), 0);
	assert_int_equal(store_subscribe(u, "INBOX", true), 0);
	/* Dovecot's layout: no namespace prefix, tabs, modified UTF-7 */
	assert_string_equal(file_of(*state, "subscriptions"),
			    "V\t2\n\nWork\tCaf&AOk-\nINBOX\n");
	assert_string_equal(file_of(*state, "courierimapsubscribed"),
			    "INBOX.Work.Caf&AOk-\nINBOX\n");
	store_user_close(&u);
	/* Dovecot unsubscribes, subscribes Work: its newer file is read */
	usleep(20000);
	put_file(*state, NULL, "subscriptions", "V\t2\n\nINBOX\nWork\n");
	u = user(state);
	names = maildir_subscriptions_load((struct maildir_user *)u, &n);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "INBOX");
	assert_string_equal(names[1], "Work");
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	store_user_close(&u);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_maildir_compat_courier_numbering_shared, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_maildir_compat_dovecot_numbering_shared, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_maildir_compat_new_folder_recorded, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_maildir_compat_locks_honoured, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_maildir_compat_other_uidvalidity_rewritten, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_maildir_compat_dovecot_keyword_letters, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_maildir_compat_dovecot_subscriptions, setup,
			teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
