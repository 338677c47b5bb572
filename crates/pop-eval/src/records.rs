//! The records of an evaluation (format 2): one gzip-compressed JSON-lines file per stage,
//! `records/<suite>/<method>.jsonl.gz`, one [`Record`] per line in the runner's job order
//! (function, start, budget).
//!
//! A record is compact: it keeps the best-so-far value at a thinned set of calls
//! ([`checkpoints`]: every call up to 16, then steps of about 12 %, every budget of the
//! configuration and the record's own budget), the first calls that reach the COCO targets
//! ([`Record::hits`]) and, for the configured convergence functions of VLSE-47, every call. That
//! is exactly what the summary, the tables and the pictures read, so they are the same as with
//! the full curves of format 1 (tested).
//!
//! Reading from Python: `pandas.read_json("records/vlse47/pop.jsonl.gz", lines=True)` (the
//! compression is inferred from the name); `t` and `best` are list columns.
//!
//! Format 1 (`records/<suite>/<method>.jsonl`, uncompressed, the whole curve per line) is refused
//! with [`ReproduceError::RecordsFormat`]; [`migrate_v1`] converts such a folder without running
//! anything again.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use serde::{Deserialize, Serialize};

use super::config::ReproduceConfig;
use super::error::{ReproduceError, io_err, write_atomic};

/// Version of the records format; a results folder of another version is refused.
pub const FORMAT_VERSION: u32 = 2;

/// COCO targets `f* + 10^k (f(x0) − f*)`, `k = −8 ..= 0`.
pub const COCO_EXPONENTS: std::ops::RangeInclusive<i32> = -8..=0;

/// The file name extension of a stage's records.
pub const RECORDS_EXT: &str = "jsonl.gz";

/// One run of one method on one function from one start, at one budget (format 2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// Suite name.
    pub suite: String,
    /// Function name within the suite.
    pub function: String,
    /// Dimension.
    pub dim: usize,
    /// Method key.
    pub method: String,
    /// Budget (oracle calls, start included).
    pub budget: usize,
    /// Start index (0-based; the start point is shared by all methods).
    pub start: usize,
    /// Seed of the run.
    pub seed: u64,
    /// The function's minimum (an estimate for the prior sets in 8–32-D).
    pub f_star: Option<f64>,
    /// Value at the start point.
    pub f0: Option<f64>,
    /// The calls (1-based, strictly ascending, the last one `budget`) after which the best-so-far
    /// value is kept: [`checkpoints`], or every call `1..=budget` for the convergence functions.
    pub t: Vec<usize>,
    /// Best-so-far value after `t[i]` calls (`None` before the first finite value).
    pub best: Vec<Option<f64>>,
    /// For each COCO target `f* + 10^k (f0 − f*)`, `k` in [`COCO_EXPONENTS`]: the first call
    /// whose best-so-far value is at or below it (`None`: not within the budget). `None` as a
    /// whole when the targets are undefined (no finite `f0` or `f*`, or `f0 ≤ f*`). Computed
    /// from every call's value as this file's JSON reads back (serde_json's default parser).
    pub hits: Option<Vec<Option<usize>>>,
    /// Calls whose value or gradient was NaN/±∞.
    pub failed_calls: usize,
    /// Wall-clock seconds of the run (of the longer run it is a prefix of, see `prefix_of`).
    pub wall_time_s: f64,
    /// Seconds inside the optimizer (same caveat).
    pub optimizer_time_s: f64,
    /// For anytime methods: the budget of the run whose first `budget` calls this record is.
    pub prefix_of: Option<usize>,
}

/// Who ran what: the fields of a [`Record`] that do not come from the curve.
#[derive(Debug, Clone, PartialEq)]
pub struct RunInfo {
    /// Suite name.
    pub suite: String,
    /// Function name.
    pub function: String,
    /// Dimension.
    pub dim: usize,
    /// Method key.
    pub method: String,
    /// Start index.
    pub start: usize,
    /// Seed.
    pub seed: u64,
    /// The function's minimum.
    pub f_star: Option<f64>,
    /// Value at the start point.
    pub f0: Option<f64>,
    /// Wall-clock seconds of the run.
    pub wall_time_s: f64,
    /// Seconds inside the optimizer.
    pub optimizer_time_s: f64,
}

