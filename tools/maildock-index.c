/* Maildock - SPDX-License-Identifier: MIT
 *
 * maildock-index: show or rebuild a user's full-text search index (issue
 * 20), as "doveadm fts rescan" does for Dovecot. It reads the same
 * configuration and auth modules as maildockd, finds the user's Maildir
 * and index file, and acts as the Maildir's owner. "rebuild" drops the
 * entries (the whole file, or one folder's): the next SEARCH that needs
 * them indexes the messages again.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/arena.h"
#include "core/auth.h"
#include "core/auth-chain.h"
#include "core/conf.h"
#include "core/error.h"
#include "core/log.h"
#include "core/proto.h"
#include "core/settings.h"
#include "storage/store.h"
#include "storage/store-info.h"
#include "storage/fts/fts-index.h"
#include "protocols/imap/imap-search-index.h"

#define DEFAULT_CONF SYSCONFDIR "/maildock/maildock.conf"
#define EXIT_FAIL 1
#define EXIT_USAGE 2

static void
usage(FILE *out)
{
	fprintf(out,
		"usage: maildock-index [-c FILE] status USER [FOLDER]\n"
		"       maildock-index [-c FILE] rebuild USER [FOLDER]\n"
		"  status   messages and indexed messages of each folder\n"
		"  rebuild  drop the index (or FOLDER's entries): the next "
		"SEARCH indexes again\n"
		"  -c FILE  the configuration (default %s)\n", DEFAULT_CONF);
}

/* the user's record, mail location expanded, in a */
static int
lookup(struct arena *a, const char *name, struct auth_user **u_r)
{
	struct auth_chain *c = auth_chain_current();
	struct authmod_user *mu = xcalloc(1, sizeof(*mu));
	char norm[AUTH_USER_MAX + 1];
	const char *module = NULL, *err = NULL;
	int r = -ERR_NOTFOUND;

	if (auth_user_normalize(c->set, name, norm, sizeof(norm)) == 0 &&
	    auth_chain_lookup(c, norm, mu, &module) == AUTHMOD_OK) {
		if (mu->user == NULL)
			mu->user = norm;
		r = auth_user_from_module(a, c->set, mu, u_r, &err);
		if (r < 0)
			fprintf(stderr, "maildock-index: %s\n",
				err ? err : "out of memory");
	} else {
		fprintf(stderr, "maildock-index: no such user: %s\n", name);
	}
	free(mu);
	auth_chain_unref(&c);
	return r;
}

/* act as the Maildir's owner, so every file made is the server's to
 * write (virtual users share one mail uid; system users own theirs) */
static int
become_owner(const char *maildir)
{
	struct stat st;

	if (stat(maildir, &st) < 0) {
		fprintf(stderr, "maildock-index: %s: %s\n", maildir,
			strerror(errno));
		return -1;
	}
	if (geteuid() != 0)
		return st.st_uid == geteuid() ? 0 : -1;
	if (setgroups(0, NULL) < 0 || setgid(st.st_gid) < 0 ||
	    setuid(st.st_uid) < 0) {
		fprintf(stderr, "maildock-index: cannot become uid %ld\n",
			(long)st.st_uid);
		return -1;
	}
	return 0;
}

struct status_ctx {
	struct store_user *store;
	struct fts_index *idx;	/* NULL: no index file yet */
	const char *only;	/* one folder, or NULL */
	int ret;
};

static int
status_one(void *ctx, const char *name, unsigned attrs)
{
	struct status_ctx *sc = ctx;
	char id[STORE_OBJECTID_SIZE];
	struct store_status st;
	uint64_t n = 0, full = 0;

	if ((attrs & STORE_ATTR_NOSELECT) ||
	    (sc->only != NULL && strcmp(sc->only, name) != 0))
		return 0;
	if (store_folder_status(sc->store, name, &st) < 0 ||
	    store_folder_id(sc->store, name, id, sizeof(id)) < 0) {
		printf("%s\terror\n", name);
		sc->ret = EXIT_FAIL;
		return 0;
	}
	if (sc->idx != NULL && fts_index_count(sc->idx, id, &n, &full) < 0)
		sc->ret = EXIT_FAIL;
	/* entries of UIDs expunged since the last SEARCH count until then */
	printf("%s\t%u\t%llu\t%llu\n", name, st.messages,
	       (unsigned long long)n, (unsigned long long)full);
	return 0;
}

