//! SVG charts drawn with plotters' SVG backend. The same SVG text is written
//! as files and inlined into index.html, so both always agree.

use crate::error::ReportError;
use crate::model::{ChartKind, ChartRef, LoadChartKind, LoadGroup, LoadStep, Model, Row, Table};
use crate::reporter::{Reporter, write_atomic};
use crate::{fmt, view};
use plotters::coord::CoordTranslate;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use rtbench_format::Status;
use std::path::{Path, PathBuf};

const WIDTH: u32 = 960;
const FONT: &str = "sans-serif";
const LEGEND_WIDTH: u32 = 210;

/// A drawn chart: its file name and the SVG text.
#[derive(Debug, Clone)]
pub struct Chart {
    pub file: String,
    pub title: String,
    pub table_id: String,
    pub svg: String,
}

/// Draws every chart the model lists, in model order.
pub fn render_all(model: &Model) -> Result<Vec<Chart>, ReportError> {
    let tables = model
        .charts()
        .map(|(t, c)| chart(&t.id, c, draw(model, t, c)));
    let loads = model
        .load_charts()
        .map(|(g, c)| chart(&g.id, c, draw_load(model, g, c)));
    tables.chain(loads).collect()
}

fn chart<K>(
    table_id: &str,
    c: &ChartRef<K>,
    svg: Result<String, String>,
) -> Result<Chart, ReportError> {
    svg.map(|svg| Chart {
        file: c.file.clone(),
        title: c.title.clone(),
        table_id: table_id.to_string(),
        svg,
    })
    .map_err(|message| ReportError::Chart {
        file: c.file.clone(),
        message,
    })
}

/// Writes each chart as its own `.svg` file.
pub struct SvgReporter<'a> {
    pub charts: &'a [Chart],
}

impl Reporter for SvgReporter<'_> {
    fn write(&self, model: &Model, out: &Path) -> Result<Vec<PathBuf>, ReportError> {
        let timeline = model.noise.as_ref().and_then(crate::noise::timeline_svg);
        let timeline = timeline.map(|svg| (crate::noise::TIMELINE_FILE.to_string(), svg));
        self.charts
            .iter()
            .map(|c| (c.file.clone(), c.svg.clone()))
            .chain(timeline)
            .map(|(file, svg)| write_atomic(&out.join(file), svg.as_bytes()))
            .collect()
    }
}

fn draw(model: &Model, table: &Table, c: &ChartRef) -> Result<String, String> {
    let ok: Vec<&Row> = table.rows.iter().collect();
    let colour = |r: &Row| hex(model.colour(&r.runtime));
    let bar = |r: &Row, value: f64, ci: Option<(f64, f64)>| Bar {
        name: r.runtime.clone(),
        colour: colour(r),
        value,
        ci,
        label: None,
    };
    match c.kind {
        ChartKind::Throughput => {
            let bars: Vec<Bar> = ok
                .iter()
                .filter_map(|r| {
                    let t = r.throughput?;
                    let ci = r.round_stats.ci.and_then(|c| Some((c.lower, c.upper?)));
                    Some(bar(r, t.value, Some(ci.unwrap_or((t.lower, t.upper)))))
                })
                .collect();
            let axis = format!("throughput ({}/s, 95% CI)", fmt::plural(&table.scope.op));
            let floor = table.reference.as_deref().and_then(|name| {
                let r = ok.iter().find(|r| r.runtime == name)?;
                Some((r.throughput?.value, name))
            });
            bars_chart(&c.title, &axis, &bars, &fmt::si, floor)
        }
        ChartKind::TimePerOp => {
            let max = ok
                .iter()
                .filter_map(|r| r.time_per_op_ns.map(|t| t.upper))
                .fold(0.0, f64::max);
            let (div, unit) = fmt::ns_unit(max);
            let bars: Vec<Bar> = ok
                .iter()
                .filter_map(|r| {
                    let t = r.time_per_op_ns?;
                    Some(bar(r, t.value / div, Some((t.lower / div, t.upper / div))))
                })
                .collect();
            let axis = format!("time per {} ({unit}, 95% CI)", table.scope.op);
            bars_chart(&c.title, &axis, &bars, &fmt::sig3, None)
        }
        ChartKind::BytesPerTask => {
            let max = ok
                .iter()
                .filter_map(|r| r.bytes_per_task)
                .fold(0.0, f64::max);
            let (div, unit) = if max >= 4096.0 {
                (1024.0, "KiB")
            } else {
                (1.0, "B")
            };
            let bars: Vec<Bar> = ok
                .iter()
                .filter_map(|r| Some(bar(r, r.bytes_per_task? / div, None)))
                .collect();
            bars_chart(
                &c.title,
                &format!("bytes per task ({unit})"),
                &bars,
                &fmt::sig3,
                None,
            )
        }
        ChartKind::Spectrum => spectrum_chart(model, table, &c.title),
    }
}

