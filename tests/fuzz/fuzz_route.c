/*
 * fuzz_route.c -- libFuzzer harness: FastCGI parameters -> the worker's
 * own route_dispatch (app/route.c, its table and handlers) -> the status
 * line and headers (respond_head), as app/main.c writes them, with the
 * stand-in db_users (tests/unit/stand-in/) for the database.
 *
 * Input: FastCGI name-value pairs, encoded as in a PARAMS record (a
 * length of 1 byte, or of 4 bytes with the high bit set, for the name
 * and for the value, then both), until the input runs out; what remains
 * after the last whole pair (at least 13 bytes) chooses a buffer size, a
 * status and a length for a direct call of respond_head.  The input's
 * size modulo 3 chooses what the stand-in database answers: the
 * parameters as a table of (name, value) rows, "unavailable", or "out
 * of memory".
 *
 * Checked besides what ASan and UBSan catch: the answer is what the
 * specification says (GET or HEAD of exactly /users: 200 with the rows,
 * HEAD without its body, 503 with Retry-After or 500 when the database
 * fails; 405 with "Allow: GET, HEAD" for another method there; 404
 * elsewhere, without asking the database); every body parses back;
 * every head is well-formed, carries both hygiene headers and fits the
 * worker's 512-byte buffer; respond_head never writes past the size it
 * is given.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <fcgiapp.h>

#include "db.h"
#include "json.h"
#include "respond.h"
#include "route.h"
#include "../unit/stand-in/db_users.h"
#include "fuzz.h"

#define MAX_PARAMS	64

/*
 * Read a FastCGI name or value length at *p (1 or 4 bytes).
 * Returns 0 and advances *p, or -1 if the input ends first.
 */
static int
read_len(const uint8_t **p, const uint8_t *end, size_t *len)
{
	if (*p >= end)
		return -1;
	if (**p >> 7 == 0) {
		*len = *(*p)++;
		return 0;
	}
	if (end - *p < 4)
		return -1;
	*len = ((size_t)((*p)[0] & 0x7f) << 24) | ((size_t)(*p)[1] << 16) |
	    ((size_t)(*p)[2] << 8) | (*p)[3];
	*p += 4;
	return 0;
}

/* The stand-in database's rows: the request's parameters. */
static const char	*cells[2 * MAX_PARAMS];	/* name, value, ... */

/* The answer the specification gives. */
struct expected {
	int		 status;
	const char	*headers;
	const char	*error;		/* the body's message, or NULL: rows */
	int		 head_only;
};

/* What the specification says the answer to a request is. */
static struct expected
expected_answer(const char *method, const char *script_name,
    const char *path_info)
{
	static const struct expected not_found = { 404, "", "not found", 0 },
	    not_allowed = { 405, "Allow: GET, HEAD\r\n", "method not allowed",
	    0 }, down = { 503, "Retry-After: 1\r\n", "database unavailable", 0 },
	    nomem = { 500, "", "internal error", 0 };
	struct expected	 rows = { 200, "", NULL, 0 };
	char		 path[16];
	size_t		 a = script_name ? strlen(script_name) : 0;
	size_t		 b = path_info ? strlen(path_info) : 0;

	if (a + b != strlen("/users"))
		return not_found;
	memcpy(path, script_name ? script_name : "", a);
	memcpy(path + a, path_info ? path_info : "", b);
	path[a + b] = '\0';
	if (strcmp(path, "/users") != 0)
		return not_found;
	if (method == NULL || (strcmp(method, "GET") != 0 &&
	    strcmp(method, "HEAD") != 0))
		return not_allowed;
	if (stand_in_db.answer == TABLE_UNAVAILABLE)
		return down;
	if (stand_in_db.answer == TABLE_NOMEM)
		return nomem;
	rows.head_only = strcmp(method, "HEAD") == 0;
	return rows;
}

/* Check a head of length n for status, as the worker sends it. */
static void
check_head(const char *head, int n, int status, size_t length)
{
	char	 want[64];

	require(n > 0 && (size_t)n == strlen(head));
	snprintf(want, sizeof(want), "Status: %d ", status);
	require(strncmp(head, want, strlen(want)) == 0);
	snprintf(want, sizeof(want), "\r\nContent-Length: %zu\r\n", length);
	require(strstr(head, want) != NULL);
	require(strstr(head, "\r\nCache-Control: no-store\r\n") != NULL);
	require(strstr(head, "\r\nX-Content-Type-Options: nosniff\r\n") != NULL);
	require(strstr(head, "\r\nContent-Type: application/json\r\n") != NULL);
	require(n >= 4 && strcmp(head + n - 4, "\r\n\r\n") == 0);
	require(strstr(head, "\r\n\r\n") == head + n - 4);
}

