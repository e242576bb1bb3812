//! Instagram Graph API and Facebook Pages: list with `since`/`until` and
//! cursor paging, then one insights call per item.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};
use serde_json::{json, Value};

use super::{id_of, time_of, Adapter, Page, Window};
use crate::collect::client::{ApiClient, FetchError};
use crate::collect::Platform;

const VERSION: &str = "v21.0";
/// Insights calls in flight per page.
const INSIGHTS_CONCURRENCY: usize = 8;

/// Instagram business accounts: media and media insights.
pub struct Instagram;
/// Facebook Pages: posts and post insights.
pub struct Facebook;

async fn graph_page(
    api: &ApiClient,
    path: &str,
    fields: &str,
    window: &Window,
    cursor: Option<&Value>,
) -> Result<Page, FetchError> {
    let (value, _) = match cursor.and_then(Value::as_str) {
        // `next` is a complete URL that already holds the window and cursor.
        Some(next) => api.get_json(next, &[]).await?,
        None => {
            let query = [
                ("fields", fields.to_string()),
                ("since", window.since.timestamp().to_string()),
                ("until", window.until.timestamp().to_string()),
                ("limit", "50".to_string()),
            ];
            api.get_json(path, &query).await?
        }
    };
    let items = value
        .get("data")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let next = value
        .pointer("/paging/next")
        .and_then(Value::as_str)
        .map(|s| json!(s));
    Ok(Page { items, next })
}

/// Fetches the lifetime insights of every item into `item.insights.<metric>`.
async fn insights(api: &ApiClient, items: &mut [Value], metrics: &str) -> Result<(), FetchError> {
    let ids: Vec<String> = items.iter().filter_map(|i| id_of(i.get("id"))).collect();
    let results: Vec<Value> = futures::stream::iter(ids)
        .map(|id| async move {
            let (value, _) = api
                .get_json(
                    &format!("{VERSION}/{id}/insights"),
                    &[("metric", metrics.to_string())],
                )
                .await?;
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
            Ok::<_, FetchError>(Value::Object(flat))
        })
        .buffered(INSIGHTS_CONCURRENCY)
        .try_collect()
        .await?;
    for (item, found) in items.iter_mut().zip(results) {
        item["insights"] = found;
    }
    Ok(())
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

#[async_trait]
impl Adapter for Instagram {
    fn platform(&self) -> Platform {
        Platform::Instagram
    }
    fn payload(&self) -> &'static str {
        "instagram_media"
    }
    async fn audience(&self, api: &ApiClient, account: &str) -> Result<Option<u64>, FetchError> {
        followers(api, account, "followers_count").await
    }
    async fn page(
        &self,
        api: &ApiClient,
        account: &str,
        window: &Window,
        cursor: Option<&Value>,
    ) -> Result<Page, FetchError> {
        let fields =
            "id,caption,media_type,media_url,permalink,timestamp,like_count,comments_count";
        graph_page(
            api,
            &format!("{VERSION}/{account}/media"),
            fields,
            window,
            cursor,
        )
        .await
    }
    async fn enrich(
        &self,
        api: &ApiClient,
        _account: &str,
        items: &mut [Value],
    ) -> Result<(), FetchError> {
        insights(api, items, "reach,impressions,saved,shares").await
    }
    fn item_id(&self, item: &Value) -> Option<String> {
        id_of(item.get("id"))
    }
    fn published_at(&self, item: &Value) -> Option<DateTime<Utc>> {
        time_of(item.get("timestamp"))
    }
    fn image_pointers(&self) -> &'static [&'static str] {
        &["/media_url"]
    }
}

#[async_trait]
impl Adapter for Facebook {
    fn platform(&self) -> Platform {
        Platform::Facebook
    }
    fn payload(&self) -> &'static str {
        "facebook_post"
    }
    async fn audience(&self, api: &ApiClient, account: &str) -> Result<Option<u64>, FetchError> {
        followers(api, account, "fan_count").await
    }
    async fn page(
        &self,
        api: &ApiClient,
        account: &str,
        window: &Window,
        cursor: Option<&Value>,
    ) -> Result<Page, FetchError> {
        let fields = "id,message,created_time,full_picture,permalink_url,shares,reactions.summary(total_count),comments.summary(total_count),promotion_status";
        graph_page(
            api,
            &format!("{VERSION}/{account}/posts"),
            fields,
            window,
            cursor,
        )
        .await
    }
    async fn enrich(
        &self,
        api: &ApiClient,
        _account: &str,
        items: &mut [Value],
    ) -> Result<(), FetchError> {
        for item in items.iter_mut() {
            let promoted = item.get("promotion_status").and_then(Value::as_str) == Some("active");
            item["paid"] = json!(promoted);
        }
        insights(
            api,
            items,
            "post_impressions,post_impressions_unique,post_clicks",
        )
        .await
    }
    fn item_id(&self, item: &Value) -> Option<String> {
        id_of(item.get("id"))
    }
    fn published_at(&self, item: &Value) -> Option<DateTime<Utc>> {
        time_of(item.get("created_time"))
    }
    fn image_pointers(&self) -> &'static [&'static str] {
        &["/full_picture"]
    }
}
