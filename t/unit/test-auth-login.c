/* Maildock - SPDX-License-Identifier: MIT
 *
 * The common login path (auth_login) over the scripted mock module:
 * user-name normalisation, mail location templates, the failure delay
 * (checked through the delay hook, so the suite does not wait), per-IP
 * and per-user throttling, master users with a SASL authorization
 * identity, the result cache, per-service options and the plaintext
 * policy.
 */
#include <dlfcn.h>
#include <sys/wait.h>
#include "t/authmods/test-util.h"
#include "core/arena.h"
#include "core/auth-cache.h"
#include "core/auth-throttle.h"
#include "core/auth-chain.h"
#include "core/error.h"
#include "core/proto.h"

#define USERS "auth.mock.users = alice@example.org:{PLAIN}pw " \
	"bob@example.org:{PLAIN}pw2 admin@example.org:{PLAIN}adm " \
	"down@example.org:x:temp locked@example.org:{PLAIN}pw:locked " \
	"noimap@example.org:{PLAIN}pw:noimap nohome@example.org:{PLAIN}pw:nohome " \
	"own@example.org:{PLAIN}pw:mail=~/own/%%n\n"

static unsigned delays, last_delay;
static const struct proto_ops imap_ops = { .name = "imap" };
static const struct proto_ops pop3_ops = { .name = "pop3" };

static void
fake_delay(unsigned seconds)
{
	delays++;
	last_delay = seconds;
}

struct fixture {
	struct conf *conf;
	struct session s;
};

static int
start(struct fixture *f, const char *extra)
{
	char dir[1024], *err = NULL;
	int r = test_conf(&f->conf, &err, NULL,
			  "auth.modules = mock\nauth.module_dir = %s\n"
			  "mail.location = /var/mail/%%d/%%n\n" USERS "%s",
			  test_moddir(dir, sizeof(dir), false), extra);
	if (r == 0)
		r = auth_init(f->conf, &err);
	if (r < 0)
		fprintf(stderr, "%s\n", err);
	free(err);
	memset(&f->s, 0, sizeof(f->s));
	str_copy(f->s.id, "test0001", sizeof(f->s.id));
	str_copy(f->s.remote_ip, "192.0.2.1", sizeof(f->s.remote_ip));
	f->s.proto = &imap_ops;
	f->s.conf = f->conf;
	f->s.arena = arena_new(1 << 20);
	f->s.conn = (struct conn *)&imap_ops;	/* never dereferenced */
	delays = 0;
	last_delay = 0;
	return r;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	*state = f;
	return start(f, "");
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	auth_deinit();
	arena_free(&f->s.arena);
	conf_unref(&f->conf);
	free(f);
	return 0;
}

static void
restart(void **state, const char *extra)
{
	struct fixture *f = *state;
	teardown(state);
	f = calloc(1, sizeof(*f));
	*state = f;
	assert_int_equal(start(f, extra), 0);
}

static void
test_auth_login_ok(void **state)
{
	struct fixture *f = *state;
	struct auth_user *u = NULL;

	assert_int_equal(auth_login(&f->s, NULL, "alice@example.org", "pw", &u),
			 0);
	assert_string_equal(u->user, "alice@example.org");
	assert_string_equal(u->mail, "/var/mail/example.org/alice");
	assert_string_equal(u->home, "/home/mock");
	assert_int_equal(u->uid, 1234);
	assert_int_equal(u->gid, 5678);
	assert_false(u->master);
	assert_int_equal(delays, 0);
	/* a backend's own mail template wins over mail.location */
	assert_int_equal(auth_login(&f->s, "", "own@example.org", "pw", &u), 0);
	assert_string_equal(u->mail, "/home/mock/own/own");
}

