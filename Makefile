# Makefile - the POSIX build, test, install and check targets of newmail.
#
# The source lists below are the single truth for POSIX; descrip.mms and
# build.com must name the same modules (tests/tools/listcheck.sh checks).
# Objects go under build/, the program is build/newmail.  doc/testing.md
# describes every check target.
#
#   make                 build/newmail
#   make check           every check, in order, stopping at the first failure
#   make install         PREFIX=/usr/local DESTDIR= (sbin, man8, /etc/newmail)
#   make demo            install missing packages, build, run the first command

PREFIX   ?= /usr/local
DESTDIR  ?=
SBINDIR  ?= $(PREFIX)/sbin
MANDIR   ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc

SHELL    := /bin/bash
CC       ?= cc
BUILD    ?= build
PKG_CONFIG ?= pkg-config
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)

WARN     = -std=c99 -pedantic -Wall -Wextra -Werror -Wvla \
           -Wdeclaration-after-statement -Werror=implicit-function-declaration \
           -fno-common
CPPFLAGS_ALL = -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
           -Iplatform -Iposix -Isrc/util -Isrc/net -Isrc/conf -Isrc/cli \
           -Isrc/store -Isrc/auth -Isrc/msg -Isrc/pop3 -Isrc/smtp -Isrc/srv \
           -Isrc/alias -Isrc/queue -Isrc/dns -Isrc/smtpc
OPT      ?= -O2 -g
EXTRA_CFLAGS ?=
EXTRA_LDFLAGS ?=

SSL_CFLAGS := $(shell $(PKG_CONFIG) --cflags libssl libcrypto 2>/dev/null)
SSL_LIBS   := $(shell $(PKG_CONFIG) --libs libssl libcrypto 2>/dev/null || echo -lssl -lcrypto)
Z_CFLAGS   := $(shell $(PKG_CONFIG) --cflags zlib 2>/dev/null)
Z_LIBS     := $(shell $(PKG_CONFIG) --libs zlib 2>/dev/null || echo -lz)
CUNIT_CFLAGS := $(shell $(PKG_CONFIG) --cflags cunit 2>/dev/null)
CUNIT_LIBS   := $(shell $(PKG_CONFIG) --libs cunit 2>/dev/null || echo -lcunit)
PAM_LIBS   ?= -lpam

CFLAGS_ALL = $(WARN) $(OPT) $(CPPFLAGS_ALL) $(SSL_CFLAGS) $(Z_CFLAGS) $(EXTRA_CFLAGS)
LIBS_ALL   = $(SSL_LIBS) $(Z_LIBS) $(PAM_LIBS) -lpthread

# --- sources (keep one module per line group; same order in descrip.mms) ---
# Every *_SRCS list below (except POSIX_SRCS, replaced by VMS_SRCS) is named
# with the same files in descrip.mms (*_OBJS) and build.com (*_srcs).
PLATFORM_SRCS = platform/pl_common.c
RAND_SRCS     = platform/pl_rand.c
POSIX_SRCS    = posix/px_err.c posix/px_fs.c posix/px_lock.c posix/px_time.c \
                posix/px_log.c posix/px_cfg.c posix/px_net.c posix/px_thread.c \
                posix/px_proc.c posix/px_user.c posix/px_priv.c posix/px_ctl.c \
                posix/px_prog.c posix/px_nmbox.c posix/px_udp.c
VMS_SRCS      = vms/vms_init.c vms/vms_err.c vms/vms_fs.c vms/vms_lock.c \
                vms/vms_time.c vms/vms_log.c vms/vms_cfg.c vms/vms_net.c \
                vms/vms_thread.c vms/vms_proc.c vms/vms_user.c vms/vms_priv.c \
                vms/vms_ctl.c vms/vms_prog.c vms/vms_nmbox.c vms/vms_udp.c
UTIL_SRCS     = src/util/ut_str.c src/util/ut_buf.c src/util/ut_code.c \
                src/util/ut_log.c src/util/ut_date.c src/util/ut_ip.c
