/*
 * fuzz_json.c -- libFuzzer harness for the JSON encoder (app/json.c).
 *
 * Input: a byte giving the number of columns (1 + b % 4), then cells
 * separated by NUL bytes: first the column names, then the values, row
 * after row (an incomplete last row is dropped); a value that is the
 * single byte 0xff stands for SQL NULL.
 *
 * Checked besides what ASan and UBSan catch: encoding succeeds, the
 * output is one NUL-terminated string of the reported length, and it
 * parses back (cJSON) to exactly the table: one object per row, keys in
 * column order, every value equal to its cell, NULL as null.  The output
 * buffer is reused from one input to the next, as in the worker.  The
 * same holds for json_enc_pair(enc, "error", message) with the first
 * cell as the message.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "json.h"
#include "fuzz.h"

#define MAX_CELLS	4096

/* Check that doc is exactly t. */
static void
check_table(const cJSON *doc, const struct table *t)
{
	const cJSON	*obj, *val;
	const char	*cell;
	int		 r = 0, c;

	require(cJSON_IsArray(doc));
	require(cJSON_GetArraySize(doc) == t->nrows);
	cJSON_ArrayForEach(obj, doc) {
		require(cJSON_IsObject(obj));
		c = 0;
		cJSON_ArrayForEach(val, obj) {
			require(c < t->ncols);
			require(strcmp(val->string, t->names[c]) == 0);
			cell = t->cells[(size_t)r * t->ncols + c];
			if (cell == NULL)
				require(cJSON_IsNull(val));
			else
				require(cJSON_IsString(val) &&
				    strcmp(val->valuestring, cell) == 0);
			c++;
		}
		require(c == t->ncols);
		r++;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct json_enc	 enc;	/* all zero: as json_enc_init leaves it */
	static const char	 null_cell[] = "\xff";
	struct table	 t;
	const char		*cells[MAX_CELLS];
	char			*copy, *p, *end;
	cJSON			*doc, *err;
	int			 ncols, n = 0;

	if (size < 1)
		return 0;
	ncols = 1 + data[0] % 4;
	/* A NUL-terminated copy, cut at every NUL byte into cells. */
	if ((copy = malloc(size)) == NULL)
		abort();
	memcpy(copy, data + 1, size - 1);
	copy[size - 1] = '\0';
	end = copy + size - 1;
	for (p = copy; n < MAX_CELLS; p += strlen(p) + 1) {
		cells[n] = p;
		if (n >= ncols && strcmp(p, null_cell) == 0)
			cells[n] = NULL;
		n++;
		if (p + strlen(p) >= end)
			break;
	}
	if (n < ncols) {
		free(copy);
		return 0;
	}
	t.ncols = ncols;
	t.nrows = (n - ncols) / ncols;
	t.names = cells;
	t.cells = cells + ncols;

	require(json_enc_table(&enc, &t) == 0);
	require(enc.data != NULL && enc.len == strlen(enc.data));
	doc = cJSON_ParseWithLength(enc.data, enc.len);
	require(doc != NULL);
	check_table(doc, &t);
	cJSON_Delete(doc);

	require(json_enc_pair(&enc, "error", cells[0]) == 0);
	require(enc.len == strlen(enc.data));
	doc = cJSON_ParseWithLength(enc.data, enc.len);
	require(doc != NULL);
	err = cJSON_GetObjectItemCaseSensitive(doc, "error");
	require(cJSON_IsString(err) && strcmp(err->valuestring, cells[0]) == 0);
	require(cJSON_GetArraySize(doc) == 1);
	cJSON_Delete(doc);

	free(copy);
	return 0;
}
