//! The hand-written f32 inference path equals the burn forward.

mod common;

use common::*;
use pop_model::{
    ExtraFeature, FastPolicy, FeatureConfig, ModelError, N_FEATURES, Policy, PolicyConfig, SeqNet,
    StepRule, TimeEmbedding, export_fast,
};

/// Tolerance of FastPolicy against the burn full forward (absolute, f32).
const TOL: f32 = 1e-5;

fn check(policy: &Policy<B>, fast: &FastPolicy, b: usize, d: usize, t: usize, seed: u64) {
    let mut rng = SplitMix(seed);
    let w = policy.config().n_features;
    let x = rng.vec_f32(b * d * t * w, -1.5, 1.5);
    let full = policy.forward(tensor4(x.clone(), [b, d, t, w])).unwrap();
    let mean = to_vec(full.mean);
    let value = to_vec(full.value);
    let mut cache = fast.new_cache(b, d).unwrap();
    let mut tok = vec![0.0_f32; b * d * w];
    let (mut m, mut v) = (vec![0.0_f32; b * d], vec![0.0_f32; b]);
    for s in 0..t {
        for row in 0..b * d {
            let at = (row * t + s) * w;
            tok[row * w..(row + 1) * w].copy_from_slice(&x[at..at + w]);
        }
        fast.step(&mut cache, &tok, &mut m, &mut v).unwrap();
        let expect_m: Vec<f32> = (0..b * d).map(|row| mean[row * t + s]).collect();
        let expect_v: Vec<f32> = (0..b).map(|bi| value[bi * t + s]).collect();
        assert_close(&m, &expect_m, TOL, &format!("fast mean at step {s}"));
        assert_close(&v, &expect_v, TOL, &format!("fast value at step {s}"));
    }
}

#[test]
fn fast_policy_equals_burn_forward() {
    for mixing in [false, true] {
        let policy = small_policy(mixing, 20);
        let fast = export_fast(&policy).unwrap();
        check(&policy, &fast, 2, 3, 20, 1);
        // The parallel path gives the same numbers.
        check(
            &policy,
            &fast.clone().with_parallel_min_rows(1),
            2,
            3,
            12,
            2,
        );
    }
    let sinusoidal = small_config(false).with_time_embedding(TimeEmbedding::Sinusoidal);
    let policy = sinusoidal.init_seeded(21);
    check(&policy, &export_fast(&policy).unwrap(), 1, 2, 16, 3);
}

/// Both step rules' featurisations (the RMS one adds a token feature) and the progress time
/// embedding: the plain-f32 step equals the burn forward.
#[test]
fn fast_policy_equals_burn_forward_for_both_step_rules_and_progress_time() {
    let rms = FeatureConfig {
        step: StepRule::Rms,
        extra: vec![ExtraFeature::RmsGrad],
        ..FeatureConfig::default()
    };
    for features in [FeatureConfig::default(), rms] {
        for time in [TimeEmbedding::Learned, TimeEmbedding::Progress] {
            for mixing in [false, true] {
                let cfg = small_config(mixing)
                    .with_time_embedding(time)
                    .with_features(features.clone());
                let policy = cfg.init_seeded(25);
                let fast = export_fast(&policy).unwrap();
                check(&policy, &fast, 2, 3, 20, 6);
            }
        }
    }
}

#[test]
fn fast_policy_equals_burn_forward_at_default_size() {
    let policy = PolicyConfig::new().init_seeded(22);
    let fast = export_fast(&policy).unwrap();
    check(&policy, &fast, 1, 2, 40, 4);
    assert!((fast.log_std() as f64 - policy.config().init_log_std).abs() < 1e-6);
}

