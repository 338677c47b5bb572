//! Hand-written forward and backward passes of the policy over whole sequences, in plain f32:
//! the training-side twin of [`FastPolicy`](pop_optim::pop::FastPolicy) (same math as
//! [`Policy::forward`], tested equal, and its gradients tested equal to burn's autodiff).
//!
//! burn-ndarray runs this small network at a few GFLOP/s at best: every operation allocates a
//! tensor and makes a pass over memory, and the autodiff graph adds its own work per operation.
//! Here one function's `d` coordinate sequences go through the network with fused loops (softmax,
//! layer norm and GELU in place, causal attention over the lower triangle only), and the caller
//! spreads functions over threads. [`SeqNet::forward`] keeps what the backward pass needs in a
//! [`FunctionTape`]; [`SeqNet::backward`] turns `∂L/∂mean` and `∂L/∂value` into parameter
//! gradients ([`SeqGrads`]), which [`register_gradients`] hands to a burn optimiser under the
//! module's parameter ids, so Adam, its state and the checkpoints stay burn's.
//!
//! Not supported: cross-coordinate mixing (the constructor refuses it) and dropout (training
//! requires it to be 0).

use burn::module::{Param, ParamId};
use burn::nn::{LayerNorm, Linear};
use burn::optim::GradientsParams;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{Tensor, TensorData};
use pop_optim::pop::features::feature;
use pop_optim::pop::{
    NamedTensors, PolicyConfig, PolicyError as ModelError, TimeEmbedding, progress_frequencies,
    sinusoidal_table,
};

use crate::export::named_tensors;
use crate::policy::Policy;

/// A linear layer `y = x·W + b`, `W` stored `[d_in][d_out]` row-major (burn's layout).
#[derive(Clone, Debug)]
struct Lin {
    w: Vec<f32>,
    b: Vec<f32>,
    d_in: usize,
    d_out: usize,
}

/// Layer-norm parameters.
#[derive(Clone, Debug)]
struct Ln {
    gamma: Vec<f32>,
    beta: Vec<f32>,
}

#[derive(Clone, Debug)]
struct LayerW {
    norm_attn: Ln,
    qkv: Lin,
    attn_out: Lin,
    norm_ff: Ln,
    ff_in: Lin,
    ff_out: Lin,
}

/// Every trainable tensor of the policy but `log_std` (weights, or their gradients).
#[derive(Clone, Debug)]
struct Weights {
    embed: Lin,
    /// The learned time table `[max_history][d_model]` (empty otherwise).
    time: Vec<f32>,
    layers: Vec<LayerW>,
    norm_out: Ln,
    mean_head: Lin,
    value_head: Lin,
}

fn take(t: &NamedTensors, name: &str, shape: &[usize]) -> Result<Vec<f32>, ModelError> {
    match t.get(name) {
        Some((s, v)) if s == shape && v.len() == shape.iter().product::<usize>() => Ok(v.clone()),
        Some((s, _)) => Err(ModelError::InvalidConfig {
            reason: format!("tensor `{name}` has shape {s:?}, the config needs {shape:?}"),
        }),
        None => Err(ModelError::InvalidConfig {
            reason: format!("the weights have no tensor `{name}` (expected shape {shape:?})"),
        }),
    }
}

impl Lin {
    fn from_named(
        t: &NamedTensors,
        p: &str,
        d_in: usize,
        d_out: usize,
    ) -> Result<Self, ModelError> {
        Ok(Self {
            w: take(t, &format!("{p}.weight"), &[d_in, d_out])?,
            b: take(t, &format!("{p}.bias"), &[d_out])?,
            d_in,
            d_out,
        })
    }

    fn zeros_like(&self) -> Self {
        Self {
            w: vec![0.0; self.w.len()],
            b: vec![0.0; self.b.len()],
            d_in: self.d_in,
            d_out: self.d_out,
        }
    }

    fn put(&self, t: &mut NamedTensors, p: &str) {
        t.insert(
            format!("{p}.weight"),
            (vec![self.d_in, self.d_out], self.w.clone()),
        );
        t.insert(format!("{p}.bias"), (vec![self.d_out], self.b.clone()));
    }

    fn add(&mut self, o: &Self) {
        add_to(&mut self.w, &o.w);
        add_to(&mut self.b, &o.b);
    }

    /// `y[r] = x[r]·W + b` for every row `r`.
    fn forward(&self, x: &[f32], y: &mut [f32]) {
        for (xr, yr) in x
            .chunks_exact(self.d_in)
            .zip(y.chunks_exact_mut(self.d_out))
        {
            yr.copy_from_slice(&self.b);
            accumulate_rows(xr, &self.w, yr);
        }
    }

    /// `y[r] += x[r]·W + b`.
    fn forward_add(&self, x: &[f32], y: &mut [f32]) {
        for (xr, yr) in x
            .chunks_exact(self.d_in)
            .zip(y.chunks_exact_mut(self.d_out))
        {
            add_to(yr, &self.b);
            accumulate_rows(xr, &self.w, yr);
        }
    }

