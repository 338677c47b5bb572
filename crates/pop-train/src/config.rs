//! [`TrainConfig`]: every knob of PPO meta-training, with TOML presets.

use std::path::Path;

use pop_model::PolicyConfig;
use pop_prior::PriorConfig;
use serde::{Deserialize, Deserializer, Serialize};

use crate::error::TrainError;

/// The `smoke` preset (seconds; used by tests).
pub const SMOKE: &str = include_str!("../presets/smoke.toml");
/// The `quick` preset (about 20–30 minutes on two CPU cores).
pub const QUICK: &str = include_str!("../presets/quick.toml");
/// The `paper` preset (about 1.6 M functions; a GPU).
pub const PAPER: &str = include_str!("../presets/paper.toml");
/// Names of the presets.
pub const PRESETS: &[&str] = &["smoke", "quick", "paper"];

fn d_seed() -> u64 {
    0
}
fn d_dim() -> usize {
    2
}
fn d_horizon() -> usize {
    50
}
fn d_functions() -> usize {
    64
}
fn d_updates() -> usize {
    100
}
fn d_epochs() -> usize {
    4
}
fn d_minibatches() -> usize {
    4
}
fn d_clip() -> f64 {
    0.2
}
fn d_gamma() -> f64 {
    1.0
}
fn d_lambda() -> f64 {
    0.95
}
fn d_entropy() -> f64 {
    1e-3
}
fn d_value() -> f64 {
    0.5
}
fn d_grad_norm() -> f64 {
    1.0
}
fn d_lr() -> f64 {
    3e-4
}
fn d_warmup() -> usize {
    10
}
fn d_true() -> bool {
    true
}
fn d_zero() -> f64 {
    0.0
}
fn d_validate_every() -> usize {
    10
}
fn d_validation_functions() -> usize {
    128
}
fn d_checkpoint_every() -> usize {
    10
}
fn d_log_every() -> usize {
    10
}

/// burn's `Config` derive needs every field when deserialising: overlay the given ones on the
/// defaults, rejecting unknown names.
fn policy_with_defaults<'de, D: Deserializer<'de>>(d: D) -> Result<PolicyConfig, D::Error> {
    use serde::de::Error;
    let given = serde_json::Map::<String, serde_json::Value>::deserialize(d)?;
    let mut base = serde_json::to_value(PolicyConfig::new()).map_err(D::Error::custom)?;
    let obj = base
        .as_object_mut()
        .ok_or_else(|| D::Error::custom("PolicyConfig does not serialise to a map"))?;
    for (k, v) in given {
        if !obj.contains_key(&k) {
            let known: Vec<&String> = obj.keys().collect();
            return Err(D::Error::custom(format!(
                "unknown field `{k}` in policy, expected one of {known:?}"
            )));
        }
        obj.insert(k, v);
    }
    serde_json::from_value(base).map_err(D::Error::custom)
}

