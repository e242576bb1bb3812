//! Where a collection stands, per platform, account and window, so a killed
//! run resumes at the page after the last batch landed, and a finished
//! window is not collected twice.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::lake::{Lake, LakeError};

/// The counts of a walk, summed over its pages.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Counts {
    /// Items the API returned.
    pub served: u64,
    /// Items landed.
    pub landed: u64,
    /// Items rejected (in raw.rejects).
    pub rejected: u64,
    /// Items outside the window (APIs that cannot filter by date).
    pub outside: u64,
    /// Items' images in the lake and decodable (fetched now or before).
    pub images: u64,
    /// Items' images refused (corrupt, truncated, not an image, not
    /// downloaded); each refused image is in raw.rejects once.
    pub images_rejected: u64,
}

impl Counts {
    /// Adds another walk's counts.
    pub fn add(&mut self, other: &Counts) {
        self.served += other.served;
        self.landed += other.landed;
        self.rejected += other.rejected;
        self.outside += other.outside;
        self.images += other.images;
        self.images_rejected += other.images_rejected;
    }
}

/// The state of one walk.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Saved before the first batch is written: a walk with a checkpoint
    /// that is not done may have left part of its next batch behind.
    #[serde(default)]
    pub started: bool,
    /// Items per page and per batch the walk began with, kept on resume
    /// so that a redone batch holds the same pages.
    #[serde(default)]
    pub page_size: usize,
    /// See `page_size`.
    #[serde(default)]
    pub batch_items: usize,
    /// Pages walked and landed.
    pub pages: u64,
    /// Batches landed (each one a set of files named by its number).
    pub batches: u64,
    /// The next page's cursor, when there is one.
    pub next: Option<Value>,
    /// The walk reached its end.
    pub done: bool,
    /// The account's audience, fetched once.
    pub audience: Option<u64>,
    /// Item ids landed or rejected so far (to refuse duplicates across pages).
    pub seen: BTreeSet<String>,
    /// Counts so far.
    pub counts: Counts,
}

impl Checkpoint {
    /// The lake path of a walk's checkpoint.
    pub fn path(platform: &str, account: &str, key: &str) -> String {
        let account: String = account
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        format!("state/collect/{platform}/{account}/{key}.json")
    }

    /// Reads a checkpoint, or a fresh one when there is none.
    pub async fn load(lake: &Lake, path: &str) -> Result<Checkpoint, LakeError> {
        match lake.get(path).await {
            Ok(bytes) => Ok(serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                tracing::warn!(path, error = %e, "unreadable checkpoint; collecting the window again");
                Checkpoint::default()
            })),
            Err(LakeError::Store {
                source: object_store::Error::NotFound { .. },
                ..
            }) => Ok(Checkpoint::default()),
            Err(e) => Err(e),
        }
    }

    /// Writes the checkpoint in one step.
    pub async fn save(&self, lake: &Lake, path: &str) -> Result<(), LakeError> {
        let bytes = serde_json::to_vec(self).expect("a checkpoint serialises");
        lake.put(path, bytes.into()).await
    }
}
