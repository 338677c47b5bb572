//! Featurisation (pop-method §2 and §4): from an optimisation trajectory in z-space to one token
//! per (step, coordinate), and the update rule. The box ↔ z-space map is
//! [`Bounds::to_z`](pop_bench_fns::Bounds::to_z) / [`Bounds::to_x`](pop_bench_fns::Bounds::to_x).
//!
//! # Scale
//! Every value-like quantity of step `s` is divided by the causal running scale
//!
//! ```text
//! S_s = max( max_{r ≤ s} |f_r − f_0| , max_{r ≤ s} ‖∂f/∂z (z_r)‖_∞ )
//! ```
//!
//! which depends on steps `0..=s` only (so the tokens can be cached), is multiplied by `a` when
//! the objective becomes `a·f + b` (`a > 0`), and does not see the box because gradients are taken
//! in z-space. When `S_s = 0` every scaled quantity of step `s` is 0. Because `S_s` bounds the
//! gradient's largest entry, the scaled gradient `ĝ_s = (∂f/∂z)/S_s` lies in `[−1, 1]^d`, and the
//! scaled values in `[−1, 1]`. **\[ours\]**
//!
//! # Token of coordinate `i` at step `s` (`N_FEATURES = 7` base features)
//! | index | feature | formula |
//! |---|---|---|
//! | [`feature::Z`] | coordinate | `z_{s,i}` |
//! | [`feature::VALUE`] | scaled value | `f̃_s = (f_s − f_0)/S_s` |
//! | [`feature::GRAD`] | scaled gradient, compressed | `c_κg(ĝ_{s,i})` |
//! | [`feature::PREV_LOG_STEP`] | previous log step size | `u_{s−1,i} = ln η_{s−1,i}` (step 0: [`FeatureConfig::initial_log_step`]) |
//! | [`feature::VALUE_CHANGE`] | value change, compressed | `c_κv((f_s − f_{s−1})/S_s)` (step 0: 0) |
//! | [`feature::BEST`] | best so far | `(b_s − f_0)/S_s`, `b_s = min_{r ≤ s} f_r` |
//! | [`feature::PROGRESS`] | step index | `s/T` |
//!
//! The compression `c_κ(x) = sign(x)·ln(1 + |x|/κ) / ln(1 + 1/κ)` is linear for `|x| ≪ κ`,
//! logarithmic above, and maps ±1 to ±1, so gradients and improvements that are orders of
//! magnitude below the scale stay visible; `κ ≤ 0` switches it off. It is applied to the token
//! only: the update rule uses the plain direction. **\[ours\]**
//!
//! Optional features ([`FeatureConfig::extra`], appended after the seven above in list order):
//!
//! | [`ExtraFeature`] | formula |
//! |---|---|
//! | [`ExtraFeature::RmsGrad`] | `r_{s,i} = g_{s,i}/(√v_{s,i} + ε·S_s)` (see below), in `[−1/√(1−β), 1/√(1−β)]` |
//! | [`ExtraFeature::SecantLogStep`] | `clamp(ln(|g_{s,i}·Δz_i/Δg_i| / |δ_{s,i}|), −12, 1)` where `Δz_i·Δg_i > 0`, else 0 |
//! | [`ExtraFeature::SecantCurvature`] | `sign(Δz_i·Δg_i) ∈ {−1, 0, 1}` (0 at step 0 or when `Δz_i = 0`) |
//! | [`ExtraFeature::QuasiNewtonPairs`] | usable curvature pairs among the last [`QN_MEMORY`] steps, over [`QN_MEMORY`] |
//! | [`ExtraFeature::LogDirection`] | `clamp(ln|δ_{s,i}|, −12, 3)`, the log length of the direction's coordinate (−12 where 0) |
//!
//! `Δz_i = z_{s,i} − z_{s−1,i}` and `Δg_i` likewise for the z-gradient. Where the secant
//! curvature `Δg_i/Δz_i` is positive, `|g·Δz/Δg|` is the length of the one-dimensional Newton
//! (secant) step of coordinate `i`, so the first feature is the log step size `u` that would
//! take exactly that step along the rule's direction `δ` (quasi-Newton information the update
//! rule itself lacks); both are invariant under `f ↦ a·f + b`. **\[ours, tried for `pop`\]**
//!
//! # Update rule ([`StepRule`])
//! `z_{s+1} = clip(z_s − exp(u_s) ⊙ δ_s, −1, 1)`, `u_s = ln η_s` the policy's output, with the
//! direction `δ_s`:
//!
//! * [`StepRule::Scaled`] (the original rule): `δ_s = ĝ_s = g_s/S_s`, so `|Δz_i| ≤ η_i`; in a
//!   basin `|g| ≪ S` and the move shrinks with the gradient.
//! * [`StepRule::Rms`]: `δ_s = r_s = g_s/(√v_s + ε·S_s)` with the per-coordinate EMA
//!   `v_0 = g_0²`, `v_s = β·v_{s−1} + (1 − β)·g_s²` ([`FeatureConfig::rms_beta`],
//!   [`FeatureConfig::rms_eps`]); `|r_i| ≤ 1/√(1 − β)`, and `r` stays of order 1 when the
//!   gradient shrinks steadily, so `η` keeps its meaning as a move in z-units (RMSProp-like).
//!   `ε·S_s` keeps `r` invariant to `f ↦ a·f + b`; `r = 0` where `S_s = 0`.
//!
//! * [`StepRule::QuasiNewton`]: `δ_s = H_s·g_s`, the L-BFGS two-loop recursion over the pairs
//!   `(z_{k+1} − z_k, g_{k+1} − g_k)` of the last [`QN_MEMORY`] steps whose curvature
//!   `s·y > 10⁻¹⁰·‖s‖‖y‖`, with `H⁰ = (s·y/y·y)·I` from the newest such pair (Nocedal & Wright
//!   (7.20)); while none is usable, `δ_s = r_s` (the RMS direction). `η = 1` is then the full
//!   quasi-Newton step, and the policy replaces L-BFGS's line search. `δ` is invariant under
//!   `f ↦ a·f + b`.
//!
//! Both are computed by [`Trajectory::direction_into`], used by the training rollout and the
//! trained optimizer alike. **\[ours\]**
//!
//! # Exploration ([`FeatureConfig::explore_noise`])
//! With `ν > 0` the move is `η ⊙ (δ_s + ν·ξ_s)`, `ξ_s ~ N(0, I)` fresh at every step from the
//! run's seeded generator ([`add_exploration`]): a perturbed-gradient (Langevin-like) step whose
//! exploration grows with the step size the policy chooses, so the policy learns when to explore
//! (large `η`) and when to settle (small `η`). Training and evaluation draw the noise alike; the
//! noise is part of the environment, not of the action, so PPO's log-probabilities are
//! unchanged. **\[ours, `pop` only\]**

