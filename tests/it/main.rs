//! Integration tests: the `creativeiq` binary and library against real lakes
//! (a temporary directory, and S3 on a local moto server).

mod collect;
mod common;
mod features;
mod import;
mod insight;
mod lake;
mod predict;
mod quality;
mod query;
mod report;
mod retrain;
mod s3;
mod synth;
mod train;
mod train_brand;
