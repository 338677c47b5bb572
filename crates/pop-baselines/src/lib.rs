//! # pop-baselines
//!
//! The optimizer vocabulary of POP, the evaluation harness, and every baseline of the paper.
//!
//! * [`Method`] is a configured optimizer (its typed hyperparameters, a [`Method::name`] that encodes
//!   them, whether it uses gradients); [`Method::start`] begins one run and returns an [`Optimizer`],
//!   an ask/tell state machine. The trained POP policy is just another `Method`.
//! * The [`harness`] — not the optimizer — counts oracle calls, stops the method exactly at the
//!   budget, clips to the box, handles NaN/inf from the objective, and records the trajectory.
//! * Every method works in the canonical box `z ∈ [−1, 1]^d` (see [`space`]): the harness maps
//!   points and gradients, so one learning rate means the same thing on every function.
//! * [`velo`]: `velo-style-es`, a VeLO-style learned per-coordinate MLP update rule (meta-trained
//!   with evolution strategies by `pop-train es`), loaded from a weights file or run folder.
#![warn(
    missing_docs,
    clippy::unwrap_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

pub mod bo;
pub mod catalogue;
mod error;
pub mod first_order;
pub mod gradient_free;
pub mod harness;
mod method;
pub mod space;
pub mod testing;
pub mod tpe;
pub mod tuning;
pub mod velo;

pub use error::OptimError;
pub use method::{Evaluation, Method, Optimizer, RunContext};