use pop_bench_fns::Objective;
use serde::{Deserialize, Serialize};

use super::error::PolicyError as ModelError;

/// Number of features per token produced by [`Trajectory`].
pub const N_FEATURES: usize = 7;

/// Positions of the features inside a token.
pub mod feature {
    /// The coordinate `z_{s,i} ∈ [−1, 1]`.
    pub const Z: usize = 0;
    /// The scaled value `(f_s − f_0)/S_s`.
    pub const VALUE: usize = 1;
    /// The compressed scaled gradient.
    pub const GRAD: usize = 2;
    /// The log step size used at `s − 1`.
    pub const PREV_LOG_STEP: usize = 3;
    /// The compressed value change `(f_s − f_{s−1})/S_s`.
    pub const VALUE_CHANGE: usize = 4;
    /// The scaled best-so-far value `(b_s − f_0)/S_s`.
    pub const BEST: usize = 5;
    /// The step index over the budget, `s/T`.
    pub const PROGRESS: usize = 6;
}

/// How the policy's log step sizes become a move (see the module documentation). **\[ours\]**
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepRule {
    /// `δ = g/S`, the scaled gradient (the original rule; the default, so policy folders written
    /// before the choice existed keep their behaviour).
    #[default]
    Scaled,
    /// `δ = g/(√v + ε·S)`, the gradient over its running RMS (EMA of `g²` with
    /// [`FeatureConfig::rms_beta`]).
    Rms,
    /// `δ = H·g`, the limited-memory BFGS direction from the last [`QN_MEMORY`] steps of the
    /// trajectory (see the module documentation); the RMS direction while no curvature pair is
    /// usable. **\[ours, tried for `pop`\]**
    QuasiNewton,
}

/// Curvature pairs kept by [`StepRule::QuasiNewton`] (SciPy's L-BFGS-B keeps 10; a short
/// budget in few dimensions needs fewer).
pub const QN_MEMORY: usize = 5;

