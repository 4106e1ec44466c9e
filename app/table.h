/*
 * table.h -- a table of text cells: what a data source (db.c) produces
 * and an encoder (json.c) consumes, without either knowing the other.
 */
#ifndef USERS_FCGI_TABLE_H
#define USERS_FCGI_TABLE_H

/*
 * A read-only view: rows x columns of NUL-terminated text, row-major; a
 * NULL cell is SQL NULL.  Whoever fills it owns the strings and says how
 * long they stay valid; readers never free them.
 */
struct table {
	int			 nrows;
	int			 ncols;
	const char *const	*names;	/* ncols column names */
	const char *const	*cells;	/* nrows * ncols values */
};

/* What a source of tables answers (db_users, or a test's stand-in). */
enum table_status {
	TABLE_OK = 0,		/* the table is filled */
	TABLE_UNAVAILABLE,	/* the source cannot answer now (database) */
	TABLE_NOMEM,		/* out of memory */
};

#endif