    /// Accumulates `∂W += xᵀ·dy`, `∂b += Σ_r dy[r]` into `g`, and writes `dx = dy·Wᵀ` when asked.
    fn backward(&self, g: &mut Lin, x: &[f32], dy: &[f32], dx: Option<&mut [f32]>) {
        let (din, dout) = (self.d_in, self.d_out);
        // Four rows at a time: ∂W[k] += Σ_{r in block} x[r, k]·dy[r] (one load and store of
        // ∂W[k] per four multiply-adds).
        let xs = x.chunks_exact(4 * din);
        let dys = dy.chunks_exact(4 * dout);
        let (x_rest, dy_rest) = (xs.remainder(), dys.remainder());
        for (xb, dyb) in xs.zip(dys) {
            let (d0, rest) = dyb.split_at(dout);
            let (d1, rest) = rest.split_at(dout);
            let (d2, d3) = rest.split_at(dout);
            for (((gb, a), b), (c, e)) in g.b.iter_mut().zip(d0).zip(d1).zip(d2.iter().zip(d3)) {
                *gb += a + b + c + e;
            }
            for (k, gk) in g.w.chunks_exact_mut(dout).enumerate() {
                let (x0, x1, x2, x3) = (xb[k], xb[din + k], xb[2 * din + k], xb[3 * din + k]);
                for ((((gv, a), b), c), e) in gk.iter_mut().zip(d0).zip(d1).zip(d2).zip(d3) {
                    *gv += x0 * a + x1 * b + x2 * c + x3 * e;
                }
            }
        }
        for (xr, dyr) in x_rest.chunks_exact(din).zip(dy_rest.chunks_exact(dout)) {
            add_to(&mut g.b, dyr);
            for (xk, gk) in xr.iter().zip(g.w.chunks_exact_mut(dout)) {
                axpy(*xk, dyr, gk);
            }
        }
        if let Some(dx) = dx {
            for (dxr, dyr) in dx
                .chunks_exact_mut(self.d_in)
                .zip(dy.chunks_exact(self.d_out))
            {
                for (o, wk) in dxr.iter_mut().zip(self.w.chunks_exact(self.d_out)) {
                    *o = dot(dyr, wk);
                }
            }
        }
    }
}

impl Ln {
    fn from_named(t: &NamedTensors, p: &str, d: usize) -> Result<Self, ModelError> {
        Ok(Self {
            gamma: take(t, &format!("{p}.gamma"), &[d])?,
            beta: take(t, &format!("{p}.beta"), &[d])?,
        })
    }

    fn zeros_like(&self) -> Self {
        Self {
            gamma: vec![0.0; self.gamma.len()],
            beta: vec![0.0; self.beta.len()],
        }
    }

    fn put(&self, t: &mut NamedTensors, p: &str) {
        let d = self.gamma.len();
        t.insert(format!("{p}.gamma"), (vec![d], self.gamma.clone()));
        t.insert(format!("{p}.beta"), (vec![d], self.beta.clone()));
    }

    fn add(&mut self, o: &Self) {
        add_to(&mut self.gamma, &o.gamma);
        add_to(&mut self.beta, &o.beta);
    }

    /// Normalises every row of `x` (biased variance, as burn): writes `x̂` and `1/σ` to the tape
    /// and `y = x̂·γ + β`.
    fn forward(&self, eps: f32, x: &[f32], xhat: &mut [f32], rstd: &mut [f32], y: &mut [f32]) {
        let d = self.gamma.len();
        for (((xr, hr), yr), rs) in x
            .chunks_exact(d)
            .zip(xhat.chunks_exact_mut(d))
            .zip(y.chunks_exact_mut(d))
            .zip(rstd.iter_mut())
        {
            let n = d as f32;
            let mean = xr.iter().sum::<f32>() / n;
            let var = xr.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / n;
            let inv = 1.0 / (var + eps).sqrt();
            *rs = inv;
            for ((((h, yv), v), g), b) in hr
                .iter_mut()
                .zip(yr.iter_mut())
                .zip(xr)
                .zip(&self.gamma)
                .zip(&self.beta)
            {
                *h = (v - mean) * inv;
                *yv = *h * g + b;
            }
        }
    }

    /// Accumulates `∂γ`, `∂β` into `g` and adds `∂x` to `dx` for every row.
    fn backward(&self, g: &mut Ln, xhat: &[f32], rstd: &[f32], dy: &[f32], dx: &mut [f32]) {
        let d = self.gamma.len();
        let n = d as f32;
        let mut dxhat = vec![0.0_f32; d];
        for (((hr, dyr), dxr), rs) in xhat
            .chunks_exact(d)
            .zip(dy.chunks_exact(d))
            .zip(dx.chunks_exact_mut(d))
            .zip(rstd)
        {
            let (mut m1, mut m2) = (0.0_f32, 0.0_f32);
            for j in 0..d {
                g.gamma[j] += dyr[j] * hr[j];
                g.beta[j] += dyr[j];
                dxhat[j] = dyr[j] * self.gamma[j];
                m1 += dxhat[j];
                m2 += dxhat[j] * hr[j];
            }
            let (m1, m2) = (m1 / n, m2 / n);
            for j in 0..d {
                dxr[j] += rs * (dxhat[j] - m1 - hr[j] * m2);
            }
        }
    }
}

