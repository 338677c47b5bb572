//! Invariance tests of the burn policy: coordinate permutation, batching, causality, cached
//! versus full forward, typed errors, and the default size.

mod common;

use burn::module::{AutodiffModule, Module};
use burn::tensor::{Tensor, backend::Backend};
use common::*;
use pop_model::{
    FeatureConfig, ModelError, N_FEATURES, PolicyConfig, PolicyInit, TimeEmbedding, TrainBackend,
    Trajectory, features_tensor,
};

/// Tolerance of comparisons between mathematically equal computations in f32.
const TOL: f32 = 1e-5;

/// Permutes the coordinate axis of `[b, d, t, F]` data: output coordinate `i` is input `perm[i]`.
fn permute_coords(x: &[f32], b: usize, d: usize, t: usize, perm: &[usize]) -> Vec<f32> {
    let per_coord = t * N_FEATURES;
    let mut out = vec![0.0; x.len()];
    for bi in 0..b {
        for (i, &p) in perm.iter().enumerate() {
            let src = (bi * d + p) * per_coord;
            let dst = (bi * d + i) * per_coord;
            out[dst..dst + per_coord].copy_from_slice(&x[src..src + per_coord]);
        }
    }
    out
}

#[test]
fn permuting_coordinates_permutes_outputs() {
    let (b, d, t) = (2, 5, 7);
    let perm = [3, 0, 4, 1, 2];
    for mixing in [false, true] {
        let policy = small_policy(mixing, 1);
        let mut rng = SplitMix(11);
        let x = random_features(&mut rng, b, d, t);
        let xp = permute_coords(&x, b, d, t, &perm);
        let out = policy.forward(tensor4(x, [b, d, t, N_FEATURES])).unwrap();
        let outp = policy.forward(tensor4(xp, [b, d, t, N_FEATURES])).unwrap();
        let mean = to_vec(out.mean);
        let meanp = to_vec(outp.mean);
        for bi in 0..b {
            for (i, &p) in perm.iter().enumerate() {
                let a = &meanp[(bi * d + i) * t..(bi * d + i + 1) * t];
                let e = &mean[(bi * d + p) * t..(bi * d + p + 1) * t];
                assert_close(a, e, TOL, &format!("mixing={mixing} mean b={bi} i={i}"));
            }
        }
        assert_close(
            &to_vec(outp.value),
            &to_vec(out.value),
            TOL,
            &format!("mixing={mixing} value"),
        );
    }
}

#[test]
fn mixing_couples_coordinates_and_no_mixing_does_not() {
    let (b, d, t) = (1, 3, 5);
    let mut rng = SplitMix(5);
    let x = random_features(&mut rng, b, d, t);
    // Change coordinate 2 only.
    let mut x2 = x.clone();
    for v in &mut x2[2 * t * N_FEATURES..] {
        *v += 0.5;
    }
    for mixing in [false, true] {
        let policy = small_policy(mixing, 2);
        let m1 = to_vec(
            policy
                .forward(tensor4(x.clone(), [b, d, t, N_FEATURES]))
                .unwrap()
                .mean,
        );
        let m2 = to_vec(
            policy
                .forward(tensor4(x2.clone(), [b, d, t, N_FEATURES]))
                .unwrap()
                .mean,
        );
        let diff = max_abs_diff(&m1[..t], &m2[..t]);
        if mixing {
            assert!(
                diff > 1e-4,
                "mixing should let coordinate 2 influence coordinate 0"
            );
        } else {
            assert!(
                diff <= TOL,
                "without mixing coordinates are independent ({diff:e})"
            );
        }
    }
}

#[test]
fn batch_of_one_equals_row_of_batch() {
    let (b, d, t) = (3, 4, 6);
    for mixing in [false, true] {
        let policy = small_policy(mixing, 3);
        let mut rng = SplitMix(21);
        let x = random_features(&mut rng, b, d, t);
        let out = policy
            .forward(tensor4(x.clone(), [b, d, t, N_FEATURES]))
            .unwrap();
        let mean = to_vec(out.mean);
        let value = to_vec(out.value);
        let per = d * t * N_FEATURES;
        for bi in 0..b {
            let xi = x[bi * per..(bi + 1) * per].to_vec();
            let one = policy.forward(tensor4(xi, [1, d, t, N_FEATURES])).unwrap();
            assert_close(
                &to_vec(one.mean),
                &mean[bi * d * t..(bi + 1) * d * t],
                TOL,
                "mean of a batch of one",
            );
            assert_close(
                &to_vec(one.value),
                &value[bi * t..(bi + 1) * t],
                TOL,
                "value of a batch of one",
            );
        }
    }
}

