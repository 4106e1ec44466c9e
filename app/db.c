/*
 * db.c -- one libpq connection per process, the query prepared once per
 * connection, a broken connection replaced and the query retried once.
 *
 * Every wait is bounded: connect_timeout for connecting, statement_timeout
 * (set per session) for the query, TCP keepalives for a vanished peer.
 * Error text goes to stderr only; callers learn success or failure.
 */
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "db.h"
#include "log.h"

#define DB_STMT		"users_list"
#define DB_SQL		"SELECT user_id, username, email FROM users " \
			"ORDER BY user_id LIMIT 100"

/*
 * Note a failure of what (with libpq's message) on stderr, once until the
 * next success, so that an outage does not flood the log.
 */
static void
db_log_failure(struct db *db, const char *what)
{
	const char	*msg = db->conn ? PQerrorMessage(db->conn) : "";
	size_t		 n = strlen(msg);

	if (db->down)
		return;
	db->down = 1;
	while (n > 0 && msg[n - 1] == '\n')
		n--;
	log_error("%s: %.*s", what, (int)n, msg);
}

/* Drop the connection, if any.  Never fails. */
static void
db_disconnect(struct db *db)
{
	if (db->conn != NULL)
		PQfinish(db->conn);
	db->conn = NULL;
}

/*
 * Open a connection and prepare the statement on it.
 * Returns 0 with db->conn ready, or -1 with db->conn NULL.
 * Values from the configured URL override the defaults given first.
 */
static int
db_connect(struct db *db)
{
	const struct config	*c = db->config;
	char			 options[64];
	const char		*keys[] = { "connect_timeout", "options",
				    "application_name", "keepalives_idle",
				    "keepalives_interval", "keepalives_count",
				    "dbname", NULL };
	const char		*values[] = { c->connect_timeout, options,
				    "users-fcgi", "10", "5", "3",
				    c->database_url, NULL };
	PGresult		*res;

	if (c->database_url == NULL)
		keys[6] = NULL;	/* libpq's PG* variables decide */
	snprintf(options, sizeof(options), "-c statement_timeout=%s",
	    c->statement_timeout);

	db->conn = PQconnectdbParams(keys, values, 1);
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
		db_log_failure(db, "connect");
		goto fail;
	}
	res = PQprepare(db->conn, DB_STMT, DB_SQL, 0, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		PQclear(res);
		db_log_failure(db, "prepare");
		goto fail;
	}
	PQclear(res);
	if (db->down)
		log_error("%s", "connected again");
	db->down = 0;
	return 0;
fail:
	db_disconnect(db);
	return -1;
}

/*
 * Point t at the rows of db->res (column names as keys).
 * Returns 0, or -1 when memory is exhausted.
 */
static int
db_view(struct db *db, struct json_table *t)
{
	const char	**cells;
	size_t		  n, i;
	int		  r, c, nrows = PQntuples(db->res);
	int		  ncols = PQnfields(db->res);

	n = (size_t)nrows * ncols + ncols;
	if (n > db->cells_cap) {
		if ((cells = realloc(db->cells, n * sizeof(*cells))) == NULL)
			return -1;
		db->cells = cells;
		db->cells_cap = n;
	}
	for (c = 0; c < ncols; c++)
		db->cells[c] = PQfname(db->res, c);
	for (r = 0, i = ncols; r < nrows; r++)
		for (c = 0; c < ncols; c++, i++)
			db->cells[i] = PQgetisnull(db->res, r, c) ? NULL :
			    PQgetvalue(db->res, r, c);
	t->nrows = nrows;
	t->ncols = ncols;
	t->names = db->cells;
	t->cells = db->cells + ncols;
	return 0;
}

/*
 * Remember the configuration and try to connect.  A database that is
 * down is not an error here: the next request tries again.
 */
void
db_init(struct db *db, const struct config *c)
{
	memset(db, 0, sizeof(*db));
	db->config = c;
	(void)db_connect(db);
}

/*
 * Run the users query.  On a broken connection, reconnect and retry once.
 * Returns 0 with t viewing the rows (valid until the next db_users or
 * db_close; the caller frees nothing), or -1 if the database is
 * unavailable or the query failed (the reason is logged).
 */
int
db_users(struct db *db, struct json_table *t)
{
	int	 attempt;

	PQclear(db->res);
	db->res = NULL;
	for (attempt = 0; attempt < 2; attempt++) {
		if (db->conn == NULL && db_connect(db) == -1)
			return -1;
		db->res = PQexecPrepared(db->conn, DB_STMT, 0, NULL, NULL,
		    NULL, 0);
		if (PQresultStatus(db->res) == PGRES_TUPLES_OK) {
			db->down = 0;
			return db_view(db, t);
		}
		PQclear(db->res);
		db->res = NULL;
		if (PQstatus(db->conn) != CONNECTION_BAD) {
			db_log_failure(db, "query");
			return -1;
		}
		db_log_failure(db, "connection lost");
		db_disconnect(db);
		db->down = 0;	/* a reconnect failure is news */
	}
	return -1;
}

/* Free everything db holds.  db may be initialised again afterwards. */
void
db_close(struct db *db)
{
	PQclear(db->res);
	db_disconnect(db);
	free(db->cells);
	memset(db, 0, sizeof(*db));
}
