//! The ask/tell run shared by the step methods (GD, momentum, Adam, RMSProp): one oracle call per
//! step, the failure rule, and the random fallback before a first good call.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use pop_optim::{Evaluation, OptimError, Optimizer, RunContext};

/// An update rule `x_{k+1} = x_k − Δ_k`.
pub(super) trait StepRule: Send {
    /// Folds the gradient at the newest good iterate into the state and writes the displacement
    /// `Δ` (learning rate included) into `delta`, so that the next point is `x − Δ`.
    fn step(&mut self, grad: &[f64], delta: &mut [f64]);
}

/// One run of a [`StepRule`].
///
/// * A successful call moves the iterate to the (clipped) point told and asks `x − s·Δ` next,
///   `s` the step factor (1 until the first failure).
/// * A failed call leaves iterate and state alone and halves `s` for the rest of the run, so the
///   next point is the last good iterate minus half the previous displacement.
/// * Before a first successful call there is no iterate: points are drawn uniformly in the box.
pub(super) struct StepRun<R> {
    method: &'static str,
    rule: R,
    /// Last good iterate.
    x: Vec<f64>,
    /// Displacement computed at `x`.
    delta: Vec<f64>,
    /// Step factor: halves at every failed call.
    factor: f64,
    have_good: bool,
    rng: ChaCha8Rng,
}

impl<R: StepRule> StepRun<R> {
    /// Starts a run from the harness's first evaluation.
    pub(super) fn new(
        method: &'static str,
        rule: R,
        ctx: &RunContext,
        first: &Evaluation<'_>,
    ) -> Result<Self, OptimError> {
        let mut run = Self {
            method,
            rule,
            x: vec![0.0; ctx.dim],
            delta: vec![0.0; ctx.dim],
            factor: 1.0,
            have_good: false,
            rng: ChaCha8Rng::seed_from_u64(ctx.seed),
        };
        run.tell(first)?;
        Ok(run)
    }
}

/// [`OptimError::Internal`] unless `got == expected`.
pub(super) fn check_len(
    method: &str,
    what: &str,
    expected: usize,
    got: usize,
) -> Result<(), OptimError> {
    if got == expected {
        Ok(())
    } else {
        Err(OptimError::Internal {
            method: method.to_string(),
            reason: format!("{what} has length {got}, the run has dimension {expected}"),
        })
    }
}

/// The gradient of a successful evaluation, after checking lengths; `None` for a failed one.
pub(super) fn good_gradient<'a>(
    method: &str,
    dim: usize,
    eval: &Evaluation<'a>,
) -> Result<Option<&'a [f64]>, OptimError> {
    check_len(method, "the told point", dim, eval.z.len())?;
    match eval.gradient {
        Some(g) if eval.value.is_finite() => {
            check_len(method, "the told gradient", dim, g.len())?;
            Ok(Some(g))
        }
        _ => Ok(None),
    }
}

/// Writes a point drawn uniformly in `[−1, 1]^d`.
pub(super) fn random_point(rng: &mut ChaCha8Rng, z: &mut [f64]) {
    for zi in z.iter_mut() {
        *zi = 2.0 * rng.random::<f64>() - 1.0;
    }
}

/// `v` clipped to `[−1, 1]`, or `fallback` when `v` is NaN (never asks a NaN point).
pub(super) fn sane(v: f64, fallback: f64) -> f64 {
    if v.is_nan() {
        fallback
    } else {
        v.clamp(-1.0, 1.0)
    }
}

impl<R: StepRule> Optimizer for StepRun<R> {
    fn ask(&mut self, z: &mut [f64]) -> Result<(), OptimError> {
        check_len(self.method, "the asked buffer", self.x.len(), z.len())?;
        if !self.have_good {
            random_point(&mut self.rng, z);
            return Ok(());
        }
        for ((zi, &xi), &di) in z.iter_mut().zip(&self.x).zip(&self.delta) {
            *zi = sane(xi - self.factor * di, xi);
        }
        Ok(())
    }

    fn tell(&mut self, eval: &Evaluation<'_>) -> Result<(), OptimError> {
        match good_gradient(self.method, self.x.len(), eval)? {
            Some(g) => {
                self.x.copy_from_slice(eval.z);
                self.rule.step(g, &mut self.delta);
                self.have_good = true;
            }
            None => {
                if self.have_good {
                    self.factor *= 0.5;
                }
            }
        }
        Ok(())
    }
}
