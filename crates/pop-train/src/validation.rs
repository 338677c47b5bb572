//! Validation shared by both trainers: the fixed validation functions and starts, scored through
//! the harness (the one loop that runs a method on an objective) for any method — the POP policy,
//! the `velo-style-es` rule and Adam alike — so every log compares the same numbers.

use pop_baselines::catalogue::MethodConfig;
use pop_bench_fns::Objective;
use pop_optim::harness::{self, RunOptions, Task};
use pop_optim::metrics;
use pop_optim::seed::derive_seed;
use pop_optim::{Method, OptimError};
use pop_prior::{Prior, PriorSample, Split};
use serde::{Deserialize, Serialize};

use crate::error::TrainError;
use crate::rollout::uniform_starts;

/// Seed of the validation start points: fixed, so that every run (and Adam) sees the same starts.
pub const VALIDATION_START_SEED: u64 = 0x05ee_d0f5_a11d;

/// Adam's validation scores at its library-default and its tuned learning rate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AdamBaseline {
    /// Default learning rate.
    pub default_lr: f64,
    /// Mean validation NI at the default learning rate.
    pub default_ni: f64,
    /// Tuned learning rate (`data/tuned-hyperparameters.json`).
    pub tuned_lr: f64,
    /// Mean validation NI at the tuned learning rate.
    pub tuned_ni: f64,
}

/// A method's score on a set of functions: mean NI at the end and mean anytime regret
/// ([`metrics::anytime_regret`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score {
    /// Mean normalised improvement after the last call.
    pub ni: f64,
    /// Mean normalised regret averaged over the calls of each run.
    pub anytime_regret: f64,
}

/// Runs `method` once on each function from its start for `horizon` calls (run `i` seeded with
/// `derive_seed(seed, tag, i)`), in parallel when `parallel`, and averages NI and anytime regret
/// in function order (deterministic for any thread count).
pub fn score(
    method: &dyn Method,
    fns: &[PriorSample],
    starts: &[Vec<f64>],
    horizon: usize,
    seed: u64,
    tag: &str,
    parallel: bool,
) -> Result<Score, TrainError> {
    let tasks: Vec<Task<'_>> = fns
        .iter()
        .zip(starts)
        .enumerate()
        .map(|(i, (f, x0))| Task {
            objective: f,
            method,
            x0: x0.clone(),
            budget: horizon,
            seed: derive_seed(seed, tag, i as u64),
        })
        .collect();
    let records = if parallel {
        harness::run_all(&tasks, RunOptions::default())
    } else {
        tasks
            .iter()
            .map(|t| {
                harness::run(
                    t.objective,
                    t.method,
                    &t.x0,
                    t.budget,
                    t.seed,
                    RunOptions::default(),
                )
            })
            .collect()
    };
    let (mut ni, mut regret) = (0.0, 0.0);
    for (r, f) in records.into_iter().zip(fns) {
        let r = r.map_err(|e: OptimError| TrainError::from(e))?;
        let fs = f.f_star().unwrap_or(f64::NEG_INFINITY);
        ni += r.normalized_improvement(fs).unwrap_or(0.0);
        regret += metrics::anytime_regret(r.f0, &r.best, fs);
    }
    let n = fns.len().max(1) as f64;
    Ok(Score {
        ni: ni / n,
        anytime_regret: regret / n,
    })
}

/// The validation functions of a trainer (the prior's validation split in `dim`, the first `n`)
/// with their fixed starts, at `horizon` calls.
pub struct ValidationSet {
    fns: Vec<PriorSample>,
    starts: Vec<Vec<f64>>,
    horizon: usize,
}

/// Longest GP length-scale (z-units, box width 2) of a sample counted as multimodal.
pub const MULTIMODAL_MAX_LENGTH_SCALE: f64 = 0.5;

