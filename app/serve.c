/*
 * serve.c -- the worker's FastCGI serving loop.
 *
 * The web server's listening socket is made non-blocking and polled
 * together with every connection the server keeps open (FCGI_KEEP_CONN);
 * each connection has its own FCGX_Request.  Whatever is readable gets
 * its next request read by libfcgi's FCGX_Accept_r -- from the kept
 * connection, or from a connection it accepts (applying
 * FCGI_WEB_SERVER_ADDRS and TCP_NODELAY as usual) -- answered by the
 * handler, and ended.  One request at a time, but no connection waits
 * behind another: a server keeping more connections than there are
 * workers (nginx's upstream keepalive) never stalls.  A server that
 * closes each connection after its request (lighttpd) gets the same
 * service as from a plain accept loop.
 *
 * libfcgi shows a request's connection only as ipcFd ("< 0 means no
 * connection"); this file reads it, to poll it, and never writes it.
 *
 * The stop signals (SIGTERM, SIGUSR1) are blocked except while waiting
 * in ppoll: a stop (serve_stop, from the signal handler) takes effect
 * between requests, never in the middle of one, and a signal arriving
 * just before the wait cannot be missed.
 *
 * Closing: libfcgi's close lingers (shutdown, then up to 2 s of reading
 * until the server closes its end, during which the worker serves
 * nobody); it protects the response from a reset by unread input left
 * in the socket.  The request's input is read to its end first, then
 * FCGX_Detach makes the close a plain close().
 */
#define _GNU_SOURCE	/* ppoll */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "serve.h"

/* Most connections one worker keeps open at once. */
#define SERVE_MAX_CONNS	1024
/* Most input bytes read and dropped after a request (nginx's default
 * client_max_body_size): beyond that, libfcgi's lingering close. */
#define SERVE_DRAIN_MAX	(1024 * 1024)

struct serve_loop {
	int		 listen_fd;
	serve_handler	*handler;
	void		*ctx;
	FCGX_Request	*reqs;	/* n open connections, room for cap */
	struct pollfd	*pfds;	/* [0] listening socket, [1 + i] reqs[i] */
	int		 n;
	int		 cap;
};

static volatile sig_atomic_t serve_stopping;

/*
 * Make serve_run return before its next wait.  Async-signal-safe: for
 * the stop signals' handler.  Returns nothing.
 */
void
serve_stop(void)
{
	serve_stopping = 1;
}

/*
 * Double the room for connections (8 at first).  Only called between
 * requests: an FCGX_Request may move then (its streams and parameters
 * are freed, nothing points into it).
 * Returns 0, or -1 when memory is exhausted or SERVE_MAX_CONNS reached.
 */
static int
serve_grow(struct serve_loop *s)
{
	FCGX_Request	*reqs;
	struct pollfd	*pfds;
	int		 cap = s->cap ? s->cap * 2 : 8;

	if (cap > SERVE_MAX_CONNS)
		return -1;
	if ((reqs = realloc(s->reqs, cap * sizeof(*reqs))) == NULL)
		return -1;
	s->reqs = reqs;
	if ((pfds = realloc(s->pfds, (cap + 1) * sizeof(*pfds))) == NULL)
		return -1;
	s->pfds = pfds;
	s->cap = cap;
	return 0;
}

/*
 * End req's request: read its input to the end (at most SERVE_DRAIN_MAX
 * bytes), so that a kept connection is ready for the next request and
 * no unread input is left; if it was all read, make the close a plain
 * close() (FCGX_Detach).  Then libfcgi flushes the response, ends the
 * request, and closes the connection unless the server keeps it (or on
 * an error).  Returns nothing.
 */
static void
serve_end(FCGX_Request *req)
{
	char	 buf[4096];
	long	 left = SERVE_DRAIN_MAX;
	int	 n;

	while (left > 0 && (n = FCGX_GetStr(buf, sizeof(buf), req->in)) > 0)
		left -= n;
	if (FCGX_HasSeenEOF(req->in) == EOF)
		(void)FCGX_Detach(req);
	FCGX_Finish_r(req);
}

/*
 * Read the next request on connection i (on a fresh slot: accept a
 * connection and read its first request), answer it and end it.  A
 * connection that had no request (the server closed it, or there was
 * none to accept) or that is closed after its request leaves the table:
 * the last one takes slot i.
 * Returns 0, or -1 if accepting failed in a way that ends the loop.
 */
