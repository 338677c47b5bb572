//! The PPO update: full-sequence forward over stored tokens with burn autodiff.
//!
//! Advantages come from GAE on the critic or from a leave-one-out group baseline
//! ([`AdvantageKind`]); the update runs `ppo_epochs` passes of `minibatches` minibatch steps,
//! stops early when a minibatch's approximate KL exceeds `kl_stop_factor · target_kl`, and
//! raises the log standard deviation to its floor after every optimiser step. Two engines compute
//! the passes ([`UpdateEngine`]): burn autodiff, generic over the backend ([`update_on`]), and the
//! hand-written f32 passes of `pop_model::SeqNet` ([`update_f32`]), several times faster on the
//! CPU; both feed the same burn Adam. The trainer calls [`update`] on [`TrainBackend`].

use burn::module::{AutodiffModule, Param};
use burn::optim::adaptor::OptimizerAdaptor;
use burn::optim::{Adam, GradientsParams, Optimizer};
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{Tensor, TensorData, backend::Backend};
use pop_model::{FunctionTape, Policy, SeqGrads, SeqNet, register_gradients};
use rayon::prelude::*;

use crate::backend::TrainBackend;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::config::{AdvantageKind, TrainConfig, UpdateEngine};
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

/// One PPO update (all epochs and minibatches) on `ro` with the configured
/// [`UpdateEngine`]; returns the new policy and the stats.
pub fn update(
    policy: Policy<TrainBackend>,
    optim: &mut PolicyOptimizer,
    ro: &Rollout,
    cfg: &TrainConfig,
    update_index: usize,
    seed: u64,
) -> Result<(Policy<TrainBackend>, LossStats), TrainError> {
    match cfg.update_engine {
        UpdateEngine::Burn => {
            update_on::<TrainBackend, _>(policy, optim, ro, cfg, update_index, seed)
        }
        UpdateEngine::F32 => {
            update_f32::<TrainBackend, _>(policy, optim, ro, cfg, update_index, seed)
        }
    }
}

/// Episodes per parallel task of the f32 engine: the gradients of each chunk are summed in
/// chunk order, so the result does not depend on the number of threads.
const F32_CHUNK: usize = 4;

/// Sums of the loss terms of a minibatch (divided by the term count at the end).
#[derive(Debug, Clone, Copy, Default)]
struct TermSums {
    policy_loss: f64,
    value_loss: f64,
    kl: f64,
    clipped: f64,
}

