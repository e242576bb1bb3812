//! The walk of one account: pages in order, duplicates refused, items
//! outside the window skipped, items enriched, images fetched once, and
//! rows and rejects landed in batches, each followed by a checkpoint.
//!
//! Why this resumes exactly: a batch's files are named by the walk and the
//! batch number, and a batch holds the same pages whenever it is redone
//! (it starts at the checkpoint and ends at the same page), so a batch
//! redone after a kill replaces its files instead of adding rows. Images
//! are the exception, because an image landed before the kill is not
//! fetched again: their files are named by the set of URLs they hold, and
//! their rejects are written before their rows, because a row is what marks
//! an image as fetched.

use std::collections::{BTreeSet, HashMap};

use futures::StreamExt;
use serde_json::{json, Value};
use std::sync::Arc;
use tokio::sync::OnceCell;

use super::adapters::{Adapter, PageRequest, Window, ITEM_ERROR};
use super::checkpoint::{Checkpoint, Counts};
use super::client::{ApiClient, FetchError};
use super::CollectError;
use crate::contract::payloads;
use crate::ingest::images::{store, ImageLimits, ImageLog, LandedImage};
use crate::ingest::{map_object, Landing, Reject, RejectLog, RejectOrigin, RowMapper};
use crate::lake::Lake;

/// The `raw.rejects` source of a refused image download, shared by every
/// platform's walks.
const IMAGE_REJECT_SOURCE: &str = "collect-images";

/// What a run shares between its walks.
pub(super) struct RunContext {
    pub lake: Lake,
    pub window: Window,
    pub now_micros: i64,
    pub limits: ImageLimits,
    pub refresh_stamp: Option<String>,
    /// Items per page asked for (None: each API's largest page).
    pub page_size: Option<usize>,
    /// A batch is landed and checkpointed once it holds this many items.
    pub batch_items: usize,
    /// Image downloads in flight per page.
    pub downloads: usize,
    /// Images already in raw.images, and those this run fetches, by URL:
    /// an image is downloaded once, also when walks running at once want
    /// it (the first downloads it, the others wait for its outcome).
    pub known_images: std::sync::Mutex<HashMap<String, ImageCell>>,
}

/// What became of an image URL: set once, to the image fetched (or found
/// in the lake), or to None when it could not be downloaded.
pub(super) type ImageCell = Arc<OnceCell<Option<KnownImage>>>;

