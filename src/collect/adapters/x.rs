//! X API v2: a user's tweets in the window (`start_time`/`end_time`),
//! `meta.next_token` paging, the image joined in from the `includes.media`
//! expansion (a photo's `url`, a video's `preview_image_url`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{id_of, items_at, time_of, Adapter, Page, PageRequest};
use crate::collect::client::{ApiClient, FetchError};
use crate::collect::Platform;

/// X tweets with public metrics.
pub struct X;

#[async_trait]
impl Adapter for X {
    fn platform(&self) -> Platform {
        Platform::X
    }
    fn payload(&self) -> &'static str {
        "x_tweet"
    }
    fn max_page_size(&self) -> usize {
        100
    }
    async fn audience(&self, api: &ApiClient, account: &str) -> Result<Option<u64>, FetchError> {
        let (value, _) = api
            .get_json(
                &format!("2/users/{account}"),
                &[("user.fields", "public_metrics".to_string())],
            )
            .await?;
        Ok(value
            .pointer("/data/public_metrics/followers_count")
            .and_then(Value::as_u64))
    }
    async fn page(&self, api: &ApiClient, request: &PageRequest<'_>) -> Result<Page, FetchError> {
        let time = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let mut query = vec![
            // The API takes 5 to 100.
            ("max_results", request.size.clamp(5, 100).to_string()),
            ("start_time", time(request.window.since)),
            ("end_time", time(request.window.until)),
            (
                "tweet.fields",
                "created_at,public_metrics,attachments".to_string(),
            ),
            ("expansions", "attachments.media_keys".to_string()),
            ("media.fields", "url,preview_image_url,type".to_string()),
        ];
        if let Some(token) = request.cursor.and_then(Value::as_str) {
            query.push(("pagination_token", token.to_string()));
        }
        let path = format!("2/users/{}/tweets", request.account);
        let (value, _) = api.get_json(&path, &query).await?;
        let media = value
            .pointer("/includes/media")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut items = items_at(api, &value, "/data", &path)?;
        for tweet in items.iter_mut() {
            let key = tweet.pointer("/attachments/media_keys/0").cloned();
            let image = media
                .iter()
                .find(|m| key.is_some() && m.get("media_key") == key.as_ref())
                .and_then(|m| m.get("url").or_else(|| m.get("preview_image_url")));
            if let Some(url) = image {
                tweet["media_url"] = url.clone();
            }
        }
        let next = value
            .pointer("/meta/next_token")
            .filter(|_| !items.is_empty())
            .cloned();
        Ok(Page { items, next })
    }
    fn item_id(&self, item: &Value) -> Option<String> {
        id_of(item.get("id"))
    }
    fn published_at(&self, item: &Value) -> Option<DateTime<Utc>> {
        time_of(item.get("created_at"))
    }
    fn image_pointers(&self, _item: &Value) -> Vec<String> {
        vec!["/media_url".into()]
    }
}
