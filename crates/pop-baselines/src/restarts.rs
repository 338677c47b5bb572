//! [`Restarts`]: any local method, restarted from a fresh uniform point whenever it stalls.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::first_order::SCIPY_FTOL;
use crate::tpe::{TpeConfig, TpeRun};
use pop_optim::seed::derive_seed;
use pop_optim::{Evaluation, Method, OptimError, Optimizer, RunContext};

/// A method run with restarts: `inner`, started afresh from a uniform point whenever it stalls.
///
/// ## The rule
/// After every call of the current inner run the wrapper checks, in this order:
/// 1. **Convergence**: the inner run reports [`Optimizer::converged`] (its own test, e.g.
///    L-BFGS-B's projected-gradient or relative-reduction test or a failed line search, with
///    [`LbfgsConfig::restart`](crate::first_order::LbfgsConfig::restart) off).
/// 2. **Stall**: the best value of the current inner run has not improved for `k` consecutive
///    calls. A call improves when its value is below `b − ftol · max(|b|, 1)`, `b` the inner
///    run's best so far (any finite value improves on none), with `ftol = 2.220446049250313e-9`,
///    SciPy's relative-reduction tolerance: a smaller gain is what L-BFGS-B calls no progress.
///
/// Either way the next call is a point drawn uniformly in `[−1, 1]^d` from the wrapper's own
/// generator, seeded with `derive_seed(run seed, "restarts-points", 0)`, or another point chosen
/// by [`Restarts::points`]. The wrapper asks it
/// itself (one counted oracle call), and its evaluation starts a new inner run with
/// [`Method::start`], whose [`RunContext`] has the budget that remains (that call included) and
/// the seed `derive_seed(run seed, "restarts", i)` for the `i`-th restart. The first inner run
/// gets the run's own context, so the wrapped method makes exactly the calls of the plain one
/// until its first restart. The harness keeps the best value over all inner runs.
///
/// ## Patience
/// `k = patience`, or by default `k = 20 + 2d`, fixed before any benchmark was run and not
/// tuned: 20 is SciPy's `maxls`, the number of trials one L-BFGS-B line search may spend before
/// the accepted (improving) one, so a healthy L-BFGS run is never cut inside a search; the `2d`
/// term gives
/// methods whose progress is spread over the coordinates (a population generation, a
/// coordinate's worth of steps) proportionally more time in more dimensions. A method that
/// improves at least every `k` calls is never restarted by rule 2.
///
/// ## Dimensions
/// With `max_dim = Some(D)` the rule applies only up to dimension `D`: above it the wrapper
/// starts the inner method unchanged (no restarts). `None` (the default): every dimension.
///
/// Name: the inner name + `+restarts`, then `_k{patience}` when set, `_d{max_dim}` when set,
/// and `_s{c}` or `_tpe` for [`RestartPoints`] other than uniform; e.g.
/// `adam_lr1e-3+restarts`, `lbfgs_m10_norestart+restarts`, `pop+restarts_k6_d2`,
/// `pop+restarts_k6_s32`, `lbfgs+restarts_tpe`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Restarts<M> {
    /// The restarted method.
    pub inner: M,
    /// Calls without improvement after which the inner run is restarted (`None`: `20 + 2d`).
    #[serde(default)]
    pub patience: Option<usize>,
    /// Restart only in dimensions up to this one (`None`: every dimension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_dim: Option<usize>,
    /// How a restart point is chosen (default: one uniform point).
    #[serde(default, skip_serializing_if = "RestartPoints::is_uniform")]
    pub points: RestartPoints,
}

/// How [`Restarts`] chooses the point a new inner run starts from. None of them costs an
/// oracle call beyond the restart point itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RestartPoints {
    /// One point uniform in `[−1, 1]^d` (the default; what a practitioner's restart loop does).
    #[default]
    Uniform,
    /// Space filling: of `c` uniform candidates, the one farthest (Euclidean) from every point
    /// evaluated so far in this run, ties to the first (the maximin rule of a space-filling
    /// design, one point at a time). `Spread(1)` is `Uniform`.
    Spread(usize),
    /// Model based: the point Optuna-default TPE ([`TpeConfig`]) proposes after seeing every
    /// point evaluated so far in this run (the inner runs' calls included), seeded with
    /// `derive_seed(run seed, "restarts-tpe", 0)`. Uniform while TPE has fewer than its
    /// `n_startup_trials` trials.
    Tpe,
}