/// An optional token feature, appended after the [`N_FEATURES`] base features. **\[ours\]**
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExtraFeature {
    /// The RMS-normalised gradient `g/(√v + ε·S)` of the coordinate (the direction of
    /// [`StepRule::Rms`]), not compressed.
    RmsGrad,
    /// The log step size that would take coordinate `i`'s secant Newton step along the
    /// direction (0 where the secant curvature is not positive); see the module documentation.
    SecantLogStep,
    /// The sign of the secant curvature `Δz_i·Δg_i` (0 at step 0 or when `Δz_i = 0`).
    SecantCurvature,
    /// The curvature pairs [`StepRule::QuasiNewton`] can use at this step over [`QN_MEMORY`]
    /// (0: its direction is the RMS one), the same for every coordinate.
    QuasiNewtonPairs,
    /// `clamp(ln|δ_{s,i}|, −12, 3)` of the update rule's direction (−12 where `δ = 0`), so the
    /// policy sees the length of the move it scales (all but constant for [`StepRule::Rms`],
    /// spread over decades for [`StepRule::QuasiNewton`]).
    LogDirection,
}

/// Bounds of [`ExtraFeature::SecantLogStep`].
const SECANT_LOG_STEP_RANGE: (f64, f64) = (-12.0, 1.0);

/// Choices of the featurisation that are ours, not the paper's. **\[ours\]**
///
/// Every field has a default, so a `config.json` written before a field existed loads with the
/// behaviour it was trained with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FeatureConfig {
    /// Knee `κ` of the compression of the scaled gradient (`≤ 0`: no compression).
    pub grad_knee: f64,
    /// Knee `κ` of the compression of the scaled value change (`≤ 0`: no compression).
    pub value_change_knee: f64,
    /// The "previous log step size" feature of step 0, where no step was taken yet.
    pub initial_log_step: f64,
    /// The update rule's direction (default [`StepRule::Scaled`]).
    pub step: StepRule,
    /// Decay `β ∈ [0, 1)` of the running mean of `g²` ([`StepRule::Rms`],
    /// [`ExtraFeature::RmsGrad`]).
    pub rms_beta: f64,
    /// Relative floor `ε ≥ 0` of the RMS denominator `√v + ε·S`.
    pub rms_eps: f64,
    /// Optional features appended to every token, in this order (default none).
    pub extra: Vec<ExtraFeature>,
    /// Exploration noise `ν ≥ 0` of the move (default 0: none): the direction becomes
    /// `δ + ν·ξ`, `ξ ~ N(0, I)` drawn fresh at every step from the run's seeded generator, so the
    /// move `η ⊙ (δ + ν·ξ)` explores in proportion to the step the policy chooses
    /// ([`add_exploration`]). **\[ours, `pop` only\]**
    pub explore_noise: f64,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        Self {
            grad_knee: 1e-3,
            value_change_knee: 1e-3,
            initial_log_step: -2.3,
            step: StepRule::Scaled,
            rms_beta: 0.9,
            rms_eps: 1e-10,
            extra: Vec::new(),
            explore_noise: 0.0,
        }
    }
}

impl FeatureConfig {
    /// Checks that every field is finite and in range.
    pub fn validate(&self) -> Result<(), ModelError> {
        if !(self.grad_knee.is_finite()
            && self.value_change_knee.is_finite()
            && self.initial_log_step.is_finite())
        {
            return Err(ModelError::InvalidFeatureConfig {
                reason: format!("all fields must be finite, got {self:?}"),
            });
        }
        if !(0.0..1.0).contains(&self.rms_beta) {
            return Err(ModelError::InvalidFeatureConfig {
                reason: format!("rms_beta must lie in [0, 1), got {}", self.rms_beta),
            });
        }
        if !(self.explore_noise.is_finite() && self.explore_noise >= 0.0) {
            return Err(ModelError::InvalidFeatureConfig {
                reason: format!(
                    "explore_noise must be finite and >= 0, got {}",
                    self.explore_noise
                ),
            });
        }
        if !(self.rms_eps.is_finite() && self.rms_eps >= 0.0) {
            return Err(ModelError::InvalidFeatureConfig {
                reason: format!("rms_eps must be finite and >= 0, got {}", self.rms_eps),
            });
        }
        Ok(())
    }

    /// Features per token: [`N_FEATURES`] plus the extras.
    pub fn width(&self) -> usize {
        N_FEATURES + self.extra.len()
    }
}

