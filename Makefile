# users-fcgi -- see README.md.  Every target that starts something calls
# a script under scripts/; this file only builds and dispatches.

SHELL		:= /bin/bash
CC		?= cc
PKGS		:= fcgi libpq libcjson
CFLAGS		?= -O2
CFLAGS		+= -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror
PKG_CFLAGS	 = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS	 = $(shell pkg-config --libs $(PKGS))
SANITIZE	:= -fsanitize=address,undefined -fno-omit-frame-pointer -g

# How the worker (not the ASan build) links libpq (bench/PERFORMANCE.md,
# "Memory").  static: libpq, OpenSSL and libfcgi from their .a
# into a non-PIE executable, whose pointers need no relocation at start:
# those pages stay shared by the five workers instead of private to each
# (-2.3 MiB for the stack).  The price: no ASLR for the executable, and
# a security update of OpenSSL or libpq means running make again.  Needs
# PostgreSQL's libpgcommon_shlib.a and libpgport_shlib.a of libpq's very
# version (postgresql-server-dev-15 = libpq-dev's version).
# dynamic (the default): the shared libraries, a PIE executable with
# ASLR, security updates by apt alone.  auto: static when those are
# installed.
PQ_LINK		?= dynamic
ifneq ($(PQ_LINK),dynamic)	# the default asks nothing of pg_config
PG_PKGLIBDIR	:= $(shell pg_config --pkglibdir 2>/dev/null)
PQ_STATIC_OK	:= $(and $(wildcard $(PG_PKGLIBDIR)/libpgcommon_shlib.a), \
		   $(filter $(shell pkg-config --modversion libpq), \
		   $(word 2,$(shell pg_config --version 2>/dev/null))))
endif
ifeq ($(PQ_LINK),auto)
override PQ_LINK := $(if $(PQ_STATIC_OK),static,dynamic)
endif
ifeq ($(PQ_LINK),static)
ifeq ($(PQ_STATIC_OK),)
$(error PQ_LINK=static needs libpgcommon_shlib.a of libpq's version: \
    apt-get install postgresql-server-dev-15=<libpq-dev's version>)
endif
# libpq.a's other needs, shared: named by soname (no -dev package needed).
WORKER_CFLAGS	:= -fno-pie
WORKER_LIBS	 = -no-pie $(shell pkg-config --libs libcjson) \
		   -L$(PG_PKGLIBDIR) -Wl,-Bstatic -lfcgi -lpq -lpgcommon_shlib \
		   -lpgport_shlib -lssl -lcrypto -Wl,-Bdynamic \
		   -l:libgssapi_krb5.so.2 -l:libldap-2.5.so.0 -lm -ldl -pthread
else ifeq ($(PQ_LINK),dynamic)
WORKER_CFLAGS	:=
WORKER_LIBS	 = $(PKG_LIBS)
else
$(error PQ_LINK=$(PQ_LINK): static, dynamic or auto)
endif

APP_SRCS	:= app/config.c app/db.c app/json.c app/log.c app/main.c \
		   app/respond.c app/route.c app/serve.c
APP_HDRS	:= $(wildcard app/*.h)

# Unit tests: one binary per concern (tests/unit/NAME.c), each linked
# with only the sources (UNIT_SRCS_NAME) and packages (UNIT_PKGS_NAME)
# it uses; tests/unit/stand-in/ replaces what a test must not reach (the
# database).
UNIT_SRCS_config	:= app/config.c app/log.c
UNIT_PKGS_config	:=
UNIT_SRCS_json		:= app/json.c
UNIT_PKGS_json		:= libcjson
UNIT_SRCS_respond	:= app/respond.c
UNIT_PKGS_respond	:=
UNIT_SRCS_route		:= app/route.c app/json.c tests/unit/stand-in/db_users.c
UNIT_PKGS_route		:= libcjson
UNIT_BINS	:= $(patsubst tests/unit/%.c,build/unit/%, \
		   $(wildcard tests/unit/*.c))
UNIT_HDRS	:= $(wildcard tests/unit/*.h tests/unit/stand-in/*.h)
# pkg-config of the packages $(1), if any.
pkg		 = $(if $(strip $(1)),$(shell pkg-config $(2) $(1)))

BIN		:= build/users-fcgi
ASAN_BIN	:= build/asan/users-fcgi

.PHONY: all asan units deps run up down check test seed bench load clean deb reload

all: $(BIN)

$(BIN): $(APP_SRCS) $(APP_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WORKER_CFLAGS) $(PKG_CFLAGS) -o $@ $(APP_SRCS) \
	    $(WORKER_LIBS)

$(ASAN_BIN): $(APP_SRCS) $(APP_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANITIZE) $(PKG_CFLAGS) -o $@ $(APP_SRCS) $(PKG_LIBS)

asan: $(ASAN_BIN)

.SECONDEXPANSION:
build/unit/%: tests/unit/%.c $(UNIT_HDRS) $$(UNIT_SRCS_$$*) $(APP_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANITIZE) -Iapp \
	    $(call pkg,$(UNIT_PKGS_$*),--cflags) -o $@ $< $(UNIT_SRCS_$*) \
	    $(call pkg,$(UNIT_PKGS_$*),--libs)

units: $(UNIT_BINS)

deps:
	@scripts/deps.sh

run: deps all
	@scripts/stack.sh run

up: deps all
	@scripts/stack.sh up

down:
	@scripts/stack.sh down

seed: deps
	@scripts/db.sh seed

# The fast tier: the unit tests, integration behind both fronts, up and
# down; Debian packages only (tests/run.sh).
check: deps all units
	@tests/run.sh check

# The whole suite; the first run also builds oha and the benchmark's
# peers (cargo, PyPI) into ~/.cache/users-fcgi.
test: deps all asan units
	@tests/run.sh full

# bench/run.sh builds oha and the peers (once, into the cache) itself.
bench: deps all
	@bench/run.sh

# oha's live view against `make up`'s stack, or STACK=axum|fastapi|...
# (REQUESTS, CONCURRENCY, PORT, KEEPALIVE=1, OHA_ARGS: see bench/live.sh).
load: deps all
	@bench/live.sh

# The Debian package, built with debian/ (debhelper) from this checkout:
# build/users-fcgi_VERSION_ARCH.deb, its path printed last.
deb:
	@DEPS_EXTRA="dpkg-dev debhelper fakeroot" scripts/deps.sh
	@packaging/build-deb.sh

# Replace every worker of the stack `make up` started on PORT (its front
# read from the stack's run directory) by the current binary, without
# losing a request.
reload: all
	@scripts/stack.sh reload

clean:
	rm -rf build

# Fuzzing and the longer reliability targets live beside their tests.
-include tests/fuzz/fuzz.mk
