/* Maildock - SPDX-License-Identifier: MIT
 *
 * The PROXY protocol (HAProxy's proxy-protocol.txt, versions 1 and 2): the
 * header a TCP proxy (HAProxy, nginx) sends first on each connection to
 * name the client it relays, so that limits, logs and the plaintext
 * policy see the client and not the proxy.
 */
#ifndef CORE_PROXY_PROTOCOL_H
#define CORE_PROXY_PROTOCOL_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include "core/compat.h"

/* the longest header accepted, octets: v1's maximum is 107; a v2 header
 * with TLVs (HAProxy's SSL and unique-id TLVs) fits well within this */
#define PROXY_PROTOCOL_MAX 1024

struct proxy_protocol_addr {
	/* false: the proxy speaks for itself (v1 UNKNOWN, v2 LOCAL, or an
	 * address family other than TCP over IPv4/IPv6): keep the
	 * connection's own addresses */
	bool proxied;
	struct sockaddr_storage src;	/* the client */
	struct sockaddr_storage dst;	/* the address the client reached */
};

/* proxy_protocol_match: whether buf[0..n) is the start of a PROXY header
 * (either version), as far as n bytes tell: 1 yes, 0 not yet known (n is
 * shorter than the signatures), -1 no. Pure. */
int proxy_protocol_match(const unsigned char *buf, size_t n);

/* proxy_protocol_parse: the header at the start of buf[0..n). Returns its
 * length in octets (> 0) with *addr_r filled, 0 when more bytes are needed
 * (n < the header's length, and n < PROXY_PROTOCOL_MAX), or -ERR_SYNTAX
 * when buf does not start with a valid header (or one longer than
 * PROXY_PROTOCOL_MAX). Addresses are checked (v1: inet_pton, ports
 * 0-65535 without leading zeros beyond "0"). Pure; thread-safe. */
int proxy_protocol_parse(const unsigned char *buf, size_t n,
			 struct proxy_protocol_addr *addr_r);

/* proxy_protocol_read: read exactly one header from the connected socket
 * fd (blocking or not) and nothing after it, so the bytes that follow
 * (a TLS ClientHello, a command) stay in the socket for the protocol.
 * Gives up after timeout_ms in all. Returns 0 with *addr_r filled,
 * -ERR_SYNTAX (not a valid header), -ERR_TIMEOUT, -ERR_EOF or -ERR_IO. */
int proxy_protocol_read(int fd, unsigned timeout_ms,
			struct proxy_protocol_addr *addr_r);

/* proxy_protocol_trusted: whether addr lies in networks, the text of
 * proxy.trusted_networks: addresses and CIDR blocks ("192.0.2.0/24
 * 2001:db8::/32 10.1.2.3") separated by spaces or commas. An IPv4-mapped
 * IPv6 address matches as its IPv4 address. An item that does not parse
 * matches nothing (proxy_protocol_check_networks refuses it at load).
 * Pure; thread-safe. */
bool proxy_protocol_trusted(const char *networks,
			    const struct sockaddr_storage *addr);

/* proxy_protocol_check_networks: 0 when every item of networks parses,
 * else -ERR_INVAL with the first bad item copied into bad[0..size). */
int proxy_protocol_check_networks(const char *networks, char *bad,
				  size_t size);

#endif
