//! The error type of the reproduction.

use std::path::PathBuf;

/// Everything that can go wrong while configuring, running or reporting a reproduction.
#[derive(Debug, thiserror::Error)]
pub enum ReproduceError {
    /// A field of the [`ReproduceConfig`](super::ReproduceConfig) is invalid.
    #[error("invalid reproduction config: `{field}` = {value}: {reason}")]
    InvalidConfig {
        /// The field.
        field: &'static str,
        /// Its value, as text.
        value: String,
        /// What is required (the valid choices where there are few).
        reason: String,
    },
    /// A config file or preset could not be parsed.
    #[error("cannot parse reproduction config {source_name}: {reason}")]
    ConfigParse {
        /// Preset name or path.
        source_name: String,
        /// The parser's message.
        reason: String,
    },
    /// A config file that sets no field (empty, only comments, or `{}`): never read as the
    /// defaults.
    #[error(
        "the config file {source_name} is empty / sets no field; a config file sets every field \
         (see crates/pop-eval/presets/reproduce-quick.toml); use a preset name such as `quick` \
         ({presets}) for the defaults"
    )]
    EmptyConfig {
        /// The path (or preset name).
        source_name: String,
        /// The preset names.
        presets: String,
    },
    /// A shipped policy could not be loaded.
    #[error("cannot load the {method} policy from {path}: {reason}")]
    Policy {
        /// Method key (`pop`, `pop-paper`, `velo-style-es`).
        method: String,
        /// The file or folder.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The results folder belongs to another configuration.
    #[error(
        "{path} holds results of another configuration ({reason}); nothing was overwritten: \
         choose another --out, or delete the folder to start over"
    )]
    ForeignResults {
        /// The results folder.
        path: PathBuf,
        /// What differs.
        reason: String,
    },
    /// Another live process owns the results folder (its `lock` file holds that process id).
    #[error(
        "{path} is in use by process {pid} (its `lock` file holds that process id): another \
         pop-reproduce run writes into it; wait for it to finish or stop it, or choose another \
         --out"
    )]
    FolderInUse {
        /// The results folder.
        path: PathBuf,
        /// The owner's process id.
        pid: u32,
    },
    /// A stage's records were not computed from this configuration's inputs (see
    /// [`crate::stage`]).
    #[error(
        "{path}: {reason}; nothing was read or overwritten: run the evaluation into a fresh \
         --out (or delete this records file and its .inputs.json to compute the stage again)"
    )]
    StageInputs {
        /// The records file.
        path: PathBuf,
        /// What differs.
        reason: String,
    },
    /// A records file is unreadable.
    #[error("bad records file {path}: {reason}")]
    Records {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A results folder holds records of another format.
    #[error(
        "{path} holds records of format {found}, this pop-reproduce reads format {expected} \
         (compact gzip records, `records/<suite>/<method>.jsonl.gz`); nothing was read or \
         overwritten: run the evaluation again into a new --out (or delete the folder), or \
         convert a format-1 folder with `pop-reproduce migrate --from {path} --out NEW`"
    )]
    RecordsFormat {
        /// The results folder.
        path: PathBuf,
        /// Its format.
        found: u32,
        /// The format this version reads.
        expected: u32,
    },
    /// The run was asked to stop; the completed part of the stage is saved.
    #[error(
        "stopped during {suite}/{method} with {done} of {total} runs saved; running the same \
         command again resumes there"
    )]
    Interrupted {
        /// Suite of the stage.
        suite: String,
        /// Method of the stage.
        method: String,
        /// Jobs saved.
        done: usize,
        /// Jobs of the stage.
        total: usize,
    },
    /// The prior failed.
    #[error(transparent)]
    Prior(#[from] pop_prior::PriorError),
    /// A benchmark function could not be built.
    #[error(transparent)]
    Bench(#[from] pop_bench_fns::BenchError),
    /// A method or the harness failed.
    #[error(transparent)]
    Optim(#[from] pop_optim::OptimError),
    /// A file-system operation failed.
    #[error("I/O error at {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A plot could not be drawn.
    #[error("cannot draw {path}: {reason}")]
    Plot {
        /// The image file.
        path: PathBuf,
        /// The backend's message.
        reason: String,
    },
}

pub(crate) fn io_err(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> ReproduceError {
    let path = path.into();
    move |source| ReproduceError::Io { path, source }
}

/// Writes `bytes` to `path` atomically (`pop_optim::fsutil`), creating its folder first.
pub(crate) fn write_atomic(path: &std::path::Path, bytes: &[u8]) -> Result<(), ReproduceError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    }
    pop_optim::fsutil::write_atomic(path, bytes).map_err(|(p, e)| io_err(p)(e))
}
