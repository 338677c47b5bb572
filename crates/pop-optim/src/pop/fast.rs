//! A hand-written f32 inference path for the policy: the same math as the burn module's `pop_model::Policy::step`, with
//! plain `Vec<f32>` weights exported from the burn module and its own key/value cache.
//!
//! burn's per-operation overhead (tens of operations per block, each allocating a tensor)
//! dominates one inference step of this small network; this path does the arithmetic directly,
//! allocates nothing per step once the cache exists, and spreads the coordinates over rayon's
//! threads when there are many of them.

use std::collections::BTreeMap;

use rayon::prelude::*;

use super::config::{PolicyConfig, TimeEmbedding, progress_frequencies};
use super::error::PolicyError as ModelError;
use super::features::{check_len, feature};

/// Named f32 tensors, `name → (shape, row-major values)`: the policy's weights as they are saved
/// (safetensors, see [`super::weights`]) and as `pop-model` exports them from the burn module.
///
/// Names follow the burn module's field paths: `embed.weight` `[F, d_model]`, `embed.bias`,
/// `time_table` `[max_history, d_model]` (learned time embedding only), per block `l`
/// `blocks.{l}.{norm_attn,norm_ff}.{gamma,beta}`, `blocks.{l}.{qkv,attn_out,ff_in,ff_out,mix}.{weight,bias}`
/// (`mix` only with cross-coordinate mixing), `norm_out.{gamma,beta}`,
/// `{mean_head,value_head}.{weight,bias}` and `log_std` `[1]`. A linear weight is `[d_in, d_out]`
/// (burn's layout: `y = x·W + b`).
pub type NamedTensors = BTreeMap<String, (Vec<usize>, Vec<f32>)>;

/// Takes tensor `name` of shape `shape` out of `t`.
fn take(t: &NamedTensors, name: &str, shape: &[usize]) -> Result<Vec<f32>, ModelError> {
    let (got_shape, v) = t.get(name).ok_or_else(|| ModelError::InvalidConfig {
        reason: format!("the weights have no tensor `{name}` (expected shape {shape:?})"),
    })?;
    if got_shape != shape || v.len() != shape.iter().product::<usize>() {
        return Err(ModelError::InvalidConfig {
            reason: format!(
                "tensor `{name}` has shape {got_shape:?} ({} values), the config needs {shape:?}",
                v.len()
            ),
        });
    }
    if v.iter().any(|x| !x.is_finite()) {
        return Err(ModelError::NonFinite {
            what: "policy weights",
        });
    }
    Ok(v.clone())
}

/// Default number of rows (function × coordinate pairs) from which a step runs in parallel.
pub const DEFAULT_PARALLEL_MIN_ROWS: usize = 64;

/// A linear layer `y = x·W + b`, `W` stored `[d_in][d_out]` row-major.
#[derive(Clone, Debug)]
struct Dense {
    w: Vec<f32>,
    b: Vec<f32>,
    d_out: usize,
}

impl Dense {
    fn from_named(
        t: &NamedTensors,
        prefix: &str,
        d_in: usize,
        d_out: usize,
    ) -> Result<Self, ModelError> {
        Ok(Self {
            w: take(t, &format!("{prefix}.weight"), &[d_in, d_out])?,
            b: take(t, &format!("{prefix}.bias"), &[d_out])?,
            d_out,
        })
    }

    fn put(&self, t: &mut NamedTensors, prefix: &str) {
        let d_in = self.w.len() / self.d_out.max(1);
        t.insert(
            format!("{prefix}.weight"),
            (vec![d_in, self.d_out], self.w.clone()),
        );
        t.insert(format!("{prefix}.bias"), (vec![self.d_out], self.b.clone()));
    }

    /// `out = x·W + b`.
    #[inline]
    fn apply(&self, x: &[f32], out: &mut [f32]) {
        out.copy_from_slice(&self.b);
        self.accumulate(x, out);
    }

