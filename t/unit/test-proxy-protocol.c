/* Maildock - SPDX-License-Identifier: MIT
 *
 * Unit tests for core/proxy-protocol: both header versions parsed from
 * buffers (complete, short, malformed, oversized), and read from a socket
 * pair without consuming a byte of what follows the header.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>
#include "core/error.h"
#include "core/proxy-protocol.h"

static const unsigned char sig[12] = {
	0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A
};

static int
parse_str(const char *s, struct proxy_protocol_addr *a)
{
	return proxy_protocol_parse((const unsigned char *)s, strlen(s), a);
}

static void
check_v4(const struct sockaddr_storage *ss, const char *ip, unsigned port)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	char buf[INET_ADDRSTRLEN];

	assert_int_equal(sin->sin_family, AF_INET);
	assert_string_equal(inet_ntop(AF_INET, &sin->sin_addr, buf,
				      sizeof(buf)), ip);
	assert_int_equal(ntohs(sin->sin_port), port);
}

static void
test_proxy_protocol_v1(void **state)
{
	struct proxy_protocol_addr a;
	const char *h = "PROXY TCP4 192.0.2.7 198.51.100.1 56324 993\r\n";

	assert_int_equal(parse_str(h, &a), (int)strlen(h));
	assert_true(a.proxied);
	check_v4(&a.src, "192.0.2.7", 56324);
	check_v4(&a.dst, "198.51.100.1", 993);
	/* short: more bytes needed, never an answer from half a line */
	assert_int_equal(parse_str("PROXY TCP4 192.0.2.7 19", &a), 0);
	assert_int_equal(parse_str("PRO", &a), 0);
	h = "PROXY TCP6 2001:db8::7 2001:db8::1 1 143\r\n";
	assert_int_equal(parse_str(h, &a), (int)strlen(h));
	assert_int_equal(a.src.ss_family, AF_INET6);
	h = "PROXY UNKNOWN\r\n";
	assert_int_equal(parse_str(h, &a), (int)strlen(h));
	assert_false(a.proxied);
}

static void
test_proxy_protocol_v1_malformed(void **state)
{
	static const char *const bad[] = {
		"PROXY TCP4 192.0.2.7 198.51.100.1 56324\r\n",
		"PROXY TCP4 192.0.2.7 198.51.100.1 56324 993 x\r\n",
		"PROXY TCP4 192.0.2.777 198.51.100.1 1 2\r\n",
		"PROXY TCP4 2001:db8::7 198.51.100.1 1 2\r\n",
		"PROXY TCP4 192.0.2.7 198.51.100.1 65536 2\r\n",
		"PROXY TCP4 192.0.2.7 198.51.100.1 01 2\r\n",
		"PROXY TCP4 192.0.2.7 198.51.100.1 -1 2\r\n",
		"PROXY UDP4 192.0.2.7 198.51.100.1 1 2\r\n",
		"GET / HTTP/1.0\r\n",
		"a1 LOGIN alice secret\r\n",
	};
	struct proxy_protocol_addr a;
	char longline[200];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse_str(bad[i], &a), -ERR_SYNTAX);
	/* 107 octets without a CRLF is not a header (2.1) */
	memset(longline, 'x', sizeof(longline));
	memcpy(longline, "PROXY TCP4 ", 11);
	assert_int_equal(proxy_protocol_parse((unsigned char *)longline,
					      sizeof(longline), &a),
			 -ERR_SYNTAX);
}

static size_t
v2_header(unsigned char *buf, unsigned char cmd, unsigned char fam,
	  size_t addrlen)
{
	memcpy(buf, sig, 12);
	buf[12] = 0x20 | cmd;
	buf[13] = fam;
	buf[14] = (unsigned char)(addrlen >> 8);
	buf[15] = (unsigned char)addrlen;
	memset(buf + 16, 0, addrlen);
	return 16 + addrlen;
}

static void
test_proxy_protocol_v2(void **state)
{
	unsigned char buf[2048];
	struct proxy_protocol_addr a;
	size_t n = v2_header(buf, 1, 0x11, 12 + 5);	/* with a TLV */

	inet_pton(AF_INET, "192.0.2.9", buf + 16);
	inet_pton(AF_INET, "198.51.100.2", buf + 20);
	buf[24] = 0x30; buf[25] = 0x39;			/* 12345 */
	buf[26] = 0x03; buf[27] = 0xE1;			/* 993 */
	assert_int_equal(proxy_protocol_parse(buf, n, &a), (int)n);
	assert_true(a.proxied);
	check_v4(&a.src, "192.0.2.9", 12345);
	check_v4(&a.dst, "198.51.100.2", 993);
	for (size_t k = 0; k < n; k++)
		assert_int_equal(proxy_protocol_parse(buf, k, &a), 0);
	/* LOCAL (a health check) keeps the proxy's own addresses */
	n = v2_header(buf, 0, 0x00, 0);
	assert_int_equal(proxy_protocol_parse(buf, n, &a), (int)n);
	assert_false(a.proxied);
	/* TCP6 with too short an address block, a bad version, a bad
	 * command, and a length past the bound */
	n = v2_header(buf, 1, 0x21, 12);
	assert_int_equal(proxy_protocol_parse(buf, n, &a), -ERR_SYNTAX);
	n = v2_header(buf, 1, 0x11, 12);
	buf[12] = 0x11;
	assert_int_equal(proxy_protocol_parse(buf, n, &a), -ERR_SYNTAX);
	n = v2_header(buf, 2, 0x11, 12);
	assert_int_equal(proxy_protocol_parse(buf, n, &a), -ERR_SYNTAX);
	n = v2_header(buf, 1, 0x11, PROXY_PROTOCOL_MAX);
	assert_int_equal(proxy_protocol_parse(buf, 16, &a), -ERR_SYNTAX);
}

