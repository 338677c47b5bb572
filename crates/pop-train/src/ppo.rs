//! The PPO update: full-sequence forward over stored tokens with burn autodiff.

use burn::module::AutodiffModule;
use burn::optim::adaptor::OptimizerAdaptor;
use burn::optim::{Adam, GradientsParams, Optimizer};
use burn::tensor::{Tensor, TensorData, backend::Backend};
use pop_model::{N_FEATURES, Policy};

use crate::backend::{InnerBackend, TrainBackend};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::config::TrainConfig;
use crate::error::TrainError;
use crate::rollout::{LN_SQRT_2PI, Rollout, gae};

/// The Adam optimizer over the training policy.
pub type PolicyOptimizer = OptimizerAdaptor<Adam, Policy<TrainBackend>, TrainBackend>;

/// Averages over the minibatch steps of one update.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct LossStats {
    /// Clipped surrogate loss (to minimise).
    pub policy_loss: f64,
    /// Value loss.
    pub value_loss: f64,
    /// Entropy per step (sum over coordinates).
    pub entropy: f64,
    /// Approximate KL(old ‖ new), `mean((r − 1) − ln r)` with `r` the ratio (non-negative).
    pub approx_kl: f64,
    /// Fraction of steps whose ratio was clipped.
    pub clip_fraction: f64,
}

/// Critic values `[n][steps]` of the stored tokens, from a no-grad forward.
pub fn values(
    policy: &Policy<InnerBackend>,
    ro: &Rollout,
    chunk: usize,
) -> Result<Vec<f64>, TrainError> {
    let device = Default::default();
    let per = ro.d * ro.steps * N_FEATURES;
    let mut out = Vec::with_capacity(ro.n * ro.steps);
    for start in (0..ro.n).step_by(chunk.max(1)) {
        let m = chunk.min(ro.n - start);
        let x = Tensor::<InnerBackend, 4>::from_data(
            TensorData::new(
                ro.features[start * per..(start + m) * per].to_vec(),
                [m, ro.d, ro.steps, N_FEATURES],
            ),
            &device,
        );
        let v = policy.forward(x)?.value;
        out.extend(to_vec(v));
    }
    Ok(out)
}

fn to_vec<B: Backend, const D: usize>(t: Tensor<B, D>) -> Vec<f64> {
    t.into_data().iter::<f32>().map(f64::from).collect()
}

fn gather<T: Copy>(src: &[T], rows: &[usize], per: usize) -> Vec<T> {
    let mut out = Vec::with_capacity(rows.len() * per);
    for &r in rows {
        out.extend_from_slice(&src[r * per..(r + 1) * per]);
    }
    out
}

