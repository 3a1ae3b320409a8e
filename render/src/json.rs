//! `results.json` (every figure of the model) and its JSON Schema beside it,
//! so other tools can read a report without scraping the page.

use crate::error::ReportError;
use crate::model::Model;
use crate::reporter::{Reporter, write_atomic};
use std::path::{Path, PathBuf};

pub struct JsonReporter;

impl Reporter for JsonReporter {
    fn write(&self, model: &Model, out: &Path) -> Result<Vec<PathBuf>, ReportError> {
        let path = out.join("results.json");
        rtbench_format::write_json_atomic(&path, model).map_err(|error| ReportError::Io {
            path: path.clone(),
            error,
        })?;
        let schema = write_atomic(
            &out.join("results.schema.json"),
            results_schema().as_bytes(),
        )?;
        Ok(vec![path, schema])
    }
}

/// The JSON Schema of `results.json`, generated from [`Model`]'s types (the
/// serialized side: what `results.json` holds). `rtbench schema` prints it;
/// `render/results.schema.json` is its committed copy, checked by a test.
pub fn results_schema() -> String {
    let generator = schemars::generate::SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator();
    let schema = generator.into_root_schema_for::<Model>();
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema serializes");
    text.push('\n');
    text
}
