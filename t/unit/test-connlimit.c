/* Maildock - SPDX-License-Identifier: MIT
 *
 * Unit tests for core/connlimit: the total and per-address limits, IPv4
 * and IPv4-mapped peers as one address, a trusted proxy's connection
 * counted under its client later, and the slots of a process that was
 * killed given back by connlimit_release_pid (what the master does).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <signal.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "core/connlimit.h"
#include "core/error.h"

static struct sockaddr_storage
addr(const char *ip)
{
	struct sockaddr_storage ss = { 0 };
	if (strchr(ip, ':') != NULL) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		in6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, ip, &in6->sin6_addr);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		in->sin_family = AF_INET;
		inet_pton(AF_INET, ip, &in->sin_addr);
	}
	return ss;
}

static int
admit(const char *ip, bool count_ip, unsigned total, unsigned per_ip,
      const char **reason_r)
{
	struct sockaddr_storage ss = addr(ip);
	*reason_r = NULL;
	return connlimit_admit(&ss, count_ip, total, per_ip, reason_r);
}

static void
test_connlimit_total_and_per_address(void **state)
{
	const char *why;
	int s[8];

	s[0] = admit("192.0.2.1", true, 4, 2, &why);
	s[1] = admit("::ffff:192.0.2.1", true, 4, 2, &why);	/* the same */
	assert_true(s[0] >= 0 && s[1] >= 0);
	assert_true(admit("192.0.2.1", true, 4, 2, &why) < 0);
	assert_string_equal(why, "Too many connections from your address.");
	s[2] = admit("2001:db8::1", true, 4, 2, &why);
	s[3] = admit("192.0.2.2", true, 4, 2, &why);
	assert_true(s[2] >= 0 && s[3] >= 0);
	assert_int_equal(connlimit_active(), 4);
	assert_true(admit("192.0.2.3", true, 4, 2, &why) < 0);
	assert_string_equal(why, "Too many connections, try again later.");
	connlimit_release(s[0]);
	s[0] = admit("192.0.2.1", true, 4, 2, &why);
	assert_true(s[0] >= 0);
	for (int i = 0; i < 4; i++)
		connlimit_release(s[i]);
	assert_int_equal(connlimit_active(), 0);
}

static void
test_connlimit_proxy_counted_under_client(void **state)
{
	const char *why;
	struct sockaddr_storage client = addr("198.51.100.7");

	int a = admit("10.0.0.1", false, 10, 1, &why);
	int b = admit("10.0.0.1", false, 10, 1, &why);
	assert_true(a >= 0 && b >= 0);		/* the proxy itself: no cap */
	assert_int_equal(connlimit_readdress(a, &client, 1, &why), 0);
	assert_int_equal(connlimit_readdress(b, &client, 1, &why), -ERR_LIMIT);
	connlimit_release(a);
	connlimit_release(b);
	assert_true((a = admit("198.51.100.7", true, 10, 1, &why)) >= 0);
	connlimit_release(a);
	assert_int_equal(connlimit_active(), 0);
}

static void
test_connlimit_dead_process_slots_released(void **state)
{
	const char *why;
	int ready[2];
	char c;

	assert_int_equal(pipe(ready), 0);
	pid_t pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 3; i++)
			if (admit("192.0.2.9", true, 10, 5, &why) < 0)
				_exit(1);
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	assert_int_equal(read(ready[0], &c, 1), 1);
	assert_int_equal(connlimit_active(), 3);	/* seen here too */
	int mine = admit("192.0.2.9", true, 10, 5, &why);
	assert_true(mine >= 0);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	assert_int_equal(connlimit_release_pid(pid), 3);
	assert_int_equal(connlimit_active(), 1);
	/* its address has room again: 1 held, 4 more */
	int more[4];
	for (int i = 0; i < 4; i++)
		assert_true((more[i] = admit("192.0.2.9", true, 10, 5,
					     &why)) >= 0);
	assert_true(admit("192.0.2.9", true, 10, 5, &why) < 0);
	for (int i = 0; i < 4; i++)
		connlimit_release(more[i]);
	connlimit_release(mine);
	assert_int_equal(connlimit_active(), 0);
	close(ready[0]);
	close(ready[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_connlimit_total_and_per_address),
		cmocka_unit_test(test_connlimit_proxy_counted_under_client),
		cmocka_unit_test(test_connlimit_dead_process_slots_released),
	};
	connlimit_init(16);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
