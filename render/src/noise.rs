//! The machine's interference as the run probed it (`meta.json`'s
//! `noise`): a timeline per CPU probe and who else ran, so a reader can tell
//! a slow figure from a busy machine (fairness rule 9).

use crate::fmt;
use rtbench_format::{CpuProbe, MachineNoise, OtherTask};
use std::fmt::Write as _;

/// The timeline's file beside index.html (summary.md links it as an image).
pub const TIMELINE_FILE: &str = "cpu-timeline.svg";

/// How many of the other tasks the report lists.
pub const TOP_OTHERS: usize = 5;

/// The probes in the order they ran (by start, then CPU).
pub fn probes(noise: &MachineNoise) -> Vec<&CpuProbe> {
    let mut v: Vec<&CpuProbe> = noise.probes.iter().collect();
    v.sort_by(|a, b| a.at_secs.total_cmp(&b.at_secs).then(a.cpu.cmp(&b.cpu)));
    v
}

/// The tasks that used the most CPU, most first.
pub fn top_others(noise: &MachineNoise) -> Vec<&OtherTask> {
    let mut v: Vec<&OtherTask> = noise.others.iter().collect();
    v.sort_by(|a, b| b.cpu_ns.cmp(&a.cpu_ns).then_with(|| a.name.cmp(&b.name)));
    v.truncate(TOP_OTHERS);
    v
}

/// What one probe lost, as written beside its strip: `lost 42.0 ms · 9 gaps > 1 ms`.
pub fn probe_summary(p: &CpuProbe) -> String {
    let s = if p.gaps_over_1ms == 1 { "" } else { "s" };
    format!(
        "lost {} · {} gap{s} > 1 ms",
        fmt::ns(p.lost_ns as f64),
        p.gaps_over_1ms
    )
}

/// One line per CPU for the Environment block: its probes' time lost and
/// gaps over 1 ms, summed.
pub fn per_cpu_line(noise: &MachineNoise) -> String {
    let mut cpus: Vec<usize> = noise.probes.iter().map(|p| p.cpu).collect();
    cpus.sort_unstable();
    cpus.dedup();
    let parts: Vec<String> = cpus
        .iter()
        .map(|&cpu| {
            let ps: Vec<&CpuProbe> = noise.probes.iter().filter(|p| p.cpu == cpu).collect();
            let lost: u64 = ps.iter().map(|p| p.lost_ns).sum();
            let gaps: u32 = ps.iter().map(|p| p.gaps_over_1ms).sum();
            let secs: f64 = ps.iter().map(|p| p.duration_secs).sum();
            let n = ps.len();
            format!(
                "cpu {cpu} lost {} in {} of probing ({n} probe{}), {gaps} gap{} > 1 ms",
                fmt::ns(lost as f64),
                fmt::ns_tick(secs * 1e9),
                if n == 1 { "" } else { "s" },
                if gaps == 1 { "" } else { "s" },
            )
        })
        .collect();
    parts.join("; ")
}

const WIDTH: f64 = 960.0;
const LABEL: f64 = 170.0;
const STRIP: f64 = 520.0;
const ROW: f64 = 28.0;
const BAR: f64 = 18.0;

/// A small SVG: one strip per probe, its time left to right, a tick per gap
/// (taller for longer gaps, on a log scale from 10 µs to 10 ms; red over
/// 1 ms), what it lost written beside it. `None` without probes.
pub fn timeline_svg(noise: &MachineNoise) -> Option<String> {
    let probes = probes(noise);
    if probes.is_empty() {
        return None;
    }
    let height = 30.0 + ROW * probes.len() as f64;
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeline\" role=\"img\" \
         aria-label=\"CPU probes: time lost per probe\" width=\"{WIDTH}\" height=\"{height}\" \
         viewBox=\"0 0 {WIDTH} {height}\" font-family=\"sans-serif\" font-size=\"13\">\
         <title>CPU probes: when each probed CPU was kept off its probe, per probe</title>"
    );
    let _ = write!(
        s,
        "<text x=\"{LABEL}\" y=\"16\" fill=\"#555\">probe start</text>\
         <text x=\"{}\" y=\"16\" fill=\"#555\" text-anchor=\"end\">probe end</text>",
        LABEL + STRIP
    );
    for (i, p) in probes.iter().enumerate() {
        let top = 24.0 + ROW * i as f64;
        let label = format!("cpu {} · {}", p.cpu, p.when);
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\
             <rect x=\"{LABEL}\" y=\"{top}\" width=\"{STRIP}\" height=\"{BAR}\" fill=\"#f3f4f6\"/>",
            LABEL - 8.0,
            top + 13.0,
            fmt::html(&label),
        );
        let span_ms = (p.duration_secs * 1e3).max(1e-9);
        for &(at_ms, len_us) in &p.gaps {
            let x = LABEL + (at_ms / span_ms).clamp(0.0, 1.0) * STRIP;
            let w = (len_us / 1e3 / span_ms * STRIP).max(1.5);
            let h = BAR * ((len_us.max(1.0).log10() - 1.0) / 3.0).clamp(0.2, 1.0);
            let colour = if len_us > 1000.0 {
                "#d92d20"
            } else {
                "#667085"
            };
            let _ = write!(
                s,
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" fill=\"{colour}\">\
                 <title>{} at {} ms</title></rect>",
                top + BAR - h,
                fmt::ns(len_us * 1e3),
                fmt::sig3(at_ms),
            );
        }
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\">{}</text>",
            LABEL + STRIP + 10.0,
            top + 13.0,
            fmt::html(&format!(
                "{} in {}",
                probe_summary(p),
                fmt::ns_tick(p.duration_secs * 1e9)
            )),
        );
    }
    s.push_str("</svg>");
    Some(s)
}

/// Under the timeline: how to read it.
pub const TIMELINE_KEY: &str = "Each strip is one probe: a spin loop pinned to that CPU while every CPU of the benchmark was busy; a tick marks a gap in which it was kept off its CPU, taller for a longer gap (log scale, 10 µs to 10 ms), red over 1 ms. The tables' run delay columns say how much of it reached the server and the load generator.";
