//! The compact records and the streaming summary give exactly the tables and curves of the
//! format-1 records (whole best-so-far curves) and the in-memory summary they replace: one
//! synthetic set of runs is written in both formats (as each version's runner writes it), the
//! format-1 folder summarised by the old code (kept here verbatim as the reference), the
//! format-2 folder by the streaming code; and `migrate_v1` converts the format-1 folder to the
//! same tables.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use pop_eval::records::{self, RecordV1};
use pop_eval::runner::StageTiming;
use pop_eval::stats::{average_ranks, mean, median, signed_rank_sums, wilcoxon_signed_rank};
use pop_eval::summary::{
    COCO_EXPONENTS, CocoCurve, ConvergenceCurve, Results, SummaryRow, TIE_TOL,
};
use pop_eval::{ReproduceConfig, ReproduceError, SuiteConfig};

fn tmp(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("pop-eval-streaming-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The format-1 `Record::regret_at`.
fn regret_at_v1(r: &RecordV1, t: usize) -> Option<f64> {
    let f0 = r.f0?;
    let b = r
        .best
        .get(t.checked_sub(1)?)
        .copied()
        .flatten()
        .unwrap_or(f0);
    pop_optim::metrics::normalized_regret(f0, b, r.f_star?)
}

/// The in-memory `summarize` of format 1, verbatim apart from taking the records as an argument.
fn reference_summarize(
    cfg: &ReproduceConfig,
    all_in: &[((String, String), Vec<RecordV1>)],
    timings: Vec<StageTiming>,
) -> Results {
    let mut res = Results {
        suites: cfg.suites.iter().map(|s| s.name.clone()).collect(),
        timings,
        ..Default::default()
    };
    let mut all: BTreeMap<(String, String), Vec<RecordV1>> = BTreeMap::new();
    for ((s, m), recs) in all_in {
        let names = res.functions.entry(s.clone()).or_default();
        for r in recs {
            if !names.contains(&r.function) {
                names.push(r.function.clone());
            }
        }
        all.insert((s.clone(), m.clone()), recs.clone());
    }
    for ((suite, method), recs) in &all {
        let mut acc: BTreeMap<(usize, &str), Vec<f64>> = BTreeMap::new();
        for r in recs {
            if let Some(v) = regret_at_v1(r, r.budget) {
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
                    favours_pop: favours,
                });
            }
        }
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
    for f in &cfg.convergence_functions {
        for m in &cfg.methods {
            let Some(&b) = cfg.budgets_of(m).last() else {
                continue;
            };
            let Some(recs) = all.get(&("vlse47".to_string(), m.clone())) else {
                continue;
            };
            let runs: Vec<&RecordV1> = recs
                .iter()
                .filter(|r| r.function == *f && r.budget == b)
                .collect();
            if runs.is_empty() {
                continue;
            }
            let curve = (1..=b)
                .map(|t| {
                    let v: Vec<f64> = runs.iter().filter_map(|r| regret_at_v1(r, t)).collect();
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
    res
}

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A best-so-far curve of `len` calls: a few leading failures, then a non-increasing walk from
/// `f0` that sometimes reaches `f*` closely (COCO's smallest targets), sometimes stalls.
fn curve(rng: &mut Rng, len: usize, f0: Option<f64>, fs: f64) -> Vec<Option<f64>> {
    if f0.is_some_and(|v| v == 4242.0) {
        // A function where no method moves: every method ties (W/T/L ties, shared ranks).
        return vec![f0; len];
    }
    let lead = if rng.below(6) == 0 {
        rng.below(4) as usize
    } else {
        0
    };
    let start = f0.unwrap_or(fs + 5.0);
    let rate = 0.3 + 0.69 * rng.unit();
    let mut b = start;
    (0..len)
        .map(|k| {
            if k < lead {
                return None;
            }
            if rng.below(3) > 0 {
                b = fs + (b - fs) * rate;
            }
            Some(b)
        })
        .collect()
}

fn synthetic_config() -> ReproduceConfig {
    let mut cfg = ReproduceConfig::preset("ci").expect("ci");
    cfg.budgets = vec![20, 50];
    cfg.starts = 5;
    cfg.methods = ["pop", "adam", "cmaes", "bo-gp-ei", "random-search"]
        .map(String::from)
        .to_vec();
    cfg.max_budget = BTreeMap::from([("bo-gp-ei".to_string(), 20)]);
    cfg.convergence_functions = vec!["branin".into(), "rosenbrock".into()];
    cfg.suites = vec![
        SuiteConfig {
            name: "vlse47".into(),
            functions: None,
            only: Some(
                ["branin", "rosenbrock", "ackley", "beale", "booth", "easom"]
                    .map(String::from)
                    .to_vec(),
            ),
        },
        SuiteConfig {
            name: "prior-2".into(),
            functions: Some(4),
            only: None,
        },
    ];
    cfg.validate().expect("valid synthetic config");
    cfg
}

/// Format-1 records of every stage of `cfg`: anytime-style prefixes for the baselines, one run
/// per budget for POP; failed starts, undefined targets and exact ties included.
fn synthetic_records(cfg: &ReproduceConfig) -> Vec<((String, String), Vec<RecordV1>)> {
    let mut rng = Rng(2026);
    let mut out = Vec::new();
    for s in &cfg.suites {
        let fnames: Vec<String> = match &s.only {
            Some(o) => o.clone(),
            None => (0..s.functions.unwrap_or(1))
                .map(|i| format!("test-{i:04}"))
                .collect(),
        };
        // Shared per (function, start): f0 and f*, as in a real evaluation.
        let mut starts = BTreeMap::new();
        for f in &fnames {
            for st in 0..cfg.starts {
                let fs = if s.name == "vlse47" {
                    0.0
                } else {
                    -1.0 + rng.unit()
                };
                let f0 = match rng.below(25) {
                    _ if f == "easom" || f == "test-0003" => Some(4242.0),
                    0 => None,
                    1 => Some(fs),
                    2 => Some(fs - 0.5),
                    _ => Some(fs + 0.1 + 10.0 * rng.unit()),
                };
                let f_star = if rng.below(40) == 0 { None } else { Some(fs) };
                starts.insert((f.clone(), st), (f0, f_star));
            }
        }
        let mut first_curves: BTreeMap<(String, usize), Vec<Option<f64>>> = BTreeMap::new();
        for m in &cfg.methods {
            let budgets = cfg.budgets_of(m);
            let max_b = *budgets.last().expect("budgets");
            let mut recs = Vec::new();
            for f in &fnames {
                for st in 0..cfg.starts {
                    let (f0, f_star) = starts[&(f.clone(), st)];
                    let fs = f_star.unwrap_or(0.0);
                    let make = |budget: usize, best: &[Option<f64>], prefix_of| RecordV1 {
                        suite: s.name.clone(),
                        function: f.clone(),
                        dim: 2,
                        method: m.clone(),
                        budget,
                        start: st,
                        seed: st as u64,
                        f_star,
                        f0,
                        best: best[..budget].to_vec(),
                        failed_calls: 0,
                        wall_time_s: 0.001,
                        optimizer_time_s: 0.0005,
                        prefix_of,
                    };
                    if m == "pop" {
                        for &b in &budgets {
                            let c = curve(&mut rng, b, f0, fs);
                            recs.push(make(b, &c, None));
                        }
                    } else {
                        // Every third (function, start), the same curve as the first baseline:
                        // exact ties in ranks, W/T/L and the Wilcoxon zeros.
                        let key = (f.clone(), st);
                        let c = match first_curves.get(&key) {
                            Some(c) if rng.below(3) == 0 && c.len() >= max_b => c.clone(),
                            _ => curve(&mut rng, max_b, f0, fs),
                        };
                        first_curves.entry(key).or_insert_with(|| c.clone());
                        for &b in &budgets {
                            recs.push(make(b, &c, (b < max_b).then_some(max_b)));
                        }
                    }
                }
            }
            out.push(((s.name.clone(), m.clone()), recs));
        }
    }
    out
}

fn write_v1_folder(
    cfg: &ReproduceConfig,
    dir: &Path,
    all: &[((String, String), Vec<RecordV1>)],
    timings: &[StageTiming],
) {
    for ((s, m), recs) in all {
        let p = records::v1_records_path(dir, s, m);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        let mut text = String::new();
        for r in recs {
            text.push_str(&serde_json::to_string(r).expect("json"));
            text.push('\n');
        }
        std::fs::write(&p, text).expect("write v1");
    }
    for t in timings {
        std::fs::write(
            records::timing_path(dir, &t.suite, &t.method),
            serde_json::to_string_pretty(t).expect("json"),
        )
        .expect("timing");
    }
    let manifest = serde_json::json!({
        "format_version": 1,
        "config": cfg,
        "policy_fingerprints": {},
    });
    std::fs::write(dir.join("config.json"), manifest.to_string()).expect("manifest");
}

/// What the runner writes for these runs: the compact records (from the same values in memory),
/// the timings and the manifest.
fn write_v2_folder(
    cfg: &ReproduceConfig,
    dir: &Path,
    all: &[((String, String), Vec<RecordV1>)],
    timings: &[StageTiming],
) {
    for ((s, m), recs) in all {
        let p = records::records_path(dir, s, m);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        let compact: Vec<records::Record> = recs.iter().map(|r| r.to_v2(cfg)).collect();
        std::fs::write(&p, records::encode(&compact, &p).expect("encode")).expect("write v2");
    }
    for t in timings {
        std::fs::write(
            records::timing_path(dir, &t.suite, &t.method),
            serde_json::to_string_pretty(t).expect("json"),
        )
        .expect("timing");
    }
    let manifest = pop_eval::runner::Manifest {
        format_version: records::FORMAT_VERSION,
        config: cfg.clone(),
        policy_fingerprints: BTreeMap::new(),
        // Synthetic records: no stage stamps (read unverified).
        stage_inputs: false,
    };
    std::fs::write(
        dir.join("config.json"),
        serde_json::to_string(&manifest).expect("json"),
    )
    .expect("manifest");
}

#[test]
fn streaming_summary_of_compact_records_equals_the_in_memory_summary_of_full_curves() {
    let cfg = synthetic_config();
    let all = synthetic_records(&cfg);
    let timings: Vec<StageTiming> = all
        .iter()
        .map(|((s, m), recs)| StageTiming {
            suite: s.clone(),
            method: m.clone(),
            runs: recs.len(),
            calls: 1,
            wall_s: 0.5,
            run_s: 0.25,
            optimizer_s: 0.125,
            threads: 2,
        })
        .collect();
    let v1 = tmp("v1");
    let v2 = tmp("v2");
    let v3 = tmp("v3");
    // The same runs in both formats, as each runner writes them from the values in memory.
    write_v1_folder(&cfg, &v1, &all, &timings);
    write_v2_folder(&cfg, &v2, &all, &timings);

    // Format 1 is refused with a clear error, never misread.
    let err = pop_eval::summarize(&cfg, &v1).expect_err("format 1");
    assert!(
        matches!(
            err,
            ReproduceError::RecordsFormat {
                found: 1,
                expected: 2,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("migrate"), "{err}");

    // The old code summarised the records as read back from its files.
    let all: Vec<((String, String), Vec<RecordV1>)> = all
        .iter()
        .map(|((s, m), _)| {
            let text = std::fs::read_to_string(records::v1_records_path(&v1, s, m)).expect("v1");
            let recs = text
                .lines()
                .map(|l| serde_json::from_str(l).expect("v1 line"))
                .collect();
            ((s.clone(), m.clone()), recs)
        })
        .collect();
    let old = reference_summarize(&cfg, &all, timings);
    let new = pop_eval::summarize(&cfg, &v2).expect("streaming summary");
    // The fixture exercises what it should.
    assert!(
        old.summary
            .iter()
            .any(|r| r.wtl.is_some_and(|(_, t, _)| t > 0))
    );
    assert!(
        old.coco
            .iter()
            .any(|c| c.fraction.last().is_some_and(|f| *f > 0.0))
    );
    assert_eq!(old.convergence.len(), 2 * cfg.methods.len());
    // Exactly equal, NaN included (Debug prints every f64 so that it reads back the same).
    assert_eq!(format!("{:?}", new.suites), format!("{:?}", old.suites));
    assert_eq!(
        format!("{:?}", new.functions),
        format!("{:?}", old.functions)
    );
    assert_eq!(
        format!("{:?}", new.per_function),
        format!("{:?}", old.per_function)
    );
    assert_eq!(format!("{:?}", new.summary), format!("{:?}", old.summary));
    assert_eq!(format!("{:?}", new.coco), format!("{:?}", old.coco));
    assert_eq!(
        format!("{:?}", new.convergence),
        format!("{:?}", old.convergence)
    );
    assert_eq!(format!("{:?}", new.timings), format!("{:?}", old.timings));
    // And so are the CSV files.
    let (d_old, d_new) = (v1.join("csv"), v2.join("csv"));
    pop_eval::report::write_csvs(&old, &cfg, &d_old).expect("csv");
    pop_eval::report::write_csvs(&new, &cfg, &d_new).expect("csv");
    for f in [
        "summary.csv",
        "vlse47.csv",
        "per_function.csv",
        "timings.csv",
    ] {
        assert_eq!(
            std::fs::read(d_old.join(f)).expect("old csv"),
            std::fs::read(d_new.join(f)).expect("new csv"),
            "{f}"
        );
    }

    // Every compact record answers `regret_at` as format 1 did at the calls it keeps: the
    // budget always, and every call on the convergence functions.
    for ((s, m), recs) in &all {
        let compact = records::read_records(&records::records_path(&v2, s, m)).expect("read");
        assert_eq!(compact.len(), recs.len());
        for (c, o) in compact.iter().zip(recs) {
            assert_eq!(c.regret(), regret_at_v1(o, o.budget));
            for &t in &c.t {
                assert_eq!(c.regret_at(t), regret_at_v1(o, t), "{s}/{m} t = {t}");
            }
            let every = s == "vlse47" && cfg.convergence_functions.contains(&c.function);
            assert_eq!(c.has_every_call(), every);
        }
    }

    // `migrate_v1` converts the format-1 folder: compact, and the same tables (a value read back
    // from format 1 can differ from the runner's in the last bit, serde_json's default float
    // parser not being exact; the CSV files are the same).
    let report = records::migrate_v1(&v1, &v3).expect("migrate");
    let n: usize = all.iter().map(|(_, r)| r.len()).sum();
    assert_eq!(report.records, n);
    assert_eq!(report.stages, all.len());
    assert!(
        report.bytes_after * 3 < report.bytes_before,
        "compact: {report:?}"
    );
    let migrated = pop_eval::summarize(&cfg, &v3).expect("migrated summary");
    let d_mig = v3.join("csv");
    pop_eval::report::write_csvs(&migrated, &cfg, &d_mig).expect("csv");
    for f in [
        "summary.csv",
        "vlse47.csv",
        "per_function.csv",
        "timings.csv",
    ] {
        assert_eq!(
            std::fs::read(d_old.join(f)).expect("old csv"),
            std::fs::read(d_mig.join(f)).expect("migrated csv"),
            "{f}"
        );
    }
    assert_eq!(format!("{:?}", migrated.coco), format!("{:?}", old.coco));
    let err = records::migrate_v1(&v1, &v3).expect_err("existing destination");
    assert!(
        matches!(err, ReproduceError::ForeignResults { .. }),
        "{err}"
    );
    for d in [v1, v2, v3] {
        let _ = std::fs::remove_dir_all(&d);
    }
}
