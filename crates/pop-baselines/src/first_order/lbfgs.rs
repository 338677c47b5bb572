//! L-BFGS with box handling, as an ask/tell state machine whose every line-search trial is one
//! counted oracle call.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::step::{check_len, good_gradient, random_point, sane};
use super::{check, fmt_hp};
use pop_optim::{Evaluation, Method, OptimError, Optimizer, RunContext};

/// Limited-memory BFGS on the box `[−1, 1]^d`, a projected variant in the spirit of L-BFGS-B
/// without its Cauchy point and subspace minimisation.
///
/// Each iteration, at the iterate `x` with gradient `g`:
/// 1. **Free set.** A coordinate at a bound whose gradient pushes outward (`x_i = −1, g_i > 0` or
///    `x_i = 1, g_i < 0`) is held fixed; the others are free.
/// 2. **Direction.** The two-loop recursion over the last `memory` pairs `(s, y)`, with all inner
///    products taken over the free coordinates, initial matrix `γ I` with
///    `γ = sᵀy / yᵀy` of the newest usable pair; a pair is used only when its restricted
///    `sᵀy > ε_mach · yᵀy`. Held coordinates get `d_i = 0`. Without a usable pair the direction is
///    steepest descent, `d = −g` on the free set; if `d` is not a descent direction
///    (`gᵀd ≥ 0`, rounding), the history is cleared and steepest descent used.
/// 3. **Line search.** Backtracking along the projected path `z(α) = clip(x + α d)`, starting at
///    `α = 1`, or at `α = min(1, 1/‖d‖₂)` for steepest descent (at most one z-unit, half the box).
///    A trial is accepted when `f(z) < f(x)` and `f(z) ≤ f(x) + c1 · gᵀ(z − x)` (Armijo along the
///    path). Otherwise `α` shrinks by a safeguarded quadratic interpolation, clamped to
///    `[0.1 α, 0.5 α]`; a failed call (`+∞`) counts as a rejected trial and halves `α`. **Every
///    trial point is one `ask`/`tell`, hence one counted oracle call.**
/// 4. **Update.** On acceptance the pair `s = z − x, y = ∇f(z) − g` is stored unless
///    `sᵀy ≤ ε_mach · yᵀy` (no positive curvature: skipped, as L-BFGS-B does).
/// 5. **Restart.** When `max_trials` trials are rejected (or the step falls below rounding), the
///    history is cleared and the iteration restarts from steepest descent. When a steepest-descent
///    search fails too, the iterate is numerically stationary (or walled in by failed calls): the
///    run then re-evaluates the iterate until the harness's budget ends.
///
/// Before a first successful call (the start may fail) points are drawn uniformly in the box from
/// the run's seed.
///
/// **Why not argmin's L-BFGS.** argmin's `Executor` drives the objective itself through the
/// `CostFunction`/`Gradient` callbacks and runs whole iterations, line search included, so it
/// cannot be stepped one oracle call at a time as the harness requires (the harness, not the
/// optimizer, owns the objective and the budget). Its line searches also call `cost` and
/// `gradient` separately at each trial point (e.g. `MoreThuenteLineSearch::next_iter`), which
/// would count two oracle calls for one point, and its L-BFGS has no bound constraints.
///
/// Defaults: `memory = 10` (as PyTorch's `history_size`; SciPy uses 10 as well), `c1 = 1e-4`,
/// `max_trials = 20`.
///
/// Name: `lbfgs_m{memory}`, plus `_c1{c1}` and `_ls{max_trials}` for non-default values; e.g.
/// `lbfgs_m10`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LbfgsConfig {
    /// Number of curvature pairs kept, `≥ 1`.
    pub memory: usize,
    /// Armijo sufficient-decrease constant, in `(0, 1)`.
    pub c1: f64,
    /// Rejected trials after which a line search gives up, `≥ 1`.
    pub max_trials: usize,
}

impl Default for LbfgsConfig {
    fn default() -> Self {
        Self {
            memory: 10,
            c1: 1e-4,
            max_trials: 20,
        }
    }
}

impl LbfgsConfig {
    /// Checks every field; [`OptimError::InvalidConfig`] names the first bad one.
    pub fn validate(&self) -> Result<(), OptimError> {
        check(
            "lbfgs",
            "memory",
            self.memory,
            self.memory >= 1,
            "must be at least 1",
        )?;
        check(
            "lbfgs",
            "c1",
            self.c1,
            self.c1 > 0.0 && self.c1 < 1.0,
            "must lie in (0, 1)",
        )?;
        check(
            "lbfgs",
            "max_trials",
            self.max_trials,
            self.max_trials >= 1,
            "must be at least 1",
        )
    }
}