impl Weights {
    fn zeros_like(&self) -> Self {
        Self {
            embed: self.embed.zeros_like(),
            time: vec![0.0; self.time.len()],
            layers: self
                .layers
                .iter()
                .map(|l| LayerW {
                    norm_attn: l.norm_attn.zeros_like(),
                    qkv: l.qkv.zeros_like(),
                    attn_out: l.attn_out.zeros_like(),
                    norm_ff: l.norm_ff.zeros_like(),
                    ff_in: l.ff_in.zeros_like(),
                    ff_out: l.ff_out.zeros_like(),
                })
                .collect(),
            norm_out: self.norm_out.zeros_like(),
            mean_head: self.mean_head.zeros_like(),
            value_head: self.value_head.zeros_like(),
        }
    }

    fn add(&mut self, o: &Self) {
        self.embed.add(&o.embed);
        add_to(&mut self.time, &o.time);
        for (a, b) in self.layers.iter_mut().zip(&o.layers) {
            a.norm_attn.add(&b.norm_attn);
            a.qkv.add(&b.qkv);
            a.attn_out.add(&b.attn_out);
            a.norm_ff.add(&b.norm_ff);
            a.ff_in.add(&b.ff_in);
            a.ff_out.add(&b.ff_out);
        }
        self.norm_out.add(&o.norm_out);
        self.mean_head.add(&o.mean_head);
        self.value_head.add(&o.value_head);
    }

    fn put(&self, t: &mut NamedTensors, max_history: usize) {
        self.embed.put(t, "embed");
        if !self.time.is_empty() {
            let dm = self.time.len() / max_history.max(1);
            t.insert(
                "time_table".into(),
                (vec![max_history, dm], self.time.clone()),
            );
        }
        for (l, w) in self.layers.iter().enumerate() {
            let p = |n: &str| format!("blocks.{l}.{n}");
            w.norm_attn.put(t, &p("norm_attn"));
            w.qkv.put(t, &p("qkv"));
            w.attn_out.put(t, &p("attn_out"));
            w.norm_ff.put(t, &p("norm_ff"));
            w.ff_in.put(t, &p("ff_in"));
            w.ff_out.put(t, &p("ff_out"));
        }
        self.norm_out.put(t, "norm_out");
        self.mean_head.put(t, "mean_head");
        self.value_head.put(t, "value_head");
    }
}

/// Gradients of every parameter of the policy (the same names and shapes as its
/// [`NamedTensors`], `log_std` included), accumulated by [`SeqNet::backward`].
#[derive(Clone, Debug)]
pub struct SeqGrads {
    w: Weights,
    /// `∂L/∂log_std` (the caller's loss adds its own terms here).
    pub log_std: f32,
    max_history: usize,
}

impl SeqGrads {
    /// Adds `other` (of the same network) to these gradients.
    pub fn add(&mut self, other: &SeqGrads) {
        self.w.add(&other.w);
        self.log_std += other.log_std;
    }

    /// The gradients as named tensors (names as [`NamedTensors`], `log_std` of shape `[1]`).
    pub fn to_named(&self) -> NamedTensors {
        let mut t = NamedTensors::new();
        self.w.put(&mut t, self.max_history);
        t.insert("log_std".into(), (vec![1], vec![self.log_std]));
        t
    }
}

/// What [`SeqNet::backward`] needs of one coordinate's forward pass (and its scratch).
#[derive(Clone, Debug, Default)]
struct RowTape {
    h: Vec<f32>,
    head: Vec<f32>,
    layers: Vec<LayerTape>,
    xhat_out: Vec<f32>,
    rstd_out: Vec<f32>,
    a_out: Vec<f32>,
}

#[derive(Clone, Debug, Default)]
struct LayerTape {
    xhat1: Vec<f32>,
    rstd1: Vec<f32>,
    a1: Vec<f32>,
    qkv: Vec<f32>,
    /// Keys, transposed: `[d_model][t]`.
    kt: Vec<f32>,
    /// Values, transposed: `[d_model][t]`.
    vt: Vec<f32>,
    /// Softmax probabilities `[head][s][r]` (only `r ≤ s` is used).
    p: Vec<f32>,
    ctx: Vec<f32>,
    xhat2: Vec<f32>,
    rstd2: Vec<f32>,
    a2: Vec<f32>,
    z1: Vec<f32>,
    g1: Vec<f32>,
}

/// The forward pass of one function's `d` coordinate sequences: outputs and the tape of the
/// backward pass. `FunctionTape::default()` is an empty tape for [`SeqNet::forward_into`].
#[derive(Clone, Debug, Default)]
pub struct FunctionTape {
    d: usize,
    t: usize,
    rows: Vec<RowTape>,
    /// Mean of `u = ln η`, `[d][t]`.
    pub mean: Vec<f32>,
    /// Critic value, `[t]` (the mean over coordinates of the per-coordinate head).
    pub value: Vec<f32>,
}