    /// `out += x·W + b`.
    #[inline]
    fn apply_add(&self, x: &[f32], out: &mut [f32]) {
        for (o, b) in out.iter_mut().zip(&self.b) {
            *o += b;
        }
        self.accumulate(x, out);
    }

    /// `out += x·W`, four input rows at a time (fewer loads and stores of `out` per
    /// multiply-add; the inner loops vectorise).
    #[inline]
    fn accumulate(&self, x: &[f32], out: &mut [f32]) {
        let n = self.d_out;
        let blocks = x.len() / 4;
        for (xs, ws) in x.chunks_exact(4).zip(self.w.chunks_exact(4 * n)) {
            let (w0, rest) = ws.split_at(n);
            let (w1, rest) = rest.split_at(n);
            let (w2, w3) = rest.split_at(n);
            let (x0, x1, x2, x3) = (xs[0], xs[1], xs[2], xs[3]);
            for ((((o, a), b), c), d) in out.iter_mut().zip(w0).zip(w1).zip(w2).zip(w3) {
                *o += x0 * a + x1 * b + x2 * c + x3 * d;
            }
        }
        let rows = self.w[blocks * 4 * n..].chunks_exact(n);
        for (xi, row) in x[blocks * 4..].iter().zip(rows) {
            for (o, w) in out.iter_mut().zip(row) {
                *o += xi * w;
            }
        }
    }
}

#[derive(Clone, Debug)]
struct Norm {
    gamma: Vec<f32>,
    beta: Vec<f32>,
    eps: f32,
}

impl Norm {
    fn from_named(t: &NamedTensors, prefix: &str, d: usize, eps: f64) -> Result<Self, ModelError> {
        Ok(Self {
            gamma: take(t, &format!("{prefix}.gamma"), &[d])?,
            beta: take(t, &format!("{prefix}.beta"), &[d])?,
            eps: eps as f32,
        })
    }

    fn put(&self, t: &mut NamedTensors, prefix: &str) {
        let d = self.gamma.len();
        t.insert(format!("{prefix}.gamma"), (vec![d], self.gamma.clone()));
        t.insert(format!("{prefix}.beta"), (vec![d], self.beta.clone()));
    }

    /// `out = (x − mean)/sqrt(var + eps)·γ + β` (biased variance).
    #[inline]
    fn apply(&self, x: &[f32], out: &mut [f32]) {
        let n = x.len() as f32;
        let mean = x.iter().sum::<f32>() / n;
        let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / n;
        let inv = 1.0 / (var + self.eps).sqrt();
        for (((o, v), g), b) in out.iter_mut().zip(x).zip(&self.gamma).zip(&self.beta) {
            *o = (v - mean) * inv * g + b;
        }
    }
}

#[derive(Clone, Debug)]
struct Layer {
    norm_attn: Norm,
    qkv: Dense,
    attn_out: Dense,
    norm_ff: Norm,
    ff_in: Dense,
    ff_out: Dense,
    mix: Option<Dense>,
}

/// The policy's inference step in plain f32 (see the module documentation). Build it from named
/// tensors ([`FastPolicy::from_named`]), a saved policy folder ([`FastPolicy::load_dir`]), or a
/// burn module with `pop_model::export_fast`; it is tested equal to the burn forward.
#[derive(Clone, Debug)]
pub struct FastPolicy {
    config: PolicyConfig,
    d_model: usize,
    n_heads: usize,
    d_ff: usize,
    n_features: usize,
    max_history: usize,
    embed: Dense,
    /// The absolute time table `[max_history][d_model]` (empty for the progress embedding).
    time: Vec<f32>,
    /// The frequencies of the progress embedding (empty otherwise).
    progress_freq: Vec<f32>,
    layers: Vec<Layer>,
    norm_out: Norm,
    mean_w: Vec<f32>,
    mean_b: f32,
    value_w: Vec<f32>,
    value_b: f32,
    log_std: f32,
    parallel_min_rows: usize,
}

