//! Small lakes for the quality tests: a clean world (four platforms, 30
//! posts each, every image decoding, balanced A/B tests, all in March 2024),
//! which a test changes to plant one problem, and writes with the lake's own
//! writer (checked against the contracts' schemas, but not their value
//! rules, as another engine writing the lake would).

use std::collections::BTreeMap;

use serde_json::{json, Value};

use creativeiq::lake::Lake;

/// The reference day every test validates as of.
pub const AS_OF: &str = "2024-03-31";

/// The platforms of the clean world.
pub const PLATFORMS: [&str; 4] = ["instagram", "facebook", "linkedin", "tiktok"];

/// The rows of a lake, by table; a test edits them, then [`World::write`].
pub struct World {
    pub posts: Vec<Value>,
    pub images: Vec<Value>,
    pub ab_tests: Vec<Value>,
    pub annotations: Vec<Value>,
}

/// A fake but well-formed content hash.
pub fn sha(label: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(label.as_bytes()))
}

/// One valid post of `platform`, number `i` (0..30), published on day 1 + i
/// of March 2024.
pub fn post(platform: &str, i: usize) -> Value {
    let prefix: String = platform.chars().take(2).collect();
    let day = 1 + i % 30;
    let reports_saves = matches!(platform, "instagram" | "tiktok");
    json!({
        "platform": platform,
        "dt": format!("2024-03-{day:02}"),
        "post_id": format!("{prefix}_{i}"),
        "account_id": format!("{prefix}_account_{}", i % 3),
        "media_type": "image",
        "image_url": format!("https://cdn.example.com/{platform}/{i}.jpg"),
        "image_sha256": sha(&format!("{platform}/{i}")),
        "published_at": format!("2024-03-{day:02}T{:02}:15:00Z", (i * 7) % 24),
        "collected_at": "2024-03-31T06:00:00Z",
        "likes": 100 + (i * 37) % 400,
        "comments": 5 + i % 20,
        "shares": i % 15,
        "saves": if reports_saves { json!(i % 11) } else { Value::Null },
        "clicks": if reports_saves { Value::Null } else { json!(20 + i % 9) },
        "reach": 5000 + i * 100,
        "impressions": 8000 + i * 150,
        "audience_size": 20000 + i,
        "paid": i.is_multiple_of(4),
        "caption": format!("post {i} #design"),
        "hashtag_count": 1,
        "source": format!("import:{platform}.ndjson"),
        "source_record": i + 1,
    })
}

/// The raw.images row of an image that decodes.
pub fn image(sha256: &str, url: &str) -> Value {
    json!({
        "dt": "2024-03-31",
        "sha256": sha256,
        "url": url,
        "bytes": 120_000,
        "format": "jpeg",
        "width": 1080,
        "height": 1080,
        "decode_status": "ok",
        "fetched_at": "2024-03-31T06:10:00Z",
    })
}

/// One variant of an A/B test.
pub fn variant(
    test_id: &str,
    variant: &str,
    impressions: i64,
    conversions: i64,
    clicks: i64,
) -> Value {
    json!({
        "dt": "2024-03-10",
        "test_id": test_id,
        "variant": variant,
        "platform": "instagram",
        "image_url": format!("https://cdn.example.com/ab/{test_id}_{variant}.jpg"),
        "started_at": "2024-03-10T00:00:00Z",
        "collected_at": "2024-03-31T06:00:00Z",
        "impressions": impressions,
        "conversions": conversions,
        "clicks": clicks,
        "conversion_rate": conversions as f64 / impressions as f64,
        "click_through_rate": clicks as f64 / impressions as f64,
        "recorded_significance": 0.95,
        "source": "import:ab_tests.json",
        "source_record": 1,
    })
}

impl World {
    /// The clean world: every check passes on it.
    pub fn clean() -> World {
        let posts: Vec<Value> = PLATFORMS
            .iter()
            .flat_map(|p| (0..30).map(move |i| post(p, i)))
            .collect();
        let images = posts
            .iter()
            .map(|p| {
                image(
                    p["image_sha256"].as_str().unwrap(),
                    p["image_url"].as_str().unwrap(),
                )
            })
            .collect();
        let ab_tests = vec![
            variant("ab_clean_1", "a", 10_000, 350, 1200),
            variant("ab_clean_1", "b", 10_000, 420, 1500),
            variant("ab_clean_2", "a", 5_000, 105, 400),
            variant("ab_clean_2", "b", 5_050, 97, 357),
        ];
        let annotations = vec![json!({
            "dt": "2024-03-15", "design_id": "design_1", "expert_id": "designer_1",
            "annotated_at": "2024-03-15T10:00:00Z", "overall_quality": 85.0, "color_harmony": 90.0,
            "typography": 80.0, "layout": 88.0, "brand_consistency": 75.0,
            "source": "import:annotations.json", "source_record": 1,
        })];
        World {
            posts,
            images,
            ab_tests,
            annotations,
        }
    }

    /// The post `post_id` (to change it).
    pub fn post_mut(&mut self, post_id: &str) -> &mut Value {
        self.posts
            .iter_mut()
            .find(|p| p["post_id"] == post_id)
            .unwrap_or_else(|| panic!("no post {post_id}"))
    }

    /// Writes every table into a new lake under `dir`.
    pub async fn write(&self, dir: &std::path::Path) -> (Lake, String) {
        let path = dir.join("lake").to_str().unwrap().to_string();
        let lake = Lake::open(&path).await.unwrap();
        plant(&lake, "raw.posts", "world", &self.posts).await;
        plant(&lake, "raw.images", "world", &self.images).await;
        plant(&lake, "raw.ab_tests", "world", &self.ab_tests).await;
        plant(&lake, "raw.annotations", "world", &self.annotations).await;
        (lake, path)
    }
}

/// Writes `rows` (JSON objects with every column of `table`, partition keys
/// included) as one file per partition named `name`.
pub async fn plant(lake: &Lake, table: &str, name: &str, rows: &[Value]) {
    let contract = creativeiq::contract::table(table).unwrap();
    let mut partitions: BTreeMap<Vec<String>, Vec<&Value>> = BTreeMap::new();
    for row in rows {
        let key = contract
            .partition_columns()
            .map(|c| {
                row[c.name.as_str()]
                    .as_str()
                    .unwrap_or_else(|| panic!("{table} row without {}: {row}", c.name))
                    .to_string()
            })
            .collect();
        partitions.entry(key).or_default().push(row);
    }
    for (key, rows) in partitions {
        let mut decoder = arrow::json::ReaderBuilder::new(contract.file_schema())
            .build_decoder()
            .unwrap();
        decoder.serialize(&rows).unwrap();
        let batch = decoder.flush().unwrap().unwrap();
        lake.write_table_file(contract, &key, name, &batch)
            .await
            .unwrap();
    }
}