/// The policy's network in plain f32 for training: full causal forward over whole sequences with
/// a tape, and the backward pass. Build it from the burn module ([`SeqNet::from_policy`]) or from
/// named tensors.
#[derive(Clone, Debug)]
pub struct SeqNet {
    cfg: PolicyConfig,
    w: Weights,
    /// The fixed sinusoidal table (absolute time) or empty.
    fixed_time: Vec<f32>,
    /// Frequencies of the progress embedding or empty.
    progress_freq: Vec<f32>,
    log_std: f32,
}

impl SeqNet {
    /// The network of `config` with the named weights of `t` (see [`NamedTensors`]).
    pub fn from_named(config: &PolicyConfig, t: &NamedTensors) -> Result<Self, ModelError> {
        config.validate()?;
        if config.cross_coordinate_mixing {
            return Err(ModelError::InvalidConfig {
                reason: "the f32 training passes do not support cross-coordinate mixing; \
                         train it with the burn engine"
                    .into(),
            });
        }
        let dm = config.d_model;
        let time = match config.time_embedding {
            TimeEmbedding::Learned => take(t, "time_table", &[config.max_history, dm])?,
            _ => Vec::new(),
        };
        let layers = (0..config.n_layers)
            .map(|l| {
                let p = |n: &str| format!("blocks.{l}.{n}");
                Ok(LayerW {
                    norm_attn: Ln::from_named(t, &p("norm_attn"), dm)?,
                    qkv: Lin::from_named(t, &p("qkv"), dm, 3 * dm)?,
                    attn_out: Lin::from_named(t, &p("attn_out"), dm, dm)?,
                    norm_ff: Ln::from_named(t, &p("norm_ff"), dm)?,
                    ff_in: Lin::from_named(t, &p("ff_in"), dm, config.d_ff)?,
                    ff_out: Lin::from_named(t, &p("ff_out"), config.d_ff, dm)?,
                })
            })
            .collect::<Result<Vec<_>, ModelError>>()?;
        let w = Weights {
            embed: Lin::from_named(t, "embed", config.n_features, dm)?,
            time,
            layers,
            norm_out: Ln::from_named(t, "norm_out", dm)?,
            mean_head: Lin::from_named(t, "mean_head", dm, 1)?,
            value_head: Lin::from_named(t, "value_head", dm, 1)?,
        };
        let log_std = take(t, "log_std", &[1])?[0];
        Ok(Self {
            fixed_time: match config.time_embedding {
                TimeEmbedding::Sinusoidal => sinusoidal_table(config.max_history, dm),
                _ => Vec::new(),
            },
            progress_freq: match config.time_embedding {
                TimeEmbedding::Progress => progress_frequencies(dm, config.max_history),
                _ => Vec::new(),
            },
            cfg: config.clone(),
            w,
            log_std,
        })
    }

    /// The network of a burn policy (its current weights).
    pub fn from_policy<B: burn::tensor::backend::Backend>(
        policy: &Policy<B>,
    ) -> Result<Self, ModelError> {
        Self::from_named(policy.config(), &named_tensors(policy)?)
    }

    /// The configuration.
    pub fn config(&self) -> &PolicyConfig {
        &self.cfg
    }

    /// The policy's log standard deviation.
    pub fn log_std(&self) -> f32 {
        self.log_std
    }

    /// Zero gradients of this network.
    pub fn zero_grads(&self) -> SeqGrads {
        SeqGrads {
            w: self.w.zeros_like(),
            log_std: 0.0,
            max_history: self.cfg.max_history,
        }
    }

    /// The causal forward pass over one function: `x` holds its `d` coordinate sequences of `t`
    /// tokens, layout `[d][t][n_features]` (one function of a `[B, d, T, F]` batch).
    pub fn forward(&self, x: &[f32], d: usize, t: usize) -> Result<FunctionTape, ModelError> {
        self.check_sequence(x, d, t)?;
        let mut tape = FunctionTape::default();
        self.forward_checked(x, d, t, &mut tape);
        Ok(tape)
    }

    /// [`forward`](Self::forward) into a tape whose buffers are reused (no allocation once the
    /// tape has held a sequence this long).
    pub fn forward_into(
        &self,
        x: &[f32],
        d: usize,
        t: usize,
        tape: &mut FunctionTape,
    ) -> Result<(), ModelError> {
        self.check_sequence(x, d, t)?;
        self.forward_checked(x, d, t, tape);
        Ok(())
    }

    fn check_sequence(&self, x: &[f32], d: usize, t: usize) -> Result<(), ModelError> {
        let f = self.cfg.n_features;
        if x.len() != d * t * f {
            return Err(ModelError::DimensionMismatch {
                what: "sequence tokens (d·t·n_features)",
                expected: d * t * f,
                got: x.len(),
            });
        }
        if d == 0 || t == 0 {
            return Err(ModelError::Empty {
                what: "sequence (no coordinates or steps)",
            });
        }
        if t > self.cfg.max_history {
            return Err(ModelError::HistoryTooLong {
                len: t,
                max: self.cfg.max_history,
            });
        }
        if !x.iter().all(|v| v.is_finite()) {
            return Err(ModelError::NonFinite {
                what: "policy input features",
            });
        }
        Ok(())
    }

