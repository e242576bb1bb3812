//! `creativeiq collect` against the platform simulator over real HTTP: the
//! lake holds what the simulator served, once; faults lose and double
//! nothing; a killed collection resumes to the lake a clean run gives; no
//! token reaches the lake or the logs; a terminal shows progress.

pub(crate) mod harness;

use std::collections::BTreeSet;
use std::process::Stdio;
use std::time::Instant;

use creativeiq::collect::Platform;
use creativeiq::sim::Faults;

use crate::common::*;
use harness::*;

/// Small pages and batches, so every walk pages and lands several times.
const SMALL: [&str; 4] = ["--page-size", "3", "--batch-items", "4"];

fn lake_in(dir: &tempfile::TempDir, name: &str) -> String {
    dir.path().join(name).to_str().unwrap().to_string()
}

/// Checks every `raw.images` row against the bytes the simulator served,
/// and its blob against its name; returns the rows' URLs.
fn check_images(lake: &str, expected: &Expected) -> Vec<String> {
    let rows = query(
        lake,
        "SELECT url, sha256, bytes, decode_status FROM raw.images",
    );
    let mut urls = Vec::new();
    for row in &rows {
        let url = row["url"].as_str().unwrap().to_string();
        let sha = row["sha256"].as_str().unwrap();
        let (served_sha, broken) = &expected.images[&url];
        assert_eq!(sha, served_sha, "{url}: the sha256 of the bytes served");
        assert_eq!(
            row["decode_status"] == "ok",
            !broken,
            "{url}: {}",
            row["decode_status"]
        );
        if !broken {
            let blob = std::path::Path::new(lake)
                .join("blobs/images")
                .join(&sha[..2])
                .join(format!("{sha}.png"));
            let bytes = std::fs::read(&blob).unwrap_or_else(|e| panic!("{}: {e}", blob.display()));
            assert_eq!(
                sha256(&bytes),
                sha,
                "{} holds what its name says",
                blob.display()
            );
            assert_eq!(bytes.len() as u64, row["bytes"].as_u64().unwrap());
        }
        urls.push(url);
    }
    urls.sort();
    urls
}

/// Every printed platform line adds up: served = landed + rejected + outside.
fn check_printed_sums(counts: &std::collections::BTreeMap<String, Vec<u64>>) {
    assert_eq!(counts.len(), Platform::ALL.len(), "{counts:?}");
    for (platform, c) in counts {
        assert_eq!(c[0], c[1] + c[2] + c[3], "{platform}: {c:?}");
    }
}

#[test]
fn every_platform_lands_what_the_simulator_served() {
    let dir = tempfile::tempdir().unwrap();
    let server = SimServer::start(Faults::default(), dir.path());
    let lake = lake_in(&dir, "lake");
    // A window inside the world: the APIs without a date filter (LinkedIn,
    // TikTok, Dribbble, Behance) serve posts outside it, which are counted
    // and not landed.
    let (since, until) = ("2026-09-08", "2026-09-24");
    let out = server.collect(&lake, since, until, &SMALL);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let expected = expected(&server.sim, since, until);
    assert!(expected.posts.len() > 10 && !expected.experiments.is_empty());

    let (posts, total) = lake_posts(&lake);
    assert_eq!(distinct(&posts).len(), total, "every post once");
    assert_same(
        &posts,
        &expected.posts,
        "the posts served, with their likes and images",
    );
    assert!(posts.iter().all(|p| p.image_sha256.is_some()));

    let counts = printed_counts(&out);
    check_printed_sums(&counts);
    assert_eq!(
        printed_total(&counts, 1) as usize,
        expected.posts.len() + expected.experiments.len()
    );
    assert_eq!(printed_total(&counts, 2), 0);
    assert!(
        printed_total(&counts, 3) > 0,
        "posts outside the window were served and counted: {counts:?}"
    );
    // Images are counted per item that shows one: a design posted on
    // several platforms is one blob but several counted images.
    let image_refs = expected
        .posts
        .iter()
        .filter(|p| p.image_url.is_some())
        .count()
        + expected.experiments.values().sum::<usize>();
    assert_eq!(printed_total(&counts, 4) as usize, image_refs);

    let urls = check_images(&lake, &expected);
    assert_eq!(urls, expected.images.keys().cloned().collect::<Vec<_>>());

    // Every arm of every experiment, with the counts the tool reported.
    let arms = query(
        &lake,
        "SELECT test_id, variant, impressions, conversions, clicks, image_sha256 FROM raw.ab_tests",
    );
    assert_eq!(arms.len(), expected.experiments.values().sum::<usize>());
    for e in server
        .sim
        .world()
        .experiments
        .iter()
        .filter(|e| expected.experiments.contains_key(&e.id))
    {
        for v in &e.variations {
            let row = arms
                .iter()
                .find(|r| r["test_id"] == e.id.as_str() && r["variant"] == v.key.as_str())
                .unwrap_or_else(|| panic!("{} {} missing: {arms:?}", e.id, v.key));
            assert_eq!(row["impressions"], v.visitors);
            assert_eq!(row["conversions"], v.conversions);
            assert_eq!(row["clicks"], v.clicks);
            let (sha, _) = &expected.images[&server.sim.image_url(&v.image)];
            assert_eq!(row["image_sha256"], sha.as_str());
        }
    }
    assert_eq!(count(&lake, "SELECT count(*) AS n FROM raw.rejects"), 0);

    // The same window again: nothing is asked of the APIs, nothing added.
    let again = server.collect(&lake, since, until, &SMALL);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert_eq!(stdout(&again).matches("(already collected)").count(), 8);
    assert_eq!(printed_total(&printed_counts(&again), 6), 0, "no requests");
    assert_eq!(lake_posts(&lake).1, total);

    // `--refresh` takes today's snapshot beside the first.
    let refreshed = server.collect(&lake, since, until, &[&SMALL[..], &["--refresh"]].concat());
    assert_eq!(refreshed.status.code(), Some(0), "{}", stderr(&refreshed));
    let (snapshots, rows) = lake_posts(&lake);
    assert_eq!(rows, 2 * total);
    assert_eq!(distinct(&snapshots), distinct(&posts));
    assert_eq!(
        count(&lake, "SELECT count(*) AS n FROM raw.images"),
        expected.images.len() as i64
    );
}

