//! POP's runtime: everything needed to *run* a trained policy, in plain Rust (no burn).
//!
//! * [`features`]: a [`Trajectory`] in z-space becomes one token per (step, coordinate), with a
//!   causal scale that makes the tokens invariant to `f ↦ a·f + b` (`a > 0`) and to the box;
//!   and the update rule [`update_z`] with its direction ([`StepRule`]).
//! * [`PolicyConfig`]: the network's hyperparameters and its [`FeatureConfig`] (one
//!   featurisation, the policy's own, saved with it).
//! * [`FastPolicy`]: the cached inference step of the transformer in plain f32,
//!   allocation-free per step; [`weights`] reads and writes a policy folder (`config.json` +
//!   `weights.safetensors`).
//! * [`PopMethod`]: a trained policy as a [`Method`](crate::Method).
//!
//! Training (the burn module, PPO) lives in `pop-model` and `pop-train`, which build on this.
//!
//! ```
//! use pop_optim::pop::{FeatureConfig, Trajectory, N_FEATURES};
//! let mut tr = Trajectory::new(2, 10).unwrap();
//! tr.push(&[0.1, -0.3], 2.0, &[0.5, -1.0], None).unwrap();
//! let mut token = vec![0.0_f32; 2 * N_FEATURES];
//! tr.token_into(0, &FeatureConfig::default(), &mut token).unwrap();
//! assert_eq!(token[0], 0.1_f32); // the coordinate z of coordinate 0
//! ```

mod config;
mod error;
pub mod fast;
pub mod features;
mod method;
pub mod weights;

pub use config::{PolicyConfig, TimeEmbedding, progress_frequencies};
pub use error::PolicyError;
pub use fast::{FastCache, FastPolicy, NamedTensors, sinusoidal_table};
pub use features::{
    ExtraFeature, FeatureConfig, N_FEATURES, QN_MEMORY, StepRule, Trajectory, add_exploration,
    evaluate_in_z, update_z,
};
pub use method::PopMethod;
pub use weights::{CONFIG_FILE, WEIGHTS_FILE, load_config};
