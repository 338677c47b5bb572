//! L-BFGS on the box as SciPy users run L-BFGS-B (its convergence tests, its Moré–Thuente line
//! search, restarted from a fresh uniform point whenever it stops), as an ask/tell state machine
//! whose every line-search trial is one counted oracle call.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::dcsrch::{Dcsrch, Task};
use super::step::{check_len, good_gradient, random_point, sane};
use super::{check, fmt_hp};
use pop_optim::{Evaluation, Method, OptimError, Optimizer, RunContext};

/// SciPy's `ftol` default: `factr · ε_mach = 1e7 · 2.220446049250313e-16`.
pub const SCIPY_FTOL: f64 = 2.220446049250313e-09;

/// The curvature constant of L-BFGS-B's line search (`gtol = 0.9` in `lnsrlb`).
const CURVATURE: f64 = 0.9;
/// The relative interval tolerance of L-BFGS-B's line search (`xtol = 0.1` in `lnsrlb`).
const XTOL: f64 = 0.1;

/// Limited-memory BFGS on the box `[−1, 1]^d`, run the way SciPy's
/// `minimize(method="L-BFGS-B", jac=True, bounds=…)` runs at its defaults, and restarted from a
/// fresh uniform point whenever such a run stops.
///
/// ## One local run
/// At the iterate `x` with gradient `g`:
/// 1. **Tests** (SciPy 1.17 `__lbfgsb.c`, `mainlb`), at the start point and after every
///    accepted step, in this order:
///    * projected gradient: `max_i |proj g_i| ≤ pgtol`, where `proj g_i = max(x_i − 1, g_i)`
///      for `g_i < 0` and `min(x_i + 1, g_i)` otherwise (`projgr`);
///    * relative reduction: `(f_k − f_{k+1}) / max(|f_k|, |f_{k+1}|, 1) ≤ ftol` (after a step
///      only; `ftol = factr · ε_mach`, SciPy's default `2.220446049250313e-9`).
/// 2. **Direction.** Without stored pairs (the first iteration and after every memory reset)
///    it is L-BFGS-B's generalised Cauchy point with `B = I`, which on a box is exactly
///    `clip(x − g) − x`. With pairs: the two-loop recursion over the last `memory` pairs, inner
///    products over the *free* coordinates (a coordinate at a bound whose gradient pushes
///    outward is held, `d_i = 0`), initial matrix `γ I`, `γ = sᵀy/yᵀy` of the newest pair usable
///    on the free set. Its point `x + p` is handled like L-BFGS-B's subspace step (`subsm`): if
///    it leaves the box it is projected, and if the projected step is not a descent direction the
///    step is truncated at the first bound instead. The direction `d` is the resulting point
///    minus `x`.
/// 3. **Line search.** MINPACK-2's Moré–Thuente search (`dcsrch`, ported), strong Wolfe with
///    `c1` (`ftol = 1e-3` in `lnsrlb`) and curvature `0.9`, `xtol = 0.1`, along the segment
///    `x + α d` with `α ∈ [0, α_max]` and first trial `α = 1`: `α_max = 1` at the run's first
///    iteration, otherwise the largest step keeping the segment in the box. **Every trial point
///    is one `ask`/`tell`, hence one counted oracle call.** A trial that fails (`+∞`) is not
///    shown to `dcsrch` (SciPy has no rule for it): the search starts again from its base with
///    `α_max` and `α` set to half the failed step.
/// 4. **Update.** The pair `s = x_{k+1} − x_k`, `y = g_{k+1} − g_k` is stored unless
///    `sᵀy ≤ ε_mach · (−g_kᵀs)` (L-BFGS-B's skip rule).
/// 5. **Line-search failure.** `dcsrch` asking for a trial beyond `max_trials` (SciPy's
///    `maxls`), or a direction with `gᵀd ≥ 0`: with stored pairs the memory is cleared and the
///    iteration retried from `x` (SciPy's `RESTART`); without pairs the run stops (SciPy's
///    `ABNORMAL`).
///
/// ## When a local run stops
/// A run stops on either test or on a line-search failure ([`LbfgsStop`]). With `restart = true`
/// (the default) the next call is a **fresh point drawn uniformly in the box** from the run's
/// seeded generator, the memory is cleared and a new local run starts there, until the harness's
/// budget ends (the harness keeps the best value of all). This is how SciPy's L-BFGS-B is used
/// under a fixed evaluation budget: restart from a random point whenever it returns. With
/// `restart = false` the run re-evaluates its iterate until the budget ends and
/// [`Optimizer::converged`] reports `true` (so that a generic restart wrapper can take over).
///
/// Before a first successful call (the start may fail) points are drawn uniformly in the box
/// from the same generator.
///
/// ## Where it differs from SciPy's L-BFGS-B
/// With stored pairs, L-BFGS-B computes the generalised Cauchy point of the limited-memory
/// model and minimises the model over the variables free there (`cauchy`, `subsm`); this uses
/// the two-loop direction restricted to a free set read off the gradient instead. In the
/// interior both give the same quasi-Newton step `−H g`; near active bounds the free sets, and
/// so the steps, can differ. The tests, the first direction, the line search with its step
/// bounds, the update and skip rules and the failure handling follow SciPy.
///
/// **Why not argmin's L-BFGS.** argmin's `Executor` drives the objective itself through the
/// `CostFunction`/`Gradient` callbacks and runs whole iterations, line search included, so it
/// cannot be stepped one oracle call at a time as the harness requires (the harness, not the
/// optimizer, owns the objective and the budget). Its line searches also call `cost` and
/// `gradient` separately at each trial point (e.g. `MoreThuenteLineSearch::next_iter`), which
/// would count two oracle calls for one point, and its L-BFGS has no bound constraints.
///
/// Defaults (SciPy 1.17's `_minimize_lbfgsb`): `memory = 10` (`maxcor`), `c1 = 1e-3`,
/// `max_trials = 20` (`maxls`), `pgtol = 1e-5` (`gtol`), `ftol = 2.220446049250313e-9`,
/// `restart = true`.
///
/// Name: `lbfgs_m{memory}`, plus `_c1{c1}`, `_ls{max_trials}`, `_pg{pgtol}`, `_ft{ftol}` for
/// non-default values and `_norestart` for `restart = false`; e.g. `lbfgs_m10`,
/// `lbfgs_m10_norestart`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LbfgsConfig {
    /// Number of curvature pairs kept, `≥ 1` (SciPy's `maxcor`).
    pub memory: usize,
    /// Sufficient-decrease constant of the line search, in `(0, 0.9)` (`ftol` of `dcsrch`).
    pub c1: f64,
    /// Trials after which a line search fails, `≥ 1` (SciPy's `maxls`).
    pub max_trials: usize,
    /// Projected-gradient tolerance, `≥ 0` (SciPy's `gtol`/`pgtol`).
    pub pgtol: f64,
    /// Relative-reduction tolerance, `≥ 0` (SciPy's `ftol = factr · ε_mach`).
    pub ftol: f64,
    /// Restart from a fresh uniform point when a local run stops (otherwise re-evaluate the
    /// iterate until the budget ends).
    pub restart: bool,
}