struct Bar {
    name: String,
    colour: RGBColor,
    value: f64,
    ci: Option<(f64, f64)>,
    /// Printed instead of the value, e.g. why a bar is empty.
    label: Option<String>,
}

/// The charts of one open-loop group.
fn draw_load(model: &Model, g: &LoadGroup, c: &ChartRef<LoadChartKind>) -> Result<String, String> {
    match c.kind {
        LoadChartKind::LatencyP99 => {
            load_chart(model, g, &c.title, "p99", |s| s.corrected.p99_ns, 540)
        }
        LoadChartKind::LatencyP50 => {
            load_chart(model, g, &c.title, "p50", |s| s.corrected.p50_ns, 400)
        }
        LoadChartKind::Capacity => {
            let bars: Vec<Bar> = g
                .rows
                .iter()
                .map(|r| {
                    // The 95% interval where the trials gave one, else up
                    // to the lowest rate that missed.
                    let interval = r.round_stats.ci.and_then(|c| Some((c.lower, c.upper?)));
                    let (value, ci, label) = match &r.capacity {
                        Some(c) => match c.rate {
                            Some(x) => (x, interval.or(c.bracket_hi.map(|hi| (x, hi))), None),
                            None => (0.0, None, Some(view::NO_CAPACITY.to_string())),
                        },
                        None if r.status != Status::Ok => (0.0, None, Some(r.status.to_string())),
                        None => (0.0, None, Some("not measured".to_string())),
                    };
                    Bar {
                        name: r.runtime.clone(),
                        colour: hex(&r.colour),
                        value,
                        ci,
                        label,
                    }
                })
                .collect();
            let target = g.setup.as_ref().map_or("", |s| s.slo_label.as_str());
            let whisker = if g.rows.iter().any(|r| r.round_stats.ci.is_some()) {
                "95% interval"
            } else {
                "up to the lowest rate that missed"
            };
            let axis = format!(
                "capacity at {target} ({}/s; whisker: {whisker})",
                fmt::plural(&g.scope.op)
            );
            bars_chart(&c.title, &axis, &bars, &fmt::si, None)
        }
    }
}