impl Method for LbfgsConfig {
    fn name(&self) -> String {
        let def = Self::default();
        let mut name = format!("lbfgs_m{}", self.memory);
        if self.c1 != def.c1 {
            name.push_str(&format!("_c1{}", fmt_hp(self.c1)));
        }
        if self.max_trials != def.max_trials {
            name.push_str(&format!("_ls{}", self.max_trials));
        }
        name
    }

    fn uses_gradient(&self) -> bool {
        true
    }

    fn start(
        &self,
        ctx: &RunContext,
        first: &Evaluation<'_>,
    ) -> Result<Box<dyn Optimizer>, OptimError> {
        self.validate()?;
        let d = ctx.dim;
        let m = self.memory;
        let mut run = LbfgsRun {
            cfg: *self,
            x: vec![0.0; d],
            g: vec![0.0; d],
            f: f64::INFINITY,
            s: vec![vec![0.0; d]; m],
            y: vec![vec![0.0; d]; m],
            len: 0,
            head: 0,
            dir: vec![0.0; d],
            free: vec![true; d],
            coef: vec![0.0; m],
            rho: vec![0.0; m],
            alpha: 0.0,
            dir_max: 0.0,
            gtd: 0.0,
            trials: 0,
            steepest: true,
            mode: Mode::Random,
            rng: ChaCha8Rng::seed_from_u64(ctx.seed),
        };
        run.tell(first)?;
        Ok(Box::new(run))
    }
}

/// What the next `ask` is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// No successful call yet: uniform random points.
    Random,
    /// A line-search trial `clip(x + α d)`.
    Search,
    /// Every search failed, steepest descent included: re-evaluate `x`.
    Stationary,
}

struct LbfgsRun {
    cfg: LbfgsConfig,
    /// Current iterate, its gradient and value.
    x: Vec<f64>,
    g: Vec<f64>,
    f: f64,
    /// Ring buffer of curvature pairs; `len` stored, the next goes to slot `head`.
    s: Vec<Vec<f64>>,
    y: Vec<Vec<f64>>,
    len: usize,
    head: usize,
    /// Search direction (also the two-loop's work vector).
    dir: Vec<f64>,
    free: Vec<bool>,
    /// Two-loop coefficients and `1/sᵀy` per pair (0 for a pair skipped in this direction),
    /// indexed oldest first.
    coef: Vec<f64>,
    rho: Vec<f64>,
    /// Line-search state.
    alpha: f64,
    dir_max: f64,
    gtd: f64,
    trials: usize,
    steepest: bool,
    mode: Mode,
    rng: ChaCha8Rng,
}

fn dot_free(a: &[f64], b: &[f64], free: &[bool]) -> f64 {
    a.iter()
        .zip(b)
        .zip(free)
        .filter(|(_, f)| **f)
        .map(|((x, y), _)| x * y)
        .sum()
}

impl LbfgsRun {
    /// Slot of the `k`-th oldest stored pair.
    fn slot(&self, k: usize) -> usize {
        let m = self.cfg.memory;
        (self.head + m - self.len + k) % m
    }

    /// Computes the projected search direction at `x` and starts a line search.
    fn new_direction(&mut self) {
        loop {
            let history = self.len > 0;
            self.two_loop();
            let gtd: f64 = self.g.iter().zip(&self.dir).map(|(g, d)| g * d).sum();
            if gtd < 0.0 {
                self.gtd = gtd;
                break;
            }
            if history {
                // Not a descent direction (rounding, or a restricted pair gone bad): restart.
                self.len = 0;
                continue;
            }
            // Steepest descent with gᵀd ≥ 0: the projected gradient vanishes.
            self.mode = Mode::Stationary;
            return;
        }
        self.dir_max = self.dir.iter().fold(0.0f64, |m, d| m.max(d.abs()));
        self.alpha = if self.steepest {
            // ‖d‖₂ computed without overflow.
            let norm = self.dir_max
                * self
                    .dir
                    .iter()
                    .map(|d| (d / self.dir_max).powi(2))
                    .sum::<f64>()
                    .sqrt();
            (1.0 / norm).min(1.0)
        } else {
            1.0
        };
        self.trials = 0;
        self.mode = Mode::Search;
    }

