/* Maildock - SPDX-License-Identifier: MIT
 *
 * The LMTP module (RFC 2033): delivery from an MTA (Postfix's lmtp:
 * transport) into users' Maildirs, with one reply per recipient after DATA.
 * lmtp_proto for the core, and the state shared by protocols/lmtp only.
 */
#ifndef PROTOCOLS_LMTP_LMTP_H
#define PROTOCOLS_LMTP_LMTP_H

#include <stdint.h>
#include "core/compat.h"
#include "core/conf.h"
#include "core/proto.h"

struct arena;
struct auth_user;
struct session;
struct store_user;

/* The core's entry point for LMTP (protocols/protocols.c lists it). */
extern const struct proto_ops lmtp_proto;

/* lmtp.* settings (lmtp-settings.c) */
struct lmtp_settings {
	size_t max_message_size;	/* octets; 0: no limit but quota */
	unsigned max_recipients;	/* per transaction */
	unsigned timeout;		/* seconds per command or data read */
	const char *temp_dir;		/* where DATA is spooled, unlinked */
	const char *quota_full;		/* "temporary" (452) or "permanent" */
	const char *recipient_delimiter; /* "+": alice+tag is alice; "" */
	unsigned max_bad_commands;	/* in a row, then disconnect */
};

extern const struct conf_table lmtp_conf_table;

/* the longest forward-path or reverse-path, octets (RFC 5321 4.5.3.1.3) */
#define LMTP_PATH_MAX 256

/* One accepted RCPT TO of the current transaction. */
struct lmtp_rcpt {
	const char *address;		/* as the client gave it, in tx arena */
	struct auth_user *user;		/* the auth chain's answer */
	/* the user's Maildir, opened at RCPT and kept for DATA (closed when
	 * the transaction's arena is reset); NULL in system-users mode,
	 * where each step opens it in a thread with the user's rights */
	struct store_user **store;
};

struct lmtp_session {
	struct session *s;
	const struct lmtp_settings *set;
	struct arena *tx;		/* reset after each transaction */
	char helo[LMTP_PATH_MAX + 1];	/* LHLO argument; "": none yet */
	const char *mail_from;		/* NULL: no MAIL yet; "" null path */
	uint64_t declared_size;		/* MAIL SIZE= parameter, 0: none */
	struct lmtp_rcpt *rcpts;
	unsigned nrcpts;
	unsigned bad_commands;
};

/* lmtp_hostname: server.hostname, else the system's host name (for the
 * greeting, LHLO and Received), in buf. Returns buf. */
const char *lmtp_hostname(const struct lmtp_session *l, char *buf,
			  size_t size);

/* lmtp_reply: write "code text\r\n". Returns 0 or a conn error. */
int lmtp_reply(struct lmtp_session *l, const char *fmt, ...)
	ATTR_PRINTF(2, 3);

/* lmtp_rcpt_check: after the auth chain found rcpt's user, whether the
 * user's Maildir can take a message of l->declared_size octets now (its
 * Maildir++ quota, RFC 2033 4.2 "452 4.2.2"/"552 5.2.2" as lmtp.quota_full
 * says); sets rcpt->store. Returns 0 (accepted), or -ERR_QUOTA, -ERR_TEMP
 * (the Maildir cannot be opened). Runs as the user in system-users mode. */
int lmtp_rcpt_check(struct lmtp_session *l, struct lmtp_rcpt *rcpt);

/* lmtp_data: the DATA command once at least one recipient is accepted:
 * send 354, read the dot-stuffed message (RFC 5321 4.5.2) into an unlinked
 * spool file in lmtp.temp_dir, then deliver it to every recipient's INBOX
 * through storage (UIDs, quota and keywords as for APPEND) with
 * Return-Path and Delivered-To prepended, and write one reply per
 * recipient (RFC 2033 4.2). Returns 0 or a conn error (the session ends). */
int lmtp_data(struct lmtp_session *l);

#endif
