/*
 * unit.h -- the smallest test harness: one line per case, "ok <name>" or
 * "FAILED <name>: why"; unit_done() exits non-zero if any case failed.
 */
#ifndef USERS_FCGI_UNIT_H
#define USERS_FCGI_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int unit_failed;

/* Record case name as passed if ok, else as failed with why. */
static inline void
unit_check(int ok, const char *name, const char *why)
{
	if (ok)
		printf("ok      %s\n", name);
	else {
		printf("FAILED  %s: %s\n", name, why);
		unit_failed++;
	}
}

/* Compare two strings (NULL allowed) for case name. */
static inline void
unit_streq(const char *name, const char *got, const char *want)
{
	char	 why[256];
	int	 ok = (got == NULL || want == NULL) ? got == want :
		    strcmp(got, want) == 0;

	snprintf(why, sizeof(why), "got \"%.80s\", want \"%.80s\"",
	    got ? got : "(null)", want ? want : "(null)");
	unit_check(ok, name, why);
}

/* Exit status for main: 0 if every case passed. */
static inline int
unit_done(void)
{
	return unit_failed ? 1 : 0;
}

#endif
