//! Rollouts: a batch of prior functions, one episode each, acted on by the cached
//! [`FastPolicy`] step, stored for PPO.

use pop_bench_fns::Objective;
use pop_model::{FastPolicy, Trajectory, add_exploration, evaluate_in_z, update_z};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

use crate::config::RewardKind;
use crate::error::TrainError;

/// `ln √(2π)` (defined once, in `pop_optim::special`).
pub use pop_optim::special::normal::LN_SQRT_2PI;

/// How actions are chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ActionMode {
    /// `u ~ N(μ, σ)` from a seeded RNG (training).
    Sample {
        /// Seed of the action noise.
        seed: u64,
    },
    /// `u = μ` (validation and evaluation).
    Mean,
}

/// A batch of finished episodes, laid out for the PPO update.
#[derive(Debug, Clone)]
pub struct Rollout {
    /// Number of functions (episodes) `n`.
    pub n: usize,
    /// Coordinates `d`.
    pub d: usize,
    /// Actions per episode, `T − 1`.
    pub steps: usize,
    /// Features per token (the policy's `n_features`).
    pub width: usize,
    /// Tokens `[n][d][steps][width]` (the policy's input at each acting step).
    pub features: Vec<f32>,
    /// Actions `u = ln η`, `[n][d][steps]`.
    pub actions: Vec<f32>,
    /// Log-probabilities of the actions under the acting policy (sum over coordinates), `[n][steps]`.
    pub old_log_probs: Vec<f32>,
    /// Rewards `[n][steps]`.
    pub rewards: Vec<f32>,
    /// Normalised improvement at `T` of each episode.
    pub ni: Vec<f64>,
    /// `1 −` the anytime regret ([`pop_optim::metrics::anytime_regret`]) of each episode: the
    /// mean over its calls of the clamped normalised improvement so far.
    pub anytime_ni: Vec<f64>,
}

impl Rollout {
    /// Tokens of the batch (`n·d·steps`): the unit of the PPO update's throughput.
    pub fn tokens(&self) -> usize {
        self.n * self.d * self.steps
    }
}

/// The per-function setup of an episode.
pub struct Episode<'a> {
    /// The objective (on any box; the policy acts in z-space).
    pub objective: &'a dyn Objective,
    /// Start point in z-space.
    pub z0: Vec<f64>,
    /// Its known minimum (for rewards and NI).
    pub f_star: f64,
}

/// Uniform start points in `[−1, 1]^d` from `seed`.
pub fn uniform_starts(n: usize, d: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|_| (0..d).map(|_| rng.random::<f64>() * 2.0 - 1.0).collect())
        .collect()
}

struct State {
    tr: Trajectory,
    z: Vec<f64>,
    x: Vec<f64>,
    gx: Vec<f64>,
    gz: Vec<f64>,
    f0: f64,
    /// The episode's exploration noise ([`add_exploration`]); unused without noise.
    noise: ChaCha8Rng,
}

/// Seed of the exploration noise of episode `b`: from the action seed when sampling, from a
/// fixed constant for the deterministic policy (validation), so both are reproducible.
fn noise_seed(mode: ActionMode, b: usize) -> u64 {
    let base = match mode {
        ActionMode::Sample { seed } => seed,
        ActionMode::Mean => 0x5eed_0fe4_b10e,
    };
    pop_optim::seed::derive_seed(base, "explore", b as u64)
}

fn eval(ep: &Episode<'_>, st: &mut State) -> Result<f64, TrainError> {
    let State { z, x, gx, gz, .. } = st;
    let f = evaluate_in_z(ep.objective, z, x, gx, gz)?;
    Ok(f)
}

