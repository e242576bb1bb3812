//! Runs each command: builds the stage from the flags, prints its report.

use std::io::Write;

use anyhow::{Context, Result};

use creativeiq::contract::{payloads, table, tables};
use creativeiq::import::{expand_inputs, Import};
use creativeiq::lake::Lake;
use creativeiq::query::{write_batches, Session};

use crate::cli::{Cli, Command};

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
            let mut reports = Vec::new();
            for file in &files {
                reports.push(import.run(&lake, file).await?);
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
        Command::Sql { query, format } => {
            let lake = Lake::open(&cli.lake).await?;
            let session = Session::open(&lake).await?;
            let frame = session.query(&query).await?;
            let batches = frame.collect().await.context("running the query")?;
            let mut out = std::io::stdout().lock();
            write_batches(&mut out, &batches, format)?;
            Ok(Outcome::Done)
        }
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
