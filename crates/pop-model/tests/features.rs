//! Featurisation: invariance to `f ↦ a·f + b` and to the box, causality of the tokens, the scale,
//! the update rule and the conversions.

mod common;

use common::*;
use pop_bench_fns::{Bounds, Objective};
use pop_model::features::{compress, feature};
use pop_model::{
    FeatureConfig, ModelError, N_FEATURES, Trajectory, evaluate_in_z, export_fast, features_tensor,
    update_z,
};
use proptest::prelude::*;

/// A smooth test objective on a box: `Σ_i w_i (x_i − c_i)² + sin(x_0 + 2 x_last)`.
struct Bowl {
    bounds: Bounds,
    c: Vec<f64>,
    w: Vec<f64>,
}

impl Objective for Bowl {
    fn name(&self) -> &str {
        "bowl"
    }
    fn bounds(&self) -> &Bounds {
        &self.bounds
    }
    fn evaluate(&self, x: &[f64], grad: Option<&mut [f64]>) -> f64 {
        let d = x.len();
        let arg = x[0] + 2.0 * x[d - 1];
        let mut f = arg.sin();
        for ((xi, wi), ci) in x.iter().zip(&self.w).zip(&self.c) {
            f += wi * (xi - ci).powi(2);
        }
        if let Some(g) = grad {
            for i in 0..d {
                g[i] = 2.0 * self.w[i] * (x[i] - self.c[i]);
            }
            g[0] += arg.cos();
            g[d - 1] += 2.0 * arg.cos();
        }
        f
    }
}

/// `g(x') = a·f(A x') + b` on a new box, with `A` the affine map from the new box onto `f`'s box.
struct Transformed<'a> {
    inner: &'a dyn Objective,
    bounds: Bounds,
    a: f64,
    b: f64,
}

impl Objective for Transformed<'_> {
    fn name(&self) -> &str {
        "transformed"
    }
    fn bounds(&self) -> &Bounds {
        &self.bounds
    }
    fn evaluate(&self, xp: &[f64], grad: Option<&mut [f64]>) -> f64 {
        let (ib, nb) = (self.inner.bounds(), &self.bounds);
        let d = xp.len();
        let ratio: Vec<f64> = (0..d)
            .map(|i| (ib.upper()[i] - ib.lower()[i]) / (nb.upper()[i] - nb.lower()[i]))
            .collect();
        let x: Vec<f64> = (0..d)
            .map(|i| ib.lower()[i] + (xp[i] - nb.lower()[i]) * ratio[i])
            .collect();
        let mut gx = vec![0.0; d];
        let f = self.inner.evaluate(&x, Some(&mut gx));
        if let Some(g) = grad {
            for i in 0..d {
                g[i] = self.a * gx[i] * ratio[i];
            }
        }
        self.a * f + self.b
    }
}

/// Builds a trajectory of `objective` through the given z-iterates and log steps.
fn trajectory(
    objective: &dyn Objective,
    zs: &[Vec<f64>],
    logs: &[Vec<f64>],
    budget: usize,
) -> Trajectory {
    let d = objective.dim();
    let mut tr = Trajectory::new(d, budget).unwrap();
    let (mut x, mut gx, mut gz) = (vec![0.0; d], vec![0.0; d], vec![0.0; d]);
    for (s, z) in zs.iter().enumerate() {
        let f = evaluate_in_z(objective, z, &mut x, &mut gx, &mut gz).unwrap();
        let prev = (s > 0).then(|| logs[s - 1].as_slice());
        tr.push(z, f, &gz, prev).unwrap();
    }
    tr
}

/// z-iterates of a random walk clipped to the box, and random log steps.
fn walk(rng: &mut SplitMix, d: usize, steps: usize) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
    let mut z = rng.vec(d, -1.0, 1.0);
    let mut zs = Vec::new();
    let mut logs = Vec::new();
    for _ in 0..steps {
        zs.push(z.clone());
        let u = rng.vec(d, -4.0, 0.0);
        for i in 0..d {
            z[i] = (z[i] + u[i].exp() * rng.uniform(-1.0, 1.0)).clamp(-1.0, 1.0);
        }
        logs.push(u);
    }
    (zs, logs)
}

