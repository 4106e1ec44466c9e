/*
 * route.h -- the routing table is the response policy: each row says,
 * for a method and a path, what answers (a handler, or an error message),
 * with which status and extra headers, and whether the body is omitted.
 * route_dispatch turns a request into a struct route_answer that the
 * caller writes out; it does no I/O of its own.
 */
#ifndef USERS_FCGI_ROUTE_H
#define USERS_FCGI_ROUTE_H

#include <stddef.h>

struct db;		/* db.h */
struct json_enc;	/* json.h */

/* What a request came to; all but ROUTE_OK select a row of failures. */
enum route_outcome {
	ROUTE_OK = 0,		/* the matched row's own answer */
	ROUTE_NOT_FOUND,	/* no row has the path */
	ROUTE_NOT_ALLOWED,	/* rows have the path, none the method */
	ROUTE_UNAVAILABLE,	/* the database cannot answer now */
	ROUTE_NOMEM,		/* out of memory */
};

/*
 * What handlers work with, owned by the caller: the encoder every body
 * is written to, and the database handlers query (through db.h; the
 * unit tests and the fuzzer link a stand-in db_users instead of db.c).
 */
struct route_env {
	struct json_enc	*enc;
	struct db	*db;
};

/* Fill env->enc with the body.  Returns ROUTE_OK or a failure. */
typedef enum route_outcome (*route_handler)(const struct route_env *);

/* One row of policy. */
struct route_row {
	const char	*method;	/* exact, case-sensitive */
	const char	*path;		/* SCRIPT_NAME + PATH_INFO, exact */
	route_handler	 handler;	/* NULL: the body is the message */
	int		 status;
	const char	*headers;	/* extra lines, each "\r\n"; or NULL */
	const char	*message;	/* {"error": message} when no handler */
	int		 head_only;	/* omit the body (HEAD) */
};

#define ROUTE_HEADERS_MAX	256

/* What to send back; the body lives in env->enc. */
struct route_answer {
	int		 status;
	char		 headers[ROUTE_HEADERS_MAX];	/* extra lines, or "" */
	const char	*body;		/* len bytes, or NULL */
	size_t		 len;
	int		 head_only;	/* send the head only */
};

/* The table itself (route.c), read-only: tests check every row. */
extern const struct route_row	route_table[];
extern const size_t		route_table_len;

void	route_dispatch(const struct route_env *, const char *method,
	    const char *script_name, const char *path_info,
	    struct route_answer *);

#endif
