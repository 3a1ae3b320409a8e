//! Intervals on every figure, ties, the split-half check and the machine's
//! interference, from a run in the interleaved-trials format
//! ([`common::intervals`]).

mod common;
use common::*;
use rtbench_format::MachineNoise;
use rtbench_render::noise;
use serde_json::{Value, json};

/// (significant, with_halves, agree) of a split-half check in results.json.
fn halves(v: &Value) -> (u64, u64, u64) {
    let n = |k: &str| v[k].as_u64().unwrap();
    (n("significant"), n("with_halves"), n("agree"))
}

#[test]
fn overlapping_rows_are_tied_with_the_best() {
    let (o, _c) = intervals::render();
    assert!(o.rendered.problems.is_empty(), "{:?}", o.rendered.problems);
    let j = &o.json;
    // Closed loop: Student's t over the three rounds.
    let echo = table(j, "echo", "64B-16c");
    let (tokio, smol, std) = (
        row(echo, "tokio-mt"),
        row(echo, "smol"),
        row(echo, "std-threads"),
    );
    for (r, rounds) in [
        (tokio, &intervals::ROUNDS[0].1),
        (smol, &intervals::ROUNDS[1].1),
    ] {
        let (_, lo, hi) = rtbench_format::stats::mean_interval(&rounds[..]).unwrap();
        assert_eq!(r["ci"]["source"], "rounds");
        assert!(close(&r["ci"]["lower"], lo) && close(&r["ci"]["upper"], hi));
    }
    assert_eq!(
        (&tokio["tied_with_best"], &tokio["rank_group"]),
        (&json!(false), &json!(1)),
        "the best itself"
    );
    assert_eq!(
        (&smol["tied_with_best"], &smol["rank_group"]),
        (&json!(true), &json!(1))
    );
    assert_eq!(
        (&std["tied_with_best"], &std["rank_group"]),
        (&json!(false), &json!(2))
    );
    let r = md_row(&o.md, "### echo 64 B", "smol");
    assert!(
        r.contains("| 99.0 k (92.1 k – 107 k) | **± 7.62%** | 0.99× (≈ best) |"),
        "{r}"
    );
    // The overview marks the tie.
    let cell = &find(&j["overview"]["runtimes"], "runtime", "smol")["cells"][0];
    assert_eq!(
        (&cell["rank"], &cell["tied_with_best"]),
        (&json!(2), &json!(true))
    );
    assert!(md_row(&o.md, "## Overview", "smol").contains("| **≈ 0.99** |"));
    assert!(
        o.html
            .contains("<td class=\"num tied\" style=\"background:hsl(119,70%,82%)\">≈ 0.99</td>")
    );

    // Open loop: the capacities' own intervals; 14% apart, yet tied.
    let g = work_group(j, "uniform-64B-32c");
    let monoio = row(g, "monoio");
    assert_eq!(
        monoio["ci"],
        json!({"lower": 66e3, "upper": 77e3, "source": "trials"})
    );
    assert_eq!(monoio["tied_with_best"], true);
    assert_eq!(row(g, "std-threads")["rank_group"], 2);
    let r = md_row(&o.md, "### work uniform", "monoio");
    assert!(r.contains("| 70.0 k (66.0 k – 77.0 k, ≈ best) |"), "{r}");
    // The reading names no winner the intervals do not support.
    let reading = g["reading"].as_str().unwrap();
    assert_eq!(
        reading,
        "Work-stealing and thread-per-core held p99 ≤ 1 ms to loads that cannot be told apart \
         at 95% under the uniform mix: tokio-mt 80.0 k/s (76.0 k – 84.0 k) against monoio \
         70.0 k/s (66.0 k – 77.0 k) (best of each flavor)."
    );
    assert!(!reading.contains("up to"));
}

