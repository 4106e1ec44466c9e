/*
 * config.c -- read the environment once, validate it.
 *
 *   DATABASE_URL           libpq URI or conninfo; unset: PGHOST, PGUSER...
 *   DB_CONNECT_TIMEOUT     seconds to wait for a connection (2..60, def. 2)
 *   DB_STATEMENT_TIMEOUT   ms a query may run (100..600000, def. 2000)
 */
#include <stdlib.h>

#include "config.h"
#include "log.h"

/*
 * The value of variable name, or NULL if it is unset or empty.  Points
 * into the environment: nothing to free.
 */
static const char *
config_text(const char *name)
{
	const char	*s = getenv(name);

	return s == NULL || *s == '\0' ? NULL : s;
}

/*
 * Parse variable name (fallback if it is unset or empty) as a decimal
 * integer within [min, max] into *out: ASCII digits only (no blank, no
 * sign), at least one; leading zeros are allowed, since the value is
 * checked, not the length of the text.
 * Returns 0, or -1 (*out unchanged) after logging that it is not one.
 */
static int
config_int(const char *name, const char *fallback, long min, long max,
    int *out)
{
	const char	*s = config_text(name), *p;
	long		 v = 0;

	if (s == NULL)
		s = fallback;
	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			goto invalid;
		v = v * 10 + (*p - '0');
		if (v > max)		/* before it can overflow */
			goto invalid;
	}
	if (p == s || v < min)
		goto invalid;
	*out = (int)v;
	return 0;
invalid:
	log_error("%s must be digits only, a value in [%ld, %ld]", name, min,
	    max);
	return -1;
}

/*
 * Fill c from the environment.  Text points into the environment (or is
 * NULL): nothing to free.
 * Returns 0, or -1 after logging which variable is invalid.
 */
int
config_load(struct config *c)
{
	c->database_url = config_text("DATABASE_URL");
	if (config_int("DB_CONNECT_TIMEOUT", "2", 2, 60,
	    &c->connect_timeout_s) == -1 ||
	    config_int("DB_STATEMENT_TIMEOUT", "2000", 100, 600000,
	    &c->statement_timeout_ms) == -1)
		return -1;
	return 0;
}
