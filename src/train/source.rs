//! Reading a [`Dataset`] from Arrow record batches: a Parquet or CSV file
//! exported by another tool ([`read_file`]), or the lake ([`read_lake`]):
//! the rows of `sql/jobs/training_set.sql` (the training view joined with
//! `features.design`) assembled by a [`FeatureAssembler`] (with the
//! `brand_score` column when a brand is given), and the A/B tests of
//! `sql/jobs/ab_pairs.sql` to score the models on.
//!
//! The columns of a file, read by name: `post_id` (text), `platform` (text),
//! `published_at` (a timestamp, or RFC 3339 text), `performance_score`
//! (number, 0..100) and optionally `sample_weight` (number). Every other
//! numeric or boolean column is a feature; a null is a missing value. Text
//! columns other than these are ignored and listed in the log.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, TimeUnit};
use arrow::record_batch::RecordBatch;
use chrono::{DateTime, Utc};

use std::collections::BTreeMap;

use datafusion::scalar::ScalarValue;

use super::assemble::{FeatureAssembler, ImageFeatures, PostContext, TrainingPost};
use super::dataset::{Dataset, Matrix, RowInfo};
use super::job::AbPairs;
use super::TrainError;
use crate::contract::job_sql;
use crate::features::{PaletteColor, FEATURE_NAMES};
use crate::insight::BrandProfile;
use crate::lake::Lake;
use crate::query::{Session, Settings};

/// The columns that identify a row rather than describe it.
const KEY_COLUMNS: &[&str] = &[
    "post_id",
    "platform",
    "published_at",
    "performance_score",
    "sample_weight",
];

/// Reads a Parquet (`.parquet`) or CSV (`.csv`) training file.
pub fn read_file(path: &Path) -> Result<Dataset, TrainError> {
    let io = |source| TrainError::Io {
        path: path.display().to_string(),
        source,
    };
    let bad = |m: String| TrainError::BadDataset(format!("{}: {m}", path.display()));
    let file = std::fs::File::open(path).map_err(io)?;
    let batches: Vec<RecordBatch> = match path.extension().and_then(|e| e.to_str()) {
        Some("parquet") => {
            parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
                .and_then(|b| b.build())
                .map_err(|e| bad(e.to_string()))?
                .collect::<Result<_, _>>()
                .map_err(|e| bad(e.to_string()))?
        }
        Some("csv") => {
            let format = arrow::csv::reader::Format::default().with_header(true);
            let (schema, _) = format
                .infer_schema(std::fs::File::open(path).map_err(io)?, Some(10_000))
                .map_err(|e| bad(e.to_string()))?;
            arrow::csv::ReaderBuilder::new(Arc::new(schema))
                .with_format(format)
                .build(file)
                .map_err(|e| bad(e.to_string()))?
                .collect::<Result<_, _>>()
                .map_err(|e| bad(e.to_string()))?
        }
        _ => return Err(bad("give a .parquet or .csv file".into())),
    };
    from_batches(&batches).map_err(|e| match e {
        TrainError::BadDataset(m) => bad(m),
        other => other,
    })
}