/* Check that body (len bytes) is the stand-in's rows, parsed back. */
static void
check_rows(const char *body, size_t len)
{
	cJSON		*doc;
	const cJSON	*obj, *name, *value;
	int		 r = 0;

	require(body != NULL && len == strlen(body));
	doc = cJSON_ParseWithLength(body, len);
	require(cJSON_IsArray(doc));
	require(cJSON_GetArraySize(doc) == stand_in_db.table.nrows);
	cJSON_ArrayForEach(obj, doc) {
		require(cJSON_GetArraySize(obj) == 2);
		name = cJSON_GetObjectItemCaseSensitive(obj, "name");
		value = cJSON_GetObjectItemCaseSensitive(obj, "value");
		require(cJSON_IsString(name) && strcmp(name->valuestring,
		    cells[2 * r]) == 0);
		require(cJSON_IsString(value) && strcmp(value->valuestring,
		    cells[2 * r + 1]) == 0);
		r++;
	}
	cJSON_Delete(doc);
}

/* Check that body (len bytes) is {"error": message}, parsed back. */
static void
check_error_body(const char *body, size_t len, const char *message)
{
	cJSON	*doc, *err;

	require(body != NULL && len == strlen(body));
	doc = cJSON_ParseWithLength(body, len);
	require(doc != NULL && cJSON_GetArraySize(doc) == 1);
	err = cJSON_GetObjectItemCaseSensitive(doc, "error");
	require(cJSON_IsString(err) && strcmp(err->valuestring, message) == 0);
	cJSON_Delete(doc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "name", "value" };
	static struct json_enc	 enc;	/* reused, as in the worker */
	static struct db	 db;	/* the stand-in keeps its address */
	struct route_env	 env = { &enc, &db };
	struct route_answer	 a;
	struct expected		 want;
	const uint8_t		*p = data, *end = data + size, *rest;
	char			*envp[MAX_PARAMS + 1], head[512], *small, *cell;
	const char		*method, *script, *info;
	size_t			 nlen, vlen, hsize, length;
	int			 n = 0, i, hn, status;

	/* The parameters, as libfcgi hands them over: "NAME=VALUE". */
	for (rest = p; n < MAX_PARAMS; rest = p) {
		if (read_len(&p, end, &nlen) == -1 ||
		    read_len(&p, end, &vlen) == -1 ||
		    (size_t)(end - p) < nlen || (size_t)(end - p) - nlen < vlen)
			break;
		/* "NAME=VALUE\0" for libfcgi, then "NAME\0VALUE\0": cells */
		if ((envp[n] = malloc(2 * (nlen + vlen + 2))) == NULL)
			abort();
		memcpy(envp[n], p, nlen);
		envp[n][nlen] = '=';
		memcpy(envp[n] + nlen + 1, p + nlen, vlen);
		envp[n][nlen + vlen + 1] = '\0';
		cell = envp[n] + nlen + vlen + 2;
		memcpy(cell, envp[n], nlen + vlen + 2);
		cell[nlen] = '\0';
		cells[2 * n] = cell;
		cells[2 * n + 1] = cell + nlen + 1;
		p += nlen + vlen;
		n++;
	}
	p = rest;
	envp[n] = NULL;
	stand_in_db.table = (struct table){ n, 2, names, cells };
	stand_in_db.answer = size % 3 == 0 ? TABLE_OK : size % 3 == 1 ?
	    TABLE_UNAVAILABLE : TABLE_NOMEM;
	stand_in_db.calls = 0;
	stand_in_db.db = NULL;

	method = FCGX_GetParam("REQUEST_METHOD", envp);
	script = FCGX_GetParam("SCRIPT_NAME", envp);
	info = FCGX_GetParam("PATH_INFO", envp);
	route_dispatch(&env, method, script, info, &a);
	want = expected_answer(method, script, info);
	require(a.status == want.status);
	require(strcmp(a.headers, want.headers) == 0);
	require(a.head_only == want.head_only);
	require(stand_in_db.calls == (want.status == 404 || want.status == 405 ?
	    0 : 1));
	require(stand_in_db.calls == 0 || stand_in_db.db == &db);
	if (want.error != NULL)
		check_error_body(a.body, a.len, want.error);
	else
		check_rows(a.body, a.len);

	/* The head, as main_handle writes it. */
	hn = respond_head(head, sizeof(head), a.status, a.len, a.headers);
	check_head(head, hn, a.status, a.len);
	require(strstr(head, want.headers) != NULL);

	/* respond_head with what is left: size, status, length, no more. */
	if (end - p >= 13) {
		hsize = 1 + (p[0] | (size_t)p[1] << 8) % 600;
		status = (int)((unsigned)p[2] | (unsigned)p[3] << 8 |
		    (unsigned)p[4] << 16 | (unsigned)p[5] << 24);
		length = 0;
		memcpy(&length, p + 6, 7);
		if ((small = malloc(hsize)) == NULL)
			abort();
		hn = respond_head(small, hsize, status, length, NULL);
		require(hn == -1 || ((size_t)hn < hsize && strlen(small) ==
		    (size_t)hn));
		if (hn != -1)
			check_head(small, hn, status, length);
		free(small);
	}

	for (i = 0; i < n; i++)
		free(envp[i]);
	return 0;
}
