/*
 * json.c -- the JSON encoder: a result table becomes
 * [{"col":"value",...},...] with keys in column order, via cJSON.
 *
 * The cJSON tree only references the caller's strings (no copies), its
 * nodes come from an arena that is reset for every encoding instead of
 * one malloc and one free per node, and it is printed into a buffer
 * that lives as long as the process.
 */
#include <string.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "json.h"

#define JSON_ARENA_MIN	(64 * 1024)

/* The arena that cJSON allocates from (json_arena_malloc). */
static struct {
	char	*base;
	size_t	 used, cap;
	size_t	 wanted;	/* bytes the last encoding asked for */
} json_arena;

/*
 * cJSON's malloc: n bytes from the arena, or from malloc once the arena
 * is full (the next json_arena_reset grows it).
 * Returns the memory, or NULL when memory is exhausted.
 */
static void *
json_arena_malloc(size_t n)
{
	void	*p;

	n = (n + 15) & ~(size_t)15;
	json_arena.wanted += n;
	if (json_arena.base == NULL || json_arena.cap - json_arena.used < n)
		return malloc(n);
	p = json_arena.base + json_arena.used;
	json_arena.used += n;
	return p;
}

/* cJSON's free: nothing for arena memory (the reset frees it). */
static void
json_arena_free(void *p)
{
	char	*c = p;

	if (json_arena.base != NULL && c >= json_arena.base &&
	    c < json_arena.base + json_arena.cap)
		return;
	free(p);
}

/*
 * Start a new encoding: forget every arena allocation, grow the arena if
 * the last encoding did not fit, and make cJSON allocate from it.
 * Never fails: without an arena, cJSON simply uses malloc.
 */
static void
json_arena_reset(void)
{
	static cJSON_Hooks	 hooks = { json_arena_malloc, json_arena_free };
	char			*p;
	size_t			 cap;

	if (json_arena.base == NULL || json_arena.wanted > json_arena.cap) {
		cap = json_arena.cap ? json_arena.cap : JSON_ARENA_MIN;
		while (cap < json_arena.wanted)
			cap *= 2;
		if ((p = malloc(cap)) != NULL) {
			free(json_arena.base);
			json_arena.base = p;
			json_arena.cap = cap;
		}
		cJSON_InitHooks(&hooks);
	}
	json_arena.used = json_arena.wanted = 0;
}

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
 * Encode t into b as a JSON array of objects, one per row, keys in column
 * order, SQL NULL as null.  An empty table gives "[]".
 * Returns 0 with b->data/b->len set, or -1 (out of memory, too large).
 * b stays owned by the caller (json_buf_free); t is not modified.
 */
int
json_encode_table(struct json_buf *b, const struct json_table *t)
{
	cJSON		*arr, *obj, *val;
	const char	*cell;
	size_t		 bound = 2, keys = 0;
	int		 r, c, rc = -1;

	json_arena_reset();
	if ((arr = cJSON_CreateArray()) == NULL)
		return -1;
	for (c = 0; c < t->ncols; c++)
		keys += json_string_bound(t->names[c]) + 2;
	for (r = 0; r < t->nrows; r++) {
		if ((obj = cJSON_CreateObject()) == NULL)
			goto out;
		cJSON_AddItemToArray(arr, obj);
		bound += keys + 3;
		for (c = 0; c < t->ncols; c++) {
			cell = t->cells[(size_t)r * t->ncols + c];
			val = cell == NULL ? cJSON_CreateNull() :
			    cJSON_CreateStringReference(cell);
			if (val == NULL)
				goto out;
			cJSON_AddItemToObjectCS(obj, t->names[c], val);
			bound += json_string_bound(cell);
		}
	}
	rc = json_print(b, arr, bound);
out:
	cJSON_Delete(arr);
	return rc;
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

	json_arena_reset();
	if ((obj = cJSON_CreateObject()) == NULL)
		return -1;
	if (cJSON_AddItemToObjectCS(obj, "error",
	    cJSON_CreateStringReference(message)))
		rc = json_print(b, obj, 16 + json_string_bound(message));
	cJSON_Delete(obj);
	return rc;
}

/*
 * Release b's memory and the arena; both may be used again afterwards.
 */
void
json_buf_free(struct json_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	cJSON_InitHooks(NULL);
	free(json_arena.base);
	memset(&json_arena, 0, sizeof(json_arena));
}
