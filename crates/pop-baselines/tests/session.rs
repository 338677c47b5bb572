//! Ask/tell from outside ([`pop_optim::session::Session`]): a caller's own loop gives the
//! harness's record bit for bit for every catalogue method, and misuse is a typed error.

use std::sync::Arc;

use pop_baselines::catalogue::MethodConfig;
use pop_bench_fns::{Bounds, Objective, registry};
use pop_optim::harness::{RunOptions, RunRecord, run};
use pop_optim::session::Session;
use pop_optim::{Method, OptimError};

fn strip_times(mut r: RunRecord) -> RunRecord {
    r.wall_time_s = 0.0;
    r.optimizer_time_s = 0.0;
    r
}

/// The loop a Python user writes: ask, evaluate (value and ∂f/∂x), tell.
fn drive(f: &dyn Objective, m: Arc<dyn Method>, x0: &[f64], budget: usize, seed: u64) -> RunRecord {
    let mut s = Session::new(m, f.bounds().clone(), x0, budget, seed, true).expect("session");
    let mut g = vec![0.0; f.dim()];
    while !s.is_done() {
        let x = s.ask().expect("ask").to_vec();
        // Asking twice before telling returns the same point.
        assert_eq!(s.ask().expect("ask again"), &x[..]);
        let v = f.evaluate(&x, Some(&mut g));
        s.tell(&x, v, Some(&g)).expect("tell");
    }
    assert!(s.ask().is_err(), "asked past the budget");
    s.into_record(f.name())
}

#[test]
fn a_callers_loop_equals_the_harness_for_every_method() {
    let f = registry::build("branin", None).expect("branin");
    let x0 = [2.5, 7.5];
    for m in MethodConfig::all_defaults() {
        let budget = if matches!(m, MethodConfig::BoGpEi(_)) {
            12
        } else {
            40
        };
        let arc: Arc<dyn Method> = Arc::new(m.clone());
        let ours = drive(&f, arc, &x0, budget, 5);
        let harness = run(
            &f,
            m.method(),
            &x0,
            budget,
            5,
            RunOptions {
                record_iterates: true,
            },
        )
        .expect("harness");
        assert_eq!(strip_times(ours), strip_times(harness), "{}", m.name());
    }
}

#[test]
fn misuse_is_a_typed_error() {
    let bounds = Bounds::cube(2, -1.0, 1.0).expect("box");
    let adam: Arc<dyn Method> = Arc::new(MethodConfig::default_of("adam").expect("adam"));
    let mut s = Session::new(adam.clone(), bounds.clone(), &[0.5, 0.5], 3, 1, false).expect("s");
    let x = s.ask().expect("ask").to_vec();
    // Another point than the one asked.
    let e = s
        .tell(&[0.4, 0.5], 1.0, Some(&[1.0, 1.0]))
        .expect_err("wrong point");
    assert!(matches!(e, OptimError::AskTell { .. }), "{e}");
    // A gradient method told no gradient.
    let e = s.tell(&x, 1.0, None).expect_err("no gradient");
    assert!(e.to_string().contains("gradient"), "{e}");
    // A gradient of the wrong length.
    let e = s.tell(&x, 1.0, Some(&[1.0])).expect_err("short gradient");
    assert!(matches!(e, OptimError::DimensionMismatch { .. }), "{e}");
    s.tell(&x, 1.0, Some(&[1.0, 1.0])).expect("tell");
    // Tell twice.
    let e = s
        .tell(&x, 1.0, Some(&[1.0, 1.0]))
        .expect_err("no pending ask");
    assert!(e.to_string().contains("without a pending ask"), "{e}");
    // Bad construction.
    assert!(Session::new(adam.clone(), bounds.clone(), &[0.5], 3, 1, false).is_err());
    assert!(Session::new(adam, bounds, &[0.5, 0.5], 0, 1, false).is_err());
}

#[test]
fn the_nan_rule_applies_to_told_values() {
    let bounds = Bounds::cube(2, -1.0, 1.0).expect("box");
    let cma: Arc<dyn Method> = Arc::new(MethodConfig::default_of("cmaes").expect("cmaes"));
    let mut s = Session::new(cma, bounds, &[0.0, 0.0], 4, 3, false).expect("s");
    let values = [f64::NAN, 2.0, f64::INFINITY, 1.0];
    for v in values {
        let x = s.ask().expect("ask").to_vec();
        // A gradient-free method ignores a gradient.
        s.tell(&x, v, Some(&[f64::NAN, 0.0])).expect("tell");
    }
    let r = s.record();
    assert_eq!(r.values, vec![None, Some(2.0), None, Some(1.0)]);
    assert_eq!(r.failed_calls, 2);
    assert_eq!(r.f0, None);
    assert_eq!(r.best[0], f64::INFINITY);
    assert_eq!(r.best[3], 1.0);
    assert_eq!(s.best_value(), 1.0);
}
