//! The seed benchmark's Axum + SQLx server (lukehsiao/axum-fastapi, rust-axum),
//! rewritten for our harness.
//!
//! GET /users: acquire a connection from a sqlx pool of at most 5 (sqlx pings
//! it before handing it out: test_before_acquire, the default), run
//! `SELECT user_id, username, email FROM users ORDER BY user_id LIMIT 100`
//! into `Vec<User>` and answer it as JSON.  Any error gives a 500.
//!
//! Env: DATABASE_URL (postgresql://user@host:port/db, or a UNIX socket as
//! postgresql://user@/db?host=/socket/dir), PORT (listens on 127.0.0.1:PORT).
//!
//! Differences from the seed: path /users (seed: /), table users (seed:
//! "user"), the query_as function instead of the query_as! macro (no
//! database at build time), no tracing subscriber, the 500's body is a
//! fixed text, not the database's error message (that goes to stderr), a
//! UNIX-socket URL with a user is accepted (see connect_options).

use std::time::Duration;

use axum::{
    async_trait,
    extract::{FromRef, FromRequestParts},
    http::{request::Parts, StatusCode},
    routing::get,
    Json, Router,
};
use serde::Serialize;
use sqlx::{
    postgres::{PgConnectOptions, PgPool, PgPoolOptions},
    FromRow,
};
use tokio::net::TcpListener;

const QUERY: &str = "SELECT user_id, username, email FROM users ORDER BY user_id LIMIT 100";

/// One row of the users table, serialized as {"user_id", "username", "email"}.
#[derive(Serialize, FromRow)]
struct User {
    user_id: String,
    username: String,
    email: String,
}

/// The handler's error: logs the cause to stderr, answers a bare 500.
type HandlerError = (StatusCode, &'static str);

/// Maps any error to a 500 (the cause goes to stderr, not to the client).
fn internal_error<E: std::fmt::Display>(err: E) -> HandlerError {
    eprintln!("users-axum: {err}");
    (StatusCode::INTERNAL_SERVER_ERROR, "internal error\n")
}

/// A connection held for one request, taken from the pool in the state
/// (an extractor, as the seed wrote it); it goes back to the pool on drop.
struct DatabaseConnection(sqlx::pool::PoolConnection<sqlx::Postgres>);

#[async_trait]
impl<S> FromRequestParts<S> for DatabaseConnection
where
    PgPool: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = HandlerError;

    /// Acquires a connection (sqlx pings it first), or a 500 after 3 s.
    async fn from_request_parts(_parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let pool = PgPool::from_ref(state);
        let conn = pool.acquire().await.map_err(internal_error)?;
        Ok(Self(conn))
    }
}

/// GET /users: the first 100 users by user_id as a JSON array.
async fn read_users(
    DatabaseConnection(mut conn): DatabaseConnection,
) -> Result<(StatusCode, Json<Vec<User>>), HandlerError> {
    let users = sqlx::query_as::<_, User>(QUERY)
        .fetch_all(&mut *conn)
        .await
        .map_err(internal_error)?;
    Ok((StatusCode::OK, Json(users)))
}

/// The connect options for `url`.  sqlx parses URLs with the url crate,
/// which refuses a user before an empty host: libpq's usual form for a UNIX
/// socket, `postgresql://user[:password]@/db?host=/socket/dir`.  Such a URL
/// is rewritten with the user (and password) as query parameters, which
/// sqlx also reads: `postgresql:///db?user=user&host=/socket/dir`.
fn connect_options(url: &str) -> Result<PgConnectOptions, sqlx::Error> {
    let rewritten = url.split_once("://").and_then(|(scheme, rest)| {
        let (userinfo, after) = rest.split_once("@/")?;
        if userinfo.contains('/') {
            return None; // the '@' is not in the authority
        }
        let (path, query) = after.split_once('?').unwrap_or((after, ""));
        // In a query, '+' means a space; in userinfo it is a '+'.
        let userinfo = userinfo.replace('+', "%2B");
        let mut params = match userinfo.split_once(':') {
            Some((user, password)) => format!("user={user}&password={password}"),
            None => format!("user={userinfo}"),
        };
        if !query.is_empty() {
            params = format!("{params}&{query}");
        }
        Some(format!("{scheme}:///{path}?{params}"))
    });
    rewritten.as_deref().unwrap_or(url).parse()
}

/// Reads a required environment variable or exits with a message.
fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        eprintln!("users-axum: set {name}");
        std::process::exit(2)
    })
}

#[tokio::main]
async fn main() {
    let database_url = env("DATABASE_URL");
    let port = env("PORT");

    let options = connect_options(&database_url).unwrap_or_else(|e| {
        eprintln!("users-axum: bad DATABASE_URL: {e}");
        std::process::exit(2)
    });
    let pool = PgPoolOptions::new()
        .max_connections(5)
        .acquire_timeout(Duration::from_secs(3))
        .connect_with(options)
        .await
        .unwrap_or_else(|e| {
            eprintln!("users-axum: can't connect to the database: {e}");
            std::process::exit(1)
        });

    let app = Router::new().route("/users", get(read_users)).with_state(pool);

    let listener = TcpListener::bind(format!("127.0.0.1:{port}"))
        .await
        .unwrap_or_else(|e| {
            eprintln!("users-axum: can't listen on 127.0.0.1:{port}: {e}");
            std::process::exit(1)
        });
    axum::serve(listener, app).await.unwrap();
}
