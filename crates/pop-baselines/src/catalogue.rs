//! The catalogue of baseline methods: one serde enum over every typed config, so that an evaluation
//! config can list methods by name, with their hyperparameters, and get clear errors.
//!
//! ```json
//! {"method": "adam", "lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}
//! {"method": "restarts", "inner": {"method": "adam", "lr": 0.1}, "patience": 30}
//! ```
//!
//! [`MethodConfig::default_of`] takes a kind of [`KINDS`], or any of them followed by
//! [`RESTARTS_SUFFIX`] (`"adam+restarts"`, `"lbfgs+restarts"`): the kind at its defaults inside
//! [`Restarts`] with the default patience (L-BFGS with its own restart off, so that the wrapper's
//! rule decides).

use serde::{Deserialize, Serialize};

use crate::bo::BoConfig;
use crate::first_order::{AdamConfig, GdConfig, LbfgsConfig, MomentumConfig, RmsPropConfig};
use crate::gradient_free::{CmaEsConfig, DeConfig, GaConfig, RandomSearchConfig};
use crate::restarts::Restarts;
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
    /// Any of these, restarted from a fresh uniform point when it stalls.
    Restarts(Restarts<Box<MethodConfig>>),
}

/// The suffix of a kind that [`MethodConfig::default_of`] wraps in [`Restarts`].
pub const RESTARTS_SUFFIX: &str = "+restarts";

/// The kinds [`MethodConfig::default_of`] knows, as written in the `"method"` tag (`nesterov` is
/// `momentum` with `nesterov: true`, `tpe-univariate` is `tpe` with `multivariate: false`); each
/// may also be followed by [`RESTARTS_SUFFIX`].
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
    "tpe-univariate",
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

/// A boxed config is the config (what [`Restarts`] holds inside [`MethodConfig::Restarts`]).
impl Method for Box<MethodConfig> {
    fn name(&self) -> String {
        self.as_ref().name()
    }

    fn uses_gradient(&self) -> bool {
        self.as_ref().uses_gradient()
    }

    fn start(
        &self,
        ctx: &RunContext,
        first: &Evaluation<'_>,
    ) -> Result<Box<dyn Optimizer>, OptimError> {
        self.as_ref().start(ctx, first)
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
            MethodConfig::Restarts(c) => c,
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
            MethodConfig::Restarts(c) => {
                c.validate()?;
                c.inner.validate()
            }
        }
    }

    /// Whether it has a learning rate that the tuning protocol tunes.
    pub fn learning_rate(&self) -> Option<f64> {
        match self {
            MethodConfig::Gd(c) => Some(c.lr),
            MethodConfig::Momentum(c) => Some(c.lr),
            MethodConfig::Adam(c) => Some(c.lr),
            MethodConfig::Rmsprop(c) => Some(c.lr),
            MethodConfig::Restarts(c) => c.inner.learning_rate(),
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
            MethodConfig::Restarts(c) => *c.inner = c.inner.with_learning_rate(lr),
            _ => {}
        }
        out
    }

    /// The method kind with its library defaults; `nesterov` is momentum with `nesterov: true`,
    /// `tpe-univariate` TPE with `multivariate: false`, and `KIND+restarts` is `KIND` in
    /// [`Restarts`] at the default patience (for `lbfgs`, with its own `restart` off).
    pub fn default_of(kind: &str) -> Result<Self, OptimError> {
        let key = kind.trim().to_ascii_lowercase().replace('_', "-");
        if let Some(base) = key.strip_suffix(RESTARTS_SUFFIX) {
            let inner = match Self::default_of(base)? {
                MethodConfig::Lbfgs(c) => MethodConfig::Lbfgs(LbfgsConfig {
                    restart: false,
                    ..c
                }),
                MethodConfig::Restarts(_) => {
                    return Err(OptimError::UnknownMethod {
                        name: kind.to_string(),
                        valid: Self::valid_kinds(),
                    });
                }
                other => other,
            };
            return Ok(MethodConfig::Restarts(Restarts::new(Box::new(inner))));
        }
        Ok(match key.as_str() {
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
            "tpe-univariate" => MethodConfig::Tpe(TpeConfig {
                multivariate: false,
                ..TpeConfig::default()
            }),
            _ => {
                return Err(OptimError::UnknownMethod {
                    name: kind.to_string(),
                    valid: Self::valid_kinds(),
                });
            }
        })
    }

    /// The valid kinds for an error message.
    fn valid_kinds() -> String {
        format!(
            "{}; each optionally followed by `{RESTARTS_SUFFIX}`",
            KINDS.join(", ")
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
