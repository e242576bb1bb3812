//! X API v2: a user's tweets with public metrics and media expansions
//! (pagination_token, start_time/end_time), and the user's follower count.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::DateTime;
use serde_json::{json, Value};

use super::{authorized, number, page_bounds, posts_in_window, with_duplicate, Params};
use crate::collect::Platform;
use crate::sim::Sim;

pub(super) fn routes() -> Router<Arc<Sim>> {
    Router::new()
        .route("/x/2/users/{id}/tweets", get(tweets))
        .route("/x/2/users/{id}", get(user))
}

fn denied() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"})),
    )
        .into_response()
}

fn time_param(params: &Params, key: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    params
        .get(key)
        .and_then(|v| DateTime::parse_from_rfc3339(v).ok())
        .map(|t| t.with_timezone(&chrono::Utc))
}

async fn tweets(
    State(sim): State<Arc<Sim>>,
    Path(id): Path<String>,
    Query(params): Query<Params>,
    headers: HeaderMap,
) -> Response {
    if !authorized(&sim, Platform::X, &headers, &params) {
        return denied();
    }
    if sim.world().account(Platform::X, &id).is_none() {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"errors": [{"detail": format!("Could not find user with id: [{id}].")}]})),
        )
            .into_response();
    }
    let posts = posts_in_window(
        &sim,
        Platform::X,
        &id,
        time_param(&params, "start_time"),
        time_param(&params, "end_time"),
    );
    let start = params
        .get("pagination_token")
        .and_then(|t| t.strip_prefix("7140dibdnow9c7btw4"))
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    let (start, end, next) = page_bounds(
        posts.len(),
        start,
        number(&params, "max_results", 10).clamp(5, 100),
    );
    let page = with_duplicate(&sim, &format!("x/{id}/{start}"), &posts, start, end);
    let data: Vec<Value> = page
        .iter()
        .map(|p| {
            let mut tweet = json!({
                "id": p.id,
                "text": p.caption,
                "created_at": p.published_at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
                "edit_history_tweet_ids": [p.id],
                "public_metrics": {
                    "retweet_count": p.shares,
                    "reply_count": p.comments,
                    "like_count": p.likes,
                    "quote_count": 0,
                    "bookmark_count": p.saves,
                    "impression_count": p.impressions,
                },
            });
            if let Some(image) = &p.image {
                tweet["attachments"] = json!({"media_keys": [format!("3_{image}")]});
            }
            tweet
        })
        .collect();
    let media: Vec<Value> = page
        .iter()
        .filter_map(|p| p.image.as_ref())
        .map(|i| json!({"media_key": format!("3_{i}"), "type": "photo", "url": sim.image_url(i)}))
        .collect();
    let mut meta = json!({"result_count": data.len()});
    if let (Some(first), Some(last)) = (page.first(), page.last()) {
        meta["newest_id"] = json!(first.id);
        meta["oldest_id"] = json!(last.id);
    }
    if let Some(next) = next {
        meta["next_token"] = json!(format!("7140dibdnow9c7btw4{next}"));
    }
    Json(json!({"data": data, "includes": {"media": media}, "meta": meta})).into_response()
}

async fn user(
    State(sim): State<Arc<Sim>>,
    Path(id): Path<String>,
    Query(params): Query<Params>,
    headers: HeaderMap,
) -> Response {
    if !authorized(&sim, Platform::X, &headers, &params) {
        return denied();
    }
    match sim.world().account(Platform::X, &id) {
        Some(a) => Json(json!({"data": {"id": a.id, "name": a.id, "username": format!("u{}", a.id), "public_metrics": {"followers_count": a.followers, "following_count": 10, "tweet_count": 100}}})).into_response(),
        None => (StatusCode::NOT_FOUND, Json(json!({"errors": [{"detail": "Could not find user"}]}))).into_response(),
    }
}
