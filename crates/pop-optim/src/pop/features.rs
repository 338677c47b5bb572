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
//! # Token of coordinate `i` at step `s` (`F = N_FEATURES = 7`)
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
//! only: the update rule uses the plain scaled gradient. **\[ours\]**

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

/// Choices of the featurisation that are ours, not the paper's. **\[ours\]**
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FeatureConfig {
    /// Knee `κ` of the compression of the scaled gradient (`≤ 0`: no compression).
    pub grad_knee: f64,
    /// Knee `κ` of the compression of the scaled value change (`≤ 0`: no compression).
    pub value_change_knee: f64,
    /// The "previous log step size" feature of step 0, where no step was taken yet.
    pub initial_log_step: f64,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        Self {
            grad_knee: 1e-3,
            value_change_knee: 1e-3,
            initial_log_step: -2.3,
        }
    }
}

impl FeatureConfig {
    /// Checks that every field is finite.
    pub fn validate(&self) -> Result<(), ModelError> {
        if self.grad_knee.is_finite()
            && self.value_change_knee.is_finite()
            && self.initial_log_step.is_finite()
        {
            Ok(())
        } else {
            Err(ModelError::InvalidFeatureConfig {
                reason: format!("all fields must be finite, got {self:?}"),
            })
        }
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
    max_abs_df: f64,
    max_grad: f64,
}

impl Trajectory {
    /// An empty trajectory over `d` coordinates with a budget of `budget` oracle calls.
    pub fn new(d: usize, budget: usize) -> Result<Self, ModelError> {
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

    /// Writes the `d` tokens of step `s` into `out` (layout `[d][N_FEATURES]`). Depends on steps
    /// `0..=s` only. Allocation-free.
    pub fn token_into(
        &self,
        s: usize,
        cfg: &FeatureConfig,
        out: &mut [f32],
    ) -> Result<(), ModelError> {
        self.check_step(s)?;
        check_len("token buffer", self.d * N_FEATURES, out.len())?;
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
        for (i, tok) in out.chunks_exact_mut(N_FEATURES).enumerate() {
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
        }
        Ok(())
    }

    /// All tokens, layout `[d][len][N_FEATURES]` (one function of a `[B, d, T, F]` batch).
    pub fn features(&self, cfg: &FeatureConfig) -> Result<Vec<f32>, ModelError> {
        let mut out = vec![0.0; self.d * self.len() * N_FEATURES];
        self.features_into(cfg, &mut out)?;
        Ok(out)
    }

    /// [`features`](Self::features) into a caller's buffer of `d·len·N_FEATURES` floats.
    pub fn features_into(&self, cfg: &FeatureConfig, out: &mut [f32]) -> Result<(), ModelError> {
        if self.is_empty() {
            return Err(ModelError::Empty {
                what: "trajectory (no steps)",
            });
        }
        let (d, t) = (self.d, self.len());
        check_len("feature buffer", d * t * N_FEATURES, out.len())?;
        let mut token = vec![0.0_f32; d * N_FEATURES];
        for s in 0..t {
            self.token_into(s, cfg, &mut token)?;
            for i in 0..d {
                let dst = (i * t + s) * N_FEATURES;
                out[dst..dst + N_FEATURES]
                    .copy_from_slice(&token[i * N_FEATURES..(i + 1) * N_FEATURES]);
            }
        }
        Ok(())
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

/// The update rule of pop-method §2: `z_next = clip(z − exp(u) ⊙ ĝ, −1, 1)`, with `ĝ` the scaled
/// gradient at the current step ([`Trajectory::scaled_grad_into`]) and `u = ln η` the policy's
/// output. Used by training and by the trained optimizer.
pub fn update_z(
    z: &[f64],
    scaled_grad: &[f64],
    log_step: &[f64],
    z_next: &mut [f64],
) -> Result<(), ModelError> {
    let d = z.len();
    check_len("scaled gradient", d, scaled_grad.len())?;
    check_len("log step", d, log_step.len())?;
    check_len("next iterate", d, z_next.len())?;
    for i in 0..d {
        let v = z[i] - log_step[i].exp() * scaled_grad[i];
        if v.is_nan() {
            return Err(ModelError::NonFinite {
                what: "updated iterate",
            });
        }
        z_next[i] = v.clamp(-1.0, 1.0);
    }
    Ok(())
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