/// A dataset from record batches with the columns named in the module doc.
pub fn from_batches(batches: &[RecordBatch]) -> Result<Dataset, TrainError> {
    let bad = |m: String| TrainError::BadDataset(m);
    let Some(first) = batches.first() else {
        return Err(bad("no rows".into()));
    };
    let schema = first.schema();
    for key in &KEY_COLUMNS[..4] {
        if schema.index_of(key).is_err() {
            return Err(bad(format!("no {key} column")));
        }
    }
    let weighted = schema.index_of("sample_weight").is_ok();
    let features: Vec<String> = schema
        .fields()
        .iter()
        .filter(|f| !KEY_COLUMNS.contains(&f.name().as_str()))
        .filter(|f| f.data_type().is_numeric() || f.data_type() == &DataType::Boolean)
        .map(|f| f.name().clone())
        .collect();
    let ignored: Vec<&String> = schema
        .fields()
        .iter()
        .map(|f| f.name())
        .filter(|n| !KEY_COLUMNS.contains(&n.as_str()) && !features.contains(n))
        .collect();
    if !ignored.is_empty() {
        tracing::info!(?ignored, "columns that are not numbers are not features");
    }
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    let mut values = Vec::with_capacity(rows * features.len());
    let mut info = Vec::with_capacity(rows);
    for batch in batches {
        let ids = texts(batch, "post_id")?;
        let platforms = texts(batch, "platform")?;
        let times = timestamps(&column(batch, "published_at")?)?;
        let targets = numbers(batch, "performance_score")?;
        let weights = if weighted {
            numbers(batch, "sample_weight")?
        } else {
            vec![Some(1.0); batch.num_rows()]
        };
        let feature_columns: Vec<Vec<Option<f64>>> = features
            .iter()
            .map(|f| numbers(batch, f))
            .collect::<Result<_, _>>()?;
        for i in 0..batch.num_rows() {
            let id = ids[i]
                .clone()
                .ok_or_else(|| bad(format!("row {} has no post_id", info.len() + 1)))?;
            let missing = |what: &str| bad(format!("post {id} has no {what}"));
            info.push(RowInfo {
                platform: platforms[i].clone().ok_or_else(|| missing("platform"))?,
                published_at: times[i].ok_or_else(|| missing("published_at"))?,
                target: targets[i].ok_or_else(|| missing("performance_score"))?,
                weight: weights[i].ok_or_else(|| missing("sample_weight"))?,
                post_id: id,
            });
            values.extend(feature_columns.iter().map(|c| c[i].unwrap_or(f64::NAN)));
        }
    }
    let matrix = Matrix::new(rows, features.len(), values)?;
    Dataset::new(features, matrix, info, weighted)
}

fn column(batch: &RecordBatch, name: &str) -> Result<ArrayRef, TrainError> {
    batch
        .column_by_name(name)
        .cloned()
        .ok_or_else(|| TrainError::BadDataset(format!("a batch has no {name} column")))
}

/// A column as text (any type that casts to it).
fn texts(batch: &RecordBatch, name: &str) -> Result<Vec<Option<String>>, TrainError> {
    let c = cast(&column(batch, name)?, &DataType::Utf8)
        .map_err(|e| TrainError::BadDataset(format!("{name}: {e}")))?;
    Ok(c.as_string::<i32>()
        .iter()
        .map(|v| v.map(str::to_string))
        .collect())
}

/// A numeric or boolean column as numbers (true = 1).
fn numbers(batch: &RecordBatch, name: &str) -> Result<Vec<Option<f64>>, TrainError> {
    let c = cast(&column(batch, name)?, &DataType::Float64)
        .map_err(|e| TrainError::BadDataset(format!("{name}: {e}")))?;
    Ok(c.as_primitive::<arrow::datatypes::Float64Type>()
        .iter()
        .collect())
}

/// Publication times from a timestamp column or RFC 3339 text.
fn timestamps(column: &ArrayRef) -> Result<Vec<Option<DateTime<Utc>>>, TrainError> {
    let micros = match column.data_type() {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            let text = cast(column, &DataType::Utf8)
                .map_err(|e| TrainError::BadDataset(format!("published_at: {e}")))?;
            return text
                .as_string::<i32>()
                .iter()
                .map(|v| {
                    v.map(|s| {
                        DateTime::parse_from_rfc3339(s)
                            .map(|t| t.with_timezone(&Utc))
                            .map_err(|e| TrainError::BadDataset(format!("published_at {s:?}: {e}")))
                    })
                    .transpose()
                })
                .collect();
        }
        _ => cast(column, &DataType::Timestamp(TimeUnit::Microsecond, None)).map_err(|e| {
            TrainError::BadDataset(format!(
                "published_at must be a timestamp or RFC 3339 text: {e}"
            ))
        })?,
    };
    let micros = micros.as_primitive::<arrow::datatypes::TimestampMicrosecondType>();
    Ok((0..micros.len())
        .map(|i| {
            (!micros.is_null(i))
                .then(|| DateTime::from_timestamp_micros(micros.value(i)))
                .flatten()
        })
        .collect())
}

