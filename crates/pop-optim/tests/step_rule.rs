//! The update rule's two directions ([`StepRule`]), the RMS token feature, and the defaults that
//! keep old policy folders loading unchanged.

use pop_optim::pop::{
    ExtraFeature, FeatureConfig, N_FEATURES, PolicyConfig, StepRule, TimeEmbedding, Trajectory,
    progress_frequencies, update_z,
};

fn rms_config() -> FeatureConfig {
    FeatureConfig {
        step: StepRule::Rms,
        extra: vec![ExtraFeature::RmsGrad],
        ..FeatureConfig::default()
    }
}

/// A three-step trajectory in 2-D with hand-picked gradients.
fn trajectory(cfg: &FeatureConfig, a: f64, b: f64) -> Trajectory {
    let mut tr = Trajectory::with_features(2, 10, cfg).unwrap();
    let steps: [([f64; 2], f64, [f64; 2]); 3] = [
        ([0.1, -0.2], 3.0, [2.0, -0.5]),
        ([0.0, -0.1], 2.0, [1.0, 0.25]),
        ([-0.1, 0.0], 1.5, [0.01, -0.001]),
    ];
    for (s, (z, f, g)) in steps.iter().enumerate() {
        let g = [a * g[0], a * g[1]];
        let u = [-1.0, -2.0];
        tr.push(z, a * f + b, &g, (s > 0).then_some(&u[..]))
            .unwrap();
    }
    tr
}

#[test]
fn rms_direction_matches_a_hand_computation() {
    let cfg = rms_config();
    let tr = trajectory(&cfg, 1.0, 0.0);
    let beta = cfg.rms_beta;
    // v_0 = g_0², v_s = β v_{s−1} + (1 − β) g_s²; S_2 = max(|f − f0|, |g|∞) = 2.
    let v0 = [4.0, 0.25];
    let v1 = [
        beta * v0[0] + (1.0 - beta) * 1.0,
        beta * v0[1] + (1.0 - beta) * 0.0625,
    ];
    let v2 = [
        beta * v1[0] + (1.0 - beta) * 1e-4,
        beta * v1[1] + (1.0 - beta) * 1e-6,
    ];
    let g2 = [0.01, -0.001];
    let scale = tr.scale(2).unwrap();
    assert_eq!(scale, 2.0);
    let mut got = [0.0; 2];
    tr.direction_into(2, &cfg, &mut got).unwrap();
    for i in 0..2 {
        let want = g2[i] / (v2[i].sqrt() + cfg.rms_eps * scale);
        assert!((got[i] - want).abs() < 1e-15, "{got:?}");
    }
    // The first step is the gradient's sign.
    tr.direction_into(0, &cfg, &mut got).unwrap();
    assert!(
        (got[0] - 1.0).abs() < 1e-9 && (got[1] + 1.0).abs() < 1e-9,
        "{got:?}"
    );
    // The scaled rule is g/S.
    let scaled = FeatureConfig::default();
    tr.direction_into(2, &scaled, &mut got).unwrap();
    assert_eq!(got, [0.01 / 2.0, -0.001 / 2.0]);
    // The extra token feature is the RMS direction, after the base features.
    let mut token = vec![0.0_f32; 2 * cfg.width()];
    tr.token_into(2, &cfg, &mut token).unwrap();
    let mut r = [0.0; 2];
    tr.rms_grad_into(2, &cfg, &mut r).unwrap();
    assert_eq!(cfg.width(), N_FEATURES + 1);
    assert_eq!(token[N_FEATURES], r[0] as f32);
    assert_eq!(token[cfg.width() + N_FEATURES], r[1] as f32);
}

#[test]
fn rms_direction_is_bounded_and_affine_invariant() {
    let cfg = rms_config();
    let bound = 1.0 / (1.0 - cfg.rms_beta).sqrt();
    let base = trajectory(&cfg, 1.0, 0.0);
    let moved = trajectory(&cfg, 1e-3, 42.0);
    for s in 0..3 {
        let (mut a, mut b) = ([0.0; 2], [0.0; 2]);
        base.direction_into(s, &cfg, &mut a).unwrap();
        moved.direction_into(s, &cfg, &mut b).unwrap();
        for i in 0..2 {
            assert!(a[i].abs() <= bound + 1e-12);
            assert!(
                (a[i] - b[i]).abs() < 1e-9 * a[i].abs().max(1.0),
                "{a:?} {b:?}"
            );
        }
        let (mut ta, mut tb) = (vec![0.0_f32; 16], vec![0.0_f32; 16]);
        base.token_into(s, &cfg, &mut ta).unwrap();
        moved.token_into(s, &cfg, &mut tb).unwrap();
        for (x, y) in ta.iter().zip(&tb) {
            assert!((x - y).abs() < 1e-5, "{ta:?} {tb:?}");
        }
    }
}