impl Default for LbfgsConfig {
    fn default() -> Self {
        Self {
            memory: 10,
            c1: 1e-3,
            max_trials: 20,
            pgtol: 1e-5,
            ftol: SCIPY_FTOL,
            restart: true,
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
            self.c1 > 0.0 && self.c1 < CURVATURE,
            "must lie in (0, 0.9) (below the curvature constant)",
        )?;
        check(
            "lbfgs",
            "max_trials",
            self.max_trials,
            self.max_trials >= 1,
            "must be at least 1",
        )?;
        check(
            "lbfgs",
            "pgtol",
            self.pgtol,
            self.pgtol.is_finite() && self.pgtol >= 0.0,
            "must be finite and >= 0",
        )?;
        check(
            "lbfgs",
            "ftol",
            self.ftol,
            self.ftol.is_finite() && self.ftol >= 0.0,
            "must be finite and >= 0",
        )
    }

    /// Starts a run as [`Method::start`] does, returning the concrete run (whose
    /// [`LbfgsRun::stops`] tell why and when each local run stopped).
    pub fn start_run(
        &self,
        ctx: &RunContext,
        first: &Evaluation<'_>,
    ) -> Result<LbfgsRun, OptimError> {
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
            p: vec![0.0; d],
            free: vec![true; d],
            coef: vec![0.0; m],
            rho: vec![0.0; m],
            d: vec![0.0; d],
            zhat: vec![0.0; d],
            stp: 0.0,
            fold: 0.0,
            gd0: 0.0,
            trials: 0,
            ls: Dcsrch::default(),
            iter: 0,
            mode: Mode::Random,
            calls: 0,
            stops: Vec::new(),
            rng: ChaCha8Rng::seed_from_u64(ctx.seed),
        };
        run.tell(first)?;
        Ok(run)
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
        if self.pgtol != def.pgtol {
            name.push_str(&format!("_pg{}", fmt_hp(self.pgtol)));
        }
        if self.ftol != def.ftol {
            name.push_str(&format!("_ft{}", fmt_hp(self.ftol)));
        }
        if !self.restart {
            name.push_str("_norestart");
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
        Ok(Box::new(self.start_run(ctx, first)?))
    }
}