/// The calls kept in a record of budget `budget`: `t = 1`, then `t ← t + max(1, ⌊t/8⌋)` (every
/// call up to 16, then steps of about 12 %: 41 calls at T = 200, 90 at T = 100 000), every
/// entry of `budgets` up to `budget`, and `budget` itself; ascending, without repeats.
pub fn checkpoints(budget: usize, budgets: &[usize]) -> Vec<usize> {
    let mut t = Vec::new();
    let mut k = 1usize;
    while k < budget {
        t.push(k);
        k += (k / 8).max(1);
    }
    t.extend(budgets.iter().copied().filter(|&b| b <= budget));
    if budget > 0 {
        t.push(budget);
    }
    t.sort_unstable();
    t.dedup();
    t
}

/// Whether records of `function` on `suite` keep every call: the convergence pictures draw the
/// median over the starts after each call.
pub fn keeps_every_call(cfg: &ReproduceConfig, suite: &str, function: &str) -> bool {
    suite == "vlse47" && cfg.convergence_functions.iter().any(|f| f == function)
}

impl Record {
    /// The record of the first `budget` calls of a run whose best-so-far curve is `best`
    /// (`best[k]` after call `k + 1`, at least `budget` entries, `None` before the first finite
    /// value), keeping the calls `t` (ascending, within `1..=budget`, ending at `budget`).
    pub fn compact(
        info: &RunInfo,
        best: &[Option<f64>],
        budget: usize,
        t: Vec<usize>,
        failed_calls: usize,
        prefix_of: Option<usize>,
    ) -> Self {
        let curve = &best[..budget.min(best.len())];
        let kept = t
            .iter()
            .map(|&k| curve.get(k.wrapping_sub(1)).copied().flatten())
            .collect();
        Self {
            suite: info.suite.clone(),
            function: info.function.clone(),
            dim: info.dim,
            method: info.method.clone(),
            budget,
            start: info.start,
            seed: info.seed,
            f_star: info.f_star,
            f0: info.f0,
            t,
            best: kept,
            hits: coco_hits(curve, info.f0, info.f_star),
            failed_calls,
            wall_time_s: info.wall_time_s,
            optimizer_time_s: info.optimizer_time_s,
            prefix_of,
        }
    }

    /// The best-so-far value after `t` calls: `Some(None)` before the first finite value, `None`
    /// when `t` is not one of the kept calls [`Record::t`].
    pub fn best_at(&self, t: usize) -> Option<Option<f64>> {
        self.t
            .binary_search(&t)
            .ok()
            .and_then(|i| self.best.get(i).copied())
    }

    /// Normalised regret `(b_t − f*)/(f0 − f*)` of the first `t` calls
    /// ([`pop_optim::metrics::normalized_regret`], `b_t = f0` before the first finite value);
    /// `None` without a finite `f0` (a failed start) and `f*`, with `f0 ≤ f*`, or when `t` is not
    /// kept ([`Record::t`]: always the budget, every budget of the configuration below it, and
    /// every call on the convergence functions).
    pub fn regret_at(&self, t: usize) -> Option<f64> {
        let f0 = self.f0?;
        let b = self.best_at(t)?.unwrap_or(f0);
        pop_optim::metrics::normalized_regret(f0, b, self.f_star?)
    }

    /// Normalised regret at the end of the run.
    pub fn regret(&self) -> Option<f64> {
        self.regret_at(self.budget)
    }

    /// Whether every call `1..=budget` is kept.
    pub fn has_every_call(&self) -> bool {
        self.t.len() == self.budget
    }
}

