//! `creativeiq schema`: the table and payload contracts.

use std::io::Write;

use anyhow::Result;

use creativeiq::contract::{payloads, table, tables};

use super::Outcome;

/// Print the contract of a table (or of all tables).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A table such as raw.posts; all tables when left out.
    table: Option<String>,
    /// Print the payload formats import reads instead.
    #[arg(long)]
    payloads: bool,
}

pub fn run(args: Args) -> Result<Outcome> {
    let mut out = std::io::stdout().lock();
    if args.payloads {
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
    match &args.table {
        Some(name) => writeln!(out, "{}", table(name)?.describe())?,
        None => {
            for contract in tables() {
                writeln!(out, "{}", contract.describe())?;
            }
        }
    }
    Ok(Outcome::Done)
}