fn bowl(rng: &mut SplitMix, d: usize) -> Bowl {
    let lower = rng.vec(d, -5.0, 0.0);
    let upper: Vec<f64> = lower.iter().map(|l| l + rng.uniform(0.5, 6.0)).collect();
    let c = (0..d).map(|i| rng.uniform(lower[i], upper[i])).collect();
    Bowl {
        bounds: Bounds::new(lower, upper).unwrap(),
        c,
        w: rng.vec(d, 0.1, 3.0),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// The tokens, and therefore the policy's outputs, do not change when the objective becomes
    /// `a·f + b` on a shifted and stretched box, visited through the same z-iterates.
    #[test]
    fn features_and_outputs_invariant_to_affine_values_and_box(
        seed in 0u64..1_000_000,
        log_a in -6.0f64..6.0,
        b in -1e3f64..1e3,
        shift in -100.0f64..100.0,
        log_stretch in -3.0f64..3.0,
    ) {
        let mut rng = SplitMix(seed);
        let d = 3;
        let f = bowl(&mut rng, d);
        let lower: Vec<f64> = f.bounds.lower().iter().map(|l| l * log_stretch.exp() + shift).collect();
        let upper: Vec<f64> = f.bounds.upper().iter().map(|u| u * log_stretch.exp() + shift).collect();
        let g = Transformed { inner: &f, bounds: Bounds::new(lower, upper).unwrap(), a: log_a.exp(), b };
        let (zs, logs) = walk(&mut rng, d, 12);
        let cfg = FeatureConfig::default();
        let t1 = trajectory(&f, &zs, &logs, 20);
        let t2 = trajectory(&g, &zs, &logs, 20);
        let f1 = t1.features(&cfg).unwrap();
        let f2 = t2.features(&cfg).unwrap();
        prop_assert!(max_abs_diff(&f1, &f2) <= 1e-5, "features differ by {:e}", max_abs_diff(&f1, &f2));

        let policy = small_policy(true, 3);
        let device = Default::default();
        let o1 = policy.forward(features_tensor::<B>(&[t1], &cfg, &device).unwrap()).unwrap();
        let o2 = policy.forward(features_tensor::<B>(&[t2], &cfg, &device).unwrap()).unwrap();
        let diff = max_abs_diff(&to_vec(o1.mean), &to_vec(o2.mean));
        prop_assert!(diff <= 1e-5, "policy means differ by {:e}", diff);
        let diff = max_abs_diff(&to_vec(o1.value), &to_vec(o2.value));
        prop_assert!(diff <= 1e-5, "policy values differ by {:e}", diff);
    }
}

#[test]
fn token_of_step_s_depends_only_on_steps_up_to_s() {
    let mut rng = SplitMix(7);
    let d = 2;
    let f = bowl(&mut rng, d);
    let (zs, logs) = walk(&mut rng, d, 10);
    let cfg = FeatureConfig::default();
    let full = trajectory(&f, &zs, &logs, 10);
    let mut tok_full = vec![0.0; d * N_FEATURES];
    let mut tok_prefix = vec![0.0; d * N_FEATURES];
    for s in 0..zs.len() {
        let prefix = trajectory(&f, &zs[..=s], &logs, 10);
        full.token_into(s, &cfg, &mut tok_full).unwrap();
        prefix.token_into(s, &cfg, &mut tok_prefix).unwrap();
        assert_eq!(tok_full, tok_prefix, "token {s}");
    }
}

#[test]
fn scale_and_token_values_by_hand() {
    let mut tr = Trajectory::new(2, 4).unwrap();
    tr.push(&[0.5, -0.5], 10.0, &[2.0, -1.0], None).unwrap();
    tr.push(&[0.25, -0.25], 6.0, &[1.0, -0.5], Some(&[-1.0, -2.0]))
        .unwrap();
    tr.push(&[0.0, 0.0], 20.0, &[0.5, 8.0], Some(&[-3.0, -4.0]))
        .unwrap();
    // S_0 = max(0, 2) = 2; S_1 = max(4, 2) = 4; S_2 = max(10, 8) = 10.
    assert_eq!(tr.scale(0).unwrap(), 2.0);
    assert_eq!(tr.scale(1).unwrap(), 4.0);
    assert_eq!(tr.scale(2).unwrap(), 10.0);
    let cfg = FeatureConfig {
        grad_knee: 0.0,
        value_change_knee: 0.0,
        initial_log_step: -7.0,
        ..FeatureConfig::default()
    };
    let mut tok = vec![0.0; 2 * N_FEATURES];
    tr.token_into(0, &cfg, &mut tok).unwrap();
    assert_eq!(&tok[..N_FEATURES], &[0.5, 0.0, 1.0, -7.0, 0.0, 0.0, 0.0]);
    tr.token_into(1, &cfg, &mut tok).unwrap();
    // f̃ = -4/4, ĝ = 1/4, Δ = -4/4, best = -4/4, s/T = 1/4.
    assert_eq!(
        &tok[N_FEATURES..],
        &[-0.25, -1.0, -0.125, -2.0, -1.0, -1.0, 0.25]
    );
    tr.token_into(2, &cfg, &mut tok).unwrap();
    // f̃ = 10/10, ĝ_0 = 0.05, Δ = 14/10, best = (6 − 10)/10.
    let expect = [0.0, 1.0, 0.05, -3.0, 1.4, -0.4, 0.5];
    assert_close(&tok[..N_FEATURES], &expect, 1e-7, "token 2");
    let mut g = vec![0.0; 2];
    tr.scaled_grad_into(2, &mut g).unwrap();
    assert_eq!(g, vec![0.05, 0.8]);
    assert_eq!(tr.best(2).unwrap(), 6.0);
}

#[test]
fn zero_scale_gives_zero_scaled_quantities() {
    let mut tr = Trajectory::new(3, 5).unwrap();
    for s in 0..3 {
        let prev = [-1.0; 3];
        tr.push(
            &[0.1, 0.2, 0.3],
            4.0,
            &[0.0; 3],
            (s > 0).then_some(&prev[..]),
        )
        .unwrap();
    }
    let feats = tr.features(&FeatureConfig::default()).unwrap();
    for tok in feats.chunks(N_FEATURES) {
        for f in [
            feature::VALUE,
            feature::GRAD,
            feature::VALUE_CHANGE,
            feature::BEST,
        ] {
            assert_eq!(tok[f], 0.0);
        }
        assert!(tok.iter().all(|v| v.is_finite()));
    }
    let mut g = vec![1.0; 3];
    tr.scaled_grad_into(2, &mut g).unwrap();
    assert_eq!(g, vec![0.0; 3]);
}

#[test]
fn compression_is_odd_monotone_and_fixes_plus_minus_one() {
    for knee in [1e-3, 0.1, 1.0] {
        assert!((compress(1.0, knee) - 1.0).abs() < 1e-12);
        assert!((compress(-1.0, knee) + 1.0).abs() < 1e-12);
        let mut prev = f64::NEG_INFINITY;
        for k in -100..=100 {
            let x = k as f64 / 50.0;
            let c = compress(x, knee);
            assert!(c > prev);
            assert!((compress(-x, knee) + c).abs() < 1e-12);
            prev = c;
        }
    }
    assert_eq!(compress(0.37, 0.0), 0.37);
}

#[test]
fn update_rule_steps_and_clips() {
    let z = [0.5, -0.9, 0.0];
    let g = [0.5, 1.0, -0.25];
    let u = [0.0_f64.ln(), 0.5_f64.ln(), 2.0_f64.ln()];
    let mut next = [0.0; 3];
    // u_0 = ln 0 = −∞: no step.
    update_z(&z, &g, &u, &mut next).unwrap();
    assert_eq!(next, [0.5, -1.0, 0.5]);
    let err = update_z(&z, &g, &u[..2], &mut next).unwrap_err();
    assert!(matches!(err, ModelError::DimensionMismatch { .. }));
    let err = update_z(&z, &[f64::NAN, 0.0, 0.0], &[0.0; 3], &mut next).unwrap_err();
    assert!(matches!(err, ModelError::NonFinite { .. }));
}

#[test]
fn box_conversions_round_trip_and_chain_rule() {
    let mut rng = SplitMix(3);
    let f = bowl(&mut rng, 3);
    let x = vec![
        rng.uniform(f.bounds.lower()[0], f.bounds.upper()[0]),
        rng.uniform(f.bounds.lower()[1], f.bounds.upper()[1]),
        rng.uniform(f.bounds.lower()[2], f.bounds.upper()[2]),
    ];
    let mut z = vec![0.0; 3];
    let mut x2 = vec![0.0; 3];
    f.bounds.to_z(&x, &mut z);
    assert!(z.iter().all(|v| (-1.0..=1.0).contains(v)));
    f.bounds.to_x(&z, &mut x2);
    for i in 0..3 {
        assert!((x[i] - x2[i]).abs() < 1e-12);
    }
    // ∂f/∂z against central differences in z.
    let (mut xb, mut gx, mut gz) = (vec![0.0; 3], vec![0.0; 3], vec![0.0; 3]);
    evaluate_in_z(&f, &z, &mut xb, &mut gx, &mut gz).unwrap();
    let mut gz2 = gx.clone();
    f.bounds.grad_to_z(&mut gz2);
    assert_eq!(gz, gz2);
    let h = 1e-6;
    for i in 0..3 {
        let (mut zp, mut zm) = (z.clone(), z.clone());
        zp[i] += h;
        zm[i] -= h;
        let fp = evaluate_in_z(&f, &zp, &mut xb, &mut gx, &mut gz2).unwrap();
        let fm = evaluate_in_z(&f, &zm, &mut xb, &mut gx, &mut gz2).unwrap();
        let fd = (fp - fm) / (2.0 * h);
        assert!(
            (fd - gz[i]).abs() < 1e-5 * (1.0 + fd.abs()),
            "coordinate {i}: {fd} vs {}",
            gz[i]
        );
    }
    assert!(matches!(
        evaluate_in_z(&f, &z[..2], &mut xb, &mut gx, &mut gz),
        Err(ModelError::DimensionMismatch { .. })
    ));
}

#[test]
fn trajectory_rejects_wrong_steps() {
    assert!(matches!(
        Trajectory::new(0, 5),
        Err(ModelError::Empty { .. })
    ));
    assert!(matches!(
        Trajectory::new(2, 0),
        Err(ModelError::Empty { .. })
    ));
    let mut tr = Trajectory::new(2, 2).unwrap();
    let err = tr.push(&[0.0], 1.0, &[0.0, 0.0], None).unwrap_err();
    assert!(matches!(err, ModelError::DimensionMismatch { .. }), "{err}");
    let err = tr
        .push(&[0.0, 0.0], f64::NAN, &[0.0, 0.0], None)
        .unwrap_err();
    assert!(matches!(err, ModelError::NonFinite { .. }), "{err}");
    let err = tr
        .push(&[0.0, 0.0], 1.0, &[f64::INFINITY, 0.0], None)
        .unwrap_err();
    assert!(matches!(err, ModelError::NonFinite { .. }), "{err}");
    assert!(tr.is_empty(), "rejected steps are not recorded");
    tr.push(&[0.0, 0.0], 1.0, &[0.0, 1.0], None).unwrap();
    tr.push(&[0.1, 0.0], 0.5, &[0.0, 1.0], Some(&[-1.0, -1.0]))
        .unwrap();
    let err = tr
        .push(&[0.2, 0.0], 0.4, &[0.0, 1.0], Some(&[-1.0, -1.0]))
        .unwrap_err();
    assert!(matches!(err, ModelError::InvalidTrajectory { .. }), "{err}");
    let mut tok = vec![0.0; 2 * N_FEATURES];
    assert!(matches!(
        tr.token_into(5, &FeatureConfig::default(), &mut tok),
        Err(ModelError::InvalidTrajectory { .. })
    ));
}

/// A short rollout with the trained-optimizer loop (features → FastPolicy → update rule) stays in
/// the box and matches the burn policy's decision at every step.
#[test]
fn rollout_with_fast_policy_matches_burn_and_stays_in_box() {
    let mut rng = SplitMix(99);
    let d = 2;
    let f = bowl(&mut rng, d);
    let policy = small_policy(false, 12);
    let fast = export_fast(&policy).unwrap();
    let cfg = FeatureConfig::default();
    let budget = 15;
    let mut tr = Trajectory::new(d, budget).unwrap();
    let mut cache = fast.new_cache(1, d).unwrap();
    let mut z = rng.vec(d, -1.0, 1.0);
    let (mut x, mut gx, mut gz, mut gh) = (vec![0.0; d], vec![0.0; d], vec![0.0; d], vec![0.0; d]);
    let mut tok = vec![0.0_f32; d * N_FEATURES];
    let (mut mean, mut value) = (vec![0.0_f32; d], vec![0.0_f32; 1]);
    let mut prev: Option<Vec<f64>> = None;
    for s in 0..budget {
        let fz = evaluate_in_z(&f, &z, &mut x, &mut gx, &mut gz).unwrap();
        tr.push(&z, fz, &gz, prev.as_deref()).unwrap();
        tr.token_into(s, &cfg, &mut tok).unwrap();
        fast.step(&mut cache, &tok, &mut mean, &mut value).unwrap();
        let full = policy
            .forward(
                features_tensor::<B>(std::slice::from_ref(&tr), &cfg, &Default::default()).unwrap(),
            )
            .unwrap();
        let m = to_vec(full.mean);
        let burn_last: Vec<f32> = (0..d).map(|i| m[i * (s + 1) + s]).collect();
        assert_close(&mean, &burn_last, 1e-5, "fast vs burn decision");
        let u: Vec<f64> = mean.iter().map(|&v| v as f64).collect();
        tr.scaled_grad_into(s, &mut gh).unwrap();
        let mut z_next = vec![0.0; d];
        update_z(&z, &gh, &u, &mut z_next).unwrap();
        assert!(z_next.iter().all(|v| (-1.0..=1.0).contains(v)));
        z = z_next;
        prev = Some(u);
    }
}
