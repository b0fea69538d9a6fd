/* Maildock - SPDX-License-Identifier: MIT
 *
 * maildock-admin: ask a running maildockd about its sessions, or tell it
 * something, over its control sockets (one per server process, found in
 * control.socket_dir of the same configuration file as maildockd -c). The
 * answers of every process are merged; output is aligned text or JSON.
 * The account and mail commands run here, on the Maildir (admin-mail.c).
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "core/conf.h"
#include "core/control.h"
#include "core/error.h"
#include "core/log.h"
#include "core/proto.h"
#include "core/sbuf.h"
#include "core/settings.h"
#include "tools/admin-mail.h"

#define DEFAULT_CONF SYSCONFDIR "/maildock/maildock.conf"
#define REPLY_MAX (16u << 20)
#define COLS_MAX 16

/* arguments of a query or of a list of folders, at most */
#define ARGS_MAX 256

static void
usage(FILE *out)
{
	fprintf(out,
		"usage: maildock-admin [-c FILE] [-j] COMMAND\n"
		"the running server:\n"
		"  who               sessions: id, user, ip, protocol, tls, since\n"
		"  kick USER|IP      end every session of that user or address\n"
		"  reload            reload the configuration (as SIGHUP)\n"
		"  stats             the counters (as served on metrics.listen)\n"
		"  log level LEVEL   error, warning, info or debug, until reload\n"
		"accounts and mail (on the Maildir, as the server's mail user):\n"
		"  user USER                     what the auth backends answer\n"
		"  mailbox list USER             the folders\n"
		"  mailbox status USER [FOLDER...]  counters of the folders\n"
		"  mailbox create USER FOLDER...\n"
		"  mailbox delete USER FOLDER...\n"
		"  quota get USER                usage and limits\n"
		"  quota recalc USER             count again, then as get\n"
		"  fetch USER FOLDER QUERY...    matching messages (mbox)\n"
		"  expunge USER FOLDER QUERY...  remove matching messages\n"
		"  (QUERY: IMAP SEARCH keys, e.g. from spammer@example.com "
		"since 1-Jan-2026)\n"
		"  -c FILE  maildockd's configuration (default %s)\n"
		"  -j       JSON output\n"
		"exit: 0 done, 1 refused or nothing matched, 2 usage or "
		"configuration, 3 no server, 4 permission denied\n",
		DEFAULT_CONF);
}

/* One server's reply, "OK\n" or "ERR reason\n" then rows, read whole. */
static int
ask(const char *path, const char *line, struct sbuf *reply)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[8192];
	ssize_t n;

	if (str_copy(sa.sun_path, path, sizeof(sa.sun_path)) >=
	    sizeof(sa.sun_path))
		return -ERR_INVAL;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -ERR_IO;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(fd);
		return e == EACCES || e == EPERM ? -ERR_PERM : -ERR_NOTFOUND;
	}
	if (send(fd, line, strlen(line), MSG_NOSIGNAL) < 0) {
		close(fd);
		return -ERR_IO;
	}
	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
		sbuf_append(reply, buf, (size_t)n);
	close(fd);
	if (sbuf_failed(reply))
		return -ERR_LIMIT;
	if (strncmp(reply->data, "ERR permission", 14) == 0)
		return -ERR_PERM;
	return 0;
}

