//! `velo-style-es`: invariance of the rule to `a·f + b` and to the box, conformance, weights
//! files (round trip, typed errors), and the shipped `data/velo-quick` rule.

use std::path::{Path, PathBuf};

use pop_bench_fns::{Bounds, Objective};
use pop_optim::Method;
use pop_optim::harness::{RunOptions, run};
use pop_optim::learned::velo::{VeloConfig, VeloLoadError, VeloRule, VeloStyle};
use pop_prior::{Prior, PriorConfig, Split};

/// A rule with random (non-zero) weights everywhere, so that every feature matters.
fn busy_rule(seed: u64) -> VeloRule {
    let cfg = VeloConfig::default();
    let base = VeloRule::initial(cfg, seed, 1.0).unwrap();
    let mut p = base.params().to_vec();
    // Fill the zero blocks (W3, b3, skip) with a deterministic pattern of moderate size.
    for (i, v) in p.iter_mut().enumerate() {
        if *v == 0.0 {
            *v = 0.3 * (((i * 7919) % 101) as f32 / 50.0 - 1.0);
        }
    }
    VeloRule::from_params(cfg, p).unwrap()
}

/// `a·g(z(x)) + b` on the box `[l, u]^d`, `g` a prior function on `[−1, 1]^d`.
struct Transformed<'a> {
    g: &'a dyn Objective,
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
    fn evaluate(&self, x: &[f64], grad: Option<&mut [f64]>) -> f64 {
        let mut z = vec![0.0; x.len()];
        self.bounds.to_z(x, &mut z);
        let v = match grad {
            Some(gr) => {
                let v = self.g.evaluate(&z, Some(gr));
                // dz/dx = 2/(u − l).
                for (i, gi) in gr.iter_mut().enumerate() {
                    let w = self.bounds.upper()[i] - self.bounds.lower()[i];
                    *gi *= self.a * 2.0 / w;
                }
                v
            }
            None => self.g.evaluate(&z, None),
        };
        self.a * v + self.b
    }
}

fn z_trajectory(f: &dyn Objective, m: &dyn Method, z0: &[f64], budget: usize) -> Vec<Vec<f64>> {
    let mut x0 = vec![0.0; z0.len()];
    f.bounds().to_x(z0, &mut x0);
    let rec = run(
        f,
        m,
        &x0,
        budget,
        3,
        RunOptions {
            record_iterates: true,
        },
    )
    .unwrap();
    rec.iterates
        .unwrap()
        .iter()
        .map(|x| {
            let mut z = vec![0.0; x.len()];
            f.bounds().to_z(x, &mut z);
            z
        })
        .collect()
}

#[test]
fn trajectory_is_invariant_to_value_affine_maps_and_to_the_box() {
    let prior = Prior::new(PriorConfig {
        n_anchors: 64,
        ..PriorConfig::default()
    })
    .unwrap();
    let method = VeloStyle::new(busy_rule(11));
    let mut worst: f64 = 0.0;
    for d in [2usize, 3] {
        let fns = prior.split_batch(Split::Validation, d, 0..6).unwrap();
        for (k, g) in fns.iter().enumerate() {
            let z0: Vec<f64> = (0..d).map(|i| 0.6 - 0.37 * (i + k) as f64 % 1.5).collect();
            let reference = Transformed {
                g,
                bounds: Bounds::cube(d, -1.0, 1.0).unwrap(),
                a: 1.0,
                b: 0.0,
            };
            let base = z_trajectory(&reference, &method, &z0, 40);
            let lower: Vec<f64> = (0..d).map(|i| -3.0 + i as f64).collect();
            let upper: Vec<f64> = (0..d).map(|i| 10.0 + 5.0 * i as f64).collect();
            for (a, b) in [(3.7, -12.5), (1e-3, 2e-3), (250.0, 40.0), (0.5, 0.0)] {
                let t = Transformed {
                    g,
                    bounds: Bounds::new(lower.clone(), upper.clone()).unwrap(),
                    a,
                    b,
                };
                let other = z_trajectory(&t, &method, &z0, 40);
                assert_eq!(base.len(), other.len());
                for (s, (p, q)) in base.iter().zip(&other).enumerate() {
                    for (pi, qi) in p.iter().zip(q) {
                        let e = (pi - qi).abs();
                        worst = worst.max(e);
                        assert!(
                            e < 1e-9,
                            "d={d} fn {k} a={a} b={b} step {s}: z {p:?} vs {q:?}"
                        );
                    }
                }
            }
        }
    }
    eprintln!("largest z difference: {worst:.2e}");
}

#[test]
fn initial_rule_is_sign_adam_like_and_conforms() {
    let rule = VeloRule::initial(VeloConfig::default(), 1, 1.0).unwrap();
    pop_optim::testing::conformance(&VeloStyle::new(rule)).unwrap();
    pop_optim::testing::conformance(&VeloStyle::new(busy_rule(5))).unwrap_or_else(|e| {
        // A random rule need not descend; it must still obey the contract (budget, box, NaN).
        assert!(e.to_string().contains("normalised improvement"), "{e}");
    });
    assert_eq!(VeloStyle::new(busy_rule(5)).name(), "velo-style-es");
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pop-velo-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn weights_round_trip_and_typed_errors() {
    let dir = scratch("io");
    let rule = busy_rule(3);
    let file = dir.join("w.json");
    std::fs::write(&file, rule.to_json().unwrap()).unwrap();
    let back = VeloStyle::load(&file).unwrap();
    assert_eq!(back.rule(), &rule);
    // A run folder: best/velo.json.
    std::fs::create_dir_all(dir.join("run/best")).unwrap();
    std::fs::write(dir.join("run/best/velo.json"), rule.to_json().unwrap()).unwrap();
    assert_eq!(VeloStyle::load(dir.join("run")).unwrap().rule(), &rule);

    // Missing file.
    match VeloStyle::load(dir.join("nope.json")) {
        Err(VeloLoadError::Io { path, .. }) => assert!(path.ends_with("nope.json")),
        other => panic!("{other:?}"),
    }
    // Corrupt JSON.
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{not json").unwrap();
    let e = VeloStyle::load(&bad).unwrap_err();
    assert!(matches!(e, VeloLoadError::Corrupt { .. }));
    assert!(e.to_string().contains("bad.json"), "{e}");
    // Wrong shape.
    let mut v: serde_json::Value = serde_json::from_str(&rule.to_json().unwrap()).unwrap();
    v["params"].as_array_mut().unwrap().pop();
    std::fs::write(&bad, v.to_string()).unwrap();
    let e = VeloStyle::load(&bad).unwrap_err().to_string();
    assert!(e.contains("bad.json") && e.contains("parameters"), "{e}");
    // Wrong format tag.
    let mut v: serde_json::Value = serde_json::from_str(&rule.to_json().unwrap()).unwrap();
    v["format"] = "something-else".into();
    std::fs::write(&bad, v.to_string()).unwrap();
    assert!(
        VeloStyle::load(&bad)
            .unwrap_err()
            .to_string()
            .contains("format")
    );
    // Bad config.
    assert!(
        VeloRule::initial(
            VeloConfig {
                hidden: 0,
                ..VeloConfig::default()
            },
            0,
            1.0
        )
        .is_err()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn shipped_quick_rule_loads_and_conforms() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/velo-quick");
    let m = VeloStyle::load(&dir).expect("shipped rule loads");
    assert_eq!(m.name(), "velo-style-es");
    pop_optim::testing::conformance(&m).expect("conformance");
}
