//! The files of a run: atomic writes, reads that name the file, the bench
//! files' names, the run folder and its id, and the crate versions from
//! Cargo.lock.

use crate::{BenchResult, References, RunMeta, SCHEMA_VERSION};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Errors that name the file they came from.
#[derive(Debug)]
pub struct FileError {
    pub path: PathBuf,
    pub message: String,
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for FileError {}

/// Writes `bytes` to `path` atomically: a temp file in the same folder
/// (created if need be), fsync'd, then renamed over the target, so a reader
/// never sees half a file. The file is readable by all (0644), as a plainly
/// created one would be.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(fs::Permissions::from_mode(0o644))?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Writes `value` as pretty JSON (and a final newline) to `path` atomically
/// (see [`write_atomic`]).
pub fn write_json_atomic<T: Serialize>(path: &Path, value: &T) -> io::Result<()> {
    let mut bytes = serde_json::to_vec_pretty(value)?;
    bytes.push(b'\n');
    write_atomic(path, &bytes)
}

/// Reads a JSON file, naming the file in every error (missing, empty, corrupt,
/// or of a newer schema).
pub fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, FileError> {
    let err = |message: String| FileError {
        path: path.to_path_buf(),
        message,
    };
    let text = fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    if text.trim().is_empty() {
        return Err(err("file is empty".into()));
    }
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| err(format!("not valid JSON ({e})")))?;
    match value.get("schema_version").and_then(|v| v.as_u64()) {
        Some(v) if v > u64::from(SCHEMA_VERSION) => {
            return Err(err(format!(
                "schema_version {v} is newer than this rtbench reads ({SCHEMA_VERSION})"
            )));
        }
        Some(_) => {}
        None => return Err(err("no schema_version field".into())),
    }
    serde_json::from_value(value).map_err(|e| err(format!("unexpected content ({e})")))
}

/// File name for a benchmark id: `echo/tokio-mt/64B-16c` -> `echo__tokio-mt__64B-16c.json`.
pub fn bench_file_name(id: &str) -> String {
    let slug: String = id
        .chars()
        .map(|c| match c {
            '/' => '~',
            c if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') => c,
            _ => '_',
        })
        .collect();
    format!("{}.json", slug.replace('~', "__"))
}

/// File name for a benchmark id in a round: round 1 (or 0) keeps
/// [`bench_file_name`], so single-round runs look as before; round k > 1 is
/// `<slug>.r<k>.json`, beside it.
pub fn bench_file_name_in_round(id: &str, round: u32) -> String {
    let name = bench_file_name(id);
    if round <= 1 {
        return name;
    }
    format!("{}.r{round}.json", name.trim_end_matches(".json"))
}

/// The key of the load generator's own mio version, which `mio` (every
/// version in the lock, runtimes' included) cannot say.
pub const LOADGEN_MIO: &str = "mio (load generator)";

/// Versions of `crates` from a Cargo.lock; several versions of one crate are
/// joined with ", ". [`LOADGEN_MIO`] is the mio that `rtbench-loadgen` (the
/// load generator; `rtbench-workloads` in a lock from before it had its own
/// crate) depends on.
pub fn crate_versions(path: &Path, crates: &[&str]) -> Result<BTreeMap<String, String>, FileError> {
    #[derive(Deserialize)]
    struct Lock {
        #[serde(default)]
        package: Vec<Package>,
    }
    #[derive(Deserialize)]
    struct Package {
        name: String,
        version: String,
        #[serde(default)]
        dependencies: Vec<String>,
    }
    let err = |message: String| FileError {
        path: path.to_path_buf(),
        message,
    };
    let text = fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let lock: Lock =
        toml::from_str(&text).map_err(|e| err(format!("not a Cargo.lock ({})", e.message())))?;
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    // A dependency line is `mio` when the lock has one mio, else `mio 1.2.5`
    // (or `mio 1.2.5 (registry+...)`).
    let generator = ["rtbench-loadgen", "rtbench-workloads"]
        .iter()
        .find_map(|name| lock.package.iter().find(|p| p.name == *name));
    let loadgen_mio = generator
        .and_then(|p| {
            p.dependencies
                .iter()
                .find(|d| d.split(' ').next() == Some("mio"))
        })
        .and_then(|d| match d.split(' ').nth(1) {
            Some(version) => Some(version.to_string()),
            None => lock
                .package
                .iter()
                .find(|p| p.name == "mio")
                .map(|p| p.version.clone()),
        });
    if let Some(v) = loadgen_mio {
        out.insert(LOADGEN_MIO.to_string(), v);
    }
    for p in lock.package {
        if crates.contains(&p.name.as_str()) {
            out.entry(p.name)
                .and_modify(|v| *v = format!("{v}, {}", p.version))
                .or_insert(p.version);
        }
    }
    Ok(out)
}

