//! Every gradient against central finite differences, at proptest-drawn points of the box,
//! for every registered function in its default and (when scalable) a larger dimension.
//! Points closer to a kink than the difference step are skipped (see `FunctionSpec::kink_distance`).

mod common;

use common::cases;
use pop_bench_fns::Objective;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

/// Largest dimension among the cases; the drawn unit vector is truncated to each function's d.
const MAX_D: usize = 8;

/// Central-difference check of one function at `x`; returns a description of the first mismatch.
fn check_gradient(
    name: &str,
    f: &dyn Objective,
    x: &[f64],
    kink: Option<f64>,
) -> Result<(), String> {
    let d = f.dim();
    let mut g = vec![0.0; d];
    let v = f.value_and_gradient(x, &mut g).map_err(|e| e.to_string())?;
    let v_only = f.value(x).map_err(|e| e.to_string())?;
    if v.to_bits() != v_only.to_bits() {
        return Err(format!(
            "{name}: value {v} differs from value-and-gradient {v_only}"
        ));
    }
    let g_scale = g.iter().fold(0.0_f64, |m, gi| m.max(gi.abs()));
    let mut xp = x.to_vec();
    for i in 0..d {
        // A step relative to |x_i| only: a step relative to the box width is too coarse for the
        // oscillating functions on wide boxes (Griewank, Eggholder, the Schaffers).
        let h = 1e-7 * x[i].abs().max(1.0);
        // √|u| and |u|^0.1 cusps (Bukin, Eggholder, Cross-in-Tray) spoil differences far from the
        // kink itself: skip within 1000 steps of one.
        if kink.is_some_and(|dist| dist < 1000.0 * h) {
            return Ok(());
        }
        xp[i] = x[i] + h;
        let fp = f.value(&xp).map_err(|e| e.to_string())?;
        xp[i] = x[i] - h;
        let fm = f.value(&xp).map_err(|e| e.to_string())?;
        xp[i] = x[i];
        let fd = (fp - fm) / (2.0 * h);
        // Truncation error O(h²) is covered by the relative term; rounding error ~ eps·|f|/h.
        let tol = 1e-5 * (1.0 + g_scale) + 1e-15 * (1.0 + v.abs()) / h * 10.0;
        if (fd - g[i]).abs() > tol {
            return Err(format!(
                "{name} d={d} at x={x:?}: ∂f/∂x{i} = {} but central difference = {fd} (h={h:e}, tol={tol:e})",
                g[i]
            ));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(Config {
        cases: 192,
        rng_seed: RngSeed::Fixed(0x9a0d_1e47),
        ..Config::default()
    })]

    #[test]
    fn gradients_match_central_differences(u in prop::collection::vec(0.0..=1.0f64, MAX_D)) {
        for (spec, f) in cases() {
            let d = f.dim();
            assert!(d <= MAX_D, "raise MAX_D to {d}");
            let mut x = vec![0.0; d];
            f.bounds().from_unit(&u[..d], &mut x);
            let kink = spec.kink_distance.map(|k| k(&x));
            if let Err(msg) = check_gradient(spec.name, &f, &x, kink) {
                prop_assert!(false, "{}", msg);
            }
        }
    }
}

#[test]
fn gradients_at_box_centres_and_random_points() {
    // A deterministic sweep on top of proptest: 200 seeded points per function.
    use rand::{RngExt, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    for (spec, f) in cases() {
        let d = f.dim();
        let mut x = vec![0.0; d];
        let mut t = vec![0.0; d];
        for _ in 0..200 {
            for ti in t.iter_mut() {
                *ti = rng.random::<f64>();
            }
            f.bounds().from_unit(&t, &mut x);
            let kink = spec.kink_distance.map(|k| k(&x));
            if let Err(msg) = check_gradient(spec.name, &f, &x, kink) {
                panic!("{msg}");
            }
        }
    }
}
