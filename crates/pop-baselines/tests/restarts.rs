//! The restart wrapper: conformance for every local method, the budget, the restarts themselves,
//! and the catalogue entries.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use pop_baselines::catalogue::MethodConfig;
use pop_baselines::first_order::{
    AdamConfig, GdConfig, LbfgsConfig, MomentumConfig, RmsPropConfig,
};
use pop_baselines::restarts::{RestartPoints, Restarts};
use pop_bench_fns::{Bounds, Objective};
use pop_optim::harness::{RunOptions, run};
use pop_optim::testing::conformance;
use pop_optim::{Evaluation, Method, OptimError, Optimizer, RunContext};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// `Σ (z_i − 0.3)²` on `[−1, 1]^d`.
struct Bowl(Bounds);

impl Objective for Bowl {
    fn name(&self) -> &str {
        "bowl"
    }
    fn bounds(&self) -> &Bounds {
        &self.0
    }
    fn evaluate(&self, z: &[f64], grad: Option<&mut [f64]>) -> f64 {
        if let Some(g) = grad {
            for (gi, zi) in g.iter_mut().zip(z) {
                *gi = 2.0 * (zi - 0.3);
            }
        }
        z.iter().map(|zi| (zi - 0.3) * (zi - 0.3)).sum()
    }
}

/// A method that counts its starts and the budgets it was given.
#[derive(Clone)]
struct Counting<M> {
    inner: M,
    starts: Arc<AtomicUsize>,
    budgets: Arc<std::sync::Mutex<Vec<usize>>>,
}

impl<M: Method> Method for Counting<M> {
    fn name(&self) -> String {
        self.inner.name()
    }
    fn uses_gradient(&self) -> bool {
        self.inner.uses_gradient()
    }
    fn start(
        &self,
        ctx: &RunContext,
        first: &Evaluation<'_>,
    ) -> Result<Box<dyn Optimizer>, OptimError> {
        self.starts.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut b) = self.budgets.lock() {
            b.push(ctx.budget);
        }
        self.inner.start(ctx, first)
    }
}

fn counting<M>(inner: M) -> Counting<M> {
    Counting {
        inner,
        starts: Arc::new(AtomicUsize::new(0)),
        budgets: Arc::new(std::sync::Mutex::new(Vec::new())),
    }
}

#[test]
fn every_wrapped_local_method_passes_conformance() -> TestResult {
    conformance(&Restarts::new(GdConfig { lr: 0.1 }))?;
    conformance(&Restarts::new(MomentumConfig::default()))?;
    conformance(&Restarts::new(MomentumConfig {
        nesterov: true,
        ..MomentumConfig::default()
    }))?;
    conformance(&Restarts::new(AdamConfig::default()))?;
    conformance(&Restarts::new(RmsPropConfig::default()))?;
    conformance(&Restarts::new(LbfgsConfig {
        restart: false,
        ..LbfgsConfig::default()
    }))?;
    conformance(&Restarts::new(LbfgsConfig::default()))?;
    conformance(&Restarts {
        inner: AdamConfig {
            lr: 0.1,
            ..AdamConfig::default()
        },
        patience: Some(3),
        max_dim: None,
        points: RestartPoints::Uniform,
    })?;
    for kind in ["lbfgs+restarts", "adam+restarts", "cmaes+restarts"] {
        conformance(&MethodConfig::default_of(kind)?)?;
    }
    Ok(())
}

/// L-BFGS without its own restarts converges on a bowl in a handful of calls; wrapped, it is
/// restarted (from fresh uniform points, each inner run told the budget that remains) and the
/// run makes exactly the budget's calls.
#[test]
fn converged_inner_runs_are_restarted_within_the_budget() -> TestResult {
    let f = Bowl(Bounds::cube(3, -1.0, 1.0)?);
    let inner = counting(LbfgsConfig {
        restart: false,
        ..LbfgsConfig::default()
    });
    let opts = RunOptions {
        record_iterates: true,
    };
    // Alone: one start, converged early, then the iterate again and again.
    let rec = run(&f, &inner, &[-0.9, 0.8, 0.1], 60, 5, opts)?;
    assert_eq!(inner.starts.load(Ordering::SeqCst), 1);
    let it = rec.iterates.ok_or("no iterates")?;
    assert!(it[10..].iter().all(|x| *x == it[59]), "converged early");

    let inner = counting(LbfgsConfig {
        restart: false,
        ..LbfgsConfig::default()
    });
    let wrapped = Restarts::new(inner.clone());
    assert_eq!(wrapped.name(), "lbfgs_m10_norestart+restarts");
    for budget in [1, 2, 5, 60, 97] {
        let rec = run(&f, &wrapped, &[-0.9, 0.8, 0.1], budget, 5, opts)?;
        assert_eq!(rec.values.len(), budget);
        assert_eq!(rec.best.len(), budget);
    }
    inner.starts.store(0, Ordering::SeqCst);
    if let Ok(mut b) = inner.budgets.lock() {
        b.clear();
    }
    let rec = run(&f, &wrapped, &[-0.9, 0.8, 0.1], 60, 5, opts)?;
    let starts = inner.starts.load(Ordering::SeqCst);
    assert!(starts >= 3, "{starts} inner runs");
    let budgets = inner.budgets.lock().map_err(|e| e.to_string())?.clone();
    assert_eq!(budgets[0], 60);
    assert!(budgets.windows(2).all(|w| w[1] < w[0]), "{budgets:?}");
    assert!(rec.final_best() < 1e-10);
    // Every inner run ends where it converged, so every restart point after it differs.
    let it = rec.iterates.ok_or("no iterates")?;
    let distinct: std::collections::BTreeSet<String> =
        it.iter().map(|x| format!("{x:?}")).collect();
    assert!(distinct.len() > 20);
    Ok(())
}

