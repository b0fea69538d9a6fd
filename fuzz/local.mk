# fuzz/: libFuzzer harnesses (issue 9). Not built by `make` or `make check`:
# `make fuzz` builds and runs them in a tree configured with clang, e.g.
#   mkdir build-fuzz && cd build-fuzz
#   CC=clang CFLAGS="-g -O1 -fsanitize=fuzzer-no-link" \
#     ../configure --enable-sanitizers=address,undefined
#   make fuzz FUZZ_SECONDS=600        # each harness 10 minutes
# Each harness first replays its regression inputs (t/regress/NAME/), then
# fuzzes from its seeds (fuzz/seeds/NAME/, ../shared/corpus, t/regress/NAME/)
# into the working corpus fuzz/corpus/NAME/ of the build tree. A crash, leak
# or timeout fails the target; its input is saved as
# fuzz/crashes/NAME-crash-<sha1>: keep it as t/regress/NAME/<what-it-is>.
# One harness: make fuzz FUZZ_TARGETS=fuzz/fuzz-conf. Two at a time:
# FUZZ_JOBS=2. tools/test-all.sh runs this with FUZZ_SECONDS=30.
FUZZ_SECONDS = 60
FUZZ_JOBS = 1
FUZZ_TARGETS = fuzz/fuzz-conf fuzz/fuzz-mutf7 fuzz/fuzz-pwfile fuzz/fuzz-sasl \
	fuzz/fuzz-imap-parser fuzz/fuzz-pop3 fuzz/fuzz-mime fuzz/fuzz-imap-search \
	fuzz/fuzz-authmod-templates fuzz/fuzz-auth-user fuzz/fuzz-storage-ops
EXTRA_PROGRAMS = $(FUZZ_TARGETS)
CLEANFILES += $(FUZZ_TARGETS)
EXTRA_DIST += fuzz/run.sh fuzz/replay.sh fuzz/seeds t/regress

fuzz_cflags = $(AM_CFLAGS) -fsanitize=fuzzer
fuzz_ldflags = $(AM_LDFLAGS) -fsanitize=fuzzer
fuzz_ldadd = protocols/libprotocols.la storage/libstorage.la core/libcore.la \
	$(OPENSSL_LIBS) $(CRYPT_LIBS)

fuzz_fuzz_conf_SOURCES = fuzz/fuzz-conf.c
fuzz_fuzz_conf_CFLAGS = $(fuzz_cflags)
fuzz_fuzz_conf_LDFLAGS = $(fuzz_ldflags)
fuzz_fuzz_conf_LDADD = core/libcore.la $(OPENSSL_LIBS) $(CRYPT_LIBS)

fuzz_fuzz_mutf7_SOURCES = fuzz/fuzz-mutf7.c
fuzz_fuzz_mutf7_CFLAGS = $(fuzz_cflags)
fuzz_fuzz_mutf7_LDFLAGS = $(fuzz_ldflags)
fuzz_fuzz_mutf7_LDADD = $(fuzz_ldadd)

# compiled in directly: it lives in a dlopen'd module

fuzz_fuzz_pwfile_SOURCES = fuzz/fuzz-pwfile.c authmods/pwfile/pwfile-parse.c
fuzz_fuzz_pwfile_CFLAGS = $(fuzz_cflags)
fuzz_fuzz_pwfile_LDFLAGS = $(fuzz_ldflags)

fuzz_fuzz_sasl_SOURCES = fuzz/fuzz-sasl.c
fuzz_fuzz_sasl_CFLAGS = $(fuzz_cflags)
fuzz_fuzz_sasl_LDFLAGS = $(fuzz_ldflags)
fuzz_fuzz_sasl_LDADD = $(fuzz_ldadd)

fuzz_fuzz_imap_parser_SOURCES = fuzz/fuzz-imap-parser.c
fuzz_fuzz_imap_parser_CFLAGS = $(fuzz_cflags)
fuzz_fuzz_imap_parser_LDFLAGS = $(fuzz_ldflags)
fuzz_fuzz_imap_parser_LDADD = $(fuzz_ldadd)

fuzz_fuzz_pop3_SOURCES = fuzz/fuzz-pop3.c
fuzz_fuzz_pop3_CFLAGS = $(fuzz_cflags)
fuzz_fuzz_pop3_LDFLAGS = $(fuzz_ldflags)
fuzz_fuzz_pop3_LDADD = $(fuzz_ldadd)

fuzz_fuzz_mime_SOURCES = fuzz/fuzz-mime.c
fuzz_fuzz_mime_CFLAGS = $(fuzz_cflags)
fuzz_fuzz_mime_LDFLAGS = $(fuzz_ldflags)
fuzz_fuzz_mime_LDADD = $(fuzz_ldadd)

fuzz_fuzz_imap_search_SOURCES = fuzz/fuzz-imap-search.c
fuzz_fuzz_imap_search_CFLAGS = $(fuzz_cflags)
fuzz_fuzz_imap_search_LDFLAGS = $(fuzz_ldflags)
fuzz_fuzz_imap_search_LDADD = $(fuzz_ldadd)