/// `v` as a reader of a record sees it: written by serde_json (shortest round-trip digits) and
/// parsed back by serde_json's default float parser, which can be one unit in the last place off.
/// The COCO hits are computed on these values, so that they are exactly those that format 1's
/// summary computed from its files.
fn as_read(v: f64) -> f64 {
    serde_json::to_string(&v)
        .ok()
        .and_then(|s| serde_json::from_str::<f64>(&s).ok())
        .unwrap_or(v)
}

/// The first calls reaching each COCO target (see [`Record::hits`]), on the values as read back.
fn coco_hits(
    curve: &[Option<f64>],
    f0: Option<f64>,
    f_star: Option<f64>,
) -> Option<Vec<Option<usize>>> {
    let (f0, fs) = (as_read(f0?), as_read(f_star?));
    let curve: Vec<Option<f64>> = curve.iter().map(|v| v.map(as_read)).collect();
    let gap = f0 - fs;
    if !(gap > 0.0 && gap.is_finite()) {
        return None;
    }
    Some(
        COCO_EXPONENTS
            .map(|k| {
                let target = fs + 10f64.powi(k) * gap;
                curve
                    .iter()
                    .position(|v| v.is_some_and(|v| v <= target))
                    .map(|p| p + 1)
            })
            .collect(),
    )
}

fn records_err(path: &Path) -> impl Fn(String) -> ReproduceError + '_ {
    move |reason| ReproduceError::Records {
        path: path.to_path_buf(),
        reason,
    }
}

/// The records file of a stage: `<out>/records/<suite>/<method>.jsonl.gz`.
pub fn records_path(out: &Path, suite: &str, method: &str) -> PathBuf {
    out.join("records")
        .join(suite)
        .join(format!("{method}.{RECORDS_EXT}"))
}

/// The timing file of a stage: `<out>/records/<suite>/<method>.timing.json`.
pub fn timing_path(out: &Path, suite: &str, method: &str) -> PathBuf {
    out.join("records")
        .join(suite)
        .join(format!("{method}.timing.json"))
}

/// The format-1 records file of a stage (`.jsonl`), for the error that names it.
pub fn v1_records_path(out: &Path, suite: &str, method: &str) -> PathBuf {
    out.join("records")
        .join(suite)
        .join(format!("{method}.jsonl"))
}

/// Gzip-compressed JSON lines being written into `W`.
pub struct RecordWriter<W: Write> {
    enc: GzEncoder<W>,
    line: Vec<u8>,
    path: PathBuf,
    count: usize,
}

impl<W: Write> RecordWriter<W> {
    /// A writer at gzip level `level` (0–9); `path` names the destination in errors.
    pub fn new(inner: W, level: u32, path: &Path) -> Self {
        Self {
            enc: GzEncoder::new(inner, Compression::new(level)),
            line: Vec::new(),
            path: path.to_path_buf(),
            count: 0,
        }
    }

    /// Appends one record as one line.
    pub fn write(&mut self, r: &Record) -> Result<(), ReproduceError> {
        self.line.clear();
        serde_json::to_writer(&mut self.line, r)
            .map_err(|e| records_err(&self.path)(e.to_string()))?;
        self.line.push(b'\n');
        self.enc
            .write_all(&self.line)
            .map_err(io_err(self.path.clone()))?;
        self.count += 1;
        Ok(())
    }

    /// Appends one line that is already a serialised record (a newline is added if missing).
    pub(crate) fn write_raw_line(&mut self, line: &[u8]) -> Result<(), ReproduceError> {
        self.enc
            .write_all(line)
            .map_err(io_err(self.path.clone()))?;
        if !line.ends_with(b"\n") {
            self.enc
                .write_all(b"\n")
                .map_err(io_err(self.path.clone()))?;
        }
        self.count += 1;
        Ok(())
    }

    /// Records written so far.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Ends the gzip stream and returns the destination.
    pub fn finish(self) -> Result<W, ReproduceError> {
        self.enc.finish().map_err(io_err(self.path))
    }
}

