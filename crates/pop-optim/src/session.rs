//! Ask/tell from outside: a [`Session`] drives one run of a [`Method`] with the harness's exact
//! accounting while the caller evaluates the objective (a user's own loop, another language, the
//! Python package). [`crate::harness::run`] is itself a loop over a session, so a session told
//! the objective's values gives the harness's record bit for bit.
//!
//! The protocol, for a budget of `T` oracle calls:
//! 1. [`Session::ask`] returns the start point (`x0` clipped into the box, through the z-space
//!    map: the point the harness evaluates); [`Session::tell`] gives its value (and gradient).
//! 2. Then `T − 1` times: `ask` returns the method's next point (asked in `z ∈ [−1, 1]^d`,
//!    clipped, NaN → centre, mapped to the box), `tell` its evaluation.
//!
//! `tell` must be given exactly the point `ask` returned. A value that is NaN or ±∞, or (for a
//! gradient method) a gradient with a non-finite component, counts as a call, leaves the best
//! unchanged and is told to the method as `+∞` without gradient (the harness's NaN rule). A
//! gradient method must be told a gradient (`∂f/∂x`, in the objective's coordinates); a
//! gradient-free method ignores one.

use std::sync::Arc;
use std::time::{Duration, Instant};

use pop_bench_fns::Bounds;

use crate::harness::RunRecord;
use crate::seed::derive_seed;
use crate::{Evaluation, Method, OptimError, Optimizer, RunContext, space};

/// The method a session runs: borrowed (the harness) or shared (a session that must own it).
#[derive(Clone)]
pub enum MethodRef<'m> {
    /// Borrowed for the session's lifetime.
    Borrowed(&'m dyn Method),
    /// Shared ownership.
    Shared(Arc<dyn Method>),
}

impl MethodRef<'_> {
    fn get(&self) -> &dyn Method {
        match self {
            Self::Borrowed(m) => *m,
            Self::Shared(m) => m.as_ref(),
        }
    }
}

impl<'m> From<&'m dyn Method> for MethodRef<'m> {
    fn from(m: &'m dyn Method) -> Self {
        Self::Borrowed(m)
    }
}

impl From<Arc<dyn Method>> for MethodRef<'static> {
    fn from(m: Arc<dyn Method>) -> Self {
        Self::Shared(m)
    }
}

/// One run of a method driven by ask/tell (see the module documentation).
pub struct Session<'m> {
    method: MethodRef<'m>,
    bounds: Bounds,
    uses_gradient: bool,
    optimizer: Option<Box<dyn Optimizer>>,
    /// The point last asked (z-space) and whether it awaits its `tell`.
    z: Vec<f64>,
    pending: bool,
    /// The asked point in the objective's coordinates.
    x: Vec<f64>,
    grad: Vec<f64>,
    best: f64,
    record: RunRecord,
    optimizer_time: Duration,
    started: Instant,
}

impl<'m> Session<'m> {
    /// A session of `method` on the box `bounds` from `x0` for `budget` oracle calls (the start
    /// included), with run seed `seed` (the method's own seed is derived from it as in the
    /// harness). `record_iterates` keeps every evaluated point in the record.
    pub fn new(
        method: impl Into<MethodRef<'m>>,
        bounds: Bounds,
        x0: &[f64],
        budget: usize,
        seed: u64,
        record_iterates: bool,
    ) -> Result<Self, OptimError> {
        let method = method.into();
        let d = bounds.dim();
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
        let m = method.get();
        let uses_gradient = m.uses_gradient();
        let mut x = x0.to_vec();
        bounds.clip(&mut x);
        let mut z = vec![0.0; d];
        bounds.to_z(&x, &mut z);
        space::clip_z(&mut z);
        let record = RunRecord {
            method: m.name(),
            function: String::new(),
            dim: d,
            budget,
            seed,
            f0: None,
            best: Vec::with_capacity(budget),
            values: Vec::with_capacity(budget),
            best_x: x.clone(),
            iterates: record_iterates.then(|| Vec::with_capacity(budget)),
            failed_calls: 0,
            wall_time_s: 0.0,
            optimizer_time_s: 0.0,
        };
        let mut s = Self {
            method,
            bounds,
            uses_gradient,
            optimizer: None,
            z,
            pending: true,
            x,
            grad: vec![0.0; d],
            best: f64::INFINITY,
            record,
            optimizer_time: Duration::ZERO,
            started: Instant::now(),
        };
        s.bounds.to_x(&s.z, &mut s.x);
        Ok(s)
    }

    fn misuse(&self, reason: impl Into<String>) -> OptimError {
        OptimError::AskTell {
            method: self.record.method.clone(),
            reason: reason.into(),
        }
    }

