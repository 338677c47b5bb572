//! GP Bayesian optimisation with expected improvement (`bo-gp-ei`), on the exact GP posterior of
//! `pop-prior` ([`GpPosterior`]).
//!
//! * **Initial design**: the harness's start point plus `n_init − 1` points of a randomly shifted
//!   Halton sequence (`pop_prior::design::shifted_halton`). `n_init` defaults to
//!   `min(2d + 1, ⌈budget/2⌉)` (at least 2), so that the model gets at least half the budget.
//! * **Model**: Matérn-5/2 kernel with one length-scale per coordinate (ARD), targets standardised
//!   (by [`GpPosterior`]), kernel variance, length-scales and observation noise (a small floor,
//!   `1e-6`, keeps the Cholesky factorisation stable and absorbs duplicates) fitted by maximising
//!   the log marginal likelihood with box bounds in log space (spectral projected gradient,
//!   `pop_prior::fstar::spg_minimize`). Every fit is warm-started from the previous optimum and
//!   every `multistart_every`-th fit (the first included) also starts from a data-driven default
//!   and `hyper_random_starts` random points; once the model has more than `refit_all_until`
//!   points, the hyperparameters are re-optimised only every `refit_every` iterations and reused
//!   in between, which keeps a 200-evaluation run at seconds.
//! * **Acquisition**: expected improvement over the best observed value, maximised in log space
//!   (`log EI`, stable far from the incumbent, Ament et al. 2023) by multi-start local search:
//!   `n_candidates` uniform points plus `n_candidates/10` Gaussian perturbations of the incumbent
//!   are scored, the best `n_local_starts` at least 0.1 apart are polished by projected gradient
//!   ascent on `log EI` (posterior mean and variance gradients; spectral projected gradient) inside
//!   `[−1, 1]^d`, at most `local_max_iter` iterations each.
//! * **Speed**: the hyperparameters and the posterior come from [`GpPosterior`]; the many
//!   predictions of the acquisition search use a local copy of the same posterior (same kernel,
//!   noise, jitter and standardisation; row-major Cholesky factor, in-place triangular solves),
//!   because `GpPosterior::predict*` allocate and convert the factor's memory layout on every
//!   call. The two agree to rounding (unit test). A 200-evaluation 2-D run takes about 3 s
//!   (release, one OpenBLAS thread; about 6 s with OpenBLAS's default threads on 2 cores).
//! * **Duplicates**: a proposal within `1e-6` (max-norm) of an evaluated point is replaced by the
//!   best non-duplicate candidate, else by a uniform point.
//! * **Failed evaluations** (`+∞`) enter the model with the worst finite value seen so far (ranked
//!   last), so the model steers away from them; until two finite values exist, points are drawn
//!   uniformly. If the model cannot be fitted (a factorisation failure), the previous
//!   hyperparameters are tried, then a uniform point is returned.

use ndarray::{Array1, Array2};
use pop_prior::design::shifted_halton;
use pop_prior::fstar::{pick_diverse, spg_minimize};
use pop_prior::{GpPosterior, Kernel, KernelKind, LengthScales};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use pop_optim::special::normal;
use pop_optim::{Evaluation, Method, OptimError, Optimizer, RunContext};

/// Stopping tolerance of the hyperparameter search: the max-norm of the projected gradient of
/// the negative log marginal likelihood in log-hyperparameters (a change of the likelihood far
/// below one nat).
const HYPER_TOL: f64 = 1e-2;
/// Stopping tolerance of the local search on `log EI` (projected-gradient max-norm).
const EI_TOL: f64 = 1e-3;
/// Smallest Euclidean distance between two starts of the local search on `log EI`.
const LOCAL_START_RADIUS: f64 = 0.1;

