//! Renders raw results (see rtbench-format) into reports.
//!
//! Laid out like criterion.rs: [`load`] reads files, [`model`] turns them into
//! one in-memory [`Model`], and small reporters (HTML, Markdown, JSON, SVG
//! charts) share the [`Reporter`] trait and only ever read that model.

pub mod chart;
pub mod fmt;
pub mod html;
pub mod json;
pub mod markdown;
pub mod model;
pub mod noise;
pub mod overview;
pub mod rank;
pub mod read;
pub mod reading;
pub mod view;

pub use model::Model;

use rtbench_format::FileError;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Version of `results.json`; bumped whenever a field changes meaning, so old
/// reports stay readable (iai-callgrind style, with `results.schema.json`).
/// 2 added `latency_under_load` (the open-loop `latency` workload); 3 added
/// rounds (`round`, `rounds`, `spread`, `noisy` on every row; `rounds`,
/// `seed`, `orders` of a run), `failures` and `overview`; 4 added
/// `uneven_work` (the open-loop `work` workload) with `workload` and
/// `reading` on open-loop groups, `at_80` and CPU per step on their rows,
/// and the server cores, generator threads and request costs of their setup;
/// 5 gave every row its 95% interval (`ci`, `half_width`, `halves`; `noisy`
/// is gone), ties (`tied_with_best`, `rank_group`), the split-half check
/// (`split_half` per table and in the overview), interference (`noise`,
/// `interference`, `run_delay`, `slow_trials`) and pooled trials' target
/// intervals on open-loop steps; 6 gave `missing` entries their `rounds`.
pub const REPORT_SCHEMA_VERSION: u32 = 6;

/// The folder inside a run folder where its own report is rendered.
pub const REPORT_DIR: &str = "report";

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

/// What `rtbench report` asks for.
#[derive(Debug, Clone)]
pub struct Options {
    /// A run folder (holds meta.json or bench/) or a root of run folders (the newest is used).
    pub results: PathBuf,
    pub out: PathBuf,
    /// A run folder or root, same rule as `results`.
    pub baseline: Option<PathBuf>,
    /// Where to read crate versions from when meta.json records none.
    pub cargo_lock: Option<CargoLock>,
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

/// What a render wrote, the unreadable files it worked around, and its
/// warnings (the report's notes: e.g. a figure it had to leave out).
#[derive(Debug, Clone)]
pub struct Rendered {
    pub files: Vec<PathBuf>,
    pub problems: Vec<String>,
    pub warnings: Vec<String>,
}

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

/// One output format. Reporters only read the model, so each can be tested alone.
pub trait Reporter {
    /// Writes this format's files into `out` and returns their paths.
    fn write(&self, model: &Model, out: &Path) -> Result<Vec<PathBuf>, ReportError>;
}

/// Loads the run (and baseline), builds the model, and writes every format.
pub fn render(opts: &Options) -> Result<Rendered, ReportError> {
    render_selected(opts, None)
}

/// [`render`] for a run that asked for `selected` (its ids; `None`: what
/// its meta.json recorded), so that what it lost is listed as missing even
/// when its meta.json could not record the selection.
///
/// The report is written into a new folder beside `opts.out` and swapped in
/// whole (`Staged::swap_in`): a render that fails partway leaves the folder as
/// it was, never old and new files mixed.
/// Whether a report can be rendered into `out`: a render's checks, and its
/// staging folder made and removed (`rtbench run` asks before it measures).
pub fn check_out(out: &Path) -> Result<(), ReportError> {
    Staged::new(out).map(drop)
}

pub fn render_selected(
    opts: &Options,
    selected: Option<&[String]>,
) -> Result<Rendered, ReportError> {
    let run = read::load_selected(&opts.results, selected)?;
    let baseline = opts.baseline.as_deref().map(read::load).transpose()?;
    for dir in std::iter::once(&run.dir).chain(baseline.as_ref().map(|b| &b.dir)) {
        // A run's own `report/` folder is its place for the rendered report
        // (`rtbench run`); the loader reads only meta.json and bench/ there.
        let own = read::is_inside(&opts.out, &dir.join(REPORT_DIR));
        if read::is_inside(&opts.out, dir) && !own {
            return Err(ReportError::OutInsideResults {
                out: opts.out.clone(),
                run: dir.clone(),
            });
        }
    }
    let lock = opts.cargo_lock.as_ref();
    let model = model::build(&run, baseline.as_ref(), lock);
    let charts = chart::render_all(&model)?;
    let out = Staged::new(&opts.out)?;
    let reporters: [&dyn Reporter; 4] = [
        &chart::SvgReporter { charts: &charts },
        &html::HtmlReporter { charts: &charts },
        &markdown::MarkdownReporter,
        &json::JsonReporter,
    ];
    let mut written = Vec::new();
    for r in reporters {
        written.extend(r.write(&model, &out.tmp)?);
    }
    let (files, left) = out.swap_in(&written)?;
    let problems = model.problems.iter().map(|p| p.to_string()).collect();
    let mut warnings = model.notes.clone();
    warnings.extend(left);
    Ok(Rendered {
        files,
        problems,
        warnings,
    })
}

/// A report being written into a fresh folder beside its destination
/// (`.<name>.new-<pid>-<n>`); dropped before [`Staged::swap_in`], it removes
/// that folder and leaves the destination untouched.
struct Staged {
    /// The destination as given (the paths returned name it so).
    given: PathBuf,
    /// The destination as a real absolute path.
    out: PathBuf,
    tmp: PathBuf,
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
    fn new(given: &Path) -> Result<Staged, ReportError> {
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
    fn swap_in(
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

/// Writes `bytes` to `path` atomically ([`rtbench_format::write_atomic`]),
/// so a reader never sees half a page.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<PathBuf, ReportError> {
    rtbench_format::write_atomic(path, bytes).map_err(|error| ReportError::Io {
        path: path.to_path_buf(),
        error,
    })?;
    Ok(path.to_path_buf())
}
