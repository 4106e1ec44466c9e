/*
 * json.c -- the JSON encoder: a result table becomes
 * [{"col":"value",...},...] with keys in column order, via cJSON.
 *
 * The cJSON tree only references the caller's strings (no copies).  It is
 * built once and kept: every encoding of a table of the same shape (rows
 * and columns) only points its nodes at the new keys and values, so a
 * request allocates nothing.  It is printed into a buffer that lives as
 * long as the process.
 */
#include <string.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "json.h"

/* The tree of the last table encoded, and its shape. */
static struct {
	cJSON	*root;
	int	 nrows, ncols;
} json_tree;

/*
 * Make room for at least need bytes in b.
 * Returns 0 on success, -1 when memory is exhausted (b is unchanged).
 */
static int
json_buf_reserve(struct json_buf *b, size_t need)
{
	char	*p;
	size_t	 cap;

	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 16384;
	while (cap < need)
		cap *= 2;
	if ((p = realloc(b->data, cap)) == NULL)
		return -1;
	b->data = p;
	b->cap = cap;
	return 0;
}

/*
 * Upper bound of the encoded size of s: every byte may become a \u00XX
 * escape (6 bytes), plus the two quotes.
 */
static size_t
json_string_bound(const char *s)
{
	return s == NULL ? 4 : strlen(s) * 6 + 2;
}

/*
 * Print tree into b with room for bound bytes (cJSON asks for 5 spare).
 * Returns 0 and sets b->len, or -1 on failure.  The tree is not freed.
 */
static int
json_print(struct json_buf *b, cJSON *tree, size_t bound)
{
	bound += 5 + 1;
	if (bound > 0x7fffffff || json_buf_reserve(b, bound) == -1)
		return -1;
	if (!cJSON_PrintPreallocated(tree, b->data, (int)bound, 0))
		return -1;
	b->len = strlen(b->data);
	return 0;
}

/*
 * Replace the kept tree by one of nrows objects of ncols members each
 * (placeholders: json_tree_point fills them).
 * Returns 0, or -1 when memory is exhausted (then no tree is kept).
 */
static int
json_tree_build(int nrows, int ncols)
{
	cJSON	*obj, *val;
	int	 r, c;

	cJSON_Delete(json_tree.root);
	memset(&json_tree, 0, sizeof(json_tree));
	if ((json_tree.root = cJSON_CreateArray()) == NULL)
		return -1;
	for (r = 0; r < nrows; r++) {
		if ((obj = cJSON_CreateObject()) == NULL)
			goto fail;
		cJSON_AddItemToArray(json_tree.root, obj);
		for (c = 0; c < ncols; c++) {
			if ((val = cJSON_CreateNull()) == NULL)
				goto fail;
			cJSON_AddItemToObjectCS(obj, "", val);
		}
	}
	json_tree.nrows = nrows;
	json_tree.ncols = ncols;
	return 0;
fail:
	cJSON_Delete(json_tree.root);
	json_tree.root = NULL;
	return -1;
}

/*
 * Point the kept tree's keys and values at t's names and cells: a
 * string reference, or null for SQL NULL.  Neither is ever freed by
 * cJSON (IsReference, StringIsConst).
 * Returns the upper bound of the printed size.
 */
static size_t
json_tree_point(const struct table *t)
{
	const cJSON	*obj;
	cJSON		*val;
	const char	*cell;
	size_t		 bound = 2, keys = 0, i = 0;
	int		 c;

	for (c = 0; c < t->ncols; c++)
		keys += json_string_bound(t->names[c]) + 2;
	cJSON_ArrayForEach(obj, json_tree.root) {
		bound += keys + 3;
		c = 0;
		cJSON_ArrayForEach(val, obj) {
			cell = t->cells[i++];
			val->string = (char *)t->names[c++];
			val->valuestring = (char *)cell;
			val->type = cJSON_StringIsConst | (cell == NULL ?
			    cJSON_NULL : cJSON_String | cJSON_IsReference);
			bound += json_string_bound(cell);
		}
	}
	return bound;
}

/*
 * Encode t into b as a JSON array of objects, one per row, keys in column
 * order, SQL NULL as null.  An empty table gives "[]".
 * Returns 0 with b->data/b->len set, or -1 (out of memory, too large).
 * b stays owned by the caller (json_buf_free); t is not modified and is
 * not referenced once this returns.
 */
int
json_encode_table(struct json_buf *b, const struct table *t)
{
	size_t	 bound;

	if ((json_tree.root == NULL || json_tree.nrows != t->nrows ||
	    json_tree.ncols != t->ncols) &&
	    json_tree_build(t->nrows, t->ncols) == -1)
		return -1;
	bound = json_tree_point(t);
	return json_print(b, json_tree.root, bound);
}

/*
 * Encode {"error":"<message>"} into b.
 * Returns 0 or -1 as json_encode_table does.
 */
int
json_encode_error(struct json_buf *b, const char *message)
{
	cJSON	*obj;
	int	 rc = -1;

	if ((obj = cJSON_CreateObject()) == NULL)
		return -1;
	if (cJSON_AddItemToObjectCS(obj, "error",
	    cJSON_CreateStringReference(message)))
		rc = json_print(b, obj, 16 + json_string_bound(message));
	cJSON_Delete(obj);
	return rc;
}

/*
 * Release b's memory and the kept tree; both may be used again
 * afterwards.
 */
void
json_buf_free(struct json_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	cJSON_Delete(json_tree.root);
	memset(&json_tree, 0, sizeof(json_tree));
}
