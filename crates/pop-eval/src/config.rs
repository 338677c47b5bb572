//! [`ReproduceConfig`]: what a reproduction evaluates, with the presets `ci`, `quick`, `full`
//! and `paper`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::error::ReproduceError;
use super::{methods, suites};

/// The CI preset: a miniature end-to-end reproduction (seconds).
pub const CI: &str = include_str!("../presets/reproduce-ci.toml");
/// The quick preset: the shipped policies on every suite, minutes on two CPU cores.
pub const QUICK: &str = include_str!("../presets/reproduce-quick.toml");
/// The full preset: every test function of every suite (hours on a CPU).
pub const FULL: &str = include_str!("../presets/reproduce-full.toml");
/// The paper preset: as `full`, with the policies trained by the `paper` presets.
pub const PAPER: &str = include_str!("../presets/reproduce-paper.toml");
/// Preset names.
pub const PRESETS: &[&str] = &["ci", "quick", "full", "paper"];

/// Largest budget accepted (oracle calls per run): `budgets`, `scaling.step_budget` and
/// `scaling.large_budget`.
pub const MAX_BUDGET: usize = 100_000;
/// Most entries of `budgets`.
pub const MAX_BUDGETS: usize = 32;
/// Most shared start points per function (`starts`).
pub const MAX_STARTS: usize = 10_000;
/// Largest `starts ×` the largest budget: the convergence pictures keep that many values per
/// function and method in memory, and a convergence function's record that many calls.
pub const MAX_STARTS_TIMES_BUDGET: usize = 1 << 20;
/// Most runs of one stage (functions × starts × budgets of one suite and method): the runner
/// lists a stage's jobs in memory. The `full` preset has 61 440.
pub const MAX_STAGE_RUNS: usize = 1 << 22;
/// Largest dimension of the scaling's large run (`scaling.large_dim`): POP's policy keeps a
/// cache of about 128 KiB per coordinate (the presets use 1024).
pub const MAX_LARGE_DIM: usize = 16_384;
/// Most entries of `scaling.step_dims` (each at most `pop_prior::sample::MAX_DIM`).
pub const MAX_STEP_DIMS: usize = 32;

/// One test suite.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuiteConfig {
    /// `vlse47` or `prior-D` for D in 2, 8, 16, 32.
    pub name: String,
    /// Use only the first `functions` functions (prior suites: of the 1024 test functions;
    /// VLSE-47: in catalogue order). `None`: all.
    #[serde(default)]
    pub functions: Option<usize>,
    /// VLSE-47 only: evaluate just these functions (registry names).
    #[serde(default)]
    pub only: Option<Vec<String>>,
}

/// The scaling measurements: POP's step cost and one large run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScalingConfig {
    /// Dimensions at which the per-step cost of the learned methods and Adam is measured.
    pub step_dims: Vec<usize>,
    /// Oracle calls of each step-cost run.
    pub step_budget: usize,
    /// A scalable VLSE function for the large run.
    pub large_function: String,
    /// Its dimension.
    pub large_dim: usize,
    /// Oracle calls of the large run.
    pub large_budget: usize,
    /// Methods of the large run.
    pub large_methods: Vec<String>,
}

