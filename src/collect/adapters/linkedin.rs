//! LinkedIn Marketing API (versioned `rest/` endpoints, Rest.li 2.0):
//! organisation posts with `start`/`count` paging, newest first and no date
//! filter; share statistics and image download URLs fetched in batches.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::{fail_item, items_at, Adapter, Page, PageRequest};
use crate::collect::client::{ApiClient, FetchError};
use crate::collect::Platform;

/// LinkedIn organisation posts and share statistics.
pub struct Linkedin;

const ORG: &str = "urn:li:organization:";
const SHARE: &str = "urn:li:share:";
const UGC_POST: &str = "urn:li:ugcPost:";
/// URNs per statistics or images batch call.
const BATCH: usize = 50;

/// A URN as Rest.li 2.0 wants it inside `List(...)`: percent-encoded.
fn encoded(urn: &str) -> String {
    url::form_urlencoded::byte_serialize(urn.as_bytes()).collect()
}

/// `List(a,b,c)` of encoded URNs; built by hand because the parentheses and
/// commas must stay unencoded.
fn list(urns: &[String]) -> String {
    let inner: Vec<String> = urns.iter().map(|u| encoded(u)).collect();
    format!("List({})", inner.join(","))
}

#[async_trait]
impl Adapter for Linkedin {
    fn platform(&self) -> Platform {
        Platform::Linkedin
    }
    fn payload(&self) -> &'static str {
        "linkedin_post"
    }
    fn headers(&self) -> &'static [(&'static str, &'static str)] {
        &[
            ("linkedin-version", "202410"),
            ("x-restli-protocol-version", "2.0.0"),
        ]
    }
    fn max_page_size(&self) -> usize {
        100
    }
    async fn audience(&self, api: &ApiClient, account: &str) -> Result<Option<u64>, FetchError> {
        let (value, _) = api
            .get_json(
                &format!("rest/networkSizes/{}", encoded(&format!("{ORG}{account}"))),
                &[("edgeType", "COMPANY_FOLLOWED_BY_MEMBER".to_string())],
            )
            .await?;
        Ok(value.get("firstDegreeSize").and_then(Value::as_u64))
    }
    async fn page(&self, api: &ApiClient, request: &PageRequest<'_>) -> Result<Page, FetchError> {
        let start = request.cursor.and_then(Value::as_u64).unwrap_or(0) as usize;
        let query = [
            ("q", "author".to_string()),
            ("author", format!("{ORG}{}", request.account)),
            ("sortBy", "CREATED".to_string()),
            ("start", start.to_string()),
            ("count", request.size.to_string()),
        ];
        let (value, _) = api.get_json("rest/posts", &query).await?;
        let items = items_at(api, &value, "/elements", "rest/posts")?;
        // `paging.total` is not always given; a `next` link or a full page
        // says there is more.
        let linked = value
            .pointer("/paging/links")
            .and_then(Value::as_array)
            .is_some_and(|links| links.iter().any(|l| l.get("rel") == Some(&json!("next"))));
        let more = match value.pointer("/paging/total").and_then(Value::as_u64) {
            Some(total) => start + request.size < total as usize,
            None => linked || items.len() >= request.size,
        };
        let next = (more && !items.is_empty()).then(|| json!(start + request.size));
        Ok(Page { items, next })
    }
    async fn enrich(
        &self,
        api: &ApiClient,
        account: &str,
        items: &mut [Value],
    ) -> Result<(), FetchError> {
        // Statistics are asked per kind of post: `shares=List(...)` for
        // share URNs, `ugcPosts=List(...)` for UGC post URNs.
        for (prefix, param, key) in [
            (SHARE, "shares", "share"),
            (UGC_POST, "ugcPosts", "ugcPost"),
        ] {
            let urns: Vec<String> = items
                .iter()
                .filter_map(|i| i.get("id").and_then(Value::as_str))
                .filter(|id| id.starts_with(prefix))
                .map(str::to_string)
                .collect();
            for chunk in urns.chunks(BATCH) {
                let path = format!(
                    "rest/organizationalEntityShareStatistics?q=organizationalEntity&organizationalEntity={}&{param}={}",
                    encoded(&format!("{ORG}{account}")),
                    list(chunk)
                );
                let (value, _) = api.get_json(&path, &[]).await?;
                for element in value
                    .get("elements")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let post = element.get(key).and_then(Value::as_str);
                    if let Some(item) = items
                        .iter_mut()
                        .find(|i| i.get("id").and_then(Value::as_str) == post)
                    {
                        item["statistics"] = element
                            .get("totalShareStatistics")
                            .cloned()
                            .unwrap_or_default();
                    }
                }
            }
        }
        for item in items.iter_mut() {
            if item.get("statistics").is_none() {
                let id = item.get("id").cloned().unwrap_or_default();
                fail_item(
                    item,
                    format!("share statistics: LinkedIn returned none for {id}"),
                );
            }
        }
        let images: Vec<String> = items
            .iter()
            .filter_map(|i| i.pointer("/content/media/id").and_then(Value::as_str))
            .map(str::to_string)
            .collect();
        for chunk in images.chunks(BATCH) {
            let (value, _) = api
                .get_json(&format!("rest/images?ids={}", list(chunk)), &[])
                .await?;
            for item in items.iter_mut() {
                let Some(urn) = item
                    .pointer("/content/media/id")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                else {
                    continue;
                };
                if !chunk.contains(&urn) {
                    continue;
                }
                match value
                    .pointer(&format!(
                        "/results/{}",
                        urn.replace('~', "~0").replace('/', "~1")
                    ))
                    .and_then(|r| r.get("downloadUrl"))
                {
                    Some(url) => item["image_url"] = url.clone(),
                    None => {
                        let why = value
                            .pointer(&format!("/errors/{urn}/message"))
                            .and_then(Value::as_str)
                            .unwrap_or("not in the answer");
                        fail_item(item, format!("image {urn}: {why}"));
                    }
                }
            }
        }
        Ok(())
    }
    fn item_id(&self, item: &Value) -> Option<String> {
        item.get("id")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    }
    fn published_at(&self, item: &Value) -> Option<DateTime<Utc>> {
        let millis = item.get("publishedAt").and_then(Value::as_i64)?;
        DateTime::from_timestamp_millis(millis)
    }
    fn image_pointers(&self, _item: &Value) -> Vec<String> {
        vec!["/image_url".into()]
    }
    fn newest_first_unfiltered(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn restli_lists_encode_the_urns_not_the_syntax() {
        assert_eq!(
            super::list(&["urn:li:share:1".into(), "urn:li:share:2".into()]),
            "List(urn%3Ali%3Ashare%3A1,urn%3Ali%3Ashare%3A2)"
        );
    }
}
