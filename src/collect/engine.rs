//! The walk of one account: pages in order, duplicates refused, items
//! outside the window skipped, items enriched, images fetched once, rows
//! and rejects landed page by page, and a checkpoint after every page.

use futures::StreamExt;
use serde_json::{json, Value};
use std::collections::HashMap;
use tokio::sync::Mutex;

use super::adapters::{Adapter, Window};
use super::checkpoint::{Checkpoint, Counts};
use super::client::{ApiClient, FetchError};
use super::CollectError;
use crate::contract::payloads;
use crate::ingest::images::{ImageLimits, ImageLog};
use crate::ingest::{map_object, Landing, Reject, RejectLog, RejectOrigin, RowMapper};
use crate::lake::Lake;

/// Images downloaded at once per page.
const IMAGE_CONCURRENCY: usize = 8;

/// What a run shares between its walks.
pub(super) struct RunContext {
    pub lake: Lake,
    pub window: Window,
    pub now_micros: i64,
    pub limits: ImageLimits,
    pub refresh_stamp: Option<String>,
    /// Image URL to its sha256: what is already in raw.images, and what this
    /// run landed, so an image is downloaded once.
    pub known_images: Mutex<HashMap<String, String>>,
}

/// What one walk did.
pub(super) struct WalkResult {
    pub counts: Counts,
    pub already_done: bool,
}

pub(super) async fn walk(
    ctx: &RunContext,
    adapter: &dyn Adapter,
    api: &ApiClient,
    account: &str,
    on_page: &(dyn Fn(&Counts) + Sync),
) -> Result<WalkResult, CollectError> {
    let platform = adapter.platform();
    let key = walk_key(
        platform.name(),
        account,
        &ctx.window,
        ctx.refresh_stamp.as_deref(),
    );
    let checkpoint_path = Checkpoint::path(platform.name(), account, &key);
    let mut checkpoint = Checkpoint::load(&ctx.lake, &checkpoint_path).await?;
    if checkpoint.done {
        return Ok(WalkResult {
            counts: checkpoint.counts,
            already_done: true,
        });
    }
    let payload = payloads()
        .iter()
        .find(|p| p.name == adapter.payload())
        .ok_or_else(|| {
            CollectError::Setup(format!("no payload contract named {}", adapter.payload()))
        })?;
    let mapper = RowMapper::new(
        payload,
        &Default::default(),
        &format!("collect:{platform}"),
        ctx.now_micros,
    )
    .map_err(CollectError::Setup)?;
    if checkpoint.audience.is_none() && checkpoint.pages == 0 {
        checkpoint.audience = adapter
            .audience(api, account)
            .await
            .map_err(fetch(account))?;
    }
    loop {
        let cursor = checkpoint.next.clone();
        if checkpoint.pages > 0 && cursor.is_none() {
            break;
        }
        let page = adapter
            .page(api, account, &ctx.window, cursor.as_ref())
            .await
            .map_err(fetch(account))?;
        let stem = format!("collect-{key}-p{:05}", checkpoint.pages);
        let input = format!("{platform} api: {account}");
        let mut step = PageStep::new(ctx, &mapper, &stem, &input, platform.name());
        let (mut fresh, stop) = step.sort(adapter, page.items, &mut checkpoint, ctx);
        adapter
            .enrich(api, account, &mut fresh)
            .await
            .map_err(fetch(account))?;
        step.fetch_images(ctx, adapter, api, &mut fresh).await?;
        step.land_items(fresh, account, checkpoint.audience);
        let counts = step.counts.clone();
        step.finish(&ctx.lake).await?;
        checkpoint.counts.add(&counts);
        checkpoint.pages += 1;
        checkpoint.next = if stop { None } else { page.next };
        checkpoint.done = checkpoint.next.is_none();
        checkpoint.save(&ctx.lake, &checkpoint_path).await?;
        on_page(&checkpoint.counts);
        if checkpoint.done {
            break;
        }
    }
    Ok(WalkResult {
        counts: checkpoint.counts,
        already_done: false,
    })
}