static void
json_string(const char *s, size_t n)
{
	putchar('"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* Split a tab-separated line into at most COLS_MAX fields, in place. */
static size_t
split(char *line, char **f)
{
	size_t n = 0;
	for (char *p = line; n < COLS_MAX; p++) {
		f[n++] = p;
		p = strchr(p, '\t');
		if (p == NULL)
			break;
		*p = '\0';
	}
	return n;
}

/* The columns that are numbers in JSON; the rest are strings (a session
 * id may be all digits, with a leading zero). */
static bool
numeric(const char *column, const char *s)
{
	static const char *const numbers[] = {
		"tls", "since", "uid", "gid", "messages", "recent", "unseen",
		"uidnext", "uidvalidity", "highestmodseq", "value", "limit",
		"percent",
	};
	bool listed = false;
	for (size_t i = 0; i < N_ELEMENTS(numbers) && !listed; i++)
		listed = strcmp(column, numbers[i]) == 0;
	s += *s == '-';		/* uid and gid -1: the process's own */
	return listed && *s != '\0' && strspn(s, "0123456789") == strlen(s);
}

/* rows: the header line, then the merged data lines */
static void
print_table(char *rows, bool json)
{
	char *save = NULL, *head[COLS_MAX], *f[COLS_MAX];
	size_t width[COLS_MAX] = { 0 };
	char *line = strtok_r(rows, "\n", &save);
	if (line == NULL)
		return;
	size_t ncols = split(line, head);
	char *data = save;	/* the rest, measured then printed */
	struct sbuf copy;
	sbuf_init(&copy, NULL, REPLY_MAX);
	sbuf_appends(&copy, data != NULL ? data : "");
	for (size_t i = 0; i < ncols; i++)
		width[i] = strlen(head[i]);
	for (char *l = strtok_r(copy.data, "\n", &save); l != NULL;
	     l = strtok_r(NULL, "\n", &save))
		for (size_t i = 0, n = split(l, f); i < n && i < ncols; i++)
			width[i] = strlen(f[i]) > width[i] ? strlen(f[i]) : width[i];
	sbuf_free(&copy);
	if (json)
		putchar('[');
	else
		for (size_t i = 0; i < ncols; i++)
			printf("%-*s%s", (int)width[i], head[i],
			       i + 1 < ncols ? "  " : "\n");
	bool first = true;
	for (char *l = strtok_r(data, "\n", &save); l != NULL;
	     l = strtok_r(NULL, "\n", &save)) {
		size_t n = split(l, f);
		if (json)
			printf("%s{", first ? "" : ",");
		for (size_t i = 0; i < n && i < ncols; i++) {
			if (!json) {
				printf("%-*s%s", (int)width[i], f[i],
				       i + 1 < n ? "  " : "\n");
				continue;
			}
			json_string(head[i], strlen(head[i]));
			putchar(':');
			if (numeric(head[i], f[i]))
				fputs(f[i], stdout);
			else
				json_string(f[i], strlen(f[i]));
			if (i + 1 < n)
				putchar(',');
		}
		if (json)
			putchar('}');
		first = false;
	}
	if (json)
		puts("]");
}

/* stats: Prometheus text as is, or {"sample": value, ...} */
static void
print_stats(const char *text, bool json)
{
	if (!json) {
		fputs(text, stdout);
		return;
	}
	bool first = true;
	putchar('{');
	for (const char *l = text; *l != '\0';) {
		size_t len = strcspn(l, "\n");
		const char *sp = memrchr(l, ' ', len);
		if (*l != '#' && sp != NULL) {
			printf("%s", first ? "" : ",");
			json_string(l, (size_t)(sp - l));
			printf(":%.*s", (int)(len - (size_t)(sp - l) - 1), sp + 1);
			first = false;
		}
		l += len + (l[len] == '\n');
	}
	puts("}");
}

/* Ask every control.* socket in dir; merge the rows into merged (the
 * first reply's header once). Returns an exit code. */
static int
fan_out(const char *dir, const char *line, bool first_only,
	struct sbuf *merged, unsigned *servers_r)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	bool perm = false, refused = false;

	*servers_r = 0;
	if (d == NULL)
		return errno == EACCES ? ADMIN_EXIT_PERM : ADMIN_EXIT_NOSERVER;
	while ((de = readdir(d)) != NULL && !(first_only && *servers_r > 0)) {
		char path[4096];
		struct sbuf reply;
		if (strncmp(de->d_name, "control.", 8) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		sbuf_init(&reply, NULL, REPLY_MAX);
		int r = ask(path, line, &reply);
		if (r == -ERR_PERM)
			perm = true;
		if (r == 0 && strncmp(reply.data, "OK\n", 3) != 0) {
			fprintf(stderr, "maildock-admin: %s", reply.data + 4);
			refused = true;
		} else if (r == 0) {
			const char *rows = reply.data + 3;
			if (*servers_r > 0)	/* the header once */
				rows += strcspn(rows, "\n") + (rows[0] != '\0');
			sbuf_appends(merged, rows);
			(*servers_r)++;
		}
		sbuf_free(&reply);
	}
	closedir(d);
	if (refused)
		return ADMIN_EXIT_REFUSED;
	if (*servers_r == 0)
		return perm ? ADMIN_EXIT_PERM : ADMIN_EXIT_NOSERVER;
	return ADMIN_EXIT_OK;
}

/* kick: the sum of every server's count */
static int
print_kicked(char *rows, char **args, bool json)
{
	unsigned long n = 0;
	for (const char *p = strchr(rows, '\n'); p != NULL && p[1] != '\0';
	     p = strchr(p + 1, '\n'))
		n += strtoul(p + 1, NULL, 10);
	if (json)
		printf("{\"kicked\":%lu}\n", n);
	else
		printf("kicked %lu session%s of %s\n", n, n == 1 ? "" : "s",
		       args[0]);
	return n > 0 ? ADMIN_EXIT_OK : ADMIN_EXIT_REFUSED;
}

static int
print_who(char *rows, char **args, bool json)
{
	(void)args;
	print_table(rows, json);
	return ADMIN_EXIT_OK;
}

static int
print_counters(char *rows, char **args, bool json)
{
	(void)args;
	print_stats(rows, json);
	return ADMIN_EXIT_OK;
}

/* commands that only say OK */
static int
print_done(char *rows, char **args, bool json)
{
	(void)rows;
	(void)args;
	if (json)
		puts("{\"ok\":true}");
	return ADMIN_EXIT_OK;
}

/* "log level LEVEL": checked here, so a typo is a usage error (exit 2) */
static bool
valid_level(char **args)
{
	enum log_level lvl;
	return log_level_parse(args[0], &lvl) == 0;
}

/* One row per command (and subcommand): the arguments after them, and
 * either how to print the merged answer of the server's processes (with
 * whether one process's answer is all: state they share) or the local
 * function that does the work (admin-mail.c). A command line that fits
 * no row is a usage error. */
static const struct command {
	const char *name, *sub;
	unsigned min_args, max_args;
	bool first_only;
	bool (*valid)(char **args);
	int (*print)(char *rows, char **args, bool json);
	int (*local)(struct admin_mail *m, char **args, unsigned n);
} commands[] = {
	{ "expunge", NULL, 3, ARGS_MAX, .local = admin_expunge },
	{ "fetch", NULL, 3, ARGS_MAX, .local = admin_fetch },
	{ "kick", NULL, 1, 1, .print = print_kicked },
	{ "log", "level", 1, 1, .valid = valid_level, .print = print_done },
	{ "mailbox", "create", 2, ARGS_MAX, .local = admin_mailbox_create },
	{ "mailbox", "delete", 2, ARGS_MAX, .local = admin_mailbox_delete },
	{ "mailbox", "list", 1, 1, .local = admin_mailbox_list },
	{ "mailbox", "status", 1, ARGS_MAX, .local = admin_mailbox_status },
	{ "quota", "get", 1, 1, .local = admin_quota_get },
	{ "quota", "recalc", 1, 1, .local = admin_quota_recalc },
	{ "reload", NULL, 0, 0, .first_only = true, .print = print_done },
	{ "stats", NULL, 0, 0, .first_only = true, .print = print_counters },
	{ "user", NULL, 1, 1, .local = admin_user },
	{ "who", NULL, 0, 0, .print = print_who },
};

/* the row for argv[0..argc), and in *args_r where its arguments start */
static const struct command *
command_find(int argc, char **argv, char ***args_r)
{
	for (size_t i = 0; i < N_ELEMENTS(commands); i++) {
		const struct command *c = &commands[i];
		unsigned skip = c->sub != NULL ? 2 : 1;
		if (strcmp(argv[0], c->name) != 0 || (unsigned)argc < skip ||
		    (c->sub != NULL && strcmp(argv[1], c->sub) != 0))
			continue;
		unsigned nargs = (unsigned)argc - skip;
		if (nargs >= c->min_args && nargs <= c->max_args &&
		    (c->valid == NULL || c->valid(argv + skip))) {
			*args_r = argv + skip;
			return c;
		}
	}
	return NULL;
}

/* A command for the server: one line to every control socket. */
static int
ask_servers(const struct command *cmd, struct conf *conf, int argc,
	    char **argv, char **args, bool json)
{
	struct sbuf line, merged;
	unsigned servers;

	sbuf_init(&line, NULL, 1000);
	for (int i = 0; i < argc; i++) {
		if (argv[i][strcspn(argv[i], " \t\r\n")] != '\0') {
			fprintf(stderr, "maildock-admin: blanks in \"%s\"\n",
				argv[i]);
			sbuf_free(&line);
			return ADMIN_EXIT_USAGE;
		}
		sbuf_appendf(&line, "%s%s", i > 0 ? " " : "", argv[i]);
	}
	sbuf_appendc(&line, '\n');
	if (sbuf_failed(&line)) {
		fprintf(stderr, "maildock-admin: command too long\n");
		sbuf_free(&line);
		return ADMIN_EXIT_USAGE;
	}
	sbuf_init(&merged, NULL, REPLY_MAX);
	int r = fan_out(control_socket_dir(conf), line.data, cmd->first_only,
			&merged, &servers);
	if (r == ADMIN_EXIT_NOSERVER)
		fprintf(stderr, "maildock-admin: no maildockd answers in %s\n",
			control_socket_dir(conf));
	else if (r == ADMIN_EXIT_PERM)
		fprintf(stderr, "maildock-admin: permission denied (root or "
			"control.admin_group only)\n");
	else if (r == ADMIN_EXIT_OK)
		r = cmd->print(merged.data, args, json);
	sbuf_free(&merged);
	sbuf_free(&line);
	return r;
}

int
main(int argc, char **argv)
{
	const char *conf_path = DEFAULT_CONF;
	bool json = false;
	char *error = NULL, **args = NULL;
	int opt;

	while ((opt = getopt(argc, argv, "+c:jh")) != -1) {
		switch (opt) {
		case 'c': conf_path = optarg; break;
		case 'j': json = true; break;
		case 'h': usage(stdout); return ADMIN_EXIT_OK;
		default: usage(stderr); return ADMIN_EXIT_USAGE;
		}
	}
	const struct command *cmd = optind < argc ?
		command_find(argc - optind, argv + optind, &args) : NULL;
	if (cmd == NULL) {
		usage(stderr);
		return ADMIN_EXIT_USAGE;
	}
	struct conf *conf;
	settings_register_all(protocols, protocols_conf_tables);
	if (conf_load(conf_path, &conf, &error) < 0) {
		fprintf(stderr, "maildock-admin: %s\n", error);
		free(error);
		return ADMIN_EXIT_USAGE;
	}
	int r;
	if (cmd->local != NULL) {
		struct admin_mail m = { conf, json, print_table };
		log_open(true, "maildock-admin");
		r = cmd->local(&m, args,
			       (unsigned)(argc - (int)(args - argv)));
	} else {
		r = ask_servers(cmd, conf, argc - optind, argv + optind, args,
				json);
	}
	conf_unref(&conf);
	return r;
}
