/*
 * db.c -- one libpq connection per process, the query prepared once per
 * connection, a broken connection (or a stale statement) replaced and the
 * query retried once.
 *
 * Every request has one deadline, statement_timeout + DB_GRACE_MS from
 * its start, and every wait of that request is bounded by it:
 * connecting (non-blocking, never longer than connect_timeout either),
 * preparing, the query, the retry.  The server's statement_timeout (set
 * per session) normally answers first; TCP keepalives notice a vanished
 * peer.  A query still running at the deadline is cancelled (PQcancel, in
 * a thread of its own, since PQcancel itself may wait for ever on a
 * stopped server) before its connection is dropped.
 * Error text goes to stderr only, once per outage; callers learn only
 * what failed (enum table_status).
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "db.h"
#include "clock.h"
#include "log.h"

#define DB_STMT		"users_list"
#define DB_SQL		"SELECT user_id, username, email FROM users " \
			"ORDER BY user_id LIMIT 100"
/* How long past statement_timeout a request waits for the server. */
#define DB_GRACE_MS	1000

/* A cancel request is on its way (db_cancel): at most one at a time. */
static atomic_int	db_cancelling;

/* Free the last result, if any.  Never fails. */
static void
db_clear(struct db *db)
{
	PQclear(db->res);
	db->res = NULL;
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
 * Copy msg into buf (size n) as one line (a newline becomes a blank, a
 * tab is dropped, trailing blanks are cut), every occurrence of secret
 * (if any) replaced by "*****": libpq's messages may quote what it was
 * given.  Returns nothing.
 */
static void
db_redact(char *buf, size_t n, const char *msg, const char *secret)
{
	size_t	 i = 0, slen = secret != NULL ? strlen(secret) : 0;

	while (*msg != '\0' && i + 1 < n) {
		if (slen > 0 && strncmp(msg, secret, slen) == 0) {
			msg += slen;
			if (i + 5 >= n)
				break;
			memcpy(buf + i, "*****", 5);
			i += 5;
		} else {
			if (*msg != '\t')
				buf[i++] = *msg == '\n' ? ' ' : *msg;
			msg++;
		}
	}
	while (i > 0 && buf[i - 1] == ' ')
		i--;
	buf[i] = '\0';
}

/*
 * The outage state (db->down, db->lost) changes only in two transitions,
 * so that an outage is logged once, not on every request: db_down when
 * something fails, db_recovered when the database answers again.  Each
 * logs with the file and line of its caller (log_at), where it happened.
 */
#define db_down(db, what)	db_down_at((db), (what), __FILE__, __LINE__)
#define db_recovered(db, what)	db_recovered_at((db), (what), __FILE__, __LINE__)

/*
 * The database is down: what (a string literal) failed.  Unless the
 * outage logged last failed the same way, log it, at file:line, with
 * libpq's reason (if connected; passwords masked), after why the
 * connection was lost if that is what led to it (db->lost).  Returns
 * nothing.
 */
static void
db_down_at(struct db *db, const char *what, const char *file, int line)
{
	char		 msg[512];
	const char	*sep;

	if (db->down == NULL || strcmp(db->down, what) != 0) {
		db_redact(msg, sizeof(msg), db->conn != NULL ?
		    PQerrorMessage(db->conn) : "", db->password);
		sep = msg[0] != '\0' ? ": " : "";
		if (db->lost[0] != '\0')
			log_at(file, line, "connection lost (%s), then %s%s%s",
			    db->lost, what, sep, msg);
		else
			log_at(file, line, "%s%s%s", what, sep, msg);
	}
	db->lost[0] = '\0';
	db->down = what;
}

/*
 * The database answered: if that ends a logged outage, or follows a lost
 * connection, log what (a string literal) at file:line.  Returns
 * nothing.
 */
static void
db_recovered_at(struct db *db, const char *what, const char *file, int line)
{
	if (db->lost[0] != '\0')
		log_at(file, line, "connection lost (%s), then %s", db->lost,
		    what);
	else if (db->down != NULL)
		log_at(file, line, "%s", what);
	db->lost[0] = '\0';
	db->down = NULL;
}

/*
 * Wait until the socket of db->conn can be read (out = 0) or written
 * (out = 1), at most until deadline (clock_ms).  A signal does not end
 * the wait.  Returns 1 if it can, 0 if the deadline passed, -1 if there
 * is no socket or poll fails.
 */
static int
db_ready(struct db *db, int out, long long deadline)
{
	struct pollfd	 pfd;
	long long	 left;
	int		 n;

	if ((pfd.fd = PQsocket(db->conn)) < 0)
		return -1;
	pfd.events = out ? POLLOUT : POLLIN;
	do {
		if ((left = deadline - clock_ms()) <= 0)
			return 0;
		n = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
	} while (n == 0 || (n == -1 && errno == EINTR));
	return n > 0 ? 1 : -1;
}

/* PQcancel c, then free it; the thread's body.  Returns NULL. */
static void *
db_cancel_run(void *c)
{
	char	 err[256];

	(void)PQcancel(c, err, sizeof(err));
	PQfreeCancel(c);
	atomic_store(&db_cancelling, 0);
	return NULL;
}

/*
 * Ask the server to cancel the query running on db->conn, without
 * waiting: a detached thread, with every signal blocked (they stay the
 * main thread's), sends the request.  If the previous request is still
 * on its way, the server is not answering: nothing is sent.  Returns
 * nothing; a cancel that cannot be sent is not reported (the server's
 * statement_timeout still ends the query).
 */
static void
db_cancel(struct db *db)
{
	PGcancel	*c;
	pthread_t	 thread;
	pthread_attr_t	 attr;
	sigset_t	 all, old;
	int		 rc = -1;

	if (atomic_exchange(&db_cancelling, 1))
		return;
	if ((c = PQgetCancel(db->conn)) == NULL)
		goto out;
	if (pthread_attr_init(&attr) != 0)
		goto out;
	sigfillset(&all);
	if (pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) == 0 &&
	    pthread_sigmask(SIG_SETMASK, &all, &old) == 0) {
		rc = pthread_create(&thread, &attr, db_cancel_run, c);
		(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	(void)pthread_attr_destroy(&attr);
out:
	if (rc != 0) {
		PQfreeCancel(c);
		atomic_store(&db_cancelling, 0);
	}
}

/*
 * Collect the answer to the command just sent on db->conn, waiting at
 * most until deadline.  The server's own statement_timeout normally
 * answers first; the deadline is for a server that does not answer at
 * all, or for a request whose earlier steps used up its time.  Our
 * commands never copy: a server that answers one with COPY (hostile, or
 * a man in the middle) would have PQgetResult return a new COPY result
 * for ever, so that ends the wait too.
 * Returns 0 with db->res set to the first result (NULL if libpq had
 * none; the caller checks it and clears it), or -1 if the deadline
 * passed or the server answered with COPY: then db->res is NULL, the
 * command cancelled, the connection dropped and the outage logged.
 */
static int
db_wait(struct db *db, long long deadline)
{
	PGresult	*res;
	const char	*why = "no answer from PostgreSQL before the request's "
			    "deadline (DB_STATEMENT_TIMEOUT + 1 s)";
	int		 r;

	db_clear(db);
	for (;;) {
		while (PQisBusy(db->conn)) {
			if ((r = db_ready(db, 0, deadline)) == 0)
				goto fail;
			if (r == -1 || !PQconsumeInput(db->conn))
				break;	/* connection lost: PQgetResult says so */
		}
		if ((res = PQgetResult(db->conn)) == NULL)
			return 0;
		switch (PQresultStatus(res)) {
		case PGRES_COPY_IN:
		case PGRES_COPY_OUT:
		case PGRES_COPY_BOTH:
			PQclear(res);
			why = "PostgreSQL answered with COPY, which no command "
			    "of ours asks for: connection dropped";
			goto fail;
		default:
			break;
		}
		if (db->res == NULL)
			db->res = res;
		else
			PQclear(res);
		if (clock_ms() >= deadline)
			goto fail;
	}
fail:
	db_clear(db);
	db_cancel(db);
	db_disconnect(db);
	db_down(db, why);
	return -1;
}

/*
 * Finish the connection started on db->conn (PQconnectStartParams),
 * waiting at most until deadline.  Returns 0 once it is ready, or -1
 * (logged, db->conn left to the caller) if it failed or took too long.
 */
static int
db_poll_connect(struct db *db, long long deadline)
{
	PostgresPollingStatusType	 st = PGRES_POLLING_WRITING;
	int				 r;

	while (st != PGRES_POLLING_OK) {
		if (st == PGRES_POLLING_FAILED ||
		    (r = db_ready(db, st == PGRES_POLLING_WRITING,
		    deadline)) == -1) {
			db_down(db, "connect");
			return -1;
		}
		if (r == 0) {
			db_down(db, "connect: no connection to "
			    "PostgreSQL before the deadline");
			return -1;
		}
		st = PQconnectPoll(db->conn);
	}
	return 0;
}

/*
 * Open a connection and prepare the statement on it, at most until
 * deadline; connecting takes at most connect_timeout of that.  libpq
 * ignores its own connect_timeout when connecting without blocking: we
 * enforce it (host names are still resolved by a blocking getaddrinfo).
 * Returns 0 with db->conn ready, or -1 with db->conn NULL (logged).
 */
static int
db_connect(struct db *db, long long deadline)
{
	const struct config	*c = db->config;
	long long		 connected_by;
	/* By name; a NULL value is left to libpq (its PG* variables). */
	const char		*params[][2] = {
		{ "application_name",	 "users-fcgi" },
		{ "keepalives_idle",	 "10" },
		{ "keepalives_interval", "5" },
		{ "keepalives_count",	 "3" },
		/* What the URL says overrides the defaults above... */
		{ "dbname",		 c->database_url },
		/* ...but not the bounds and the encoding: later ones win. */
		{ "options",		 db->options },
		{ "client_encoding",	 "UTF8" },
	};
	const char		*keys[sizeof(params) / sizeof(params[0]) + 1];
	const char		*values[sizeof(keys) / sizeof(keys[0])];
	size_t			 i, n = 0;

	if (db->options == NULL)	/* DATABASE_URL is invalid (logged) */
		return -1;
	for (i = 0; i < sizeof(params) / sizeof(params[0]); i++)
		if (params[i][1] != NULL) {
			keys[n] = params[i][0];
			values[n++] = params[i][1];
		}
	keys[n] = values[n] = NULL;

	connected_by = clock_ms() + 1000LL * c->connect_timeout_s;
	if (connected_by > deadline)
		connected_by = deadline;
	if ((db->conn = PQconnectStartParams(keys, values, 1)) == NULL) {
		log_error("out of memory for a connection");
		return -1;
	}
	if (db_poll_connect(db, connected_by) == -1)
		goto fail;
	if (!PQsendPrepare(db->conn, DB_STMT, DB_SQL, 0, NULL)) {
		db_down(db, "prepare");
		goto fail;
	}
	if (db_wait(db, deadline) == -1)
		goto fail;	/* db_wait logged why */
	if (PQresultStatus(db->res) != PGRES_COMMAND_OK) {
		db_down(db, "prepare");
		goto fail;
	}
	db_clear(db);
	db_recovered(db, "connected again");
	return 0;
fail:
	db_clear(db);
	db_disconnect(db);
	return -1;
}

/*
 * Read what DATABASE_URL says (where it is silent: PGOPTIONS and
 * PGPASSWORD): db->options becomes its options followed by our
 * statement_timeout (of two -c, the server takes the last), db->password
 * its password (to mask it in what we log).  Options of a service file
 * are not read: ours replace them.  libpq's reason for refusing a URL
 * may quote the password: it is not logged.
 * Returns 0, or -1 (logged) with db->options NULL: the URL is invalid,
 * or memory is short.
 */
static int
db_parse(struct db *db)
{
	const struct config	*c = db->config;
	PQconninfoOption	*opts = NULL, *o;
	const char		*theirs = NULL, *pw = NULL;
	char			*err = NULL;
	size_t			 n;
	int			 m, rc = -1;

	if (c->database_url == NULL)
		;
	else if ((opts = PQconninfoParse(c->database_url, &err)) == NULL) {
		log_error("DATABASE_URL is not a valid libpq URI or "
		    "connection string (libpq's reason is not logged: it may "
		    "quote the password); every request gets 503");
		PQfreemem(err);
		return -1;
	} else
		for (o = opts; o->keyword != NULL; o++)
			if (strcmp(o->keyword, "options") == 0)
				theirs = o->val;
			else if (strcmp(o->keyword, "password") == 0)
				pw = o->val;
	if (pw == NULL)
		pw = getenv("PGPASSWORD");
	if (theirs == NULL && (theirs = getenv("PGOPTIONS")) == NULL)
		theirs = "";
	n = strlen(theirs) + 64;
	if ((db->options = malloc(n)) == NULL ||
	    (pw != NULL && *pw != '\0' && (db->password = strdup(pw)) == NULL)) {
		log_error("out of memory for the connection parameters");
		goto out;
	}
	m = snprintf(db->options, n, "%s%s-c statement_timeout=%d", theirs,
	    *theirs != '\0' ? " " : "", c->statement_timeout_ms);
	if (m < 0 || (size_t)m >= n) {
		log_error("the connection options do not fit");
		goto out;
	}
	rc = 0;
out:
	if (rc == -1) {
		free(db->options);
		db->options = NULL;
	}
	PQconninfoFree(opts);
	return rc;
}

/*
 * Point t at the rows of db->res (column names as names).
 * Returns TABLE_OK, or TABLE_NOMEM (logged) when memory is exhausted.
 */
static enum table_status
db_view(struct db *db, struct table *t)
{
	const char	**cells, *v;
	size_t		  n, i;
	int		  r, c, nrows = PQntuples(db->res);
	int		  ncols = PQnfields(db->res);

	n = (size_t)nrows * ncols + ncols;
	if (n > db->cells_cap) {
		if ((cells = realloc(db->cells, n * sizeof(*cells))) == NULL) {
			log_error("out of memory for %d rows", nrows);
			return TABLE_NOMEM;
		}
		db->cells = cells;
		db->cells_cap = n;
	}
	for (c = 0; c < ncols; c++)
		db->cells[c] = PQfname(db->res, c);
	/* PQgetvalue gives "" for SQL NULL: only "" needs PQgetisnull. */
	for (r = 0, i = ncols; r < nrows; r++)
		for (c = 0; c < ncols; c++, i++) {
			v = PQgetvalue(db->res, r, c);
			db->cells[i] = *v == '\0' && PQgetisnull(db->res, r, c) ?
			    NULL : v;
		}
	t->nrows = nrows;
	t->ncols = ncols;
	t->names = db->cells;
	t->cells = db->cells + ncols;
	return TABLE_OK;
}

/*
 * Remember the configuration (which must outlive db) and try to
 * connect.  A database that is down is not an error here: the next
 * request tries again.  Release with db_close.
 */
void
db_init(struct db *db, const struct config *c)
{
	memset(db, 0, sizeof(*db));
	db->config = c;
	db->wait_ms = (long)c->statement_timeout_ms + DB_GRACE_MS;
	if (db_parse(db) == -1)
		db->down = "DATABASE_URL";	/* logged; requests fail quietly */
	else
		(void)db_connect(db, clock_ms() + db->wait_ms +
		    1000LL * c->connect_timeout_s);
}

/*
 * Is res the error of a prepared statement that a new session would
 * cure: its plan stale after a change of the table (0A000, "cached plan
 * must not change result type"), or the statement gone, as behind a
 * pooler that moved us to another session (26000)?
 * Returns what happened, as a static string, or NULL if neither.
 */
static const char *
db_stale(const PGresult *res)
{
	const char	*state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	if (state == NULL)
		return NULL;
	if (strcmp(state, "0A000") == 0)
		return "SQLSTATE 0A000, the statement's plan is stale";
	if (strcmp(state, "26000") == 0)
		return "SQLSTATE 26000, the prepared statement is gone";
	return NULL;
}

/*
 * Run the users query, everything within one deadline (db.c's comment).
 * On a broken connection, or a statement that a new session cures
 * (db_stale), reconnect and retry once; a server that does not answer in
 * time is not retried.
 * Returns TABLE_OK with t viewing the rows (valid until the next
 * db_users or db_close; the caller frees nothing), TABLE_UNAVAILABLE if
 * the database is unavailable or the query failed, or TABLE_NOMEM; the
 * reason is logged.
 */
enum table_status
db_users(struct db *db, struct table *t)
{
	long long	 deadline = clock_ms() + db->wait_ms;
	const char	*stale;
	int		 attempt;

	db_clear(db);
	for (attempt = 0; attempt < 2; attempt++) {
		if (db->conn == NULL && db_connect(db, deadline) == -1)
			return TABLE_UNAVAILABLE;
		if (PQsendQueryPrepared(db->conn, DB_STMT, 0, NULL, NULL,
		    NULL, 0) && db_wait(db, deadline) == -1)
			return TABLE_UNAVAILABLE;  /* no answer in time: no retry */
		if (PQresultStatus(db->res) == PGRES_TUPLES_OK) {
			db_recovered(db, "the query is answered again");
			return db_view(db, t);
		}
		stale = db_stale(db->res);
		db_clear(db);
		if (PQstatus(db->conn) == CONNECTION_BAD) {
			/* Logged with what the reconnect brings (db_down_at,
			 * db_recovered_at). */
			db_redact(db->lost, sizeof(db->lost),
			    PQerrorMessage(db->conn), db->password);
		} else if (stale != NULL && attempt == 0)
			log_error("query: %s: preparing it again in a new "
			    "session", stale);
		else {
			db_down(db, "query");
			return TABLE_UNAVAILABLE;
		}
		db_disconnect(db);
	}
	db_down(db, "the retry failed too");
	return TABLE_UNAVAILABLE;
}

/* Free everything db holds.  db may be initialised again afterwards. */
void
db_close(struct db *db)
{
	db_clear(db);
	db_disconnect(db);
	free(db->cells);
	free(db->options);
	free(db->password);
	memset(db, 0, sizeof(*db));
}
