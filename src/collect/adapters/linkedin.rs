//! LinkedIn organisation posts: offset paging newest first with no date
//! filter, share statistics in batches, image URNs resolved to URLs.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::{time_of, Adapter, Page, Window};
use crate::collect::client::{ApiClient, FetchError};
use crate::collect::Platform;

/// LinkedIn organisation posts and share statistics.
pub struct Linkedin;

const PAGE: usize = 50;
const ORG: &str = "urn:li:organization:";

#[async_trait]
impl Adapter for Linkedin {
    fn platform(&self) -> Platform {
        Platform::Linkedin
    }
    fn payload(&self) -> &'static str {
        "linkedin_post"
    }
    async fn audience(&self, api: &ApiClient, account: &str) -> Result<Option<u64>, FetchError> {
        let (value, _) = api
            .get_json(
                &format!("rest/networkSizes/{ORG}{account}"),
                &[("edgeType", "COMPANY_FOLLOWED_BY_MEMBER".to_string())],
            )
            .await?;
        Ok(value.get("firstDegreeSize").and_then(Value::as_u64))
    }
    async fn page(
        &self,
        api: &ApiClient,
        account: &str,
        _window: &Window,
        cursor: Option<&Value>,
    ) -> Result<Page, FetchError> {
        let start = cursor.and_then(Value::as_u64).unwrap_or(0) as usize;
        let query = [
            ("q", "author".to_string()),
            ("author", format!("{ORG}{account}")),
            ("start", start.to_string()),
            ("count", PAGE.to_string()),
        ];
        let (value, _) = api.get_json("rest/posts", &query).await?;
        let items = value
            .get("elements")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let total = value
            .pointer("/paging/total")
            .and_then(Value::as_u64)
            .unwrap_or(0) as usize;
        let next = (start + PAGE < total && !items.is_empty()).then(|| json!(start + PAGE));
        Ok(Page { items, next })
    }
    async fn enrich(
        &self,
        api: &ApiClient,
        account: &str,
        items: &mut [Value],
    ) -> Result<(), FetchError> {
        if items.is_empty() {
            return Ok(());
        }
        let urns: Vec<String> = items
            .iter()
            .filter_map(|i| i.get("id").and_then(Value::as_str).map(str::to_string))
            .collect();
        let query = [
            ("q", "organizationalEntity".to_string()),
            ("organizationalEntity", format!("{ORG}{account}")),
            ("shares", format!("List({})", urns.join(","))),
        ];
        let (value, _) = api
            .get_json("rest/organizationalEntityShareStatistics", &query)
            .await?;
        for element in value
            .get("elements")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let share = element.get("share").and_then(Value::as_str);
            if let Some(item) = items
                .iter_mut()
                .find(|i| i.get("id").and_then(Value::as_str) == share)
            {
                item["statistics"] = element
                    .get("totalShareStatistics")
                    .cloned()
                    .unwrap_or_default();
            }
        }
        for item in items.iter_mut() {
            let Some(image) = item
                .pointer("/content/media/id")
                .and_then(Value::as_str)
                .map(str::to_string)
            else {
                continue;
            };
            let (value, _) = api.get_json(&format!("rest/images/{image}"), &[]).await?;
            item["image_url"] = value.get("downloadUrl").cloned().unwrap_or_default();
        }
        Ok(())
    }
    fn item_id(&self, item: &Value) -> Option<String> {
        item.get("id")
            .and_then(Value::as_str)
            .map(|s| s.trim_start_matches("urn:li:share:").to_string())
    }
    fn published_at(&self, item: &Value) -> Option<DateTime<Utc>> {
        let millis = item.get("publishedAt").and_then(Value::as_i64)?;
        DateTime::from_timestamp_millis(millis).or_else(|| time_of(item.get("publishedAt")))
    }
    fn image_pointers(&self) -> &'static [&'static str] {
        &["/image_url"]
    }
    fn newest_first_unfiltered(&self) -> bool {
        true
    }
}
