//! # pop-model
//!
//! The transformer policy of POP (Prior-fitted Optimizer Policies) in burn 0.21: it reads an
//! optimisation trajectory and predicts a step size for every coordinate. This crate is what
//! *training* needs; *running* a trained policy needs only `pop-optim` (no burn).
//!
//! * [`features`]: the featurisation of `pop_optim::pop::features` (re-exported: a
//!   [`Trajectory`] in z-space becomes one token per (step, coordinate), invariant to
//!   `f ↦ a·f + b` and to the box; the update rule [`update_z`]) plus the tensor builders
//!   [`features_tensor`] and [`token_tensor`].
//! * [`PolicyConfig`] (defined in `pop-optim`) / [`Policy`]: linear token embedding plus time
//!   embedding, pre-norm blocks of causal multi-head self-attention over time per coordinate
//!   (weights shared by all coordinates, so any `d` works), optional permutation-equivariant
//!   cross-coordinate mixing, a Gaussian head over `u = ln η` and a critic. [`PolicyInit::init`]
//!   builds it; [`Policy::forward`] runs whole sequences (training), [`Policy::step`] one step
//!   with a key/value cache.
//! * [`export_fast`]: the same inference step as the plain-f32 [`FastPolicy`] of `pop-optim`.
//! * [`SeqNet`]: the full forward and the backward pass in plain f32 for training (several
//!   times burn-ndarray's autodiff throughput), gradients handed to burn's optimiser with
//!   [`register_gradients`].
//! * [`Policy::save_weights_dir`]: the shipped form (`config.json` + `weights.safetensors`);
//!   [`Policy::save_dir`] / [`Policy::load_dir`]: the checkpoint form (burn's record).
//!
//! Backends: [`CpuBackend`] (burn-ndarray) by default, [`TrainBackend`] (autodiff over it) for
//! training; `FlexBackend` (feature `flex`) and `CudaBackend` (feature `cuda`) optionally.
//!
//! ```
//! use pop_model::{CpuBackend, PolicyConfig, PolicyInit, Trajectory, features_tensor};
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

pub mod backprop;
mod export;
pub mod features;
mod io;
mod policy;

pub use backprop::{FunctionTape, SeqGrads, SeqNet, named_gradients, register_gradients};
pub use export::{export_fast, named_tensors};
pub use features::{
    ExtraFeature, FeatureConfig, N_FEATURES, StepRule, Trajectory, add_exploration, evaluate_in_z,
    features_tensor, token_tensor, update_z,
};
pub use io::CHECKPOINT_WEIGHTS_FILE;
pub use policy::{Block, KeyValue, Policy, PolicyCache, PolicyInit, PolicyOutput};
pub use pop_optim::pop::{
    CONFIG_FILE, FastCache, FastPolicy, NamedTensors, PolicyConfig, PolicyError as ModelError,
    TimeEmbedding, WEIGHTS_FILE, load_config, sinusoidal_table,
};

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
