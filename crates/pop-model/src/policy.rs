//! The transformer policy (pop-method §4) in burn: causal self-attention over time per
//! coordinate, weights shared by all coordinates, optional cross-coordinate mixing, a Gaussian
//! head over `u = ln η` and a critic.
//!
//! The full-sequence path ([`Policy::forward`]) and the incremental path ([`Policy::step`]) run
//! the same block code: the full path attends under a causal mask, the incremental one appends
//! the new key and value to a [`PolicyCache`] and attends to all of it.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::nn::{Dropout, DropoutConfig, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::activation::{gelu_approximate, softmax};
use burn::tensor::{Bool, Tensor, TensorData, backend::Backend};

use pop_optim::pop::features::feature;
use pop_optim::pop::{
    PolicyConfig, PolicyError as ModelError, TimeEmbedding, progress_frequencies, sinusoidal_table,
};

/// Score given to masked (future) positions before the softmax; `exp` of it is exactly 0 in f32.
const MASKED_SCORE: f32 = -1.0e9;

/// One pre-norm transformer block: `h += Attn(LN(h))`, `h += FF(LN(h))`, then optionally
/// `h += Linear(mean over coordinates of h)`.
#[derive(Module, Debug)]
pub struct Block<B: Backend> {
    /// Layer norm before attention.
    pub norm_attn: LayerNorm<B>,
    /// Fused query, key and value projection, `d_model → 3·d_model` (in that order).
    pub qkv: Linear<B>,
    /// Output projection of attention.
    pub attn_out: Linear<B>,
    /// Layer norm before the feed-forward layer.
    pub norm_ff: LayerNorm<B>,
    /// Feed-forward input, `d_model → d_ff`.
    pub ff_in: Linear<B>,
    /// Feed-forward output, `d_ff → d_model`.
    pub ff_out: Linear<B>,
    /// Cross-coordinate mixing (present when `cross_coordinate_mixing`).
    pub mix: Option<Linear<B>>,
    /// Dropout after attention and feed-forward.
    pub dropout: Dropout,
    /// Number of heads.
    pub n_heads: usize,
}

/// Keys and values of one block for every step seen so far, `[B·d, n_heads, t, d_head]` each.
#[derive(Clone, Debug)]
pub struct KeyValue<B: Backend> {
    /// Keys.
    pub key: Tensor<B, 4>,
    /// Values.
    pub value: Tensor<B, 4>,
}

impl<B: Backend> Block<B> {
    /// Runs the block on `t` new steps `h: [B·d, t, d_model]`, attending to `past` (earlier
    /// steps) and to the new steps themselves. `mask` (`[B·d, n_heads, t, t_total]`, `true` =
    /// hidden) makes the full path causal; the incremental path (`t = 1`) needs none. Returns
    /// the new hidden states and the keys and values of all steps.
    pub fn forward(
        &self,
        h: Tensor<B, 3>,
        past: Option<&KeyValue<B>>,
        mask: Option<Tensor<B, 4, Bool>>,
        batch: usize,
    ) -> (Tensor<B, 3>, KeyValue<B>) {
        let [n, t, dm] = h.dims();
        let heads = self.n_heads;
        let dh = dm / heads;
        let a = self.norm_attn.forward(h.clone());
        let qkv = self.qkv.forward(a);
        let split = |x: Tensor<B, 3>| x.reshape([n, t, heads, dh]).swap_dims(1, 2);
        let q = split(qkv.clone().narrow(2, 0, dm));
        let k = split(qkv.clone().narrow(2, dm, dm));
        let v = split(qkv.narrow(2, 2 * dm, dm));
        let (k, v) = match past {
            Some(kv) => (
                Tensor::cat(vec![kv.key.clone(), k], 2),
                Tensor::cat(vec![kv.value.clone(), v], 2),
            ),
            None => (k, v),
        };
        let scores = q
            .matmul(k.clone().swap_dims(2, 3))
            .mul_scalar(1.0 / (dh as f64).sqrt());
        let scores = match mask {
            Some(m) => scores.mask_fill(m, MASKED_SCORE),
            None => scores,
        };
        let weights = softmax(scores, 3);
        let ctx = weights
            .matmul(v.clone())
            .swap_dims(1, 2)
            .reshape([n, t, dm]);
        let h = h + self.dropout.forward(self.attn_out.forward(ctx));
        let b = self.norm_ff.forward(h.clone());
        let ff = self.ff_out.forward(gelu_approximate(self.ff_in.forward(b)));
        let h = h + self.dropout.forward(ff);
        let h = match &self.mix {
            Some(mix) => {
                let d = n / batch;
                let h4 = h.reshape([batch, d, t, dm]);
                let pooled = mix.forward(h4.clone().mean_dim(1));
                (h4 + pooled).reshape([n, t, dm])
            }
            None => h,
        };
        (h, KeyValue { key: k, value: v })
    }
}

