//! Tests of the gradient-free baselines: conformance, configuration, determinism, and golden
//! comparisons with pycma and SciPy.

use pop_baselines::gradient_free::{
    CmaEsConfig, DeConfig, DeInit, DeStrategy, GaConfig, RandomSearchConfig,
};
use pop_bench_fns::Objective;
use pop_optim::harness::{RunOptions, RunRecord, run};
use pop_optim::testing::conformance;
use pop_optim::{Method, OptimError};

#[test]
fn random_search_conforms() {
    conformance(&RandomSearchConfig::default()).expect("conformance");
}

#[test]
fn ga_conforms() {
    conformance(&GaConfig::default()).expect("conformance");
    conformance(&GaConfig {
        population: 7,
        tournament_size: 3,
        elitism: false,
        mutation_prob: Some(0.5),
        ..GaConfig::default()
    })
    .expect("conformance");
}

#[test]
fn de_conforms() {
    conformance(&DeConfig::default()).expect("conformance");
    conformance(&DeConfig {
        strategy: DeStrategy::Rand1bin,
        init: DeInit::Random,
        popsize: 5,
        mutation: (0.8, 0.8),
        ..DeConfig::default()
    })
    .expect("conformance");
}

#[test]
fn cmaes_conforms() {
    conformance(&CmaEsConfig::default()).expect("conformance");
    conformance(&CmaEsConfig {
        sigma0: 1.5,
        population: Some(12),
        active: false,
    })
    .expect("conformance");
}

#[test]
fn names_encode_hyperparameters() {
    assert_eq!(RandomSearchConfig::default().name(), "random-search");
    assert_eq!(GaConfig::default().name(), "ga_pop20");
    assert_eq!(DeConfig::default().name(), "de_best1bin_pop15");
    assert_eq!(CmaEsConfig::default().name(), "cmaes_sigma0.5");
    let cma = CmaEsConfig {
        sigma0: 0.25,
        population: Some(10),
        active: false,
    };
    assert_eq!(cma.name(), "cmaes_sigma0.25_pop10_passive");
    let de = DeConfig {
        strategy: DeStrategy::Rand1bin,
        popsize: 10,
        ..DeConfig::default()
    };
    assert_eq!(de.name(), "de_rand1bin_pop10");
    for m in [
        &RandomSearchConfig::default() as &dyn Method,
        &GaConfig::default(),
        &DeConfig::default(),
        &CmaEsConfig::default(),
    ] {
        assert!(!m.uses_gradient(), "{}", m.name());
    }
}

#[test]
fn defaults_are_the_library_defaults() {
    let ga = GaConfig::default();
    assert_eq!(
        (
            ga.population,
            ga.tournament_size,
            ga.mutation_prob,
            ga.elitism
        ),
        (20, 2, None, true)
    );
    assert_eq!(
        (ga.crossover_prob, ga.crossover_eta, ga.mutation_eta),
        (0.9, 15.0, 20.0)
    );
    let de = DeConfig::default();
    assert_eq!(
        (
            de.strategy,
            de.popsize,
            de.mutation,
            de.recombination,
            de.init
        ),
        (
            DeStrategy::Best1bin,
            15,
            (0.5, 1.0),
            0.7,
            DeInit::Latinhypercube
        )
    );
    let cma = CmaEsConfig::default();
    assert_eq!((cma.sigma0, cma.population, cma.active), (0.5, None, true));
}

/// The field named by an `InvalidConfig` error.
fn invalid_field(r: Result<(), OptimError>) -> Option<&'static str> {
    match r {
        Err(OptimError::InvalidConfig { field, .. }) => Some(field),
        _ => None,
    }
}

