//! Hyperparameters of the policy network.

use serde::{Deserialize, Serialize};

use super::error::PolicyError as ModelError;
use super::features::{FeatureConfig, N_FEATURES};

/// How the step index `s` enters a token. **\[ours\]**
#[derive(Clone, Debug, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TimeEmbedding {
    /// A learned table with one row per step `0..max_history` (trained with the rest). Rows
    /// past the training horizon get no gradient and stay at their initialisation.
    Learned,
    /// The fixed sinusoidal table of "Attention is all you need" over the absolute step `s`
    /// (not trained; defined for every `s < max_history`, but steps past the training horizon
    /// are still unseen).
    Sinusoidal,
    /// Fixed sinusoids of the progress `p = s/T` (the token's progress feature), so every step
    /// of every budget maps into the range `[0, 1)` that training covers: the first
    /// `d_model/2` channels are `sin(ω_j·p)`, the rest `cos(ω_j·p)`, with
    /// `ω_j = (π/2)·max_history^{j/(d_model/2 − 1)}` (`ω_0 = π/2`: one monotone quarter wave
    /// over the run; the highest frequency resolves single steps). See [`progress_frequencies`].
    Progress,
}

/// The frequencies `ω_j` of [`TimeEmbedding::Progress`] for `d_model` channels and
/// `max_history` (as f32, the precision both the burn module and `FastPolicy` use).
pub fn progress_frequencies(d_model: usize, max_history: usize) -> Vec<f32> {
    let half = (d_model / 2).max(1);
    (0..half)
        .map(|j| {
            let x = if half > 1 {
                j as f64 / (half - 1) as f64
            } else {
                0.0
            };
            (std::f64::consts::FRAC_PI_2 * (max_history as f64).powf(x)) as f32
        })
        .collect()
}

/// Hyperparameters of the policy (the burn module `pop_model::Policy` and its plain-f32 twin
/// [`FastPolicy`](super::FastPolicy)). Saved as `config.json` next to the weights, so a
/// policy folder rebuilds the network alone.
///
/// The defaults are the sizes of pop-method §4: `d_model` 64, 4 layers, 4 heads, feed-forward
/// ×4, history up to 256 steps. Every **\[ours\]** choice of §4 is a field here.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PolicyConfig {
    /// Width of the residual stream.
    pub d_model: usize,
    /// Number of pre-norm transformer blocks.
    pub n_layers: usize,
    /// Attention heads per block; must divide `d_model`.
    pub n_heads: usize,
    /// Hidden width of the feed-forward layer (4·`d_model` by default).
    pub d_ff: usize,
    /// Longest history (number of tokens per coordinate) the time embedding covers.
    pub max_history: usize,
    /// Features per token: [`FeatureConfig::width`] of [`features`](Self::features)
    /// ([`N_FEATURES`] without extras).
    pub n_features: usize,
    /// Permutation-equivariant mixing across coordinates after each block: the block output
    /// gets `Linear(mean over the function's coordinates at the same step)` added. Ablation
    /// flag, off by default. **\[ours\]**
    pub cross_coordinate_mixing: bool,
    /// Learned table or fixed sinusoids for the step index. **\[ours\]**
    pub time_embedding: TimeEmbedding,
    /// Initial value of the learned log standard deviation of the Gaussian over `u = ln η`.
    /// **\[ours\]**
    pub init_log_std: f64,
    /// Initial bias of the mean head, i.e. the initial `ln η` before training (`−2.3` ≈ η of
    /// 0.1 in z-space units). **\[ours\]**
    pub init_mean_bias: f64,
    /// Dropout after attention and feed-forward, active only on autodiff backends.
    pub dropout: f64,
    /// Epsilon of every layer norm.
    pub layer_norm_eps: f64,
    /// The featurisation the policy was (or will be) trained with, saved with it so that a policy
    /// folder also fixes how tokens are built. **\[ours\]**
    pub features: FeatureConfig,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        Self {
            d_model: 64,
            n_layers: 4,
            n_heads: 4,
            d_ff: 256,
            max_history: 256,
            n_features: N_FEATURES,
            cross_coordinate_mixing: false,
            time_embedding: TimeEmbedding::Learned,
            init_log_std: -0.7,
            init_mean_bias: -2.3,
            dropout: 0.0,
            layer_norm_eps: 1e-5,
            features: FeatureConfig::default(),
        }
    }
}

