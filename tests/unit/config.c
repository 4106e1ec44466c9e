/*
 * Unit tests of app/config.c: the environment, validated.
 */
#include "config.h"
#include "unit.h"

static const struct {
	const char	*name, *var, *value;
	int		 want;	/* config_load's return */
} cases[] = {
	{ "defaults", NULL, NULL, 0 },
	{ "connect timeout 2", "DB_CONNECT_TIMEOUT", "2", 0 },
	{ "connect timeout 60", "DB_CONNECT_TIMEOUT", "60", 0 },
	{ "connect timeout 1 (libpq makes it 2)", "DB_CONNECT_TIMEOUT", "1", -1 },
	{ "connect timeout 61", "DB_CONNECT_TIMEOUT", "61", -1 },
	{ "connect timeout not a number", "DB_CONNECT_TIMEOUT", "2s", -1 },
	{ "connect timeout empty means default", "DB_CONNECT_TIMEOUT", "", 0 },
	{ "statement timeout 100", "DB_STATEMENT_TIMEOUT", "100", 0 },
	{ "statement timeout 99", "DB_STATEMENT_TIMEOUT", "99", -1 },
	{ "statement timeout negative", "DB_STATEMENT_TIMEOUT", "-5", -1 },
	{ "statement timeout overflow", "DB_STATEMENT_TIMEOUT",
	    "99999999999999999999", -1 },
	{ "any DATABASE_URL is taken", "DATABASE_URL", "postgresql:///x", 0 },
	/* Digits only: no space, no sign, nothing after; the value is
	 * range-checked, not the length of its text. */
	{ "statement timeout ' 2000' (leading space)", "DB_STATEMENT_TIMEOUT",
	    " 2000", -1 },
	{ "statement timeout '\\t2000' (leading tab)", "DB_STATEMENT_TIMEOUT",
	    "\t2000", -1 },
	{ "statement timeout '+2000' (sign)", "DB_STATEMENT_TIMEOUT",
	    "+2000", -1 },
	{ "statement timeout '2000 ' (trailing space)", "DB_STATEMENT_TIMEOUT",
	    "2000 ", -1 },
	{ "statement timeout '2000\\n'", "DB_STATEMENT_TIMEOUT", "2000\n", -1 },
	{ "statement timeout '0x7d0' (hex)", "DB_STATEMENT_TIMEOUT", "0x7d0", -1 },
	{ "statement timeout '2e3'", "DB_STATEMENT_TIMEOUT", "2e3", -1 },
	{ "statement timeout '-0'", "DB_STATEMENT_TIMEOUT", "-0", -1 },
	{ "statement timeout 600000 (max)", "DB_STATEMENT_TIMEOUT", "600000", 0 },
	{ "statement timeout 600001", "DB_STATEMENT_TIMEOUT", "600001", -1 },
	{ "statement timeout 20 digits", "DB_STATEMENT_TIMEOUT",
	    "12345678901234567890", -1 },
	{ "statement timeout 2^32 + 2000 (wraps to 2000 in 32 bits)",
	    "DB_STATEMENT_TIMEOUT", "4294969296", -1 },
	{ "statement timeout 2^64 + 2000 (wraps to 2000 in 64 bits)",
	    "DB_STATEMENT_TIMEOUT", "18446744073709553616", -1 },
	{ "statement timeout '0002000' is 2000", "DB_STATEMENT_TIMEOUT",
	    "0002000", 0 },
	{ "statement timeout 30 zero-padded digits are 2000",
	    "DB_STATEMENT_TIMEOUT", "000000000000000000000000002000", 0 },
	{ "connect timeout ' 2'", "DB_CONNECT_TIMEOUT", " 2", -1 },
	{ "connect timeout '+2'", "DB_CONNECT_TIMEOUT", "+2", -1 },
	{ "connect timeout '002' is 2", "DB_CONNECT_TIMEOUT", "002", 0 },
};

int
main(void)
{
	struct config c;
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsetenv("DATABASE_URL");
		unsetenv("DB_CONNECT_TIMEOUT");
		unsetenv("DB_STATEMENT_TIMEOUT");
		if (cases[i].var != NULL)
			setenv(cases[i].var, cases[i].value, 1);
		unit_check(config_load(&c) == cases[i].want, cases[i].name,
		    "config_load disagrees");
	}

	unsetenv("DATABASE_URL");
	unsetenv("DB_CONNECT_TIMEOUT");
	unsetenv("DB_STATEMENT_TIMEOUT");
	config_load(&c);
	unit_streq("no DATABASE_URL: libpq's PG* decide", c.database_url, NULL);
	unit_check(c.connect_timeout_s == 2, "default connect timeout: 2 s",
	    "differs");
	unit_check(c.statement_timeout_ms == 2000,
	    "default statement timeout: 2000 ms", "differs");
	setenv("DB_CONNECT_TIMEOUT", "60", 1);
	setenv("DB_STATEMENT_TIMEOUT", "600000", 1);
	config_load(&c);
	unit_check(c.connect_timeout_s == 60 && c.statement_timeout_ms == 600000,
	    "timeouts are stored as numbers", "differs");
	setenv("DB_STATEMENT_TIMEOUT", "000000000000000000000000002000", 1);
	config_load(&c);
	unit_check(c.statement_timeout_ms == 2000,
	    "a zero-padded value keeps its value (not 0, not cut)", "differs");
	setenv("DATABASE_URL", "postgresql://u:secret@h/db", 1);
	config_load(&c);
	unit_streq("DATABASE_URL as given", c.database_url,
	    "postgresql://u:secret@h/db");
	return unit_done();
}
