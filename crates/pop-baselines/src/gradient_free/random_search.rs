//! Uniform random search in the box.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::{check_len, uniform_box};
use pop_optim::{Evaluation, Method, OptimError, Optimizer, RunContext};

/// Random search: every point after the start is drawn uniformly from `[−1, 1]^d`, independently
/// of everything seen. It has no hyperparameters. Name: `random-search`.
///
/// Failed evaluations change nothing (the method keeps no state beyond its generator).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RandomSearchConfig {}

impl RandomSearchConfig {
    /// Always valid (there is nothing to check); kept for a uniform interface.
    pub fn validate(&self) -> Result<(), OptimError> {
        Ok(())
    }
}

impl Method for RandomSearchConfig {
    fn name(&self) -> String {
        "random-search".to_string()
    }

    fn uses_gradient(&self) -> bool {
        false
    }

    fn start(
        &self,
        ctx: &RunContext,
        _first: &Evaluation<'_>,
    ) -> Result<Box<dyn Optimizer>, OptimError> {
        self.validate()?;
        Ok(Box::new(RandomSearchRun {
            rng: ChaCha8Rng::seed_from_u64(ctx.seed),
            dim: ctx.dim,
        }))
    }
}

/// One run: only the generator.
struct RandomSearchRun {
    rng: ChaCha8Rng,
    dim: usize,
}

impl Optimizer for RandomSearchRun {
    fn ask(&mut self, z: &mut [f64]) -> Result<(), OptimError> {
        check_len("random-search", z.len(), self.dim)?;
        uniform_box(&mut self.rng, z);
        Ok(())
    }

    fn tell(&mut self, eval: &Evaluation<'_>) -> Result<(), OptimError> {
        check_len("random-search", eval.z.len(), self.dim)
    }
}
