//! Dribbble API v2 shots: `page`/`per_page` with the next page in the
//! `Link` header, newest first, no date filter. The real v2 API lists the
//! token owner's shots (`/user/shots`); an account named `me` asks for
//! those, any other is read as `/users/:account/shots`, which the simulator
//! serves so that one token reaches several accounts.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::{id_of, items_at, next_link, time_of, Adapter, Page, PageRequest};
use crate::collect::client::{ApiClient, FetchError};
use crate::collect::Platform;

/// Dribbble shots.
pub struct Dribbble;

fn user_path(account: &str) -> String {
    if account == "me" {
        "v2/user".to_string()
    } else {
        format!("v2/users/{account}")
    }
}

#[async_trait]
impl Adapter for Dribbble {
    fn platform(&self) -> Platform {
        Platform::Dribbble
    }
    fn payload(&self) -> &'static str {
        "dribbble_shot"
    }
    fn max_page_size(&self) -> usize {
        100
    }
    async fn audience(&self, api: &ApiClient, account: &str) -> Result<Option<u64>, FetchError> {
        let (value, _) = api.get_json(&user_path(account), &[]).await?;
        Ok(value.get("followers_count").and_then(Value::as_u64))
    }
    async fn page(&self, api: &ApiClient, request: &PageRequest<'_>) -> Result<Page, FetchError> {
        let path = format!("{}/shots", user_path(request.account));
        let (value, headers) = match request.cursor.and_then(Value::as_str) {
            Some(next) => api.get_json(next, &[]).await?,
            None => {
                api.get_json(&path, &[("per_page", request.size.to_string())])
                    .await?
            }
        };
        let items = items_at(api, &value, "", &path)?;
        let next = next_link(&headers)
            .filter(|_| !items.is_empty())
            .map(|u| json!(u));
        Ok(Page { items, next })
    }
    fn item_id(&self, item: &Value) -> Option<String> {
        id_of(item.get("id"))
    }
    fn published_at(&self, item: &Value) -> Option<DateTime<Utc>> {
        time_of(item.get("published_at"))
    }
    fn image_pointers(&self, _item: &Value) -> Vec<String> {
        vec!["/images/hidpi".into()]
    }
    fn newest_first_unfiltered(&self) -> bool {
        true
    }
}