#[test]
fn change_at_step_s_leaves_earlier_outputs_unchanged() {
    let (b, d, t, s) = (2, 3, 9, 4);
    for mixing in [false, true] {
        let policy = small_policy(mixing, 4);
        let mut rng = SplitMix(31);
        let x = random_features(&mut rng, b, d, t);
        let mut x2 = x.clone();
        for bi in 0..b {
            for i in 0..d {
                for step in s..t {
                    for f in 0..N_FEATURES {
                        x2[((bi * d + i) * t + step) * N_FEATURES + f] +=
                            rng.uniform(-1.0, 1.0) as f32;
                    }
                }
            }
        }
        let o1 = policy.forward(tensor4(x, [b, d, t, N_FEATURES])).unwrap();
        let o2 = policy.forward(tensor4(x2, [b, d, t, N_FEATURES])).unwrap();
        let (m1, m2) = (to_vec(o1.mean), to_vec(o2.mean));
        let (v1, v2) = (to_vec(o1.value), to_vec(o2.value));
        for row in 0..b * d {
            let (a, c) = (&m1[row * t..row * t + t], &m2[row * t..row * t + t]);
            assert_close(&a[..s], &c[..s], TOL, "mean before s");
            assert!(
                max_abs_diff(&a[s..], &c[s..]) > 1e-4,
                "mean from s on should change"
            );
        }
        for bi in 0..b {
            assert_close(
                &v1[bi * t..bi * t + s],
                &v2[bi * t..bi * t + s],
                TOL,
                "value before s",
            );
        }
    }
}

/// Runs `policy.step` over every step of `x: [b, d, t, F]` and compares with the full forward.
fn check_cached_equals_full(
    policy: &pop_model::Policy<B>,
    b: usize,
    d: usize,
    t: usize,
    seed: u64,
) {
    let mut rng = SplitMix(seed);
    let x = random_features(&mut rng, b, d, t);
    let full = policy
        .forward(tensor4(x.clone(), [b, d, t, N_FEATURES]))
        .unwrap();
    let mean = to_vec(full.mean);
    let value = to_vec(full.value);
    let mut cache = policy.new_cache(b, d).unwrap();
    for s in 0..t {
        let mut tok = Vec::with_capacity(b * d * N_FEATURES);
        for row in 0..b * d {
            let at = (row * t + s) * N_FEATURES;
            tok.extend_from_slice(&x[at..at + N_FEATURES]);
        }
        let (m, v) = policy
            .step(&mut cache, tensor3(tok, [b, d, N_FEATURES]))
            .unwrap();
        let expect_m: Vec<f32> = (0..b * d).map(|row| mean[row * t + s]).collect();
        let expect_v: Vec<f32> = (0..b).map(|bi| value[bi * t + s]).collect();
        assert_close(
            &to_vec(m),
            &expect_m,
            TOL,
            &format!("cached mean at step {s}"),
        );
        assert_close(
            &to_vec(v),
            &expect_v,
            TOL,
            &format!("cached value at step {s}"),
        );
    }
    assert_eq!(cache.len(), t);
}

#[test]
fn cached_step_equals_full_forward() {
    check_cached_equals_full(&small_policy(false, 5), 2, 3, 12, 41);
    check_cached_equals_full(&small_policy(true, 6), 2, 3, 12, 42);
    let sinusoidal = common::small_config(false).with_time_embedding(TimeEmbedding::Sinusoidal);
    check_cached_equals_full(&sinusoidal.init_seeded(7), 1, 2, 10, 43);
    let progress = common::small_config(true).with_time_embedding(TimeEmbedding::Progress);
    check_cached_equals_full(&progress.init_seeded(9), 2, 2, 10, 44);
}

#[test]
fn prefilled_cache_continues_the_sequence() {
    let policy = small_policy(true, 8);
    let (b, d, t, k) = (2, 2, 10, 6);
    let mut rng = SplitMix(51);
    let x = random_features(&mut rng, b, d, t);
    let full = to_vec(
        policy
            .forward(tensor4(x.clone(), [b, d, t, N_FEATURES]))
            .unwrap()
            .mean,
    );
    let mut prefix = Vec::new();
    for row in 0..b * d {
        prefix.extend_from_slice(&x[row * t * N_FEATURES..(row * t + k) * N_FEATURES]);
    }
    let (_, mut cache) = policy
        .forward_with_cache(tensor4(prefix, [b, d, k, N_FEATURES]))
        .unwrap();
    assert_eq!(cache.len(), k);
    for s in k..t {
        let mut tok = Vec::new();
        for row in 0..b * d {
            let at = (row * t + s) * N_FEATURES;
            tok.extend_from_slice(&x[at..at + N_FEATURES]);
        }
        let (m, _) = policy
            .step(&mut cache, tensor3(tok, [b, d, N_FEATURES]))
            .unwrap();
        let expect: Vec<f32> = (0..b * d).map(|row| full[row * t + s]).collect();
        assert_close(&to_vec(m), &expect, TOL, "step after prefill");
    }
}

