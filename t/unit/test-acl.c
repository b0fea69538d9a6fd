/* Maildock - SPDX-License-Identifier: MIT
 *
 * Folder ACLs (storage/store-acl.h): rights strings, ACL2=UNION, and
 * Courier's courierimapacl files read and written both ways.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "storage/store-acl.h"
#include "core/error.h"
#include "t/unit/storetest.h"

static unsigned
R(const char *s)
{
	unsigned r = 0;
	assert_int_equal(store_acl_rights_parse(s, &r), 0);
	return r;
}

static void
test_acl_rights_strings(void **state)
{
	char buf[STORE_ACL_RIGHTS_MAX];
	unsigned r;

	(void)state;
	assert_int_equal(R("lrswipkxtea"), STORE_ACL_ALL);
	assert_string_equal(store_acl_rights_string(R("aetxkpiwsrl"), false,
						    buf), "lrswipkxtea");
	/* obsolete c = k, d = x t e (RFC 4314 2.1.1) */
	assert_int_equal(R("c"), STORE_ACL_CREATE);
	assert_int_equal(R("d"), STORE_ACL_DELETE | STORE_ACL_DELMSG |
			 STORE_ACL_EXPUNGE);
	assert_string_equal(store_acl_rights_string(R("lrk"), true, buf),
			    "lrkc");
	assert_string_equal(store_acl_rights_string(R("lt"), true, buf),
			    "ltd");
	/* B15: an unknown letter is an error, never dropped */
	assert_int_equal(store_acl_rights_parse("lrq", &r), -ERR_INVAL);
	assert_int_equal(store_acl_rights_parse("L", &r), -ERR_INVAL);
	assert_int_equal(R(""), 0);
}

static void
test_acl_union(void **state)
{
	struct store_acl acl = { 0 };

	(void)state;
	store_acl_update(&acl, "owner", STORE_ACL_REPLACE, R("lrswipkxte"));
	store_acl_update(&acl, "anyone", STORE_ACL_REPLACE, R("lr"));
	store_acl_update(&acl, "user=john", STORE_ACL_REPLACE, R("w"));
	store_acl_update(&acl, "-user=mary", STORE_ACL_REPLACE, R("r"));
	assert_int_equal(store_acl_rights(&acl, "john", false), R("lrw"));
	assert_int_equal(store_acl_rights(&acl, "mary", false), R("l"));
	assert_int_equal(store_acl_rights(&acl, "bob", false), R("lr"));
	store_acl_update(&acl, "authenticated", STORE_ACL_REPLACE, R("i"));
	assert_int_equal(store_acl_rights(&acl, "bob", false), R("lri"));
	store_acl_update(&acl, "authenticated", STORE_ACL_DROP, 0);
	/* the owner always keeps a */
	assert_int_equal(store_acl_rights(&acl, "me", true), STORE_ACL_ALL);
	store_acl_update(&acl, "user=john", STORE_ACL_ADD, R("i"));
	assert_int_equal(store_acl_find(&acl, "user=john"), (int)R("wi"));
	store_acl_update(&acl, "user=john", STORE_ACL_REMOVE, R("wi"));
	assert_int_equal(store_acl_find(&acl, "user=john"), -1);
	assert_int_equal(store_acl_update(&acl, "a b", STORE_ACL_REPLACE, 1),
			 -ERR_INVAL);
}

/* the example of maildiracl(1), as Courier writes it */
static const char courier_file[] =
	"owner aceilrstwx\n"
	"anyone lr\n"
	"user=john w\n"
	"-user=mary r\n"
	"administrators aceilrstwx\n";