/// Hyperparameters of a meta-training run (pop-method §5). Every **\[ours\]** choice is a field.
/// Load with [`TrainConfig::from_preset_or_file`]; check with [`TrainConfig::validate`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    /// Master seed: every random choice of the run (functions, starts, actions, minibatches,
    /// initial weights) derives from it and the update index.
    #[serde(default = "d_seed")]
    pub seed: u64,
    /// Dimension `d` of the training functions (2 in the paper).
    #[serde(default = "d_dim")]
    pub dim: usize,
    /// Budget `T` of an episode in oracle calls (start included): `T − 1` actions.
    #[serde(default = "d_horizon")]
    pub horizon: usize,
    /// Prior functions per rollout batch (one episode each) per update.
    #[serde(default = "d_functions")]
    pub functions_per_update: usize,
    /// Number of PPO updates (rollout + optimisation) of the run.
    #[serde(default = "d_updates")]
    pub updates: usize,
    /// Passes over each rollout batch.
    #[serde(default = "d_epochs")]
    pub ppo_epochs: usize,
    /// Minibatches per pass (the functions of a batch are split; whole episodes stay together).
    #[serde(default = "d_minibatches")]
    pub minibatches: usize,
    /// PPO clip range ε of the ratio.
    #[serde(default = "d_clip")]
    pub clip: f64,
    /// Discount γ.
    #[serde(default = "d_gamma")]
    pub gamma: f64,
    /// GAE λ.
    #[serde(default = "d_lambda")]
    pub gae_lambda: f64,
    /// Weight of the entropy bonus.
    #[serde(default = "d_entropy")]
    pub entropy_coef: f64,
    /// Weight of the value loss.
    #[serde(default = "d_value")]
    pub value_coef: f64,
    /// Gradient clipping by norm (burn's `GradientClippingConfig::Norm`, which clips each
    /// parameter tensor separately); 0 disables it.
    #[serde(default = "d_grad_norm")]
    pub max_grad_norm: f64,
    /// Peak Adam learning rate.
    #[serde(default = "d_lr")]
    pub lr: f64,
    /// Updates of linear warm-up from `lr/warmup_updates` to `lr` (0: none).
    #[serde(default = "d_warmup")]
    pub warmup_updates: usize,
    /// Normalise advantages over the rollout batch (zero mean, unit variance).
    #[serde(default = "d_true")]
    pub normalize_advantages: bool,
    /// Weight of the log-regret reward term `ln ρ_{t−1} − ln ρ_t`, `ρ_t = (b_t − f*)/(f(x_0) − f*)`
    /// floored at 1e-8. 0 (default): the return is exactly the episode's NI. **\[ours\]**
    #[serde(default = "d_zero")]
    pub log_regret_coef: f64,
    /// Validate every this many updates (and after the last one).
    #[serde(default = "d_validate_every")]
    pub validate_every: usize,
    /// Number of fixed 2-D validation functions (the first ones of `Split::Validation`).
    #[serde(default = "d_validation_functions")]
    pub validation_functions: usize,
    /// Write the full checkpoint every this many updates (and after the last one).
    #[serde(default = "d_checkpoint_every")]
    pub checkpoint_every: usize,
    /// The binary prints a compact line every this many updates.
    #[serde(default = "d_log_every")]
    pub log_every: usize,
    /// The policy network.
    /// Missing fields take `PolicyConfig::new()`'s defaults; unknown fields are rejected.
    #[serde(
        default = "PolicyConfig::new",
        deserialize_with = "policy_with_defaults"
    )]
    pub policy: PolicyConfig,
    /// The prior of training and validation functions.
    #[serde(default)]
    pub prior: PriorConfig,
}

/// Parses `text` (TOML, or JSON when `json`) into a config; `source_name` names it in errors.
pub(crate) fn parse_config<T: serde::de::DeserializeOwned>(
    text: &str,
    source_name: &str,
    json: bool,
) -> Result<T, TrainError> {
    let parsed = if json {
        serde_json::from_str(text).map_err(|e| e.to_string())
    } else {
        toml::from_str(text).map_err(|e| e.to_string())
    };
    parsed.map_err(|reason| TrainError::ConfigParse {
        source_name: source_name.to_string(),
        reason,
    })
}

/// Loads a config from one of `presets` (name → TOML text) or from a TOML/JSON file (by
/// extension); `what` names the kind of preset in errors. Not validated.
pub(crate) fn load_preset_or_file<T: serde::de::DeserializeOwned>(
    name_or_path: &str,
    presets: &[(&str, &str)],
    what: &str,
) -> Result<T, TrainError> {
    let names: Vec<&str> = presets.iter().map(|(n, _)| *n).collect();
    if let Some((name, text)) = presets.iter().find(|(n, _)| *n == name_or_path) {
        return parse_config(text, &format!("{what} `{name}`"), false);
    }
    let path = Path::new(name_or_path);
    if !path.exists() {
        return Err(TrainError::ConfigParse {
            source_name: name_or_path.to_string(),
            reason: format!("neither a {what} {names:?} nor an existing file"),
        });
    }
    let text = std::fs::read_to_string(path).map_err(crate::error::io_err(path))?;
    parse_config(
        &text,
        name_or_path,
        path.extension().is_some_and(|e| e == "json"),
    )
}

