//! The PPO update: full-sequence forward over stored tokens with burn autodiff.
//!
//! Advantages come from GAE on the critic or from a leave-one-out group baseline
//! ([`AdvantageKind`]); the update runs `ppo_epochs` passes of `minibatches` minibatch steps,
//! stops early when a minibatch's approximate KL exceeds `kl_stop_factor · target_kl`, and
//! raises the log standard deviation to its floor after every optimiser step. It is generic over
//! the autodiff backend ([`update_on`]); the trainer uses [`update`] on [`TrainBackend`].

use burn::module::{AutodiffModule, Param};
use burn::optim::adaptor::OptimizerAdaptor;
use burn::optim::{Adam, GradientsParams, Optimizer};
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{Tensor, TensorData, backend::Backend};
use pop_model::Policy;

use crate::backend::TrainBackend;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::config::{AdvantageKind, TrainConfig};
use crate::error::TrainError;
use crate::rollout::{LN_SQRT_2PI, Rollout, gae};

/// The Adam optimizer over the training policy.
pub type PolicyOptimizer = OptimizerAdaptor<Adam, Policy<TrainBackend>, TrainBackend>;

/// Averages over the minibatch steps of one update, and the update's health figures.
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
    /// Explained variance of the critic before the update, `1 − Var(R − V)/Var(R)` over every
    /// (episode, step), `R` the return target (GAE returns, or the reward-to-go for the group
    /// baseline). 1 is a perfect critic, 0 no better than a constant.
    #[serde(default)]
    pub explained_variance: f64,
    /// Minibatch steps taken (`ppo_epochs · minibatches` unless stopped early).
    #[serde(default)]
    pub minibatch_steps: usize,
    /// Whether the KL early stop ended the update.
    #[serde(default)]
    pub kl_stopped: bool,
}