/// Critic values `[n][steps]` of the stored tokens from the f32 forward (episodes in parallel).
pub fn values_f32(net: &SeqNet, ro: &Rollout) -> Result<Vec<f64>, TrainError> {
    let per = ro.d * ro.steps * ro.width;
    let episodes: Vec<usize> = (0..ro.n).collect();
    let parts = episodes
        .par_chunks(F32_CHUNK)
        .map(|chunk| -> Result<Vec<f32>, TrainError> {
            let mut tape = FunctionTape::default();
            let mut out = Vec::with_capacity(chunk.len() * ro.steps);
            for &e in chunk {
                let x = &ro.features[e * per..(e + 1) * per];
                net.forward_into(x, ro.d, ro.steps, &mut tape)?;
                out.extend_from_slice(&tape.value);
            }
            Ok(out)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(parts.into_iter().flatten().map(f64::from).collect())
}

/// The gradients (and loss term sums) of the PPO loss on the episodes `rows` with the f32
/// passes; `adv`, `ret` are `[n][steps]`.
fn minibatch_f32(
    net: &SeqNet,
    ro: &Rollout,
    rows: &[usize],
    adv: &[f32],
    ret: &[f32],
    cfg: &TrainConfig,
) -> Result<(SeqGrads, TermSums), TrainError> {
    let (d, t, w) = (ro.d, ro.steps, ro.width);
    let per = d * t * w;
    let n_terms = (rows.len() * t) as f64;
    let log_std = f64::from(net.log_std());
    let sigma = log_std.exp();
    let clip = cfg.clip;
    let parts = rows
        .par_chunks(F32_CHUNK)
        .map(|chunk| -> Result<(SeqGrads, TermSums), TrainError> {
            let mut g = net.zero_grads();
            let mut sums = TermSums::default();
            let mut dmean = vec![0.0_f32; d * t];
            let mut dvalue = vec![0.0_f32; t];
            let mut tape = FunctionTape::default();
            for &e in chunk {
                let x = &ro.features[e * per..(e + 1) * per];
                net.forward_into(x, d, t, &mut tape)?;
                for s in 0..t {
                    let mut lp = 0.0;
                    let mut k2 = 0.0;
                    for i in 0..d {
                        let k = (f64::from(ro.actions[(e * d + i) * t + s])
                            - f64::from(tape.mean[i * t + s]))
                            / sigma;
                        lp += -0.5 * k * k - log_std - LN_SQRT_2PI;
                        k2 += k * k - 1.0;
                    }
                    let log_ratio = lp - f64::from(ro.old_log_probs[e * t + s]);
                    let ratio = log_ratio.exp();
                    let a = f64::from(adv[e * t + s]);
                    let clipped = ratio.clamp(1.0 - clip, 1.0 + clip);
                    sums.policy_loss -= (ratio * a).min(clipped * a);
                    sums.kl += (ratio - 1.0) - log_ratio;
                    if (ratio - 1.0).abs() > clip {
                        sums.clipped += 1.0;
                    }
                    // ∂(−min(rA, clip(r)A))/∂lp: the unclipped term carries the gradient.
                    let g_ratio = if ratio * a <= clipped * a { a } else { 0.0 };
                    let dlp = -g_ratio * ratio / n_terms;
                    for i in 0..d {
                        let k = (f64::from(ro.actions[(e * d + i) * t + s])
                            - f64::from(tape.mean[i * t + s]))
                            / sigma;
                        dmean[i * t + s] = (dlp * k / sigma) as f32;
                    }
                    g.log_std += (dlp * k2) as f32;
                    let dv = f64::from(tape.value[s]) - f64::from(ret[e * t + s]);
                    sums.value_loss += dv * dv;
                    dvalue[s] = (cfg.value_coef * 2.0 * dv / n_terms) as f32;
                }
                net.backward(&tape, x, &dmean, &dvalue, &mut g)?;
            }
            Ok((g, sums))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut total = net.zero_grads();
    let mut sums = TermSums::default();
    for (g, s) in &parts {
        total.add(g);
        sums.policy_loss += s.policy_loss;
        sums.value_loss += s.value_loss;
        sums.kl += s.kl;
        sums.clipped += s.clipped;
    }
    // The entropy bonus, −c·mean_{e,s} Σ_i (log σ + ½ + ln √(2π)), has ∂/∂log σ = −c·d.
    total.log_std -= (cfg.entropy_coef * d as f64) as f32;
    Ok((total, sums))
}

/// The f32 engine's gradients (named as the policy's tensors, `log_std` included) and loss value
/// on the episodes `rows` of `ro` (`adv`, `ret` are `[n][steps]`), for comparing the engines.
pub fn minibatch_gradients_f32<B: burn::tensor::backend::Backend>(
    policy: &Policy<B>,
    ro: &Rollout,
    rows: &[usize],
    adv: &[f32],
    ret: &[f32],
    cfg: &TrainConfig,
) -> Result<(pop_model::NamedTensors, f64), TrainError> {
    let net = SeqNet::from_policy(policy)?;
    let (grads, sums) = minibatch_f32(&net, ro, rows, adv, ret, cfg)?;
    let terms = (rows.len() * ro.steps) as f64;
    let entropy = ro.d as f64 * (f64::from(net.log_std()) + 0.5 + LN_SQRT_2PI);
    let loss = sums.policy_loss / terms + cfg.value_coef * sums.value_loss / terms
        - cfg.entropy_coef * entropy;
    Ok((grads.to_named(), loss))
}

/// [`update`] with the hand-written f32 passes ([`UpdateEngine::F32`]): the same advantages,
/// minibatches, losses, KL early stop and σ floor as [`update_on`], the gradients handed to the
/// same burn optimiser.
pub fn update_f32<B, O>(
    policy: Policy<B>,
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
    let v = values_f32(&SeqNet::from_policy(&policy)?, ro)?;
    run_epochs(
        policy,
        optim,
        ro,
        cfg,
        (update_index, seed, &v),
        |policy, rows, adv, ret| {
            let net = SeqNet::from_policy(policy)?;
            let (grads, sums) = minibatch_f32(&net, ro, rows, adv, ret, cfg)?;
            let terms = (rows.len() * ro.steps) as f64;
            let entropy = ro.d as f64 * (f64::from(net.log_std()) + 0.5 + LN_SQRT_2PI);
            let parts = MinibatchTerms {
                loss: sums.policy_loss / terms + cfg.value_coef * sums.value_loss / terms
                    - cfg.entropy_coef * entropy,
                policy_loss: sums.policy_loss / terms,
                value_loss: sums.value_loss / terms,
                entropy,
                approx_kl: sums.kl / terms,
                clip_fraction: sums.clipped / terms,
            };
            Ok((parts, grads))
        },
        |policy, grads| Ok(register_gradients(policy, &grads.to_named())?),
    )
}

/// The scalar parts of one minibatch's PPO loss, whichever engine computed them.
#[derive(Debug, Clone, Copy)]
struct MinibatchTerms {
    loss: f64,
    policy_loss: f64,
    value_loss: f64,
    entropy: f64,
    approx_kl: f64,
    clip_fraction: f64,
}

/// The epochs and minibatches of one PPO update, shared by both engines: advantages from the
/// critic values `v`, the seeded minibatch order, the non-finite check, the KL early stop (the
/// stopping minibatch's gradient is not applied), the optimiser step and the σ floor.
/// `loss(policy, rows, adv, ret)` gives a minibatch's terms and whatever its gradient needs;
/// `grads(policy, that)` turns it into burn's gradients (only for minibatches that step).
fn run_epochs<B, O, G>(
    mut policy: Policy<B>,
    optim: &mut O,
    ro: &Rollout,
    cfg: &TrainConfig,
    (update_index, seed, v): (usize, u64, &[f64]),
    mut loss: impl FnMut(
        &Policy<B>,
        &[usize],
        &[f32],
        &[f32],
    ) -> Result<(MinibatchTerms, G), TrainError>,
    mut grads: impl FnMut(&Policy<B>, G) -> Result<GradientsParams, TrainError>,
) -> Result<(Policy<B>, LossStats), TrainError>
where
    B: AutodiffBackend,
    O: Optimizer<Policy<B>, B>,
{
    let n = ro.n;
    let chunk = n.div_ceil(cfg.minibatches);
    let (adv, ret) = advantages(ro, v, cfg);
    let mut stats = LossStats {
        explained_variance: explained_variance(v, &ret),
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
            let (mb, g) = loss(&policy, rows, &adv, &ret)?;
            if !mb.loss.is_finite() {
                return Err(TrainError::NonFinite {
                    what: "PPO loss",
                    update: update_index,
                });
            }
            if let Some(target) = cfg.target_kl
                && mb.approx_kl > cfg.kl_stop_factor * target
            {
                // This minibatch's gradient is not applied: the policy has moved far enough.
                stats.kl_stopped = true;
                if count == 0.0 {
                    stats.approx_kl = mb.approx_kl;
                    count = 1.0;
                }
                break 'epochs;
            }
            stats.policy_loss += mb.policy_loss;
            stats.value_loss += mb.value_loss;
            stats.entropy += mb.entropy;
            stats.approx_kl += mb.approx_kl;
            stats.clip_fraction += mb.clip_fraction;
            count += 1.0;
            stats.minibatch_steps += 1;
            let params = grads(&policy, g)?;
            policy = optim.step(lr, policy, params);
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

/// The PPO loss of one minibatch as a burn tensor (to differentiate) with its parts.
pub struct MinibatchLoss<B: AutodiffBackend> {
    /// The total loss `L_clip + c_v·L_value − c_H·H`.
    pub loss: Tensor<B, 1>,
    /// Its value.
    pub loss_value: f64,
    /// The clipped surrogate loss.
    pub policy_loss: f64,
    /// The value loss.
    pub value_loss: f64,
    /// The entropy per step.
    pub entropy: f64,
    /// Mean `(r − 1) − ln r`.
    pub approx_kl: f64,
    /// Fraction of ratios outside `1 ± clip`.
    pub clip_fraction: f64,
}

/// The burn engine's loss on the episodes `rows` of `ro` (`adv`, `ret` are `[n][steps]`).
pub fn minibatch_loss_burn<B: AutodiffBackend>(
    policy: &Policy<B>,
    ro: &Rollout,
    rows: &[usize],
    adv: &[f32],
    ret: &[f32],
    cfg: &TrainConfig,
) -> Result<MinibatchLoss<B>, TrainError> {
    let device = Default::default();
    let (d, t, w) = (ro.d, ro.steps, ro.width);
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
    let a = t2(adv);
    let r = t2(ret);
    let out = policy.forward(x)?;
    let k = (actions - out.mean) / out.log_std.clone().exp();
    let lp_coord = k.powi_scalar(2).mul_scalar(-0.5) - out.log_std.clone() - LN_SQRT_2PI as f32;
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
    let kl = lr_vals
        .iter()
        .zip(&ratio_vals)
        .map(|(l, r)| (r - 1.0) - l)
        .sum::<f64>()
        / lr_vals.len() as f64;
    Ok(MinibatchLoss {
        loss_value: scalar(loss.clone()),
        loss,
        policy_loss: scalar(policy_loss),
        value_loss: scalar(value_loss),
        entropy: scalar(entropy),
        approx_kl: kl,
        clip_fraction: ratio_vals
            .iter()
            .filter(|r| (**r - 1.0).abs() > cfg.clip)
            .count() as f64
            / ratio_vals.len() as f64,
    })
}

/// [`update`] on any autodiff backend `B` (used by the throughput bench to compare backends).
pub fn update_on<B, O>(
    policy: Policy<B>,
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
    let chunk = ro.n.div_ceil(cfg.minibatches);
    let v = values(&policy.valid(), ro, chunk)?;
    run_epochs(
        policy,
        optim,
        ro,
        cfg,
        (update_index, seed, &v),
        |policy, rows, adv, ret| {
            let mb = minibatch_loss_burn(policy, ro, rows, adv, ret, cfg)?;
            let parts = MinibatchTerms {
                loss: mb.loss_value,
                policy_loss: mb.policy_loss,
                value_loss: mb.value_loss,
                entropy: mb.entropy,
                approx_kl: mb.approx_kl,
                clip_fraction: mb.clip_fraction,
            };
            Ok((parts, mb.loss))
        },
        |policy, loss| Ok(GradientsParams::from_grads(loss.backward(), policy)),
    )
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
