/*
 * db.h -- the worker's one persistent PostgreSQL connection, and the one
 * query it runs.  The rows come out as a struct table (table.h).
 */
#ifndef USERS_FCGI_DB_H
#define USERS_FCGI_DB_H

#include <stddef.h>

#include "config.h"
#include "table.h"

struct pg_conn;		/* libpq's PGconn */
struct pg_result;	/* libpq's PGresult */

/* Owned by the caller (db_init ... db_close); its fields are db.c's. */
struct db {
	const struct config	*config;
	struct pg_conn		*conn;		/* NULL: not connected */
	struct pg_result	*res;		/* result of the last query */
	const char		**cells;	/* view of res, row-major */
	size_t			 cells_cap;
	char			*options;	/* libpq's options; NULL: bad URL */
	char			*password;	/* masked in the log; may be NULL */
	const char		*down;		/* how the logged outage
						   failed; NULL: none */
	char			 lost[256];	/* why the connection was lost,
						   not logged yet ("": none) */
	long			 wait_ms;	/* a request's time, in all */
};

void			db_init(struct db *, const struct config *);
enum table_status	db_users(struct db *, struct table *);
void			db_close(struct db *);

#endif
