//! `summary.md`: the same tables as the page in GitHub Markdown, with the
//! charts linked as images (they sit beside it).

use crate::error::ReportError;
use crate::fmt::md;
use crate::model::{ChartRef, LoadGroup, Model, Section, WORK_WORKLOAD};
use crate::reporter::{Reporter, write_atomic};
use crate::view;
use crate::view::{Column, TableRow};
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
    overview(&mut m, model);
    m.push_str("## How to read this\n\n");
    for p in view::HOW_TO_READ {
        let _ = writeln!(m, "- {}", md(p));
    }
    m.push_str("\n## Environment\n\n| | |\n|---|---|\n");
    for (k, v) in view::environment(model) {
        let _ = writeln!(m, "| {} | {} |", md(&k), md(&v));
    }
    if model.noise.as_ref().is_some_and(|n| !n.probes.is_empty()) {
        let _ = writeln!(
            m,
            "\n![CPU probes]({})\n\n_{}_",
            crate::noise::TIMELINE_FILE,
            md(crate::noise::TIMELINE_KEY)
        );
    }
    let others = view::others(model);
    if !others.is_empty() {
        let [a, b, c] = view::OTHERS_HEADER;
        let _ = writeln!(m, "\n| {a} | {b} | {c} |\n|---|---:|---:|");
        for [name, pid, cpu] in &others {
            let _ = writeln!(m, "| {} | {pid} | {cpu} |", md(name));
        }
    }
    for list in view::lists(model) {
        let _ = writeln!(m, "\n## {}\n", md(list.anchor.heading));
        if !list.intro.is_empty() {
            let _ = writeln!(m, "{}\n", md(list.intro));
        }
        for i in &list.items {
            let lead = if i.lead_is_file {
                format!("`{}`", i.lead.replace('`', "'"))
            } else {
                format!("**{}**", md(&i.lead))
            };
            let _ = writeln!(m, "- {lead}: {}", md(&i.text));
        }
    }
    for section in model.sections() {
        match section {
            Section::Workload(w) => {
                let _ = writeln!(m, "\n## {}", md(crate::model::workload_title(&w.name)));
                if w.name == "echo" {
                    let more = if model.latency_under_load.is_empty() {
                        md(view::NO_LOAD_NOTE)
                    } else {
                        "See [Latency under load](#latency-under-load) for latency at fixed offered rates.".into()
                    };
                    let _ = writeln!(m, "\n{} {more}", md(view::CLOSED_LOOP_NOTE));
                }
                for t in &w.tables {
                    let cols = view::columns(t, model.baseline.is_some());
                    let _ = writeln!(
                        m,
                        "\n### {}\n\n_{}_\n",
                        md(&t.scope.title),
                        md(&view::caption(t))
                    );
                    table(&mut m, &cols, &t.rows);
                    let stats: Vec<_> = t.rows.iter().map(|r| &r.round_stats).collect();
                    checks(
                        &mut m,
                        view::checks_line(t.wide_rows, &stats, &t.split_half),
                    );
                    if let Some(r) = &t.reading {
                        let _ = writeln!(m, "\n**{}**", md(r));
                    }
                    images(&mut m, &t.charts);
                }
            }
            Section::LatencyUnderLoad(groups) => {
                load_section(&mut m, model, &view::LATENCY_SECTION, groups)
            }
            Section::UnevenWork(groups) => load_section(&mut m, model, &view::WORK_SECTION, groups),
            Section::HttpUnderLoad(groups) => {
                load_section(&mut m, model, &view::HTTP_SECTION, groups)
            }
        }
    }
    m
}

