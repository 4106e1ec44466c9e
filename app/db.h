/*
 * db.h -- the worker's one persistent PostgreSQL connection.
 */
#ifndef USERS_FCGI_DB_H
#define USERS_FCGI_DB_H

#include <libpq-fe.h>

#include "config.h"
#include "json.h"

struct db {
	const struct config	*config;
	PGconn			*conn;		/* NULL: not connected */
	PGresult		*res;		/* result of the last query */
	const char		**cells;	/* view of res, row-major */
	size_t			 cells_cap;
	int			 down;		/* last attempt failed: log once */
	long			 wait_ms;	/* longest wait for an answer */
};

void	db_init(struct db *, const struct config *);
int	db_users(struct db *, struct json_table *);
void	db_close(struct db *);

#endif