/// Per-row (one coordinate of one function) state: hidden vector, keys and values of every
/// layer, and scratch buffers.
#[derive(Clone, Debug)]
struct Row {
    h: Vec<f32>,
    /// Per layer: keys transposed (`d_model × capacity`), then values (`capacity × d_model`).
    kv: Vec<f32>,
    a: Vec<f32>,
    qkv: Vec<f32>,
    ctx: Vec<f32>,
    ff: Vec<f32>,
    /// `[n_heads][capacity]`.
    scores: Vec<f32>,
}

/// Key/value cache of [`FastPolicy::step`] for `batch` functions of `d` coordinates, holding up
/// to `capacity` steps. All memory is allocated here; steps allocate nothing.
#[derive(Clone, Debug)]
pub struct FastCache {
    batch: usize,
    d: usize,
    len: usize,
    capacity: usize,
    rows: Vec<Row>,
    pooled: Vec<f32>,
    mixed: Vec<f32>,
}

impl FastCache {
    /// Number of functions.
    pub fn batch(&self) -> usize {
        self.batch
    }

    /// Coordinates per function.
    pub fn dim(&self) -> usize {
        self.d
    }

    /// Steps cached.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no step is cached.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Most steps this cache can hold.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Forgets all steps after the first `len` (no-op if `len >= self.len()`); the next step is
    /// then step `len` again. `truncate(0)` starts a new episode.
    pub fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }
}

impl FastPolicy {
    /// Builds the policy of `config` from its named weights (see [`NamedTensors`] for the
    /// names and shapes). Every tensor must be present with its exact shape and finite values.
    pub fn from_named(config: &PolicyConfig, t: &NamedTensors) -> Result<Self, ModelError> {
        config.validate()?;
        let dm = config.d_model;
        let time = match config.time_embedding {
            TimeEmbedding::Learned => take(t, "time_table", &[config.max_history, dm])?,
            TimeEmbedding::Sinusoidal => sinusoidal_table(config.max_history, dm),
            TimeEmbedding::Progress => Vec::new(),
        };
        let progress_freq = match config.time_embedding {
            TimeEmbedding::Progress => progress_frequencies(dm, config.max_history),
            _ => Vec::new(),
        };
        let eps = config.layer_norm_eps;
        let layers = (0..config.n_layers)
            .map(|l| {
                let p = |name: &str| format!("blocks.{l}.{name}");
                Ok(Layer {
                    norm_attn: Norm::from_named(t, &p("norm_attn"), dm, eps)?,
                    qkv: Dense::from_named(t, &p("qkv"), dm, 3 * dm)?,
                    attn_out: Dense::from_named(t, &p("attn_out"), dm, dm)?,
                    norm_ff: Norm::from_named(t, &p("norm_ff"), dm, eps)?,
                    ff_in: Dense::from_named(t, &p("ff_in"), dm, config.d_ff)?,
                    ff_out: Dense::from_named(t, &p("ff_out"), config.d_ff, dm)?,
                    mix: config
                        .cross_coordinate_mixing
                        .then(|| Dense::from_named(t, &p("mix"), dm, dm))
                        .transpose()?,
                })
            })
            .collect::<Result<Vec<_>, ModelError>>()?;
        let mean = Dense::from_named(t, "mean_head", dm, 1)?;
        let value = Dense::from_named(t, "value_head", dm, 1)?;
        let log_std = take(t, "log_std", &[1])?;
        let expected = Self::expected_names(config);
        if let Some(extra) = t.keys().find(|k| !expected.contains(k.as_str())) {
            return Err(ModelError::InvalidConfig {
                reason: format!(
                    "the weights hold a tensor `{extra}` that this config has no use for"
                ),
            });
        }
        Ok(Self {
            config: config.clone(),
            d_model: dm,
            n_heads: config.n_heads,
            d_ff: config.d_ff,
            n_features: config.n_features,
            max_history: config.max_history,
            embed: Dense::from_named(t, "embed", config.n_features, dm)?,
            time,
            progress_freq,
            layers,
            norm_out: Norm::from_named(t, "norm_out", dm, eps)?,
            mean_b: mean.b[0],
            mean_w: mean.w,
            value_b: value.b[0],
            value_w: value.w,
            log_std: log_std[0],
            parallel_min_rows: DEFAULT_PARALLEL_MIN_ROWS,
        })
    }

