/*
 * main.c -- the FastCGI request loop of a users-fcgi worker.
 *
 * One process, one request at a time, one persistent database
 * connection.  The web server (lighttpd, or spawn-fcgi for nginx) hands
 * us the listening socket as fd 0.  SIGTERM or SIGUSR1 ends the loop
 * once the request in progress is answered; so does the death of the
 * process that spawned us, so that no worker outlives its server.
 */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <sys/prctl.h>

#include <fcgiapp.h>

#include "config.h"
#include "db.h"
#include "json.h"
#include "log.h"
#include "respond.h"
#include "route.h"

/* Ask libfcgi to stop accepting; the interrupted accept returns -1. */
static void
main_on_signal(int signo)
{
	(void)signo;
	FCGX_ShutdownPending();
}

/*
 * Install main_on_signal for the stop signals, without SA_RESTART so a
 * blocked accept() is interrupted, and ask for SIGTERM when our parent
 * dies.  Returns 0, or -1 on failure or if the parent is already gone.
 */
static int
main_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = main_on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGUSR1, &sa, NULL) == -1)
		return -1;
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) == -1 ||
	    prctl(PR_SET_PDEATHSIG, SIGTERM) == -1)
		return -1;
	/* The spawner may have died before prctl: then we are adopted. */
	return getppid() == 1 ? -1 : 0;
}

/*
 * Send a response: the head, and body (len bytes) unless head_only.
 * Errors writing to the web server are not ours to report: the next
 * accept cleans up.
 */
static void
main_send(FCGX_Request *req, int status, const char *extra,
    const char *body, size_t len, int head_only)
{
	char	 head[512];
	int	 n;

	if ((n = respond_head(head, sizeof(head), status, len, extra)) < 0) {
		log_error("cannot format the head of a %d", status);
		return;
	}
	FCGX_PutStr(head, n, req->out);
	if (!head_only && len > 0)
		FCGX_PutStr(body, (int)len, req->out);
}

/* Send {"error": message} with the given status. */
static void
main_send_error(FCGX_Request *req, struct json_enc *enc, int status,
    const char *extra, const char *message)
{
	if (json_enc_pair(enc, "error", message) == -1) {
		main_send(req, 500, NULL, NULL, 0, 0);
		return;
	}
	main_send(req, status, extra, enc->data, enc->len, 0);
}

/* Answer one request. */
static void
main_handle(FCGX_Request *req, struct db *db, struct json_enc *enc)
{
	struct table		 t;
	enum table_status	 ts;
	enum route		 r;

	r = route_request(FCGX_GetParam("REQUEST_METHOD", req->envp),
	    FCGX_GetParam("SCRIPT_NAME", req->envp),
	    FCGX_GetParam("PATH_INFO", req->envp));
	switch (r) {
	case ROUTE_USERS:
	case ROUTE_USERS_HEAD:
		if ((ts = db_users(db, &t)) == TABLE_UNAVAILABLE) {
			main_send_error(req, enc, 503, "Retry-After: 1\r\n",
			    "database unavailable");
			return;
		}
		if (ts == TABLE_NOMEM || json_enc_table(enc, &t) == -1) {
			main_send_error(req, enc, 500, NULL, "internal error");
			return;
		}
		main_send(req, 200, NULL, enc->data, enc->len,
		    r == ROUTE_USERS_HEAD);
		return;
	case ROUTE_NOT_ALLOWED:
		main_send_error(req, enc, 405,
		    "Allow: " ROUTE_USERS_ALLOW "\r\n", "method not allowed");
		return;
	case ROUTE_NOT_FOUND:
		main_send_error(req, enc, 404, NULL, "not found");
		return;
	}
}

int
main(void)
{
	struct config	 config;
	struct db	 db;
	struct json_enc	 enc;
	FCGX_Request	 req;

	if (config_load(&config) == -1)
		return 1;
	if (FCGX_Init() != 0 || main_signals() == -1 ||
	    FCGX_InitRequest(&req, 0, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
		log_error("cannot initialise FastCGI");
		return 1;
	}
	db_init(&db, &config);
	json_enc_init(&enc);
	while (FCGX_Accept_r(&req) >= 0)
		main_handle(&req, &db, &enc);
	FCGX_Finish_r(&req);
	json_enc_free(&enc);
	db_close(&db);
	return 0;
}
