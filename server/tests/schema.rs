#![allow(clippy::unwrap_used)]
//! The two migration folders describe the same tables and columns (checked in the
//! Postgres pass of the suite, `LANYARD_TEST_POSTGRES`), and upgrades keep existing data.

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

/// A database made by the migrations before action items keeps its catalog and requests
/// when the rest run (SQLite widens a CHECK in place), and takes the new kinds after.
#[tokio::test]
async fn sqlite_upgrade_keeps_requests_and_accepts_action_items() {
    const BEFORE: &str = "20261203000001";
    let dir = tempfile::tempdir().unwrap();
    let earlier = dir.path().join("earlier");
    std::fs::create_dir(&earlier).unwrap();
    // At run time: the compile-time value may name another checkout sharing the target dir.
    let crate_dir = std::env::var("CARGO_MANIFEST_DIR")
        .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string());
    let folder = std::path::Path::new(&crate_dir).join("../migrations/sqlite");
    for entry in std::fs::read_dir(&folder).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.as_str() < BEFORE {
            std::fs::copy(&path, earlier.join(&name)).unwrap();
        }
    }
    let db = Db::connect(&format!(
        "sqlite://{}",
        dir.path().join("upgrade.db").display()
    ))
    .await
    .unwrap();
    let Db::Sqlite(pool) = &db else {
        unreachable!()
    };
    sqlx::migrate::Migrator::new(earlier.as_path())
        .await
        .unwrap()
        .run(pool)
        .await
        .unwrap();
    // One connection, so switching foreign keys off holds for the inserts that need it.
    let mut setup = pool.acquire().await.unwrap();
    for statement in [
        "PRAGMA foreign_keys = OFF",
        "INSERT INTO catalog_items (id, org_id, kind, name, allowed_durations, \
         max_duration_minutes, policy, created_at) VALUES (7, 1, 'group', 'VPN', '60', 60, '{}', 1)",
        "INSERT INTO requests (id, org_id, item_id, requester_account_id, target_user_id, \
         target_email, justification, status, created_at, expires_at) \
         VALUES (9, 1, 7, 1, 'u', 'u@example.com', 'why', 'pending', 1, 2)",
    ] {
        sqlx::query(statement).execute(&mut *setup).await.unwrap();
    }
    assert!(
        sqlx::query(
            "INSERT INTO catalog_items (org_id, kind, name, allowed_durations, \
             max_duration_minutes, policy, created_at) VALUES (1, 'leaver', 'L', '0', 60, '{}', 1)"
        )
        .execute(&mut *setup)
        .await
        .is_err(),
        "the old schema refuses action items"
    );
    drop(setup);
    db.migrate().await.unwrap();
    let kept: (i64, String, String) =
        sqlx::query_as("SELECT item_id, details, target_email FROM requests WHERE id = 9")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(kept, (7, "{}".to_string(), "u@example.com".to_string()));
    let mut after = pool.acquire().await.unwrap();
    sqlx::query("PRAGMA foreign_keys = OFF")
        .execute(&mut *after)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO catalog_items (org_id, kind, name, allowed_durations, \
         max_duration_minutes, policy, created_at) VALUES (1, 'leaver', 'L', '0', 60, '{}', 1)",
    )
    .execute(&mut *after)
    .await
    .unwrap();
    assert!(
        sqlx::query(
            "INSERT INTO catalog_items (org_id, kind, name, allowed_durations, \
             max_duration_minutes, policy, created_at) VALUES (1, 'nonsense', 'N', '0', 60, '{}', 1)",
        )
        .execute(&mut *after)
        .await
        .is_err(),
        "unknown kinds are still refused"
    );
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(integrity, "ok");
}
