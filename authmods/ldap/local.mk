# authmods/ldap: libauth_ldap.so, the LDAP auth module (OpenLDAP libldap).
# Included from authmods/local.mk inside "if HAVE_LDAP".
authmod_LTLIBRARIES += authmods/libauth_ldap.la
authmods_libauth_ldap_la_SOURCES = authmods/ldap/authmod_ldap.c \
	authmods/ldap/authldap.h authmods/ldap/authldap-search.c \
	authmods/ldap/authldap-pool.c authmods/ldap/authldap-pool.h \
	authmods/ldap/authldap-filter.c authmods/ldap/authldap-filter.h
authmods_libauth_ldap_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden $(LDAP_CFLAGS)
authmods_libauth_ldap_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared \
	-export-symbols-regex '^authmod_entry$$' -Wl,-z,nodelete
if !SANITIZERS
authmods_libauth_ldap_la_LDFLAGS += -Wl,-z,defs
endif
authmods_libauth_ldap_la_LIBADD = $(LDAP_LIBS)

# its conf.d snippet (every key commented) and admin page
authldapconfddir = $(sysconfdir)/maildock/conf.d
dist_authldapconfd_DATA = conf.d/32-auth-ldap.conf
dist_doc_DATA += doc/auth-ldap.md
# the schema of the maildock* attributes, for slapd
authldapschemadir = $(pkgdatadir)
dist_authldapschema_DATA = authmods/ldap/maildock.schema

if HAVE_CMOCKA
check_PROGRAMS += t/unit/test-authmod-ldap
TESTS += t/unit/test-authmod-ldap
t_unit_test_authmod_ldap_SOURCES = t/unit/test-authmod-ldap.c \
	authmods/ldap/authldap-filter.c
t_unit_test_authmod_ldap_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
t_unit_test_authmod_ldap_LDADD = $(CMOCKA_LIBS)
endif
