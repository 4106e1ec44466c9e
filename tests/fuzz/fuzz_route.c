/*
 * fuzz_route.c -- libFuzzer harness: FastCGI parameters -> route ->
 * status line and headers -> JSON error body, as the worker's request
 * loop (app/main.c) does it, without the network and the database.
 *
 * Input: FastCGI name-value pairs, encoded as in a PARAMS record (a
 * length of 1 byte, or of 4 bytes with the high bit set, for the name
 * and for the value, then both), until the input runs out; what remains
 * after the last whole pair (at least 13 bytes) chooses a buffer size, a
 * status and a length for a direct call of respond_head.
 *
 * Checked besides what ASan and UBSan catch: the route is what the
 * specification says (GET or HEAD of exactly /users, 405 for another
 * method there, 404 elsewhere); every head is well-formed, carries both
 * hygiene headers and fits the worker's 512-byte buffer; respond_head
 * never writes past the size it is given; error bodies parse back.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <fcgiapp.h>

#include "json.h"
#include "respond.h"
#include "route.h"
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

/* What the specification says the route of a request is. */
static enum route
expected_route(const char *method, const char *script_name,
    const char *path_info)
{
	char	 path[16];
	size_t	 a = script_name ? strlen(script_name) : 0;
	size_t	 b = path_info ? strlen(path_info) : 0;

	if (a + b != strlen("/users"))
		return ROUTE_NOT_FOUND;
	memcpy(path, script_name ? script_name : "", a);
	memcpy(path + a, path_info ? path_info : "", b);
	path[a + b] = '\0';
	if (strcmp(path, "/users") != 0)
		return ROUTE_NOT_FOUND;
	if (method != NULL && strcmp(method, "GET") == 0)
		return ROUTE_USERS;
	if (method != NULL && strcmp(method, "HEAD") == 0)
		return ROUTE_USERS_HEAD;
	return ROUTE_NOT_ALLOWED;
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

/* The body of an error: {"error": message}, parsed back. */
static void
check_error_body(struct json_enc *b, const char *message)
{
	cJSON	*doc, *err;

	require(json_enc_pair(b, "error", message) == 0);
	require(b->len == strlen(b->data));
	doc = cJSON_ParseWithLength(b->data, b->len);
	require(doc != NULL);
	err = cJSON_GetObjectItemCaseSensitive(doc, "error");
	require(cJSON_IsString(err) && strcmp(err->valuestring, message) == 0);
	cJSON_Delete(doc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct json_enc	 body;
	const uint8_t		*p = data, *end = data + size, *rest;
	char			*envp[MAX_PARAMS + 1], head[512], *small;
	const char		*method, *script, *info, *extra;
	size_t			 nlen, vlen, hsize, length;
	int			 n = 0, i, hn, status;
	enum route		 r;

	/* The parameters, as libfcgi hands them over: "NAME=VALUE". */
	for (rest = p; n < MAX_PARAMS; rest = p) {
		if (read_len(&p, end, &nlen) == -1 ||
		    read_len(&p, end, &vlen) == -1 ||
		    (size_t)(end - p) < nlen || (size_t)(end - p) - nlen < vlen)
			break;
		if ((envp[n] = malloc(nlen + vlen + 2)) == NULL)
			abort();
		memcpy(envp[n], p, nlen);
		envp[n][nlen] = '=';
		memcpy(envp[n] + nlen + 1, p + nlen, vlen);
		envp[n][nlen + vlen + 1] = '\0';
		p += nlen + vlen;
		n++;
	}
	p = rest;
	envp[n] = NULL;

	method = FCGX_GetParam("REQUEST_METHOD", envp);
	script = FCGX_GetParam("SCRIPT_NAME", envp);
	info = FCGX_GetParam("PATH_INFO", envp);
	r = route_request(method, script, info);
	require(r == expected_route(method, script, info));

	/* The answer main_handle gives for that route. */
	length = 0;
	extra = NULL;
	switch (r) {
	case ROUTE_USERS:
	case ROUTE_USERS_HEAD:
		status = 200;
		length = size * 1000;	/* any body length */
		break;
	case ROUTE_NOT_ALLOWED:
		status = 405;
		extra = "Allow: " ROUTE_USERS_ALLOW "\r\n";
		check_error_body(&body, "method not allowed");
		length = body.len;
		break;
	default:
		status = 404;
		check_error_body(&body, "not found");
		length = body.len;
		break;
	}
	hn = respond_head(head, sizeof(head), status, length, extra);
	check_head(head, hn, status, length);
	hn = respond_head(head, sizeof(head), 503, 32, "Retry-After: 1\r\n");
	check_head(head, hn, 503, 32);

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
