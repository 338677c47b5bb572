//! Gradient-free methods: random search, a real-coded genetic algorithm, differential evolution,
//! CMA-ES.
//!
//! All of them work in the canonical box `z ∈ [−1, 1]^d` and never ask for a gradient
//! ([`pop_optim::Method::uses_gradient`] is `false`). Population methods ask one point at a time and
//! buffer their population internally; the harness may stop them in the middle of a generation when
//! the budget is spent. The start point the harness evaluated first is used by every method: as a
//! member of the initial population (genetic algorithm, differential evolution), as the initial
//! mean (CMA-ES), or only as a candidate best (random search, which has no state).
//!
//! A failed evaluation arrives as `value = +∞`: population methods rank it last (it loses every
//! comparison with a finite value), so it never becomes a parent, the best member or a recombination
//! point while finite values exist. Every asked point is finite and inside the box.
//!
//! | method | config | name |
//! |---|---|---|
//! | uniform random search | [`RandomSearchConfig`] | `random-search` |
//! | real-coded GA (SBX + polynomial mutation, NSGA-II operators) | [`GaConfig`] | `ga_pop20` |
//! | differential evolution (SciPy's algorithm) | [`DeConfig`] | `de_best1bin_pop15` |
//! | CMA-ES (pycma's defaults, BoundTransform) | [`CmaEsConfig`] | `cmaes_sigma0.5` |

mod cmaes;
mod de;
mod ga;
mod random_search;

pub use cmaes::CmaEsConfig;
pub use de::{DeConfig, DeInit, DeStrategy};
pub use ga::GaConfig;
pub use random_search::RandomSearchConfig;

use pop_optim::OptimError;

/// Builds an [`OptimError::InvalidConfig`].
fn invalid(
    method: &str,
    field: &'static str,
    value: impl std::fmt::Display,
    reason: impl Into<String>,
) -> OptimError {
    OptimError::InvalidConfig {
        method: method.to_string(),
        field,
        value: value.to_string(),
        reason: reason.into(),
    }
}

/// Checks that the harness told a point of the run's dimension.
fn check_len(method: &str, got: usize, dim: usize) -> Result<(), OptimError> {
    if got == dim {
        Ok(())
    } else {
        Err(OptimError::Internal {
            method: method.to_string(),
            reason: format!("told a point of length {got} in dimension {dim}"),
        })
    }
}

/// The value used for ranking: `+∞` for anything that is not finite (a failed evaluation; NaN is
/// never told by the harness, but is ranked last too rather than trusted).
fn rank_value(v: f64) -> f64 {
    if v.is_finite() { v } else { f64::INFINITY }
}

/// Writes a uniform point of `[−1, 1]` into each coordinate.
fn uniform_box(rng: &mut rand_chacha::ChaCha8Rng, z: &mut [f64]) {
    use rand::RngExt;
    for zi in z.iter_mut() {
        *zi = 2.0 * rng.random::<f64>() - 1.0;
    }
}

/// Clamps into `[−1, 1]`, mapping a non-finite component to the box centre (never reached by the
/// methods' arithmetic; a last line of defence so that no NaN point is ever asked).
fn sanitize(z: &mut [f64]) {
    for zi in z.iter_mut() {
        *zi = if zi.is_finite() {
            zi.clamp(-1.0, 1.0)
        } else {
            0.0
        };
    }
}
