# doc/: manual pages and admin documentation.
dist_man_MANS += doc/maildockd.8 doc/maildock.conf.5 doc/maildock-pw.1 \
	doc/maildock-auth.8
EXTRA_DIST += tools/demo.sh tools/deps.sh tools/test-all.sh .ci/run \
	tools/gen-conf-man.py
