//! # pop-train
//!
//! PPO meta-training of the POP policy (pop-method §5) on functions of the prior.
//!
//! * [`TrainConfig`]: every knob, with the presets `smoke`, `quick` and `paper`.
//! * [`rollout`]: episodes acted on by the cached [`pop_model::FastPolicy`] step, rewards
//!   `r_t = (b_{t−1} − b_t)/(f(x_0) − f*)`, so that the return is the episode's normalised
//!   improvement; [`rollout::gae`].
//! * [`ppo`]: the clipped-surrogate update with burn autodiff and Adam with warm-up.
//! * [`Trainer`]: validation against Adam, the run folder, checkpoints and `--resume`.
//! * [`PopMethod`]: a trained run folder as a `pop_baselines::Method`.
//! * [`reproduce`]: the paper's evaluation, tables, pictures and results page (`pop-reproduce`).
//! * [`es`]: evolution-strategies meta-training of the VeLO-style competitor
//!   (`pop_baselines::velo`), with [`EsConfig`] presets and [`EsTrainer`] run folders.
#![warn(
    missing_docs,
    clippy::unwrap_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

pub mod backend;
mod config;
mod error;
pub mod es;
mod method;
pub mod ppo;
pub mod reproduce;
pub mod rollout;
mod trainer;

pub use config::{PAPER, PRESETS, QUICK, SMOKE, TrainConfig};
pub use error::TrainError;
pub use es::{EsConfig, EsTrainer};
pub use method::PopMethod;
pub use trainer::{AdamBaseline, Trainer, UpdateMetrics, VALIDATION_START_SEED, Validation};
