/* Maildock - SPDX-License-Identifier: MIT
 *
 * One line per event (STYLE C11): "<level> [<session-id>] <component>: <event>
 * key=value ...", written whole with one write() to stderr, or to syslog
 * (facility mail). Text from clients must go through log_quote.
 */
#ifndef CORE_LOG_H
#define CORE_LOG_H

#include <stdarg.h>
#include "core/compat.h"

struct sbuf;

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

/* log_open: choose the sink: stderr (to_stderr) or syslog with ident and
 * facility LOG_MAIL. Call once at start-up, before threads. */
void log_open(bool to_stderr, const char *ident);

/* log_open_file: append lines (with a timestamp, as on stderr) to path,
 * created mode 0640 if missing, never through a symlink. Replaces the sink
 * chosen by log_open. Returns 0, or -ERR_IO with *error_r malloc'd ("path: reason").
 * Start-up only, before threads. */
int log_open_file(const char *path, char **error_r);

/* log_reopen: open the log file's path again (after logrotate moved it)
 * onto the same descriptor; does nothing without a log file. Returns 0,
 * or -ERR_IO with *error_r malloc'd (the old file stays in use). Safe while
 * other threads log; call from one thread at a time (the main loop). */
int log_reopen(char **error_r);

/* log_syslog_missing: true when /dev/log, where syslog(3) writes, does not
 * exist (a container without a syslog daemon): syslog lines would be lost
 * without an error. */
bool log_syslog_missing(void);

/* log_set_level: lines above level are dropped. Thread-safe (atomic). */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

/* log_level_parse: "error", "warning", "info" or "debug" into *level_r.
 * Returns 0 or -ERR_INVAL. */
int log_level_parse(const char *s, enum log_level *level_r);

/* log_write: one event line. sid is the session id or NULL; component is a
 * short word ("core", "imap", "auth"). Thread-safe; lines longer than 4 KiB
 * are cut with a "..." marker. */
void log_write(enum log_level level, const char *sid, const char *component,
	       const char *fmt, ...) ATTR_PRINTF(4, 5);
void log_vwrite(enum log_level level, const char *sid, const char *component,
		const char *fmt, va_list ap) ATTR_PRINTF(4, 0);

#define log_error(comp, ...) log_write(LOG_LEVEL_ERROR, NULL, comp, __VA_ARGS__)
#define log_warn(comp, ...) log_write(LOG_LEVEL_WARNING, NULL, comp, __VA_ARGS__)
#define log_info(comp, ...) log_write(LOG_LEVEL_INFO, NULL, comp, __VA_ARGS__)
#define log_debug(comp, ...) log_write(LOG_LEVEL_DEBUG, NULL, comp, __VA_ARGS__)

/* log_quote: append s[0..n) to b as a double-quoted string, with '"', '\\',
 * control and non-ASCII bytes escaped as \xHH, and at most 200 bytes of s
 * (then "..."), so client text can never forge or break a log line. */
void log_quote(struct sbuf *b, const char *s, size_t n);

/* log_quote_cstr: log_quote into a caller-supplied buffer of size bytes
 * (>= 8); returns buf. Convenient inside log_write arguments. */
const char *log_quote_cstr(char *buf, size_t size, const char *s);

#endif
