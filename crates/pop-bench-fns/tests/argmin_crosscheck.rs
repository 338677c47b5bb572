//! Cross-check against `argmin_testfunctions` 0.3 (an independent implementation) for the
//! functions it also has: values and gradients at seeded random points of each box.

use argmin_testfunctions as at;
use pop_bench_fns::{Objective, registry};
use rand::{RngExt, SeedableRng};

type Reference = fn(&[f64]) -> (f64, Vec<f64>);

fn two(f: fn(&[f64; 2]) -> f64, g: fn(&[f64; 2]) -> [f64; 2], x: &[f64]) -> (f64, Vec<f64>) {
    let p = [x[0], x[1]];
    (f(&p), g(&p).to_vec())
}

/// (our registry name, dimensions to test, reference value and gradient)
///
/// Levy is left out on purpose: argmin_testfunctions 0.3 sums the middle term over
/// `x[1..d-1]`, dropping VLSE's i = 1 term, so it is a different function (checked by hand).
fn table() -> Vec<(&'static str, Vec<usize>, Reference)> {
    vec![
        ("ackley", vec![2, 5], |x| {
            (at::ackley(x), at::ackley_derivative(x))
        }),
        ("rastrigin", vec![2, 5], |x| {
            (at::rastrigin(x), at::rastrigin_derivative(x))
        }),
        ("rosenbrock", vec![2, 5], |x| {
            (at::rosenbrock(x), at::rosenbrock_derivative(x))
        }),
        ("sphere", vec![2, 5], |x| {
            (at::sphere(x), at::sphere_derivative(x))
        }),
        ("styblinski-tang", vec![2, 5], |x| {
            (at::styblinski_tang(x), at::styblinski_tang_derivative(x))
        }),
        ("beale", vec![2], |x| {
            two(at::beale, at::beale_derivative, x)
        }),
        ("booth", vec![2], |x| {
            two(at::booth, at::booth_derivative, x)
        }),
        ("bukin-n6", vec![2], |x| {
            two(at::bukin_n6, at::bukin_n6_derivative, x)
        }),
        ("cross-in-tray", vec![2], |x| {
            two(at::cross_in_tray, at::cross_in_tray_derivative, x)
        }),
        ("easom", vec![2], |x| {
            two(at::easom, at::easom_derivative, x)
        }),
        ("eggholder", vec![2], |x| {
            two(at::eggholder, at::eggholder_derivative, x)
        }),
        ("goldstein-price", vec![2], |x| {
            two(at::goldsteinprice, at::goldsteinprice_derivative, x)
        }),
        ("holder-table", vec![2], |x| {
            two(at::holder_table, at::holder_table_derivative, x)
        }),
        ("levy-n13", vec![2], |x| {
            two(at::levy_n13, at::levy_n13_derivative, x)
        }),
        ("matyas", vec![2], |x| {
            two(at::matyas, at::matyas_derivative, x)
        }),
        ("mccormick", vec![2], |x| {
            two(at::mccormick, at::mccormick_derivative, x)
        }),
        ("schaffer-n2", vec![2], |x| {
            two(at::schaffer_n2, at::schaffer_n2_derivative, x)
        }),
        ("schaffer-n4", vec![2], |x| {
            two(at::schaffer_n4, at::schaffer_n4_derivative, x)
        }),
        ("three-hump-camel", vec![2], |x| {
            two(at::threehumpcamel, at::threehumpcamel_derivative, x)
        }),
    ]
}

#[test]
fn values_and_gradients_match_argmin_testfunctions() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2012);
    for (name, dims, reference) in table() {
        for d in dims {
            let f = registry::build(name, Some(d)).expect("registered");
            let kink = f.spec().kink_distance;
            let mut x = vec![0.0; d];
            let mut t = vec![0.0; d];
            let mut g = vec![0.0; d];
            let mut checked = 0;
            for _ in 0..500 {
                for ti in t.iter_mut() {
                    *ti = rng.random::<f64>();
                }
                f.bounds().from_unit(&t, &mut x);
                let v = f.value_and_gradient(&x, &mut g).expect("right length");
                let (rv, rg) = reference(&x);
                let scale = 1.0 + rv.abs();
                assert!(
                    (v - rv).abs() <= 1e-10 * scale,
                    "{name} d={d} at {x:?}: value {v} vs argmin {rv}"
                );
                if kink.is_some_and(|k| k(&x) < 1e-6) {
                    continue; // subgradient conventions may differ at kinks
                }
                let gscale = 1.0 + rg.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
                for i in 0..d {
                    assert!(
                        (g[i] - rg[i]).abs() <= 1e-8 * gscale,
                        "{name} d={d} at {x:?}: ∂{i} = {} vs argmin {}",
                        g[i],
                        rg[i]
                    );
                }
                checked += 1;
            }
            assert!(
                checked > 400,
                "{name}: only {checked} points away from kinks"
            );
        }
    }
}
