//! A report written into a fresh folder beside its destination and swapped
//! in whole, so a render that fails partway leaves the old report as it was.

use crate::error::ReportError;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// A report being written into a fresh folder beside its destination
/// (`.<name>.new-<pid>-<n>`); dropped before [`Staged::swap_in`], it removes
/// that folder and leaves the destination untouched.
pub(crate) struct Staged {
    /// The destination as given (the paths returned name it so).
    given: PathBuf,
    /// The destination as a real absolute path.
    out: PathBuf,
    pub(crate) tmp: PathBuf,
    done: bool,
}

/// Files a render writes, by name: a destination's files of these names are
/// an older render's (charts of cases no longer there included) and are
/// replaced; any other file (e.g. `reports/README.md`) is kept.
fn rendered_name(name: &str) -> bool {
    name.ends_with(".svg")
        || matches!(
            name,
            "index.html" | "summary.md" | "results.json" | "results.schema.json"
        )
}

impl Staged {
    pub(crate) fn new(given: &Path) -> Result<Staged, ReportError> {
        let err_at = |path: &Path| {
            let path = path.to_path_buf();
            move |error| ReportError::Io { path, error }
        };
        // The real folder (a symlinked `out` keeps its link), made absolute
        // so that its parent and name are known.
        let out = match fs::canonicalize(given) {
            Ok(real) => real,
            Err(_) => std::path::absolute(given).map_err(err_at(given))?,
        };
        let (Some(parent), Some(name)) = (out.parent(), out.file_name()) else {
            return Err(ReportError::Io {
                path: out.clone(),
                error: io::Error::new(io::ErrorKind::InvalidInput, "not a folder to render into"),
            });
        };
        if let Ok(cwd) = std::env::current_dir().and_then(fs::canonicalize)
            && cwd.starts_with(&out)
        {
            return Err(ReportError::Io {
                path: out.clone(),
                error: io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "the report folder is replaced whole; choose one that is not the current folder or above it",
                ),
            });
        }
        if out.exists() && !out.is_dir() {
            return Err(ReportError::Io {
                path: out.clone(),
                error: io::Error::new(io::ErrorKind::AlreadyExists, "not a folder"),
            });
        }
        fs::create_dir_all(parent).map_err(err_at(parent))?;
        let tmp = sibling(parent, name, "new").map_err(err_at(&out))?;
        Ok(Staged {
            given: given.to_path_buf(),
            out,
            tmp,
            done: false,
        })
    }

    /// Replaces the destination by the new folder: the old one's files that
    /// are not a render's move into the new one, the old folder is renamed
    /// away, the new one renamed in, and the old one removed. A step that
    /// fails undoes the steps before it. Returns `written` as paths in the
    /// destination, and a warning if the old folder could not be removed.
    pub(crate) fn swap_in(
        mut self,
        written: &[PathBuf],
    ) -> Result<(Vec<PathBuf>, Option<String>), ReportError> {
        let err_at = |path: &Path| {
            let path = path.to_path_buf();
            move |error| ReportError::Io { path, error }
        };
        let (out, tmp) = (self.out.clone(), self.tmp.clone());
        let files: Vec<PathBuf> = written
            .iter()
            .map(|f| self.given.join(f.strip_prefix(&tmp).unwrap_or(f)))
            .collect();
        if !out.exists() {
            fs::rename(&tmp, &out).map_err(err_at(&out))?;
            self.done = true;
            return Ok((files, None));
        }
        // Keep what is not a render's (moved, so nothing is copied).
        let mut kept = Vec::new();
        let undo = |kept: &[std::ffi::OsString], from: &Path, to: &Path| {
            for name in kept {
                let _ = fs::rename(from.join(name), to.join(name));
            }
        };
        for entry in fs::read_dir(&out).map_err(err_at(&out))? {
            let entry = entry.map_err(err_at(&out))?;
            let name = entry.file_name();
            let theirs = name.to_str().is_some_and(rendered_name) && !entry.path().is_dir();
            if theirs || tmp.join(&name).exists() {
                continue;
            }
            if let Err(error) = fs::rename(entry.path(), tmp.join(&name)) {
                undo(&kept, &tmp, &out);
                return Err(ReportError::Io {
                    path: entry.path(),
                    error,
                });
            }
            kept.push(name);
        }
        let parent = out.parent().unwrap_or(Path::new("/"));
        let name = out.file_name().unwrap_or_default();
        let old = match sibling(parent, name, "old") {
            Ok(old) => old,
            Err(error) => {
                undo(&kept, &tmp, &out);
                return Err(ReportError::Io { path: out, error });
            }
        };
        // `old` is an empty folder of ours: renaming a folder onto it replaces it.
        if let Err(error) = fs::rename(&out, &old) {
            let _ = fs::remove_dir(&old);
            undo(&kept, &tmp, &out);
            return Err(ReportError::Io { path: out, error });
        }
        if let Err(error) = fs::rename(&tmp, &out) {
            let _ = fs::rename(&old, &out);
            undo(&kept, &tmp, &out);
            return Err(ReportError::Io { path: out, error });
        }
        self.done = true;
        let left = fs::remove_dir_all(&old).err().map(|e| {
            format!(
                "{}: the previous report could not be removed ({e})",
                old.display()
            )
        });
        Ok((files, left))
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.done {
            let _ = fs::remove_dir_all(&self.tmp);
        }
    }
}

/// A new empty folder `.<name>.<what>-<pid>-<n>` in `parent`, created exclusively.
fn sibling(parent: &Path, name: &std::ffi::OsStr, what: &str) -> io::Result<PathBuf> {
    let name = name.to_string_lossy();
    for n in 0..1_000u32 {
        let path = parent.join(format!(".{name}.{what}-{}-{n}", std::process::id()));
        match fs::create_dir(&path) {
            Ok(()) => return Ok(path),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!("no free name for a .{name}.{what} folder"),
    ))
}
