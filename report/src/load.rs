//! Reading a run folder: finds the run, keeps every readable file and names
//! every unreadable one, so one bad file never hides the rest of a run.

use crate::ReportError;
use rtbench_results::{BenchResult, FileError, RunDir, RunMeta, latest_run};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Crates whose versions the Environment block shows when meta.json has none.
pub const LOCK_CRATES: &[&str] = &[
    "tokio",
    "smol",
    "async-std",
    "async-executor",
    "async-io",
    "glommio",
    "tokio-uring",
    "monoio",
    "compio",
    "criterion",
    "hdrhistogram",
];

/// One run as read from disk: what was readable, and what was not.
#[derive(Debug)]
pub struct LoadedRun {
    pub dir: PathBuf,
    pub meta: Option<RunMeta>,
    pub benches: Vec<BenchResult>,
    pub problems: Vec<FileError>,
}

/// A run folder holds meta.json or bench/; anything else is a root of runs.
pub fn resolve(path: &Path) -> Result<RunDir, ReportError> {
    if !path.is_dir() {
        return Err(ReportError::Io {
            path: path.to_path_buf(),
            error: std::io::Error::new(std::io::ErrorKind::NotFound, "no such folder"),
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
    let run = resolve(path)?;
    let (benches, bad) = run.read_benches();
    let (meta, mut problems) = match run.read_meta() {
        Ok(m) => (Some(m), Vec::new()),
        Err(e) => (None, vec![e]),
    };
    problems.extend(bad);
    if benches.is_empty() {
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
    })
}

/// Versions of [`LOCK_CRATES`] from a Cargo.lock; several versions of one
/// crate are joined with ", ".
pub fn lock_versions(path: &Path) -> Result<BTreeMap<String, String>, FileError> {
    #[derive(Deserialize)]
    struct Lock {
        #[serde(default)]
        package: Vec<Package>,
    }
    #[derive(Deserialize)]
    struct Package {
        name: String,
        version: String,
    }
    let err = |message: String| FileError {
        path: path.to_path_buf(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let lock: Lock =
        toml::from_str(&text).map_err(|e| err(format!("not a Cargo.lock ({})", e.message())))?;
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for p in lock.package {
        if LOCK_CRATES.contains(&p.name.as_str()) {
            out.entry(p.name)
                .and_modify(|v| *v = format!("{v}, {}", p.version))
                .or_insert(p.version);
        }
    }
    Ok(out)
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
