//! From records to tables: per-function mean normalised regret, the summary per suite and
//! budget (mean, median, mean NI, average rank, POP's wins/ties/losses with a Wilcoxon p-value),
//! COCO-style curves and convergence curves.

use std::collections::{BTreeMap, HashSet};

use super::config::ReproduceConfig;
use super::error::ReproduceError;
use super::records::{
    FORMAT_VERSION, RecordReader, check_folder_format, records_path, timing_path, v1_records_path,
};
use super::runner::{StageTiming, read_timing};
use super::stats::{average_ranks, mean, median, signed_rank_sums, wilcoxon_signed_rank};

pub use super::records::COCO_EXPONENTS;

/// Two per-function mean normalised regrets closer than this are a tie (ranks, wins/ties/losses,
/// zeros of the Wilcoxon test).
pub const TIE_TOL: f64 = 1e-6;

/// One row of `summary.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    /// Suite.
    pub suite: String,
    /// Budget.
    pub budget: usize,
    /// Method key.
    pub method: String,
    /// Functions compared (those with a defined regret for every method at this budget).
    pub functions: usize,
    /// Mean over functions of the per-function mean normalised regret.
    pub mean_nr: f64,
    /// Median over functions.
    pub median_nr: f64,
    /// Mean normalised improvement (`1 − mean_nr`).
    pub mean_ni: f64,
    /// Average rank among the methods of this budget (1 = best; ties averaged).
    pub average_rank: f64,
    /// POP's wins, ties, losses against this method (`None` on POP's row or without POP).
    pub wtl: Option<(usize, usize, usize)>,
    /// Two-sided Wilcoxon signed-rank p of POP against this method.
    pub wilcoxon_p: Option<f64>,
    /// The direction of that test: `Some(true)` when the rank sum of POP's wins (lower regret)
    /// exceeds that of its losses. The headline's "POP beats"/"POP loses to" use this, not the
    /// count of wins, which can point the other way.
    pub favours_pop: Option<bool>,
}

/// A COCO-style curve: the fraction of (function, start, target) triples reached after each call.
#[derive(Debug, Clone, PartialEq)]
pub struct CocoCurve {
    /// Suite.
    pub suite: String,
    /// Method key.
    pub method: String,
    /// Budget of the runs.
    pub budget: usize,
    /// `fraction[t]` after `t + 1` calls.
    pub fraction: Vec<f64>,
}

/// Median normalised regret over the starts after each call, on one function.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvergenceCurve {
    /// Function.
    pub function: String,
    /// Method key.
    pub method: String,
    /// `median[t]` after `t + 1` calls.
    pub median: Vec<f64>,
}

/// Everything the report needs.
#[derive(Debug, Clone, Default)]
pub struct Results {
    /// Suites in config order.
    pub suites: Vec<String>,
    /// Function names per suite, in suite order.
    pub functions: BTreeMap<String, Vec<String>>,
    /// Per-function mean normalised regret: (suite, budget, method) → function → value.
    pub per_function: BTreeMap<(String, usize, String), BTreeMap<String, f64>>,
    /// Summary rows, by suite, budget, then config method order.
    pub summary: Vec<SummaryRow>,
    /// COCO curves per suite and method (at the method's largest budget).
    pub coco: Vec<CocoCurve>,
    /// Convergence curves on the configured VLSE functions (largest budget).
    pub convergence: Vec<ConvergenceCurve>,
    /// Stage timings.
    pub timings: Vec<StageTiming>,
}

/// Per-stage aggregates of the COCO curve: first-hit counts after each call and the number of
/// (function, start, target) triples.
#[derive(Debug, Clone)]
struct CocoAcc {
    budget: usize,
    hits: Vec<usize>,
    triples: usize,
}