    fn forward_checked(&self, x: &[f32], d: usize, t: usize, tape: &mut FunctionTape) {
        let f = self.cfg.n_features;
        tape.d = d;
        tape.t = t;
        tape.rows.resize_with(d, RowTape::default);
        tape.mean.clear();
        tape.mean.resize(d * t, 0.0);
        tape.value.clear();
        tape.value.resize(t, 0.0);
        for (i, (xr, row)) in x.chunks_exact(t * f).zip(tape.rows.iter_mut()).enumerate() {
            self.row_forward(
                xr,
                t,
                row,
                &mut tape.mean[i * t..(i + 1) * t],
                &mut tape.value,
            );
        }
        let inv = 1.0 / d as f32;
        tape.value.iter_mut().for_each(|v| *v *= inv);
    }

    /// Accumulates into `grads` the gradients of a loss whose derivatives with respect to the
    /// outputs of `tape` are `dmean` (`[d][t]`) and `dvalue` (`[t]`); `x` is the input of
    /// [`forward`](Self::forward). `∂L/∂log_std` is the caller's (the outputs do not depend on it).
    pub fn backward(
        &self,
        tape: &FunctionTape,
        x: &[f32],
        dmean: &[f32],
        dvalue: &[f32],
        grads: &mut SeqGrads,
    ) -> Result<(), ModelError> {
        let (d, t, f) = (tape.d, tape.t, self.cfg.n_features);
        for (what, expected, got) in [
            ("sequence tokens (d·t·n_features)", d * t * f, x.len()),
            ("∂L/∂mean (d·t)", d * t, dmean.len()),
            ("∂L/∂value (t)", t, dvalue.len()),
        ] {
            if expected != got {
                return Err(ModelError::DimensionMismatch {
                    what,
                    expected,
                    got,
                });
            }
        }
        let inv = 1.0 / d as f32;
        let dv_row: Vec<f32> = dvalue.iter().map(|v| v * inv).collect();
        for (i, row) in tape.rows.iter().enumerate() {
            self.row_backward(
                row,
                &x[i * t * f..(i + 1) * t * f],
                t,
                &dmean[i * t..(i + 1) * t],
                &dv_row,
                &mut grads.w,
            );
        }
        Ok(())
    }

    /// One coordinate's sequence: fills `tape`, writes the mean head into `mean` (`[t]`) and adds
    /// the value head to `value_sum` (`[t]`).
    fn row_forward(
        &self,
        x: &[f32],
        t: usize,
        tape: &mut RowTape,
        mean: &mut [f32],
        value_sum: &mut [f32],
    ) {
        let dm = self.cfg.d_model;
        let heads = self.cfg.n_heads;
        let dh = dm / heads;
        let dff = self.cfg.d_ff;
        let eps = self.cfg.layer_norm_eps as f32;
        let f = self.cfg.n_features;
        let h = &mut tape.h;
        sized(h, t * dm);
        self.w.embed.forward(x, h);
        for (s, hs) in h.chunks_exact_mut(dm).enumerate() {
            if !self.w.time.is_empty() {
                add_to(hs, &self.w.time[s * dm..(s + 1) * dm]);
            } else if !self.fixed_time.is_empty() {
                add_to(hs, &self.fixed_time[s * dm..(s + 1) * dm]);
            } else {
                let p = x[s * f + feature::PROGRESS];
                let (sin, cos) = hs.split_at_mut(self.progress_freq.len());
                for ((a, b), w) in sin.iter_mut().zip(cos.iter_mut()).zip(&self.progress_freq) {
                    let angle = f64::from(p * w);
                    *a += angle.sin() as f32;
                    *b += angle.cos() as f32;
                }
            }
        }
        let scale = 1.0 / (dh as f32).sqrt();
        tape.layers
            .resize_with(self.w.layers.len(), LayerTape::default);
        for (lw, lt) in self.w.layers.iter().zip(tape.layers.iter_mut()) {
            // Every buffer is fully written below before it is read (`p` row by row).
            sized(&mut lt.xhat1, t * dm);
            sized(&mut lt.rstd1, t);
            sized(&mut lt.a1, t * dm);
            sized(&mut lt.qkv, t * 3 * dm);
            sized(&mut lt.kt, dm * t);
            sized(&mut lt.vt, dm * t);
            sized(&mut lt.p, heads * t * t);
            sized(&mut lt.ctx, t * dm);
            sized(&mut lt.xhat2, t * dm);
            sized(&mut lt.rstd2, t);
            sized(&mut lt.a2, t * dm);
            sized(&mut lt.z1, t * dff);
            sized(&mut lt.g1, t * dff);
            lw.norm_attn
                .forward(eps, h, &mut lt.xhat1, &mut lt.rstd1, &mut lt.a1);
            lw.qkv.forward(&lt.a1, &mut lt.qkv);
            // Keys and values transposed, `[channel][step]`, so that every loop below runs
            // over the steps `r ≤ s` (contiguous, vectorised) rather than over the head width.
            for (r, row) in lt.qkv.chunks_exact(3 * dm).enumerate() {
                for c in 0..dm {
                    lt.kt[c * t + r] = row[dm + c];
                    lt.vt[c * t + r] = row[2 * dm + c];
                }
            }
            for hh in 0..heads {
                let off = hh * dh;
                for s in 0..t {
                    let prow = &mut lt.p[(hh * t + s) * t..(hh * t + s) * t + s + 1];
                    prow.fill(0.0);
                    for j in 0..dh {
                        let qj = lt.qkv[s * 3 * dm + off + j] * scale;
                        let c = (off + j) * t;
                        axpy(qj, &lt.kt[c..c + s + 1], prow);
                    }
                    let max = prow.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
                    let mut sum = 0.0;
                    for pr in prow.iter_mut() {
                        *pr = (*pr - max).exp();
                        sum += *pr;
                    }
                    let inv = 1.0 / sum;
                    prow.iter_mut().for_each(|pr| *pr *= inv);
                    for j in 0..dh {
                        let c = (off + j) * t;
                        lt.ctx[s * dm + off + j] = dot(prow, &lt.vt[c..c + s + 1]);
                    }
                }
            }
            lw.attn_out.forward_add(&lt.ctx, h);
            lw.norm_ff
                .forward(eps, h, &mut lt.xhat2, &mut lt.rstd2, &mut lt.a2);
            lw.ff_in.forward(&lt.a2, &mut lt.z1);
            for (g, z) in lt.g1.iter_mut().zip(&lt.z1) {
                *g = gelu(*z);
            }
            lw.ff_out.forward_add(&lt.g1, h);
        }
        sized(&mut tape.xhat_out, t * dm);
        sized(&mut tape.rstd_out, t);
        sized(&mut tape.a_out, t * dm);
        self.w.norm_out.forward(
            eps,
            &tape.h,
            &mut tape.xhat_out,
            &mut tape.rstd_out,
            &mut tape.a_out,
        );
        self.w.mean_head.forward(&tape.a_out, mean);
        sized(&mut tape.head, t);
        self.w.value_head.forward(&tape.a_out, &mut tape.head);
        add_to(value_sum, &tape.head);
    }

