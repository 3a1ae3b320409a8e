//! Renders raw results (see rtbench-format) into reports.
//!
//! Laid out like criterion.rs, in layers whose imports only point down:
//! [`read`] reads a run's files; [`model`] turns them into one in-memory
//! [`Model`] (its types first, then the builders that fill them); the
//! reporters ([`chart`], [`html`], [`markdown`], [`json`], with [`view`]
//! for what they share) implement [`Reporter`] and only ever read that
//! model. [`fmt`], [`rank`], [`reading`] and [`noise`] are leaves any layer
//! may use. This file holds only the entry points; what a render shares
//! lives below it ([`error`], [`reporter`], the staging folder in `staged.rs`).

pub mod chart;
pub mod error;
pub mod fmt;
pub mod html;
pub mod json;
pub mod markdown;
pub mod model;
pub mod noise;
pub mod rank;
pub mod read;
pub mod reading;
pub mod reporter;
mod staged;
pub mod view;

pub use error::ReportError;
pub use json::results_schema;
pub use model::{Model, REPORT_SCHEMA_VERSION};
pub use read::CargoLock;
pub use reporter::Reporter;

use staged::Staged;
use std::path::{Path, PathBuf};

/// The folder inside a run folder where its own report is rendered.
pub const REPORT_DIR: &str = "report";

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

/// What a render wrote, the unreadable files it worked around, and its
/// warnings (the report's notes: e.g. a figure it had to leave out).
#[derive(Debug, Clone)]
pub struct Rendered {
    pub files: Vec<PathBuf>,
    pub problems: Vec<String>,
    pub warnings: Vec<String>,
}

/// Loads the run (and baseline), builds the model, and writes every format.
pub fn render(opts: &Options) -> Result<Rendered, ReportError> {
    render_selected(opts, None)
}

/// Whether a report can be rendered into `out`: a render's checks, and its
/// staging folder made and removed (`rtbench run` asks before it measures).
pub fn check_out(out: &Path) -> Result<(), ReportError> {
    Staged::new(out).map(drop)
}

/// [`render`] for a run that asked for `selected` (its ids; `None`: what
/// its meta.json recorded), so that what it lost is listed as missing even
/// when its meta.json could not record the selection.
///
/// The report is written into a new folder beside `opts.out` and swapped in
/// whole (`staged.rs`): a render that fails partway leaves the folder as
/// it was, never old and new files mixed.
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
