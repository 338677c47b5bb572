//! The crate's error type.

/// Everything that can go wrong when building or calling an objective.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BenchError {
    /// A function name that is not in the registry.
    #[error("unknown function `{name}`; valid names are: {valid}")]
    UnknownFunction {
        /// The name that was asked for.
        name: String,
        /// The valid names, comma-separated.
        valid: String,
    },
    /// A dimension the function is not defined for.
    #[error("function `{function}` is not defined for dimension {dim}: {requirement}")]
    InvalidDimension {
        /// The function's registry name.
        function: String,
        /// The dimension that was asked for.
        dim: usize,
        /// What the function accepts, in words.
        requirement: String,
    },
    /// A point or gradient buffer whose length differs from the objective's dimension.
    #[error("dimension mismatch in {what}: expected length {expected}, got {got}")]
    DimensionMismatch {
        /// Which argument had the wrong length (`"x"` or `"gradient"`).
        what: &'static str,
        /// The objective's dimension.
        expected: usize,
        /// The length that was passed.
        got: usize,
    },
    /// Bounds that do not describe a non-empty finite box.
    #[error("invalid bounds: {reason}")]
    InvalidBounds {
        /// What is wrong with them.
        reason: String,
    },
}
