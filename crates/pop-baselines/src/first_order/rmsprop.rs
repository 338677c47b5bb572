//! RMSProp, exactly as `torch.optim.RMSprop`.

use serde::{Deserialize, Serialize};

use super::step::{StepRule, StepRun};
use super::{check_eps, check_lr, check_unit, fmt_hp, lerp};
use pop_optim::{Evaluation, Method, OptimError, Optimizer, RunContext};

/// RMSProp (Tieleman & Hinton 2012), the update of `torch.optim.RMSprop` (weight decay 0),
/// operation for operation:
///
/// ```text
/// v = α v + (1 − α) g²
/// centered:  ḡ = lerp(ḡ, g, 1 − α),  a = √(v − ḡ²) + eps     otherwise  a = √v + eps
/// momentum > 0:  b = momentum · b + g / a,  z_{k+1} = clip(z_k − lr b)
/// otherwise:     z_{k+1} = clip(z_k − lr g / a)
/// ```
///
/// No bias correction, so the first step has length about `lr / √(1 − α)` = 0.1 per coordinate
/// at the defaults. Defaults are PyTorch's: `lr = 1e-2, alpha = 0.99, eps = 1e-8, momentum = 0,
/// centered = false`. (`optax.rmsprop` differs: by default it puts eps inside the square root.) In the
/// centered variant `v − ḡ²` is floored at 0 against rounding (PyTorch would return NaN there).
/// Failed calls: see [`super::GdConfig`].
///
/// Name: `rmsprop_lr{lr}`, plus `_a{alpha}`, `_eps{eps}`, `_m{momentum}` for non-default values
/// and `_centered`; e.g. `rmsprop_lr1e-2`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RmsPropConfig {
    /// Learning rate; finite and `> 0`.
    pub lr: f64,
    /// Decay of the squared-gradient average, in `[0, 1)`.
    pub alpha: f64,
    /// Added to the denominator; finite and `> 0`.
    pub eps: f64,
    /// Momentum factor, in `[0, 1)`.
    pub momentum: f64,
    /// Normalise by an estimate of the gradient's variance instead of its second moment.
    pub centered: bool,
}

impl Default for RmsPropConfig {
    fn default() -> Self {
        Self {
            lr: 1e-2,
            alpha: 0.99,
            eps: 1e-8,
            momentum: 0.0,
            centered: false,
        }
    }
}

impl RmsPropConfig {
    /// Checks every field; [`OptimError::InvalidConfig`] names the first bad one.
    pub fn validate(&self) -> Result<(), OptimError> {
        check_lr("rmsprop", self.lr)?;
        check_unit("rmsprop", "alpha", self.alpha)?;
        check_eps("rmsprop", self.eps)?;
        check_unit("rmsprop", "momentum", self.momentum)
    }
}

struct RmsPropRule {
    cfg: RmsPropConfig,
    square_avg: Vec<f64>,
    grad_avg: Vec<f64>,
    buf: Vec<f64>,
}

impl StepRule for RmsPropRule {
    fn step(&mut self, grad: &[f64], delta: &mut [f64]) {
        let RmsPropConfig {
            lr,
            alpha,
            eps,
            momentum,
            centered,
        } = self.cfg;
        for (i, (d, &g)) in delta.iter_mut().zip(grad).enumerate() {
            let sa = &mut self.square_avg[i];
            *sa = *sa * alpha + (1.0 - alpha) * g * g;
            let avg = if centered {
                let ga = &mut self.grad_avg[i];
                *ga = lerp(*ga, g, 1.0 - alpha);
                (*sa - *ga * *ga).max(0.0).sqrt()
            } else {
                sa.sqrt()
            } + eps;
            *d = if momentum > 0.0 {
                let b = &mut self.buf[i];
                *b = *b * momentum + g / avg;
                lr * *b
            } else {
                lr * g / avg
            };
        }
    }
}

impl Method for RmsPropConfig {
    fn name(&self) -> String {
        let def = Self::default();
        let mut name = format!("rmsprop_lr{}", fmt_hp(self.lr));
        for (tag, v, d) in [
            ("a", self.alpha, def.alpha),
            ("eps", self.eps, def.eps),
            ("m", self.momentum, def.momentum),
        ] {
            if v != d {
                name.push_str(&format!("_{tag}{}", fmt_hp(v)));
            }
        }
        if self.centered {
            name.push_str("_centered");
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
        let rule = RmsPropRule {
            cfg: *self,
            square_avg: vec![0.0; ctx.dim],
            grad_avg: vec![0.0; ctx.dim],
            buf: vec![0.0; ctx.dim],
        };
        Ok(Box::new(StepRun::new("rmsprop", rule, ctx, first)?))
    }
}
