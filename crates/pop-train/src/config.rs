//! [`TrainConfig`]: every knob of PPO meta-training, with TOML presets.

use std::path::Path;

use pop_model::PolicyConfig;
use pop_prior::PriorConfig;
use serde::{Deserialize, Deserializer, Serialize};

use crate::error::TrainError;

/// The `smoke` preset (seconds; used by tests).
pub const SMOKE: &str = include_str!("../presets/smoke.toml");
/// The `quick` preset: the training of the shipped `pop` policy (fields equal to `paper-quick`;
/// `pop` departs at evaluation only), about 25 minutes on two CPU cores.
pub const QUICK: &str = include_str!("../presets/quick.toml");
/// The `quick-explore` preset: `paper-quick` with exploration noise and the RMS-gradient
/// feature (tried for `pop`, not selected; docs/pop-method.md §9).
pub const QUICK_EXPLORE: &str = include_str!("../presets/quick-explore.toml");
/// The `paper-quick` preset: the paper-faithful `pop-paper` design at the size of `quick`.
pub const PAPER_QUICK: &str = include_str!("../presets/paper-quick.toml");
/// The `paper-quick-wide` preset: `paper-quick` on the wider prior (issue 14 point 5; the
/// short length-scale GP, needle and plateau of `pop_prior::extras` switched on).
pub const PAPER_QUICK_WIDE: &str = include_str!("../presets/paper-quick-wide.toml");
/// The `standard` preset: the `pop` design at the size of the shipped default (1.5–2 h on two
/// CPU cores, resumable).
pub const STANDARD: &str = include_str!("../presets/standard.toml");
/// The `quick-v1` preset: the first `quick` (the policy shipped before the #14 redesign).
pub const QUICK_V1: &str = include_str!("../presets/quick-v1.toml");
/// The `paper` preset (about 1.6 M functions; a GPU).
pub const PAPER: &str = include_str!("../presets/paper.toml");
/// Names of the presets.
pub const PRESETS: &[&str] = &[
    "smoke",
    "quick",
    "paper-quick",
    "paper-quick-wide",
    "quick-explore",
    "standard",
    "quick-v1",
    "paper",
];

/// The per-step reward of an episode (pop-method §5). **\[ours\]**
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RewardKind {
    /// `r_s = (b_s − b_{s+1})/(f(x_0) − f*)`: the return is the episode's final NI (the
    /// original reward).
    #[default]
    FinalNi,
    /// `r_s = (1 − ρ_{s+2})/T` with `ρ_t = clamp((b_t − f*)/(f(x_0) − f*), 0, 1)` the
    /// normalised regret after call `t`: the return is `1 −` the anytime regret of
    /// [`pop_optim::metrics::anytime_regret`] (mean over every call of the run), so the policy is
    /// rewarded for being good at every budget up to `T`.
    AnytimeNi,
}

/// How PPO's advantages are estimated. **\[ours\]**
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdvantageKind {
    /// GAE(γ, λ) on the critic's values (the original estimator).
    #[default]
    Gae,
    /// Leave-one-out group baseline: the `group_size` episodes of one (function, start) differ
    /// only in their action noise; the advantage of episode `e` at step `s` is its reward-to-go
    /// minus the mean reward-to-go of the other episodes of its group at `s`. The critic is
    /// still trained (its explained variance is logged) but not used.
    Group,
}

/// Which implementation computes the PPO update's forward and backward passes. **\[ours\]**
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpdateEngine {
    /// burn autodiff on the training backend (the original engine; any policy config).
    #[default]
    Burn,
    /// The hand-written f32 passes of `pop_model::SeqNet` on the CPU, functions spread over
    /// rayon's threads; the gradients go to the same burn Adam. Equal to `burn` up to float
    /// rounding (tested); no cross-coordinate mixing.
    F32,
}