/// Hyperparameters of GP-EI Bayesian optimisation (`bo-gp-ei`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BoConfig {
    /// Initial design size, the start point included; `None`: `min(2d + 1, ⌈budget/2⌉)`, ≥ 2.
    pub n_init: Option<usize>,
    /// Kernel family (default Matérn-5/2).
    pub kernel: KernelKind,
    /// One length-scale per coordinate (default true).
    pub ard: bool,
    /// Length-scale range in `z` units (the box is `[−1, 1]^d`). Default `(1e-2, 1e2)`.
    pub length_scale_bounds: (f64, f64),
    /// Kernel variance range, standardised units. Default `(1e-2, 1e2)`.
    pub variance_bounds: (f64, f64),
    /// Noise variance range, standardised units. Default `(1e-6, 1e-1)`: the floor keeps the
    /// factorisation stable on noise-free objectives; the ceiling lets the likelihood smooth over
    /// rugged functions without explaining everything as noise.
    pub noise_bounds: (f64, f64),
    /// Random starts of a multi-start hyperparameter fit, besides the warm and the default
    /// start. Default 1.
    pub hyper_random_starts: usize,
    /// Iterations per hyperparameter start. Default 50.
    pub hyper_max_iter: usize,
    /// A multi-start hyperparameter fit every this many fits (the first included); the others
    /// start from the previous optimum only. Default 10.
    pub multistart_every: usize,
    /// Re-optimise the hyperparameters at every iteration up to this many data points.
    /// Default 60.
    pub refit_all_until: usize,
    /// Beyond `refit_all_until` points, re-optimise the hyperparameters every this many
    /// iterations and reuse them in between. Default 5.
    pub refit_every: usize,
    /// Uniform candidates scored per iteration. Default 1000.
    pub n_candidates: usize,
    /// Candidates polished by local search. Default 5.
    pub n_local_starts: usize,
    /// Iterations of each local search. Default 20.
    pub local_max_iter: usize,
}

impl Default for BoConfig {
    fn default() -> Self {
        Self {
            n_init: None,
            kernel: KernelKind::Matern52,
            ard: true,
            length_scale_bounds: (1e-2, 1e2),
            variance_bounds: (1e-2, 1e2),
            noise_bounds: (1e-6, 1e-1),
            hyper_random_starts: 1,
            hyper_max_iter: 50,
            multistart_every: 10,
            refit_all_until: 60,
            refit_every: 5,
            n_candidates: 1000,
            n_local_starts: 5,
            local_max_iter: 20,
        }
    }
}

impl BoConfig {
    /// Checks every field's range.
    pub fn validate(&self) -> Result<(), OptimError> {
        let bad = |field: &'static str, value: String, reason: &str| OptimError::InvalidConfig {
            method: self.name(),
            field,
            value,
            reason: reason.to_string(),
        };
        if let Some(n) = self.n_init
            && n == 0
        {
            return Err(bad(
                "n_init",
                "0".into(),
                "must be >= 1 (the start point is the first design point)",
            ));
        }
        for (field, (lo, hi)) in [
            ("length_scale_bounds", self.length_scale_bounds),
            ("variance_bounds", self.variance_bounds),
            ("noise_bounds", self.noise_bounds),
        ] {
            if !(lo.is_finite() && hi.is_finite() && lo > 0.0 && lo <= hi) {
                return Err(bad(
                    field,
                    format!("({lo}, {hi})"),
                    "must be finite with 0 < lower <= upper",
                ));
            }
        }
        for (field, v) in [
            ("hyper_max_iter", self.hyper_max_iter),
            ("multistart_every", self.multistart_every),
            ("refit_every", self.refit_every),
            ("n_candidates", self.n_candidates),
            ("n_local_starts", self.n_local_starts),
        ] {
            if v == 0 {
                return Err(bad(field, "0".into(), "must be >= 1"));
            }
        }
        Ok(())
    }

    /// The initial design size for a run of `budget` calls in dimension `d`.
    fn n_init_for(&self, d: usize, budget: usize) -> usize {
        self.n_init
            .unwrap_or_else(|| (2 * d + 1).min(budget.div_ceil(2)).max(2))
    }
}

