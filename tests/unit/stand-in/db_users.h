/*
 * db_users.h -- a stand-in for app/db.c's db_users, linked (db_users.c)
 * into the unit tests and the fuzzer in place of db.c: no database.  A
 * test sets the table and the answer, and reads how often it was asked,
 * and with which database.
 */
#ifndef USERS_FCGI_STAND_IN_DB_USERS_H
#define USERS_FCGI_STAND_IN_DB_USERS_H

#include "table.h"

struct db;

struct stand_in_db {
	enum table_status	 answer;	/* what db_users returns */
	struct table		 table;		/* what it fills in */
	int			 calls;		/* how often it was called */
	struct db		*db;		/* the last call's db */
};

extern struct stand_in_db	stand_in_db;

#endif
