//! The one HTTP client of every collector: authentication, retries with
//! exponential backoff and jitter, each platform's rate-limit signals (on a
//! refusal and, ahead of one, in the usage headers of every answer), bounded
//! concurrency, size limits. Error messages name the platform and the path,
//! never the query string or the token.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::sync::Semaphore;
use tokio::time::Instant;

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
    /// Attempts per request after errors (5xx, timeouts, cut bodies), the
    /// first included.
    pub attempts: u32,
    /// First backoff after an error.
    pub base: Duration,
    /// Longest backoff after an error.
    pub max_wait: Duration,
    /// First wait after a rate limit that does not say how long to wait.
    pub rate_limit_base: Duration,
    /// Longest wait a rate limit is honoured for (`Retry-After`, reset times).
    pub max_rate_limit_wait: Duration,
    /// Rate-limit waits per request before giving up.
    pub rate_limit_waits: u32,
    /// Per-request timeout.
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 8,
            base: Duration::from_millis(100),
            max_wait: Duration::from_secs(20),
            rate_limit_base: Duration::from_millis(500),
            max_rate_limit_wait: Duration::from_secs(15 * 60),
            rate_limit_waits: 60,
            timeout: Duration::from_secs(30),
        }
    }
}

/// Counters of what the client went through, for the run's report.
#[derive(Debug, Default)]
pub struct ClientStats {
    /// Requests sent, retries included.
    pub requests: AtomicU64,
    /// Retries after errors, timeouts or cut bodies.
    pub retries: AtomicU64,
    /// Waits asked for by rate limits (refusals and usage headers).
    pub rate_limited: AtomicU64,
}

/// A platform's API client.
#[derive(Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    platform: Platform,
    base: String,
    token: Secret,
    auth: Auth,
    headers: HeaderMap,
    retry: RetryPolicy,
    api_permits: Arc<Semaphore>,
    download_permits: Arc<Semaphore>,
    /// No request to the API leaves before this instant: a rate limit seen
    /// by one request holds back all of the platform's requests.
    paused_until: Arc<Mutex<Option<Instant>>>,
    /// What happened, for the report.
    pub stats: Arc<ClientStats>,
}

enum Attempt {
    Done(HeaderMap, Bytes),
    Retry(String),
    RateLimited(String, Option<Duration>),
    Fail(FetchError),
}

/// Which requests a call makes: to the API (authenticated, rate-limited) or
/// a download from a CDN (no token, its own concurrency).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    Api,
    Download,
}

