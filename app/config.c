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

static const struct config_var {
	const char	*name;
	const char	*fallback;	/* NULL: optional, no default */
	long		 min, max;	/* 0, 0: free text */
	size_t		 offset;
} config_vars[] = {
	{ "DATABASE_URL", NULL, 0, 0,
	    offsetof(struct config, database_url) },
	{ "DB_CONNECT_TIMEOUT", "2", 2, 60,
	    offsetof(struct config, connect_timeout) },
	{ "DB_STATEMENT_TIMEOUT", "2000", 100, 600000,
	    offsetof(struct config, statement_timeout) },
};

#define CONFIG_VARS_LEN (sizeof(config_vars) / sizeof(config_vars[0]))

/*
 * Is s a decimal integer within [min, max]?  Returns 1 if so, else 0.
 */
static int
config_in_range(const char *s, long min, long max)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	return errno == 0 && end != s && *end == '\0' && v >= min && v <= max;
}

/*
 * Fill c from the environment.  The strings point into the environment
 * or into static defaults: nothing to free.
 * Returns 0, or -1 after printing which variable is invalid to stderr.
 */
int
config_load(struct config *c)
{
	const struct config_var	*v;
	const char		*s;
	size_t			 i;

	for (i = 0; i < CONFIG_VARS_LEN; i++) {
		v = &config_vars[i];
		if ((s = getenv(v->name)) == NULL || *s == '\0')
			s = v->fallback;
		if (s != NULL && v->max != 0 &&
		    !config_in_range(s, v->min, v->max)) {
			log_error("%s must be an integer in [%ld, %ld]",
			    v->name, v->min, v->max);
			return -1;
		}
		*(const char **)((char *)c + v->offset) = s;
	}
	return 0;
}
