//! The lake: partitioned Parquet tables and content-addressed blobs on an
//! object store (a local directory by default, S3 for real deployments).
//!
//! Reads and writes: everything under the lake root. Every table write is
//! checked against its contract ([`crate::contract`]), written with zstd and
//! page statistics, and made visible in one step (a single PUT, which on
//! local disk is a write to a staging file and a rename), so a reader never
//! sees half a file, also when the writer is killed. File names are chosen by
//! the caller from the content or the source window, so writing the same
//! input again replaces a file instead of adding one.

mod location;
mod parquet_file;

use std::sync::Arc;

use arrow::record_batch::RecordBatch;
use bytes::Bytes;
use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};
use url::Url;

use crate::contract::{Contract, ContractError};

pub use location::Location;

/// The default lake, relative to the working directory.
pub const DEFAULT_LAKE: &str = "./lake";

/// A lake operation failed.
#[derive(Debug, thiserror::Error)]
pub enum LakeError {
    /// The lake location could not be understood.
    #[error("lake location {location:?}: {message}")]
    BadLocation {
        /// What the user gave.
        location: String,
        /// What is wrong with it.
        message: String,
    },
    /// The lake could not be reached or opened.
    #[error("cannot open the lake at {location}: {message}")]
    Unreachable {
        /// The lake's URL.
        location: String,
        /// The cause, with a hint.
        message: String,
    },
    /// Reading or writing an object failed.
    #[error("{action} {path} in the lake: {source}")]
    Store {
        /// What was being done.
        action: &'static str,
        /// The object's path.
        path: String,
        /// The store's error.
        #[source]
        source: object_store::Error,
    },
    /// A batch does not keep its table's contract.
    #[error(transparent)]
    Contract(#[from] ContractError),
    /// Encoding a Parquet file failed.
    #[error("writing Parquet for {path}: {source}")]
    Parquet {
        /// The file being written.
        path: String,
        /// The encoder's error.
        #[source]
        source: parquet::errors::ParquetError,
    },
    /// A partition value cannot be a folder name.
    #[error("partition value {value:?} of {column} cannot be a folder name")]
    BadPartitionValue {
        /// The partition column.
        column: String,
        /// The value.
        value: String,
    },
}

/// A file the lake wrote.
#[derive(Debug, Clone)]
pub struct WrittenFile {
    /// Its path inside the lake.
    pub path: String,
    /// Rows in it.
    pub rows: usize,
    /// Bytes written.
    pub bytes: usize,
}

/// A table file encoded and not yet written ([`Lake::encode_table_file`]).
#[derive(Debug)]
pub struct EncodedFile {
    path: String,
    rows: usize,
    bytes: Bytes,
}

/// An open lake.
#[derive(Debug, Clone)]
pub struct Lake {
    store: Arc<dyn ObjectStore>,
    root: Path,
    location: Location,
}

impl Lake {
    /// Opens the lake at `location` (a directory, `file://...` or
    /// `s3://bucket/prefix`). A local lake is created when missing; an S3
    /// lake is listed once, so a wrong bucket or endpoint fails here with a
    /// clear message instead of in the middle of a job.
    pub async fn open(location: &str) -> Result<Lake, LakeError> {
        let location = Location::parse(location)?;
        let (store, root) = location.connect()?;
        let lake = Lake {
            store,
            root,
            location,
        };
        lake.check_reachable().await?;
        Ok(lake)
    }

    async fn check_reachable(&self) -> Result<(), LakeError> {
        match self.store.list_with_delimiter(Some(&self.root)).await {
            Ok(_) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(LakeError::Unreachable {
                location: self.location.to_string(),
                message: format!("{e}{}", self.location.hint()),
            }),
        }
    }

    /// The lake's location, e.g. `file:///home/me/lake/` or `s3://bucket/prefix/`.
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// The object store and the URL it must be registered under for a query
    /// engine to read the lake.
    pub fn store(&self) -> (Url, Arc<dyn ObjectStore>) {
        (self.location.store_url(), self.store.clone())
    }

    /// The URL of a table's folder, for listing-table registration.
    pub fn table_url(&self, contract: &Contract) -> String {
        format!("{}{}/", self.location.url(), contract.path())
    }

    /// The store path of `relative` (a lake path such as `raw/posts`).
    pub fn path(&self, relative: &str) -> Path {
        let mut path = self.root.clone();
        for part in relative.split('/').filter(|p| !p.is_empty()) {
            path = path.join(part);
        }
        path
    }

    /// Writes one Parquet file into a table partition.
    ///
    /// `partition` gives the partition values in the contract's order; `name`
    /// is the file's stem, which the caller derives from its input so that a
    /// repeated write replaces the same file.
    pub async fn write_table_file(
        &self,
        contract: &Contract,
        partition: &[String],
        name: &str,
        batch: &RecordBatch,
    ) -> Result<WrittenFile, LakeError> {
        let file = self.encode_table_file(contract, partition, name, batch)?;
        self.put_table_file(file).await
    }