/// Runs one episode of `horizon` oracle calls on every function in parallel, with the policy
/// stepping all of them as one batch, with the policy's own featurisation and update rule.
/// `reward` chooses the per-step reward ([`RewardKind`]); `log_regret_coef` adds the log-regret
/// term `ln ρ_s − ln ρ_{s+1}` to it.
pub fn rollout(
    policy: &FastPolicy,
    episodes: &[Episode<'_>],
    horizon: usize,
    mode: ActionMode,
    reward: RewardKind,
    log_regret_coef: f64,
) -> Result<Rollout, TrainError> {
    if horizon < 2 {
        return Err(TrainError::InvalidConfig {
            field: "horizon",
            value: horizon.to_string(),
            reason: "a rollout needs at least 2 calls (one action)".into(),
        });
    }
    let features = &policy.config().features;
    let n = episodes.len();
    let d = episodes.first().map_or(0, |e| e.z0.len());
    let steps = horizon - 1;
    let mut states = episodes
        .iter()
        .enumerate()
        .map(|(b, ep)| {
            Ok(State {
                noise: ChaCha8Rng::seed_from_u64(noise_seed(mode, b)),
                tr: Trajectory::with_features(d, horizon, features)?,
                z: ep.z0.clone(),
                x: vec![0.0; ep.objective.dim()],
                gx: vec![0.0; ep.objective.dim()],
                gz: vec![0.0; d],
                f0: 0.0,
            })
        })
        .collect::<Result<Vec<_>, TrainError>>()?;
    // Start points.
    states
        .par_iter_mut()
        .zip(episodes.par_iter())
        .try_for_each(|(st, ep)| -> Result<(), TrainError> {
            let f = eval(ep, st)?;
            st.f0 = f;
            st.tr.push(&st.z, f, &st.gz, None)?;
            Ok(())
        })?;

    let w = features.width();
    let mut out = Rollout {
        n,
        d,
        steps,
        width: w,
        features: vec![0.0; n * d * steps * w],
        actions: vec![0.0; n * d * steps],
        old_log_probs: vec![0.0; n * steps],
        rewards: vec![0.0; n * steps],
        ni: vec![0.0; n],
        anytime_ni: vec![0.0; n],
    };
    let mut cache = policy.new_cache_with_capacity(n, d, horizon)?;
    let mut token = vec![0.0_f32; n * d * w];
    let mut mean = vec![0.0_f32; n * d];
    let mut value = vec![0.0_f32; n];
    let mut u = vec![0.0_f64; n * d];
    let log_std = f64::from(policy.log_std());
    let sigma = log_std.exp();
    let mut rng = match mode {
        ActionMode::Sample { seed } => Some(ChaCha8Rng::seed_from_u64(seed)),
        ActionMode::Mean => None,
    };
    for s in 0..steps {
        for (b, st) in states.iter().enumerate() {
            st.tr
                .token_into(s, features, &mut token[b * d * w..(b + 1) * d * w])?;
        }
        for b in 0..n {
            for i in 0..d {
                let src = (b * d + i) * w;
                let dst = ((b * d + i) * steps + s) * w;
                out.features[dst..dst + w].copy_from_slice(&token[src..src + w]);
            }
        }
        policy.step(&mut cache, &token, &mut mean, &mut value)?;
        for b in 0..n {
            let mut lp = 0.0;
            for i in 0..d {
                let m = f64::from(mean[b * d + i]);
                let a = match rng.as_mut() {
                    Some(r) => {
                        let eps: f64 = StandardNormal.sample(r);
                        // Stored in f32: the PPO update sees the same number.
                        f64::from((m + sigma * eps) as f32)
                    }
                    None => m,
                };
                u[b * d + i] = a;
                out.actions[(b * d + i) * steps + s] = a as f32;
                let k = (a - m) / sigma;
                lp += -0.5 * k * k - log_std - LN_SQRT_2PI;
            }
            out.old_log_probs[b * steps + s] = lp as f32;
        }
        let rewards: Vec<f64> = states
            .par_iter_mut()
            .zip(episodes.par_iter())
            .zip(u.par_chunks(d))
            .map(|((st, ep), ub)| -> Result<f64, TrainError> {
                let mut g = vec![0.0; d];
                st.tr.direction_into(s, features, &mut g)?;
                add_exploration(&mut g, features, &mut st.noise);
                let z_now = st.z.clone();
                update_z(&z_now, &g, ub, &mut st.z)?;
                let f = eval(ep, st)?;
                let b_prev = st.tr.best(s)?;
                st.tr.push(&st.z, f, &st.gz, Some(ub))?;
                let b_now = st.tr.best(s + 1)?;
                let gap = st.f0 - ep.f_star;
                if gap.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
                    return Ok(0.0);
                }
                let mut r = match reward {
                    RewardKind::FinalNi => (b_prev - b_now) / gap,
                    RewardKind::AnytimeNi => {
                        let nr = pop_optim::metrics::normalized_regret(st.f0, b_now, ep.f_star)
                            .unwrap_or(1.0);
                        (1.0 - nr.clamp(0.0, 1.0)) / horizon as f64
                    }
                };
                if log_regret_coef > 0.0 {
                    let rho = |b: f64| ((b - ep.f_star) / gap).max(1e-8).ln();
                    r += log_regret_coef * (rho(b_prev) - rho(b_now));
                }
                Ok(r)
            })
            .collect::<Result<_, _>>()?;
        for (b, r) in rewards.into_iter().enumerate() {
            out.rewards[b * steps + s] = r as f32;
        }
    }
    for (b, (st, ep)) in states.iter().zip(episodes).enumerate() {
        let best = st.tr.best(steps)?;
        out.ni[b] =
            pop_optim::metrics::normalized_improvement(st.f0, best, ep.f_star).unwrap_or(0.0);
        let bests = (0..horizon)
            .map(|t| st.tr.best(t))
            .collect::<Result<Vec<_>, _>>()?;
        out.anytime_ni[b] =
            1.0 - pop_optim::metrics::anytime_regret(Some(st.f0), &bests, ep.f_star);
    }
    Ok(out)
}

