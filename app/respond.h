/*
 * respond.h -- the CGI response head: status line and headers.
 */
#ifndef USERS_FCGI_RESPOND_H
#define USERS_FCGI_RESPOND_H

#include <stddef.h>

int	respond_head(char *, size_t, int status, size_t length,
	    const char *extra);

#endif
