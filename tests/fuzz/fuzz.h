/*
 * fuzz.h -- what the libFuzzer harnesses share: a check that aborts
 * (libFuzzer then saves the input) with the file and line that failed.
 */
#ifndef USERS_FCGI_FUZZ_H
#define USERS_FCGI_FUZZ_H

#include <stdio.h>
#include <stdlib.h>

#define require(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond); \
		abort();						\
	}								\
} while (0)

#endif
