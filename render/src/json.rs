//! `results.json` (every figure of the model) and its JSON Schema beside it,
//! so other tools can read a report without scraping the page.

use crate::model::Model;
use crate::{ReportError, Reporter, results_schema, write_atomic};
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
