//! LinkedIn Marketing API (versioned `rest/` endpoints, Rest.li 2.0):
//! organisation posts (`start`/`count` paging with `paging.links`, newest
//! first, no date filter), share statistics and image download URLs in
//! batches (`List(...)`), follower counts. Every call needs the
//! `LinkedIn-Version` header, as on the real API.

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
        .route("/linkedin/rest/images", get(images))
        .route("/linkedin/rest/networkSizes/{urn}", get(network_size))
}

fn denied() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({"status": 401, "serviceErrorCode": 65600, "code": "INVALID_ACCESS_TOKEN", "message": "Invalid access token"})),
    )
        .into_response()
}

/// Refuses a call without the `LinkedIn-Version` header or the token.
fn refused(sim: &Sim, headers: &HeaderMap, params: &Params) -> Option<Response> {
    if !authorized(sim, Platform::Linkedin, headers, params) {
        return Some(denied());
    }
    if !headers.contains_key("linkedin-version") {
        return Some(bad("A version must be present. Please specify a version by adding the LinkedIn-Version header."));
    }
    None
}

/// The URNs of a Rest.li `List(a,b)` parameter.
fn list_param(value: Option<&String>) -> Option<Vec<String>> {
    let inner = value?.strip_prefix("List(")?.strip_suffix(')')?;
    Some(
        inner
            .split(',')
            .map(|u| u.trim().to_string())
            .filter(|u| !u.is_empty())
            .collect(),
    )
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
    if let Some(refusal) = refused(&sim, &headers, &params) {
        return refusal;
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
                "id": p.served_id(),
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
    let count = number(&params, "count", 10).min(100);
    let mut links = Vec::new();
    if start + count < posts.len() {
        links.push(json!({"type": "application/json", "rel": "next", "href": format!("/rest/posts?author={ORG}{org}&count={count}&q=author&start={}", start + count)}));
    }
    Json(json!({"elements": elements, "paging": {"start": start, "count": count, "total": posts.len(), "links": links}}))
        .into_response()
}

async fn statistics(
    State(sim): State<Arc<Sim>>,
    Query(params): Query<Params>,
    headers: HeaderMap,
) -> Response {
    if let Some(refusal) = refused(&sim, &headers, &params) {
        return refusal;
    }
    let Some(org) = params.get("organizationalEntity") else {
        return bad("organizationalEntity is required");
    };
    let (urns, key) = match (
        list_param(params.get("shares")),
        list_param(params.get("ugcPosts")),
    ) {
        (Some(urns), None) => (urns, "share"),
        (None, Some(urns)) => (urns, "ugcPost"),
        _ => return bad("give shares=List(urn,...) or ugcPosts=List(urn,...)"),
    };
    let mut elements = Vec::new();
    for urn in urns {
        let id = urn
            .trim_start_matches("urn:li:share:")
            .trim_start_matches("urn:li:ugcPost:");
        let Some(p) = sim
            .world()
            .posts
            .iter()
            .find(|p| p.platform == Platform::Linkedin && p.id == id)
        else {
            return bad(&format!("unknown post {urn}"));
        };
        elements.push(json!({
            "organizationalEntity": org,
            key: urn,
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

/// BATCH_GET of images: `results` by URN, `errors` for the unknown ones.
async fn images(
    State(sim): State<Arc<Sim>>,
    Query(params): Query<Params>,
    headers: HeaderMap,
) -> Response {
    if let Some(refusal) = refused(&sim, &headers, &params) {
        return refusal;
    }
    let Some(urns) = list_param(params.get("ids")) else {
        return bad("ids must be List(urn,...)");
    };
    let mut results = serde_json::Map::new();
    let mut errors = serde_json::Map::new();
    for urn in urns {
        let id = urn.trim_start_matches("urn:li:image:");
        if sim.world().images.contains_key(id) {
            results.insert(
                urn.clone(),
                json!({"id": urn, "status": "AVAILABLE", "downloadUrl": sim.image_url(id), "downloadUrlExpiresAt": 1_900_000_000_000i64}),
            );
        } else {
            errors.insert(urn.clone(), json!({"status": 404, "message": "Not Found"}));
        }
    }
    Json(json!({"results": results, "statuses": {}, "errors": errors})).into_response()
}

async fn network_size(
    State(sim): State<Arc<Sim>>,
    Path(urn): Path<String>,
    Query(params): Query<Params>,
    headers: HeaderMap,
) -> Response {
    if let Some(refusal) = refused(&sim, &headers, &params) {
        return refusal;
    }
    match sim
        .world()
        .account(Platform::Linkedin, urn.trim_start_matches(ORG))
    {
        Some(a) => Json(json!({"firstDegreeSize": a.followers})).into_response(),
        None => bad("unknown organization"),
    }
}
