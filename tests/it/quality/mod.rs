//! The quality stage: views, checks, `validate` and `report quality`.

mod checks;
mod report;
mod views;
pub(crate) mod world;
