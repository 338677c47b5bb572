//! # pop-baselines
//!
//! Every baseline POP is compared with, each a [`pop_optim::Method`] with its own typed config:
//! gradient methods with tuned learning rates and L-BFGS ([`first_order`]), random search, GA,
//! DE and CMA-ES ([`gradient_free`]), GP-EI Bayesian optimisation ([`bo`]) and TPE ([`tpe`]);
//! [`restarts::Restarts`] restarts any local method from a fresh uniform point when it stalls.
//! [`catalogue::MethodConfig`] is the serde enum over all of them (the typed registry an
//! evaluation resolves method names with); [`tuning`] reads the learning rates tuned on the
//! prior's validation split.
//!
//! The vocabulary (the `Method`/`Optimizer` traits, the harness, z-space, metrics, conformance
//! tests) and the two learned optimizers live in `pop-optim`, which needs neither LAPACK nor burn;
//! this crate adds LAPACK through `pop-prior` (BO's GP posterior).
//!
//! ```
//! use pop_baselines::catalogue::MethodConfig;
//! use pop_optim::harness::{run, RunOptions};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let f = pop_bench_fns::registry::build("branin", None)?;
//! let adam = MethodConfig::default_of("adam")?.with_learning_rate(0.1);
//! let rec = run(&f, &adam, &[0.0, 5.0], 50, 7, RunOptions::default())?;
//! assert!(rec.final_best() < rec.f0.unwrap());
//! # Ok(())
//! # }
//! ```
#![warn(
    missing_docs,
    clippy::unwrap_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

pub mod bo;
pub mod catalogue;
pub mod first_order;
pub mod gradient_free;
pub mod restarts;
pub mod tpe;
pub mod tuning;

use pop_optim::OptimError;

/// The contract checks of a model-based `tell` (BO, TPE): a pending `ask` and a point of the run's
/// dimension; otherwise [`OptimError::Internal`](pop_optim::OptimError::Internal) naming `method`.
pub(crate) fn check_tell(
    method: &str,
    pending: bool,
    got: usize,
    dim: usize,
) -> Result<(), OptimError> {
    if !pending {
        return Err(OptimError::Internal {
            method: method.to_string(),
            reason: "tell without a pending ask".into(),
        });
    }
    if got != dim {
        return Err(OptimError::Internal {
            method: method.to_string(),
            reason: format!("told a point of length {got} in dimension {dim}"),
        });
    }
    Ok(())
}
