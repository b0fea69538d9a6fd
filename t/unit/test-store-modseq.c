/* Maildock - SPDX-License-Identifier: MIT
 *
 * Unit tests for the modification sequence of storage/store.h (RFC 7162):
 * MODSEQ per message and HIGHESTMODSEQ, their persistence in the folder's
 * log, UNCHANGEDSINCE, and the UIDs that vanished since a modseq.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "t/unit/storetest.h"
#include "core/arena.h"
#include "core/error.h"

static const char msg[] = "From: a@example.org\nSubject: one\n\nbody\n";

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

static struct store_mailbox *
open_box(struct store_user *u)
{
	struct store_mailbox *mb;

	assert_int_equal(store_mailbox_open(u, "INBOX", false, &mb), 0);
	return mb;
}

static void
test_store_modseq_grows_and_persists(void **state)
{
	struct store_user *u;
	const char *err;

	assert_int_equal(store_user_open(*state, NULL, &u, &err), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(append_text(u, "INBOX", msg, 0, NULL), 0);
	struct store_mailbox *mb = open_box(u);
	uint64_t high = store_mailbox_highestmodseq(mb);
	assert_true(high >= 3);
	for (uint32_t seq = 1; seq <= 3; seq++) {
		assert_true(store_msg_get(mb, seq)->modseq >= 1);
		assert_true(store_msg_get(mb, seq)->modseq <= high);
	}
	assert_int_equal(store_msg_set_flags(mb, 2, STORE_FLAGS_ADD,
					     STORE_FLAG_SEEN, NULL, 0), 0);
	assert_int_equal(store_msg_get(mb, 2)->modseq, high + 1);
	/* a STORE that changes nothing takes no modseq */
	assert_int_equal(store_msg_set_flags(mb, 2, STORE_FLAGS_ADD,
					     STORE_FLAG_SEEN, NULL, 0), 0);
	assert_int_equal(store_msg_get(mb, 2)->modseq, high + 1);
	/* UNCHANGEDSINCE below the message's modseq: refused, unchanged */
	assert_int_equal(store_msg_set_flags_if(mb, 2, high, STORE_FLAGS_ADD,
						STORE_FLAG_FLAGGED, NULL, 0),
			 1);
	assert_false(store_msg_get(mb, 2)->flags & STORE_FLAG_FLAGGED);
	assert_int_equal(store_msg_set_flags_if(mb, 2, high + 1,
						STORE_FLAGS_ADD,
						STORE_FLAG_FLAGGED, NULL, 0),
			 0);
	assert_int_equal(store_msg_get(mb, 2)->modseq, high + 2);
	store_mailbox_close(&mb);
	store_user_close(&u);
	/* a new process (no shared folder object left) reads the log */
	assert_int_equal(store_user_open(*state, NULL, &u, &err), 0);
	mb = open_box(u);
	assert_int_equal(store_mailbox_highestmodseq(mb), high + 2);
	assert_int_equal(store_msg_get(mb, 2)->modseq, high + 2);
	store_mailbox_close(&mb);
	store_user_close(&u);
}

static void
test_store_modseq_vanished(void **state)
{
	struct store_user *u;
	struct store_uid_range *rg;
	struct arena *a = arena_new(65536);
	const char *err;
	size_t n;

	assert_int_equal(store_user_open(*state, NULL, &u, &err), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(append_text(u, "INBOX", msg, 0, NULL), 0);
	struct store_mailbox *mb = open_box(u);
	uint64_t before = store_mailbox_highestmodseq(mb);
	for (uint32_t seq = 2; seq <= 3; seq++)
		assert_int_equal(store_msg_set_flags(mb, seq, STORE_FLAGS_ADD,
						     STORE_FLAG_DELETED, NULL,
						     0), 0);
	uint64_t flagged = store_mailbox_highestmodseq(mb);
	assert_int_equal(store_mailbox_expunge(mb, NULL, 0, NULL, NULL), 0);
	assert_int_equal(store_mailbox_sync(mb, NULL, NULL), 0);
	assert_true(store_mailbox_highestmodseq(mb) > flagged);
	assert_int_equal(store_mailbox_vanished(mb, before, a, &rg, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(rg[0].first, 2);
	assert_int_equal(rg[0].last, 3);
	assert_int_equal(store_mailbox_vanished(mb,
			 store_mailbox_highestmodseq(mb), a, &rg, &n), 0);
	assert_int_equal(n, 0);
	store_mailbox_close(&mb);
	store_user_close(&u);
	arena_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_store_modseq_grows_and_persists, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_modseq_vanished,
						setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