/// Rule 2: a method that never improves (GD with a learning rate too small to change the value
/// by more than the relative tolerance) is restarted every `k` calls; until the first restart the
/// wrapped run is the plain one, call for call.
#[test]
fn stalled_inner_runs_are_restarted_after_k_calls() -> TestResult {
    let f = Bowl(Bounds::cube(2, -1.0, 1.0)?);
    let inner = counting(GdConfig { lr: 1e-12 });
    let wrapped = Restarts {
        inner: inner.clone(),
        patience: Some(7),
        max_dim: None,
        points: RestartPoints::Uniform,
    };
    assert_eq!(wrapped.name(), "gd_lr1e-12+restarts_k7");
    assert_eq!(
        Restarts {
            max_dim: Some(2),
            ..wrapped.clone()
        }
        .name(),
        "gd_lr1e-12+restarts_k7_d2"
    );
    let opts = RunOptions {
        record_iterates: true,
    };
    let rec = run(&f, &wrapped, &[0.9, -0.9], 50, 2, opts)?;
    // Starts at calls 1, 9, 17, 25, 33, 41, 49: k = 7 idle calls after each start.
    assert_eq!(inner.starts.load(Ordering::SeqCst), 7);
    let plain = run(&f, &GdConfig { lr: 1e-12 }, &[0.9, -0.9], 50, 2, opts)?;
    let (a, b) = (
        rec.iterates.ok_or("no iterates")?,
        plain.iterates.ok_or("no iterates")?,
    );
    assert_eq!(a[..8], b[..8]);
    assert_ne!(a[8], b[8]);
    // The default patience: 20 + 2d.
    assert_eq!(Restarts::new(GdConfig::default()).patience_in(2), 24);

    // `max_dim`: in 2-D (= max_dim) the same restarts; in 3-D (above it) the plain run.
    let inner = counting(GdConfig { lr: 1e-12 });
    let capped = Restarts {
        inner: inner.clone(),
        patience: Some(7),
        max_dim: Some(2),
        points: RestartPoints::Uniform,
    };
    let rec2 = run(&f, &capped, &[0.9, -0.9], 50, 2, opts)?;
    assert_eq!(inner.starts.load(Ordering::SeqCst), 7);
    assert_eq!(rec2.iterates, Some(a));
    let f3 = Bowl(Bounds::cube(3, -1.0, 1.0)?);
    let inner = counting(GdConfig { lr: 1e-12 });
    let capped = Restarts {
        inner: inner.clone(),
        ..capped
    };
    let x3 = [0.9, -0.9, 0.5];
    let rec3 = run(&f3, &capped, &x3, 50, 2, opts)?;
    assert_eq!(inner.starts.load(Ordering::SeqCst), 1);
    let plain3 = run(&f3, &GdConfig { lr: 1e-12 }, &x3, 50, 2, opts)?;
    assert_eq!(rec3.iterates, plain3.iterates);
    Ok(())
}

/// The same seed gives the same run, restarts included; another seed other restart points (the
/// inner L-BFGS run converges on Rastrigin within the budget, so the wrapper restarts).
#[test]
fn restarts_are_deterministic_under_seed() -> TestResult {
    let f = pop_bench_fns::registry::build("rastrigin", Some(3))?;
    let m = MethodConfig::default_of("lbfgs+restarts")?;
    let opts = RunOptions {
        record_iterates: true,
    };
    let x0 = [1.0, -2.0, 0.5];
    let a = run(&f, &m, &x0, 120, 3, opts)?;
    let b = run(&f, &m, &x0, 120, 3, opts)?;
    let c = run(&f, &m, &x0, 120, 4, opts)?;
    assert_eq!(a.iterates, b.iterates);
    assert_ne!(a.iterates, c.iterates);
    Ok(())
}

