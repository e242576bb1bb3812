//! Runs each command: builds the stage from the flags, prints its report.

use std::io::Write;

use anyhow::{Context, Result};

use creativeiq::collect::{default_since, default_until, Collect, Env, Platform};
use creativeiq::contract::{payloads, table, tables};
use creativeiq::features::{analyze_bytes, platform_aspect_fit, DecodeLimits, FeatureJob};
use creativeiq::import::{expand_inputs, is_image, Import};
use creativeiq::lake::Lake;
use creativeiq::query::{write_batches, Session};
use creativeiq::sim::{Faults, Sim, World, WorldConfig};

use crate::cli::{Cli, Command, SimCommand};

/// How a command ended, when it did not fail.
pub enum Outcome {
    /// Everything went through.
    Done,
    /// It finished, and some items were rejected (and recorded).
    SomeRejected,
}

pub async fn run(cli: Cli) -> Result<Outcome> {
    match cli.command {
        Command::Import {
            inputs,
            platform,
            payload,
            mapping,
        } => {
            let lake = Lake::open(&cli.lake).await?;
            let mut import = Import::new();
            if cli.quiet {
                import = import.with_progress(false);
            }
            if let Some(platform) = &platform {
                import = import.with_platform(platform);
            }
            if let Some(payload) = &payload {
                import = import.with_payload(payload)?;
            }
            if let Some(mapping) = &mapping {
                import = import.with_mapping(mapping)?;
            }
            let files = expand_inputs(&inputs)?;
            let (images, records): (Vec<_>, Vec<_>) = files.into_iter().partition(|f| is_image(f));
            let mut reports = Vec::new();
            for file in &records {
                reports.push(import.run(&lake, file).await?);
            }
            if !images.is_empty() {
                reports.push(import.run_images(&lake, &images).await?);
            }
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "{:<40} {:>10} {:>10} {:>10}",
                "input", "read", "landed", "rejected"
            )?;
            let (mut read, mut landed, mut rejected) = (0, 0, 0);
            for r in &reports {
                writeln!(
                    out,
                    "{:<40} {:>10} {:>10} {:>10}",
                    r.input, r.read, r.landed, r.rejected
                )?;
                read += r.read;
                landed += r.landed;
                rejected += r.rejected;
            }
            if reports.len() > 1 {
                writeln!(
                    out,
                    "{:<40} {:>10} {:>10} {:>10}",
                    "total", read, landed, rejected
                )?;
            }
            if rejected > 0 {
                writeln!(
                    out,
                    "rejected records are in raw.rejects with their reason: creativeiq sql \"SELECT input, record, reason FROM raw.rejects\""
                )?;
                return Ok(Outcome::SomeRejected);
            }
            Ok(Outcome::Done)
        }
        Command::Features {
            since,
            until,
            partition,
            force,
        } => {
            let (since, until) = match partition {
                Some(p) => {
                    let day = p
                        .strip_prefix("dt=")
                        .and_then(|d| d.parse::<chrono::NaiveDate>().ok())
                        .with_context(|| format!("--partition {p:?}: expected dt=YYYY-MM-DD"))?;
                    (Some(day), Some(day))
                }
                None => (since, until),
            };
            let lake = Lake::open(&cli.lake).await?;
            let job = FeatureJob::default()
                .with_range(since, until)
                .with_force(force)
                .with_progress(!cli.quiet);
            let r = job.run(&lake).await?;
            println!(
                "features v{}: {} pending, {} extracted, {} with an error, {} files, {:.1} MP in {:.1} s ({:.1} images/s)",
                creativeiq::features::EXTRACTOR_VERSION,
                r.pending,
                r.extracted,
                r.failed,
                r.files,
                r.megapixels,
                r.seconds,
                r.pending as f64 / r.seconds.max(1e-9)
            );
            if r.failed > 0 {
                println!("images with an error: creativeiq sql \"SELECT image_sha256, error FROM features.design WHERE error IS NOT NULL\"");
                return Ok(Outcome::SomeRejected);
            }
            Ok(Outcome::Done)
        }
        Command::Analyze {
            image,
            platform,
            json,
        } => {
            let bytes =
                std::fs::read(&image).with_context(|| format!("reading {}", image.display()))?;
            let features = analyze_bytes(&bytes, &DecodeLimits::default())
                .with_context(|| format!("{}", image.display()))?;
            let mut value = serde_json::to_value(&features)?;
            if let Some(platform) = platform {
                value["platform"] = serde_json::json!(platform.name());
                value["platform_aspect_fit"] =
                    serde_json::json!(platform_aspect_fit(features.aspect_ratio, platform.name()));
            }
            let mut out = std::io::stdout().lock();
            if json {
                writeln!(out, "{value}")?;
            } else if let serde_json::Value::Object(map) = &value {
                for (name, v) in map {
                    let shown = match v {
                        serde_json::Value::Array(colours) => colours
                            .iter()
                            .map(|c| {
                                format!(
                                    "{} {:.0}%",
                                    c["hex"].as_str().unwrap_or("?"),
                                    c["share"].as_f64().unwrap_or(0.0) * 100.0
                                )
                            })
                            .collect::<Vec<_>>()
                            .join("  "),
                        serde_json::Value::Number(n) if n.is_f64() => {
                            format!("{:.4}", n.as_f64().unwrap_or(0.0))
                        }
                        other => other.to_string(),
                    };
                    writeln!(out, "{name:<20} {shown}")?;
                }
            }
            Ok(Outcome::Done)
        }
        Command::Sql { query, format } => {
            let lake = Lake::open(&cli.lake).await?;
            let session = Session::open(&lake).await?;
            let frame = session.query(&query).await?;
            let batches = frame.collect().await.context("running the query")?;
            let mut out = std::io::stdout().lock();
            write_batches(&mut out, &batches, format)?;
            Ok(Outcome::Done)
        }
        Command::Collect {
            platforms,
            all,
            accounts,
            since,
            until,
            env_file,
            refresh,
            concurrency,
        } => {
            let env = Env::load(env_file.as_deref()).map_err(anyhow::Error::msg)?;
            let platforms = if all {
                Platform::ALL.to_vec()
            } else {
                platforms
            };
            let lake = Lake::open(&cli.lake).await?;
            let collect = Collect::new(
                platforms,
                since.unwrap_or_else(default_since),
                until.unwrap_or_else(default_until),
                env,
            )
            .with_accounts(accounts)
            .with_refresh(refresh)
            .with_concurrency(concurrency)
            .with_progress(!cli.quiet);
            let reports = collect.run(&lake).await?;
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "{:<11} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9} {:>8} {:>8}",
                "platform",
                "served",
                "landed",
                "rejected",
                "skipped",
                "images",
                "img-rej",
                "retries",
                "limited"
            )?;
            let (mut rejected, mut failed) = (0, false);
            for (platform, r) in &reports {
                let c = &r.counts;
                writeln!(
                    out,
                    "{:<11} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9} {:>8} {:>8}{}",
                    platform.name(),
                    c.served,
                    c.landed,
                    c.rejected,
                    c.skipped,
                    c.images,
                    c.images_rejected,
                    r.retries,
                    r.rate_limited,
                    if r.already_done == r.accounts && r.accounts > 0 {
                        "  (already collected)"
                    } else {
                        ""
                    }
                )?;
                rejected += c.rejected + c.images_rejected;
                for e in &r.errors {
                    writeln!(out, "  error: {e}")?;
                    failed = true;
                }
            }
            if failed {
                anyhow::bail!(
                    "some accounts could not be collected (see above); run again to resume them"
                );
            }
            Ok(if rejected > 0 {
                Outcome::SomeRejected
            } else {
                Outcome::Done
            })
        }
        Command::Sim { command } => match command {
            SimCommand::Serve {
                port,
                seed,
                posts,
                accounts,
                start,
                days,
                experiments,
                env_file,
                rate_limit,
                error_rate,
                truncate_rate,
                slow_rate,
                slow_ms,
                corrupt_images,
                duplicates,
            } => {
                let config = WorldConfig {
                    seed,
                    posts,
                    accounts_per_platform: accounts,
                    start,
                    days,
                    experiments,
                };
                let faults = Faults {
                    rate_limit_per_second: rate_limit,
                    error_rate,
                    slow_rate,
                    slow_ms,
                    truncate_rate,
                    corrupt_image_rate: corrupt_images,
                    duplicate_rate: duplicates,
                    seed,
                };
                let (listener, addr) = creativeiq::sim::bind(port)
                    .await
                    .with_context(|| format!("binding 127.0.0.1:{port}"))?;
                let base = format!("http://{addr}");
                let sim =
                    std::sync::Arc::new(Sim::new(World::generate(&config), faults, &base, seed));
                if let Some(path) = &env_file {
                    std::fs::write(path, sim.env_file())
                        .with_context(|| format!("writing {}", path.display()))?;
                }
                println!(
                    "simulator listening on {base} ({} posts, {} images)",
                    sim.world().posts.len(),
                    sim.world().images.len()
                );
                let shutdown = async {
                    let mut term =
                        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                            .expect("a signal handler installs");
                    tokio::select! {
                        _ = tokio::signal::ctrl_c() => {}
                        _ = term.recv() => {}
                    }
                };
                creativeiq::sim::serve(listener, sim, shutdown).await?;
                Ok(Outcome::Done)
            }
        },
        Command::Schema {
            table: name,
            payloads: show_payloads,
        } => {
            let mut out = std::io::stdout().lock();
            if show_payloads {
                for p in payloads() {
                    writeln!(out, "{}  -> {}\n  {}", p.name, p.table, p.description)?;
                    writeln!(out, "  recognised by the keys: {}", p.detect.join(", "))?;
                    for (column, source) in &p.fields {
                        writeln!(out, "  {:<26} <- {}", column, source.from.join(" | "))?;
                    }
                    writeln!(out)?;
                }
                return Ok(Outcome::Done);
            }
            match name {
                Some(name) => writeln!(out, "{}", table(&name)?.describe())?,
                None => {
                    for contract in tables() {
                        writeln!(out, "{}", contract.describe())?;
                    }
                }
            }
            Ok(Outcome::Done)
        }
    }
}
