//! `velo-style-es`: a learned per-coordinate update rule in the spirit of VeLO (Metz et al. 2022)
//! and its cheaper successors (Celo, Celo2), meta-trained with evolution strategies on POP's prior
//! (`pop-train es`). It is **not** VeLO's released weights (they were meta-trained on neural
//! networks and cannot be fetched here); it is the recipe, trained on our prior with our budget.
//!
//! # The rule
//! One small MLP, shared by every coordinate, reads [`N_INPUTS`] features of coordinate `i` at the
//! newest good iterate and outputs a direction `d_i` and a log-magnitude `m_i`. The step, in the
//! canonical box `z ∈ [−1, 1]^d` that every method of this crate uses, is
//!
//! ```text
//! Δ_i = clamp(lr_base · d_i · exp(min(m_i, max_log_magnitude)), −max_step, max_step)
//! z_{t+1} = clip(z_t − Δ, −1, 1)
//! ```
//!
//! The MLP is `tanh(W1 x + b1) → tanh(W2 h1 + b2) → W3 h2 + b3 + S x` (a linear skip `S` from
//! the features to the two outputs). [`VeloRule::initial`] sets `W3 = 0` and `S` so that the rule
//! starts as sign-Adam-like descent, `d_i = m̂_{0.9,i}/√v̂_i`, `m_i = 0`.
//!
//! # Features (all invariant to `f ↦ a·f + b` with `a > 0`, and to the box)
//! Gradients are `∂f/∂z` (the harness's z-space), so the box never enters. `v̂` is the
//! bias-corrected second moment (decay [`BETA_V`]), `m̂_β` bias-corrected momenta, `G` the largest
//! `|∂f/∂z_j|` seen so far in the run, `S_f = max_{s ≤ t} |f_s − f_0|`, `b_t` the best value.
//! A quantity whose scale (`G`, `S_f`, `√v̂ + 1e-8·G`) is 0 is 0.
//!
//! | index | feature |
//! |---|---|
//! | 0 | `g_i/(√v̂_i + ε)`, `ε = 1e-8·G` |
//! | 1, 2, 3 | `m̂_{β,i}/(√v̂_i + ε)` for `β` in [`MOMENTUM_DECAYS`] = {0.5, 0.9, 0.99} |
//! | 4 | `c(g_i/G)`, `c` the log compression of pop-model (knee 1e-3) |
//! | 5 | `ln(max(√v̂_i/G, 1e-10))/10` |
//! | 6 | `z_i`, the position in the box |
//! | 7 | `t/T`, oracle calls made over the budget |
//! | 8 | `(f_t − f_0)/S_f` |
//! | 9 | `(b_t − f_0)/S_f` |
//! | 10 | `c((f_t − f_{t−1})/S_f)` (0 at the first good point) |
//! | 11 | good steps since the best value last improved, over `T` |
//! | 12 | `m_i` of the previous step over 5 (0 at first): the rule's only per-run memory |
//!
//! Features 8–11 are per-run (shared by all coordinates). There is **no LSTM**: VeLO's per-run
//! recurrent state is left out; the per-run value features and the previous log-magnitude are the
//! only memory beyond the moment estimates.
//!
//! # Failed evaluations
//! A failed call (value `+∞`) is not shown to the rule: the next point retakes the step from the
//! last good iterate with half the length (halving again at each consecutive failure, like
//! `PopMethod`). Before a first good call, points are drawn uniformly in the box from the run's
//! seed.
//!
//! # Files
//! A weights file ([`WEIGHTS_FILE`], JSON) holds `{"format", "config", "params"}`, `params` the
//! flat f32 vector laid out as `W1 (H×F), b1 (H), W2 (H×H), b2 (H), W3 (2×H), b3 (2), S (2×F)`,
//! row-major, `F =` [`N_INPUTS`], `H = config.hidden`. [`VeloStyle::load`] accepts such a file or
//! a run folder of `pop-train es` (it reads `best/velo.json`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::{Evaluation, Method, OptimError, Optimizer, RunContext};

