/* Maildock - SPDX-License-Identifier: MIT
 *
 * maildock-auth: print what the configured auth modules answer for a
 * user, like Courier's authtest and Dovecot's "doveadm auth test", so an
 * admin can debug a setup without a mail client. It loads the same
 * configuration and modules as maildockd (and its privileged helper when
 * run as root).
 */
#include <getopt.h>
#include <termios.h>
#include <unistd.h>
#include "core/arena.h"
#include "core/auth.h"
#include "core/auth-chain.h"
#include "core/auth-password.h"
#include "core/conf.h"
#include "core/error.h"
#include "core/log.h"
#include "core/proto.h"
#include "core/session-private.h"
#include "core/settings.h"

#define DEFAULT_CONF SYSCONFDIR "/maildock/maildock.conf"

static void
usage(FILE *out)
{
	fprintf(out,
		"usage: maildock-auth [-c FILE] test USER [PASSWORD|-]\n"
		"       maildock-auth [-c FILE] lookup USER\n"
		"  test    check USER's password (\"-\" or none: read it from "
		"standard input)\n"
		"  lookup  show USER without a password (as for a master user)\n"
		"  -c FILE the configuration (default %s)\n", DEFAULT_CONF);
}

static const char *
result_name(int r)
{
	switch (r) {
	case AUTHMOD_OK: return "ok";
	case AUTHMOD_FAIL: return "wrong password";
	case AUTHMOD_NOUSER: return "no such user";
	case AUTHMOD_DISABLED: return "account disabled";
	case AUTHMOD_TEMPFAIL: return "temporary failure (backend down)";
	default: return "internal error";
	}
}

static void
print_user(const struct auth_settings *set, struct authmod_user *mu,
	   const char *name)
{
	struct arena *a = arena_new(0);
	struct auth_user *u = NULL;
	const char *err = NULL;

	if (mu->user == NULL)
		mu->user = name;
	printf("user:       %s\n", mu->user);
	printf("uid:        %ld\n", mu->uid == (uid_t)-1 ? -1L : (long)mu->uid);
	printf("gid:        %ld\n", mu->gid == (gid_t)-1 ? -1L : (long)mu->gid);
	printf("home:       %s\n", mu->home ? mu->home : "");
	if (auth_user_from_module(a, set, mu, &u, &err) == 0)
		printf("mail:       %s\n", u->mail);
	else
		printf("mail:       ERROR: %s\n", err ? err : "out of memory");
	printf("quota:      %s\n", mu->quota ? mu->quota : "");
	printf("options:    %s\n", mu->options ? mu->options : "");
	printf("proxy_host: %s\n", mu->proxy_host ? mu->proxy_host : "");
	arena_free(&a);
}

static int
read_password(char *buf, size_t size)
{
	struct termios old, noecho;
	bool tty = isatty(0) && tcgetattr(0, &old) == 0;
	if (tty) {
		fputs("Password: ", stderr);
		noecho = old;
		noecho.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(0, TCSAFLUSH, &noecho);
	}
	char *r = fgets(buf, (int)size, stdin);
	if (tty) {
		tcsetattr(0, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (r == NULL)
		return -1;
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

static int
run(const char *cmd, const char *name, const char *password)
{
	struct auth_chain *c = auth_chain_current();
	struct authmod_user *mu = xcalloc(1, sizeof(*mu));
	char norm[AUTH_USER_MAX + 1];
	const char *module = NULL;
	int r;

	if (auth_user_normalize(c->set, name, norm, sizeof(norm)) < 0) {
		fprintf(stderr, "maildock-auth: \"%s\" is not a valid user "
			"name\n", name);
		r = 2;
		goto out;
	}
	if (strcmp(norm, name) != 0)
		printf("normalised: %s\n", norm);
	if (strcmp(cmd, "test") == 0)
		r = auth_chain_verify(c, norm, password, mu, &module);
	else
		r = auth_chain_lookup(c, norm, mu, &module);
	printf("module:     %s\nresult:     %s\n", module ? module : "(none)",
	       result_name(r));
	if (r == AUTHMOD_OK)
		print_user(c->set, mu, norm);
	r = r == AUTHMOD_OK ? 0 : 1;
out:
	free(mu);
	auth_chain_unref(&c);
	return r;
}

int
main(int argc, char **argv)
{
	const char *path = DEFAULT_CONF;
	char pw[AUTH_PASSWORD_MAX + 2], *error = NULL;
	struct conf *conf;
	int ch;

	while ((ch = getopt(argc, argv, "c:h")) != -1) {
		if (ch == 'c')
			path = optarg;
		else {
			usage(ch == 'h' ? stdout : stderr);
			return ch == 'h' ? 0 : 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2 || argc > 3 || (strcmp(argv[0], "test") != 0 &&
				     strcmp(argv[0], "lookup") != 0) ||
	    (strcmp(argv[0], "lookup") == 0 && argc != 2)) {
		usage(stderr);
		return 2;
	}
	log_open(true, "maildock-auth");
	settings_register_all(protocols, protocols_conf_tables);
	if (conf_load(path, &conf, &error) < 0 || auth_init(conf, &error) < 0) {
		fprintf(stderr, "maildock-auth: %s\n", error);
		free(error);
		return 2;
	}
	const char *password = argc == 3 ? argv[2] : "-";
	if (strcmp(argv[0], "test") == 0 && strcmp(password, "-") == 0) {
		if (read_password(pw, sizeof(pw)) < 0) {
			fprintf(stderr, "maildock-auth: no password read\n");
			return 2;
		}
		password = pw;
	}
	int r = run(argv[0], argv[1], password);
	explicit_bzero(pw, sizeof(pw));
	auth_deinit();
	conf_unref(&conf);
	return r;
}
