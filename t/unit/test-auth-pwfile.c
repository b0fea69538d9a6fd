/* Maildock - SPDX-License-Identifier: MIT
 *
 * The pwfile module: the passwd-file parser with malformed lines (each
 * reported as file:line and skipped, never locking the others out), extra
 * fields, and the module as maildockd loads it: logins, a file changed on
 * disk re-read without a restart, one file per domain, a missing file.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include "t/authmods/test-util.h"
#include "authmods/authmod.h"
#include "authmods/pwfile/pwfile-parse.h"
#include "core/auth-chain.h"
#include "core/error.h"

static char logbuf[8192];

static void
collect(void *ctx, int level, const char *fmt, ...)
{
	size_t n = strlen(logbuf);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(logbuf + n, sizeof(logbuf) - n, fmt, ap);
	va_end(ap);
	n = strlen(logbuf);
	if (n + 1 < sizeof(logbuf)) {
		logbuf[n] = '\n';
		logbuf[n + 1] = '\0';
	}
}

static const char sample[] =
	"# virtual users\n"
	"\n"
	"alice@example.org:{PLAIN}secret:1000:1000::/home/alice::"
	"userdb_mail=/var/mail/%d/%n userdb_quota_rule=*:storage=1G "
	"userdb_quota_rule2=*:messages=100\n"
	"no colon here\n"
	":{PLAIN}x\n"
	"bob@example.org:{PLAIN}pw:12x:1000\n"
	"carol@example.org:{PLAIN}pw:1:2x\n"
	"dave@example.org:{SSHA}Wcm1xEisNjqp921ALcHfuQ7avFdzYWx0MTIzNA==\n"
	"alice@example.org:{PLAIN}other\n"
	"erin@example.org:{PLAIN}pw:::::: nologin\n"
	"frank@example.org:{PLAIN}pw:::::: disable-pop3 quota=5000S "
	"proxy_host=10.0.0.2\n"
	"gina@example.org:{PLAIN}pw:::::: userdb_quota_rule=*:bogus=1\n"
	"  indented@example.org:{PLAIN}pw\n";

static void
test_auth_pwfile_parse_malformed(void **state)
{
	struct pwfile_db db;
	FILE *f = fmemopen((void *)sample, sizeof(sample) - 1, "r");

	logbuf[0] = '\0';
	assert_int_equal(pwfile_parse(f, "users", &db, collect, NULL), 0);
	fclose(f);
	assert_non_null(strstr(logbuf, "users:4: no ':' after the user name"));
	assert_non_null(strstr(logbuf, "users:5: empty or invalid user name"));
	assert_non_null(strstr(logbuf, "users:6: uid is not a number"));
	assert_non_null(strstr(logbuf, "users:7: gid is not a number"));
	assert_non_null(strstr(logbuf, "users:9: duplicate user (line 3 wins)"));
	assert_non_null(strstr(logbuf, "users:12: bad quota rule"));
	assert_null(strstr(logbuf, "secret"));
	assert_int_equal(db.malformed, 7);
	assert_int_equal(db.count, 4);

	const struct pwfile_entry *e = pwfile_find(&db, "alice@example.org");
	assert_non_null(e);
	assert_string_equal(e->password, "{PLAIN}secret");
	assert_int_equal(e->uid, 1000);
	assert_string_equal(e->home, "/home/alice");
	assert_string_equal(e->mail, "/var/mail/%d/%n");
	assert_string_equal(pwfile_quota(e), "1073741824S,100C");
	e = pwfile_find(&db, "erin@example.org");
	assert_true(e->nologin);
	e = pwfile_find(&db, "frank@example.org");
	assert_true(e->disable_pop3);
	assert_string_equal(pwfile_quota(e), "5000S");
	struct authmod_user u;
	assert_int_equal(pwfile_fill(e, &u), 0);
	assert_string_equal(u.options, "disable-pop3");
	assert_string_equal(u.proxy_host, "10.0.0.2");
	assert_int_equal(u.uid, (uid_t)-1);
	assert_null(u.home);
	assert_null(pwfile_find(&db, "bob@example.org"));
	assert_null(pwfile_find(&db, "  indented@example.org"));
	pwfile_db_free(&db);
}

/* found by fuzz-pwfile (t/regress/pwfile/no-valid-lines): a file with no
 * valid line made dedup qsort a NULL array (UBSan) */
static void
test_auth_pwfile_parse_no_valid_lines(void **state)
{
	static const char text[] = "# only a comment\nno colon\n";
	struct pwfile_db db;
	FILE *f = fmemopen((void *)text, sizeof(text) - 1, "r");

	assert_int_equal(pwfile_parse(f, "users", &db, collect, NULL), 0);
	fclose(f);
	assert_int_equal(db.count, 0);
	assert_null(pwfile_find(&db, "alice@example.org"));
	pwfile_db_free(&db);
}

