# init/: the systemd unit and the logrotate snippet.
EXTRA_DIST += init/maildock.service.in
# an example for /etc/logrotate.d (the Debian package installs it there)
dist_doc_DATA += init/maildock.logrotate
if INSTALL_SYSTEMD_UNIT
systemdsystemunit_DATA = init/maildock.service
endif
# built in every tree: t/proto/test_core_service.py verifies it
all-local: init/maildock.service
CLEANFILES += init/maildock.service
init/maildock.service: init/maildock.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) init && sed -e 's|@sbindir[@]|$(sbindir)|g' \
		$(srcdir)/init/maildock.service.in > $@
