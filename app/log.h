/*
 * log.h -- one way to report errors: a line on stderr (the web server's
 * error log) with the program, the process, the file and the line:
 *
 *	users-fcgi[<pid>]: <file>:<line>: <message>
 *
 * The one idiom: log_error("text"), or log_error("format", args...) with
 * a literal printf format (checked by the compiler).
 */
#ifndef USERS_FCGI_LOG_H
#define USERS_FCGI_LOG_H

#define log_error(...)	log_at(__FILE__, __LINE__, __VA_ARGS__)

void	log_at(const char *file, int line, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

#endif