    fn row_backward(
        &self,
        tape: &RowTape,
        x: &[f32],
        t: usize,
        dmean: &[f32],
        dvalue: &[f32],
        g: &mut Weights,
    ) {
        let dm = self.cfg.d_model;
        let heads = self.cfg.n_heads;
        let dh = dm / heads;
        let dff = self.cfg.d_ff;
        let scale = 1.0 / (dh as f32).sqrt();
        let w = &self.w;
        // Heads.
        let mut da = vec![0.0_f32; t * dm];
        w.mean_head
            .backward(&mut g.mean_head, &tape.a_out, dmean, Some(&mut da));
        let mut da_v = vec![0.0_f32; t * dm];
        w.value_head
            .backward(&mut g.value_head, &tape.a_out, dvalue, Some(&mut da_v));
        add_to(&mut da, &da_v);
        let mut dh_ = vec![0.0_f32; t * dm];
        w.norm_out.backward(
            &mut g.norm_out,
            &tape.xhat_out,
            &tape.rstd_out,
            &da,
            &mut dh_,
        );
        let mut dg1 = vec![0.0_f32; t * dff];
        let mut d2 = vec![0.0_f32; t * dm];
        let mut dqkv = vec![0.0_f32; t * 3 * dm];
        let mut dkt = vec![0.0_f32; dm * t];
        let mut dvt = vec![0.0_f32; dm * t];
        let mut dctx = vec![0.0_f32; t * dm];
        let mut dp = vec![0.0_f32; t];
        for (l, (lw, lt)) in w.layers.iter().zip(&tape.layers).enumerate().rev() {
            let gl = &mut g.layers[l];
            // Feed-forward: h += GELU(LN2(h)·W1 + b1)·W2 + b2.
            lw.ff_out
                .backward(&mut gl.ff_out, &lt.g1, &dh_, Some(&mut dg1));
            for (dz, z) in dg1.iter_mut().zip(&lt.z1) {
                *dz *= gelu_grad(*z);
            }
            lw.ff_in
                .backward(&mut gl.ff_in, &lt.a2, &dg1, Some(&mut d2));
            lw.norm_ff
                .backward(&mut gl.norm_ff, &lt.xhat2, &lt.rstd2, &d2, &mut dh_);
            // Attention: h += Attn(LN1(h))·Wo + bo.
            lw.attn_out
                .backward(&mut gl.attn_out, &lt.ctx, &dh_, Some(&mut dctx));
            dkt.fill(0.0);
            dvt.fill(0.0);
            for hh in 0..heads {
                let off = hh * dh;
                for s in 0..t {
                    let prow = &lt.p[(hh * t + s) * t..(hh * t + s) * t + s + 1];
                    let dc = &dctx[s * dm + off..s * dm + off + dh];
                    let dps = &mut dp[..=s];
                    dps.fill(0.0);
                    for (j, dcj) in dc.iter().enumerate() {
                        let c = (off + j) * t;
                        // ∂p_r = Σ_j ∂ctx_{s,j}·v_{r,j};  ∂v_{r,j} += p_r·∂ctx_{s,j}.
                        axpy(*dcj, &lt.vt[c..c + s + 1], dps);
                        axpy(*dcj, prow, &mut dvt[c..c + s + 1]);
                    }
                    // Softmax: ∂score_r = p_r·(∂p_r − Σ_r' p_r'·∂p_r'), times the scale.
                    let sum = dot(prow, dps);
                    for (dpr, pr) in dps.iter_mut().zip(prow) {
                        *dpr = pr * (*dpr - sum) * scale;
                    }
                    for j in 0..dh {
                        let c = (off + j) * t;
                        // ∂q_{s,j} = Σ_r ∂score_r·k_{r,j};  ∂k_{r,j} += ∂score_r·q_{s,j}.
                        dqkv[s * 3 * dm + off + j] = dot(dps, &lt.kt[c..c + s + 1]);
                        axpy(lt.qkv[s * 3 * dm + off + j], dps, &mut dkt[c..c + s + 1]);
                    }
                }
            }
            for (r, row) in dqkv.chunks_exact_mut(3 * dm).enumerate() {
                for c in 0..dm {
                    row[dm + c] = dkt[c * t + r];
                    row[2 * dm + c] = dvt[c * t + r];
                }
            }
            lw.qkv.backward(&mut gl.qkv, &lt.a1, &dqkv, Some(&mut d2));
            lw.norm_attn
                .backward(&mut gl.norm_attn, &lt.xhat1, &lt.rstd1, &d2, &mut dh_);
        }
        // Embedding and the learned time table.
        w.embed.backward(&mut g.embed, x, &dh_, None);
        if !g.time.is_empty() {
            add_to(&mut g.time[..t * dm], &dh_);
        }
    }
}