/// Whether a prior sample is "multimodal" for the multimodal-heavy validation subset: its GP part
/// has weight at least ½ (`α ≤ ½`) and every length-scale is at most
/// [`MULTIMODAL_MAX_LENGTH_SCALE`], so the box holds several GP bumps per axis and a descent
/// from a random start usually ends in a local minimum. Decided from the sample's parameters
/// alone (not from any method's result). **\[ours\]**
pub fn is_multimodal(sample: &PriorSample) -> bool {
    sample.quadratic_weight() <= 0.5
        && sample.kernel().is_some_and(|k| {
            (0..k.dim()).all(|i| k.length_scales().get(i) <= MULTIMODAL_MAX_LENGTH_SCALE)
        })
}

impl ValidationSet {
    /// The first `n` validation functions of `prior` in `dim`, starts from
    /// [`VALIDATION_START_SEED`].
    pub fn new(prior: &Prior, dim: usize, n: usize, horizon: usize) -> Result<Self, TrainError> {
        let fns = prior.split_batch(Split::Validation, dim, 0..n as u64)?;
        let starts = uniform_starts(fns.len(), dim, VALIDATION_START_SEED);
        Ok(Self {
            fns,
            starts,
            horizon,
        })
    }

    /// The multimodal-heavy validation subset: the first `n` functions of the validation split in
    /// `dim` (in index order) for which [`is_multimodal`] holds, with starts from a seed derived
    /// from [`VALIDATION_START_SEED`]. Fewer than `n` if the split has fewer.
    pub fn multimodal(
        prior: &Prior,
        dim: usize,
        n: usize,
        horizon: usize,
    ) -> Result<Self, TrainError> {
        let mut fns = Vec::with_capacity(n);
        let chunk = 64_u64;
        let mut next = 0_u64;
        let total = pop_prior::EVAL_SET_SIZE as u64;
        while fns.len() < n && next < total {
            let end = (next + chunk).min(total);
            let batch = prior.split_batch(Split::Validation, dim, next..end)?;
            fns.extend(batch.into_iter().filter(is_multimodal));
            next = end;
        }
        fns.truncate(n);
        let seed = derive_seed(VALIDATION_START_SEED, "multimodal", 0);
        let starts = uniform_starts(fns.len(), dim, seed);
        Ok(Self {
            fns,
            starts,
            horizon,
        })
    }

    /// The budget of a validation run.
    pub fn horizon(&self) -> usize {
        self.horizon
    }

    /// The functions.
    pub fn functions(&self) -> &[PriorSample] {
        &self.fns
    }

    /// The start of each function.
    pub fn starts(&self) -> &[Vec<f64>] {
        &self.starts
    }

    /// The score of a learned method (runs seeded with tag `"run"`).
    pub fn score(&self, method: &dyn Method) -> Result<Score, TrainError> {
        score(
            method,
            &self.fns,
            &self.starts,
            self.horizon,
            VALIDATION_START_SEED,
            "run",
            true,
        )
    }

    /// Adam's mean NI at its default and its tuned learning rate
    /// (`data/tuned-hyperparameters.json`; runs seeded with tag `"adam"`).
    pub fn adam_baseline(&self) -> Result<AdamBaseline, TrainError> {
        let tuning = pop_baselines::tuning::shipped()?;
        let adam = tuning
            .methods
            .iter()
            .find(|m| matches!(m.default, MethodConfig::Adam(_)))
            .ok_or_else(|| TrainError::RunFile {
                path: "data/tuned-hyperparameters.json".into(),
                reason: "no Adam entry in the shipped tuning result".into(),
            })?;
        let ni = |mc: &MethodConfig| -> Result<f64, TrainError> {
            Ok(score(
                mc,
                &self.fns,
                &self.starts,
                self.horizon,
                VALIDATION_START_SEED,
                "adam",
                true,
            )?
            .ni)
        };
        let a = AdamBaseline {
            default_lr: adam.default.learning_rate().unwrap_or(f64::NAN),
            default_ni: ni(&adam.default)?,
            tuned_lr: adam.tuned.learning_rate().unwrap_or(f64::NAN),
            tuned_ni: ni(&adam.tuned)?,
        };
        tracing::info!(?a, "Adam validation baseline");
        Ok(a)
    }
}
