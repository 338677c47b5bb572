//! First-order methods: gradient descent, SGD with momentum (and Nesterov), Adam, RMSProp, L-BFGS.
//!
//! Every method here sees `f` and `∂f/∂z` at each oracle call ([`pop_optim::Method::uses_gradient`] is
//! `true`) and works in the canonical box `z ∈ [−1, 1]^d`. The harness clips every asked point to
//! the box and tells the method the clipped point, so a plain step followed by the harness's clip
//! is projected gradient descent; the next step starts from the clipped point.
//!
//! | config | default | name |
//! |---|---|---|
//! | [`GdConfig`] | `lr = 1e-3` | `gd_lr1e-3` |
//! | [`MomentumConfig`] | `lr = 1e-3, momentum = 0.9, dampening = 0, nesterov = false` | `momentum_lr1e-3_m0.9` (`nesterov_lr1e-3_m0.9`) |
//! | [`AdamConfig`] | `lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8` | `adam_lr1e-3` |
//! | [`RmsPropConfig`] | `lr = 1e-2, alpha = 0.99, eps = 1e-8, momentum = 0, centered = false` | `rmsprop_lr1e-2` |
//! | [`LbfgsConfig`] | `memory = 10, c1 = 1e-3, max_trials = 20, pgtol = 1e-5, ftol = 2.22e-9, restart = true` (SciPy's L-BFGS-B) | `lbfgs_m10` (`lbfgs_m10_norestart`) |
//!
//! Names carry the usually tuned hyperparameters (learning rate, momentum, L-BFGS memory) always,
//! and every other field only when it differs from its default (e.g. `adam_lr1e-3_b10.8`), so two
//! different configurations never share a name.
//!
//! ## Failed evaluations
//! A failed call arrives as `value = +∞` without a gradient (the harness's rule).
//! * GD, momentum, Adam and RMSProp go back to the last good iterate and retake the step computed
//!   there with half the length; the factor ½ is kept for the rest of the run and halves again at
//!   every further failure (the optimizer state is not updated by a failed call). See
//!   [`GdConfig`] for the details shared by the four.
//! * L-BFGS treats a failed call as a failed line-search trial and restarts its search at half
//!   the failed step.
//! * Until a first call succeeds (the start point itself may fail) every method asks points drawn
//!   uniformly in the box from a [`rand_chacha::ChaCha8Rng`] seeded with the run's seed; this is
//!   the only randomness of these methods, together with L-BFGS's restart points (same
//!   generator).

mod adam;
mod dcsrch;
mod gd;
mod lbfgs;
mod momentum;
mod rmsprop;
mod step;

pub use adam::AdamConfig;
pub use gd::GdConfig;
pub use lbfgs::{LbfgsConfig, LbfgsRun, LbfgsStop, SCIPY_FTOL};
pub use momentum::MomentumConfig;
pub use rmsprop::RmsPropConfig;

use pop_optim::OptimError;

/// Formats a hyperparameter compactly for a method name: `1e-2`, `2.5e-3`, `0.9`, `10`.
///
/// Magnitudes below 0.1 (and from 1e4 on) use the shortest exponent form, the others the shortest
/// decimal form; both round-trip.
fn fmt_hp(x: f64) -> String {
    if x != 0.0 && x.is_finite() && (x.abs() < 0.1 || x.abs() >= 1e4) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// `Ok` when `ok`, else [`OptimError::InvalidConfig`] for `method`'s `field`.
fn check(
    method: &str,
    field: &'static str,
    value: impl std::fmt::Display,
    ok: bool,
    reason: &str,
) -> Result<(), OptimError> {
    if ok {
        Ok(())
    } else {
        Err(OptimError::InvalidConfig {
            method: method.to_string(),
            field,
            value: value.to_string(),
            reason: reason.to_string(),
        })
    }
}

/// A learning rate: finite and positive.
fn check_lr(method: &str, lr: f64) -> Result<(), OptimError> {
    check(
        method,
        "lr",
        lr,
        lr.is_finite() && lr > 0.0,
        "must be finite and > 0",
    )
}

/// A decay factor in `[0, 1)`.
fn check_unit(method: &str, field: &'static str, v: f64) -> Result<(), OptimError> {
    check(
        method,
        field,
        v,
        (0.0..1.0).contains(&v),
        "must lie in [0, 1)",
    )
}

/// An epsilon: finite and positive (0 would divide 0 by 0 where a gradient component vanishes).
fn check_eps(method: &str, eps: f64) -> Result<(), OptimError> {
    check(
        method,
        "eps",
        eps,
        eps.is_finite() && eps > 0.0,
        "must be finite and > 0",
    )
}

/// torch's `lerp(start, end, w)` on CPU, operand order included: `start + w (end − start)` for
/// `|w| < ½`, else `end − (end − start)(1 − w)`.
fn lerp(start: f64, end: f64, w: f64) -> f64 {
    if w.abs() < 0.5 {
        start + w * (end - start)
    } else {
        end - (end - start) * (1.0 - w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hyperparameters_format_compactly() {
        assert_eq!(fmt_hp(1e-2), "1e-2");
        assert_eq!(fmt_hp(1e-3), "1e-3");
        assert_eq!(fmt_hp(2.5e-3), "2.5e-3");
        assert_eq!(fmt_hp(0.9), "0.9");
        assert_eq!(fmt_hp(0.999), "0.999");
        assert_eq!(fmt_hp(0.1), "0.1");
        assert_eq!(fmt_hp(1.0), "1");
        assert_eq!(fmt_hp(0.0), "0");
        assert_eq!(fmt_hp(1e5), "1e5");
    }
}
