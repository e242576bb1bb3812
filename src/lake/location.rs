//! Where a lake lives: a local directory or an S3 (or S3-compatible) prefix.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ClientOptions, ObjectStore, RetryConfig};
use url::Url;

use super::LakeError;

/// A lake location, parsed from `--lake` or `CREATIVEIQ_LAKE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A local directory (absolute).
    Local(PathBuf),
    /// A bucket and a key prefix (no leading or trailing slash).
    S3 {
        /// The bucket.
        bucket: String,
        /// The key prefix, possibly empty.
        prefix: String,
    },
}

impl Location {
    /// Parses a directory path, a `file://` URL or an `s3://bucket/prefix` URL.
    pub fn parse(text: &str) -> Result<Location, LakeError> {
        let bad = |message: &str| LakeError::BadLocation {
            location: text.to_string(),
            message: message.to_string(),
        };
        let text = text.trim();
        if text.is_empty() {
            return Err(bad("empty; give a directory or s3://bucket/prefix"));
        }
        if let Some(rest) = text.strip_prefix("s3://") {
            let rest = rest.trim_matches('/');
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if !valid_bucket(bucket) {
                return Err(bad(
                    "the bucket name must be 3-63 characters of a-z, 0-9, '.' and '-'",
                ));
            }
            return Ok(Location::S3 {
                bucket: bucket.to_string(),
                prefix: prefix.trim_matches('/').to_string(),
            });
        }
        if let Some(rest) = text.strip_prefix("file://") {
            return Self::local(rest).map_err(|m| bad(&m));
        }
        if let Some((scheme, _)) = text.split_once("://") {
            return Err(bad(&format!(
                "unknown scheme {scheme:?}; use a directory, file:///path or s3://bucket/prefix"
            )));
        }
        if text.starts_with("s3:") || text.starts_with("S3:") {
            return Err(bad("did you mean s3://bucket/prefix ?"));
        }
        Self::local(text).map_err(|m| bad(&m))
    }

    fn local(path: &str) -> Result<Location, String> {
        let path = PathBuf::from(path);
        if path.exists() && !path.is_dir() {
            return Err("exists and is not a directory".to_string());
        }
        std::fs::create_dir_all(&path).map_err(|e| format!("cannot create the directory: {e}"))?;
        let absolute = path
            .canonicalize()
            .map_err(|e| format!("cannot resolve the directory: {e}"))?;
        Ok(Location::Local(absolute))
    }

    /// The URL of the lake root, ending in `/`.
    pub fn url(&self) -> String {
        match self {
            Location::Local(path) => {
                let mut url = Url::from_directory_path(path)
                    .map(|u| u.to_string())
                    .unwrap_or_else(|_| format!("file://{}/", path.display()));
                if !url.ends_with('/') {
                    url.push('/');
                }
                url
            }
            Location::S3 { bucket, prefix } if prefix.is_empty() => format!("s3://{bucket}/"),
            Location::S3 { bucket, prefix } => format!("s3://{bucket}/{prefix}/"),
        }
    }

    /// The URL a query engine registers the store under.
    pub fn store_url(&self) -> Url {
        let text = match self {
            Location::Local(_) => "file:///".to_string(),
            Location::S3 { bucket, .. } => format!("s3://{bucket}"),
        };
        Url::parse(&text).expect("a valid URL by construction")
    }

    /// A hint for when the lake cannot be reached.
    pub fn hint(&self) -> &'static str {
        match self {
            Location::Local(_) => "; check the directory's permissions",
            Location::S3 { .. } => {
                "; check the bucket name, AWS_ENDPOINT_URL (for S3-compatible stores), \
                 AWS_REGION and the credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)"
            }
        }
    }

    pub(super) fn connect(&self) -> Result<(Arc<dyn ObjectStore>, Path), LakeError> {
        match self {
            Location::Local(dir) => {
                let root = Path::from_absolute_path(dir).map_err(|e| LakeError::BadLocation {
                    location: dir.display().to_string(),
                    message: e.to_string(),
                })?;
                Ok((Arc::new(LocalFileSystem::new()), root))
            }
            Location::S3 { bucket, prefix } => {
                let endpoint = std::env::var("AWS_ENDPOINT_URL")
                    .or_else(|_| std::env::var("AWS_ENDPOINT"))
                    .ok();
                // A plain-HTTP endpoint (a local MinIO or moto) is only ever
                // one the user named; real S3 stays HTTPS.
                let allow_http = endpoint
                    .as_deref()
                    .is_some_and(|e| e.starts_with("http://"));
                let client = ClientOptions::new()
                    .with_allow_http(allow_http)
                    .with_connect_timeout(Duration::from_secs(10))
                    .with_timeout(Duration::from_secs(120));
                let retry = RetryConfig {
                    max_retries: 4,
                    retry_timeout: Duration::from_secs(30),
                    ..Default::default()
                };
                let mut builder = AmazonS3Builder::from_env()
                    .with_bucket_name(bucket)
                    .with_client_options(client)
                    .with_retry(retry);
                if let Some(endpoint) = endpoint {
                    builder = builder.with_endpoint(endpoint);
                }
                if std::env::var("AWS_REGION").is_err()
                    && std::env::var("AWS_DEFAULT_REGION").is_err()
                {
                    builder = builder.with_region("us-east-1");
                }
                let store = builder.build().map_err(|e| LakeError::Unreachable {
                    location: self.to_string(),
                    message: format!("{e}{}", self.hint()),
                })?;
                Ok((Arc::new(store), Path::from(prefix.as_str())))
            }
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Local(path) => write!(f, "{}", path.display()),
            Location::S3 { .. } => write!(f, "{}", self.url()),
        }
    }
}

fn valid_bucket(name: &str) -> bool {
    (3..=63).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_urls_split_into_bucket_and_prefix() {
        assert_eq!(
            Location::parse("s3://my-lake/teams/design/").unwrap(),
            Location::S3 {
                bucket: "my-lake".into(),
                prefix: "teams/design".into()
            }
        );
        assert_eq!(
            Location::parse("s3://my-lake").unwrap().url(),
            "s3://my-lake/"
        );
    }

    #[test]
    fn misspelled_locations_are_refused_with_a_reason() {
        for (text, says) in [
            ("s3:/my-lake", "did you mean"),
            ("s4://my-lake", "unknown scheme"),
            ("s3://My_Lake", "bucket name"),
            ("", "empty"),
        ] {
            let err = Location::parse(text).unwrap_err().to_string();
            assert!(err.contains(says), "{text}: {err}");
        }
    }

    #[test]
    fn a_file_is_not_a_lake() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, b"x").unwrap();
        let err = Location::parse(file.to_str().unwrap())
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a directory"), "{err}");
    }
}