    fn expected_names(config: &PolicyConfig) -> std::collections::BTreeSet<String> {
        let mut names: std::collections::BTreeSet<String> = [
            "embed.weight",
            "embed.bias",
            "norm_out.gamma",
            "norm_out.beta",
            "mean_head.weight",
            "mean_head.bias",
            "value_head.weight",
            "value_head.bias",
            "log_std",
        ]
        .into_iter()
        .map(String::from)
        .collect();
        if config.time_embedding == TimeEmbedding::Learned {
            names.insert("time_table".into());
        }
        for l in 0..config.n_layers {
            let mut parts = vec![
                "norm_attn.gamma",
                "norm_attn.beta",
                "norm_ff.gamma",
                "norm_ff.beta",
            ];
            for lin in ["qkv", "attn_out", "ff_in", "ff_out"] {
                names.insert(format!("blocks.{l}.{lin}.weight"));
                names.insert(format!("blocks.{l}.{lin}.bias"));
            }
            if config.cross_coordinate_mixing {
                parts.extend(["mix.weight", "mix.bias"]);
            }
            for part in parts {
                names.insert(format!("blocks.{l}.{part}"));
            }
        }
        names
    }

    /// The weights as named tensors (the inverse of [`from_named`](Self::from_named)).
    pub fn to_named(&self) -> NamedTensors {
        let mut t = NamedTensors::new();
        let dm = self.d_model;
        self.embed.put(&mut t, "embed");
        if self.config.time_embedding == TimeEmbedding::Learned {
            t.insert(
                "time_table".into(),
                (vec![self.max_history, dm], self.time.clone()),
            );
        }
        for (l, layer) in self.layers.iter().enumerate() {
            let p = |name: &str| format!("blocks.{l}.{name}");
            layer.norm_attn.put(&mut t, &p("norm_attn"));
            layer.qkv.put(&mut t, &p("qkv"));
            layer.attn_out.put(&mut t, &p("attn_out"));
            layer.norm_ff.put(&mut t, &p("norm_ff"));
            layer.ff_in.put(&mut t, &p("ff_in"));
            layer.ff_out.put(&mut t, &p("ff_out"));
            if let Some(mix) = &layer.mix {
                mix.put(&mut t, &p("mix"));
            }
        }
        self.norm_out.put(&mut t, "norm_out");
        t.insert(
            "mean_head.weight".into(),
            (vec![dm, 1], self.mean_w.clone()),
        );
        t.insert("mean_head.bias".into(), (vec![1], vec![self.mean_b]));
        t.insert(
            "value_head.weight".into(),
            (vec![dm, 1], self.value_w.clone()),
        );
        t.insert("value_head.bias".into(), (vec![1], vec![self.value_b]));
        t.insert("log_std".into(), (vec![1], vec![self.log_std]));
        t
    }

    /// The policy's hyperparameters (including its featurisation).
    pub fn config(&self) -> &PolicyConfig {
        &self.config
    }

    /// Sets from how many rows (`batch·d`) a step runs in parallel over rayon's threads
    /// (`usize::MAX`: never).
    pub fn with_parallel_min_rows(mut self, rows: usize) -> Self {
        self.parallel_min_rows = rows;
        self
    }

    /// The learned log standard deviation (the policy acts with the mean at test time).
    pub fn log_std(&self) -> f32 {
        self.log_std
    }

