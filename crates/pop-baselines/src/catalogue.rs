//! The catalogue of baseline methods: one serde enum over every typed config, so that an evaluation
//! config can list methods by name, with their hyperparameters, and get clear errors.
//!
//! ```json
//! {"method": "adam", "lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}
//! ```

use serde::{Deserialize, Serialize};

use crate::bo::BoConfig;
use crate::first_order::{AdamConfig, GdConfig, LbfgsConfig, MomentumConfig, RmsPropConfig};
use crate::gradient_free::{CmaEsConfig, DeConfig, GaConfig, RandomSearchConfig};
use crate::tpe::TpeConfig;
use pop_optim::{Evaluation, Method, OptimError, Optimizer, RunContext};

/// Any baseline method with its hyperparameters. Serialised with a `"method"` tag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "kebab-case")]
pub enum MethodConfig {
    /// Gradient descent.
    Gd(GdConfig),
    /// SGD with momentum (Nesterov with `nesterov: true`).
    Momentum(MomentumConfig),
    /// Adam.
    Adam(AdamConfig),
    /// RMSProp.
    Rmsprop(RmsPropConfig),
    /// L-BFGS with box handling.
    Lbfgs(LbfgsConfig),
    /// Uniform random search.
    RandomSearch(RandomSearchConfig),
    /// Real-coded genetic algorithm.
    Ga(GaConfig),
    /// Differential evolution.
    De(DeConfig),
    /// CMA-ES.
    Cmaes(CmaEsConfig),
    /// GP Bayesian optimisation with expected improvement.
    BoGpEi(BoConfig),
    /// Tree-structured Parzen estimator.
    Tpe(TpeConfig),
}

/// The kinds, as written in the `"method"` tag.
pub const KINDS: &[&str] = &[
    "gd",
    "momentum",
    "nesterov",
    "adam",
    "rmsprop",
    "lbfgs",
    "random-search",
    "ga",
    "de",
    "cmaes",
    "bo-gp-ei",
    "tpe",
];

/// A `MethodConfig` is itself a [`Method`]: the typed registry an evaluation resolves names with
/// needs no wrapper.
impl Method for MethodConfig {
    fn name(&self) -> String {
        self.method().name()
    }

    fn uses_gradient(&self) -> bool {
        self.method().uses_gradient()
    }

    fn start(
        &self,
        ctx: &RunContext,
        first: &Evaluation<'_>,
    ) -> Result<Box<dyn Optimizer>, OptimError> {
        self.method().start(ctx, first)
    }
}

impl MethodConfig {
    /// The configured method.
    pub fn method(&self) -> &dyn Method {
        match self {
            MethodConfig::Gd(c) => c,
            MethodConfig::Momentum(c) => c,
            MethodConfig::Adam(c) => c,
            MethodConfig::Rmsprop(c) => c,
            MethodConfig::Lbfgs(c) => c,
            MethodConfig::RandomSearch(c) => c,
            MethodConfig::Ga(c) => c,
            MethodConfig::De(c) => c,
            MethodConfig::Cmaes(c) => c,
            MethodConfig::BoGpEi(c) => c,
            MethodConfig::Tpe(c) => c,
        }
    }

    /// Checks every hyperparameter.
    pub fn validate(&self) -> Result<(), OptimError> {
        match self {
            MethodConfig::Gd(c) => c.validate(),
            MethodConfig::Momentum(c) => c.validate(),
            MethodConfig::Adam(c) => c.validate(),
            MethodConfig::Rmsprop(c) => c.validate(),
            MethodConfig::Lbfgs(c) => c.validate(),
            MethodConfig::RandomSearch(c) => c.validate(),
            MethodConfig::Ga(c) => c.validate(),
            MethodConfig::De(c) => c.validate(),
            MethodConfig::Cmaes(c) => c.validate(),
            MethodConfig::BoGpEi(c) => c.validate(),
            MethodConfig::Tpe(c) => c.validate(),
        }
    }

    /// Whether it has a learning rate that the tuning protocol tunes.
    pub fn learning_rate(&self) -> Option<f64> {
        match self {
            MethodConfig::Gd(c) => Some(c.lr),
            MethodConfig::Momentum(c) => Some(c.lr),
            MethodConfig::Adam(c) => Some(c.lr),
            MethodConfig::Rmsprop(c) => Some(c.lr),
            _ => None,
        }
    }

    /// The same method with learning rate `lr` (unchanged for methods without one).
    pub fn with_learning_rate(&self, lr: f64) -> Self {
        let mut out = self.clone();
        match &mut out {
            MethodConfig::Gd(c) => c.lr = lr,
            MethodConfig::Momentum(c) => c.lr = lr,
            MethodConfig::Adam(c) => c.lr = lr,
            MethodConfig::Rmsprop(c) => c.lr = lr,
            _ => {}
        }
        out
    }

    /// The method kind with its library defaults; `nesterov` is momentum with `nesterov: true`.
    pub fn default_of(kind: &str) -> Result<Self, OptimError> {
        Ok(
            match kind.trim().to_ascii_lowercase().replace('_', "-").as_str() {
                "gd" => MethodConfig::Gd(GdConfig::default()),
                "momentum" => MethodConfig::Momentum(MomentumConfig::default()),
                "nesterov" => MethodConfig::Momentum(MomentumConfig {
                    nesterov: true,
                    ..MomentumConfig::default()
                }),
                "adam" => MethodConfig::Adam(AdamConfig::default()),
                "rmsprop" => MethodConfig::Rmsprop(RmsPropConfig::default()),
                "lbfgs" => MethodConfig::Lbfgs(LbfgsConfig::default()),
                "random-search" => MethodConfig::RandomSearch(RandomSearchConfig::default()),
                "ga" => MethodConfig::Ga(GaConfig::default()),
                "de" => MethodConfig::De(DeConfig::default()),
                "cmaes" => MethodConfig::Cmaes(CmaEsConfig::default()),
                "bo-gp-ei" => MethodConfig::BoGpEi(BoConfig::default()),
                "tpe" => MethodConfig::Tpe(TpeConfig::default()),
                _ => {
                    return Err(OptimError::UnknownMethod {
                        name: kind.to_string(),
                        valid: KINDS.join(", "),
                    });
                }
            },
        )
    }

    /// Every method kind at its library defaults, in [`KINDS`] order.
    pub fn all_defaults() -> Vec<Self> {
        KINDS
            .iter()
            .filter_map(|k| Self::default_of(k).ok())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_default_that_validates_and_round_trips() {
        let all = MethodConfig::all_defaults();
        assert_eq!(all.len(), KINDS.len());
        let mut names: Vec<String> = all.iter().map(|m| m.method().name()).collect();
        for m in &all {
            m.validate().expect("defaults are valid");
            let json = serde_json::to_string(m).expect("serialise");
            let back: MethodConfig = serde_json::from_str(&json).expect("deserialise");
            assert_eq!(&back, m, "{json}");
        }
        names.sort();
        names.dedup();
        assert_eq!(names.len(), KINDS.len(), "method names must be unique");
    }

    #[test]
    fn unknown_kinds_and_fields_are_clear_errors() {
        let err = MethodConfig::default_of("adamw").expect_err("unknown");
        assert!(err.to_string().contains("adam, rmsprop"), "{err}");
        let bad = serde_json::from_str::<MethodConfig>(r#"{"method":"adam","learning_rate":0.1}"#);
        assert!(bad.is_err());
        let bad = serde_json::from_str::<MethodConfig>(r#"{"method":"sgd"}"#);
        assert!(bad.is_err());
    }
}
