//! The methods of an evaluation (pop-method §6), as one typed registry: [`REGISTRY`] lists every
//! method key with where the method comes from and whether shorter budgets may be cut from one
//! long run. **Adding a method to the evaluation is one line here** (a new baseline also needs
//! its config in `pop_baselines::catalogue`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use pop_baselines::catalogue::MethodConfig;
use pop_baselines::restarts::Restarts;
use pop_optim::Method;
use pop_optim::learned::velo::VeloStyle;
use pop_optim::pop::PopMethod;

use super::error::ReproduceError;

/// Where a method comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// POP's trained policy, loaded from the config's `pop_policy`.
    Pop,
    /// The paper-faithful variant of POP (trained by the `paper-quick` pop-train preset), loaded
    /// from the config's `pop_paper_policy` as [`Source::Pop`] is and renamed `pop-paper`.
    PopPaper,
    /// The learned competitor, loaded from the config's `velo_policy`.
    Velo,
    /// A catalogue baseline (`pop_baselines::catalogue` kind) at its library default.
    Default(&'static str),
    /// A catalogue baseline at the learning rate of `data/tuned-hyperparameters.json` (tuned on
    /// validation prior functions, never on test suites).
    Tuned(&'static str),
    /// The tuned baseline of [`Source::Tuned`] inside [`pop_baselines::restarts::Restarts`] with
    /// the default patience (`MethodConfig::Restarts`): restarted from a fresh uniform point
    /// whenever it converges or stalls.
    TunedRestarts(&'static str),
}

/// Whether a run of `T` calls is the first `T` calls of a longer run with the same seed
/// ("anytime"): then one run at the largest budget gives every smaller budget.
///
/// A method is anytime when its first `t` calls do not depend on the budget `T`. The restart
/// wrapper (`pop_baselines::restarts::Restarts`) decides on convergence and stalls only; it
/// hands each inner run the budget that remains, which Adam and L-BFGS (with its own restart
/// off) never read, so `lbfgs+restarts` and `adam-tuned+restarts` are [`Anytime::Always`]. TPE
/// reads the budget only to reserve memory, so both TPE variants are too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anytime {
    /// The method ignores the budget (checked for every such method by a test).
    Always,
    /// The method reads the progress `t/T` (the learned optimizers): one run per budget.
    Never,
    /// GP-EI BO: its initial design is `min(2d + 1, ⌈T/2⌉)` points, budget-independent when
    /// `2d + 1 ≤ ⌈T_min/2⌉`.
    WhenDesignFits,
}

/// One entry of the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MethodSpec {
    /// The key (a column of every table, a name in configs and on the command line).
    pub key: &'static str,
    /// Where the method comes from.
    pub source: Source,
    /// Whether shorter budgets may be cut from the longest run.
    pub anytime: Anytime,
}

const fn spec(key: &'static str, source: Source, anytime: Anytime) -> MethodSpec {
    MethodSpec {
        key,
        source,
        anytime,
    }
}

use Anytime::{Always, Never, WhenDesignFits};
use Source::{Default, Pop, PopPaper, Tuned, TunedRestarts, Velo};

/// Every method an evaluation may list, in table order.
pub const REGISTRY: &[MethodSpec] = &[
    spec("pop", Pop, Never),
    spec("pop-paper", PopPaper, Never),
    spec("velo-style-es", Velo, Never),
    spec("gd", Default("gd"), Always),
    spec("gd-tuned", Tuned("gd"), Always),
    spec("momentum", Default("momentum"), Always),
    spec("momentum-tuned", Tuned("momentum"), Always),
    spec("nesterov", Default("nesterov"), Always),
    spec("nesterov-tuned", Tuned("nesterov"), Always),
    spec("adam", Default("adam"), Always),
    spec("adam-tuned", Tuned("adam"), Always),
    spec("adam-tuned+restarts", TunedRestarts("adam"), Always),
    spec("rmsprop", Default("rmsprop"), Always),
    spec("rmsprop-tuned", Tuned("rmsprop"), Always),
    spec("lbfgs", Default("lbfgs"), Always),
    spec("lbfgs+restarts", Default("lbfgs+restarts"), Always),
    spec("random-search", Default("random-search"), Always),
    spec("ga", Default("ga"), Always),
    spec("de", Default("de"), Always),
    spec("cmaes", Default("cmaes"), Always),
    spec("bo-gp-ei", Default("bo-gp-ei"), WhenDesignFits),
    spec("tpe", Default("tpe"), Always),
    spec("tpe-univariate", Default("tpe-univariate"), Always),
];

