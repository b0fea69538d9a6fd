# doc/: manual pages and admin documentation (make install puts the
# documents in $(docdir), as Debian's /usr/share/doc/maildock).
dist_doc_DATA += README.md doc/ARCHITECTURE.md doc/SECURITY.md \
	doc/SCALING.md doc/PERFORMANCE.md doc/acl.md \
	doc/expunged-messages.md \
	doc/imap-extensions.md
dist_man_MANS += doc/maildock-pw.1 doc/maildock-admin.8 doc/maildock-index.8
# pages that name installed paths: written with this build's directories
man_MANS += doc/maildockd.8 doc/maildock.conf.5 doc/maildock-auth.8
EXTRA_DIST += doc/maildockd.8.in doc/maildock.conf.5.in doc/maildock-auth.8.in
CLEANFILES += $(man_MANS)
doc_edit = sed -e 's|@confdir[@]|$(sysconfdir)/maildock|g'
doc/maildockd.8: doc/maildockd.8.in Makefile
	$(AM_V_GEN)$(MKDIR_P) doc && $(doc_edit) $(srcdir)/doc/maildockd.8.in > $@
doc/maildock.conf.5: doc/maildock.conf.5.in Makefile
	$(AM_V_GEN)$(MKDIR_P) doc && $(doc_edit) $(srcdir)/doc/maildock.conf.5.in > $@
doc/maildock-auth.8: doc/maildock-auth.8.in Makefile
	$(AM_V_GEN)$(MKDIR_P) doc && $(doc_edit) $(srcdir)/doc/maildock-auth.8.in > $@
EXTRA_DIST += tools/demo.sh tools/deps.sh tools/test-all.sh .ci/run \
	tools/gen-conf-man.py
