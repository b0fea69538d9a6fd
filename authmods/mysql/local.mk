# authmods/mysql: libauth_mysql.so, the MySQL/MariaDB auth module (libmariadb).
# Included from authmods/local.mk inside "if HAVE_MYSQL".
authmod_LTLIBRARIES += authmods/libauth_mysql.la
authmods_libauth_mysql_la_SOURCES = authmods/mysql/authmod_mysql.c \
	authmods/mysql/authsql.h authmods/mysql/authsql-conn.c \
	authmods/mysql/authsql-query.c authmods/mysql/authsql-query.h
authmods_libauth_mysql_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden $(MYSQL_CFLAGS)
authmods_libauth_mysql_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared \
	-export-symbols-regex '^authmod_entry$$' -Wl,-z,nodelete
if !SANITIZERS
authmods_libauth_mysql_la_LDFLAGS += -Wl,-z,defs
endif
authmods_libauth_mysql_la_LIBADD = $(MYSQL_LIBS)

# its conf.d snippet (every key commented) and admin page
authmysqlconfddir = $(sysconfdir)/maildock/conf.d
dist_authmysqlconfd_DATA = conf.d/33-auth-mysql.conf
dist_doc_DATA += doc/auth-mysql.md

if HAVE_CMOCKA
check_PROGRAMS += t/unit/test-authmod-mysql
TESTS += t/unit/test-authmod-mysql
t_unit_test_authmod_mysql_SOURCES = t/unit/test-authmod-mysql.c \
	authmods/mysql/authsql-query.c
t_unit_test_authmod_mysql_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
t_unit_test_authmod_mysql_LDADD = $(CMOCKA_LIBS)
endif