/// `c_κ(x) = sign(x)·ln(1 + |x|/κ)/ln(1 + 1/κ)`, the identity for `κ ≤ 0`.
pub fn compress(x: f64, knee: f64) -> f64 {
    if knee <= 0.0 {
        return x;
    }
    let c = (x.abs() / knee).ln_1p() / (1.0 / knee).ln_1p();
    c.copysign(x)
}

/// One optimisation run as the policy sees it: per step `s` the iterate `z_s ∈ [−1, 1]^d`, the
/// value `f_s`, the gradient `∂f/∂z` at `z_s` and the log step size used at `s − 1`, with the
/// budget `T`. Running statistics (scale, best value) are updated on every
/// [`push`](Self::push), so a token costs O(d) and never looks ahead.
#[derive(Clone, Debug)]
pub struct Trajectory {
    d: usize,
    budget: usize,
    z: Vec<f64>,
    grad: Vec<f64>,
    prev_log_step: Vec<f64>,
    has_prev: Vec<bool>,
    f: Vec<f64>,
    scale: Vec<f64>,
    best: Vec<f64>,
    /// The running mean of `g²` after each step, `[len][d]`.
    mean_sq: Vec<f64>,
    rms_beta: f64,
    max_abs_df: f64,
    max_grad: f64,
}

impl Trajectory {
    /// An empty trajectory over `d` coordinates with a budget of `budget` oracle calls, whose
    /// running mean of `g²` decays with the default `β` ([`FeatureConfig::default`]). Use
    /// [`with_features`](Self::with_features) for a policy's own featurisation.
    pub fn new(d: usize, budget: usize) -> Result<Self, ModelError> {
        Self::with_features(d, budget, &FeatureConfig::default())
    }

    /// An empty trajectory for the featurisation `cfg` (its RMS decay `β` is fixed here, because
    /// the running mean is updated on every [`push`](Self::push)).
    pub fn with_features(d: usize, budget: usize, cfg: &FeatureConfig) -> Result<Self, ModelError> {
        cfg.validate()?;
        if d == 0 {
            return Err(ModelError::Empty {
                what: "trajectory dimension d",
            });
        }
        if budget == 0 {
            return Err(ModelError::Empty {
                what: "trajectory budget T",
            });
        }
        Ok(Self {
            d,
            budget,
            z: Vec::with_capacity(budget * d),
            grad: Vec::with_capacity(budget * d),
            prev_log_step: Vec::with_capacity(budget * d),
            has_prev: Vec::with_capacity(budget),
            f: Vec::with_capacity(budget),
            scale: Vec::with_capacity(budget),
            best: Vec::with_capacity(budget),
            mean_sq: Vec::with_capacity(budget * d),
            rms_beta: cfg.rms_beta,
            max_abs_df: 0.0,
            max_grad: 0.0,
        })
    }

    /// Appends step `s = len()`: the iterate `z` (in z-space), its value `f`, the gradient
    /// `grad_z = ∂f/∂z` (see [`Bounds::grad_to_z`](pop_bench_fns::Bounds::grad_to_z)) and the log step sizes `u_{s−1}` that produced
    /// `z` (`None` for the first step).
    ///
    /// Errors on wrong lengths, non-finite numbers, or when the budget is used up.
    pub fn push(
        &mut self,
        z: &[f64],
        f: f64,
        grad_z: &[f64],
        prev_log_step: Option<&[f64]>,
    ) -> Result<(), ModelError> {
        check_len("z", self.d, z.len())?;
        check_len("gradient", self.d, grad_z.len())?;
        if let Some(u) = prev_log_step {
            check_len("previous log step", self.d, u.len())?;
            check_finite("previous log step", u)?;
        }
        check_finite("z", z)?;
        check_finite("gradient", grad_z)?;
        if !f.is_finite() {
            return Err(ModelError::NonFinite { what: "value f" });
        }
        if self.len() >= self.budget {
            return Err(ModelError::InvalidTrajectory {
                reason: format!("the budget of {} steps is used up", self.budget),
            });
        }
        let f0 = self.f.first().copied().unwrap_or(f);
        self.max_abs_df = self.max_abs_df.max((f - f0).abs());
        self.max_grad = grad_z.iter().fold(self.max_grad, |m, g| m.max(g.abs()));
        let best = self.best.last().map_or(f, |&b| b.min(f));
        if self.f.is_empty() {
            self.mean_sq.extend(grad_z.iter().map(|g| g * g));
        } else {
            let beta = self.rms_beta;
            let prev = self.mean_sq.len() - self.d;
            for (i, g) in grad_z.iter().enumerate() {
                let v = beta * self.mean_sq[prev + i] + (1.0 - beta) * g * g;
                self.mean_sq.push(v);
            }
        }
        self.z.extend_from_slice(z);
        self.grad.extend_from_slice(grad_z);
        match prev_log_step {
            Some(u) => self.prev_log_step.extend_from_slice(u),
            None => self.prev_log_step.extend(std::iter::repeat_n(0.0, self.d)),
        }
        self.has_prev.push(prev_log_step.is_some());
        self.f.push(f);
        self.scale.push(self.max_abs_df.max(self.max_grad));
        self.best.push(best);
        Ok(())
    }

