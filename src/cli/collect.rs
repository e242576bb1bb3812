//! `creativeiq collect`: the platform collectors.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use chrono::NaiveDate;

use creativeiq::collect::{default_since, default_until, Collect, Env, Platform};

use super::{Global, Outcome};

/// Collect posts, A/B results and images from the platforms' APIs.
///
/// Tokens, accounts and API URLs come from the environment or .env
/// (INSTAGRAM_ACCESS_TOKEN, INSTAGRAM_ACCOUNTS, INSTAGRAM_API_URL, ...).
/// A killed collection resumes where it stopped when run again.
/// Exit status: 0 all landed, 1 some items rejected, 2 a platform failed.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Platforms to collect (repeat the flag for several).
    #[arg(long = "platform", value_enum, required_unless_present = "all")]
    platforms: Vec<Platform>,
    /// Every platform, and the experiments API.
    #[arg(long, conflicts_with = "platforms")]
    all: bool,
    /// Accounts to collect (default: <PLATFORM>_ACCOUNTS).
    #[arg(long = "account")]
    accounts: Vec<String>,
    /// First publication day collected (default: 30 days ago).
    #[arg(long)]
    since: Option<NaiveDate>,
    /// First publication day not collected (default: tomorrow).
    #[arg(long)]
    until: Option<NaiveDate>,
    /// Read settings from this file instead of .env.
    #[arg(long)]
    env_file: Option<PathBuf>,
    /// Take today's snapshot of a window collected before (one a day; a
    /// killed refresh resumes when run again the same day).
    #[arg(long)]
    refresh: bool,
    /// API requests in flight per platform.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Image downloads in flight per platform.
    #[arg(long, default_value_t = 8)]
    downloads: usize,
    /// Items per page asked of the APIs (default: each API's largest page).
    #[arg(long)]
    page_size: Option<usize>,
    /// Items landed and checkpointed together; a killed run redoes at most
    /// this many per account.
    #[arg(long, default_value_t = 1000)]
    batch_items: usize,
}

pub async fn run(global: &Global, args: Args) -> Result<Outcome> {
    let env = Env::load(args.env_file.as_deref()).map_err(anyhow::Error::msg)?;
    let platforms = if args.all {
        Platform::ALL.to_vec()
    } else {
        args.platforms
    };
    let lake = global.open_lake().await?;
    let collect = Collect::new(
        platforms,
        args.since.unwrap_or_else(default_since),
        args.until.unwrap_or_else(default_until),
        env,
    )
    .with_accounts(args.accounts)
    .with_refresh(args.refresh)
    .with_concurrency(args.concurrency)
    .with_downloads(args.downloads)
    .with_page_size(args.page_size)
    .with_batch_items(args.batch_items)
    .with_progress(!global.quiet);
    let reports = collect.run(&lake).await?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{:<11} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9} {:>8} {:>8} {:>8}",
        "platform",
        "served",
        "landed",
        "rejected",
        "outside",
        "images",
        "img-rej",
        "requests",
        "retries",
        "limited"
    )?;
    let (mut total, mut failed) = (creativeiq::collect::Counts::default(), false);
    for (platform, r) in &reports {
        let c = &r.counts;
        let note = if r.already_done == r.accounts && r.accounts > 0 {
            "  (already collected)"
        } else {
            ""
        };
        writeln!(
            out,
            "{:<11} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9} {:>8} {:>8} {:>8}{note}",
            platform.name(),
            c.served,
            c.landed,
            c.rejected,
            c.outside,
            c.images,
            c.images_rejected,
            r.requests,
            r.retries,
            r.rate_limited,
        )?;
        total.add(c);
        for e in &r.errors {
            writeln!(out, "  error: {e}")?;
            failed = true;
        }
    }
    writeln!(
        out,
        "{} served = {} landed + {} rejected + {} outside the window; images: {} decodable, {} refused (see raw.rejects)",
        total.served, total.landed, total.rejected, total.outside, total.images, total.images_rejected
    )?;
    if failed {
        anyhow::bail!("some accounts could not be collected (see above); run again to resume them");
    }
    Ok(if total.rejected + total.images_rejected > 0 {
        Outcome::SomeRejected
    } else {
        Outcome::Done
    })
}