impl ApiClient {
    /// A client for `platform` at `base` with at most `concurrency` API
    /// requests and `downloads` image downloads in flight.
    pub fn new(
        platform: Platform,
        base: &str,
        token: Secret,
        auth: Auth,
        retry: RetryPolicy,
        concurrency: usize,
        downloads: usize,
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
            headers: HeaderMap::new(),
            retry,
            api_permits: Arc::new(Semaphore::new(concurrency.max(1))),
            download_permits: Arc::new(Semaphore::new(downloads.max(1))),
            paused_until: Arc::default(),
            stats: Arc::default(),
        }
    }

    /// Sends these headers with every API request (API versions).
    pub fn with_headers(mut self, headers: &[(&'static str, &'static str)]) -> ApiClient {
        for (name, value) in headers {
            self.headers.insert(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        self
    }

    /// The platform this client talks to.
    pub fn platform(&self) -> Platform {
        self.platform
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
        let mut tries = Tries::default();
        loop {
            let outcome = match self
                .send(method.clone(), &url, query, body, Target::Api, usize::MAX)
                .await
            {
                Attempt::Done(headers, bytes) => match serde_json::from_slice::<Value>(&bytes) {
                    Ok(value) => return Ok((value, headers)),
                    // A body cut short by a proxy or a dropped connection.
                    Err(e) => Attempt::Retry(format!("malformed JSON: {e}")),
                },
                other => other,
            };
            self.after_failure(outcome, &url, &mut tries).await?;
        }
    }

    /// Downloads a file (an image from a CDN: no token is sent), refusing
    /// bodies larger than `limit`.
    pub async fn get_bytes(&self, url: &str, limit: usize) -> Result<Bytes, FetchError> {
        let mut tries = Tries::default();
        loop {
            let outcome = self
                .send(Method::GET, url, &[], None, Target::Download, limit)
                .await;
            if let Attempt::Done(_, bytes) = outcome {
                return Ok(bytes);
            }
            self.after_failure(outcome, url, &mut tries).await?;
        }
    }

    /// `url` without the query parameters that carry the token (the Graph
    /// API puts `access_token` into its `next` links), so a cursor can be
    /// stored or shown.
    pub fn scrub(&self, url: &str) -> String {
        let Ok(mut parsed) = url::Url::parse(url) else {
            return url.to_string();
        };
        if parsed.query().is_none() {
            return url.to_string();
        }
        let token = self.token.expose();
        let kept: Vec<(String, String)> = parsed
            .query_pairs()
            .filter(|(k, v)| v != token && k != "access_token" && k != "api_key")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if kept.is_empty() {
            parsed.set_query(None);
        } else {
            parsed.query_pairs_mut().clear().extend_pairs(kept);
        }
        parsed.to_string()
    }

    async fn after_failure(
        &self,
        outcome: Attempt,
        url: &str,
        tries: &mut Tries,
    ) -> Result<(), FetchError> {
        let shown = shown_path(url);
        let (reason, wait) = match outcome {
            Attempt::Fail(e) => return Err(e),
            Attempt::Done(..) => return Ok(()),
            Attempt::Retry(reason) => {
                tries.errors += 1;
                if tries.errors >= self.retry.attempts {
                    return Err(self.exhausted(&shown, tries, reason));
                }
                self.stats.retries.fetch_add(1, Relaxed);
                let exponential = self.retry.base * 2u32.saturating_pow(tries.errors - 1);
                (reason, jitter(exponential.min(self.retry.max_wait)))
            }
            Attempt::RateLimited(reason, asked) => {
                tries.limited += 1;
                if tries.limited > self.retry.rate_limit_waits {
                    return Err(self.exhausted(&shown, tries, reason));
                }
                self.stats.rate_limited.fetch_add(1, Relaxed);
                let wait = match asked {
                    Some(wait) => wait.min(self.retry.max_rate_limit_wait) + jitter_up_to(250),
                    None => {
                        let grown = self.retry.rate_limit_base
                            * 2u32.saturating_pow(tries.limited.min(16) - 1);
                        jitter(grown.min(self.retry.max_wait))
                    }
                };
                self.pause(wait);
                (reason, wait)
            }
        };
        tracing::debug!(platform = %self.platform, path = shown, errors = tries.errors, rate_limited = tries.limited, wait_ms = wait.as_millis() as u64, reason, "retrying");
        tokio::time::sleep(wait).await;
        Ok(())
    }

    fn exhausted(&self, shown: &str, tries: &Tries, last: String) -> FetchError {
        FetchError::Exhausted {
            platform: self.platform,
            path: shown.to_string(),
            attempts: tries.errors + tries.limited,
            last,
        }
    }

    /// Holds back every API request of the platform for `wait`.
    fn pause(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut paused = self.paused_until.lock().expect("not poisoned");
        if paused.is_none_or(|p| p < until) {
            *paused = Some(until);
        }
    }

    async fn wait_for_pause(&self) {
        loop {
            let until = *self.paused_until.lock().expect("not poisoned");
            match until {
                Some(until) if until > Instant::now() => tokio::time::sleep_until(until).await,
                _ => return,
            }
        }
    }

    async fn send(
        &self,
        method: Method,
        url: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
        target: Target,
        limit: usize,
    ) -> Attempt {
        let permits = match target {
            Target::Api => {
                self.wait_for_pause().await;
                &self.api_permits
            }
            Target::Download => &self.download_permits,
        };
        let _permit = permits
            .acquire()
            .await
            .expect("the semaphore is never closed");
        self.stats.requests.fetch_add(1, Relaxed);
        let mut request = self.http.request(method, url).query(query);
        if target == Target::Api {
            request = match self.auth {
                Auth::Bearer => request.bearer_auth(self.token.expose()),
                Auth::Query(name) => request.query(&[(name, self.token.expose())]),
            };
            request = request.headers(self.headers.clone());
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = match request.send().await {
            Ok(r) => r,
            // without_url: the URL may carry a query-string token.
            Err(e) => return Attempt::Retry(error_chain(e.without_url())),
        };
        let status = response.status();
        let headers = response.headers().clone();
        if let Some(length) = response.content_length() {
            if length as usize > limit {
                return Attempt::Fail(self.too_large(url, limit));
            }
        }
        let mut body = Vec::new();
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            match chunk {
                Ok(chunk) => {
                    if body.len() + chunk.len() > limit {
                        return Attempt::Fail(self.too_large(url, limit));
                    }
                    body.extend_from_slice(&chunk);
                }
                Err(e) => {
                    return Attempt::Retry(format!(
                        "body cut off: {}",
                        error_chain(e.without_url())
                    ))
                }
            }
        }
        let body = Bytes::from(body);
        if target == Target::Api {
            if let Some(wait) = rate_limit_refusal(self.platform, status, &headers, &body) {
                return Attempt::RateLimited(
                    format!(
                        "rate limited (HTTP {}: {})",
                        status.as_u16(),
                        api_message(&body, self.token.expose())
                    ),
                    wait,
                );
            }
        }
        if status.is_server_error() || status == StatusCode::REQUEST_TIMEOUT {
            return Attempt::Retry(format!("HTTP {}", status.as_u16()));
        }
        if !status.is_success() {
            return Attempt::Fail(FetchError::Api {
                platform: self.platform,
                path: shown_path(url),
                status: status.as_u16(),
                message: api_message(&body, self.token.expose()),
            });
        }
        if target == Target::Api {
            if let Some(wait) = usage_pause(&headers) {
                tracing::debug!(platform = %self.platform, wait_ms = wait.as_millis() as u64, "usage headers say the quota is spent; pausing");
                self.stats.rate_limited.fetch_add(1, Relaxed);
                self.pause(wait.min(self.retry.max_rate_limit_wait));
            }
        }
        Attempt::Done(headers, body)
    }

    fn too_large(&self, url: &str, limit: usize) -> FetchError {
        FetchError::TooLarge {
            platform: self.platform,
            path: shown_path(url),
            limit,
        }
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_string()
        } else {
            format!("{}/{}", self.base, path.trim_start_matches('/'))
        }
    }
}

