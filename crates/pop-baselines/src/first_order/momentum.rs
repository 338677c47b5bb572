//! SGD with heavy-ball or Nesterov momentum, exactly as `torch.optim.SGD`.

use serde::{Deserialize, Serialize};

use super::step::{StepRule, StepRun};
use super::{check, check_lr, check_unit, fmt_hp};
use pop_optim::{Evaluation, Method, OptimError, Optimizer, RunContext};

/// SGD with momentum, the update of `torch.optim.SGD` (weight decay 0):
///
/// ```text
/// b_1 = g_1;   b_k = μ b_{k−1} + (1 − dampening) g_k
/// s_k = g_k + μ b_k  (nesterov)   or   s_k = b_k
/// z_{k+1} = clip(z_k − lr s_k)
/// ```
///
/// Defaults `lr = 1e-3` (`torch.optim.SGD`'s, as for [`super::GdConfig`]), `momentum = 0.9`, `dampening = 0`,
/// `nesterov = false`. As in PyTorch, Nesterov needs `momentum > 0` and `dampening = 0`.
/// Failed calls: see [`super::GdConfig`].
///
/// Name: `momentum_lr{lr}_m{momentum}` or `nesterov_lr{lr}_m{momentum}`, plus `_damp{dampening}`
/// when it is not 0; e.g. `momentum_lr1e-3_m0.9`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MomentumConfig {
    /// Learning rate; finite and `> 0`.
    pub lr: f64,
    /// Momentum factor μ, in `[0, 1)`.
    pub momentum: f64,
    /// Dampening of the gradient in the buffer, in `[0, 1)`; must be 0 with Nesterov.
    pub dampening: f64,
    /// Nesterov momentum instead of heavy ball.
    pub nesterov: bool,
}

impl Default for MomentumConfig {
    fn default() -> Self {
        Self {
            lr: 1e-3,
            momentum: 0.9,
            dampening: 0.0,
            nesterov: false,
        }
    }
}

impl MomentumConfig {
    fn base(&self) -> &'static str {
        if self.nesterov {
            "nesterov"
        } else {
            "momentum"
        }
    }

    /// Checks every field; [`OptimError::InvalidConfig`] names the first bad one.
    pub fn validate(&self) -> Result<(), OptimError> {
        let m = self.base();
        check_lr(m, self.lr)?;
        check_unit(m, "momentum", self.momentum)?;
        check_unit(m, "dampening", self.dampening)?;
        if self.nesterov {
            check(
                m,
                "momentum",
                self.momentum,
                self.momentum > 0.0,
                "Nesterov momentum needs momentum > 0",
            )?;
            check(
                m,
                "dampening",
                self.dampening,
                self.dampening == 0.0,
                "Nesterov momentum needs dampening = 0",
            )?;
        }
        Ok(())
    }
}

struct MomentumRule {
    lr: f64,
    momentum: f64,
    dampening: f64,
    nesterov: bool,
    buf: Vec<f64>,
    started: bool,
}

impl StepRule for MomentumRule {
    fn step(&mut self, grad: &[f64], delta: &mut [f64]) {
        let mu = self.momentum;
        if mu == 0.0 {
            for (d, &g) in delta.iter_mut().zip(grad) {
                *d = self.lr * g;
            }
            return;
        }
        if self.started {
            for (b, &g) in self.buf.iter_mut().zip(grad) {
                *b = *b * mu + (1.0 - self.dampening) * g;
            }
        } else {
            // torch initialises the buffer with the first gradient, undampened.
            self.buf.copy_from_slice(grad);
            self.started = true;
        }
        for ((d, &g), &b) in delta.iter_mut().zip(grad).zip(&self.buf) {
            let s = if self.nesterov { g + mu * b } else { b };
            *d = self.lr * s;
        }
    }
}

impl Method for MomentumConfig {
    fn name(&self) -> String {
        let mut name = format!(
            "{}_lr{}_m{}",
            self.base(),
            fmt_hp(self.lr),
            fmt_hp(self.momentum)
        );
        if self.dampening != 0.0 {
            name.push_str(&format!("_damp{}", fmt_hp(self.dampening)));
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
        let rule = MomentumRule {
            lr: self.lr,
            momentum: self.momentum,
            dampening: self.dampening,
            nesterov: self.nesterov,
            buf: vec![0.0; ctx.dim],
            started: false,
        };
        Ok(Box::new(StepRun::new(self.base(), rule, ctx, first)?))
    }
}