    /// Number of coordinates `d`.
    pub fn dim(&self) -> usize {
        self.d
    }

    /// The budget `T`.
    pub fn budget(&self) -> usize {
        self.budget
    }

    /// Number of steps recorded.
    pub fn len(&self) -> usize {
        self.f.len()
    }

    /// Whether no step was recorded.
    pub fn is_empty(&self) -> bool {
        self.f.is_empty()
    }

    /// The iterate `z_s`.
    pub fn z(&self, s: usize) -> Result<&[f64], ModelError> {
        self.check_step(s)?;
        Ok(&self.z[s * self.d..(s + 1) * self.d])
    }

    /// The value `f_s`.
    pub fn value(&self, s: usize) -> Result<f64, ModelError> {
        self.check_step(s)?;
        Ok(self.f[s])
    }

    /// The best value so far, `b_s = min_{r ≤ s} f_r`.
    pub fn best(&self, s: usize) -> Result<f64, ModelError> {
        self.check_step(s)?;
        Ok(self.best[s])
    }

    /// The causal scale `S_s` (see the module documentation).
    pub fn scale(&self, s: usize) -> Result<f64, ModelError> {
        self.check_step(s)?;
        Ok(self.scale[s])
    }

    /// Writes the scaled gradient `ĝ_s = (∂f/∂z)(z_s)/S_s` (0 where `S_s = 0`) into `out`.
    pub fn scaled_grad_into(&self, s: usize, out: &mut [f64]) -> Result<(), ModelError> {
        self.check_step(s)?;
        check_len("scaled gradient buffer", self.d, out.len())?;
        let inv = inv_scale(self.scale[s]);
        for (o, g) in out.iter_mut().zip(&self.grad[s * self.d..(s + 1) * self.d]) {
            *o = g * inv;
        }
        Ok(())
    }

    /// Writes the RMS-normalised gradient `r_s = g_s/(√v_s + ε·S_s)` (0 where `S_s = 0`) into
    /// `out`, with `ε` = [`FeatureConfig::rms_eps`].
    pub fn rms_grad_into(
        &self,
        s: usize,
        cfg: &FeatureConfig,
        out: &mut [f64],
    ) -> Result<(), ModelError> {
        self.check_step(s)?;
        self.check_beta(cfg)?;
        check_len("RMS gradient buffer", self.d, out.len())?;
        let range = s * self.d..(s + 1) * self.d;
        for ((o, g), v) in out
            .iter_mut()
            .zip(&self.grad[range.clone()])
            .zip(&self.mean_sq[range])
        {
            *o = rms_normalise(*g, *v, self.scale[s], cfg.rms_eps);
        }
        Ok(())
    }

    /// Writes the direction `δ_s` of the update rule [`FeatureConfig::step`] into `out` (the
    /// scaled gradient for [`StepRule::Scaled`], the RMS-normalised one for [`StepRule::Rms`]);
    /// [`update_z`] then moves by `exp(u) ⊙ δ`.
    pub fn direction_into(
        &self,
        s: usize,
        cfg: &FeatureConfig,
        out: &mut [f64],
    ) -> Result<(), ModelError> {
        match cfg.step {
            StepRule::Scaled => self.scaled_grad_into(s, out),
            StepRule::Rms => self.rms_grad_into(s, cfg, out),
            StepRule::QuasiNewton => self.quasi_newton_into(s, cfg, out).map(|_| ()),
        }
    }

