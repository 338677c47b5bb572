//! Known minima: every listed minimiser attains f*, and f* is a true lower bound.

mod common;

use common::{cases, fstar_tol};
use pop_bench_fns::{Objective, registry};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

#[test]
fn suite_has_the_47_vlse_functions_in_order() {
    let numbers: Vec<u8> = registry::vlse47().map(|s| s.number).collect();
    assert_eq!(numbers, (1..=47).collect::<Vec<u8>>());
}

#[test]
fn every_minimizer_attains_f_star() {
    for (spec, f) in cases() {
        let f_star = f.f_star().expect("benchmark functions know f*");
        assert!(
            !f.minimizers().is_empty(),
            "{} d={}: no minimiser",
            spec.name,
            f.dim()
        );
        for x in f.minimizers() {
            assert!(
                f.bounds().contains(x),
                "{} d={}: minimiser {x:?} outside the box",
                spec.name,
                f.dim()
            );
            let v = f.value(x).expect("right length");
            assert!(
                (v - f_star).abs() <= fstar_tol(f_star),
                "{} d={}: f({x:?}) = {v:.17e} but f* = {f_star:.17e} (diff {:.3e})",
                spec.name,
                f.dim(),
                v - f_star
            );
        }
    }
}

/// No point of a seeded random sample of the box (and of a fine grid for d <= 2) lies below f*.
#[test]
fn f_star_is_a_lower_bound() {
    let mut rng = ChaCha8Rng::seed_from_u64(0x5eed_f5a7);
    for (spec, f) in cases() {
        let d = f.dim();
        let f_star = f.f_star().expect("known");
        let tol = fstar_tol(f_star);
        let mut x = vec![0.0; d];
        let mut t = vec![0.0; d];
        let check = |x: &[f64]| {
            let v = f.value(x).expect("right length");
            assert!(
                v >= f_star - tol,
                "{} d={d}: f({x:?}) = {v:.17e} < f* = {f_star:.17e}",
                spec.name
            );
        };
        for _ in 0..20_000 {
            for ti in t.iter_mut() {
                *ti = rng.random::<f64>();
            }
            f.bounds().from_unit(&t, &mut x);
            check(&x);
        }
        // Grids include the box corners and edges, where several minima lie (Eggholder).
        let n = match d {
            1 => 200_001,
            2 => 401,
            _ => 0,
        };
        if d == 1 {
            for i in 0..n {
                t[0] = i as f64 / (n - 1) as f64;
                f.bounds().from_unit(&t, &mut x);
                check(&x);
            }
        } else if d == 2 {
            for i in 0..n {
                for j in 0..n {
                    t[0] = i as f64 / (n - 1) as f64;
                    t[1] = j as f64 / (n - 1) as f64;
                    f.bounds().from_unit(&t, &mut x);
                    check(&x);
                }
            }
        }
    }
}
