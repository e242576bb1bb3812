//! X API v2: a user's tweets in the window, `next_token` paging, the
//! photo's URL joined in from the `includes.media` expansion.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::{id_of, time_of, Adapter, Page, Window};
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
    async fn page(
        &self,
        api: &ApiClient,
        account: &str,
        window: &Window,
        cursor: Option<&Value>,
    ) -> Result<Page, FetchError> {
        let mut query = vec![
            ("max_results", "100".to_string()),
            (
                "start_time",
                window
                    .since
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            ),
            (
                "end_time",
                window
                    .until
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            ),
            (
                "tweet.fields",
                "created_at,public_metrics,attachments".to_string(),
            ),
            ("expansions", "attachments.media_keys".to_string()),
            ("media.fields", "url,type".to_string()),
        ];
        if let Some(token) = cursor.and_then(Value::as_str) {
            query.push(("pagination_token", token.to_string()));
        }
        let (value, _) = api
            .get_json(&format!("2/users/{account}/tweets"), &query)
            .await?;
        let media = value
            .pointer("/includes/media")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut items = value
            .get("data")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for tweet in items.iter_mut() {
            let key = tweet.pointer("/attachments/media_keys/0").cloned();
            let photo = media.iter().find(|m| {
                m.get("media_key") == key.as_ref() && m.get("type") == Some(&json!("photo"))
            });
            if let Some(url) = photo.and_then(|m| m.get("url")) {
                tweet["media_url"] = url.clone();
            }
        }
        let next = value.pointer("/meta/next_token").cloned();
        Ok(Page { items, next })
    }
    fn item_id(&self, item: &Value) -> Option<String> {
        id_of(item.get("id"))
    }
    fn published_at(&self, item: &Value) -> Option<DateTime<Utc>> {
        time_of(item.get("created_at"))
    }
    fn image_pointers(&self) -> &'static [&'static str] {
        &["/media_url"]
    }
}
