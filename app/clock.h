/*
 * clock.h -- the one clock the worker's deadlines are measured on.
 */
#ifndef USERS_FCGI_CLOCK_H
#define USERS_FCGI_CLOCK_H

#include <time.h>

/* Milliseconds on the monotonic clock (not wall time: a clock step does
 * not move a deadline).  Pure, no state. */
static inline long long
clock_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