/// Why a local L-BFGS run stopped (SciPy's `res.message` class).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LbfgsStop {
    /// `max_i |proj g_i| ≤ pgtol` (`CONVERGENCE: NORM OF PROJECTED GRADIENT <= PGTOL`).
    ProjectedGradient,
    /// `(f_k − f_{k+1})/max(|f_k|, |f_{k+1}|, 1) ≤ ftol`
    /// (`CONVERGENCE: RELATIVE REDUCTION OF F <= FACTR*EPSMCH`).
    RelativeReduction,
    /// The line search failed without stored pairs (`ABNORMAL: `, formerly
    /// `ABNORMAL_TERMINATION_IN_LNSRCH`).
    LineSearch,
}

impl LbfgsStop {
    /// SciPy 1.17's `res.message` for this stop.
    pub fn scipy_message(self) -> &'static str {
        match self {
            LbfgsStop::ProjectedGradient => "CONVERGENCE: NORM OF PROJECTED GRADIENT <= PGTOL",
            LbfgsStop::RelativeReduction => "CONVERGENCE: RELATIVE REDUCTION OF F <= FACTR*EPSMCH",
            LbfgsStop::LineSearch => "ABNORMAL: ",
        }
    }
}

/// What the next `ask` is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// No local run: a uniform random point (before a first good call, and at each restart).
    Random,
    /// A line-search trial `x + α d`.
    Search,
    /// Stopped with `restart = false`: re-evaluate `x`.
    Stationary,
}