/// A corrected-latency percentile against the offered rate, one line per
/// runtime (references dashed), with the target as a horizontal line, the
/// reference rate as a vertical one, and a cross on every step where the
/// server fell behind (its figure is then a lower bound).
fn load_chart(
    model: &Model,
    g: &LoadGroup,
    title: &str,
    percentile: &str,
    pick: fn(&LoadStep) -> u64,
    min_height: u32,
) -> Result<String, String> {
    let rows: Vec<_> = g.rows.iter().filter(|r| !r.steps.is_empty()).collect();
    let steps = || rows.iter().flat_map(|r| &r.steps);
    let setup = g.setup.as_ref();
    let target = setup.map(|s| s.slo.max_ns as f64);
    let (lo, hi) = log_range(steps().map(|s| pick(s) as f64).chain(target));
    let x_max = steps()
        .map(|s| s.offered_rate)
        .chain(setup.map(|s| s.reference_rate))
        .fold(0.0, f64::max)
        * 1.05;
    let x_max = if x_max > 0.0 { x_max } else { 1.0 };
    let mut keys: Vec<Key> = rows
        .iter()
        .map(|r| Key::runtime(model, &r.runtime, r.is_reference))
        .collect();
    let grey = RGBColor(90, 90, 90);
    if let Some(s) = setup {
        keys.push(Key {
            name: format!("target {}", s.slo_label),
            colour: grey,
            swatch: Swatch::Dashed,
        });
    }
    keys.push(Key {
        name: "fell behind".into(),
        colour: grey,
        swatch: Swatch::Cross,
    });
    let height = (60 + 26 * keys.len() as u32).max(min_height);
    let mut svg = String::new();
    {
        let (root, plot, legend) = canvas_with_legend(&mut svg, height, title)?;
        let mut chart = plot_builder(&plot)
            .build_cartesian_2d(
                0.0..x_max,
                (lo..hi).log_scale().with_key_points(log_ticks(lo, hi)),
            )
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_labels(8)
            .x_label_formatter(&|x| fmt::si(*x))
            .y_label_formatter(&|y| fmt::ns_tick(*y))
            .x_desc(format!(
                "offered {}/s (open loop)",
                fmt::plural(&g.scope.op)
            ))
            .y_desc(format!("corrected {percentile} latency (log scale)"))
            .label_style((FONT, 17))
            .axis_desc_style((FONT, 18))
            .bold_line_style(RGBColor(225, 225, 225))
            .light_line_style(WHITE)
            .draw()
            .map_err(err)?;
        let small = TextStyle::from((FONT, 15).into_font()).color(&grey);
        if let Some(s) = setup {
            let x = s.reference_rate;
            draw_line(
                &mut chart,
                vec![(x, lo), (x, hi)],
                RGBColor(170, 170, 170),
                1,
                true,
            )?;
            let at = small.pos(Pos::new(HPos::Left, VPos::Top));
            chart
                .draw_series(std::iter::once(Text::new("100%", (x, hi), at)))
                .map_err(err)?;
            let y = s.slo.max_ns as f64;
            draw_line(&mut chart, vec![(0.0, y), (x_max, y)], grey, 2, true)?;
            let at = small.pos(Pos::new(HPos::Left, VPos::Bottom));
            chart
                .draw_series(std::iter::once(Text::new(
                    format!("target {}", s.slo_label),
                    (x_max * 0.01, y),
                    at,
                )))
                .map_err(err)?;
        }
        for r in &rows {
            let c = hex(model.colour(&r.runtime));
            // A step that recorded nothing has no percentile: off the top
            // when the server fell behind, left out otherwise.
            let points: Vec<((f64, f64), &LoadStep)> = r
                .steps
                .iter()
                .filter_map(|s| match pick(s) {
                    0 if !s.behind => None,
                    0 => Some(((s.offered_rate, hi), s)),
                    v => Some(((s.offered_rate, (v as f64).clamp(lo, hi)), s)),
                })
                .collect();
            chart
                .draw_series(points.iter().map(|&(p, _)| Circle::new(p, 3, c.filled())))
                .map_err(err)?;
            let crossed = points.iter().filter(|(_, s)| s.behind);
            chart
                .draw_series(crossed.map(|&(p, _)| Cross::new(p, 7, c.stroke_width(2))))
                .map_err(err)?;
            // The line joins the sweep's fixed fractions only, each at the
            // attempt that decided it (its last repeat, if it had any; steps keep
            // run order among equal rates): the search's probes and a
            // superseded first attempt are dots, so noise does not zig-zag it.
            let mut line: Vec<(f64, f64)> = Vec::new();
            for &(p, s) in &points {
                match s.kind.as_str() {
                    "sweep" => line.push(p),
                    "repeat" if line.last().is_some_and(|l| l.0 == p.0) => {
                        *line.last_mut().expect("checked") = p
                    }
                    _ => {}
                }
            }
            draw_line(&mut chart, line, c, 2, r.is_reference)?;
        }
        draw_legend(&legend, &keys)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

fn hex(s: &str) -> RGBColor {
    let v = u32::from_str_radix(s.trim_start_matches('#'), 16).unwrap_or(0);
    RGBColor((v >> 16) as u8, (v >> 8) as u8, v as u8)
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Horizontal bars, one per runtime (names on the axis are the legend), with
/// 95% interval whiskers and the value printed at the end of each bar.
fn bars_chart(
    title: &str,
    axis: &str,
    bars: &[Bar],
    label: &dyn Fn(f64) -> String,
    floor: Option<(f64, &str)>,
) -> Result<String, String> {
    let n = bars.len().max(1);
    let longest = bars
        .iter()
        .map(|b| b.name.chars().count())
        .max()
        .unwrap_or(4);
    let name_area = (longest as u32 * 8 + 24).clamp(80, 280);
    let height = 110 + 34 * n as u32;
    let hi = |b: &Bar| b.ci.map_or(b.value, |c| c.1.max(b.value));
    let max = bars
        .iter()
        .map(hi)
        .chain(floor.map(|f| f.0))
        .fold(0.0, f64::max);
    let x_max = if max > 0.0 { max * 1.25 } else { 1.0 };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let names: Vec<String> = bars.iter().map(|b| b.name.clone()).collect();
        // y in hundredths of a row (integer axes take custom ticks); bar i is
        // centred at y(i), the first (fastest) row at the top.
        let y = |i: usize| (n - 1 - i) as i32 * 100;
        let ticks: Vec<i32> = (0..n).map(y).collect();
        let y_name = |v: &i32| {
            let i = n as i32 - 1 - (v + 50).div_euclid(100);
            names.get(i as usize).cloned().unwrap_or_default()
        };
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 22))
            .margin(14)
            .x_label_area_size(52)
            .y_label_area_size(name_area)
            .build_cartesian_2d(
                0.0..x_max,
                (-50..n as i32 * 100 - 50).with_key_points(ticks),
            )
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_labels(8)
            .x_label_formatter(&|x| label(*x))
            .y_label_formatter(&y_name)
            .x_desc(axis)
            .label_style((FONT, 17))
            .axis_desc_style((FONT, 18))
            .light_line_style(WHITE)
            .draw()
            .map_err(err)?;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, b)| {
                Rectangle::new([(0.0, y(i) - 32), (b.value, y(i) + 32)], b.colour.filled())
            }))
            .map_err(err)?;
        let whisker = BLACK.stroke_width(2);
        for (i, b) in bars.iter().enumerate() {
            if let Some((lo, hi)) = b.ci {
                let y = y(i);
                for path in [
                    vec![(lo, y), (hi, y)],
                    vec![(lo, y - 14), (lo, y + 14)],
                    vec![(hi, y - 14), (hi, y + 14)],
                ] {
                    chart
                        .draw_series(std::iter::once(PathElement::new(path, whisker)))
                        .map_err(err)?;
                }
            }
        }
        // The table's floor (fio, say) as a vertical line across the bars.
        if let Some((x, name)) = floor {
            let top = n as i32 * 100 - 50;
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(x, -50), (x, top)],
                    BLACK.mix(0.6).stroke_width(2),
                )))
                .map_err(err)?;
            let note = TextStyle::from((FONT, 14).into_font()).pos(Pos::new(HPos::Left, VPos::Top));
            chart
                .draw_series(std::iter::once(Text::new(
                    format!("{name}: {}", label(x)),
                    (x + x_max * 0.005, top),
                    note,
                )))
                .map_err(err)?;
        }
        let text = TextStyle::from((FONT, 16).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
        chart
            .draw_series(bars.iter().enumerate().map(|(i, b)| {
                let shown = b.label.clone().unwrap_or_else(|| label(b.value));
                Text::new(shown, (hi(b) + x_max * 0.01, y(i)), text.clone())
            }))
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

/// A white, titled canvas split into the plot and, on the right, its legend;
/// the first area is the one to `present`.
fn canvas_with_legend<'a>(
    svg: &'a mut String,
    height: u32,
    title: &str,
) -> Result<(Area<'a>, Area<'a>, Area<'a>), String> {
    let root = SVGBackend::with_string(svg, (WIDTH, height)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let root = root.titled(title, (FONT, 22)).map_err(err)?;
    let (plot, legend) = root.split_horizontally(WIDTH - LEGEND_WIDTH);
    Ok((root, plot, legend))
}

/// Margins and label areas of a line chart with time ticks on the y axis.
fn plot_builder<'a, 'b, DB: DrawingBackend>(
    plot: &'a DrawingArea<DB, plotters::coord::Shift>,
) -> ChartBuilder<'a, 'b, DB> {
    let mut b = ChartBuilder::on(plot);
    b.margin(14).x_label_area_size(52).y_label_area_size(100);
    b
}

/// 1-2-5 ticks inside [lo, hi]; only powers of ten when those are too many.
fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let mut all = Vec::new();
    let mut decade = 10f64.powf(lo.log10().floor());
    while decade <= hi {
        for m in [1.0, 2.0, 5.0] {
            let v = decade * m;
            if v >= lo && v <= hi {
                all.push(v);
            }
        }
        decade *= 10.0;
    }
    if all.len() > 9 {
        all.retain(|v| (v.log10().fract()).abs() < 1e-9);
    }
    all
}

