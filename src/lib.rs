//! CreativeIQ predicts how well a visual design will perform before it is
//! published, and explains why: a columnar pipeline on Arrow, Parquet and
//! DataFusion over an object-store lake.
//!
//! Each stage is a module that reads and writes lake tables, and talks to the
//! others only through those tables and the contracts in `schemas/`:
//!
//! - [`lake`]: the object store, partitioned Parquet writes, blobs;
//! - [`contract`]: the table and payload contracts;
//! - [`ingest`]: the landing engine (rows or rejects) under import and collect;
//! - [`import`]: exports a team already has (JSON, CSV);
//! - [`query`]: DataFusion SQL over the lake's tables and views;
//! - [`quality`]: the data-quality checks, their history and the quality report;
//! - [`features`]: visual features of every image (FEATURES.md);
//! - [`collect`]: the platform collectors (one engine, one adapter each);
//! - [`sim`]: a local simulator of the platforms' APIs;
//! - [`synth`]: a synthetic design world with a known ground truth.
//! - [`train`]: models of the performance score, their metrics and champions;
//! - [`predict`]: a model's score for a new design, with its explanation;
//! - [`insight`]: brand consistency, trends, competitive analysis;
//! - [`retrain`]: the weekly champion/challenger retrain and model monitoring;
//! - [`report`]: the HTML reports (quality, models) and their shared charts;
//! - [`stats`]: the distributions and tests the stages share.
#![warn(missing_docs)]

pub mod collect;
pub mod contract;
pub mod features;
pub mod hue_template;
pub mod import;
pub mod ingest;
pub mod insight;
pub mod lake;
pub mod predict;
pub mod quality;
pub mod query;
pub mod report;
pub mod retrain;
pub mod sim;
pub mod stats;
pub mod synth;
pub mod train;