/// Registers `grads` (named as the policy's [`NamedTensors`]) under the parameter ids of `policy`,
/// for a burn optimiser's `step`. Every parameter must have its gradient, with its shape.
pub fn register_gradients<B: AutodiffBackend>(
    policy: &Policy<B>,
    grads: &NamedTensors,
) -> Result<GradientsParams, ModelError> {
    let mut out = GradientsParams::new();
    let mut reg = |id: ParamId, name: String, dims: &[usize]| -> Result<(), ModelError> {
        let (shape, v) = grads.get(&name).ok_or_else(|| ModelError::InvalidConfig {
            reason: format!("no gradient for `{name}`"),
        })?;
        if shape.as_slice() != dims {
            return Err(ModelError::DimensionMismatch {
                what: "gradient shape (elements)",
                expected: dims.iter().product(),
                got: shape.iter().product(),
            });
        }
        let device = Default::default();
        match dims.len() {
            1 => out.register::<B::InnerBackend, 1>(
                id,
                Tensor::from_data(TensorData::new(v.clone(), [dims[0]]), &device),
            ),
            2 => out.register::<B::InnerBackend, 2>(
                id,
                Tensor::from_data(TensorData::new(v.clone(), [dims[0], dims[1]]), &device),
            ),
            _ => {
                return Err(ModelError::InvalidConfig {
                    reason: format!("unexpected rank of `{name}`"),
                });
            }
        }
        Ok(())
    };
    visit_params(policy, &mut reg)?;
    Ok(out)
}

/// The gradients burn computed for `policy` (from `GradientsParams::from_grads`), named as its
/// [`NamedTensors`] (for comparing the two engines).
pub fn named_gradients<B: AutodiffBackend>(
    policy: &Policy<B>,
    grads: &GradientsParams,
) -> Result<NamedTensors, ModelError> {
    let mut out = NamedTensors::new();
    let mut get = |id: ParamId, name: String, dims: &[usize]| -> Result<(), ModelError> {
        let v: Vec<f32> = match dims.len() {
            1 => grads.get::<B::InnerBackend, 1>(id).map(to_f32),
            _ => grads.get::<B::InnerBackend, 2>(id).map(to_f32),
        }
        .unwrap_or_else(|| vec![0.0; dims.iter().product()]);
        out.insert(name, (dims.to_vec(), v));
        Ok(())
    };
    visit_params(policy, &mut get)?;
    Ok(out)
}

fn to_f32<B: burn::tensor::backend::Backend, const D: usize>(t: Tensor<B, D>) -> Vec<f32> {
    t.into_data().iter::<f32>().collect()
}

type Visit<'a> = dyn FnMut(ParamId, String, &[usize]) -> Result<(), ModelError> + 'a;