/// Compresses `records` into one gzip stream in memory (gzip level 6).
pub fn encode(records: &[Record], path: &Path) -> Result<Vec<u8>, ReproduceError> {
    let mut w = RecordWriter::new(Vec::new(), 6, path);
    for r in records {
        w.write(r)?;
    }
    w.finish()
}

/// Streams the records of a `.jsonl.gz` file (one or more gzip members), one line at a time.
pub struct RecordReader {
    lines: BufReader<MultiGzDecoder<BufReader<File>>>,
    buf: String,
    path: PathBuf,
    line: usize,
}

impl std::fmt::Debug for RecordReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordReader")
            .field("path", &self.path)
            .field("line", &self.line)
            .finish()
    }
}

impl RecordReader {
    /// Opens `path`.
    pub fn open(path: &Path) -> Result<Self, ReproduceError> {
        let file = File::open(path).map_err(io_err(path))?;
        Ok(Self::from_reader(BufReader::new(file), path))
    }

    fn from_reader(r: BufReader<File>, path: &Path) -> Self {
        Self {
            lines: BufReader::with_capacity(1 << 16, MultiGzDecoder::new(r)),
            buf: String::new(),
            path: path.to_path_buf(),
            line: 0,
        }
    }

    /// The next line parsed as `T` (`None` at the end; blank lines skipped).
    fn next_as<T: serde::de::DeserializeOwned>(&mut self) -> Option<Result<T, ReproduceError>> {
        loop {
            self.buf.clear();
            self.line += 1;
            match self.lines.read_line(&mut self.buf) {
                Ok(0) => return None,
                Ok(_) if self.buf.trim().is_empty() => continue,
                Ok(_) => {
                    return Some(
                        serde_json::from_str(&self.buf).map_err(|e| {
                            records_err(&self.path)(format!("line {}: {e}", self.line))
                        }),
                    );
                }
                Err(e) => {
                    return Some(Err(records_err(&self.path)(format!(
                        "line {}: not gzip-compressed JSON lines ({e})",
                        self.line
                    ))));
                }
            }
        }
    }
}

impl Iterator for RecordReader {
    type Item = Result<Record, ReproduceError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_as()
    }
}

/// Reads a whole records file into memory (the summary streams instead, see
/// [`RecordReader`]).
pub fn read_records(path: &Path) -> Result<Vec<Record>, ReproduceError> {
    RecordReader::open(path)?.collect()
}

/// Counts the records of a file, checking that every line parses.
pub fn count_records(path: &Path) -> Result<usize, ReproduceError> {
    let mut n = 0;
    for r in RecordReader::open(path)? {
        r?;
        n += 1;
    }
    Ok(n)
}

/// The `format_version` of a results folder's `config.json`.
pub fn folder_format(out: &Path) -> Result<u32, ReproduceError> {
    #[derive(Deserialize)]
    struct Version {
        format_version: u32,
    }
    let path = out.join("config.json");
    let text = std::fs::read_to_string(&path).map_err(io_err(&path))?;
    let v: Version = serde_json::from_str(&text).map_err(|e| ReproduceError::ForeignResults {
        path: out.to_path_buf(),
        reason: format!("its config.json is not a reproduction manifest: {e}"),
    })?;
    Ok(v.format_version)
}

/// Refuses a results folder whose records are of another format.
pub fn check_folder_format(out: &Path) -> Result<(), ReproduceError> {
    let found = folder_format(out)?;
    if found == FORMAT_VERSION {
        Ok(())
    } else {
        Err(ReproduceError::RecordsFormat {
            path: out.to_path_buf(),
            found,
            expected: FORMAT_VERSION,
        })
    }
}

