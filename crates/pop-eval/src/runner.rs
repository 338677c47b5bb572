//! Running the evaluation: one stage per (suite, method), each written atomically as a JSON-lines
//! file of records, skipped when it is already complete, so that an interrupted run resumes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use pop_optim::harness::{self, RunOptions};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::config::ReproduceConfig;
use super::error::{ReproduceError, io_err, write_atomic};
use super::methods::{self, EvalMethod};
use super::suites::{self, Suite};

/// Version of the records format; a results folder of another version is refused.
pub const FORMAT_VERSION: u32 = 1;

/// One run of one method on one function from one start, at one budget.
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
    /// Best-so-far value after each call (`None` before the first finite value).
    pub best: Vec<Option<f64>>,
    /// Calls whose value or gradient was NaN/±∞.
    pub failed_calls: usize,
    /// Wall-clock seconds of the run (of the longer run it is a prefix of, see `prefix_of`).
    pub wall_time_s: f64,
    /// Seconds inside the optimizer (same caveat).
    pub optimizer_time_s: f64,
    /// For anytime methods: the budget of the run whose first `budget` calls this record is.
    pub prefix_of: Option<usize>,
}

impl Record {
    /// Normalised regret `(b_T − f*)/(f0 − f*)` of the first `t` calls (`t ≤ budget`,
    /// [`pop_optim::metrics::normalized_regret`]); `None` without a finite `f0` (a failed start)
    /// and `f*`, or with `f0 ≤ f*`.
    pub fn regret_at(&self, t: usize) -> Option<f64> {
        let f0 = self.f0?;
        let b = self
            .best
            .get(t.checked_sub(1)?)
            .copied()
            .flatten()
            .unwrap_or(f0);
        pop_optim::metrics::normalized_regret(f0, b, self.f_star?)
    }

