# conf.d/: the shipped configuration, one snippet per concern.
confdir = $(sysconfdir)/maildock
confddir = $(confdir)/conf.d
dist_confd_DATA = \
	conf.d/10-listeners.conf \
	conf.d/11-tls.conf \
	conf.d/15-limits.conf \
	conf.d/20-imap.conf \
	conf.d/31-auth-pam.conf \
	conf.d/32-auth-ldap.conf \
	conf.d/33-auth-mysql.conf \
	conf.d/40-maildir.conf \
	conf.d/41-search.conf \
	conf.d/50-metrics.conf \
	conf.d/51-control.conf \
	conf.d/90-log.conf
# 21-pop3.conf is installed by protocols/pop3/local.mk
EXTRA_DIST += conf.d/maildock.conf
# never overwrite an admin's main file on reinstall
install-data-local:
	$(MKDIR_P) '$(DESTDIR)$(confdir)'
	test -f '$(DESTDIR)$(confdir)/maildock.conf' || \
		$(INSTALL_DATA) '$(srcdir)/conf.d/maildock.conf' '$(DESTDIR)$(confdir)/maildock.conf'
uninstall-local:
	rm -f '$(DESTDIR)$(confdir)/maildock.conf'
