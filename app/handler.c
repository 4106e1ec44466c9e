/*
 * handler.c -- the handlers of route.c's table.  Pure given env: their
 * only data source is what env plugs in.
 */
#include "handler.h"

/*
 * GET/HEAD /users: the users table as a JSON array of objects.
 * Returns ROUTE_OK with the body in env->enc, ROUTE_UNAVAILABLE if the
 * source cannot answer, or ROUTE_NOMEM.
 */
enum route_outcome
handler_users(const struct route_env *env)
{
	struct table	 t;

	switch (env->users(env->source, &t)) {
	case TABLE_OK:
		break;
	case TABLE_NOMEM:
		return ROUTE_NOMEM;
	default:
		return ROUTE_UNAVAILABLE;
	}
	return json_enc_table(env->enc, &t) == 0 ? ROUTE_OK : ROUTE_NOMEM;
}
