//! Embeds the contracts in `schemas/` and the SQL in `sql/` into the binary,
//! so the files a data engineer reads are the ones the code runs, and the
//! binary works from any directory.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let root = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let root = Path::new(&root);
    let mut out = String::new();
    for (name, dir, ext) in [
        ("TABLE_CONTRACTS", "schemas/tables", "toml"),
        ("PAYLOAD_CONTRACTS", "schemas/payloads", "toml"),
        ("SQL_VIEWS", "sql/views", "sql"),
        ("SQL_CHECKS", "sql/checks", "sql"),
        ("SQL_REPORTS", "sql/reports", "sql"),
        ("SQL_JOBS", "sql/jobs", "sql"),
        ("SQL_SETTINGS", "sql", "toml"),
    ] {
        let dir = root.join(dir);
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|e| e == ext))
                    .collect()
            })
            .unwrap_or_default();
        // File names fix the order: views that build on others sort after them.
        files.sort();
        writeln!(
            out,
            "/// Embedded from `{}`, sorted by file name.",
            dir.display()
        )
        .unwrap();
        writeln!(out, "pub static {name}: &[(&str, &str)] = &[").unwrap();
        for file in files {
            println!("cargo:rerun-if-changed={}", file.display());
            let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
            writeln!(
                out,
                "    ({stem:?}, include_str!({:?})),",
                file.display().to_string()
            )
            .unwrap();
        }
        writeln!(out, "];").unwrap();
    }
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("embedded.rs");
    std::fs::write(dest, out).unwrap();
    write_ml_versions(root);
    wrap_zstd_contexts();
}

/// Links the binary so that zstd contexts are created and freed through
/// `src/zstd_contexts.rs`, which keeps them for reuse (see there why).
/// GNU ld and lld on Linux know `--wrap`; elsewhere zstd is linked as is.
fn wrap_zstd_contexts() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("linux") {
        return;
    }
    for function in [
        "ZSTD_createCCtx",
        "ZSTD_freeCCtx",
        "ZSTD_createDCtx",
        "ZSTD_freeDCtx",
    ] {
        println!("cargo:rustc-link-arg-bins=-Wl,--wrap={function}");
    }
}

/// The versions of the crates that fit models, from Cargo.lock, so every
/// model manifest records what fitted it.
fn write_ml_versions(root: &Path) {
    const CRATES: &[&str] = &[
        "smartcore",
        "forust-ml",
        "candle-core",
        "candle-nn",
        "linfa",
        "linfa-elasticnet",
        "linfa-ensemble",
        "linfa-trees",
    ];
    let lock_path = root.join("Cargo.lock");
    println!("cargo:rerun-if-changed={}", lock_path.display());
    let lock = std::fs::read_to_string(&lock_path).unwrap_or_default();
    let mut out = String::from(
        "/// (crate, version) of the crates that fit models, from Cargo.lock.\n\
         pub static ML_LIBRARY_VERSIONS: &[(&str, &str)] = &[\n",
    );
    let mut name = None;
    for line in lock.lines() {
        if let Some(n) = line.strip_prefix("name = ") {
            name = Some(n.trim_matches('"').to_string());
        } else if let (Some(v), Some(n)) = (line.strip_prefix("version = "), name.take()) {
            if CRATES.contains(&n.as_str()) {
                writeln!(out, "    ({n:?}, {:?}),", v.trim_matches('"')).unwrap();
            }
        }
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("ml_versions.rs");
    std::fs::write(dest, out).unwrap();
}
