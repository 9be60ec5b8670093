//! Storage: SQLite (the embedded default) or Postgres, chosen by `DATABASE_URL`.
//!
//! A thin enum rather than a trait: there are exactly two backends, and queries are
//! written once with `$1`-style placeholders, which both sqlx drivers accept. The
//! [`on_db!`](crate::on_db) macro runs one query text on whichever pool is configured.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{PgPool, SqlitePool};

#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("DATABASE_URL must start with sqlite: or postgres://, got {0:?}")]
    UnsupportedUrl(String),
    #[error("cannot create the database directory {path}: {source}")]
    CreateDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot open the database: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Runs `$body` with `$pool` bound to the configured backend's pool. Both arms must
/// produce the same type, so row types derive `sqlx::FromRow` generically.
#[macro_export]
macro_rules! on_db {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool) => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}

impl Db {
    pub async fn connect(url: &str) -> Result<Self, DbError> {
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(DbError::Connect)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5));
            if let Some(parent) = Path::new(options.get_filename()).parent()
                && !parent.as_os_str().is_empty()
            {
                std::fs::create_dir_all(parent).map_err(|source| DbError::CreateDir {
                    path: parent.display().to_string(),
                    source,
                })?;
            }
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                // An embedded file does not drop connections; a ping before each query
                // would be one more hop to SQLite's worker thread per query.
                .test_before_acquire(false)
                .connect_with(options)
                .await
                .map_err(DbError::Connect)?;
            Ok(Db::Sqlite(pool))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await
                .map_err(DbError::Connect)?;
            Ok(Db::Postgres(pool))
        } else {
            Err(DbError::UnsupportedUrl(url.to_string()))
        }
    }

    /// Applies the embedded migrations for this backend; start-up stops if they fail.
    pub async fn migrate(&self) -> Result<(), DbError> {
        match self {
            Db::Sqlite(pool) => sqlx::migrate!("../migrations/sqlite").run(pool).await?,
            Db::Postgres(pool) => sqlx::migrate!("../migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    /// How to open a transaction that will write. SQLite takes the write lock up front:
    /// a deferred transaction that reads and then writes fails at once with
    /// SQLITE_BUSY_SNAPSHOT when another connection wrote in between, instead of waiting.
    pub fn begin_write(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "BEGIN IMMEDIATE",
            Db::Postgres(_) => "BEGIN",
        }
    }

    /// A round trip to the database, for readiness checks.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        on_db!(self, |pool| sqlx::query("SELECT 1")
            .execute(pool)
            .await
            .map(|_| ()))
    }
}

/// Seconds since the Unix epoch: how every timestamp is stored, identically on both backends.
pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}