/// Calls `f(id, name, shape)` for every parameter of the policy, named as its [`NamedTensors`].
fn visit_params<B: AutodiffBackend>(
    policy: &Policy<B>,
    f: &mut Visit<'_>,
) -> Result<(), ModelError> {
    fn lin<B: AutodiffBackend>(
        f: &mut Visit<'_>,
        p: &str,
        l: &Linear<B>,
    ) -> Result<(), ModelError> {
        param(f, format!("{p}.weight"), &l.weight)?;
        match &l.bias {
            Some(b) => param(f, format!("{p}.bias"), b),
            None => Err(ModelError::InvalidConfig {
                reason: format!("`{p}` has no bias"),
            }),
        }
    }
    fn norm<B: AutodiffBackend>(
        f: &mut Visit<'_>,
        p: &str,
        n: &LayerNorm<B>,
    ) -> Result<(), ModelError> {
        param(f, format!("{p}.gamma"), &n.gamma)?;
        match &n.beta {
            Some(b) => param(f, format!("{p}.beta"), b),
            None => Err(ModelError::InvalidConfig {
                reason: format!("`{p}` has no beta"),
            }),
        }
    }
    fn param<B: AutodiffBackend, const D: usize>(
        f: &mut Visit<'_>,
        name: String,
        p: &Param<Tensor<B, D>>,
    ) -> Result<(), ModelError> {
        let dims = p.val().dims();
        f(p.id, name, &dims)
    }
    if policy.blocks.iter().any(|b| b.mix.is_some()) {
        return Err(ModelError::InvalidConfig {
            reason: "the f32 training passes do not support cross-coordinate mixing".into(),
        });
    }
    lin(f, "embed", &policy.embed)?;
    if let Some(table) = &policy.time_table {
        param(f, "time_table".into(), table)?;
    }
    for (l, b) in policy.blocks.iter().enumerate() {
        let p = |n: &str| format!("blocks.{l}.{n}");
        norm(f, &p("norm_attn"), &b.norm_attn)?;
        lin(f, &p("qkv"), &b.qkv)?;
        lin(f, &p("attn_out"), &b.attn_out)?;
        norm(f, &p("norm_ff"), &b.norm_ff)?;
        lin(f, &p("ff_in"), &b.ff_in)?;
        lin(f, &p("ff_out"), &b.ff_out)?;
    }
    norm(f, "norm_out", &policy.norm_out)?;
    lin(f, "mean_head", &policy.mean_head)?;
    lin(f, "value_head", &policy.value_head)?;
    param(f, "log_std".into(), &policy.log_std)
}

/// `y += x·W` for one row `x` (`W` is `[x.len()][y.len()]`), four input rows of `W` at a time
/// (one load and store of `y` per four multiply-adds; the inner loops vectorise).
#[inline]
fn accumulate_rows(x: &[f32], w: &[f32], y: &mut [f32]) {
    let n = y.len();
    let blocks = x.len() / 4;
    for (xs, ws) in x.chunks_exact(4).zip(w.chunks_exact(4 * n)) {
        let (w0, rest) = ws.split_at(n);
        let (w1, rest) = rest.split_at(n);
        let (w2, w3) = rest.split_at(n);
        let (x0, x1, x2, x3) = (xs[0], xs[1], xs[2], xs[3]);
        for ((((o, a), b), c), d) in y.iter_mut().zip(w0).zip(w1).zip(w2).zip(w3) {
            *o += x0 * a + x1 * b + x2 * c + x3 * d;
        }
    }
    for (xi, row) in x[blocks * 4..]
        .iter()
        .zip(w[blocks * 4 * n..].chunks_exact(n))
    {
        axpy(*xi, row, y);
    }
}

/// Sets the length of a reused buffer to `n` (new elements 0, old ones kept: callers overwrite).
#[inline]
fn sized(v: &mut Vec<f32>, n: usize) {
    if v.len() != n {
        v.resize(n, 0.0);
    }
}

#[inline]
fn add_to(a: &mut [f32], b: &[f32]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x += y;
    }
}

#[inline]
fn axpy(alpha: f32, x: &[f32], y: &mut [f32]) {
    for (yv, xv) in y.iter_mut().zip(x) {
        *yv += alpha * xv;
    }
}

/// Dot product with eight partial sums (vectorises without reassociating a single sum).
#[inline]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0_f32; 8];
    let ca = a.chunks_exact(8);
    let cb = b.chunks_exact(8);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    let mut s = acc.iter().sum::<f32>();
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

const SQRT_2_OVER_PI: f32 = 0.797_884_6;

/// `tanh(y) = 1 − 2/(1 + e^{2y})` (one `exp`, much cheaper than `tanh`).
#[inline]
fn fast_tanh(y: f32) -> f32 {
    1.0 - 2.0 / (1.0 + (2.0 * y).exp())
}

/// burn's `gelu_approximate`: `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`.
#[inline]
fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + fast_tanh(SQRT_2_OVER_PI * (x + 0.044_715 * x * x * x)))
}

/// Derivative of [`gelu`].
#[inline]
fn gelu_grad(x: f32) -> f32 {
    let th = fast_tanh(SQRT_2_OVER_PI * (x + 0.044_715 * x * x * x));
    0.5 * (1.0 + th) + 0.5 * x * (1.0 - th * th) * SQRT_2_OVER_PI * (1.0 + 3.0 * 0.044_715 * x * x)
}
