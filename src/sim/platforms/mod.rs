//! The simulated APIs, one file per platform, plus the image CDN.

mod behance;
mod dribbble;
mod graph;
mod linkedin;
mod optimizely;
mod tiktok;
mod x;

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Utc};

use super::world::Post;
use super::Sim;
use crate::collect::Platform;

/// The project id the simulated experiments API serves.
pub(crate) const OPTIMIZELY_PROJECT: &str = "project1";

/// Query parameters, as the handlers read them.
type Params = HashMap<String, String>;

pub(super) fn routes() -> Router<Arc<Sim>> {
    Router::new()
        .merge(graph::routes())
        .merge(linkedin::routes())
        .merge(tiktok::routes())
        .merge(x::routes())
        .merge(dribbble::routes())
        .merge(behance::routes())
        .merge(optimizely::routes())
        .route("/images/{file}", get(image))
}

/// Whether the request carries the platform's token, as a bearer header or
/// in the query (`access_token`, or Behance's `api_key`).
fn authorized(sim: &Sim, platform: Platform, headers: &HeaderMap, params: &Params) -> bool {
    let token = sim.token(platform);
    let bearer = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("OAuth "))
        });
    bearer == Some(token)
        || params.get("access_token").map(String::as_str) == Some(token)
        || params.get("api_key").map(String::as_str) == Some(token)
}

/// A list page: items `[start, end)` and the offset of the next page.
fn page_bounds(len: usize, start: usize, limit: usize) -> (usize, usize, Option<usize>) {
    let start = start.min(len);
    let end = (start + limit.max(1)).min(len);
    (start, end, (end < len).then_some(end))
}

/// The items of a page, with the item before the page repeated in front of
/// them when the duplicate fault picks this page.
fn with_duplicate<'a, T>(
    sim: &Sim,
    key: &str,
    all: &[&'a T],
    start: usize,
    end: usize,
) -> Vec<&'a T> {
    let mut items: Vec<&T> = all[start..end].to_vec();
    if start > 0 && start < all.len() && sim.faults.page_has_duplicate(key) {
        items.insert(0, all[start - 1]);
    }
    items
}

/// Posts of an account published in `[since, until)`, newest first.
fn posts_in_window<'a>(
    sim: &'a Sim,
    platform: Platform,
    account: &'a str,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
) -> Vec<&'a Post> {
    sim.world()
        .posts_of(platform, account)
        .filter(|p| {
            since.is_none_or(|s| p.published_at >= s) && until.is_none_or(|u| p.published_at < u)
        })
        .collect()
}

/// An id as the APIs that use numeric ids give it: a number when it is one.
fn numeric_id(id: &str) -> serde_json::Value {
    match id.parse::<u64>() {
        Ok(n) if n.to_string() == id => n.into(),
        _ => id.into(),
    }
}

fn number(params: &Params, key: &str, default: usize) -> usize {
    params
        .get(key)
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn unix_param(params: &Params, key: &str) -> Option<DateTime<Utc>> {
    params
        .get(key)
        .and_then(|v| v.parse::<i64>().ok())
        .and_then(|s| DateTime::from_timestamp(s, 0))
}

fn not_found(message: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        axum::Json(serde_json::json!({"message": message})),
    )
        .into_response()
}

/// The CDN: images by id, some of them broken when the fault is on.
async fn image(State(sim): State<Arc<Sim>>, Path(file): Path<String>) -> Response {
    let id = file.split('.').next().unwrap_or_default().to_string();
    let body = tokio::task::spawn_blocking(move || sim.image_bytes(&id))
        .await
        .ok()
        .flatten();
    match body {
        Some(body) => ([(http::header::CONTENT_TYPE, "image/png")], body).into_response(),
        None => not_found("no such image"),
    }
}
