/*
 * serve.c -- the worker's FastCGI serving loop.
 *
 * The web server's listening socket is made non-blocking and polled
 * together with every connection the worker holds: new ones and those
 * the server keeps open (FCGI_KEEP_CONN), each with its own FCGX_Request.
 * Each round serves one request on every connection whose request head
 * has arrived, and accepts new connections (applying FCGI_WEB_SERVER_ADDRS
 * and TCP_NODELAY as libfcgi does): one more than the kept connections
 * that were readable or hung up, less the new ones it holds whose first
 * request is not served yet (ready or still arriving: a worker that took
 * a connection before its head arrived takes no second one behind it,
 * while other workers are free).  So the listening
 * queue, shared by all workers, gets as many turns as the kept
 * connections, which are the worker's alone: neither starves the other,
 * and a server keeping more connections than there are workers (nginx's
 * upstream keepalive) never stalls.  Without kept connections (lighttpd,
 * or nginx across hosts) a worker holds one request at a time, leaving
 * the others to whichever worker is free first: a slow request (the
 * database's deadline) holds up no request but its own.
 *
 * No peer can hold the worker on a request head.  libfcgi reads blocking and
 * trusts the lengths it reads (a 4-byte name length of 0x7ffffffe makes
 * it abort), so it gets a request only once its whole head -- BEGIN_REQUEST
 * and the PARAMS records up to the empty one, at most SERVE_HEAD_MAX
 * bytes -- is in the socket and every length in it has been checked
 * (serve_head, reading with MSG_PEEK).  A connection whose head is
 * malformed, or not complete SERVE_HEAD_MS after its first byte (after
 * the accept, for a new connection), is closed; so is a management
 * record (FCGI_GET_VALUES: the fronts never send one).  The rest of a
 * request (its FCGI_STDIN) is read with SO_RCVTIMEO = SERVE_READ_MS per
 * read, and no new read starts after SERVE_READ_MS (a peer trickling
 * bytes into one libfcgi read can stretch that; the answer's writes
 * have no timeout).  An idle kept connection costs nothing but its
 * slot.
 *
 * Requests on a kept connection are read one at a time: a request that
 * is already behind the one being read (pipelined: the fronts never do
 * this) is not answered; the connection is closed after the first
 * answer, so that the peer sees a close, not silence.
 *
 * libfcgi shows a request's connection only as ipcFd ("< 0 means no
 * connection").  This file hands it a connection it accepted itself by
 * setting ipcFd and keepConnection before FCGX_Accept_r (which then reads
 * from ipcFd instead of accepting, and does not close it first); the
 * requests' listening socket is -1, so libfcgi never accepts.
 *
 * The stop signals (SIGTERM, SIGUSR1) are blocked except while waiting
 * in ppoll: a stop (serve_stop, from the signal handler) takes effect
 * between requests, never in the middle of one, and a signal arriving
 * just before the wait cannot be missed.  Every step outside the wait is
 * bounded (a request by the database's deadline, reads by SERVE_READ_MS),
 * so a stop is honoured within that.  After a stop the worker accepts no
 * more, closes its kept connections and answers the new ones it already
 * accepted (serve_drain), whose heads are due within SERVE_HEAD_MS.
 *
 * Closing: libfcgi's close lingers (shutdown, then up to 2 s of reading
 * until the server closes its end, during which the worker serves
 * nobody); it protects the response from a reset by unread input left
 * in the socket.  Instead, the request's input is read to its end first
 * (serve_end), and FCGX_Detach makes the close a plain close(); a
 * connection closed with input unread is shut down for writing and what
 * input is there read first (serve_drop).
 */
#define _GNU_SOURCE	/* ppoll, accept4 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <fastcgi.h>

#include "clock.h"
#include "log.h"
#include "serve.h"

/* Most connections one worker holds at once. */
#define SERVE_MAX_CONNS		1024
/* Largest request head (BEGIN_REQUEST and PARAMS records) taken. */
#define SERVE_HEAD_MAX		(64 * 1024)
/* How long a request head may take to arrive, from its first byte. */
#define SERVE_HEAD_MS		1000
/* How often a partly arrived head is looked at again. */
#define SERVE_RETRY_MS		10
/* How long reading the rest of a request (FCGI_STDIN) may take. */
#define SERVE_READ_MS		500
/* Most input bytes read and dropped after a request (nginx's default
 * client_max_body_size). */
#define SERVE_DRAIN_MAX		(1024 * 1024)

enum serve_head_status {
	HEAD_MORE,	/* well-formed so far, not all there yet */
	HEAD_OK,	/* all there and well-formed */
	HEAD_BAD	/* malformed, too large, or not a request */
};