/// One PPO update (all epochs and minibatches) on `ro`; returns the new policy and the stats.
pub fn update(
    mut policy: Policy<TrainBackend>,
    optim: &mut PolicyOptimizer,
    ro: &Rollout,
    cfg: &TrainConfig,
    update_index: usize,
    seed: u64,
) -> Result<(Policy<TrainBackend>, LossStats), TrainError> {
    let device = Default::default();
    let (n, d, t) = (ro.n, ro.d, ro.steps);
    let chunk = n.div_ceil(cfg.minibatches);
    let v = values(&policy.valid(), ro, chunk)?;
    let mut adv = Vec::with_capacity(n * t);
    let mut ret = Vec::with_capacity(n * t);
    for b in 0..n {
        let r: Vec<f64> = ro.rewards[b * t..(b + 1) * t]
            .iter()
            .map(|&x| f64::from(x))
            .collect();
        let (a, g) = gae(&r, &v[b * t..(b + 1) * t], cfg.gamma, cfg.gae_lambda);
        adv.extend(a);
        ret.extend(g);
    }
    if cfg.normalize_advantages && adv.len() > 1 {
        let mean = adv.iter().sum::<f64>() / adv.len() as f64;
        let var = adv.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / adv.len() as f64;
        let sd = var.sqrt() + 1e-8;
        for a in &mut adv {
            *a = (*a - mean) / sd;
        }
    }
    let adv: Vec<f32> = adv.iter().map(|&a| a as f32).collect();
    let ret: Vec<f32> = ret.iter().map(|&a| a as f32).collect();
    let lr = cfg.lr_at(update_index);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut order: Vec<usize> = (0..n).collect();
    let mut stats = LossStats::default();
    let mut count = 0.0;
    for _epoch in 0..cfg.ppo_epochs {
        order.shuffle(&mut rng);
        for rows in order.chunks(chunk) {
            let m = rows.len();
            let tensor4 = |data: Vec<f32>| {
                Tensor::<TrainBackend, 4>::from_data(
                    TensorData::new(data, [m, d, t, N_FEATURES]),
                    &device,
                )
            };
            let x = tensor4(gather(&ro.features, rows, d * t * N_FEATURES));
            let actions = Tensor::<TrainBackend, 3>::from_data(
                TensorData::new(gather(&ro.actions, rows, d * t), [m, d, t]),
                &device,
            );
            let t2 = |src: &[f32]| {
                Tensor::<TrainBackend, 2>::from_data(
                    TensorData::new(gather(src, rows, t), [m, t]),
                    &device,
                )
            };
            let old_lp = t2(&ro.old_log_probs);
            let a = t2(&adv);
            let r = t2(&ret);
            let out = policy.forward(x)?;
            let k = (actions - out.mean) / out.log_std.clone().exp();
            let lp_coord =
                k.powi_scalar(2).mul_scalar(-0.5) - out.log_std.clone() - LN_SQRT_2PI as f32;
            let lp: Tensor<TrainBackend, 2> = lp_coord.sum_dim(1).squeeze_dim(1);
            let log_ratio = lp - old_lp;
            let ratio = log_ratio.clone().exp();
            let s1 = ratio.clone() * a.clone();
            let s2 = ratio
                .clone()
                .clamp(1.0 - cfg.clip as f32, 1.0 + cfg.clip as f32)
                * a;
            let policy_loss = s1.min_pair(s2).mean().neg();
            let value_loss = (out.value - r).powi_scalar(2).mean();
            let ent_coord = out.log_std.add_scalar(0.5 + LN_SQRT_2PI as f32);
            let entropy = ent_coord.sum_dim(1).mean();
            let loss = policy_loss.clone() + value_loss.clone().mul_scalar(cfg.value_coef as f32)
                - entropy.clone().mul_scalar(cfg.entropy_coef as f32);
            let scalar =
                |x: Tensor<TrainBackend, 1>| to_vec(x.inner()).first().copied().unwrap_or(f64::NAN);
            let lr_vals = to_vec(log_ratio.inner());
            let ratio_vals = to_vec(ratio.inner());
            let loss_v = scalar(loss.clone());
            if !loss_v.is_finite() {
                return Err(TrainError::NonFinite {
                    what: "PPO loss",
                    update: update_index,
                });
            }
            stats.policy_loss += scalar(policy_loss);
            stats.value_loss += scalar(value_loss);
            stats.entropy += scalar(entropy);
            stats.approx_kl += lr_vals
                .iter()
                .zip(&ratio_vals)
                .map(|(l, r)| (r - 1.0) - l)
                .sum::<f64>()
                / lr_vals.len() as f64;
            stats.clip_fraction += ratio_vals
                .iter()
                .filter(|r| (**r - 1.0).abs() > cfg.clip)
                .count() as f64
                / ratio_vals.len() as f64;
            count += 1.0;
            let grads = GradientsParams::from_grads(loss.backward(), &policy);
            policy = optim.step(lr, policy, grads);
        }
    }
    stats.policy_loss /= count;
    stats.value_loss /= count;
    stats.entropy /= count;
    stats.approx_kl /= count;
    stats.clip_fraction /= count;
    Ok((policy, stats))
}
