//! The evaluation harness: runs a [`Method`] on an [`Objective`] from a shared start for exactly
//! `budget` oracle calls, and records what happened.
//!
//! ## Rules
//! * **Budget**: the start point's evaluation is call 1; the harness then alternates `ask`,
//!   evaluate, `tell` until `budget` calls have been made. The optimizer never calls the objective.
//! * **Box**: methods work in `z ∈ [−1, 1]^d` ([`crate::space`]); every asked point is clipped
//!   (NaN → box centre) and the optimizer is told the clipped point.
//! * **Oracle**: methods with [`Method::uses_gradient`] get value and `∂f/∂z`; the others get the
//!   value only (the gradient is never computed for them).
//! * **NaN/inf**: an evaluation whose value is NaN or ±∞, or (for gradient methods) whose gradient
//!   has a non-finite component, *counts as a call*, leaves best-so-far unchanged, is stored as
//!   `None` in [`RunRecord::values`], and is told to the optimizer as `value = +∞` with no gradient.
//!   A run whose every call failed has best-so-far `+∞` (serialised as `null`).
//! * **Determinism**: a run depends only on (objective, method, start, budget, seed); [`run_all`]
//!   runs tasks in parallel with rayon and returns them in task order, so the records are the same
//!   whatever the thread count (wall-clock fields aside).

use std::time::Instant;

use pop_bench_fns::{Bounds, Objective};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::seed::derive_seed;
use crate::{Evaluation, Method, OptimError, RunContext, metrics, space};

/// Everything recorded about one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// [`Method::name`] of the method.
    pub method: String,
    /// [`Objective::name`] of the objective.
    pub function: String,
    /// Dimension.
    pub dim: usize,
    /// Oracle calls made (always the budget).
    pub budget: usize,
    /// The run's seed.
    pub seed: u64,
    /// Value at the start point (`None` if it failed).
    pub f0: Option<f64>,
    /// Best finite value after each call (`best[k]` after call `k + 1`); `+∞` before the first
    /// finite value.
    pub best: Vec<f64>,
    /// Value of each call, `None` where the objective returned NaN/±∞.
    pub values: Vec<Option<f64>>,
    /// Best point found, in the objective's own coordinates.
    pub best_x: Vec<f64>,
    /// Every evaluated point in the objective's coordinates, when [`RunOptions::record_iterates`].
    pub iterates: Option<Vec<Vec<f64>>>,
    /// Number of failed (non-finite) calls.
    pub failed_calls: usize,
    /// Wall-clock seconds of the whole run.
    pub wall_time_s: f64,
    /// Wall-clock seconds spent inside the optimizer (`ask` + `tell`), the objective excluded.
    pub optimizer_time_s: f64,
}

impl RunRecord {
    /// Final best-so-far value.
    pub fn final_best(&self) -> f64 {
        self.best.last().copied().unwrap_or(f64::INFINITY)
    }

    /// Normalised improvement `(f(x0) − b_T)/(f(x0) − f*)`, `None` without a finite `f(x0)` or when
    /// `f(x0) = f*`.
    pub fn normalized_improvement(&self, f_star: f64) -> Option<f64> {
        metrics::normalized_improvement(self.f0?, self.final_best(), f_star)
    }
}

/// Options of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunOptions {
    /// Keep every evaluated point in the record (costs memory: budget × d floats).
    pub record_iterates: bool,
}

