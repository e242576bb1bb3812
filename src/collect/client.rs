//! The one HTTP client of every collector: authentication, retries with
//! exponential backoff and jitter, each platform's rate-limit signals,
//! bounded concurrency, size limits. Error messages name the platform and
//! the path, never the query string or the token.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::sync::Semaphore;

use super::env::Secret;
use super::Platform;

/// How a platform takes its token.
#[derive(Debug, Clone, Copy)]
pub enum Auth {
    /// `Authorization: Bearer <token>`.
    Bearer,
    /// A query parameter (Behance's `api_key`).
    Query(&'static str),
}

/// A request could not be completed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The API answered with an error that a retry will not fix.
    #[error("{platform} {path}: HTTP {status}: {message}")]
    Api {
        /// The platform.
        platform: Platform,
        /// The path requested (no query string).
        path: String,
        /// The status.
        status: u16,
        /// The API's own message.
        message: String,
    },
    /// Retries ran out.
    #[error("{platform} {path}: gave up after {attempts} attempts: {last}")]
    Exhausted {
        /// The platform.
        platform: Platform,
        /// The path requested.
        path: String,
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        last: String,
    },
    /// The response was larger than allowed.
    #[error("{platform} {path}: larger than the limit of {limit} bytes")]
    TooLarge {
        /// The platform.
        platform: Platform,
        /// The path requested.
        path: String,
        /// The limit.
        limit: usize,
    },
}

/// Retry settings.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts per request, the first included.
    pub attempts: u32,
    /// First backoff.
    pub base: Duration,
    /// Longest single wait.
    pub max_wait: Duration,
    /// Per-request timeout.
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 8,
            base: Duration::from_millis(100),
            max_wait: Duration::from_secs(20),
            timeout: Duration::from_secs(30),
        }
    }
}

/// Counters of what the client went through, for the run's report.
#[derive(Debug, Default)]
pub struct ClientStats {
    /// Requests sent, retries included.
    pub requests: std::sync::atomic::AtomicU64,
    /// Retries after errors, timeouts or cut bodies.
    pub retries: std::sync::atomic::AtomicU64,
    /// Waits asked for by rate limits.
    pub rate_limited: std::sync::atomic::AtomicU64,
}

/// A platform's API client.
#[derive(Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    platform: Platform,
    base: String,
    token: Secret,
    auth: Auth,
    retry: RetryPolicy,
    permits: Arc<Semaphore>,
    /// What happened, for the report.
    pub stats: Arc<ClientStats>,
}

enum Attempt {
    Done(HeaderMap, Bytes),
    Retry(String, Option<Duration>),
    Fail(FetchError),
}

impl ApiClient {
    /// A client for `platform` at `base` with at most `concurrency` requests in flight.
    pub fn new(
        platform: Platform,
        base: &str,
        token: Secret,
        auth: Auth,
        retry: RetryPolicy,
        concurrency: usize,
    ) -> ApiClient {
        let http = reqwest::Client::builder()
            .user_agent(concat!("creativeiq/", env!("CARGO_PKG_VERSION")))
            .timeout(retry.timeout)
            .connect_timeout(Duration::from_secs(10))
            .build()
            .expect("a client with these settings builds");
        ApiClient {
            http,
            platform,
            base: base.trim_end_matches('/').to_string(),
            token,
            auth,
            retry,
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            stats: Arc::default(),
        }
    }

