//! `index.html`: one self-contained page (inline CSS and SVG, no scripts, no
//! network), so it can be mailed, archived or opened from a CI artifact.

use crate::chart::Chart;
use crate::error::ReportError;
use crate::fmt::html as esc;
use crate::model::{LoadGroup, Model, Scope, Section, Table, WORK_WORKLOAD};
use crate::reporter::{Reporter, write_atomic};
use crate::view;
use crate::view::{Column, TableRow};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

pub struct HtmlReporter<'a> {
    pub charts: &'a [Chart],
}

const CSS: &str = "
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1d1d1f;max-width:1500px;margin:0 auto;padding:1em 2em 4em}
h1{margin-bottom:.1em}h2{margin-top:2em;border-bottom:2px solid #e5e7eb;padding-bottom:.2em}h3{margin:1.8em 0 .2em}
.sub,.caption{color:#555;margin:.2em 0 .6em}.caption{font-size:13px}
table{border-collapse:collapse;margin:.4em 0 1em}th,td{padding:4px 7px;border-bottom:1px solid #e5e7eb;text-align:left;vertical-align:top}
th{background:#f3f4f6;font-weight:600}
table.results{font-size:13px}table.results td{white-space:nowrap}table.results th{vertical-align:bottom;min-width:3.5em}
td.num{text-align:right;font-variant-numeric:tabular-nums}.ci{font-size:11px;color:#666}
tr.failed td{color:#a40000;background:#fff5f5;white-space:normal}
tr.reference td{background:#f8fafc;font-style:italic}
.faster{color:#08722a;font-weight:700}.slower{color:#b42318;font-weight:700}.same{color:#777}
.sw{display:inline-block;width:.85em;height:.85em;border-radius:2px;margin-right:.45em;vertical-align:-1px}
.scroll{overflow-x:auto}table.runtimes td{white-space:nowrap}table.runtimes td.wrap{white-space:normal;min-width:14em;max-width:30em}
figure.chart{margin:.8em 0 1.6em}figure.chart svg{max-width:100%;height:auto;display:block}
figcaption{font-size:13px;color:#555}
.note{background:#fff8e1;border-left:4px solid #f0b400;padding:.5em .8em}
.bad{background:#fff5f5;border-left:4px solid #d92d20;padding:.5em .8em}
.wide{color:#b54708;font-weight:700}
figure.timeline{margin:.8em 0}figure.timeline svg{max-width:100%;height:auto;display:block}
table.overview{font-size:13px}table.overview th{vertical-align:bottom;min-width:3.2em;max-width:7em;font-size:12px}
table.overview td{white-space:nowrap}table.overview td.best,table.overview td.tied{font-weight:700}
table.overview td.unmeasured{color:#a40000;background:#f3f4f6}
.counts{font-size:14px}.reading{font-weight:600}
nav ul{columns:2;font-size:14px}code{font-size:13px}
";

impl Reporter for HtmlReporter<'_> {
    fn write(&self, model: &Model, out: &Path) -> Result<Vec<PathBuf>, ReportError> {
        let page = page(model, self.charts);
        Ok(vec![write_atomic(
            &out.join("index.html"),
            page.as_bytes(),
        )?])
    }
}

/// The whole page as a string (every text from files escaped).
pub fn page(model: &Model, charts: &[Chart]) -> String {
    let mut h = String::new();
    let run = model.run.run_id.as_deref().unwrap_or("unknown run");
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>rtbench report: {}</title><style>{CSS}</style></head><body>\n\
         <h1>rtbench report</h1><p class=\"sub\">run <b>{}</b> · mode {} · started {} · {}</p>\n",
        esc(run),
        esc(run),
        esc(model.run.mode.map_or("unknown", |m| m.as_str())),
        esc(model.run.started_at.as_deref().unwrap_or("unknown")),
        esc(&model.generator),
    );
    for n in &model.notes {
        let _ = writeln!(h, "<p class=\"note\">{}</p>", esc(n));
    }
    if !model.problems.is_empty() {
        let _ = writeln!(
            h,
            "<p class=\"bad\">{} file(s) could not be read and are left out: see <a href=\"#problems\">Problems</a>.</p>",
            model.problems.len()
        );
    }
    overview(&mut h, model);
    toc(&mut h, model);
    h.push_str("<section id=\"how\"><h2>How to read this</h2>\n");
    for p in view::HOW_TO_READ {
        let _ = writeln!(h, "<p>{}</p>", esc(p));
    }
    h.push_str(
        "</section>\n<section id=\"environment\"><h2>Environment</h2><table class=\"env\">\n",
    );
    for (k, v) in view::environment(model) {
        let _ = writeln!(h, "<tr><th>{}</th><td>{}</td></tr>", esc(&k), esc(&v));
    }
    h.push_str("</table>\n");
    interference(&mut h, model);
    h.push_str("</section>\n");
    runtimes(&mut h, model);
    lists(&mut h, model);
    for section in model.sections() {
        match section {
            Section::Workload(w) => {
                let _ = writeln!(
                    h,
                    "<section id=\"w-{}\"><h2>{}</h2><p>{}</p>",
                    crate::model::slug(&w.name),
                    esc(crate::model::workload_title(&w.name)),
                    esc(crate::model::workload_about(&w.name))
                );
                if w.name == "echo" {
                    let more = if model.latency_under_load.is_empty() {
                        esc(view::NO_LOAD_NOTE)
                    } else {
                        format!(
                            "See <a href=\"#{}\">Latency under load</a> for latency at fixed offered rates.",
                            view::LATENCY_SECTION.anchor
                        )
                    };
                    let _ = writeln!(h, "<p>{} {more}</p>", esc(view::CLOSED_LOOP_NOTE));
                }
                missing_note(&mut h, model, &w.name);
                for t in &w.tables {
                    table(&mut h, model, t, charts);
                }
                h.push_str("</section>\n");
            }
            Section::LatencyUnderLoad(groups) => {
                load_section(&mut h, model, &view::LATENCY_SECTION, groups, charts)
            }
            Section::UnevenWork(groups) => {
                load_section(&mut h, model, &view::WORK_SECTION, groups, charts)
            }
            Section::HttpUnderLoad(groups) => {
                load_section(&mut h, model, &view::HTTP_SECTION, groups, charts)
            }
        }
    }
    h.push_str("</body></html>\n");
    h
}

fn toc(h: &mut String, model: &Model) {
    h.push_str("<nav><ul>");
    let mut item = |id: &str, s: &Scope| {
        let _ = write!(
            h,
            "<li><a href=\"#t-{id}\">{}</a> <small>({})</small></li>",
            esc(&s.title),
            esc(&s.topology)
        );
    };
    for section in model.sections() {
        match section {
            Section::Workload(w) => w.tables.iter().for_each(|t| item(&t.id, &t.scope)),
            Section::LatencyUnderLoad(groups)
            | Section::UnevenWork(groups)
            | Section::HttpUnderLoad(groups) => groups.iter().for_each(|g| item(&g.id, &g.scope)),
        }
    }
    h.push_str("</ul></nav>\n");
}

/// The matrix of ratios to each case's best, the counts of what did not
/// run (linked to their lists), and the rounds, before anything else.
fn overview(h: &mut String, model: &Model) {
    let o = &model.overview;
    h.push_str("<section id=\"overview\"><h2>Overview</h2>\n");
    if let Some(line) = view::rounds_line(o) {
        let _ = writeln!(h, "<p class=\"sub\">{}</p>", esc(&line));
    }
    if !o.cases.is_empty() {
        rows_table(
            h,
            "overview",
            "overview",
            &view::overview_columns(o),
            &o.runtimes,
        );
        let _ = writeln!(h, "<p class=\"caption\">{}</p>", esc(view::OVERVIEW_KEY));
    }
    let counts: Vec<String> = view::overview_counts(model)
        .into_iter()
        .map(|(text, anchor)| match anchor {
            Some(a) => format!("<a href=\"#{}\">{}</a>", a.id, esc(&text)),
            None => esc(&text),
        })
        .collect();
    let _ = writeln!(
        h,
        "<p class=\"counts\">Results: {}.</p>",
        counts.join(" · ")
    );
    let _ = writeln!(
        h,
        "<p class=\"counts\">{}</p>",
        esc(&view::split_half_line(o))
    );
    if let Some((line, passed)) = view::generator_check_line(o) {
        let class = if passed { "sub" } else { "bad" };
        let _ = writeln!(h, "<p class=\"{class}\">{}</p>", esc(&line));
    }
    h.push_str("</section>\n");
}

/// The machine's interference: a timeline of the CPU probes and who else
/// ran, when the run recorded them.
fn interference(h: &mut String, model: &Model) {
    if let Some(svg) = model.noise.as_ref().and_then(crate::noise::timeline_svg) {
        let _ = writeln!(
            h,
            "<h3>Interference</h3><figure class=\"timeline\">{svg}<figcaption>{}</figcaption></figure>",
            esc(crate::noise::TIMELINE_KEY)
        );
    }
    let others = view::others(model);
    if !others.is_empty() {
        h.push_str("<table class=\"others\"><tr>");
        for (i, head) in view::OTHERS_HEADER.iter().enumerate() {
            let class = if i == 0 { "" } else { " class=\"num\"" };
            let _ = write!(h, "<th{class}>{}</th>", esc(head));
        }
        h.push_str("</tr>\n");
        for [name, pid, cpu] in &others {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                esc(name),
                esc(pid),
                esc(cpu)
            );
        }
        h.push_str("</table>\n");
    }
}

/// The line under a table: its wide rows and split-half check.
fn checks(h: &mut String, line: Option<String>) {
    if let Some(line) = line {
        let _ = writeln!(h, "<p class=\"caption\">{}</p>", esc(&line));
    }
}

fn missing_note(h: &mut String, model: &Model, workload: &str) {
    let missing = view::missing_here(model, workload);
    if !missing.is_empty() {
        let _ = writeln!(
            h,
            "<p class=\"note\">Missing here: {}.</p>",
            esc(&missing.join("; "))
        );
    }
}

/// An open-loop section: its method and key, for uneven work the summary
/// across mixes, then per group its table, reading, failures and charts.
fn load_section(
    h: &mut String,
    model: &Model,
    s: &view::LoadSection,
    groups: &[LoadGroup],
    charts: &[Chart],
) {
    let _ = writeln!(
        h,
        "<section id=\"{}\"><h2>{}</h2><p>{}</p><p class=\"caption\">{}</p>",
        s.anchor,
        esc(s.heading),
        esc(s.method),
        esc(s.key)
    );
    missing_note(h, model, s.workload);
    if s.workload == WORK_WORKLOAD {
        let _ = writeln!(
            h,
            "<h3>Capacity across mixes</h3><p class=\"caption\">{}</p>",
            esc(&view::work_summary_caption(groups))
        );
        let rows = view::work_summary(groups);
        rows_table(
            h,
            "overview",
            "work-summary",
            &view::work_summary_columns(groups),
            &rows,
        );
    }
    for g in groups {
        let failed: Vec<String> = g
            .rows
            .iter()
            .filter_map(|r| r.failure().map(|e| format!("{} ({e})", r.runtime)))
            .collect();
        let note = if failed.is_empty() {
            String::new()
        } else {
            format!(
                "<p class=\"note\">Failed, so not in the latency charts: {}.</p>\n",
                esc(&failed.join("; "))
            )
        };
        let cols = view::load_columns(g);
        let caption = view::load_caption(g);
        case_table(h, &g.id, &g.scope.title, &caption, &cols, &g.rows);
        let stats: Vec<_> = g.rows.iter().map(|r| &r.round_stats).collect();
        checks(h, view::checks_line(g.wide_rows, &stats, &g.split_half));
        if let Some(r) = &g.reading {
            let _ = writeln!(h, "<p class=\"reading\">{}</p>", esc(r));
        }
        h.push_str(&note);
        figures(h, &g.id, charts);
    }
    h.push_str("</section>\n");
}

fn runtimes(h: &mut String, model: &Model) {
    h.push_str(
        "<section id=\"runtimes\"><h2>Runtimes</h2><div class=\"scroll\"><table class=\"runtimes\">\
         <tr><th>Runtime</th><th>Status</th><th>Flavor</th><th>Workers</th><th>Timer class</th>\
         <th>Driver</th><th>Knobs</th><th>Notes</th></tr>\n",
    );
    for r in &model.runtimes {
        let status = match &r.reason {
            Some(reason) => format!("skipped: {reason}"),
            None => r.status.to_string(),
        };
        let d = r.description.as_ref();
        let knobs = d.map_or(String::new(), |d| {
            d.knobs
                .iter()
                .map(|(k, v)| format!("{k} = {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        });
        let _ = writeln!(
            h,
            "<tr><td><span class=\"sw\" style=\"background:{}\"></span>{}</td><td class=\"wrap\">{}</td><td>{}</td>\
             <td class=\"num\">{}</td><td>{}</td><td>{}</td><td class=\"wrap\">{}</td><td class=\"wrap\">{}</td></tr>",
            esc(&r.colour),
            esc(&r.name),
            esc(&status),
            esc(d.map_or("", |d| d.flavor.as_str())),
            d.map_or(String::new(), |d| d.workers.to_string()),
            esc(d.map_or("", |d| d.timer_class.as_str())),
            esc(d.map_or("", |d| &d.driver)),
            esc(&knobs),
            esc(&d.map_or(String::new(), |d| d.notes.join("; "))),
        );
    }
    h.push_str("</table></div></section>\n");
}

/// The list sections ([`view::lists`]), each item linked to its table when
/// it has one.
fn lists(h: &mut String, model: &Model) {
    for list in view::lists(model) {
        let a = list.anchor;
        let _ = write!(h, "<section id=\"{}\"><h2>{}</h2>", a.id, esc(a.heading));
        if !list.intro.is_empty() {
            let _ = write!(h, "<p>{}</p>", esc(list.intro));
        }
        h.push_str("<ul>\n");
        for i in &list.items {
            let lead = if i.lead_is_file {
                format!("<code>{}</code>", esc(&i.lead))
            } else {
                format!("<b>{}</b>", esc(&i.lead))
            };
            let link = i.table.as_ref().map_or(String::new(), |t| {
                format!(" (<a href=\"#t-{}\">table</a>)", esc(t))
            });
            let _ = writeln!(h, "<li>{lead}: {}{link}</li>", esc(&i.text));
        }
        h.push_str("</ul></section>\n");
    }
}

fn table(h: &mut String, model: &Model, t: &Table, charts: &[Chart]) {
    let cols = view::columns(t, model.baseline.is_some());
    case_table(h, &t.id, &t.scope.title, &view::caption(t), &cols, &t.rows);
    let stats: Vec<_> = t.rows.iter().map(|r| &r.round_stats).collect();
    checks(h, view::checks_line(t.wide_rows, &stats, &t.split_half));
    if let Some(r) = &t.reading {
        let _ = writeln!(h, "<p class=\"reading\">{}</p>", esc(r));
    }
    figures(h, &t.id, charts);
}

/// Opens a case's block (closed by [`figures`]): heading, caption, the table.
fn case_table<R: TableRow>(
    h: &mut String,
    id: &str,
    title: &str,
    caption: &str,
    cols: &[Column<'_, R>],
    rows: &[R],
) {
    let _ = write!(
        h,
        "<div class=\"case\" id=\"t-{id}\"><h3>{}</h3><p class=\"caption\">{}</p>",
        esc(title),
        esc(caption),
    );
    rows_table(h, "results", id, cols, rows);
}

/// A table of rows under their columns; a row that did not measure shows
/// its status and error in place of its figures, a heading with an anchor
/// links to that table, a cell with a heat is coloured by it.
fn rows_table<R: TableRow>(
    h: &mut String,
    class: &str,
    id: &str,
    cols: &[Column<'_, R>],
    rows: &[R],
) {
    let _ = write!(
        h,
        "<div class=\"scroll\"><table class=\"{class}\" data-table=\"{id}\"><tr>"
    );
    for c in cols {
        match &c.anchor {
            Some(a) => {
                let _ = write!(
                    h,
                    "<th><a href=\"#t-{}\">{}</a></th>",
                    esc(a),
                    esc(&c.header)
                );
            }
            None => {
                let _ = write!(h, "<th>{}</th>", esc(&c.header));
            }
        }
    }
    h.push_str("</tr>\n");
    for r in rows {
        let swatch = format!(
            "<span class=\"sw\" style=\"background:{}\"></span>",
            esc(r.colour())
        );
        if let Some(error) = r.failure() {
            let _ = writeln!(
                h,
                "<tr class=\"failed\"><td>{swatch}{}</td><td colspan=\"{}\">{}: {}</td></tr>",
                esc(r.runtime()),
                cols.len() - 1,
                esc(r.status().as_str()),
                esc(error)
            );
            continue;
        }
        let _ = write!(
            h,
            "<tr{}>",
            if r.is_reference() {
                " class=\"reference\""
            } else {
                ""
            }
        );
        for (i, c) in cols.iter().enumerate() {
            let cell = (c.cell)(r);
            let mut classes = Vec::new();
            if c.numeric {
                classes.push("num");
            }
            classes.extend(cell.class);
            let class = if classes.is_empty() {
                String::new()
            } else {
                format!(" class=\"{}\"", classes.join(" "))
            };
            let style = cell.heat.map_or(String::new(), |x| {
                format!(" style=\"background:{}\"", heat(x))
            });
            let lead = if i == 0 { swatch.as_str() } else { "" };
            let sub = cell.sub.as_ref().map_or(String::new(), |s| {
                format!("<br><span class=\"ci\">{}</span>", esc(s))
            });
            let _ = write!(h, "<td{class}{style}>{lead}{}{sub}</td>", esc(&cell.text));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table></div>\n");
}

/// A fixed colour scale for a ratio to the best: green at 1, yellow at 0.5,
/// red at 0, so one colour means the same in every report.
fn heat(ratio: f64) -> String {
    format!("hsl({:.0},70%,82%)", 120.0 * ratio.clamp(0.0, 1.0))
}

/// The charts drawn for case `id`, inlined; closes the case's block.
fn figures(h: &mut String, id: &str, charts: &[Chart]) {
    for c in charts.iter().filter(|c| c.table_id == id) {
        let _ = writeln!(
            h,
            "<figure class=\"chart\" id=\"c-{}\">{}<figcaption>{} · <a href=\"{}\">{}</a></figcaption></figure>",
            esc(c.file.trim_end_matches(".svg")),
            inline_svg(&c.svg, &c.title),
            esc(&c.title),
            esc(&c.file),
            esc(&c.file)
        );
    }
    h.push_str("</div>\n");
}

/// The chart's `<svg>` element, marked for CSS and labelled for screen readers.
fn inline_svg(svg: &str, title: &str) -> String {
    let start = svg.find("<svg").unwrap_or(0);
    svg[start..].replacen(
        "<svg",
        &format!(
            "<svg class=\"chart\" role=\"img\" aria-label=\"{}\"",
            esc(title)
        ),
        1,
    )
}
