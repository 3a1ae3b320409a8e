//! How a render fails: one error type for reading a run, drawing its
//! charts and writing its files, so the CLI prints one line whatever broke.

use rtbench_format::FileError;
use std::io;
use std::path::PathBuf;

/// A failed render; `Display` is one line naming the file or folder.
#[derive(Debug)]
pub enum ReportError {
    /// No run folder at or under this path.
    NoRun(PathBuf),
    /// A run folder with no bench results at all.
    NoResults(PathBuf),
    /// The run's only files are unreadable; `more` counts further bad files.
    File { error: FileError, more: usize },
    /// Reading or writing a path failed.
    Io { path: PathBuf, error: io::Error },
    /// plotters could not draw a chart.
    Chart { file: String, message: String },
    /// The output folder lies inside a results folder, which is read-only to us.
    OutInsideResults { out: PathBuf, run: PathBuf },
}

impl std::fmt::Display for ReportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let line = match self {
            Self::NoRun(p) => format!(
                "{}: no rtbench run here (no meta.json or bench/ in it or in any folder below it)",
                p.display()
            ),
            Self::NoResults(p) => format!("{}: no bench results in this run", p.display()),
            Self::File { error, more: 0 } => error.to_string(),
            Self::File { error, more } => format!("{error} (and {more} more unreadable files)"),
            Self::Io { path, error } => format!("{}: {error}", path.display()),
            Self::Chart { file, message } => format!("{file}: cannot draw chart ({message})"),
            Self::OutInsideResults { out, run } => format!(
                "{}: output folder is inside the results folder {}; choose another --out",
                out.display(),
                run.display()
            ),
        };
        f.write_str(&line.replace(['\n', '\r'], " "))
    }
}

impl std::error::Error for ReportError {}
