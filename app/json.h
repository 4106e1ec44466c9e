/*
 * json.h -- encode a table of text cells as a JSON array of objects.
 *
 * Pure: no database, no FastCGI, no I/O.  The caller owns every input;
 * the encoder only references them while it runs.
 */
#ifndef USERS_FCGI_JSON_H
#define USERS_FCGI_JSON_H

#include <stddef.h>

/* A growable output buffer, reused across requests. */
struct json_buf {
	char	*data;	/* NUL-terminated text of length len, or NULL */
	size_t	 len;
	size_t	 cap;
};

/* A read-only view of a result table: cells are row-major, NULL = SQL NULL. */
struct json_table {
	int			 nrows;
	int			 ncols;
	const char *const	*names;	/* ncols column names, used as keys */
	const char *const	*cells;	/* nrows * ncols values */
};

int	json_encode_table(struct json_buf *, const struct json_table *);
int	json_encode_error(struct json_buf *, const char *);
void	json_buf_free(struct json_buf *);

#endif
