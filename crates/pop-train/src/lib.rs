//! # pop-train
//!
//! Meta-training of the two learned optimizers on functions of the prior; running them needs only
//! `pop-optim` (`pop_optim::pop::PopMethod`, `pop_optim::learned::velo::VeloStyle`).
//!
//! * [`TrainConfig`]: every knob of PPO, with the presets `smoke`, `quick` and `paper`.
//! * [`rollout`]: batched episodes acted on by the cached `FastPolicy` step, rewards
//!   `r_t = (b_{t−1} − b_t)/(f(x_0) − f*)`, so that the return is the episode's normalised
//!   improvement; [`rollout::gae`].
//! * [`ppo`]: the clipped-surrogate update with burn autodiff and Adam with warm-up.
//! * [`Trainer`]: the PPO run (validation, checkpoints, `--resume`).
//! * [`es`]: evolution-strategies meta-training of the VeLO-style competitor, with [`EsConfig`]
//!   presets and [`EsTrainer`] runs.
//! * [`run_folder`]: the run folder both trainers share (create, open, lock, metrics, atomic
//!   writes); [`validation`]: the validation set and the Adam baseline both trainers score
//!   through the harness.
//!
//! ```no_run
//! use pop_train::{TrainConfig, Trainer};
//! # fn main() -> Result<(), pop_train::TrainError> {
//! let cfg = TrainConfig::preset("smoke")?;
//! let mut trainer = Trainer::new(cfg, "runs/smoke")?;
//! for m in trainer.run()? {
//!     println!("update {} train NI {:.3}", m.update, m.train_ni);
//! }
//! // runs/smoke/best/ now holds the policy; run it with pop_optim::pop::PopMethod::load.
//! # Ok(())
//! # }
//! ```
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
pub mod ppo;
pub mod rollout;
pub mod run_folder;
mod trainer;
pub mod validation;

pub use config::{
    AdvantageKind, LrSchedule, PAPER, PAPER_QUICK, PRESETS, QUICK, QUICK_EXPLORE, QUICK_V1,
    RewardKind, SMOKE, STANDARD, TrainConfig, UpdateEngine, limits,
};
pub use error::TrainError;
pub use es::{EsConfig, EsTrainer};
pub use run_folder::{RunFolder, Seal};
pub use trainer::{Trainer, UpdateMetrics, Validation};
pub use validation::{AdamBaseline, VALIDATION_START_SEED, ValidationSet};
