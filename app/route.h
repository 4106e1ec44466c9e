/*
 * route.h -- map a request's method and path to what the service does.
 */
#ifndef USERS_FCGI_ROUTE_H
#define USERS_FCGI_ROUTE_H

enum route {
	ROUTE_USERS,		/* GET /users: the rows as JSON */
	ROUTE_USERS_HEAD,	/* HEAD /users: the same headers, no body */
	ROUTE_NOT_FOUND,	/* 404 */
	ROUTE_NOT_ALLOWED,	/* 405, with Allow: ROUTE_USERS_ALLOW */
};

#define ROUTE_USERS_ALLOW "GET, HEAD"

enum route	route_request(const char *method, const char *script_name,
		    const char *path_info);

#endif
