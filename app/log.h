/*
 * log.h -- one way to report errors: a line on stderr (the web server's
 * error log) with the program, the process, the file and the line.
 */
#ifndef USERS_FCGI_LOG_H
#define USERS_FCGI_LOG_H

#include <stdio.h>
#include <unistd.h>

#define log_error(...) log_line(__FILE__, __LINE__, __VA_ARGS__)

#define log_line(file, line, fmt, ...)					\
	fprintf(stderr, "users-fcgi[%ld]: %s:%d: " fmt "\n",		\
	    (long)getpid(), (file), (line), __VA_ARGS__)

#endif