#[test]
fn faults_lose_nothing_and_double_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let faults = Faults {
        rate_limit_per_second: Some(5),
        error_rate: 0.15,
        truncate_rate: 0.05,
        corrupt_image_rate: 0.1,
        duplicate_rate: 0.4,
        seed: 3,
        ..Faults::default()
    };
    let server = SimServer::start(faults, dir.path());
    let lake = lake_in(&dir, "lake");
    let out = server.collect(&lake, START, END, &SMALL);
    let printed = stdout(&out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "done, with rejects: {printed}{}",
        stderr(&out)
    );
    let expected = expected(&server.sim, START, END);
    let broken: BTreeSet<&String> = expected
        .images
        .iter()
        .filter(|(_, (_, broken))| *broken)
        .map(|(url, _)| url)
        .collect();
    assert!(!broken.is_empty(), "the seed breaks some images");

    let (posts, total) = lake_posts(&lake);
    assert_eq!(distinct(&posts).len(), total, "nothing doubled");
    assert_same(
        &posts,
        &expected.posts,
        "nothing lost, each post with the image it was served",
    );

    let counts = printed_counts(&out);
    check_printed_sums(&counts);
    assert_eq!(
        printed_total(&counts, 3),
        0,
        "the whole world is in the window"
    );
    let landed = printed_total(&counts, 1) as usize;
    assert_eq!(landed, expected.posts.len() + expected.experiments.len());
    assert!(
        printed_total(&counts, 7) > 0,
        "5xx and cut bodies were retried: {printed}"
    );
    assert!(
        printed_total(&counts, 8) > 0,
        "rate limits were honoured: {printed}"
    );

    // Each duplicate is rejected by name, and the item it repeats landed once.
    let rejects = query(
        &lake,
        "SELECT source, input, target_table, reason, raw FROM raw.rejects",
    );
    let (image_rejects, item_rejects): (Vec<_>, Vec<_>) = rejects
        .iter()
        .partition(|r| r["target_table"] == "raw.images");
    assert!(!item_rejects.is_empty(), "the seed repeats some items");
    assert_eq!(item_rejects.len() as u64, printed_total(&counts, 2));
    let landed_ids: BTreeSet<&str> = posts.iter().map(|p| p.post_id.as_str()).collect();
    for r in &item_rejects {
        let reason = r["reason"].as_str().unwrap();
        let id = reason
            .strip_prefix("duplicate: item ")
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("only duplicates are rejected: {r}"));
        assert!(
            landed_ids.contains(id) || expected.experiments.contains_key(id),
            "{id} landed once"
        );
        assert!(
            r["raw"].as_str().unwrap().contains(id),
            "the raw item is kept: {r}"
        );
    }
    // Each broken image is rejected by URL with its reason, and registered.
    let rejected_urls: BTreeSet<&str> = image_rejects
        .iter()
        .map(|r| r["input"].as_str().unwrap())
        .collect();
    assert_eq!(rejected_urls, broken.iter().map(|u| u.as_str()).collect());
    assert_eq!(image_rejects.len(), broken.len(), "each once");
    assert_eq!(image_rejects.len() as u64, printed_total(&counts, 5));
    for r in &image_rejects {
        let reason = r["reason"].as_str().unwrap();
        assert!(
            reason.starts_with("image truncated") || reason.starts_with("image unsupported"),
            "{reason}"
        );
    }
    let urls = check_images(&lake, &expected);
    assert_eq!(urls.len(), distinct(&urls).len(), "each image fetched once");
    assert_eq!(urls, expected.images.keys().cloned().collect::<Vec<_>>());
}

