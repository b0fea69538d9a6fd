# Auth tests: test modules in t/authmods/ and the unit tests
# t/unit/test-auth*.c and test-authmech.c. Included from authmods/local.mk.
EXTRA_DIST += t/authmods/local.mk

# -rpath makes libtool build a shared object for these never-installed
# modules; they load from t/authmods/.libs.
TESTMOD_LDFLAGS = -module -avoid-version -shared -rpath /nowhere
check_LTLIBRARIES += t/authmods/libauth_mock.la t/authmods/libauth_badabi.la \
	t/authmods/libauth_badname.la
t_authmods_libauth_mock_la_SOURCES = t/authmods/authmod_mock.c
t_authmods_libauth_mock_la_CFLAGS = $(AUTHMOD_CFLAGS)
t_authmods_libauth_mock_la_LDFLAGS = $(TESTMOD_LDFLAGS)
t_authmods_libauth_badabi_la_SOURCES = t/authmods/authmod_badabi.c
t_authmods_libauth_badabi_la_CFLAGS = $(AUTHMOD_CFLAGS)
t_authmods_libauth_badabi_la_LDFLAGS = $(TESTMOD_LDFLAGS)
t_authmods_libauth_badname_la_SOURCES = t/authmods/authmod_badname.c
t_authmods_libauth_badname_la_CFLAGS = $(AUTHMOD_CFLAGS)
t_authmods_libauth_badname_la_LDFLAGS = $(TESTMOD_LDFLAGS)

if HAVE_CMOCKA
auth_test_cflags = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(CMOCKA_CFLAGS)
auth_test_ldadd = core/libcore.la $(OPENSSL_LIBS) $(CRYPT_LIBS) $(LIBCAP_LIBS) \
	$(CMOCKA_LIBS)
check_PROGRAMS += t/unit/test-auth-password t/unit/test-authmech \
	t/unit/test-auth-pwfile t/unit/test-auth-loader t/unit/test-auth-login \
	t/unit/test-auth-authd t/unit/test-auth-sysuser
TESTS += t/unit/test-auth-password t/unit/test-authmech \
	t/unit/test-auth-pwfile t/unit/test-auth-loader t/unit/test-auth-login \
	t/unit/test-auth-authd t/unit/test-auth-sysuser
t_unit_test_auth_password_SOURCES = t/unit/test-auth-password.c
t_unit_test_auth_password_CFLAGS = $(auth_test_cflags)
t_unit_test_auth_password_LDADD = $(auth_test_ldadd)
t_unit_test_authmech_SOURCES = t/unit/test-authmech.c protocols/authmech.c
t_unit_test_authmech_CFLAGS = $(auth_test_cflags)
t_unit_test_authmech_LDADD = $(auth_test_ldadd)
t_unit_test_auth_pwfile_SOURCES = t/unit/test-auth-pwfile.c \
	t/authmods/test-util.h authmods/pwfile/pwfile-parse.c
t_unit_test_auth_pwfile_CFLAGS = $(auth_test_cflags)
t_unit_test_auth_pwfile_LDADD = $(auth_test_ldadd)
t_unit_test_auth_loader_SOURCES = t/unit/test-auth-loader.c \
	t/authmods/test-util.h
t_unit_test_auth_loader_CFLAGS = $(auth_test_cflags)
t_unit_test_auth_loader_LDADD = $(auth_test_ldadd)
t_unit_test_auth_login_SOURCES = t/unit/test-auth-login.c \
	t/authmods/test-util.h
t_unit_test_auth_login_CFLAGS = $(auth_test_cflags)
t_unit_test_auth_login_LDADD = $(auth_test_ldadd)
t_unit_test_auth_authd_SOURCES = t/unit/test-auth-authd.c \
	t/authmods/test-util.h
t_unit_test_auth_authd_CFLAGS = $(auth_test_cflags)
t_unit_test_auth_authd_LDADD = $(auth_test_ldadd)
t_unit_test_auth_sysuser_SOURCES = t/unit/test-auth-sysuser.c \
	t/authmods/test-util.h
t_unit_test_auth_sysuser_CFLAGS = $(auth_test_cflags)
t_unit_test_auth_sysuser_LDADD = $(auth_test_ldadd)
endif