/// The POP policy network. Build it with [`PolicyConfig::init`]; run whole sequences with
/// [`forward`](Self::forward) (training) or one step at a time with [`step`](Self::step)
/// (inference, O(t) per step).
#[derive(Module, Debug)]
pub struct Policy<B: Backend> {
    /// Token embedding, `n_features → d_model`.
    pub embed: Linear<B>,
    /// Learned time embedding `[max_history, d_model]` (absent for sinusoidal embeddings).
    pub time_table: Option<Param<Tensor<B, 2>>>,
    /// The transformer blocks.
    pub blocks: Vec<Block<B>>,
    /// Final layer norm before the heads.
    pub norm_out: LayerNorm<B>,
    /// Mean of the Gaussian over `u = ln η`, `d_model → 1` per token.
    pub mean_head: Linear<B>,
    /// Critic, `d_model → 1` per token, averaged over the coordinates of a function.
    pub value_head: Linear<B>,
    /// The learned log standard deviation of the Gaussian (one scalar, shape `[1]`).
    pub log_std: Param<Tensor<B, 1>>,
    /// The hyperparameters this network was built from.
    #[module(skip)]
    pub config: PolicyConfig,
}

/// Output of [`Policy::forward`].
#[derive(Clone, Debug)]
pub struct PolicyOutput<B: Backend> {
    /// Mean of `u = ln η` per function, coordinate and step, `[B, d, T]`.
    pub mean: Tensor<B, 3>,
    /// Log standard deviation of `u`, the learned scalar broadcast to `[B, d, T]`.
    pub log_std: Tensor<B, 3>,
    /// Critic value per function and step, `[B, T]`.
    pub value: Tensor<B, 2>,
}

/// Key/value cache of [`Policy::step`] for a batch of `batch` functions with `d` coordinates.
#[derive(Clone, Debug)]
pub struct PolicyCache<B: Backend> {
    batch: usize,
    d: usize,
    len: usize,
    layers: Vec<Option<KeyValue<B>>>,
}

impl<B: Backend> PolicyCache<B> {
    /// Number of functions in the batch.
    pub fn batch(&self) -> usize {
        self.batch
    }

    /// Number of coordinates per function.
    pub fn dim(&self) -> usize {
        self.d
    }

    /// Number of steps cached.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no step was cached yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Forgets every cached step (for a new episode with the same shape).
    pub fn reset(&mut self) {
        self.len = 0;
        self.layers.iter_mut().for_each(|l| *l = None);
    }
}

/// Builds the burn module of a [`PolicyConfig`] (the config itself lives in `pop-optim`, which
/// has no burn): `PolicyConfig::small(16, 1, 2).init::<CpuBackend>(&device)`.
pub trait PolicyInit {
    /// Builds a freshly initialised policy on `device` (burn's initialisers; seed the backend
    /// with `B::seed` for reproducible weights).
    fn init<B: Backend>(&self, device: &B::Device) -> Result<Policy<B>, ModelError>;
}

impl PolicyInit for PolicyConfig {
    fn init<B: Backend>(&self, device: &B::Device) -> Result<Policy<B>, ModelError> {
        self.validate()?;
        let dm = self.d_model;
        let block = || Block {
            norm_attn: LayerNormConfig::new(dm)
                .with_epsilon(self.layer_norm_eps)
                .init(device),
            qkv: LinearConfig::new(dm, 3 * dm).init(device),
            attn_out: LinearConfig::new(dm, dm).init(device),
            norm_ff: LayerNormConfig::new(dm)
                .with_epsilon(self.layer_norm_eps)
                .init(device),
            ff_in: LinearConfig::new(dm, self.d_ff).init(device),
            ff_out: LinearConfig::new(self.d_ff, dm).init(device),
            mix: self
                .cross_coordinate_mixing
                .then(|| LinearConfig::new(dm, dm).init(device)),
            dropout: DropoutConfig::new(self.dropout).init(),
            n_heads: self.n_heads,
        };
        let time_table = match self.time_embedding {
            TimeEmbedding::Learned => Some(Param::from_tensor(
                Tensor::<B, 2>::random(
                    [self.max_history, dm],
                    burn::tensor::Distribution::Normal(0.0, 0.02),
                    device,
                )
                .require_grad(),
            )),
            TimeEmbedding::Sinusoidal | TimeEmbedding::Progress => None,
        };
        let mut mean_head = LinearConfig::new(dm, 1).init(device);
        mean_head.bias = Some(Param::from_tensor(
            Tensor::<B, 1>::full([1], self.init_mean_bias, device).require_grad(),
        ));
        let policy = Policy {
            embed: LinearConfig::new(self.n_features, dm).init(device),
            time_table,
            blocks: (0..self.n_layers).map(|_| block()).collect(),
            norm_out: LayerNormConfig::new(dm)
                .with_epsilon(self.layer_norm_eps)
                .init(device),
            mean_head,
            value_head: LinearConfig::new(dm, 1).init(device),
            log_std: Param::from_tensor(
                Tensor::<B, 1>::full([1], self.init_log_std, device).require_grad(),
            ),
            config: self.clone(),
        };
        // burn initialises parameters lazily, and a clone of a not-yet-initialised parameter
        // draws its own values: materialise everything now so that clones (saving, PPO's old
        // policy, FastPolicy export) all hold the same weights.
        policy.visit(&mut Materialize);
        // burn draws parameter ids at random; the checkpoint records them (the optimizer state
        // refers to them), so number them in visiting order instead: the same run then writes
        // the same checkpoint bytes.
        let policy = policy.map(&mut NumberParams(0));
        Ok(policy)
    }
}

