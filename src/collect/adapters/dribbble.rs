//! Dribbble shots: page numbers and a `Link` header, newest first.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::{id_of, next_link, time_of, Adapter, Page, Window};
use crate::collect::client::{ApiClient, FetchError};
use crate::collect::Platform;

/// Dribbble shots.
pub struct Dribbble;

#[async_trait]
impl Adapter for Dribbble {
    fn platform(&self) -> Platform {
        Platform::Dribbble
    }
    fn payload(&self) -> &'static str {
        "dribbble_shot"
    }
    async fn audience(&self, api: &ApiClient, account: &str) -> Result<Option<u64>, FetchError> {
        let (value, _) = api.get_json(&format!("v2/users/{account}"), &[]).await?;
        Ok(value.get("followers_count").and_then(Value::as_u64))
    }
    async fn page(
        &self,
        api: &ApiClient,
        account: &str,
        _window: &Window,
        cursor: Option<&Value>,
    ) -> Result<Page, FetchError> {
        let (value, headers) = match cursor.and_then(Value::as_str) {
            Some(next) => api.get_json(next, &[]).await?,
            None => {
                api.get_json(
                    &format!("v2/users/{account}/shots"),
                    &[("per_page", "50".to_string())],
                )
                .await?
            }
        };
        let items = value.as_array().cloned().unwrap_or_default();
        Ok(Page {
            items,
            next: next_link(&headers).map(|u| json!(u)),
        })
    }
    fn item_id(&self, item: &Value) -> Option<String> {
        id_of(item.get("id"))
    }
    fn published_at(&self, item: &Value) -> Option<DateTime<Utc>> {
        time_of(item.get("published_at"))
    }
    fn image_pointers(&self) -> &'static [&'static str] {
        &["/images/hidpi"]
    }
    fn newest_first_unfiltered(&self) -> bool {
        true
    }
}
