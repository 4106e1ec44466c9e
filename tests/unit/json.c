/*
 * Unit tests of app/json.c: no database, no FastCGI.
 */
#include "json.h"
#include "unit.h"

static struct json_enc enc;

/* Encode t with e; the text, or NULL on failure. */
static const char *
encode_with(struct json_enc *e, const struct table *t)
{
	return json_enc_table(e, t) == 0 ? e->data : NULL;
}

/* Encode a one-column table of the given cells; return the text. */
static const char *
encode(int nrows, const char *const *cells)
{
	static const char *const names[] = { "v" };
	struct table t = { nrows, 1, names, cells };

	return encode_with(&enc, &t);
}

static const struct {
	const char	*name;
	const char	*in;
	const char	*want;
} cases[] = {
	{ "plain text", "user1", "[{\"v\":\"user1\"}]" },
	{ "empty string", "", "[{\"v\":\"\"}]" },
	{ "double quote", "a\"b", "[{\"v\":\"a\\\"b\"}]" },
	{ "backslash", "a\\b", "[{\"v\":\"a\\\\b\"}]" },
	{ "slash is not escaped", "a/b", "[{\"v\":\"a/b\"}]" },
	{ "DEL passes", "\x7f", "[{\"v\":\"\x7f\"}]" },
	{ "2-byte UTF-8 passes", "\xc3\xa9", "[{\"v\":\"\xc3\xa9\"}]" },
	{ "3-byte UTF-8 passes", "\xe4\xb8\xad", "[{\"v\":\"\xe4\xb8\xad\"}]" },
	{ "4-byte UTF-8 passes", "\xf0\x9f\x98\x80",
	    "[{\"v\":\"\xf0\x9f\x98\x80\"}]" },
	{ "U+2028 passes", "\xe2\x80\xa8", "[{\"v\":\"\xe2\x80\xa8\"}]" },
	{ "markup passes", "</script>", "[{\"v\":\"</script>\"}]" },
	{ "SQL NULL is null", NULL, "[{\"v\":null}]" },
};

/* Every control character: the short escape where JSON has one. */
static void
test_controls(void)
{
	static const char *const shorts[32] = { [8] = "\\b", [9] = "\\t",
	    [10] = "\\n", [12] = "\\f", [13] = "\\r" };
	char	 in[2] = { 0, 0 }, want[32], name[64];
	int	 c;

	for (c = 1; c < 32; c++) {
		const char *cells[] = { in };

		in[0] = (char)c;
		if (shorts[c] != NULL)
			snprintf(want, sizeof(want), "[{\"v\":\"%s\"}]", shorts[c]);
		else
			snprintf(want, sizeof(want), "[{\"v\":\"\\u%04x\"}]", c);
		snprintf(name, sizeof(name), "control character 0x%02x", c);
		unit_streq(name, encode(1, cells), want);
	}
}

/* A long value, and one whose escaping multiplies its size by six. */
static void
test_long(void)
{
	size_t	 n = 100000, i;
	char	*in = malloc(n + 1), *want = malloc(6 * n + 16), *p;
	const char *cells[] = { in };
	const char *got;

	memset(in, 'x', n);
	in[n] = '\0';
	p = want + sprintf(want, "[{\"v\":\"");
	memcpy(p, in, n);
	strcpy(p + n, "\"}]");
	unit_streq("100 000-byte value", encode(1, cells), want);

	memset(in, '\x01', n);
	got = encode(1, cells);
	p = want + sprintf(want, "[{\"v\":\"");
	for (i = 0; i < n; i++, p += 6)
		memcpy(p, "\\u0001", 6);
	strcpy(p, "\"}]");
	unit_check(got != NULL && strcmp(got, want) == 0,
	    "100 000 control characters (600 000 bytes escaped)",
	    "output differs");
	free(in);
	free(want);
}

/* Shapes: empty table, several rows, keys in column order. */
static void
test_shapes(void)
{
	static const char *const names[] = { "user_id", "username", "email" };
	static const char *const cells[] = { "1", "b", "b@x", "2", "a", "a@x" };
	struct table t = { 0, 3, names, cells };

	unit_streq("empty table is []",
	    json_enc_table(&enc, &t) == 0 ? enc.data : NULL, "[]");
	t.nrows = 2;
	unit_streq("two rows, keys in column order",
	    json_enc_table(&enc, &t) == 0 ? enc.data : NULL,
	    "[{\"user_id\":\"1\",\"username\":\"b\",\"email\":\"b@x\"},"
	    "{\"user_id\":\"2\",\"username\":\"a\",\"email\":\"a@x\"}]");
	unit_check(enc.len == strlen(enc.data), "len is the text's length",
	    "enc.len differs from strlen");
	unit_streq("error object",
	    json_enc_pair(&enc, "error", "not \"found\"") == 0 ? enc.data : NULL,
	    "{\"error\":\"not \\\"found\\\"\"}");
}

/*
 * A large table, encoded twice: the second encoding reuses the tree the
 * first one built and must give the same text.  (The cases before and
 * after change the shape: the tree is rebuilt each time.)
 */