/// Gives the parameters the ids 0, 1, 2, … in visiting order.
struct NumberParams(u64);

impl<B: Backend> ModuleMapper<B> for NumberParams {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
        let (_, tensor, mapper) = param.consume();
        let id = ParamId::from(self.0);
        self.0 += 1;
        Param::from_mapped_value(id, tensor, mapper)
    }
}

/// Forces burn's lazy parameter initialisation.
struct Materialize;

impl<B: Backend> ModuleVisitor<B> for Materialize {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        let _ = param.val();
    }
}

impl<B: Backend> Policy<B> {
    /// The hyperparameters.
    pub fn config(&self) -> &PolicyConfig {
        &self.config
    }

    /// An empty cache for [`step`](Self::step) over `batch` functions of `d` coordinates.
    pub fn new_cache(&self, batch: usize, d: usize) -> Result<PolicyCache<B>, ModelError> {
        if batch == 0 || d == 0 {
            return Err(ModelError::Empty {
                what: "cache batch or dimension",
            });
        }
        Ok(PolicyCache {
            batch,
            d,
            len: 0,
            layers: vec![None; self.blocks.len()],
        })
    }

    /// The time embedding of steps `start..start + len`, `[len, d_model]`.
    fn time_rows(&self, start: usize, len: usize, device: &B::Device) -> Tensor<B, 2> {
        match &self.time_table {
            Some(table) => table.val().narrow(0, start, len),
            None => {
                let dm = self.config.d_model;
                let all = sinusoidal_table(start + len, dm);
                let rows = all[start * dm..].to_vec();
                Tensor::from_data(TensorData::new(rows, [len, dm]), device)
            }
        }
    }

    /// Token embedding plus time embedding of `x: [B·d, t, F]` whose first step is `start`.
    fn embed_tokens(&self, x: Tensor<B, 3>, start: usize) -> Tensor<B, 3> {
        let [n, t, _] = x.dims();
        if self.config.time_embedding == TimeEmbedding::Progress {
            // [sin(ω·p), cos(ω·p)] of the token's progress feature p = s/T.
            let freq = progress_frequencies(self.config.d_model, self.config.max_history);
            let half = freq.len();
            let device = x.device();
            let omega = Tensor::<B, 3>::from_data(TensorData::new(freq, [1, 1, half]), &device);
            let p = x.clone().narrow(2, feature::PROGRESS, 1).detach();
            let angle = p.expand([n, t, half]) * omega.expand([n, t, half]);
            let time = Tensor::cat(vec![angle.clone().sin(), angle.cos()], 2);
            return self.embed.forward(x) + time;
        }
        let time = self.time_rows(start, t, &x.device());
        self.embed.forward(x) + time.unsqueeze::<3>()
    }

    /// Heads on the final hidden states `h: [B·d, t, d_model]`: mean `[B, d, t]` and value
    /// `[B, t]`.
    fn heads(&self, h: Tensor<B, 3>, batch: usize, d: usize) -> (Tensor<B, 3>, Tensor<B, 2>) {
        let t = h.dims()[1];
        let h = self.norm_out.forward(h);
        let mean = self.mean_head.forward(h.clone()).reshape([batch, d, t]);
        let value = self
            .value_head
            .forward(h)
            .reshape([batch, d, t])
            .mean_dim(1)
            .reshape([batch, t]);
        (mean, value)
    }

    /// Checks the width, emptiness and finiteness of an input whose last axis holds features.
    fn check_input<const D: usize>(&self, x: &Tensor<B, D>) -> Result<(), ModelError> {
        let dims = x.dims();
        let width = dims[D - 1];
        if width != self.config.n_features {
            return Err(ModelError::FeatureWidth {
                expected: self.config.n_features,
                got: width,
            });
        }
        if dims.contains(&0) {
            return Err(ModelError::Empty {
                what: "policy input (a zero-sized axis)",
            });
        }
        // x − x is 0 for finite entries and NaN otherwise; one NaN makes the sum NaN.
        let probe = (x.clone() - x.clone()).sum().detach();
        let data = probe
            .try_into_data()
            .map_err(|e| ModelError::TensorData {
                reason: format!("{e:?}"),
            })?
            .convert::<f32>();
        let sum = data.to_vec::<f32>().map_err(|e| ModelError::TensorData {
            reason: format!("{e:?}"),
        })?;
        if sum.iter().all(|v| v.is_finite()) {
            Ok(())
        } else {
            Err(ModelError::NonFinite {
                what: "policy input features",
            })
        }
    }