static void
test_acl_courier_file_read(void **state)
{
	char *md = tmp_maildir();
	struct store_user *u;
	struct store_acl acl;
	const char *err;

	(void)state;
	assert_int_equal(store_user_open(md, NULL, &u, &err), 0);
	assert_int_equal(store_folder_create(u, "Public"), 0);
	assert_int_equal(store_folder_create(u, "Public.Sub"), 0);
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/.Public", md);
	put_file(dir, NULL, "courierimapacl", courier_file);
	assert_int_equal(store_acl_get(u, "Public", &acl), 0);
	assert_false(acl.inherited);
	assert_int_equal(acl.n, 5);
	assert_int_equal(store_acl_rights(&acl, "john", false), R("lrw"));
	assert_int_equal(store_acl_rights(&acl, "mary", false), R("l"));
	/* Courier's c is RFC 4314's k */
	assert_int_equal(store_acl_find(&acl, "owner"), (int)R("aeiklrstwx"));
	/* a subfolder without a file inherits */
	assert_int_equal(store_acl_get(u, "Public.Sub", &acl), 0);
	assert_true(acl.inherited);
	assert_int_equal(store_acl_rights(&acl, "john", false), R("lrw"));
	/* INBOX's default: the owner only; top-level folders do not inherit
	 * INBOX's list */
	assert_int_equal(store_acl_get(u, "INBOX", &acl), 0);
	assert_int_equal(store_acl_rights(&acl, "john", false), 0);
	store_user_close(&u);
	rm_rf(md);
	free(md);
}

static void
test_acl_write_courier_format(void **state)
{
	char *md = tmp_maildir();
	struct store_user *u;
	struct store_acl acl;
	const char *err;
	char path[4096], text[512];
	FILE *f;
	size_t n;

	(void)state;
	assert_int_equal(store_user_open(md, NULL, &u, &err), 0);
	assert_int_equal(store_acl_get(u, "INBOX", &acl), 0);
	store_acl_update(&acl, "user=bob@example.org", STORE_ACL_REPLACE,
			 R("lrsk"));
	assert_int_equal(store_acl_put(u, "INBOX", &acl), 0);
	snprintf(path, sizeof(path), "%s/courierimapacl", md);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	/* letters in byte order, create without a spelling as Courier's c;
	 * Courier's default entries kept (its ACL_ALL has no p) */
	assert_non_null(strstr(text, "user=bob@example.org clrs\n"));
	assert_non_null(strstr(text, "owner aceilrstwx\n"
				     "administrators aceilrstwx\n"));
	assert_int_equal(store_acl_get(u, "INBOX", &acl), 0);
	assert_int_equal(store_acl_rights(&acl, "bob@example.org", false),
			 R("lrsk"));
	/* the owner cannot lose l or a */
	store_acl_update(&acl, "owner", STORE_ACL_REMOVE, R("a"));
	assert_int_equal(store_acl_put(u, "INBOX", &acl), -ERR_PERM);
	store_user_close(&u);
	rm_rf(md);
	free(md);
}

static int
count_owner(void *ctx, const char *owner)
{
	(void)owner;
	(*(int *)ctx)++;
	return 0;
}

static void
test_acl_shared_index(void **state)
{
	char *md = tmp_maildir();
	struct store_user *u;
	const char *err;
	int n = 0;

	(void)state;
	assert_int_equal(store_user_open(md, NULL, &u, &err), 0);
	assert_int_equal(store_acl_shared_owners(u, count_owner, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_acl_shared_note(md, "alice@example.org"), 0);
	assert_int_equal(store_acl_shared_note(md, "alice@example.org"), 0);
	assert_int_equal(store_acl_shared_note(md, "carol@example.org"), 0);
	assert_int_equal(store_acl_shared_owners(u, count_owner, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_acl_shared_note("/nonexistent/x", "a"),
			 -ERR_NOTFOUND);
	store_user_close(&u);
	assert_int_equal(store_acl_user_open("/nonexistent/x", &u),
			 -ERR_NOTFOUND);
	rm_rf(md);
	free(md);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acl_rights_strings),
		cmocka_unit_test(test_acl_union),
		cmocka_unit_test(test_acl_courier_file_read),
		cmocka_unit_test(test_acl_write_courier_format),
		cmocka_unit_test(test_acl_shared_index),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