    /// The first half of [`Lake::write_table_file`]: checks and encodes the
    /// file without writing it, so that many files can be encoded on many
    /// cores before their PUTs.
    pub fn encode_table_file(
        &self,
        contract: &Contract,
        partition: &[String],
        name: &str,
        batch: &RecordBatch,
    ) -> Result<EncodedFile, LakeError> {
        contract.check_batch(batch)?;
        let mut relative = contract.path();
        for (column, value) in contract.partition_columns().zip(partition) {
            check_partition_value(&column.name, value)?;
            relative.push_str(&format!("/{}={}", column.name, value));
        }
        relative.push_str(&format!("/{name}.parquet"));
        let bytes = parquet_file::encode(contract, batch).map_err(|source| LakeError::Parquet {
            path: relative.clone(),
            source,
        })?;
        Ok(EncodedFile {
            path: relative,
            rows: batch.num_rows(),
            bytes: bytes.into(),
        })
    }

    /// The second half of [`Lake::write_table_file`]: one atomic PUT.
    pub async fn put_table_file(&self, file: EncodedFile) -> Result<WrittenFile, LakeError> {
        let size = file.bytes.len();
        self.put(&file.path, file.bytes).await?;
        tracing::debug!(path = %file.path, rows = file.rows, bytes = size, "wrote table file");
        Ok(WrittenFile {
            path: file.path,
            rows: file.rows,
            bytes: size,
        })
    }

    /// Writes an object in one step: it appears whole or not at all.
    pub async fn put(&self, relative: &str, bytes: Bytes) -> Result<(), LakeError> {
        let path = self.path(relative);
        self.store
            .put(&path, PutPayload::from(bytes))
            .await
            .map_err(|source| LakeError::Store {
                action: "writing",
                path: relative.to_string(),
                source,
            })?;
        Ok(())
    }

    /// Writes an object unless it exists (content-addressed blobs are written
    /// once). Returns whether it was written now.
    pub async fn put_once(&self, relative: &str, bytes: Bytes) -> Result<bool, LakeError> {
        let path = self.path(relative);
        let options = PutOptions {
            mode: PutMode::Create,
            ..Default::default()
        };
        match self
            .store
            .put_opts(&path, PutPayload::from(bytes), options)
            .await
        {
            Ok(_) => Ok(true),
            Err(object_store::Error::AlreadyExists { .. }) => Ok(false),
            // Some S3-compatible stores do not support conditional PUT; a
            // content-addressed object can be written again unchanged.
            Err(object_store::Error::NotImplemented { .. }) => Ok(false),
            Err(source) => Err(LakeError::Store {
                action: "writing",
                path: relative.to_string(),
                source,
            }),
        }
    }

    /// Reads a whole object.
    pub async fn get(&self, relative: &str) -> Result<Bytes, LakeError> {
        let path = self.path(relative);
        let store_error = |source| LakeError::Store {
            action: "reading",
            path: relative.to_string(),
            source,
        };
        self.store
            .get(&path)
            .await
            .map_err(store_error)?
            .bytes()
            .await
            .map_err(store_error)
    }

    /// Deletes an object (a missing one is not an error).
    pub async fn delete(&self, relative: &str) -> Result<(), LakeError> {
        match self.store.delete(&self.path(relative)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(source) => Err(LakeError::Store {
                action: "deleting",
                path: relative.to_string(),
                source,
            }),
        }
    }

    /// Every object under `relative`, recursively, sorted by path.
    pub async fn list(&self, relative: &str) -> Result<Vec<ObjectMeta>, LakeError> {
        let prefix = self.path(relative);
        let mut objects: Vec<ObjectMeta> = self
            .store
            .list(Some(&prefix))
            .try_collect()
            .await
            .or_else(|e| match e {
                object_store::Error::NotFound { .. } => Ok(Vec::new()),
                source => Err(LakeError::Store {
                    action: "listing",
                    path: relative.to_string(),
                    source,
                }),
            })?;
        objects.sort_by(|a, b| a.location.cmp(&b.location));
        Ok(objects)
    }

    /// The lake path of a store path (the inverse of [`Lake::path`]).
    pub fn relative(&self, path: &Path) -> String {
        let root = self.root.as_ref();
        let full = path.as_ref();
        full.strip_prefix(root)
            .unwrap_or(full)
            .trim_start_matches('/')
            .to_string()
    }
}

fn check_partition_value(column: &str, value: &str) -> Result<(), LakeError> {
    let ok = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && value != "."
        && value != "..";
    if ok {
        Ok(())
    } else {
        Err(LakeError::BadPartitionValue {
            column: column.to_string(),
            value: value.to_string(),
        })
    }
}
