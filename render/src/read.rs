//! Reading a run folder: finds the run, keeps every readable file and names
//! every unreadable one, so one bad file never hides the rest of a run.

use crate::error::ReportError;
use rtbench_format::{BenchResult, FileError, RunDir, RunMeta, latest_run};

use std::path::{Path, PathBuf};

/// One run as read from disk: what was readable, and what was not.
#[derive(Debug)]
pub struct LoadedRun {
    pub dir: PathBuf,
    pub meta: Option<RunMeta>,
    pub benches: Vec<BenchResult>,
    pub problems: Vec<FileError>,
    /// The ids the run asked for (meta.json `selected`, or what the caller
    /// knows it asked for); empty when not recorded.
    pub selected: Vec<String>,
}

/// A Cargo.lock and the crates to read from it: the report's fallback for a
/// run whose meta.json recorded no versions.
#[derive(Debug, Clone)]
pub struct CargoLock {
    pub path: PathBuf,
    /// The crates a run would record (the adapters' `CRATES`, the load
    /// generator's, criterion).
    pub crates: Vec<&'static str>,
}

/// A run folder holds meta.json or bench/; anything else is a root of runs.
pub fn resolve(path: &Path) -> Result<RunDir, ReportError> {
    if !path.is_dir() {
        let (kind, what) = match path.exists() {
            true => (std::io::ErrorKind::NotADirectory, "a file, not a folder"),
            false => (std::io::ErrorKind::NotFound, "no such folder"),
        };
        return Err(ReportError::Io {
            path: path.to_path_buf(),
            error: std::io::Error::new(kind, what),
        });
    }
    if path.join("meta.json").exists() || path.join("bench").is_dir() {
        return Ok(RunDir {
            path: path.to_path_buf(),
        });
    }
    latest_run(path).ok_or_else(|| ReportError::NoRun(path.to_path_buf()))
}

/// Reads a run. Fails (naming the file) only when no bench file is usable.
pub fn load(path: &Path) -> Result<LoadedRun, ReportError> {
    load_selected(path, None)
}

/// Reads a run that asked for `selected` (else what its meta.json says it
/// asked for). A run that asked for something may have no bench file at all
/// (every result lost): it still loads, everything it asked for missing.
/// Otherwise fails (naming the file) when no bench file is usable.
pub fn load_selected(path: &Path, selected: Option<&[String]>) -> Result<LoadedRun, ReportError> {
    let run = resolve(path)?;
    let (benches, bad) = run.read_benches();
    let (meta, mut problems) = match run.read_meta() {
        Ok(m) => (Some(m), Vec::new()),
        Err(e) => (None, vec![e]),
    };
    problems.extend(bad);
    let selected = match selected {
        Some(s) => s.to_vec(),
        None => meta
            .as_ref()
            .map(|m| m.selected.clone())
            .unwrap_or_default(),
    };
    if benches.is_empty() && selected.is_empty() {
        let mut errors = problems.into_iter();
        return Err(match errors.next() {
            Some(error) => ReportError::File {
                error,
                more: errors.len(),
            },
            None => ReportError::NoResults(run.bench_dir()),
        });
    }
    Ok(LoadedRun {
        dir: run.path,
        meta,
        benches,
        problems,
        selected,
    })
}

/// Whether `out` is `dir` or lies below it (paths made absolute without
/// needing `out` to exist yet).
pub fn is_inside(out: &Path, dir: &Path) -> bool {
    let (Some(out), Some(dir)) = (absolute(out), absolute(dir)) else {
        return false;
    };
    out.starts_with(dir)
}

fn absolute(p: &Path) -> Option<PathBuf> {
    if let Ok(c) = p.canonicalize() {
        return Some(c);
    }
    let abs = std::path::absolute(p).ok()?;
    let mut tail = Vec::new();
    let mut head = abs.as_path();
    while !head.exists() {
        tail.push(head.file_name()?.to_owned());
        head = head.parent()?;
    }
    let mut base = head.canonicalize().ok()?;
    base.extend(tail.iter().rev());
    Some(base)
}
