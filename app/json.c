/*
 * json.c -- the JSON encoder: a table becomes [{"col":"value",...},...]
 * with keys in column order, via cJSON.
 *
 * The cJSON tree only references the caller's strings (no copies).  It is
 * built once and kept in the struct json_enc: every encoding of a table
 * of the same shape (rows and columns) only points its nodes at the new
 * keys and values, so a request allocates nothing.  It is printed into
 * the encoder's buffer, which grows as needed and is reused.
 */
#include <string.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "json.h"

/* The largest text printed (cJSON counts in int). */
#define JSON_ENC_MAX	((size_t)1 << 30)

/* Make e empty: no buffer, no tree.  Returns nothing; never fails. */
void
json_enc_init(struct json_enc *e)
{
	memset(e, 0, sizeof(*e));
}

/*
 * Make room for at least need bytes in e's buffer.
 * Returns 0 on success, -1 when memory is exhausted (e is unchanged).
 */
static int
json_enc_reserve(struct json_enc *e, size_t need)
{
	char	*p;
	size_t	 cap;

	if (need <= e->cap)
		return 0;
	cap = e->cap ? e->cap : 16384;
	while (cap < need)
		cap *= 2;
	if ((p = realloc(e->data, cap)) == NULL)
		return -1;
	e->data = p;
	e->cap = cap;
	return 0;
}

/*
 * Print tree into e's buffer.  Its size is not computed first (that is a
 * strlen of every string): the buffer is tried as it is (16 KiB at
 * first) and doubled until cJSON fits the text, which it never
 * overruns, so a text no larger than the last one costs one print.
 * Returns 0 and sets e->len, or -1 when memory is exhausted or the text
 * would exceed JSON_ENC_MAX.  The tree stays the caller's.
 */
static int
json_enc_print(struct json_enc *e, cJSON *tree)
{
	size_t	 need = e->cap > 0 ? e->cap : 1;

	for (;;) {
		if (need > JSON_ENC_MAX || json_enc_reserve(e, need) == -1)
			return -1;
		if (cJSON_PrintPreallocated(tree, e->data, (int)e->cap, 0))
			break;
		need = e->cap + 1;	/* json_enc_reserve doubles */
	}
	e->len = strlen(e->data);
	return 0;
}

/* Delete e's tree, if any.  Returns nothing; never fails. */
static void
json_enc_drop_tree(struct json_enc *e)
{
	cJSON_Delete(e->tree);
	e->tree = NULL;
	e->nrows = e->ncols = 0;
}

/*
 * Replace e's tree by one of nrows objects of ncols members each
 * (placeholders: json_enc_point fills them).
 * Returns 0, or -1 when memory is exhausted (then e keeps no tree).
 */
static int
json_enc_build(struct json_enc *e, int nrows, int ncols)
{
	cJSON	*obj, *val;
	int	 r, c;

	json_enc_drop_tree(e);
	if ((e->tree = cJSON_CreateArray()) == NULL)
		return -1;
	for (r = 0; r < nrows; r++) {
		if ((obj = cJSON_CreateObject()) == NULL)
			goto fail;
		cJSON_AddItemToArray(e->tree, obj);
		for (c = 0; c < ncols; c++) {
			if ((val = cJSON_CreateNull()) == NULL)
				goto fail;
			cJSON_AddItemToObjectCS(obj, "", val);
		}
	}
	e->nrows = nrows;
	e->ncols = ncols;
	return 0;
fail:
	json_enc_drop_tree(e);
	return -1;
}

/*
 * Point e's tree's keys and values at t's names and cells: a string
 * reference, or null for SQL NULL.  Neither is ever freed by cJSON
 * (IsReference, StringIsConst).  Returns nothing.
 */
static void
json_enc_point(struct json_enc *e, const struct table *t)
{
	const cJSON	*obj;
	cJSON		*val;
	const char	*cell;
	size_t		 i = 0;
	int		 c;

	cJSON_ArrayForEach(obj, e->tree) {
		c = 0;
		cJSON_ArrayForEach(val, obj) {
			cell = t->cells[i++];
			val->string = (char *)t->names[c++];
			val->valuestring = (char *)cell;
			val->type = cJSON_StringIsConst | (cell == NULL ?
			    cJSON_NULL : cJSON_String | cJSON_IsReference);
		}
	}
}

/*
 * Encode t into e as a JSON array of objects, one per row, keys in column
 * order, SQL NULL as null.  An empty table gives "[]".
 * Returns 0 with e->data/e->len set (valid until e's next use), or -1
 * (out of memory, too large).  t is not modified and not referenced once
 * this returns.
 */
int
json_enc_table(struct json_enc *e, const struct table *t)
{
	if ((e->tree == NULL || e->nrows != t->nrows ||
	    e->ncols != t->ncols) &&
	    json_enc_build(e, t->nrows, t->ncols) == -1)
		return -1;
	json_enc_point(e, t);
	return json_enc_print(e, e->tree);
}

/*
 * Encode {"name":"value"} into e (e.g. {"error":"not found"}).  The kept
 * table tree is left as it is.
 * Returns 0 or -1 as json_enc_table does.
 */
int
json_enc_pair(struct json_enc *e, const char *name, const char *value)
{
	cJSON	*obj;
	int	 rc = -1;

	if ((obj = cJSON_CreateObject()) == NULL)
		return -1;
	if (cJSON_AddItemToObjectCS(obj, name,
	    cJSON_CreateStringReference(value)))
		rc = json_enc_print(e, obj);
	cJSON_Delete(obj);
	return rc;
}

/*
 * Free everything e holds (buffer and tree); e->data becomes NULL.  e may
 * be initialised and used again afterwards.  Returns nothing.
 */
void
json_enc_free(struct json_enc *e)
{
	json_enc_drop_tree(e);
	free(e->data);
	json_enc_init(e);
}
