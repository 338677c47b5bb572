//! The training backend, chosen at compile time: burn-ndarray on the CPU by default, burn's Flex
//! CPU backend with `--features flex`, burn-cuda with `--features cuda` (the `paper` preset's
//! target). Rollouts and validation always use the
//! plain-f32 [`pop_model::FastPolicy`] on the CPU; the backend runs the PPO update.

/// The inner (no-autodiff) backend of the PPO update.
#[cfg(not(any(feature = "cuda", feature = "flex")))]
pub type InnerBackend = pop_model::CpuBackend;
/// The inner (no-autodiff) backend of the PPO update.
#[cfg(all(feature = "flex", not(feature = "cuda")))]
pub type InnerBackend = pop_model::FlexBackend;
/// The inner (no-autodiff) backend of the PPO update.
#[cfg(feature = "cuda")]
pub type InnerBackend = pop_model::CudaBackend;

/// Autodiff over [`InnerBackend`]: the backend the policy is trained on.
pub type TrainBackend = burn::backend::Autodiff<InnerBackend>;