/// Everything a reproduction does. Two runs with equal configs (and equal policy files) write
/// byte-identical records, wall-clock fields aside.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReproduceConfig {
    /// A short name (the default results folder is `results/<name>`).
    pub name: String,
    /// Master seed: every start point and method seed derives from it.
    pub seed: u64,
    /// Budgets (oracle calls, start point included), ascending.
    pub budgets: Vec<usize>,
    /// Shared start points per function.
    pub starts: usize,
    /// The suites.
    pub suites: Vec<SuiteConfig>,
    /// Method keys (see [`methods::REGISTRY`]).
    pub methods: Vec<String>,
    /// Methods run only up to a budget (expensive ones in quick runs): key → largest budget.
    #[serde(default)]
    pub max_budget: BTreeMap<String, usize>,
    /// Methods run only on some suites (expensive ones in quick runs): key → suite names. A
    /// method not listed runs on every suite.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub only_suites: BTreeMap<String, Vec<String>>,
    /// The POP run folder (`config.json` + `best/`).
    pub pop_policy: PathBuf,
    /// The run folder of the paper-faithful POP, method `pop-paper` (trained by the
    /// `paper-quick` pop-train preset; the same layout as `pop_policy`). Read only when
    /// `pop-paper` is listed; default `data/pop-paper-quick`, so that configs and results
    /// manifests written before the field existed still parse.
    #[serde(default = "default_pop_paper_policy")]
    pub pop_paper_policy: PathBuf,
    /// When set, the method `pop` runs the policy of `pop_policy` inside
    /// `pop_baselines::restarts::Restarts` with this patience (restarted from a fresh uniform
    /// point after this many calls without improvement), the restart rule the restarted
    /// baselines use; chosen on the prior validation split (docs/pop-method.md §9). `None`
    /// (the default, and for configs written before the field existed): the plain policy.
    /// `pop-paper` never restarts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pop_restarts: Option<usize>,
    /// With `pop_restarts`: the restarts apply only up to this dimension, above it `pop` is the
    /// plain policy (chosen on the prior validation splits of 2-32 dimensions,
    /// docs/pop-method.md §9). `None`: every dimension.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pop_restarts_max_dim: Option<usize>,
    /// The learned competitor's run folder or weights file.
    pub velo_policy: PathBuf,
    /// VLSE functions whose convergence curves are plotted.
    pub convergence_functions: Vec<String>,
    /// Scaling measurements; `None` skips them.
    #[serde(default)]
    pub scaling: Option<ScalingConfig>,
}

fn default_pop_paper_policy() -> PathBuf {
    PathBuf::from(DEFAULT_POP_PAPER_POLICY)
}

/// The default of [`ReproduceConfig::pop_paper_policy`].
pub const DEFAULT_POP_PAPER_POLICY: &str = "data/pop-paper-quick";

fn invalid(field: &'static str, value: impl ToString, reason: impl Into<String>) -> ReproduceError {
    ReproduceError::InvalidConfig {
        field,
        value: value.to_string(),
        reason: reason.into(),
    }
}

impl ReproduceConfig {
    /// Parses TOML (unknown fields rejected) and validates. A text that sets no field (empty,
    /// only comments, or `{}`) is [`ReproduceError::EmptyConfig`], never the defaults.
    pub fn from_toml(text: &str, source_name: &str) -> Result<Self, ReproduceError> {
        let empty_toml = toml::from_str::<toml::Table>(text).is_ok_and(|t| t.is_empty());
        let empty_json = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text)
            .is_ok_and(|m| m.is_empty());
        if empty_toml || empty_json {
            return Err(ReproduceError::EmptyConfig {
                source_name: source_name.to_string(),
                presets: PRESETS.join(", "),
            });
        }
        let cfg: Self = toml::from_str(text).map_err(|e| ReproduceError::ConfigParse {
            source_name: source_name.to_string(),
            reason: e.to_string(),
        })?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// A preset by name.
    pub fn preset(name: &str) -> Result<Self, ReproduceError> {
        let text = match name {
            "ci" => CI,
            "quick" => QUICK,
            "full" => FULL,
            "paper" => PAPER,
            other => {
                return Err(invalid(
                    "preset",
                    other,
                    format!("unknown preset; valid: {}", PRESETS.join(", ")),
                ));
            }
        };
        Self::from_toml(text, name)
    }

    /// A preset name, or a path to a TOML file.
    pub fn from_preset_or_file(name_or_path: &str) -> Result<Self, ReproduceError> {
        if PRESETS.contains(&name_or_path) {
            return Self::preset(name_or_path);
        }
        let path = std::path::Path::new(name_or_path);
        if !path.exists() {
            return Err(invalid(
                "config",
                name_or_path,
                format!(
                    "neither a preset ({}) nor an existing file",
                    PRESETS.join(", ")
                ),
            ));
        }
        let text = std::fs::read_to_string(path).map_err(super::error::io_err(path))?;
        Self::from_toml(&text, name_or_path)
    }