/// What the lake gives a training run.
#[derive(Debug)]
pub struct LakeTrainingSet {
    /// The assembler that built the rows (its columns are the dataset's).
    pub assembler: FeatureAssembler,
    /// One row per post of `training_posts`.
    pub data: Dataset,
    /// Rows whose image had features (the others train on their context).
    pub with_image_features: usize,
    /// The significant A/B tests whose two designs have features, as rows
    /// of the same columns; `None` when there are none.
    pub ab_pairs: Option<AbPairs>,
}

/// Reads the training set from the lake: `sql/jobs/training_set.sql` for
/// the posts and `sql/jobs/ab_pairs.sql` for the A/B tests, both with the
/// image features of `extractor_version`. With a `brand`, every row (the
/// A/B arms' too) gets a last column, `brand_score`: its image's score
/// against the profile, from the row's features and palette. The views
/// read `settings` (the lake's, with any `--set` applied), e.g. how
/// `training_posts` balances platforms.
pub async fn read_lake(
    lake: &Lake,
    settings: &Settings,
    extractor_version: &str,
    brand: Option<BrandProfile>,
) -> Result<LakeTrainingSet, TrainError> {
    let session = Session::open_with(lake, settings)
        .await
        .map_err(|e| TrainError::Lake {
            step: "opening the lake's tables".into(),
            message: e.to_string(),
        })?;
    let posts = training_posts(&run_job(&session, "training_set", &[extractor_version]).await?)?;
    if posts.is_empty() {
        return Err(TrainError::BadDataset(
            "training_posts is empty: collect or import posts, then `creativeiq validate` to see why rows are rejected"
                .into(),
        ));
    }
    let mut assembler = FeatureAssembler::from_posts(posts.iter().map(|p| &p.context));
    if let Some(profile) = brand {
        assembler = assembler.with_brand(profile);
    }
    let weighted = posts.iter().any(|p| p.weight != 1.0);
    let data = assembler.dataset(&posts, weighted)?;
    let with_image_features = posts.iter().filter(|p| p.image.is_some()).count();
    let ab = run_job(&session, "ab_pairs", &[extractor_version]).await?;
    let ab_pairs = ab_pairs(&assembler, &ab)?;
    Ok(LakeTrainingSet {
        assembler,
        data,
        with_image_features,
        ab_pairs,
    })
}

/// Runs a job of `sql/jobs/` with its parameters ($1, $2, ...).
pub async fn run_job(
    session: &Session,
    job: &'static str,
    params: &[&str],
) -> Result<Vec<RecordBatch>, TrainError> {
    let lake_error = |e: &dyn std::fmt::Display| TrainError::Lake {
        step: format!("sql/jobs/{job}.sql"),
        message: e.to_string(),
    };
    session
        .query(job_sql(job))
        .await
        .map_err(|e| lake_error(&e))?
        .with_param_values(
            params
                .iter()
                .map(|p| ScalarValue::from(*p))
                .collect::<Vec<_>>(),
        )
        .map_err(|e| lake_error(&e))?
        .collect()
        .await
        .map_err(|e| lake_error(&e))
}

/// The image features of each row of a batch with the columns of
/// `features.design`: `None` where `image_sha256` is null (no image, or no
/// features for it).
fn image_features(batch: &RecordBatch) -> Result<Vec<Option<ImageFeatures>>, TrainError> {
    let shas = texts(batch, "image_sha256")?;
    let columns: Vec<Vec<Option<f64>>> = FEATURE_NAMES
        .iter()
        .map(|n| numbers(batch, n))
        .collect::<Result<_, _>>()?;
    let mut palettes = palettes(batch)?.into_iter();
    Ok((0..batch.num_rows())
        .map(|i| {
            let palette = palettes.next().unwrap_or_default();
            shas[i].as_ref().map(|_| {
                ImageFeatures::from_named(|name| {
                    let j = FEATURE_NAMES.iter().position(|n| *n == name)?;
                    columns[j][i]
                })
                .with_palette(palette)
            })
        })
        .collect())
}

