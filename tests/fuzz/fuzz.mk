# tests/fuzz/fuzz.mk -- included by the Makefile: the libFuzzer harnesses
# and the long reliability runs.
#
#   make fuzz        replay the regression inputs, then fuzz each harness
#                    FUZZ_SECONDS (300) seconds; crashes become
#                    regression inputs (tests/fuzz/regressions/)
#   make fuzz-build  build the harnesses (build/fuzz/)
#   make soak        each worker's RSS flat within 5 % over RSS_REQUESTS
#                    (100 000) requests
#   make valgrind    one worker under valgrind memcheck for
#                    MEMCHECK_REQUESTS (10 000) requests: no error, no leak
#
# make test runs short versions of all four (tests/reliability/).

FUZZ_CC		?= clang
FUZZ_CFLAGS	:= -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror \
		   -g -O1 -fno-omit-frame-pointer \
		   -fsanitize=fuzzer,address,undefined \
		   -fno-sanitize-recover=undefined
FUZZ_TARGETS	:= route json
FUZZ_BINS	:= $(FUZZ_TARGETS:%=build/fuzz/fuzz_%)
# What each harness links: only what it drives.
FUZZ_SRCS_route	:= app/route.c app/json.c app/respond.c \
		   tests/unit/stand-in/db_users.c
FUZZ_PKGS_route	:= fcgi libcjson
FUZZ_SRCS_json	:= app/json.c
FUZZ_PKGS_json	:= libcjson
FUZZ_SECONDS	?= 300
RSS_REQUESTS	?= 100000
MEMCHECK_REQUESTS ?= 10000

.PHONY: fuzz fuzz-build soak valgrind

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $$(FUZZ_SRCS_$$*) \
    $(APP_HDRS) $(UNIT_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Iapp $(call pkg,$(FUZZ_PKGS_$*),--cflags) \
	    -o $@ $< $(FUZZ_SRCS_$*) $(call pkg,$(FUZZ_PKGS_$*),--libs)

fuzz-build: $(FUZZ_BINS)

fuzz: deps fuzz-build
	@tests/fuzz/run-fuzzers.sh -t $(FUZZ_SECONDS)

soak: deps all
	@RSS_REQUESTS=$(RSS_REQUESTS) tests/reliability/alone \
	    tests/reliability/memory.sh

valgrind: deps all
	@MEMCHECK_REQUESTS=$(MEMCHECK_REQUESTS) tests/reliability/alone \
	    tests/reliability/memcheck.sh