static void
test_auth_login_failures_are_delayed(void **state)
{
	struct fixture *f = *state;
	struct auth_user *u = NULL;

	assert_int_equal(auth_login(&f->s, NULL, "alice@example.org", "PW", &u),
			 -ERR_PERM);
	assert_int_equal(delays, 1);
	assert_int_equal(last_delay, 2);	/* the default auth.failure_delay */
	assert_non_null(strstr(test_last_log, "wrong password"));
	assert_null(strstr(test_last_log, "PW"));	/* never the password */
	assert_int_equal(auth_login(&f->s, NULL, "nobody@example.org", "pw",
				    &u), -ERR_PERM);
	assert_int_equal(delays, 2);
	assert_int_equal(auth_login(&f->s, NULL, "locked@example.org", "pw",
				    &u), -ERR_PERM);
	assert_int_equal(auth_login(&f->s, NULL, "down@example.org", "pw", &u),
			 -ERR_TEMP);
	assert_int_equal(delays, 4);
	assert_int_equal(auth_login(&f->s, NULL, "../etc@example.org", "pw",
				    &u), -ERR_INVAL);
	assert_int_equal(auth_login(&f->s, NULL, "a\tb", "pw", &u), -ERR_INVAL);
	assert_int_equal(delays, 6);
	restart(state, "auth.failure_delay = 7s\n");
	f = *state;
	assert_int_equal(auth_login(&f->s, NULL, "alice@example.org", "x", &u),
			 -ERR_PERM);
	assert_int_equal(last_delay, 7);
}

static void
test_auth_login_normalises_names(void **state)
{
	struct fixture *f = *state;
	struct auth_user *u = NULL;

	assert_int_equal(auth_login(&f->s, NULL, "Alice@Example.ORG", "pw", &u),
			 0);
	assert_string_equal(u->user, "alice@example.org");
	assert_int_equal(auth_login(&f->s, NULL, "alice", "pw", &u), -ERR_PERM);
	restart(state, "auth.default_domain = Example.org\n"
		"auth.domain_separators = @%\n");
	f = *state;
	assert_int_equal(auth_login(&f->s, NULL, "ALICE", "pw", &u), 0);
	assert_string_equal(u->user, "alice@example.org");
	assert_int_equal(auth_login(&f->s, NULL, "alice%example.org", "pw", &u),
			 0);
	assert_string_equal(u->user, "alice@example.org");
	restart(state, "auth.username_lowercase = no\n");
	f = *state;
	assert_int_equal(auth_login(&f->s, NULL, "Alice@example.org", "pw", &u),
			 -ERR_PERM);
}

static void
test_auth_user_normalize_rules(void **state)
{
	struct auth_settings set = { .domain_separators = "@%",
				     .default_domain = "",
				     .username_lowercase = true };
	char out[AUTH_USER_MAX + 1];
	static const char *const bad[] = {
		"", "@example.org", "alice@", "a@b@c", "a%b@c", ".alice",
		"al..ice", "alice@.org", "a/b", "a b", "a:b", "a\"b", "a*b",
	};
	for (size_t i = 0; i < N_ELEMENTS(bad); i++)
		assert_int_equal(auth_user_normalize(&set, bad[i], out,
						     sizeof(out)), -ERR_INVAL);
	char big[AUTH_USER_MAX + 2];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(auth_user_normalize(&set, big, out, sizeof(out)),
			 -ERR_INVAL);
	assert_int_equal(auth_user_normalize(&set, "J.Doe+tag@Ex-1.org", out,
					     sizeof(out)), 0);
	assert_string_equal(out, "j.doe+tag@ex-1.org");
	set.default_domain = "example.net";
	assert_int_equal(auth_user_normalize(&set, "bob", out, sizeof(out)), 0);
	assert_string_equal(out, "bob@example.net");
}

static void
test_auth_mail_expand_templates(void **state)
{
	struct auth_settings set = { .mail_location = "%h/Maildir" };
	struct arena *a = arena_new(0);
	const char *err = NULL;

	assert_string_equal(auth_mail_expand(a, &set, NULL, "a@b.org",
					     "/home/a", &err),
			    "/home/a/Maildir");
	assert_string_equal(auth_mail_expand(a, &set, "/m/%d/%n/%u/100%%",
					     "a@b.org", "", &err),
			    "/m/b.org/a/a@b.org/100%");
	assert_string_equal(auth_mail_expand(a, &set, "~/Mail", "a", "/h/a",
					     &err), "/h/a/Mail");
	assert_null(auth_mail_expand(a, &set, NULL, "a", "", &err));
	assert_non_null(strstr(err, "no home"));
	assert_null(auth_mail_expand(a, &set, "Maildir/%u", "a", "/h", &err));
	assert_non_null(strstr(err, "absolute"));
	assert_null(auth_mail_expand(a, &set, "/m/%x", "a", "/h", &err));
	assert_null(auth_mail_expand(a, &set, "/m/%d/%n", "a", "/h", &err));
	assert_null(auth_mail_expand(a, &set, "/m/%n", "..", "/h", &err));
	arena_free(&a);
}

