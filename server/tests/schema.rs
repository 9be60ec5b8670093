#![allow(clippy::unwrap_used)]
//! The two migration folders describe the same tables and columns. Runs in the Postgres
//! pass of the suite (`LANYARD_TEST_POSTGRES`); the SQLite pass has nothing to compare.

mod common;

use std::collections::BTreeSet;

use app::db::Db;

async fn sqlite_columns() -> BTreeSet<(String, String)> {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::connect(&format!(
        "sqlite://{}",
        dir.path().join("schema.db").display()
    ))
    .await
    .unwrap();
    db.migrate().await.unwrap();
    let Db::Sqlite(pool) = &db else {
        unreachable!()
    };
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx_%'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut columns = BTreeSet::new();
    for table in tables {
        let names: Vec<String> =
            sqlx::query_scalar(&format!("SELECT name FROM pragma_table_info('{table}')"))
                .fetch_all(pool)
                .await
                .unwrap();
        columns.extend(names.into_iter().map(|column| (table.clone(), column)));
    }
    columns
}

async fn postgres_columns(url: &str) -> BTreeSet<(String, String)> {
    let db = Db::connect(url).await.unwrap();
    db.migrate().await.unwrap();
    let Db::Postgres(pool) = &db else {
        unreachable!()
    };
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name NOT LIKE '\\_sqlx\\_%'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    rows.into_iter().collect()
}

#[tokio::test]
async fn both_backends_have_the_same_tables_and_columns() {
    let Some(url) = common::fresh_postgres_database().await else {
        return;
    };
    let sqlite = sqlite_columns().await;
    let postgres = postgres_columns(&url).await;
    let only_sqlite: Vec<_> = sqlite.difference(&postgres).collect();
    let only_postgres: Vec<_> = postgres.difference(&sqlite).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "only in SQLite: {only_sqlite:?}; only in Postgres: {only_postgres:?}"
    );
    assert!(sqlite.contains(&("orgs".to_string(), "slug".to_string())));
}