static int
rebuild(struct store_user *store, const char *path, const char *tag,
	const char *folder)
{
	char id[STORE_OBJECTID_SIZE], p[4200];
	struct fts_index *idx;
	const char *error;
	int r;

	if (folder == NULL) {
		/* the whole cache: a SEARCH running now keeps its open file */
		for (int i = 0; i < 3; i++) {
			snprintf(p, sizeof(p), "%s%s", path,
				 i == 0 ? "" : i == 1 ? "-wal" : "-shm");
			if (unlink(p) < 0 && errno != ENOENT) {
				fprintf(stderr, "maildock-index: %s: %s\n",
					p, strerror(errno));
				return EXIT_FAIL;
			}
		}
		printf("removed %s\n", path);
		return 0;
	}
	if (store_folder_id(store, folder, id, sizeof(id)) < 0) {
		fprintf(stderr, "maildock-index: no such folder: %s\n", folder);
		return EXIT_FAIL;
	}
	if (access(path, F_OK) < 0) {
		printf("no index yet\n");
		return 0;
	}
	if (fts_index_open(path, tag, &idx, &error) < 0) {
		fprintf(stderr, "maildock-index: %s: %s\n", path, error);
		return EXIT_FAIL;
	}
	r = fts_index_drop(idx, id);
	fts_index_close(&idx);
	if (r < 0) {
		fprintf(stderr, "maildock-index: %s\n", err_str(r));
		return EXIT_FAIL;
	}
	printf("dropped the entries of %s\n", folder);
	return 0;
}

static int
run(const struct conf *conf, const char *cmd, const char *user,
    const char *folder)
{
	struct arena *a = arena_new(0);
	struct status_ctx sc = { NULL, NULL, folder, 0 };
	struct auth_user *u;
	const char *path, *error;
	char tag[64];
	int r = EXIT_FAIL;

	if (lookup(a, user, &u) < 0 || become_owner(u->mail) < 0)
		goto out;
	if ((path = imap_search_index_path(conf, a, u, &error)) == NULL) {
		fprintf(stderr, "maildock-index: %s\n", error);
		goto out;
	}
	imap_search_index_tag(conf, tag, sizeof(tag));
	store_settings_apply();
	if (store_user_open(u->mail, u->quota, &sc.store, &error) < 0) {
		fprintf(stderr, "maildock-index: %s: %s\n", u->mail, error);
		goto out;
	}
	if (strcmp(cmd, "rebuild") == 0) {
		r = rebuild(sc.store, path, tag, folder);
		goto out;
	}
	printf("index: %s\n", path);
	if (access(path, F_OK) < 0)
		printf("(no index yet: the first SEARCH BODY/TEXT makes it)\n");
	else if (fts_index_open(path, tag, &sc.idx, &error) < 0)
		fprintf(stderr, "maildock-index: %s: %s\n", path, error);
	printf("folder\tmessages\tindexed\tindexed_full\n");
	store_folder_list(sc.store, false, status_one, &sc);
	fts_index_close(&sc.idx);
	r = sc.ret;
out:
	if (sc.store != NULL)
		store_user_close(&sc.store);
	arena_free(&a);
	return r;
}

int
main(int argc, char **argv)
{
	const char *path = DEFAULT_CONF;
	char *error = NULL;
	struct conf *conf;
	int ch, r;

	while ((ch = getopt(argc, argv, "c:h")) != -1) {
		if (ch != 'c') {
			usage(ch == 'h' ? stdout : stderr);
			return ch == 'h' ? 0 : EXIT_USAGE;
		}
		path = optarg;
	}
	argc -= optind;
	argv += optind;
	if (argc < 2 || argc > 3 || (strcmp(argv[0], "status") != 0 &&
				     strcmp(argv[0], "rebuild") != 0)) {
		usage(stderr);
		return EXIT_USAGE;
	}
	log_open(true, "maildock-index");
	settings_register_all(protocols, protocols_conf_tables);
	if (conf_load(path, &conf, &error) < 0 || auth_init(conf, &error) < 0) {
		fprintf(stderr, "maildock-index: %s\n", error);
		free(error);
		return EXIT_USAGE;
	}
	conf_current_set(conf);	/* store_settings_apply reads it */
	r = run(conf, argv[0], argv[1], argc == 3 ? argv[2] : NULL);
	auth_deinit();
	conf_current_set(NULL);
	return r;
}
