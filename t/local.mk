# t/: unit tests (cmocka, TAP), protocol tests (pytest), source checks.
EXTRA_DIST += t/proto.sh t/proto/conftest.py t/check-layers.sh t/cmocka-tap.sh \
	t/check-sizes.sh t/check-headers.sh
TESTS += t/check-layers.sh t/check-sizes.sh t/check-headers.sh \
	t/check-doc-keys.sh t/check-dist.sh t/proto.sh

if HAVE_CMOCKA
core_test_ldadd = core/libcore.la $(OPENSSL_LIBS) $(CMOCKA_LIBS)
core_test_cflags = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
check_PROGRAMS += t/unit/test-arena t/unit/test-sbuf t/unit/test-conf \
	t/unit/test-proxy-protocol t/unit/test-stats t/unit/test-connlimit
TESTS += t/unit/test-arena t/unit/test-sbuf t/unit/test-conf \
	t/unit/test-proxy-protocol t/unit/test-stats t/unit/test-connlimit
t_unit_test_arena_SOURCES = t/unit/test-arena.c
t_unit_test_arena_CFLAGS = $(core_test_cflags)
t_unit_test_arena_LDADD = $(core_test_ldadd)
t_unit_test_sbuf_SOURCES = t/unit/test-sbuf.c
t_unit_test_sbuf_CFLAGS = $(core_test_cflags)
t_unit_test_sbuf_LDADD = $(core_test_ldadd)
t_unit_test_conf_SOURCES = t/unit/test-conf.c
t_unit_test_conf_CFLAGS = $(core_test_cflags)
t_unit_test_conf_LDADD = $(core_test_ldadd)
t_unit_test_proxy_protocol_SOURCES = t/unit/test-proxy-protocol.c
t_unit_test_proxy_protocol_CFLAGS = $(core_test_cflags)
t_unit_test_proxy_protocol_LDADD = $(core_test_ldadd)
t_unit_test_stats_SOURCES = t/unit/test-stats.c
t_unit_test_stats_CFLAGS = $(core_test_cflags)
t_unit_test_stats_LDADD = $(core_test_ldadd)
t_unit_test_connlimit_SOURCES = t/unit/test-connlimit.c
t_unit_test_connlimit_CFLAGS = $(core_test_cflags)
t_unit_test_connlimit_LDADD = $(core_test_ldadd)
endif

clean-local: clean-local-proto
clean-local-proto:
	rm -rf t/proto-tmp

# Test scripts and fixtures are many and added often: ship them all.
dist-hook: dist-hook-tests
dist-hook-tests:
	dest=`cd $(distdir) && pwd` && cd $(srcdir) && \
	find t bench fuzz doc conf.d -type f \
		\( -name '*.py' -o -name '*.sh' -o -name '*.md' -o -name '*.ldif' \
		-o -name '*.sql' -o -name '*.eml' -o -name '*.txt' -o -name '*.conf' \
		-o -name '*.json' -o -name '*.c' -o -name '*.h' -o -name '*.mk' \) \
		! -path '*/__pycache__/*' -print | \
	while read f; do \
		$(MKDIR_P) "$$dest/$$(dirname "$$f")" && \
		cp -p "$$f" "$$dest/$$f" || exit 1; \
	done