/* random names (fixed seed) through normalisation and the mail template:
 * whatever is accepted expands to a path that stays in its directory */
static void
test_auth_names_random(void **state)
{
	static const char alphabet[] = "ab.@%/-_+=:*\\ \x80\xff";
	struct auth_settings set = { .domain_separators = "@%",
				     .default_domain = "",
				     .username_lowercase = true,
				     .mail_location = "/m/%d/%n" };
	struct arena *a = arena_new(0);
	unsigned seed = 777;
	char in[40], out[AUTH_USER_MAX + 1];
	const char *err;

	for (int i = 0; i < 50000; i++) {
		size_t n = (size_t)(rand_r(&seed) % 12);
		for (size_t j = 0; j < n; j++)
			in[j] = alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)];
		in[n] = '\0';
		if (auth_user_normalize(&set, in, out, sizeof(out)) < 0)
			continue;
		assert_null(strchr(out, '/'));
		assert_null(strstr(out, ".."));
		assert_true(strchr(out, '@') == strrchr(out, '@'));
		const char *p = auth_mail_expand(a, &set, NULL, out, "", &err);
		if (p == NULL)
			continue;
		assert_int_equal(p[0], '/');
		assert_null(strstr(p, "/../"));
		assert_null(strstr(p, "/./"));
		assert_true(strlen(p) < 3 || strcmp(p + strlen(p) - 3, "/..")
					     != 0);
		if (i % 1000 == 0)
			arena_reset(a);
	}
	arena_free(&a);
}

static void
test_auth_login_missing_home(void **state)
{
	struct fixture *f = *state;
	struct auth_user *u = NULL;

	restart(state, "mail.location = %h/Maildir\n");
	f = *state;
	/* a configuration problem, not the client's: a temporary failure */
	assert_int_equal(auth_login(&f->s, NULL, "nohome@example.org", "pw",
				    &u), -ERR_TEMP);
	assert_int_equal(auth_login(&f->s, NULL, "alice@example.org", "pw", &u),
			 0);
	assert_string_equal(u->mail, "/home/mock/Maildir");
}

static void
test_auth_login_throttles(void **state)
{
	struct fixture *f = *state;
	struct auth_user *u = NULL;

	restart(state, "auth.max_failures_per_user = 3\n"
		"auth.max_failures_per_ip = 5\n");
	f = *state;
	for (int i = 0; i < 3; i++)
		assert_int_equal(auth_login(&f->s, NULL, "alice@example.org",
					    "bad", &u), -ERR_PERM);
	/* now even the right password is refused for a while */
	assert_int_equal(auth_login(&f->s, NULL, "alice@example.org", "pw", &u),
			 -ERR_LIMIT);
	assert_int_equal(delays, 4);
	/* another user from another address is not affected */
	str_copy(f->s.remote_ip, "192.0.2.2", sizeof(f->s.remote_ip));
	assert_int_equal(auth_login(&f->s, NULL, "bob@example.org", "pw2", &u),
			 0);
	/* five failures from one address block the address */
	for (int i = 0; i < 5; i++) {
		char name[64];
		snprintf(name, sizeof(name), "nobody%d@example.org", i);
		assert_int_equal(auth_login(&f->s, NULL, name, "x", &u),
				 -ERR_PERM);
	}
	assert_int_equal(auth_login(&f->s, NULL, "bob@example.org", "pw2", &u),
			 -ERR_LIMIT);
	/* a down backend is not counted against anyone */
	str_copy(f->s.remote_ip, "192.0.2.3", sizeof(f->s.remote_ip));
	for (int i = 0; i < 6; i++)
		assert_int_equal(auth_login(&f->s, NULL, "down@example.org",
					    "x", &u), -ERR_TEMP);
	assert_int_equal(auth_login(&f->s, NULL, "bob@example.org", "pw2", &u),
			 0);
}