const TRAIN_PRESETS: &[(&str, &str)] = &[("smoke", SMOKE), ("quick", QUICK), ("paper", PAPER)];

impl TrainConfig {
    /// Parses TOML text; `source_name` names it in errors. Validates.
    pub fn from_toml(text: &str, source_name: &str) -> Result<Self, TrainError> {
        let cfg: Self = parse_config(text, source_name, false)?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// A preset by name (`smoke`, `quick`, `paper`).
    pub fn preset(name: &str) -> Result<Self, TrainError> {
        if !PRESETS.contains(&name) {
            return Err(TrainError::ConfigParse {
                source_name: name.to_string(),
                reason: format!("unknown preset; presets are {PRESETS:?}"),
            });
        }
        Self::from_preset_or_file(name)
    }

    /// A preset name, or else a path to a TOML (or JSON, by extension) file. Validates.
    pub fn from_preset_or_file(name_or_path: &str) -> Result<Self, TrainError> {
        let cfg: Self = load_preset_or_file(name_or_path, TRAIN_PRESETS, "preset")?;
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
        if self.dim == 0 {
            return bad("dim", self.dim, "must be at least 1");
        }
        if self.horizon < 2 {
            return bad("horizon", self.horizon, "must be at least 2 (one action)");
        }
        if self.horizon > self.policy.max_history {
            return bad(
                "horizon",
                self.horizon,
                &format!(
                    "must not exceed policy.max_history ({})",
                    self.policy.max_history
                ),
            );
        }
        if self.functions_per_update == 0 {
            return bad("functions_per_update", 0, "must be at least 1");
        }
        if self.updates == 0 {
            return bad("updates", 0, "must be at least 1");
        }
        if self.ppo_epochs == 0 {
            return bad("ppo_epochs", 0, "must be at least 1");
        }
        if self.minibatches == 0 || self.minibatches > self.functions_per_update {
            return bad(
                "minibatches",
                self.minibatches,
                "must lie in 1..=functions_per_update",
            );
        }
        if !(self.clip.is_finite() && self.clip > 0.0 && self.clip < 1.0) {
            return bad("clip", self.clip, "must lie in (0, 1)");
        }
        if !(0.0..=1.0).contains(&self.gamma) {
            return bad("gamma", self.gamma, "must lie in [0, 1]");
        }
        if !(0.0..=1.0).contains(&self.gae_lambda) {
            return bad("gae_lambda", self.gae_lambda, "must lie in [0, 1]");
        }
        for (field, v) in [
            ("entropy_coef", self.entropy_coef),
            ("value_coef", self.value_coef),
            ("max_grad_norm", self.max_grad_norm),
            ("log_regret_coef", self.log_regret_coef),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return bad(field, v, "must be finite and non-negative");
            }
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return bad("lr", self.lr, "must be positive and finite");
        }
        if self.validate_every == 0 {
            return bad("validate_every", 0, "must be at least 1");
        }
        if self.validation_functions == 0 || self.validation_functions > pop_prior::EVAL_SET_SIZE {
            return bad(
                "validation_functions",
                self.validation_functions,
                &format!("must lie in 1..={}", pop_prior::EVAL_SET_SIZE),
            );
        }
        if self.checkpoint_every == 0 {
            return bad("checkpoint_every", 0, "must be at least 1");
        }
        if self.log_every == 0 {
            return bad("log_every", 0, "must be at least 1");
        }
        if let Err(e) = self.policy.validate() {
            return bad("policy", format!("{:?}", self.policy), &e.to_string());
        }
        if self.policy.dropout != 0.0 {
            return bad(
                "policy.dropout",
                self.policy.dropout,
                "must be 0 in training: burn's dropout RNG is not part of the checkpoint, and the \
                 rollout policy (FastPolicy) has no dropout",
            );
        }
        if let Err(e) = self.prior.validate() {
            return bad("prior", "(see reason)", &e.to_string());
        }
        Ok(())
    }