impl RestartPoints {
    /// Whether this is the default uniform rule.
    pub fn is_uniform(&self) -> bool {
        matches!(self, RestartPoints::Uniform)
    }
}

impl<M> Restarts<M> {
    /// `inner` with the default patience.
    pub fn new(inner: M) -> Self {
        Self {
            inner,
            patience: None,
            max_dim: None,
            points: RestartPoints::Uniform,
        }
    }

    /// The patience `k` in dimension `dim`.
    pub fn patience_in(&self, dim: usize) -> usize {
        self.patience.unwrap_or(20 + 2 * dim)
    }
}

impl<M: Method + Clone + 'static> Restarts<M> {
    /// Checks the patience (the inner method checks its own configuration when it starts).
    pub fn validate(&self) -> Result<(), OptimError> {
        if self.patience == Some(0) {
            return Err(OptimError::InvalidConfig {
                method: self.name(),
                field: "patience",
                value: "0".into(),
                reason: "must be at least 1 (or absent for 20 + 2d)".into(),
            });
        }
        if self.points == RestartPoints::Spread(0) {
            return Err(OptimError::InvalidConfig {
                method: self.name(),
                field: "points",
                value: "0".into(),
                reason: "must be at least 1 candidate (or absent for one uniform point)".into(),
            });
        }
        Ok(())
    }
}

impl<M: Method + Clone + 'static> Method for Restarts<M> {
    fn name(&self) -> String {
        let mut name = format!("{}+restarts", self.inner.name());
        if let Some(k) = self.patience {
            name.push_str(&format!("_k{k}"));
        }
        if let Some(d) = self.max_dim {
            name.push_str(&format!("_d{d}"));
        }
        match self.points {
            RestartPoints::Uniform => {}
            RestartPoints::Spread(c) => name.push_str(&format!("_s{c}")),
            RestartPoints::Tpe => name.push_str("_tpe"),
        }
        name
    }

    fn uses_gradient(&self) -> bool {
        self.inner.uses_gradient()
    }

    fn start(
        &self,
        ctx: &RunContext,
        first: &Evaluation<'_>,
    ) -> Result<Box<dyn Optimizer>, OptimError> {
        self.validate()?;
        if first.z.len() != ctx.dim {
            return Err(OptimError::DimensionMismatch {
                what: "start point",
                expected: ctx.dim,
                got: first.z.len(),
            });
        }
        let inner = self.inner.start(ctx, first)?;
        if self.max_dim.is_some_and(|d| ctx.dim > d) {
            return Ok(inner);
        }
        let mut run = RestartsRun {
            method: self.inner.clone(),
            name: self.name(),
            ctx: *ctx,
            patience: self.patience_in(ctx.dim),
            inner,
            calls: 1,
            restarts: 0,
            best: f64::INFINITY,
            stall: 0,
            due: false,
            asked_start: false,
            rng: ChaCha8Rng::seed_from_u64(derive_seed(ctx.seed, "restarts-points", 0)),
            spread: match self.points {
                RestartPoints::Spread(c) => c.max(1),
                _ => 1,
            },
            visited: Vec::new(),
            tpe: match self.points {
                RestartPoints::Tpe => {
                    let tpe_ctx = RunContext {
                        seed: derive_seed(ctx.seed, "restarts-tpe", 0),
                        ..*ctx
                    };
                    Some(Box::new(TpeConfig::default().proposer(&tpe_ctx)?))
                }
                _ => None,
            },
        };
        run.visit(first.z, first.value);
        run.observe(first.value);
        Ok(Box::new(run))
    }
}

