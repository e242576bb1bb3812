//! Settings from the environment or a `.env` file: tokens, accounts, API
//! base URLs. The process environment wins over the file.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// A token: shown as `***` in every Debug or Display, so it cannot reach a
/// log line or an error message by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a token.
    pub fn new(token: String) -> Secret {
        Secret(token)
    }

    /// The token itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// The variables a collection reads.
#[derive(Debug, Clone, Default)]
pub struct Env {
    file: BTreeMap<String, String>,
}

impl Env {
    /// Reads `path` (when given, or `.env` when present) under the process
    /// environment.
    pub fn load(path: Option<&Path>) -> Result<Env, String> {
        let (path, required) = match path {
            Some(p) => (p.to_path_buf(), true),
            None => (Path::new(".env").to_path_buf(), false),
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        Ok(Env { file: parse(&text) })
    }

    /// A variable, from the process environment or the file.
    pub fn get(&self, key: &str) -> Option<String> {
        std::env::var(key)
            .ok()
            .or_else(|| self.file.get(key).cloned())
            .filter(|v| !v.trim().is_empty())
    }

    /// A token variable.
    pub fn secret(&self, key: &str) -> Option<Secret> {
        self.get(key).map(|v| Secret(v.trim().to_string()))
    }
}

fn parse(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.strip_prefix("export ").unwrap_or(l).split_once('='))
        .map(|(k, v)| {
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                .unwrap_or(v);
            (k.trim().to_string(), v.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotenv_lines_parse_and_secrets_hide() {
        let vars = parse("# tokens\nexport A_TOKEN=\"abc\"\nB='x y'\n\nC=plain\n");
        assert_eq!(vars["A_TOKEN"], "abc");
        assert_eq!(vars["B"], "x y");
        assert_eq!(vars["C"], "plain");
        let secret = Secret("hunter2".into());
        assert_eq!(format!("{secret} {secret:?}"), "*** ***");
    }
}