struct serve_conn {
	FCGX_Request	 req;
	int		 fd;
	long long	 due;		/* ms: head due by then; 0: idle */
	int		 partial;	/* some of its head is in */
	int		 kept;		/* it had a request before */
	short		 revents;
};

struct serve_loop {
	int		 listen_fd;
	serve_handler	*handler;
	void		*ctx;
	const char	*allowed;	/* FCGI_WEB_SERVER_ADDRS, or NULL */
	struct serve_conn *conns;	/* n open connections, room for cap */
	struct pollfd	*pfds;		/* [0] listening socket, [1 + i] conns[i] */
	int		 n;
	int		 cap;
	int		 draining;	/* stopped: accept no more */
	unsigned char	*peek;		/* SERVE_HEAD_MAX bytes */
	unsigned char	*params;	/* SERVE_HEAD_MAX bytes */
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
	struct serve_conn *conns;
	struct pollfd	*pfds;
	int		 cap = s->cap ? s->cap * 2 : 8;

	if (cap > SERVE_MAX_CONNS)
		return -1;
	if ((conns = realloc(s->conns, cap * sizeof(*conns))) == NULL)
		return -1;
	s->conns = conns;
	if ((pfds = realloc(s->pfds, (cap + 1) * sizeof(*pfds))) == NULL)
		return -1;
	s->pfds = pfds;
	s->cap = cap;
	return 0;
}

/*
 * Read one name or value length of a FastCGI name-value pair at p (1
 * byte, or 4 with the high bit set), at most end.  Returns the byte
 * after it with *len set, or NULL if it does not fit.
 */
static const unsigned char *
serve_pair_len(const unsigned char *p, const unsigned char *end, size_t *len)
{
	if (p >= end)
		return NULL;
	if (*p < 0x80) {
		*len = *p;
		return p + 1;
	}
	if (end - p < 4)
		return NULL;
	*len = ((size_t)(p[0] & 0x7f) << 24) | ((size_t)p[1] << 16) |
	    ((size_t)p[2] << 8) | p[3];
	return p + 4;
}

/*
 * Are the n bytes at p name-value pairs, each length within them?  With
 * more = 1 they may be followed by more: the last pair may be cut short,
 * but no pair may be longer than SERVE_HEAD_MAX.
 * Returns 1 if so, 0 if not.
 */
static int
serve_pairs_ok(const unsigned char *p, size_t n, int more)
{
	const unsigned char	*end = p + n;
	size_t			 name, value;

	while (p < end) {
		if ((p = serve_pair_len(p, end, &name)) == NULL ||
		    (p = serve_pair_len(p, end, &value)) == NULL)
			return more;
		if (name > (size_t)(end - p) || value > (size_t)(end - p) - name)
			return more && name < SERVE_HEAD_MAX &&
			    value < SERVE_HEAD_MAX - name;
		p += name + value;
	}
	return 1;
}

/*
 * Check the n bytes at buf, the start of what a connection sent, as a
 * request head: FCGI_BEGIN_REQUEST (role 1 to 3), then FCGI_PARAMS
 * records of that request up to the empty one, at most SERVE_HEAD_MAX
 * bytes, whose content is whole name-value pairs.  Any other record
 * before its end (a management record, another request) is malformed.
 * params (SERVE_HEAD_MAX bytes) is scratch space.
 * Returns HEAD_OK, HEAD_MORE or HEAD_BAD (enum serve_head_status).  With
 * HEAD_OK, *beyond is 1 if the bytes hold the end of the request's
 * FCGI_STDIN and more after it (a pipelined request), else 0.
 */
