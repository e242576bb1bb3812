//! An Optimizely-style experiments API (REST v2): a project's experiments
//! (`page`/`per_page`, the next page in the `Link` header), then each one's
//! results per variation and metric. The collector joins them into one
//! `variants` list, one element per arm, which lands as one `raw.ab_tests`
//! row per arm however many arms an experiment has.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::{fail_item, id_of, items_at, next_link, time_of, Adapter, Page, PageRequest};
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
    fn max_page_size(&self) -> usize {
        100
    }
    async fn audience(&self, _api: &ApiClient, _account: &str) -> Result<Option<u64>, FetchError> {
        Ok(None)
    }
    async fn page(&self, api: &ApiClient, request: &PageRequest<'_>) -> Result<Page, FetchError> {
        let path = "v2/experiments";
        let (value, headers) = match request.cursor.and_then(Value::as_str) {
            Some(next) => api.get_json(next, &[]).await?,
            None => {
                let query = [
                    ("project_id", request.account.to_string()),
                    ("per_page", request.size.to_string()),
                ];
                api.get_json(path, &query).await?
            }
        };
        let items = items_at(api, &value, "", path)?;
        let next = next_link(&headers)
            .filter(|_| !items.is_empty())
            .map(|u| json!(u));
        Ok(Page { items, next })
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
            match api
                .get_json(&format!("v2/experiments/{id}/results"), &[])
                .await
            {
                Ok((results, _)) => join_results(item, &results),
                Err(e @ FetchError::Api { .. }) => fail_item(item, format!("results: {e}")),
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
    fn item_id(&self, item: &Value) -> Option<String> {
        id_of(item.get("id"))
    }
    fn published_at(&self, item: &Value) -> Option<DateTime<Utc>> {
        time_of(item.get("created"))
    }
    fn image_pointers(&self, item: &Value) -> Vec<String> {
        let arms = item
            .get("variants")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        (0..arms)
            .map(|i| format!("/variants/{i}/image_url"))
            .collect()
    }
}

/// Adds `variants`: per variation, its key and design, and the samples,
/// counts and rates of the `conversions` and `clicks` metrics; and
/// `significance`, the first non-baseline arm's, for the experiment.
fn join_results(item: &mut Value, results: &Value) {
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
    let mut variants = Vec::with_capacity(variations.len());
    let mut significance = None;
    for variation in &variations {
        let id = id_of(variation.get("variation_id")).unwrap_or_default();
        let converted = conversions.get(&id).cloned().unwrap_or_default();
        let clicked = clicks.get(&id).cloned().unwrap_or_default();
        let lift = converted.pointer("/lift/significance").cloned();
        if significance.is_none() && lift.is_some() {
            significance = lift.clone();
        }
        variants.push(json!({
            "variation_id": id,
            "key": variation.get("key").cloned().unwrap_or_else(|| json!(id)),
            "image_url": variation.pointer("/actions/0/changes/0/attributes/src"),
            "visitors": converted.get("samples"),
            "conversions": converted.get("value"),
            "conversion_rate": converted.get("rate"),
            "clicks": clicked.get("value"),
            "click_through_rate": clicked.get("rate"),
            "significance": lift,
        }));
    }
    item["variants"] = Value::Array(variants);
    if let Some(s) = significance {
        item["significance"] = s;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_arm_is_kept() {
        let mut item = json!({"id": 7, "variations": [
            {"variation_id": 1, "key": "a"}, {"variation_id": 2, "key": "b"}, {"variation_id": 3, "key": "c"}]});
        let results = json!({"metrics": [{"name": "conversions", "results": {
            "1": {"samples": 100, "value": 5, "rate": 0.05},
            "2": {"samples": 90, "value": 9, "rate": 0.1, "lift": {"significance": 0.97}},
            "3": {"samples": 95, "value": 4, "rate": 0.042, "lift": {"significance": 0.4}}}}]});
        join_results(&mut item, &results);
        let keys: Vec<&str> = item["variants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["key"].as_str().unwrap())
            .collect();
        assert_eq!(keys, ["a", "b", "c"]);
        assert_eq!(item["significance"], json!(0.97));
        assert_eq!(item["variants"][2]["visitors"], json!(95));
        assert_eq!(Optimizely.image_pointers(&item).len(), 3);
    }
}