NET_SRCS      = src/net/lr_read.c src/net/tl_tls.c src/net/nt_conn.c
CONF_SRCS     = src/conf/cf_value.c src/conf/cf_keys.c src/conf/cf_parse.c
CLI_SRCS      = src/cli/cl_cmd.c src/cli/cl_config.c src/cli/cl_user.c \
                src/cli/cl_domain.c src/cli/cl_deliver.c src/cli/cl_store.c \
                src/cli/cl_mbox.c src/cli/cl_serve.c src/cli/cl_ctl.c \
                src/cli/cl_sendmail.c src/cli/cl_queue.c src/cli/cl_dns.c
STORE_SRCS    = src/store/st_name.c src/store/st_index.c src/store/st_zlib.c \
                src/store/st_deliver.c src/store/st_folder.c src/store/st_lock.c \
                src/store/st_recover.c
AUTH_SRCS     = src/auth/au_name.c src/auth/au_rec.c src/auth/au_file.c \
                src/auth/au_db.c src/auth/au_pend.c src/auth/au_domain.c src/auth/au_quota.c \
                src/auth/au_cred.c src/auth/au_sasl.c
MSG_SRCS      = src/msg/ms_hdr.c src/msg/ms_addr.c
POP3_SRCS     = src/pop3/p3_cmd.c src/pop3/p3_capa.c src/pop3/p3_auth.c \
                src/pop3/p3_trans.c src/pop3/p3_session.c src/pop3/p3_mbox.c \
                src/pop3/p3_native.c
SMTP_SRCS     = src/smtp/sm_addr.c src/smtp/sm_param.c src/smtp/sm_data.c \
                src/smtp/sm_cmd.c src/smtp/sm_auth.c src/smtp/sm_session.c \
                src/smtp/sm_relay.c
SRV_SRCS      = src/srv/sv_penalty.c src/srv/sv_limit.c src/srv/sv_listen.c \
                src/srv/sv_setup.c src/srv/sv_daemon.c src/srv/sv_pop3.c \
                src/srv/sv_smtp.c src/srv/sv_ctl.c src/srv/sv_queue.c
ALIAS_SRCS    = src/alias/al_parse.c src/alias/al_map.c src/alias/al_resolve.c
QUEUE_SRCS    = src/queue/qu_env.c src/queue/qu_store.c \
                src/queue/qb_dsn.c \
                src/queue/qr_plan.c src/queue/qr_route.c src/queue/qr_local.c \
                src/queue/qr_job.c src/queue/qr_run.c
DNS_SRCS      = src/dns/dn_msg.c src/dns/dn_res.c src/dns/dn_mx.c
SMTPC_SRCS    = src/smtpc/sc_reply.c src/smtpc/sc_data.c \
                src/smtpc/sc_client.c
MAIN_SRCS     = src/cli/nm_main.c

# Portable core plus the POSIX layer: everything but main().
CORE_SRCS  = $(PLATFORM_SRCS) $(RAND_SRCS) $(POSIX_SRCS) $(UTIL_SRCS) \
             $(NET_SRCS) $(CONF_SRCS) $(STORE_SRCS) $(AUTH_SRCS) \
             $(MSG_SRCS) $(POP3_SRCS) $(SMTP_SRCS) $(ALIAS_SRCS) \
             $(QUEUE_SRCS) $(DNS_SRCS) $(SMTPC_SRCS) $(SRV_SRCS) $(CLI_SRCS)

# Unit tests; the 32-bit build runs every one of them too.
TEST_MAIN     = tests/unit/t_main.c
TEST_SRCS     = tests/unit/t_feed.c tests/unit/t_util.c tests/unit/t_lr.c \
                tests/unit/t_cf.c tests/unit/t_posix.c tests/unit/t_rand.c \
                tests/unit/t_auth.c tests/unit/t_store.c tests/unit/t_tls.c \
                tests/unit/t_sasl.c tests/unit/t_srv.c tests/unit/t_pop3.c \
                tests/unit/t_smtp.c tests/unit/t_tlscli.c tests/unit/t_alias.c \
                tests/unit/t_ctl.c tests/unit/t_msg.c \
                tests/unit/t_dsn.c tests/unit/t_prog.c tests/unit/t_smtpc.c \
                tests/unit/t_queue.c tests/unit/t_nmbox.c \
                tests/unit/t_qrun.c tests/unit/t_dns.c
