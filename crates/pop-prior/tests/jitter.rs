//! The jitter path: ill-conditioned kernel matrices are repaired, unfixable ones are typed errors.

use ndarray::{Array2, array};
use pop_prior::linalg::{CholeskyBackend, cholesky_with_jitter, cholesky_with_jitter_using};
use pop_prior::rng::rng_from_seed;
use pop_prior::{ExactGp, JitterPolicy, Kernel, KernelKind, PriorConfig, PriorError, PriorSample};

const NO_JITTER_FIRST: JitterPolicy = JitterPolicy {
    initial: 0.0,
    max: 1e-3,
    growth: 10.0,
};

#[test]
fn duplicate_anchors_trigger_the_jitter() {
    let kernel = Kernel::isotropic(KernelKind::Rbf, 1.0, 0.5, 2).unwrap();
    let anchors = array![[0.1, 0.2], [0.1, 0.2], [-0.5, 0.3], [0.1, 0.2]];
    for backend in [CholeskyBackend::Lapack, CholeskyBackend::Faer] {
        let mut rng = rng_from_seed(1);
        let f = ExactGp::sample(
            kernel.clone(),
            anchors.view(),
            &NO_JITTER_FIRST,
            backend,
            &mut rng,
        )
        .unwrap();
        assert!(
            f.jitter() > 0.0,
            "{backend:?}: a positive jitter was needed"
        );
        let k = kernel.matrix(anchors.view());
        let c = cholesky_with_jitter_using(k.view(), &NO_JITTER_FIRST, backend).unwrap();
        assert!(c.attempts > 1);
        // The sample is still finite and interpolates.
        assert!(f.eval_add_grad(&[0.0, 0.0], 0.0, None).is_finite());
    }
}

#[test]
fn huge_length_scale_triggers_the_jitter() {
    let kernel = Kernel::isotropic(KernelKind::Rbf, 1.0, 1e3, 2).unwrap();
    let mut rng = rng_from_seed(2);
    let anchors = pop_prior::design::shifted_halton(64, 2, &mut rng);
    let k = kernel.matrix(anchors.view());
    let c = cholesky_with_jitter(k.view(), &NO_JITTER_FIRST).unwrap();
    assert!(
        c.attempts > 1 && c.jitter > 0.0,
        "{} attempts, jitter {}",
        c.attempts,
        c.jitter
    );
}

#[test]
fn unfixable_matrices_are_typed_errors() {
    // Not positive semi-definite at all: no jitter up to 1e-3 fixes eigenvalue −1.
    let k: Array2<f64> = array![[1.0, 2.0], [2.0, 1.0]];
    match cholesky_with_jitter(k.view(), &JitterPolicy::default()) {
        Err(PriorError::CholeskyFailed { n: 2, attempts, .. }) => assert!(attempts >= 2),
        other => panic!("expected CholeskyFailed, got {other:?}"),
    }
    // Non-finite anchors.
    let kernel = Kernel::isotropic(KernelKind::Matern52, 1.0, 0.5, 2).unwrap();
    let anchors = array![[0.1, f64::NAN], [0.3, 0.2]];
    let mut rng = rng_from_seed(3);
    let r = ExactGp::sample(
        kernel,
        anchors.view(),
        &JitterPolicy::default(),
        CholeskyBackend::Lapack,
        &mut rng,
    );
    assert!(matches!(r, Err(PriorError::CholeskyFailed { .. })), "{r:?}");
    // Through the whole sampler: no jitter allowed and smooth kernels on many anchors.
    let c = PriorConfig {
        p_gp_only: 1.0,
        p_quadratic_only: 0.0,
        p_mixture: 0.0,
        kernel_weights: pop_prior::KernelWeights::only(KernelKind::Rbf),
        length_scale_min: 50.0,
        length_scale_max: 50.0,
        jitter_initial: 0.0,
        jitter_max: 0.0,
        ..PriorConfig::default()
    };
    let r = PriorSample::generate(0, 2, &c);
    assert!(
        matches!(r, Err(PriorError::CholeskyFailed { n: 256, .. })),
        "{r:?}"
    );
    let msg = r.unwrap_err().to_string();
    assert!(msg.contains("Cholesky") && msg.contains("256"), "{msg}");
}