impl Method for BoConfig {
    /// `bo-gp-ei` for the defaults; non-default settings append `_init{n}`, the kernel
    /// (`_rbf`, `_matern32`), `_iso`, `_noise{lo}-{hi}`, `_cand{n}`.
    fn name(&self) -> String {
        let d = BoConfig::default();
        let mut s = String::from("bo-gp-ei");
        if let Some(n) = self.n_init {
            s.push_str(&format!("_init{n}"));
        }
        if self.kernel != d.kernel {
            s.push('_');
            s.push_str(self.kernel.name());
        }
        if !self.ard {
            s.push_str("_iso");
        }
        if self.noise_bounds != d.noise_bounds {
            s.push_str(&format!(
                "_noise{:e}-{:e}",
                self.noise_bounds.0, self.noise_bounds.1
            ));
        }
        if self.n_candidates != d.n_candidates {
            s.push_str(&format!("_cand{}", self.n_candidates));
        }
        s
    }

    fn uses_gradient(&self) -> bool {
        false
    }

    fn start(
        &self,
        ctx: &RunContext,
        first: &Evaluation<'_>,
    ) -> Result<Box<dyn Optimizer>, OptimError> {
        self.validate()?;
        let d = ctx.dim;
        if first.z.len() != d || d == 0 {
            return Err(OptimError::DimensionMismatch {
                what: "start point",
                expected: d,
                got: first.z.len(),
            });
        }
        let name = self.name();
        let template = Kernel::new(
            self.kernel,
            1.0,
            if self.ard {
                LengthScales::Ard(vec![1.0; d])
            } else {
                LengthScales::Isotropic(1.0)
            },
            d,
        )
        .map_err(|e| OptimError::Internal {
            method: name.clone(),
            reason: e.to_string(),
        })?;
        let mut rng = ChaCha8Rng::seed_from_u64(ctx.seed);
        let n_design = self.n_init_for(d, ctx.budget).saturating_sub(1);
        let design = shifted_halton(n_design, d, &mut rng);
        // Reserve for the whole run (capped, so that a huge budget does not reserve up front).
        let cap = ctx.budget.clamp(1, 1 << 16);
        let mut run = BoRun {
            config: self.clone(),
            dim: d,
            rng,
            design,
            design_next: 0,
            zs: Vec::with_capacity(cap * d),
            ys: Vec::with_capacity(cap),
            template,
            theta: None,
            since_refit: 0,
            n_fits: 0,
            name,
            pending: false,
        };
        run.push(first.z, first.value);
        Ok(Box::new(run))
    }
}

/// The state of one BO run.
struct BoRun {
    config: BoConfig,
    dim: usize,
    rng: ChaCha8Rng,
    /// Initial design points still to ask (rows), from `design_next` on.
    design: Array2<f64>,
    design_next: usize,
    /// Told points, row-major.
    zs: Vec<f64>,
    /// Told values (`+∞` for failures).
    ys: Vec<f64>,
    /// Kernel of the right kind, dimension and ARD-ness (hyperparameters are replaced).
    template: Kernel,
    /// Last fitted log hyperparameters `(log ℓ…, log σ², log σ_n²)`.
    theta: Option<Vec<f64>>,
    /// Iterations since the hyperparameters were last optimised.
    since_refit: usize,
    /// Hyperparameter optimisations so far.
    n_fits: usize,
    name: String,
    pending: bool,
}

/// `(log h(u), d log h/du)` for `h(u) = u Φ(u) + φ(u)`, the expected improvement of a unit
/// Gaussian at standardised improvement `u`. For `u < −5`, through the Laplace continued fraction
/// of the Mills ratio `R(t) = Φ(−t)/φ(t) = 1/(t + 1/(t + 2/(t + …)))`, `t = −u`: with
/// `C = 1/(t + 2/(t + 3/(t + …)))`, `R = 1/(t + C)` and `h = φ(u) R C` without cancellation.
pub(crate) fn log_h(u: f64) -> (f64, f64) {
    if u >= -5.0 {
        let cdf = normal::cdf(u);
        let h = u * cdf + normal::pdf(u);
        (h.ln(), cdf / h)
    } else {
        let t = -u;
        let mut v = t;
        for k in (2..=60).rev() {
            v = t + f64::from(k) / v;
        }
        let c = 1.0 / v;
        let r = 1.0 / (t + c);
        let log_pdf = -0.5 * u * u - normal::LN_SQRT_2PI;
        (log_pdf + r.ln() + c.ln(), 1.0 / c)
    }
}