#[test]
fn wrong_inputs_give_typed_errors() {
    let policy = small_policy(false, 9);
    let mut rng = SplitMix(61);
    // Wrong feature width.
    let x = rng.vec_f32(2 * 3 * 4 * 5, -1.0, 1.0);
    let err = policy.forward(tensor4(x, [2, 3, 4, 5])).unwrap_err();
    assert!(
        matches!(
            err,
            ModelError::FeatureWidth {
                expected: 7,
                got: 5
            }
        ),
        "{err}"
    );
    let mut cache = policy.new_cache(1, 2).unwrap();
    let err = policy
        .step(&mut cache, tensor3(vec![0.0; 2 * 6], [1, 2, 6]))
        .unwrap_err();
    assert!(matches!(err, ModelError::FeatureWidth { .. }), "{err}");
    // Empty sequence.
    let err = policy
        .forward(tensor4(vec![], [1, 2, 0, N_FEATURES]))
        .unwrap_err();
    assert!(matches!(err, ModelError::Empty { .. }), "{err}");
    // Empty trajectory.
    let tr = Trajectory::new(2, 10).unwrap();
    let err =
        features_tensor::<B>(&[tr], &FeatureConfig::default(), &Default::default()).unwrap_err();
    assert!(matches!(err, ModelError::Empty { .. }), "{err}");
    let err =
        features_tensor::<B>(&[], &FeatureConfig::default(), &Default::default()).unwrap_err();
    assert!(matches!(err, ModelError::Empty { .. }), "{err}");
    // NaN and infinite features.
    for bad in [f32::NAN, f32::INFINITY] {
        let mut x = random_features(&mut rng, 1, 2, 3);
        x[5] = bad;
        let err = policy
            .forward(tensor4(x, [1, 2, 3, N_FEATURES]))
            .unwrap_err();
        assert!(matches!(err, ModelError::NonFinite { .. }), "{err}");
        let mut tok = rng.vec_f32(2 * N_FEATURES, -1.0, 1.0);
        tok[3] = bad;
        let err = policy
            .step(&mut cache, tensor3(tok, [1, 2, N_FEATURES]))
            .unwrap_err();
        assert!(matches!(err, ModelError::NonFinite { .. }), "{err}");
    }
    // d mismatch with the cache, batch mismatch.
    let tok = rng.vec_f32(3 * N_FEATURES, -1.0, 1.0);
    let err = policy
        .step(&mut cache, tensor3(tok, [1, 3, N_FEATURES]))
        .unwrap_err();
    assert!(
        matches!(
            err,
            ModelError::DimensionMismatch {
                expected: 2,
                got: 3,
                ..
            }
        ),
        "{err}"
    );
    let tok = rng.vec_f32(2 * 2 * N_FEATURES, -1.0, 1.0);
    let err = policy
        .step(&mut cache, tensor3(tok, [2, 2, N_FEATURES]))
        .unwrap_err();
    assert!(matches!(err, ModelError::DimensionMismatch { .. }), "{err}");
    assert_eq!(cache.len(), 0, "failed steps must leave the cache alone");
    // History longer than the time embedding.
    let max = policy.config().max_history;
    let x = random_features(&mut rng, 1, 1, max + 1);
    let err = policy
        .forward(tensor4(x, [1, 1, max + 1, N_FEATURES]))
        .unwrap_err();
    assert!(matches!(err, ModelError::HistoryTooLong { .. }), "{err}");
    // Invalid configs.
    for cfg in [
        PolicyConfig::small(15, 1, 2),
        PolicyConfig::small(16, 0, 2),
        PolicyConfig::small(16, 1, 2).with_max_history(0),
    ] {
        let err = cfg.init::<B>(&Default::default()).unwrap_err();
        assert!(matches!(err, ModelError::InvalidConfig { .. }), "{err}");
    }
    assert!(matches!(
        policy.new_cache(0, 2),
        Err(ModelError::Empty { .. })
    ));
}

