//! From the burn module to the plain-f32 [`FastPolicy`] of `pop-optim` (the policy's named
//! tensors, see [`NamedTensors`]).

use burn::module::Param;
use burn::nn::{LayerNorm, Linear};
use burn::tensor::{Tensor, backend::Backend};
use pop_optim::pop::{FastPolicy, NamedTensors, PolicyError as ModelError, TimeEmbedding};

use crate::policy::Policy;

fn values<B: Backend, const D: usize>(
    t: Tensor<B, D>,
) -> Result<(Vec<usize>, Vec<f32>), ModelError> {
    let shape = t.dims().to_vec();
    let v = t
        .into_data()
        .convert::<f32>()
        .to_vec::<f32>()
        .map_err(|e| ModelError::TensorData {
            reason: format!("{e:?}"),
        })?;
    Ok((shape, v))
}

fn put<B: Backend, const D: usize>(
    t: &mut NamedTensors,
    name: impl Into<String>,
    p: &Param<Tensor<B, D>>,
) -> Result<(), ModelError> {
    t.insert(name.into(), values(p.val())?);
    Ok(())
}

fn put_linear<B: Backend>(
    t: &mut NamedTensors,
    prefix: &str,
    l: &Linear<B>,
) -> Result<(), ModelError> {
    put(t, format!("{prefix}.weight"), &l.weight)?;
    match &l.bias {
        Some(b) => put(t, format!("{prefix}.bias"), b)?,
        None => {
            let d_out = l.weight.val().dims()[1];
            t.insert(format!("{prefix}.bias"), (vec![d_out], vec![0.0; d_out]));
        }
    }
    Ok(())
}

fn put_norm<B: Backend>(
    t: &mut NamedTensors,
    prefix: &str,
    n: &LayerNorm<B>,
) -> Result<(), ModelError> {
    put(t, format!("{prefix}.gamma"), &n.gamma)?;
    match &n.beta {
        Some(b) => put(t, format!("{prefix}.beta"), b)?,
        None => {
            let d = n.gamma.val().dims()[0];
            t.insert(format!("{prefix}.beta"), (vec![d], vec![0.0; d]));
        }
    }
    Ok(())
}

/// The weights of `policy` as named tensors.
pub fn named_tensors<B: Backend>(policy: &Policy<B>) -> Result<NamedTensors, ModelError> {
    let cfg = policy.config();
    let mut t = NamedTensors::new();
    put_linear(&mut t, "embed", &policy.embed)?;
    match (&policy.time_table, cfg.time_embedding) {
        (Some(table), TimeEmbedding::Learned) => put(&mut t, "time_table", table)?,
        (None, TimeEmbedding::Sinusoidal | TimeEmbedding::Progress) => {}
        _ => {
            return Err(ModelError::InvalidConfig {
                reason: "time embedding of the module does not match its config".into(),
            });
        }
    }
    for (l, b) in policy.blocks.iter().enumerate() {
        let p = |name: &str| format!("blocks.{l}.{name}");
        put_norm(&mut t, &p("norm_attn"), &b.norm_attn)?;
        put_linear(&mut t, &p("qkv"), &b.qkv)?;
        put_linear(&mut t, &p("attn_out"), &b.attn_out)?;
        put_norm(&mut t, &p("norm_ff"), &b.norm_ff)?;
        put_linear(&mut t, &p("ff_in"), &b.ff_in)?;
        put_linear(&mut t, &p("ff_out"), &b.ff_out)?;
        if let Some(mix) = &b.mix {
            put_linear(&mut t, &p("mix"), mix)?;
        }
    }
    put_norm(&mut t, "norm_out", &policy.norm_out)?;
    put_linear(&mut t, "mean_head", &policy.mean_head)?;
    put_linear(&mut t, "value_head", &policy.value_head)?;
    let (shape, v) = values(policy.log_std.val())?;
    let n: usize = shape.iter().product();
    t.insert("log_std".into(), (vec![n], v));
    Ok(t)
}

/// Copies the weights of `policy` into the plain-f32 [`FastPolicy`] (same math as
/// [`Policy::step`], tested equal).
pub fn export_fast<B: Backend>(policy: &Policy<B>) -> Result<FastPolicy, ModelError> {
    FastPolicy::from_named(policy.config(), &named_tensors(policy)?)
}