/// The posterior of a fitted [`GpPosterior`] for fast repeated prediction: the same kernel,
/// noise, jitter and standardisation, with the Cholesky factor kept row-major and the triangular
/// solves done in place (no allocation or layout conversion per prediction). Agrees with
/// [`GpPosterior::predict_with_grad`] to rounding (tested).
struct Predictor {
    n: usize,
    d: usize,
    /// Data, row-major `n × d`.
    x: Vec<f64>,
    /// Lower Cholesky factor of `K + (σ_n² + jitter) I`, row-major `n × n`.
    l: Vec<f64>,
    /// `(K + σ_n² I)⁻¹ ỹ`.
    alpha: Vec<f64>,
    kernel: Kernel,
    y_mean: f64,
    y_scale: f64,
    /// Scratch: `k(X, x)`, `L⁻¹ k`, `L⁻ᵀ L⁻¹ k`.
    k: Vec<f64>,
    v: Vec<f64>,
    w: Vec<f64>,
}

impl Predictor {
    fn new(gp: &GpPosterior, x: &Array2<f64>, y: &Array1<f64>) -> Option<Self> {
        let (n, d) = x.dim();
        let kernel = gp.kernel().clone();
        let (y_mean, y_scale) = gp.standardisation();
        let xs: Vec<f64> = x.iter().copied().collect();
        let diag = gp.noise_variance() + gp.jitter();
        let mut l = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..=i {
                let kij = kernel.eval(&xs[i * d..(i + 1) * d], &xs[j * d..(j + 1) * d]);
                l[i * n + j] = if i == j { kij + diag } else { kij };
            }
        }
        // In-place Cholesky (lower, row-major).
        for j in 0..n {
            let mut s = l[j * n + j];
            for k in 0..j {
                s -= l[j * n + k] * l[j * n + k];
            }
            if !(s > 0.0 && s.is_finite()) {
                return None;
            }
            let ljj = s.sqrt();
            l[j * n + j] = ljj;
            for i in j + 1..n {
                let mut s = l[i * n + j];
                for k in 0..j {
                    s -= l[i * n + k] * l[j * n + k];
                }
                l[i * n + j] = s / ljj;
            }
        }
        let mut alpha: Vec<f64> = y.iter().map(|v| (v - y_mean) / y_scale).collect();
        forward(&l, n, &mut alpha);
        backward(&l, n, &mut alpha);
        Some(Self {
            n,
            d,
            x: xs,
            l,
            alpha,
            kernel,
            y_mean,
            y_scale,
            k: vec![0.0; n],
            v: vec![0.0; n],
            w: vec![0.0; n],
        })
    }

    /// Mean and latent variance at `z` (original units).
    fn predict(&mut self, z: &[f64]) -> (f64, f64) {
        let d = self.d;
        for (i, ki) in self.k.iter_mut().enumerate() {
            *ki = self.kernel.eval(z, &self.x[i * d..(i + 1) * d]);
        }
        let mean: f64 = self.k.iter().zip(&self.alpha).map(|(a, b)| a * b).sum();
        self.v.copy_from_slice(&self.k);
        forward(&self.l, self.n, &mut self.v);
        let var = (self.kernel.variance() - self.v.iter().map(|v| v * v).sum::<f64>()).max(0.0);
        let s = self.y_scale;
        (self.y_mean + s * mean, s * s * var)
    }

    /// Mean and latent variance at `z`, and their gradients (as
    /// [`GpPosterior::predict_with_grad`]).
    fn predict_grad(&mut self, z: &[f64], gm: &mut [f64], gv: &mut [f64]) -> (f64, f64) {
        let (mean, var) = self.predict(z);
        self.w.copy_from_slice(&self.v);
        backward(&self.l, self.n, &mut self.w);
        gm.fill(0.0);
        gv.fill(0.0);
        let d = self.d;
        let s = self.y_scale;
        for i in 0..self.n {
            let xi = &self.x[i * d..(i + 1) * d];
            self.kernel.eval_add_grad(z, xi, s * self.alpha[i], gm);
            self.kernel
                .eval_add_grad(z, xi, -2.0 * s * s * self.w[i], gv);
        }
        if var <= 0.0 {
            gv.fill(0.0);
        }
        (mean, var)
    }
}

