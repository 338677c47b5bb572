//! The ES gradient estimator and the meta-loss.

use pop_optim::harness::RunRecord;
use pop_optim::learned::velo::{VeloConfig, VeloRule};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

use super::config::Fitness;
use crate::error::TrainError;

/// An ES gradient estimate.
#[derive(Debug, Clone, PartialEq)]
pub struct EsEstimate {
    /// The estimate of `∇L(θ)` (of the Gaussian-smoothed loss; scaled by the fitness shaping).
    pub gradient: Vec<f64>,
    /// Mean loss over the `2P` members.
    pub mean_loss: f64,
}

/// The `pairs` perturbation directions of `seed`, each a standard normal vector of length `n`.
pub fn perturbations(n: usize, pairs: usize, seed: u64) -> Vec<Vec<f64>> {
    (0..pairs)
        .into_par_iter()
        .map(|p| {
            let mut rng =
                ChaCha8Rng::seed_from_u64(pop_optim::seed::derive_seed(seed, "pair", p as u64));
            (0..n).map(|_| StandardNormal.sample(&mut rng)).collect()
        })
        .collect()
}

/// Centred ranks in `[−0.5, 0.5]` (the smallest value gets −0.5; ties broken by index).
fn centered_ranks(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|&a, &b| x[a].total_cmp(&x[b]).then(a.cmp(&b)));
    let mut r = vec![0.0; n];
    if n < 2 {
        return r;
    }
    for (rank, &i) in idx.iter().enumerate() {
        r[i] = rank as f64 / (n - 1) as f64 - 0.5;
    }
    r
}

/// Antithetic ES estimate of `∇loss(θ)`: `1/(2σP) Σ_p (w(θ + σε_p) − w(θ − σε_p)) ε_p`, members
/// evaluated in parallel (rayon) and reduced in a fixed order (deterministic for any thread count).
pub fn antithetic_gradient<F>(
    theta: &[f64],
    sigma: f64,
    pairs: usize,
    seed: u64,
    fitness: Fitness,
    loss: F,
) -> Result<EsEstimate, TrainError>
where
    F: Fn(&[f64]) -> Result<f64, TrainError> + Sync,
{
    let n = theta.len();
    let eps = perturbations(n, pairs, seed);
    let losses: Vec<f64> = (0..2 * pairs)
        .into_par_iter()
        .map(|m| {
            let sign = if m % 2 == 0 { 1.0 } else { -1.0 };
            let e = &eps[m / 2];
            let t: Vec<f64> = theta
                .iter()
                .zip(e)
                .map(|(t, e)| t + sign * sigma * e)
                .collect();
            loss(&t)
        })
        .collect::<Result<_, _>>()?;
    let mean_loss = losses.iter().sum::<f64>() / losses.len() as f64;
    let w = match fitness {
        Fitness::Raw => losses.clone(),
        Fitness::CenteredRank => centered_ranks(&losses),
    };
    let mut gradient = vec![0.0; n];
    let scale = 1.0 / (2.0 * sigma * pairs as f64);
    for (p, e) in eps.iter().enumerate() {
        let c = (w[2 * p] - w[2 * p + 1]) * scale;
        for (g, e) in gradient.iter_mut().zip(e) {
            *g += c * e;
        }
    }
    Ok(EsEstimate {
        gradient,
        mean_loss,
    })
}

/// The meta-loss of one run: the normalised regret `(b_t − f*)/(f(x_0) − f*)` clamped to
/// `[0, 1]`, averaged over the unroll's calls; 1 without a finite start or a positive gap.
pub fn unroll_regret(rec: &RunRecord, f_star: f64) -> f64 {
    pop_optim::metrics::anytime_regret(rec.f0, &rec.best, f_star)
}

/// The rule of flat parameters `theta` (f64, cast to f32).
pub fn rule_of(cfg: &VeloConfig, theta: &[f64]) -> Result<VeloRule, TrainError> {
    Ok(VeloRule::from_params(
        *cfg,
        theta.iter().map(|&t| t as f32).collect(),
    )?)
}