/// A record of format 1 (one uncompressed JSON line with the whole best-so-far curve), read
/// only by [`migrate_v1`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordV1 {
    /// Suite name.
    pub suite: String,
    /// Function name within the suite.
    pub function: String,
    /// Dimension.
    pub dim: usize,
    /// Method key.
    pub method: String,
    /// Budget.
    pub budget: usize,
    /// Start index.
    pub start: usize,
    /// Seed of the run.
    pub seed: u64,
    /// The function's minimum.
    pub f_star: Option<f64>,
    /// Value at the start point.
    pub f0: Option<f64>,
    /// Best-so-far value after each call.
    pub best: Vec<Option<f64>>,
    /// Failed calls.
    pub failed_calls: usize,
    /// Wall-clock seconds.
    pub wall_time_s: f64,
    /// Optimizer seconds.
    pub optimizer_time_s: f64,
    /// Budget of the run it is a prefix of.
    pub prefix_of: Option<usize>,
}

impl RecordV1 {
    /// The format-2 record of the same run under `cfg`.
    pub fn to_v2(&self, cfg: &ReproduceConfig) -> Record {
        let info = RunInfo {
            suite: self.suite.clone(),
            function: self.function.clone(),
            dim: self.dim,
            method: self.method.clone(),
            start: self.start,
            seed: self.seed,
            f_star: self.f_star,
            f0: self.f0,
            wall_time_s: self.wall_time_s,
            optimizer_time_s: self.optimizer_time_s,
        };
        let t = if keeps_every_call(cfg, &self.suite, &self.function) {
            (1..=self.budget).collect()
        } else {
            checkpoints(self.budget, &cfg.budgets)
        };
        Record::compact(
            &info,
            &self.best,
            self.budget,
            t,
            self.failed_calls,
            self.prefix_of,
        )
    }
}

/// What [`migrate_v1`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MigrationReport {
    /// Stages converted.
    pub stages: usize,
    /// Records converted.
    pub records: usize,
    /// Bytes of the format-1 records files read.
    pub bytes_before: u64,
    /// Bytes of the format-2 records files written.
    pub bytes_after: u64,
}

/// Converts the format-1 results folder `from` into a format-2 folder `to` (a new folder):
/// every stage's records (streamed, one line at a time), its timing, `scaling.json` and
/// `run-info.json`, and the manifest. Nothing is run again and `from` is not modified; the
/// tables and pictures of `to` are those `from` gave.
pub fn migrate_v1(from: &Path, to: &Path) -> Result<MigrationReport, ReproduceError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct ManifestV1 {
        format_version: u32,
        config: ReproduceConfig,
        policy_fingerprints: BTreeMap<String, String>,
    }
    let mpath = from.join("config.json");
    let text = std::fs::read_to_string(&mpath).map_err(io_err(&mpath))?;
    let old: ManifestV1 =
        serde_json::from_str(&text).map_err(|e| ReproduceError::ForeignResults {
            path: from.to_path_buf(),
            reason: format!("its config.json is not a reproduction manifest: {e}"),
        })?;
    if old.format_version != 1 {
        return Err(ReproduceError::RecordsFormat {
            path: from.to_path_buf(),
            found: old.format_version,
            expected: 1,
        });
    }
    if to.join("config.json").exists() {
        return Err(ReproduceError::ForeignResults {
            path: to.to_path_buf(),
            reason: "the destination of a migration must be a new folder".into(),
        });
    }
    let cfg = old.config;
    let mut report = MigrationReport::default();
    for s in &cfg.suites {
        for m in &cfg.methods {
            if cfg.budgets_on(m, &s.name).is_empty() {
                continue;
            }
            let src = v1_records_path(from, &s.name, m);
            if !src.exists() {
                continue;
            }
            report.bytes_before += std::fs::metadata(&src).map_err(io_err(&src))?.len();
            let dst = records_path(to, &s.name, m);
            let file = File::open(&src).map_err(io_err(&src))?;
            let mut w = RecordWriter::new(Vec::new(), 6, &dst);
            for (i, line) in BufReader::new(file).lines().enumerate() {
                let line = line.map_err(io_err(&src))?;
                if line.trim().is_empty() {
                    continue;
                }
                let r: RecordV1 = serde_json::from_str(&line)
                    .map_err(|e| records_err(&src)(format!("line {}: {e}", i + 1)))?;
                w.write(&r.to_v2(&cfg))?;
            }
            report.records += w.count();
            let bytes = w.finish()?;
            report.bytes_after += bytes.len() as u64;
            write_atomic(&dst, &bytes)?;
            let t = timing_path(from, &s.name, m);
            if t.exists() {
                copy_file(&t, &timing_path(to, &s.name, m))?;
            }
            report.stages += 1;
        }
    }
    for f in ["scaling.json", "run-info.json"] {
        let p = from.join(f);
        if p.exists() {
            copy_file(&p, &to.join(f))?;
        }
    }
    let manifest = super::runner::Manifest {
        format_version: FORMAT_VERSION,
        config: cfg,
        policy_fingerprints: old.policy_fingerprints,
        // Migrated records carry no stamps: read unverified, as before.
        stage_inputs: false,
    };
    let json = serde_json::to_string_pretty(&manifest)
        .map_err(|e| records_err(&to.join("config.json"))(e.to_string()))?;
    write_atomic(&to.join("config.json"), json.as_bytes())?;
    Ok(report)
}

