//! Seed derivation and the crate's random number generator.
//!
//! Every random draw in this crate comes from a [`ChaCha8Rng`] seeded explicitly from a `u64`;
//! child seeds are derived with [`child_seed`] (SplitMix64 mixing, defined once in `pop_optim::seed`), so any object can be
//! regenerated alone from its seed. No thread-local or OS randomness is used anywhere.

use rand::SeedableRng;
pub use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

pub use pop_optim::seed::{child_seed, splitmix64};

/// The generator for `seed`: `ChaCha8Rng::seed_from_u64(seed)`.
pub fn rng_from_seed(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// One standard normal draw.
pub(crate) fn normal(rng: &mut ChaCha8Rng) -> f64 {
    StandardNormal.sample(rng)
}

/// One uniform draw in `[0, 1)`.
pub(crate) fn uniform(rng: &mut ChaCha8Rng) -> f64 {
    use rand::RngExt;
    rng.random::<f64>()
}

/// One uniform draw in `[lo, hi]` (returns `lo` when `lo == hi`).
pub(crate) fn uniform_in(rng: &mut ChaCha8Rng, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * uniform(rng)
}

/// One log-uniform draw in `[lo, hi]` (`0 < lo ≤ hi`).
pub(crate) fn log_uniform(rng: &mut ChaCha8Rng, lo: f64, hi: f64) -> f64 {
    (uniform_in(rng, lo.ln(), hi.ln())).exp()
}

/// Picks an index with probability proportional to `weights` (non-negative, positive sum).
pub(crate) fn categorical(rng: &mut ChaCha8Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut u = uniform(rng) * total;
    for (i, &w) in weights.iter().enumerate() {
        if u < w {
            return i;
        }
        u -= w;
    }
    // Rounding: fall back to the last category with positive weight.
    weights.iter().rposition(|&w| w > 0.0).unwrap_or(0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn derived_seeds_differ_and_repeat() {
        assert_eq!(child_seed(1, 2), child_seed(1, 2));
        assert_ne!(child_seed(1, 2), child_seed(2, 1));
        assert_ne!(child_seed(0, 0), child_seed(0, 1));
        let mut a = rng_from_seed(7);
        let mut b = rng_from_seed(7);
        assert_eq!(normal(&mut a).to_bits(), normal(&mut b).to_bits());
    }

    #[test]
    fn categorical_respects_zero_weights() {
        let mut rng = rng_from_seed(3);
        for _ in 0..1000 {
            let i = categorical(&mut rng, &[0.0, 1.0, 0.0, 2.0]);
            assert!(i == 1 || i == 3);
        }
    }
}