#[test]
fn catalogue_names_restarts() -> TestResult {
    let m = MethodConfig::default_of("lbfgs+restarts")?;
    assert_eq!(m.name(), "lbfgs_m10_norestart+restarts");
    let m = MethodConfig::default_of("adam+restarts")?;
    assert_eq!(m.name(), "adam_lr1e-3+restarts");
    assert_eq!(m.learning_rate(), Some(1e-3));
    assert_eq!(m.with_learning_rate(0.01).name(), "adam_lr1e-2+restarts");
    let json = serde_json::to_string(&m)?;
    let back: MethodConfig = serde_json::from_str(&json)?;
    assert_eq!(back, m);
    let m: MethodConfig = serde_json::from_str(
        r#"{"method": "restarts", "inner": {"method": "gd", "lr": 0.1}, "patience": 9}"#,
    )?;
    assert_eq!(m.name(), "gd_lr0.1+restarts_k9");
    assert!(
        serde_json::from_str::<MethodConfig>(
            r#"{"method": "restarts", "inner": {"method": "gd"}, "k": 9}"#
        )
        .is_err()
    );
    let bad: MethodConfig = serde_json::from_str(
        r#"{"method": "restarts", "inner": {"method": "gd"}, "patience": 0}"#,
    )?;
    assert!(bad.validate().is_err());
    assert!(MethodConfig::default_of("adam+restarts+restarts").is_err());
    assert!(MethodConfig::default_of("adamw+restarts").is_err());
    Ok(())
}

/// A gradient descent that never moves (lr 1e-12), restarted after 5 idle calls with `points`:
/// its restarts come at calls 7, 13, 19, ...
fn stalled_gd(points: RestartPoints) -> Restarts<GdConfig> {
    Restarts {
        inner: GdConfig { lr: 1e-12 },
        patience: Some(5),
        max_dim: None,
        points,
    }
}

/// Space-filling restarts (`RestartPoints::Spread`): the same calls as the uniform rule until the first restart,
/// and each restart point at least as far from every earlier point as the uniform one (the
/// uniform point is the first of the candidates).
#[test]
fn spread_restart_points_are_farther_from_the_visited_points() -> TestResult {
    let f = Bowl(Bounds::cube(2, -1.0, 1.0)?);
    let uniform = stalled_gd(RestartPoints::Uniform);
    let spread = stalled_gd(RestartPoints::Spread(32));
    assert_eq!(spread.name(), "gd_lr1e-12+restarts_k5_s32");
    assert!(
        Restarts {
            points: RestartPoints::Spread(0),
            ..uniform.clone()
        }
        .validate()
        .is_err()
    );
    let opts = RunOptions {
        record_iterates: true,
    };
    let start = [0.9, -0.9];
    let a = run(&f, &uniform, &start, 40, 3, opts)?
        .iterates
        .ok_or("no iterates")?;
    let b = run(&f, &spread, &start, 40, 3, opts)?
        .iterates
        .ok_or("no iterates")?;
    // Calls 1..=6 are the first inner run; call 7 is the first restart point.
    assert_eq!(a[..6], b[..6]);
    let nearest = |z: &[f64], seen: &[Vec<f64>]| {
        seen.iter()
            .map(|v| v.iter().zip(z).map(|(p, q)| (p - q) * (p - q)).sum::<f64>())
            .fold(f64::INFINITY, f64::min)
    };
    assert!(nearest(&b[6], &b[..6]) >= nearest(&a[6], &a[..6]));
    assert_ne!(a[6], b[6]);
    // Every restart point (calls 7, 13, 19, ...) is the best of its candidates, so with 32 of
    // them it is far from the earlier ones: more than the typical uniform nearest distance.
    let mut far = 0;
    let mut total = 0;
    for k in (6..b.len()).step_by(6) {
        total += 1;
        if nearest(&b[k], &b[..k]) > nearest(&a[k], &a[..k]) {
            far += 1;
        }
    }
    assert!(
        far * 4 >= total * 3,
        "{far} of {total} restart points farther"
    );
    Ok(())
}

/// TPE restart points: a conforming method, the same calls as the uniform rule until the first
/// restart, a different restart point, and the same bytes for the same seed.
#[test]
fn tpe_restart_points_conform_and_are_deterministic() -> TestResult {
    let uniform = stalled_gd(RestartPoints::Uniform);
    let tpe = stalled_gd(RestartPoints::Tpe);
    assert_eq!(tpe.name(), "gd_lr1e-12+restarts_k5_tpe");
    conformance(&tpe)?;
    let f = Bowl(Bounds::cube(2, -1.0, 1.0)?);
    let opts = RunOptions {
        record_iterates: true,
    };
    let start = [0.9, -0.9];
    let a = run(&f, &uniform, &start, 60, 3, opts)?
        .iterates
        .ok_or("no iterates")?;
    let b = run(&f, &tpe, &start, 60, 3, opts)?;
    let again = run(&f, &tpe, &start, 60, 3, opts)?;
    assert_eq!(b.iterates, again.iterates);
    assert_eq!(b.values, again.values);
    let b = b.iterates.ok_or("no iterates")?;
    assert_eq!(a[..6], b[..6]);
    assert_ne!(a[6], b[6]);
    Ok(())
}