/// Number of features per coordinate (the MLP's input width).
pub const N_INPUTS: usize = 13;
/// Number of outputs per coordinate: direction and log-magnitude.
pub const N_OUTPUTS: usize = 2;
/// Decays of the three momenta fed to the rule.
pub const MOMENTUM_DECAYS: [f64; 3] = [0.5, 0.9, 0.99];
/// Decay of the second-moment estimate.
pub const BETA_V: f64 = 0.95;
/// File name of the weights inside a run folder's `best/`.
pub const WEIGHTS_FILE: &str = "velo.json";
/// The `format` tag of a weights file.
pub const FORMAT: &str = "velo-style-es/1";
/// The method's name in evaluations.
pub const NAME: &str = "velo-style-es";

/// Positions of the features inside the input vector (see the module docs).
pub mod feature {
    /// `g/(√v̂ + ε)`.
    pub const GRAD: usize = 0;
    /// `m̂_{0.5}/(√v̂ + ε)`.
    pub const MOMENTUM_0_5: usize = 1;
    /// `m̂_{0.9}/(√v̂ + ε)`.
    pub const MOMENTUM_0_9: usize = 2;
    /// `m̂_{0.99}/(√v̂ + ε)`.
    pub const MOMENTUM_0_99: usize = 3;
    /// Compressed `g/G`.
    pub const GRAD_REL: usize = 4;
    /// `ln(√v̂/G)/10`.
    pub const LOG_RMS: usize = 5;
    /// Position `z`.
    pub const Z: usize = 6;
    /// Progress `t/T`.
    pub const PROGRESS: usize = 7;
    /// `(f_t − f_0)/S_f`.
    pub const VALUE: usize = 8;
    /// `(b_t − f_0)/S_f`.
    pub const BEST: usize = 9;
    /// Compressed `(f_t − f_{t−1})/S_f`.
    pub const VALUE_CHANGE: usize = 10;
    /// Steps since the last improvement over `T`.
    pub const STALL: usize = 11;
    /// Previous log-magnitude over 5.
    pub const PREV_LOG_MAGNITUDE: usize = 12;
}

const KNEE: f64 = 1e-3;

/// The shape and the fixed constants of a rule (everything but the weights).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VeloConfig {
    /// Width `H` of both hidden layers.
    pub hidden: usize,
    /// Base step `lr_base` in z-units (the box has width 2).
    pub lr_base: f64,
    /// Largest log-magnitude `m` used (the output is clamped above).
    pub max_log_magnitude: f64,
    /// Largest step per coordinate in z-units.
    pub max_step: f64,
}

impl Default for VeloConfig {
    fn default() -> Self {
        Self {
            hidden: 16,
            lr_base: 0.1,
            max_log_magnitude: 3.0,
            max_step: 1.0,
        }
    }
}

impl VeloConfig {
    /// Checks every field; [`OptimError::InvalidConfig`] names the first bad one.
    pub fn validate(&self) -> Result<(), OptimError> {
        let bad = |field: &'static str, value: String, reason: &str| OptimError::InvalidConfig {
            method: NAME.into(),
            field,
            value,
            reason: reason.into(),
        };
        if !(1..=1024).contains(&self.hidden) {
            return Err(bad(
                "hidden",
                self.hidden.to_string(),
                "must lie in 1..=1024",
            ));
        }
        for (field, v) in [("lr_base", self.lr_base), ("max_step", self.max_step)] {
            if !(v.is_finite() && v > 0.0) {
                return Err(bad(field, v.to_string(), "must be finite and > 0"));
            }
        }
        if !self.max_log_magnitude.is_finite() {
            return Err(bad(
                "max_log_magnitude",
                self.max_log_magnitude.to_string(),
                "must be finite",
            ));
        }
        Ok(())
    }

    /// Length of the flat parameter vector.
    pub fn n_params(&self) -> usize {
        let h = self.hidden;
        h * N_INPUTS + h + h * h + h + N_OUTPUTS * h + N_OUTPUTS + N_OUTPUTS * N_INPUTS
    }
}

/// Why a weights file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum VeloLoadError {
    /// The file is missing or unreadable.
    #[error("cannot read velo-style weights {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file is not a weights file (bad JSON, wrong format tag, wrong shapes, bad config).
    #[error("bad velo-style weights file {path}: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