static enum serve_head_status
serve_head(const unsigned char *buf, size_t n, unsigned char *params,
    int *beyond)
{
	const unsigned char	*h;
	size_t			 off = 0, np = 0, clen, rlen;
	int			 id = -1, type, rid, done = 0;

	*beyond = 0;
	while (n - off >= FCGI_HEADER_LEN) {
		h = buf + off;
		type = h[1];
		rid = h[2] << 8 | h[3];
		clen = (size_t)h[4] << 8 | h[5];
		rlen = FCGI_HEADER_LEN + clen + h[6];
		if (h[0] != FCGI_VERSION_1)
			return HEAD_BAD;
		if (done) {	/* FCGI_STDIN: to see whether more follows */
			if (type != FCGI_STDIN || rid != id || rlen > n - off)
				return HEAD_OK;
			if (clen == 0) {
				*beyond = n - off > rlen;
				return HEAD_OK;
			}
			off += rlen;
			continue;
		}
		if (off + rlen > SERVE_HEAD_MAX)
			return HEAD_BAD;
		if (rlen > n - off)
			break;		/* the rest is still to come */
		if (id < 0) {
			if (type != FCGI_BEGIN_REQUEST || rid == 0 || clen != 8 ||
			    h[8] != 0 || h[9] < FCGI_RESPONDER || h[9] > FCGI_FILTER)
				return HEAD_BAD;
			id = rid;
		} else if (type != FCGI_PARAMS || rid != id)
			return HEAD_BAD;
		else if (clen == 0) {
			if (!serve_pairs_ok(params, np, 0))
				return HEAD_BAD;
			done = 1;
		} else {
			memcpy(params + np, h + FCGI_HEADER_LEN, clen);
			np += clen;
		}
		off += rlen;
	}
	if (done)
		return HEAD_OK;
	/* Once per look, not per record: a head of many small records
	 * would otherwise be scanned again from its start for each. */
	if (!serve_pairs_ok(params, np, 1))
		return HEAD_BAD;
	return n >= SERVE_HEAD_MAX ? HEAD_BAD : HEAD_MORE;
}

/*
 * Close connection c, which may be libfcgi's: no more writing, read and
 * drop what input is there (so that the close resets nothing sent
 * before), then a plain close.  Returns nothing.
 */
static void
serve_drop(struct serve_conn *c)
{
	char	 buf[4096];
	int	 i;

	(void)shutdown(c->fd, SHUT_WR);
	for (i = 0; i < 64 && recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT) > 0; i++)
		;
	if (c->req.ipcFd >= 0) {
		(void)FCGX_Detach(&c->req);
		FCGX_Free(&c->req, 1);
	} else
		(void)close(c->fd);
}

/*
 * End c's request: read its input to the end (at most SERVE_DRAIN_MAX
 * bytes, for SERVE_READ_MS), so that a kept connection is ready for the
 * next request and no unread input is left; then make the close a plain
 * close() (FCGX_Detach), flush the response and end the request.
 * libfcgi closes the connection unless the server keeps it (or on an
 * error).  Returns 1 if the input was not all read, else 0.
 */
static int
serve_end(struct serve_conn *c)
{
	FCGX_Request	*req = &c->req;
	char		 buf[4096];
	long		 left = SERVE_DRAIN_MAX;
	long long	 until = clock_ms() + SERVE_READ_MS;
	int		 n, eof;

	while (left > 0 && clock_ms() < until &&
	    (n = FCGX_GetStr(buf, sizeof(buf), req->in)) > 0)
		left -= n;
	eof = FCGX_HasSeenEOF(req->in) == EOF;
	(void)FCGX_Detach(req);
	FCGX_Finish_r(req);
	return !eof;
}

/*
 * Serve the request whose head is all in connection i: libfcgi reads
 * it, the handler answers, serve_end ends it.  A connection that is
 * closed afterwards leaves the table (the last one takes slot i).
 * beyond: a pipelined request follows; the connection is closed after
 * this answer.  Returns 1 if connection i left the table, else 0.
 */
static int
serve_request(struct serve_loop *s, int i, int beyond)
{
	struct serve_conn	*c = &s->conns[i];
	int			 rc, unread;

	if (c->req.ipcFd < 0) {		/* a new connection: libfcgi's now */
		c->req.ipcFd = c->fd;
		c->req.keepConnection = 1;
	}
	if ((rc = FCGX_Accept_r(&c->req)) < 0) {
		/* Cannot happen to a checked head; libfcgi closed it. */
		log_error("libfcgi refused a checked request (%d)", rc);
		s->conns[i] = s->conns[--s->n];
		return 1;
	}
	s->handler(&c->req, s->ctx);
	unread = serve_end(c);
	if (c->req.ipcFd >= 0 && !unread && !beyond) {
		c->due = 0;
		c->partial = 0;
		c->kept = 1;
		return 0;
	}
	if (c->req.ipcFd >= 0)		/* else libfcgi closed it */
		serve_drop(c);
	s->conns[i] = s->conns[--s->n];
	return 1;
}

/*
 * Look at connection i (readable, new, or with part of a head in) and
 * serve its request if its head is all in; close it if it is malformed,
 * closed by the peer (or half of a head in and the peer hung up), or
 * late.  Returns 1 if slot i now holds another
 * connection not looked at yet (i left the table), else 0.
 */