/// A run folder on disk.
#[derive(Debug, Clone)]
pub struct RunDir {
    pub path: PathBuf,
}

impl RunDir {
    pub fn meta_path(&self) -> PathBuf {
        self.path.join("meta.json")
    }

    pub fn bench_dir(&self) -> PathBuf {
        self.path.join("bench")
    }

    pub fn write_meta(&self, meta: &RunMeta) -> io::Result<()> {
        write_json_atomic(&self.meta_path(), meta)
    }

    pub fn write_bench(&self, result: &BenchResult) -> io::Result<()> {
        let name = bench_file_name_in_round(&result.id, result.round);
        write_json_atomic(&self.bench_dir().join(name), result)
    }

    pub fn references_path(&self) -> PathBuf {
        self.path.join("references.json")
    }

    /// The run's latency references so far (none yet is an empty set).
    pub fn read_references(&self) -> Result<References, FileError> {
        if !self.references_path().exists() {
            return Ok(References {
                schema_version: SCHEMA_VERSION,
                ..References::default()
            });
        }
        read_json(&self.references_path())
    }

    pub fn write_references(&self, refs: &References) -> io::Result<()> {
        write_json_atomic(&self.references_path(), refs)
    }

    /// Reads meta.json.
    pub fn read_meta(&self) -> Result<RunMeta, FileError> {
        read_json(&self.meta_path())
    }

    /// Reads every bench file of every round, sorted by file name; a bad file
    /// is returned as an error beside the good ones rather than failing the
    /// whole run.
    pub fn read_benches(&self) -> (Vec<BenchResult>, Vec<FileError>) {
        let mut ok = Vec::new();
        let mut bad = Vec::new();
        let mut paths: Vec<PathBuf> = match fs::read_dir(self.bench_dir()) {
            Ok(rd) => rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.extension().is_some_and(|x| x == "json")
                        && !p
                            .file_name()
                            .and_then(|n| n.to_str())
                            .is_some_and(|n| n.starts_with('.'))
                })
                .collect(),
            Err(e) => {
                bad.push(FileError {
                    path: self.bench_dir(),
                    message: e.to_string(),
                });
                Vec::new()
            }
        };
        paths.sort();
        for p in paths {
            match read_json::<BenchResult>(&p) {
                Ok(r) => ok.push(r),
                Err(e) => bad.push(e),
            }
        }
        (ok, bad)
    }
}

/// `YYYYMMDDTHHMMSS` in UTC: how every run id starts (`rtbench run`, `rtbench
/// load --results`, a bench process on its own), so run folders sort by time.
pub fn run_stamp(t: SystemTime) -> String {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Days since 1970-01-01 to a civil date (Howard Hinnant's `civil_from_days`).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}",
        rest / 3_600,
        rest / 60 % 60,
        rest % 60
    )
}

impl RunDir {
    /// A new run folder under `root` (created if need be), named
    /// `<run_stamp>-<tag>`, or `<run_stamp>-<tag>-<n>` (n = 2, 3, …) when that
    /// name is taken: the folder is created exclusively, so two runs started
    /// in the same second never share one.
    pub fn create_new(root: &Path, tag: &str) -> io::Result<RunDir> {
        if root.exists() && !root.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotADirectory,
                format!("{} is a file, not a folder", root.display()),
            ));
        }
        fs::create_dir_all(root)?;
        let stamp = run_stamp(SystemTime::now());
        for n in 1..10_000u32 {
            let id = match n {
                1 => format!("{stamp}-{tag}"),
                n => format!("{stamp}-{tag}-{n}"),
            };
            let path = root.join(&id);
            match fs::create_dir(&path) {
                Ok(()) => return Ok(RunDir { path }),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "{}: every run folder name for {stamp}-{tag} is taken",
                root.display()
            ),
        ))
    }

    /// The run id: the folder's name.
    pub fn id(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

/// The newest run under `root` (`target/rtbench`), by the run id's sort order
/// (ids start with a UTC timestamp).
pub fn latest_run(root: &Path) -> Option<RunDir> {
    let mut runs: Vec<PathBuf> = fs::read_dir(root)
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("meta.json").is_file())
        .map(|e| e.path())
        .collect();
    runs.sort();
    runs.pop().map(|path| RunDir { path })
}
