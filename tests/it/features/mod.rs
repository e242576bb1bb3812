//! The feature extractor: decoding, pixel statistics against independent
//! implementations, layout and typography against ground truth, and the
//! batch job over the lake.

mod batch;
mod canonical;
mod canvas;
mod decode_errors;
mod design;
mod reference;