    /// Whether the method needs gradients (`tell` must then give one).
    pub fn uses_gradient(&self) -> bool {
        self.uses_gradient
    }

    /// Oracle calls told so far.
    pub fn calls(&self) -> usize {
        self.record.values.len()
    }

    /// The budget.
    pub fn budget(&self) -> usize {
        self.record.budget
    }

    /// Whether every call of the budget has been told.
    pub fn is_done(&self) -> bool {
        self.calls() >= self.record.budget
    }

    /// The best finite value told so far (`+∞` before the first).
    pub fn best_value(&self) -> f64 {
        self.best
    }

    /// The point of [`best_value`](Self::best_value) (the start point before any finite value).
    pub fn best_x(&self) -> &[f64] {
        &self.record.best_x
    }

    /// The record so far (`function` is empty: a session does not know the objective's name).
    pub fn record(&self) -> &RunRecord {
        &self.record
    }

    /// The next point to evaluate, in the objective's coordinates. Asking again before `tell`
    /// returns the same point.
    pub fn ask(&mut self) -> Result<&[f64], OptimError> {
        if self.pending {
            return Ok(&self.x);
        }
        if self.is_done() {
            return Err(self.misuse(format!(
                "the budget of {} oracle calls is spent",
                self.record.budget
            )));
        }
        let d = self.record.dim;
        let Some(opt) = self.optimizer.as_mut() else {
            return Err(OptimError::Internal {
                method: self.record.method.clone(),
                reason: "no optimizer after the start point was told".into(),
            });
        };
        let t = Instant::now();
        let asked = opt.ask(&mut self.z);
        self.optimizer_time += t.elapsed();
        asked?;
        if self.z.len() != d {
            return Err(OptimError::Internal {
                method: self.record.method.clone(),
                reason: format!("asked a point of length {} in dimension {d}", self.z.len()),
            });
        }
        space::clip_z(&mut self.z);
        self.bounds.to_x(&self.z, &mut self.x);
        self.pending = true;
        Ok(&self.x)
    }

    /// Tells the evaluation of the point `ask` returned: its value and, for a gradient method,
    /// `∂f/∂x` (in the objective's coordinates). See the module documentation for the rules.
    pub fn tell(&mut self, x: &[f64], value: f64, grad: Option<&[f64]>) -> Result<(), OptimError> {
        if !self.pending {
            return Err(self.misuse("tell without a pending ask"));
        }
        if x.len() != self.x.len()
            || x.iter()
                .zip(&self.x)
                .any(|(a, b)| a.to_bits() != b.to_bits())
        {
            return Err(self.misuse(
                "tell must be given exactly the point ask returned (same length and values)",
            ));
        }
        let grad_ok = if self.uses_gradient {
            let Some(g) = grad else {
                return Err(self.misuse(
                    "this method uses gradients: tell(x, value, grad) needs the gradient",
                ));
            };
            if g.len() != self.grad.len() {
                return Err(OptimError::DimensionMismatch {
                    what: "gradient",
                    expected: self.grad.len(),
                    got: g.len(),
                });
            }
            self.grad.copy_from_slice(g);
            self.bounds.grad_to_z(&mut self.grad);
            self.grad.iter().all(|g| g.is_finite())
        } else {
            true
        };
        let ok = value.is_finite() && grad_ok;
        self.pending = false;
        let rec = &mut self.record;
        if let Some(it) = rec.iterates.as_mut() {
            it.push(self.x.clone());
        }
        if ok {
            rec.values.push(Some(value));
            if value < self.best {
                self.best = value;
                rec.best_x.copy_from_slice(&self.x);
            }
        } else {
            rec.values.push(None);
            rec.failed_calls += 1;
        }
        rec.best.push(self.best);
        let told = if ok { value } else { f64::INFINITY };
        let gradient = (self.uses_gradient && ok).then_some(&self.grad[..]);
        let eval = Evaluation {
            z: &self.z,
            value: told,
            gradient,
        };
        let t = Instant::now();
        let result = match self.optimizer.as_mut() {
            Some(opt) => opt.tell(&eval),
            None => {
                rec.f0 = ok.then_some(value);
                let ctx = RunContext {
                    dim: rec.dim,
                    budget: rec.budget,
                    seed: derive_seed(rec.seed, "method", 0),
                };
                self.method.get().start(&ctx, &eval).map(|o| {
                    self.optimizer = Some(o);
                })
            }
        };
        self.optimizer_time += t.elapsed();
        result
    }

    /// The finished record (wall-clock fields filled in), `function` named `function`.
    pub fn into_record(mut self, function: &str) -> RunRecord {
        self.record.function = function.to_string();
        self.record.optimizer_time_s = self.optimizer_time.as_secs_f64();
        self.record.wall_time_s = self.started.elapsed().as_secs_f64();
        self.record
    }
}
