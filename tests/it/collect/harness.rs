//! The collector tests' equipment: the simulator served in-process on
//! 127.0.0.1 (one small world, rendered once, shared by every test under
//! its own faults), the collector run as the real binary, what the
//! simulator served, and the lake read back.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;

use chrono::{NaiveDate, TimeZone, Utc};
use creativeiq::collect::Platform;
use creativeiq::sim::{Faults, Sim, World, WorldConfig};

use sha2::{Digest, Sha256};

use crate::common::*;

/// The first day of the simulated world.
pub const START: &str = "2026-09-01";
/// The first day after it.
pub const END: &str = "2026-10-01";

/// A world of `posts` posts over two accounts per platform, and
/// `experiments` experiments, over 30 days from [`START`].
pub fn small_world(posts: usize, experiments: usize) -> World {
    World::generate(&WorldConfig {
        seed: 11,
        posts,
        accounts_per_platform: 2,
        start: NaiveDate::parse_from_str(START, "%Y-%m-%d").unwrap(),
        days: 30,
        experiments,
    })
}

/// The world every collector test serves: 8 posts per platform over two
/// accounts, 3 experiments. Its images are rendered once per test run.
fn template() -> &'static Sim {
    static TEMPLATE: OnceLock<Sim> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let sim = Sim::new(
            small_world(56, 3),
            Faults::default(),
            "http://unused",
            0x5EC2E7,
        );
        sim.prerender();
        sim
    })
}

/// A simulator serving on 127.0.0.1 in this process, stopped when dropped.
pub struct SimServer {
    pub sim: Arc<Sim>,
    /// The `.env` file a collector reads to reach it.
    pub env_file: PathBuf,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl SimServer {
    /// The shared test world under `faults`.
    pub fn start(faults: Faults, dir: &Path) -> SimServer {
        SimServer::serve(template(), faults, dir)
    }

    /// Another world (its images rendered on request).
    pub fn start_world(world: World, dir: &Path) -> SimServer {
        let sim: &'static Sim = Box::leak(Box::new(Sim::new(
            world,
            Faults::default(),
            "http://unused",
            0x5EC2E7,
        )));
        SimServer::serve(sim, Faults::default(), dir)
    }

    fn serve(template: &'static Sim, faults: Faults, dir: &Path) -> SimServer {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (shutdown_tx, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let (listener, addr) = creativeiq::sim::bind(0).await.unwrap();
                let sim = Arc::new(template.with_faults(faults, &format!("http://{addr}")));
                ready_tx.send(sim.clone()).unwrap();
                creativeiq::sim::serve(listener, sim, async {
                    let _ = shutdown_rx.await;
                })
                .await
                .unwrap();
            });
        });
        let sim = ready_rx.recv().expect("the simulator starts");
        let env_file = dir.join("sim.env");
        std::fs::write(&env_file, sim.env_file()).unwrap();
        SimServer {
            sim,
            env_file,
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
        }
    }

    /// The collector binary, pointed at this simulator, collecting `args`.
    pub fn collect_command(&self, lake: &str, args: &[&str]) -> std::process::Command {
        let mut command = bin();
        command
            .arg("--lake")
            .arg(lake)
            .arg("collect")
            .arg("--env-file")
            .arg(&self.env_file)
            .args(args);
        command
    }

    /// Runs a collection of every platform over `[since, until)`.
    pub fn collect(&self, lake: &str, since: &str, until: &str, extra: &[&str]) -> Output {
        let mut args = vec!["--all", "--since", since, "--until", until];
        args.extend_from_slice(extra);
        self.collect_command(lake, &args).output().unwrap()
    }

    /// Every token the simulator accepts.
    pub fn tokens(&self) -> Vec<String> {
        Platform::ALL
            .iter()
            .map(|p| self.sim.token(*p).to_string())
            .collect()
    }
}

impl Drop for SimServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The sha256 of bytes, in hex.
pub fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A post as the lake should hold it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ExpectedPost {
    pub platform: String,
    pub post_id: String,
    pub account: String,
    pub likes: u64,
    pub image_url: Option<String>,
    pub image_sha256: Option<String>,
}

/// What the simulator serves for `[since, until)`: posts, experiments
/// (test id and arm count), and every image URL with the sha256 of the
/// bytes served and whether they are broken.
pub struct Expected {
    pub posts: Vec<ExpectedPost>,
    pub experiments: BTreeMap<String, usize>,
    pub images: BTreeMap<String, (String, bool)>,
}