# LDAP filter expansion and SQL templates live in dlopen'd modules
fuzz_fuzz_authmod_templates_SOURCES = fuzz/fuzz-authmod-templates.c \
	authmods/ldap/authldap-filter.c authmods/mysql/authsql-query.c
fuzz_fuzz_authmod_templates_CFLAGS = $(fuzz_cflags)
fuzz_fuzz_authmod_templates_LDFLAGS = $(fuzz_ldflags)

fuzz_fuzz_auth_user_SOURCES = fuzz/fuzz-auth-user.c
fuzz_fuzz_auth_user_CFLAGS = $(fuzz_cflags)
fuzz_fuzz_auth_user_LDFLAGS = $(fuzz_ldflags)
fuzz_fuzz_auth_user_LDADD = core/libcore.la $(OPENSSL_LIBS) $(CRYPT_LIBS)

fuzz_fuzz_storage_ops_SOURCES = fuzz/fuzz-storage-ops.c
fuzz_fuzz_storage_ops_CFLAGS = $(fuzz_cflags)
fuzz_fuzz_storage_ops_LDFLAGS = $(fuzz_ldflags)
fuzz_fuzz_storage_ops_LDADD = $(fuzz_ldadd)

# `make check`: every harness also built with a plain main() (fuzz/replay.c)
# by the configured compiler, and run by fuzz/replay.sh over its seeds and
# kept crash inputs, so t/regress/ is replayed in the gcc, ASan and TSan
# builds too.
check_PROGRAMS += fuzz/replay-conf fuzz/replay-mutf7 fuzz/replay-pwfile \
	fuzz/replay-sasl fuzz/replay-imap-parser fuzz/replay-pop3 \
	fuzz/replay-mime fuzz/replay-imap-search fuzz/replay-authmod-templates \
	fuzz/replay-auth-user fuzz/replay-storage-ops
TESTS += fuzz/replay.sh
fuzz_replay_conf_SOURCES = fuzz/fuzz-conf.c fuzz/replay.c
fuzz_replay_conf_LDADD = core/libcore.la $(OPENSSL_LIBS) $(CRYPT_LIBS)
fuzz_replay_mutf7_SOURCES = fuzz/fuzz-mutf7.c fuzz/replay.c
fuzz_replay_mutf7_LDADD = $(fuzz_ldadd)
fuzz_replay_pwfile_SOURCES = fuzz/fuzz-pwfile.c authmods/pwfile/pwfile-parse.c \
	fuzz/replay.c
fuzz_replay_pwfile_LDADD = core/libcore.la $(OPENSSL_LIBS) $(CRYPT_LIBS)
fuzz_replay_sasl_SOURCES = fuzz/fuzz-sasl.c fuzz/replay.c
fuzz_replay_sasl_LDADD = $(fuzz_ldadd)
fuzz_replay_imap_parser_SOURCES = fuzz/fuzz-imap-parser.c fuzz/replay.c
fuzz_replay_imap_parser_LDADD = $(fuzz_ldadd)
fuzz_replay_pop3_SOURCES = fuzz/fuzz-pop3.c fuzz/replay.c
fuzz_replay_pop3_LDADD = $(fuzz_ldadd)
fuzz_replay_mime_SOURCES = fuzz/fuzz-mime.c fuzz/replay.c
fuzz_replay_mime_LDADD = $(fuzz_ldadd)
fuzz_replay_imap_search_SOURCES = fuzz/fuzz-imap-search.c fuzz/replay.c
fuzz_replay_imap_search_LDADD = $(fuzz_ldadd)
fuzz_replay_authmod_templates_SOURCES = fuzz/fuzz-authmod-templates.c \
	authmods/ldap/authldap-filter.c authmods/mysql/authsql-query.c fuzz/replay.c
fuzz_replay_authmod_templates_LDADD = core/libcore.la
fuzz_replay_auth_user_SOURCES = fuzz/fuzz-auth-user.c fuzz/replay.c
fuzz_replay_auth_user_LDADD = core/libcore.la $(OPENSSL_LIBS) $(CRYPT_LIBS)
fuzz_replay_storage_ops_SOURCES = fuzz/fuzz-storage-ops.c fuzz/replay.c
fuzz_replay_storage_ops_LDADD = $(fuzz_ldadd)

.PHONY: fuzz fuzz-build
fuzz-build:
	@case "`$(CC) --version 2>/dev/null`" in *clang*) ;; \
	*) echo "make fuzz needs a tree configured with CC=clang (see fuzz/local.mk)"; \
	   exit 1;; esac
	$(MAKE) $(AM_MAKEFLAGS) $(FUZZ_TARGETS)

fuzz: fuzz-build
	@top_srcdir='$(abs_top_srcdir)' $(SHELL) $(top_srcdir)/fuzz/run.sh \
		'$(FUZZ_SECONDS)' '$(FUZZ_JOBS)' $(FUZZ_TARGETS)
