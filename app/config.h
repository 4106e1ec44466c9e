/*
 * config.h -- the worker's configuration, read and validated once from the
 * environment: numbers are numbers, nobody parses them again.
 */
#ifndef USERS_FCGI_CONFIG_H
#define USERS_FCGI_CONFIG_H

struct config {
	const char	*database_url;		/* NULL: libpq's PG* variables */
	int		 connect_timeout_s;	/* 2..60 */
	int		 statement_timeout_ms;	/* 100..600000 */
};

int	config_load(struct config *);

#endif