static void
test_auth_pwfile_parse_long_line(void **state)
{
	size_t n = PWFILE_LINE_MAX + 100;
	char *text = malloc(n + 64);
	memset(text, 'a', n);
	snprintf(text + n, 64, "\nok@x.org:{PLAIN}p\n");
	FILE *f = fmemopen(text, strlen(text), "r");
	struct pwfile_db db;

	logbuf[0] = '\0';
	assert_int_equal(pwfile_parse(f, "big", &db, collect, NULL), 0);
	fclose(f);
	assert_non_null(strstr(logbuf, "big:1: line too long"));
	assert_int_equal(db.count, 1);
	assert_non_null(pwfile_find(&db, "ok@x.org"));
	pwfile_db_free(&db);
	free(text);
}

/* regression (t/regress/pwfile/quota-buf-moved): a quota built from rules
 * pointed into the entry, which moves when the table grows and is sorted;
 * users then got another user's quota (or freed memory) */
static void
test_auth_pwfile_quota_rules_survive_moves(void **state)
{
	char *text = malloc(200 * 100);
	struct pwfile_db db;
	struct authmod_user u;
	size_t off = 0;

	for (int i = 199; i >= 0; i--)
		off += (size_t)snprintf(text + off, 200 * 100 - off,
					"u%03d@x.org:{PLAIN}p:::::: "
					"userdb_quota_rule=*:storage=%dk\n",
					i, i + 1);
	FILE *f = fmemopen(text, strlen(text), "r");
	assert_int_equal(pwfile_parse(f, "q", &db, collect, NULL), 0);
	fclose(f);
	assert_int_equal(db.count, 200);
	for (int i = 0; i < 200; i++) {
		char name[32], quota[32];
		snprintf(name, sizeof(name), "u%03d@x.org", i);
		snprintf(quota, sizeof(quota), "%dS", (i + 1) * 1024);
		const struct pwfile_entry *e = pwfile_find(&db, name);
		assert_non_null(e);
		assert_int_equal(pwfile_fill(e, &u), 0);
		assert_string_equal(u.quota, quota);
	}
	pwfile_db_free(&db);
	free(text);
}

static struct conf *
load(const char *path_tmpl)
{
	struct conf *conf;
	char dir[1024], *err = NULL;
	assert_int_equal(test_conf(&conf, &err, NULL,
				   "auth.modules = pwfile\n"
				   "auth.module_dir = %s\n"
				   "auth.pwfile.path = %s\n",
				   test_moddir(dir, sizeof(dir), true),
				   path_tmpl), 0);
	if (auth_init(conf, &err) < 0)
		fail_msg("%s", err);
	return conf;
}

static int
verify(const char *user, const char *pw)
{
	struct auth_chain *c = auth_chain_current();
	struct authmod_user *u = malloc(sizeof(*u));
	const char *mod;
	int r = auth_chain_verify(c, user, pw, u, &mod);
	free(u);
	auth_chain_unref(&c);
	return r;
}

static void
test_auth_pwfile_module_reload(void **state)
{
	char *path = test_write_file("alice@example.org:{PLAIN}one\n"
				     "broken line\n"
				     "bob@example.org:{PLAIN}two\n");
	struct conf *conf = load(path);

	assert_int_equal(verify("alice@example.org", "one"), AUTHMOD_OK);
	assert_int_equal(verify("alice@example.org", "two"), AUTHMOD_FAIL);
	assert_int_equal(verify("bob@example.org", "two"), AUTHMOD_OK);
	assert_int_equal(verify("carol@example.org", "x"), AUTHMOD_NOUSER);

	/* an admin edits the file: new password and a new user, same size
	 * changes are caught by mtime/inode (rename over the old file) */
	char tmp[1100];
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	FILE *f = fopen(tmp, "w");
	fputs("alice@example.org:{PLAIN}uno\ncarol@example.org:{PLAIN}tre\n", f);
	fclose(f);
	assert_int_equal(rename(tmp, path), 0);
	assert_int_equal(verify("alice@example.org", "one"), AUTHMOD_FAIL);
	assert_int_equal(verify("alice@example.org", "uno"), AUTHMOD_OK);
	assert_int_equal(verify("carol@example.org", "tre"), AUTHMOD_OK);
	assert_int_equal(verify("bob@example.org", "two"), AUTHMOD_NOUSER);

	/* the file disappears: a temporary failure, not "no such user" */
	unlink(path);
	assert_int_equal(verify("alice@example.org", "uno"), AUTHMOD_TEMPFAIL);
	auth_deinit();
	conf_unref(&conf);
	free(path);
}