#[test]
fn truncate_replays_a_step() {
    let policy = small_policy(true, 23);
    let fast = export_fast(&policy).unwrap();
    let mut rng = SplitMix(5);
    let (b, d) = (1, 3);
    let mut cache = fast.new_cache_with_capacity(b, d, 8).unwrap();
    let (mut m1, mut m2, mut v) = (vec![0.0; 3], vec![0.0; 3], vec![0.0; 1]);
    for _ in 0..4 {
        let tok = rng.vec_f32(b * d * N_FEATURES, -1.0, 1.0);
        fast.step(&mut cache, &tok, &mut m1, &mut v).unwrap();
    }
    let tok = rng.vec_f32(b * d * N_FEATURES, -1.0, 1.0);
    fast.step(&mut cache, &tok, &mut m1, &mut v).unwrap();
    cache.truncate(4);
    fast.step(&mut cache, &tok, &mut m2, &mut v).unwrap();
    assert_eq!(m1, m2);
    assert_eq!(cache.len(), 5);
}

#[test]
fn fast_policy_rejects_wrong_inputs() {
    let policy = small_policy(false, 24);
    let fast = export_fast(&policy).unwrap();
    let mut cache = fast.new_cache_with_capacity(1, 2, 2).unwrap();
    let (mut m, mut v) = (vec![0.0; 2], vec![0.0; 1]);
    // d mismatch with the cache (3 coordinates given).
    let err = fast
        .step(&mut cache, &[0.0; 3 * N_FEATURES], &mut m, &mut v)
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
    // Wrong feature width.
    let err = fast
        .step(&mut cache, &[0.0; 2 * 6], &mut m, &mut v)
        .unwrap_err();
    assert!(matches!(err, ModelError::FeatureWidth { .. }), "{err}");
    // NaN.
    let mut tok = vec![0.0; 2 * N_FEATURES];
    tok[4] = f32::NAN;
    let err = fast.step(&mut cache, &tok, &mut m, &mut v).unwrap_err();
    assert!(matches!(err, ModelError::NonFinite { .. }), "{err}");
    // Output buffers of the wrong size.
    let tok = vec![0.0; 2 * N_FEATURES];
    let err = fast
        .step(&mut cache, &tok, &mut [0.0; 3], &mut v)
        .unwrap_err();
    assert!(matches!(err, ModelError::DimensionMismatch { .. }), "{err}");
    assert!(cache.is_empty());
    // Capacity.
    fast.step(&mut cache, &tok, &mut m, &mut v).unwrap();
    fast.step(&mut cache, &tok, &mut m, &mut v).unwrap();
    let err = fast.step(&mut cache, &tok, &mut m, &mut v).unwrap_err();
    assert!(matches!(err, ModelError::HistoryTooLong { .. }), "{err}");
    assert!(matches!(
        fast.new_cache_with_capacity(1, 1, 1000),
        Err(ModelError::HistoryTooLong { .. })
    ));
    // A cache from a differently shaped policy.
    let other = export_fast(
        &PolicyConfig::small(8, 1, 2)
            .with_max_history(32)
            .init_seeded(1),
    )
    .unwrap();
    let mut foreign = other.new_cache(1, 2).unwrap();
    let err = fast.step(&mut foreign, &tok, &mut m, &mut v).unwrap_err();
    assert!(matches!(err, ModelError::DimensionMismatch { .. }), "{err}");
}

/// The f32 training passes (`SeqNet`, tested against burn in `tests/backprop.rs`) refuse what
/// they do not support.
#[test]
fn seq_net_refuses_mixing_and_bad_inputs() {
    let policy = small_policy(true, 3);
    assert!(SeqNet::from_policy(&policy).is_err());
    let policy = small_policy(false, 4);
    let net = SeqNet::from_policy(&policy).unwrap();
    let w = policy.config().n_features;
    assert!(net.forward(&vec![0.0; 2 * 3 * w + 1], 2, 3).is_err());
    let mut x = vec![0.0; 2 * 3 * w];
    x[1] = f32::NAN;
    assert!(net.forward(&x, 2, 3).is_err());
    let too_long = policy.config().max_history + 1;
    assert!(net.forward(&vec![0.0; too_long * w], 1, too_long).is_err());
}
