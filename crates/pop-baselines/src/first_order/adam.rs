//! Adam, exactly as `torch.optim.Adam`.

use serde::{Deserialize, Serialize};

use super::step::{StepRule, StepRun};
use super::{check_eps, check_lr, check_unit, fmt_hp, lerp};
use pop_optim::{Evaluation, Method, OptimError, Optimizer, RunContext};

/// Adam (Kingma & Ba 2015) with bias correction, the update of `torch.optim.Adam`
/// (`amsgrad = false`, weight decay 0), operation for operation:
///
/// ```text
/// t += 1
/// m = lerp(m, g, 1 − β1)                      (m + (1 − β1)(g − m))
/// v = β2 v + (1 − β2) g²
/// denom = √v / √(1 − β2^t) + eps
/// z_{k+1} = clip(z_k − (lr / (1 − β1^t)) · m / denom)
/// ```
///
/// **Where eps goes.** We follow PyTorch: eps is added to `√v̂ = √v / √(1 − β2^t)`. `optax.adam`
/// (with its default `eps_root = 0`) computes `m̂ / (√v̂ + eps)` with `m̂ = m/(1 − β1^t)`, the same
/// expression in a different order of floating-point operations, so the two agree to rounding.
/// (The form that really differs is the "epsilon hat" of the Adam paper's section 2 / TF1,
/// `lr_t · m / (√v + ε̂)`, which is not used here.) The golden test compares with PyTorch.
///
/// Defaults are PyTorch's and optax's: `lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8`.
/// Failed calls: see [`super::GdConfig`] (the step count `t` counts successful calls only).
///
/// Name: `adam_lr{lr}`, plus `_b1{beta1}`, `_b2{beta2}`, `_eps{eps}` for non-default values; e.g.
/// `adam_lr1e-3`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdamConfig {
    /// Learning rate; finite and `> 0`.
    pub lr: f64,
    /// Decay of the first moment, in `[0, 1)`.
    pub beta1: f64,
    /// Decay of the second moment, in `[0, 1)`.
    pub beta2: f64,
    /// Added to the denominator; finite and `> 0`.
    pub eps: f64,
}

impl Default for AdamConfig {
    fn default() -> Self {
        Self {
            lr: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
        }
    }
}

impl AdamConfig {
    /// Checks every field; [`OptimError::InvalidConfig`] names the first bad one.
    pub fn validate(&self) -> Result<(), OptimError> {
        check_lr("adam", self.lr)?;
        check_unit("adam", "beta1", self.beta1)?;
        check_unit("adam", "beta2", self.beta2)?;
        check_eps("adam", self.eps)
    }
}

struct AdamRule {
    cfg: AdamConfig,
    m: Vec<f64>,
    v: Vec<f64>,
    t: u64,
}

impl StepRule for AdamRule {
    fn step(&mut self, grad: &[f64], delta: &mut [f64]) {
        let AdamConfig {
            lr,
            beta1,
            beta2,
            eps,
        } = self.cfg;
        self.t += 1;
        let t = self.t as f64;
        let bias_correction1 = 1.0 - beta1.powf(t);
        let bias_correction2 = 1.0 - beta2.powf(t);
        let step_size = lr / bias_correction1;
        let bias_correction2_sqrt = bias_correction2.sqrt();
        for (((d, &g), m), v) in delta
            .iter_mut()
            .zip(grad)
            .zip(self.m.iter_mut())
            .zip(self.v.iter_mut())
        {
            *m = lerp(*m, g, 1.0 - beta1);
            *v = *v * beta2 + (1.0 - beta2) * g * g;
            let denom = v.sqrt() / bias_correction2_sqrt + eps;
            *d = step_size * *m / denom;
        }
    }
}

impl Method for AdamConfig {
    fn name(&self) -> String {
        let def = Self::default();
        let mut name = format!("adam_lr{}", fmt_hp(self.lr));
        for (tag, v, d) in [
            ("b1", self.beta1, def.beta1),
            ("b2", self.beta2, def.beta2),
            ("eps", self.eps, def.eps),
        ] {
            if v != d {
                name.push_str(&format!("_{tag}{}", fmt_hp(v)));
            }
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
        let rule = AdamRule {
            cfg: *self,
            m: vec![0.0; ctx.dim],
            v: vec![0.0; ctx.dim],
            t: 0,
        };
        Ok(Box::new(StepRun::new("adam", rule, ctx, first)?))
    }
}
