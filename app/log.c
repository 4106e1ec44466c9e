/*
 * log.c -- the error line (log.h).  Each line is written with a single
 * write(2), so that lines of the five workers sharing one error log never
 * interleave; a message too long for LOG_LINE_MAX is cut.
 */
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX	1024

/*
 * Write one line: the prefix, fmt formatted with the arguments, a
 * newline.  Returns nothing: a log that cannot be written is not
 * reported.
 */
void
log_at(const char *file, int line, const char *fmt, ...)
{
	char	 buf[LOG_LINE_MAX];
	size_t	 cap = sizeof(buf) - 1;	/* room for the newline */
	va_list	 ap;
	int	 n, m;

	n = snprintf(buf, cap, "users-fcgi[%ld]: %s:%d: ", (long)getpid(),
	    file, line);
	if (n < 0)
		return;
	if ((size_t)n >= cap)
		n = cap - 1;
	va_start(ap, fmt);
	m = vsnprintf(buf + n, cap - n, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	n = (size_t)m >= cap - n ? (int)cap - 1 : n + m;
	buf[n++] = '\n';
	if (write(STDERR_FILENO, buf, n) == -1)
		return;
}
