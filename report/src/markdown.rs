//! `summary.md`: the same tables as the page in GitHub Markdown, with the
//! charts linked as images (they sit beside it).

use crate::fmt::md;
use crate::model::Model;
use crate::{ReportError, Reporter, view, write_atomic};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

pub struct MarkdownReporter;

impl Reporter for MarkdownReporter {
    fn write(&self, model: &Model, out: &Path) -> Result<Vec<PathBuf>, ReportError> {
        let text = summary(model);
        Ok(vec![write_atomic(
            &out.join("summary.md"),
            text.as_bytes(),
        )?])
    }
}

pub fn summary(model: &Model) -> String {
    let mut m = String::new();
    let run = model.run.run_id.as_deref().unwrap_or("unknown run");
    let _ = writeln!(m, "# rtbench report: {}\n", md(run));
    for n in &model.notes {
        let _ = writeln!(m, "> **Note:** {}\n", md(n));
    }
    m.push_str("## How to read this\n\n");
    for p in view::HOW_TO_READ {
        let _ = writeln!(m, "- {}", md(p));
    }
    m.push_str("\n## Environment\n\n| | |\n|---|---|\n");
    for (k, v) in view::environment(model) {
        let _ = writeln!(m, "| {} | {} |", md(&k), md(&v));
    }
    let skipped: Vec<_> = model
        .runtimes
        .iter()
        .filter(|r| r.reason.is_some())
        .collect();
    if !skipped.is_empty() {
        m.push_str("\n## Skipped runtimes\n\n");
        for r in skipped {
            let reason = r.reason.as_deref().unwrap_or("");
            let _ = writeln!(m, "- **{}**: {}", md(&r.name), md(reason));
        }
    }
    if !model.missing.is_empty() {
        m.push_str("\n## Missing results\n\nThis run is partial: these runtimes have no bench file for a case that others have.\n\n");
        for x in &model.missing {
            let _ = writeln!(
                m,
                "- **{}**: {} {}",
                md(&x.runtime),
                md(&x.workload),
                md(&x.case)
            );
        }
    }
    if !model.problems.is_empty() {
        m.push_str(
            "\n## Problems\n\nThese files could not be read; the report shows everything else.\n\n",
        );
        for p in &model.problems {
            let _ = writeln!(m, "- `{}`: {}", p.file.replace('`', "'"), md(&p.message));
        }
    }
    for w in &model.workloads {
        let _ = writeln!(m, "\n## {}", md(&w.name));
        for t in &w.tables {
            let cols = view::columns(t, model.baseline.is_some());
            let _ = writeln!(m, "\n### {}\n\n_{}_\n", md(&t.title), md(&view::caption(t)));
            let headers: Vec<String> = cols.iter().map(|c| md(&c.header)).collect();
            let aligns: Vec<&str> = cols
                .iter()
                .map(|c| if c.numeric { "---:" } else { "---" })
                .collect();
            let _ = writeln!(m, "| {} |\n|{}|", headers.join(" | "), aligns.join("|"));
            for r in &t.rows {
                let cells: Vec<String> = if r.status != "ok" {
                    let mut v = vec![md(&r.runtime)];
                    v.push(format!(
                        "**failed**: {}",
                        md(r.error.as_deref().unwrap_or(""))
                    ));
                    v.resize(cols.len(), String::new());
                    v
                } else {
                    cols.iter()
                        .map(|c| {
                            let cell = (c.cell)(r);
                            match cell.class {
                                Some("faster") | Some("slower") => {
                                    format!("**{}**", md(&cell.joined()))
                                }
                                _ => md(&cell.joined()),
                            }
                        })
                        .collect()
                };
                let _ = writeln!(m, "| {} |", cells.join(" | "));
            }
            for c in &t.charts {
                let _ = writeln!(m, "\n![{}]({})", md(&c.title), c.file);
            }
        }
    }
    m
}