    /// Peak learning rate times the linear warm-up factor at `update` (0-based).
    pub fn lr_at(&self, update: usize) -> f64 {
        if self.warmup_updates == 0 {
            self.lr
        } else {
            self.lr * ((update + 1) as f64 / self.warmup_updates as f64).min(1.0)
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::type_complexity)]
mod tests {
    use super::*;

    #[test]
    fn presets_parse_and_validate() {
        for name in PRESETS {
            let cfg = TrainConfig::preset(name).unwrap();
            assert_eq!(cfg.dim, 2, "{name}");
        }
        let smoke = TrainConfig::preset("smoke").unwrap();
        assert_eq!(smoke.policy.d_model, 16);
        assert!(smoke.policy.n_layers <= 2);
        let paper = TrainConfig::preset("paper").unwrap();
        let total = paper.updates * paper.functions_per_update;
        assert!((1_500_000..=1_700_000).contains(&total), "{total}");
    }

    #[test]
    fn unknown_fields_and_presets_are_rejected() {
        let text = format!("{SMOKE}\nbogus = 1\n");
        // The extra key lands in the last table ([prior]); either way it must be rejected.
        assert!(TrainConfig::from_toml(&text, "t").is_err());
        let text = format!("bogus = 1\n{SMOKE}");
        let e = TrainConfig::from_toml(&text, "t").unwrap_err().to_string();
        assert!(e.contains("bogus"), "{e}");
        assert!(TrainConfig::preset("nope").is_err());
    }

    #[test]
    fn validation_names_the_field() {
        let base = TrainConfig::preset("smoke").unwrap();
        let cases: Vec<(&str, Box<dyn Fn(&mut TrainConfig)>)> = vec![
            ("horizon", Box::new(|c| c.horizon = 1)),
            ("minibatches", Box::new(|c| c.minibatches = 0)),
            ("clip", Box::new(|c| c.clip = 1.5)),
            ("gae_lambda", Box::new(|c| c.gae_lambda = -0.1)),
            ("lr", Box::new(|c| c.lr = 0.0)),
            ("entropy_coef", Box::new(|c| c.entropy_coef = f64::NAN)),
            (
                "validation_functions",
                Box::new(|c| c.validation_functions = 0),
            ),
            ("policy", Box::new(|c| c.policy.n_heads = 3)),
            ("horizon", Box::new(|c| c.horizon = 10_000)),
        ];
        for (field, mutate) in cases {
            let mut c = base.clone();
            mutate(&mut c);
            match c.validate() {
                Err(TrainError::InvalidConfig { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: {other:?}"),
            }
        }
    }

    #[test]
    fn json_round_trip_and_files() {
        let cfg = TrainConfig::preset("quick").unwrap();
        let json = serde_json::to_string(&cfg).unwrap();
        assert_eq!(serde_json::from_str::<TrainConfig>(&json).unwrap(), cfg);
        let dir = std::env::temp_dir().join(format!("pop-train-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (j, t) = (dir.join("c.json"), dir.join("c.toml"));
        std::fs::write(&j, &json).unwrap();
        std::fs::write(&t, QUICK).unwrap();
        for p in [&j, &t] {
            let got = TrainConfig::from_preset_or_file(p.to_str().unwrap()).unwrap();
            assert_eq!(got, cfg);
        }
        let _ = std::fs::remove_dir_all(&dir);
        // Unknown policy fields are rejected too.
        let bad = SMOKE.replace("[policy]", "[policy]\nwidth = 3");
        let e = TrainConfig::from_toml(&bad, "t").unwrap_err().to_string();
        assert!(e.contains("width"), "{e}");
    }

    #[test]
    fn warmup_is_linear() {
        let mut c = TrainConfig::preset("smoke").unwrap();
        c.lr = 1.0;
        c.warmup_updates = 4;
        assert_eq!(c.lr_at(0), 0.25);
        assert_eq!(c.lr_at(3), 1.0);
        assert_eq!(c.lr_at(10), 1.0);
    }
}
