//! # pop-model
//!
//! The transformer policy of POP (Prior-fitted Optimizer Policies) in burn 0.21: it reads an
//! optimisation trajectory and predicts a step size for every coordinate.
//!
//! * [`features`]: a [`Trajectory`] in z-space becomes one token per (step, coordinate), with a
//!   causal scale that makes the tokens invariant to `f ↦ a·f + b` (`a > 0`) and to the box;
//!   also the box ↔ z conversions and the update rule [`update_z`].
//! * [`PolicyConfig`] / [`Policy`]: linear token embedding plus time embedding, pre-norm blocks of
//!   causal multi-head self-attention over time per coordinate (weights shared by all
//!   coordinates, so any `d` works), optional permutation-equivariant cross-coordinate mixing, a
//!   Gaussian head over `u = ln η` and a critic. [`Policy::forward`] runs whole sequences
//!   (training), [`Policy::step`] one step with a key/value cache (inference, O(t) per step).
//! * [`FastPolicy`]: the same inference step in plain f32, exported from a [`Policy`],
//!   allocation-free per step; much faster than burn for one step of this small network.
//! * [`Policy::save_dir`] / [`Policy::load_dir`]: a folder with `config.json` (the
//!   [`PolicyConfig`], including its [`FeatureConfig`]) and `weights.mpk`, written atomically.
//!
//! Backends: [`CpuBackend`] (burn-ndarray) by default, [`TrainBackend`] (autodiff over it) for
//! training; `FlexBackend` (feature `flex`) and `CudaBackend` (feature `cuda`) optionally.
//!
//! ```
//! use pop_model::{CpuBackend, PolicyConfig, Trajectory, features_tensor};
//! let device = Default::default();
//! let policy = PolicyConfig::small(16, 1, 2).init::<CpuBackend>(&device).unwrap();
//! let mut tr = Trajectory::new(2, 10).unwrap();
//! tr.push(&[0.1, -0.3], 2.0, &[0.5, -1.0], None).unwrap();
//! // The featurisation is part of the policy's config (and of its saved folder).
//! let x = features_tensor::<CpuBackend>(&[tr], &policy.config().features, &device).unwrap();
//! let out = policy.forward(x).unwrap();
//! assert_eq!(out.mean.dims(), [1, 2, 1]);
//! ```
#![warn(
    missing_docs,
    clippy::unwrap_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

mod config;
mod error;
pub mod fast;
pub mod features;
mod io;
mod policy;

pub use config::{PolicyConfig, TimeEmbedding};
pub use error::ModelError;
pub use fast::{FastCache, FastPolicy};
pub use features::{
    FeatureConfig, N_FEATURES, Trajectory, evaluate_in_z, features_tensor, grad_x_to_z,
    token_tensor, update_z, x_to_z, z_to_x,
};
pub use io::{CONFIG_FILE, WEIGHTS_FILE, load_config};
pub use policy::{Block, KeyValue, Policy, PolicyCache, PolicyOutput, sinusoidal_table};

/// The default CPU backend (burn-ndarray, f32).
pub type CpuBackend = burn::backend::NdArray<f32>;

/// The training backend: autodiff over [`CpuBackend`].
pub type TrainBackend = burn::backend::Autodiff<CpuBackend>;

/// burn's alternative CPU backend (feature `flex`).
#[cfg(feature = "flex")]
pub type FlexBackend = burn::backend::Flex<f32>;

/// The GPU backend (feature `cuda`; builds without a CUDA toolkit, needs a driver at run time).
#[cfg(feature = "cuda")]
pub type CudaBackend = burn::backend::Cuda<f32>;
