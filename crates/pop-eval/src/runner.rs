//! Running the evaluation: one stage per (suite, method), written atomically as a gzip JSON-lines
//! file of records ([`crate::records`]) and skipped when it is already complete. Within a stage
//! the completed runs are saved as they finish ([`crate::checkpoint`]), so that a killed run
//! resumes where it stopped, losing at most [`Reproduction::with_checkpoint_every`] of work.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use pop_optim::harness::{self, RunOptions};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::checkpoint::{self, Found, Part, Totals};
use super::config::ReproduceConfig;
use super::config::SuiteConfig;
use super::error::{ReproduceError, io_err, write_atomic};
use super::lock::FolderLock;
use super::methods::{self, EvalMethod};
use super::records::{self, RecordWriter, RunInfo};
use super::stage::{self, StageInputs};
use super::suites::{self, Suite};

pub use super::records::{FORMAT_VERSION, Record, read_records};

/// Wall-clock figures of one stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageTiming {
    /// Suite.
    pub suite: String,
    /// Method key.
    pub method: String,
    /// Runs executed (prefix records not counted).
    pub runs: usize,
    /// Oracle calls executed.
    pub calls: u64,
    /// Wall-clock seconds of the stage (all sessions of it, when it was resumed).
    pub wall_s: f64,
    /// Sum of the runs' wall-clock seconds (≈ CPU seconds).
    pub run_s: f64,
    /// Sum of the seconds spent inside the optimizer.
    pub optimizer_s: f64,
    /// Threads of the pool.
    pub threads: usize,
}

/// What the runner reports while it works (the binary turns it into progress bars).
#[derive(Debug, Clone)]
pub enum Event {
    /// A suite's functions are being built.
    BuildingSuite {
        /// Suite name.
        suite: String,
    },
    /// The suite is ready.
    SuiteReady {
        /// Suite name.
        suite: String,
        /// Number of functions.
        functions: usize,
        /// What was left out (empty: everything).
        scope_note: String,
    },
    /// A stage starts (`skipped`: its records exist already).
    Stage {
        /// Suite.
        suite: String,
        /// Method key.
        method: String,
        /// Oracle calls it needs.
        calls: u64,
        /// Whether it is skipped.
        skipped: bool,
    },
    /// Oracle calls finished.
    Calls(u64),
    /// The completed runs of a stage were saved (a kill now loses only later runs).
    Checkpoint {
        /// Suite.
        suite: String,
        /// Method key.
        method: String,
        /// Jobs saved (runs of the stage, in job order).
        done: usize,
        /// Jobs of the stage.
        jobs: usize,
    },
}

/// The manifest stored as `config.json` in a results folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Records format.
    pub format_version: u32,
    /// The configuration.
    pub config: ReproduceConfig,
    /// FNV-1a fingerprints of the policy files, by method key.
    pub policy_fingerprints: BTreeMap<String, String>,
    /// Whether every stage's records carry a stamp of their inputs ([`crate::stage`]); `false`
    /// (the default) in folders written before stamps existed: the summary reads those
    /// unverified, with a warning, and the runner refuses to add to them.
    #[serde(default)]
    pub stage_inputs: bool,
}

/// FNV-1a-64 over every file under `path` (sorted by relative path), as hex.
pub fn fingerprint(path: &Path) -> Result<String, ReproduceError> {
    fn walk(p: &Path, base: &Path, out: &mut Vec<(String, PathBuf)>) -> std::io::Result<()> {
        if p.is_dir() {
            for e in std::fs::read_dir(p)? {
                walk(&e?.path(), base, out)?;
            }
        } else {
            let rel = p
                .strip_prefix(base)
                .unwrap_or(p)
                .to_string_lossy()
                .into_owned();
            out.push((rel, p.to_path_buf()));
        }
        Ok(())
    }
    let mut files = Vec::new();
    walk(path, path, &mut files).map_err(io_err(path))?;
    files.retain(|(rel, _)| !rel.ends_with(".md"));
    files.sort();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (rel, p) in files {
        let bytes = std::fs::read(&p).map_err(io_err(&p))?;
        for b in rel.bytes().chain(bytes) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    Ok(format!("{h:016x}"))
}

/// A prepared reproduction: its folder, manifest and methods.
pub struct Reproduction {
    cfg: ReproduceConfig,
    out: PathBuf,
    methods: Vec<EvalMethod>,
    checkpoint_every: Duration,
    policy_fingerprints: BTreeMap<String, String>,
    /// The folder is this process's while the reproduction lives.
    _lock: FolderLock,
}

impl std::fmt::Debug for Reproduction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reproduction")
            .field("out", &self.out)
            .field("methods", &self.methods)
            .finish()
    }
}