/// One run of [`LbfgsConfig`]: an [`Optimizer`] that also reports its stops.
pub struct LbfgsRun {
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
    /// Two-loop result (also its work vector) and the free set.
    p: Vec<f64>,
    free: Vec<bool>,
    /// Two-loop coefficients and `1/sᵀy` per pair (0 for a pair skipped in this direction),
    /// indexed oldest first.
    coef: Vec<f64>,
    rho: Vec<f64>,
    /// Search direction `d` and the point `x + d` (the trial at `α = 1`, taken exactly).
    d: Vec<f64>,
    zhat: Vec<f64>,
    /// Line-search state: the trial step, the base value and slope, trials made.
    stp: f64,
    fold: f64,
    gd0: f64,
    trials: usize,
    ls: Dcsrch,
    /// Accepted steps of the current local run (SciPy's `iter`).
    iter: usize,
    mode: Mode,
    /// Oracle calls told so far, the start included.
    calls: usize,
    stops: Vec<(usize, LbfgsStop)>,
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

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// SciPy's `projgr` on `[−1, 1]^d`: `max_i |proj g_i|`.
fn projected_gradient_norm(x: &[f64], g: &[f64]) -> f64 {
    x.iter().zip(g).fold(0.0f64, |m, (&xi, &gi)| {
        let p = if gi < 0.0 {
            (xi - 1.0).max(gi)
        } else {
            (xi + 1.0).min(gi)
        };
        m.max(p.abs())
    })
}

impl LbfgsRun {
    /// Every stop so far: the oracle calls made when it happened (the start included) and why.
    pub fn stops(&self) -> &[(usize, LbfgsStop)] {
        &self.stops
    }

    /// Slot of the `k`-th oldest stored pair.
    fn slot(&self, k: usize) -> usize {
        let m = self.cfg.memory;
        (self.head + m - self.len + k) % m
    }

    /// Starts a local run at the good point `z`.
    fn begin_local(&mut self, z: &[f64], f: f64, g: &[f64]) {
        self.x.copy_from_slice(z);
        self.g.copy_from_slice(g);
        self.f = f;
        self.len = 0;
        self.head = 0;
        self.iter = 0;
        if projected_gradient_norm(&self.x, &self.g) <= self.cfg.pgtol {
            self.stop(LbfgsStop::ProjectedGradient);
        } else {
            self.new_iteration();
        }
    }

    /// Ends the local run: restart from a uniform point, or stay.
    fn stop(&mut self, why: LbfgsStop) {
        self.stops.push((self.calls, why));
        self.len = 0;
        self.head = 0;
        self.mode = if self.cfg.restart {
            Mode::Random
        } else {
            Mode::Stationary
        };
    }

    /// Computes the direction at `x` and starts its line search.
    fn new_iteration(&mut self) {
        loop {
            let quasi_newton = self.len > 0 && self.two_loop();
            if !quasi_newton {
                // Generalised Cauchy point with B = I: clip(x − g).
                for i in 0..self.x.len() {
                    self.zhat[i] = (self.x[i] - self.g[i]).clamp(-1.0, 1.0);
                }
            } else {
                self.subspace_point();
            }
            for ((d, &z), &x) in self.d.iter_mut().zip(&self.zhat).zip(&self.x) {
                *d = z - x;
            }
            let gd = dot(&self.g, &self.d);
            if gd < 0.0 {
                self.gd0 = gd;
                break;
            }
            // No descent direction (SciPy's info = −4): a line-search failure.
            if self.len > 0 {
                self.len = 0;
                self.head = 0;
                continue;
            }
            self.stop(LbfgsStop::LineSearch);
            return;
        }
        let stpmx = if self.iter == 0 {
            1.0
        } else {
            self.max_feasible_step()
        };
        self.fold = self.f;
        self.trials = 0;
        self.stp = 1.0;
        let (ls, task) = Dcsrch::start(
            self.f,
            self.gd0,
            1.0,
            self.cfg.c1,
            CURVATURE,
            XTOL,
            0.0,
            stpmx,
        );
        self.ls = ls;
        if task == Task::Fg {
            self.mode = Mode::Search;
        } else {
            self.line_search_failed();
        }
    }

    /// SciPy's `stpmx` (`lnsrlb`): the largest step along `d` that stays in the box.
    fn max_feasible_step(&self) -> f64 {
        let mut stpmx = 1e10f64;
        for (&a1, &xi) in self.d.iter().zip(&self.x) {
            if a1 < 0.0 {
                let a2 = -1.0 - xi;
                if a2 >= 0.0 {
                    stpmx = 0.0;
                } else if a1 * stpmx < a2 {
                    stpmx = a2 / a1;
                }
            } else if a1 > 0.0 {
                let a2 = 1.0 - xi;
                if a2 <= 0.0 {
                    stpmx = 0.0;
                } else if a1 * stpmx > a2 {
                    stpmx = a2 / a1;
                }
            }
        }
        stpmx
    }