# Test and measuring programs with a main() of their own.
TOOL_SRCS     = tests/tools/st_bench.c tests/tools/t_stmove.c \
                tests/tools/t_scrun.c tests/tools/t_qsubmit.c
# newmail-bench, the load generator (doc/performance.md).
BENCH_SRCS    = src/bench/bn_main.c src/bench/bn_conn.c src/bench/bn_run.c \
                src/bench/bn_stats.c src/bench/bn_box.c src/bench/bn_sys.c \
                src/bench/bn_proc.c

# --- objects ---------------------------------------------------------------
obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

CORE_OBJS  = $(call obj,$(CORE_SRCS))
MAIN_OBJS  = $(call obj,$(MAIN_SRCS))
TEST_OBJS  = $(call obj,$(TEST_MAIN) $(TEST_SRCS))

# --- the 32-bit build (OpenVMS Alpha has 32-bit long and pointers) ---------
# Debian 12 cannot install the i386 -dev packages of OpenSSL, CUnit and zlib
# beside the amd64 ones (Multi-Arch version skew), so: CUnit, zlib and PAM
# use the amd64 headers (they serve -m32 too) and the installed i386
# run-time libraries, linked by path; OpenSSL's i386 packages (libssl3,
# libssl-dev) are unpacked, not installed, by tests/tools/deps.sh into
# I386_SSL_ROOT, and linked from there with an rpath.  So every source and
# every suite, OpenSSL ones included, runs 32-bit.
I386_LIBDIR   = /usr/lib/i386-linux-gnu
I386_SSL_ROOT ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/newmail/i386-openssl
I386_SSL_LIB  = $(I386_SSL_ROOT)/usr/lib/i386-linux-gnu
M32_LIBS = CUNIT_LIBS=$(I386_LIBDIR)/libcunit.so.1 Z_LIBS=$(I386_LIBDIR)/libz.so.1 \
           PAM_LIBS=$(I386_LIBDIR)/libpam.so.0
M32_MAKE = $(MAKE) --no-print-directory BUILD=build32 $(M32_LIBS) EXTRA_CFLAGS="-m32" \
           EXTRA_LDFLAGS="-m32 -Wl,-rpath,$(I386_SSL_LIB)" \
           SSL_CFLAGS="-isystem $(I386_SSL_ROOT)/usr/include/i386-linux-gnu -isystem $(I386_SSL_ROOT)/usr/include" \
           SSL_LIBS="$(I386_SSL_LIB)/libssl.so.3 $(I386_SSL_LIB)/libcrypto.so.3"

# --- the sanitizer build -----------------------------------------------------
# allocator_may_return_null: the tests ask malloc for impossible sizes to
# prove the PL_ENOMEM paths; malloc returning NULL is what the C standard
# promises there, and ASan would otherwise abort instead.
SAN_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# libcrypt linked in at start: ASan intercepts crypt_r, and when libcrypt
# arrives later by dlopen (pam_unix) the interceptor has no real function
# to call and jumps to address 0.
ASAN_MAKE = $(MAKE) --no-print-directory BUILD=build-asan OPT="-O1 -g" \
            EXTRA_CFLAGS="$(SAN_FLAGS)" \
            EXTRA_LDFLAGS="$(SAN_FLAGS) -Wl,--no-as-needed -lcrypt -Wl,--as-needed"
SAN_ENV   = ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:allocator_may_return_null=1 \
            UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# The checks `make check` runs, in this order; the first failure stops it.
CHECKS = deps includecheck listcheck ods2check lint all unit namecheck \
         integration vmscheck unit32 asan

.PHONY: all check unit install clean deps demo unit32 asan namecheck \
        includecheck vmscheck listcheck lint ods2check integration \
        check-selftest print-lists tests
all: $(BUILD)/newmail $(BUILD)/newmail-bench

$(BUILD)/newmail: $(CORE_OBJS) $(MAIN_OBJS)
	$(CC) $(OPT) $(EXTRA_CFLAGS) -o $@ $^ $(LIBS_ALL) $(EXTRA_LDFLAGS)

