# docker/app.Dockerfile -- the service's image: the worker compiled in
# the first stage; the images themselves have the run-time libraries and
# no compiler.  Two fronts, as the build target:
#   lighttpd (the last stage, the default): lighttpd spawning WORKERS
#            FastCGI workers (lighttpd.conf), as an unprivileged user
#   nginx    scripts/stack.sh run with FRONT=nginx: spawn-fcgi and
#            multiwatch keep WORKERS workers, nginx in front (nginx.conf)
# Built by docker-compose.yml (context: the repository; .dockerignore
# lets in only what is copied).
ARG BASE_IMAGE=debian:bookworm-slim

FROM ${BASE_IMAGE} AS build
# Its own layer, before the sources: kept in the build cache until the
# package list changes.
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc libc6-dev make \
        pkg-config libfcgi-dev libpq-dev libcjson-dev \
 && apt-get clean && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile ./
COPY app/ app/
RUN make build/users-fcgi

# What both fronts share: the worker's libraries, curl (the healthcheck
# in docker-compose.yml) and the account everything runs as.
FROM ${BASE_IMAGE} AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends libfcgi0ldbl libpq5 \
        libcjson1 curl \
 && apt-get clean && rm -rf /var/lib/apt/lists/* \
 && useradd --system --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin users-fcgi
# The workers read DATABASE_URL, DB_CONNECT_TIMEOUT, DB_STATEMENT_TIMEOUT
# and libpq's PG* variables (docker-compose.yml sets them).
ENV PORT=8080 BIND=0.0.0.0 WORKERS=5 CONNECTIONS=8192 \
    WORKER_BIN=/usr/local/bin/users-fcgi
EXPOSE 8080

FROM runtime AS nginx
# apache2-utils: rotatelogs; procps: pgrep (scripts/stack.sh).
RUN apt-get update \
 && apt-get install -y --no-install-recommends nginx-light spawn-fcgi \
        multiwatch apache2-utils procps \
 && apt-get clean && rm -rf /var/lib/apt/lists/* \
 && install -d -o users-fcgi -g users-fcgi -m 0755 /run/users-fcgi
COPY scripts/ /opt/users-fcgi/scripts/
COPY nginx.conf /opt/users-fcgi/
COPY --from=build /src/build/users-fcgi /usr/local/bin/users-fcgi
ENV FRONT=nginx STATE_DIR=/run/users-fcgi
USER users-fcgi
# stack.sh run stops everything gracefully on SIGTERM and passes the
# error log to its stdout.
CMD ["/opt/users-fcgi/scripts/stack.sh", "run"]

FROM runtime AS lighttpd
RUN apt-get update \
 && apt-get install -y --no-install-recommends lighttpd \
 && apt-get clean && rm -rf /var/lib/apt/lists/* \
 && install -d -o users-fcgi -g users-fcgi -m 0700 /run/users-fcgi \
        /run/users-fcgi/www /run/users-fcgi/sock
COPY lighttpd.conf /etc/users-fcgi/lighttpd.conf
COPY --from=build /src/build/users-fcgi /usr/local/bin/users-fcgi
# lighttpd.conf's other settings.  RUN_USER is empty: lighttpd starts as
# users-fcgi and has nobody to switch to.  No error log file: lighttpd
# and the workers write to stderr, which Docker keeps.
ENV RUN_DIR=/run/users-fcgi RUN_USER=
USER users-fcgi
# lighttpd's graceful stop: the requests in progress are answered first
# (for at most 10 s, lighttpd.conf); SIGTERM would cut them.
STOPSIGNAL SIGINT
CMD ["lighttpd", "-D", "-f", "/etc/users-fcgi/lighttpd.conf"]
