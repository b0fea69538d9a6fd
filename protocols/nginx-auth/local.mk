# auth_http endpoint for nginx's mail proxy.
protocols_libprotocols_la_SOURCES += \
	protocols/nginx-auth/nginx-auth.c protocols/nginx-auth/nginx-auth.h