    /// Whether the pair `(z_{k+1} − z_k, g_{k+1} − g_k)` has usable curvature; returns
    /// `(s·y, y·y)` when it does.
    fn qn_pair(&self, k: usize) -> Option<(f64, f64)> {
        let d = self.d;
        let (mut sy, mut ss, mut yy) = (0.0, 0.0, 0.0);
        for i in 0..d {
            let sk = self.z[(k + 1) * d + i] - self.z[k * d + i];
            let yk = self.grad[(k + 1) * d + i] - self.grad[k * d + i];
            sy += sk * yk;
            ss += sk * sk;
            yy += yk * yk;
        }
        (sy.is_finite() && yy > 0.0 && sy > 1e-10 * (ss * yy).sqrt()).then_some((sy, yy))
    }

    /// Writes the quasi-Newton direction `H_s·g_s` of [`StepRule::QuasiNewton`] into `out` and
    /// returns the number of curvature pairs it used (0: the RMS direction was written).
    /// Allocation-free.
    pub fn quasi_newton_into(
        &self,
        s: usize,
        cfg: &FeatureConfig,
        out: &mut [f64],
    ) -> Result<usize, ModelError> {
        self.check_step(s)?;
        check_len("quasi-Newton direction buffer", self.d, out.len())?;
        let d = self.d;
        let first = s.saturating_sub(QN_MEMORY);
        let mut rho = [0.0_f64; QN_MEMORY];
        let mut alpha = [0.0_f64; QN_MEMORY];
        let mut gamma = None;
        out.copy_from_slice(&self.grad[s * d..(s + 1) * d]);
        for k in (first..s).rev() {
            let Some((sy, yy)) = self.qn_pair(k) else {
                continue;
            };
            gamma.get_or_insert(sy / yy);
            let j = k - first;
            rho[j] = 1.0 / sy;
            let mut sq = 0.0;
            for (i, q) in out.iter().enumerate() {
                sq += (self.z[(k + 1) * d + i] - self.z[k * d + i]) * q;
            }
            alpha[j] = rho[j] * sq;
            for (i, q) in out.iter_mut().enumerate() {
                *q -= alpha[j] * (self.grad[(k + 1) * d + i] - self.grad[k * d + i]);
            }
        }
        let Some(gamma) = gamma else {
            self.rms_grad_into(s, cfg, out)?;
            return Ok(0);
        };
        let mut pairs = 0;
        for q in out.iter_mut() {
            *q *= gamma;
        }
        for k in first..s {
            let j = k - first;
            if rho[j] == 0.0 {
                continue;
            }
            pairs += 1;
            let mut yr = 0.0;
            for (i, r) in out.iter().enumerate() {
                yr += (self.grad[(k + 1) * d + i] - self.grad[k * d + i]) * r;
            }
            let beta = rho[j] * yr;
            for (i, r) in out.iter_mut().enumerate() {
                *r += (self.z[(k + 1) * d + i] - self.z[k * d + i]) * (alpha[j] - beta);
            }
        }
        if out.iter().any(|v| !v.is_finite()) {
            self.rms_grad_into(s, cfg, out)?;
            return Ok(0);
        }
        Ok(pairs)
    }

