/* Maildock - SPDX-License-Identifier: MIT
 *
 * maildock-pw: hash a password for a users file or a database, in any
 * scheme maildockd verifies ({SHA512-CRYPT}, {BLF-CRYPT}, {SSHA512}, ...),
 * or check a password against a stored hash (-t). The password is read
 * from the terminal without echo (twice), or from standard input.
 */
#include <getopt.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>
#include "core/auth-password.h"
#include "core/error.h"

static void
usage(FILE *out)
{
	fprintf(out,
		"usage: maildock-pw [-s SCHEME] [-t STORED] [-l]\n"
		"  -s SCHEME  hash with SCHEME (default SHA512-CRYPT)\n"
		"  -t STORED  check the password against STORED; exit 0 if it "
		"matches, 1 if not\n"
		"  -l         list the schemes\n"
		"The password is read from the terminal (asked twice) or from "
		"the first line of standard input.\n");
}

/* read one line from fd 0 without echo when it is a terminal */
static int
read_password(const char *prompt, char *buf, size_t size)
{
	struct termios old, noecho;
	bool tty = isatty(0) && tcgetattr(0, &old) == 0;

	if (tty) {
		fputs(prompt, stderr);
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
	size_t n = strlen(buf);
	if (n > 0 && buf[n - 1] != '\n' && !feof(stdin))
		return -2;	/* longer than the buffer */
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

int
main(int argc, char **argv)
{
	const char *scheme = "SHA512-CRYPT", *stored = NULL;
	char pw[AUTH_PASSWORD_MAX + 2], again[AUTH_PASSWORD_MAX + 2];
	char *hash = NULL;
	int c;

	while ((c = getopt(argc, argv, "s:t:lh")) != -1) {
		switch (c) {
		case 's': scheme = optarg; break;
		case 't': stored = optarg; break;
		case 'l':
			for (const char *const *s = auth_password_schemes(); *s;
			     s++)
				printf("%s\n", *s);
			return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	bool known = false;
	for (const char *const *s = auth_password_schemes(); *s; s++)
		known |= strcasecmp(*s, scheme) == 0;
	if (stored == NULL && !known) {
		fprintf(stderr, "maildock-pw: %s: unknown scheme (see -l)\n",
			scheme);
		return 2;
	}
	if (read_password("Password: ", pw, sizeof(pw)) < 0) {
		fprintf(stderr, "maildock-pw: no password read (at most %d "
			"bytes)\n", AUTH_PASSWORD_MAX);
		return 2;
	}
	if (stored != NULL) {
		int r = auth_password_verify(pw, stored);
		explicit_bzero(pw, sizeof(pw));
		if (r == -ERR_INVAL) {
			fprintf(stderr, "maildock-pw: unknown scheme or "
				"malformed hash\n");
			return 2;
		}
		puts(r == 0 ? "match" : "no match");
		return r == 0 ? 0 : 1;
	}
	if (isatty(0)) {
		if (read_password("Again: ", again, sizeof(again)) < 0 ||
		    strcmp(pw, again) != 0) {
			fprintf(stderr, "maildock-pw: the passwords differ\n");
			return 1;
		}
		explicit_bzero(again, sizeof(again));
	}
	int r = auth_password_hash(scheme, pw, &hash);
	explicit_bzero(pw, sizeof(pw));
	if (r < 0) {
		fprintf(stderr, "maildock-pw: %s: %s\n", scheme,
			r == -ERR_NOTFOUND ? "unknown scheme (see -l)" :
			err_str(r));
		return 2;
	}
	puts(hash);
	free(hash);
	return 0;
}
