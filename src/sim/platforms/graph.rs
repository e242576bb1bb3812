//! Instagram Graph API (media, media insights) and Facebook Pages (posts,
//! post insights): the same Graph conventions, cursor paging and errors.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, MethodRouter};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::{authorized, number, page_bounds, posts_in_window, unix_param, with_duplicate, Params};
use crate::collect::Platform;
use crate::sim::world::Post;
use crate::sim::Sim;

pub(super) fn routes() -> Router<Arc<Sim>> {
    let mut router = Router::new();
    for (platform, list_path) in [
        (Platform::Instagram, "media"),
        (Platform::Facebook, "posts"),
    ] {
        let name = platform.name();
        router = router
            .route(
                &format!("/{name}/{{version}}/{{id}}/{list_path}"),
                endpoint(platform, media),
            )
            .route(
                &format!("/{name}/{{version}}/{{id}}/insights"),
                endpoint(platform, insights),
            )
            .route(
                &format!("/{name}/{{version}}/{{id}}"),
                endpoint(platform, account),
            );
    }
    router
}

/// What one Graph endpoint serves once the token is checked: the object id
/// of the path and the query.
type Serve = fn(&Sim, Platform, &str, &Params) -> Response;

/// A GET route that checks the platform's token the Graph way, then serves.
fn endpoint(platform: Platform, serve: Serve) -> MethodRouter<Arc<Sim>> {
    get(
        move |State(sim): State<Arc<Sim>>,
              Path((_, id)): Path<(String, String)>,
              Query(params): Query<Params>,
              headers: HeaderMap| async move {
            if !authorized(&sim, platform, &headers, &params) {
                return denied();
            }
            serve(&sim, platform, &id, &params)
        },
    )
}

fn no_such_object() -> Response {
    graph_error(
        StatusCode::BAD_REQUEST,
        100,
        "Unsupported get request. Object does not exist",
    )
}

fn graph_error(status: StatusCode, code: u32, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AsimTrace"}})),
    )
        .into_response()
}

fn denied() -> Response {
    graph_error(
        StatusCode::UNAUTHORIZED,
        190,
        "Invalid OAuth access token - Cannot parse access token",
    )
}

/// An opaque-looking cursor for an offset, as the Graph API's are base64.
fn cursor(offset: usize) -> String {
    hex::encode(format!("offset:{offset}"))
}

fn cursor_offset(cursor: &str) -> Option<usize> {
    let text = String::from_utf8(hex::decode(cursor).ok()?).ok()?;
    text.strip_prefix("offset:")?.parse().ok()
}

fn graph_time(post: &Post) -> String {
    post.published_at
        .format("%Y-%m-%dT%H:%M:%S+0000")
        .to_string()
}

/// A Graph list response with cursor paging.
fn list(
    sim: &Sim,
    platform: Platform,
    account: &str,
    params: &Params,
    item: impl Fn(&Post) -> Value,
) -> Response {
    if sim.world().account(platform, account).is_none() {
        return no_such_object();
    }
    let posts = posts_in_window(
        sim,
        platform,
        account,
        unix_param(params, "since"),
        unix_param(params, "until"),
    );
    let start = params
        .get("after")
        .and_then(|c| cursor_offset(c))
        .unwrap_or(0);
    let limit = number(params, "limit", 25).clamp(1, 100);
    let (start, end, next) = page_bounds(posts.len(), start, limit);
    let key = format!("{platform}/{account}/{start}");
    let data: Vec<Value> = with_duplicate(sim, &key, &posts, start, end)
        .into_iter()
        .map(item)
        .collect();
    let mut paging = json!({"cursors": {"before": cursor(start), "after": cursor(end)}});
    if let Some(next) = next {
        // Like the real API, `next` repeats every parameter of the request,
        // the access token included.
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        let mut kept: Vec<(&String, &String)> = params
            .iter()
            .filter(|(k, _)| *k != "after" && *k != "access_token")
            .collect();
        kept.sort();
        for (k, v) in kept {
            query.append_pair(k, v);
        }
        query.append_pair("access_token", sim.token(platform));
        query.append_pair("after", &cursor(next));
        paging["next"] = json!(format!(
            "{}/{}/v21.0/{account}/{}?{}",
            sim.base_url,
            platform.name(),
            if platform == Platform::Instagram {
                "media"
            } else {
                "posts"
            },
            query.finish()
        ));
    }
    Json(json!({"data": data, "paging": paging})).into_response()
}

/// The account's media (Instagram) or the page's posts (Facebook).
fn media(sim: &Sim, platform: Platform, account: &str, params: &Params) -> Response {
    list(sim, platform, account, params, |p| match platform {
        Platform::Instagram => json!({
            "id": p.id,
            "caption": p.caption,
            "media_type": "IMAGE",
            "media_url": p.image.as_deref().map(|i| sim.image_url(i)),
            "permalink": format!("https://www.instagram.com/p/{}/", p.id),
            "timestamp": graph_time(p),
            "like_count": p.likes,
            "comments_count": p.comments,
        }),
        _ => json!({
            "id": format!("{account}_{}", p.id),
            "message": p.caption,
            "created_time": graph_time(p),
            "full_picture": p.image.as_deref().map(|i| sim.image_url(i)),
            "permalink_url": format!("https://www.facebook.com/{account}/posts/{}", p.id),
            "shares": {"count": p.shares},
            "reactions": {"data": [], "summary": {"total_count": p.likes}},
            "comments": {"data": [], "summary": {"total_count": p.comments}},
            "is_eligible_for_promotion": true,
            "promotion_status": if p.paid { "active" } else { "inactive" },
        }),
    })
}

fn insights(sim: &Sim, platform: Platform, id: &str, params: &Params) -> Response {
    // Facebook post ids are <page>_<post>.
    let post_id = match platform {
        Platform::Facebook => id.split_once('_').map_or(id, |(_, post)| post),
        _ => id,
    };
    let Some(post) = sim
        .world()
        .posts
        .iter()
        .find(|p| p.platform == platform && p.id == post_id)
    else {
        return no_such_object();
    };
    let metrics = params.get("metric").cloned().unwrap_or_default();
    let mut data = Vec::new();
    for metric in metrics.split(',').filter(|m| !m.is_empty()) {
        let value = match (platform, metric) {
            (Platform::Instagram, "reach") | (Platform::Facebook, "post_impressions_unique") => {
                post.reach
            }
            (Platform::Instagram, "impressions") | (Platform::Facebook, "post_impressions") => {
                post.impressions
            }
            (Platform::Instagram, "saved") => post.saves,
            (Platform::Instagram, "shares") => post.shares,
            (Platform::Facebook, "post_clicks") => post.clicks,
            _ => {
                return graph_error(
                    StatusCode::BAD_REQUEST,
                    100,
                    &format!("(#100) The value must be a valid insights metric: {metric}"),
                )
            }
        };
        data.push(json!({
            "name": metric,
            "period": "lifetime",
            "values": [{"value": value}],
            "id": format!("{id}/insights/{metric}/lifetime"),
        }));
    }
    Json(json!({"data": data})).into_response()
}

/// The Instagram business account or the Facebook page itself.
fn account(sim: &Sim, platform: Platform, id: &str, _params: &Params) -> Response {
    let Some(a) = sim.world().account(platform, id) else {
        return no_such_object();
    };
    match platform {
        Platform::Instagram => Json(json!({"id": a.id, "followers_count": a.followers, "username": format!("user{}", a.id)})),
        _ => Json(json!({"id": a.id, "fan_count": a.followers, "followers_count": a.followers, "name": format!("Page {}", a.id)})),
    }
    .into_response()
}