static void
test_auth_pwfile_module_per_domain(void **state)
{
	char dir[] = "/tmp/maildock-pwfile-XXXXXX", p1[256], p2[256], tmpl[256];
	assert_non_null(mkdtemp(dir));
	snprintf(p1, sizeof(p1), "%s/example.org", dir);
	snprintf(p2, sizeof(p2), "%s/example.net", dir);
	snprintf(tmpl, sizeof(tmpl), "%s/%%d", dir);
	FILE *f = fopen(p1, "w");
	fputs("alice@example.org:{PLAIN}org\n", f);
	fclose(f);
	f = fopen(p2, "w");
	fputs("alice@example.net:{PLAIN}net\n", f);
	fclose(f);
	struct conf *conf = load(tmpl);

	assert_int_equal(verify("alice@example.org", "org"), AUTHMOD_OK);
	assert_int_equal(verify("alice@example.net", "net"), AUTHMOD_OK);
	assert_int_equal(verify("alice@example.net", "org"), AUTHMOD_FAIL);
	assert_int_equal(verify("alice@example.com", "org"), AUTHMOD_NOUSER);
	assert_int_equal(verify("alice", "org"), AUTHMOD_NOUSER);
	auth_deinit();
	conf_unref(&conf);
	unlink(p1);
	unlink(p2);
	rmdir(dir);
}

static void
test_auth_pwfile_module_several_files(void **state)
{
	char *a = test_write_file("alice@example.org:{PLAIN}first\n");
	char *b = test_write_file("alice@example.org:{PLAIN}second\n"
				  "bob@example.org:{PLAIN}bob\n");
	char list[512];
	snprintf(list, sizeof(list), "%s  %s", a, b);
	struct conf *conf = load(list);

	/* the first file that knows the user decides */
	assert_int_equal(verify("alice@example.org", "first"), AUTHMOD_OK);
	assert_int_equal(verify("alice@example.org", "second"), AUTHMOD_FAIL);
	assert_int_equal(verify("bob@example.org", "bob"), AUTHMOD_OK);
	/* one file gone: users of the other still log in, the rest wait */
	unlink(a);
	assert_int_equal(verify("bob@example.org", "bob"), AUTHMOD_OK);
	assert_int_equal(verify("carol@example.org", "x"), AUTHMOD_TEMPFAIL);
	auth_deinit();
	conf_unref(&conf);

	char dir[1024], *err = NULL;
	assert_int_equal(test_conf(&conf, &err, NULL,
				   "auth.modules = pwfile\n"
				   "auth.module_dir = %s\n"
				   "auth.pwfile.path = relative/users\n",
				   test_moddir(dir, sizeof(dir), true)), 0);
	assert_int_equal(auth_init(conf, &err), -ERR_INVAL);
	assert_non_null(strstr(err, "absolute path"));
	free(err);
	conf_unref(&conf);
	unlink(b);
	free(a);
	free(b);
}

static atomic_int stop_threads;

static void *
login_loop(void *arg)
{
	int *bad = arg;
	while (!atomic_load(&stop_threads)) {
		int r = verify("alice@example.org", "same");
		if (r != AUTHMOD_OK)
			(*bad)++;
		r = verify("ghost@example.org", "x");
		if (r != AUTHMOD_NOUSER)
			(*bad)++;
	}
	return NULL;
}

/* logins from many threads while the file is rewritten: every answer is
 * right (alice is in every version), and nothing races (TSan builds) */
static void
test_auth_pwfile_concurrent_reload(void **state)
{
	char *path = test_write_file("alice@example.org:{PLAIN}same\n");
	char tmp[1100];
	struct conf *conf = load(path);
	pthread_t t[6];
	int bad[6] = { 0 };

	atomic_store(&stop_threads, 0);
	for (int i = 0; i < 6; i++)
		pthread_create(&t[i], NULL, login_loop, &bad[i]);
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	for (int i = 0; i < 50; i++) {
		FILE *f = fopen(tmp, "w");
		fprintf(f, "alice@example.org:{PLAIN}same\n");
		for (int j = 0; j < i; j++)
			fprintf(f, "u%d@example.org:{PLAIN}x\n", j);
		fclose(f);
		assert_int_equal(rename(tmp, path), 0);
		usleep(2000);
	}
	atomic_store(&stop_threads, 1);
	for (int i = 0; i < 6; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(bad[i], 0);
	}
	assert_int_equal(verify("u48@example.org", "x"), AUTHMOD_OK);
	auth_deinit();
	conf_unref(&conf);
	unlink(path);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_auth_pwfile_parse_malformed),
		cmocka_unit_test(test_auth_pwfile_parse_no_valid_lines),
		cmocka_unit_test(test_auth_pwfile_parse_long_line),
		cmocka_unit_test(test_auth_pwfile_quota_rules_survive_moves),
		cmocka_unit_test(test_auth_pwfile_module_reload),
		cmocka_unit_test(test_auth_pwfile_module_per_domain),
		cmocka_unit_test(test_auth_pwfile_module_several_files),
		cmocka_unit_test(test_auth_pwfile_concurrent_reload),
	};
	auth_register_settings();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
