/*
 * Unit tests of app/respond.c: the head of every response.
 */
#include "respond.h"
#include "unit.h"

int
main(void)
{
	char	 buf[512];
	int	 n;

	n = respond_head(buf, sizeof(buf), 200, 10283, NULL);
	unit_streq("200 head", n > 0 ? buf : NULL,
	    "Status: 200 OK\r\nContent-Type: application/json\r\n"
	    "Content-Length: 10283\r\nCache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\n\r\n");
	unit_check(n == (int)strlen(buf), "returns the length", "differs");

	n = respond_head(buf, sizeof(buf), 405, 30, "Allow: GET, HEAD\r\n");
	unit_streq("405 head with Allow", n > 0 ? buf : NULL,
	    "Status: 405 Method Not Allowed\r\nContent-Type: application/json"
	    "\r\nContent-Length: 30\r\nCache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\nAllow: GET, HEAD\r\n\r\n");

	n = respond_head(buf, sizeof(buf), 503, 0, NULL);
	unit_check(n > 0 && strncmp(buf, "Status: 503 Service Unavailable\r\n",
	    33) == 0, "503 reason", buf);
	n = respond_head(buf, sizeof(buf), 404, 0, NULL);
	unit_check(n > 0 && strncmp(buf, "Status: 404 Not Found\r\n", 23) == 0,
	    "404 reason", buf);
	unit_check(respond_head(buf, sizeof(buf), 299, 0, NULL) == -1,
	    "an unknown status is refused", "accepted");
	unit_check(respond_head(buf, 40, 200, 0, NULL) == -1,
	    "a short buffer is refused, not overrun", "accepted");
	return unit_done();
}
