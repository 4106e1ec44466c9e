/*
 * Unit tests of app/route.c: the routing table as the response policy,
 * through the worker's own route_dispatch, with the stand-in db_users
 * (stand-in/db_users.c) for the database.
 */
#include "db.h"
#include "json.h"
#include "route.h"
#include "stand-in/db_users.h"
#include "unit.h"

#define OK	TABLE_OK
#define DOWN	TABLE_UNAVAILABLE
#define NOMEM	TABLE_NOMEM
#define USERS	"[{\"v\":\"1\"}]"
#define ALLOW	"Allow: GET, HEAD\r\n"
#define RETRY	"Retry-After: 1\r\n"
#define E404	"{\"error\":\"not found\"}"
#define E405	"{\"error\":\"method not allowed\"}"
#define E503	"{\"error\":\"database unavailable\"}"
#define E500	"{\"error\":\"internal error\"}"

static const struct {
	const char		*method, *script, *path_info;
	enum table_status	 source;	/* what the database says */
	int			 status;
	const char		*headers, *body;
	int			 head_only;
} cases[] = {
	{ "GET",	"/users",	NULL,	  OK,	200, "", USERS, 0 },
	{ "GET",	"/users",	"",	  OK,	200, "", USERS, 0 },
	{ "GET",	"",		"/users", OK,	200, "", USERS, 0 },
	{ "GET",	NULL,		"/users", OK,	200, "", USERS, 0 },
	{ "GET",	"/us",		"ers",	  OK,	200, "", USERS, 0 },
	{ "HEAD",	"/users",	NULL,	  OK,	200, "", USERS, 1 },
	{ "GET",	"/users",	NULL,	  DOWN,	503, RETRY, E503, 0 },
	/* An error body is sent on HEAD too (the front drops it). */
	{ "HEAD",	"/users",	NULL,	  DOWN,	503, RETRY, E503, 0 },
	{ "GET",	"/users",	NULL,	  NOMEM, 500, "", E500, 0 },
	{ "HEAD",	"/users",	NULL,	  NOMEM, 500, "", E500, 0 },
	{ "POST",	"/users",	NULL,	  OK,	405, ALLOW, E405, 0 },
	{ "PUT",	"/users",	NULL,	  OK,	405, ALLOW, E405, 0 },
	{ "DELETE",	"/users",	NULL,	  OK,	405, ALLOW, E405, 0 },
	{ "OPTIONS",	"/users",	NULL,	  OK,	405, ALLOW, E405, 0 },
	{ "get",	"/users",	NULL,	  OK,	405, ALLOW, E405, 0 },
	{ "GETX",	"/users",	NULL,	  OK,	405, ALLOW, E405, 0 },
	{ "",		"/users",	NULL,	  OK,	405, ALLOW, E405, 0 },
	{ NULL,		"/users",	NULL,	  OK,	405, ALLOW, E405, 0 },
	{ "POST",	"/users",	NULL,	  DOWN,	405, ALLOW, E405, 0 },
	{ "GET",	"/users",	"/5",	  OK,	404, "", E404, 0 },
	{ "GET",	"/users/",	NULL,	  OK,	404, "", E404, 0 },
	{ "GET",	"/Users",	NULL,	  OK,	404, "", E404, 0 },
	{ "GET",	"/user",	NULL,	  OK,	404, "", E404, 0 },
	{ "GET",	"/usersx",	NULL,	  OK,	404, "", E404, 0 },
	{ "GET",	"/",		NULL,	  OK,	404, "", E404, 0 },
	{ "GET",	"",		"",	  OK,	404, "", E404, 0 },
	{ "GET",	NULL,		NULL,	  OK,	404, "", E404, 0 },
	{ "POST",	"/nope",	NULL,	  OK,	404, "", E404, 0 },
	{ "HEAD",	"/nope",	NULL,	  DOWN,	404, "", E404, 0 },
	{ "GET",	"/users?x=1",	NULL,	  OK,	404, "", E404, 0 },
};

