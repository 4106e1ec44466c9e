# docker/db.Dockerfile -- PostgreSQL 15 from Debian's packages, seeded
# from sql/ on its first start (docker/db-entrypoint.sh).  Built by
# docker-compose.yml (context: the repository).
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}
# postgresql-common would create a cluster at install time: the
# entrypoint creates one in the volume instead.
RUN mkdir -p /etc/postgresql-common/createcluster.d \
 && echo 'create_main_cluster = false' \
        >/etc/postgresql-common/createcluster.d/no-main-cluster.conf \
 && apt-get update \
 && apt-get install -y --no-install-recommends postgresql-15 \
 && apt-get clean && rm -rf /var/lib/apt/lists/* \
 && install -d -o postgres -g postgres -m 0700 /var/lib/postgresql/data
COPY sql/ /docker-entrypoint-initdb.d/
COPY docker/db-entrypoint.sh /usr/local/bin/db-entrypoint
ENV PATH=/usr/lib/postgresql/15/bin:$PATH \
    PGDATA=/var/lib/postgresql/data/pg
USER postgres
EXPOSE 5432
# A fast shutdown: the workers' connections are closed, not waited for
# (SIGTERM, a smart shutdown, would wait for them to disconnect).
STOPSIGNAL SIGINT
ENTRYPOINT ["db-entrypoint"]
