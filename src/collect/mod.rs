//! `creativeiq collect`: pages through the platforms' APIs and lands posts,
//! A/B results and images in the lake.
//!
//! Reads: the platform APIs (tokens, accounts and base URLs from the
//! environment or `.env`), and `raw/images` (so an image is downloaded once).
//! Writes: `raw/posts`, `raw/ab_tests`, `raw/images`, `blobs/images/`,
//! `raw/rejects`, and a checkpoint per walk (platform, account, window)
//! under `state/collect/`.
//!
//! One engine does the work every platform shares: [`client`] (auth,
//! retries, rate limits, concurrency; tokens never leave it), [`engine`]
//! (paging, duplicates, the window, images, landing in batches, resume) and
//! [`checkpoint`]. Each platform is a small adapter in [`adapters`] with a
//! payload contract in `schemas/payloads/`; adding one is described there.
//! Every item an API serves is landed, rejected with its reason, or counted
//! as outside the window: served = landed + rejected + outside.

mod adapters;
mod checkpoint;
mod client;
mod engine;
mod env;
mod platform;

use std::collections::{BTreeMap, HashMap};
use std::io::IsTerminal;

use chrono::{NaiveDate, TimeZone, Utc};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use crate::ingest::images::ImageLimits;
use crate::lake::{Lake, LakeError};
use crate::query::Session;

pub use adapters::Window;
pub use checkpoint::Counts;
pub use client::{FetchError, RetryPolicy};
pub use env::{Env, Secret};
pub use platform::Platform;

/// A collection could not run, or one account's walk failed.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    /// Settings are missing or wrong.
    #[error("{0}")]
    Setup(String),
    /// An API request failed for good.
    #[error("account {account}: {source}")]
    Fetch {
        /// The account being walked.
        account: String,
        /// The request's failure.
        #[source]
        source: FetchError,
    },
    /// Writing to the lake failed.
    #[error(transparent)]
    Lake(#[from] LakeError),
}

/// What a collection did on one platform.
#[derive(Debug, Clone, Default)]
pub struct PlatformReport {
    /// Counts over the platform's accounts.
    pub counts: Counts,
    /// Accounts walked.
    pub accounts: usize,
    /// Accounts whose window was already collected.
    pub already_done: usize,
    /// Requests sent, retries included.
    pub requests: u64,
    /// Retries after errors or cut bodies.
    pub retries: u64,
    /// Waits for rate limits.
    pub rate_limited: u64,
    /// Accounts that failed, with why.
    pub errors: Vec<String>,
}

/// What one platform's walks need, checked before any request.
struct PlatformPlan {
    platform: Platform,
    token: Secret,
    base: String,
    accounts: Vec<String>,
}

/// A collection job; see the module docs.
pub struct Collect {
    platforms: Vec<Platform>,
    accounts: Vec<String>,
    window: Window,
    env: Env,
    refresh: bool,
    progress: bool,
    concurrency: usize,
    downloads: usize,
    page_size: Option<usize>,
    batch_items: usize,
    retry: RetryPolicy,
    limits: ImageLimits,
}

impl Collect {
    /// Collects `platforms` for publications in `[since, until)` (days, UTC).
    pub fn new(platforms: Vec<Platform>, since: NaiveDate, until: NaiveDate, env: Env) -> Collect {
        let day =
            |d: NaiveDate| Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight exists"));
        Collect {
            platforms,
            accounts: Vec::new(),
            window: Window {
                since: day(since),
                until: day(until),
            },
            env,
            refresh: false,
            progress: std::io::stderr().is_terminal(),
            concurrency: 4,
            downloads: 8,
            page_size: None,
            batch_items: 1000,
            retry: RetryPolicy::default(),
            limits: ImageLimits::default(),
        }
    }

    /// Only these accounts (default: `<PLATFORM>_ACCOUNTS` from the environment).
    pub fn with_accounts(mut self, accounts: Vec<String>) -> Collect {
        self.accounts = accounts;
        self
    }

