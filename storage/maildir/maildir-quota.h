/* Maildock - SPDX-License-Identifier: MIT
 *
 * Maildir++ quota: the maildirsize file of the Maildir root (maildir-quota.c).
 * Private to storage/maildir/.
 */
#ifndef STORAGE_MAILDIR_MAILDIR_QUOTA_H
#define STORAGE_MAILDIR_MAILDIR_QUOTA_H

#include "storage/maildir/maildir.h"

/* ---- maildir-quota.c: Maildir++ maildirsize of the Maildir root */
/* maildir_quota_set_rule: make rule ("<n>S,<n>C") the quota, recounting
 * the usage when it differs from the file's; NULL/"" leaves it. */
int maildir_quota_set_rule(const char *root, const char *rule);
/* maildir_quota_check: -ERR_QUOTA when adding bytes octets and msgs
 * messages would pass a limit; 0 otherwise (or without a quota). */
int maildir_quota_check(const char *root, uint64_t bytes, uint64_t msgs);
/* maildir_quota_add: record a change of usage (negative on expunge) with
 * one appended line; nothing without a maildirsize. */
void maildir_quota_add(const char *root, int64_t bytes, int64_t msgs);
/* maildir_quota_recalc: store_quota_recalc for Maildir++. */
int maildir_quota_recalc(struct store_user *u);
int maildir_quota_get(struct store_user *u, uint64_t *bytes_used,
		      uint64_t *bytes_limit, uint64_t *msgs_used,
		      uint64_t *msgs_limit);
/* maildir_quota_folder_usage: add the octets (",S=" or file size) and
 * message count of one folder's cur/ and new/ to *bytes and *msgs. */
void maildir_quota_folder_usage(const char *dir, uint64_t *bytes,
				uint64_t *msgs);
/* maildir_quota_parse_rule: "<n>S,<n>C" (either part optional) into
 * limits (0 = none); -ERR_INVAL when malformed. Pure. */
int maildir_quota_parse_rule(const char *rule, uint64_t *bytes,
			     uint64_t *msgs);

#endif