    /// Writes the `d` tokens of step `s` into `out` (layout `[d][cfg.width()]`). Depends on
    /// steps `0..=s` only. Allocation-free unless [`ExtraFeature::LogDirection`] is asked for.
    pub fn token_into(
        &self,
        s: usize,
        cfg: &FeatureConfig,
        out: &mut [f32],
    ) -> Result<(), ModelError> {
        self.check_step(s)?;
        let width = cfg.width();
        check_len("token buffer", self.d * width, out.len())?;
        if !cfg.extra.is_empty() {
            self.check_beta(cfg)?;
        }
        let d = self.d;
        let inv = inv_scale(self.scale[s]);
        let f0 = self.f[0];
        let value = (self.f[s] - f0) * inv;
        let change = if s == 0 {
            0.0
        } else {
            compress((self.f[s] - self.f[s - 1]) * inv, cfg.value_change_knee)
        };
        let best = (self.best[s] - f0) * inv;
        let progress = s as f64 / self.budget as f64;
        let qn_pairs = if cfg.extra.contains(&ExtraFeature::QuasiNewtonPairs) {
            (s.saturating_sub(QN_MEMORY)..s)
                .filter(|&k| self.qn_pair(k).is_some())
                .count() as f64
                / QN_MEMORY as f64
        } else {
            0.0
        };
        let direction = if cfg.extra.contains(&ExtraFeature::LogDirection) {
            let mut dir = vec![0.0; d];
            self.direction_into(s, cfg, &mut dir)?;
            dir
        } else {
            Vec::new()
        };
        for (i, tok) in out.chunks_exact_mut(width).enumerate() {
            let k = s * d + i;
            let u = if self.has_prev[s] {
                self.prev_log_step[k]
            } else {
                cfg.initial_log_step
            };
            tok[feature::Z] = self.z[k] as f32;
            tok[feature::VALUE] = value as f32;
            tok[feature::GRAD] = compress(self.grad[k] * inv, cfg.grad_knee) as f32;
            tok[feature::PREV_LOG_STEP] = u as f32;
            tok[feature::VALUE_CHANGE] = change as f32;
            tok[feature::BEST] = best as f32;
            tok[feature::PROGRESS] = progress as f32;
            for (slot, extra) in tok[N_FEATURES..].iter_mut().zip(&cfg.extra) {
                *slot = match extra {
                    ExtraFeature::RmsGrad => {
                        rms_normalise(self.grad[k], self.mean_sq[k], self.scale[s], cfg.rms_eps)
                            as f32
                    }
                    ExtraFeature::SecantLogStep => self.secant(s, i, cfg).0 as f32,
                    ExtraFeature::SecantCurvature => self.secant(s, i, cfg).1 as f32,
                    ExtraFeature::QuasiNewtonPairs => qn_pairs as f32,
                    ExtraFeature::LogDirection => {
                        let a = direction[i].abs();
                        (if a > 0.0 {
                            a.ln().clamp(-12.0, 3.0)
                        } else {
                            -12.0
                        }) as f32
                    }
                };
            }
        }
        Ok(())
    }

    /// All tokens, layout `[d][len][cfg.width()]` (one function of a `[B, d, T, F]` batch).
    pub fn features(&self, cfg: &FeatureConfig) -> Result<Vec<f32>, ModelError> {
        let mut out = vec![0.0; self.d * self.len() * cfg.width()];
        self.features_into(cfg, &mut out)?;
        Ok(out)
    }

    /// [`features`](Self::features) into a caller's buffer of `d·len·cfg.width()` floats.
    pub fn features_into(&self, cfg: &FeatureConfig, out: &mut [f32]) -> Result<(), ModelError> {
        if self.is_empty() {
            return Err(ModelError::Empty {
                what: "trajectory (no steps)",
            });
        }
        let (d, t, w) = (self.d, self.len(), cfg.width());
        check_len("feature buffer", d * t * w, out.len())?;
        let mut token = vec![0.0_f32; d * w];
        for s in 0..t {
            self.token_into(s, cfg, &mut token)?;
            for i in 0..d {
                let dst = (i * t + s) * w;
                out[dst..dst + w].copy_from_slice(&token[i * w..(i + 1) * w]);
            }
        }
        Ok(())
    }

    /// The secant features of coordinate `i` at step `s`: (log step of the secant Newton step
    /// along the direction, or 0; the sign of the secant curvature).
    fn secant(&self, s: usize, i: usize, cfg: &FeatureConfig) -> (f64, f64) {
        if s == 0 {
            return (0.0, 0.0);
        }
        let (k, p) = (s * self.d + i, (s - 1) * self.d + i);
        let (dz, dg) = (self.z[k] - self.z[p], self.grad[k] - self.grad[p]);
        let curv = dz * dg;
        if dz == 0.0 || curv == 0.0 || !curv.is_finite() {
            return (0.0, 0.0);
        }
        if curv < 0.0 {
            return (0.0, -1.0);
        }
        let g = self.grad[k];
        let dir = match cfg.step {
            StepRule::Scaled => g * inv_scale(self.scale[s]),
            StepRule::Rms | StepRule::QuasiNewton => {
                rms_normalise(g, self.mean_sq[k], self.scale[s], cfg.rms_eps)
            }
        };
        let newton = (g * dz / dg).abs();
        let (lo, hi) = SECANT_LOG_STEP_RANGE;
        let u = if dir == 0.0 {
            0.0
        } else if newton == 0.0 {
            lo
        } else {
            (newton / dir.abs()).ln().clamp(lo, hi)
        };
        (if u.is_finite() { u } else { 0.0 }, 1.0)
    }

