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

APP_SRCS	:= app/config.c app/db.c app/json.c app/main.c app/respond.c \
		   app/route.c
APP_HDRS	:= $(wildcard app/*.h)
# Everything but the request loop and libpq: what unit tests link against.
PURE_SRCS	:= app/config.c app/json.c app/respond.c app/route.c
UNIT_SRCS	:= $(wildcard tests/unit/*.c)
UNIT_BINS	:= $(UNIT_SRCS:tests/unit/%.c=build/unit/%)

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

build/unit/%: tests/unit/%.c tests/unit/unit.h $(PURE_SRCS) $(APP_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANITIZE) -Iapp $(PKG_CFLAGS) -o $@ $< $(PURE_SRCS) \
	    $(PKG_LIBS)

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