/// A log axis around the positive `values`, at least a factor 6 wide so the
/// 1-2-5 ticks always show two.
fn log_range(values: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let max = values.clone().fold(1.0, f64::max);
    let min_pos = values.filter(|v| *v > 0.0).fold(max, f64::min);
    let (mut lo, mut hi) = (min_pos / 1.25, max * 1.25);
    if hi / lo < 6.0 {
        let widen = (6.0 / (hi / lo)).sqrt();
        lo /= widen;
        hi *= widen;
    }
    (lo, hi)
}

/// One runtime's line: dashed for references (and guides), solid otherwise.
fn draw_line<DB: DrawingBackend, CT: CoordTranslate<From = (f64, f64)>>(
    chart: &mut ChartContext<'_, DB, CT>,
    points: Vec<(f64, f64)>,
    colour: RGBColor,
    width: u32,
    dashed: bool,
) -> Result<(), String> {
    let style = colour.stroke_width(width);
    if dashed {
        chart
            .draw_series(DashedLineSeries::new(points, 7, 5, style))
            .map_err(err)?;
    } else {
        chart
            .draw_series(LineSeries::new(points, style))
            .map_err(err)?;
    }
    Ok(())
}

/// Percentile label for x = 1/(1-p): 1 -> 0%, 2 -> 50%, 1000 -> 99.9%.
fn percentile_label(x: f64) -> String {
    let p = 100.0 * (1.0 - 1.0 / x);
    let decimals = (x.log10() - 2.0).ceil().max(0.0) as usize;
    format!("{p:.decimals$}%")
}