/// The `palette` column of `features.design` (a list of `{hex, share}`),
/// one list per row; empty where it is null, and for every row of a batch
/// without the column.
fn palettes(batch: &RecordBatch) -> Result<Vec<Vec<PaletteColor>>, TrainError> {
    let rows = batch.num_rows();
    let Some(column) = batch.column_by_name("palette") else {
        return Ok(vec![Vec::new(); rows]);
    };
    let bad = |m: String| TrainError::BadDataset(format!("palette: {m}"));
    let lists: Vec<Option<ArrayRef>> = match column.data_type() {
        DataType::List(_) => column.as_list::<i32>().iter().collect(),
        DataType::LargeList(_) => column.as_list::<i64>().iter().collect(),
        DataType::Null => vec![None; rows],
        other => {
            return Err(bad(format!(
                "a list of {{hex, share}} expected, not {other}"
            )))
        }
    };
    lists
        .into_iter()
        .map(|list| {
            let Some(list) = list else {
                return Ok(Vec::new());
            };
            let colours = list.as_struct_opt().ok_or_else(|| {
                bad(format!(
                    "a list of {{hex, share}} expected, not of {}",
                    list.data_type()
                ))
            })?;
            let field = |name: &str, to: &DataType| {
                let child = colours
                    .column_by_name(name)
                    .ok_or_else(|| bad(format!("a colour has no {name}")))?;
                cast(child, to).map_err(|e| bad(format!("{name}: {e}")))
            };
            let hex = field("hex", &DataType::Utf8)?;
            let share = field("share", &DataType::Float64)?;
            let (hex, share) = (
                hex.as_string::<i32>(),
                share.as_primitive::<arrow::datatypes::Float64Type>(),
            );
            Ok((0..colours.len())
                .filter(|&i| colours.is_valid(i) && hex.is_valid(i) && share.is_valid(i))
                .map(|i| PaletteColor {
                    hex: hex.value(i).to_string(),
                    share: share.value(i),
                })
                .collect())
        })
        .collect()
}

/// A post as `sql/jobs/training_set.sql` and `sql/jobs/prediction_set.sql`
/// give it: its id, context, image and the image's features.
#[derive(Debug, Clone, PartialEq)]
pub struct PostInput {
    /// The post's id.
    pub post_id: String,
    /// Its context.
    pub context: PostContext,
    /// Its image, when it has one with features.
    pub image_sha256: Option<String>,
    /// That image's features.
    pub image: Option<ImageFeatures>,
}

/// The posts of a batch with the columns of `sql/jobs/prediction_set.sql`.
pub fn post_inputs(batch: &RecordBatch) -> Result<Vec<PostInput>, TrainError> {
    let bad = |m: String| TrainError::BadDataset(m);
    let ids = texts(batch, "post_id")?;
    let platforms = texts(batch, "platform")?;
    let times = timestamps(&column(batch, "published_at")?)?;
    let media = texts(batch, "media_type")?;
    let audience = numbers(batch, "audience_size")?;
    let paid = numbers(batch, "paid")?;
    let captions = texts(batch, "caption")?;
    let hashtags = numbers(batch, "hashtag_count")?;
    let shas = texts(batch, "image_sha256")?;
    let images = image_features(batch)?;
    let mut posts = Vec::with_capacity(batch.num_rows());
    for (i, image) in images.into_iter().enumerate() {
        let id = ids[i]
            .clone()
            .ok_or_else(|| bad("a row has no post_id".into()))?;
        let missing = |what: &str| bad(format!("post {id} has no {what}"));
        let mut context = PostContext {
            platform: platforms[i].clone().ok_or_else(|| missing("platform"))?,
            published_at: times[i].ok_or_else(|| missing("published_at"))?,
            utc_offset_minutes: None,
            media_type: media[i].clone(),
            followers: audience[i].map(|a| a as i64),
            paid: paid[i].map(|p| p != 0.0),
            caption_length: None,
            hashtag_count: None,
        };
        if let Some(caption) = &captions[i] {
            context = context.with_caption(caption);
        }
        // What the source reported wins over a count of the caption (an
        // export may give the count without the text).
        if let Some(h) = hashtags[i] {
            context.hashtag_count = Some(h as i64);
        }
        posts.push(PostInput {
            post_id: id,
            context,
            image_sha256: shas[i].clone(),
            image,
        });
    }
    Ok(posts)
}

