//! The f32 training passes ([`SeqNet`]) equal burn: the forward outputs, and the gradients of a
//! linear loss in the outputs against burn's autodiff, for every time embedding and both
//! featurisations.
//!
//! The reference is burn in **f64** (`Autodiff<NdArray<f64>>`): the f32 passes agree with it to
//! about 2e-7 relative, while burn's own f32 autodiff differs from it by up to ~4e-4 relative
//! (measured on these configs), so an f32-vs-f32 comparison would only test burn's rounding.
//!
//! This file holds one test on purpose: burn 0.21 fixes a device's default float type the first
//! time any backend touches it, and burn-ndarray's f32 and f64 backends share the CPU device, so
//! an f32 test running first in the same process would silently make the "f64" reference f32
//! (the test checks the dtype).

mod common;

use burn::optim::GradientsParams;
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};
use common::*;
use pop_model::{
    ExtraFeature, FeatureConfig, PolicyConfig, PolicyInit, SeqNet, StepRule, TimeEmbedding,
    named_gradients, register_gradients,
};

/// The f64 reference backend.
type AD = burn::backend::Autodiff<burn::backend::NdArray<f64>>;

fn configs() -> Vec<PolicyConfig> {
    let rms = FeatureConfig {
        step: StepRule::Rms,
        extra: vec![ExtraFeature::RmsGrad],
        ..FeatureConfig::default()
    };
    let mut out = Vec::new();
    for time in [
        TimeEmbedding::Learned,
        TimeEmbedding::Sinusoidal,
        TimeEmbedding::Progress,
    ] {
        for features in [FeatureConfig::default(), rms.clone()] {
            out.push(
                small_config(false)
                    .with_time_embedding(time)
                    .with_features(features),
            );
        }
    }
    out
}

#[test]
fn forward_and_gradients_equal_burn() {
    let (b, d, t) = (2, 3, 11);
    for (c, cfg) in configs().into_iter().enumerate() {
        let device = Default::default();
        <AD as Backend>::seed(&device, 30 + c as u64);
        let policy = cfg.init::<AD>(&device).unwrap();
        let w = cfg.n_features;
        let mut rng = SplitMix(60 + c as u64);
        let x = rng.vec_f32(b * d * t * w, -1.5, 1.5);
        let cm = rng.vec_f32(b * d * t, -1.0, 1.0);
        let cv = rng.vec_f32(b * t, -1.0, 1.0);
        // burn: L = Σ cm·mean + Σ cv·value.
        let wide = |v: &[f32]| v.iter().map(|&a| f64::from(a)).collect::<Vec<f64>>();
        let out = policy
            .forward(Tensor::<AD, 4>::from_data(
                TensorData::new(wide(&x), [b, d, t, w]),
                &device,
            ))
            .unwrap();
        assert_eq!(
            out.mean.dtype(),
            burn::tensor::DType::F64,
            "the reference must run in f64 (see the module documentation)"
        );
        let mean_burn: Vec<f32> = out.mean.clone().into_data().iter::<f32>().collect();
        let value_burn: Vec<f32> = out.value.clone().into_data().iter::<f32>().collect();
        let loss = (out.mean
            * Tensor::<AD, 3>::from_data(TensorData::new(wide(&cm), [b, d, t]), &device))
        .sum()
            + (out.value * Tensor::<AD, 2>::from_data(TensorData::new(wide(&cv), [b, t]), &device))
                .sum();
        let grads = GradientsParams::from_grads(loss.backward(), &policy);
        let want = named_gradients(&policy, &grads).unwrap();
        // f32 passes, one function at a time.
        let net = SeqNet::from_policy(&policy).unwrap();
        let mut g = net.zero_grads();
        let per = d * t * w;
        for bi in 0..b {
            let xb = &x[bi * per..(bi + 1) * per];
            let tape = net.forward(xb, d, t).unwrap();
            assert_close(
                &tape.mean,
                &mean_burn[bi * d * t..(bi + 1) * d * t],
                1e-5,
                &format!("config {c}: mean"),
            );
            assert_close(
                &tape.value,
                &value_burn[bi * t..(bi + 1) * t],
                1e-5,
                &format!("config {c}: value"),
            );
            net.backward(
                &tape,
                xb,
                &cm[bi * d * t..(bi + 1) * d * t],
                &cv[bi * t..(bi + 1) * t],
                &mut g,
            )
            .unwrap();
        }
        let got = g.to_named();
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            want.keys().collect::<Vec<_>>()
        );
        for (name, (shape, v)) in &want {
            let (gs, gv) = &got[name];
            assert_eq!(gs, shape, "{name}");
            // Relative to the tensor's norm: float rounding only (a wrong term would be of the
            // order of the gradient itself).
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-4);
            let err = gv
                .iter()
                .zip(v)
                .map(|(a, b)| (a - b) * (a - b))
                .sum::<f32>()
                .sqrt();
            assert!(
                err <= 1e-5 * norm,
                "config {c}: gradient of {name} differs by {err:e} (norm {norm:e})"
            );
        }
        // The gradients register under the module's parameter ids.
        let params = register_gradients(&policy, &got).unwrap();
        assert_eq!(params.len(), got.len());
    }
}