/// Solves `L x = b` in place (`L` lower, row-major `n × n`).
fn forward(l: &[f64], n: usize, b: &mut [f64]) {
    for i in 0..n {
        let row = &l[i * n..i * n + i];
        let s: f64 = row.iter().zip(&b[..i]).map(|(a, c)| a * c).sum();
        b[i] = (b[i] - s) / l[i * n + i];
    }
}

/// Solves `Lᵀ x = b` in place.
fn backward(l: &[f64], n: usize, b: &mut [f64]) {
    for i in (0..n).rev() {
        let bi = b[i] / l[i * n + i];
        b[i] = bi;
        for (j, bj) in b[..i].iter_mut().enumerate() {
            *bj -= l[i * n + j] * bi;
        }
    }
}

/// `log EI(x)` for minimisation below `best`, and (when `grad` is given) its gradient in `x`
/// (the two other slices are scratch for the mean and variance gradients). `−∞` where the
/// posterior variance vanishes.
fn log_ei(
    p: &mut Predictor,
    best: f64,
    x: &[f64],
    grad: Option<(&mut [f64], &mut [f64], &mut [f64])>,
) -> f64 {
    let floor = 1e-18 * p.y_scale * p.y_scale;
    match grad {
        None => {
            let (mu, var) = p.predict(x);
            if var.is_nan() || var <= floor {
                return f64::NEG_INFINITY;
            }
            let sigma = var.sqrt();
            sigma.ln() + log_h((best - mu) / sigma).0
        }
        Some((g, gm, gv)) => {
            let (mu, var) = p.predict_grad(x, gm, gv);
            if var.is_nan() || var <= floor {
                g.fill(0.0);
                return f64::NEG_INFINITY;
            }
            let sigma = var.sqrt();
            let u = (best - mu) / sigma;
            let (lh, dlh) = log_h(u);
            for ((gi, dm), dv) in g.iter_mut().zip(gm.iter()).zip(gv.iter()) {
                let ds = dv / (2.0 * sigma);
                let du = (-dm - u * ds) / sigma;
                *gi = ds / sigma + dlh * du;
            }
            sigma.ln() + lh
        }
    }
}

impl BoRun {
    fn push(&mut self, z: &[f64], value: f64) {
        self.zs.extend_from_slice(z);
        self.ys.push(if value.is_finite() {
            value
        } else {
            f64::INFINITY
        });
    }

    fn uniform(&mut self, z: &mut [f64]) {
        for zi in z.iter_mut() {
            *zi = 2.0 * self.rng.random::<f64>() - 1.0;
        }
    }

    /// Max-norm distance from `x` to the nearest evaluated point.
    fn nearest(&self, x: &[f64]) -> f64 {
        self.zs
            .chunks_exact(self.dim)
            .map(|p| {
                p.iter()
                    .zip(x)
                    .map(|(a, b)| (a - b).abs())
                    .fold(0.0, f64::max)
            })
            .fold(f64::INFINITY, f64::min)
    }

    /// Log-hyperparameter bounds `(log ℓ…, log σ², log σ_n²)`.
    fn bounds(&self) -> (Vec<f64>, Vec<f64>) {
        let c = &self.config;
        let nl = if c.ard { self.dim } else { 1 };
        let mut lo = vec![c.length_scale_bounds.0.ln(); nl];
        let mut hi = vec![c.length_scale_bounds.1.ln(); nl];
        lo.push(c.variance_bounds.0.ln());
        hi.push(c.variance_bounds.1.ln());
        lo.push(c.noise_bounds.0.ln());
        hi.push(c.noise_bounds.1.ln());
        (lo, hi)
    }

    /// The posterior with log hyperparameters `theta`.
    fn posterior(&self, x: &Array2<f64>, y: &Array1<f64>, theta: &[f64]) -> Option<GpPosterior> {
        let nl = theta.len() - 2;
        let kernel = self.template.with_log_params(&theta[..=nl]).ok()?;
        GpPosterior::fit(kernel, x.view(), y.view(), theta[nl + 1].exp()).ok()
    }

