//! # pop-prior
//!
//! The synthetic function prior of POP (`docs/pop-method.md` §3): every function lives on
//! `[−1, 1]^d`, is defined by `(seed, d, config)`, implements
//! [`pop_bench_fns::Objective`] with an exact gradient and knows its global minimum.
//!
//! * [`PriorConfig`]: every hyperprior (serde, `deny_unknown_fields`, [`PriorConfig::validate`]).
//! * [`Prior`] / [`PriorSample::generate`]: a sample is `a · (α q + (1 − α) g) + b` with `g`
//!   an exact GP sample ([`ExactGp`], Cholesky through anchors, `d ≤ exact_max_dim`) or a
//!   random-Fourier-feature GP sample ([`RffGp`]), `q` a random convex [`Quadratic`], and
//!   `f*` found exactly (quadratics) or by grid/random candidates plus projected-gradient polish.
//! * [`Extras`]: the optional components of the wider prior (a short length-scale GP, a needle,
//!   a plateau; module [`extras`]), all off by default.
//! * [`Split`], [`function_seed`]: the training stream and the fixed validation/test sets
//!   (1024 functions for each of `d = 2, 8, 16, 32`).
//! * [`GpPosterior`]: the exact GP posterior (fit, predict mean/variance with gradients, log
//!   marginal likelihood, hyperparameter fitting) for Bayesian optimisation and for tests.
//!
//! ```
//! use pop_bench_fns::Objective;
//! use pop_prior::{PriorConfig, PriorSample};
//! let f = PriorSample::generate(42, 2, &PriorConfig::default()).unwrap();
//! let mut g = [0.0; 2];
//! let v = f.value_and_gradient(&[0.1, -0.2], &mut g).unwrap();
//! assert!(v >= f.f_star().unwrap() - 1e-9);
//! ```
#![warn(
    missing_docs,
    clippy::unwrap_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

pub mod config;
pub mod design;
mod error;
pub mod extras;
pub mod fstar;
pub mod gp_exact;
pub mod kernel;
pub mod linalg;
pub mod posterior;
pub mod quadratic;
pub mod rff;
pub mod rng;
pub mod sample;
pub mod splits;

pub use config::{AnchorDesign, KernelWeights, PriorConfig};
pub use error::PriorError;
pub use extras::{Extras, Needle, Plateau};
pub use gp_exact::ExactGp;
pub use kernel::{Kernel, KernelKind, LengthScales};
pub use linalg::{CholeskyBackend, JitterPolicy};
pub use posterior::{GpPosterior, HyperFitOptions};
pub use quadratic::Quadratic;
pub use rff::RffGp;
pub use sample::{Family, GpComponent, Prior, PriorSample, TrainStream};
pub use splits::{EVAL_DIMS, EVAL_SET_SIZE, Split, function_seed};