/// The posts of `sql/jobs/training_set.sql`, with their label and weight.
pub fn training_posts(batches: &[RecordBatch]) -> Result<Vec<TrainingPost>, TrainError> {
    let mut posts = Vec::new();
    for batch in batches {
        let targets = numbers(batch, "performance_score")?;
        let weights = numbers(batch, "sample_weight")?;
        for (i, post) in post_inputs(batch)?.into_iter().enumerate() {
            let missing = |what: &str| {
                TrainError::BadDataset(format!("training_set: post {} has no {what}", post.post_id))
            };
            posts.push(TrainingPost {
                performance_score: targets[i].ok_or_else(|| missing("performance_score"))?,
                weight: weights[i].ok_or_else(|| missing("sample_weight"))?,
                post_id: post.post_id,
                context: post.context,
                image: post.image,
            });
        }
    }
    Ok(posts)
}

/// The A/B pairs of `sql/jobs/ab_pairs.sql` (two rows per pair, the
/// winner's `won` true), as rows of `assembler`'s columns. Both arms get
/// the test's platform and start time as context, so only their designs
/// differ.
fn ab_pairs(
    assembler: &FeatureAssembler,
    batches: &[RecordBatch],
) -> Result<Option<AbPairs>, TrainError> {
    let bad = |m: String| TrainError::BadDataset(format!("ab_pairs: {m}"));
    #[derive(Default)]
    struct Arms {
        winner: Option<usize>,
        loser: Option<usize>,
        platform: Option<String>,
    }
    let mut arms: BTreeMap<String, Arms> = BTreeMap::new();
    let mut values = Vec::new();
    let mut rows = 0;
    for batch in batches {
        let ids = texts(batch, "pair_id")?;
        let platforms = texts(batch, "platform")?;
        let started = timestamps(&column(batch, "started_at")?)?;
        let won = numbers(batch, "won")?;
        let images = image_features(batch)?;
        for (i, image) in images.into_iter().enumerate() {
            let id = ids[i]
                .clone()
                .ok_or_else(|| bad("a row has no pair_id".into()))?;
            let context = PostContext {
                platform: platforms[i].clone().unwrap_or_default(),
                published_at: started[i].ok_or_else(|| bad(format!("{id} has no started_at")))?,
                media_type: Some("image".into()),
                ..Default::default()
            };
            values.extend(assembler.row(&context, image.as_ref()));
            let entry = arms.entry(id).or_default();
            if won[i] == Some(1.0) {
                entry.winner = Some(rows);
            } else {
                entry.loser = Some(rows);
            }
            entry.platform = platforms[i].clone();
            rows += 1;
        }
    }
    let pairs: Vec<(usize, usize, Option<String>)> = arms
        .into_values()
        .filter_map(|a| Some((a.winner?, a.loser?, a.platform)))
        .collect();
    if pairs.is_empty() {
        return Ok(None);
    }
    let feature_names = assembler.feature_names();
    let features = Matrix::new(rows, feature_names.len(), values)?;
    Ok(Some(AbPairs {
        feature_names,
        features,
        pairs,
    }))
}