/// Streams every records file of `cfg` from `out` (one line at a time) and computes the tables.
///
/// Kept in memory while reading: per (suite, budget, method, function) the sum and count of the
/// runs' normalised regrets (then their mean, which the paired statistics compare), per
/// (suite, method) the COCO hit counts (one integer per call of the largest budget), and for the
/// configured convergence functions of VLSE-47 the regret after every call of each start's run at
/// the largest budget (starts × budget numbers per function and method). Nothing grows with the
/// number of records of a stage beyond these.
pub fn summarize(cfg: &ReproduceConfig, out: &std::path::Path) -> Result<Results, ReproduceError> {
    check_folder_format(out)?;
    // Records whose stamp names other inputs than `cfg`'s are refused (crate::stage).
    let fingerprints = super::stage::folder_fingerprints(out)?;
    let mut res = Results {
        suites: cfg.suites.iter().map(|s| s.name.clone()).collect(),
        ..Default::default()
    };
    // The neutral element of `Iterator::sum` for f64, so that a running sum equals `stats::mean`'s.
    let zero: f64 = std::iter::empty::<f64>().sum();
    let mut coco: BTreeMap<(String, String), CocoAcc> = BTreeMap::new();
    // (function, method) → per run, the regret after each call 1..=b.
    let mut conv: BTreeMap<(String, String), Vec<Vec<Option<f64>>>> = BTreeMap::new();
    for s in &cfg.suites {
        let mut seen: HashSet<String> = res
            .functions
            .get(&s.name)
            .map(|v| v.iter().cloned().collect())
            .unwrap_or_default();
        for m in &cfg.methods {
            let Some(&b_max) = cfg.budgets_on(m, &s.name).last() else {
                continue;
            };
            let path = records_path(out, &s.name, m);
            if !path.exists() {
                if v1_records_path(out, &s.name, m).exists() {
                    return Err(ReproduceError::RecordsFormat {
                        path: out.to_path_buf(),
                        found: 1,
                        expected: FORMAT_VERSION,
                    });
                }
                return Err(ReproduceError::Records {
                    path,
                    reason: "missing: run the evaluation stage first".into(),
                });
            }
            if let Some(fps) = &fingerprints {
                let inputs = super::stage::StageInputs::new(cfg, s, m, fps)?;
                super::stage::check(&path, &inputs)?;
            }
            if let Some(t) = read_timing(&timing_path(out, &s.name, m)) {
                res.timings.push(t);
            }
            let conv_here = s.name == "vlse47";
            let mut acc: BTreeMap<(usize, String), (f64, usize)> = BTreeMap::new();
            let mut cacc = CocoAcc {
                budget: b_max,
                hits: vec![0; b_max + 1],
                triples: 0,
            };
            for r in RecordReader::open(&path)? {
                let r = r?;
                if !seen.contains(&r.function) {
                    seen.insert(r.function.clone());
                    res.functions
                        .entry(s.name.clone())
                        .or_default()
                        .push(r.function.clone());
                }
                if let Some(v) = r.regret() {
                    let e = acc
                        .entry((r.budget, r.function.clone()))
                        .or_insert((zero, 0));
                    e.0 += v;
                    e.1 += 1;
                }
                if r.budget != b_max {
                    continue;
                }
                if let Some(h) = &r.hits {
                    cacc.triples += h.len();
                    for t in h.iter().flatten() {
                        if let Some(c) = t.checked_sub(1).and_then(|i| cacc.hits.get_mut(i)) {
                            *c += 1;
                        }
                    }
                }
                if conv_here && cfg.convergence_functions.contains(&r.function) {
                    if !r.has_every_call() {
                        return Err(ReproduceError::Records {
                            path: path.clone(),
                            reason: format!(
                                "{} from start {} lacks the every-call curve that the \
                                 convergence picture draws",
                                r.function, r.start
                            ),
                        });
                    }
                    conv.entry((r.function.clone(), m.clone()))
                        .or_default()
                        .push((1..=b_max).map(|t| r.regret_at(t)).collect());
                }
            }
            res.functions.entry(s.name.clone()).or_default();
            for ((b, f), (sum, n)) in acc {
                res.per_function
                    .entry((s.name.clone(), b, m.clone()))
                    .or_default()
                    .insert(f, sum / n as f64);
            }
            coco.insert((s.name.clone(), m.clone()), cacc);
        }
    }
    for suite in res.suites.clone() {
        let suite = &suite;
        let fnames = res.functions.get(suite).cloned().unwrap_or_default();
        summary_rows(cfg, suite, &fnames, &mut res);
        // COCO curves at each method's largest budget.
        for m in &cfg.methods {
            let Some(acc) = coco.get(&(suite.clone(), m.clone())) else {
                continue;
            };
            if acc.triples == 0 {
                continue;
            }
            let mut cum = 0usize;
            let fraction = acc.hits[..acc.budget]
                .iter()
                .map(|h| {
                    cum += h;
                    cum as f64 / acc.triples as f64
                })
                .collect();
            res.coco.push(CocoCurve {
                suite: suite.clone(),
                method: m.clone(),
                budget: acc.budget,
                fraction,
            });
        }
    }
    // Convergence curves.
    if res.suites.iter().any(|s| s == "vlse47") {
        for f in &cfg.convergence_functions {
            for m in &cfg.methods {
                let Some(&b) = cfg.budgets_on(m, "vlse47").last() else {
                    continue;
                };
                let Some(runs) = conv.get(&(f.clone(), m.clone())) else {
                    continue;
                };
                if runs.is_empty() {
                    continue;
                }
                let curve = (0..b)
                    .map(|t| {
                        let v: Vec<f64> = runs.iter().filter_map(|r| r[t]).collect();
                        median(&v)
                    })
                    .collect();
                res.convergence.push(ConvergenceCurve {
                    function: f.clone(),
                    method: m.clone(),
                    median: curve,
                });
            }
        }
    }
    Ok(res)
}