fn fetch(account: &str) -> impl Fn(FetchError) -> CollectError + '_ {
    move |source| CollectError::Fetch {
        account: account.to_string(),
        source,
    }
}

/// The name of a walk: the same platform, account and window give the same
/// files and checkpoint, so a re-run replaces instead of adding.
fn walk_key(platform: &str, account: &str, window: &Window, refresh: Option<&str>) -> String {
    let text = format!(
        "{platform}|{account}|{}|{}|{}",
        window.since,
        window.until,
        refresh.unwrap_or("")
    );
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(text.as_bytes()))
}

/// One page on its way to the lake.
struct PageStep<'a> {
    mapper: &'a RowMapper,
    posts: Landing,
    rejects: RejectLog,
    images: Option<(ImageLog, RejectLog)>,
    records: Vec<i64>,
    input: String,
    source: String,
    counts: Counts,
}

impl<'a> PageStep<'a> {
    fn new(
        ctx: &RunContext,
        mapper: &'a RowMapper,
        stem: &str,
        input: &str,
        source: &str,
    ) -> PageStep<'a> {
        PageStep {
            mapper,
            posts: Landing::new(mapper.contract(), stem),
            rejects: RejectLog::new(source, stem, ctx.now_micros),
            images: None,
            records: Vec::new(),
            input: input.to_string(),
            source: source.to_string(),
            counts: Counts::default(),
        }
    }

    fn reject(&mut self, record: i64, reason: Reject, raw: &Value) {
        let origin = RejectOrigin {
            input: &self.input,
            record,
            payload: Some(&self.mapper.payload().name),
            table: Some(&self.mapper.contract().name),
        };
        self.rejects.add(origin, &reason, &raw.to_string());
        self.counts.rejected += 1;
    }

    /// Refuses duplicates and items without an id, skips items outside the
    /// window; returns the items to land, and whether the walk can stop.
    fn sort(
        &mut self,
        adapter: &dyn Adapter,
        items: Vec<Value>,
        checkpoint: &mut Checkpoint,
        ctx: &RunContext,
    ) -> (Vec<Value>, bool) {
        let mut fresh = Vec::new();
        let mut older = 0;
        let total = items.len();
        for (i, item) in items.into_iter().enumerate() {
            self.counts.served += 1;
            let record = (checkpoint.counts.served + i as u64 + 1) as i64;
            let Some(id) = adapter.item_id(&item) else {
                self.reject(record, Reject::record("the item has no id"), &item);
                continue;
            };
            if !checkpoint.seen.insert(id.clone()) {
                let reason =
                    format!("duplicate: item {id} was already served earlier in this walk");
                self.reject(record, Reject::record(reason), &item);
                continue;
            }
            match adapter.published_at(&item) {
                Some(t) if !ctx.window.contains(t) => {
                    self.counts.skipped += 1;
                    if t < ctx.window.since {
                        older += 1;
                    }
                }
                _ => {
                    self.records.push(record);
                    fresh.push(item);
                }
            }
        }
        // Lists that are newest first and unfiltered end the window at the
        // first page whose items are all older than it.
        let stop = adapter.newest_first_unfiltered() && total > 0 && older == total;
        (fresh, stop)
    }

    /// Downloads the images not seen before, lands them (blob, raw.images
    /// row, reject when broken) and writes each sha256 beside its URL.
    async fn fetch_images(
        &mut self,
        ctx: &RunContext,
        adapter: &dyn Adapter,
        api: &ApiClient,
        items: &mut [Value],
    ) -> Result<(), CollectError> {
        let wanted: std::collections::BTreeSet<String> = items
            .iter()
            .flat_map(|item| {
                adapter
                    .image_pointers()
                    .iter()
                    .filter_map(|p| item.pointer(p)?.as_str().map(str::to_string))
            })
            .collect();
        let to_fetch: Vec<String> = {
            let known = ctx.known_images.lock().await;
            wanted
                .into_iter()
                .filter(|u| !known.contains_key(u))
                .collect()
        };
        if !to_fetch.is_empty() {
            let mut fetched: Vec<(String, Result<bytes::Bytes, FetchError>)> =
                futures::stream::iter(to_fetch)
                    .map(|url| async move {
                        let result = api.get_bytes(&url, ctx.limits.max_bytes).await;
                        (url, result)
                    })
                    .buffer_unordered(IMAGE_CONCURRENCY)
                    .collect()
                    .await;
            fetched.sort_by(|a, b| a.0.cmp(&b.0));
            // Named by the set of URLs, so a page redone after a kill either
            // rewrites the same file or adds only the images it lacked.
            let urls: Vec<&str> = fetched.iter().map(|(u, _)| u.as_str()).collect();
            let stem = format!(
                "collect-img-{:016x}",
                xxhash_rust::xxh3::xxh3_64(urls.join("\n").as_bytes())
            );
            let mut log = ImageLog::new(&stem, ctx.limits);
            let mut rejects = RejectLog::new(&self.source, &format!("{stem}-img"), ctx.now_micros);
            for (url, result) in fetched {
                let origin = RejectOrigin {
                    input: &url,
                    record: 0,
                    payload: None,
                    table: Some("raw.images"),
                };
                match result {
                    Ok(bytes) => {
                        let landed = log.land(&ctx.lake, &url, bytes, ctx.now_micros).await?;
                        if landed.probe.is_ok() {
                            self.counts.images += 1;
                        } else {
                            self.counts.images_rejected += 1;
                            let reason = format!(
                                "image {}: {}",
                                landed.probe.status,
                                landed.probe.error.as_deref().unwrap_or_default()
                            );
                            rejects.add(origin, &Reject::field("image", reason), &url);
                        }
                        ctx.known_images
                            .lock()
                            .await
                            .insert(url.clone(), landed.sha256);
                    }
                    Err(e) => {
                        self.counts.images_rejected += 1;
                        let reason = format!("image could not be downloaded: {e}");
                        rejects.add(origin, &Reject::field("image", reason), &url);
                    }
                }
            }
            self.images = Some((log, rejects));
        }
        let known = ctx.known_images.lock().await;
        for item in items.iter_mut() {
            for pointer in adapter.image_pointers() {
                let Some(sha) = item
                    .pointer(pointer)
                    .and_then(Value::as_str)
                    .and_then(|u| known.get(u))
                    .cloned()
                else {
                    continue;
                };
                let (parent, key) = pointer.rsplit_once('/').unwrap_or(("", pointer));
                if let Some(Value::Object(object)) = item.pointer_mut(parent) {
                    object.insert(format!("{key}_sha256"), json!(sha));
                }
            }
        }
        Ok(())
    }

    fn land_items(&mut self, items: Vec<Value>, account: &str, audience: Option<u64>) {
        let records = std::mem::take(&mut self.records);
        for (mut item, record) in items.into_iter().zip(records) {
            let Value::Object(object) = &mut item else {
                self.reject(
                    record,
                    Reject::record("the item is not a JSON object"),
                    &item,
                );
                continue;
            };
            object.insert(
                "_collector".into(),
                json!({"platform": self.source, "account": account, "audience": audience}),
            );
            match map_object(self.mapper, object, record) {
                Ok(rows) => {
                    for row in &rows {
                        self.posts.push(row);
                    }
                    self.counts.landed += 1;
                }
                Err(reason) => {
                    if let Value::Object(object) = &mut item {
                        object.remove("_collector");
                    }
                    self.reject(record, reason, &item);
                }
            }
        }
    }

    async fn finish(self, lake: &Lake) -> Result<(), CollectError> {
        // Images first: a post never points at an image row not yet written.
        if let Some((log, rejects)) = self.images {
            log.finish(lake).await?;
            rejects.finish(lake).await?;
        }
        self.posts.finish(lake).await?;
        self.rejects.finish(lake).await?;
        Ok(())
    }
}
