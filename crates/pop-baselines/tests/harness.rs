//! The harness's own rules: exact budget, shared starts, NaN handling, and records that do not
//! depend on the thread count.

use pop_baselines::catalogue::MethodConfig;
use pop_bench_fns::{Bounds, Objective, registry};
use pop_optim::harness::{RunOptions, RunRecord, Task, run, run_all, start_points};
use pop_optim::{OptimError, testing};

fn strip_times(mut r: RunRecord) -> RunRecord {
    r.wall_time_s = 0.0;
    r.optimizer_time_s = 0.0;
    r
}

#[test]
fn records_do_not_depend_on_the_thread_count() {
    let fns: Vec<_> = ["branin", "rastrigin", "six-hump-camel"]
        .iter()
        .map(|n| registry::build(n, None).expect("registered"))
        .collect();
    let methods = MethodConfig::all_defaults()
        .into_iter()
        .filter(|m| !matches!(m, MethodConfig::BoGpEi(_)))
        .collect::<Vec<_>>();
    let mut tasks = Vec::new();
    for (fi, f) in fns.iter().enumerate() {
        for (si, x0) in start_points(f.bounds(), 2, 100 + fi as u64)
            .into_iter()
            .enumerate()
        {
            for m in &methods {
                tasks.push(Task {
                    objective: f,
                    method: m.method(),
                    x0: x0.clone(),
                    budget: 40,
                    seed: (fi * 10 + si) as u64,
                });
            }
        }
    }
    let run_with = |threads: usize| -> Vec<RunRecord> {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool")
            .install(|| run_all(&tasks, RunOptions::default()))
            .into_iter()
            .map(|r| strip_times(r.expect("run")))
            .collect()
    };
    let one = run_with(1);
    let two = run_with(2);
    assert_eq!(one.len(), tasks.len());
    assert_eq!(one, two);
    for r in &one {
        assert_eq!(r.values.len(), 40);
        assert_eq!(r.best.len(), 40);
        assert!(
            r.best.windows(2).all(|w| w[1] <= w[0]),
            "best-so-far never rises"
        );
    }
}

#[test]
fn start_points_are_shared_and_inside() {
    let b = Bounds::new(vec![-5.0, 0.0], vec![10.0, 15.0]).expect("box");
    let a = start_points(&b, 20, 3);
    assert_eq!(a, start_points(&b, 20, 3));
    assert_ne!(a, start_points(&b, 20, 4));
    assert!(a.iter().all(|x| b.contains(x)));
}

/// Finite except NaN on x0 > 0.5 and -inf on x1 > 0.5 (the harness treats both as failures).
struct Patchy(Bounds);
impl Objective for Patchy {
    fn name(&self) -> &str {
        "patchy"
    }
    fn bounds(&self) -> &Bounds {
        &self.0
    }
    fn evaluate(&self, x: &[f64], grad: Option<&mut [f64]>) -> f64 {
        if let Some(g) = grad {
            g[0] = 2.0 * x[0];
            g[1] = 2.0 * x[1];
        }
        if x[0] > 0.5 {
            f64::NAN
        } else if x[1] > 0.5 {
            f64::NEG_INFINITY
        } else {
            x[0] * x[0] + x[1] * x[1]
        }
    }
}

#[test]
fn non_finite_values_count_and_never_become_best() {
    let f = Patchy(Bounds::cube(2, -1.0, 1.0).expect("box"));
    for m in MethodConfig::all_defaults() {
        let r = run(&f, m.method(), &[-0.9, -0.9], 30, 1, RunOptions::default()).expect("runs");
        assert_eq!(r.values.len(), 30);
        assert_eq!(
            r.failed_calls,
            r.values.iter().filter(|v| v.is_none()).count()
        );
        assert!(
            r.final_best().is_finite() && r.final_best() >= 0.0,
            "{}",
            r.method
        );
        assert!(r.values.iter().flatten().all(|v| v.is_finite()));
    }
}

#[test]
fn bad_inputs_are_typed_errors() {
    let f = registry::build("branin", None).expect("registered");
    let m = MethodConfig::default_of("adam").expect("adam");
    assert!(matches!(
        run(&f, m.method(), &[0.0], 10, 0, RunOptions::default()),
        Err(OptimError::DimensionMismatch { .. })
    ));
    assert!(matches!(
        run(&f, m.method(), &[0.0, 5.0], 0, 0, RunOptions::default()),
        Err(OptimError::InvalidBudget { .. })
    ));
    // Budget 1: only the start point.
    let r = run(&f, m.method(), &[0.0, 5.0], 1, 0, RunOptions::default()).expect("runs");
    assert_eq!(r.values.len(), 1);
}

#[test]
fn conformance_rejects_a_broken_method() {
    // A method that always asks the same point fails "reduces a quadratic".
    struct Stuck;
    struct StuckRun;
    impl pop_optim::Optimizer for StuckRun {
        fn ask(&mut self, z: &mut [f64]) -> Result<(), OptimError> {
            z.fill(-0.9);
            Ok(())
        }
        fn tell(&mut self, _: &pop_optim::Evaluation<'_>) -> Result<(), OptimError> {
            Ok(())
        }
    }
    impl pop_optim::Method for Stuck {
        fn name(&self) -> String {
            "stuck".into()
        }
        fn uses_gradient(&self) -> bool {
            false
        }
        fn start(
            &self,
            _: &pop_optim::RunContext,
            _: &pop_optim::Evaluation<'_>,
        ) -> Result<Box<dyn pop_optim::Optimizer>, OptimError> {
            Ok(Box::new(StuckRun))
        }
    }
    assert!(testing::conformance(&Stuck).is_err());
}
