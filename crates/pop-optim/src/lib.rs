//! # pop-optim
//!
//! The optimizer vocabulary every other crate of POP speaks, with no LAPACK and no burn:
//!
//! * [`Method`] is a configured optimizer (its typed hyperparameters, a [`Method::name`] that
//!   encodes them, whether it uses gradients); [`Method::start`] begins one run and returns an
//!   [`Optimizer`], an ask/tell state machine.
//! * The [`harness`] is the only loop that calls an objective: it counts oracle calls, stops the
//!   method exactly at the budget, clips to the box, handles NaN/inf and records the trajectory.
//! * Every method works in the canonical box `z ∈ [−1, 1]^d` ([`space`], the map itself being
//!   [`Bounds::to_z`](pop_bench_fns::Bounds::to_z)), so one learning rate means the same thing on
//!   every function.
//! * [`metrics`] defines normalised improvement and regret once; [`seed`] derives every seed;
//!   [`special`] holds the normal distribution functions (erfc, CDF, quantiles) once.
//! * [`testing`]: the one-line conformance test every method passes.
//! * The two learned optimizers live here, outside their trainers: [`pop`] (POP's runtime:
//!   features, the plain-f32 [`pop::FastPolicy`], safetensors weights, [`pop::PopMethod`]) and
//!   [`learned::velo`] (`velo-style-es`). Running a trained policy needs no burn.
//!
//! ```
//! use pop_optim::harness::{run, RunOptions};
//! use pop_optim::pop::PopMethod;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let f = pop_bench_fns::registry::build("branin", None)?;
//! let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/pop-quick");
//! let pop = PopMethod::load(dir)?;
//! let rec = run(&f, &pop, &[0.0, 5.0], 50, 42, RunOptions::default())?;
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

mod error;
pub mod fsutil;
pub mod harness;
pub mod learned;
mod method;
pub mod metrics;
pub mod pop;
pub mod seed;
pub mod session;
pub mod space;
pub mod special;
pub mod testing;

pub use error::OptimError;
pub use method::{Evaluation, Method, Optimizer, RunContext};
