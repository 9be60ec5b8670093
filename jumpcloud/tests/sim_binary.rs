//! The built `jumpcloud-sim` binary: its one JSON line, and an API that answers with the
//! credentials it printed.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

/// Kills the simulator even when an assertion fails first.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(args: &[&str]) -> (Running, Value) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_jumpcloud-sim"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let running = Running(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let info: Value = serde_json::from_str(&line).unwrap();
    (running, info)
}

#[tokio::test]
async fn the_binary_prints_its_credentials_and_serves_them() {
    let (_running, info) = start(&["--addr", "127.0.0.1:0", "--orgs", "3", "--users", "500"]);
    let base_url = info["base_url"].as_str().unwrap();
    assert!(base_url.starts_with("http://127.0.0.1:"));
    assert!(!info["msp_api_key"].as_str().unwrap().is_empty());
    let orgs = info["orgs"].as_array().unwrap();
    assert_eq!(
        orgs.len(),
        4,
        "3 managed organizations and the standalone one"
    );
    for org in orgs {
        assert_eq!(org["id"].as_str().unwrap().len(), 24);
        assert!(!org["name"].as_str().unwrap().is_empty());
        assert!(!org["api_key"].as_str().unwrap().is_empty());
    }
    let account = &info["service_account"];
    for field in ["client_id", "client_secret", "secondary_secret"] {
        assert!(!account[field].as_str().unwrap().is_empty(), "{field}");
    }
    assert_eq!(
        account["token_url"].as_str().unwrap(),
        format!("{base_url}/oauth2/token")
    );

    let http = reqwest::Client::new();
    let key = orgs[0]["api_key"].as_str().unwrap();
    let mut ids = Vec::new();
    let mut total = None;
    while total.is_none_or(|total| ids.len() < total) {
        let page: Value = http
            .get(format!("{base_url}/api/systemusers"))
            .query(&[
                ("limit", "100"),
                ("skip", &ids.len().to_string()),
                ("sort", "_id"),
            ])
            .header("x-api-key", key)
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .json()
            .await
            .unwrap();
        total = Some(page["totalCount"].as_u64().unwrap() as usize);
        let results = page["results"].as_array().unwrap();
        assert!(!results.is_empty(), "a page before the total is reached");
        ids.extend(
            results
                .iter()
                .map(|user| user["_id"].as_str().unwrap().to_string()),
        );
    }
    assert_eq!(ids.len(), 500);
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 500, "every user exactly once");
}

#[tokio::test]
async fn fault_flags_reach_the_running_binary() {
    let (_running, info) = start(&[
        "--orgs",
        "1",
        "--users",
        "1",
        "--rate-limit",
        "1/60",
        "--retry-after",
    ]);
    let base_url = info["base_url"].as_str().unwrap();
    let key = info["orgs"][0]["api_key"].as_str().unwrap();
    let http = reqwest::Client::new();
    let call = || {
        http.get(format!("{base_url}/api/v2/iplists"))
            .header("x-api-key", key)
            .send()
    };
    assert_eq!(call().await.unwrap().status(), 200);
    let throttled = call().await.unwrap();
    assert_eq!(throttled.status(), 429);
    assert!(throttled.headers().contains_key("retry-after"));
}