    /// `zhat` from the two-loop step `p` as L-BFGS-B's `subsm` treats its subspace step:
    /// `x + p` if inside the box; else its projection if that is a descent step; else `x + α p`
    /// truncated at the first bound (that coordinate set exactly to the bound).
    fn subspace_point(&mut self) {
        let mut outside = false;
        for i in 0..self.x.len() {
            let v = self.x[i] + self.p[i];
            self.zhat[i] = v.clamp(-1.0, 1.0);
            if v <= -1.0 || v >= 1.0 {
                outside = true;
            }
        }
        if !outside {
            return;
        }
        let dd_p: f64 = self
            .zhat
            .iter()
            .zip(&self.x)
            .zip(&self.g)
            .map(|((z, x), g)| (z - x) * g)
            .sum();
        if dd_p <= 0.0 {
            return;
        }
        let mut alpha = 1.0f64;
        let mut temp1 = 1.0f64;
        let mut ibd = None;
        for (i, (&dk, &xk)) in self.p.iter().zip(&self.x).enumerate() {
            if dk < 0.0 {
                let temp2 = -1.0 - xk;
                if temp2 >= 0.0 {
                    temp1 = 0.0;
                } else if dk * alpha < temp2 {
                    temp1 = temp2 / dk;
                }
            } else if dk > 0.0 {
                let temp2 = 1.0 - xk;
                if temp2 <= 0.0 {
                    temp1 = 0.0;
                } else if dk * alpha > temp2 {
                    temp1 = temp2 / dk;
                }
            }
            if temp1 < alpha {
                alpha = temp1;
                ibd = Some(i);
            }
        }
        for i in 0..self.x.len() {
            self.zhat[i] = self.x[i] + alpha * self.p[i];
        }
        if let Some(i) = ibd.filter(|_| alpha < 1.0) {
            self.zhat[i] = if self.p[i] > 0.0 { 1.0 } else { -1.0 };
        }
        for z in self.zhat.iter_mut() {
            *z = z.clamp(-1.0, 1.0);
        }
    }

    /// Writes `−H g` restricted to the free set into `p`; `false` when no stored pair is usable
    /// on the free set (then the caller takes the Cauchy direction).
    fn two_loop(&mut self) -> bool {
        for (i, f) in self.free.iter_mut().enumerate() {
            let (xi, gi) = (self.x[i], self.g[i]);
            *f = !((xi <= -1.0 && gi > 0.0) || (xi >= 1.0 && gi < 0.0));
        }
        for (q, (&g, &f)) in self.p.iter_mut().zip(self.g.iter().zip(&self.free)) {
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
            let a = self.rho[k] * dot_free(s, &self.p, &self.free);
            self.coef[k] = a;
            for ((q, &yi), &f) in self.p.iter_mut().zip(y).zip(&self.free) {
                if f {
                    *q -= a * yi;
                }
            }
        }
        let Some(gamma) = gamma else {
            return false;
        };
        for r in self.p.iter_mut() {
            *r *= gamma;
        }
        for k in 0..self.len {
            if self.rho[k] == 0.0 {
                continue;
            }
            let j = self.slot(k);
            let (s, y) = (&self.s[j], &self.y[j]);
            let b = self.rho[k] * dot_free(y, &self.p, &self.free);
            let c = self.coef[k] - b;
            for ((r, &si), &f) in self.p.iter_mut().zip(s).zip(&self.free) {
                if f {
                    *r += c * si;
                }
            }
        }
        for v in self.p.iter_mut() {
            *v = -*v;
        }
        self.p.iter().all(|v| v.is_finite())
    }

