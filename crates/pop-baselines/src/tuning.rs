//! The tuning protocol of the learning-rate methods (pop-method §6).
//!
//! Each learning-rate method (GD, momentum, Nesterov, Adam, RMSProp) runs at its library default
//! and "tuned": the best learning rate of a log grid, chosen **once** on the 2-D *validation*
//! prior functions (never on a test suite) by mean normalised improvement at the training budget.
//! The choice is made by `cargo run --release -p pop-baselines --example tune`, which writes
//! `data/tuned-hyperparameters.json` with the whole grid and how it was chosen; this module reads
//! that file (compiled in) and turns it into configs.

use serde::{Deserialize, Serialize};

use crate::catalogue::MethodConfig;
use pop_optim::OptimError;

/// How the learning rates were chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TuningProtocol {
    /// Which prior split the functions came from (always `"validation"`).
    pub split: String,
    /// Dimension of the functions.
    pub dim: usize,
    /// Number of validation functions used (the first ones of the split).
    pub functions: usize,
    /// Start points per function.
    pub starts: usize,
    /// Oracle calls per run.
    pub budget: usize,
    /// Seed of the start points.
    pub seed: u64,
    /// The score that was maximised.
    pub score: String,
    /// The learning-rate grid.
    pub grid: Vec<f64>,
}

/// One method's tuning result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TunedMethod {
    /// The method at its library defaults.
    pub default: MethodConfig,
    /// Mean normalised improvement at each grid learning rate (same order as the grid).
    pub scores: Vec<f64>,
    /// Mean normalised improvement at the default learning rate.
    pub default_score: f64,
    /// The chosen learning rate (the grid's best).
    pub best_lr: f64,
    /// The tuned method.
    pub tuned: MethodConfig,
}

/// The content of `data/tuned-hyperparameters.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TuningResult {
    /// How it was chosen.
    pub protocol: TuningProtocol,
    /// One entry per tuned method.
    pub methods: Vec<TunedMethod>,
    /// The git commit the tuning ran at, when known.
    pub commit: Option<String>,
}

/// The shipped tuning result, compiled in from `data/tuned-hyperparameters.json`.
pub const SHIPPED_JSON: &str = include_str!("../../../data/tuned-hyperparameters.json");

/// Parses a tuning result (as written by the `tune` example).
pub fn parse(json: &str) -> Result<TuningResult, OptimError> {
    serde_json::from_str(json).map_err(|e| OptimError::InvalidConfig {
        method: "tuning".into(),
        field: "tuned-hyperparameters.json",
        value: e.to_string(),
        reason: "could not parse the tuning file; regenerate it with \
                 `cargo run --release -p pop-baselines --example tune`"
            .into(),
    })
}

/// The shipped tuning result.
pub fn shipped() -> Result<TuningResult, OptimError> {
    parse(SHIPPED_JSON)
}

/// The tuned learning-rate methods of the shipped tuning result.
pub fn tuned_methods() -> Result<Vec<MethodConfig>, OptimError> {
    Ok(shipped()?.methods.into_iter().map(|m| m.tuned).collect())
}

/// The log grid used by the protocol: `10^(k/2)` for `k = −8 ..= 1` (1e-4 … ≈3.16).
pub fn default_grid() -> Vec<f64> {
    (-8..=1).map(|k| 10f64.powf(f64::from(k) / 2.0)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_tuning_is_consistent() {
        let t = shipped().expect("shipped file parses");
        assert_eq!(t.protocol.split, "validation");
        assert_eq!(t.protocol.grid, default_grid());
        let kinds: Vec<String> = t
            .methods
            .iter()
            .map(|m| m.default.method().name())
            .collect();
        assert_eq!(t.methods.len(), 5, "{kinds:?}");
        for m in &t.methods {
            assert_eq!(m.scores.len(), t.protocol.grid.len());
            let best = m
                .scores
                .iter()
                .enumerate()
                .fold(
                    (0, f64::NEG_INFINITY),
                    |a, (i, &s)| if s > a.1 { (i, s) } else { a },
                );
            assert_eq!(m.best_lr, t.protocol.grid[best.0]);
            assert_eq!(m.tuned.learning_rate(), Some(m.best_lr));
            assert!(m.scores[best.0] >= m.default_score);
            m.tuned.validate().expect("tuned config valid");
        }
        assert_eq!(tuned_methods().expect("parse").len(), 5);
    }

    #[test]
    fn corrupt_tuning_file_is_a_clear_error() {
        let err = parse("{not json").expect_err("corrupt");
        assert!(err.to_string().contains("example tune"), "{err}");
    }
}
