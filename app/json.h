/*
 * json.h -- encode a table (table.h) as a JSON array of objects, or one
 * {"name":"value"} object.
 *
 * Pure given its explicit state: no database, no FastCGI, no I/O, no
 * hidden globals.  Everything it keeps between calls (the output buffer,
 * the cJSON tree of the last table's shape) is in a struct json_enc that
 * the caller owns: json_enc_init before the first use, json_enc_free
 * after the last.  Inputs are only referenced while a call runs.
 */
#ifndef USERS_FCGI_JSON_H
#define USERS_FCGI_JSON_H

#include <stddef.h>

#include "table.h"

struct cJSON;

struct json_enc {
	char		*data;	/* the last text encoded, NUL-terminated, */
	size_t		 len;	/* len bytes; NULL before the first */
	size_t		 cap;	/* bytes allocated at data */
	struct cJSON	*tree;	/* kept tree of the last table, or NULL */
	int		 nrows;	/* its shape */
	int		 ncols;
};

void	json_enc_init(struct json_enc *);
int	json_enc_table(struct json_enc *, const struct table *);
int	json_enc_pair(struct json_enc *, const char *name, const char *value);
void	json_enc_free(struct json_enc *);

#endif
