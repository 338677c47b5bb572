//! The GP posterior recovers known smooth functions; its likelihood and its fitting behave.

use ndarray::{Array1, Array2};
use pop_prior::design::shifted_halton;
use pop_prior::rng::rng_from_seed;
use pop_prior::{GpPosterior, HyperFitOptions, Kernel, KernelKind, PriorError};

fn rmse(post: &GpPosterior, x: &Array2<f64>, f: impl Fn(&[f64]) -> f64) -> f64 {
    let (m, _) = post.predict_batch(x.view()).unwrap();
    let se: f64 = x
        .rows()
        .into_iter()
        .zip(&m)
        .map(|(r, mi)| (mi - f(&r.to_vec())).powi(2))
        .sum();
    (se / x.nrows() as f64).sqrt()
}

#[test]
fn recovers_sin_in_1d_with_small_variance_near_data_and_large_far_away() {
    let f = |x: &[f64]| (3.0 * x[0]).sin();
    // 30 points in [−1, 0.5].
    let x = Array2::from_shape_fn((30, 1), |(i, _)| -1.0 + 1.5 * i as f64 / 29.0);
    let y: Array1<f64> = x.rows().into_iter().map(|r| f(&r.to_vec())).collect();
    let post = GpPosterior::fit_hyperparameters(
        x.view(),
        y.view(),
        &HyperFitOptions {
            kind: KernelKind::Rbf,
            ..HyperFitOptions::default()
        },
    )
    .unwrap();
    let xt = Array2::from_shape_fn((200, 1), |(i, _)| -1.0 + 1.5 * i as f64 / 199.0);
    let e = rmse(&post, &xt, f);
    assert!(e < 1e-3, "RMSE {e}");
    let y_var = 0.5; // ~ variance of sin(3x) on the data
    let (_, v_near) = post.predict(&[0.0]).unwrap();
    let (_, v_far) = post.predict(&[4.0]).unwrap();
    assert!(v_near < 1e-6 * y_var, "variance near data {v_near}");
    assert!(v_far > 0.3 * y_var, "variance far away {v_far}");
    let (m_far, _) = post.predict(&[40.0]).unwrap();
    let (ym, _) = post.standardisation();
    assert!(
        (m_far - ym).abs() < 1e-6,
        "far away the mean reverts to the data mean"
    );
}

#[test]
fn recovers_a_smooth_2d_function_from_30_points() {
    let f = |x: &[f64]| (2.0 * x[0]).sin() * (1.5 * x[1]).cos() + 0.3 * x[1];
    let mut rng = rng_from_seed(4);
    let x = shifted_halton(30, 2, &mut rng);
    let y: Array1<f64> = x.rows().into_iter().map(|r| f(&r.to_vec())).collect();
    for kind in [KernelKind::Rbf, KernelKind::Matern52] {
        for ard in [false, true] {
            let post = GpPosterior::fit_hyperparameters(
                x.view(),
                y.view(),
                &HyperFitOptions {
                    kind,
                    ard,
                    ..HyperFitOptions::default()
                },
            )
            .unwrap();
            let xt = shifted_halton(400, 2, &mut rng).mapv(|v| 0.9 * v);
            let e = rmse(&post, &xt, f);
            assert!(e < 0.05, "{kind:?} ard={ard}: RMSE {e}");
        }
    }
}

#[test]
fn lml_gradient_matches_differences_and_fitting_improves_it() {
    let mut rng = rng_from_seed(9);
    let x = shifted_halton(20, 2, &mut rng);
    let y: Array1<f64> = x
        .rows()
        .into_iter()
        .map(|r| (2.0 * r[0]).sin() + r[1])
        .collect();
    for (kind, ard) in [
        (KernelKind::Matern52, true),
        (KernelKind::Rbf, false),
        (KernelKind::Matern32, false),
    ] {
        let ls = if ard {
            pop_prior::LengthScales::Ard(vec![0.4, 0.7])
        } else {
            pop_prior::LengthScales::Isotropic(0.5)
        };
        let kernel = Kernel::new(kind, 1.2, ls, 2).unwrap();
        let noise = 1e-3;
        let post = GpPosterior::fit(kernel.clone(), x.view(), y.view(), noise).unwrap();
        let (lml, grad) = post.log_marginal_likelihood_with_grad().unwrap();
        let mut theta = kernel.log_params();
        theta.push(noise.ln());
        let eval = |t: &[f64]| {
            let k = kernel.with_log_params(&t[..t.len() - 1]).unwrap();
            GpPosterior::fit(k, x.view(), y.view(), t[t.len() - 1].exp())
                .unwrap()
                .log_marginal_likelihood()
        };
        assert!((eval(&theta) - lml).abs() < 1e-9);
        for j in 0..theta.len() {
            let h = 1e-5;
            let mut tp = theta.clone();
            let mut tm = theta.clone();
            tp[j] += h;
            tm[j] -= h;
            let fd = (eval(&tp) - eval(&tm)) / (2.0 * h);
            assert!(
                (fd - grad[j]).abs() < 1e-5 * (1.0 + fd.abs()),
                "{kind:?} θ{j}: {fd} vs {}",
                grad[j]
            );
        }
        let fitted = GpPosterior::fit_hyperparameters(
            x.view(),
            y.view(),
            &HyperFitOptions {
                kind,
                ard,
                ..HyperFitOptions::default()
            },
        )
        .unwrap();
        assert!(fitted.log_marginal_likelihood() >= lml - 1e-9);
    }
}

#[test]
fn bad_inputs_are_errors() {
    let kernel = Kernel::isotropic(KernelKind::Rbf, 1.0, 0.5, 2).unwrap();
    let x = Array2::<f64>::zeros((3, 2));
    let y = Array1::<f64>::zeros(2);
    assert!(matches!(
        GpPosterior::fit(kernel.clone(), x.view(), y.view(), 0.0),
        Err(PriorError::DimensionMismatch { .. })
    ));
    let y = Array1::from(vec![0.0, f64::NAN, 1.0]);
    assert!(matches!(
        GpPosterior::fit(kernel.clone(), x.view(), y.view(), 0.0),
        Err(PriorError::InvalidData { .. })
    ));
    let y = Array1::from(vec![0.0, 1.0, 1.0]);
    assert!(matches!(
        GpPosterior::fit(kernel.clone(), x.view(), y.view(), -1.0),
        Err(PriorError::InvalidConfig { .. })
    ));
    // Three identical points without noise: repaired by the jitter.
    let post = GpPosterior::fit(kernel, x.view(), y.view(), 0.0).unwrap();
    assert!(post.jitter() > 0.0);
    assert!(post.predict(&[0.0]).is_err());
}
