//! # pop-bench-fns
//!
//! The objective vocabulary shared by every POP crate, and the 47 test functions of the
//! Virtual Library of Simulation Experiments (VLSE, Surjanovic & Bingham) with exact gradients.
//!
//! * [`Objective`] is a box-bounded objective: dimension, [`Bounds`], value, value-and-gradient
//!   written into a caller's buffer (no allocation per call), known minimum and minimisers.
//!   Benchmark functions, prior samples (`pop-prior`) and user problems all implement it.
//! * [`functions`] holds the math as plain functions `f(x, Option<&mut grad>) -> value`, each
//!   with its formula, domain, minimiser and minimum in its rustdoc.
//! * [`registry`] lists the suite ([`registry::vlse47`]) and builds a function by name
//!   ([`registry::build`]) with a checked dimension.
//!
//! ```
//! use pop_bench_fns::{registry, Objective};
//! let f = registry::build("rosenbrock", Some(3)).unwrap();
//! let mut g = vec![0.0; 3];
//! let v = f.value_and_gradient(&[1.0, 1.0, 1.0], &mut g).unwrap();
//! assert_eq!(v, 0.0);
//! assert_eq!(f.f_star(), Some(0.0));
//! ```
//!
//! This crate depends on nothing heavy (only `thiserror`): every other crate builds on it.
#![warn(
    missing_docs,
    clippy::unwrap_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

mod error;
pub mod functions;
mod objective;
pub mod registry;

pub use error::BenchError;
pub use objective::{Bounds, Objective};
pub use registry::{BenchFunction, DimRule, FunctionSpec};