fn copy_file(from: &Path, to: &Path) -> Result<(), ReproduceError> {
    let mut bytes = Vec::new();
    File::open(from)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(io_err(from))?;
    write_atomic(to, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoints_are_log_spaced_and_keep_the_budgets() {
        let t = checkpoints(200, &[50, 100, 200]);
        assert_eq!(t.len(), 41, "{t:?}");
        assert_eq!(&t[..16], &(1..=16).collect::<Vec<_>>()[..]);
        for b in [50, 100, 200] {
            assert!(t.contains(&b));
        }
        assert!(t.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(checkpoints(1, &[50]), vec![1]);
        assert_eq!(checkpoints(50, &[50, 100]).last(), Some(&50));
        assert!(checkpoints(100_000, &[]).len() <= 100);
    }

    #[test]
    fn compact_records_keep_what_the_tables_read() {
        let info = RunInfo {
            suite: "vlse47".into(),
            function: "branin".into(),
            dim: 2,
            method: "adam".into(),
            start: 0,
            seed: 1,
            f_star: Some(0.0),
            f0: Some(10.0),
            wall_time_s: 0.0,
            optimizer_time_s: 0.0,
        };
        let best: Vec<Option<f64>> = (0..100)
            .map(|k| (k > 2).then(|| 10.0 * 0.8f64.powi(k)))
            .collect();
        let r = Record::compact(
            &info,
            &best,
            60,
            checkpoints(60, &[30, 60, 100]),
            0,
            Some(100),
        );
        assert_eq!(r.t.last(), Some(&60));
        assert_eq!(r.best_at(1), Some(None));
        assert_eq!(r.best_at(30), Some(best[29]));
        assert_eq!(r.regret_at(2), Some(1.0), "no finite value yet: b = f0");
        assert_eq!(r.regret(), Some(best[59].expect("finite") / 10.0));
        assert_eq!(r.regret_at(61), None, "beyond the budget");
        let hits = r.hits.as_ref().expect("targets defined");
        assert_eq!(hits.len(), COCO_EXPONENTS.count());
        // 10^0 target = f0: the first finite value (call 4) reaches it.
        assert_eq!(hits[8], Some(4));
        assert_eq!(hits[0], None, "1e-8 not reached in 60 calls");
        let full = Record::compact(&info, &best, 60, (1..=60).collect(), 0, None);
        assert!(full.has_every_call() && !r.has_every_call());
        let mut bad = info.clone();
        bad.f0 = None;
        assert_eq!(
            Record::compact(&bad, &best, 10, vec![10], 0, None).hits,
            None
        );
    }
}