#[test]
fn an_image_posted_on_several_platforms_is_fetched_once() {
    let dir = tempfile::tempdir().unwrap();
    // The same design posted on every platform and tested in an experiment.
    let mut world = small_world(21, 1);
    let shared = world.posts[0].image.clone().unwrap();
    for post in &mut world.posts {
        post.image = Some(shared.clone());
    }
    world.experiments[0].variations[0].image = shared.clone();
    let server = SimServer::start_world(world, dir.path());
    let lake = lake_in(&dir, "lake");
    let out = server.collect(&lake, START, END, &["--page-size", "2"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let url = server.sim.image_url(&shared);
    assert_eq!(
        count(
            &lake,
            &format!("SELECT count(*) AS n FROM raw.images WHERE url = '{url}'")
        ),
        1,
        "one download, one row"
    );
    let sha = sha256(&server.sim.image_bytes(&shared).unwrap());
    let (posts, total) = lake_posts(&lake);
    assert_eq!(total, 21);
    assert!(posts
        .iter()
        .all(|p| p.image_sha256.as_deref() == Some(sha.as_str())));
    let counts = printed_counts(&out);
    assert_eq!(
        printed_total(&counts, 4),
        21 + 2,
        "each item counts its image"
    );
}

/// The lake as a user sees it, without the moments of landing.
fn lake_contents(lake: &str) -> Vec<Vec<String>> {
    // A write killed half-way leaves its staging file (`<name>#<n>`), which
    // the object store does not list: the lake has no such object.
    let blobs: Vec<String> = files_under(&std::path::Path::new(lake).join("blobs"))
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .filter(|name| {
            !name
                .split_once('#')
                .is_some_and(|(_, n)| n.bytes().all(|b| b.is_ascii_digit()))
        })
        .collect();
    vec![
        rows_of(
            lake,
            "SELECT platform, dt, post_id, account_id, image_url, image_sha256, published_at, likes, \
             comments, shares, saves, clicks, views, reach, impressions, audience_size, paid, caption, \
             source, source_record FROM raw.posts",
        ),
        rows_of(
            lake,
            "SELECT test_id, variant, image_url, image_sha256, started_at, impressions, conversions, \
             clicks, conversion_rate, click_through_rate, recorded_significance, source, source_record \
             FROM raw.ab_tests",
        ),
        rows_of(
            lake,
            "SELECT sha256, url, bytes, format, width, height, decode_status, decode_error FROM raw.images",
        ),
        rows_of(
            lake,
            "SELECT source, input, record, payload, target_table, field, reason, raw FROM raw.rejects",
        ),
        blobs,
    ]
}

#[test]
fn a_killed_collection_resumes_to_the_lake_a_clean_run_gives() {
    let dir = tempfile::tempdir().unwrap();
    // Slow answers stretch the run, so that kills land at many points;
    // duplicates and broken images put rejects on both sides of a kill.
    let faults = Faults {
        slow_rate: 1.0,
        slow_ms: 20,
        duplicate_rate: 0.4,
        corrupt_image_rate: 0.1,
        seed: 5,
        ..Faults::default()
    };
    let server = SimServer::start(faults, dir.path());
    let args = [
        "--page-size",
        "2",
        "--batch-items",
        "2",
        "--concurrency",
        "2",
    ];
    let clean = lake_in(&dir, "clean");
    let started = Instant::now();
    let out = server.collect(&clean, START, END, &args);
    let run_time = started.elapsed();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let clean_counts = printed_counts(&out);
    let total_posts = lake_posts(&clean).1;

    let killed = lake_in(&dir, "killed");
    let landed_files = || files_under(&std::path::Path::new(&killed).join("raw")).len();
    let mut landed_at_kills = Vec::new();
    for kill in 0..6u32 {
        let before = landed_files();
        let mut child = server
            .collect_command(
                &killed,
                &[&["--all", "--since", START, "--until", END][..], &args[..]].concat(),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Kill once this run has landed a few more files, a little later
        // each time, so the kills fall between and inside batches.
        let started = Instant::now();
        let mut finished = false;
        while landed_files() < before + 1 + kill as usize {
            if child.try_wait().unwrap().is_some() || started.elapsed() > run_time * 3 {
                finished = true;
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        if finished {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(u64::from(kill) * 9));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        landed_at_kills.push(landed_files());
    }
    assert!(
        landed_at_kills.len() >= 3,
        "the collector was killed at several points: {landed_at_kills:?}"
    );
    let out = server.collect(&killed, START, END, &args);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));

    assert_eq!(
        lake_posts(&killed).1,
        total_posts,
        "no post twice, none missing"
    );
    let (clean_lake, killed_lake) = (lake_contents(&clean), lake_contents(&killed));
    for (what, (a, b)) in [
        "raw.posts",
        "raw.ab_tests",
        "raw.images",
        "raw.rejects",
        "blobs",
    ]
    .iter()
    .zip(clean_lake.iter().zip(&killed_lake))
    {
        assert_eq!(a, b, "{what}: the resumed lake equals the clean one");
    }
    // The counts printed at the end are the whole collection's.
    let resumed_counts = printed_counts(&out);
    for column in 0..6 {
        assert_eq!(
            printed_total(&resumed_counts, column),
            printed_total(&clean_counts, column),
            "column {column}: {resumed_counts:?} vs {clean_counts:?}"
        );
    }
}

#[test]
fn a_batch_left_half_written_is_removed_before_it_is_redone() {
    let dir = tempfile::tempdir().unwrap();
    let faults = Faults {
        slow_rate: 1.0,
        slow_ms: 100,
        ..Faults::default()
    };
    let server = SimServer::start(faults, dir.path());
    let args = [
        "--platform",
        "dribbble",
        "--since",
        START,
        "--until",
        END,
        "--page-size",
        "2",
        "--batch-items",
        "2",
    ];
    let clean = lake_in(&dir, "clean");
    let out = server.collect_command(&clean, &args).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // Stop a run after its first batch, and leave behind a file of its
    // second, as a run stopped while writing it would (in a partition the
    // redo does not write, as when the API answers the redo with other
    // posts).
    let stopped = lake_in(&dir, "stopped");
    let mut child = server
        .collect_command(&stopped, &args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let state = std::path::Path::new(&stopped).join("state/collect/dribbble");
    let started = Instant::now();
    let checkpoint = loop {
        let unfinished = files_under(&state).into_iter().find(|c| {
            let text = std::fs::read_to_string(c).unwrap_or_default();
            text.contains("\"batches\":1,") && text.contains("\"done\":false")
        });
        if let Some(c) = unfinished {
            break c;
        }
        assert!(started.elapsed().as_secs() < 60 && child.try_wait().unwrap().is_none());
        std::thread::sleep(std::time::Duration::from_millis(2));
    };
    child.kill().unwrap();
    child.wait().unwrap();
    let key = checkpoint.file_stem().unwrap().to_str().unwrap();
    let posts = std::path::Path::new(&stopped).join("raw/posts/platform=dribbble");
    let landed = parquet_files(&posts);
    let stale = posts.join(format!("dt=2026-08-01/collect-{key}-b00001-0000.parquet"));
    std::fs::create_dir_all(stale.parent().unwrap()).unwrap();
    std::fs::copy(&landed[0], &stale).unwrap();

    let out = server.collect_command(&stopped, &args).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stale.exists(), "the stale file is removed");
    let rows = |lake: &str| {
        rows_of(
            lake,
            "SELECT post_id, dt, likes, image_sha256, source_record FROM raw.posts",
        )
    };
    assert_eq!(rows(&stopped), rows(&clean));
}

#[test]
fn tokens_never_reach_the_lake_or_the_logs() {
    let dir = tempfile::tempdir().unwrap();
    let faults = Faults {
        rate_limit_per_second: Some(5),
        error_rate: 0.2,
        truncate_rate: 0.1,
        corrupt_image_rate: 0.1,
        duplicate_rate: 0.4,
        seed: 9,
        ..Faults::default()
    };
    let server = SimServer::start(faults, dir.path());
    let lake = lake_in(&dir, "lake");
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let log = |name: &str, output: &std::process::Output| {
        std::fs::write(logs.join(format!("{name}.out")), &output.stdout).unwrap();
        std::fs::write(logs.join(format!("{name}.err")), &output.stderr).unwrap();
    };
    let traced = |args: &[&str]| {
        server
            .collect_command(&lake, args)
            .env("RUST_LOG", "trace")
            .output()
            .unwrap()
    };
    // A collection killed mid-walk leaves checkpoints holding `next`
    // cursors (the Graph API's carry the token in their URL).
    let partial = lake_in(&dir, "partial");
    let checkpoints =
        || files_under(&std::path::Path::new(&partial).join("state/collect/instagram"));
    let mut child = server
        .collect_command(
            &partial,
            &[
                "--all",
                "--since",
                START,
                "--until",
                END,
                "--page-size",
                "2",
                "--batch-items",
                "2",
            ],
        )
        .env("RUST_LOG", "trace")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(logs.join("partial.err")).unwrap())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !checkpoints().iter().any(|c| {
        std::fs::read_to_string(c)
            .unwrap_or_default()
            .contains("\"next\":\"http")
    }) {
        assert!(
            started.elapsed().as_secs() < 60 && child.try_wait().unwrap().is_none(),
            "no Graph API checkpoint with a next URL appeared"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let full = traced(&[
        "--all",
        "--since",
        START,
        "--until",
        END,
        "--page-size",
        "3",
    ]);
    assert_eq!(full.status.code(), Some(1), "{}", stdout(&full));
    log("full", &full);
    // Error paths: an unknown account (the APIs' error messages; Behance
    // takes its key in the query string) ...
    for platform in ["behance", "instagram", "x"] {
        let out = traced(&[
            "--platform",
            platform,
            "--account",
            "nobody",
            "--since",
            START,
            "--until",
            END,
        ]);
        assert_eq!(out.status.code(), Some(2));
        assert!(stdout(&out).contains("HTTP 4"), "{}", stdout(&out));
        log(platform, &out);
    }
    // ... and an API that cannot be reached (connection errors carry URLs).
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dead_env = dir.path().join("dead.env");
    let text = std::fs::read_to_string(&server.env_file)
        .unwrap()
        .replace(server.sim.base_url(), &format!("http://127.0.0.1:{dead}"));
    std::fs::write(&dead_env, text).unwrap();
    let out = bin()
        .env("RUST_LOG", "trace")
        .args([
            "--lake",
            &lake,
            "collect",
            "--platform",
            "behance",
            "--env-file",
        ])
        .arg(&dead_env)
        .args(["--since", "2026-09-02", "--until", END])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    log("dead", &out);

    let mut searched = String::new();
    for file in files_under(std::path::Path::new(&lake))
        .into_iter()
        .chain(files_under(std::path::Path::new(&partial)))
        .chain(files_under(&logs))
    {
        let text = searchable_text(&file);
        for token in server.tokens() {
            assert!(
                !text.contains(&token),
                "{} holds the token {token}",
                file.display()
            );
        }
        searched.push_str(&text);
    }
    // The search reads what is there: the Parquet values, the trace logs.
    let account = &server.sim.world().accounts[0].id;
    assert!(
        searched.contains(account.as_str()),
        "Parquet values are searched"
    );
    assert!(
        searched.contains("TRACE") && searched.contains("retrying"),
        "trace logs are searched"
    );
    assert!(
        searched.contains("Connection refused"),
        "the dead API's error is searched"
    );
}

#[test]
fn a_terminal_shows_progress_and_a_pipe_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let faults = Faults {
        slow_rate: 1.0,
        slow_ms: 150,
        ..Faults::default()
    };
    let server = SimServer::start(faults, dir.path());
    let lake = lake_in(&dir, "lake");
    let command = format!(
        "{} --lake {lake} collect --platform x --since {START} --until {END} --page-size 5 --env-file {}",
        env!("CARGO_BIN_EXE_creativeiq"),
        server.env_file.display()
    );
    // `script` runs the command on a pseudo-terminal and copies what it drew.
    let shown = std::process::Command::new("script")
        .args(["-qefc", &command, "/dev/null"])
        .env("RUST_LOG", "warn")
        .output()
        .expect("`script` (util-linux) runs");
    let drawn = stdout(&shown);
    assert!(shown.status.success(), "{drawn}");
    assert!(
        drawn.contains(" landed, ") && drawn.contains("served,"),
        "a progress line on the terminal: {drawn:?}"
    );

    let piped = server
        .collect_command(
            &lake_in(&dir, "piped"),
            &["--platform", "x", "--since", START, "--until", END],
        )
        .output()
        .unwrap();
    assert!(piped.status.success(), "{}", stderr(&piped));
    assert!(!stderr(&piped).contains(" landed, "), "{}", stderr(&piped));
}