    /// The policy paths of the learned methods (`pop_policy`, `pop_paper_policy`,
    /// `velo_policy`).
    pub fn policy_paths(&self) -> methods::PolicyPaths<'_> {
        methods::PolicyPaths {
            pop: &self.pop_policy,
            pop_paper: &self.pop_paper_policy,
            velo: &self.velo_policy,
            pop_restarts: self.pop_restarts,
            pop_restarts_max_dim: self.pop_restarts_max_dim,
        }
    }

    /// The budgets at which `method` runs.
    pub fn budgets_of(&self, method: &str) -> Vec<usize> {
        let cap = self.max_budget.get(method).copied().unwrap_or(usize::MAX);
        self.budgets.iter().copied().filter(|&b| b <= cap).collect()
    }

    /// Whether `method` runs on `suite` (see `only_suites`).
    pub fn runs_on(&self, method: &str, suite: &str) -> bool {
        self.only_suites
            .get(method)
            .is_none_or(|suites| suites.iter().any(|s| s == suite))
    }

    /// The budgets at which `method` runs on `suite`: [`ReproduceConfig::budgets_of`], or none
    /// when it does not run there.
    pub fn budgets_on(&self, method: &str, suite: &str) -> Vec<usize> {
        if self.runs_on(method, suite) {
            self.budgets_of(method)
        } else {
            Vec::new()
        }
    }

    /// Checks every field, naming the first bad one and the valid choices.
    pub fn validate(&self) -> Result<(), ReproduceError> {
        if self.name.is_empty()
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(invalid(
                "name",
                &self.name,
                "a non-empty name of letters, digits, '-' and '_'",
            ));
        }
        if self.pop_restarts_max_dim.is_some() && self.pop_restarts.is_none() {
            return Err(invalid(
                "pop_restarts_max_dim",
                self.pop_restarts_max_dim.unwrap_or_default(),
                "only meaningful with pop_restarts (set both, or neither)",
            ));
        }
        if self.pop_restarts == Some(0) {
            return Err(invalid(
                "pop_restarts",
                0,
                "a patience of at least 1 call (or leave it out for the plain policy)",
            ));
        }
        if self.budgets.is_empty() {
            return Err(invalid("budgets", "[]", "at least one budget"));
        }
        for w in self.budgets.windows(2) {
            if w[0] >= w[1] {
                return Err(invalid(
                    "budgets",
                    format!("{:?}", self.budgets),
                    "strictly ascending",
                ));
            }
        }
        if let Some(&b) = self
            .budgets
            .iter()
            .find(|&&b| !(2..=MAX_BUDGET).contains(&b))
        {
            return Err(invalid(
                "budgets",
                b,
                format!("each budget must be in 2..={MAX_BUDGET}"),
            ));
        }
        if self.budgets.len() > MAX_BUDGETS {
            return Err(invalid(
                "budgets",
                format!("{} entries", self.budgets.len()),
                format!("at most {MAX_BUDGETS} budgets"),
            ));
        }
        if !(1..=MAX_STARTS).contains(&self.starts) {
            return Err(invalid("starts", self.starts, format!("1..={MAX_STARTS}")));
        }
        let b_max = self.budgets.last().copied().unwrap_or(0);
        if self.starts * b_max > MAX_STARTS_TIMES_BUDGET {
            return Err(invalid(
                "starts",
                self.starts,
                format!(
                    "starts × the largest budget ({} × {b_max}) must be at most \
                     {MAX_STARTS_TIMES_BUDGET}",
                    self.starts
                ),
            ));
        }
        if self.suites.is_empty() {
            return Err(invalid(
                "suites",
                "[]",
                format!("at least one of {}", suites::valid_names()),
            ));
        }
        let mut seen = Vec::new();
        for s in &self.suites {
            suites::find(&s.name)?;
            if seen.contains(&s.name) {
                return Err(invalid("suites.name", &s.name, "listed twice"));
            }
            seen.push(s.name.clone());
            if s.functions == Some(0) {
                return Err(invalid("suites.functions", 0, "at least 1"));
            }
            if let Some(n) = s.functions
                && s.name == "vlse47"
                && n > 47
            {
                return Err(invalid("suites.functions", n, "VLSE-47 has 47 functions"));
            }
            if let Some(n) = s.functions
                && s.name != "vlse47"
                && n > pop_prior::EVAL_SET_SIZE
            {
                return Err(invalid(
                    "suites.functions",
                    n,
                    format!(
                        "a prior test set has {} functions",
                        pop_prior::EVAL_SET_SIZE
                    ),
                ));
            }
            if let Some(only) = &s.only {
                if s.name != "vlse47" {
                    return Err(invalid("suites.only", &s.name, "only for the vlse47 suite"));
                }
                if only.is_empty() {
                    return Err(invalid(
                        "suites.only",
                        "[]",
                        "list at least one VLSE function, or leave `only` out for the whole suite",
                    ));
                }
                for f in only {
                    let spec = pop_bench_fns::registry::find(f)?;
                    if !spec.in_suite {
                        return Err(invalid(
                            "suites.only",
                            f,
                            "not one of the 47 VLSE suite functions",
                        ));
                    }
                }
            }
        }
        if self.methods.is_empty() {
            return Err(invalid("methods", "[]", "at least one method"));
        }
        for m in &self.methods {
            methods::find(m)?;
            if self.methods.iter().filter(|n| *n == m).count() > 1 {
                return Err(invalid("methods", m, "listed twice"));
            }
        }
        for (m, &cap) in &self.max_budget {
            if !self.methods.contains(m) {
                return Err(invalid(
                    "max_budget",
                    m,
                    "names a method that is not in `methods`",
                ));
            }
            if !self.budgets.contains(&cap) {
                return Err(invalid(
                    "max_budget",
                    format!("{m} = {cap}"),
                    format!("must be one of the budgets {:?}", self.budgets),
                ));
            }
        }
        for (m, only) in &self.only_suites {
            if !self.methods.contains(m) {
                return Err(invalid(
                    "only_suites",
                    m,
                    "names a method that is not in `methods`",
                ));
            }
            if only.is_empty() {
                return Err(invalid("only_suites", m, "list at least one suite"));
            }
            for s in only {
                suites::find(s)?;
            }
        }
        for f in &self.convergence_functions {
            pop_bench_fns::registry::find(f)?;
        }
        for s in &self.suites {
            let runs = suite_size(s) * self.starts * self.budgets.len();
            if runs > MAX_STAGE_RUNS {
                return Err(invalid(
                    "suites.functions",
                    format!("{} ({runs} runs per method)", s.name),
                    format!(
                        "functions × starts × budgets of a suite must be at most {MAX_STAGE_RUNS}"
                    ),
                ));
            }
        }
        if let Some(sc) = &self.scaling {
            if sc.step_dims.len() > MAX_STEP_DIMS {
                return Err(invalid(
                    "scaling.step_dims",
                    format!("{} entries", sc.step_dims.len()),
                    format!("at most {MAX_STEP_DIMS} dimensions"),
                ));
            }
            if let Some(&d) = sc
                .step_dims
                .iter()
                .find(|&&d| d == 0 || d > pop_prior::sample::MAX_DIM)
            {
                return Err(invalid(
                    "scaling.step_dims",
                    d,
                    format!("1..={}", pop_prior::sample::MAX_DIM),
                ));
            }
            for (field, b) in [
                ("scaling.step_budget", sc.step_budget),
                ("scaling.large_budget", sc.large_budget),
            ] {
                if !(2..=MAX_BUDGET).contains(&b) {
                    return Err(invalid(field, b, format!("2..={MAX_BUDGET}")));
                }
            }
            if !(1..=MAX_LARGE_DIM).contains(&sc.large_dim) {
                return Err(invalid(
                    "scaling.large_dim",
                    sc.large_dim,
                    format!("1..={MAX_LARGE_DIM}"),
                ));
            }
            let spec = pop_bench_fns::registry::find(&sc.large_function)?;
            spec.dims.check(sc.large_dim).map_err(|req| {
                invalid(
                    "scaling.large_dim",
                    sc.large_dim,
                    format!("{}: {req}", sc.large_function),
                )
            })?;
            for m in &sc.large_methods {
                if methods::find(m).is_err() {
                    return Err(invalid(
                        "scaling.large_methods",
                        m,
                        format!("unknown method; valid: {}", methods::valid_keys()),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// The number of functions of suite `s` (an upper bound before it is built).
fn suite_size(s: &SuiteConfig) -> usize {
    let all = if s.name == "vlse47" {
        s.only.as_ref().map_or(47, Vec::len)
    } else {
        pop_prior::EVAL_SET_SIZE
    };
    s.functions.map_or(all, |n| n.min(all))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_parse_and_validate() {
        for p in PRESETS {
            let cfg = ReproduceConfig::preset(p).expect(p);
            assert_eq!(&cfg.name, p);
        }
    }

    #[test]
    fn every_preset_lists_pop_paper_after_pop() {
        for (p, path) in [
            ("ci", "data/pop-paper-quick"),
            ("quick", "data/pop-paper-quick"),
            ("full", "runs/pop-paper-quick"),
            ("paper", "runs/pop-paper-quick"),
        ] {
            let cfg = ReproduceConfig::preset(p).expect(p);
            let at = cfg.methods.iter().position(|m| m == "pop").expect(p);
            assert_eq!(
                cfg.methods.get(at + 1).map(String::as_str),
                Some("pop-paper")
            );
            assert_eq!(cfg.pop_paper_policy, PathBuf::from(path), "{p}");
            assert_eq!(cfg.policy_paths().pop_paper, cfg.pop_paper_policy.as_path());
        }
    }

    #[test]
    fn configs_without_pop_paper_policy_still_parse() {
        let text = CI
            .lines()
            .filter(|l| !l.starts_with("pop_paper_policy"))
            .collect::<Vec<_>>()
            .join("\n");
        assert_ne!(
            text.trim(),
            CI.trim(),
            "the ci preset sets pop_paper_policy"
        );
        let cfg = ReproduceConfig::from_toml(&text, "old").expect("old config");
        assert_eq!(
            cfg.pop_paper_policy,
            PathBuf::from(DEFAULT_POP_PAPER_POLICY)
        );
        // A manifest written before the field existed (JSON without it) reads the default too.
        let mut json = serde_json::to_value(&cfg).expect("json");
        json.as_object_mut()
            .expect("object")
            .remove("pop_paper_policy")
            .expect("serialized");
        let back: ReproduceConfig = serde_json::from_value(json).expect("old manifest config");
        assert_eq!(back, cfg);
    }

    #[test]
    fn unknown_names_list_the_valid_choices() {
        let mut cfg = ReproduceConfig::preset("ci").expect("ci");
        cfg.methods.push("sgd-magic".into());
        let e = cfg.validate().expect_err("unknown method").to_string();
        assert!(e.contains("sgd-magic") && e.contains("adam-tuned"), "{e}");

        let mut cfg = ReproduceConfig::preset("ci").expect("ci");
        cfg.suites[0].name = "prior-7".into();
        let e = cfg.validate().expect_err("unknown suite").to_string();
        assert!(e.contains("prior-7") && e.contains("prior-16"), "{e}");

        let mut cfg = ReproduceConfig::preset("ci").expect("ci");
        cfg.budgets = vec![0];
        let e = cfg.validate().expect_err("bad budget").to_string();
        assert!(e.contains("budgets"), "{e}");

        let mut cfg = ReproduceConfig::preset("ci").expect("ci");
        cfg.only_suites
            .insert("tpe-univariate".into(), vec!["prior-3".into()]);
        let e = cfg.validate().expect_err("unknown suite").to_string();
        assert!(e.contains("prior-3") && e.contains("vlse47"), "{e}");
        cfg.only_suites
            .insert("tpe-univariate".into(), vec!["prior-2".into()]);
        cfg.validate().expect("valid");
        assert!(
            cfg.runs_on("tpe-univariate", "prior-2") && !cfg.runs_on("tpe-univariate", "vlse47")
        );
        assert!(cfg.budgets_on("tpe-univariate", "vlse47").is_empty());
        assert!(cfg.runs_on("tpe", "vlse47"));
        cfg.only_suites
            .insert("sgd-magic".into(), vec!["prior-2".into()]);
        assert!(cfg.validate().is_err());

        let e = ReproduceConfig::from_toml("name = \"x\"\nbogus = 1\n", "inline")
            .expect_err("unknown field")
            .to_string();
        assert!(e.contains("bogus"), "{e}");

        let e = ReproduceConfig::from_preset_or_file("no-such-preset")
            .expect_err("unknown preset")
            .to_string();
        assert!(e.contains("quick"), "{e}");
    }

    #[test]
    fn an_empty_config_file_is_an_error_not_the_defaults() {
        let dir = std::env::temp_dir().join(format!("pop-eval-empty-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        for (file, text) in [
            ("empty.toml", ""),
            ("comments.toml", "# nothing here\n\n"),
            ("braces.json", "{}"),
            ("braces.toml", " {  }\n"),
        ] {
            let path = dir.join(file);
            std::fs::write(&path, text).expect("write");
            let name = path.to_str().expect("utf-8 path");
            let e = ReproduceConfig::from_preset_or_file(name).expect_err(file);
            assert!(
                matches!(e, ReproduceError::EmptyConfig { .. }),
                "{file}: {e}"
            );
            let msg = e.to_string();
            assert!(
                msg.contains(name) && msg.contains("empty") && msg.contains("`quick`"),
                "{msg}"
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_empty_only_list_is_refused() {
        let mut cfg = ReproduceConfig::preset("ci").expect("ci");
        cfg.suites[0].only = Some(Vec::new());
        let e = cfg.validate().expect_err("empty only").to_string();
        assert!(
            e.contains("suites.only") && e.contains("at least one"),
            "{e}"
        );
    }

    #[test]
    fn sizes_above_their_documented_bounds_are_refused() {
        type Edit = fn(&mut ReproduceConfig);
        let cases: [(&str, Edit); 11] = [
            ("scaling.large_dim", |c| {
                c.scaling.as_mut().expect("scaling").large_dim = 100_000_000;
            }),
            ("scaling.large_budget", |c| {
                c.scaling.as_mut().expect("scaling").large_budget = 10_000_000;
            }),
            ("scaling.step_budget", |c| {
                c.scaling.as_mut().expect("scaling").step_budget = MAX_BUDGET + 1;
            }),
            ("scaling.step_dims", |c| {
                c.scaling.as_mut().expect("scaling").step_dims = vec![1 << 20];
            }),
            ("scaling.step_dims", |c| {
                c.scaling.as_mut().expect("scaling").step_dims = vec![2; MAX_STEP_DIMS + 1];
            }),
            ("budgets", |c| c.budgets = vec![20, 1_000_000_000]),
            ("budgets", |c| c.budgets = (2..=MAX_BUDGETS + 2).collect()),
            ("starts", |c| c.starts = 100_000_000),
            ("starts", |c| {
                c.starts = MAX_STARTS;
                c.budgets = vec![MAX_BUDGET];
            }),
            ("suites.functions", |c| {
                c.suites[0] = SuiteConfig {
                    name: "vlse47".into(),
                    functions: Some(1_000_000),
                    only: None,
                }
            }),
            ("suites.functions", |c| {
                c.suites[1].functions = None;
                c.starts = MAX_STARTS;
                c.budgets = vec![20, 40, 60];
            }),
        ];
        for (field, edit) in cases {
            let mut cfg = ReproduceConfig::preset("ci").expect("ci");
            edit(&mut cfg);
            let e = cfg.validate().expect_err(field);
            match &e {
                ReproduceError::InvalidConfig { field: f, .. } => assert_eq!(*f, field, "{e}"),
                other => panic!("{field}: {other}"),
            }
        }
        let e = ReproduceConfig::from_toml(
            &CI.replace("large_dim = 16", "large_dim = 100000000"),
            "inline",
        )
        .expect_err("huge large_dim")
        .to_string();
        assert!(
            e.contains("scaling.large_dim") && e.contains("100000000") && e.contains("16384"),
            "{e}"
        );
        // Every preset stays within the bounds.
        for p in PRESETS {
            ReproduceConfig::preset(p).expect(p);
        }
    }
}