/// The learning-rate schedule after the linear warm-up. **\[ours\]**
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LrSchedule {
    /// `lr` throughout (the original schedule).
    #[default]
    Constant,
    /// Linear decay from `lr` to `lr·lr_final_ratio` at the last update.
    Linear,
    /// Cosine decay from `lr` to `lr·lr_final_ratio` at the last update.
    Cosine,
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
fn d_one() -> usize {
    1
}
fn d_lr_final_ratio() -> f64 {
    0.1
}
fn d_kl_stop_factor() -> f64 {
    1.5
}

/// Overlays the given policy fields on the defaults, rejecting unknown names. `n_features`,
/// when not given, follows the token width of `features` (its extras).
fn policy_with_defaults<'de, D: Deserializer<'de>>(d: D) -> Result<PolicyConfig, D::Error> {
    use serde::de::Error;
    let given = serde_json::Map::<String, serde_json::Value>::deserialize(d)?;
    let width_given = given.contains_key("n_features");
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
    let mut policy: PolicyConfig = serde_json::from_value(base).map_err(D::Error::custom)?;
    if !width_given {
        policy.n_features = policy.features.width();
    }
    Ok(policy)
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
    /// Budget `T` of an episode in oracle calls (start included): `T − 1` actions. With
    /// [`horizon_max`](Self::horizon_max), the smallest budget drawn.
    #[serde(default = "d_horizon")]
    pub horizon: usize,
    /// When set, each update draws its budget `T` uniformly from `horizon..=horizon_max`
    /// (seeded by the master seed and the update index), so that the policy sees every
    /// progress `s/T` at many budgets. **\[ours\]**
    #[serde(default)]
    pub horizon_max: Option<usize>,
    /// The per-step reward.
    #[serde(default)]
    pub reward: RewardKind,
    /// Episodes per (function, start) in a rollout batch, differing only in their action
    /// noise (1: the original one episode per function).
    #[serde(default = "d_one")]
    pub group_size: usize,
    /// How advantages are estimated ([`AdvantageKind::Group`] needs `group_size ≥ 2`).
    #[serde(default)]
    pub advantage: AdvantageKind,
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
    /// The engine of the PPO update's passes.
    #[serde(default)]
    pub update_engine: UpdateEngine,
    /// Peak Adam learning rate.
    #[serde(default = "d_lr")]
    pub lr: f64,
    /// Updates of linear warm-up from `lr/warmup_updates` to `lr` (0: none).
    #[serde(default = "d_warmup")]
    pub warmup_updates: usize,
    /// Decay of the learning rate after the warm-up.
    #[serde(default)]
    pub lr_schedule: LrSchedule,
    /// Final learning rate over `lr` of a decaying schedule.
    #[serde(default = "d_lr_final_ratio")]
    pub lr_final_ratio: f64,
    /// KL early stop: the update's remaining minibatch steps are skipped once a minibatch's
    /// approximate KL exceeds `kl_stop_factor · target_kl` (none by default).
    #[serde(default)]
    pub target_kl: Option<f64>,
    /// The factor of [`target_kl`](Self::target_kl) (1.5, as in Stable-Baselines3).
    #[serde(default = "d_kl_stop_factor")]
    pub kl_stop_factor: f64,
    /// Floor of the policy's log standard deviation: after every optimiser step the parameter is
    /// raised to it (none by default).
    #[serde(default)]
    pub min_log_std: Option<f64>,
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
    /// Budget of a validation run (default: [`horizon`](Self::horizon)).
    #[serde(default)]
    pub validation_horizon: Option<usize>,
    /// Size of the multimodal-heavy validation subset (the first validation functions that
    /// [`crate::validation::is_multimodal`]; 0: none). When present, the best policy is chosen
    /// by the mean of the two validation NIs.
    #[serde(default)]
    pub validation_multimodal: usize,
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
    let json = path.extension().is_some_and(|e| e == "json");
    // A file that sets no field would silently run every default: refuse it.
    let empty = if json {
        serde_json::from_str::<serde_json::Value>(&text)
            .is_ok_and(|v| v.as_object().is_some_and(|o| o.is_empty()))
    } else {
        toml::from_str::<toml::Table>(&text).is_ok_and(|t| t.is_empty())
    };
    if empty {
        return Err(TrainError::ConfigParse {
            source_name: name_or_path.to_string(),
            reason: format!(
                "the file sets no field; a config file spells out the run (start from a \
                 preset's file in crates/pop-train/presets/), or name a {what} for its \
                 defaults: {names:?}"
            ),
        });
    }
    parse_config(&text, name_or_path, json)
}

/// Upper bounds of the training configs' size fields, checked by `validate` before anything
/// is written or allocated (a typo such as `max_history = 1e8` is an error, not an abort).
pub mod limits {
    /// Largest problem dimension `dim` (the prior's GP needs a Cholesky factor per function).
    pub const MAX_DIM: usize = 256;
    /// Largest `functions_per_update` (PPO) / `functions_per_iteration` (ES).
    pub const MAX_FUNCTIONS_PER_STEP: usize = 16_384;
    /// Largest `group_size` (PPO) / `pairs` (ES).
    pub const MAX_GROUP: usize = 1024;
    /// Largest number of updates / iterations.
    pub const MAX_STEPS: usize = 100_000_000;
    /// Largest `ppo_epochs`.
    pub const MAX_EPOCHS: usize = 1000;
    /// Largest number of tokens one rollout batch may hold (functions · group · dim · horizon).
    pub const MAX_ROLLOUT_TOKENS: usize = 1 << 28;
}

const TRAIN_PRESETS: &[(&str, &str)] = &[
    ("smoke", SMOKE),
    ("quick", QUICK),
    ("paper-quick", PAPER_QUICK),
    ("paper-quick-wide", PAPER_QUICK_WIDE),
    ("quick-explore", QUICK_EXPLORE),
    ("standard", STANDARD),
    ("quick-v1", QUICK_V1),
    ("paper", PAPER),
];

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
        if let Err(e) = self.policy.validate() {
            return bad("policy", format!("{:?}", self.policy), &e.to_string());
        }
        if self.dim == 0 || self.dim > limits::MAX_DIM {
            return bad(
                "dim",
                self.dim,
                &format!("must lie in 1..={}", limits::MAX_DIM),
            );
        }
        if self.horizon < 2 {
            return bad("horizon", self.horizon, "must be at least 2 (one action)");
        }
        for (field, v, max) in [
            (
                "functions_per_update",
                self.functions_per_update,
                limits::MAX_FUNCTIONS_PER_STEP,
            ),
            ("group_size", self.group_size, limits::MAX_GROUP),
            ("updates", self.updates, limits::MAX_STEPS),
            ("ppo_epochs", self.ppo_epochs, limits::MAX_EPOCHS),
        ] {
            if v > max {
                return bad(field, v, &format!("must be at most {max}"));
            }
        }
        let tokens = self
            .functions_per_update
            .saturating_mul(self.group_size)
            .saturating_mul(self.dim)
            .saturating_mul(self.horizon_max.unwrap_or(self.horizon));
        if tokens > limits::MAX_ROLLOUT_TOKENS {
            return bad(
                "functions_per_update",
                self.functions_per_update,
                &format!(
                    "one rollout would hold {tokens} tokens (functions_per_update · group_size · \
                     dim · horizon), more than {}",
                    limits::MAX_ROLLOUT_TOKENS
                ),
            );
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
        if let Some(m) = self.horizon_max
            && !(self.horizon..=self.policy.max_history).contains(&m)
        {
            return bad(
                "horizon_max",
                m,
                &format!(
                    "must lie in horizon..=policy.max_history ({}..={})",
                    self.horizon, self.policy.max_history
                ),
            );
        }
        if let Some(v) = self.validation_horizon
            && !(2..=self.policy.max_history).contains(&v)
        {
            return bad(
                "validation_horizon",
                v,
                &format!(
                    "must lie in 2..=policy.max_history ({})",
                    self.policy.max_history
                ),
            );
        }
        if self.group_size == 0 {
            return bad("group_size", 0, "must be at least 1");
        }
        if self.advantage == AdvantageKind::Group && self.group_size < 2 {
            return bad(
                "advantage",
                "group",
                "the leave-one-out group baseline needs group_size >= 2",
            );
        }
        if !(self.lr_final_ratio.is_finite() && (0.0..=1.0).contains(&self.lr_final_ratio)) {
            return bad("lr_final_ratio", self.lr_final_ratio, "must lie in [0, 1]");
        }
        if let Some(k) = self.target_kl
            && !(k.is_finite() && k > 0.0)
        {
            return bad("target_kl", k, "must be positive and finite");
        }
        if !(self.kl_stop_factor.is_finite() && self.kl_stop_factor >= 1.0) {
            return bad("kl_stop_factor", self.kl_stop_factor, "must be at least 1");
        }
        if let Some(m) = self.min_log_std
            && !m.is_finite()
        {
            return bad("min_log_std", m, "must be finite");
        }
        if self.validation_multimodal > pop_prior::EVAL_SET_SIZE {
            return bad(
                "validation_multimodal",
                self.validation_multimodal,
                &format!("must lie in 0..={}", pop_prior::EVAL_SET_SIZE),
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
        if self.minibatches == 0 || self.minibatches > self.functions_per_update * self.group_size {
            return bad(
                "minibatches",
                self.minibatches,
                "must lie in 1..=functions_per_update·group_size",
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
        if self.update_engine == UpdateEngine::F32 && self.policy.cross_coordinate_mixing {
            return bad(
                "update_engine",
                "f32",
                "the f32 engine does not support policy.cross_coordinate_mixing; use burn",
            );
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

    /// The learning rate of `update` (0-based): the linear warm-up over `warmup_updates`, then
    /// [`lr_schedule`](Self::lr_schedule) from `lr` down to `lr·lr_final_ratio` at the last
    /// update.
    pub fn lr_at(&self, update: usize) -> f64 {
        let warm = if self.warmup_updates == 0 {
            1.0
        } else {
            ((update + 1) as f64 / self.warmup_updates as f64).min(1.0)
        };
        let span = self.updates.saturating_sub(self.warmup_updates + 1).max(1);
        let x = (update.saturating_sub(self.warmup_updates) as f64 / span as f64).min(1.0);
        let r = self.lr_final_ratio;
        let decay = match self.lr_schedule {
            LrSchedule::Constant => 1.0,
            LrSchedule::Linear => 1.0 - (1.0 - r) * x,
            LrSchedule::Cosine => r + (1.0 - r) * 0.5 * (1.0 + (std::f64::consts::PI * x).cos()),
        };
        self.lr * warm * decay
    }

    /// The budget of update `k`: [`horizon`](Self::horizon), or a seeded uniform draw from
    /// `horizon..=horizon_max`.
    pub fn horizon_at(&self, update: usize) -> usize {
        match self.horizon_max {
            Some(max) if max > self.horizon => {
                use rand::{RngExt, SeedableRng};
                let seed = pop_optim::seed::derive_seed(self.seed, "horizon", update as u64);
                rand_chacha::ChaCha8Rng::seed_from_u64(seed).random_range(self.horizon..=max)
            }
            _ => self.horizon,
        }
    }

    /// The largest budget of the run (the rollout's cache capacity).
    pub fn max_horizon(&self) -> usize {
        self.horizon_max.unwrap_or(self.horizon).max(self.horizon)
    }

    /// The budget of a validation run.
    pub fn validation_budget(&self) -> usize {
        self.validation_horizon.unwrap_or(self.horizon)
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
    fn schedules_decay_to_the_final_ratio() {
        let mut c = TrainConfig::preset("smoke").unwrap();
        c.lr = 1.0;
        c.warmup_updates = 0;
        c.updates = 11;
        c.lr_final_ratio = 0.1;
        assert_eq!(c.lr_at(5), 1.0);
        c.lr_schedule = LrSchedule::Linear;
        assert!((c.lr_at(0) - 1.0).abs() < 1e-12);
        assert!((c.lr_at(5) - 0.55).abs() < 1e-12);
        assert!((c.lr_at(10) - 0.1).abs() < 1e-12);
        c.lr_schedule = LrSchedule::Cosine;
        assert!((c.lr_at(0) - 1.0).abs() < 1e-12);
        assert!((c.lr_at(5) - 0.55).abs() < 1e-12);
        assert!((c.lr_at(10) - 0.1).abs() < 1e-12);
        assert!(c.lr_at(2) > 0.55 + 0.45 * 0.6);
        // Warm-up multiplies.
        c.warmup_updates = 2;
        assert!((c.lr_at(0) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn horizons_are_seeded_draws_in_range() {
        let mut c = TrainConfig::preset("smoke").unwrap();
        assert!((0..20).all(|k| c.horizon_at(k) == c.horizon));
        c.horizon_max = Some(30);
        let hs: Vec<usize> = (0..200).map(|k| c.horizon_at(k)).collect();
        assert!(hs.iter().all(|h| (c.horizon..=30).contains(h)));
        assert!(hs.contains(&c.horizon) && hs.contains(&30));
        assert_eq!(hs, (0..200).map(|k| c.horizon_at(k)).collect::<Vec<_>>());
        assert_eq!(c.max_horizon(), 30);
        c.seed += 1;
        assert_ne!(hs, (0..200).map(|k| c.horizon_at(k)).collect::<Vec<_>>());
    }

    /// `quick` trains what `paper-quick` trains (the selected `pop` design departs at
    /// evaluation only), `standard` is `quick` at a larger size, and `quick-explore` differs from
    /// `paper-quick` in exactly the two tried departures.
    #[test]
    fn the_pop_presets_differ_where_they_say() {
        use pop_model::ExtraFeature;
        let quick = TrainConfig::preset("quick").unwrap();
        let paper = TrainConfig::preset("paper-quick").unwrap();
        assert_eq!(quick, paper);
        let mut standard = TrainConfig::preset("standard").unwrap();
        assert_eq!(standard.updates, 1500);
        standard.updates = quick.updates;
        standard.validate_every = quick.validate_every;
        standard.checkpoint_every = quick.checkpoint_every;
        standard.validation_functions = quick.validation_functions;
        standard.validation_multimodal = quick.validation_multimodal;
        assert_eq!(standard, quick);
        let mut explore = TrainConfig::preset("quick-explore").unwrap();
        assert_eq!(explore.policy.features.explore_noise, 1.0);
        assert_eq!(explore.policy.features.extra, vec![ExtraFeature::RmsGrad]);
        explore.policy = explore.policy.with_features(paper.policy.features.clone());
        assert_eq!(explore, paper);
    }

    #[test]
    fn new_fields_default_to_the_original_behaviour_and_are_checked() {
        let c = TrainConfig::preset("quick-v1").unwrap();
        assert_eq!(c.horizon_max, None);
        assert_eq!(c.reward, RewardKind::FinalNi);
        assert_eq!((c.group_size, c.advantage), (1, AdvantageKind::Gae));
        assert_eq!(c.lr_schedule, LrSchedule::Constant);
        assert_eq!((c.target_kl, c.min_log_std), (None, None));
        assert_eq!(c.validation_budget(), c.horizon);
        let base = TrainConfig::preset("smoke").unwrap();
        let cases: Vec<(&str, Box<dyn Fn(&mut TrainConfig)>)> = vec![
            (
                "advantage",
                Box::new(|c| c.advantage = AdvantageKind::Group),
            ),
            ("group_size", Box::new(|c| c.group_size = 0)),
            ("horizon_max", Box::new(|c| c.horizon_max = Some(5))),
            ("horizon_max", Box::new(|c| c.horizon_max = Some(10_000))),
            (
                "validation_horizon",
                Box::new(|c| c.validation_horizon = Some(1)),
            ),
            ("lr_final_ratio", Box::new(|c| c.lr_final_ratio = 2.0)),
            ("target_kl", Box::new(|c| c.target_kl = Some(0.0))),
            ("kl_stop_factor", Box::new(|c| c.kl_stop_factor = 0.5)),
            ("min_log_std", Box::new(|c| c.min_log_std = Some(f64::NAN))),
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
    fn warmup_is_linear() {
        let mut c = TrainConfig::preset("smoke").unwrap();
        c.lr = 1.0;
        c.warmup_updates = 4;
        assert_eq!(c.lr_at(0), 0.25);
        assert_eq!(c.lr_at(3), 1.0);
        assert_eq!(c.lr_at(10), 1.0);
    }
}
