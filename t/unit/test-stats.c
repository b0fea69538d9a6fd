/* Maildock - SPDX-License-Identifier: MIT
 *
 * Unit tests for core/stats: processes forked after stats_init add to the
 * same counters, and the rendering is the Prometheus text format.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "core/error.h"
#include "core/sbuf.h"
#include "core/stats.h"

#define CHILDREN 4
#define PER_CHILD 2000

static int
setup(void **state)
{
	char *error = NULL;
	(void)state;
	return stats_init(64, &error) == 0 ? 0 : -1;
}

static bool
has_line(const struct sbuf *b, const char *line)
{
	char want[512];
	snprintf(want, sizeof(want), "\n%s\n", line);
	return strstr(b->data, want) != NULL;
}

static void
test_stats_children_share_counters(void **state)
{
	(void)state;
	for (int c = 0; c < CHILDREN; c++) {
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			stats_process_register();
			for (int i = 0; i < PER_CHILD; i++)
				stats_command("imap", i % 2 ? "NOOP" : "FETCH",
					      (uint64_t)i, i % 100 == 0 ?
					      -ERR_IO : 0);
			_exit(0);
		}
	}
	for (int c = 0; c < CHILDREN; c++) {
		int status;
		assert_true(wait(&status) > 0);
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	struct sbuf b;
	sbuf_init(&b, NULL, 0);
	stats_render(&b);
	assert_true(has_line(&b, "maildock_command_duration_seconds_count"
			     "{protocol=\"imap\",command=\"NOOP\"} 4000"));
	assert_true(has_line(&b, "maildock_command_duration_seconds_bucket"
			     "{protocol=\"imap\",command=\"FETCH\",le=\"+Inf\"} "
			     "4000"));
	/* i = 0, 100, ... 1900 of each child: 20 */
	assert_true(has_line(&b, "maildock_command_errors_total"
			     "{protocol=\"imap\",kind=\"io\"} 80"));
	sbuf_free(&b);
}

static void
test_stats_label_values_are_bounded(void **state)
{
	(void)state;
	stats_login("X\"}\n", "pwfile", false, 10);
	stats_login("PLAIN", NULL, true, 2000000);
	struct sbuf b;
	sbuf_init(&b, NULL, 0);
	stats_render(&b);
	assert_true(has_line(&b, "maildock_logins_total{mechanism=\"other\","
			     "module=\"pwfile\",result=\"failed\"} 1"));
	assert_true(has_line(&b, "maildock_logins_total{mechanism=\"PLAIN\","
			     "module=\"none\",result=\"ok\"} 1"));
	/* 2 s: above the 1 s bound, within 5 s */
	assert_true(has_line(&b, "maildock_auth_duration_seconds_bucket"
			     "{result=\"ok\",le=\"1\"} 0"));
	assert_true(has_line(&b, "maildock_auth_duration_seconds_bucket"
			     "{result=\"ok\",le=\"5\"} 1"));
	assert_true(has_line(&b, "# TYPE maildock_auth_duration_seconds "
			     "histogram"));
	sbuf_free(&b);
}

static void
test_stats_full_table_drops_samples(void **state)
{
	char name[16];
	(void)state;
	for (int i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "CMD%d", i);
		stats_command("pop3", name, 1, 0);
	}
	struct sbuf b;
	sbuf_init(&b, NULL, 0);
	stats_render(&b);
	/* 64 slots in all: the table fills, later names are dropped */
	unsigned n = 0;
	const char *key = "_count{protocol=\"pop3\"";
	for (const char *p = b.data; (p = strstr(p, key)) != NULL; p++)
		n++;
	assert_true(n > 40 && n < 64);
	assert_true(has_line(&b, "maildock_processes 1"));
	sbuf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stats_children_share_counters),
		cmocka_unit_test(test_stats_label_values_are_bounded),
		cmocka_unit_test(test_stats_full_table_drops_samples),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