    /// Takes today's snapshot of a window collected before: one per UTC
    /// day, so a killed refresh run again the same day resumes.
    pub fn with_refresh(mut self, refresh: bool) -> Collect {
        self.refresh = refresh;
        self
    }

    /// Shows progress bars (default: when stderr is a terminal).
    pub fn with_progress(mut self, show: bool) -> Collect {
        self.progress = show;
        self
    }

    /// Requests in flight per platform.
    pub fn with_concurrency(mut self, n: usize) -> Collect {
        self.concurrency = n.max(1);
        self
    }

    /// Image downloads in flight per platform.
    pub fn with_downloads(mut self, n: usize) -> Collect {
        self.downloads = n.max(1);
        self
    }

    /// Items per page asked of the APIs (default: each API's largest page).
    pub fn with_page_size(mut self, n: Option<usize>) -> Collect {
        self.page_size = n.map(|n| n.max(1));
        self
    }

    /// Items landed and checkpointed together: smaller redoes less after a
    /// kill, larger writes fewer files.
    pub fn with_batch_items(mut self, n: usize) -> Collect {
        self.batch_items = n.max(1);
        self
    }

    /// Limits on downloaded images.
    pub fn with_image_limits(mut self, limits: ImageLimits) -> Collect {
        self.limits = limits;
        self
    }

    /// Retry settings.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Collect {
        self.retry = retry;
        self
    }

    /// Checks that every platform has a token and accounts, before any request.
    fn plan(&self) -> Result<Vec<PlatformPlan>, CollectError> {
        let mut missing = Vec::new();
        let mut plan = Vec::new();
        for &platform in &self.platforms {
            let token = self.env.secret(platform.token_variable());
            let accounts: Vec<String> = if self.accounts.is_empty() {
                self.env
                    .get(&platform.accounts_variable())
                    .map(|v| {
                        v.split(',')
                            .map(|a| a.trim().to_string())
                            .filter(|a| !a.is_empty())
                            .collect()
                    })
                    .unwrap_or_default()
            } else {
                self.accounts.clone()
            };
            match (&token, accounts.is_empty()) {
                (None, _) => missing.push(platform.token_variable().to_string()),
                (_, true) => {
                    missing.push(format!("{} (or --account)", platform.accounts_variable()))
                }
                _ => {}
            }
            let base = self
                .env
                .get(&platform.url_variable())
                .unwrap_or_else(|| platform.default_base_url().to_string());
            if let Some(token) = token {
                plan.push(PlatformPlan {
                    platform,
                    token,
                    base,
                    accounts,
                });
            }
        }
        if !missing.is_empty() {
            return Err(CollectError::Setup(format!(
                "missing settings: {}; set them in the environment or in .env",
                missing.join(", ")
            )));
        }
        Ok(plan)
    }

    /// Runs the collection into `lake`: the platforms at once, each one's
    /// accounts at once, within the request limits.
    pub async fn run(
        &self,
        lake: &Lake,
    ) -> Result<BTreeMap<Platform, PlatformReport>, CollectError> {
        let plan = self.plan()?;
        let ctx = engine::RunContext {
            lake: lake.clone(),
            window: self.window,
            now_micros: Utc::now().timestamp_micros(),
            limits: self.limits,
            refresh_stamp: self.refresh.then(|| Utc::now().date_naive().to_string()),
            page_size: self.page_size,
            batch_items: self.batch_items,
            downloads: self.downloads,
            known_images: std::sync::Mutex::new(known_images(lake).await?),
        };
        let bars = MultiProgress::new();
        if !self.progress {
            bars.set_draw_target(indicatif::ProgressDrawTarget::hidden());
        }
        let style =
            ProgressStyle::with_template("{spinner:.green} {prefix:>10} [{elapsed_precise}] {msg}")
                .expect("a valid template");
        let runs = plan.into_iter().map(|plan| {
            let bar = bars.add(ProgressBar::new_spinner());
            bar.set_style(style.clone());
            bar.set_prefix(plan.platform.name());
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            self.run_platform(&ctx, plan, bar)
        });
        Ok(futures::future::join_all(runs).await.into_iter().collect())
    }

    async fn run_platform(
        &self,
        ctx: &engine::RunContext,
        plan: PlatformPlan,
        bar: ProgressBar,
    ) -> (Platform, PlatformReport) {
        use futures::StreamExt;
        use std::sync::atomic::Ordering::Relaxed;
        let PlatformPlan {
            platform,
            token,
            base,
            accounts,
        } = plan;
        let adapter = adapters::adapter(platform);
        let api = client::ApiClient::new(
            platform,
            &base,
            token,
            adapter.auth(),
            self.retry,
            self.concurrency,
            self.downloads,
        )
        .with_headers(adapter.headers());
        // Each account's running counts, summed for the bar.
        let live = std::sync::Mutex::new(vec![Counts::default(); accounts.len()]);
        let show = |slot: usize, counts: &Counts| {
            let mut live = live.lock().expect("not poisoned");
            live[slot] = counts.clone();
            let mut total = Counts::default();
            live.iter().for_each(|c| total.add(c));
            bar.set_message(format!(
                "{} served, {} landed, {} rejected, {} outside, {} images ({} refused)",
                total.served,
                total.landed,
                total.rejected,
                total.outside,
                total.images,
                total.images_rejected
            ));
        };
        let (adapter, api, show, ctx) = (adapter.as_ref(), &api, &show, ctx);
        let walks: Vec<(String, Result<engine::WalkResult, CollectError>)> =
            futures::stream::iter(accounts.iter().enumerate())
                .map(|(slot, account)| async move {
                    let on_page = move |c: &Counts| show(slot, c);
                    let walked = engine::walk(ctx, adapter, api, account, &on_page).await;
                    (account.clone(), walked)
                })
                .buffer_unordered(self.concurrency)
                .collect()
                .await;
        let mut report = PlatformReport::default();
        for (account, walked) in walks {
            report.accounts += 1;
            match walked {
                Ok(walked) => {
                    report.counts.add(&walked.counts);
                    report.already_done += usize::from(walked.already_done);
                }
                Err(e) => {
                    tracing::debug!(platform = %platform, account, error = %e, "walk failed");
                    report.errors.push(e.to_string());
                }
            }
        }
        report.requests = api.stats.requests.load(Relaxed);
        report.retries = api.stats.retries.load(Relaxed);
        report.rate_limited = api.stats.rate_limited.load(Relaxed);
        bar.finish_and_clear();
        (platform, report)
    }
}

