/*
 * Unit tests of app/route.c: method and path to route, as a table.
 */
#include "route.h"
#include "unit.h"

static const struct {
	const char	*method, *script, *path_info;
	enum route	 want;
} cases[] = {
	{ "GET",	"/users",	NULL,		ROUTE_USERS },
	{ "GET",	"/users",	"",		ROUTE_USERS },
	{ "GET",	"",		"/users",	ROUTE_USERS },
	{ "GET",	NULL,		"/users",	ROUTE_USERS },
	{ "HEAD",	"/users",	NULL,		ROUTE_USERS_HEAD },
	{ "POST",	"/users",	NULL,		ROUTE_NOT_ALLOWED },
	{ "PUT",	"/users",	NULL,		ROUTE_NOT_ALLOWED },
	{ "DELETE",	"/users",	NULL,		ROUTE_NOT_ALLOWED },
	{ "OPTIONS",	"/users",	NULL,		ROUTE_NOT_ALLOWED },
	{ "get",	"/users",	NULL,		ROUTE_NOT_ALLOWED },
	{ "GETX",	"/users",	NULL,		ROUTE_NOT_ALLOWED },
	{ "",		"/users",	NULL,		ROUTE_NOT_ALLOWED },
	{ NULL,		"/users",	NULL,		ROUTE_NOT_ALLOWED },
	{ "GET",	"/users",	"/5",		ROUTE_NOT_FOUND },
	{ "GET",	"/users/",	NULL,		ROUTE_NOT_FOUND },
	{ "GET",	"/Users",	NULL,		ROUTE_NOT_FOUND },
	{ "GET",	"/user",	NULL,		ROUTE_NOT_FOUND },
	{ "GET",	"/usersx",	NULL,		ROUTE_NOT_FOUND },
	{ "GET",	"/",		NULL,		ROUTE_NOT_FOUND },
	{ "GET",	"",		"",		ROUTE_NOT_FOUND },
	{ "GET",	NULL,		NULL,		ROUTE_NOT_FOUND },
	{ "POST",	"/nope",	NULL,		ROUTE_NOT_FOUND },
	{ "GET",	"/users?x=1",	NULL,		ROUTE_NOT_FOUND },
};

static const char *
show(const char *s)
{
	return s == NULL ? "(null)" : s;
}

int
main(void)
{
	char	 name[128], why[64];
	size_t	 i;
	enum route got;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = route_request(cases[i].method, cases[i].script,
		    cases[i].path_info);
		snprintf(name, sizeof(name), "route %s %s + %s",
		    show(cases[i].method), show(cases[i].script),
		    show(cases[i].path_info));
		snprintf(why, sizeof(why), "got %d, want %d", (int)got,
		    (int)cases[i].want);
		unit_check(got == cases[i].want, name, why);
	}
	return unit_done();
}
