/* Maildock - SPDX-License-Identifier: MIT
 *
 * The maildir.* settings (STYLE C16): lock timeouts and fsync. Registered
 * by the lead through store_conf_table; applied to the backend each time a
 * user is opened, so a reload (SIGHUP) reaches new sessions.
 */
#include <stddef.h>
#include <pthread.h>
#include "core/conf.h"
#include "storage/store.h"
#include "storage/maildir/maildir.h"
#include "core/compat.h"

struct store_settings {
	unsigned lock_timeout;
	unsigned lock_stale;
	unsigned pop3_lock_stale;
	bool fsync;
	bool utf8_names;
	bool follow_symlinks;
	const char *compat;
};

static const char *const compat_values[] = {
	"auto", "none", "courier", "dovecot", "courier,dovecot",
	"courier, dovecot", NULL
};

#define S(k, t, f, d, ...) \
	{ k, t, offsetof(struct store_settings, f), d, __VA_ARGS__ }
static const struct conf_setting store_settings[] = {
	S("maildir.lock_timeout", CONF_DURATION, lock_timeout, "10s",
	  .min = 1, .max = 3600,
	  .doc = "how long to wait for a folder's UID list lock"),
	S("maildir.lock_stale", CONF_DURATION, lock_stale, "2m",
	  .min = 10, .max = 86400,
	  .doc = "age after which a UID list lock file is taken over"),
	S("maildir.pop3_lock_stale", CONF_DURATION, pop3_lock_stale, "30m",
	  .min = 60, .max = 86400,
	  .doc = "age after which a POP3 maildrop lock is taken over"),
	S("maildir.fsync", CONF_BOOL, fsync, "yes",
	  .doc = "fsync messages and directories (turn off only for tests)"),
	S("maildir.utf8_folder_names", CONF_BOOL, utf8_names, "no",
	  .doc = "spell new folder names in UTF-8 on disk (Courier-IMAP 5)"
		 " instead of modified UTF-7 (Courier-IMAP 4, Dovecot)"),
	S("maildir.follow_folder_symlinks", CONF_BOOL, follow_symlinks, "no",
	  .doc = "serve a folder whose directory (or its cur/, new/) is a"
		 " symbolic link"),
	S("maildir.compat", CONF_ENUM, compat, "auto", .values = compat_values,
	  .doc = "other servers' UID lists kept current in every folder"
		 " (auto: those the Maildir already has)"),
};
#undef S

const struct conf_table store_conf_table = {
	"maildir", store_settings, N_ELEMENTS(store_settings),
	sizeof(struct store_settings), NULL,
};

/* compat_bits: the MAILDIR_COMPAT_* of a maildir.compat value. */
static unsigned
compat_bits(const char *v)
{
	unsigned bits = 0;

	if (strcmp(v, "auto") == 0)
		return MAILDIR_COMPAT_AUTO;
	if (strstr(v, "courier") != NULL)
		bits |= MAILDIR_COMPAT_COURIER;
	if (strstr(v, "dovecot") != NULL)
		bits |= MAILDIR_COMPAT_DOVECOT;
	return bits;
}

void
store_settings_apply(void)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct conf *c = conf_current();
	const struct store_settings *s;

	if (c == NULL)
		return;
	s = conf_section(c, &store_conf_table);
	if (s != NULL) {
		pthread_mutex_lock(&lock);
		maildir_settings.lock_timeout = s->lock_timeout;
		maildir_settings.lock_stale = s->lock_stale;
		maildir_settings.pop3_lock_stale = s->pop3_lock_stale;
		maildir_settings.fsync = s->fsync;
		maildir_settings.utf8_names = s->utf8_names;
		maildir_settings.follow_symlinks = s->follow_symlinks;
		maildir_settings.compat = compat_bits(s->compat);
		pthread_mutex_unlock(&lock);
	}
	conf_unref(&c);
}