    /// Features per token.
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// An empty cache for `batch` functions of `d` coordinates holding up to `max_history` steps.
    pub fn new_cache(&self, batch: usize, d: usize) -> Result<FastCache, ModelError> {
        self.new_cache_with_capacity(batch, d, self.max_history)
    }

    /// An empty cache holding up to `capacity ≤ max_history` steps (memory is
    /// `batch·d·n_layers·2·capacity·d_model` floats).
    pub fn new_cache_with_capacity(
        &self,
        batch: usize,
        d: usize,
        capacity: usize,
    ) -> Result<FastCache, ModelError> {
        if batch == 0 || d == 0 || capacity == 0 {
            return Err(ModelError::Empty {
                what: "cache batch, dimension or capacity",
            });
        }
        if capacity > self.max_history {
            return Err(ModelError::HistoryTooLong {
                len: capacity,
                max: self.max_history,
            });
        }
        let dm = self.d_model;
        let row = Row {
            h: vec![0.0; dm],
            kv: vec![0.0; self.layers.len() * 2 * capacity * dm],
            a: vec![0.0; dm],
            qkv: vec![0.0; 3 * dm],
            ctx: vec![0.0; dm],
            ff: vec![0.0; self.d_ff],
            scores: vec![0.0; self.n_heads * capacity],
        };
        Ok(FastCache {
            batch,
            d,
            len: 0,
            capacity,
            rows: vec![row; batch * d],
            pooled: vec![0.0; batch * dm],
            mixed: vec![0.0; batch * dm],
        })
    }

    /// One inference step: `token` holds step `cache.len()` of every function, layout
    /// `[batch][d][n_features]`; writes the mean of `u = ln η` into `mean` (`[batch][d]`) and
    /// the critic value into `value` (`[batch]`). Allocation-free; the cache only changes on
    /// success.
    pub fn step(
        &self,
        cache: &mut FastCache,
        token: &[f32],
        mean: &mut [f32],
        value: &mut [f32],
    ) -> Result<(), ModelError> {
        let n = cache.batch * cache.d;
        if token.len() != n * self.n_features {
            return Err(if token.len().is_multiple_of(self.n_features) {
                ModelError::DimensionMismatch {
                    what: "token rows (batch·d) of token and cache",
                    expected: n,
                    got: token.len() / self.n_features,
                }
            } else {
                ModelError::FeatureWidth {
                    expected: self.n_features,
                    got: token.len(),
                }
            });
        }
        check_len("mean output (batch·d)", n, mean.len())?;
        check_len("value output (batch)", cache.batch, value.len())?;
        if !token.iter().all(|v| v.is_finite()) {
            return Err(ModelError::NonFinite {
                what: "policy input features",
            });
        }
        check_len(
            "cache rows",
            cache.batch * cache.d,
            cache.rows.len(), // a cache from another policy would differ here
        )?;
        if cache.rows.first().map(|r| r.kv.len())
            != Some(self.layers.len() * 2 * cache.capacity * self.d_model)
        {
            return Err(ModelError::DimensionMismatch {
                what: "cache layout (made by a different policy)",
                expected: self.layers.len() * 2 * cache.capacity * self.d_model,
                got: cache.rows.first().map_or(0, |r| r.kv.len()),
            });
        }
        let t = cache.len;
        if t >= cache.capacity {
            return Err(ModelError::HistoryTooLong {
                len: t + 1,
                max: cache.capacity,
            });
        }
        let parallel = n >= self.parallel_min_rows;
        let cap = cache.capacity;
        let embed = |row: &mut Row, tok: &[f32]| {
            self.embed.apply(tok, &mut row.h);
            if self.progress_freq.is_empty() {
                let time = &self.time[t * self.d_model..(t + 1) * self.d_model];
                for (h, e) in row.h.iter_mut().zip(time) {
                    *h += e;
                }
            } else {
                add_progress_embedding(&self.progress_freq, tok[feature::PROGRESS], &mut row.h);
            }
        };
        let nf = self.n_features;
        let has_mix = self.layers.iter().any(|l| l.mix.is_some());
        if has_mix {
            for_rows(parallel, &mut cache.rows, token, nf, |row, tok| {
                embed(row, tok)
            });
            for (l, layer) in self.layers.iter().enumerate() {
                for_rows(parallel, &mut cache.rows, token, nf, |row, _| {
                    self.block_step(l, layer, row, t, cap)
                });
                if let Some(mix) = &layer.mix {
                    mix_rows(mix, cache, self.d_model);
                }
            }
        } else {
            for_rows(parallel, &mut cache.rows, token, nf, |row, tok| {
                embed(row, tok);
                for (l, layer) in self.layers.iter().enumerate() {
                    self.block_step(l, layer, row, t, cap);
                }
            });
        }
        // Heads.
        let d = cache.d;
        for (b, rows) in cache.rows.chunks_exact_mut(d).enumerate() {
            let mut v_sum = 0.0_f32;
            for (i, row) in rows.iter_mut().enumerate() {
                self.norm_out.apply(&row.h, &mut row.a);
                mean[b * d + i] = self.mean_b + dot(&self.mean_w, &row.a);
                v_sum += self.value_b + dot(&self.value_w, &row.a);
            }
            value[b] = v_sum / d as f32;
        }
        cache.len = t + 1;
        Ok(())
    }

