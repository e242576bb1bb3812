//! An Optimizely-style experiments API: a project's experiments (page
//! numbers and a `Link` header) and each experiment's results per variation.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Map, Value};

use super::{
    authorized, number, numeric_id, page_bounds, with_duplicate, Params, OPTIMIZELY_PROJECT,
};
use crate::collect::Platform;
use crate::sim::Sim;

pub(super) fn routes() -> Router<Arc<Sim>> {
    Router::new()
        .route("/optimizely/v2/experiments", get(experiments))
        .route("/optimizely/v2/experiments/{id}/results", get(results))
}

fn denied() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({"code": "UNAUTHORIZED", "message": "Invalid token"})),
    )
        .into_response()
}

async fn experiments(
    State(sim): State<Arc<Sim>>,
    Query(params): Query<Params>,
    headers: HeaderMap,
) -> Response {
    if !authorized(&sim, Platform::Optimizely, &headers, &params) {
        return denied();
    }
    if params.get("project_id").map(String::as_str) != Some(OPTIMIZELY_PROJECT) {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"code": "NOT_FOUND", "message": "project not found"})),
        )
            .into_response();
    }
    let all: Vec<_> = sim.world().experiments.iter().collect();
    let per_page = number(&params, "per_page", 25).clamp(1, 100);
    let page = number(&params, "page", 1).max(1);
    let (start, end, next) = page_bounds(all.len(), (page - 1) * per_page, per_page);
    let key = format!("optimizely/{start}");
    let items: Vec<Value> = with_duplicate(&sim, &key, &all, start, end)
        .into_iter()
        .map(|e| {
            json!({
                "id": numeric_id(&e.id),
                "project_id": OPTIMIZELY_PROJECT,
                "name": format!("Creative test {}", e.id),
                "status": "concluded",
                "created": e.started_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "variations": e.variations.iter().map(|v| json!({
                    "variation_id": numeric_id(&v.id),
                    "key": v.key,
                    "name": format!("Variant {}", v.key.to_uppercase()),
                    "weight": 5000,
                    "actions": [{"page_id": 1, "changes": [{"type": "attribute", "selector": "img.hero", "attributes": {"src": sim.image_url(&v.image)}}]}],
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut response = Json(items).into_response();
    if next.is_some() {
        let link = format!(
            "<{}/optimizely/v2/experiments?project_id={OPTIMIZELY_PROJECT}&page={}&per_page={per_page}>; rel=\"next\"",
            sim.base_url,
            page + 1
        );
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(http::header::LINK, value);
        }
    }
    response
}

async fn results(
    State(sim): State<Arc<Sim>>,
    Path(id): Path<String>,
    Query(params): Query<Params>,
    headers: HeaderMap,
) -> Response {
    if !authorized(&sim, Platform::Optimizely, &headers, &params) {
        return denied();
    }
    let Some(e) = sim.world().experiments.iter().find(|e| e.id == id) else {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"code": "NOT_FOUND", "message": "experiment not found"})),
        )
            .into_response();
    };
    let metric = |name: &str, count: fn(&crate::sim::world::Variation) -> u64| {
        let mut results = Map::new();
        for (i, v) in e.variations.iter().enumerate() {
            let mut r = json!({
                "variation_id": v.id,
                "is_baseline": i == 0,
                "samples": v.visitors,
                "value": count(v),
                "rate": count(v) as f64 / v.visitors.max(1) as f64,
            });
            if i > 0 {
                r["lift"] = json!({"significance": e.significance, "is_significant": e.significance >= 0.9});
            }
            results.insert(v.id.clone(), r);
        }
        json!({"name": name, "aggregator": "unique", "results": results})
    };
    Json(json!({
        "experiment_id": numeric_id(&e.id),
        "start_time": e.started_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "confidence_threshold": 0.9,
        "metrics": [metric("conversions", |v| v.conversions), metric("clicks", |v| v.clicks)],
    }))
    .into_response()
}
