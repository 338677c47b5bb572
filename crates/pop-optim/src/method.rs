//! The optimizer trait: a configured [`Method`] starts ask/tell [`Optimizer`] runs.

use crate::OptimError;

/// What a method is told when a run starts. Coordinates are in the canonical box `[−1, 1]^d`.
#[derive(Debug, Clone, Copy)]
pub struct RunContext {
    /// Number of coordinates.
    pub dim: usize,
    /// Total oracle calls of the run, the start point's included.
    pub budget: usize,
    /// Seed for the method's own randomness (derived by the harness from the run's seed).
    pub seed: u64,
}

/// One oracle answer, in the canonical box.
///
/// `value` is finite, or `+∞` when the objective returned NaN or ±∞ there (the harness's rule, see
/// [`crate::harness`]). `gradient` is present for methods that use gradients and only when every
/// component is finite.
#[derive(Debug, Clone, Copy)]
pub struct Evaluation<'a> {
    /// The point that was evaluated (after clipping to the box).
    pub z: &'a [f64],
    /// Its value, or `+∞` for a failed evaluation.
    pub value: f64,
    /// `∂f/∂z` at `z`, when the method uses gradients and the evaluation succeeded.
    pub gradient: Option<&'a [f64]>,
}

impl Evaluation<'_> {
    /// Whether the objective returned a finite value (and gradient, when asked) at this point.
    pub fn is_ok(&self) -> bool {
        self.value.is_finite()
    }
}

/// One run of an optimizer: an ask/tell state machine.
///
/// The harness alternates strictly: `ask`, evaluate, `tell`, … until the budget is spent. The
/// optimizer never calls the objective itself, so it cannot exceed the budget or see more than
/// it is told.
pub trait Optimizer: Send {
    /// Writes the next point to evaluate into `z` (length `dim`). Points outside `[−1, 1]^d` are
    /// clipped by the harness, and the optimizer is told the clipped point.
    fn ask(&mut self, z: &mut [f64]) -> Result<(), OptimError>;

    /// Receives the evaluation of the point it last asked for.
    fn tell(&mut self, eval: &Evaluation<'_>) -> Result<(), OptimError>;

    /// Whether the run has stopped by its own convergence test (e.g. L-BFGS-B's projected
    /// gradient or relative reduction test, or a failed line search) and from now on only
    /// repeats itself. A restart wrapper may then start a fresh run elsewhere. Checked after each
    /// `tell`; the default is `false` (no convergence test).
    fn converged(&self) -> bool {
        false
    }
}

/// A configured optimization method: its hyperparameters, and a factory of runs.
pub trait Method: Send + Sync {
    /// A name that encodes the hyperparameters, e.g. `adam_lr1e-3` (unique within an evaluation).
    fn name(&self) -> String;

    /// Whether it needs gradients; gradient-free methods are never shown one.
    fn uses_gradient(&self) -> bool;

    /// Starts a run. The harness has already evaluated the start point (the first oracle call);
    /// `first` is that evaluation.
    fn start(
        &self,
        ctx: &RunContext,
        first: &Evaluation<'_>,
    ) -> Result<Box<dyn Optimizer>, OptimError>;
}