/// Latency (or lateness) by percentile, one line per runtime, x on a log
/// scale of 1/(1-p) so the tail gets as much room as the median; reference
/// (no-runtime) rows are dashed. Legend on the right, outside the plot.
fn spectrum_chart(model: &Model, table: &Table, title: &str) -> Result<String, String> {
    let rows: Vec<&Row> = table
        .rows
        .iter()
        .filter(|r| r.latency.as_ref().is_some_and(|l| !l.spectrum.is_empty()))
        .collect();
    let finite = rows
        .iter()
        .flat_map(|r| &r.latency.as_ref().unwrap().spectrum)
        .filter(|s| s.0 < 100.0)
        .map(|s| 1.0 / (1.0 - s.0 / 100.0))
        .fold(2.0, f64::max);
    // The finite percentiles span `decades`; the maximum (p = 100) gets the
    // next decade, labelled "max", so it is never mistaken for a percentile.
    let decades = finite.log10().ceil().clamp(4.0, 6.0) as i32;
    let x_max = 10f64.powi(decades + 1);
    let (lo, hi) = log_range(
        rows.iter()
            .flat_map(|r| &r.latency.as_ref().unwrap().spectrum)
            .map(|s| s.1 as f64),
    );
    let kind = table.latency_kind.as_deref().unwrap_or("latency");
    let y_desc = match kind {
        "lateness" => "timer lateness (log scale)".to_string(),
        "round-trip" => "round-trip latency (log scale)".to_string(),
        k => format!("{k} (log scale)"),
    };
    let x_ticks: Vec<f64> = std::iter::once(1.0)
        .chain(std::iter::once(2.0))
        .chain((1..=decades + 1).map(|d| 10f64.powi(d)))
        .collect();
    let height = (150 + 26 * rows.len() as u32).max(520);
    let mut svg = String::new();
    {
        let (root, plot, legend) = canvas_with_legend(&mut svg, height, title)?;
        let mut chart = plot_builder(&plot)
            .build_cartesian_2d(
                (1.0..x_max).log_scale().with_key_points(x_ticks),
                (lo..hi).log_scale().with_key_points(log_ticks(lo, hi)),
            )
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_label_formatter(&|x| {
                if *x >= x_max {
                    "max".into()
                } else {
                    percentile_label(*x)
                }
            })
            .y_label_formatter(&|y| fmt::ns_tick(*y))
            .x_desc("percentile (log scale of 1/(1−p))")
            .y_desc(y_desc)
            .label_style((FONT, 17))
            .axis_desc_style((FONT, 18))
            .bold_line_style(RGBColor(225, 225, 225))
            .draw()
            .map_err(err)?;
        for r in &rows {
            let c = hex(model.colour(&r.runtime));
            let points: Vec<(f64, f64)> = r
                .latency
                .as_ref()
                .unwrap()
                .spectrum
                .iter()
                .map(|&(p, v)| {
                    let x = if p >= 100.0 {
                        x_max
                    } else {
                        (1.0 / (1.0 - p / 100.0)).min(x_max / 10.0)
                    };
                    (x, (v as f64).clamp(lo, hi))
                })
                .collect();
            draw_line(&mut chart, points, c, 2, r.is_reference)?;
        }
        let keys: Vec<Key> = rows
            .iter()
            .map(|r| Key::runtime(model, &r.runtime, r.is_reference))
            .collect();
        draw_legend(&legend, &keys)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// How a legend entry is drawn.
enum Swatch {
    Line,
    Dashed,
    Cross,
}

struct Key {
    name: String,
    colour: RGBColor,
    swatch: Swatch,
}

impl Key {
    /// A runtime's line in its colour; references dashed, as in the plot.
    fn runtime(model: &Model, name: &str, is_reference: bool) -> Key {
        Key {
            name: name.to_string(),
            colour: hex(model.colour(name)),
            swatch: if is_reference {
                Swatch::Dashed
            } else {
                Swatch::Line
            },
        }
    }
}

fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    keys: &[Key],
) -> Result<(), String> {
    let text = TextStyle::from((FONT, 17).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
    for (i, k) in keys.iter().enumerate() {
        let y = 30 + 26 * i as i32;
        let c = k.colour.stroke_width(3);
        match k.swatch {
            Swatch::Dashed => {
                for x in [8, 22] {
                    area.draw(&PathElement::new(vec![(x, y), (x + 9, y)], c))
                        .map_err(err)?;
                }
            }
            Swatch::Line => area
                .draw(&PathElement::new(vec![(8, y), (38, y)], c))
                .map_err(err)?,
            Swatch::Cross => area
                .draw(&Cross::new((23, y), 7, k.colour.stroke_width(2)))
                .map_err(err)?,
        }
        let mut name: String = k.name.chars().take(22).collect();
        if k.name.chars().count() > 22 {
            name.push('…');
        }
        area.draw(&Text::new(name, (46, y), text.clone()))
            .map_err(err)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_labels() {
        let l: Vec<String> = [1.0, 2.0, 10.0, 100.0, 1000.0, 10000.0]
            .into_iter()
            .map(percentile_label)
            .collect();
        assert_eq!(l, ["0%", "50%", "90%", "99%", "99.9%", "99.99%"]);
    }

    #[test]
    fn log_ticks_are_1_2_5() {
        assert_eq!(log_ticks(3.0, 60.0), vec![5.0, 10.0, 20.0, 50.0]);
        assert_eq!(log_ticks(0.5, 1e6).len(), 7);
    }
}
