//! Fault knobs: rate limiting (with each platform's usage headers and
//! refusals), server errors, slow and truncated responses (transient, so a
//! retry gets through), corrupt images and duplicate items (persistent, so
//! the collector must reject them).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::world::Rng;
use super::Sim;
use crate::collect::Platform;

/// How the simulator misbehaves.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Requests per second each platform allows (its bucket holds as many)
    /// before it refuses with its rate-limit answer.
    pub rate_limit_per_second: Option<u32>,
    /// Share of requests answered with a 5xx.
    pub error_rate: f64,
    /// Share of requests that are slow.
    pub slow_rate: f64,
    /// How slow a slow request is.
    pub slow_ms: u64,
    /// Share of responses cut off mid-body.
    pub truncate_rate: f64,
    /// Share of images served corrupt or truncated, always the same ones.
    pub corrupt_image_rate: f64,
    /// Share of list pages that repeat an item of the page before.
    pub duplicate_rate: f64,
    /// Seed of the fault decisions.
    pub seed: u64,
}

impl Faults {
    /// Whether the image with this id is served broken.
    pub fn image_is_corrupt(&self, id: &str) -> bool {
        self.corrupt_image_rate > 0.0 && unit_hash(self.seed, id) < self.corrupt_image_rate
    }

    /// Whether the list page at this key repeats an earlier item.
    pub fn page_has_duplicate(&self, key: &str) -> bool {
        self.duplicate_rate > 0.0 && unit_hash(self.seed ^ 0xD0_D0, key) < self.duplicate_rate
    }
}

