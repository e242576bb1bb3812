//! One small adapter per platform: where its list lives, how it pages, what
//! it must fetch besides the list (insights, statistics), and where an
//! item's image and publication time are. Everything else (retries, rate
//! limits, images, landing, resume) is the engine's.
//!
//! To add a platform: a file here implementing [`Adapter`], a payload
//! contract `schemas/payloads/<platform>_<item>.toml` mapping its items onto
//! `raw.posts`, a variant in [`super::Platform`], and its routes in the
//! simulator.

mod behance;
mod dribbble;
mod graph;
mod linkedin;
mod optimizely;
mod tiktok;
mod x;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::client::{ApiClient, Auth, FetchError};
use super::Platform;

/// The key under which an adapter notes why one item cannot be completed
/// (its insights refused, its image unknown); the engine rejects the item
/// with that reason instead of landing it half-filled.
pub const ITEM_ERROR: &str = "_collector_error";

/// Marks one item as failed, with the reason.
fn fail_item(item: &mut Value, reason: String) {
    if let Value::Object(object) = item {
        object.insert(ITEM_ERROR.into(), Value::String(reason));
    }
}

/// The publication window of a collection, `[since, until)`.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    /// First instant included.
    pub since: DateTime<Utc>,
    /// First instant excluded.
    pub until: DateTime<Utc>,
}

impl Window {
    /// Whether `t` is inside.
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        t >= self.since && t < self.until
    }
}

/// What to ask for: one page of an account's list.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest<'a> {
    /// The account (user, page, organisation, project).
    pub account: &'a str,
    /// The publication window.
    pub window: &'a Window,
    /// Items per page, within the API's maximum.
    pub size: usize,
    /// The previous page's `next`; None for the first page.
    pub cursor: Option<&'a Value>,
}

/// One page of a list.
#[derive(Debug, Clone)]
pub struct Page {
    /// The items, as the API gave them (adapters may reshape).
    pub items: Vec<Value>,
    /// What to ask for the next page; None on the last page.
    pub next: Option<Value>,
}

/// A platform's specifics.
#[async_trait]
pub trait Adapter: Send + Sync {
    /// The platform.
    fn platform(&self) -> Platform;

    /// The payload contract (`schemas/payloads/`) its items are landed with.
    fn payload(&self) -> &'static str;

    /// How the token is sent.
    fn auth(&self) -> Auth {
        Auth::Bearer
    }

    /// Headers every request carries (API versions).
    fn headers(&self) -> &'static [(&'static str, &'static str)] {
        &[]
    }

    /// The largest page the API serves.
    fn max_page_size(&self) -> usize;

    /// The account's audience (followers), when the API says.
    async fn audience(&self, api: &ApiClient, account: &str) -> Result<Option<u64>, FetchError>;

    /// One page of the account's items.
    async fn page(&self, api: &ApiClient, request: &PageRequest<'_>) -> Result<Page, FetchError>;

    /// Fetches what the list leaves out (insights, statistics, image URLs)
    /// into the items. An item that cannot be completed for a reason of its
    /// own gets [`ITEM_ERROR`]; an error returned fails the walk (to be
    /// resumed).
    async fn enrich(
        &self,
        _api: &ApiClient,
        _account: &str,
        _items: &mut [Value],
    ) -> Result<(), FetchError> {
        Ok(())
    }

    /// The item's id.
    fn item_id(&self, item: &Value) -> Option<String>;

    /// When the item was published.
    fn published_at(&self, item: &Value) -> Option<DateTime<Utc>>;

    /// JSON pointers of the item's image URLs (after enrichment); the
    /// engine writes each image's sha256 beside its URL, as `<key>_sha256`.
    fn image_pointers(&self, item: &Value) -> Vec<String>;

    /// Whether the list comes newest first without a server-side date
    /// filter, so the walk stops at the first page older than the window.
    fn newest_first_unfiltered(&self) -> bool {
        false
    }
}

/// The adapter of a platform.
pub fn adapter(platform: Platform) -> Box<dyn Adapter> {
    match platform {
        Platform::Instagram => Box::new(graph::Graph::INSTAGRAM),
        Platform::Facebook => Box::new(graph::Graph::FACEBOOK),
        Platform::Linkedin => Box::new(linkedin::Linkedin),
        Platform::Tiktok => Box::new(tiktok::Tiktok),
        Platform::X => Box::new(x::X),
        Platform::Dribbble => Box::new(dribbble::Dribbble),
        Platform::Behance => Box::new(behance::Behance),
        Platform::Optimizely => Box::new(optimizely::Optimizely),
    }
}

/// Reads an id that an API gives as a number or a string.
fn id_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Parses the time formats the APIs use: RFC 3339, the Graph API's
/// `+0000` offsets, Unix seconds.
fn time_of(value: Option<&Value>) -> Option<DateTime<Utc>> {
    match value? {
        Value::String(s) => DateTime::parse_from_rfc3339(s)
            .or_else(|_| DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%z"))
            .ok()
            .map(|t| t.with_timezone(&Utc)),
        Value::Number(n) => DateTime::from_timestamp(n.as_i64()?, 0),
        _ => None,
    }
}

/// The items of a list answer: the array at `pointer` ("" for a bare
/// array). An answer without one is an error, not an empty page: an API
/// that changed its shape must not end a walk as if the list were done.
fn items_at(
    api: &ApiClient,
    value: &Value,
    pointer: &str,
    path: &str,
) -> Result<Vec<Value>, FetchError> {
    match value.pointer(pointer) {
        Some(Value::Array(items)) => Ok(items.clone()),
        // The X API leaves `data` out of an empty page.
        None if pointer == "/data" && value.pointer("/meta/result_count") == Some(&0.into()) => {
            Ok(Vec::new())
        }
        _ => Err(FetchError::Api {
            platform: api.platform(),
            path: path.to_string(),
            status: 200,
            message: format!(
                "the answer has no list at {:?}; has the API changed?",
                if pointer.is_empty() { "/" } else { pointer }
            ),
        }),
    }
}

/// The `rel="next"` URL of a `Link` header.
fn next_link(headers: &reqwest::header::HeaderMap) -> Option<String> {
    let link = headers.get(reqwest::header::LINK)?.to_str().ok()?;
    link.split(',').find_map(|part| {
        let (url, rel) = part.split_once(';')?;
        rel.contains("rel=\"next\"").then(|| {
            url.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_ids_and_links_parse() {
        assert_eq!(
            time_of(Some(&"2026-09-11T22:16:53+0000".into())).unwrap(),
            time_of(Some(&"2026-09-11T22:16:53.000Z".into())).unwrap()
        );
        assert_eq!(
            time_of(Some(&1_789_164_213.into())).unwrap().timestamp(),
            1_789_164_213
        );
        assert_eq!(id_of(Some(&17.into())).as_deref(), Some("17"));
        assert_eq!(id_of(Some(&"".into())), None);
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::LINK,
            r#"<https://a/p?page=1>; rel="prev", <https://a/p?page=3>; rel="next""#
                .parse()
                .unwrap(),
        );
        assert_eq!(next_link(&headers).as_deref(), Some("https://a/p?page=3"));
    }
}
