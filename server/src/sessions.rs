//! Sessions live in the database (SQLite or Postgres), so a restart or a second instance
//! behind the same database keeps everyone signed in.

use async_trait::async_trait;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

use app::db::Db;

/// The sqlx store for whichever backend is configured.
#[derive(Debug, Clone)]
pub enum Store {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

impl Store {
    /// Builds the store and creates its table if needed.
    pub async fn for_db(db: &Db) -> Result<Self, sqlx::Error> {
        let store = match db {
            Db::Sqlite(pool) => Store::Sqlite(SqliteStore::new(pool.clone())),
            Db::Postgres(pool) => Store::Postgres(PostgresStore::new(pool.clone())),
        };
        match &store {
            Store::Sqlite(inner) => inner.migrate().await?,
            Store::Postgres(inner) => inner.migrate().await?,
        }
        Ok(store)
    }
}

#[async_trait]
impl SessionStore for Store {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            Store::Sqlite(inner) => inner.create(record).await,
            Store::Postgres(inner) => inner.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            Store::Sqlite(inner) => inner.save(record).await,
            Store::Postgres(inner) => inner.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            Store::Sqlite(inner) => inner.load(id).await,
            Store::Postgres(inner) => inner.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            Store::Sqlite(inner) => inner.delete(id).await,
            Store::Postgres(inner) => inner.delete(id).await,
        }
    }
}

#[async_trait]
impl ExpiredDeletion for Store {
    async fn delete_expired(&self) -> session_store::Result<()> {
        match self {
            Store::Sqlite(inner) => inner.delete_expired().await,
            Store::Postgres(inner) => inner.delete_expired().await,
        }
    }
}
