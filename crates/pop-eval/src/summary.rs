//! From records to tables: per-function mean normalised regret, the summary per suite and
//! budget (mean, median, mean NI, average rank, POP's wins/ties/losses with a Wilcoxon p-value),
//! COCO-style curves and convergence curves.

use std::collections::BTreeMap;

use super::config::ReproduceConfig;
use super::error::ReproduceError;
use super::runner::{Record, StageTiming, read_records, read_timing};
use super::stats::{average_ranks, mean, median, wilcoxon_signed_rank};

/// Two per-function mean normalised regrets closer than this are a tie (ranks, wins/ties/losses,
/// zeros of the Wilcoxon test).
pub const TIE_TOL: f64 = 1e-6;

/// COCO targets `f* + 10^k (f(x0) − f*)`, `k = −8 ..= 0`.
pub const COCO_EXPONENTS: std::ops::RangeInclusive<i32> = -8..=0;

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

/// Loads every records file of `cfg` from `out` and computes the tables.
pub fn summarize(cfg: &ReproduceConfig, out: &std::path::Path) -> Result<Results, ReproduceError> {
    let mut res = Results {
        suites: cfg.suites.iter().map(|s| s.name.clone()).collect(),
        ..Default::default()
    };
    // (suite, method) → records
    let mut all: BTreeMap<(String, String), Vec<Record>> = BTreeMap::new();
    for s in &cfg.suites {
        for m in &cfg.methods {
            if cfg.budgets_of(m).is_empty() {
                continue;
            }
            let path = out.join("records").join(&s.name).join(format!("{m}.jsonl"));
            if !path.exists() {
                return Err(ReproduceError::Records {
                    path,
                    reason: "missing: run the evaluation stage first".into(),
                });
            }
            let recs = read_records(&path)?;
            if let Some(t) = read_timing(&path.with_extension("timing.json")) {
                res.timings.push(t);
            }
            let names = res.functions.entry(s.name.clone()).or_default();
            for r in &recs {
                if !names.contains(&r.function) {
                    names.push(r.function.clone());
                }
            }
            all.insert((s.name.clone(), m.clone()), recs);
        }
    }
    for ((suite, method), recs) in &all {
        let mut acc: BTreeMap<(usize, &str), Vec<f64>> = BTreeMap::new();
        for r in recs {
            if let Some(v) = r.regret() {
                acc.entry((r.budget, r.function.as_str()))
                    .or_default()
                    .push(v);
            }
        }
        for ((b, f), v) in acc {
            res.per_function
                .entry((suite.clone(), b, method.clone()))
                .or_default()
                .insert(f.to_string(), mean(&v));
        }
    }
    for suite in &res.suites {
        let fnames = res.functions.get(suite).cloned().unwrap_or_default();
        for &b in &cfg.budgets {
            let ms: Vec<&String> = cfg
                .methods
                .iter()
                .filter(|m| cfg.budgets_of(m).contains(&b))
                .collect();
            let table: Vec<Option<&BTreeMap<String, f64>>> = ms
                .iter()
                .map(|m| res.per_function.get(&(suite.clone(), b, (*m).clone())))
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
            for (mi, m) in ms.iter().enumerate() {
                let v: Vec<f64> = common.iter().map(|f| value(mi, f)).collect();
                let (wtl, p) = match pop {
                    Some(pi) if pi != mi => {
                        let diffs: Vec<f64> =
                            common.iter().map(|f| value(pi, f) - value(mi, f)).collect();
                        let w = diffs.iter().filter(|d| **d < -TIE_TOL).count();
                        let l = diffs.iter().filter(|d| **d > TIE_TOL).count();
                        let t = diffs.len() - w - l;
                        (Some((w, t, l)), wilcoxon_signed_rank(&diffs, TIE_TOL))
                    }
                    _ => (None, None),
                };
                let mean_nr = mean(&v);
                res.summary.push(SummaryRow {
                    suite: suite.clone(),
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
                });
            }
        }
        // COCO curves at each method's largest budget.
        for m in &cfg.methods {
            let Some(&b) = cfg.budgets_of(m).last() else {
                continue;
            };
            let Some(recs) = all.get(&(suite.clone(), m.clone())) else {
                continue;
            };
            let mut hits = vec![0usize; b + 1];
            let mut triples = 0usize;
            for r in recs.iter().filter(|r| r.budget == b) {
                let (Some(f0), Some(fs)) = (r.f0, r.f_star) else {
                    continue;
                };
                let gap = f0 - fs;
                if !(gap > 0.0 && gap.is_finite()) {
                    continue;
                }
                for k in COCO_EXPONENTS {
                    triples += 1;
                    let target = fs + 10f64.powi(k) * gap;
                    if let Some(t) = r.best.iter().position(|v| v.is_some_and(|v| v <= target)) {
                        hits[t] += 1;
                    }
                }
            }
            if triples == 0 {
                continue;
            }
            let mut cum = 0usize;
            let fraction = hits[..b]
                .iter()
                .map(|h| {
                    cum += h;
                    cum as f64 / triples as f64
                })
                .collect();
            res.coco.push(CocoCurve {
                suite: suite.clone(),
                method: m.clone(),
                budget: b,
                fraction,
            });
        }
    }
    // Convergence curves.
    for f in &cfg.convergence_functions {
        for m in &cfg.methods {
            let Some(&b) = cfg.budgets_of(m).last() else {
                continue;
            };
            let Some(recs) = all.get(&("vlse47".to_string(), m.clone())) else {
                continue;
            };
            let runs: Vec<&Record> = recs
                .iter()
                .filter(|r| r.function == *f && r.budget == b)
                .collect();
            if runs.is_empty() {
                continue;
            }
            let curve = (1..=b)
                .map(|t| {
                    let v: Vec<f64> = runs.iter().filter_map(|r| r.regret_at(t)).collect();
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
    Ok(res)
}