/// burn initialises parameters lazily and a clone of an uninitialised parameter draws its own
/// values; `init` materialises them, so a clone taken right away is the same network.
#[test]
fn clone_right_after_init_is_the_same_network() {
    let policy = small_config(true).init_seeded(12);
    let copy = policy.clone();
    let mut rng = SplitMix(13);
    let x = random_features(&mut rng, 1, 2, 4);
    let a = to_vec(
        copy.forward(tensor4(x.clone(), [1, 2, 4, N_FEATURES]))
            .unwrap()
            .mean,
    );
    let b = to_vec(
        policy
            .forward(tensor4(x, [1, 2, 4, N_FEATURES]))
            .unwrap()
            .mean,
    );
    assert_eq!(a, b);
}

#[test]
fn output_shapes_and_initial_distribution() {
    let cfg = common::small_config(false);
    let policy = cfg.init_seeded(10);
    let mut rng = SplitMix(71);
    let (b, d, t) = (2, 3, 4);
    let out = policy
        .forward(tensor4(
            random_features(&mut rng, b, d, t),
            [b, d, t, N_FEATURES],
        ))
        .unwrap();
    assert_eq!(out.mean.dims(), [b, d, t]);
    assert_eq!(out.log_std.dims(), [b, d, t]);
    assert_eq!(out.value.dims(), [b, t]);
    let log_std = to_vec(out.log_std);
    assert!(
        log_std
            .iter()
            .all(|&v| (v as f64 - cfg.init_log_std).abs() < 1e-6)
    );
}

/// The default configuration of pop-method §4 (d_model 64, 4 layers, 4 heads, d_ff 256, history
/// 256, 7 features): embedding 7·64+64 = 512, time table 256·64 = 16 384, per block 2·128
/// (norms), 64·192+192 (qkv), 64·64+64 (out), 64·256+256 and 256·64+64 (ff), together 49 984;
/// final norm 128, heads 2·65, log-std 1.
#[test]
fn default_config_parameter_count() {
    let policy = PolicyConfig::new().init::<B>(&Default::default()).unwrap();
    assert_eq!(
        policy.num_params(),
        512 + 16_384 + 4 * 49_984 + 128 + 130 + 1
    );
    assert_eq!(policy.num_params(), 217_091);
    let mixing = PolicyConfig::new()
        .with_cross_coordinate_mixing(true)
        .init::<B>(&Default::default())
        .unwrap();
    assert_eq!(mixing.num_params(), 217_091 + 4 * (64 * 64 + 64));
}

#[test]
fn autodiff_forward_backward_reaches_every_parameter() {
    let device = Default::default();
    let policy = common::small_config(true)
        .init::<TrainBackend>(&device)
        .unwrap();
    let mut rng = SplitMix(81);
    let (b, d, t) = (2, 2, 5);
    let x = Tensor::<TrainBackend, 4>::from_data(
        burn::tensor::TensorData::new(random_features(&mut rng, b, d, t), [b, d, t, N_FEATURES]),
        &device,
    );
    let out = policy.forward(x).unwrap();
    let loss = out.mean.powf_scalar(2.0).mean() + out.value.mean() + out.log_std.mean();
    let grads = loss.backward();
    let g_std = policy
        .log_std
        .val()
        .grad(&grads)
        .expect("log_std has a gradient");
    assert_eq!(g_std.dims(), [1]);
    let g_embed = policy
        .embed
        .weight
        .val()
        .grad(&grads)
        .expect("embedding has a gradient");
    let g: Vec<f32> = g_embed.into_data().to_vec().unwrap();
    assert!(g.iter().any(|v| *v != 0.0) && g.iter().all(|v| v.is_finite()));
    let table = policy.time_table.as_ref().expect("learned table");
    assert!(
        table.val().grad(&grads).is_some(),
        "time table has a gradient"
    );
    let mix = policy.blocks[0].mix.as_ref().expect("mixing layer");
    assert!(
        mix.weight.val().grad(&grads).is_some(),
        "mixing layer has a gradient"
    );
    // The inference copy of the trained module gives the same outputs.
    let valid = policy.valid();
    let _ = <B as Backend>::name(&Default::default());
    let x = random_features(&mut rng, 1, 2, 3);
    let a = to_vec(
        valid
            .forward(tensor4(x.clone(), [1, 2, 3, N_FEATURES]))
            .unwrap()
            .mean,
    );
    let x_ad = Tensor::<TrainBackend, 4>::from_data(
        burn::tensor::TensorData::new(x, [1, 2, 3, N_FEATURES]),
        &device,
    );
    let m: Vec<f32> = policy
        .forward(x_ad)
        .unwrap()
        .mean
        .into_data()
        .to_vec()
        .unwrap();
    assert_close(&a, &m, TOL, "valid() equals the autodiff module");
}
