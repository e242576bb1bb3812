//! Integration tests: the `creativeiq` binary and library against real lakes
//! (a temporary directory, and S3 on a local moto server).

mod common;
mod import;
mod lake;
mod query;
mod s3;
