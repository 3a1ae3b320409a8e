//! What every output format (HTML, Markdown, JSON, SVG charts) implements,
//! and how each writes its files.

use crate::error::ReportError;
use crate::model::Model;
use std::path::{Path, PathBuf};

/// One output format. Reporters only read the model, so each can be tested alone.
pub trait Reporter {
    /// Writes this format's files into `out` and returns their paths.
    fn write(&self, model: &Model, out: &Path) -> Result<Vec<PathBuf>, ReportError>;
}

/// Writes `bytes` to `path` atomically ([`rtbench_format::write_atomic`]),
/// so a reader never sees half a page.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<PathBuf, ReportError> {
    rtbench_format::write_atomic(path, bytes).map_err(|error| ReportError::Io {
        path: path.to_path_buf(),
        error,
    })?;
    Ok(path.to_path_buf())
}