    /// The full causal forward pass over `features: [B, d, T, F]` (training and evaluation of
    /// whole trajectories). Output `t` depends on steps `0..=t` only.
    pub fn forward(&self, features: Tensor<B, 4>) -> Result<PolicyOutput<B>, ModelError> {
        let (out, _) = self.forward_inner(features, false)?;
        Ok(out)
    }

    /// [`forward`](Self::forward), also returning a cache filled with every step, so that
    /// [`step`](Self::step) can continue the sequence (prefill).
    pub fn forward_with_cache(
        &self,
        features: Tensor<B, 4>,
    ) -> Result<(PolicyOutput<B>, PolicyCache<B>), ModelError> {
        let (out, cache) = self.forward_inner(features, true)?;
        match cache {
            Some(cache) => Ok((out, cache)),
            None => Err(ModelError::Empty {
                what: "cache (internal: not produced)",
            }),
        }
    }

    fn forward_inner(
        &self,
        features: Tensor<B, 4>,
        keep_cache: bool,
    ) -> Result<(PolicyOutput<B>, Option<PolicyCache<B>>), ModelError> {
        self.check_input(&features)?;
        let [batch, d, t, f] = features.dims();
        if t > self.config.max_history {
            return Err(ModelError::HistoryTooLong {
                len: t,
                max: self.config.max_history,
            });
        }
        let device = features.device();
        let n = batch * d;
        let heads = self.config.n_heads;
        let mut h = self.embed_tokens(features.reshape([n, t, f]), 0);
        let mask = Tensor::<B, 2, Bool>::tril_mask([t, t], 0, &device)
            .unsqueeze::<4>()
            .expand([n, heads, t, t]);
        let mut layers = Vec::with_capacity(self.blocks.len());
        for block in &self.blocks {
            let (next, kv) = block.forward(h, None, Some(mask.clone()), batch);
            h = next;
            if keep_cache {
                layers.push(Some(kv));
            }
        }
        let (mean, value) = self.heads(h, batch, d);
        let log_std = self.log_std.val().reshape([1, 1, 1]).expand([batch, d, t]);
        let cache = keep_cache.then_some(PolicyCache {
            batch,
            d,
            len: t,
            layers,
        });
        Ok((
            PolicyOutput {
                mean,
                log_std,
                value,
            },
            cache,
        ))
    }

    /// One incremental step: `token: [B, d, F]` is step `cache.len()` of every function.
    /// Returns the mean of `u = ln η`, `[B, d]`, and the critic value, `[B]`, equal (within
    /// float tolerance) to the last step of [`forward`](Self::forward) on the whole history.
    /// The cache is only changed on success.
    pub fn step(
        &self,
        cache: &mut PolicyCache<B>,
        token: Tensor<B, 3>,
    ) -> Result<(Tensor<B, 2>, Tensor<B, 1>), ModelError> {
        self.check_input(&token)?;
        let [batch, d, f] = token.dims();
        if batch != cache.batch {
            return Err(ModelError::DimensionMismatch {
                what: "batch size of token and cache",
                expected: cache.batch,
                got: batch,
            });
        }
        if d != cache.d {
            return Err(ModelError::DimensionMismatch {
                what: "coordinates (d) of token and cache",
                expected: cache.d,
                got: d,
            });
        }
        if cache.layers.len() != self.blocks.len() {
            return Err(ModelError::DimensionMismatch {
                what: "layers of cache and policy",
                expected: self.blocks.len(),
                got: cache.layers.len(),
            });
        }
        let t = cache.len;
        if t >= self.config.max_history {
            return Err(ModelError::HistoryTooLong {
                len: t + 1,
                max: self.config.max_history,
            });
        }
        let n = batch * d;
        let mut h = self.embed_tokens(token.reshape([n, 1, f]), t);
        let mut new_layers = Vec::with_capacity(self.blocks.len());
        for (block, past) in self.blocks.iter().zip(&cache.layers) {
            let (next, kv) = block.forward(h, past.as_ref(), None, batch);
            h = next;
            new_layers.push(Some(kv));
        }
        let (mean, value) = self.heads(h, batch, d);
        cache.layers = new_layers;
        cache.len = t + 1;
        Ok((mean.reshape([batch, d]), value.reshape([batch])))
    }
}