/// Images already in the lake, by URL.
async fn known_images(lake: &Lake) -> Result<HashMap<String, engine::ImageCell>, CollectError> {
    use arrow::array::AsArray;
    let session = Session::open(lake)
        .await
        .map_err(|e| CollectError::Setup(e.to_string()))?;
    let frame = session
        .query("SELECT url, sha256, decode_status = 'ok' FROM raw.images")
        .await
        .map_err(|e| CollectError::Setup(e.to_string()))?;
    let batches = frame
        .collect()
        .await
        .map_err(|e| CollectError::Setup(format!("reading raw.images: {e}")))?;
    let mut known = HashMap::new();
    for batch in batches {
        let urls = batch.column(0).as_string::<i32>();
        let shas = batch.column(1).as_string::<i32>();
        let ok = batch.column(2).as_boolean();
        for i in 0..batch.num_rows() {
            let image = engine::KnownImage {
                sha256: shas.value(i).to_string(),
                ok: ok.value(i),
            };
            let cell = tokio::sync::OnceCell::new_with(Some(Some(image)));
            known.insert(urls.value(i).to_string(), std::sync::Arc::new(cell));
        }
    }
    Ok(known)
}

/// The default `--since`: 30 days ago.
pub fn default_since() -> NaiveDate {
    Utc::now().date_naive() - chrono::Days::new(30)
}

/// The default `--until`: tomorrow, so today is included.
pub fn default_until() -> NaiveDate {
    Utc::now().date_naive() + chrono::Days::new(1)
}