    /// Fits the GP to `(x, y)`, re-optimising the hyperparameters when the schedule says so.
    fn fit(&mut self, x: &Array2<f64>, y: &Array1<f64>) -> Option<GpPosterior> {
        let n = y.len();
        let c = self.config.clone();
        let reoptimise =
            self.theta.is_none() || n <= c.refit_all_until || self.since_refit + 1 >= c.refit_every;
        if !reoptimise && let Some(theta) = self.theta.clone() {
            self.since_refit += 1;
            if let Some(gp) = self.posterior(x, y, &theta) {
                return Some(gp);
            }
        }
        self.since_refit = 0;
        let multistart = self.theta.is_none() || self.n_fits.is_multiple_of(c.multistart_every);
        self.n_fits += 1;
        let (lo, hi) = self.bounds();
        let nl = lo.len() - 2;
        let mut starts: Vec<Vec<f64>> = Vec::new();
        if let Some(t) = &self.theta {
            starts.push(t.clone());
        }
        if multistart {
            // Data-driven default: length-scale half the mean coordinate range, unit variance,
            // noise 1e-4 (clamped into the bounds).
            let mut spread = 0.0;
            for col in x.columns() {
                let (a, b) = col
                    .iter()
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                        (a.min(*v), b.max(*v))
                    });
                spread += (b - a).max(0.0);
            }
            let ls = (0.5 * spread / self.dim as f64).max(0.1);
            let mut def = vec![ls.ln(); nl];
            def.push(0.0);
            def.push(1e-4f64.ln());
            starts.push(def);
            for _ in 0..c.hyper_random_starts {
                let r: Vec<f64> = lo
                    .iter()
                    .zip(&hi)
                    .map(|(l, h)| l + (h - l) * self.rng.random::<f64>())
                    .collect();
                starts.push(r);
            }
        }
        for s in starts.iter_mut() {
            for ((v, l), h) in s.iter_mut().zip(&lo).zip(&hi) {
                *v = v.clamp(*l, *h);
            }
        }
        let template = &self.template;
        let objective = |theta: &[f64], grad: &mut [f64]| -> f64 {
            let Ok(kernel) = template.with_log_params(&theta[..=nl]) else {
                return f64::INFINITY;
            };
            match GpPosterior::fit(kernel, x.view(), y.view(), theta[nl + 1].exp())
                .and_then(|p| p.log_marginal_likelihood_with_grad())
            {
                Ok((lml, g)) if lml.is_finite() => {
                    for (o, gi) in grad.iter_mut().zip(&g) {
                        *o = -gi;
                    }
                    -lml
                }
                _ => f64::INFINITY,
            }
        };
        let mut best: Option<(f64, Vec<f64>)> = None;
        for s in &starts {
            let r = spg_minimize(objective, s, &lo, &hi, c.hyper_max_iter, HYPER_TOL);
            if r.value.is_finite() && best.as_ref().is_none_or(|(v, _)| r.value < *v) {
                best = Some((r.value, r.x));
            }
        }
        if let Some((_, theta)) = best
            && let Some(gp) = self.posterior(x, y, &theta)
        {
            self.theta = Some(theta);
            return Some(gp);
        }
        let theta = self.theta.clone()?;
        self.posterior(x, y, &theta)
    }

    /// Proposes the next point by maximising log EI; `false` if the model could not be used.
    fn propose(&mut self, z: &mut [f64]) -> bool {
        let d = self.dim;
        let n = self.ys.len();
        let finite_max = self
            .ys
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .fold(f64::NEG_INFINITY, f64::max);
        let best = self.ys.iter().copied().fold(f64::INFINITY, f64::min);
        let n_finite = self.ys.iter().filter(|v| v.is_finite()).count();
        if n_finite < 2 {
            return false;
        }
        let x = match Array2::from_shape_vec((n, d), self.zs.clone()) {
            Ok(x) => x,
            Err(_) => return false,
        };
        let y: Array1<f64> = self
            .ys
            .iter()
            .map(|&v| if v.is_finite() { v } else { finite_max })
            .collect();
        let Some(gp) = self.fit(&x, &y) else {
            return false;
        };
        let Some(mut pred) = Predictor::new(&gp, &x, &y) else {
            return false;
        };

        // Score candidates: uniform, plus Gaussian perturbations of the incumbent.
        let c = &self.config;
        let n_uniform = c.n_candidates;
        let n_local = c.n_candidates / 10;
        let incumbent = self
            .ys
            .iter()
            .enumerate()
            .min_by(|a, b| a.1.total_cmp(b.1))
            .map_or(0, |(i, _)| i);
        let inc: Vec<f64> = self.zs[incumbent * d..(incumbent + 1) * d].to_vec();
        let total = n_uniform + n_local;
        let mut cand = vec![0.0; total * d];
        for (k, row) in cand.chunks_exact_mut(d).enumerate() {
            if k < n_uniform {
                for v in row.iter_mut() {
                    *v = 2.0 * self.rng.random::<f64>() - 1.0;
                }
            } else {
                let scale = if k % 2 == 0 { 0.1 } else { 0.01 };
                for (v, i) in row.iter_mut().zip(&inc) {
                    let g: f64 = rand_distr::Distribution::sample(
                        &rand_distr::StandardNormal,
                        &mut self.rng,
                    );
                    *v = (i + scale * g).clamp(-1.0, 1.0);
                }
            }
        }
        let neg_scores: Vec<f64> = cand
            .chunks_exact(d)
            .map(|row| -log_ei(&mut pred, best, row, None))
            .collect();
        // Local search from the best candidates at least `LOCAL_START_RADIUS` apart.
        let starts = pick_diverse(
            &cand,
            &neg_scores,
            d,
            self.config.n_local_starts,
            LOCAL_START_RADIUS,
        );
        let lo = vec![-1.0; d];
        let hi = vec![1.0; d];
        let mut gm = vec![0.0; d];
        let mut gv = vec![0.0; d];
        let mut results: Vec<(f64, Vec<f64>)> = Vec::new();
        for &k in &starts {
            let x0 = &cand[k * d..(k + 1) * d];
            let r = spg_minimize(
                |x: &[f64], g: &mut [f64]| {
                    let v = log_ei(&mut pred, best, x, Some((g, &mut gm, &mut gv)));
                    g.iter_mut().for_each(|gi| *gi = -*gi);
                    -v
                },
                x0,
                &lo,
                &hi,
                self.config.local_max_iter,
                EI_TOL,
            );
            results.push((-r.value, r.x));
        }
        results.sort_by(|a, b| b.0.total_cmp(&a.0));
        // The best non-duplicate: polished points first, then the raw candidates.
        let dup_tol = 1e-6;
        for (_, p) in &results {
            if self.nearest(p) > dup_tol {
                z.copy_from_slice(p);
                return true;
            }
        }
        let mut order: Vec<usize> = (0..neg_scores.len()).collect();
        order.sort_by(|&a, &b| neg_scores[a].total_cmp(&neg_scores[b]));
        for k in order {
            let p = &cand[k * d..(k + 1) * d];
            if self.nearest(p) > dup_tol {
                z.copy_from_slice(p);
                return true;
            }
        }
        false
    }
}

