//! The crate's error type.

/// Everything that can go wrong when configuring, sampling or fitting.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PriorError {
    /// A [`crate::PriorConfig`] field (or another parameter) outside its valid range.
    #[error("invalid value for `{field}`: {value}; valid: {valid}")]
    InvalidConfig {
        /// The field's name, as written in the config file (e.g. `"length_scale_min"`).
        field: &'static str,
        /// The offending value, formatted.
        value: String,
        /// The valid range or rule, in words.
        valid: String,
    },
    /// A dimension the prior does not support (it needs `d ≥ 1`).
    #[error("invalid dimension {dim}: {requirement}")]
    InvalidDimension {
        /// The dimension that was asked for.
        dim: usize,
        /// What is accepted, in words.
        requirement: String,
    },
    /// An array whose length or shape does not match.
    #[error("dimension mismatch in {what}: expected {expected}, got {got}")]
    DimensionMismatch {
        /// Which argument had the wrong shape.
        what: &'static str,
        /// The expected length.
        expected: usize,
        /// The length that was passed.
        got: usize,
    },
    /// Input data that cannot be used (non-finite entries, no rows, ...).
    #[error("invalid data: {reason}")]
    InvalidData {
        /// What is wrong with it.
        reason: String,
    },
    /// The Cholesky factorisation of a kernel matrix failed for every jitter that was tried.
    #[error(
        "Cholesky factorisation of a {n}×{n} kernel matrix failed after {attempts} attempts \
         (last jitter {last_jitter:e}, maximum allowed {max_jitter:e}): {reason}"
    )]
    CholeskyFailed {
        /// The matrix size.
        n: usize,
        /// How many jitter values were tried.
        attempts: usize,
        /// The last jitter added to the diagonal (absolute, in the kernel's units).
        last_jitter: f64,
        /// The largest jitter the policy allowed (absolute).
        max_jitter: f64,
        /// The last failure, as LAPACK reported it.
        reason: String,
    },
    /// Another linear-algebra failure (a QR or triangular solve), as `ndarray-linalg` reported it.
    #[error("linear algebra failure in {operation}: {reason}")]
    Linalg {
        /// What was being computed.
        operation: &'static str,
        /// The library's message.
        reason: String,
    },
}

impl PriorError {
    pub(crate) fn linalg(operation: &'static str, err: impl std::fmt::Display) -> Self {
        Self::Linalg {
            operation,
            reason: err.to_string(),
        }
    }
}
