# Postern - non-recursive top-level Makefile.
#
#   make            build every program into build/
#   make check      deps, lint, build, sanitizer build, every test, fuzz smoke
#   make run        deps, build, run a complete instance in ./run
#   make bench      benchmarks (t/bench/bench.py): one table of rates and memory;
#                   PEERS=1 also runs them against Postfix + Dovecot
#   make deps       install the Debian packages the build and tests need
#   make install    copy build/ to $(DESTDIR)$(PREFIX) (sendmail into sbin/,
#                   mailq and newaliases linked to it from bin/)
#   make fuzz       build and run the libFuzzer targets for longer
#   make clean
#
# BUILD names the output tree; SAN=1 builds with AddressSanitizer and
# UndefinedBehaviorSanitizer (make check does this in build/san).

.DEFAULT_GOAL := all

BUILD	?= build
PREFIX	?= /usr/local
DESTDIR	?=
CC	?= gcc
CLANG	?= clang
PKGS	:= openssl libevent libevent_openssl libevent_pthreads libsasl2 ldap
LIBEXECDIR := $(PREFIX)/libexec/postern

WARN	:= -Wall -Wextra -Wformat=2 -Wshadow -Wvla -Wmissing-prototypes -Werror
CFLAGS	?= -O2 -g
ALL_CFLAGS := -std=gnu11 $(CFLAGS) $(WARN) -D_GNU_SOURCE -Ilib -MMD -MP \
	-It/unit -DPOSTERN_LIBEXECDIR='"$(LIBEXECDIR)"' \
	$(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIBS	:= $(shell pkg-config --libs $(PKGS) 2>/dev/null) -ldb -llmdb -lcrypt \
	-lpthread
ifeq ($(SAN),1)
ALL_CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -O1
LDSAN	:= -fsanitize=address,undefined
endif
ifeq ($(FUZZ),1)
CC	:= $(CLANG)
ALL_CFLAGS += -fsanitize=fuzzer-no-link,address,undefined
LDSAN	:= -fsanitize=address,undefined
endif

# The program rules below come first in the file; plain "make" means all.
.DEFAULT_GOAL := all

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

LIB_SRC	:= $(wildcard lib/*/*.c)
LIBA	:= $(BUILD)/libpostern.a
PROGS	:=

# $(call program,OUTPUT,SOURCES): a program linked with the library.
define program
$(BUILD)/$(1): $(call obj,$(2)) $(LIBA)
	@mkdir -p $$(@D)
	$$(CC) $$(LDSAN) -o $$@ $$^ $$(LIBS)
PROGS += $(BUILD)/$(1)
endef

$(eval $(call program,postern,$(wildcard tools/postern*.c)))
$(eval $(call program,sendmail,$(wildcard sendmail/*.c)))
$(eval $(call program,libexec/master,$(wildcard master/*.c)))
$(eval $(call program,libexec/authd,$(wildcard authd/*.c)))
$(eval $(call program,libexec/smtpd,$(wildcard smtpd/*.c)))
$(eval $(call program,libexec/lmtpd,$(wildcard lmtpd/*.c)))
$(eval $(call program,libexec/qmgr,$(wildcard qmgr/*.c)))
$(eval $(call program,libexec/imapd,$(wildcard imapd/*.c)))
$(eval $(call program,libexec/pop3d,$(wildcard pop3d/*.c)))
$(eval $(call program,libexec/delivery,$(wildcard delivery/*.c)))
$(eval $(call program,libexec/local,$(wildcard local/*.c)))

# Test-only programs (t/bin/NAME.c) and unit tests (t/unit/NAME_test.c).
TBIN_SRC  := $(wildcard t/bin/*.c)
UNIT_SRC  := $(wildcard t/unit/*_test.c)
$(foreach s,$(TBIN_SRC),$(eval $(call program,t/bin/$(basename $(notdir $(s))),$(s))))
$(foreach s,$(UNIT_SRC),$(eval $(call program,t/unit/$(basename $(notdir $(s))),$(s))))
TBINPROGS := $(addprefix $(BUILD)/t/bin/,$(basename $(notdir $(TBIN_SRC))))
TESTPROGS := $(TBINPROGS) \
	$(addprefix $(BUILD)/t/unit/,$(basename $(notdir $(UNIT_SRC))))
# Benchmarks (t/bench/NAME.c, and t/bench/bench.py), run by make bench.
BENCH_SRC := $(wildcard t/bench/*.c)
$(foreach s,$(BENCH_SRC),$(eval $(call program,t/bench/$(basename $(notdir $(s))),$(s))))
BENCHPROGS := $(addprefix $(BUILD)/t/bench/,$(basename $(notdir $(BENCH_SRC))))
DAEMONS	:= $(filter $(BUILD)/libexec/%,$(PROGS))

.PHONY: all tests check run deps install fuzz fuzz-smoke lint clean bench

all: $(filter-out $(TESTPROGS) $(BENCHPROGS),$(PROGS))

tests: all $(TESTPROGS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBA): $(call obj,$(LIB_SRC))
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# The compiled-in daemon_directory follows PREFIX: rebuild what uses it
# when PREFIX changes (make install PREFIX=/usr after a plain make).
PREFIX_STAMP := $(BUILD)/prefix.$(subst /,_,$(LIBEXECDIR))
$(PREFIX_STAMP):
	@mkdir -p $(@D)
	@rm -f $(BUILD)/prefix.*
	@touch $@
$(call obj,lib/mail/params.c tools/postern_run.c): $(PREFIX_STAMP)

deps:
	@sh build-aux/deps.sh

lint:
	@sh build-aux/lint.sh

# Every test runs against the sanitizer tree.
check: deps
	$(MAKE) all
	$(MAKE) lint
	$(MAKE) BUILD=build/san SAN=1 tests
	$(MAKE) fuzz-smoke
	sh build-aux/refpostfix.sh $(CURDIR)/build/ref
	POSTERN_BUILD=$(CURDIR)/build/san POSTERN_POSTMAP=$(CURDIR)/build/ref/postmap \
		prove -j2 --exec 'sh t/lib/runtest' \
		$$(ls build/san/t/unit/*_test) $$(find t/proto t/e2e -name 'test_*.py' | sort)

# Figures, not pass/fail: one table, on the release build.  PEERS=1 runs
# the same workloads against Postfix and Dovecot from Debian's packages,
# unpacked into build/peers (build-aux/peers.sh; needs root); BENCH_ARGS
# passes options to t/bench/bench.py (--quick, --only 1,4, ...).
bench: deps all $(TBINPROGS) $(BENCHPROGS)
	$(if $(PEERS),sh build-aux/peers.sh $(CURDIR)/build/peers)
	POSTERN_BUILD=$(CURDIR)/$(BUILD) python3 t/bench/bench.py \
		$(if $(PEERS),--peers $(CURDIR)/build/peers) $(BENCH_ARGS)
	@for b in $(BENCHPROGS); do $$b; done

run: deps all
	./build/postern run --dir $(CURDIR)/run

# libFuzzer targets: t/fuzz/fuzz_NAME.c, seeds in t/fuzz/corpus/NAME/.
FUZZ_SRC := $(wildcard t/fuzz/fuzz_*.c)
FUZZ_BIN := $(patsubst t/fuzz/%.c,build/fuzz/t/fuzz/%,$(FUZZ_SRC))
FUZZ_TIME ?= 60

build/fuzz/t/fuzz/%: t/fuzz/%.c build/fuzz/libpostern.a
	@mkdir -p $(@D)
	$(CLANG) $(ALL_CFLAGS) -fsanitize=fuzzer -o $@ $< build/fuzz/libpostern.a $(LIBS)

fuzz-build:
	$(MAKE) BUILD=build/fuzz FUZZ=1 $(FUZZ_BIN)

fuzz: fuzz-build
	@sh build-aux/fuzz.sh $(FUZZ_TIME) $(FUZZ_BIN)

fuzz-smoke: fuzz-build
	@sh build-aux/fuzz.sh 5 $(FUZZ_BIN)

install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(LIBEXECDIR) \
		$(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man5 \
		$(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)$(PREFIX)/share/postern
	install -m 755 $(BUILD)/postern $(DESTDIR)$(PREFIX)/sbin/postern
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(BUILD)/sendmail $(DESTDIR)$(PREFIX)/sbin/sendmail
	for n in mailq newaliases; do \
		ln -sf ../sbin/sendmail $(DESTDIR)$(PREFIX)/bin/$$n; \
		ln -sf sendmail.1 $(DESTDIR)$(PREFIX)/share/man/man1/$$n.1; done
	for d in $(DAEMONS); do install -m 755 $$d $(DESTDIR)$(LIBEXECDIR)/; done
	for m in man/*.[158]; do s=$${m##*.}; \
		install -m 644 $$m $(DESTDIR)$(PREFIX)/share/man/man$$s/; done
	install -m 644 conf/postern.conf conf/master.conf $(DESTDIR)$(PREFIX)/share/postern/
	install -d $(DESTDIR)$(PREFIX)/share/postern/ldap
	install -m 644 conf/ldap/* $(DESTDIR)$(PREFIX)/share/postern/ldap/

clean:
	rm -rf build
