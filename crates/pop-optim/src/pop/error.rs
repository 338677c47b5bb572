//! The error type of the POP runtime (features, policy, weights); `pop-model` uses it too.

use std::path::PathBuf;

/// Everything that can go wrong when building features, running the policy, or saving and
/// loading it. Wrong inputs are reported here instead of panicking.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The policy configuration is inconsistent (for example `d_model` not divisible by
    /// `n_heads`).
    #[error("invalid policy config: {reason}")]
    InvalidConfig {
        /// What is wrong.
        reason: String,
    },

    /// The feature configuration is inconsistent.
    #[error("invalid feature config: {reason}")]
    InvalidFeatureConfig {
        /// What is wrong.
        reason: String,
    },

    /// A token has the wrong number of features for this policy.
    #[error("feature width mismatch: the policy expects {expected} features per token, got {got}")]
    FeatureWidth {
        /// `PolicyConfig::n_features`.
        expected: usize,
        /// Width of the input's last axis.
        got: usize,
    },

    /// An input that must not be empty is empty (no steps, no coordinates, no functions).
    #[error("empty input: {what}")]
    Empty {
        /// Which input.
        what: &'static str,
    },

    /// An input holds NaN or an infinity.
    #[error("non-finite value in {what}")]
    NonFinite {
        /// Which input.
        what: &'static str,
    },

    /// Two sizes that must agree do not (length of a buffer, number of coordinates, batch size).
    #[error("dimension mismatch in {what}: expected {expected}, got {got}")]
    DimensionMismatch {
        /// What was being checked.
        what: &'static str,
        /// The size required.
        expected: usize,
        /// The size given.
        got: usize,
    },

    /// The history is longer than the policy's time embedding (`max_history`).
    #[error("history of {len} steps exceeds max_history = {max}")]
    HistoryTooLong {
        /// Steps requested.
        len: usize,
        /// `PolicyConfig::max_history`.
        max: usize,
    },

    /// A trajectory step was refused (step index out of range, budget exhausted, ...).
    #[error("invalid trajectory: {reason}")]
    InvalidTrajectory {
        /// What is wrong.
        reason: String,
    },

    /// Reading tensor data back from the backend failed.
    #[error("tensor data: {reason}")]
    TensorData {
        /// The backend's message.
        reason: String,
    },

    /// A file-system operation failed.
    #[error("i/o error at {path}: {source}")]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// `config.json` is missing, unreadable or invalid.
    #[error("policy config file {path}: {reason}")]
    ConfigFile {
        /// The config file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },

    /// The weights file does not exist.
    #[error(
        "missing weights file {path} (a policy folder holds config.json and weights.safetensors)"
    )]
    MissingWeights {
        /// The expected path.
        path: PathBuf,
    },

    /// The weights file exists but cannot be decoded, does not match the config, or holds
    /// non-finite numbers.
    #[error("corrupt weights file {path}: {reason}")]
    CorruptWeights {
        /// The weights file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}