    /// Accepts the trial point `z` with value `fz` and gradient `gz`: tests, update, next
    /// iteration.
    fn accept(&mut self, z: &[f64], fz: f64, gz: &[f64]) {
        let mut sy = 0.0;
        let mut gs = 0.0;
        for i in 0..z.len() {
            let s = z[i] - self.x[i];
            sy += s * (gz[i] - self.g[i]);
            gs += s * self.g[i];
        }
        let fold = self.f;
        let store = sy > f64::EPSILON * (-gs) && sy.is_finite();
        if store {
            let j = self.head;
            for i in 0..z.len() {
                self.s[j][i] = z[i] - self.x[i];
                self.y[j][i] = gz[i] - self.g[i];
            }
        }
        self.x.copy_from_slice(z);
        self.g.copy_from_slice(gz);
        self.f = fz;
        self.iter += 1;
        if projected_gradient_norm(&self.x, &self.g) <= self.cfg.pgtol {
            self.stop(LbfgsStop::ProjectedGradient);
            return;
        }
        let scale = fold.abs().max(fz.abs()).max(1.0);
        if fold - fz <= self.cfg.ftol * scale {
            self.stop(LbfgsStop::RelativeReduction);
            return;
        }
        if store {
            self.head = (self.head + 1) % self.cfg.memory;
            self.len = (self.len + 1).min(self.cfg.memory);
        }
        self.new_iteration();
    }

    /// The search failed at the base `x`: clear the memory and retry, or stop without pairs.
    fn line_search_failed(&mut self) {
        if self.len > 0 {
            self.len = 0;
            self.head = 0;
            self.new_iteration();
        } else {
            self.stop(LbfgsStop::LineSearch);
        }
    }

    /// The trial point at step `stp`.
    fn trial(&self, z: &mut [f64]) {
        if self.stp == 1.0 {
            z.copy_from_slice(&self.zhat);
        } else {
            for ((zi, &xi), &di) in z.iter_mut().zip(&self.x).zip(&self.d) {
                *zi = sane(self.stp * di + xi, xi);
            }
        }
    }
}

impl Optimizer for LbfgsRun {
    fn ask(&mut self, z: &mut [f64]) -> Result<(), OptimError> {
        check_len("lbfgs", "the asked buffer", self.x.len(), z.len())?;
        match self.mode {
            Mode::Random => random_point(&mut self.rng, z),
            Mode::Stationary => z.copy_from_slice(&self.x),
            Mode::Search => self.trial(z),
        }
        Ok(())
    }

    fn tell(&mut self, eval: &Evaluation<'_>) -> Result<(), OptimError> {
        let grad = good_gradient("lbfgs", self.x.len(), eval)?;
        self.calls += 1;
        match (self.mode, grad) {
            (Mode::Random, Some(g)) => self.begin_local(eval.z, eval.value, g),
            (Mode::Random | Mode::Stationary, _) => {}
            (Mode::Search, Some(g)) => {
                self.trials += 1;
                let gd = dot(g, &self.d);
                let mut stp = self.stp;
                match self.ls.next(eval.value, gd, &mut stp) {
                    Task::Converged | Task::Warning => self.accept(eval.z, eval.value, g),
                    Task::Fg if self.trials < self.cfg.max_trials => self.stp = stp,
                    Task::Fg | Task::Error => self.line_search_failed(),
                }
            }
            (Mode::Search, None) => {
                self.trials += 1;
                let half = 0.5 * self.stp;
                let (ls, task) = Dcsrch::start(
                    self.fold,
                    self.gd0,
                    half,
                    self.cfg.c1,
                    CURVATURE,
                    XTOL,
                    0.0,
                    half,
                );
                if self.trials < self.cfg.max_trials && task == Task::Fg {
                    self.ls = ls;
                    self.stp = half;
                } else {
                    self.line_search_failed();
                }
            }
        }
        Ok(())
    }

    fn converged(&self) -> bool {
        self.mode == Mode::Stationary
    }
}