#[test]
fn a_flat_start_gives_a_zero_direction() {
    let cfg = rms_config();
    let mut tr = Trajectory::with_features(1, 3, &cfg).unwrap();
    tr.push(&[0.0], 1.0, &[0.0], None).unwrap();
    let mut d = [1.0];
    tr.direction_into(0, &cfg, &mut d).unwrap();
    assert_eq!(d, [0.0]);
    let mut z = [0.0];
    update_z(&[0.5], &d, &[3.0], &mut z).unwrap();
    assert_eq!(z, [0.5]);
}

#[test]
fn a_mismatched_beta_is_an_error() {
    let cfg = rms_config();
    let tr = trajectory(&FeatureConfig::default(), 1.0, 0.0); // β = 0.9 as well
    let mut d = [0.0; 2];
    tr.direction_into(1, &cfg, &mut d).unwrap();
    let other = FeatureConfig {
        rms_beta: 0.5,
        ..cfg
    };
    assert!(tr.direction_into(1, &other, &mut d).is_err());
}

#[test]
fn old_configs_load_with_the_original_behaviour() {
    // The shipped config.json predates `step`, `rms_*`, `extra` and the progress embedding.
    let old = r#"{"d_model": 32, "n_layers": 2, "n_heads": 4, "d_ff": 128, "max_history": 256,
        "n_features": 7, "cross_coordinate_mixing": false, "time_embedding": "Learned",
        "init_log_std": -0.7, "init_mean_bias": -2.3, "dropout": 0.0, "layer_norm_eps": 1e-5,
        "features": {"grad_knee": 0.001, "value_change_knee": 0.001, "initial_log_step": -2.3}}"#;
    let cfg = PolicyConfig::from_json(old).unwrap();
    assert_eq!(cfg.features.step, StepRule::Scaled);
    assert!(cfg.features.extra.is_empty());
    assert_eq!(cfg.time_embedding, TimeEmbedding::Learned);
    // The new fields round-trip with readable names.
    let new = PolicyConfig::new()
        .with_time_embedding(TimeEmbedding::Progress)
        .with_features(rms_config());
    assert_eq!(new.n_features, N_FEATURES + 1);
    let json = serde_json::to_string(&new).unwrap();
    assert!(json.contains(r#""step":"rms""#) && json.contains(r#""extra":["rms_grad"]"#));
    assert_eq!(PolicyConfig::from_json(&json).unwrap(), new);
    // A width that disagrees with the extras is refused.
    let mut bad = new.clone();
    bad.n_features = N_FEATURES;
    assert!(bad.validate().is_err());
    let bad = FeatureConfig {
        rms_beta: 1.0,
        ..FeatureConfig::default()
    };
    assert!(bad.validate().is_err());
}

#[test]
fn progress_frequencies_span_a_quarter_wave_to_single_steps() {
    let w = progress_frequencies(32, 256);
    assert_eq!(w.len(), 16);
    assert!((w[0] - std::f32::consts::FRAC_PI_2).abs() < 1e-6);
    assert!((w[15] / w[0] - 256.0).abs() < 1e-3);
    assert!(w.windows(2).all(|p| p[1] > p[0]));
}

/// The exploration noise: none drawn at `ν = 0` (old policies keep their trajectories), the
/// same seed gives the same noise, and over many draws `(δ' − δ)/ν` has mean 0 and variance 1.
#[test]
fn exploration_noise_is_seeded_and_standard_normal() {
    use pop_optim::pop::add_exploration;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    let off = FeatureConfig::default();
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut dir = vec![0.5, -0.25];
    add_exploration(&mut dir, &off, &mut rng);
    assert_eq!(dir, vec![0.5, -0.25]);
    // Nothing was drawn: the generator is where a fresh one is.
    let mut fresh = ChaCha8Rng::seed_from_u64(3);
    assert_eq!(
        rand::Rng::next_u64(&mut rng),
        rand::Rng::next_u64(&mut fresh)
    );

    let on = FeatureConfig {
        explore_noise: 0.5,
        ..FeatureConfig::default()
    };
    assert!(on.validate().is_ok());
    let n = 20_000;
    let draw = |seed: u64| {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut dir = vec![1.0; n];
        add_exploration(&mut dir, &on, &mut rng);
        dir
    };
    let a = draw(7);
    assert_eq!(a, draw(7));
    assert_ne!(a, draw(8));
    let xi: Vec<f64> = a.iter().map(|d| (d - 1.0) / 0.5).collect();
    let mean = xi.iter().sum::<f64>() / n as f64;
    let var = xi.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    // Standard errors: 1/√n ≈ 0.007 for the mean, √(2/n) ≈ 0.01 for the variance.
    assert!(mean.abs() < 0.03, "mean {mean}");
    assert!((var - 1.0).abs() < 0.05, "variance {var}");

    for bad in [-0.1, f64::NAN, f64::INFINITY] {
        let cfg = FeatureConfig {
            explore_noise: bad,
            ..FeatureConfig::default()
        };
        assert!(cfg.validate().is_err(), "{bad}");
    }
}

/// The secant features on `f = c·(z − 0.3)²/2` in 1-D: where the curvature is positive, the
/// secant Newton step `|g·Δz/Δg|` of a quadratic is exactly the distance to the minimiser, so the
/// log-step feature times the direction lands on it; concave curvature gives sign −1 and 0.
#[test]
fn secant_features_give_the_newton_step_of_a_quadratic() {
    let cfg = FeatureConfig {
        step: StepRule::Rms,
        extra: vec![ExtraFeature::SecantLogStep, ExtraFeature::SecantCurvature],
        ..FeatureConfig::default()
    };
    assert_eq!(cfg.width(), N_FEATURES + 2);
    for (c, a, b) in [(4.0, 1.0, 0.0), (4.0, 3.0, 5.0), (-2.0, 1.0, 0.0)] {
        let mut tr = Trajectory::with_features(1, 10, &cfg).unwrap();
        for (s, z) in [0.9_f64, 0.6, 0.5].into_iter().enumerate() {
            let f = a * c * (z - 0.3).powi(2) / 2.0 + b;
            let g = a * c * (z - 0.3);
            tr.push(&[z], f, &[g], (s > 0).then_some(&[-1.0][..]))
                .unwrap();
        }
        let mut token = vec![0.0_f32; cfg.width()];
        tr.token_into(0, &cfg, &mut token).unwrap();
        assert_eq!(token[N_FEATURES..], [0.0, 0.0], "step 0 has no secant");
        tr.token_into(2, &cfg, &mut token).unwrap();
        let mut dir = [0.0];
        tr.direction_into(2, &cfg, &mut dir).unwrap();
        if c > 0.0 {
            assert_eq!(token[N_FEATURES + 1], 1.0);
            let step = f64::from(token[N_FEATURES]).exp() * dir[0];
            assert!(
                (0.5 - step - 0.3).abs() < 1e-5,
                "c {c} a {a}: lands at {}",
                0.5 - step
            );
        } else {
            assert_eq!(token[N_FEATURES..], [0.0, -1.0]);
        }
    }
    // The base features' defaults keep old folders loading: no extras unless named.
    assert!(FeatureConfig::default().extra.is_empty());
    let json = serde_json::to_string(&cfg).unwrap();
    assert!(
        json.contains(r#""extra":["secant_log_step","secant_curvature"]"#),
        "{json}"
    );
}

/// The quasi-Newton direction against a dense BFGS recursion, the 1-D Newton step, the RMS
/// fallback without curvature, and invariance under `f ↦ a·f + b`.
#[test]
fn quasi_newton_direction_matches_dense_bfgs() {
    use pop_optim::pop::QN_MEMORY;
    let cfg = FeatureConfig {
        step: StepRule::QuasiNewton,
        extra: vec![ExtraFeature::QuasiNewtonPairs, ExtraFeature::LogDirection],
        ..FeatureConfig::default()
    };
    // f = ½ zᵀAz + bᵀz in 2-D along a hand-picked path of 8 points (more than QN_MEMORY pairs).
    let a_mat = [[3.0, 0.8], [0.8, 1.0]];
    let b_vec = [0.2, -0.4];
    let grad = |z: &[f64; 2]| {
        [
            a_mat[0][0] * z[0] + a_mat[0][1] * z[1] + b_vec[0],
            a_mat[1][0] * z[0] + a_mat[1][1] * z[1] + b_vec[1],
        ]
    };
    let value = |z: &[f64; 2]| {
        let g = grad(z);
        0.5 * (z[0] * (g[0] + b_vec[0]) + z[1] * (g[1] + b_vec[1]))
    };
    let path: Vec<[f64; 2]> = (0..8)
        .map(|k| {
            let t = k as f64;
            [
                0.9 * (0.7f64).powf(t) * (t).cos(),
                -0.8 * (0.6f64).powf(t) + 0.05 * t.sin(),
            ]
        })
        .collect();
    for (scale, shift) in [(1.0, 0.0), (7.0, -3.0)] {
        let mut tr = Trajectory::with_features(2, 20, &cfg).unwrap();
        for (k, z) in path.iter().enumerate() {
            let g = grad(z).map(|v| scale * v);
            tr.push(
                z,
                scale * value(z) + shift,
                &g,
                (k > 0).then_some(&[-1.0, -1.0][..]),
            )
            .unwrap();
        }
        let s = path.len() - 1;
        let mut got = [0.0; 2];
        let pairs = tr.quasi_newton_into(s, &cfg, &mut got).unwrap();
        assert_eq!(pairs, QN_MEMORY);
        // Dense recursion over the same pairs (oldest first), H⁰ = γI from the newest pair.
        let pair = |k: usize| {
            let (gk, gk1) = (grad(&path[k]), grad(&path[k + 1]));
            (
                [path[k + 1][0] - path[k][0], path[k + 1][1] - path[k][1]],
                [gk1[0] - gk[0], gk1[1] - gk[1]],
            )
        };
        let (sn, yn) = pair(s - 1);
        let gamma = (sn[0] * yn[0] + sn[1] * yn[1]) / (yn[0] * yn[0] + yn[1] * yn[1]);
        let mut h = [[gamma, 0.0], [0.0, gamma]];
        for k in s - QN_MEMORY..s {
            let (sk, yk) = pair(k);
            let rho = 1.0 / (sk[0] * yk[0] + sk[1] * yk[1]);
            // H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ
            let v = |i: usize, j: usize| f64::from(u8::from(i == j)) - rho * sk[i] * yk[j];
            let vh: [[f64; 2]; 2] = std::array::from_fn(|i| {
                std::array::from_fn(|j| (0..2).map(|l| v(i, l) * h[l][j]).sum())
            });
            h = std::array::from_fn(|i| {
                std::array::from_fn(|j| {
                    (0..2).map(|l| vh[i][l] * v(j, l)).sum::<f64>() + rho * sk[i] * sk[j]
                })
            });
        }
        let g = grad(&path[s]).map(|v| scale * v);
        for i in 0..2 {
            // The dense H is built from the unscaled pairs, so the scaled run's H is H/a and
            // its direction (H/a)·(a·g) is the same for every (a, b).
            let want = (h[i][0] * g[0] + h[i][1] * g[1]) / scale;
            assert!(
                (got[i] - want).abs() < 1e-9 * want.abs().max(1.0),
                "{got:?} vs {want}"
            );
        }
        let mut token = vec![0.0_f32; 2 * cfg.width()];
        tr.token_into(s, &cfg, &mut token).unwrap();
        assert_eq!(token[N_FEATURES], 1.0);
        for i in 0..2 {
            let want = got[i].abs().ln().clamp(-12.0, 3.0) as f32;
            assert_eq!(token[i * cfg.width() + N_FEATURES + 1], want);
        }
        tr.token_into(0, &cfg, &mut token).unwrap();
        assert_eq!(token[N_FEATURES], 0.0);
    }
    // 1-D: one pair is the exact Newton step of a quadratic; concave: the RMS direction.
    for c in [2.5, -2.5] {
        let mut tr = Trajectory::with_features(1, 10, &cfg).unwrap();
        for (k, z) in [0.9_f64, 0.4].into_iter().enumerate() {
            tr.push(
                &[z],
                c * (z - 0.3).powi(2) / 2.0,
                &[c * (z - 0.3)],
                (k > 0).then_some(&[-1.0][..]),
            )
            .unwrap();
        }
        let mut got = [0.0];
        let pairs = tr.quasi_newton_into(1, &cfg, &mut got).unwrap();
        if c > 0.0 {
            assert_eq!(pairs, 1);
            assert!((0.4 - got[0] - 0.3).abs() < 1e-12, "{got:?}");
        } else {
            assert_eq!(pairs, 0);
            let mut r = [0.0];
            tr.rms_grad_into(1, &cfg, &mut r).unwrap();
            assert_eq!(got, r);
        }
    }
}
