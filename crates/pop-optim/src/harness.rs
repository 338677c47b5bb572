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

use pop_bench_fns::{Bounds, Objective};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::session::Session;
use crate::{Method, OptimError, metrics};

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
    let d = objective.dim();
    // The rules live in the session (ask/tell); the harness only evaluates.
    let mut session = Session::new(
        method,
        objective.bounds().clone(),
        x0,
        budget,
        seed,
        options.record_iterates,
    )?;
    let uses_gradient = session.uses_gradient();
    let mut x = vec![0.0; d];
    let mut grad = vec![0.0; d];
    while !session.is_done() {
        x.copy_from_slice(session.ask()?);
        let value = if uses_gradient {
            objective.evaluate(&x, Some(&mut grad))
        } else {
            objective.evaluate(&x, None)
        };
        session.tell(&x, value, uses_gradient.then_some(&grad[..]))?;
    }
    let rec = session.into_record(objective.name());
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
