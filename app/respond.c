/*
 * respond.c -- format the head of a CGI response.  Pure: no I/O.
 *
 * Every response is JSON, is never cached, and is never sniffed.
 */
#include <stdio.h>

#include "respond.h"

static const struct respond_status {
	int		 code;
	const char	*reason;
} respond_statuses[] = {
	{ 200, "OK" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 500, "Internal Server Error" },
	{ 503, "Service Unavailable" },
};

#define RESPOND_STATUSES_LEN \
	(sizeof(respond_statuses) / sizeof(respond_statuses[0]))

/*
 * Write the head of a response with the given status and Content-Length
 * into buf (size bytes), followed by extra header lines (each ending in
 * "\r\n"; NULL for none) and the blank line.
 * Returns the length written (buf is NUL-terminated), or -1 if status is
 * unknown or buf is too small.
 */
int
respond_head(char *buf, size_t size, int status, size_t length,
    const char *extra)
{
	size_t	 i;
	int	 n;

	for (i = 0; i < RESPOND_STATUSES_LEN; i++)
		if (respond_statuses[i].code == status)
			break;
	if (i == RESPOND_STATUSES_LEN)
		return -1;
	n = snprintf(buf, size,
	    "Status: %d %s\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: %zu\r\n"
	    "Cache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "%s\r\n",
	    status, respond_statuses[i].reason, length,
	    extra == NULL ? "" : extra);
	return n < 0 || (size_t)n >= size ? -1 : n;
}