static void
test_many_rows(void)
{
	static const char *const names[] = { "user_id", "username" };
	enum { ROWS = 5000 };
	const char	**cells = malloc(2 * ROWS * sizeof(*cells));
	char		 *values = malloc(ROWS * 16), *want = malloc(ROWS * 48);
	char		 *p = want;
	struct table t = { ROWS, 2, names, NULL };
	int		  r;

	*p++ = '[';
	for (r = 0; r < ROWS; r++) {
		snprintf(values + r * 16, 16, "u%d", r);
		cells[2 * r] = cells[2 * r + 1] = values + r * 16;
		p += sprintf(p, "%s{\"user_id\":\"u%d\",\"username\":\"u%d\"}",
		    r ? "," : "", r, r);
	}
	strcpy(p, "]");
	t.cells = cells;
	unit_check(json_enc_table(&enc, &t) == 0 && strcmp(enc.data, want) == 0,
	    "5000 rows", "output differs");
	unit_check(json_enc_table(&enc, &t) == 0 && strcmp(enc.data, want) == 0,
	    "5000 rows again, in the kept tree", "output differs");
	free(cells);
	free(values);
	free(want);
}

/*
 * An encoder's whole life: init, encode, re-encode another shape (the
 * kept tree is rebuilt), a pair in between (the tree is kept), free
 * (ASan's leak check at exit sees whatever is not released), init
 * again, encode again.
 */
static void
test_lifetime(void)
{
	static const char *const names[] = { "a", "b" };
	static const char *const cells[] = { "1", "2", "3", NULL };
	struct table	 one = { 1, 2, names, cells };
	struct table	 two = { 2, 2, names, cells };
	struct table	 col = { 3, 1, names, cells };
	struct json_enc	 e;

	json_enc_init(&e);
	unit_check(e.data == NULL && e.len == 0 && e.cap == 0 && e.tree == NULL,
	    "lifetime: a new encoder holds nothing", "not empty");
	unit_streq("lifetime: first table", encode_with(&e, &one),
	    "[{\"a\":\"1\",\"b\":\"2\"}]");
	unit_check(e.tree != NULL && e.nrows == 1 && e.ncols == 2,
	    "lifetime: the tree of its shape is kept", "no 1 x 2 tree");
	unit_streq("lifetime: another shape", encode_with(&e, &two),
	    "[{\"a\":\"1\",\"b\":\"2\"},{\"a\":\"3\",\"b\":null}]");
	unit_check(e.nrows == 2 && e.ncols == 2,
	    "lifetime: the tree follows the new shape", "not 2 x 2");
	unit_streq("lifetime: a pair between tables",
	    json_enc_pair(&e, "status", "ok") == 0 ? e.data : NULL,
	    "{\"status\":\"ok\"}");
	unit_check(e.nrows == 2 && e.ncols == 2,
	    "lifetime: a pair leaves the kept tree", "tree changed");
	unit_streq("lifetime: the same shape again", encode_with(&e, &two),
	    "[{\"a\":\"1\",\"b\":\"2\"},{\"a\":\"3\",\"b\":null}]");
	unit_streq("lifetime: one column", encode_with(&e, &col),
	    "[{\"a\":\"1\"},{\"a\":\"2\"},{\"a\":\"3\"}]");
	json_enc_free(&e);
	unit_check(e.data == NULL && e.len == 0 && e.cap == 0 && e.tree == NULL,
	    "lifetime: free releases buffer and tree", "something left");
	json_enc_free(&e);
	unit_check(e.data == NULL, "lifetime: free twice is harmless", "differs");
	json_enc_init(&e);
	unit_streq("lifetime: encodes again after free and init",
	    encode_with(&e, &one), "[{\"a\":\"1\",\"b\":\"2\"}]");
	json_enc_free(&e);
}

/* Two encoders at once: no state is shared between them. */
static void
test_two_encoders(void)
{
	static const char *const names[] = { "k" };
	static const char *const x[] = { "x" }, *const y[] = { "y", "z" };
	struct table	 tx = { 1, 1, names, x }, ty = { 2, 1, names, y };
	struct json_enc	 a, b;

	json_enc_init(&a);
	json_enc_init(&b);
	encode_with(&a, &tx);
	encode_with(&b, &ty);
	unit_streq("two encoders: the first keeps its text", a.data,
	    "[{\"k\":\"x\"}]");
	unit_streq("two encoders: the second has its own", b.data,
	    "[{\"k\":\"y\"},{\"k\":\"z\"}]");
	unit_check(a.nrows == 1 && b.nrows == 2,
	    "two encoders: each keeps its own tree", "shared");
	json_enc_free(&a);
	json_enc_free(&b);
}

int
main(void)
{
	size_t	 i;

	json_enc_init(&enc);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *cells[] = { cases[i].in };

		unit_streq(cases[i].name, encode(1, cells), cases[i].want);
	}
	test_controls();
	test_long();
	test_many_rows();
	test_shapes();	/* after the others: buffer and tree are reused */
	json_enc_free(&enc);
	test_lifetime();
	test_two_encoders();
	return unit_done();
}
