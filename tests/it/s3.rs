//! The lake on S3: import and SQL against a real S3-compatible server (moto,
//! started here on 127.0.0.1 and stopped by its PID).

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

/// A moto S3 server for one test; killed when dropped.
pub struct Moto {
    child: Child,
    endpoint: String,
}

impl Moto {
    pub fn start() -> Moto {
        let server = moto_server();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(&server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", server.display()));
        let moto = Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "moto did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        moto
    }

    pub fn create_bucket(&self, bucket: &str) {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let status = runtime.block_on(async {
            reqwest::Client::new()
                .put(format!("{}/{bucket}", self.endpoint))
                .send()
                .await
                .unwrap()
                .status()
        });
        assert!(status.is_success(), "creating bucket: {status}");
    }

    /// The binary, pointed at this server.
    pub fn run(&self, lake: &str, args: &[&str]) -> std::process::Output {
        bin()
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .arg("--lake")
            .arg(lake)
            .args(args)
            .output()
            .unwrap()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `MOTO_SERVER`, the project's virtual environment, or the PATH.
fn moto_server() -> PathBuf {
    if let Ok(path) = std::env::var("MOTO_SERVER") {
        return PathBuf::from(path);
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/moto_server");
    if venv.exists() {
        return venv;
    }
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("moto_server"))
            .find(|p| p.exists())
    });
    found.expect(
        "moto_server not found: run `make test` (it installs moto into .venv) or set MOTO_SERVER",
    )
}

fn json_count(output: &std::process::Output) -> i64 {
    assert!(output.status.success(), "{}", stderr(output));
    let row: serde_json::Value =
        serde_json::from_str(stdout(output).lines().next().unwrap()).unwrap();
    row["n"].as_i64().unwrap()
}

#[test]
fn import_and_sql_work_on_s3() {
    let moto = Moto::start();
    moto.create_bucket("creative-lake");
    let lake = "s3://creative-lake/team-a/lake";
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("posts.ndjson");
    write_posts_ndjson(&input, 500, 10);
    std::fs::write(
        dir.path().join("bad.ndjson"),
        "{\"id\": \"z\", \"engagement_metrics\": {\"likes\": -1}, \"posting_time\": \"2024-01-01T00:00:00Z\", \"platform\": \"x\"}\n",
    )
    .unwrap();

    for _ in 0..2 {
        let out = moto.run(lake, &["import", input.to_str().unwrap()]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(import_counts(&out, "posts.ndjson"), (500, 500, 0));
        let n = moto.run(
            lake,
            &[
                "sql",
                "SELECT count(*) AS n FROM raw.posts",
                "--format",
                "json",
            ],
        );
        assert_eq!(json_count(&n), 500, "the second import adds nothing");
    }
    let pruned = moto.run(
        lake,
        &[
            "sql",
            "SELECT count(*) AS n FROM raw.posts WHERE dt = '2024-01-02'",
            "--format",
            "json",
        ],
    );
    assert_eq!(json_count(&pruned), 50);

    let out = moto.run(
        lake,
        &["import", dir.path().join("bad.ndjson").to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1));
    let rejects = moto.run(
        lake,
        &[
            "sql",
            "SELECT count(*) AS n FROM raw.rejects WHERE reason LIKE '%negative%'",
            "--format",
            "json",
        ],
    );
    assert_eq!(json_count(&rejects), 1);
}

#[test]
fn a_missing_bucket_or_a_dead_endpoint_is_a_clear_error() {
    let moto = Moto::start();
    let out = moto.run("s3://no-such-bucket/lake", &["sql", "SELECT 1"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("cannot open the lake at s3://no-such-bucket/lake/"),
        "{err}"
    );
    assert!(
        err.contains("AWS_ENDPOINT_URL"),
        "the hint names what to check: {err}"
    );

    let dead_port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = bin()
        .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{dead_port}"))
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .args(["--lake", "s3://creative-lake/x", "sql", "SELECT 1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot open the lake"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn training_publishes_models_metrics_and_champions_on_s3() {
    let moto = Moto::start();
    moto.create_bucket("models");
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("training.parquet");
    crate::train::write_training_file(&crate::train::friedman(300, 5, 2.0, 31), &file);
    let lake = "s3://models/lake";
    let trained = moto.run(
        lake,
        &[
            "train",
            "--dataset",
            file.to_str().unwrap(),
            "--kinds",
            "elastic_net,gbt_leafwise",
            "--search-candidates",
            "1",
            "--run",
            "s3run",
            "--quiet",
        ],
    );
    assert!(trained.status.success(), "{}", stderr(&trained));
    let listed = stdout(&moto.run(lake, &["models"]));
    assert!(
        listed.contains("run s3run: all/elastic_net all/gbt_leafwise"),
        "{listed}"
    );
    assert!(listed.contains("champion all"), "{listed}");
    let output = moto.run(
        lake,
        &[
            "sql",
            "SELECT count(*) AS n FROM metrics.model_metrics WHERE run = 's3run'",
            "--format",
            "json",
        ],
    );
    assert_eq!(json_count(&output), 4, "{}", stderr(&output));
}
