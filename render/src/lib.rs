//! Renders raw results (see rtbench-format) into reports.
//!
//! Laid out like criterion.rs: [`load`] reads files, [`model`] turns them into
//! one in-memory [`Model`], and small reporters (HTML, Markdown, JSON, SVG
//! charts) share the [`Reporter`] trait and only ever read that model.

pub mod chart;
pub mod fmt;
pub mod html;
pub mod json;
pub mod load;
pub mod markdown;
pub mod model;
pub mod noise;
pub mod overview;
pub mod rank;
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
/// intervals on open-loop steps.
pub const REPORT_SCHEMA_VERSION: u32 = 5;

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

/// What a render wrote, and the unreadable files it worked around.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub files: Vec<PathBuf>,
    pub problems: Vec<String>,
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
    let run = load::load(&opts.results)?;
    let baseline = opts.baseline.as_deref().map(load::load).transpose()?;
    for dir in std::iter::once(&run.dir).chain(baseline.as_ref().map(|b| &b.dir)) {
        // A run's own `report/` folder is its place for the rendered report
        // (`rtbench run`); the loader reads only meta.json and bench/ there.
        let own = load::is_inside(&opts.out, &dir.join(REPORT_DIR));
        if load::is_inside(&opts.out, dir) && !own {
            return Err(ReportError::OutInsideResults {
                out: opts.out.clone(),
                run: dir.clone(),
            });
        }
    }
    let lock = opts.cargo_lock.as_ref();
    let model = model::build(&run, baseline.as_ref(), lock);
    let charts = chart::render_all(&model)?;
    fs::create_dir_all(&opts.out).map_err(|error| ReportError::Io {
        path: opts.out.clone(),
        error,
    })?;
    let reporters: [&dyn Reporter; 4] = [
        &chart::SvgReporter { charts: &charts },
        &html::HtmlReporter { charts: &charts },
        &markdown::MarkdownReporter,
        &json::JsonReporter,
    ];
    let mut files = Vec::new();
    for r in reporters {
        files.extend(r.write(&model, &opts.out)?);
    }
    let problems = model.problems.iter().map(|p| p.to_string()).collect();
    Ok(Rendered { files, problems })
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
