/* Maildock - SPDX-License-Identifier: MIT
 *
 * The log sink. Each line is formatted into a stack buffer and written with
 * one write(2) (or one syslog(3) call), so lines from threads never mix.
 * A log file is reopened by dup2 onto the same descriptor, so a thread
 * writing at that moment never sees a closed one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include "core/error.h"
#include "core/log.h"
#include "core/sbuf.h"

#define LOG_LINE_MAX 4096

static bool use_stderr = true;	/* stderr or the log file: not syslog */
static int log_fd = STDERR_FILENO;
static char *log_path;		/* the log file; NULL: stderr or syslog */
static atomic_int cur_level = LOG_LEVEL_INFO;

static const char *const level_names[] = { "error", "warning", "info", "debug" };
static const int syslog_prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

void
log_open(bool to_stderr, const char *ident)
{
	use_stderr = to_stderr;
	if (!to_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

/* O_NOFOLLOW: a symlink planted where the log goes must not make a root
 * process append to another file. */
static int
open_log(const char *path, char **error_r)
{
	char ebuf[128];
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
			    O_NOFOLLOW | O_NOCTTY, 0640);
	if (fd < 0) {
		struct sbuf b;
		sbuf_init(&b, NULL, 0);
		sbuf_appendf(&b, "%s: %s", path,
			     errno_str(errno, ebuf, sizeof(ebuf)));
		*error_r = b.data;
	}
	return fd;
}

int
log_open_file(const char *path, char **error_r)
{
	int fd = open_log(path, error_r);
	if (fd < 0)
		return -ERR_IO;
	if (!use_stderr)
		closelog();
	log_fd = fd;
	use_stderr = true;
	free(log_path);
	log_path = xstrdup(path);
	return 0;
}

int
log_reopen(char **error_r)
{
	if (log_path == NULL)
		return 0;
	int fd = open_log(log_path, error_r);
	if (fd < 0)
		return -ERR_IO;
	dup2(fd, log_fd);
	close(fd);
	return 0;
}

bool
log_syslog_missing(void)
{
	return access("/dev/log", F_OK) != 0;
}

void
log_set_level(enum log_level level)
{
	atomic_store(&cur_level, (int)level);
}

enum log_level
log_get_level(void)
{
	return (enum log_level)atomic_load(&cur_level);
}

int
log_level_parse(const char *s, enum log_level *level_r)
{
	for (size_t i = 0; i < N_ELEMENTS(level_names); i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*level_r = (enum log_level)i;
			return 0;
		}
	}
	return -ERR_INVAL;
}

void
log_vwrite(enum log_level level, const char *sid, const char *component,
	   const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	size_t n = 0;
	int r;

	if ((int)level > atomic_load(&cur_level))
		return;
	if (use_stderr) {
		struct timespec ts;
		struct tm tm;
		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S ", &tm);
	}
	r = snprintf(line + n, sizeof(line) - n, "%s %s%s%s%s: ",
		     level_names[level], sid ? "[" : "", sid ? sid : "",
		     sid ? "] " : "", component);
	if (r > 0)
		n += (size_t)r < sizeof(line) - n ? (size_t)r : sizeof(line) - n - 1;
	r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (r > 0) {
		if ((size_t)r >= sizeof(line) - n) {
			n = sizeof(line) - 5;
			memcpy(line + n, "...", 3);
			n += 3;
		} else {
			n += (size_t)r;
		}
	}
	if (use_stderr) {
		line[n++] = '\n';
		ssize_t w = write(log_fd, line, n);
		(void)w;
	} else {
		line[n] = '\0';
		syslog(syslog_prio[level], "%s", line);
	}
}

void
log_write(enum log_level level, const char *sid, const char *component,
	  const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vwrite(level, sid, component, fmt, ap);
	va_end(ap);
}

void
log_quote(struct sbuf *b, const char *s, size_t n)
{
	size_t max = n > 200 ? 200 : n;
	sbuf_appendc(b, '"');
	for (size_t i = 0; i < max; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			sbuf_appendf(b, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			sbuf_appendf(b, "\\x%02x", c);
		else
			sbuf_appendc(b, (char)c);
	}
	if (max < n)
		sbuf_appends(b, "...");
	sbuf_appendc(b, '"');
}

const char *
log_quote_cstr(char *buf, size_t size, const char *s)
{
	struct sbuf b;
	sbuf_init(&b, NULL, 0);
	log_quote(&b, s, strlen(s));
	str_copy(buf, b.data, size);
	sbuf_free(&b);
	return buf;
}
