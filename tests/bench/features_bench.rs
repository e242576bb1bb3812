//! In-memory throughput of the feature extractor, for `make bench-features`
//! (which runs it beside `creativeiq features` and the Python peer).
//!
//! `features_bench MODE LIST` reads every image named in LIST (one path a
//! line) into memory first, then times MODE over them on rayon's pool
//! (RAYON_NUM_THREADS):
//!
//! - `decode`: decoding to canonical pixels only, the floor the extraction
//!   can approach;
//! - `extract`: decoding and every feature, as the batch job does per image;
//! - `stages`: one thread, per-stage time of the extraction (where it goes);
//! - `latency`: one image after another, each on the whole pool, as
//!   `creativeiq predict` analyses its one design.
//!
//! Prints one JSON object: images, megapixels, wall and CPU seconds of the
//! timed part.

use std::time::Instant;

use creativeiq::features::{decode, profile_stages, DecodeLimits};
use rayon::prelude::*;

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(mode), Some(list)) = (args.next(), args.next()) else {
        eprintln!("usage: features_bench decode|extract|latency|stages LIST");
        std::process::exit(2);
    };
    let paths = std::fs::read_to_string(&list).unwrap_or_else(|e| {
        eprintln!("reading {list}: {e}");
        std::process::exit(2);
    });
    let files: Vec<Vec<u8>> = paths
        .lines()
        .filter(|l| !l.is_empty())
        .map(|p| {
            std::fs::read(p).unwrap_or_else(|e| {
                eprintln!("reading {p}: {e}");
                std::process::exit(2);
            })
        })
        .collect();
    let limits = DecodeLimits::default();
    let cpu0 = cpu_seconds();
    let started = Instant::now();
    let mut extra = String::new();
    let (images, megapixels) = match mode.as_str() {
        "decode" => files
            .par_iter()
            .map(|b| match decode(b, &limits) {
                Ok(img) => (1usize, megapixels(img.width(), img.height())),
                Err(_) => (0, 0.0),
            })
            .reduce(|| (0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1)),
        "extract" => files
            .par_iter()
            .map(
                |b| match creativeiq::features::analyze_bytes_on_this_thread(b, &limits) {
                    Ok(f) => (1usize, megapixels(f.width, f.height)),
                    Err(_) => (0, 0.0),
                },
            )
            .reduce(|| (0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1)),
        "latency" => {
            let mut mp = 0.0;
            for b in &files {
                if let Ok(f) = creativeiq::features::analyze_bytes(b, &limits) {
                    mp += megapixels(f.width, f.height);
                }
            }
            (files.len(), mp)
        }
        "stages" => {
            let mut totals: Vec<(&'static str, f64)> = Vec::new();
            let (mut n, mut mp) = (0usize, 0.0);
            for b in &files {
                let Ok(stages) = profile_stages(b, &limits) else {
                    continue;
                };
                n += 1;
                mp += stages.megapixels;
                for (name, seconds) in stages.seconds {
                    match totals.iter_mut().find(|(k, _)| *k == name) {
                        Some(t) => t.1 += seconds,
                        None => totals.push((name, seconds)),
                    }
                }
            }
            let parts: Vec<String> = totals
                .iter()
                .map(|(k, v)| format!("\"{k}\": {v:.4}"))
                .collect();
            extra = format!(", \"stages\": {{{}}}", parts.join(", "));
            (n, mp)
        }
        other => {
            eprintln!("unknown mode {other}: decode, extract, latency or stages");
            std::process::exit(2);
        }
    };
    let wall = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds().zip(cpu0).map(|(b, a)| b - a);
    println!(
        "{{\"mode\": \"{mode}\", \"threads\": {}, \"images\": {images}, \"megapixels\": {megapixels:.3}, \"wall_s\": {wall:.4}, \"cpu_s\": {}{extra}}}",
        rayon::current_num_threads(),
        cpu.map_or("null".to_string(), |c| format!("{c:.3}")),
    );
}

fn megapixels(w: u32, h: u32) -> f64 {
    f64::from(w) * f64::from(h) / 1e6
}

/// User + system CPU time of this process (Linux, clock ticks of 10 ms).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name may hold spaces; fields restart after its ')'.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}