    /// Normalised regret at the end of the run.
    pub fn regret(&self) -> Option<f64> {
        self.regret_at(self.budget)
    }
}

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
    /// Wall-clock seconds of the stage (all threads).
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
    /// Validates `cfg`, loads every method (policies included) and claims `out`: a new folder
    /// gets `config.json`; an existing one must hold the same manifest (same config, same
    /// policy files), or nothing is touched and [`ReproduceError::ForeignResults`] is returned.
    pub fn prepare(cfg: ReproduceConfig, out: impl Into<PathBuf>) -> Result<Self, ReproduceError> {
        cfg.validate()?;
        let out = out.into();
        let methods = cfg
            .methods
            .iter()
            .map(|k| methods::resolve(k, &cfg.pop_policy, &cfg.velo_policy))
            .collect::<Result<Vec<_>, _>>()?;
        let mut policy_fingerprints = BTreeMap::new();
        if cfg.methods.iter().any(|m| m == "pop") {
            policy_fingerprints.insert(
                "pop".into(),
                fingerprint(&methods::resolve_path(&cfg.pop_policy))?,
            );
        }
        if cfg.methods.iter().any(|m| m == "velo-style-es") {
            policy_fingerprints.insert(
                "velo-style-es".into(),
                fingerprint(&methods::resolve_path(&cfg.velo_policy))?,
            );
        }
        let manifest = Manifest {
            format_version: FORMAT_VERSION,
            config: cfg.clone(),
            policy_fingerprints,
        };
        let path = out.join("config.json");
        if path.exists() {
            let text = std::fs::read_to_string(&path).map_err(io_err(&path))?;
            let old: Manifest =
                serde_json::from_str(&text).map_err(|e| ReproduceError::ForeignResults {
                    path: out.clone(),
                    reason: format!("its config.json is not a reproduction manifest: {e}"),
                })?;
            if old != manifest {
                let reason = if old.format_version != manifest.format_version {
                    "another records format".to_string()
                } else if old.config != manifest.config {
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
        Ok(Self { cfg, out, methods })
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
        self.out
            .join("records")
            .join(suite)
            .join(format!("{method}.jsonl"))
    }

    /// Runs every stage that is not complete yet, reporting through `on_event`.
    pub fn run(&self, on_event: &(dyn Fn(Event) + Sync)) -> Result<(), ReproduceError> {
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
                self.stage(&suite, m, on_event)?;
            }
        }
        Ok(())
    }

    fn stage(
        &self,
        suite: &Suite,
        m: &EvalMethod,
        on_event: &(dyn Fn(Event) + Sync),
    ) -> Result<(), ReproduceError> {
        let budgets = self.cfg.budgets_of(&m.key);
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
        if path.exists() {
            match read_records(&path) {
                Ok(r) if r.len() == expected => {
                    on_event(Event::Stage {
                        suite: suite.name.clone(),
                        method: m.key.clone(),
                        calls,
                        skipped: true,
                    });
                    return Ok(());
                }
                _ => {
                    tracing::warn!(path = %path.display(), "incomplete records file: running the stage again")
                }
            }
        }
        on_event(Event::Stage {
            suite: suite.name.clone(),
            method: m.key.clone(),
            calls,
            skipped: false,
        });
        let started = Instant::now();
        let starts_of = start_points_of(&self.cfg, suite);
        let jobs: Vec<(usize, usize, usize)> = (0..nf)
            .flat_map(|fi| {
                let rb = &run_budgets;
                (0..starts).flat_map(move |s| rb.iter().map(move |&b| (fi, s, b)))
            })
            .collect();
        let cancelled = AtomicBool::new(false);
        let results: Vec<Result<Vec<Record>, ReproduceError>> = jobs
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
                let to_record = |budget: usize| Record {
                    suite: suite.name.clone(),
                    function: name.clone(),
                    dim: rec.dim,
                    method: m.key.clone(),
                    budget,
                    start: s,
                    seed,
                    f_star: f.f_star(),
                    f0: rec.f0,
                    best: rec.best[..budget]
                        .iter()
                        .map(|v| v.is_finite().then_some(*v))
                        .collect(),
                    failed_calls: rec.values[..budget].iter().filter(|v| v.is_none()).count(),
                    wall_time_s: rec.wall_time_s,
                    optimizer_time_s: rec.optimizer_time_s,
                    prefix_of: (budget < b).then_some(b),
                };
                Ok(if anytime {
                    budgets.iter().map(|&bb| to_record(bb)).collect()
                } else {
                    vec![to_record(b)]
                })
            })
            .collect();
        // `collect` keeps the job order (function, start, budget): the file order is fixed.
        let mut records = Vec::with_capacity(expected);
        for r in results {
            records.extend(r?);
        }
        let mut text = String::new();
        for r in &records {
            let line = serde_json::to_string(r).map_err(|e| ReproduceError::Records {
                path: path.clone(),
                reason: e.to_string(),
            })?;
            text.push_str(&line);
            text.push('\n');
        }
        write_atomic(&path, text.as_bytes())?;
        let executed: Vec<&Record> = records.iter().filter(|r| r.prefix_of.is_none()).collect();
        let timing = StageTiming {
            suite: suite.name.clone(),
            method: m.key.clone(),
            runs: executed.len(),
            calls,
            wall_s: started.elapsed().as_secs_f64(),
            run_s: executed.iter().map(|r| r.wall_time_s).sum(),
            optimizer_s: executed.iter().map(|r| r.optimizer_time_s).sum(),
            threads: rayon::current_num_threads(),
        };
        let tpath = path.with_extension("timing.json");
        let json = serde_json::to_string_pretty(&timing).map_err(|e| ReproduceError::Records {
            path: tpath.clone(),
            reason: e.to_string(),
        })?;
        write_atomic(&tpath, json.as_bytes())?;
        tracing::info!(suite = %suite.name, method = %m.key, wall_s = timing.wall_s, "stage done");
        Ok(())
    }
}

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

/// Reads a JSON-lines records file.
pub fn read_records(path: &Path) -> Result<Vec<Record>, ReproduceError> {
    let text = std::fs::read_to_string(path).map_err(io_err(path))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| ReproduceError::Records {
                path: path.to_path_buf(),
                reason: format!("line {}: {e}", i + 1),
            })
        })
        .collect()
}

/// Reads a stage's timing file, if present.
pub fn read_timing(path: &Path) -> Option<StageTiming> {
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}
