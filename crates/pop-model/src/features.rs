//! Tensors of tokens for the burn policy. The featurisation itself (the [`Trajectory`], its
//! scale and tokens, the update rule) is plain Rust in [`pop_optim::pop::features`] and is
//! re-exported here.

use burn::tensor::{Tensor, TensorData, backend::Backend};

use pop_optim::pop::PolicyError as ModelError;
pub use pop_optim::pop::features::*;

fn check_len(what: &'static str, expected: usize, got: usize) -> Result<(), ModelError> {
    if expected == got {
        Ok(())
    } else {
        Err(ModelError::DimensionMismatch {
            what,
            expected,
            got,
        })
    }
}

/// The features of a batch of trajectories as a `[B, d, T, F]` tensor (`F = cfg.width()`). All
/// must share `d` and their length `T`.
pub fn features_tensor<B: Backend>(
    trajectories: &[Trajectory],
    cfg: &FeatureConfig,
    device: &B::Device,
) -> Result<Tensor<B, 4>, ModelError> {
    let first = trajectories.first().ok_or(ModelError::Empty {
        what: "batch of trajectories",
    })?;
    if first.is_empty() {
        return Err(ModelError::Empty {
            what: "trajectory (no steps)",
        });
    }
    let (d, t, w) = (first.dim(), first.len(), cfg.width());
    let per = d * t * w;
    let mut data = vec![0.0_f32; trajectories.len() * per];
    for (tr, chunk) in trajectories.iter().zip(data.chunks_exact_mut(per)) {
        check_len("trajectory dimension d", d, tr.dim())?;
        check_len("trajectory length", t, tr.len())?;
        tr.features_into(cfg, chunk)?;
    }
    Ok(Tensor::from_data(
        TensorData::new(data, [trajectories.len(), d, t, w]),
        device,
    ))
}

/// The tokens of step `s` of a batch of trajectories as a `[B, d, F]` tensor (`F = cfg.width()`,
/// the input of [`Policy::step`](crate::Policy::step)).
pub fn token_tensor<B: Backend>(
    trajectories: &[Trajectory],
    s: usize,
    cfg: &FeatureConfig,
    device: &B::Device,
) -> Result<Tensor<B, 3>, ModelError> {
    let first = trajectories.first().ok_or(ModelError::Empty {
        what: "batch of trajectories",
    })?;
    let (d, w) = (first.dim(), cfg.width());
    let per = d * w;
    let mut data = vec![0.0_f32; trajectories.len() * per];
    for (tr, chunk) in trajectories.iter().zip(data.chunks_exact_mut(per)) {
        check_len("trajectory dimension d", d, tr.dim())?;
        tr.token_into(s, cfg, chunk)?;
    }
    Ok(Tensor::from_data(
        TensorData::new(data, [trajectories.len(), d, w]),
        device,
    ))
}
