//! Rust peer: a stand-in for the seed benchmark's Axum + SQLx server.
//!
//! Axum and SQLx are not packaged in Debian 12 and crates cannot be downloaded on
//! the benchmark machines, so this is the same design built from what Debian
//! packages: hyper 0.14 (the HTTP server under Axum) on a multi-threaded tokio
//! runtime, tokio-postgres 0.7 in place of SQLx, and a small pool that behaves
//! like `PgPoolOptions::new().max_connections(5)`: at most 5 connections, each
//! request holds one exclusively for the duration of its query, and the statement
//! is prepared once per connection (SQLx caches prepared statements per
//! connection too). Rows are serialized with serde_json like `Json(users)`.
//!
//! Env: DATABASE_URL (postgresql://user@host:port/db or
//! postgresql://user@/db?host=/socket/dir), PORT (listens on 127.0.0.1:PORT).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use hyper::header::CONTENT_TYPE;
use hyper::service::{make_service_fn, service_fn};
use hyper::{Body, Method, Request, Response, Server, StatusCode};
use serde::Serialize;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_postgres::{Client, Config, NoTls, Statement};

const QUERY: &str = "SELECT user_id, username, email FROM users ORDER BY user_id LIMIT 100";
const MAX_CONNECTIONS: usize = 5;

#[derive(Serialize)]
struct User {
    user_id: String,
    username: String,
    email: String,
}

struct Conn {
    client: Client,
    stmt: Statement,
}

async fn connect(config: &Config) -> Result<Conn, tokio_postgres::Error> {
    let (client, connection) = config.connect(NoTls).await?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            eprintln!("database connection error: {e}");
        }
    });
    let stmt = client.prepare(QUERY).await?;
    Ok(Conn { client, stmt })
}

/// At most MAX_CONNECTIONS connections; a semaphore permit gives exclusive use of one.
struct Pool {
    config: Config,
    idle: Mutex<Vec<Conn>>,
    permits: Arc<Semaphore>,
}

/// A checked-out connection; goes back to the pool when dropped.
struct PooledConn<'a> {
    pool: &'a Pool,
    conn: Option<Conn>,
    _permit: OwnedSemaphorePermit,
}

impl Drop for PooledConn<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            if !conn.client.is_closed() {
                self.pool.idle.lock().unwrap().push(conn);
            }
        }
    }
}

impl Pool {
    async fn acquire(&self) -> Result<PooledConn<'_>, tokio_postgres::Error> {
        let permit = self.permits.clone().acquire_owned().await.expect("semaphore closed");
        let idle = self.idle.lock().unwrap().pop();
        let conn = match idle {
            Some(conn) if !conn.client.is_closed() => conn,
            // Broken or not yet opened: (re)connect in this slot.
            _ => connect(&self.config).await?,
        };
        Ok(PooledConn { pool: self, conn: Some(conn), _permit: permit })
    }
}

async fn read_users(pool: &Pool) -> Result<Vec<User>, tokio_postgres::Error> {
    let mut pooled = pool.acquire().await?;
    let conn = pooled.conn.as_ref().unwrap();
    let rows = match conn.client.query(&conn.stmt, &[]).await {
        Ok(rows) => rows,
        Err(e) => {
            pooled.conn = None; // do not reuse a connection that failed
            return Err(e);
        }
    };
    Ok(rows
        .iter()
        .map(|row| User { user_id: row.get(0), username: row.get(1), email: row.get(2) })
        .collect())
}

async fn handle(pool: &Pool, req: Request<Body>) -> Response<Body> {
    if req.method() != Method::GET || req.uri().path() != "/users" {
        let mut resp = Response::new(Body::from("Not Found"));
        *resp.status_mut() = StatusCode::NOT_FOUND;
        return resp;
    }
    match read_users(pool).await {
        Ok(users) => Response::builder()
            .header(CONTENT_TYPE, "application/json")
            .body(Body::from(serde_json::to_vec(&users).unwrap()))
            .unwrap(),
        Err(e) => Response::builder()
            .status(StatusCode::INTERNAL_SERVER_ERROR)
            .body(Body::from(e.to_string()))
            .unwrap(),
    }
}

#[tokio::main]
async fn main() {
    let url = std::env::var("DATABASE_URL").expect("set DATABASE_URL");
    let port: u16 = std::env::var("PORT").expect("set PORT").parse().expect("PORT must be a number");

    let mut config: Config = url.parse().expect("can't parse DATABASE_URL");
    if config.get_hosts().is_empty() {
        // libpq's default when no host is given (Debian's socket directory).
        config.host_path("/var/run/postgresql");
    }

    // Open all connections up front (fail fast like SQLx's PgPoolOptions::connect).
    let mut conns = Vec::with_capacity(MAX_CONNECTIONS);
    for _ in 0..MAX_CONNECTIONS {
        conns.push(connect(&config).await.expect("can't connect to database"));
    }
    let pool: &'static Pool = Box::leak(Box::new(Pool {
        config,
        idle: Mutex::new(conns),
        permits: Arc::new(Semaphore::new(MAX_CONNECTIONS)),
    }));

    let make_svc = make_service_fn(move |_conn| async move {
        Ok::<_, Infallible>(service_fn(move |req| async move {
            Ok::<_, Infallible>(handle(pool, req).await)
        }))
    });
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    Server::bind(&addr).serve(make_svc).await.unwrap();
}
