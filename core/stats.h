/* Maildock - SPDX-License-Identifier: MIT
 *
 * Counters for metrics (core/metrics.h serves them): kept in one shared
 * anonymous mapping made at start-up, before any fork, so that every
 * process of the server (master, workers) adds to the same atomic counters
 * and whichever process serves /metrics reports them all. Before
 * stats_init, or when it failed, every call does nothing.
 */
#ifndef CORE_STATS_H
#define CORE_STATS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct sbuf;

/* stats_init: map the shared region with room for slots label sets
 * (counters and histograms together; 1024 is plenty for the command
 * tables of every protocol) and register the calling process. Returns 0,
 * or -ERR_NOMEM with *error_r malloc'd. Start-up only, before fork and
 * before threads. */
int stats_init(unsigned slots, char **error_r);

/* stats_process_register: count the calling process in the memory and
 * thread figures (call once in each forked worker). Thread-safe. */
void stats_process_register(void);

/* stats_session_started / stats_session_ended: a connection of protocol
 * proto (a proto_ops name) began / ended; at the end, whether it used TLS
 * and the octets received and sent. Thread- and process-safe (atomics). */
void stats_session_started(const char *proto);
void stats_session_ended(const char *proto, bool tls, uint64_t in,
			 uint64_t out);

/* stats_login: one authentication: mech ("PLAIN", "LOGIN", "USER"...),
 * module (the auth module that answered, or NULL), whether it succeeded,
 * and how long it took, in microseconds. Names outside [A-Za-z0-9_-] or
 * longer than 31 bytes are counted as "other". Thread-safe. */
void stats_login(const char *mech, const char *module, bool ok,
		 uint64_t usec);

/* stats_command: one command of protocol proto (its table name, never
 * client text), its duration in microseconds and its handler's result (a
 * negative -ERR_* counts as an error of that kind). Thread-safe. */
void stats_command(const char *proto, const char *name, uint64_t usec,
		   int result);

/* stats_mailbox_sync: a mailbox view was synced with its folder (IMAP's
 * untagged updates, a POP3 or LMTP open), ok or failed. stats_cache_lookup:
 * the parsed-message cache answered (hit) or the file had to be parsed
 * (miss). Called by storage; thread- and process-safe. */
void stats_mailbox_sync(bool ok);
void stats_cache_lookup(bool hit);

/* stats_usec_since: microseconds since *start (CLOCK_MONOTONIC). */
uint64_t stats_usec_since(const struct timespec *start);

/* stats_render: append every metric to b in the Prometheus text
 * exposition format 0.0.4 (HELP, TYPE, samples; histograms with
 * cumulative le buckets), with the summed memory and threads of the
 * registered processes. Thread-safe; the figures are a moment's view. */
void stats_render(struct sbuf *b);

#endif