    /// The running mean of `g²` is kept with the `β` the trajectory was built with.
    fn check_beta(&self, cfg: &FeatureConfig) -> Result<(), ModelError> {
        if cfg.rms_beta == self.rms_beta {
            Ok(())
        } else {
            Err(ModelError::InvalidFeatureConfig {
                reason: format!(
                    "rms_beta {} differs from the trajectory's {} (build it with \
                     Trajectory::with_features)",
                    cfg.rms_beta, self.rms_beta
                ),
            })
        }
    }

    fn check_step(&self, s: usize) -> Result<(), ModelError> {
        if s < self.len() {
            Ok(())
        } else {
            Err(ModelError::InvalidTrajectory {
                reason: format!("step {s} requested, {} recorded", self.len()),
            })
        }
    }
}

/// The update rule of pop-method §2: `z_next = clip(z − exp(u) ⊙ δ, −1, 1)`, with `δ` the
/// direction at the current step ([`Trajectory::direction_into`]) and `u = ln η` the policy's
/// output. Used by training and by the trained optimizer.
pub fn update_z(
    z: &[f64],
    direction: &[f64],
    log_step: &[f64],
    z_next: &mut [f64],
) -> Result<(), ModelError> {
    let d = z.len();
    check_len("direction", d, direction.len())?;
    check_len("log step", d, log_step.len())?;
    check_len("next iterate", d, z_next.len())?;
    for i in 0..d {
        let v = z[i] - log_step[i].exp() * direction[i];
        if v.is_nan() {
            return Err(ModelError::NonFinite {
                what: "updated iterate",
            });
        }
        z_next[i] = v.clamp(-1.0, 1.0);
    }
    Ok(())
}

/// Adds the exploration noise of [`FeatureConfig::explore_noise`] to a direction:
/// `δ_i += ν·ξ_i`, `ξ_i ~ N(0, 1)` from `rng`. Draws nothing when `ν = 0`, so a policy without
/// noise consumes no random numbers (and keeps its old trajectories). **\[ours\]**
pub fn add_exploration<R: rand::Rng + ?Sized>(
    direction: &mut [f64],
    cfg: &FeatureConfig,
    rng: &mut R,
) {
    use rand_distr::{Distribution, StandardNormal};
    if cfg.explore_noise == 0.0 {
        return;
    }
    for d in direction.iter_mut() {
        let xi: f64 = StandardNormal.sample(rng);
        *d += cfg.explore_noise * xi;
    }
}

/// Evaluates `objective` at the point of its box that `z` names, returning `f` and writing
/// `∂f/∂z` into `grad_z`; `x` and `grad_x` are the caller's scratch buffers (no allocation).
/// Counts nothing: the harness counts oracle calls.
pub fn evaluate_in_z(
    objective: &dyn Objective,
    z: &[f64],
    x: &mut [f64],
    grad_x: &mut [f64],
    grad_z: &mut [f64],
) -> Result<f64, ModelError> {
    let bounds = objective.bounds();
    let d = bounds.dim();
    check_len("z", d, z.len())?;
    check_len("x", d, x.len())?;
    check_len("gradient in x", d, grad_x.len())?;
    check_len("gradient in z", d, grad_z.len())?;
    bounds.to_x(z, x);
    let f = objective.evaluate(x, Some(grad_x));
    grad_z.copy_from_slice(grad_x);
    bounds.grad_to_z(grad_z);
    Ok(f)
}

/// `g/(√v + ε·S)`, or 0 when `S` is 0 (or so small that `1/S` would overflow).
fn rms_normalise(g: f64, mean_sq: f64, scale: f64, eps: f64) -> f64 {
    if inv_scale(scale) == 0.0 {
        return 0.0;
    }
    let den = mean_sq.sqrt() + eps * scale;
    if den > 0.0 { g / den } else { 0.0 }
}

/// `1/S`, or 0 when `S` is 0 (or so small that `1/S` would overflow).
fn inv_scale(scale: f64) -> f64 {
    if scale >= f64::MIN_POSITIVE {
        1.0 / scale
    } else {
        0.0
    }
}

pub(crate) fn check_len(what: &'static str, expected: usize, got: usize) -> Result<(), ModelError> {
    if expected == got {
        Ok(())
    } else {
        Err(ModelError::DimensionMismatch {
            what,
            expected,
            got,
        })
    }
}

fn check_finite(what: &'static str, v: &[f64]) -> Result<(), ModelError> {
    if v.iter().all(|x| x.is_finite()) {
        Ok(())
    } else {
        Err(ModelError::NonFinite { what })
    }
}
