//! `creativeiq models`: the training runs in the lake and the champions.

use anyhow::Result;

use creativeiq::train::publish::{list_runs, read_registry};

use super::{Global, Outcome};

/// List the training runs whose models are in the lake, and the champion
/// of each scope.
#[derive(Debug, clap::Args)]
pub struct Args {}

pub async fn run(global: &Global, _args: Args) -> Result<Outcome> {
    let lake = global.open_lake().await?;
    let runs = list_runs(&lake).await?;
    if runs.is_empty() {
        println!("no runs yet: train with `creativeiq train`");
    }
    for (run, models) in &runs {
        let shown: Vec<String> = models
            .iter()
            .map(|(scope, kind)| format!("{scope}/{kind}"))
            .collect();
        println!("run {run}: {}", shown.join(" "));
    }
    let registry = read_registry(&lake).await?;
    for (scope, c) in &registry.champions {
        println!(
            "champion {scope:<10} {:<14} holdout r2 {:.3}  {}",
            c.kind.name(),
            c.holdout_r2,
            c.path
        );
    }
    Ok(Outcome::Done)
}