/// One run of [`Restarts`].
struct RestartsRun<M> {
    method: M,
    name: String,
    ctx: RunContext,
    patience: usize,
    inner: Box<dyn Optimizer>,
    /// Calls told so far, the start included.
    calls: usize,
    restarts: u64,
    /// Best value of the current inner run and calls since it last improved.
    best: f64,
    stall: usize,
    /// A restart is due: the next `ask` is a uniform point.
    due: bool,
    /// The last `ask` was a restart point: its `tell` starts the next inner run.
    asked_start: bool,
    rng: ChaCha8Rng,
    /// Candidates per restart point (1: a uniform point).
    spread: usize,
    /// Every point evaluated so far, row after row (kept only when `spread > 1`).
    visited: Vec<f64>,
    /// The TPE that proposes restart points ([`RestartPoints::Tpe`]), fed every evaluation.
    tpe: Option<Box<TpeRun>>,
}

impl<M: Method> RestartsRun<M> {
    /// Remembers an evaluated point for the space-filling and TPE rules.
    fn visit(&mut self, z: &[f64], value: f64) {
        if self.spread > 1 {
            self.visited.extend_from_slice(z);
        }
        if let Some(tpe) = self.tpe.as_mut() {
            tpe.observe(z, value);
        }
    }

    /// Squared distance from `z` to the nearest visited point (`+∞` when none).
    fn nearest_sq(&self, z: &[f64]) -> f64 {
        self.visited
            .chunks_exact(z.len().max(1))
            .map(|v| v.iter().zip(z).map(|(a, b)| (a - b) * (a - b)).sum::<f64>())
            .fold(f64::INFINITY, f64::min)
    }

    /// Folds one value of the current inner run into its best and stall count, and decides
    /// whether a restart is due.
    fn observe(&mut self, value: f64) {
        let improved = if self.best.is_finite() {
            value < self.best - SCIPY_FTOL * self.best.abs().max(1.0)
        } else {
            value.is_finite()
        };
        if value < self.best {
            self.best = value;
        }
        if improved {
            self.stall = 0;
        } else {
            self.stall += 1;
        }
        self.due = self.inner.converged() || self.stall >= self.patience;
    }
}

impl<M: Method> Optimizer for RestartsRun<M> {
    fn ask(&mut self, z: &mut [f64]) -> Result<(), OptimError> {
        if !self.due {
            return self.inner.ask(z);
        }
        if z.len() != self.ctx.dim {
            return Err(OptimError::Internal {
                method: self.name.clone(),
                reason: format!(
                    "asked a buffer of length {} in dimension {}",
                    z.len(),
                    self.ctx.dim
                ),
            });
        }
        for zi in z.iter_mut() {
            *zi = 2.0 * self.rng.random::<f64>() - 1.0;
        }
        if let Some(tpe) = self.tpe.as_mut() {
            tpe.propose(z)?;
        } else if self.spread > 1 {
            let mut best = self.nearest_sq(z);
            let mut cand = vec![0.0; z.len()];
            for _ in 1..self.spread {
                for ci in cand.iter_mut() {
                    *ci = 2.0 * self.rng.random::<f64>() - 1.0;
                }
                let dist = self.nearest_sq(&cand);
                if dist > best {
                    best = dist;
                    z.copy_from_slice(&cand);
                }
            }
        }
        self.asked_start = true;
        Ok(())
    }

    fn tell(&mut self, eval: &Evaluation<'_>) -> Result<(), OptimError> {
        self.calls += 1;
        self.visit(eval.z, eval.value);
        if !self.asked_start {
            self.inner.tell(eval)?;
            self.observe(eval.value);
            return Ok(());
        }
        self.asked_start = false;
        self.restarts += 1;
        // The new start is the inner run's first call: it gets what remains, that call included.
        let ctx = RunContext {
            dim: self.ctx.dim,
            budget: self.ctx.budget.saturating_sub(self.calls - 1).max(1),
            seed: derive_seed(self.ctx.seed, "restarts", self.restarts),
        };
        self.inner = self.method.start(&ctx, eval)?;
        self.best = f64::INFINITY;
        self.stall = 0;
        self.observe(eval.value);
        Ok(())
    }
}
