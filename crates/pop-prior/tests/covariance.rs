//! The empirical covariance of many GP samples matches the kernel.
//!
//! Tolerance: with `n` independent zero-mean Gaussian samples, the estimate
//! `ĉ_ij = (1/n) Σ_s f_s(p_i) f_s(p_j)` (the mean is known to be 0) has variance
//! `(c_ii c_jj + c_ij²)/n`. Every entry must lie within 5 such standard errors of its target
//! (two-sided false-alarm rate 6e-7 per entry for a Gaussian estimate; the seeds are fixed, so
//! the test is deterministic). RFF samples with `M = 256` features are not exactly Gaussian:
//! their fourth moments differ by `O(1/M)`, negligible at this tolerance.

use ndarray::{Array1, Array2};
use pop_prior::design::shifted_halton;
use pop_prior::linalg::{CholeskyBackend, cholesky_with_jitter};
use pop_prior::rng::{child_seed, rng_from_seed};
use pop_prior::{ExactGp, JitterPolicy, Kernel, KernelKind, LengthScales, RffGp};

const N_SAMPLES: usize = 3000;
const N_SE: f64 = 5.0;

/// Empirical second moments of `values` (`n × p`), checked against `target` (`p × p`).
fn check_cov(values: &Array2<f64>, target: &Array2<f64>, what: &str) {
    let n = values.nrows() as f64;
    let emp = values.t().dot(values) / n;
    let p = target.nrows();
    for i in 0..p {
        for j in 0..=i {
            let se = ((target[[i, i]] * target[[j, j]] + target[[i, j]].powi(2)) / n).sqrt();
            let err = (emp[[i, j]] - target[[i, j]]).abs();
            assert!(
                err <= N_SE * se,
                "{what}: entry ({i},{j}) empirical {:.4} vs kernel {:.4} (|err| {err:.4} > {N_SE} × se {se:.4})",
                emp[[i, j]],
                target[[i, j]]
            );
        }
    }
}

fn points(d: usize) -> Array2<f64> {
    // Five fixed points, at various distances.
    Array2::from_shape_fn((5, d), |(i, j)| {
        (i as f64 * 0.37 + j as f64 * 0.61).sin() * 0.8
    })
}

#[test]
fn rff_covariance_matches_kernel() {
    for (kind, ls) in [
        (KernelKind::Rbf, LengthScales::Isotropic(0.6)),
        (KernelKind::Matern52, LengthScales::Ard(vec![0.5, 1.0, 0.8])),
        (KernelKind::Matern32, LengthScales::Isotropic(0.7)),
    ] {
        let kernel = Kernel::new(kind, 1.5, ls, 3).unwrap();
        let p = points(3);
        let mut values = Array2::zeros((N_SAMPLES, p.nrows()));
        for s in 0..N_SAMPLES {
            let mut rng = rng_from_seed(child_seed(11, s as u64));
            let f = RffGp::sample(kernel.clone(), 256, &mut rng).unwrap();
            for (i, row) in p.rows().into_iter().enumerate() {
                values[[s, i]] = f.eval_add_grad(&row.to_vec(), 0.0, None);
            }
        }
        check_cov(&values, &kernel.matrix(p.view()), &format!("RFF {kind:?}"));
    }
}

/// At the anchors, the exact sampler's values `f(Z) = K (K + jI)⁻¹ y` with
/// `y ~ N(0, K + jI)` have covariance `K (K + jI)⁻¹ K`, which is `K` up to the jitter; off the
/// anchors the covariance is `k(P, Z)(K + jI)⁻¹ k(Z, P)` (the conditional mean's, not the
/// kernel's). Both are tested, with the anchors fixed across samples.
#[test]
fn exact_covariance_matches_kernel_at_anchors_and_known_form_elsewhere() {
    for (kind, ls) in [
        (KernelKind::Rbf, 0.5),
        (KernelKind::Matern52, 0.4),
        (KernelKind::Matern32, 0.3),
    ] {
        let kernel = Kernel::isotropic(kind, 1.0, ls, 2).unwrap();
        let mut rng = rng_from_seed(5);
        let anchors = shifted_halton(12, 2, &mut rng);
        let off = points(2);
        let policy = JitterPolicy::default();
        let mut at = Array2::zeros((N_SAMPLES, anchors.nrows()));
        let mut away = Array2::zeros((N_SAMPLES, off.nrows()));
        let mut jitter = 0.0;
        for s in 0..N_SAMPLES {
            let mut rng = rng_from_seed(child_seed(12, s as u64));
            let f = ExactGp::sample(
                kernel.clone(),
                anchors.view(),
                &policy,
                CholeskyBackend::Lapack,
                &mut rng,
            )
            .unwrap();
            jitter = f.jitter();
            for (i, row) in anchors.rows().into_iter().enumerate() {
                at[[s, i]] = f.eval_add_grad(&row.to_vec(), 0.0, None);
            }
            for (i, row) in off.rows().into_iter().enumerate() {
                away[[s, i]] = f.eval_add_grad(&row.to_vec(), 0.0, None);
            }
        }
        assert!(jitter <= 1e-6, "unexpected jitter {jitter}");
        let k = kernel.matrix(anchors.view());
        check_cov(&at, &k, &format!("exact {kind:?} at anchors"));
        // k(P, Z) (K + jI)⁻¹ k(Z, P).
        let chol = cholesky_with_jitter(
            k.view(),
            &JitterPolicy {
                initial: jitter / 1.0,
                max: 1.0,
                growth: 10.0,
            },
        )
        .unwrap();
        let kpz = Array2::from_shape_fn((off.nrows(), anchors.nrows()), |(i, j)| {
            kernel.eval(&off.row(i).to_vec(), &anchors.row(j).to_vec())
        });
        let kinv = chol.inverse().unwrap();
        let target = kpz.dot(&kinv).dot(&kpz.t());
        check_cov(&away, &target, &format!("exact {kind:?} off anchors"));
        // And the values at anchors are the draws up to the jitter.
        let mut rng = rng_from_seed(77);
        let f = ExactGp::sample(
            kernel.clone(),
            anchors.view(),
            &policy,
            CholeskyBackend::Lapack,
            &mut rng,
        )
        .unwrap();
        let av: Array1<f64> = f.anchor_values();
        for (i, row) in anchors.rows().into_iter().enumerate() {
            let v = f.eval_add_grad(&row.to_vec(), 0.0, None);
            assert!((v - av[i]).abs() < 1e-9, "anchor value {v} vs {}", av[i]);
            assert!((v - f.anchor_draws()[i]).abs() < 1e-3);
        }
    }
}
