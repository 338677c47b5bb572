//! The methods of an evaluation (pop-method §6), by key: POP, the learned competitor, the
//! gradient methods at library-default and tuned learning rates, the evolution strategies and
//! the Bayesian optimisers.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use pop_baselines::Method;
use pop_baselines::catalogue::MethodConfig;

use super::error::ReproduceError;
use crate::PopMethod;

/// Every method key an evaluation may list. `-tuned` variants use the learning rate of
/// `data/tuned-hyperparameters.json` (tuned on validation prior functions, never on test suites).
pub const METHOD_KEYS: &[&str] = &[
    "pop",
    "velo-style-es",
    "gd",
    "gd-tuned",
    "momentum",
    "momentum-tuned",
    "nesterov",
    "nesterov-tuned",
    "adam",
    "adam-tuned",
    "rmsprop",
    "rmsprop-tuned",
    "lbfgs",
    "random-search",
    "ga",
    "de",
    "cmaes",
    "bo-gp-ei",
    "tpe",
];

/// A method ready for the harness.
#[derive(Clone)]
pub struct EvalMethod {
    /// Its key (a column of every table).
    pub key: String,
    /// [`Method::name`]: the key with its hyperparameters.
    pub name: String,
    /// The method.
    pub method: Arc<dyn Method>,
}

impl std::fmt::Debug for EvalMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EvalMethod")
            .field("key", &self.key)
            .field("name", &self.name)
            .finish()
    }
}

/// Whether `key`'s run of `budget` calls is the first `budget` calls of a longer run with the
/// same seed ("anytime"): then one run at the largest budget gives every smaller budget.
///
/// POP and the learned competitor read the progress `t/T`, so they are run once per budget. BO's
/// default initial design is `min(2d + 1, ⌈T/2⌉)` points, budget-independent when `2d + 1 ≤
/// ⌈T_min/2⌉`. Every other baseline ignores the budget (checked by a test).
pub fn is_anytime(key: &str, max_dim: usize, min_budget: usize) -> bool {
    match key {
        "pop" | "velo-style-es" => false,
        "bo-gp-ei" => 2 * max_dim < min_budget.div_ceil(2),
        _ => true,
    }
}

/// A relative path is read from the current directory, or else from the workspace root (so that
/// tests and installed binaries find `data/`).
pub fn resolve_path(p: &Path) -> PathBuf {
    if p.is_absolute() || p.exists() {
        return p.to_path_buf();
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let alt = root.join(p);
    if alt.exists() { alt } else { p.to_path_buf() }
}

fn baseline(key: &str) -> Result<MethodConfig, ReproduceError> {
    let (kind, tuned) = match key.strip_suffix("-tuned") {
        Some(k) => (k, true),
        None => (key, false),
    };
    let default = MethodConfig::default_of(kind)?;
    if !tuned {
        return Ok(default);
    }
    let shipped = pop_baselines::tuning::shipped()?;
    shipped
        .methods
        .into_iter()
        .find(|m| m.default == default)
        .map(|m| m.tuned)
        .ok_or_else(|| ReproduceError::InvalidConfig {
            field: "methods",
            value: key.to_string(),
            reason: "data/tuned-hyperparameters.json has no tuned entry for it".into(),
        })
}

/// Builds the method `key`, loading POP from `pop_policy` and the competitor from `velo_policy`.
pub fn resolve(
    key: &str,
    pop_policy: &Path,
    velo_policy: &Path,
) -> Result<EvalMethod, ReproduceError> {
    let method: Arc<dyn Method> = match key {
        "pop" => {
            let path = resolve_path(pop_policy);
            Arc::new(PopMethod::load(&path).map_err(|e| ReproduceError::Policy {
                method: key.into(),
                path: path.clone(),
                reason: e.to_string(),
            })?)
        }
        "velo-style-es" => {
            let path = resolve_path(velo_policy);
            Arc::new(pop_baselines::velo::VeloStyle::load(&path).map_err(|e| {
                ReproduceError::Policy {
                    method: key.into(),
                    path: path.clone(),
                    reason: e.to_string(),
                }
            })?)
        }
        k if METHOD_KEYS.contains(&k) => {
            let mc = baseline(k)?;
            mc.validate()?;
            Arc::new(Configured(mc))
        }
        other => {
            return Err(ReproduceError::InvalidConfig {
                field: "methods",
                value: other.to_string(),
                reason: format!("unknown method; valid: {}", METHOD_KEYS.join(", ")),
            });
        }
    };
    Ok(EvalMethod {
        key: key.to_string(),
        name: method.name(),
        method,
    })
}

/// A catalogue config as an owned [`Method`].
struct Configured(MethodConfig);

impl Method for Configured {
    fn name(&self) -> String {
        self.0.method().name()
    }

    fn uses_gradient(&self) -> bool {
        self.0.method().uses_gradient()
    }

    fn start(
        &self,
        ctx: &pop_baselines::RunContext,
        first: &pop_baselines::Evaluation<'_>,
    ) -> Result<Box<dyn pop_baselines::Optimizer>, pop_baselines::OptimError> {
        self.0.method().start(ctx, first)
    }
}
