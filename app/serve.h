/*
 * serve.h -- the worker's FastCGI serving loop: one request at a time,
 * over every connection the web server keeps open (FCGI_KEEP_CONN, nginx's
 * fastcgi_keep_conn) and over one new connection per request (lighttpd).
 */
#ifndef USERS_FCGI_SERVE_H
#define USERS_FCGI_SERVE_H

#include <fcgiapp.h>

/*
 * Answers one request: reads req->envp (and req->in), writes req->out.
 * ctx is serve_run's.  The loop ends the request afterwards.
 */
typedef void serve_handler(FCGX_Request *req, void *ctx);

int	serve_run(int listen_fd, serve_handler *handler, void *ctx);
void	serve_stop(void);

#endif