impl Optimizer for BoRun {
    fn ask(&mut self, z: &mut [f64]) -> Result<(), OptimError> {
        if z.len() != self.dim {
            return Err(OptimError::Internal {
                method: self.name.clone(),
                reason: format!(
                    "ask with a buffer of length {} in dimension {}",
                    z.len(),
                    self.dim
                ),
            });
        }
        self.pending = true;
        if self.design_next < self.design.nrows() {
            for (zi, v) in z.iter_mut().zip(self.design.row(self.design_next)) {
                *zi = *v;
            }
            self.design_next += 1;
            return Ok(());
        }
        if !self.propose(z) {
            tracing::debug!(method = %self.name, "no usable model: uniform point");
            self.uniform(z);
        }
        Ok(())
    }

    fn tell(&mut self, eval: &Evaluation<'_>) -> Result<(), OptimError> {
        crate::check_tell(&self.name, self.pending, eval.z.len(), self.dim)?;
        self.pending = false;
        self.push(eval.z, eval.value);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predictor_matches_pop_prior_posterior() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let (n, d) = (25, 3);
        let x = Array2::from_shape_fn((n, d), |_| 2.0 * rng.random::<f64>() - 1.0);
        let y = Array1::from_shape_fn(n, |i| (3.0 * x[[i, 0]]).sin() + x[[i, 1]] * x[[i, 2]] + 4.0);
        let kernel = Kernel::new(
            KernelKind::Matern52,
            1.3,
            LengthScales::Ard(vec![0.4, 0.7, 1.1]),
            d,
        )
        .expect("kernel");
        let gp = GpPosterior::fit(kernel, x.view(), y.view(), 1e-4).expect("fit");
        let mut p = Predictor::new(&gp, &x, &y).expect("predictor");
        let (mut a1, mut a2, mut b1, mut b2) = ([0.0; 3], [0.0; 3], [0.0; 3], [0.0; 3]);
        for _ in 0..20 {
            let z: Vec<f64> = (0..d).map(|_| 2.0 * rng.random::<f64>() - 1.0).collect();
            let (m1, v1) = gp.predict_with_grad(&z, &mut a1, &mut a2).expect("predict");
            let (m2, v2) = p.predict_grad(&z, &mut b1, &mut b2);
            assert!((m1 - m2).abs() < 1e-10 * m1.abs().max(1.0), "{m1} {m2}");
            assert!((v1 - v2).abs() < 1e-10, "{v1} {v2}");
            for i in 0..d {
                assert!((a1[i] - b1[i]).abs() < 1e-9, "{a1:?} {b1:?}");
                assert!((a2[i] - b2[i]).abs() < 1e-9, "{a2:?} {b2:?}");
            }
        }
    }

