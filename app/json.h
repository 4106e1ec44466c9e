/*
 * json.h -- encode a table (table.h) as a JSON array of objects.
 *
 * Pure: no database, no FastCGI, no I/O.  The caller owns every input;
 * the encoder only references them while it runs.
 */
#ifndef USERS_FCGI_JSON_H
#define USERS_FCGI_JSON_H

#include <stddef.h>

#include "table.h"

/* A growable output buffer, reused across requests. */
struct json_buf {
	char	*data;	/* NUL-terminated text of length len, or NULL */
	size_t	 len;
	size_t	 cap;
};

int	json_encode_table(struct json_buf *, const struct table *);
int	json_encode_error(struct json_buf *, const char *);
void	json_buf_free(struct json_buf *);

#endif
