/*
 * config.c -- read the environment once, validate it against a table.
 *
 *   DATABASE_URL           libpq URI or conninfo; unset: PGHOST, PGUSER...
 *   DB_CONNECT_TIMEOUT     seconds to wait for a connection (2..60, def. 2)
 *   DB_STATEMENT_TIMEOUT   ms a query may run (100..600000, def. 2000)
 */
#include <stddef.h>
#include <stdlib.h>

#include "config.h"
#include "log.h"

/* One variable: text (min = max = 0, stored as const char *) or an int. */
static const struct config_var {
	const char	*name;
	const char	*fallback;	/* NULL: optional, no default */
	long		 min, max;	/* 0, 0: free text */
	size_t		 offset;
} config_vars[] = {
	{ "DATABASE_URL", NULL, 0, 0,
	    offsetof(struct config, database_url) },
	{ "DB_CONNECT_TIMEOUT", "2", 2, 60,
	    offsetof(struct config, connect_timeout_s) },
	{ "DB_STATEMENT_TIMEOUT", "2000", 100, 600000,
	    offsetof(struct config, statement_timeout_ms) },
};

#define CONFIG_VARS_LEN (sizeof(config_vars) / sizeof(config_vars[0]))

/*
 * Parse s as a decimal integer within [min, max] into *out: ASCII digits
 * only (no blank, no sign), at least one; leading zeros are allowed, since
 * the value is checked, not the length of the text.
 * Returns 0, or -1 (*out unchanged) if s is not one.
 */
static int
config_int(const char *s, long min, long max, int *out)
{
	const char	*p;
	long		 v = 0;

	if (*s == '\0')
		return -1;
	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p - '0');
		if (v > max)		/* before it can overflow */
			return -1;
	}
	if (v < min)
		return -1;
	*out = (int)v;
	return 0;
}

/*
 * Fill c from the environment.  Text points into the environment (or is
 * NULL): nothing to free.
 * Returns 0, or -1 after logging which variable is invalid.
 */
int
config_load(struct config *c)
{
	const struct config_var	*v;
	const char		*s;
	char			*field;
	size_t			 i;

	for (i = 0; i < CONFIG_VARS_LEN; i++) {
		v = &config_vars[i];
		field = (char *)c + v->offset;
		if ((s = getenv(v->name)) == NULL || *s == '\0')
			s = v->fallback;
		if (v->max == 0)
			*(const char **)(void *)field = s;
		else if (config_int(s, v->min, v->max,
		    (int *)(void *)field) == -1) {
			log_error("%s must be digits only, a value in [%ld, %ld]",
			    v->name, v->min, v->max);
			return -1;
		}
	}
	return 0;
}