#[test]
fn significant_orderings_are_checked_against_the_halves() {
    let (o, _c) = intervals::render();
    let j = &o.json;
    // echo: tokio-mt and smol overlap; both are apart from std-threads, and
    // odd and even rounds order those two pairs alike.
    let echo = table(j, "echo", "64B-16c");
    assert_eq!(halves(&echo["split_half"]), (2, 2, 2));
    assert_eq!(row(echo, "tokio-mt")["halves"], json!([99e3, 102e3]));
    // latency: all three pairs apart; tokio-mt/smol's halves disagree (80 k
    // > 62 k, 60 k < 70 k); glommio's half that met nothing counts 0.
    let g = load_group(j, "64B-16c");
    assert_eq!(halves(&g["split_half"]), (3, 3, 2));
    assert!(close(&g["split_half"]["share"], 2.0 / 3.0));
    assert_eq!(row(g, "glommio")["halves"], json!([0.0, 5e3]));
    assert_eq!(
        halves(&work_group(j, "uniform-64B-32c")["split_half"]),
        (2, 2, 2)
    );
    // The run's figure, overall and per workload.
    let ov = &j["overview"];
    assert_eq!(halves(&ov["split_half"]), (7, 7, 6));
    assert!(close(&ov["split_half"]["share"], 6.0 / 7.0));
    assert_eq!(halves(&ov["split_half_by_workload"]["latency"]), (3, 3, 2));
    assert_eq!(halves(&ov["split_half_by_workload"]["work"]), (2, 2, 2));
    let line = "Split-half check: of the 7 orderings this run calls significant, its two halves \
                agree on 85.7% (6 of 7). By workload: echo 2 of 2, latency 2 of 3, work 2 of 2.";
    assert!(o.md.contains(&format!("\n{line}\n")));
    assert!(o.html.contains(&format!("<p class=\"counts\">{line}</p>")));
    assert!(o.md.contains(
        "_95% intervals: 0 of 2 rows wider than ±5% · its halves agree on 2 of 3 significant orderings._"
    ));
    // Wide rows: smol (±7.6%) in echo, monoio (±7.9%) in work.
    assert_eq!(
        (&ov["wide_rows"], &ov["rows_with_interval"]),
        (&json!(2), &json!(8))
    );
    assert!(o.md.contains("· 2 of 8 rows with a 95% interval wider than ±5%."));
}

#[test]
fn open_loop_cells_show_their_intervals_run_delay_and_slow_trials() {
    let (o, _c) = intervals::render();
    let g = load_group(&o.json, "64B-16c");
    let tokio = row(g, "tokio-mt");
    assert_eq!(tokio["at_50"]["target"]["lower_ns"], 380_000);
    assert_eq!(tokio["at_50"]["verdict"], "meets");
    assert_eq!(tokio["at_50"]["trials"], 2);
    // 2 ms of server run delay over two valid 1 s trials.
    assert_eq!(
        tokio["at_80"]["run_delay"],
        json!({"server_ns_per_s": 1e6, "generator_ns_per_s": 250e3})
    );
    assert_eq!(
        tokio["at_80"]["trials"], 2,
        "the generator's trial is left out"
    );
    assert_eq!(
        tokio["slow_trials"],
        json!({"server": 1, "generator": 1, "machine": 1})
    );
    let r = md_row(&o.md, "### latency 64 B × 16 connections", "tokio-mt");
    for cell in [
        "| 80.0 k (78.0 k – 82.0 k) |",
        "| 400 µs (380 µs – 425 µs · svc 160 µs) |",
        "| 1.00 ms/s (gen 250 µs/s) | 1 / 1 / 1 |",
    ] {
        assert!(r.contains(cell), "{cell} in {r}");
    }
    assert!(o.md.contains("interleaved trials: 2–6 per runtime and rate"));
    // The capacity chart's whiskers are the intervals.
    assert!(o.chart(g, "capacity").contains("whisker: 95% interval"));
    // Closed-loop rows carry their run delay too.
    let r = md_row(&o.md, "### echo 64 B", "tokio-mt");
    assert!(r.ends_with("| 1.20 ms / 300 µs |"), "{r}");
}