/// Every method key, in table order.
pub fn keys() -> impl Iterator<Item = &'static str> {
    REGISTRY.iter().map(|m| m.key)
}

/// The valid keys, comma-separated (for error messages).
pub fn valid_keys() -> String {
    keys().collect::<Vec<_>>().join(", ")
}

/// The registry entry of `key`, or an error listing the valid keys.
pub fn find(key: &str) -> Result<&'static MethodSpec, ReproduceError> {
    REGISTRY
        .iter()
        .find(|m| m.key == key)
        .ok_or_else(|| ReproduceError::InvalidConfig {
            field: "methods",
            value: key.to_string(),
            reason: format!("unknown method; valid: {}", valid_keys()),
        })
}

/// Where the learned methods' policies are (the config's `pop_policy`, `pop_paper_policy` and
/// `velo_policy`; see [`crate::ReproduceConfig::policy_paths`]). A relative path is read as
/// [`resolve_path`] says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyPaths<'a> {
    /// POP's run folder ([`Source::Pop`]).
    pub pop: &'a Path,
    /// The paper-faithful POP's run folder ([`Source::PopPaper`]).
    pub pop_paper: &'a Path,
    /// The learned competitor's run folder or weights file ([`Source::Velo`]).
    pub velo: &'a Path,
    /// `Some(k)`: `pop` runs inside [`Restarts`] with patience `k` (the config's
    /// `pop_restarts`); `None`: the plain policy.
    pub pop_restarts: Option<usize>,
    /// With `pop_restarts`: restart only up to this dimension (the config's
    /// `pop_restarts_max_dim`; `None`: every dimension).
    pub pop_restarts_max_dim: Option<usize>,
}

impl PolicyPaths<'static> {
    /// The policies shipped in the `data/` folder of the workspace this crate was built from
    /// (absolute paths, whatever the current directory): `data/pop-quick`,
    /// `data/pop-paper-quick` and `data/velo-quick`. For tests and examples; a config's relative
    /// paths are read from the current directory ([`resolve_path`]).
    pub fn shipped() -> Self {
        Self {
            pop: Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/pop-quick")),
            pop_paper: Path::new(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../data/pop-paper-quick"
            )),
            velo: Path::new(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../data/velo-quick"
            )),
            pop_restarts: None,
            pop_restarts_max_dim: None,
        }
    }
}

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

impl MethodSpec {
    /// Whether this method's shorter budgets may be cut from its run at the largest budget, on
    /// a suite whose largest dimension is `max_dim`, with `min_budget` the smallest budget.
    pub fn is_anytime(&self, max_dim: usize, min_budget: usize) -> bool {
        match self.anytime {
            Always => true,
            Never => false,
            WhenDesignFits => 2 * max_dim < min_budget.div_ceil(2),
        }
    }