pub fn expected(sim: &Sim, since: &str, until: &str) -> Expected {
    let day = |d: &str| {
        Utc.from_utc_datetime(
            &NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap(),
        )
    };
    let (since, until) = (day(since), day(until));
    let inside = |t| t >= since && t < until;
    let mut images = BTreeMap::new();
    let mut image = |id: &str| {
        let url = sim.image_url(id);
        let bytes = sim.image_bytes(id).unwrap();
        let broken = sim.faults().image_is_corrupt(id);
        images.insert(url.clone(), (sha256(&bytes), broken));
        (url, sha256(&bytes))
    };
    let mut posts = Vec::new();
    for p in sim.world().posts.iter().filter(|p| inside(p.published_at)) {
        let (image_url, image_sha256) = match &p.image {
            Some(id) => {
                let (url, sha) = image(id);
                (Some(url), Some(sha))
            }
            None => (None, None),
        };
        let post_id = match p.platform {
            Platform::Facebook => format!("{}_{}", p.account, p.id),
            Platform::Linkedin => format!("urn:li:share:{}", p.id),
            _ => p.id.clone(),
        };
        posts.push(ExpectedPost {
            platform: p.platform.name().to_string(),
            post_id,
            account: p.account.clone(),
            likes: p.likes,
            image_url,
            image_sha256,
        });
    }
    posts.sort();
    let mut experiments = BTreeMap::new();
    for e in sim
        .world()
        .experiments
        .iter()
        .filter(|e| inside(e.started_at))
    {
        for v in &e.variations {
            image(&v.image);
        }
        experiments.insert(e.id.clone(), e.variations.len());
    }
    Expected {
        posts,
        experiments,
        images,
    }
}

/// The posts in the lake, sorted, with how often each appears.
pub fn lake_posts(lake: &str) -> (Vec<ExpectedPost>, usize) {
    let rows = query(
        lake,
        "SELECT platform, post_id, account_id, likes, image_url, image_sha256 FROM raw.posts",
    );
    let total = rows.len();
    let text = |r: &serde_json::Value, k: &str| r.get(k).and_then(|v| v.as_str()).map(String::from);
    let mut posts: Vec<ExpectedPost> = rows
        .iter()
        .map(|r| ExpectedPost {
            platform: text(r, "platform").unwrap(),
            post_id: text(r, "post_id").unwrap(),
            account: text(r, "account_id").unwrap_or_default(),
            likes: r["likes"].as_u64().unwrap(),
            image_url: text(r, "image_url"),
            image_sha256: text(r, "image_sha256"),
        })
        .collect();
    posts.sort();
    (posts, total)
}

/// The numbers a collection printed, per platform: served, landed,
/// rejected, outside, images, img-rej, requests, retries, limited.
pub fn printed_counts(output: &Output) -> BTreeMap<String, Vec<u64>> {
    stdout(output)
        .lines()
        .skip(1)
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let platform = words.next()?;
            Platform::ALL.iter().find(|p| p.name() == platform)?;
            let numbers: Vec<u64> = words.take(9).filter_map(|w| w.parse().ok()).collect();
            (numbers.len() == 9).then(|| (platform.to_string(), numbers))
        })
        .collect()
}

/// Sums a column of the printed counts over the platforms.
pub fn printed_total(counts: &BTreeMap<String, Vec<u64>>, column: usize) -> u64 {
    counts.values().map(|c| c[column]).sum()
}

/// Every file under `dir`, recursively, sorted.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// A file's text as a person would search it: a Parquet file's every
/// value (its pages are compressed, so its bytes hide their text), any
/// other file's bytes.
pub fn searchable_text(path: &Path) -> String {
    if path.extension().is_some_and(|e| e == "parquet") {
        use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
        let file = std::fs::File::open(path).unwrap();
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .build()
            .unwrap();
        let batches: Vec<_> = reader.map(|b| b.unwrap()).collect();
        arrow::util::pretty::pretty_format_batches(&batches)
            .unwrap()
            .to_string()
    } else {
        String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned()
    }
}

/// The set of lines of a query's JSON answer (for comparing lakes).
pub fn rows_of(lake: &str, sql: &str) -> Vec<String> {
    let mut rows: Vec<String> = query(lake, sql).iter().map(|r| r.to_string()).collect();
    rows.sort();
    rows
}

/// Asserts two sorted lists are equal, showing only what differs.
pub fn assert_same<T: Ord + Clone + std::fmt::Debug>(found: &[T], wanted: &[T], what: &str) {
    if found != wanted {
        let (a, b) = (distinct(found), distinct(wanted));
        let extra: Vec<_> = a.difference(&b).collect();
        let missing: Vec<_> = b.difference(&a).collect();
        panic!(
            "{what}: {} found, {} wanted\nnot wanted: {extra:#?}\nmissing: {missing:#?}",
            found.len(),
            wanted.len()
        );
    }
}

/// Distinct values of a set.
pub fn distinct<T: Ord + Clone>(items: &[T]) -> BTreeSet<T> {
    items.iter().cloned().collect()
}