/// An open-loop section: its method and key, for uneven work the summary
/// across mixes, then per group its table, reading, failures and charts.
fn load_section(m: &mut String, model: &Model, s: &view::LoadSection, groups: &[LoadGroup]) {
    let _ = writeln!(
        m,
        "\n## {}\n\n{}\n\n_{}_",
        md(s.heading),
        md(s.method),
        md(s.key)
    );
    let missing = view::missing_here(model, s.workload);
    if !missing.is_empty() {
        let _ = writeln!(m, "\n> **Missing here:** {}.", md(&missing.join("; ")));
    }
    if s.workload == WORK_WORKLOAD {
        let _ = writeln!(
            m,
            "\n### Capacity across mixes\n\n_{}_\n",
            md(&view::work_summary_caption(groups))
        );
        table(
            m,
            &view::work_summary_columns(groups),
            &view::work_summary(groups),
        );
    }
    for g in groups {
        let cols = view::load_columns(g);
        let _ = writeln!(
            m,
            "\n### {}\n\n_{}_\n",
            md(&g.scope.title),
            md(&view::load_caption(g))
        );
        table(m, &cols, &g.rows);
        let stats: Vec<_> = g.rows.iter().map(|r| &r.round_stats).collect();
        checks(m, view::checks_line(g.wide_rows, &stats, &g.split_half));
        if let Some(r) = &g.reading {
            let _ = writeln!(m, "\n**{}**", md(r));
        }
        let failed: Vec<&str> = g
            .rows
            .iter()
            .filter(|r| r.failure().is_some())
            .map(|r| r.runtime())
            .collect();
        if !failed.is_empty() {
            let _ = writeln!(
                m,
                "\nFailed, so not in the latency charts: {}.",
                md(&failed.join(", "))
            );
        }
        images(m, &g.charts);
    }
}

/// The matrix of ratios to each case's best and the counts of what did not
/// run, each linked to its list.
fn overview(m: &mut String, model: &Model) {
    let o = &model.overview;
    m.push_str("## Overview\n\n");
    if let Some(line) = view::rounds_line(o) {
        let _ = writeln!(m, "{}\n", md(&line));
    }
    if !o.cases.is_empty() {
        table(m, &view::overview_columns(o), &o.runtimes);
        let _ = writeln!(m, "\n_{}_\n", md(view::OVERVIEW_KEY));
    }
    let counts: Vec<String> = view::overview_counts(model)
        .into_iter()
        .map(|(text, anchor)| match anchor {
            Some(a) => format!("[{}](#{})", md(&text), heading_anchor(a.heading)),
            None => md(&text),
        })
        .collect();
    let _ = writeln!(m, "Results: {}.\n", counts.join(" · "));
    let _ = writeln!(m, "{}\n", md(&view::split_half_line(o)));
    if let Some((line, passed)) = view::generator_check_line(o) {
        let mark = if passed { "" } else { "**Warning:** " };
        let _ = writeln!(m, "{mark}{}\n", md(&line));
    }
}

/// The anchor GitHub gives a heading: lower case, punctuation dropped,
/// spaces as hyphens.
fn heading_anchor(heading: &str) -> String {
    heading
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// A GitHub table; a row that did not measure shows its status and error in
/// place of its figures.
fn table<R: TableRow>(m: &mut String, cols: &[Column<'_, R>], rows: &[R]) {
    let headers: Vec<String> = cols.iter().map(|c| md(&c.header)).collect();
    let aligns: Vec<&str> = cols
        .iter()
        .map(|c| if c.numeric { "---:" } else { "---" })
        .collect();
    let _ = writeln!(m, "| {} |\n|{}|", headers.join(" | "), aligns.join("|"));
    for r in rows {
        let cells: Vec<String> = if let Some(error) = r.failure() {
            let mut v = vec![md(r.runtime())];
            v.push(format!("**{}**: {}", r.status(), md(error)));
            v.resize(cols.len(), String::new());
            v
        } else {
            cols.iter()
                .map(|c| {
                    let cell = (c.cell)(r);
                    match cell.class {
                        Some("faster" | "slower" | "wide" | "best" | "tied") => {
                            format!("**{}**", md(&cell.joined()))
                        }
                        _ => md(&cell.joined()),
                    }
                })
                .collect()
        };
        let _ = writeln!(m, "| {} |", cells.join(" | "));
    }
}

/// The line under a table, in italics.
fn checks(m: &mut String, line: Option<String>) {
    if let Some(line) = line {
        let _ = writeln!(m, "\n_{}_", md(&line));
    }
}

/// The charts beside summary.md, as images.
fn images<K>(m: &mut String, charts: &[ChartRef<K>]) {
    for c in charts {
        let _ = writeln!(m, "\n![{}]({})", md(&c.title), c.file);
    }
}
