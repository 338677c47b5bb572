//! Gradient descent with a constant learning rate.

use serde::{Deserialize, Serialize};

use super::step::{StepRule, StepRun};
use super::{check_lr, fmt_hp};
use pop_optim::{Evaluation, Method, OptimError, Optimizer, RunContext};

/// Gradient descent `z_{k+1} = clip(z_k − lr · ∂f/∂z(z_k))`: projected gradient descent in the
/// canonical box, one oracle call per step.
///
/// The default `lr = 1e-3` is `torch.optim.SGD`'s (Keras' `SGD` uses `1e-2`). In z-space the
/// curvature of a function grows with the square of its box's half-width, and `1e-2` already
/// diverges on the 5-D ellipsoid of [`pop_optim::testing::conformance`] (largest z-curvature about
/// 246 > 2/lr = 200), while `1e-3` does not. The learning rate is tuned on validation functions anyway
/// (§6 of the method notes).
///
/// **Failed calls** (the rule of every step method in [`crate::first_order`]): the iterate stays at
/// the last point whose call succeeded, the next point is that iterate minus *half* the last
/// displacement, and the halving is kept for the rest of the run (each further failure halves
/// again). The optimizer's state (momentum buffers, moment estimates, step count) only ever sees
/// gradients of successful calls.
///
/// Name: `gd_lr{lr}`, e.g. `gd_lr1e-3`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GdConfig {
    /// Learning rate, in z-units per unit of `∂f/∂z`; finite and `> 0`.
    pub lr: f64,
}

impl Default for GdConfig {
    fn default() -> Self {
        Self { lr: 1e-3 }
    }
}

impl GdConfig {
    /// Checks every field; [`OptimError::InvalidConfig`] names the first bad one.
    pub fn validate(&self) -> Result<(), OptimError> {
        check_lr("gd", self.lr)
    }
}

struct GdRule {
    lr: f64,
}

impl StepRule for GdRule {
    fn step(&mut self, grad: &[f64], delta: &mut [f64]) {
        for (d, &g) in delta.iter_mut().zip(grad) {
            *d = self.lr * g;
        }
    }
}

impl Method for GdConfig {
    fn name(&self) -> String {
        format!("gd_lr{}", fmt_hp(self.lr))
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
        Ok(Box::new(StepRun::new(
            "gd",
            GdRule { lr: self.lr },
            ctx,
            first,
        )?))
    }
}
