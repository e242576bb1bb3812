//! Dribbble API v2: the token owner's shots (`/v2/user/shots`, here the
//! first account) and, so that one token reaches several accounts, any
//! account's (`/v2/users/:user/shots`, as API v1 had); page-numbered with a
//! `Link` header; and the user's follower count.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::{authorized, number, numeric_id, page_bounds, with_duplicate, Params};
use crate::collect::Platform;
use crate::sim::Sim;

pub(super) fn routes() -> Router<Arc<Sim>> {
    Router::new()
        .route("/dribbble/v2/users/{user}/shots", get(shots))
        .route("/dribbble/v2/users/{user}", get(user))
        .route("/dribbble/v2/user/shots", get(own_shots))
        .route("/dribbble/v2/user", get(own_user))
}

fn denied() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({"message": "Bad credentials."})),
    )
        .into_response()
}

/// The account a token belongs to: the first one.
fn owner(sim: &Sim) -> String {
    sim.world()
        .accounts
        .iter()
        .find(|a| a.platform == Platform::Dribbble)
        .map(|a| a.id.clone())
        .unwrap_or_default()
}

async fn own_shots(
    State(sim): State<Arc<Sim>>,
    Query(params): Query<Params>,
    headers: HeaderMap,
) -> Response {
    let user = owner(&sim);
    list_shots(&sim, &user, "/dribbble/v2/user/shots", &params, &headers)
}

async fn own_user(
    State(sim): State<Arc<Sim>>,
    Query(params): Query<Params>,
    headers: HeaderMap,
) -> Response {
    let id = owner(&sim);
    user(State(sim), Path(id), Query(params), headers).await
}

async fn shots(
    State(sim): State<Arc<Sim>>,
    Path(user): Path<String>,
    Query(params): Query<Params>,
    headers: HeaderMap,
) -> Response {
    let path = format!("/dribbble/v2/users/{user}/shots");
    list_shots(&sim, &user, &path, &params, &headers)
}

fn list_shots(sim: &Sim, user: &str, path: &str, params: &Params, headers: &HeaderMap) -> Response {
    if !authorized(sim, Platform::Dribbble, headers, params) {
        return denied();
    }
    let posts: Vec<_> = sim.world().posts_of(Platform::Dribbble, user).collect();
    let page = number(params, "page", 1).max(1);
    let per_page = number(params, "per_page", 30).clamp(1, 100);
    let (start, end, next) = page_bounds(posts.len(), (page - 1) * per_page, per_page);
    let items: Vec<Value> = with_duplicate(
        sim,
        &format!("dribbble/{user}/{start}"),
        &posts,
        start,
        end,
    )
    .into_iter()
    .map(|p| {
        let url = p.image.as_deref().map(|i| sim.image_url(i));
        json!({
            "id": numeric_id(&p.id),
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
            "<{}{path}?page={}&per_page={per_page}>; rel=\"next\"",
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
