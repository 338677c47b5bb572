//! [`PopMethod`]: the trained policy as a [`Method`] (ask/tell, z-space).

use std::path::Path;
use std::sync::Arc;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::error::PolicyError;
use super::fast::{FastCache, FastPolicy};
use super::features::{FeatureConfig, Trajectory, add_exploration, update_z};
use crate::{Evaluation, Method, OptimError, Optimizer, RunContext};

/// POP with frozen weights: acts with the policy's mean step size, one cached step per call.
/// A policy trained with exploration noise ([`FeatureConfig::explore_noise`]) draws it from the
/// run's seeded generator, as in training.
///
/// A failed evaluation (NaN or ±∞) is not shown to the policy: the next point retries the same
/// step from the last good iterate with the step size halved. If the start itself failed, it
/// probes uniform points (seeded by the run) until one succeeds.
#[derive(Debug, Clone)]
pub struct PopMethod {
    name: String,
    policy: Arc<FastPolicy>,
    features: FeatureConfig,
    max_history: usize,
}

impl PopMethod {
    /// The method of a trained policy. Its featurisation and history length are the policy's
    /// own ([`PolicyConfig::features`](super::PolicyConfig::features),
    /// [`PolicyConfig::max_history`](super::PolicyConfig::max_history)): after `max_history`
    /// steps the last step size is kept.
    pub fn new(name: impl Into<String>, policy: FastPolicy) -> Self {
        let features = policy.config().features.clone();
        let max_history = policy.config().max_history;
        Self {
            name: name.into(),
            policy: Arc::new(policy),
            features,
            max_history,
        }
    }

    /// Loads a policy folder (`config.json` + `weights.safetensors`), or the `best/` policy of
    /// a `pop-train` run folder. Needs no burn.
    pub fn load(dir: impl AsRef<Path>) -> Result<Self, PolicyError> {
        let dir = dir.as_ref();
        let best = dir.join("best");
        let folder = if best.is_dir() {
            best
        } else {
            dir.to_path_buf()
        };
        Ok(Self::new("pop", FastPolicy::load_dir(folder)?))
    }

    /// The same method under another name (e.g. `pop-paper`).
    pub fn renamed(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The same policy with another exploration noise `ν` of the move
    /// ([`FeatureConfig::explore_noise`]), for ablations: `0` turns a `pop` policy's exploration
    /// off, a positive `ν` adds it to a policy trained without (off its training distribution).
    /// Errors when `ν` is negative or not finite.
    pub fn with_explore_noise(mut self, noise: f64) -> Result<Self, PolicyError> {
        let features = FeatureConfig {
            explore_noise: noise,
            ..self.features.clone()
        };
        features.validate()?;
        self.features = features;
        if noise != self.policy.config().features.explore_noise {
            self.name = format!("{} (explore_noise {noise})", self.name);
        }
        Ok(self)
    }

    /// The featurisation this method runs with (the policy's own, unless
    /// [`with_explore_noise`](Self::with_explore_noise) changed the noise).
    pub fn features(&self) -> &FeatureConfig {
        &self.features
    }

    /// The policy this method runs.
    pub fn policy(&self) -> &FastPolicy {
        &self.policy
    }
}

fn model_err(e: PolicyError) -> OptimError {
    OptimError::InvalidConfig {
        method: "pop".into(),
        field: "policy",
        value: String::new(),
        reason: e.to_string(),
    }
}

struct PopRun {
    policy: Arc<FastPolicy>,
    features: FeatureConfig,
    d: usize,
    tr: Trajectory,
    cache: FastCache,
    token: Vec<f32>,
    mean: Vec<f32>,
    value: [f32; 1],
    /// The step size chosen at the last recorded step.
    u: Vec<f64>,
    /// Step size of the pending ask (u minus the halvings of failed retries).
    u_asked: Vec<f64>,
    /// Consecutive failed evaluations since the last good one.
    failures: u32,
    /// The direction of the next move (scratch).
    direction: Vec<f64>,
    rng: ChaCha8Rng,
}

impl Method for PopMethod {
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
        let cap = ctx.budget.max(1);
        let mut run = PopRun {
            policy: Arc::clone(&self.policy),
            features: self.features.clone(),
            d,
            tr: Trajectory::with_features(d, cap, &self.features).map_err(model_err)?,
            cache: self
                .policy
                .new_cache_with_capacity(1, d, cap.min(self.max_history).max(1))
                .map_err(model_err)?,
            token: vec![0.0; d * self.features.width()],
            mean: vec![0.0; d],
            value: [0.0],
            u: vec![self.features.initial_log_step; d],
            u_asked: vec![0.0; d],
            failures: 0,
            direction: vec![0.0; d],
            rng: ChaCha8Rng::seed_from_u64(ctx.seed),
        };
        run.record(first, None)?;
        Ok(Box::new(run))
    }
}

impl PopRun {
    /// Records a good evaluation (the policy sees it) or counts a failure.
    fn record(&mut self, e: &Evaluation<'_>, u: Option<&[f64]>) -> Result<(), OptimError> {
        match e.gradient {
            Some(g) if e.is_ok() && self.tr.len() < self.tr.budget() => {
                self.tr.push(e.z, e.value, g, u).map_err(model_err)?;
                self.failures = 0;
                // The policy's step at the new token (the cache grows by one).
                let s = self.tr.len() - 1;
                if self.cache.len() < self.cache.capacity() {
                    self.tr
                        .token_into(s, &self.features, &mut self.token)
                        .map_err(model_err)?;
                    self.policy
                        .step(
                            &mut self.cache,
                            &self.token,
                            &mut self.mean,
                            &mut self.value,
                        )
                        .map_err(model_err)?;
                    for (u, m) in self.u.iter_mut().zip(&self.mean) {
                        *u = f64::from(*m);
                    }
                }
            }
            _ => self.failures = self.failures.saturating_add(1),
        }
        Ok(())
    }
}

impl Optimizer for PopRun {
    fn ask(&mut self, z: &mut [f64]) -> Result<(), OptimError> {
        if self.tr.is_empty() {
            // No good point yet: probe uniformly.
            for zi in z.iter_mut() {
                *zi = self.rng.random::<f64>() * 2.0 - 1.0;
            }
            return Ok(());
        }
        let s = self.tr.len() - 1;
        self.tr
            .direction_into(s, &self.features, &mut self.direction)
            .map_err(model_err)?;
        add_exploration(&mut self.direction, &self.features, &mut self.rng);
        let shrink = f64::from(self.failures.min(60)) * std::f64::consts::LN_2;
        for (a, u) in self.u_asked.iter_mut().zip(&self.u) {
            *a = u - shrink;
        }
        let z_now = self.tr.z(s).map_err(model_err)?.to_vec();
        update_z(&z_now, &self.direction, &self.u_asked, z).map_err(model_err)?;
        debug_assert_eq!(z.len(), self.d);
        Ok(())
    }

    fn tell(&mut self, eval: &Evaluation<'_>) -> Result<(), OptimError> {
        let u = (!self.tr.is_empty()).then(|| self.u_asked.clone());
        self.record(eval, u.as_deref())
    }
}