    /// The policy this method loads (`None` for the baselines).
    pub fn policy_path<'a>(&self, policies: &PolicyPaths<'a>) -> Option<&'a Path> {
        match self.source {
            Pop => Some(policies.pop),
            PopPaper => Some(policies.pop_paper),
            Velo => Some(policies.velo),
            Default(_) | Tuned(_) | TunedRestarts(_) => None,
        }
    }

    /// Builds the method, loading a learned one from its path in `policies`.
    pub fn build(&self, policies: &PolicyPaths<'_>) -> Result<EvalMethod, ReproduceError> {
        let policy_err = |path: &Path| {
            let path = path.to_path_buf();
            let key = self.key;
            move |e: String| ReproduceError::Policy {
                method: key.into(),
                path,
                reason: e,
            }
        };
        if let Some(p) = self.policy_path(policies)
            && !resolve_path(p).exists()
        {
            let cwd = std::env::current_dir()
                .map_or_else(|e| format!("unknown: {e}"), |d| d.display().to_string());
            let (flag, field) = match self.source {
                PopPaper => ("--pop-paper-policy", "pop_paper_policy"),
                Velo => ("--velo-policy", "velo_policy"),
                _ => ("--pop-policy", "pop_policy"),
            };
            return Err(ReproduceError::Policy {
                method: self.key.into(),
                path: p.to_path_buf(),
                reason: format!(
                    "no such file or folder (a relative path is read from the current directory, \
                     {cwd}); give the policy with {flag} or the config's `{field}` field"
                ),
            });
        }
        let method: Arc<dyn Method> = match self.source {
            Pop => {
                let path = resolve_path(policies.pop);
                let pop = PopMethod::load(&path).map_err(|e| policy_err(&path)(e.to_string()))?;
                match policies.pop_restarts {
                    Some(k) => {
                        let r = Restarts {
                            patience: Some(k),
                            max_dim: policies.pop_restarts_max_dim,
                            ..Restarts::new(pop)
                        };
                        r.validate()?;
                        Arc::new(r)
                    }
                    None => Arc::new(pop),
                }
            }
            PopPaper => {
                let path = resolve_path(policies.pop_paper);
                Arc::new(
                    PopMethod::load(&path)
                        .map_err(|e| policy_err(&path)(e.to_string()))?
                        .renamed("pop-paper"),
                )
            }
            Velo => {
                let path = resolve_path(policies.velo);
                Arc::new(VeloStyle::load(&path).map_err(|e| policy_err(&path)(e.to_string()))?)
            }
            Default(kind) => {
                let mc = MethodConfig::default_of(kind)?;
                mc.validate()?;
                Arc::new(mc)
            }
            Tuned(kind) => {
                let mc = tuned(kind, self.key)?;
                mc.validate()?;
                Arc::new(mc)
            }
            TunedRestarts(kind) => {
                let mc = MethodConfig::Restarts(Restarts::new(Box::new(tuned(kind, self.key)?)));
                mc.validate()?;
                Arc::new(mc)
            }
        };
        Ok(EvalMethod {
            key: self.key.to_string(),
            name: method.name(),
            method,
        })
    }
}

/// Whether `key` is anytime on a suite of largest dimension `max_dim` (see [`Anytime`]).
pub fn is_anytime(key: &str, max_dim: usize, min_budget: usize) -> Result<bool, ReproduceError> {
    Ok(find(key)?.is_anytime(max_dim, min_budget))
}

/// Builds the method `key` (see [`MethodSpec::build`]).
pub fn resolve(key: &str, policies: &PolicyPaths<'_>) -> Result<EvalMethod, ReproduceError> {
    find(key)?.build(policies)
}

