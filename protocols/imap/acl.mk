# IMAP ACL (RFC 4314, Courier ACL2=UNION).
# Included from protocols/imap/local.mk.
protocols_libprotocols_la_SOURCES += \
	protocols/imap/imap-acl.c protocols/imap/imap-acl.h \
	protocols/imap/cmd-acl.c
