/*
 * db_users.c -- the stand-in db_users (db_users.h): whatever the test
 * put in stand_in_db, whichever struct db it is given.
 */
#include "db.h"
#include "db_users.h"

struct stand_in_db	stand_in_db;

/*
 * Count the call and keep db (never used), fill t with
 * stand_in_db.table (whatever the answer: a caller must not read it
 * unless TABLE_OK) and return stand_in_db.answer.  The strings are the
 * test's.
 */
enum table_status
db_users(struct db *db, struct table *t)
{
	stand_in_db.calls++;
	stand_in_db.db = db;
	*t = stand_in_db.table;
	return stand_in_db.answer;
}