static int
serve_conn(struct serve_loop *s, int i, long long now)
{
	struct serve_conn	*c = &s->conns[i];
	ssize_t			 n;
	int			 beyond;

	n = recv(c->fd, s->peek, SERVE_HEAD_MAX, MSG_PEEK | MSG_DONTWAIT);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		n = -2;		/* nothing in yet */
	if (n > 0) {
		switch (serve_head(s->peek, n, s->params, &beyond)) {
		case HEAD_OK:
			return serve_request(s, i, beyond) && i < s->n;
		case HEAD_MORE:	/* a peer that hung up sends no more */
			if (c->due == 0)
				c->due = now + SERVE_HEAD_MS;
			c->partial = 1;
			if (now < c->due && !(c->revents & (POLLHUP | POLLERR)))
				return 0;
			break;
		case HEAD_BAD:
			break;
		}
	} else if (n == -2 && (c->due == 0 || now < c->due))
		return 0;
	serve_drop(c);
	s->conns[i] = s->conns[--s->n];
	return i < s->n;
}

/*
 * Is the peer at sa allowed by FCGI_WEB_SERVER_ADDRS
 * (s->allowed: IPv4 addresses separated by commas), as libfcgi decides:
 * any peer if the list is unset or empty, a unix socket's always, an
 * IPv4 peer if listed?  Other peers (IPv6) only without a list.
 * Returns 1 if so, 0 if not.
 */
static int
serve_peer_ok(const struct serve_loop *s, const struct sockaddr_storage *sa)
{
	const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
	const char		*p = s->allowed, *comma;
	char			 one[INET_ADDRSTRLEN];
	struct in_addr		 a;
	size_t			 len;

	if (p == NULL || *p == '\0' || sa->ss_family == AF_UNIX)
		return 1;
	if (sa->ss_family != AF_INET)
		return 0;
	for (; *p != '\0'; p = *comma != '\0' ? comma + 1 : comma) {
		comma = strchr(p, ',');
		if (comma == NULL)
			comma = p + strlen(p);
		len = comma - p;
		if (len >= sizeof(one))
			continue;
		memcpy(one, p, len);
		one[len] = '\0';
		if (inet_pton(AF_INET, one, &a) == 1 &&
		    a.s_addr == in->sin_addr.s_addr)
			return 1;
	}
	return 0;
}

/*
 * Accept up to max connections waiting (as many as the table holds)
 * into new slots, their heads due SERVE_HEAD_MS from now.
 * Returns 0, or -1 on a failure that ends the loop.
 */
static int
serve_accept(struct serve_loop *s, int max, long long now)
{
	struct sockaddr_storage	 sa;
	struct serve_conn	*c;
	struct timeval		 tv = { 0, SERVE_READ_MS * 1000 };
	socklen_t		 len;
	int			 fd, k, one = 1;

	for (k = 0; k < max; k++) {
		if (s->n == s->cap && serve_grow(s) == -1)
			return 0;	/* full: the other workers take them */
		len = sizeof(sa);
		if ((fd = accept4(s->listen_fd, (struct sockaddr *)&sa, &len,
		    SOCK_CLOEXEC)) == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR || errno == ECONNABORTED ||
			    errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM)
				return 0;
			log_error("accept: %s", strerror(errno));
			return -1;
		}
		if (!serve_peer_ok(s, &sa)) {
			(void)close(fd);
			continue;
		}
		if (sa.ss_family == AF_INET || sa.ss_family == AF_INET6)
			(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
			    sizeof(one));
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		c = &s->conns[s->n++];
		FCGX_InitRequest(&c->req, -1, 0);
		c->fd = fd;
		c->due = now + SERVE_HEAD_MS;
		c->partial = 0;
		c->kept = 0;
		c->revents = POLLIN;	/* look at it this round */
	}
	return 0;
}

/*
 * How long ppoll may wait: until the first head is due, and no longer
 * than SERVE_RETRY_MS while a head is partly in; NULL: for ever.
 * Returns ts, or NULL.
 */
static struct timespec *
serve_timeout(const struct serve_loop *s, long long now, struct timespec *ts)
{
	long long	 wait = -1, left;
	int		 i;

	for (i = 0; i < s->n; i++) {
		if (s->conns[i].due == 0)
			continue;
		left = s->conns[i].due - now;
		if (s->conns[i].partial && left > SERVE_RETRY_MS)
			left = SERVE_RETRY_MS;
		if (left < 0)
			left = 0;
		if (wait < 0 || left < wait)
			wait = left;
	}
	if (wait < 0)
		return NULL;
	ts->tv_sec = wait / 1000;
	ts->tv_nsec = (wait % 1000) * 1000000;
	return ts;
}

