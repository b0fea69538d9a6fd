/* Maildock - SPDX-License-Identifier: MIT
 *
 * Unit tests for the message handle of storage/store-mail.h: header-only
 * and whole parses of small and large files (the one size policy), and an
 * expunged file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "t/unit/storetest.h"
#include "storage/store-mail.h"
#include "storage/mime/mime.h"
#include "core/arena.h"
#include "core/error.h"

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

/* a message with a header of about hdr_len octets and a body of
 * body_len, malloc'd */
static char *
make_msg(size_t hdr_len, size_t body_len)
{
	size_t size = hdr_len + body_len + 64, n;
	char *m = malloc(size), *p = m;

	p += snprintf(p, size, "Subject: big\n");
	for (n = 0; n + 20 < hdr_len; n += 20)
		p += snprintf(p, size - (size_t)(p - m), "X-Pad: %012zu\n", n);
	p += snprintf(p, size - (size_t)(p - m), "\n");
	memset(p, 'b', body_len);
	for (n = 79; n < body_len; n += 80)
		p[n] = '\n';
	p[body_len] = '\0';
	return m;
}

/* open the view, append texts[0..n) first */
static struct store_mailbox *
box_with(void **state, struct store_user **u_r, char **texts, size_t n)
{
	struct store_mailbox *mb;
	const char *err;

	assert_int_equal(store_user_open(*state, NULL, u_r, &err), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(append_text(*u_r, "INBOX", texts[i], 0,
					     NULL), 0);
	assert_int_equal(store_mailbox_open(*u_r, "INBOX", false, &mb), 0);
	return mb;
}

static void
check_subject(const struct mime_message *m)
{
	assert_int_equal(m->root->envelope->subject.len, 3);
	assert_memory_equal(m->root->envelope->subject.p, "big", 3);
}

static void
test_store_mail_header_then_message(void **state)
{
	/* small (read whole), large with its header in the first 64 KiB,
	 * large with a header longer than that */
	char *texts[] = { make_msg(100, 1000), make_msg(100, 400 * 1024),
			  make_msg(80 * 1024, 400 * 1024) };
	struct store_user *u;
	struct store_mailbox *mb = box_with(state, &u, texts, 3);
	struct arena *a = arena_new(64 * 1024 * 1024);
	struct mime_message *h, *m;

	for (uint32_t seq = 1; seq <= 3; seq++) {
		const char *t = texts[seq - 1];
		struct store_mail *mail = store_mail_open(mb, seq, a);

		assert_non_null(mail);
		assert_int_equal(store_mail_header(mail, &h), 0);
		check_subject(h);
		/* a header alone, except where it did not end in the
		 * prefix: then the whole file */
		assert_int_equal(h->size, seq == 3 ? strlen(t) :
				 (size_t)(strstr(t, "\n\n") + 2 - t));
		assert_int_equal(store_mail_message(mail, &m), 0);
		check_subject(m);
		assert_int_equal(m->size, strlen(t));
		assert_memory_equal(m->data, t, m->size);
		/* after the whole parse, the header is that parse */
		assert_int_equal(store_mail_header(mail, &h), 0);
		assert_ptr_equal(h, m);
		arena_reset(a);
	}
	store_user_close(&u);
	arena_free(&a);
	for (size_t i = 0; i < 3; i++)
		free(texts[i]);
}

static void
test_store_mail_expunged_file(void **state)
{
	char *texts[] = { make_msg(100, 100) };
	struct store_user *u;
	struct store_mailbox *mb = box_with(state, &u, texts, 1);
	struct arena *a = arena_new(1024 * 1024);
	struct store_mail *mail = store_mail_open(mb, 1, a);
	struct mime_message *m;
	char path[4096];

	assert_int_equal(store_msg_path(mb, 1, path, sizeof(path)), 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(store_mail_header(mail, &m), -ERR_NOTFOUND);
	assert_null(m);
	/* the failure is remembered, not retried */
	assert_int_equal(store_mail_message(mail, &m), -ERR_NOTFOUND);
	mail = store_mail_open(mb, 2, a);
	assert_int_equal(store_mail_message(mail, &m), -ERR_INVAL);
	store_user_close(&u);
	arena_free(&a);
	free(texts[0]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_store_mail_header_then_message, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_store_mail_expunged_file, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
