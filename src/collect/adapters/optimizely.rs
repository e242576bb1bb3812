//! An Optimizely-style experiments API: a project's experiments, then each
//! one's results, reshaped into the A/B record of `schemas/payloads/`
//! (`variant_a`, `variant_b`) so A/B tests land the same way from every
//! source.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::{id_of, next_link, time_of, Adapter, Page, Window};
use crate::collect::client::{ApiClient, FetchError};
use crate::collect::Platform;

/// Experiments and their results.
pub struct Optimizely;

#[async_trait]
impl Adapter for Optimizely {
    fn platform(&self) -> Platform {
        Platform::Optimizely
    }
    fn payload(&self) -> &'static str {
        "optimizely_experiment"
    }
    async fn audience(&self, _api: &ApiClient, _account: &str) -> Result<Option<u64>, FetchError> {
        Ok(None)
    }
    async fn page(
        &self,
        api: &ApiClient,
        project: &str,
        _window: &Window,
        cursor: Option<&Value>,
    ) -> Result<Page, FetchError> {
        let (value, headers) = match cursor.and_then(Value::as_str) {
            Some(next) => api.get_json(next, &[]).await?,
            None => {
                let query = [
                    ("project_id", project.to_string()),
                    ("per_page", "50".to_string()),
                ];
                api.get_json("v2/experiments", &query).await?
            }
        };
        Ok(Page {
            items: value.as_array().cloned().unwrap_or_default(),
            next: next_link(&headers).map(|u| json!(u)),
        })
    }
    async fn enrich(
        &self,
        api: &ApiClient,
        _project: &str,
        items: &mut [Value],
    ) -> Result<(), FetchError> {
        for item in items.iter_mut() {
            let Some(id) = id_of(item.get("id")) else {
                continue;
            };
            let (results, _) = api
                .get_json(&format!("v2/experiments/{id}/results"), &[])
                .await?;
            reshape(item, &results);
        }
        Ok(())
    }
    fn item_id(&self, item: &Value) -> Option<String> {
        id_of(item.get("id"))
    }
    fn published_at(&self, item: &Value) -> Option<DateTime<Utc>> {
        time_of(item.get("created"))
    }
    fn image_pointers(&self) -> &'static [&'static str] {
        &["/variant_a/image_url", "/variant_b/image_url"]
    }
}

/// Puts the first two variations' counts and images under `variant_a` and
/// `variant_b`, and the tool's significance under `statistical_significance`.
fn reshape(item: &mut Value, results: &Value) {
    let metric = |name: &str| {
        results
            .get("metrics")
            .and_then(Value::as_array)
            .and_then(|m| {
                m.iter()
                    .find(|m| m.get("name").and_then(Value::as_str) == Some(name))
            })
            .and_then(|m| m.get("results"))
            .cloned()
            .unwrap_or_default()
    };
    let (conversions, clicks) = (metric("conversions"), metric("clicks"));
    let variations = item
        .get("variations")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for (slot, variation) in ["variant_a", "variant_b"].iter().zip(&variations) {
        let id = id_of(variation.get("variation_id")).unwrap_or_default();
        let converted = conversions.get(&id).cloned().unwrap_or_default();
        let clicked = clicks.get(&id).cloned().unwrap_or_default();
        if let Some(significance) = converted.pointer("/lift/significance") {
            item["statistical_significance"] = significance.clone();
        }
        item[*slot] = json!({
            "variation_id": id,
            "image_url": variation.pointer("/actions/0/changes/0/attributes/src"),
            "visitors": converted.get("samples"),
            "conversions": converted.get("value"),
            "conversion_rate": converted.get("rate"),
            "clicks": clicked.get("value"),
            "click_through_rate": clicked.get("rate"),
        });
    }
    item["test_id"] = item.get("id").cloned().unwrap_or_default();
}
