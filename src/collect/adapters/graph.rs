//! Instagram Graph API and Facebook Pages: a list with `since`/`until` and
//! cursor paging (`paging.cursors.after`, `paging.next`), then one insights
//! call per item.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde_json::{json, Value};

use super::{fail_item, id_of, items_at, time_of, Adapter, Page, PageRequest};
use crate::collect::client::{ApiClient, FetchError};
use crate::collect::Platform;

const VERSION: &str = "v21.0";
/// Insights calls in flight per page (the client's concurrency bounds them too).
const INSIGHTS_CONCURRENCY: usize = 8;

/// A Graph platform: Instagram business accounts (media and media
/// insights) or Facebook Pages (posts and post insights).
pub struct Graph(&'static GraphSpec);

impl Graph {
    /// Instagram business accounts.
    pub const INSTAGRAM: Graph = Graph(&INSTAGRAM);
    /// Facebook Pages.
    pub const FACEBOOK: Graph = Graph(&FACEBOOK);

    fn spec(&self) -> &'static GraphSpec {
        self.0
    }
}

async fn graph_page(
    api: &ApiClient,
    edge: &str,
    fields: &str,
    request: &PageRequest<'_>,
) -> Result<Page, FetchError> {
    let path = format!("{VERSION}/{}/{edge}", request.account);
    let (value, _) = match request.cursor.and_then(Value::as_str) {
        // `next` is a complete URL that already holds the window and cursor.
        Some(next) => api.get_json(next, &[]).await?,
        None => {
            let query = [
                ("fields", fields.to_string()),
                ("since", request.window.since.timestamp().to_string()),
                ("until", request.window.until.timestamp().to_string()),
                ("limit", request.size.to_string()),
            ];
            api.get_json(&path, &query).await?
        }
    };
    let items = items_at(api, &value, "/data", &path)?;
    // `next` is absent on the last page; an empty page ends the walk too,
    // whatever its cursors say.
    let next = value
        .pointer("/paging/next")
        .and_then(Value::as_str)
        .filter(|_| !items.is_empty())
        .map(|s| json!(s));
    Ok(Page { items, next })
}

/// Fetches the lifetime insights of every item into `item.insights.<metric>`.
/// An item whose insights the API refuses (too old, not a business post) is
/// marked failed; a transient failure fails the page.
async fn insights(api: &ApiClient, items: &mut [Value], metrics: &str) -> Result<(), FetchError> {
    let ids: Vec<Option<String>> = items.iter().map(|i| id_of(i.get("id"))).collect();
    let results: Vec<Option<Result<Value, FetchError>>> = futures::stream::iter(ids)
        .map(|id| async move {
            let id = id?;
            let fetched = api
                .get_json(
                    &format!("{VERSION}/{id}/insights"),
                    &[("metric", metrics.to_string())],
                )
                .await;
            Some(fetched.map(|(value, _)| flatten_insights(&value)))
        })
        .buffered(INSIGHTS_CONCURRENCY)
        .collect()
        .await;
    for (item, result) in items.iter_mut().zip(results) {
        match result {
            Some(Ok(found)) => item["insights"] = found,
            Some(Err(e @ FetchError::Api { .. })) => fail_item(item, format!("insights: {e}")),
            Some(Err(e)) => return Err(e),
            None => {}
        }
    }
    Ok(())
}

/// `{"data":[{"name":"reach","values":[{"value":12}]}]}` to `{"reach":12}`.
fn flatten_insights(value: &Value) -> Value {
    let mut flat = serde_json::Map::new();
    for metric in value
        .get("data")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let (Some(name), Some(v)) = (
            metric.get("name").and_then(Value::as_str),
            metric.pointer("/values/0/value"),
        ) {
            flat.insert(name.to_string(), v.clone());
        }
    }
    Value::Object(flat)
}

async fn followers(api: &ApiClient, account: &str, field: &str) -> Result<Option<u64>, FetchError> {
    let (value, _) = api
        .get_json(
            &format!("{VERSION}/{account}"),
            &[("fields", field.to_string())],
        )
        .await?;
    Ok(value.get(field).and_then(Value::as_u64))
}

/// What tells the two Graph platforms apart.
struct GraphSpec {
    platform: Platform,
    payload: &'static str,
    /// The account field that holds its audience.
    audience_field: &'static str,
    /// The account's list edge.
    edge: &'static str,
    fields: &'static str,
    /// The insights metrics fetched per item.
    metrics: &'static str,
    /// The item field that holds its publication time.
    time_field: &'static str,
}

const INSTAGRAM: GraphSpec = GraphSpec {
    platform: Platform::Instagram,
    payload: "instagram_media",
    audience_field: "followers_count",
    edge: "media",
    fields: "id,caption,media_type,media_url,thumbnail_url,permalink,timestamp,like_count,comments_count",
    metrics: "reach,impressions,saved,shares",
    time_field: "timestamp",
};

const FACEBOOK: GraphSpec = GraphSpec {
    platform: Platform::Facebook,
    payload: "facebook_post",
    audience_field: "fan_count",
    edge: "posts",
    fields: "id,message,created_time,full_picture,permalink_url,shares,reactions.summary(total_count),comments.summary(total_count),promotion_status",
    metrics: "post_impressions,post_impressions_unique,post_clicks",
    time_field: "created_time",
};

#[async_trait]
impl Adapter for Graph {
    fn platform(&self) -> Platform {
        self.spec().platform
    }
    fn payload(&self) -> &'static str {
        self.spec().payload
    }
    fn max_page_size(&self) -> usize {
        100
    }
    async fn audience(&self, api: &ApiClient, account: &str) -> Result<Option<u64>, FetchError> {
        followers(api, account, self.spec().audience_field).await
    }
    async fn page(&self, api: &ApiClient, request: &PageRequest<'_>) -> Result<Page, FetchError> {
        graph_page(api, self.spec().edge, self.spec().fields, request).await
    }
    async fn enrich(
        &self,
        api: &ApiClient,
        _account: &str,
        items: &mut [Value],
    ) -> Result<(), FetchError> {
        if self.spec().platform == Platform::Facebook {
            for item in items.iter_mut() {
                let promoted =
                    item.get("promotion_status").and_then(Value::as_str) == Some("active");
                item["paid"] = json!(promoted);
            }
        }
        insights(api, items, self.spec().metrics).await
    }
    fn item_id(&self, item: &Value) -> Option<String> {
        id_of(item.get("id"))
    }
    fn published_at(&self, item: &Value) -> Option<DateTime<Utc>> {
        time_of(item.get(self.spec().time_field))
    }
    fn image_pointers(&self, item: &Value) -> Vec<String> {
        image_pointers(self.spec().platform, item)
    }
}

/// An Instagram video's `media_url` is the video; its design is the
/// thumbnail. A Facebook post's design is its full picture.
fn image_pointers(platform: Platform, item: &Value) -> Vec<String> {
    match platform {
        Platform::Instagram if item.get("thumbnail_url").is_some_and(Value::is_string) => {
            vec!["/thumbnail_url".into()]
        }
        Platform::Instagram => vec!["/media_url".into()],
        _ => vec!["/full_picture".into()],
    }
}
