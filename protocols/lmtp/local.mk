# LMTP delivery module (RFC 2033).
protocols_libprotocols_la_SOURCES += \
	protocols/lmtp/lmtp.h \
	protocols/lmtp/lmtp-settings.c \
	protocols/lmtp/lmtp-session.c \
	protocols/lmtp/lmtp-deliver.c

lmtpconfdir = $(sysconfdir)/maildock/conf.d
dist_lmtpconf_DATA = conf.d/22-lmtp.conf
