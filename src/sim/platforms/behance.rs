//! Behance API v2: a user's projects with stats, page-numbered until an
//! empty page; the key travels as `api_key`.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::{authorized, number, numeric_id, page_bounds, with_duplicate, Params};
use crate::collect::Platform;
use crate::sim::Sim;

pub(super) fn routes() -> Router<Arc<Sim>> {
    Router::new()
        .route("/behance/v2/users/{user}/projects", get(projects))
        .route("/behance/v2/users/{user}", get(user))
}

fn denied() -> Response {
    (
        StatusCode::FORBIDDEN,
        Json(json!({"http_code": 403, "message": "Invalid API key"})),
    )
        .into_response()
}

async fn projects(
    State(sim): State<Arc<Sim>>,
    Path(user): Path<String>,
    Query(params): Query<Params>,
    headers: HeaderMap,
) -> Response {
    if !authorized(&sim, Platform::Behance, &headers, &params) {
        return denied();
    }
    let posts: Vec<_> = sim.world().posts_of(Platform::Behance, &user).collect();
    let per_page = number(&params, "per_page", 24).clamp(1, 48);
    let page = number(&params, "page", 1).max(1);
    let (start, end, _) = page_bounds(posts.len(), (page - 1) * per_page, per_page);
    let items: Vec<Value> =
        with_duplicate(&sim, &format!("behance/{user}/{start}"), &posts, start, end)
            .into_iter()
            .map(|p| {
                let url = p.image.as_deref().map(|i| sim.image_url(i));
                json!({
                    "id": numeric_id(&p.id),
                    "name": p.caption,
                    "published_on": p.published_at.timestamp(),
                    "created_on": p.published_at.timestamp(),
                    "url": format!("https://www.behance.net/gallery/{}/project", p.id),
                    "covers": {"404": url, "original": url},
                    "stats": {"views": p.views, "appreciations": p.likes, "comments": p.comments},
                    "fields": ["Graphic Design"],
                })
            })
            .collect();
    Json(json!({"projects": items, "http_code": 200})).into_response()
}

async fn user(
    State(sim): State<Arc<Sim>>,
    Path(user): Path<String>,
    Query(params): Query<Params>,
    headers: HeaderMap,
) -> Response {
    if !authorized(&sim, Platform::Behance, &headers, &params) {
        return denied();
    }
    match sim.world().account(Platform::Behance, &user) {
        Some(a) => Json(json!({"user": {"id": 1, "username": a.id, "stats": {"followers": a.followers}}, "http_code": 200})).into_response(),
        None => (StatusCode::NOT_FOUND, Json(json!({"http_code": 404, "message": "User not found"}))).into_response(),
    }
}