impl From<VeloLoadError> for OptimError {
    fn from(e: VeloLoadError) -> Self {
        OptimError::InvalidConfig {
            method: NAME.into(),
            field: "weights",
            value: match &e {
                VeloLoadError::Io { path, .. } | VeloLoadError::Corrupt { path, .. } => {
                    path.display().to_string()
                }
            },
            reason: e.to_string(),
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WeightsFile {
    format: String,
    config: VeloConfig,
    params: Vec<f32>,
    /// [`VeloRule::content_sha256`] of `config` and `params`, checked at load.
    #[serde(default)]
    sha256: Option<String>,
}

/// The learned update rule: its [`VeloConfig`] and the MLP's weights (f32).
#[derive(Debug, Clone, PartialEq)]
pub struct VeloRule {
    config: VeloConfig,
    params: Vec<f32>,
}

/// Offsets of the parameter blocks inside the flat vector.
#[derive(Debug, Clone, Copy)]
struct Layout {
    h: usize,
    w1: usize,
    b1: usize,
    w2: usize,
    b2: usize,
    w3: usize,
    b3: usize,
    skip: usize,
}

impl Layout {
    fn new(h: usize) -> Self {
        let w1 = 0;
        let b1 = w1 + h * N_INPUTS;
        let w2 = b1 + h;
        let b2 = w2 + h * h;
        let w3 = b2 + h;
        let b3 = w3 + N_OUTPUTS * h;
        let skip = b3 + N_OUTPUTS;
        Self {
            h,
            w1,
            b1,
            w2,
            b2,
            w3,
            b3,
            skip,
        }
    }
}

impl VeloRule {
    /// A rule from its config and flat parameters; checks the config and the length.
    pub fn from_params(config: VeloConfig, params: Vec<f32>) -> Result<Self, OptimError> {
        config.validate()?;
        if params.len() != config.n_params() {
            return Err(OptimError::InvalidConfig {
                method: NAME.into(),
                field: "params",
                value: format!("{} values", params.len()),
                reason: format!(
                    "hidden = {} needs {} parameters",
                    config.hidden,
                    config.n_params()
                ),
            });
        }
        if let Some(i) = params.iter().position(|p| !p.is_finite()) {
            return Err(OptimError::InvalidConfig {
                method: NAME.into(),
                field: "params",
                value: format!("params[{i}] = {}", params[i]),
                reason: "every parameter must be finite".into(),
            });
        }
        Ok(Self { config, params })
    }

    /// The starting point of meta-training: hidden weights `N(0, init_scale²/fan_in)` from `seed`,
    /// `W3 = 0`, biases 0, and the skip set so that `d = m̂_{0.9}/√v̂` and `m = 0` (sign-Adam-like
    /// descent with step `lr_base`).
    pub fn initial(config: VeloConfig, seed: u64, init_scale: f64) -> Result<Self, OptimError> {
        config.validate()?;
        let l = Layout::new(config.hidden);
        let mut params = vec![0.0f32; config.n_params()];
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let s1 = init_scale / (N_INPUTS as f64).sqrt();
        let s2 = init_scale / (config.hidden as f64).sqrt();
        for p in &mut params[l.w1..l.b1] {
            let n: f64 = StandardNormal.sample(&mut rng);
            *p = (s1 * n) as f32;
        }
        for p in &mut params[l.w2..l.b2] {
            let n: f64 = StandardNormal.sample(&mut rng);
            *p = (s2 * n) as f32;
        }
        params[l.skip + feature::MOMENTUM_0_9] = 1.0;
        Self::from_params(config, params)
    }

    /// The config.
    pub fn config(&self) -> &VeloConfig {
        &self.config
    }

    /// The flat parameters (layout in the module docs).
    pub fn params(&self) -> &[f32] {
        &self.params
    }

    /// The SHA-256 (hex) of the rule: its config as JSON, then its parameters as f32 little
    /// endian. Stored in the weights file and checked when it is read, so a damaged file is
    /// refused rather than run.
    pub fn content_sha256(&self) -> String {
        let mut bytes = serde_json::to_vec(&self.config).unwrap_or_default();
        for p in &self.params {
            bytes.extend_from_slice(&p.to_le_bytes());
        }
        crate::fsutil::sha256_hex(&bytes)
    }

    /// The JSON text of a weights file (with its content hash).
    pub fn to_json(&self) -> Result<String, OptimError> {
        serde_json::to_string(&WeightsFile {
            format: FORMAT.into(),
            config: self.config,
            params: self.params.clone(),
            sha256: Some(self.content_sha256()),
        })
        .map_err(|e| OptimError::Internal {
            method: NAME.into(),
            reason: format!("cannot encode weights: {e}"),
        })
    }

    /// Parses the JSON text of a weights file and checks its content hash; `path` names it in
    /// errors.
    pub fn from_json(text: &str, path: &Path) -> Result<Self, VeloLoadError> {
        Self::parse(text, path, true)
    }

    /// Rewrites a weights file written before it carried a content hash (every other check
    /// applies; a hash that is present must match). Returns whether the file changed.
    pub fn upgrade_file(path: &Path) -> Result<bool, VeloLoadError> {
        let text = std::fs::read_to_string(path).map_err(|source| VeloLoadError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let rule = Self::parse(&text, path, false)?;
        let new = rule.to_json().map_err(|e| VeloLoadError::Corrupt {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        if new == text {
            return Ok(false);
        }
        crate::fsutil::write_atomic(path, new.as_bytes())
            .map_err(|(path, source)| VeloLoadError::Io { path, source })?;
        Ok(true)
    }

    fn parse(text: &str, path: &Path, require_hash: bool) -> Result<Self, VeloLoadError> {
        let corrupt = |reason: String| VeloLoadError::Corrupt {
            path: path.to_path_buf(),
            reason,
        };
        let f: WeightsFile = serde_json::from_str(text).map_err(|e| corrupt(e.to_string()))?;
        if f.format != FORMAT {
            return Err(corrupt(format!(
                "format `{}`, expected `{FORMAT}`",
                f.format
            )));
        }
        let rule = Self::from_params(f.config, f.params).map_err(|e| corrupt(e.to_string()))?;
        let actual = rule.content_sha256();
        match f.sha256 {
            None if !require_hash => Ok(rule),
            None => Err(corrupt(
                "no content hash (`sha256`): the file was not written by this version".into(),
            )),
            Some(h) if h != actual => Err(corrupt(format!(
                "the parameters do not match the file's content hash (recorded {h}, computed \
                 {actual}): the file is damaged"
            ))),
            Some(_) => Ok(rule),
        }
    }

    /// Reads a weights file.
    pub fn load_file(path: &Path) -> Result<Self, VeloLoadError> {
        let text = std::fs::read_to_string(path).map_err(|source| VeloLoadError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_json(&text, path)
    }

    /// Applies the MLP to one feature vector: `(direction, log-magnitude)`. `h1`, `h2` are
    /// scratch buffers of length `hidden`.
    fn forward(&self, x: &[f32; N_INPUTS], h1: &mut [f32], h2: &mut [f32]) -> (f32, f32) {
        let l = Layout::new(self.config.hidden);
        let p = &self.params;
        for (j, h) in h1.iter_mut().enumerate().take(l.h) {
            let row = &p[l.w1 + j * N_INPUTS..l.w1 + (j + 1) * N_INPUTS];
            let mut s = p[l.b1 + j];
            for (w, xi) in row.iter().zip(x) {
                s += w * xi;
            }
            *h = s.tanh();
        }
        for (j, h) in h2.iter_mut().enumerate().take(l.h) {
            let row = &p[l.w2 + j * l.h..l.w2 + (j + 1) * l.h];
            let mut s = p[l.b2 + j];
            for (w, a) in row.iter().zip(h1.iter()) {
                s += w * a;
            }
            *h = s.tanh();
        }
        let mut out = [0.0f32; N_OUTPUTS];
        for (k, o) in out.iter_mut().enumerate() {
            let row = &p[l.w3 + k * l.h..l.w3 + (k + 1) * l.h];
            let mut s = p[l.b3 + k];
            for (w, a) in row.iter().zip(h2.iter()) {
                s += w * a;
            }
            let skip = &p[l.skip + k * N_INPUTS..l.skip + (k + 1) * N_INPUTS];
            for (w, xi) in skip.iter().zip(x) {
                s += w * xi;
            }
            *o = s;
        }
        (out[0], out[1])
    }
}

/// The learned optimizer as a [`Method`]: a frozen [`VeloRule`], named `velo-style-es`.
#[derive(Debug, Clone)]
pub struct VeloStyle {
    name: String,
    rule: Arc<VeloRule>,
}

impl VeloStyle {
    /// The method of `rule`, named [`NAME`].
    pub fn new(rule: VeloRule) -> Self {
        Self {
            name: NAME.into(),
            rule: Arc::new(rule),
        }
    }

    /// The same method under another name (e.g. to compare two rules in one evaluation).
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Loads a weights file, or the `best/velo.json` of a run folder (or a folder's `velo.json`).
    pub fn load(path: impl AsRef<Path>) -> Result<Self, VeloLoadError> {
        let path = path.as_ref();
        let file = if path.is_dir() {
            let best = path.join("best").join(WEIGHTS_FILE);
            if best.exists() {
                best
            } else {
                path.join(WEIGHTS_FILE)
            }
        } else {
            path.to_path_buf()
        };
        Ok(Self::new(VeloRule::load_file(&file)?))
    }

    /// The rule.
    pub fn rule(&self) -> &VeloRule {
        &self.rule
    }
}

impl Method for VeloStyle {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn uses_gradient(&self) -> bool {
        true
    }

    fn start(
        &self,
        ctx: &RunContext,
        first: &Evaluation<'_>,
    ) -> Result<Box<dyn Optimizer>, OptimError> {
        let d = ctx.dim;
        let h = self.rule.config.hidden;
        let mut run = VeloRun {
            rule: Arc::clone(&self.rule),
            d,
            budget: ctx.budget.max(1) as f64,
            calls: 0,
            good: 0,
            x: vec![0.0; d],
            delta: vec![0.0; d],
            m: vec![[0.0; 3]; d],
            v: vec![0.0; d],
            prev_mag: vec![0.0; d],
            g_max: 0.0,
            f0: 0.0,
            f_prev: 0.0,
            s_f: 0.0,
            best: f64::INFINITY,
            since_best: 0,
            failures: 0,
            h1: vec![0.0; h],
            h2: vec![0.0; h],
            rng: ChaCha8Rng::seed_from_u64(ctx.seed),
        };
        run.tell(first)?;
        Ok(Box::new(run))
    }
}

/// One run: all buffers allocated in [`Method::start`], none per step.
struct VeloRun {
    rule: Arc<VeloRule>,
    d: usize,
    budget: f64,
    /// Oracle calls told so far.
    calls: u64,
    /// Good calls told so far.
    good: u64,
    /// Last good iterate.
    x: Vec<f64>,
    /// Step computed at `x` (next point `x − factor·delta`).
    delta: Vec<f64>,
    /// Momenta at [`MOMENTUM_DECAYS`] (not bias-corrected).
    m: Vec<[f64; 3]>,
    /// Second moment (not bias-corrected).
    v: Vec<f64>,
    /// Previous log-magnitude.
    prev_mag: Vec<f64>,
    g_max: f64,
    f0: f64,
    f_prev: f64,
    s_f: f64,
    best: f64,
    since_best: u64,
    /// Consecutive failed calls since the last good one.
    failures: u32,
    h1: Vec<f32>,
    h2: Vec<f32>,
    rng: ChaCha8Rng,
}

fn compress(x: f64) -> f64 {
    let c = (x.abs() / KNEE).ln_1p() / (1.0 / KNEE).ln_1p();
    c.copysign(x)
}

fn ratio(num: f64, den: f64) -> f64 {
    if den > 0.0 && den.is_finite() {
        let r = num / den;
        if r.is_finite() { r } else { 0.0 }
    } else {
        0.0
    }
}

impl VeloRun {
    fn check(&self, what: &str, got: usize) -> Result<(), OptimError> {
        if got == self.d {
            Ok(())
        } else {
            Err(OptimError::Internal {
                method: NAME.into(),
                reason: format!("{what} has length {got}, the run has dimension {}", self.d),
            })
        }
    }

    /// Folds a good evaluation into the state and computes the next step.
    fn observe(&mut self, z: &[f64], f: f64, g: &[f64]) {
        self.x.copy_from_slice(z);
        self.good += 1;
        let t = self.good as f64;
        if self.good == 1 {
            self.f0 = f;
            self.f_prev = f;
        }
        let value_change = f - self.f_prev;
        self.s_f = self.s_f.max((f - self.f0).abs());
        if f < self.best {
            self.best = f;
            self.since_best = 0;
        } else {
            self.since_best += 1;
        }
        for &gi in g {
            self.g_max = self.g_max.max(gi.abs());
        }
        let bc: [f64; 3] = std::array::from_fn(|k| 1.0 - MOMENTUM_DECAYS[k].powf(t));
        let bcv = 1.0 - BETA_V.powf(t);
        let run_feats = [
            ratio(f - self.f0, self.s_f),
            ratio(self.best - self.f0, self.s_f),
            compress(ratio(value_change, self.s_f)),
            self.since_best as f64 / self.budget,
        ];
        let progress = self.calls as f64 / self.budget;
        let cfg = self.rule.config;
        for i in 0..self.d {
            let gi = g[i];
            for (k, b) in MOMENTUM_DECAYS.iter().enumerate() {
                self.m[i][k] = b * self.m[i][k] + (1.0 - b) * gi;
            }
            self.v[i] = BETA_V * self.v[i] + (1.0 - BETA_V) * gi * gi;
            let rms = (self.v[i] / bcv).sqrt();
            let den = rms + 1e-8 * self.g_max;
            let mut x = [0.0f32; N_INPUTS];
            x[feature::GRAD] = ratio(gi, den) as f32;
            x[feature::MOMENTUM_0_5] = ratio(self.m[i][0] / bc[0], den) as f32;
            x[feature::MOMENTUM_0_9] = ratio(self.m[i][1] / bc[1], den) as f32;
            x[feature::MOMENTUM_0_99] = ratio(self.m[i][2] / bc[2], den) as f32;
            x[feature::GRAD_REL] = compress(ratio(gi, self.g_max)) as f32;
            x[feature::LOG_RMS] = if self.g_max > 0.0 {
                ((rms / self.g_max).max(1e-10).ln() / 10.0) as f32
            } else {
                0.0
            };
            x[feature::Z] = z[i] as f32;
            x[feature::PROGRESS] = progress as f32;
            x[feature::VALUE] = run_feats[0] as f32;
            x[feature::BEST] = run_feats[1] as f32;
            x[feature::VALUE_CHANGE] = run_feats[2] as f32;
            x[feature::STALL] = run_feats[3] as f32;
            x[feature::PREV_LOG_MAGNITUDE] = (self.prev_mag[i] / 5.0) as f32;
            let (dir, mag) = self.rule.forward(&x, &mut self.h1, &mut self.h2);
            let mag = f64::from(mag).clamp(-30.0, cfg.max_log_magnitude);
            let mag = if mag.is_finite() { mag } else { 0.0 };
            self.prev_mag[i] = mag;
            let step = cfg.lr_base * f64::from(dir) * mag.exp();
            self.delta[i] = if step.is_finite() {
                step.clamp(-cfg.max_step, cfg.max_step)
            } else {
                0.0
            };
        }
        self.f_prev = f;
    }
}

impl Optimizer for VeloRun {
    fn ask(&mut self, z: &mut [f64]) -> Result<(), OptimError> {
        self.check("the asked buffer", z.len())?;
        if self.good == 0 {
            for zi in z.iter_mut() {
                *zi = 2.0 * self.rng.random::<f64>() - 1.0;
            }
            return Ok(());
        }
        let factor = 0.5f64.powi(self.failures.min(60) as i32);
        for ((zi, &xi), &di) in z.iter_mut().zip(&self.x).zip(&self.delta) {
            let v = xi - factor * di;
            *zi = if v.is_nan() { xi } else { v.clamp(-1.0, 1.0) };
        }
        Ok(())
    }

    fn tell(&mut self, eval: &Evaluation<'_>) -> Result<(), OptimError> {
        self.check("the told point", eval.z.len())?;
        self.calls += 1;
        match eval.gradient {
            Some(g) if eval.is_ok() => {
                self.check("the told gradient", g.len())?;
                self.failures = 0;
                self.observe(eval.z, eval.value, g);
            }
            _ => self.failures = self.failures.saturating_add(1),
        }
        Ok(())
    }
}
