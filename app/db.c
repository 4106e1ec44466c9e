/*
 * db.c -- one libpq connection per process, the query prepared once per
 * connection, a broken connection replaced and the query retried once.
 *
 * Every wait is bounded: connect_timeout for connecting, statement_timeout
 * (set per session) for the query, TCP keepalives for a vanished peer,
 * and our own deadline (statement_timeout + DB_GRACE_MS) for a server
 * that stopped answering at all (paused, or its host gone).
 * Error text goes to stderr only; callers learn success or failure.
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "db.h"
#include "log.h"

#define DB_STMT		"users_list"
#define DB_SQL		"SELECT user_id, username, email FROM users " \
			"ORDER BY user_id LIMIT 100"
/* How long past statement_timeout we wait before giving up on the server. */
#define DB_GRACE_MS	1000

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

/* Milliseconds on a monotonic clock. */
static long long
db_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Collect the answer to the command just sent on db->conn, waiting at
 * most statement_timeout + DB_GRACE_MS in all.  The server's own
 * statement_timeout normally answers first; this deadline is for a
 * server that does not answer at all.
 * Returns 0 with db->res set to the first result (NULL if libpq had
 * none; the caller checks it and clears it), or -1 if the deadline
 * passed: then db->res is NULL, the connection is dropped and the
 * reason logged.
 */
static int
db_wait(struct db *db)
{
	struct pollfd	 pfd;
	PGresult	*res;
	long long	 deadline, left;

	deadline = db_now_ms() + db->wait_ms;
	PQclear(db->res);
	db->res = NULL;
	for (;;) {
		while (PQisBusy(db->conn)) {
			if ((left = deadline - db_now_ms()) <= 0)
				goto timeout;
			pfd.fd = PQsocket(db->conn);
			pfd.events = POLLIN;
			if (poll(&pfd, 1, (int)left) > 0 &&
			    !PQconsumeInput(db->conn))
				break;	/* connection lost: PQgetResult says so */
		}
		if ((res = PQgetResult(db->conn)) == NULL)
			return 0;
		if (db->res == NULL)
			db->res = res;
		else
			PQclear(res);
	}
timeout:
	PQclear(db->res);
	db->res = NULL;
	if (!db->down)
		log_error("no answer from PostgreSQL within %ld ms",
		    db->wait_ms);
	db->down = 1;
	db_disconnect(db);
	return -1;
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

	if (c->database_url == NULL)
		keys[6] = NULL;	/* libpq's PG* variables decide */
	snprintf(options, sizeof(options), "-c statement_timeout=%s",
	    c->statement_timeout);

	db->conn = PQconnectdbParams(keys, values, 1);
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
		db_log_failure(db, "connect");
		goto fail;
	}
	if (!PQsendPrepare(db->conn, DB_STMT, DB_SQL, 0, NULL) ||
	    db_wait(db) == -1 ||
	    PQresultStatus(db->res) != PGRES_COMMAND_OK) {
		db_log_failure(db, "prepare");	/* quiet after db_wait's */
		goto fail;
	}
	PQclear(db->res);
	db->res = NULL;
	if (db->down)
		log_error("%s", "connected again");
	db->down = 0;
	return 0;
fail:
	PQclear(db->res);
	db->res = NULL;
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
	/* config_load validated it: a decimal integer. */
	db->wait_ms = strtol(c->statement_timeout, NULL, 10) + DB_GRACE_MS;
	(void)db_connect(db);
}

/*
 * Run the users query.  On a broken connection, reconnect and retry once;
 * a server that does not answer in time is not retried.
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
		if (PQsendQueryPrepared(db->conn, DB_STMT, 0, NULL, NULL,
		    NULL, 0) && db_wait(db) == -1)
			return -1;	/* no answer in time: no retry */
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
