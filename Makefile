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

APP_SRCS	:= app/config.c app/db.c app/handler.c app/json.c app/log.c \
		   app/main.c app/respond.c app/route.c
APP_HDRS	:= $(wildcard app/*.h)

# Unit tests: one binary per concern (tests/unit/NAME.c), each linked
# with only the sources (UNIT_SRCS_NAME) and packages (UNIT_PKGS_NAME)
# it uses.
UNIT_SRCS_config	:= app/config.c app/log.c
UNIT_PKGS_config	:=
UNIT_SRCS_json		:= app/json.c
UNIT_PKGS_json		:= libcjson
UNIT_SRCS_respond	:= app/respond.c
UNIT_PKGS_respond	:=
UNIT_SRCS_route		:= app/route.c app/handler.c app/json.c
UNIT_PKGS_route		:= libcjson
UNIT_BINS	:= $(patsubst tests/unit/%.c,build/unit/%, \
		   $(wildcard tests/unit/*.c))
# pkg-config of the packages $(1), if any.
pkg		 = $(if $(strip $(1)),$(shell pkg-config $(2) $(1)))

BIN		:= build/users-fcgi
ASAN_BIN	:= build/asan/users-fcgi

.PHONY: all asan units deps run up down test seed bench load clean

all: $(BIN)

$(BIN): $(APP_SRCS) $(APP_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -o $@ $(APP_SRCS) $(PKG_LIBS)

$(ASAN_BIN): $(APP_SRCS) $(APP_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANITIZE) $(PKG_CFLAGS) -o $@ $(APP_SRCS) $(PKG_LIBS)

asan: $(ASAN_BIN)

.SECONDEXPANSION:
build/unit/%: tests/unit/%.c tests/unit/unit.h $$(UNIT_SRCS_$$*) $(APP_HDRS)
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

test: deps all asan units
	@tests/run.sh

# bench/run.sh builds oha and the peers (once, into the cache) itself.
bench: deps all
	@bench/run.sh

# oha's live view against `make up`'s stack, or STACK=axum|fastapi|...
# (REQUESTS, CONCURRENCY, PORT, KEEPALIVE=1, OHA_ARGS: see bench/live.sh).
load: deps all
	@bench/live.sh

clean:
	rm -rf build

# Fuzzing and the longer reliability targets live beside their tests.
-include tests/fuzz/fuzz.mk