static void
test_auth_login_master_user(void **state)
{
	struct fixture *f = *state;
	struct auth_user *u = NULL;

	/* without master users an authzid other than the authcid fails */
	assert_int_equal(auth_login(&f->s, "alice@example.org",
				    "admin@example.org", "adm", &u), -ERR_PERM);
	/* the same identity twice is just a login */
	assert_int_equal(auth_login(&f->s, "alice@example.org",
				    "alice@example.org", "pw", &u), 0);
	assert_false(u->master);
	restart(state, "auth.master_users = Admin@example.org\n");
	f = *state;
	assert_int_equal(auth_login(&f->s, "alice@example.org",
				    "admin@example.org", "adm", &u), 0);
	assert_string_equal(u->user, "alice@example.org");
	assert_string_equal(u->mail, "/var/mail/example.org/alice");
	assert_true(u->master);
	/* the master's own password is what counts */
	assert_int_equal(auth_login(&f->s, "alice@example.org",
				    "admin@example.org", "pw", &u), -ERR_PERM);
	/* a target that does not exist */
	assert_int_equal(auth_login(&f->s, "ghost@example.org",
				    "admin@example.org", "adm", &u), -ERR_PERM);
	/* bob is no master */
	assert_int_equal(auth_login(&f->s, "alice@example.org",
				    "bob@example.org", "pw2", &u), -ERR_PERM);
	/* without a separator configured "*" is just a bad character */
	assert_int_equal(auth_login(&f->s, NULL,
				    "alice@example.org*admin@example.org", "adm",
				    &u), -ERR_INVAL);
	restart(state, "auth.master_users = admin@example.org\n"
		"auth.master_separator = *\n");
	f = *state;
	assert_int_equal(auth_login(&f->s, NULL,
				    "alice@example.org*admin@example.org", "adm",
				    &u), 0);
	assert_string_equal(u->user, "alice@example.org");
	assert_true(u->master);
	assert_int_equal(auth_login(&f->s, NULL,
				    "alice@example.org*bob@example.org", "pw2",
				    &u), -ERR_PERM);
	assert_int_equal(auth_login(&f->s, NULL, "*admin@example.org", "adm",
				    &u), -ERR_INVAL);
}

static void
test_auth_login_cache(void **state)
{
	struct fixture *f = *state;
	struct auth_user *u = NULL;

	restart(state, "auth.cache_ttl = 1m\n");
	f = *state;
	struct auth_chain *c = auth_chain_current();
	unsigned *calls = dlsym(c->mods[0].handle, "mock_calls");
	auth_chain_unref(&c);
	unsigned before = *calls;
	assert_int_equal(auth_login(&f->s, NULL, "alice@example.org", "pw", &u),
			 0);
	assert_int_equal(*calls, before + 1);
	assert_int_equal(auth_login(&f->s, NULL, "Alice@example.org", "pw", &u),
			 0);
	assert_int_equal(*calls, before + 1);	/* from the cache */
	assert_string_equal(u->mail, "/var/mail/example.org/alice");
	/* a wrong password is never answered from the cache */
	assert_int_equal(auth_login(&f->s, NULL, "alice@example.org", "pw ", &u),
			 -ERR_PERM);
	assert_int_equal(*calls, before + 2);
}

static void
test_auth_login_service_options(void **state)
{
	struct fixture *f = *state;
	struct auth_user *u = NULL;

	assert_int_equal(auth_login(&f->s, NULL, "noimap@example.org", "pw",
				    &u), -ERR_PERM);
	f->s.proto = &pop3_ops;
	assert_int_equal(auth_login(&f->s, NULL, "noimap@example.org", "pw",
				    &u), 0);
	assert_int_equal(u->options, AUTH_OPT_DISABLE_IMAP);
}

static void
test_auth_plaintext_policy(void **state)
{
	struct fixture *f = *state;

	test_conn_tls = false;
	f->s.loopback = true;
	assert_true(auth_plaintext_allowed(&f->s));	/* default loopback */
	f->s.loopback = false;
	assert_false(auth_plaintext_allowed(&f->s));
	test_conn_tls = true;
	assert_true(auth_plaintext_allowed(&f->s));
	test_conn_tls = false;
	f->s.implicit_tls = true;
	assert_true(auth_plaintext_allowed(&f->s));
	restart(state, "auth.plaintext = no\n");
	f = *state;
	f->s.loopback = true;
	assert_false(auth_plaintext_allowed(&f->s));
	restart(state, "auth.plaintext = yes\n");
	f = *state;
	assert_true(auth_plaintext_allowed(&f->s));
}