/// Errors and rate-limit waits of one request so far.
#[derive(Default)]
struct Tries {
    errors: u32,
    limited: u32,
}

/// A reqwest error with its causes ("error sending request: connection
/// refused"), the URL already removed.
fn error_chain(error: reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// Seconds until a reset time given in Unix seconds.
fn until_reset(reset: &str) -> Option<Duration> {
    let wait = reset.parse::<i64>().ok()? - chrono::Utc::now().timestamp();
    Some(Duration::from_secs(wait.max(0) as u64))
}

/// The wait a refusal names: `Retry-After` (seconds or a date), X's
/// `x-rate-limit-reset` or Dribbble's `X-RateLimit-Reset` (Unix seconds),
/// or the Graph API's `estimated_time_to_regain_access` (minutes).
fn asked_wait(headers: &HeaderMap) -> Option<Duration> {
    if let Some(after) = header(headers, "retry-after") {
        if let Ok(seconds) = after.parse::<u64>() {
            return Some(Duration::from_secs(seconds));
        }
        if let Ok(date) = chrono::DateTime::parse_from_rfc2822(after) {
            let wait = date.timestamp() - chrono::Utc::now().timestamp();
            return Some(Duration::from_secs(wait.max(0) as u64));
        }
    }
    if let Some(reset) = header(headers, "x-rate-limit-reset")
        .or_else(|| header(headers, "x-ratelimit-reset"))
        .and_then(until_reset)
    {
        return Some(reset);
    }
    graph_usage(headers)
        .regain_minutes
        .filter(|m| *m > 0)
        .map(|m| Duration::from_secs(m * 60))
}

/// Whether an answer refuses the request for its rate, and how long it asks
/// us to wait (None: it does not say; the caller backs off). HTTP 429 on
/// every platform; the Graph API's throttling codes (4 application, 17
/// user, 32 page, 613, 80001-80014 business use case) on any 4xx; TikTok's
/// `rate_limit_exceeded` whatever the status.
fn rate_limit_refusal(
    platform: Platform,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> Option<Option<Duration>> {
    if status == StatusCode::TOO_MANY_REQUESTS {
        return Some(asked_wait(headers));
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
    limited_body.then(|| asked_wait(headers))
}

/// What the Graph API's usage headers say.
#[derive(Debug, Default, PartialEq)]
struct GraphUsage {
    /// The highest share of a quota used, 0..100.
    percent: Option<f64>,
    /// Minutes until a business-use-case quota is back.
    regain_minutes: Option<u64>,
}

/// Reads `X-App-Usage` (`{"call_count":..,"total_cputime":..,"total_time":..}`,
/// percentages) and `X-Business-Use-Case-Usage` (`{"<id>":[{...,
/// "estimated_time_to_regain_access": minutes}]}`).
fn graph_usage(headers: &HeaderMap) -> GraphUsage {
    let mut usage = GraphUsage::default();
    let mut note = |object: &serde_json::Map<String, Value>| {
        for key in [
            "call_count",
            "total_cputime",
            "total_time",
            "acc_id_util_pct",
        ] {
            if let Some(p) = object.get(key).and_then(Value::as_f64) {
                usage.percent = Some(usage.percent.map_or(p, |q: f64| q.max(p)));
            }
        }
        if let Some(m) = object
            .get("estimated_time_to_regain_access")
            .and_then(Value::as_u64)
        {
            usage.regain_minutes = Some(usage.regain_minutes.map_or(m, |n| n.max(m)));
        }
    };
    for name in ["x-app-usage", "x-ad-account-usage"] {
        if let Some(Value::Object(o)) =
            header(headers, name).and_then(|v| serde_json::from_str(v).ok())
        {
            note(&o);
        }
    }
    if let Some(Value::Object(ids)) =
        header(headers, "x-business-use-case-usage").and_then(|v| serde_json::from_str(v).ok())
    {
        for entries in ids.values() {
            for entry in entries.as_array().into_iter().flatten() {
                if let Value::Object(o) = entry {
                    note(o);
                }
            }
        }
    }
    usage
}

/// A pause asked for by the usage headers of a successful answer: X's and
/// Dribbble's remaining-calls count at zero (until the reset), or a Graph
/// quota at 95% or more (until access is regained, or a second).
fn usage_pause(headers: &HeaderMap) -> Option<Duration> {
    for (remaining, reset) in [
        ("x-rate-limit-remaining", "x-rate-limit-reset"),
        ("x-ratelimit-remaining", "x-ratelimit-reset"),
    ] {
        if header(headers, remaining).and_then(|v| v.parse::<u64>().ok()) == Some(0) {
            return header(headers, reset)
                .and_then(until_reset)
                .or(Some(Duration::from_secs(1)));
        }
    }
    let usage = graph_usage(headers);
    if usage.percent.is_some_and(|p| p >= 95.0) {
        let minutes = usage.regain_minutes.unwrap_or(0);
        return Some(Duration::from_secs((minutes * 60).max(1)));
    }
    None
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
                "/errors/0/message",
                "/title",
                "/error/code",
            ]
            .iter()
            .find_map(|p| {
                v.pointer(p)
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
            })
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

/// A random share (50% to 100%) of `max`, so clients that failed together
/// do not retry together.
fn jitter(max: Duration) -> Duration {
    max.mul_f64(0.5 + 0.5 * random_unit())
}

fn jitter_up_to(millis: u64) -> Duration {
    Duration::from_millis((millis as f64 * random_unit()) as u64)
}

fn random_unit() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    // RandomState is seeded per process and per instance from the OS.
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(0);
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, v.parse().unwrap());
        }
        map
    }

    #[test]
    fn rate_limit_refusals_are_read_per_platform() {
        let h = headers(&[("retry-after", "3")]);
        assert_eq!(
            rate_limit_refusal(Platform::Linkedin, StatusCode::TOO_MANY_REQUESTS, &h, b""),
            Some(Some(Duration::from_secs(3)))
        );
        // LinkedIn's 429 says nothing about when: the client backs off.
        assert_eq!(
            rate_limit_refusal(
                Platform::Linkedin,
                StatusCode::TOO_MANY_REQUESTS,
                &HeaderMap::new(),
                b""
            ),
            Some(None)
        );
        let reset = (chrono::Utc::now().timestamp() + 30).to_string();
        let x = headers(&[
            ("x-rate-limit-remaining", "0"),
            ("x-rate-limit-reset", &reset),
        ]);
        let wait = rate_limit_refusal(Platform::X, StatusCode::TOO_MANY_REQUESTS, &x, b"")
            .flatten()
            .unwrap();
        assert!(
            wait >= Duration::from_secs(28) && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
        for code in [4, 17, 32, 80002] {
            let graph =
                format!(r#"{{"error":{{"code":{code},"message":"(#{code}) limit reached"}}}}"#);
            assert!(rate_limit_refusal(
                Platform::Instagram,
                StatusCode::FORBIDDEN,
                &HeaderMap::new(),
                graph.as_bytes()
            )
            .is_some());
        }
        let invalid = br#"{"error":{"code":190,"message":"Invalid OAuth access token"}}"#;
        assert!(rate_limit_refusal(
            Platform::Instagram,
            StatusCode::UNAUTHORIZED,
            &HeaderMap::new(),
            invalid
        )
        .is_none());
        let tiktok = br#"{"error":{"code":"rate_limit_exceeded"}}"#;
        assert!(
            rate_limit_refusal(Platform::Tiktok, StatusCode::OK, &HeaderMap::new(), tiktok)
                .is_some()
        );
        assert!(rate_limit_refusal(
            Platform::Dribbble,
            StatusCode::INTERNAL_SERVER_ERROR,
            &HeaderMap::new(),
            b""
        )
        .is_none());
    }

    #[test]
    fn usage_headers_pause_before_a_refusal() {
        assert_eq!(usage_pause(&HeaderMap::new()), None);
        let busy = headers(&[(
            "x-app-usage",
            r#"{"call_count":97,"total_cputime":10,"total_time":12}"#,
        )]);
        assert_eq!(usage_pause(&busy), Some(Duration::from_secs(1)));
        let calm = headers(&[(
            "x-app-usage",
            r#"{"call_count":40,"total_cputime":10,"total_time":12}"#,
        )]);
        assert_eq!(usage_pause(&calm), None);
        let buc = headers(&[(
            "x-business-use-case-usage",
            r#"{"104601000":[{"type":"pages","call_count":100,"total_cputime":3,"total_time":4,"estimated_time_to_regain_access":2}]}"#,
        )]);
        assert_eq!(usage_pause(&buc), Some(Duration::from_secs(120)));
        let reset = (chrono::Utc::now().timestamp() + 5).to_string();
        let dribbble = headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", &reset),
        ]);
        assert!(usage_pause(&dribbble).unwrap() <= Duration::from_secs(5));
        let left = headers(&[
            ("x-rate-limit-remaining", "12"),
            ("x-rate-limit-reset", &reset),
        ]);
        assert_eq!(usage_pause(&left), None);
    }

    #[test]
    fn messages_and_cursors_never_carry_the_token_or_the_query() {
        assert_eq!(
            shown_path("https://api.x.com/2/users/1?access_token=abc"),
            "https://api.x.com/2/users/1"
        );
        assert_eq!(
            api_message(br#"{"message":"bad token abc"}"#, "abc"),
            "bad token ***"
        );
        let client = ApiClient::new(
            Platform::Instagram,
            "http://127.0.0.1:1/instagram",
            Secret::new("tok123".into()),
            Auth::Bearer,
            RetryPolicy::default(),
            1,
            1,
        );
        assert_eq!(
            client.scrub("http://h/v21.0/1/media?limit=5&access_token=tok123&after=QVFI5"),
            "http://h/v21.0/1/media?limit=5&after=QVFI5"
        );
        assert_eq!(
            client.scrub("http://h/p?key=tok123"),
            "http://h/p",
            "a parameter holding the token goes whatever its name"
        );
        assert_eq!(client.scrub("http://h/p?page=2"), "http://h/p?page=2");
    }
}