/* s for a case's name: "(null)" for NULL. */
static const char *
show(const char *s)
{
	return s == NULL ? "(null)" : s;
}

/* The answer's body as a string ("" for none), in buf. */
static const char *
body_of(const struct route_answer *a, char *buf, size_t size)
{
	snprintf(buf, size, "%.*s", (int)a->len, a->body ? a->body : "");
	return buf;
}

/* Every case of the table above. */
static void
test_cases(const struct route_env *env)
{
	struct route_answer	 a;
	char			 name[160], body[128];
	size_t			 i;
	int			 calls, n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		stand_in_db.answer = cases[i].source;
		stand_in_db.calls = 0;
		route_dispatch(env, cases[i].method, cases[i].script,
		    cases[i].path_info, &a);
		n = snprintf(name, sizeof(name), "%s %s + %s, source %d: ",
		    show(cases[i].method), show(cases[i].script),
		    show(cases[i].path_info), (int)cases[i].source);
		calls = cases[i].status == 404 || cases[i].status == 405 ? 0 : 1;
		snprintf(name + n, sizeof(name) - n, "%d%s, database %s",
		    cases[i].status, cases[i].head_only ? " no body" : "",
		    calls ? "asked" : "untouched");
		unit_check(a.status == cases[i].status && a.head_only ==
		    cases[i].head_only && stand_in_db.calls == calls, name,
		    "status, head_only or database use differ");
		snprintf(name + n, sizeof(name) - n, "headers");
		unit_streq(name, a.headers, cases[i].headers);
		snprintf(name + n, sizeof(name) - n, "body");
		unit_streq(name, body_of(&a, body, sizeof(body)),
		    cases[i].body);
	}
}

/*
 * Every row of the real table answers its own method and path with its
 * own status and head_only; any other method there gets 405 with the
 * row's method in Allow.
 */
static void
test_rows(const struct route_env *env)
{
	const struct route_row	*row;
	struct route_answer	 a;
	char			 name[160], list[ROUTE_HEADERS_MAX + 8];
	char			 want[64];
	size_t			 i, n;

	stand_in_db.answer = TABLE_OK;
	for (i = 0; i < route_table_len; i++) {
		row = &route_table[i];
		route_dispatch(env, row->method, row->path, NULL, &a);
		snprintf(name, sizeof(name), "row %s %s: status %d%s",
		    row->method, row->path, row->status,
		    row->head_only ? ", no body" : "");
		unit_check(a.status == row->status &&
		    a.head_only == row->head_only &&
		    (a.body != NULL) == (row->handler || row->message), name,
		    "differs");

		route_dispatch(env, "BREW", row->path, NULL, &a);
		n = strlen(a.headers);
		snprintf(list, sizeof(list), ", %.*s, ",
		    n > 9 ? (int)(n - 9) : 0, a.headers + 7);
		snprintf(want, sizeof(want), ", %s, ", row->method);
		snprintf(name, sizeof(name), "row %s %s: BREW there is 405, "
		    "Allow lists %s", row->method, row->path, row->method);
		unit_check(a.status == 405 &&
		    strncmp(a.headers, "Allow: ", 7) == 0 &&
		    strcmp(a.headers + n - 2, "\r\n") == 0 &&
		    strstr(list, want) != NULL, name, a.headers);
	}
}

int
main(void)
{
	static const char *const names[] = { "v" }, *const cells[] = { "1" };
	static struct db	 db;	/* the stand-in keeps its address */
	struct json_enc		 enc;
	struct route_env	 env = { &enc, &db };

	stand_in_db.table = (struct table){ 1, 1, names, cells };
	json_enc_init(&enc);
	test_cases(&env);
	unit_check(stand_in_db.db == &db, "the handler queries env's database",
	    "db_users was given another");
	test_rows(&env);
	json_enc_free(&enc);
	return unit_done();
}
