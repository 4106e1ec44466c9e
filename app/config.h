/*
 * config.h -- the worker's configuration, read once from the environment.
 */
#ifndef USERS_FCGI_CONFIG_H
#define USERS_FCGI_CONFIG_H

struct config {
	const char	*database_url;		/* NULL: libpq's PG* variables */
	const char	*connect_timeout;	/* seconds, as libpq wants it */
	const char	*statement_timeout;	/* milliseconds */
};

int	config_load(struct config *);

#endif
