//! The error type of pop-train.

use std::path::PathBuf;

/// Everything that can go wrong while configuring, training, saving or loading.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// A field of [`TrainConfig`](crate::TrainConfig) is out of range.
    #[error("invalid training config: `{field}` = {value}: {reason}")]
    InvalidConfig {
        /// The field's name.
        field: &'static str,
        /// Its value, as text.
        value: String,
        /// What is required.
        reason: String,
    },
    /// A config file or preset could not be parsed.
    #[error("cannot parse config {source_name}: {reason}")]
    ConfigParse {
        /// The preset name or file path.
        source_name: String,
        /// The parser's message.
        reason: String,
    },
    /// The policy crate failed.
    #[error(transparent)]
    Model(#[from] pop_model::ModelError),
    /// The prior failed.
    #[error(transparent)]
    Prior(#[from] pop_prior::PriorError),
    /// A baseline or the harness failed.
    #[error(transparent)]
    Optim(#[from] pop_optim::OptimError),
    /// A file-system operation failed.
    #[error("I/O error at {path}: {source}")]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A run-folder file could not be encoded or decoded.
    #[error("bad run-folder file {path}: {reason}")]
    RunFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The folder cannot become (or stay) this process's run folder: it is not empty, or
    /// another live process owns it.
    #[error("cannot use {path} as a run folder: {reason}")]
    FolderInUse {
        /// The folder.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Resuming is impossible.
    #[error("cannot resume from {path}: {reason}")]
    Resume {
        /// The run folder.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A number became NaN or infinite during training.
    #[error("non-finite {what} at update {update}")]
    NonFinite {
        /// What quantity.
        what: &'static str,
        /// The update index.
        update: usize,
    },
}

pub(crate) fn io_err(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> TrainError {
    let path = path.into();
    move |source| TrainError::Io { path, source }
}
