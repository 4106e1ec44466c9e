/*
 * handler.h -- what each route computes (route.c's table names them).
 * A handler encodes its body into env->enc and says how it went.
 */
#ifndef USERS_FCGI_HANDLER_H
#define USERS_FCGI_HANDLER_H

#include "route.h"

enum route_outcome	handler_users(const struct route_env *);

#endif
