//! The stored f* is a global minimum: no point of a dense random sample lies below it.
//!
//! Tolerance: `1e-8 · a` (`a` the sample's value scale), i.e. 1e-8 in the units of the
//! untransformed function, whose GP part has unit variance. The polish stops at a projected
//! gradient of 1e-7 or at rounding-level progress, which leaves a gap far below that; a
//! missed basin would show up as a gap of order 1e-3 or more.

use pop_bench_fns::Objective;
use pop_prior::design::uniform_points;
use pop_prior::rng::rng_from_seed;
use pop_prior::{Family, Prior, PriorConfig, PriorSample, Split};
use rayon::prelude::*;

fn check_sample(f: &PriorSample, n_points: usize, seed: u64) {
    let d = f.dim();
    let fs = f.f_star().unwrap();
    let (a, _) = f.affine();
    let tol = 1e-8 * a;
    let xm = f.minimizer();
    assert_eq!(xm.len(), d);
    assert!(
        f.bounds().contains(xm),
        "{}: minimiser outside the box",
        f.name()
    );
    let at = f.value(xm).unwrap();
    assert!(
        (at - fs).abs() <= 1e-12 * (1.0 + fs.abs()) + 1e-12 * a,
        "{}: f(x*) {at} vs f* {fs}",
        f.name()
    );
    let mut rng = rng_from_seed(seed);
    let pts = uniform_points(n_points, d, &mut rng);
    for row in pts.rows() {
        let v = f.value(&row.to_vec()).unwrap();
        assert!(
            v >= fs - tol,
            "{}: f({row}) = {v} < f* = {fs} − {tol}",
            f.name()
        );
    }
}

#[test]
fn f_star_is_below_dense_random_samples_2d() {
    let prior = Prior::new(PriorConfig::default()).unwrap();
    let samples = prior.split_batch(Split::Validation, 2, 0..96).unwrap();
    let families: std::collections::HashSet<_> = samples.iter().map(|s| s.family()).collect();
    assert_eq!(families.len(), 3, "all three families are exercised");
    samples
        .par_iter()
        .enumerate()
        .for_each(|(i, f)| check_sample(f, 4096, 1000 + i as u64));
}

#[test]
fn f_star_is_below_dense_random_samples_8d() {
    let prior = Prior::new(PriorConfig::default()).unwrap();
    let samples = prior.split_batch(Split::Validation, 8, 0..8).unwrap();
    samples
        .par_iter()
        .enumerate()
        .for_each(|(i, f)| check_sample(f, 4096, 2000 + i as u64));
}

#[test]
fn quadratics_have_exact_minima_inside_and_kkt_points_outside() {
    for d in [1, 2, 5] {
        for outside in [false, true] {
            let config = PriorConfig {
                p_gp_only: 0.0,
                p_quadratic_only: 1.0,
                p_mixture: 0.0,
                p_minimizer_outside: if outside { 1.0 } else { 0.0 },
                ..PriorConfig::default()
            };
            for seed in 0..20 {
                let f = PriorSample::generate(seed, d, &config).unwrap();
                assert_eq!(f.family(), Family::Quadratic);
                assert!(f.f_star_is_exact());
                let q = f.quadratic().unwrap();
                let (a, b) = f.affine();
                if !outside {
                    assert!(q.center_inside());
                    assert_eq!(f.f_star(), Some(b), "inside: f* is exactly the shift");
                    assert_eq!(f.minimizer(), q.center());
                } else {
                    assert!(!q.center_inside());
                    // KKT on [−1, 1]^d: a zero gradient in the free coordinates, pointing
                    // outwards at the active bounds.
                    let x = f.minimizer();
                    let mut g = vec![0.0; d];
                    f.value_and_gradient(x, &mut g).unwrap();
                    let gs = g.iter().map(|v| v.abs()).fold(0.0, f64::max).max(a);
                    for i in 0..d {
                        let rel = g[i] / gs;
                        if x[i] <= -1.0 {
                            assert!(
                                rel >= -1e-10,
                                "d={d} seed={seed} i={i}: g {rel} at lower bound"
                            );
                        } else if x[i] >= 1.0 {
                            assert!(
                                rel <= 1e-10,
                                "d={d} seed={seed} i={i}: g {rel} at upper bound"
                            );
                        } else {
                            assert!(rel.abs() <= 1e-10, "d={d} seed={seed} i={i}: free g {rel}");
                        }
                    }
                }
                check_sample(&f, 1024, seed);
            }
        }
    }
}