$(BUILD)/newmail-tests: $(CORE_OBJS) $(TEST_OBJS)
	$(CC) $(OPT) $(EXTRA_CFLAGS) -o $@ $^ $(CUNIT_LIBS) $(LIBS_ALL) $(EXTRA_LDFLAGS)

$(BUILD)/obj/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(CUNIT_CFLAGS) -Itests/unit -MMD -MP -c -o $@ $<

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c -o $@ $<

tests: $(BUILD)/newmail-tests

# A program of TOOL_SRCS: its object plus the core.
$(BUILD)/st_bench $(BUILD)/t_stmove $(BUILD)/t_scrun $(BUILD)/t_qsubmit: $(BUILD)/%: $(BUILD)/obj/tests/tools/%.o $(CORE_OBJS)
	$(CC) $(OPT) $(EXTRA_CFLAGS) -o $@ $^ $(LIBS_ALL) $(EXTRA_LDFLAGS)

$(BUILD)/newmail-bench: $(call obj,$(BENCH_SRCS)) $(CORE_OBJS)
	$(CC) $(OPT) $(EXTRA_CFLAGS) -o $@ $^ $(LIBS_ALL) $(EXTRA_LDFLAGS)

# --- tests -------------------------------------------------------------------
unit: $(BUILD)/newmail-tests
	@mkdir -p $(BUILD)
	@set -o pipefail; $(BUILD)/newmail-tests 2>&1 | tee $(BUILD)/unit.log; \
	 rc=$$?; [ $$rc -eq 0 ] || { echo "unit: FAIL ($(BUILD)/newmail-tests exit $$rc)"; exit 1; }; \
	 grep -Eq '^[1-9][0-9]* passed, 0 failed$$' $(BUILD)/unit.log || \
	   { echo "unit: FAIL no test ran, or no \"N passed, 0 failed\" line"; exit 1; }; \
	 echo "unit: OK ($(BUILD)/newmail-tests)"

# Every tests/integration/t_*.sh, run with NEWMAIL=<the program> and the
# program as first argument.  NEWMAIL_BIN overrides the program (asan).
NEWMAIL_BIN ?= $(BUILD)/newmail
integration: $(NEWMAIL_BIN) $(BUILD)/t_stmove $(BUILD)/t_scrun $(BUILD)/t_qsubmit $(BUILD)/newmail-bench
	@set -- tests/integration/t_*.sh; [ -f "$$1" ] || \
	 { echo "integration: FAIL no tests/integration/t_*.sh"; exit 1; }; \
	 n=0; for t in "$$@"; do n=$$((n+1)); echo "== $$t"; \
	   case $$(head -n 1 "$$t") in *bash*) sh=bash;; *) sh=sh;; esac; \
	   NEWMAIL="$(abspath $(NEWMAIL_BIN))" $(SAN_ENV) $$sh "$$t" "$(abspath $(NEWMAIL_BIN))" || \
	   { echo "integration: FAIL $$t"; exit 1; }; done; \
	 echo "integration: OK ($$n scripts with $(NEWMAIL_BIN))"

unit32:
	@[ -f $(I386_SSL_LIB)/libcrypto.so.3 ] || \
	 { echo "unit32: FAIL no i386 OpenSSL in $(I386_SSL_ROOT) (run make deps)"; exit 1; }
	@$(M32_MAKE) -j$(JOBS) build32/newmail build32/newmail-tests
	@file build32/newmail-tests | grep -q 'ELF 32-bit' || \
	 { echo "unit32: FAIL build32/newmail-tests is not a 32-bit program"; exit 1; }
	@# Some kernels refuse i386 programs (tests/tools/i386run.sh); the
	@# 32-bit build above still had to compile and link with -Werror.
	@if sh tests/tools/i386run.sh; then \
	   $(M32_MAKE) unit && \
	   echo "unit32: OK (gcc -m32: 32-bit long and pointers, i386 OpenSSL $(I386_SSL_ROOT))"; \
	 else \
	   echo "unit32: BUILT, NOT RUN: this kernel does not execute i386 programs"; \
	   echo "unit32: (the 32-bit tree compiled and linked with -Werror; run 'make unit32' where it does)"; \
	 fi