#[test]
fn invalid_configurations_are_rejected_with_the_field() {
    let ga = GaConfig::default();
    for (cfg, field) in [
        (
            GaConfig {
                population: 1,
                ..ga
            },
            "population",
        ),
        (
            GaConfig {
                tournament_size: 0,
                ..ga
            },
            "tournament_size",
        ),
        (
            GaConfig {
                tournament_size: 21,
                ..ga
            },
            "tournament_size",
        ),
        (
            GaConfig {
                crossover_prob: 1.5,
                ..ga
            },
            "crossover_prob",
        ),
        (
            GaConfig {
                crossover_prob: f64::NAN,
                ..ga
            },
            "crossover_prob",
        ),
        (
            GaConfig {
                crossover_eta: -1.0,
                ..ga
            },
            "crossover_eta",
        ),
        (
            GaConfig {
                crossover_eta: f64::INFINITY,
                ..ga
            },
            "crossover_eta",
        ),
        (
            GaConfig {
                mutation_prob: Some(-0.1),
                ..ga
            },
            "mutation_prob",
        ),
        (
            GaConfig {
                mutation_eta: f64::NAN,
                ..ga
            },
            "mutation_eta",
        ),
    ] {
        assert_eq!(invalid_field(cfg.validate()), Some(field), "{cfg:?}");
    }
    let de = DeConfig::default();
    for (cfg, field) in [
        (DeConfig { popsize: 0, ..de }, "popsize"),
        (
            DeConfig {
                mutation: (0.9, 0.5),
                ..de
            },
            "mutation",
        ),
        (
            DeConfig {
                mutation: (-0.1, 0.5),
                ..de
            },
            "mutation",
        ),
        (
            DeConfig {
                mutation: (0.5, 2.0),
                ..de
            },
            "mutation",
        ),
        (
            DeConfig {
                mutation: (f64::NAN, 1.0),
                ..de
            },
            "mutation",
        ),
        (
            DeConfig {
                recombination: 1.01,
                ..de
            },
            "recombination",
        ),
    ] {
        assert_eq!(invalid_field(cfg.validate()), Some(field), "{cfg:?}");
    }
    let cma = CmaEsConfig::default();
    for (cfg, field) in [
        (CmaEsConfig { sigma0: 0.0, ..cma }, "sigma0"),
        (CmaEsConfig { sigma0: 2.5, ..cma }, "sigma0"),
        (
            CmaEsConfig {
                sigma0: f64::NAN,
                ..cma
            },
            "sigma0",
        ),
        (
            CmaEsConfig {
                population: Some(2),
                ..cma
            },
            "population",
        ),
    ] {
        assert_eq!(invalid_field(cfg.validate()), Some(field), "{cfg:?}");
    }
    // Valid corner cases.
    assert!(
        GaConfig {
            tournament_size: 20,
            mutation_prob: Some(0.0),
            ..ga
        }
        .validate()
        .is_ok()
    );
    assert!(
        DeConfig {
            mutation: (0.7, 0.7),
            recombination: 1.0,
            ..de
        }
        .validate()
        .is_ok()
    );
    assert!(
        CmaEsConfig {
            sigma0: 2.0,
            population: Some(3),
            ..cma
        }
        .validate()
        .is_ok()
    );
    assert!(RandomSearchConfig::default().validate().is_ok());
    // An invalid configuration cannot start a run.
    let f = pop_bench_fns::registry::build("sphere", Some(2)).expect("sphere");
    let bad = CmaEsConfig {
        sigma0: -1.0,
        ..cma
    };
    let err = run(&f, &bad, &[1.0, 1.0], 10, 0, RunOptions::default()).expect_err("invalid");
    assert!(
        matches!(
            err,
            OptimError::InvalidConfig {
                field: "sigma0",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn configs_deserialize_strictly_with_defaults() {
    let ga: GaConfig = serde_json::from_str("{}").expect("empty object");
    assert_eq!(ga, GaConfig::default());
    let de: DeConfig = serde_json::from_str(
        r#"{"strategy": "rand1bin", "mutation": [0.6, 0.9], "init": "random"}"#,
    )
    .expect("de");
    assert_eq!(
        (de.strategy, de.mutation, de.init, de.popsize),
        (DeStrategy::Rand1bin, (0.6, 0.9), DeInit::Random, 15)
    );
    let cma: CmaEsConfig = serde_json::from_str(r#"{"sigma0": 0.3}"#).expect("cma");
    assert_eq!(cma.sigma0, 0.3);
    let _: RandomSearchConfig = serde_json::from_str("{}").expect("rs");
    assert!(serde_json::from_str::<GaConfig>(r#"{"populaton": 10}"#).is_err());
    assert!(serde_json::from_str::<DeConfig>(r#"{"strategy": "best2bin"}"#).is_err());
    assert!(serde_json::from_str::<CmaEsConfig>(r#"{"sigma": 0.3}"#).is_err());
    assert!(serde_json::from_str::<RandomSearchConfig>(r#"{"x": 1}"#).is_err());
    for json in [
        serde_json::to_string(&GaConfig::default()),
        serde_json::to_string(&DeConfig::default()),
        serde_json::to_string(&CmaEsConfig::default()),
    ] {
        assert!(json.expect("serialize").starts_with('{'));
    }
    let back: DeConfig =
        serde_json::from_str(&serde_json::to_string(&de).expect("ser")).expect("de");
    assert_eq!(back, de);
}

fn methods() -> Vec<Box<dyn Method>> {
    vec![
        Box::new(RandomSearchConfig::default()),
        Box::new(GaConfig::default()),
        Box::new(DeConfig::default()),
        Box::new(CmaEsConfig::default()),
    ]
}

fn run_on(name: &str, d: usize, m: &dyn Method, x0: &[f64], budget: usize, seed: u64) -> RunRecord {
    let f = pop_bench_fns::registry::build(name, Some(d)).expect("function");
    let opts = RunOptions {
        record_iterates: true,
    };
    run(&f, m, x0, budget, seed, opts).expect("run")
}

#[test]
fn runs_are_deterministic_under_a_seed() {
    for m in methods() {
        let x0 = [3.0, -2.0, 7.0];
        let a = run_on("rosenbrock", 3, m.as_ref(), &x0, 150, 11);
        let b = run_on("rosenbrock", 3, m.as_ref(), &x0, 150, 11);
        let c = run_on("rosenbrock", 3, m.as_ref(), &x0, 150, 12);
        assert_eq!(a.iterates, b.iterates, "{}", m.name());
        assert_eq!(a.values, b.values, "{}", m.name());
        assert_ne!(a.iterates, c.iterates, "{}: the seed is ignored", m.name());
    }
}

#[test]
fn cmaes_centres_its_first_generation_on_the_start() {
    // The first generation is sampled around the start (a corner here), much closer to it than
    // uniform points would be.
    let rec = run_on("sphere", 2, &CmaEsConfig::default(), &[1.0, -1.0], 7, 5);
    let it = rec.iterates.expect("iterates");
    let mean_dist: f64 = it[1..]
        .iter()
        .map(|x| ((x[0] - 1.0).powi(2) + (x[1] + 1.0).powi(2)).sqrt())
        .sum::<f64>()
        / (it.len() - 1) as f64;
    // σ0 = 0.5 in z is 2.56 in x on [−5.12, 5.12]; uniform points would average ≈ 5.4 away.
    assert!(mean_dist < 4.5, "{mean_dist}");
}

#[test]
fn all_methods_run_in_one_and_in_many_dimensions() {
    for m in methods() {
        for (function, d, x0) in [("sphere", 1, vec![3.0]), ("rastrigin", 12, vec![2.5; 12])] {
            let rec = run_on(function, d, m.as_ref(), &x0, 300, 4);
            let f0 = rec.f0.expect("finite start");
            assert!(rec.final_best() < f0, "{} on {function}-{d}", m.name());
            let iterates = rec.iterates.expect("iterates");
            assert!(
                iterates
                    .iter()
                    .flatten()
                    .all(|x| x.is_finite() && x.abs() <= 5.12)
            );
        }
    }
}

/// Objective that fails (NaN) in the right half of the box and is a sphere elsewhere.
struct HalfBroken(pop_bench_fns::Bounds);

impl Objective for HalfBroken {
    fn name(&self) -> &str {
        "half-broken"
    }
    fn bounds(&self) -> &pop_bench_fns::Bounds {
        &self.0
    }
    fn evaluate(&self, x: &[f64], _grad: Option<&mut [f64]>) -> f64 {
        if x[0] > 0.0 {
            f64::NAN
        } else {
            x.iter().map(|v| (v + 0.5) * (v + 0.5)).sum()
        }
    }
}

#[test]
fn failed_evaluations_are_ranked_last() {
    // Half the box fails; population methods must still converge on the valid half, and their
    // late proposals must mostly be valid (a failed point never becomes a parent or the mean).
    let f = HalfBroken(pop_bench_fns::Bounds::cube(2, -1.0, 1.0).expect("box"));
    for m in methods().into_iter().skip(1) {
        let opts = RunOptions::default();
        let rec = run(&f, m.as_ref(), &[0.5, 0.5], 300, 9, opts).expect("run");
        assert!(
            rec.final_best() < 1e-3,
            "{}: {}",
            m.name(),
            rec.final_best()
        );
        let late_failures = rec.values[200..].iter().filter(|v| v.is_none()).count();
        assert!(
            late_failures < 50,
            "{}: {late_failures} failures in the last 100",
            m.name()
        );
    }
}

// ------------------------------------------------------------------------------------------------
// Golden comparisons with the reference implementations.
// ------------------------------------------------------------------------------------------------

/// The shared starts: the R2 sequence in z-space, `z_k,i = 2 frac(0.5 + (k+1) a_i) − 1` with
/// `a = (1/g, 1/g²)`, g the plastic number (same formula in the reference script).
fn r2_start(k: usize) -> [f64; 2] {
    let g = 1.324_717_957_244_746_f64;
    let a = [1.0 / g, 1.0 / (g * g)];
    let frac = |x: f64| x - x.floor();
    [
        2.0 * frac(0.5 + (k + 1) as f64 * a[0]) - 1.0,
        2.0 * frac(0.5 + (k + 1) as f64 * a[1]) - 1.0,
    ]
}

const STARTS: usize = 50;
const REPETITIONS: u64 = 20;
const BUDGET: usize = 200;

/// Median of `log10(best value after 200 calls)` pooled over 20 repetitions of the 50 shared
/// starts (run `k` of repetition `r` has seed `1000 r + k + 1`, as in the reference script; the
/// generators differ, so only the laws can agree).
fn pooled_median_log10_best(m: &dyn Method, function: &str, repetitions: u64) -> f64 {
    let f = pop_bench_fns::registry::build(function, Some(2)).expect("function");
    let (lo, hi) = (f.bounds().lower().to_vec(), f.bounds().upper().to_vec());
    let mut logs = Vec::new();
    for r in 0..repetitions {
        for k in 0..STARTS {
            let z = r2_start(k);
            let x0: Vec<f64> = (0..2)
                .map(|i| lo[i] + 0.5 * (z[i] + 1.0) * (hi[i] - lo[i]))
                .collect();
            let seed = 1000 * r + k as u64 + 1;
            let rec = run(&f, m, &x0, BUDGET, seed, RunOptions::default()).expect("run");
            logs.push(rec.final_best().max(1e-300).log10());
        }
    }
    logs.sort_by(f64::total_cmp);
    let n = logs.len();
    0.5 * (logs[n / 2 - 1] + logs[n / 2])
}

/// `(function, reference median, tolerance)`: the median of `log10(best after 200 calls)` pooled
/// over 20 × 50 runs.
///
/// Produced by `tests/reference/gradient_free_golden.py` (numpy 2.4.6, scipy 1.17.1, cma 4.5.0):
/// pycma's `CMAEvolutionStrategy` ask/tell at default options with σ0 = 0.5 and
/// `bounds = [-1, 1]` in the same z-coordinates, and SciPy's `differential_evolution` (best1bin,
/// popsize 15, mutation (0.5, 1), recombination 0.7, latinhypercube, immediate, polish=False,
/// tol=0, `x0` = the start, stopped after exactly 200 calls), from the same 50 starts, 20
/// repetitions with independent seeds. The script's output:
/// ```text
/// cmaes  sphere      pooled median -6.2814, s = 0.1554
/// cmaes  rosenbrock  pooled median -0.6873, s = 0.2367
/// cmaes  rastrigin   pooled median +0.1525, s = 0.1013
/// de     sphere      pooled median -2.2290, s = 0.1109
/// de     rosenbrock  pooled median -0.2262, s = 0.1375
/// de     rastrigin   pooled median +0.2741, s = 0.0443
/// ```
/// Tolerance: s is the standard deviation, across the 20 repetitions, of the median of one
/// 50-run experiment. A median pooled over 20 such experiments has standard deviation about
/// s/√20 (the starts are shared, so only the within-start randomness counts, which is what s
/// measures), and the difference between ours and the reference (independent generators) about
/// s·√(2/20). The tolerance is 4 s·√(2/20) ≈ 1.26 s (a false alarm about once in 15 000 under a
/// normal approximation). Our medians were within 0.4 tolerances of the references. Power, as
/// checked when the numbers were pasted: CMA-ES with λ = 8 instead of 6, DE with rand1bin, a
/// constant F = 0.8, CR = 0.9 or popsize 10 each fail at least one row; passive CMA-ES and σ0 = 1
/// do not (in 2-D at this budget they move the medians by less than the noise), which is why
/// CMA-ES is also checked exactly against pycma trajectories (unit tests in `cmaes.rs`).
const CMA_GOLDEN: &[(&str, f64, f64)] = &[
    ("sphere", -6.2814, 0.197),
    ("rosenbrock", -0.6873, 0.299),
    ("rastrigin", 0.1525, 0.128),
];

/// As [`CMA_GOLDEN`], for SciPy's `differential_evolution`.
const DE_GOLDEN: &[(&str, f64, f64)] = &[
    ("sphere", -2.2290, 0.140),
    ("rosenbrock", -0.2262, 0.174),
    ("rastrigin", 0.2741, 0.056),
];

fn check_golden(m: &dyn Method, table: &[(&str, f64, f64)]) {
    let mut report = Vec::new();
    let mut ok = true;
    for &(function, reference, tol) in table {
        let ours = pooled_median_log10_best(m, function, REPETITIONS);
        ok &= (ours - reference).abs() <= tol;
        report.push(format!(
            "{function}: ours {ours:+.3}, reference {reference:+.3} ± {tol:.3}"
        ));
    }
    assert!(ok, "{}: {}", m.name(), report.join("; "));
}

#[test]
fn cmaes_matches_pycma_in_distribution() {
    check_golden(&CmaEsConfig::default(), CMA_GOLDEN);
}

#[test]
fn de_matches_scipy_in_distribution() {
    check_golden(&DeConfig::default(), DE_GOLDEN);
}

#[test]
fn population_methods_beat_random_search_on_the_sphere() {
    let rs = pooled_median_log10_best(&RandomSearchConfig::default(), "sphere", 1);
    for m in methods().into_iter().skip(1) {
        let ours = pooled_median_log10_best(m.as_ref(), "sphere", 1);
        assert!(
            ours < rs - 0.5,
            "{}: {ours} vs random search {rs}",
            m.name()
        );
    }
}