static int
serve_next(struct serve_loop *s, int i)
{
	FCGX_Request	*req = &s->reqs[i];
	int		 rc;

	if ((rc = FCGX_Accept_r(req)) >= 0) {
		s->handler(req, s->ctx);
		serve_end(req);
		if (req->ipcFd >= 0)
			return 0;
	}
	s->reqs[i] = s->reqs[--s->n];
	if (rc >= 0 || rc == -EAGAIN || rc == -EINTR || serve_stopping)
		return 0;
	log_error("accept: %s", rc > -9999 ? strerror(-rc) : "failed");
	return -1;
}

/*
 * Take a new connection into a new slot and serve its first request.
 * Returns 0, or -1 on a failure that ends the loop.
 */
static int
serve_accept(struct serve_loop *s)
{
	if (s->n == s->cap && serve_grow(s) == -1) {
		log_error("no room for connection %d", s->n + 1);
		return -1;
	}
	FCGX_InitRequest(&s->reqs[s->n], s->listen_fd,
	    FCGI_FAIL_ACCEPT_ON_INTR);
	s->n++;
	return serve_next(s, s->n - 1);
}

/*
 * Wait, with open_mask as the signal mask, until the listening socket or
 * a connection is readable or a signal arrives; then serve one request
 * on each readable connection, and a new connection if one waits.
 * Returns 0, or -1 on a failure that ends the loop.
 */
static int
serve_wait(struct serve_loop *s, const sigset_t *open_mask)
{
	int	 i;

	/* A full table leaves new connections to the other workers. */
	s->pfds[0].fd = s->n < SERVE_MAX_CONNS ? s->listen_fd : -1;
	s->pfds[0].events = POLLIN;
	for (i = 0; i < s->n; i++) {
		s->pfds[i + 1].fd = s->reqs[i].ipcFd;
		s->pfds[i + 1].events = POLLIN;
	}
	if (ppoll(s->pfds, s->n + 1, NULL, open_mask) == -1) {
		if (errno == EINTR)
			return 0;
		log_error("poll: %s", strerror(errno));
		return -1;
	}
	/* Downwards: serve_next moves the last connection into a freed slot. */
	for (i = s->n - 1; i >= 0; i--)
		if (s->pfds[i + 1].revents != 0 && serve_next(s, i) == -1)
			return -1;
	return s->pfds[0].revents != 0 ? serve_accept(s) : 0;
}

/*
 * Serve FastCGI requests arriving on listen_fd (made non-blocking),
 * calling handler(req, ctx) for each, until serve_stop is called (by a
 * SIGTERM or SIGUSR1 handler the caller installed; this blocks both
 * outside its waits).  FCGX_Init must have been called.  The kept
 * connections are closed on return and the signal mask restored.
 * Returns 0 after a stop, or -1 on a failure (logged).
 */
int
serve_run(int listen_fd, serve_handler *handler, void *ctx)
{
	struct serve_loop	 s = { listen_fd, handler, ctx, NULL, NULL, 0, 0 };
	sigset_t		 stop, saved, open_mask;
	int			 flags, rc = -1, i;

	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGUSR1);
	if ((flags = fcntl(listen_fd, F_GETFL)) == -1 ||
	    fcntl(listen_fd, F_SETFL, flags | O_NONBLOCK) == -1 ||
	    sigprocmask(SIG_BLOCK, &stop, &saved) == -1) {
		log_error("cannot set up the listening socket: %s",
		    strerror(errno));
		return -1;
	}
	open_mask = saved;
	sigdelset(&open_mask, SIGTERM);
	sigdelset(&open_mask, SIGUSR1);
	if (serve_grow(&s) == -1) {
		log_error("out of memory");
		goto done;
	}
	while (!serve_stopping)
		if (serve_wait(&s, &open_mask) == -1)
			goto done;
	rc = 0;
done:
	for (i = 0; i < s.n; i++)
		FCGX_Free(&s.reqs[i], 1);
	free(s.reqs);
	free(s.pfds);
	sigprocmask(SIG_SETMASK, &saved, NULL);
	return rc;
}