    /// Writes `−H g` restricted to the free set into `dir`; sets `steepest` when no pair was used.
    fn two_loop(&mut self) {
        for (i, f) in self.free.iter_mut().enumerate() {
            let (xi, gi) = (self.x[i], self.g[i]);
            *f = !((xi <= -1.0 && gi > 0.0) || (xi >= 1.0 && gi < 0.0));
        }
        for (q, (&g, &f)) in self.dir.iter_mut().zip(self.g.iter().zip(&self.free)) {
            *q = if f { g } else { 0.0 };
        }
        let mut gamma = None;
        for k in (0..self.len).rev() {
            let j = self.slot(k);
            let (s, y) = (&self.s[j], &self.y[j]);
            let sy = dot_free(s, y, &self.free);
            let yy = dot_free(y, y, &self.free);
            if !(sy > f64::EPSILON * yy && sy.is_finite() && yy.is_finite()) {
                self.rho[k] = 0.0;
                continue;
            }
            self.rho[k] = 1.0 / sy;
            gamma.get_or_insert(sy / yy);
            let a = self.rho[k] * dot_free(s, &self.dir, &self.free);
            self.coef[k] = a;
            for ((q, &yi), &f) in self.dir.iter_mut().zip(y).zip(&self.free) {
                if f {
                    *q -= a * yi;
                }
            }
        }
        self.steepest = gamma.is_none();
        let gamma = gamma.unwrap_or(1.0);
        for r in self.dir.iter_mut() {
            *r *= gamma;
        }
        for k in 0..self.len {
            if self.rho[k] == 0.0 {
                continue;
            }
            let j = self.slot(k);
            let (s, y) = (&self.s[j], &self.y[j]);
            let b = self.rho[k] * dot_free(y, &self.dir, &self.free);
            let c = self.coef[k] - b;
            for ((r, &si), &f) in self.dir.iter_mut().zip(s).zip(&self.free) {
                if f {
                    *r += c * si;
                }
            }
        }
        for d in self.dir.iter_mut() {
            *d = -*d;
        }
    }

    /// Accepts the trial point `z` with value `fz` and gradient `gz`.
    fn accept(&mut self, z: &[f64], fz: f64, gz: &[f64]) {
        let mut sy = 0.0;
        let mut yy = 0.0;
        for i in 0..z.len() {
            let s = z[i] - self.x[i];
            let y = gz[i] - self.g[i];
            sy += s * y;
            yy += y * y;
        }
        if sy > f64::EPSILON * yy && sy.is_finite() && yy.is_finite() {
            let j = self.head;
            for i in 0..z.len() {
                self.s[j][i] = z[i] - self.x[i];
                self.y[j][i] = gz[i] - self.g[i];
            }
            self.head = (self.head + 1) % self.cfg.memory;
            self.len = (self.len + 1).min(self.cfg.memory);
        }
        self.x.copy_from_slice(z);
        self.g.copy_from_slice(gz);
        self.f = fz;
        self.new_direction();
    }

    /// Rejects the current trial (`fz` its value, `+∞` for a failed call) and shrinks `α`.
    fn reject(&mut self, fz: f64) {
        self.trials += 1;
        let alpha = self.alpha;
        let next = if fz.is_finite() {
            let denom = 2.0 * (fz - self.f - self.gtd * alpha);
            let cand = -self.gtd * alpha * alpha / denom;
            if denom > 0.0 && cand.is_finite() {
                cand.clamp(0.1 * alpha, 0.5 * alpha)
            } else {
                0.5 * alpha
            }
        } else {
            0.5 * alpha
        };
        // A step below the rounding of z (|z| ≤ 1) cannot move the iterate any more.
        if self.trials >= self.cfg.max_trials || next * self.dir_max < 1e-17 {
            if self.steepest {
                self.mode = Mode::Stationary;
            } else {
                self.len = 0;
                self.new_direction();
            }
        } else {
            self.alpha = next;
        }
    }
}

impl Optimizer for LbfgsRun {
    fn ask(&mut self, z: &mut [f64]) -> Result<(), OptimError> {
        check_len("lbfgs", "the asked buffer", self.x.len(), z.len())?;
        match self.mode {
            Mode::Random => random_point(&mut self.rng, z),
            Mode::Stationary => z.copy_from_slice(&self.x),
            Mode::Search => {
                for ((zi, &xi), &di) in z.iter_mut().zip(&self.x).zip(&self.dir) {
                    *zi = sane(xi + self.alpha * di, xi);
                }
            }
        }
        Ok(())
    }

    fn tell(&mut self, eval: &Evaluation<'_>) -> Result<(), OptimError> {
        let grad = good_gradient("lbfgs", self.x.len(), eval)?;
        match (self.mode, grad) {
            (Mode::Random, Some(g)) => {
                self.x.copy_from_slice(eval.z);
                self.g.copy_from_slice(g);
                self.f = eval.value;
                self.new_direction();
            }
            (Mode::Random | Mode::Stationary, _) => {}
            (Mode::Search, Some(g)) => {
                let lin: f64 = self
                    .g
                    .iter()
                    .zip(eval.z.iter().zip(&self.x))
                    .map(|(gi, (zi, xi))| gi * (zi - xi))
                    .sum();
                let fz = eval.value;
                if fz < self.f && fz <= self.f + self.cfg.c1 * lin {
                    self.accept(eval.z, fz, g);
                } else {
                    self.reject(fz);
                }
            }
            (Mode::Search, None) => self.reject(f64::INFINITY),
        }
        Ok(())
    }
}
