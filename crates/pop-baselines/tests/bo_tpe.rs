//! Tests of the model-based baselines: TPE (`tpe`) and GP Bayesian optimisation (`bo-gp-ei`).
//!
//! Reference numbers come from `tests/reference/bo_tpe_optuna.py` and `bo_tpe_parzen.py`
//! (Optuna 5.0.0, numpy 2.4, Python 3.11), run on this machine; see each test.

use pop_baselines::bo::BoConfig;
use pop_baselines::tpe::TpeConfig;
use pop_bench_fns::Objective;
use pop_optim::harness::{RunOptions, run, start_points};
use pop_optim::{Method, testing};

/// Final best values of `method` on `f` over `seeds` runs, each from its own uniform start.
fn finals(f: &dyn Objective, method: &dyn Method, budget: usize, seeds: u64) -> Vec<f64> {
    (0..seeds)
        .map(|s| {
            let x0 = start_points(f.bounds(), 1, 1000 + s).remove(0);
            run(f, method, &x0, budget, s, RunOptions::default())
                .expect("run")
                .final_best()
        })
        .collect()
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// Uniform random search, as TPE that never leaves its startup phase (Optuna's RandomSampler).
fn random_search(budget: usize) -> TpeConfig {
    TpeConfig {
        n_startup_trials: budget + 1,
        ..TpeConfig::default()
    }
}

#[test]
fn tpe_conformance() {
    testing::conformance(&TpeConfig::default()).expect("tpe");
    testing::conformance(&TpeConfig {
        multivariate: false,
        ..TpeConfig::default()
    })
    .expect("tpe_univariate");
}

/// The default is Optuna 5.0's single-objective default, the multivariate sampler.
#[test]
fn tpe_names_and_validation() {
    assert!(TpeConfig::default().multivariate);
    assert_eq!(TpeConfig::default().name(), "tpe");
    let c = TpeConfig {
        multivariate: false,
        n_startup_trials: 20,
        ..TpeConfig::default()
    };
    assert_eq!(c.name(), "tpe_univariate_s20");
    for bad in [
        TpeConfig {
            n_startup_trials: 0,
            ..TpeConfig::default()
        },
        TpeConfig {
            gamma: 0.0,
            ..TpeConfig::default()
        },
        TpeConfig {
            prior_weight: f64::NAN,
            ..TpeConfig::default()
        },
        TpeConfig {
            n_ei_candidates: 0,
            ..TpeConfig::default()
        },
    ] {
        assert!(bad.validate().is_err(), "{bad:?}");
    }
    let back: TpeConfig = serde_json::from_str(r#"{"multivariate": false}"#).expect("serde");
    assert!(!back.multivariate && back.n_ei_candidates == 24);
    let back: TpeConfig = serde_json::from_str("{}").expect("serde");
    assert!(back.multivariate);
    assert!(serde_json::from_str::<TpeConfig>(r#"{"gama": 0.2}"#).is_err());
}

#[test]
fn tpe_is_deterministic_under_seed() {
    let f = pop_bench_fns::registry::build("branin", None).expect("branin");
    let x0 = [1.0, 2.0];
    let m = TpeConfig::default();
    let opts = RunOptions {
        record_iterates: true,
    };
    let a = run(&f, &m, &x0, 40, 3, opts).expect("run");
    let b = run(&f, &m, &x0, 40, 3, opts).expect("run");
    let c = run(&f, &m, &x0, 40, 4, opts).expect("run");
    assert_eq!(a.iterates, b.iterates);
    assert_eq!(a.values, b.values);
    assert_ne!(a.iterates, c.iterates);
}

/// TPE beats uniform random search (Optuna's RandomSampler) in median final value over 20 seeds
/// on Branin and the 2-D sphere at 50 and 100 evaluations.
#[test]
fn tpe_beats_random_search() {
    for name in ["branin", "sphere"] {
        let f = pop_bench_fns::registry::build(name, Some(2)).expect("function");
        for budget in [50, 100] {
            for tpe in [
                TpeConfig::default(),
                TpeConfig {
                    multivariate: false,
                    ..TpeConfig::default()
                },
            ] {
                let t = median(&finals(&f, &tpe, budget, 20));
                let r = median(&finals(&f, &random_search(budget), budget, 20));
                assert!(
                    t < r,
                    "{name}, budget {budget}: {} median {t} vs random {r}",
                    tpe.name()
                );
            }
        }
    }
}

/// Our TPE against Optuna 5.0.0's `TPESampler(seed=s, multivariate=…)` on Branin: the median
/// over seeds of the gap `best − f*` after 50 and after 100 evaluations.
///
/// Reference (`tests/reference/bo_tpe_optuna.py`, seeds 0..400, first trial uniform random):
///
/// | sampler | budget 50 | budget 100 |
/// |---|---|---|
/// | multivariate=False (`tpe_univariate`) | 0.246775 | 0.0484929 |
/// | multivariate=True (`tpe`, the default) | 0.18139 | 0.024753 |
/// | RandomSampler | 0.781897 | 0.338277 |
///
/// Measured here (seeds 0..200, as below): 0.2273, 0.0403, 0.1640, 0.0218 (ratios 0.92, 0.83,
/// 0.90, 0.88); over seeds 0..400: 0.235, 0.0456, 0.168, 0.0237 (ratios 0.95, 0.94, 0.92, 0.96).
/// Tolerance: within a factor 1.5 of the reference, both directions. The median gap over 100
/// seeds moves by up to ±30 % between disjoint seed sets (0.036 vs 0.052 for `tpe` at 100 in
/// our runs, 0.065 vs 0.046 for Optuna), so over 200 seeds ±20 % is ordinary; 1.5 still catches
/// a wrong bandwidth rule, split or weighting (which moves it by a factor 2 or more).
#[test]
fn tpe_matches_optuna_on_branin() {
    let f = pop_bench_fns::registry::build("branin", None).expect("branin");
    let f_star = f.f_star().expect("f*");
    for (multivariate, reference_50, reference_100) in
        [(false, 0.246775, 0.0484929), (true, 0.18139, 0.024753)]
    {
        let m = TpeConfig {
            multivariate,
            ..TpeConfig::default()
        };
        let (mut g50, mut g100) = (Vec::new(), Vec::new());
        for s in 0..200 {
            let x0 = start_points(f.bounds(), 1, 1000 + s).remove(0);
            let r = run(&f, &m, &x0, 100, s, RunOptions::default()).expect("run");
            g50.push(r.best[49] - f_star);
            g100.push(r.best[99] - f_star);
        }
        for (budget, gaps, reference) in [(50, g50, reference_50), (100, g100, reference_100)] {
            let ours = median(&gaps);
            let ratio = ours / reference;
            assert!(
                (1.0 / 1.5..=1.5).contains(&ratio),
                "{} at {budget}: median gap {ours} vs Optuna {reference} (ratio {ratio})",
                m.name()
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// GP-EI Bayesian optimisation.

#[test]
fn bo_conformance() {
    testing::conformance(&BoConfig::default()).expect("bo-gp-ei");
}

#[test]
fn bo_names_and_validation() {
    assert_eq!(BoConfig::default().name(), "bo-gp-ei");
    let c = BoConfig {
        n_init: Some(10),
        ard: false,
        ..BoConfig::default()
    };
    assert_eq!(c.name(), "bo-gp-ei_init10_iso");
    for bad in [
        BoConfig {
            n_init: Some(0),
            ..BoConfig::default()
        },
        BoConfig {
            noise_bounds: (1e-2, 1e-3),
            ..BoConfig::default()
        },
        BoConfig {
            length_scale_bounds: (0.0, 1.0),
            ..BoConfig::default()
        },
        BoConfig {
            n_candidates: 0,
            ..BoConfig::default()
        },
    ] {
        assert!(bad.validate().is_err(), "{bad:?}");
    }
    let back: BoConfig = serde_json::from_str(r#"{"n_init": 7, "kernel": "rbf"}"#).expect("serde");
    assert_eq!(back.n_init, Some(7));
    assert_eq!(back.name(), "bo-gp-ei_init7_rbf");
    assert!(serde_json::from_str::<BoConfig>(r#"{"n_inits": 7}"#).is_err());
}

#[test]
fn bo_is_deterministic_under_seed() {
    let f = pop_bench_fns::registry::build("branin", None).expect("branin");
    let x0 = [1.0, 2.0];
    let m = BoConfig::default();
    let opts = RunOptions {
        record_iterates: true,
    };
    let a = run(&f, &m, &x0, 25, 3, opts).expect("run");
    let b = run(&f, &m, &x0, 25, 3, opts).expect("run");
    let c = run(&f, &m, &x0, 25, 4, opts).expect("run");
    assert_eq!(a.iterates, b.iterates);
    assert_eq!(a.values, b.values);
    assert_ne!(a.iterates, c.iterates);
}

/// BO finds Branin's minimum `0.397887…` in 50 evaluations: the final gap is below `1e-3` on
/// every one of 5 seeds (each from its own uniform start). Measured (seeds 0..10, release build):
/// largest final gap `1.6e-4`, and every run within `1e-3` of `f*` by its 31st evaluation.
#[test]
fn bo_finds_branin_minimum_in_50() {
    let f = pop_bench_fns::registry::build("branin", None).expect("branin");
    let f_star = f.f_star().expect("f*");
    for (s, best) in finals(&f, &BoConfig::default(), 50, 5).iter().enumerate() {
        assert!(
            best - f_star < 1e-3,
            "seed {s}: best {best} (f* = {f_star})"
        );
    }
}
