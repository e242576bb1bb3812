//! Behance API v2 projects: page numbers until an empty page, newest
//! first; the key is the `api_key` query parameter.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::{id_of, items_at, time_of, Adapter, Page, PageRequest};
use crate::collect::client::{ApiClient, Auth, FetchError};
use crate::collect::Platform;

/// Behance projects.
pub struct Behance;

#[async_trait]
impl Adapter for Behance {
    fn platform(&self) -> Platform {
        Platform::Behance
    }
    fn payload(&self) -> &'static str {
        "behance_project"
    }
    fn auth(&self) -> Auth {
        Auth::Query("api_key")
    }
    fn max_page_size(&self) -> usize {
        24
    }
    async fn audience(&self, api: &ApiClient, account: &str) -> Result<Option<u64>, FetchError> {
        let (value, _) = api.get_json(&format!("v2/users/{account}"), &[]).await?;
        Ok(value
            .pointer("/user/stats/followers")
            .and_then(Value::as_u64))
    }
    async fn page(&self, api: &ApiClient, request: &PageRequest<'_>) -> Result<Page, FetchError> {
        let page = request.cursor.and_then(Value::as_u64).unwrap_or(1);
        let query = [
            ("page", page.to_string()),
            ("per_page", request.size.to_string()),
        ];
        let path = format!("v2/users/{}/projects", request.account);
        let (value, _) = api.get_json(&path, &query).await?;
        let items = items_at(api, &value, "/projects", &path)?;
        let next = (!items.is_empty()).then(|| json!(page + 1));
        Ok(Page { items, next })
    }
    fn item_id(&self, item: &Value) -> Option<String> {
        id_of(item.get("id"))
    }
    fn published_at(&self, item: &Value) -> Option<DateTime<Utc>> {
        time_of(item.get("published_on"))
    }
    fn image_pointers(&self, _item: &Value) -> Vec<String> {
        vec!["/covers/original".into()]
    }
    fn newest_first_unfiltered(&self) -> bool {
        true
    }
}
