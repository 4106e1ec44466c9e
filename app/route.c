/*
 * route.c -- routing as a table: one row per (path, method).
 *
 * The path is SCRIPT_NAME followed by PATH_INFO, as both lighttpd and
 * nginx send them (decoded and normalised; the query string is never
 * part of either), so "/users?x=1" routes as "/users".
 */
#include <stddef.h>
#include <string.h>

#include "route.h"

static const struct route_entry {
	const char	*path;
	const char	*method;
	enum route	 route;
} route_table[] = {
	{ "/users",	"GET",	ROUTE_USERS },
	{ "/users",	"HEAD",	ROUTE_USERS_HEAD },
};

#define ROUTE_TABLE_LEN (sizeof(route_table) / sizeof(route_table[0]))

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
 * Route a request.  Any argument may be NULL (treated as empty).
 * Returns the route: a known path with an unknown method is
 * ROUTE_NOT_ALLOWED, an unknown path ROUTE_NOT_FOUND.
 */
enum route
route_request(const char *method, const char *script_name,
    const char *path_info)
{
	size_t	 i;
	int	 path_found = 0;

	for (i = 0; i < ROUTE_TABLE_LEN; i++) {
		if (!route_path_is(route_table[i].path, script_name,
		    path_info))
			continue;
		path_found = 1;
		if (method != NULL && strcmp(method, route_table[i].method) == 0)
			return route_table[i].route;
	}
	return path_found ? ROUTE_NOT_ALLOWED : ROUTE_NOT_FOUND;
}