/// An image fetched before.
#[derive(Debug, Clone)]
pub(super) struct KnownImage {
    pub sha256: String,
    /// Whether it decodes.
    pub ok: bool,
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
    let mut state = Checkpoint::load(&ctx.lake, &checkpoint_path).await?;
    if state.done {
        return Ok(WalkResult {
            counts: state.counts,
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
    if state.started {
        // A run stopped inside this batch may have written some of its
        // files; the API may answer the redo with other items (new posts
        // shift the pages), so what it left goes first.
        remove_batch(
            &ctx.lake,
            mapper.contract(),
            platform.name(),
            &key,
            state.batches,
        )
        .await?;
    } else {
        state.audience = adapter
            .audience(api, account)
            .await
            .map_err(fetch(account))?;
        state.page_size = ctx
            .page_size
            .unwrap_or(usize::MAX)
            .clamp(1, adapter.max_page_size());
        state.batch_items = ctx.batch_items.max(1);
        state.started = true;
        state.save(&ctx.lake, &checkpoint_path).await?;
    }
    let size = state.page_size.clamp(1, adapter.max_page_size());
    let input = format!("{platform} api: {account}");
    let mut batch = Batch::new(ctx, &mapper, &key, state.batches, &input, platform.name());
    loop {
        let request = PageRequest {
            account,
            window: &ctx.window,
            size,
            cursor: state.next.as_ref(),
        };
        let page = adapter.page(api, &request).await.map_err(fetch(account))?;
        let (mut fresh, stop) = batch.sort(adapter, page.items, &mut state, ctx);
        adapter
            .enrich(api, account, &mut fresh)
            .await
            .map_err(fetch(account))?;
        batch
            .fetch_images(ctx, adapter, api, &mut fresh, &mut state.counts)
            .await?;
        batch.land_items(fresh, account, state.audience, &mut state.counts);
        state.pages += 1;
        // A `next` link may carry the token (the Graph API's do): it is
        // stored in the checkpoint, so it is scrubbed here.
        state.next = if stop {
            None
        } else {
            page.next.map(|next| match next {
                Value::String(url) => Value::String(api.scrub(&url)),
                other => other,
            })
        };
        state.done = state.next.is_none();
        on_page(&state.counts);
        if state.done || batch.items >= state.batch_items {
            batch.finish(&ctx.lake).await?;
            state.batches += 1;
            state.save(&ctx.lake, &checkpoint_path).await?;
            if state.done {
                break;
            }
            batch = Batch::new(ctx, &mapper, &key, state.batches, &input, platform.name());
        }
    }
    Ok(WalkResult {
        counts: state.counts,
        already_done: false,
    })
}

fn fetch(account: &str) -> impl Fn(FetchError) -> CollectError + '_ {
    move |source| CollectError::Fetch {
        account: account.to_string(),
        source,
    }
}

/// The name every file of a batch starts with.
fn batch_stem(key: &str, number: u64) -> String {
    format!("collect-{key}-b{number:05}")
}

/// Deletes the files of an unfinished batch: its rows (under the
/// platform's partition when the table has one) and its rejects.
async fn remove_batch(
    lake: &Lake,
    table: &crate::contract::Contract,
    platform: &str,
    key: &str,
    number: u64,
) -> Result<(), CollectError> {
    let stem = format!("{}-", batch_stem(key, number));
    let rows = match table.partition_columns().next() {
        Some(first) if first.name == "platform" => format!("{}/platform={platform}", table.path()),
        _ => table.path(),
    };
    for prefix in [rows, format!("raw/rejects/source={platform}")] {
        for object in lake.list(&prefix).await? {
            let path = lake.relative(&object.location);
            if path
                .rsplit('/')
                .next()
                .is_some_and(|name| name.starts_with(&stem))
            {
                tracing::debug!(path, "removing a file of an unfinished batch");
                lake.delete(&path).await?;
            }
        }
    }
    Ok(())
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

/// One image URL of a page: what this page's download gave (None when it
/// was fetched before or by another walk), and what is known of it.
struct ImageOutcome {
    url: String,
    downloaded: Option<Result<LandedImage, String>>,
    known: Result<Option<KnownImage>, crate::lake::LakeError>,
}

/// Pages on their way to the lake, landed together.
struct Batch<'a> {
    mapper: &'a RowMapper,
    posts: Landing,
    rejects: RejectLog,
    /// Images fetched for this batch, and the ones that could not be.
    images: Vec<(String, LandedImage)>,
    image_failures: Vec<(String, String)>,
    /// Item numbers of the items handed to `land_items`, in order.
    records: Vec<i64>,
    /// Items served into this batch.
    items: usize,
    input: String,
    source: String,
    now_micros: i64,
    limits: ImageLimits,
}

impl<'a> Batch<'a> {
    fn new(
        ctx: &RunContext,
        mapper: &'a RowMapper,
        key: &str,
        number: u64,
        input: &str,
        source: &str,
    ) -> Batch<'a> {
        let stem = batch_stem(key, number);
        Batch {
            mapper,
            posts: Landing::new(mapper.contract(), &stem),
            rejects: RejectLog::new(source, &stem, ctx.now_micros),
            images: Vec::new(),
            image_failures: Vec::new(),
            records: Vec::new(),
            items: 0,
            input: input.to_string(),
            source: source.to_string(),
            now_micros: ctx.now_micros,
            limits: ctx.limits,
        }
    }

    fn reject(&mut self, record: i64, reason: Reject, raw: &Value, counts: &mut Counts) {
        let origin = RejectOrigin {
            input: &self.input,
            record,
            payload: Some(&self.mapper.payload().name),
            table: Some(&self.mapper.contract().name),
        };
        self.rejects.add(origin, &reason, &raw.to_string());
        counts.rejected += 1;
    }

    /// Refuses duplicates and items without an id, skips items outside the
    /// window; returns the items to land, and whether the walk can stop.
    fn sort(
        &mut self,
        adapter: &dyn Adapter,
        items: Vec<Value>,
        state: &mut Checkpoint,
        ctx: &RunContext,
    ) -> (Vec<Value>, bool) {
        let mut fresh = Vec::new();
        let mut last_is_older = false;
        for item in items {
            state.counts.served += 1;
            self.items += 1;
            let record = state.counts.served as i64;
            last_is_older = false;
            let Some(id) = adapter.item_id(&item) else {
                self.reject(
                    record,
                    Reject::record("the item has no id"),
                    &item,
                    &mut state.counts,
                );
                continue;
            };
            if !state.seen.insert(id.clone()) {
                let reason =
                    format!("duplicate: item {id} was already served earlier in this walk");
                self.reject(record, Reject::record(reason), &item, &mut state.counts);
                continue;
            }
            match adapter.published_at(&item) {
                Some(t) if !ctx.window.contains(t) => {
                    state.counts.outside += 1;
                    last_is_older = t < ctx.window.since;
                }
                _ => {
                    self.records.push(record);
                    fresh.push(item);
                }
            }
        }
        // A list that comes newest first without a date filter has nothing
        // in the window after an item older than the window.
        let stop = adapter.newest_first_unfiltered() && last_is_older;
        (fresh, stop)
    }

    /// Downloads and stores the images not fetched before, and writes each
    /// one's sha256 beside its URL in the items.
    async fn fetch_images(
        &mut self,
        ctx: &RunContext,
        adapter: &dyn Adapter,
        api: &ApiClient,
        items: &mut [Value],
        counts: &mut Counts,
    ) -> Result<(), CollectError> {
        let wanted: BTreeSet<String> = items
            .iter()
            .flat_map(|item| {
                adapter
                    .image_pointers(item)
                    .into_iter()
                    .filter_map(|p| item.pointer(&p)?.as_str().map(str::to_string))
            })
            .collect();
        let cells: Vec<(String, ImageCell)> = {
            let mut known = ctx.known_images.lock().expect("not poisoned");
            wanted
                .into_iter()
                .map(|url| {
                    let cell = known.entry(url.clone()).or_default().clone();
                    (url, cell)
                })
                .collect()
        };
        let limits = self.limits;
        let lake = &ctx.lake;
        let outcomes: Vec<ImageOutcome> = futures::stream::iter(cells)
            .map(|(url, cell)| async move {
                let mut downloaded = None;
                let known = cell
                    .get_or_try_init(|| async {
                        match api.get_bytes(&url, limits.max_bytes).await {
                            Ok(bytes) => {
                                let image = store(lake, &url, bytes, limits).await?;
                                let known = KnownImage {
                                    sha256: image.sha256.clone(),
                                    ok: image.probe.is_ok(),
                                };
                                downloaded = Some(Ok(image));
                                Ok::<_, crate::lake::LakeError>(Some(known))
                            }
                            Err(e) => {
                                downloaded =
                                    Some(Err(format!("image could not be downloaded: {e}")));
                                Ok(None)
                            }
                        }
                    })
                    .await
                    .cloned();
                ImageOutcome {
                    url,
                    downloaded,
                    known,
                }
            })
            .buffer_unordered(ctx.downloads.max(1))
            .collect()
            .await;
        let mut found = HashMap::new();
        for outcome in outcomes {
            if let Some(image) = outcome.known? {
                found.insert(outcome.url.clone(), image);
            }
            match outcome.downloaded {
                Some(Ok(image)) => self.images.push((outcome.url, image)),
                Some(Err(reason)) => self.image_failures.push((outcome.url, reason)),
                None => {}
            }
        }
        // Each item's image is counted, fetched now or before, so a walk
        // counts the same when it is redone after a kill.
        for item in items.iter_mut() {
            for pointer in adapter.image_pointers(item) {
                let Some(url) = item.pointer(&pointer).and_then(Value::as_str) else {
                    continue;
                };
                let Some(image) = found.get(url) else {
                    counts.images_rejected += 1;
                    continue;
                };
                if image.ok {
                    counts.images += 1;
                } else {
                    counts.images_rejected += 1;
                }
                let sha = image.sha256.clone();
                let (parent, key) = pointer.rsplit_once('/').unwrap_or(("", &pointer));
                if let Some(Value::Object(object)) = item.pointer_mut(parent) {
                    object.insert(format!("{key}_sha256"), json!(sha));
                }
            }
        }
        Ok(())
    }

    fn land_items(
        &mut self,
        items: Vec<Value>,
        account: &str,
        audience: Option<u64>,
        counts: &mut Counts,
    ) {
        let records = std::mem::take(&mut self.records);
        for (mut item, record) in items.into_iter().zip(records) {
            let Value::Object(object) = &mut item else {
                self.reject(
                    record,
                    Reject::record("the item is not a JSON object"),
                    &item,
                    counts,
                );
                continue;
            };
            if let Some(error) = object.remove(ITEM_ERROR) {
                let reason = error.as_str().unwrap_or("incomplete").to_string();
                self.reject(record, Reject::record(reason), &item, counts);
                continue;
            }
            object.insert(
                "_collector".into(),
                json!({"platform": self.source, "account": account, "audience": audience}),
            );
            match map_object(self.mapper, object, record) {
                Ok(rows) => {
                    for row in &rows {
                        self.posts.push(row);
                    }
                    counts.landed += 1;
                }
                Err(reason) => {
                    object.remove("_collector");
                    self.reject(record, reason, &item, counts);
                }
            }
        }
    }

    /// Lands the batch: image rejects, image rows, item rejects, items.
    async fn finish(self, lake: &Lake) -> Result<(), CollectError> {
        let Batch {
            posts,
            rejects,
            mut images,
            mut image_failures,
            now_micros,
            limits,
            ..
        } = self;
        if !images.is_empty() || !image_failures.is_empty() {
            images.sort_by(|a, b| a.0.cmp(&b.0));
            image_failures.sort();
            let urls: Vec<&str> = images
                .iter()
                .map(|(u, _)| u.as_str())
                .chain(image_failures.iter().map(|(u, _)| u.as_str()))
                .collect();
            let stem = format!(
                "collect-img-{:016x}",
                xxhash_rust::xxh3::xxh3_64(urls.join("\n").as_bytes())
            );
            let mut refused: Vec<(&str, String)> = Vec::new();
            let mut log = ImageLog::new(&stem, limits);
            for (url, image) in &images {
                if !image.probe.is_ok() {
                    let reason = format!(
                        "image {}: {}",
                        image.probe.status,
                        image.probe.error.as_deref().unwrap_or_default()
                    );
                    refused.push((url, reason));
                }
                log.push(url, image, now_micros);
            }
            refused.extend(image_failures.iter().map(|(u, r)| (u.as_str(), r.clone())));
            for (url, reason) in refused {
                land_image_reject(lake, url, &reason, now_micros).await?;
            }
            log.finish(lake).await?;
        }
        rejects.finish(lake).await?;
        posts.finish(lake).await?;
        Ok(())
    }
}

/// Lands the reject of one refused image in a file named by its URL.
///
/// Several platforms can show one image and whichever walk fetches it first
/// lands it, so the reject goes under one source and one file whatever the
/// order: a page redone after a kill rewrites that file instead of adding a
/// second reject.
async fn land_image_reject(
    lake: &Lake,
    url: &str,
    reason: &str,
    now_micros: i64,
) -> Result<(), CollectError> {
    let stem = format!(
        "collect-img-{:016x}-rej",
        xxhash_rust::xxh3::xxh3_64(url.as_bytes())
    );
    let mut rejects = RejectLog::new(IMAGE_REJECT_SOURCE, &stem, now_micros);
    let origin = RejectOrigin {
        input: url,
        record: 0,
        payload: None,
        table: Some("raw.images"),
    };
    rejects.add(origin, &Reject::field("image", reason.to_string()), url);
    rejects.finish(lake).await?;
    Ok(())
}
