/*
 * config.c -- read the environment once, validate it against a table.
 *
 *   DATABASE_URL           libpq URI or conninfo; unset: PGHOST, PGUSER...
 *   DB_CONNECT_TIMEOUT     seconds to wait for a connection (2..60, def. 2)
 *   DB_STATEMENT_TIMEOUT   ms a query may run (100..600000, def. 2000)
 */
#include <errno.h>
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
 * Parse s as a decimal integer within [min, max] into *out.
 * Returns 0, or -1 (*out unchanged) if s is not one.
 */
static int
config_int(const char *s, long min, long max, int *out)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
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
			log_error("%s must be an integer in [%ld, %ld]",
			    v->name, v->min, v->max);
			return -1;
		}
	}
	return 0;
}