/// Builder-style setters, one per field (`PolicyConfig::new().with_d_model(32)`).
macro_rules! with_fields {
    ($($(#[$doc:meta])* $setter:ident: $field:ident: $ty:ty;)*) => {
        impl PolicyConfig {
    /// Largest `d_model` accepted by [`validate`](Self::validate).
    pub const MAX_D_MODEL: usize = 2048;
    /// Largest `n_heads`.
    pub const MAX_HEADS: usize = 64;
    /// Largest `d_ff`.
    pub const MAX_D_FF: usize = 8192;
    /// Largest `n_layers`.
    pub const MAX_LAYERS: usize = 64;
    /// Largest `max_history` (the longest trajectory the policy reads).
    pub const MAX_HISTORY: usize = 16_384;

            $(
                $(#[$doc])*
                pub fn $setter(mut self, value: $ty) -> Self {
                    self.$field = value;
                    self
                }
            )*
        }
    };
}

with_fields! {
    /// Sets `d_model`.
    with_d_model: d_model: usize;
    /// Sets `n_layers`.
    with_n_layers: n_layers: usize;
    /// Sets `n_heads`.
    with_n_heads: n_heads: usize;
    /// Sets `d_ff`.
    with_d_ff: d_ff: usize;
    /// Sets `max_history`.
    with_max_history: max_history: usize;
    /// Sets `n_features`.
    with_n_features: n_features: usize;
    /// Sets `cross_coordinate_mixing`.
    with_cross_coordinate_mixing: cross_coordinate_mixing: bool;
    /// Sets `time_embedding`.
    with_time_embedding: time_embedding: TimeEmbedding;
    /// Sets `init_log_std`.
    with_init_log_std: init_log_std: f64;
    /// Sets `init_mean_bias`.
    with_init_mean_bias: init_mean_bias: f64;
    /// Sets `dropout`.
    with_dropout: dropout: f64;
    /// Sets `layer_norm_eps`.
    with_layer_norm_eps: layer_norm_eps: f64;
}

impl PolicyConfig {
    /// Sets `features`, and `n_features` to its token width ([`FeatureConfig::width`]).
    pub fn with_features(mut self, features: FeatureConfig) -> Self {
        self.n_features = features.width();
        self.features = features;
        self
    }

    /// The default configuration (the sizes of pop-method §4).
    pub fn new() -> Self {
        Self::default()
    }

    /// A small configuration (used by tests and the `smoke` preset): `d_model` wide with
    /// `n_layers` blocks of `n_heads` heads, feed-forward 4·`d_model`, other fields default.
    pub fn small(d_model: usize, n_layers: usize, n_heads: usize) -> Self {
        Self::new()
            .with_d_model(d_model)
            .with_n_layers(n_layers)
            .with_n_heads(n_heads)
            .with_d_ff(4 * d_model)
    }

    /// Width of one attention head (`d_model / n_heads`).
    pub fn d_head(&self) -> usize {
        self.d_model / self.n_heads.max(1)
    }

    /// Checks the fields for consistency.
    pub fn validate(&self) -> Result<(), ModelError> {
        let fail = |reason: String| Err(ModelError::InvalidConfig { reason });
        if self.d_model == 0 || self.n_heads == 0 || self.d_ff == 0 {
            return fail(format!(
                "d_model ({}), n_heads ({}) and d_ff ({}) must be positive",
                self.d_model, self.n_heads, self.d_ff
            ));
        }
        if !self.d_model.is_multiple_of(self.n_heads) {
            return fail(format!(
                "n_heads ({}) must divide d_model ({})",
                self.n_heads, self.d_model
            ));
        }
        for (field, v, max) in [
            ("d_model", self.d_model, Self::MAX_D_MODEL),
            ("n_heads", self.n_heads, Self::MAX_HEADS),
            ("d_ff", self.d_ff, Self::MAX_D_FF),
            ("n_layers", self.n_layers, Self::MAX_LAYERS),
            ("max_history", self.max_history, Self::MAX_HISTORY),
        ] {
            if v > max {
                return fail(format!("{field} ({v}) must be at most {max}"));
            }
        }
        if self.n_layers == 0 {
            return fail("n_layers must be at least 1".into());
        }
        if self.max_history == 0 {
            return fail("max_history must be at least 1".into());
        }
        if self.n_features != self.features.width() {
            return fail(format!(
                "n_features ({}) must equal the token width of `features` ({}: {} base features \
                 plus {:?})",
                self.n_features,
                self.features.width(),
                N_FEATURES,
                self.features.extra
            ));
        }
        if self.time_embedding == TimeEmbedding::Progress && !self.d_model.is_multiple_of(2) {
            return fail(format!(
                "the progress time embedding needs an even d_model, got {}",
                self.d_model
            ));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return fail(format!("dropout must lie in [0, 1), got {}", self.dropout));
        }
        if !(self.layer_norm_eps.is_finite() && self.layer_norm_eps > 0.0) {
            return fail(format!(
                "layer_norm_eps must be positive, got {}",
                self.layer_norm_eps
            ));
        }
        if !(self.init_log_std.is_finite() && self.init_mean_bias.is_finite()) {
            return fail("init_log_std and init_mean_bias must be finite".into());
        }
        self.features.validate()
    }
}
