# authmods/pam: libauth_pam.so, the PAM auth module, and the PAM service file.
# Included from authmods/local.mk inside "if HAVE_PAM".
authmod_LTLIBRARIES += authmods/libauth_pam.la
authmods_libauth_pam_la_SOURCES = authmods/pam/authmod_pam.c
authmods_libauth_pam_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
authmods_libauth_pam_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared \
	-export-symbols-regex '^authmod_entry$$' -Wl,-z,nodelete
if !SANITIZERS
authmods_libauth_pam_la_LDFLAGS += -Wl,-z,defs
endif
authmods_libauth_pam_la_LIBADD = $(PAM_LIBS)
EXTRA_DIST += authmods/pam/maildock.pam

# /etc/pam.d/maildock: configure with --sysconfdir=/etc (or run
# "make install pamdir=/etc/pam.d"). Under any other prefix, as for
# "make distcheck" run by a normal user, it goes to $(sysconfdir)/pam.d.
# An existing file is an admin's: it is never overwritten, and uninstall
# removes only an unmodified copy.
pamdir = $(sysconfdir)/pam.d
install-data-hook: install-data-hook-pam
install-data-hook-pam:
	$(MKDIR_P) '$(DESTDIR)$(pamdir)'
	test -f '$(DESTDIR)$(pamdir)/maildock' || \
		$(INSTALL_DATA) '$(srcdir)/authmods/pam/maildock.pam' \
			'$(DESTDIR)$(pamdir)/maildock'
	@if test -z '$(DESTDIR)' && test '$(pamdir)' != /etc/pam.d && \
	    test -d /etc/pam.d && test ! -f /etc/pam.d/maildock; then \
		echo "NOTE: PAM reads /etc/pam.d: for auth.modules = pam copy" \
		     "$(pamdir)/maildock there (or configure with" \
		     "--sysconfdir=/etc)"; fi
uninstall-hook: uninstall-hook-pam
uninstall-hook-pam:
	if cmp -s '$(srcdir)/authmods/pam/maildock.pam' \
		'$(DESTDIR)$(pamdir)/maildock'; then \
		rm -f '$(DESTDIR)$(pamdir)/maildock'; fi

# its conf.d snippet (every key commented) and admin page
authpamconfddir = $(sysconfdir)/maildock/conf.d
dist_authpamconfd_DATA = conf.d/31-auth-pam.conf
dist_doc_DATA += doc/auth-pam.md

if HAVE_CMOCKA
check_PROGRAMS += t/unit/test-authmod-pam
TESTS += t/unit/test-authmod-pam
t_unit_test_authmod_pam_SOURCES = t/unit/test-authmod-pam.c
t_unit_test_authmod_pam_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
t_unit_test_authmod_pam_LDADD = $(CMOCKA_LIBS)
endif
