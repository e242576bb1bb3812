//! TikTok API v2 video list: a POST with an integer `cursor` and
//! `has_more`, newest first, no date filter; errors come in the body's
//! `error.code`, which is `ok` on success.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::{id_of, items_at, time_of, Adapter, Page, PageRequest};
use crate::collect::client::{ApiClient, FetchError};
use crate::collect::Platform;

/// TikTok videos.
pub struct Tiktok;

const FIELDS: &str = "id,create_time,cover_image_url,title,video_description,like_count,comment_count,share_count,view_count,share_url";

/// An answer whose `error.code` is not `ok` is an error whatever its status.
fn check(api: &ApiClient, value: &Value, path: &str) -> Result<(), FetchError> {
    match value.pointer("/error/code").and_then(Value::as_str) {
        None | Some("ok") => Ok(()),
        Some(code) => Err(FetchError::Api {
            platform: api.platform(),
            path: path.to_string(),
            status: 200,
            message: format!(
                "{code}: {}",
                value
                    .pointer("/error/message")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
            ),
        }),
    }
}

#[async_trait]
impl Adapter for Tiktok {
    fn platform(&self) -> Platform {
        Platform::Tiktok
    }
    fn payload(&self) -> &'static str {
        "tiktok_video"
    }
    fn max_page_size(&self) -> usize {
        20
    }
    async fn audience(&self, api: &ApiClient, account: &str) -> Result<Option<u64>, FetchError> {
        let query = [
            ("fields", "open_id,follower_count".to_string()),
            ("open_id", account.to_string()),
        ];
        let path = "v2/user/info/";
        let (value, _) = api.get_json(path, &query).await?;
        check(api, &value, path)?;
        Ok(value
            .pointer("/data/user/follower_count")
            .and_then(Value::as_u64))
    }
    async fn page(&self, api: &ApiClient, request: &PageRequest<'_>) -> Result<Page, FetchError> {
        let mut body = json!({"max_count": request.size});
        if let Some(cursor) = request.cursor {
            body["cursor"] = cursor.clone();
        }
        // A real token belongs to one user; the simulator serves several
        // and is told which by `open_id`.
        let query = [
            ("fields", FIELDS.to_string()),
            ("open_id", request.account.to_string()),
        ];
        let path = "v2/video/list/";
        let (value, _) = api.post_json(path, &query, &body).await?;
        check(api, &value, path)?;
        let items = items_at(api, &value, "/data/videos", path)?;
        let more = value
            .pointer("/data/has_more")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let next = more
            .then(|| value.pointer("/data/cursor").cloned())
            .flatten()
            .filter(|_| !items.is_empty());
        Ok(Page { items, next })
    }
    fn item_id(&self, item: &Value) -> Option<String> {
        id_of(item.get("id"))
    }
    fn published_at(&self, item: &Value) -> Option<DateTime<Utc>> {
        time_of(item.get("create_time"))
    }
    fn image_pointers(&self, _item: &Value) -> Vec<String> {
        vec!["/cover_image_url".into()]
    }
    fn newest_first_unfiltered(&self) -> bool {
        true
    }
}