fn unit_hash(seed: u64, key: &str) -> f64 {
    let h = xxhash_rust::xxh3::xxh3_64_with_seed(key.as_bytes(), seed);
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// What a platform's bucket said about one request.
#[derive(Debug, Clone, Copy)]
struct Admission {
    allowed: bool,
    limit: u32,
    remaining: u32,
    /// Unix second when the bucket is full again.
    reset: i64,
}

/// A token bucket per platform, and the dice of the other faults.
pub(super) struct Limiter {
    per_second: Option<u32>,
    buckets: Mutex<std::collections::HashMap<Platform, (f64, Instant)>>,
    rng: Mutex<Rng>,
}

impl Limiter {
    pub(super) fn new(per_second: Option<u32>, seed: u64) -> Limiter {
        Limiter {
            per_second,
            buckets: Mutex::new(Default::default()),
            rng: Mutex::new(Rng::new(seed ^ 7)),
        }
    }

    fn admit(&self, platform: Platform) -> Option<Admission> {
        let rate = f64::from(self.per_second?.max(1));
        let mut buckets = self.buckets.lock().expect("not poisoned");
        let now = Instant::now();
        let (tokens, last) = buckets.entry(platform).or_insert((rate, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * rate).min(rate);
        *last = now;
        let allowed = *tokens >= 1.0;
        if allowed {
            *tokens -= 1.0;
        }
        let refill = Duration::from_secs_f64((rate - *tokens) / rate);
        Some(Admission {
            allowed,
            limit: rate as u32,
            remaining: tokens.floor() as u32,
            reset: chrono::Utc::now().timestamp() + refill.as_secs_f64().ceil() as i64,
        })
    }

    fn roll(&self) -> f64 {
        self.rng.lock().expect("not poisoned").unit()
    }
}

/// The middleware that applies the faults to every request.
pub(super) async fn inject(State(sim): State<Arc<Sim>>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let platform = Platform::ALL
        .into_iter()
        .find(|p| path.starts_with(&format!("/{}/", p.name())));
    let faults = &sim.faults;
    if faults.slow_rate > 0.0 && sim.limiter.roll() < faults.slow_rate {
        tokio::time::sleep(Duration::from_millis(faults.slow_ms)).await;
    }
    let admission = platform.and_then(|p| sim.limiter.admit(p));
    if let (Some(platform), Some(admission)) = (platform, admission) {
        if !admission.allowed {
            let mut response = rate_limited(platform);
            usage_headers(platform, &admission, response.headers_mut());
            return response;
        }
    }
    if faults.error_rate > 0.0 && sim.limiter.roll() < faults.error_rate {
        let status = [
            StatusCode::INTERNAL_SERVER_ERROR,
            StatusCode::BAD_GATEWAY,
            StatusCode::SERVICE_UNAVAILABLE,
        ][(sim.limiter.roll() * 3.0) as usize % 3];
        return server_error(platform, status);
    }
    let mut response = next.run(request).await;
    if let (Some(platform), Some(admission)) = (platform, admission) {
        usage_headers(platform, &admission, response.headers_mut());
    }
    if faults.truncate_rate > 0.0 && sim.limiter.roll() < faults.truncate_rate {
        return truncate(response).await;
    }
    response
}

/// A 5xx in the platform's shape (a CDN's bare page for images).
fn server_error(platform: Option<Platform>, status: StatusCode) -> Response {
    match platform {
        Some(Platform::Instagram | Platform::Facebook) => (
            status,
            axum::Json(json!({"error": {"message": "An unexpected error has occurred. Please retry your request later.", "type": "OAuthException", "is_transient": true, "code": 2, "fbtrace_id": "AsimTrace"}})),
        )
            .into_response(),
        Some(Platform::Tiktok) => (
            status,
            axum::Json(json!({"data": {}, "error": {"code": "internal_error", "message": "Something went wrong. Please try again later.", "log_id": "sim"}})),
        )
            .into_response(),
        Some(_) => (
            status,
            axum::Json(json!({"status": status.as_u16(), "message": "Internal server error (simulated)"})),
        )
            .into_response(),
        None => (status, "<html><body>upstream error (simulated)</body></html>").into_response(),
    }
}

/// A response that announces its full length and stops half-way, the way a
/// dropped connection looks to a client.
async fn truncate(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if bytes.len() < 2 {
        return Response::from_parts(parts, Body::from(bytes));
    }
    let half = bytes.slice(..bytes.len() / 2);
    parts
        .headers
        .insert(http::header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    let stream = futures::stream::iter(vec![
        Ok(half),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "simulated cut",
        )),
    ]);
    Response::from_parts(parts, Body::from_stream(stream))
}

/// The usage headers each platform sends with every answer: the Graph
/// API's `X-App-Usage` (percentages), X's `x-rate-limit-*` and Dribbble's
/// `X-RateLimit-*` (calls left, reset in Unix seconds). The others send
/// none.
fn usage_headers(platform: Platform, admission: &Admission, headers: &mut HeaderMap) {
    match platform {
        Platform::Instagram | Platform::Facebook => {
            let used = 100 * (admission.limit - admission.remaining.min(admission.limit))
                / admission.limit.max(1);
            let usage =
                json!({"call_count": used, "total_cputime": used / 2, "total_time": used / 2});
            if let Ok(value) = HeaderValue::from_str(&usage.to_string()) {
                headers.insert("x-app-usage", value);
            }
        }
        Platform::X | Platform::Dribbble => {
            let prefix = if platform == Platform::X {
                "x-rate-limit"
            } else {
                "x-ratelimit"
            };
            for (name, value) in [
                ("limit", i64::from(admission.limit)),
                ("remaining", i64::from(admission.remaining)),
                ("reset", admission.reset),
            ] {
                if let Ok(name) =
                    http::HeaderName::from_bytes(format!("{prefix}-{name}").as_bytes())
                {
                    headers.insert(name, HeaderValue::from(value));
                }
            }
        }
        _ => {}
    }
}

/// Each platform's own way of saying "slow down".
fn rate_limited(platform: Platform) -> Response {
    let mut response = match platform {
        Platform::Instagram => (
            StatusCode::FORBIDDEN,
            axum::Json(json!({"error": {"message": "(#4) Application request limit reached", "type": "OAuthException", "is_transient": true, "code": 4, "fbtrace_id": "AsimTrace"}})),
        )
            .into_response(),
        Platform::Facebook => (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": {"message": "(#32) Page request limit reached", "type": "OAuthException", "is_transient": true, "code": 32, "fbtrace_id": "AsimTrace"}})),
        )
            .into_response(),
        Platform::Tiktok => (
            StatusCode::TOO_MANY_REQUESTS,
            axum::Json(json!({"data": {}, "error": {"code": "rate_limit_exceeded", "message": "The API rate limit was exceeded. Please try again later.", "log_id": "sim"}})),
        )
            .into_response(),
        Platform::X => (
            StatusCode::TOO_MANY_REQUESTS,
            axum::Json(json!({"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429})),
        )
            .into_response(),
        // LinkedIn says nothing about when to come back.
        Platform::Linkedin => (
            StatusCode::TOO_MANY_REQUESTS,
            axum::Json(json!({"status": 429, "serviceErrorCode": 101, "code": "TOO_MANY_REQUESTS", "message": "Resource level throttle APPLICATION DAY limit for calls to this resource is reached."})),
        )
            .into_response(),
        Platform::Dribbble => (
            StatusCode::TOO_MANY_REQUESTS,
            axum::Json(json!({"message": "API rate limit exceeded"})),
        )
            .into_response(),
        Platform::Behance => (
            StatusCode::TOO_MANY_REQUESTS,
            axum::Json(json!({"http_code": 429, "message": "Too many requests"})),
        )
            .into_response(),
        Platform::Optimizely => (
            StatusCode::TOO_MANY_REQUESTS,
            axum::Json(json!({"code": "TOO_MANY_REQUESTS", "message": "Rate limit exceeded"})),
        )
            .into_response(),
    };
    if matches!(platform, Platform::Behance | Platform::Optimizely) {
        response
            .headers_mut()
            .insert(http::header::RETRY_AFTER, HeaderValue::from(1));
    }
    response
}
