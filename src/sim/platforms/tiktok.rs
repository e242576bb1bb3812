//! TikTok API v2: the video list (POST, integer cursor, has_more) and user
//! info. A real token belongs to one user; the simulator serves several and
//! takes the user as `open_id`.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::{authorized, page_bounds, with_duplicate, Params};
use crate::collect::Platform;
use crate::sim::Sim;

pub(super) fn routes() -> Router<Arc<Sim>> {
    Router::new()
        .route("/tiktok/v2/video/list/", post(video_list))
        .route("/tiktok/v2/user/info/", get(user_info))
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"data": {}, "error": {"code": code, "message": message, "log_id": "sim"}})),
    )
        .into_response()
}

async fn video_list(
    State(sim): State<Arc<Sim>>,
    Query(params): Query<Params>,
    headers: HeaderMap,
    body: Option<Json<Value>>,
) -> Response {
    if !authorized(&sim, Platform::Tiktok, &headers, &params) {
        return error(
            StatusCode::UNAUTHORIZED,
            "access_token_invalid",
            "The access token is invalid or not found in the request.",
        );
    }
    let Some(user) = params.get("open_id") else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_params",
            "open_id is required",
        );
    };
    let body = body.map(|Json(b)| b).unwrap_or_default();
    let cursor = body.get("cursor").and_then(Value::as_u64).unwrap_or(0) as usize;
    let max = body
        .get("max_count")
        .and_then(Value::as_u64)
        .unwrap_or(10)
        .clamp(1, 20) as usize;
    let videos: Vec<_> = sim.world().posts_of(Platform::Tiktok, user).collect();
    let (start, end, next) = page_bounds(videos.len(), cursor, max);
    let key = format!("tiktok/{user}/{start}");
    let items: Vec<Value> = with_duplicate(&sim, &key, &videos, start, end)
        .into_iter()
        .map(|p| {
            json!({
                "id": p.id,
                "create_time": p.published_at.timestamp(),
                "cover_image_url": p.image.as_deref().map(|i| sim.image_url(i)),
                "title": p.caption,
                "video_description": p.caption,
                "like_count": p.likes,
                "comment_count": p.comments,
                "share_count": p.shares,
                "view_count": p.views,
                "share_url": format!("https://www.tiktok.com/@{user}/video/{}", p.id),
            })
        })
        .collect();
    Json(json!({
        "data": {"videos": items, "cursor": next.unwrap_or(end), "has_more": next.is_some()},
        "error": {"code": "ok", "message": "", "log_id": "sim"}
    }))
    .into_response()
}

async fn user_info(
    State(sim): State<Arc<Sim>>,
    Query(params): Query<Params>,
    headers: HeaderMap,
) -> Response {
    if !authorized(&sim, Platform::Tiktok, &headers, &params) {
        return error(
            StatusCode::UNAUTHORIZED,
            "access_token_invalid",
            "The access token is invalid or not found in the request.",
        );
    }
    let user = params
        .get("open_id")
        .map(String::as_str)
        .unwrap_or_default();
    match sim.world().account(Platform::Tiktok, user) {
        Some(a) => Json(json!({"data": {"user": {"open_id": a.id, "follower_count": a.followers}}, "error": {"code": "ok", "message": ""}})).into_response(),
        None => error(StatusCode::NOT_FOUND, "invalid_params", "unknown open_id"),
    }
}