    /// One block for one row at step `t`: writes this step's key and value into the row's cache
    /// and updates its hidden vector.
    #[inline]
    fn block_step(&self, l: usize, layer: &Layer, row: &mut Row, t: usize, cap: usize) {
        let dm = self.d_model;
        let heads = self.n_heads;
        let dh = dm / heads;
        let scale = 1.0 / (dh as f32).sqrt();
        layer.norm_attn.apply(&row.h, &mut row.a);
        layer.qkv.apply(&row.a, &mut row.qkv);
        let kv = &mut row.kv[l * 2 * cap * dm..(l + 1) * 2 * cap * dm];
        // Keys are stored transposed, `[d_model][capacity]`, so that the scores of all cached
        // steps are contiguous multiply-adds; values row-major, `[capacity][d_model]`.
        let (keys_t, values) = kv.split_at_mut(cap * dm);
        for (j, k) in row.qkv[dm..2 * dm].iter().enumerate() {
            keys_t[j * cap + t] = *k;
        }
        values[t * dm..(t + 1) * dm].copy_from_slice(&row.qkv[2 * dm..3 * dm]);
        let q = &row.qkv[..dm];
        // Scores, [head][step].
        for hh in 0..heads {
            let s = &mut row.scores[hh * cap..hh * cap + t + 1];
            s.fill(0.0);
            for j in hh * dh..(hh + 1) * dh {
                let qj = q[j] * scale;
                for (sv, k) in s.iter_mut().zip(&keys_t[j * cap..j * cap + t + 1]) {
                    *sv += qj * k;
                }
            }
        }
        // Softmax per head.
        for hh in 0..heads {
            let s = &mut row.scores[hh * cap..hh * cap + t + 1];
            let max = s.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
            let mut sum = 0.0;
            for v in s.iter_mut() {
                *v = (*v - max).exp();
                sum += *v;
            }
            let inv = 1.0 / sum;
            for v in s.iter_mut() {
                *v *= inv;
            }
        }
        // Context = Σ_r p_r v_r per head.
        row.ctx.fill(0.0);
        for (r, val) in values[..(t + 1) * dm].chunks_exact(dm).enumerate() {
            for hh in 0..heads {
                let p = row.scores[hh * cap + r];
                let c = &mut row.ctx[hh * dh..(hh + 1) * dh];
                for (c, v) in c.iter_mut().zip(&val[hh * dh..(hh + 1) * dh]) {
                    *c += p * v;
                }
            }
        }
        layer.attn_out.apply_add(&row.ctx, &mut row.h);
        layer.norm_ff.apply(&row.h, &mut row.a);
        layer.ff_in.apply(&row.a, &mut row.ff);
        for v in row.ff.iter_mut() {
            *v = gelu_tanh(*v);
        }
        layer.ff_out.apply_add(&row.ff, &mut row.h);
    }
}

