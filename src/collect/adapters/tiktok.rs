//! TikTok video list: a POST with an integer cursor and `has_more`, newest
//! first, no date filter.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::{id_of, time_of, Adapter, Page, Window};
use crate::collect::client::{ApiClient, FetchError};
use crate::collect::Platform;

/// TikTok videos.
pub struct Tiktok;

const FIELDS: &str = "id,create_time,cover_image_url,title,video_description,like_count,comment_count,share_count,view_count,share_url";

#[async_trait]
impl Adapter for Tiktok {
    fn platform(&self) -> Platform {
        Platform::Tiktok
    }
    fn payload(&self) -> &'static str {
        "tiktok_video"
    }
    async fn audience(&self, api: &ApiClient, account: &str) -> Result<Option<u64>, FetchError> {
        let query = [
            ("fields", "follower_count".to_string()),
            ("open_id", account.to_string()),
        ];
        let (value, _) = api.get_json("v2/user/info/", &query).await?;
        Ok(value
            .pointer("/data/user/follower_count")
            .and_then(Value::as_u64))
    }
    async fn page(
        &self,
        api: &ApiClient,
        account: &str,
        _window: &Window,
        cursor: Option<&Value>,
    ) -> Result<Page, FetchError> {
        let mut body = json!({"max_count": 20});
        if let Some(cursor) = cursor {
            body["cursor"] = cursor.clone();
        }
        let query = [
            ("fields", FIELDS.to_string()),
            ("open_id", account.to_string()),
        ];
        let (value, _) = api.post_json("v2/video/list/", &query, &body).await?;
        let items = value
            .pointer("/data/videos")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let more = value
            .pointer("/data/has_more")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let next = more
            .then(|| value.pointer("/data/cursor").cloned())
            .flatten();
        Ok(Page { items, next })
    }
    fn item_id(&self, item: &Value) -> Option<String> {
        id_of(item.get("id"))
    }
    fn published_at(&self, item: &Value) -> Option<DateTime<Utc>> {
        time_of(item.get("create_time"))
    }
    fn image_pointers(&self) -> &'static [&'static str] {
        &["/cover_image_url"]
    }
    fn newest_first_unfiltered(&self) -> bool {
        true
    }
}