    #[test]
    fn log_ei_gradient_matches_finite_differences() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let (n, d) = (12, 2);
        let x = Array2::from_shape_fn((n, d), |_| 2.0 * rng.random::<f64>() - 1.0);
        let y = Array1::from_shape_fn(n, |i| x[[i, 0]].powi(2) + 0.5 * x[[i, 1]]);
        let kernel = Kernel::new(
            KernelKind::Matern52,
            1.0,
            LengthScales::Ard(vec![0.5, 0.8]),
            d,
        )
        .expect("kernel");
        let gp = GpPosterior::fit(kernel, x.view(), y.view(), 1e-6).expect("fit");
        let mut p = Predictor::new(&gp, &x, &y).expect("predictor");
        let best = y.iter().copied().fold(f64::INFINITY, f64::min);
        let (mut g, mut gm, mut gv) = ([0.0; 2], [0.0; 2], [0.0; 2]);
        for z in [[0.3, -0.2], [0.9, 0.9], [-0.7, 0.1]] {
            let v = log_ei(&mut p, best, &z, Some((&mut g, &mut gm, &mut gv)));
            assert!((v - log_ei(&mut p, best, &z, None)).abs() < 1e-12);
            for i in 0..2 {
                let h = 1e-6;
                let (mut zp, mut zm) = (z, z);
                zp[i] += h;
                zm[i] -= h;
                let fd =
                    (log_ei(&mut p, best, &zp, None) - log_ei(&mut p, best, &zm, None)) / (2.0 * h);
                assert!(
                    (fd - g[i]).abs() < 1e-5 * fd.abs().max(1.0),
                    "{z:?} {i}: {fd} vs {}",
                    g[i]
                );
            }
        }
    }

    #[test]
    fn log_h_is_continuous_and_matches_direct() {
        // At the switch, both branches agree.
        let direct = |u: f64| {
            let h = u * normal::cdf(u) + normal::pdf(u);
            (h.ln(), normal::cdf(u) / h)
        };
        for u in [-5.0, -5.5, -6.0, -8.0] {
            let (a, da) = log_h(u - 1e-12);
            let (b, db) = direct(u);
            assert!((a - b).abs() < 1e-9 * b.abs(), "{u}: {a} vs {b}");
            assert!((da - db).abs() < 1e-8 * db.abs(), "{u}: {da} vs {db}");
        }
        // Far tail: log h(u) ~ log φ(u) − 2 log|u|.
        let (a, _) = log_h(-40.0);
        let approx = -800.0 - normal::LN_SQRT_2PI - 2.0 * 40f64.ln();
        assert!((a - approx).abs() < 1e-2, "{a} vs {approx}");
    }
}
