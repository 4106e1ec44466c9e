# docker/app.Dockerfile -- the service: lighttpd spawning WORKERS FastCGI
# workers (lighttpd.conf), as an unprivileged user.  Two stages: the
# worker is compiled in the first; the image is the second, which has
# the run-time libraries and no compiler.  Built by docker-compose.yml
# (context: the repository; .dockerignore lets in only what is copied).
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

FROM ${BASE_IMAGE}
# curl: the healthcheck (docker-compose.yml).
RUN apt-get update \
 && apt-get install -y --no-install-recommends lighttpd libfcgi0ldbl \
        libpq5 libcjson1 curl \
 && apt-get clean && rm -rf /var/lib/apt/lists/* \
 && useradd --system --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin users-fcgi \
 && install -d -o users-fcgi -g users-fcgi -m 0700 /run/users-fcgi \
        /run/users-fcgi/www /run/users-fcgi/sock
COPY lighttpd.conf /etc/users-fcgi/lighttpd.conf
COPY --from=build /src/build/users-fcgi /usr/local/bin/users-fcgi
# lighttpd.conf's settings.  RUN_USER is empty: lighttpd starts as
# users-fcgi and has nobody to switch to.  The workers read DATABASE_URL,
# DB_CONNECT_TIMEOUT, DB_STATEMENT_TIMEOUT and libpq's PG* variables
# (docker-compose.yml sets them).
ENV PORT=8080 BIND=0.0.0.0 WORKERS=5 CONNECTIONS=8192 \
    RUN_DIR=/run/users-fcgi RUN_USER= WORKER_BIN=/usr/local/bin/users-fcgi
USER users-fcgi
EXPOSE 8080
# lighttpd's graceful stop: the requests in progress are answered first
# (for at most 10 s, lighttpd.conf); SIGTERM would cut them.
STOPSIGNAL SIGINT
CMD ["lighttpd", "-D", "-f", "/etc/users-fcgi/lighttpd.conf"]
