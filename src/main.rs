//! `rtbench`: list the runtime configurations, show the environment results
//! carry, drive any echo server with the load generator, and render reports
//! from raw results.

mod input;
mod load;
mod out;
mod run;
mod serve;

use clap::{Parser, Subcommand};
use out::outln;
use rtbench_harness::errln;
use rtbench_runtimes::{Config, entries, env};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "rtbench",
    version,
    about = "Comparative benchmarks of Rust async runtimes"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// One line per runtime configuration: name, flavor, and whether it can run here.
    List,
    /// The environment every result carries: kernel, CPU, cores, limits, io_uring, rustc.
    Env {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Drive an echo server with rtbench's load generator: closed loop, or open
    /// loop at --rate with latency from the intended send time.
    Load(load::LoadArgs),
    /// One configuration's echo server as its own process: prints its address,
    /// serves until SIGTERM or end of stdin, then prints its CPU time as JSON.
    Serve(serve::ServeArgs),
    /// Run the suite: a process per (bench, runtime), shuffled rounds, a
    /// watchdog, a progress bar; renders the report into the run folder.
    Run(run::RunArgs),
    /// Render the report (HTML, Markdown, JSON, SVG) from raw results.
    Report {
        /// A run folder, or a folder of runs (the newest is used).
        #[arg(long, default_value = "target/rtbench")]
        results: PathBuf,
        /// Where to write the report (default: the run's own `report/`
        /// folder; the committed report is `--out reports`).
        #[arg(long)]
        out: Option<PathBuf>,
        /// A run (or folder of runs) to compare against.
        #[arg(long)]
        baseline: Option<PathBuf>,
    },
    /// Print the JSON Schema of a report's results.json, generated from its
    /// types (`render/results.schema.json` is this, committed).
    Schema,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            // One line, naming the problem (clap's first paragraph: for a
            // missing argument, the arguments on the lines below it);
            // `--help` has the rest.
            let text = e.to_string();
            let first: Vec<&str> = text
                .lines()
                .take_while(|l| !l.trim().is_empty())
                .map(str::trim)
                .collect();
            let first = match first.join(" ") {
                s if s.is_empty() => "invalid arguments".to_string(),
                s => s,
            };
            errln!("{first} (see `rtbench --help`)");
            return ExitCode::from(2);
        }
        Err(e) => e.exit(),
    };
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader of our output has gone (`| head`): not an error.
        Err(e) if out::is_closed(&e) => ExitCode::SUCCESS,
        // What was asked cannot be (a bad variable, flags that do not go
        // together): one line, and 2 as for a bad flag.
        Err(e) if e.downcast_ref::<input::Usage>().is_some() => {
            errln!("error: {e:#}");
            ExitCode::from(2)
        }
        Err(e) => {
            errln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::List => {
            let config = Config::default();
            for entry in entries() {
                let state = match (entry.probe)(&config) {
                    Ok(_) => "available".to_string(),
                    Err(why) => format!("unavailable: {why}"),
                };
                outln!("{:<12} {:<16} {state}", entry.name, entry.flavor.as_str())?;
            }
        }
        Command::Env { json } => {
            let e = env::probe();
            if json {
                outln!("{}", serde_json::to_string_pretty(&e)?)?;
            } else {
                let memlock = e
                    .memlock_bytes
                    .map_or("unlimited".to_string(), |b| format!("{} KiB", b / 1024));
                let slack = e
                    .timer_slack_ns
                    .map_or("unknown".into(), |ns| format!("{ns} ns"));
                out::print(&format!(
                    "kernel        {}\ncpu           {}\ncores         {}\nmemlock       {memlock}\n\
                     io_uring      {}\nrustc         {}\ntimer slack   {slack}\n",
                    e.kernel, e.cpu_model, e.cores, e.io_uring, e.rustc
                ))?;
            }
        }
        Command::Load(args) => load::run(args)?,
        Command::Serve(args) => serve::run(args)?,
        Command::Run(args) => run::run(args)?,
        Command::Schema => out::print(&rtbench_render::results_schema())?,
        Command::Report {
            results,
            out,
            baseline,
        } => {
            let out = match out {
                Some(out) => out,
                None => rtbench_render::read::resolve(&results)?
                    .path
                    .join(rtbench_render::REPORT_DIR),
            };
            report(results, out, baseline, true, None)?
        }
    }
    Ok(())
}

/// Renders `results` into `out` (swapped in whole: a failed render leaves
/// `out` as it was), listing the files written when `list`. `selected`: the
/// ids the run asked for, when the caller knows them (`rtbench run`), else
/// what its meta.json recorded.
fn report(
    results: PathBuf,
    out: PathBuf,
    baseline: Option<PathBuf>,
    list: bool,
    selected: Option<&[String]>,
) -> anyhow::Result<()> {
    let lock = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("Cargo.lock");
    let options = rtbench_render::Options {
        results,
        out,
        baseline,
        cargo_lock: lock.is_file().then(|| rtbench_render::CargoLock {
            path: lock,
            crates: rtbench_harness::plan::versioned_crates(),
        }),
    };
    let rendered = rtbench_render::render_selected(&options, selected)?;
    for problem in &rendered.problems {
        errln!("warning: skipped unreadable {problem}");
    }
    for warning in &rendered.warnings {
        errln!("warning: {warning}");
    }
    let listed = rendered
        .files
        .iter()
        .filter(|_| list)
        .try_for_each(|file| outln!("{}", file.display()));
    // Rendered from what could be read; what could not is an error, even
    // when the reader of the list has gone.
    if !rendered.problems.is_empty() {
        anyhow::bail!(
            "rendered without {} unreadable file(s) (listed above)",
            rendered.problems.len()
        );
    }
    listed
}