static void
test_auth_login_bounds(void **state)
{
	struct fixture *f = *state;
	struct auth_user *u = NULL;
	char big[2000];

	memset(big, 'p', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(auth_login(&f->s, NULL, "alice@example.org", big, &u),
			 -ERR_INVAL);
	assert_int_equal(auth_login(&f->s, NULL, NULL, "pw", &u), -ERR_INVAL);
	assert_int_equal(auth_login(&f->s, NULL, "", "pw", &u), -ERR_INVAL);
}

static void
test_auth_lookup_user(void **state)
{
	struct fixture *f = *state;
	struct auth_user *u = NULL;

	assert_int_equal(auth_lookup(&f->s, f->s.arena, "Alice@example.org", &u), 0);
	assert_string_equal(u->user, "alice@example.org");
	assert_string_equal(u->mail, "/var/mail/example.org/alice");
	assert_false(u->master);
	assert_int_equal(auth_lookup(&f->s, f->s.arena, "ghost@example.org", &u),
			 -ERR_NOTFOUND);
	assert_int_equal(auth_lookup(&f->s, f->s.arena, "locked@example.org", &u),
			 -ERR_NOTFOUND);
	assert_int_equal(auth_lookup(&f->s, f->s.arena, "down@example.org", &u), -ERR_TEMP);
	assert_int_equal(auth_lookup(&f->s, f->s.arena, "a/b@example.org", &u), -ERR_INVAL);
	assert_int_equal(delays, 0);	/* no failure delay for lookups */
}

/* a flood of made-up names must not evict the counter that blocks a
 * guessed account */
static void
test_auth_throttle_survives_flood(void **state)
{
	char name[64];

	auth_cache_clear();
	for (int i = 0; i < 3; i++)
		auth_throttle_fail("198.51.100.1", "victim@example.org", 300, 1000);
	assert_true(auth_throttle_blocked("198.51.100.9", "victim@example.org",
					  0, 3, 300, 1001));
	for (int i = 0; i < 70000; i++) {
		snprintf(name, sizeof(name), "junk%d@example.org", i);
		auth_throttle_fail(NULL, name, 300, 1001);
	}
	assert_true(auth_throttle_blocked("198.51.100.9", "victim@example.org",
					  0, 3, 300, 1002));
	/* and it expires with its window */
	assert_false(auth_throttle_blocked("198.51.100.9", "victim@example.org",
					   0, 3, 300, 1300));
	auth_cache_clear();
}

/* the counters are one table for every worker process: failures counted
 * in a forked process block here */
static void
test_auth_throttle_shared_across_processes(void **state)
{
	auth_throttle_init();
	auth_cache_clear();
	pid_t pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 3; i++)
			auth_throttle_fail("203.0.113.5", "shared@example.org",
					   300, 1000);
		_exit(0);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(auth_throttle_blocked("203.0.113.5", NULL, 3, 0, 300,
					  1001));
	assert_true(auth_throttle_blocked("", "shared@example.org", 0, 3, 300,
					  1001));
	auth_throttle_success("shared@example.org");
	assert_false(auth_throttle_blocked("", "shared@example.org", 0, 3,
					   300, 1001));
	auth_cache_clear();
}

static void
test_auth_throttle_ipv6_prefix(void **state)
{
	auth_cache_clear();
	for (int i = 0; i < 3; i++) {
		char ip[64];
		snprintf(ip, sizeof(ip), "2001:db8:1:2::%x", i + 1);
		auth_throttle_fail(ip, NULL, 300, 1000);
	}
	/* another address of the same /64 is blocked, another /64 is not */
	assert_true(auth_throttle_blocked("2001:db8:1:2:ffff::9", NULL, 3, 0,
					  300, 1001));
	assert_false(auth_throttle_blocked("2001:db8:1:3::1", NULL, 3, 0, 300,
					   1001));
	assert_false(auth_throttle_blocked("192.0.2.1", NULL, 3, 0, 300, 1001));
	auth_cache_clear();
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_auth_login_ok),
		T(test_auth_login_failures_are_delayed),
		T(test_auth_login_normalises_names),
		cmocka_unit_test(test_auth_user_normalize_rules),
		cmocka_unit_test(test_auth_mail_expand_templates),
		cmocka_unit_test(test_auth_names_random),
		T(test_auth_login_missing_home),
		T(test_auth_login_throttles),
		T(test_auth_login_master_user),
		T(test_auth_login_cache),
		T(test_auth_login_service_options),
		T(test_auth_plaintext_policy),
		T(test_auth_login_bounds),
		T(test_auth_lookup_user),
		cmocka_unit_test(test_auth_throttle_survives_flood),
		cmocka_unit_test(test_auth_throttle_ipv6_prefix),
		cmocka_unit_test(test_auth_throttle_shared_across_processes),
	};
	auth_register_settings();
	auth_set_delay_hook(fake_delay);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
