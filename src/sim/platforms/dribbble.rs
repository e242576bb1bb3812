//! Dribbble API v2: a team's or user's shots, page-numbered with a `Link`
//! header, and the user's follower count.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::{authorized, number, page_bounds, with_duplicate, Params};
use crate::collect::Platform;
use crate::sim::Sim;

pub(super) fn routes() -> Router<Arc<Sim>> {
    Router::new()
        .route("/dribbble/v2/users/{user}/shots", get(shots))
        .route("/dribbble/v2/users/{user}", get(user))
}

fn denied() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({"message": "Bad credentials."})),
    )
        .into_response()
}

async fn shots(
    State(sim): State<Arc<Sim>>,
    Path(user): Path<String>,
    Query(params): Query<Params>,
    headers: HeaderMap,
) -> Response {
    if !authorized(&sim, Platform::Dribbble, &headers, &params) {
        return denied();
    }
    let posts: Vec<_> = sim.world().posts_of(Platform::Dribbble, &user).collect();
    let page = number(&params, "page", 1).max(1);
    let per_page = number(&params, "per_page", 30).clamp(1, 100);
    let (start, end, next) = page_bounds(posts.len(), (page - 1) * per_page, per_page);
    let items: Vec<Value> = with_duplicate(
        &sim,
        &format!("dribbble/{user}/{start}"),
        &posts,
        start,
        end,
    )
    .into_iter()
    .map(|p| {
        let url = p.image.as_deref().map(|i| sim.image_url(i));
        json!({
            "id": p.id.parse::<u64>().unwrap_or_default(),
            "title": p.caption,
            "description": p.caption,
            "published_at": p.published_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "html_url": format!("https://dribbble.com/shots/{}", p.id),
            "images": {"hidpi": url, "normal": url, "teaser": url},
            "likes_count": p.likes,
            "views_count": p.views,
            "comments_count": p.comments,
            "animated": false,
            "tags": ["design"],
        })
    })
    .collect();
    let mut response = Json(items).into_response();
    if next.is_some() {
        let link = format!(
            "<{}/dribbble/v2/users/{user}/shots?page={}&per_page={per_page}>; rel=\"next\"",
            sim.base_url,
            page + 1
        );
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(http::header::LINK, value);
        }
    }
    response
}

async fn user(
    State(sim): State<Arc<Sim>>,
    Path(user): Path<String>,
    Query(params): Query<Params>,
    headers: HeaderMap,
) -> Response {
    if !authorized(&sim, Platform::Dribbble, &headers, &params) {
        return denied();
    }
    match sim.world().account(Platform::Dribbble, &user) {
        Some(a) => {
            Json(json!({"id": 1, "login": a.id, "followers_count": a.followers})).into_response()
        }
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({"message": "Not found."})),
        )
            .into_response(),
    }
}