/// The summary rows of one suite from the per-function means (by budget, then config method
/// order): means, medians, ranks, POP's wins/ties/losses and Wilcoxon p-values.
fn summary_rows(cfg: &ReproduceConfig, suite: &str, fnames: &[String], res: &mut Results) {
    for &b in &cfg.budgets {
        let ms: Vec<&String> = cfg
            .methods
            .iter()
            .filter(|m| cfg.budgets_on(m, suite).contains(&b))
            .collect();
        let table: Vec<Option<&BTreeMap<String, f64>>> = ms
            .iter()
            .map(|m| res.per_function.get(&(suite.to_string(), b, (*m).clone())))
            .collect();
        let common: Vec<&String> = fnames
            .iter()
            .filter(|f| {
                table
                    .iter()
                    .all(|t| t.and_then(|t| t.get(*f)).is_some_and(|v| v.is_finite()))
            })
            .collect();
        let value = |mi: usize, f: &String| -> f64 {
            table[mi]
                .and_then(|t| t.get(f))
                .copied()
                .unwrap_or(f64::NAN)
        };
        let mut rank_sum = vec![0.0; ms.len()];
        for f in &common {
            let row: Vec<f64> = (0..ms.len()).map(|mi| value(mi, f)).collect();
            for (mi, r) in average_ranks(&row, TIE_TOL).into_iter().enumerate() {
                rank_sum[mi] += r;
            }
        }
        let pop = ms.iter().position(|m| *m == "pop");
        let mut rows = Vec::with_capacity(ms.len());
        for (mi, m) in ms.iter().enumerate() {
            let v: Vec<f64> = common.iter().map(|f| value(mi, f)).collect();
            let (wtl, p, favours) = match pop {
                Some(pi) if pi != mi => {
                    let diffs: Vec<f64> =
                        common.iter().map(|f| value(pi, f) - value(mi, f)).collect();
                    let w = diffs.iter().filter(|d| **d < -TIE_TOL).count();
                    let l = diffs.iter().filter(|d| **d > TIE_TOL).count();
                    let t = diffs.len() - w - l;
                    let (plus, minus) = signed_rank_sums(&diffs, TIE_TOL);
                    (
                        Some((w, t, l)),
                        wilcoxon_signed_rank(&diffs, TIE_TOL),
                        Some(minus > plus),
                    )
                }
                _ => (None, None, None),
            };
            let mean_nr = mean(&v);
            rows.push(SummaryRow {
                suite: suite.to_string(),
                budget: b,
                method: (*m).clone(),
                functions: common.len(),
                mean_nr,
                median_nr: median(&v),
                mean_ni: 1.0 - mean_nr,
                average_rank: if common.is_empty() {
                    f64::NAN
                } else {
                    rank_sum[mi] / common.len() as f64
                },
                wtl,
                wilcoxon_p: p,
                favours_pop: favours,
            });
        }
        res.summary.extend(rows);
    }
}
