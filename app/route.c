/*
 * route.c -- the routing table, which is the response policy, its
 * handlers, and the dispatch that applies it.  Pure given env: no I/O
 * but the handlers' queries of env->db.
 *
 * The path is SCRIPT_NAME followed by PATH_INFO, as both lighttpd and
 * nginx send them (decoded and normalised; the query string is never
 * part of either), so "/users?x=1" routes as "/users".
 */
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "json.h"
#include "route.h"

/*
 * GET/HEAD /users: the users table as a JSON array of objects.
 * Returns ROUTE_OK with the body in env->enc, ROUTE_UNAVAILABLE if the
 * database cannot answer, or ROUTE_NOMEM.
 */
static enum route_outcome
route_users(const struct route_env *env)
{
	struct table	 t;

	switch (db_users(env->db, &t)) {
	case TABLE_OK:
		break;
	case TABLE_NOMEM:
		return ROUTE_NOMEM;
	default:
		return ROUTE_UNAVAILABLE;
	}
	return json_enc_table(env->enc, &t) == 0 ? ROUTE_OK : ROUTE_NOMEM;
}

/* Adding an endpoint: its handler above, and its rows here. */
const struct route_row route_table[] = {
	/* method path       handler      status headers message head */
	{ "GET",  "/users", route_users, 200,   NULL,   NULL,   0 },
	{ "HEAD", "/users", route_users, 200,   NULL,   NULL,   1 },
};

const size_t route_table_len = sizeof(route_table) / sizeof(route_table[0]);

/* The answer when no row matches, or its handler fails; by outcome. */
static const struct route_row route_failures[] = {
	[ROUTE_NOT_FOUND] =	{ NULL, NULL, NULL, 404, NULL,
				    "not found", 0 },
	/* + Allow: the methods of the path's rows (route_allow) */
	[ROUTE_NOT_ALLOWED] =	{ NULL, NULL, NULL, 405, NULL,
				    "method not allowed", 0 },
	[ROUTE_UNAVAILABLE] =	{ NULL, NULL, NULL, 503, "Retry-After: 1\r\n",
				    "database unavailable", 0 },
	[ROUTE_NOMEM] =		{ NULL, NULL, NULL, 500, NULL,
				    "internal error", 0 },
};

/*
 * Does script_name + path_info spell exactly path?  NULL parts are empty.
 * Returns 1 if so, else 0.  Nothing is allocated.
 */
static int
route_path_is(const char *path, const char *script_name,
    const char *path_info)
{
	size_t	 n;

	if (script_name == NULL)
		script_name = "";
	if (path_info == NULL)
		path_info = "";
	n = strlen(script_name);
	return strncmp(path, script_name, n) == 0 &&
	    strcmp(path + n, path_info) == 0;
}

/*
 * Append "Allow: M1, M2\r\n" to buf (size bytes, NUL-terminated): the
 * methods of path's rows, in table order.
 * Returns 0, or -1 if it does not fit (buf is then cut, still a string).
 */
static int
route_allow(char *buf, size_t size, const char *path)
{
	const char	*sep = "Allow: ";
	size_t		 i, n = strlen(buf);
	int		 w;

	for (i = 0; i < route_table_len; i++) {
		if (strcmp(route_table[i].path, path) != 0)
			continue;
		w = snprintf(buf + n, size - n, "%s%s", sep,
		    route_table[i].method);
		if (w < 0 || (size_t)w >= size - n)
			return -1;
		n += w;
		sep = ", ";
	}
	w = snprintf(buf + n, size - n, "\r\n");
	return w < 0 || (size_t)w >= size - n ? -1 : 0;
}

/*
 * Fill a from row: its status, headers (and Allow for path, if not
 * NULL), head_only, and as body {"error": message} if the row has one,
 * else what its handler left in env->enc, else none.
 * Returns 0, or -1 if the headers or the error body do not fit or
 * memory is exhausted (a is then unfinished).
 */
static int
route_fill(const struct route_env *env, const struct route_row *row,
    const char *allow_path, struct route_answer *a)
{
	const char	*headers = row->headers == NULL ? "" : row->headers;
	size_t		 n = strlen(headers);

	a->status = row->status;
	a->head_only = row->head_only;
	if (n >= sizeof(a->headers))
		return -1;
	memcpy(a->headers, headers, n + 1);
	if (allow_path != NULL &&
	    route_allow(a->headers, sizeof(a->headers), allow_path) == -1)
		return -1;
	a->body = NULL;
	a->len = 0;
	if (row->message != NULL &&
	    json_enc_pair(env->enc, "error", row->message) == -1)
		return -1;
	if (row->message != NULL || row->handler != NULL) {
		a->body = env->enc->data;
		a->len = env->enc->len;
	}
	return 0;
}

/*
 * Route a request and apply the policy of its row: call the handler (if
 * any), and on failure take the failure's row instead.  Any of method,
 * script_name, path_info may be NULL (treated as empty).
 * Fills a (always: if even an error answer cannot be made, a 500 with no
 * body and no extra headers).  a->body points into env->enc, valid until
 * its next use; nothing to free.
 */
void
route_dispatch(const struct route_env *env, const char *method,
    const char *script_name, const char *path_info, struct route_answer *a)
{
	const struct route_row	*row = NULL;
	const char		*path = NULL;
	enum route_outcome	 o = ROUTE_OK;
	size_t			 i;

	for (i = 0; i < route_table_len && row == NULL; i++) {
		if (!route_path_is(route_table[i].path, script_name,
		    path_info))
			continue;
		path = route_table[i].path;
		if (method != NULL && strcmp(method, route_table[i].method) == 0)
			row = &route_table[i];
	}
	if (row == NULL)
		o = path == NULL ? ROUTE_NOT_FOUND : ROUTE_NOT_ALLOWED;
	else if (row->handler != NULL)
		o = row->handler(env);
	if (o != ROUTE_OK)
		row = &route_failures[o];
	if (route_fill(env, row, o == ROUTE_NOT_ALLOWED ? path : NULL,
	    a) == 0)
		return;
	memset(a, 0, sizeof(*a));
	a->status = route_failures[ROUTE_NOMEM].status;
}