/// Generalised advantage estimation for one episode: `values[t]` for `t < rewards.len()`,
/// the value after the last step is 0 (the episode ends). Returns `(advantages, returns)`.
pub fn gae(rewards: &[f64], values: &[f64], gamma: f64, lambda: f64) -> (Vec<f64>, Vec<f64>) {
    let n = rewards.len();
    let mut adv = vec![0.0; n];
    let mut next_adv = 0.0;
    for t in (0..n).rev() {
        let next_v = if t + 1 < n { values[t + 1] } else { 0.0 };
        let delta = rewards[t] + gamma * next_v - values[t];
        next_adv = delta + gamma * lambda * next_adv;
        adv[t] = next_adv;
    }
    let ret = adv.iter().zip(values).map(|(a, v)| a + v).collect();
    (adv, ret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gae_matches_a_hand_computation() {
        // r = [1, 0, 2], V = [0.5, 1, 1.5], γ = 0.9, λ = 0.5, V_3 = 0.
        // δ2 = 2 − 1.5 = 0.5;             A2 = 0.5
        // δ1 = 0 + 0.9·1.5 − 1 = 0.35;    A1 = 0.35 + 0.45·0.5 = 0.575
        // δ0 = 1 + 0.9·1 − 0.5 = 1.4;     A0 = 1.4 + 0.45·0.575 = 1.65875
        let (a, r) = gae(&[1.0, 0.0, 2.0], &[0.5, 1.0, 1.5], 0.9, 0.5);
        let want = [1.65875, 0.575, 0.5];
        for (x, y) in a.iter().zip(want) {
            assert!((x - y).abs() < 1e-12, "{a:?}");
        }
        assert!((r[0] - 2.15875).abs() < 1e-12);
        // γ = λ = 1: the advantage is the reward-to-go minus the value.
        let (a, _) = gae(&[1.0, 2.0, 3.0], &[0.0, 1.0, 0.0], 1.0, 1.0);
        assert_eq!(a, vec![6.0, 4.0, 3.0]);
    }
}
