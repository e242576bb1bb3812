//! `creativeiq sim`: the local platform simulator.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use chrono::NaiveDate;

use creativeiq::sim::world::served_post_id;
use creativeiq::sim::{Faults, Sim, World, WorldConfig};

use super::Outcome;

/// The platform simulator, for demos and tests.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: SimCommand,
}

/// Simulator commands.
#[derive(Debug, clap::Subcommand)]
enum SimCommand {
    /// Serve the simulated platform APIs on 127.0.0.1 until stopped.
    Serve(ServeArgs),
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Port (0 picks a free one).
    #[arg(long, default_value_t = 8765)]
    port: u16,
    /// Seed of the simulated world.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Posts over all platforms.
    #[arg(long, default_value_t = 700)]
    posts: usize,
    /// Accounts per platform.
    #[arg(long, default_value_t = 2)]
    accounts: usize,
    /// First publication day.
    #[arg(long, default_value = "2026-09-01")]
    start: NaiveDate,
    /// Days of publications.
    #[arg(long, default_value_t = 60)]
    days: u32,
    /// A/B experiments.
    #[arg(long, default_value_t = 20)]
    experiments: usize,
    /// Write the tokens, accounts and URLs a collector needs to this file.
    #[arg(long)]
    env_file: Option<PathBuf>,
    /// Write the served world's truth into this directory (posts.ndjson
    /// with each post's expected rate, ceiling.json, ...; as the truth/ of
    /// `creativeiq synth`), for `creativeiq train --truth`.
    #[arg(long)]
    truth_dir: Option<PathBuf>,
    /// Requests per second per platform before rate limiting.
    #[arg(long)]
    rate_limit: Option<u32>,
    /// Share of requests answered with a 5xx.
    #[arg(long, default_value_t = 0.0)]
    error_rate: f64,
    /// Share of responses cut off mid-body.
    #[arg(long, default_value_t = 0.0)]
    truncate_rate: f64,
    /// Share of requests delayed by --slow-ms.
    #[arg(long, default_value_t = 0.0)]
    slow_rate: f64,
    /// Delay of a slow request, in milliseconds.
    #[arg(long, default_value_t = 2000)]
    slow_ms: u64,
    /// Share of images served corrupt or truncated.
    #[arg(long, default_value_t = 0.0)]
    corrupt_images: f64,
    /// Share of list pages repeating an item of the page before.
    #[arg(long, default_value_t = 0.0)]
    duplicates: f64,
    /// Render every image before listening (benchmarks), instead of on
    /// first request.
    #[arg(long)]
    prerender: bool,
}

pub async fn run(args: Args) -> Result<Outcome> {
    match args.command {
        SimCommand::Serve(serve) => run_serve(serve).await,
    }
}

async fn run_serve(args: ServeArgs) -> Result<Outcome> {
    let config = WorldConfig {
        seed: args.seed,
        posts: args.posts,
        accounts_per_platform: args.accounts,
        start: args.start,
        days: args.days,
        experiments: args.experiments,
    };
    let faults = Faults {
        rate_limit_per_second: args.rate_limit,
        error_rate: args.error_rate,
        slow_rate: args.slow_rate,
        slow_ms: args.slow_ms,
        truncate_rate: args.truncate_rate,
        corrupt_image_rate: args.corrupt_images,
        duplicate_rate: args.duplicates,
        seed: args.seed,
    };
    let port = args.port;
    let (listener, addr) = creativeiq::sim::bind(port)
        .await
        .with_context(|| format!("binding 127.0.0.1:{port}"))?;
    let base = format!("http://{addr}");
    let world = World::generate_synth(&config);
    if let Some(dir) = &args.truth_dir {
        creativeiq::synth::write_truth_as(&world, dir, |p| {
            served_post_id(p.platform, &p.account, &p.id)
        })
        .with_context(|| format!("writing the truth into {}", dir.display()))?;
    }
    let sim = Arc::new(Sim::new(World::from_synth(world), faults, &base, args.seed));
    if args.prerender {
        sim.prerender();
    }
    if let Some(path) = &args.env_file {
        // Written whole then renamed, so whoever waits for it reads it whole.
        let partial = path.with_extension("partial");
        std::fs::write(&partial, sim.env_file())
            .and_then(|()| std::fs::rename(&partial, path))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    println!(
        "simulator listening on {base} ({} posts, {} images)",
        sim.world().posts.len(),
        sim.world().images.len()
    );
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("installing the SIGTERM handler")?;
    let shutdown = async move {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    };
    creativeiq::sim::serve(listener, sim, shutdown).await?;
    Ok(Outcome::Done)
}
