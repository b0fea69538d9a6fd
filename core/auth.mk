# The authentication files of core (auth engineer): password schemes, the
# module loader and chain, the login cache/throttle and the privileged
# helper. Included from authmods/local.mk, after core/local.mk.
core_libcore_la_SOURCES += \
	core/auth-cache.c core/auth-cache.h \
	core/auth-chain.c core/auth-chain.h \
	core/auth-loader.c core/auth-loader.h \
	core/auth-password.c core/auth-password.h \
	core/auth-sysuser.c core/auth-sysuser.h \
	core/auth-throttle.c core/auth-throttle.h \
	core/auth-user.c \
	core/authd.c core/authd.h