/*
 * Wait, with open_mask as the signal mask, until the listening socket or
 * a connection is readable, a head is due or worth another look, or a
 * signal arrives; then accept what waits, and look at every connection
 * that is readable, new or partly in, or late.
 * Returns 0, or -1 on a failure that ends the loop.
 */
static int
serve_wait(struct serve_loop *s, const sigset_t *open_mask)
{
	struct timespec	 ts;
	long long	 now = clock_ms();
	int		 i, n, turns = 1;

	/* A full table leaves new connections to the other workers. */
	s->pfds[0].fd = s->n < SERVE_MAX_CONNS && !s->draining ?
	    s->listen_fd : -1;
	s->pfds[0].events = POLLIN;
	for (i = 0; i < s->n; i++) {
		s->pfds[i + 1].fd = s->conns[i].fd;
		/* A partial head stays readable: it is looked at by time. */
		s->pfds[i + 1].events = s->conns[i].partial ? 0 : POLLIN;
	}
	n = s->n;
	if (ppoll(s->pfds, n + 1, serve_timeout(s, now, &ts), open_mask) == -1) {
		if (errno == EINTR)
			return 0;
		log_error("poll: %s", strerror(errno));
		return -1;
	}
	/* The listening queue's turns: see the top of this file. */
	for (i = 0; i < n; i++) {
		s->conns[i].revents = s->pfds[i + 1].revents;
		if (!s->conns[i].kept)
			turns--;	/* its first request is still to come */
		else if (s->conns[i].revents != 0)
			turns++;
	}
	now = clock_ms();
	if (s->pfds[0].revents != 0 && turns > 0 &&
	    serve_accept(s, turns, now) == -1)
		return -1;
	/* Upwards; a connection leaving takes the last one into its slot. */
	for (i = 0; i < s->n; )
		if ((s->conns[i].revents != 0 || s->conns[i].partial ||
		    (s->conns[i].due != 0 && now >= s->conns[i].due)) &&
		    serve_conn(s, i, now))
			;	/* slot i holds the last one now */
		else
			i++;
	return 0;
}

/*
 * After a stop: close the kept connections (no request of theirs has
 * begun; a server retries one it had just sent on a kept connection),
 * and answer the new connections already accepted, whose heads are due
 * within SERVE_HEAD_MS, accepting no more.  A worker replaced under load
 * (systemctl reload, make reload) so loses no request it had taken.
 * Returns 0, or -1 on a failure that ends the loop.
 */
static int
serve_drain(struct serve_loop *s, const sigset_t *open_mask)
{
	int	 i;

	s->draining = 1;
	for (;;) {
		for (i = 0; i < s->n; )
			if (s->conns[i].kept) {
				serve_drop(&s->conns[i]);
				s->conns[i] = s->conns[--s->n];
			} else
				i++;
		if (s->n == 0)
			return 0;
		if (serve_wait(s, open_mask) == -1)
			return -1;
	}
}

/*
 * Serve FastCGI requests arriving on listen_fd (made non-blocking),
 * calling handler(req, ctx) for each, until serve_stop is called (by a
 * SIGTERM or SIGUSR1 handler the caller installed; this blocks both
 * outside its waits).  FCGX_Init must have been called.  Connections
 * from peers other than unix-socket ones and the IPv4 addresses in
 * FCGI_WEB_SERVER_ADDRS, if set, are closed at once.  After a stop, the new connections already accepted are
 * answered first (serve_drain).  The connections are closed on return
 * and the signal mask restored.  Returns 0 after a stop, or -1 on a
 * failure (logged).
 */
int
serve_run(int listen_fd, serve_handler *handler, void *ctx)
{
	struct serve_loop	 s;
	sigset_t		 stop, saved, open_mask;
	int			 flags, rc = -1, i;

	memset(&s, 0, sizeof(s));
	s.listen_fd = listen_fd;
	s.handler = handler;
	s.ctx = ctx;
	s.allowed = getenv("FCGI_WEB_SERVER_ADDRS");
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
	if (serve_grow(&s) == -1 || (s.peek = malloc(SERVE_HEAD_MAX)) == NULL ||
	    (s.params = malloc(SERVE_HEAD_MAX)) == NULL) {
		log_error("out of memory");
		goto done;
	}
	while (!serve_stopping)
		if (serve_wait(&s, &open_mask) == -1)
			goto done;
	if (serve_drain(&s, &open_mask) == -1)
		goto done;
	rc = 0;
done:
	for (i = 0; i < s.n; i++)
		serve_drop(&s.conns[i]);
	free(s.conns);
	free(s.pfds);
	free(s.peek);
	free(s.params);
	sigprocmask(SIG_SETMASK, &saved, NULL);
	return rc;
}