/// Runs `method` on `objective` from `x0` for exactly `budget` oracle calls.
///
/// ```
/// use pop_optim::harness::{run, RunOptions};
/// use pop_optim::pop::PopMethod;
/// let f = pop_bench_fns::registry::build("rosenbrock", Some(4)).unwrap();
/// let pop = PopMethod::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/pop-quick")).unwrap();
/// let rec = run(&f, &pop, &[0.5; 4], 30, 7, RunOptions::default()).unwrap();
/// assert_eq!(rec.best.len(), 30); // exactly the budget, the start included
/// ```
pub fn run(
    objective: &dyn Objective,
    method: &dyn Method,
    x0: &[f64],
    budget: usize,
    seed: u64,
    options: RunOptions,
) -> Result<RunRecord, OptimError> {
    let started = Instant::now();
    let bounds = objective.bounds();
    let d = objective.dim();
    if x0.len() != d {
        return Err(OptimError::DimensionMismatch {
            what: "start point",
            expected: d,
            got: x0.len(),
        });
    }
    if budget == 0 {
        return Err(OptimError::InvalidBudget {
            budget,
            reason: "at least one oracle call (the start point) is needed".into(),
        });
    }
    let uses_gradient = method.uses_gradient();
    let mut z = vec![0.0; d];
    let mut x = x0.to_vec();
    bounds.clip(&mut x);
    bounds.to_z(&x, &mut z);
    space::clip_z(&mut z);
    let mut grad = vec![0.0; d];

    let mut rec = RunRecord {
        method: method.name(),
        function: objective.name().to_string(),
        dim: d,
        budget,
        seed,
        f0: None,
        best: Vec::with_capacity(budget),
        values: Vec::with_capacity(budget),
        best_x: x.clone(),
        iterates: options.record_iterates.then(|| Vec::with_capacity(budget)),
        failed_calls: 0,
        wall_time_s: 0.0,
        optimizer_time_s: 0.0,
    };
    let mut best = f64::INFINITY;

    // One oracle call at z: evaluates, applies the NaN rule, updates the record; returns the value
    // told to the optimizer and whether the gradient is valid.
    let mut call =
        |z: &[f64], x: &mut [f64], grad: &mut [f64], rec: &mut RunRecord| -> (f64, bool) {
            bounds.to_x(z, x);
            let raw = if uses_gradient {
                let v = objective.evaluate(x, Some(grad));
                bounds.grad_to_z(grad);
                v
            } else {
                objective.evaluate(x, None)
            };
            let ok = raw.is_finite() && (!uses_gradient || grad.iter().all(|g| g.is_finite()));
            if let Some(it) = rec.iterates.as_mut() {
                it.push(x.to_vec());
            }
            if ok {
                rec.values.push(Some(raw));
                if raw < best {
                    best = raw;
                    rec.best_x.copy_from_slice(x);
                }
            } else {
                rec.values.push(None);
                rec.failed_calls += 1;
            }
            rec.best.push(best);
            if ok {
                (raw, true)
            } else {
                (f64::INFINITY, false)
            }
        };

    let (v0, ok0) = call(&z, &mut x, &mut grad, &mut rec);
    rec.f0 = ok0.then_some(v0);
    let ctx = RunContext {
        dim: d,
        budget,
        seed: derive_seed(seed, "method", 0),
    };
    let mut opt_time = std::time::Duration::ZERO;
    let t = Instant::now();
    let first = Evaluation {
        z: &z,
        value: v0,
        gradient: (uses_gradient && ok0).then_some(&grad[..]),
    };
    let mut optimizer = method.start(&ctx, &first)?;
    opt_time += t.elapsed();

    while rec.values.len() < budget {
        let t = Instant::now();
        optimizer.ask(&mut z)?;
        opt_time += t.elapsed();
        if z.len() != d {
            return Err(OptimError::Internal {
                method: rec.method.clone(),
                reason: format!("asked a point of length {} in dimension {d}", z.len()),
            });
        }
        space::clip_z(&mut z);
        let (v, ok) = call(&z, &mut x, &mut grad, &mut rec);
        let t = Instant::now();
        optimizer.tell(&Evaluation {
            z: &z,
            value: v,
            gradient: (uses_gradient && ok).then_some(&grad[..]),
        })?;
        opt_time += t.elapsed();
    }
    rec.optimizer_time_s = opt_time.as_secs_f64();
    rec.wall_time_s = started.elapsed().as_secs_f64();
    tracing::debug!(
        method = %rec.method,
        function = %rec.function,
        budget,
        best = rec.final_best(),
        "run finished"
    );
    Ok(rec)
}

/// One unit of work for [`run_all`].
pub struct Task<'a> {
    /// The objective.
    pub objective: &'a dyn Objective,
    /// The method.
    pub method: &'a dyn Method,
    /// Start point in the objective's coordinates.
    pub x0: Vec<f64>,
    /// Oracle calls.
    pub budget: usize,
    /// Seed of the run.
    pub seed: u64,
}

/// Runs every task in parallel (rayon), returning results in task order.
pub fn run_all(tasks: &[Task<'_>], options: RunOptions) -> Vec<Result<RunRecord, OptimError>> {
    tasks
        .par_iter()
        .map(|t| run(t.objective, t.method, &t.x0, t.budget, t.seed, options))
        .collect()
}

/// `n` start points drawn uniformly in `bounds` from `seed`: the shared starts of an evaluation.
pub fn start_points(bounds: &Bounds, n: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let d = bounds.dim();
    let mut t = vec![0.0; d];
    (0..n)
        .map(|_| {
            for ti in t.iter_mut() {
                *ti = rng.random::<f64>();
            }
            let mut x = vec![0.0; d];
            bounds.from_unit(&t, &mut x);
            x
        })
        .collect()
}