/// Critic values `[n][steps]` of the stored tokens, from a no-grad forward.
pub fn values<B: Backend>(
    policy: &Policy<B>,
    ro: &Rollout,
    chunk: usize,
) -> Result<Vec<f64>, TrainError> {
    let device = Default::default();
    let per = ro.d * ro.steps * ro.width;
    let mut out = Vec::with_capacity(ro.n * ro.steps);
    for start in (0..ro.n).step_by(chunk.max(1)) {
        let m = chunk.min(ro.n - start);
        let x = Tensor::<B, 4>::from_data(
            TensorData::new(
                ro.features[start * per..(start + m) * per].to_vec(),
                [m, ro.d, ro.steps, ro.width],
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

/// Reward-to-go `G_s = Σ_{r ≥ s} γ^{r−s} r_r` of one episode.
pub fn reward_to_go(rewards: &[f64], gamma: f64) -> Vec<f64> {
    let mut out = vec![0.0; rewards.len()];
    let mut acc = 0.0;
    for (o, r) in out.iter_mut().zip(rewards).rev() {
        acc = r + gamma * acc;
        *o = acc;
    }
    out
}

/// Leave-one-out group advantages: `returns` is `[n][steps]` with the `k` episodes of a group
/// consecutive (`n` a multiple of `k ≥ 2`); the advantage of episode `e` at step `s` is
/// `G_{e,s} − mean_{j ≠ e} G_{j,s}` over the other episodes of its group.
pub fn group_advantages(returns: &[f64], steps: usize, k: usize) -> Vec<f64> {
    let mut adv = vec![0.0; returns.len()];
    if k < 2 || steps == 0 {
        return adv;
    }
    let group = k * steps;
    for (g_ret, g_adv) in returns.chunks(group).zip(adv.chunks_mut(group)) {
        let members = g_ret.len() / steps;
        if members < 2 {
            continue;
        }
        for s in 0..steps {
            let sum: f64 = (0..members).map(|j| g_ret[j * steps + s]).sum();
            for j in 0..members {
                let own = g_ret[j * steps + s];
                g_adv[j * steps + s] = own - (sum - own) / (members - 1) as f64;
            }
        }
    }
    adv
}

/// `1 − Var(target − pred)/Var(target)` (0 when the target is constant).
pub fn explained_variance(pred: &[f64], target: &[f64]) -> f64 {
    let n = target.len().min(pred.len());
    if n < 2 {
        return 0.0;
    }
    let var = |it: &mut dyn Iterator<Item = f64>| {
        let v: Vec<f64> = it.collect();
        let m = v.iter().sum::<f64>() / v.len() as f64;
        v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / v.len() as f64
    };
    let vt = var(&mut target[..n].iter().copied());
    if vt <= 0.0 {
        return 0.0;
    }
    let vr = var(&mut target[..n].iter().zip(&pred[..n]).map(|(t, p)| t - p));
    1.0 - vr / vt
}

/// Advantages and return targets `[n][steps]` of a rollout from the critic's values.
pub fn advantages(ro: &Rollout, values: &[f64], cfg: &TrainConfig) -> (Vec<f64>, Vec<f64>) {
    let (n, t) = (ro.n, ro.steps);
    let mut adv = Vec::with_capacity(n * t);
    let mut ret = Vec::with_capacity(n * t);
    for b in 0..n {
        let r: Vec<f64> = ro.rewards[b * t..(b + 1) * t]
            .iter()
            .map(|&x| f64::from(x))
            .collect();
        match cfg.advantage {
            AdvantageKind::Gae => {
                let (a, g) = gae(&r, &values[b * t..(b + 1) * t], cfg.gamma, cfg.gae_lambda);
                adv.extend(a);
                ret.extend(g);
            }
            AdvantageKind::Group => ret.extend(reward_to_go(&r, cfg.gamma)),
        }
    }
    if cfg.advantage == AdvantageKind::Group {
        adv = group_advantages(&ret, t, cfg.group_size);
    }
    if cfg.normalize_advantages && adv.len() > 1 {
        let mean = adv.iter().sum::<f64>() / adv.len() as f64;
        let var = adv.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / adv.len() as f64;
        let sd = var.sqrt() + 1e-8;
        for a in &mut adv {
            *a = (*a - mean) / sd;
        }
    }
    (adv, ret)
}

/// One PPO update (all epochs and minibatches) on `ro`; returns the new policy and the stats.
pub fn update(
    policy: Policy<TrainBackend>,
    optim: &mut PolicyOptimizer,
    ro: &Rollout,
    cfg: &TrainConfig,
    update_index: usize,
    seed: u64,
) -> Result<(Policy<TrainBackend>, LossStats), TrainError> {
    update_on::<TrainBackend, _>(policy, optim, ro, cfg, update_index, seed)
}

/// [`update`] on any autodiff backend `B` (used by the throughput bench to compare backends).
pub fn update_on<B, O>(
    mut policy: Policy<B>,
    optim: &mut O,
    ro: &Rollout,
    cfg: &TrainConfig,
    update_index: usize,
    seed: u64,
) -> Result<(Policy<B>, LossStats), TrainError>
where
    B: AutodiffBackend,
    O: Optimizer<Policy<B>, B>,
{
    let device = Default::default();
    let (n, d, t, w) = (ro.n, ro.d, ro.steps, ro.width);
    let chunk = n.div_ceil(cfg.minibatches);
    let v = values(&policy.valid(), ro, chunk)?;
    let (adv, ret) = advantages(ro, &v, cfg);
    let mut stats = LossStats {
        explained_variance: explained_variance(&v, &ret),
        ..LossStats::default()
    };
    let adv: Vec<f32> = adv.iter().map(|&a| a as f32).collect();
    let ret: Vec<f32> = ret.iter().map(|&a| a as f32).collect();
    let lr = cfg.lr_at(update_index);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut order: Vec<usize> = (0..n).collect();
    let mut count = 0.0;
    'epochs: for _epoch in 0..cfg.ppo_epochs {
        order.shuffle(&mut rng);
        for rows in order.chunks(chunk) {
            let m = rows.len();
            let x = Tensor::<B, 4>::from_data(
                TensorData::new(gather(&ro.features, rows, d * t * w), [m, d, t, w]),
                &device,
            );
            let actions = Tensor::<B, 3>::from_data(
                TensorData::new(gather(&ro.actions, rows, d * t), [m, d, t]),
                &device,
            );
            let t2 = |src: &[f32]| {
                Tensor::<B, 2>::from_data(TensorData::new(gather(src, rows, t), [m, t]), &device)
            };
            let old_lp = t2(&ro.old_log_probs);
            let a = t2(&adv);
            let r = t2(&ret);
            let out = policy.forward(x)?;
            let k = (actions - out.mean) / out.log_std.clone().exp();
            let lp_coord =
                k.powi_scalar(2).mul_scalar(-0.5) - out.log_std.clone() - LN_SQRT_2PI as f32;
            let lp: Tensor<B, 2> = lp_coord.sum_dim(1).squeeze_dim(1);
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
            let scalar = |x: Tensor<B, 1>| to_vec(x.inner()).first().copied().unwrap_or(f64::NAN);
            let lr_vals = to_vec(log_ratio.inner());
            let ratio_vals = to_vec(ratio.inner());
            let loss_v = scalar(loss.clone());
            if !loss_v.is_finite() {
                return Err(TrainError::NonFinite {
                    what: "PPO loss",
                    update: update_index,
                });
            }
            let kl = lr_vals
                .iter()
                .zip(&ratio_vals)
                .map(|(l, r)| (r - 1.0) - l)
                .sum::<f64>()
                / lr_vals.len() as f64;
            if let Some(target) = cfg.target_kl
                && kl > cfg.kl_stop_factor * target
            {
                // This minibatch's gradient is not applied: the policy has moved far enough.
                stats.kl_stopped = true;
                if count == 0.0 {
                    stats.approx_kl = kl;
                    count = 1.0;
                }
                break 'epochs;
            }
            stats.policy_loss += scalar(policy_loss);
            stats.value_loss += scalar(value_loss);
            stats.entropy += scalar(entropy);
            stats.approx_kl += kl;
            stats.clip_fraction += ratio_vals
                .iter()
                .filter(|r| (**r - 1.0).abs() > cfg.clip)
                .count() as f64
                / ratio_vals.len() as f64;
            count += 1.0;
            stats.minibatch_steps += 1;
            let grads = GradientsParams::from_grads(loss.backward(), &policy);
            policy = optim.step(lr, policy, grads);
            if let Some(floor) = cfg.min_log_std {
                policy.log_std = floor_param(policy.log_std, floor);
            }
        }
    }
    if count > 0.0 {
        stats.policy_loss /= count;
        stats.value_loss /= count;
        stats.entropy /= count;
        stats.approx_kl /= count;
        stats.clip_fraction /= count;
    }
    Ok((policy, stats))
}

/// Raises a parameter to `floor` elementwise, keeping its id (so Adam's state still applies) and
/// making it a fresh leaf that requires gradients.
fn floor_param<B: AutodiffBackend>(p: Param<Tensor<B, 1>>, floor: f64) -> Param<Tensor<B, 1>> {
    p.map(|t| Tensor::<B, 1>::from_inner(t.inner().clamp_min(floor as f32)).require_grad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_advantages_leave_one_out() {
        // Two groups of k = 3 episodes, 2 steps each.
        let ret = [
            1.0, 0.5, 2.0, 1.0, 3.0, 0.0, // group 0: G_{·,0} = 1, 2, 3; G_{·,1} = .5, 1, 0
            0.0, 0.0, 0.0, 0.0, 6.0, 3.0,
        ];
        let a = group_advantages(&ret, 2, 3);
        // Episode 0, step 0: 1 − (2 + 3)/2 = −1.5; episode 2, step 1: 0 − (0.5 + 1)/2 = −0.75.
        assert_eq!(a[0], -1.5);
        assert_eq!(a[5], -0.75);
        // Group 1, episode 2, step 0: 6 − 0 = 6; episode 0 step 1: 0 − 1.5.
        assert_eq!(a[10], 6.0);
        assert_eq!(a[7], -1.5);
        // Leave-one-out advantages of a group sum to 0 at every step (k/(k−1) × centred).
        for g in 0..2 {
            for s in 0..2 {
                let sum: f64 = (0..3).map(|j| a[g * 6 + j * 2 + s]).sum();
                assert!(sum.abs() < 1e-12);
            }
        }
    }

    #[test]
    fn reward_to_go_and_explained_variance() {
        assert_eq!(reward_to_go(&[1.0, 2.0, 3.0], 1.0), vec![6.0, 5.0, 3.0]);
        assert_eq!(reward_to_go(&[1.0, 2.0], 0.5), vec![2.0, 2.0]);
        let target = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(explained_variance(&target, &target), 1.0);
        assert_eq!(explained_variance(&[2.5; 4], &target), 0.0);
        assert_eq!(explained_variance(&[0.0; 4], &[1.0; 4]), 0.0);
    }
}
