# SASL PLAIN/LOGIN decoding shared by IMAP AUTHENTICATE and POP3 AUTH.
# Include after protocols_libprotocols_la_SOURCES is first set.
protocols_libprotocols_la_SOURCES += protocols/authmech.c protocols/authmech.h
