//! Fault knobs: rate limiting, server errors, slow and truncated responses
//! (transient, so a retry gets through), corrupt images and duplicate items
//! (persistent, so the collector must reject or drop them).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::world::Rng;
use super::Sim;
use crate::collect::Platform;

/// How the simulator misbehaves.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Requests per second each platform allows before it rate-limits.
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

/// A token bucket per platform.
pub(super) struct Limiter {
    per_second: Option<u32>,
    buckets: Mutex<std::collections::HashMap<String, (f64, Instant)>>,
    rng: Mutex<Rng>,
}

impl Limiter {
    pub(super) fn new(per_second: Option<u32>) -> Limiter {
        Limiter {
            per_second,
            buckets: Mutex::new(Default::default()),
            rng: Mutex::new(Rng::new(7)),
        }
    }

    fn admit(&self, key: &str) -> bool {
        let Some(rate) = self.per_second else {
            return true;
        };
        let rate = f64::from(rate.max(1));
        let mut buckets = self.buckets.lock().expect("not poisoned");
        let now = Instant::now();
        let (tokens, last) = buckets.entry(key.to_string()).or_insert((rate, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * rate).min(rate);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
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
    if let Some(platform) = platform {
        if !sim.limiter.admit(platform.name()) {
            return rate_limited(platform);
        }
    }
    if faults.error_rate > 0.0 && sim.limiter.roll() < faults.error_rate {
        let status = [
            StatusCode::INTERNAL_SERVER_ERROR,
            StatusCode::BAD_GATEWAY,
            StatusCode::SERVICE_UNAVAILABLE,
        ][(sim.limiter.roll() * 3.0) as usize % 3];
        return (status, "upstream error (simulated)").into_response();
    }
    let response = next.run(request).await;
    if faults.truncate_rate > 0.0 && sim.limiter.roll() < faults.truncate_rate {
        return truncate(response).await;
    }
    response
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

/// Each platform's own way of saying "slow down".
fn rate_limited(platform: Platform) -> Response {
    use serde_json::json;
    let reset = chrono::Utc::now().timestamp() + 1;
    let mut response = match platform {
        Platform::Instagram | Platform::Facebook => (
            StatusCode::FORBIDDEN,
            axum::Json(json!({"error": {"message": "(#4) Application request limit reached", "type": "OAuthException", "is_transient": true, "code": 4, "fbtrace_id": "AsimTrace"}})),
        )
            .into_response(),
        Platform::Tiktok => (
            StatusCode::TOO_MANY_REQUESTS,
            axum::Json(json!({"data": {}, "error": {"code": "rate_limit_exceeded", "message": "The API rate limit was exceeded.", "log_id": "sim"}})),
        )
            .into_response(),
        Platform::X => (
            StatusCode::TOO_MANY_REQUESTS,
            axum::Json(json!({"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429})),
        )
            .into_response(),
        _ => (
            StatusCode::TOO_MANY_REQUESTS,
            axum::Json(json!({"message": "Too many requests", "status": 429})),
        )
            .into_response(),
    };
    let headers = response.headers_mut();
    match platform {
        Platform::Instagram | Platform::Facebook => {
            headers.insert(
                "x-app-usage",
                HeaderValue::from_static(
                    r#"{"call_count":100,"total_cputime":40,"total_time":60}"#,
                ),
            );
        }
        Platform::X | Platform::Dribbble => {
            headers.insert("x-rate-limit-remaining", HeaderValue::from(0));
            headers.insert("x-rate-limit-reset", HeaderValue::from(reset));
        }
        _ => {
            headers.insert(http::header::RETRY_AFTER, HeaderValue::from(1));
        }
    }
    response
}