/// Runs `f` on every row with its token (`nf` floats each), in parallel when asked.
fn for_rows<F>(parallel: bool, rows: &mut [Row], token: &[f32], nf: usize, f: F)
where
    F: Fn(&mut Row, &[f32]) + Sync + Send,
{
    if parallel {
        rows.par_iter_mut()
            .zip(token.par_chunks_exact(nf))
            .for_each(|(row, tok)| f(row, tok));
    } else {
        rows.iter_mut()
            .zip(token.chunks_exact(nf))
            .for_each(|(row, tok)| f(row, tok));
    }
}

/// Adds `Linear(mean over the function's coordinates of h)` to every row's `h`.
fn mix_rows(mix: &Dense, cache: &mut FastCache, dm: usize) {
    let d = cache.d;
    for (b, rows) in cache.rows.chunks_exact(d).enumerate() {
        let pooled = &mut cache.pooled[b * dm..(b + 1) * dm];
        pooled.fill(0.0);
        for row in rows {
            for (p, h) in pooled.iter_mut().zip(&row.h) {
                *p += h;
            }
        }
        let inv = 1.0 / d as f32;
        pooled.iter_mut().for_each(|p| *p *= inv);
        mix.apply(pooled, &mut cache.mixed[b * dm..(b + 1) * dm]);
    }
    for (b, rows) in cache.rows.chunks_exact_mut(d).enumerate() {
        let m = &cache.mixed[b * dm..(b + 1) * dm];
        for row in rows {
            for (h, v) in row.h.iter_mut().zip(m) {
                *h += v;
            }
        }
    }
}

/// `h += [sin(ω·p), cos(ω·p)]` (the [`TimeEmbedding::Progress`] channels), as the burn module
/// computes it: the angle in f32, its sine and cosine in f64 rounded to f32.
#[inline]
fn add_progress_embedding(freq: &[f32], p: f32, h: &mut [f32]) {
    let (sin, cos) = h.split_at_mut(freq.len());
    for ((s, c), w) in sin.iter_mut().zip(cos.iter_mut()).zip(freq) {
        let a = f64::from(p * w);
        *s += a.sin() as f32;
        *c += a.cos() as f32;
    }
}

#[inline]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// burn's `gelu_approximate`, `0.5·x·(1 + tanh(y))` with `y = √(2/π)·(x + 0.044715·x³)`,
/// computed as the equal `x / (1 + exp(−2y))` (one `exp` instead of a much slower `tanh`).
#[inline]
fn gelu_tanh(x: f32) -> f32 {
    const TWO_SQRT_2_OVER_PI: f32 = 2.0 * 0.797_884_6;
    x / (1.0 + (-TWO_SQRT_2_OVER_PI * (x + 0.044_715 * x * x * x)).exp())
}

/// The sinusoidal time table, `len` rows of `d_model` (row-major):
/// `PE[s, 2i] = sin(s / 10000^(2i/d_model))`, `PE[s, 2i+1] = cos(…)`.
pub fn sinusoidal_table(len: usize, d_model: usize) -> Vec<f32> {
    let mut out = vec![0.0_f32; len * d_model];
    for s in 0..len {
        for j in 0..d_model {
            let freq = 10000_f64.powf(-((j - j % 2) as f64) / d_model as f64);
            let angle = s as f64 * freq;
            out[s * d_model + j] = if j % 2 == 0 { angle.sin() } else { angle.cos() } as f32;
        }
    }
    out
}