impl Reproduction {
    /// Validates `cfg`, loads every method (policies included) and claims `out`: takes its lock
    /// ([`FolderLock`]: a folder another live run writes into is
    /// [`ReproduceError::FolderInUse`]); a new folder gets `config.json`; an existing one must
    /// hold the same manifest (same config, same policy files, stage stamps), or nothing is
    /// touched and [`ReproduceError::ForeignResults`] is returned.
    pub fn prepare(cfg: ReproduceConfig, out: impl Into<PathBuf>) -> Result<Self, ReproduceError> {
        cfg.validate()?;
        let out = out.into();
        let policies = cfg.policy_paths();
        let methods = cfg
            .methods
            .iter()
            .map(|k| methods::resolve(k, &policies))
            .collect::<Result<Vec<_>, _>>()?;
        // The learned methods' policy files (`pop`, `pop-paper`, `velo-style-es`), by key: only
        // those listed, so a manifest without a method keeps matching.
        let mut policy_fingerprints = BTreeMap::new();
        for k in &cfg.methods {
            if let Some(path) = methods::find(k)?.policy_path(&policies) {
                policy_fingerprints.insert(k.clone(), fingerprint(&methods::resolve_path(path))?);
            }
        }
        let manifest = Manifest {
            format_version: FORMAT_VERSION,
            config: cfg.clone(),
            policy_fingerprints,
            stage_inputs: true,
        };
        let lock = FolderLock::acquire(&out)?;
        let path = out.join("config.json");
        if path.exists() {
            let text = std::fs::read_to_string(&path).map_err(io_err(&path))?;
            let mut old: Manifest =
                serde_json::from_str(&text).map_err(|e| ReproduceError::ForeignResults {
                    path: out.clone(),
                    reason: format!("its config.json is not a reproduction manifest: {e}"),
                })?;
            if old.format_version != manifest.format_version {
                return Err(ReproduceError::RecordsFormat {
                    path: out,
                    found: old.format_version,
                    expected: FORMAT_VERSION,
                });
            }
            if !old.stage_inputs {
                return Err(ReproduceError::ForeignResults {
                    path: out,
                    reason: "it was written by an older pop-reproduce whose records carry no \
                             stamp of their inputs, so new stages cannot be checked against \
                             them; `pop-reproduce report --out` still reads it"
                        .into(),
                });
            }
            // The paper-faithful POP's path matters only when it is evaluated: a manifest from
            // before `pop_paper_policy` existed reads its default, which may differ from the
            // preset's now.
            if !cfg.methods.iter().any(|m| m == "pop-paper") {
                old.config
                    .pop_paper_policy
                    .clone_from(&manifest.config.pop_paper_policy);
            }
            if old != manifest {
                let reason = if old.config != manifest.config {
                    format!("config `{}` differs from `{}`", old.config.name, cfg.name)
                } else {
                    "the policy files changed since".to_string()
                };
                return Err(ReproduceError::ForeignResults { path: out, reason });
            }
        } else {
            let json =
                serde_json::to_string_pretty(&manifest).map_err(|e| ReproduceError::Records {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
            write_atomic(&path, json.as_bytes())?;
        }
        let policy_fingerprints = manifest.policy_fingerprints;
        Ok(Self {
            cfg,
            out,
            methods,
            checkpoint_every: DEFAULT_CHECKPOINT_EVERY,
            policy_fingerprints,
            _lock: lock,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ReproduceConfig {
        &self.cfg
    }

    /// The results folder.
    pub fn out_dir(&self) -> &Path {
        &self.out
    }

    /// The loaded methods.
    pub fn methods(&self) -> &[EvalMethod] {
        &self.methods
    }

    /// The records file of a stage.
    pub fn records_path(&self, suite: &str, method: &str) -> PathBuf {
        records::records_path(&self.out, suite, method)
    }

    /// Saves completed runs at least this often while a stage runs (default
    /// [`DEFAULT_CHECKPOINT_EVERY`]); `Duration::ZERO` saves after every batch.
    pub fn with_checkpoint_every(mut self, every: Duration) -> Self {
        self.checkpoint_every = every;
        self
    }

    /// Runs every stage that is not complete yet, reporting through `on_event`.
    pub fn run(&self, on_event: &(dyn Fn(Event) + Sync)) -> Result<(), ReproduceError> {
        self.run_until(on_event, &AtomicBool::new(false))
    }

    /// As [`Reproduction::run`], but stops at the first checkpoint after `stop` is set, with
    /// [`ReproduceError::Interrupted`]: the saved part of the stage is kept and the next run
    /// resumes there.
    pub fn run_until(
        &self,
        on_event: &(dyn Fn(Event) + Sync),
        stop: &AtomicBool,
    ) -> Result<(), ReproduceError> {
        for sc in &self.cfg.suites {
            on_event(Event::BuildingSuite {
                suite: sc.name.clone(),
            });
            let suite = suites::build(sc)?;
            on_event(Event::SuiteReady {
                suite: suite.name.clone(),
                functions: suite.functions.len(),
                scope_note: suite.scope_note.clone(),
            });
            for m in &self.methods {
                self.stage(sc, &suite, m, on_event, stop)?;
            }
        }
        Ok(())
    }

    fn stage(
        &self,
        sc: &SuiteConfig,
        suite: &Suite,
        m: &EvalMethod,
        on_event: &(dyn Fn(Event) + Sync),
        stop: &AtomicBool,
    ) -> Result<(), ReproduceError> {
        let budgets = self.cfg.budgets_on(&m.key, &suite.name);
        let Some(&max_b) = budgets.last() else {
            return Ok(());
        };
        let anytime = methods::is_anytime(&m.key, suite.max_dim(), budgets[0])?;
        let run_budgets: Vec<usize> = if anytime {
            vec![max_b]
        } else {
            budgets.clone()
        };
        let nf = suite.functions.len();
        let starts = self.cfg.starts;
        let calls = (nf * starts) as u64 * run_budgets.iter().sum::<usize>() as u64;
        let path = self.records_path(&suite.name, &m.key);
        let expected = nf * starts * budgets.len();
        let stage_event = |skipped: bool| Event::Stage {
            suite: suite.name.clone(),
            method: m.key.clone(),
            calls,
            skipped,
        };
        let inputs = StageInputs::new(&self.cfg, sc, &m.key, &self.policy_fingerprints)?;
        if path.exists() {
            // Records of other inputs are refused, never skipped over nor overwritten.
            stage::check(&path, &inputs)?;
            match records::count_records(&path) {
                Ok(n) if n == expected => {
                    checkpoint::remove_parts_of(&path)?;
                    on_event(stage_event(true));
                    return Ok(());
                }
                Ok(n) => {
                    tracing::warn!(path = %path.display(), records = n, expected, "incomplete records file: running the stage again")
                }
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "unreadable records file: running the stage again")
                }
            }
        }
        let jobs: Vec<(usize, usize, usize)> = (0..nf)
            .flat_map(|fi| {
                let rb = &run_budgets;
                (0..starts).flat_map(move |s| rb.iter().map(move |&b| (fi, s, b)))
            })
            .collect();
        let (mut part, found) = Part::open(&path, &suite.name, &m.key, jobs.len(), &inputs.hash())?;
        match &found {
            Found::Nothing => {}
            Found::Resumed | Found::TornTail { .. } => tracing::info!(
                path = %path.display(), saved = part.done_jobs(), jobs = jobs.len(), ?found,
                "resuming the stage from its saved part"
            ),
            Found::Discarded { reason } => tracing::warn!(
                path = %path.display(), %reason, "discarding the saved part: running the stage again"
            ),
        }
        on_event(stage_event(false));
        let mut next = part.done_jobs();
        let saved_calls: u64 = jobs[..next].iter().map(|j| j.2 as u64).sum();
        if saved_calls > 0 {
            on_event(Event::Calls(saved_calls));
        }
        let started = Instant::now();
        let starts_of = start_points_of(&self.cfg, suite);
        let threads = rayon::current_num_threads().max(1);
        let every = self.checkpoint_every;
        // Batches of jobs run in parallel; they grow while they take under a quarter of the
        // checkpoint interval (small batches idle cores at their ends), and the saved part grows
        // by whole batches, at least every `every`.
        let target = every / 4;
        let mut batch = 4 * threads;
        let mut pending = RecordWriter::new(Vec::new(), 1, &Part::part_path(&path));
        let mut pending_totals = Totals::default();
        let mut last_save = Instant::now();
        let conv_every_call = |name: &str| records::keeps_every_call(&self.cfg, &suite.name, name);
        while next < jobs.len() {
            // Asked to stop with nothing unsaved (e.g. before the stage began): stop here.
            if pending.count() == 0 && stop.load(Ordering::Relaxed) {
                return Err(ReproduceError::Interrupted {
                    suite: suite.name.clone(),
                    method: m.key.clone(),
                    done: next,
                    total: jobs.len(),
                });
            }
            let end = (next + batch).min(jobs.len());
            let t0 = Instant::now();
            let cancelled = AtomicBool::new(false);
            let results: Vec<Result<Vec<Record>, ReproduceError>> = jobs[next..end]
                .par_iter()
                .map(|&(fi, s, b)| {
                    if cancelled.load(Ordering::Relaxed) {
                        return Ok(Vec::new());
                    }
                    let f = &suite.functions[fi];
                    let name = &suite.function_names[fi];
                    let seed = run_seed(&self.cfg, &suite.name, name, s);
                    let rec = harness::run(
                        f.as_ref(),
                        m.method.as_ref(),
                        &starts_of[fi][s],
                        b,
                        seed,
                        RunOptions::default(),
                    )
                    .inspect_err(|_| cancelled.store(true, Ordering::Relaxed))?;
                    on_event(Event::Calls(b as u64));
                    let info = RunInfo {
                        suite: suite.name.clone(),
                        function: name.clone(),
                        dim: rec.dim,
                        method: m.key.clone(),
                        start: s,
                        seed,
                        f_star: f.f_star(),
                        f0: rec.f0,
                        wall_time_s: rec.wall_time_s,
                        optimizer_time_s: rec.optimizer_time_s,
                    };
                    let best: Vec<Option<f64>> = rec
                        .best
                        .iter()
                        .map(|v| v.is_finite().then_some(*v))
                        .collect();
                    let every_call = conv_every_call(name);
                    let to_record = |budget: usize| {
                        let t = if every_call {
                            (1..=budget).collect()
                        } else {
                            records::checkpoints(budget, &self.cfg.budgets)
                        };
                        let failed = rec.values[..budget].iter().filter(|v| v.is_none()).count();
                        Record::compact(&info, &best, budget, t, failed, (budget < b).then_some(b))
                    };
                    Ok(if anytime {
                        budgets.iter().map(|&bb| to_record(bb)).collect()
                    } else {
                        vec![to_record(b)]
                    })
                })
                .collect();
            // `collect` keeps the job order (function, start, budget): the file order is fixed.
            for (r, &(_, _, b)) in results.into_iter().zip(&jobs[next..end]) {
                for rec in r? {
                    if rec.prefix_of.is_none() {
                        pending_totals.runs += 1;
                        pending_totals.run_s += rec.wall_time_s;
                        pending_totals.optimizer_s += rec.optimizer_time_s;
                    }
                    pending.write(&rec)?;
                }
                pending_totals.calls += b as u64;
            }
            next = end;
            let dt = t0.elapsed();
            if dt < target / 2 {
                batch = (batch * 2).min(MAX_BATCH_JOBS);
            } else if dt > target * 2 {
                batch = (batch / 2).max(threads);
            }
            let stopping = stop.load(Ordering::Relaxed);
            if next == jobs.len() || stopping || last_save.elapsed() >= every {
                pending_totals.wall_s = last_save.elapsed().as_secs_f64();
                let member = std::mem::replace(
                    &mut pending,
                    RecordWriter::new(Vec::new(), 1, &Part::part_path(&path)),
                )
                .finish()?;
                part.append(&member, next, &pending_totals)?;
                pending_totals = Totals::default();
                last_save = Instant::now();
                on_event(Event::Checkpoint {
                    suite: suite.name.clone(),
                    method: m.key.clone(),
                    done: next,
                    jobs: jobs.len(),
                });
                if stopping && next < jobs.len() {
                    return Err(ReproduceError::Interrupted {
                        suite: suite.name.clone(),
                        method: m.key.clone(),
                        done: next,
                        total: jobs.len(),
                    });
                }
            }
        }
        let finishing = Instant::now();
        let (bytes, n) = part.encode_whole(&path)?;
        if n != expected {
            return Err(ReproduceError::Records {
                path: Part::part_path(&path),
                reason: format!("{n} records saved, the stage has {expected}"),
            });
        }
        let totals = part.totals();
        let timing = StageTiming {
            suite: suite.name.clone(),
            method: m.key.clone(),
            runs: totals.runs,
            calls,
            wall_s: totals.wall_s + finishing.elapsed().as_secs_f64(),
            run_s: totals.run_s,
            optimizer_s: totals.optimizer_s,
            threads,
        };
        let tpath = records::timing_path(&self.out, &suite.name, &m.key);
        let json = serde_json::to_string_pretty(&timing).map_err(|e| ReproduceError::Records {
            path: tpath.clone(),
            reason: e.to_string(),
        })?;
        write_atomic(&tpath, json.as_bytes())?;
        stage::write_stamp(&path, &inputs, &bytes)?;
        write_atomic(&path, &bytes)?;
        part.remove()?;
        tracing::info!(suite = %suite.name, method = %m.key, wall_s = timing.wall_s, session_s = started.elapsed().as_secs_f64(), "stage done");
        Ok(())
    }
}

/// Largest batch of jobs run in parallel between two looks at the clock.
const MAX_BATCH_JOBS: usize = 4096;

/// How often a stage saves its completed runs by default: a kill loses at most about this
/// much work (plus the batch in flight).
pub const DEFAULT_CHECKPOINT_EVERY: Duration = Duration::from_secs(30);

/// The shared start points of every function of `suite`, in the objective's own coordinates and
/// in the suite's function order: `cfg.starts` uniform draws in the function's box
/// ([`harness::start_points`]) seeded by `derive_seed(cfg.seed, "starts/<suite>/<function>", 0)`.
/// Every method of an evaluation starts from these (reference scripts export them with
/// `cargo run -p pop-eval --example export_starts`).
pub fn start_points_of(cfg: &ReproduceConfig, suite: &Suite) -> Vec<Vec<Vec<f64>>> {
    suite
        .functions
        .iter()
        .zip(&suite.function_names)
        .map(|(f, name)| {
            harness::start_points(
                f.bounds(),
                cfg.starts,
                pop_optim::seed::derive_seed(cfg.seed, &format!("starts/{}/{name}", suite.name), 0),
            )
        })
        .collect()
}

/// The seed of the run from start `start` on `function` of `suite`:
/// `derive_seed(cfg.seed, "run/<suite>/<function>", start)` (the same for every method).
pub fn run_seed(cfg: &ReproduceConfig, suite: &str, function: &str, start: usize) -> u64 {
    pop_optim::seed::derive_seed(cfg.seed, &format!("run/{suite}/{function}"), start as u64)
}

/// Reads a stage's timing file, if present.
pub fn read_timing(path: &Path) -> Option<StageTiming> {
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}
