//! [`EsConfig`]: the hyperparameters of an ES meta-training run, with the presets `smoke`,
//! `quick` and `paper`.

use pop_optim::learned::velo::VeloConfig;
use pop_prior::PriorConfig;
use serde::{Deserialize, Serialize};

use crate::error::TrainError;

/// The `smoke` ES preset (seconds; used by tests).
pub const ES_SMOKE: &str = include_str!("../../presets/es-smoke.toml");
/// The `quick` ES preset (about the CPU time of POP's `quick`).
pub const ES_QUICK: &str = include_str!("../../presets/es-quick.toml");
/// The `paper` ES preset (many more functions and iterations).
pub const ES_PAPER: &str = include_str!("../../presets/es-paper.toml");
/// The `quick-wide` ES preset: `quick` on the wider prior (issue 14 point 5; the short
/// length-scale GP, needle and plateau of `pop_prior::extras` switched on).
pub const ES_QUICK_WIDE: &str = include_str!("../../presets/es-quick-wide.toml");
/// Names of the ES presets.
pub const ES_PRESETS: &[&str] = &["smoke", "quick", "paper", "quick-wide"];

/// How the population's losses become weights of the gradient estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fitness {
    /// The losses themselves (an unbiased estimate of the gradient of the smoothed loss).
    Raw,
    /// Centred ranks in `[−0.5, 0.5]` over all `2P` members (robust to outliers).
    CenteredRank,
}

fn d_seed() -> u64 {
    0
}
fn d_dim() -> usize {
    2
}
fn d_horizon() -> usize {
    50
}
fn d_fitness() -> Fitness {
    Fitness::CenteredRank
}
fn d_init_scale() -> f64 {
    1.0
}
fn d_beta1() -> f64 {
    0.9
}
fn d_beta2() -> f64 {
    0.999
}
fn d_val_fns() -> usize {
    128
}
fn d_every() -> usize {
    10
}

/// Hyperparameters of an ES meta-training run. Load with [`EsConfig::from_preset_or_file`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EsConfig {
    /// Master seed: initial weights, functions, starts and perturbations derive from it.
    #[serde(default = "d_seed")]
    pub seed: u64,
    /// Dimension of the training and validation functions.
    #[serde(default = "d_dim")]
    pub dim: usize,
    /// Oracle calls of an unroll (start included), also the validation budget.
    #[serde(default = "d_horizon")]
    pub horizon: usize,
    /// Training functions per iteration (shared by every population member).
    pub functions_per_iteration: usize,
    /// Antithetic pairs per iteration (population `2·pairs`).
    pub pairs: usize,
    /// Standard deviation `σ` of the perturbations.
    pub sigma: f64,
    /// Adam's learning rate on `θ`.
    pub lr: f64,
    /// Adam's `β1` on `θ`.
    #[serde(default = "d_beta1")]
    pub beta1: f64,
    /// Adam's `β2` on `θ`.
    #[serde(default = "d_beta2")]
    pub beta2: f64,
    /// Number of ES iterations.
    pub iterations: usize,
    /// Fitness shaping.
    #[serde(default = "d_fitness")]
    pub fitness: Fitness,
    /// Scale of the random initial hidden weights ([`VeloRule::initial`](pop_optim::learned::velo::VeloRule::initial)).
    #[serde(default = "d_init_scale")]
    pub init_scale: f64,
    /// Validate every this many iterations (and after the last one).
    #[serde(default = "d_every")]
    pub validate_every: usize,
    /// Number of validation functions (the first ones of the validation split).
    #[serde(default = "d_val_fns")]
    pub validation_functions: usize,
    /// Write the checkpoint every this many iterations (and after the last one).
    #[serde(default = "d_every")]
    pub checkpoint_every: usize,
    /// The binary prints a compact line every this many iterations.
    #[serde(default = "d_every")]
    pub log_every: usize,
    /// The rule's shape.
    #[serde(default)]
    pub rule: VeloConfig,
    /// The prior of training and validation functions.
    #[serde(default)]
    pub prior: PriorConfig,
}

impl EsConfig {
    /// Parses TOML text; `source_name` names it in errors. Validates.
    pub fn from_toml(text: &str, source_name: &str) -> Result<Self, TrainError> {
        let cfg: Self = crate::config::parse_config(text, source_name, false)?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// A preset by name (`smoke`, `quick`, `paper`).
    pub fn preset(name: &str) -> Result<Self, TrainError> {
        if !ES_PRESETS.contains(&name) {
            return Err(TrainError::ConfigParse {
                source_name: name.to_string(),
                reason: format!("unknown ES preset; presets are {ES_PRESETS:?}"),
            });
        }
        Self::from_preset_or_file(name)
    }

    /// A preset name, or else a path to a TOML (or JSON, by extension) file. Validates.
    pub fn from_preset_or_file(name_or_path: &str) -> Result<Self, TrainError> {
        let presets = [
            ("smoke", ES_SMOKE),
            ("quick", ES_QUICK),
            ("paper", ES_PAPER),
            ("quick-wide", ES_QUICK_WIDE),
        ];
        let cfg: Self = crate::config::load_preset_or_file(name_or_path, &presets, "ES preset")?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Checks every field; the error names the field.
    pub fn validate(&self) -> Result<(), TrainError> {
        fn bad(field: &'static str, value: impl ToString, reason: &str) -> Result<(), TrainError> {
            Err(TrainError::InvalidConfig {
                field,
                value: value.to_string(),
                reason: reason.to_string(),
            })
        }
        use crate::config::limits;
        if self.dim == 0 || self.dim > limits::MAX_DIM {
            return bad(
                "dim",
                self.dim,
                &format!("must lie in 1..={}", limits::MAX_DIM),
            );
        }
        if self.horizon < 2 {
            return bad("horizon", self.horizon, "must be at least 2 (one step)");
        }
        for (field, v, max) in [
            ("horizon", self.horizon, 100_000),
            (
                "functions_per_iteration",
                self.functions_per_iteration,
                limits::MAX_FUNCTIONS_PER_STEP,
            ),
            ("pairs", self.pairs, limits::MAX_GROUP),
            ("iterations", self.iterations, limits::MAX_STEPS),
        ] {
            if v > max {
                return bad(field, v, &format!("must be at most {max}"));
            }
        }
        for (field, v) in [
            ("functions_per_iteration", self.functions_per_iteration),
            ("pairs", self.pairs),
            ("iterations", self.iterations),
            ("validate_every", self.validate_every),
            ("checkpoint_every", self.checkpoint_every),
            ("log_every", self.log_every),
        ] {
            if v == 0 {
                return bad(field, v, "must be at least 1");
            }
        }
        for (field, v) in [
            ("sigma", self.sigma),
            ("lr", self.lr),
            ("init_scale", self.init_scale),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return bad(field, v, "must be finite and > 0");
            }
        }
        for (field, v) in [("beta1", self.beta1), ("beta2", self.beta2)] {
            if !(0.0..1.0).contains(&v) {
                return bad(field, v, "must lie in [0, 1)");
            }
        }
        if self.validation_functions == 0 || self.validation_functions > pop_prior::EVAL_SET_SIZE {
            return bad(
                "validation_functions",
                self.validation_functions,
                &format!("must lie in 1..={}", pop_prior::EVAL_SET_SIZE),
            );
        }
        if let Err(e) = self.rule.validate() {
            return bad("rule", format!("{:?}", self.rule), &e.to_string());
        }
        if let Err(e) = self.prior.validate() {
            return bad("prior", "(see reason)", &e.to_string());
        }
        Ok(())
    }
}