    /// GET `path` (relative to the base, or a full `next` URL) as JSON.
    pub async fn get_json(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<(Value, HeaderMap), FetchError> {
        self.json(Method::GET, path, query, None).await
    }

    /// POST a JSON body to `path`, answered with JSON.
    pub async fn post_json(
        &self,
        path: &str,
        query: &[(&str, String)],
        body: &Value,
    ) -> Result<(Value, HeaderMap), FetchError> {
        self.json(Method::POST, path, query, Some(body)).await
    }

    async fn json(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<(Value, HeaderMap), FetchError> {
        let url = self.url(path);
        let shown = shown_path(&url);
        let mut attempts = 0;
        loop {
            attempts += 1;
            let outcome = match self
                .send(method.clone(), &url, query, body, true, usize::MAX)
                .await
            {
                Attempt::Done(headers, bytes) => match serde_json::from_slice::<Value>(&bytes) {
                    Ok(value) => return Ok((value, headers)),
                    // A body cut short by a proxy or a dropped connection.
                    Err(e) => Attempt::Retry(format!("malformed JSON: {e}"), None),
                },
                other => other,
            };
            self.after_failure(outcome, &shown, attempts).await?;
        }
    }

    /// Downloads a file (an image from a CDN: no token is sent), refusing
    /// bodies larger than `limit`.
    pub async fn get_bytes(&self, url: &str, limit: usize) -> Result<Bytes, FetchError> {
        let shown = shown_path(url);
        let mut attempts = 0;
        loop {
            attempts += 1;
            let outcome = self.send(Method::GET, url, &[], None, false, limit).await;
            if let Attempt::Done(_, bytes) = outcome {
                return Ok(bytes);
            }
            self.after_failure(outcome, &shown, attempts).await?;
        }
    }

    async fn after_failure(
        &self,
        outcome: Attempt,
        shown: &str,
        attempts: u32,
    ) -> Result<(), FetchError> {
        use std::sync::atomic::Ordering::Relaxed;
        match outcome {
            Attempt::Fail(e) => Err(e),
            Attempt::Done(..) => Ok(()),
            Attempt::Retry(reason, asked) => {
                if attempts >= self.retry.attempts {
                    return Err(FetchError::Exhausted {
                        platform: self.platform,
                        path: shown.to_string(),
                        attempts,
                        last: reason,
                    });
                }
                let wait = match asked {
                    Some(wait) => {
                        self.stats.rate_limited.fetch_add(1, Relaxed);
                        wait.min(self.retry.max_wait) + jitter(Duration::from_millis(250))
                    }
                    None => {
                        self.stats.retries.fetch_add(1, Relaxed);
                        let exponential = self.retry.base * 2u32.saturating_pow(attempts - 1);
                        jitter(exponential.min(self.retry.max_wait))
                    }
                };
                tracing::debug!(platform = %self.platform, path = shown, attempt = attempts, wait_ms = wait.as_millis() as u64, reason, "retrying");
                tokio::time::sleep(wait).await;
                Ok(())
            }
        }
    }

    async fn send(
        &self,
        method: Method,
        url: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
        authenticate: bool,
        limit: usize,
    ) -> Attempt {
        use std::sync::atomic::Ordering::Relaxed;
        let _permit = self
            .permits
            .acquire()
            .await
            .expect("the semaphore is never closed");
        self.stats.requests.fetch_add(1, Relaxed);
        let mut request = self.http.request(method, url).query(query);
        if authenticate {
            request = match self.auth {
                Auth::Bearer => request.bearer_auth(self.token.expose()),
                Auth::Query(name) => request.query(&[(name, self.token.expose())]),
            };
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = match request.send().await {
            Ok(r) => r,
            // without_url: the URL may carry a query-string token.
            Err(e) => return Attempt::Retry(e.without_url().to_string(), None),
        };
        let status = response.status();
        let headers = response.headers().clone();
        if let Some(length) = response.content_length() {
            if length as usize > limit {
                return Attempt::Fail(FetchError::TooLarge {
                    platform: self.platform,
                    path: shown_path(url),
                    limit,
                });
            }
        }
        let mut body = Vec::new();
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            match chunk {
                Ok(chunk) => {
                    if body.len() + chunk.len() > limit {
                        return Attempt::Fail(FetchError::TooLarge {
                            platform: self.platform,
                            path: shown_path(url),
                            limit,
                        });
                    }
                    body.extend_from_slice(&chunk);
                }
                Err(e) => {
                    return Attempt::Retry(format!("body cut off: {}", e.without_url()), None)
                }
            }
        }
        let body = Bytes::from(body);
        if let Some(wait) = rate_limit_wait(self.platform, status, &headers, &body) {
            return Attempt::Retry(
                format!("rate limited (HTTP {})", status.as_u16()),
                Some(wait),
            );
        }
        if status.is_server_error() || status == StatusCode::REQUEST_TIMEOUT {
            return Attempt::Retry(format!("HTTP {}", status.as_u16()), None);
        }
        if !status.is_success() {
            return Attempt::Fail(FetchError::Api {
                platform: self.platform,
                path: shown_path(url),
                status: status.as_u16(),
                message: api_message(&body, self.token.expose()),
            });
        }
        Attempt::Done(headers, body)
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_string()
        } else {
            format!("{}/{}", self.base, path.trim_start_matches('/'))
        }
    }
}

/// How long a platform asks us to wait, when its answer is a rate limit:
/// `Retry-After`, X's and Dribbble's reset time, or the Graph API's and
/// TikTok's rate-limit error codes.
fn rate_limit_wait(
    platform: Platform,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> Option<Duration> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let from_headers = || {
        if let Some(seconds) = header("retry-after").and_then(|v| v.parse::<u64>().ok()) {
            return Some(Duration::from_secs(seconds));
        }
        if let Some(date) =
            header("retry-after").and_then(|v| chrono::DateTime::parse_from_rfc2822(v).ok())
        {
            let wait = date.timestamp() - chrono::Utc::now().timestamp();
            return Some(Duration::from_secs(wait.max(0) as u64));
        }
        let reset = header("x-rate-limit-reset").or_else(|| header("x-ratelimit-reset"))?;
        let wait = reset.parse::<i64>().ok()? - chrono::Utc::now().timestamp();
        Some(Duration::from_secs(wait.clamp(0, 900) as u64))
    };
    if status == StatusCode::TOO_MANY_REQUESTS {
        return Some(from_headers().unwrap_or(Duration::from_secs(1)));
    }
    let limited_body = match platform {
        Platform::Instagram | Platform::Facebook if status.is_client_error() => {
            serde_json::from_slice::<Value>(body)
                .ok()
                .and_then(|v| v.pointer("/error/code").and_then(Value::as_i64))
                .is_some_and(|code| matches!(code, 4 | 17 | 32 | 613 | 80001..=80014))
        }
        Platform::Tiktok => serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|v| {
                v.pointer("/error/code")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .is_some_and(|code| code == "rate_limit_exceeded"),
        _ => false,
    };
    // The Graph API gives usage, not a time: a full bucket drains within
    // seconds to minutes, so wait a little and let the backoff grow it.
    limited_body.then(|| from_headers().unwrap_or(Duration::from_secs(1)))
}

/// The API's message from an error body, with the token cut out should an
/// API echo it.
fn api_message(body: &[u8], token: &str) -> String {
    let value: Option<Value> = serde_json::from_slice(body).ok();
    let message = value
        .as_ref()
        .and_then(|v| {
            [
                "/error/message",
                "/message",
                "/detail",
                "/errors/0/detail",
                "/error/code",
            ]
            .iter()
            .find_map(|p| v.pointer(p).and_then(Value::as_str))
        })
        .map(str::to_string)
        .unwrap_or_else(|| String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned());
    if token.is_empty() {
        message
    } else {
        message.replace(token, "***")
    }
}

/// A URL without its query string, for messages.
fn shown_path(url: &str) -> String {
    url.split('?').next().unwrap_or(url).to_string()
}

fn jitter(max: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let unit = f64::from(nanos % 1_000_000) / 1_000_000.0;
    max.mul_f64(0.5 + 0.5 * unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limit_signals_are_read_per_platform() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", "3".parse().unwrap());
        assert_eq!(
            rate_limit_wait(
                Platform::Linkedin,
                StatusCode::TOO_MANY_REQUESTS,
                &headers,
                b""
            ),
            Some(Duration::from_secs(3))
        );
        let graph = br#"{"error":{"code":4,"message":"(#4) Application request limit reached"}}"#;
        assert!(rate_limit_wait(
            Platform::Instagram,
            StatusCode::FORBIDDEN,
            &HeaderMap::new(),
            graph
        )
        .is_some());
        let invalid = br#"{"error":{"code":190,"message":"Invalid OAuth access token"}}"#;
        assert!(rate_limit_wait(
            Platform::Instagram,
            StatusCode::UNAUTHORIZED,
            &HeaderMap::new(),
            invalid
        )
        .is_none());
        let tiktok = br#"{"error":{"code":"rate_limit_exceeded"}}"#;
        assert!(
            rate_limit_wait(Platform::Tiktok, StatusCode::OK, &HeaderMap::new(), tiktok).is_some()
        );
    }

    #[test]
    fn messages_never_carry_the_token_or_the_query() {
        assert_eq!(
            shown_path("https://api.x.com/2/users/1?access_token=abc"),
            "https://api.x.com/2/users/1"
        );
        assert_eq!(
            api_message(br#"{"message":"bad token abc"}"#, "abc"),
            "bad token ***"
        );
    }
}
