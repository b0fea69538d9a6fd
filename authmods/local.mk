# authmods/: authentication modules, each a dlopen'd shared object in
# $(pkglibdir)/auth exporting only authmod_entry (STYLE C8). Also pulls in
# the auth parts of core, the auth tools and the auth tests.
include core/auth.mk

# -z defs makes a stray dependency on a maildockd symbol a link error;
# sanitizer runtimes are resolved from the executable, so not with them.
AUTHMOD_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
if SANITIZERS
AUTHMOD_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared
else
AUTHMOD_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared -Wl,-z,defs
endif
AUTHMOD_EXPORTS = -export-symbols-regex '^authmod_entry$$'

authmod_LTLIBRARIES += authmods/libauth_pwfile.la
authmods_libauth_pwfile_la_SOURCES = authmods/authmod.h \
	authmods/pwfile/authmod_pwfile.c \
	authmods/pwfile/pwfile-parse.c authmods/pwfile/pwfile-parse.h
authmods_libauth_pwfile_la_CFLAGS = $(AUTHMOD_CFLAGS)
authmods_libauth_pwfile_la_LDFLAGS = $(AUTHMOD_LDFLAGS) $(AUTHMOD_EXPORTS)

authmod_LTLIBRARIES += authmods/libauth_passwd.la
authmods_libauth_passwd_la_SOURCES = authmods/authmod.h \
	authmods/passwd/authmod_passwd.c
authmods_libauth_passwd_la_CFLAGS = $(AUTHMOD_CFLAGS)
authmods_libauth_passwd_la_LDFLAGS = $(AUTHMOD_LDFLAGS) $(AUTHMOD_EXPORTS)

# the modules, each in its own fragment
if HAVE_PAM
include authmods/pam/local.mk
endif
if HAVE_LDAP
include authmods/ldap/local.mk
endif
if HAVE_MYSQL
include authmods/mysql/local.mk
endif

# conf.d snippets (every key commented) and the admin page
authconfddir = $(sysconfdir)/maildock/conf.d
dist_authconfd_DATA = conf.d/30-auth.conf conf.d/35-auth-pwfile.conf \
	conf.d/36-auth-passwd.conf
dist_doc_DATA += doc/auth.md

include tools/auth.mk
include t/authmods/local.mk
