/*
 * main.c -- the FastCGI request loop of a users-fcgi worker.
 *
 * One process, one request at a time (serve.c: over any number of kept
 * connections), one persistent database connection.  The web server
 * (lighttpd, or spawn-fcgi for nginx) hands us the listening socket as
 * fd 0.  SIGTERM or SIGUSR1 ends the loop once the request in progress
 * is answered; so does the death of the process that spawned us, so
 * that no worker outlives its server.
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
#include "serve.h"

/* Ask the serving loop (and libfcgi) to stop after the request in progress. */
static void
main_on_signal(int signo)
{
	(void)signo;
	serve_stop();
	FCGX_ShutdownPending();
}

/*
 * Install main_on_signal for the stop signals, without SA_RESTART so a
 * wait is interrupted, and ask for SIGTERM when our parent dies.  The
 * parent may die before prctl: then we were adopted and our parent
 * differs from the one seen before.  A parent that is PID 1 (a spawner
 * that is a container's or PID namespace's init) is no sign of death.
 * Returns 0, or -1 on failure or if the parent is already gone.
 */
static int
main_signals(void)
{
	struct sigaction sa;
	pid_t		 parent = getppid();

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
	return getppid() != parent ? -1 : 0;
}

/*
 * Answer one request (a serve_handler; arg is the struct route_env):
 * route_dispatch decides, this writes.  Errors writing to the web server
 * are not ours to report: libfcgi closes that connection.  Returns
 * nothing.
 */
static void
main_handle(FCGX_Request *req, void *arg)
{
	const struct route_env	*env = arg;
	struct route_answer	 a;
	char			 head[512];
	int			 n;

	route_dispatch(env, FCGX_GetParam("REQUEST_METHOD", req->envp),
	    FCGX_GetParam("SCRIPT_NAME", req->envp),
	    FCGX_GetParam("PATH_INFO", req->envp), &a);
	n = respond_head(head, sizeof(head), a.status, a.len, a.headers);
	if (n < 0) {
		log_error("cannot format the head of a %d", a.status);
		return;
	}
	FCGX_PutStr(head, n, req->out);
	if (!a.head_only && a.len > 0)
		FCGX_PutStr(a.body, (int)a.len, req->out);
}

/*
 * Serve requests until a stop signal.  Returns the exit status: 0, or 1
 * if the configuration or FastCGI cannot be set up or serving failed.
 */
int
main(void)
{
	struct config		 config;
	struct db		 db;
	struct json_enc		 enc;
	struct route_env	 env = { &enc, &db };
	int			 rc;

	if (config_load(&config) == -1)
		return 1;
	if (FCGX_Init() != 0 || main_signals() == -1) {
		log_error("cannot initialise FastCGI");
		return 1;
	}
	db_init(&db, &config);
	json_enc_init(&enc);
	rc = serve_run(0, main_handle, &env);
	json_enc_free(&enc);
	db_close(&db);
	return rc == 0 ? 0 : 1;
}