#[test]
fn the_environment_shows_the_cpu_timeline_and_who_else_ran() {
    let (o, _c) = intervals::render();
    assert_eq!(o.json["noise"]["probes"].as_array().unwrap().len(), 3);
    let h = &o.html;
    let start = h.find("<section id=\"environment\">").unwrap();
    let env = &h[start..start + h[start..].find("</section>").unwrap()];
    // One strip per probe, in the order run, each with what it lost.
    let svg = &env[env.find("<svg").expect("timeline in the environment")..];
    let svg = &svg[..svg.find("</svg>").unwrap()];
    assert!(svg.contains("class=\"timeline\""));
    let strips: Vec<usize> = ["cpu 0 · start", "cpu 1 · start", "cpu 0 · after round 1"]
        .iter()
        .map(|s| svg.find(s).unwrap_or_else(|| panic!("{s}")))
        .collect();
    assert!(strips.windows(2).all(|w| w[0] < w[1]), "{strips:?}");
    for text in [
        "lost 6.35 ms · 2 gaps &gt; 1 ms in 3 s",
        "lost 60.0 µs · 0 gaps &gt; 1 ms in 3 s",
        "lost 8.00 ms · 1 gap &gt; 1 ms in 3 s",
    ] {
        assert!(svg.contains(text), "{text}");
    }
    // A tick per gap, red over 1 ms.
    assert_eq!(svg.matches("<title>").count(), 1 + 5);
    assert_eq!(svg.matches("fill=\"#d92d20\"").count(), 3);
    // Who else ran: the top five by CPU, most first; the sixth left out.
    let who = &env[env.find("<table class=\"others\">").unwrap()..];
    let who = &who[..who.find("</table>").unwrap()];
    assert_eq!(who.matches("<tr>").count(), 1 + 5);
    assert!(who.find("kdamond.0").unwrap() < who.find("systemd").unwrap());
    assert!(
        who.contains("<td>kdamond.0</td><td class=\"num\">47</td><td class=\"num\">27.0 ms</td>")
    );
    assert!(!who.contains("journald"));
    assert!(
        env.contains("/proc/&lt;pid&gt;/task"),
        "the method, escaped"
    );
    // summary.md: the same SVG as a file beside it, and the table.
    let file = std::fs::read_to_string(o.dir.join("cpu-timeline.svg")).unwrap();
    assert!(svg.starts_with(&file[..file.find("</svg>").unwrap()]));
    assert!(o.md.contains("![CPU probes](cpu-timeline.svg)"));
    assert!(o.md.contains(
        "| Who else ran | PID | CPU time |\n|---|---:|---:|\n| kdamond.0 | 47 | 27.0 ms |"
    ));
    assert!(o.md.contains(
        "| CPU probes | cpu 0 lost 14.3 ms in 6 s of probing (2 probes), 3 gaps &gt; 1 ms; cpu 1"
    ));
}

#[test]
fn runs_without_noise_have_no_timeline() {
    let o = render_ok("a-complete", None);
    assert!(!o.html.contains("class=\"timeline\"") && !o.html.contains("Who else ran"));
    assert!(!o.dir.join("cpu-timeline.svg").exists());
    assert_eq!(o.json["noise"], Value::Null);
}

/// The CPU timeline alone: one strip per probe, a tick per gap, red over 1 ms.
#[test]
fn the_timeline_has_one_strip_per_probe_and_a_tick_per_gap() {
    let machine = MachineNoise {
        probes: vec![
            intervals::probe("start", 1, 0.0, 2.0, vec![(10.0, 50.0)]),
            intervals::probe("start", 0, 0.0, 2.0, vec![(500.0, 4000.0), (1500.0, 200.0)]),
        ],
        others: vec![],
        method: String::new(),
    };
    let svg = noise::timeline_svg(&machine).unwrap();
    assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    assert_eq!(svg.matches("<rect").count(), 2 + 3);
    assert_eq!(
        svg.matches("fill=\"#d92d20\"").count(),
        1,
        "one gap over 1 ms"
    );
    // cpu 0 first; its 4 ms gap at a quarter of the strip, 87% tall.
    assert!(svg.find("cpu 0 · start").unwrap() < svg.find("cpu 1 · start").unwrap());
    assert!(svg.contains("<rect x=\"300.0\" y=\"26.4\" width=\"1.5\" height=\"15.6\""));
    assert!(svg.contains("lost 4.20 ms · 1 gap &gt; 1 ms in 2 s"));
    assert_eq!(
        noise::per_cpu_line(&machine),
        "cpu 0 lost 4.20 ms in 2 s of probing (1 probe), 1 gap > 1 ms; \
         cpu 1 lost 50.0 µs in 2 s of probing (1 probe), 0 gaps > 1 ms"
    );
    assert!(noise::timeline_svg(&MachineNoise::default()).is_none());
}
