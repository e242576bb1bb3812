//! LinkedIn Marketing API: organisation posts (offset paging, newest first,
//! no date filter), share statistics, image download URLs, follower counts.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::{authorized, number, page_bounds, with_duplicate, Params};
use crate::collect::Platform;
use crate::sim::Sim;

const ORG: &str = "urn:li:organization:";

pub(super) fn routes() -> Router<Arc<Sim>> {
    Router::new()
        .route("/linkedin/rest/posts", get(posts))
        .route(
            "/linkedin/rest/organizationalEntityShareStatistics",
            get(statistics),
        )
        .route("/linkedin/rest/images/{urn}", get(image))
        .route("/linkedin/rest/networkSizes/{urn}", get(network_size))
}

fn denied() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({"status": 401, "serviceErrorCode": 65600, "code": "INVALID_ACCESS_TOKEN", "message": "Invalid access token"})),
    )
        .into_response()
}

fn bad(message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"status": 400, "message": message})),
    )
        .into_response()
}

async fn posts(
    State(sim): State<Arc<Sim>>,
    Query(params): Query<Params>,
    headers: HeaderMap,
) -> Response {
    if !authorized(&sim, Platform::Linkedin, &headers, &params) {
        return denied();
    }
    let Some(org) = params.get("author").and_then(|a| a.strip_prefix(ORG)) else {
        return bad("author must be urn:li:organization:<id>");
    };
    let posts: Vec<_> = sim.world().posts_of(Platform::Linkedin, org).collect();
    let (start, end, _) = page_bounds(
        posts.len(),
        number(&params, "start", 0),
        number(&params, "count", 10).min(100),
    );
    let key = format!("linkedin/{org}/{start}");
    let elements: Vec<Value> = with_duplicate(&sim, &key, &posts, start, end)
        .into_iter()
        .map(|p| {
            json!({
                "id": format!("urn:li:share:{}", p.id),
                "author": format!("{ORG}{org}"),
                "commentary": p.caption,
                "publishedAt": p.published_at.timestamp_millis(),
                "createdAt": p.published_at.timestamp_millis(),
                "visibility": "PUBLIC",
                "lifecycleState": "PUBLISHED",
                "isReshareDisabledByAuthor": false,
                "adContext": {"isDsc": p.paid},
                "content": p.image.as_ref().map(|i| json!({"media": {"id": format!("urn:li:image:{i}"), "altText": ""}})),
            })
        })
        .collect();
    Json(json!({"elements": elements, "paging": {"start": start, "count": end - start, "total": posts.len(), "links": []}}))
        .into_response()
}

async fn statistics(
    State(sim): State<Arc<Sim>>,
    Query(params): Query<Params>,
    headers: HeaderMap,
) -> Response {
    if !authorized(&sim, Platform::Linkedin, &headers, &params) {
        return denied();
    }
    let Some(org) = params.get("organizationalEntity") else {
        return bad("organizationalEntity is required");
    };
    let list = params.get("shares").map(String::as_str).unwrap_or_default();
    let Some(inner) = list.strip_prefix("List(").and_then(|l| l.strip_suffix(')')) else {
        return bad("shares must be List(urn,...)");
    };
    let mut elements = Vec::new();
    for urn in inner.split(',').filter(|u| !u.is_empty()) {
        let id = urn.trim().trim_start_matches("urn:li:share:");
        let Some(p) = sim
            .world()
            .posts
            .iter()
            .find(|p| p.platform == Platform::Linkedin && p.id == id)
        else {
            return bad(&format!("unknown share {urn}"));
        };
        elements.push(json!({
            "organizationalEntity": org,
            "share": urn,
            "totalShareStatistics": {
                "clickCount": p.clicks,
                "commentCount": p.comments,
                "engagement": (p.clicks + p.comments + p.likes + p.shares) as f64 / p.impressions.max(1) as f64,
                "impressionCount": p.impressions,
                "likeCount": p.likes,
                "shareCount": p.shares,
                "uniqueImpressionsCount": p.reach,
            }
        }));
    }
    Json(json!({"elements": elements, "paging": {"start": 0, "count": elements.len()}}))
        .into_response()
}

async fn image(
    State(sim): State<Arc<Sim>>,
    Path(urn): Path<String>,
    Query(params): Query<Params>,
    headers: HeaderMap,
) -> Response {
    if !authorized(&sim, Platform::Linkedin, &headers, &params) {
        return denied();
    }
    let id = urn.trim_start_matches("urn:li:image:");
    if !sim.world().images.contains_key(id) {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"status": 404, "message": "Not Found"})),
        )
            .into_response();
    }
    Json(json!({"id": urn, "status": "AVAILABLE", "downloadUrl": sim.image_url(id)}))
        .into_response()
}

async fn network_size(
    State(sim): State<Arc<Sim>>,
    Path(urn): Path<String>,
    Query(params): Query<Params>,
    headers: HeaderMap,
) -> Response {
    if !authorized(&sim, Platform::Linkedin, &headers, &params) {
        return denied();
    }
    match sim
        .world()
        .account(Platform::Linkedin, urn.trim_start_matches(ORG))
    {
        Some(a) => Json(json!({"firstDegreeSize": a.followers})).into_response(),
        None => bad("unknown organization"),
    }
}