asan:
	@$(ASAN_MAKE) -j$(JOBS) build-asan/newmail build-asan/newmail-tests
	@$(SAN_ENV) $(ASAN_MAKE) unit
	@$(ASAN_MAKE) integration
	@echo "asan: OK (ASan+UBSan unit and integration tests)"

# --- portability checks --------------------------------------------------------
deps:
	@I386_SSL_ROOT="$(I386_SSL_ROOT)" sh tests/tools/deps.sh

namecheck: all $(BUILD)/newmail-tests
	@sh tests/tools/namecheck.sh $(BUILD)

includecheck:
	@sh tests/tools/includecheck.sh

vmscheck:
	@if [ -f tests/tools/vmscheck.sh ]; then sh tests/tools/vmscheck.sh; \
	 else echo "vmscheck: FAIL tests/tools/vmscheck.sh is missing"; exit 1; fi

listcheck:
	@sh tests/tools/listcheck.sh

# build.com, vms/*.com and any other DCL procedure of the tree.
# Both linters always run; the target fails if either does.
lint:
	@rc=0; \
	 python3 tests/tools/dcl_lint.py build.com $$(find vms tests doc -name '*.com' 2>/dev/null | sort) || rc=1; \
	 python3 tests/tools/mms_lint.py descrip.mms || rc=1; \
	 exit $$rc

ods2check:
	@sh tests/tools/ods2check.sh

# Prints every source list as NAME=files (listcheck.sh reads the Makefile
# text itself; this is for people and other tools).
print-lists:
	@$(foreach v,$(sort $(filter %_SRCS TEST_MAIN,$(.VARIABLES))),echo '$(v)=$($(v))';)

check:
	@n=0; for t in $(CHECKS); do n=$$((n+1)); echo "=== make check [$$n] $$t"; \
	   $(MAKE) --no-print-directory -j$(JOBS) $$t || \
	   { echo "make check: FAILED at '$$t' (run 'make $$t' to repeat it)"; exit 1; }; \
	 done; echo "make check: all $$n checks passed ($(CHECKS))"; \
	 tail -n 1 $(BUILD)/unit.log

check-selftest:
	@sh tests/tools/selftest.sh

# The benchmark (doc/performance.md); not part of `make check`.  bench:
# the quick profile against newmail (about 5 minutes on 2 cores);
# bench-peers: the same rows against newmail and a private Postfix and
# Dovecot (installed from the distribution if missing; needs root).
.PHONY: bench bench-peers
bench: $(BUILD)/newmail $(BUILD)/newmail-bench
	@bash tests/bench/bench.sh $(abspath $(BUILD)/newmail) $(abspath $(BUILD)/newmail-bench)

bench-peers: $(BUILD)/newmail $(BUILD)/newmail-bench
	@bash tests/bench/peers.sh $(abspath $(BUILD)/newmail) $(abspath $(BUILD)/newmail-bench)

# --- install, demo, clean --------------------------------------------------
# The example configuration becomes /etc/newmail/newmail.conf only if there
# is none.  Its name has one dot: "newmail.conf.example" is not ODS-2.
CONF_EXAMPLE ?= doc/newmail-example.conf
install: $(BUILD)/newmail doc/newmail.8
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSCONFDIR)/newmail
	install -m 755 $(BUILD)/newmail $(DESTDIR)$(SBINDIR)/newmail
	install -m 644 doc/newmail.8 $(DESTDIR)$(MANDIR)/man8/newmail.8
	@if [ -f $(CONF_EXAMPLE) ]; then \
	   if [ -e $(DESTDIR)$(SYSCONFDIR)/newmail/newmail.conf ]; then \
	     echo "install: keeping $(DESTDIR)$(SYSCONFDIR)/newmail/newmail.conf"; \
	   else install -m 640 $(CONF_EXAMPLE) $(DESTDIR)$(SYSCONFDIR)/newmail/newmail.conf; fi; \
	 else echo "install: no $(CONF_EXAMPLE); no example configuration installed"; fi

# The README's first command.  Switch DEMO_CMD to "serve" once a server exists.
DEMO_CMD ?= config check
demo: deps
	@$(MAKE) --no-print-directory -j$(JOBS) all
	$(BUILD)/newmail $(DEMO_CMD)

clean:
	rm -rf $(BUILD) build32 build-asan

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