/// The path a policy is read from: a relative path is read from the current directory (and
/// only from there: a missing one is an error naming it, never looked up elsewhere), made
/// absolute so that errors name it in full.
pub fn resolve_path(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

pub(crate) fn tuned(kind: &str, key: &str) -> Result<MethodConfig, ReproduceError> {
    let default = MethodConfig::default_of(kind)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn build(key: &str) -> EvalMethod {
        resolve(key, &PolicyPaths::shipped()).expect(key)
    }

    #[test]
    fn keys_are_unique_and_every_baseline_builds() {
        let mut keys: Vec<&str> = keys().collect();
        keys.sort_unstable();
        let n = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), n, "duplicate keys");
        for spec in REGISTRY {
            if matches!(spec.source, Default(_) | Tuned(_) | TunedRestarts(_)) {
                let m = build(spec.key);
                assert_eq!(m.key, spec.key);
            }
        }
    }

    /// `pop_restarts` wraps `pop` (and only `pop`) in the restart rule, named as such.
    #[test]
    fn pop_restarts_wrap_pop_only() {
        let plain = resolve("pop", &PolicyPaths::shipped()).expect("pop");
        assert!(!plain.name.contains("restarts"), "{}", plain.name);
        let policies = PolicyPaths {
            pop_paper: PolicyPaths::shipped().pop,
            pop_restarts: Some(12),
            ..PolicyPaths::shipped()
        };
        let wrapped = resolve("pop", &policies).expect("pop");
        assert!(wrapped.name.ends_with("+restarts_k12"), "{}", wrapped.name);
        let capped = PolicyPaths {
            pop_restarts_max_dim: Some(5),
            ..policies
        };
        let wrapped = resolve("pop", &capped).expect("pop");
        assert!(
            wrapped.name.ends_with("+restarts_k12_d5"),
            "{}",
            wrapped.name
        );
        let paper = resolve("pop-paper", &policies).expect("pop-paper");
        assert!(!paper.name.contains("restarts"), "{}", paper.name);
    }

    #[test]
    fn pop_paper_loads_its_own_path_under_its_own_name() {
        let keys: Vec<&str> = keys().collect();
        let at = keys.iter().position(|k| *k == "pop").expect("pop");
        assert_eq!(keys.get(at + 1), Some(&"pop-paper"));
        let spec = find("pop-paper").expect("registered");
        assert_eq!((spec.source, spec.anytime), (PopPaper, Never));
        assert!(!is_anytime("pop-paper", 2, 50).expect("registered"));

        // Any POP run folder loads as `pop-paper` (the shipped `pop` one stands in here); the
        // `pop` path is not read.
        let policies = PolicyPaths {
            pop: Path::new("no/such/pop"),
            pop_paper: PolicyPaths::shipped().pop,
            velo: Path::new("no/such/velo"),
            pop_restarts: Some(3),
            pop_restarts_max_dim: None,
        };
        assert_eq!(spec.policy_path(&policies), Some(policies.pop_paper));
        assert_eq!(find("adam").expect("adam").policy_path(&policies), None);
        let m = resolve("pop-paper", &policies).expect("pop-paper");
        assert_eq!(
            (m.key.as_str(), m.name.as_str()),
            ("pop-paper", "pop-paper")
        );
        assert!(resolve("pop", &policies).is_err());

        // A missing folder names the method and the path.
        let policies = PolicyPaths {
            pop_paper: Path::new("no/such/paper-run"),
            ..PolicyPaths::shipped()
        };
        let e = resolve("pop-paper", &policies)
            .expect_err("missing policy")
            .to_string();
        assert!(
            e.contains("pop-paper") && e.contains("no/such/paper-run"),
            "{e}"
        );
    }

    #[test]
    fn restart_and_univariate_tpe_keys() {
        let lbfgs = build("lbfgs+restarts");
        assert_eq!(
            lbfgs.name,
            MethodConfig::default_of("lbfgs+restarts")
                .expect("catalogue")
                .name()
        );
        assert!(lbfgs.name.ends_with("+restarts"), "{}", lbfgs.name);

        // The tuned Adam (its learning rate from the tuning file) inside the wrapper.
        let tuned = build("adam-tuned");
        let wrapped = build("adam-tuned+restarts");
        assert_eq!(wrapped.name, format!("{}+restarts", tuned.name));
        assert_ne!(wrapped.name, build("adam").name + "+restarts");

        let tpe = build("tpe-univariate");
        assert_eq!(
            tpe.name,
            MethodConfig::default_of("tpe-univariate")
                .expect("catalogue")
                .name()
        );
        assert_ne!(tpe.name, build("tpe").name);

        for key in ["lbfgs+restarts", "adam-tuned+restarts", "tpe-univariate"] {
            assert_eq!(find(key).expect(key).anytime, Always, "{key}");
            assert!(is_anytime(key, 32, 50).expect(key));
            assert!(valid_keys().contains(key));
        }
        let e = find("adam+restart").expect_err("typo").to_string();
        assert!(
            e.contains("adam+restart")
                && e.contains("adam-tuned+restarts")
                && e.contains("tpe-univariate"),
            "{e}"
        );
    }
}