/* Only the header is taken from the socket: what follows stays for the
 * protocol (a TLS ClientHello sent in the same packet). */
static void
test_proxy_protocol_read_takes_only_the_header(void **state)
{
	int sv[2];
	struct proxy_protocol_addr a;
	const char *h = "PROXY TCP4 192.0.2.7 198.51.100.1 56324 993\r\n";
	unsigned char v2[64], rest[16];
	size_t n2 = v2_header(v2, 1, 0x11, 12);

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[1], h, strlen(h)), (ssize_t)strlen(h));
	assert_int_equal(write(sv[1], "\x16\x03\x01", 3), 3);
	assert_int_equal(proxy_protocol_read(sv[0], 1000, &a), 0);
	check_v4(&a.src, "192.0.2.7", 56324);
	assert_int_equal(read(sv[0], rest, sizeof(rest)), 3);
	assert_memory_equal(rest, "\x16\x03\x01", 3);

	assert_int_equal(write(sv[1], v2, n2), (ssize_t)n2);
	assert_int_equal(write(sv[1], "a1 NOOP\r\n", 9), 9);
	assert_int_equal(proxy_protocol_read(sv[0], 1000, &a), 0);
	assert_int_equal(read(sv[0], rest, sizeof(rest)), 9);

	/* not a header; and a peer that stalls or leaves */
	assert_int_equal(write(sv[1], "a1 LOGIN x y\r\n", 14), 14);
	assert_int_equal(proxy_protocol_read(sv[0], 1000, &a), -ERR_SYNTAX);
	assert_int_equal(read(sv[0], rest, sizeof(rest)), 8);
	assert_int_equal(write(sv[1], "PROXY TCP4", 10), 10);
	assert_int_equal(proxy_protocol_read(sv[0], 100, &a), -ERR_TIMEOUT);
	close(sv[1]);
	assert_int_equal(proxy_protocol_read(sv[0], 1000, &a), -ERR_EOF);
	close(sv[0]);
}

static struct sockaddr_storage
addr_of(const char *ip)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(ip, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, ip, &s6->sin6_addr), 1);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, ip, &s4->sin_addr), 1);
	}
	return ss;
}

static void
test_proxy_protocol_trusted_networks(void **state)
{
	const char *nets = "192.0.2.0/25, 10.1.2.3 2001:db8:8000::/33";
	char bad[64];
	struct sockaddr_storage a;

	assert_int_equal(proxy_protocol_check_networks(nets, bad,
						       sizeof(bad)), 0);
	a = addr_of("192.0.2.127");
	assert_true(proxy_protocol_trusted(nets, &a));
	a = addr_of("192.0.2.128");
	assert_false(proxy_protocol_trusted(nets, &a));
	a = addr_of("10.1.2.3");
	assert_true(proxy_protocol_trusted(nets, &a));
	a = addr_of("10.1.2.4");
	assert_false(proxy_protocol_trusted(nets, &a));
	a = addr_of("::ffff:192.0.2.1");	/* a v4 client on a [::] socket */
	assert_true(proxy_protocol_trusted(nets, &a));
	a = addr_of("2001:db8:ffff::1");
	assert_true(proxy_protocol_trusted(nets, &a));
	a = addr_of("2001:db8:7fff::1");
	assert_false(proxy_protocol_trusted(nets, &a));
	assert_false(proxy_protocol_trusted("", &a));
	a = addr_of("0.0.0.1");
	assert_true(proxy_protocol_trusted("0.0.0.0/0", &a));
	assert_int_equal(proxy_protocol_check_networks("10.0.0.0/8 host.example",
						       bad, sizeof(bad)),
			 -ERR_INVAL);
	assert_string_equal(bad, "host.example");
	assert_int_equal(proxy_protocol_check_networks("10.0.0.0/33", bad,
						       sizeof(bad)),
			 -ERR_INVAL);
	assert_int_equal(proxy_protocol_check_networks("10.0.0.0/", bad,
						       sizeof(bad)),
			 -ERR_INVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proxy_protocol_v1),
		cmocka_unit_test(test_proxy_protocol_v1_malformed),
		cmocka_unit_test(test_proxy_protocol_v2),
		cmocka_unit_test(test_proxy_protocol_read_takes_only_the_header),
		cmocka_unit_test(test_proxy_protocol_trusted_networks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
