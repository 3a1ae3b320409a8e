//! The one in-memory model every reporter reads. It is also, serialized, the
//! body of `results.json`, so its field names are a versioned contract
//! (`REPORT_SCHEMA_VERSION`, `results.schema.json`).
//!
//! `types` holds the model's types and computes nothing; the builders fill
//! them from a read run and import only those types and each other, in one
//! direction: `build` (the whole model, closed-loop tables) uses `open_loop`
//! (open-loop groups), `rounds` (an id's rounds merged), `names` (titles,
//! order, slugs) and `overview` (built last, from the rest).

mod beside;
mod build;
mod names;
mod open_loop;
mod overview;
mod rounds;
#[cfg(test)]
mod tests;
mod types;

pub use build::build;
pub use names::{case_title, natural_cmp, slug, workload_about, workload_title};
pub use types::*;
