//! The crate's error type.

use pop_bench_fns::BenchError;

/// Everything that can go wrong when configuring or running an optimizer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OptimError {
    /// A hyperparameter outside its valid range.
    #[error("invalid configuration of `{method}`: `{field}` = {value}: {reason}")]
    InvalidConfig {
        /// The method's name.
        method: String,
        /// The offending field.
        field: &'static str,
        /// Its value, printed.
        value: String,
        /// What is allowed.
        reason: String,
    },
    /// A method name that no catalogue entry has.
    #[error("unknown method `{name}`; valid methods are: {valid}")]
    UnknownMethod {
        /// The name asked for.
        name: String,
        /// The valid names, comma-separated.
        valid: String,
    },
    /// The start point, the objective and the bounds disagree on the dimension.
    #[error("dimension mismatch: {what} has length {got}, the objective has dimension {expected}")]
    DimensionMismatch {
        /// What had the wrong length.
        what: &'static str,
        /// The objective's dimension.
        expected: usize,
        /// The length found.
        got: usize,
    },
    /// A budget the harness cannot run.
    #[error("invalid budget {budget}: {reason}")]
    InvalidBudget {
        /// The budget asked for.
        budget: usize,
        /// Why it is invalid.
        reason: String,
    },
    /// The optimizer broke its own contract (asked before being told, etc.).
    #[error("optimizer `{method}` failed: {reason}")]
    Internal {
        /// The method's name.
        method: String,
        /// What happened.
        reason: String,
    },
    /// A [`Session`](crate::session::Session) driven out of order: `tell` without `ask`, a
    /// point other than the one asked, an `ask` past the budget, a gradient method told no
    /// gradient.
    #[error("ask/tell of `{method}`: {reason}")]
    AskTell {
        /// The method's name.
        method: String,
        /// What was wrong.
        reason: String,
    },
    /// An error from the objective vocabulary.
    #[error(transparent)]
    Bench(#[from] BenchError),
}
