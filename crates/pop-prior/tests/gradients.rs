//! Exact gradients of prior samples and of the posterior against central differences.
//!
//! Tolerance: central differences with step `h = 1e-5` have truncation error `h² |f'''|/6`
//! and rounding error about `1e-16 |f| / h`. With length-scales ≥ 0.1 and value scales ≤ 100
//! both stay below `1e-4 · (a + max_i |∂_i f|)`, the bound used.

use pop_bench_fns::Objective;
use pop_prior::design::shifted_halton;
use pop_prior::rng::rng_from_seed;
use pop_prior::{GpPosterior, Kernel, KernelKind, PriorConfig, PriorSample};
use proptest::prelude::*;

fn central_diff(f: &dyn Fn(&[f64]) -> f64, x: &[f64], h: f64) -> Vec<f64> {
    (0..x.len())
        .map(|i| {
            let mut p = x.to_vec();
            let mut m = x.to_vec();
            p[i] += h;
            m[i] -= h;
            (f(&p) - f(&m)) / (2.0 * h)
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn sample_gradients_match_central_differences(
        seed in any::<u64>(),
        d in prop::sample::select(vec![1usize, 2, 3, 8]),
        u in prop::collection::vec(-0.99f64..0.99, 8),
    ) {
        let f = PriorSample::generate(seed, d, &PriorConfig::default()).unwrap();
        let x = &u[..d];
        let mut g = vec![0.0; d];
        f.value_and_gradient(x, &mut g).unwrap();
        let fd = central_diff(&|z| f.value(z).unwrap(), x, 1e-5);
        let (a, _) = f.affine();
        let scale = a + g.iter().map(|v| v.abs()).fold(0.0, f64::max);
        for i in 0..d {
            prop_assert!((g[i] - fd[i]).abs() <= 1e-4 * scale,
                "{}: ∂{i} exact {} vs fd {}", f.name(), g[i], fd[i]);
        }
    }

    #[test]
    fn posterior_gradients_match_central_differences(
        seed in 0u64..1000,
        kind in prop::sample::select(KernelKind::ALL.to_vec()),
        u in prop::collection::vec(-1.2f64..1.2, 2),
    ) {
        let mut rng = rng_from_seed(seed);
        let x = shifted_halton(15, 2, &mut rng);
        let y = x.rows().into_iter().map(|r| (3.0 * r[0]).sin() + r[1] * r[1]).collect::<ndarray::Array1<f64>>();
        let kernel = Kernel::isotropic(kind, 1.0, 0.5, 2).unwrap();
        let post = GpPosterior::fit(kernel, x.view(), y.view(), 1e-4).unwrap();
        let mut gm = [0.0; 2];
        let mut gv = [0.0; 2];
        let (m, v) = post.predict_with_grad(&u, &mut gm, &mut gv).unwrap();
        let (m2, v2) = post.predict(&u).unwrap();
        prop_assert!((m - m2).abs() < 1e-12 && (v - v2).abs() < 1e-12);
        let fdm = central_diff(&|z| post.predict(z).unwrap().0, &u, 1e-5);
        let fdv = central_diff(&|z| post.predict(z).unwrap().1, &u, 1e-5);
        let sm = 1.0 + gm.iter().map(|v| v.abs()).fold(0.0, f64::max);
        let sv = 1.0 + gv.iter().map(|v| v.abs()).fold(0.0, f64::max);
        for i in 0..2 {
            prop_assert!((gm[i] - fdm[i]).abs() <= 1e-5 * sm, "mean ∂{i}: {} vs {}", gm[i], fdm[i]);
            // The variance is clamped at 0; skip points where it is (numerically) zero.
            if v > 1e-8 {
                prop_assert!((gv[i] - fdv[i]).abs() <= 1e-5 * sv, "var ∂{i}: {} vs {}", gv[i], fdv[i]);
            }
        }
    }
}
