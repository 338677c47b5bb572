//! The optional extras of the prior (a short length-scale RFF GP, a needle, a plateau;
//! `pop_prior::extras`): off by default and then bit-identical to the prior without them;
//! exact gradients, a right f* and the configured rates when on.

use pop_bench_fns::Objective;
use pop_optim::seed::fnv1a;
use pop_prior::design::{grid, uniform_points};
use pop_prior::rng::rng_from_seed;
use pop_prior::{Prior, PriorConfig, PriorError, PriorSample, Split};
use rayon::prelude::*;

/// Every bit of a sample's f*, minimiser, and values and gradients at five fixed points.
fn fingerprint(f: &PriorSample) -> Vec<u64> {
    let d = f.dim();
    let mut out = vec![f.f_star().unwrap().to_bits()];
    out.extend(f.minimizer().iter().map(|v| v.to_bits()));
    for k in 0..5 {
        let x: Vec<f64> = (0..d)
            .map(|i| ((k * 7 + i * 3) as f64).sin() * 0.9)
            .collect();
        let mut g = vec![0.0; d];
        out.push(f.value_and_gradient(&x, &mut g).unwrap().to_bits());
        out.extend(g.iter().map(|v| v.to_bits()));
        out.push(f.value(&x).unwrap().to_bits());
    }
    out
}

fn hash(words: &[u64]) -> u64 {
    let s: String = words.iter().map(|w| format!("{w:016x}")).collect();
    fnv1a(&s)
}

/// `(d, seed, name, fingerprint hash)` of default samples, recorded with the prior as it was
/// before the extras existed (commit da4b555).
const GOLDEN: &[(usize, u64, &str, u64)] = &[
    (
        1,
        0,
        "prior-mixture-matern52-d1-0000000000000000",
        0x15a8a4af4e73d477,
    ),
    (
        1,
        1,
        "prior-mixture-rbf-ard-d1-0000000000000001",
        0x254692440a4984bd,
    ),
    (
        1,
        2,
        "prior-mixture-matern52-d1-0000000000000002",
        0x2537152932266be0,
    ),
    (
        1,
        3,
        "prior-gp-matern52-ard-d1-0000000000000003",
        0xdcabf9f28fed2763,
    ),
    (
        1,
        42,
        "prior-mixture-matern52-d1-000000000000002a",
        0x90a03f614f4af809,
    ),
    (
        1,
        7777,
        "prior-gp-rbf-d1-0000000000001e61",
        0xe615ddfe1e5929ad,
    ),
    (
        1,
        18446744073709551615,
        "prior-gp-matern52-ard-d1-ffffffffffffffff",
        0xa6431c9014fe181e,
    ),
    (
        2,
        0,
        "prior-mixture-matern52-d2-0000000000000000",
        0x57777e3670f12253,
    ),
    (
        2,
        1,
        "prior-mixture-rbf-ard-d2-0000000000000001",
        0x90027773fefa70dc,
    ),
    (
        2,
        2,
        "prior-mixture-matern52-d2-0000000000000002",
        0x505ecd45ec0bf2c7,
    ),
    (
        2,
        3,
        "prior-gp-matern52-ard-d2-0000000000000003",
        0xf473d701f810a6c9,
    ),
    (
        2,
        42,
        "prior-mixture-matern52-d2-000000000000002a",
        0x14c32944947ef1b1,
    ),
    (
        2,
        7777,
        "prior-gp-rbf-d2-0000000000001e61",
        0xfdda7f3bb56d160a,
    ),
    (
        2,
        18446744073709551615,
        "prior-gp-matern52-ard-d2-ffffffffffffffff",
        0x02179051e0374a8d,
    ),
    (
        3,
        0,
        "prior-mixture-matern52-d3-0000000000000000",
        0x2e53aa12b30fa65c,
    ),
    (
        3,
        1,
        "prior-mixture-rbf-ard-d3-0000000000000001",
        0x3f422c6d5f614ccf,
    ),
    (
        3,
        2,
        "prior-mixture-matern52-d3-0000000000000002",
        0xc771afb0d800ba30,
    ),
    (
        3,
        3,
        "prior-gp-matern52-ard-d3-0000000000000003",
        0x95998872db0af317,
    ),
    (
        3,
        42,
        "prior-mixture-matern52-d3-000000000000002a",
        0xe44d7703cc3dd86f,
    ),
    (
        3,
        7777,
        "prior-gp-rbf-d3-0000000000001e61",
        0x2575680e5ee35b1c,
    ),
    (
        3,
        18446744073709551615,
        "prior-gp-matern52-ard-d3-ffffffffffffffff",
        0x0c889d161c3ec1e8,
    ),
    (
        8,
        0,
        "prior-mixture-matern52-d8-0000000000000000",
        0x7a06960f3f19e7a2,
    ),
    (
        8,
        1,
        "prior-mixture-rbf-ard-d8-0000000000000001",
        0x9f072047fb02a3d8,
    ),
    (
        8,
        2,
        "prior-mixture-matern52-d8-0000000000000002",
        0x53a3a0950737db3f,
    ),
    (
        8,
        3,
        "prior-gp-matern52-ard-d8-0000000000000003",
        0x1d1ec9405daad436,
    ),
    (
        8,
        42,
        "prior-mixture-matern52-d8-000000000000002a",
        0x841b29dc3d0185d9,
    ),
    (
        8,
        7777,
        "prior-gp-rbf-d8-0000000000001e61",
        0xe819dd231ef6efee,
    ),
    (
        8,
        18446744073709551615,
        "prior-gp-matern52-ard-d8-ffffffffffffffff",
        0x14004c9dadea8678,
    ),
];

/// The default configuration with every extras field spelled out at its default.
fn explicit_zero() -> PriorConfig {
    PriorConfig {
        p_short_rff: 0.0,
        short_length_scale_min: 0.02,
        short_length_scale_max: 0.1,
        p_needle: 0.0,
        needle_width_min: 0.02,
        needle_width_max: 0.1,
        needle_depth_min: 1.5,
        needle_depth_max: 4.0,
        p_plateau: 0.0,
        plateau_softness: 0.05,
        ..PriorConfig::default()
    }
}

#[test]
fn defaults_are_bit_identical_to_the_prior_without_extras() {
    let c = PriorConfig::default();
    assert_eq!(c, explicit_zero());
    for &(d, seed, name, h) in GOLDEN {
        let f = PriorSample::generate(seed, d, &c).unwrap();
        assert_eq!(f.name(), name);
        assert!(f.extras().is_empty());
        assert_eq!(hash(&fingerprint(&f)), h, "d {d} seed {seed}");
        let z = PriorSample::generate(seed, d, &explicit_zero()).unwrap();
        assert_eq!(fingerprint(&f), fingerprint(&z));
    }
    let prior = Prior::new(c.clone()).unwrap();
    for (d, n, h) in [
        (2usize, 48u64, 0xbc33a19beee81245u64),
        (8, 4, 0xf1d5fa99d917b46d),
    ] {
        let fs = prior.split_batch(Split::Validation, d, 0..n).unwrap();
        let all: Vec<u64> = fs.iter().flat_map(fingerprint).collect();
        assert_eq!(hash(&all), h, "validation split, d {d}");
    }
    // RFF GP samples in d = 2.
    let rff = PriorConfig {
        exact_max_dim: 0,
        ..PriorConfig::default()
    };
    let all: Vec<u64> = (0..8)
        .flat_map(|s| fingerprint(&PriorSample::generate(s, 2, &rff).unwrap()))
        .collect();
    assert_eq!(hash(&all), 0xa087da3c6a736146);
    // The extras do not move the base prior's draws: with only the needle on, a sample is its
    // default self plus the needle.
    let needle = PriorConfig {
        p_needle: 1.0,
        ..PriorConfig::default()
    };
    for seed in 0..8 {
        let f = PriorSample::generate(seed, 3, &needle).unwrap();
        let base = PriorSample::generate(seed, 3, &c).unwrap();
        if f.gp().is_none() {
            continue;
        }
        let n = f.extras().needle().unwrap();
        let x = [0.3, -0.2, 0.5];
        let (a, _) = f.affine();
        let w = 1.0 - f.quadratic_weight();
        let want = base.value(&x).unwrap() + a * w * n.eval_add_grad(&x, 0.0, None);
        assert!((f.value(&x).unwrap() - want).abs() <= 1e-12 * (1.0 + want.abs()));
    }
}

#[test]
fn serialised_configs_are_unchanged_and_partial_tables_parse() {
    let c = PriorConfig::default();
    let json = serde_json::to_string(&c).unwrap();
    assert_eq!(
        fnv1a(&json),
        0x3eea1cf658aaeb61,
        "the default config's JSON is the one before the extras"
    );
    for key in ["short", "needle", "plateau"] {
        assert!(!json.contains(key), "{json}");
    }
    // Every run folder's config parses and serialises back to the same JSON (so the config
    // hashes sealing their checkpoints are unchanged).
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data");
    let mut stack = vec![data];
    let mut checked = 0;
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n == "config.json") {
                let v: serde_json::Value =
                    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
                if let Some(prior) = v.get("prior") {
                    let parsed: PriorConfig = serde_json::from_value(prior.clone()).unwrap();
                    parsed.validate().unwrap();
                    assert_eq!(&serde_json::to_value(&parsed).unwrap(), prior, "{p:?}");
                    checked += 1;
                }
            }
        }
    }
    eprintln!("{checked} run-folder configs re-serialised identically");
    // A partial table sets the rates; the other extras fields keep their defaults; a set
    // field round-trips.
    let t: PriorConfig =
        toml::from_str("p_short_rff = 0.15\np_needle = 0.2\np_plateau = 0.2\n").unwrap();
    t.validate().unwrap();
    assert_eq!((t.p_short_rff, t.p_needle, t.p_plateau), (0.15, 0.2, 0.2));
    assert_eq!(t.needle_width_min, 0.02);
    let back: PriorConfig = serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
    assert_eq!(back, t);
    let w = PriorConfig {
        needle_width_max: 0.3,
        ..t
    };
    let s = serde_json::to_string(&w).unwrap();
    assert!(
        s.contains("needle_width_max") && !s.contains("needle_width_min"),
        "{s}"
    );
    assert_eq!(serde_json::from_str::<PriorConfig>(&s).unwrap(), w);
    let err = serde_json::from_str::<PriorConfig>(r#"{"p_needles": 0.2}"#).unwrap_err();
    assert!(err.to_string().contains("p_needles"), "{err}");
}

#[test]
fn bad_extras_fields_are_named() {
    let d = PriorConfig::default;
    let cases: Vec<(PriorConfig, &str)> = vec![
        (
            PriorConfig {
                p_short_rff: 1.5,
                ..d()
            },
            "p_short_rff",
        ),
        (
            PriorConfig {
                p_needle: -0.1,
                ..d()
            },
            "p_needle",
        ),
        (
            PriorConfig {
                p_plateau: f64::NAN,
                ..d()
            },
            "p_plateau",
        ),
        (
            PriorConfig {
                short_length_scale_min: 0.0,
                ..d()
            },
            "short_length_scale_min",
        ),
        (
            PriorConfig {
                short_length_scale_min: 0.2,
                short_length_scale_max: 0.1,
                ..d()
            },
            "short_length_scale_max",
        ),
        (
            PriorConfig {
                needle_width_min: -1.0,
                ..d()
            },
            "needle_width_min",
        ),
        (
            PriorConfig {
                needle_width_max: 0.01,
                ..d()
            },
            "needle_width_max",
        ),
        (
            PriorConfig {
                needle_depth_min: 0.0,
                ..d()
            },
            "needle_depth_min",
        ),
        (
            PriorConfig {
                needle_depth_max: 1.0,
                ..d()
            },
            "needle_depth_max",
        ),
        (
            PriorConfig {
                plateau_softness: 0.0,
                ..d()
            },
            "plateau_softness",
        ),
    ];
    for (c, field) in cases {
        match c.validate() {
            Err(PriorError::InvalidConfig { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: expected InvalidConfig, got {other:?}"),
        }
        assert!(PriorSample::generate(0, 2, &c).is_err());
    }
    let msg = PriorConfig {
        needle_width_max: 0.01,
        ..d()
    }
    .validate()
    .unwrap_err()
    .to_string();
    assert!(
        msg.contains("needle_width_max") && msg.contains("needle_width_min"),
        "{msg}"
    );
}

/// The default prior with the given extras forced on (rate 1).
fn forced(short: bool, needle: bool, plateau: bool) -> PriorConfig {
    let on = |b: bool| if b { 1.0 } else { 0.0 };
    PriorConfig {
        p_short_rff: on(short),
        p_needle: on(needle),
        p_plateau: on(plateau),
        ..PriorConfig::default()
    }
}

const COMBOS: [(bool, bool, bool); 4] = [
    (true, false, false),
    (false, true, false),
    (false, false, true),
    (true, true, true),
];

/// Central differences with step `h = 1e-6` against the exact gradient, at `x`. Tolerance
/// `1e-4 · (a + max_i |∂_i f|)` as in tests/gradients.rs; the smaller step keeps the
/// truncation error `h² |f‴| / 6` below it for length-scales and needle widths down to 0.02
/// (it grows like `1/ℓ³`) while the rounding error `1e-16 |f| / h` stays near `1e-9`.
fn check_gradient(f: &PriorSample, x: &[f64]) {
    let d = x.len();
    let mut g = vec![0.0; d];
    f.value_and_gradient(x, &mut g).unwrap();
    let h = 1e-6;
    let (a, _) = f.affine();
    let scale = a + g.iter().map(|v| v.abs()).fold(0.0, f64::max);
    for i in 0..d {
        let mut p = x.to_vec();
        let mut m = x.to_vec();
        p[i] += h;
        m[i] -= h;
        let fd = (f.value(&p).unwrap() - f.value(&m).unwrap()) / (2.0 * h);
        assert!(
            (g[i] - fd).abs() <= 1e-4 * scale,
            "{} at {x:?}: ∂{i} exact {} vs fd {fd}",
            f.name(),
            g[i]
        );
    }
}

#[test]
fn gradients_are_exact_with_each_extra_on() {
    for d in [2usize, 5] {
        for (short, needle, plateau) in COMBOS {
            let c = forced(short, needle, plateau);
            (0..12u64).into_par_iter().for_each(|seed| {
                let f = PriorSample::generate(seed, d, &c).unwrap();
                let e = f.extras();
                if f.gp().is_some() {
                    assert_eq!(
                        (e.short_rff(), e.needle().is_some(), e.plateau().is_some()),
                        (short, needle, plateau),
                        "{}",
                        f.name()
                    );
                } else {
                    assert!(e.is_empty(), "a pure quadratic has no extras");
                }
                let mut rng = rng_from_seed(100 + seed);
                let pts = uniform_points(8, d, &mut rng);
                for row in pts.rows() {
                    // Inside the box, away from its faces (central differences).
                    let x: Vec<f64> = row.iter().map(|v| 0.99 * v).collect();
                    check_gradient(&f, &x);
                }
                if let Some(n) = e.needle() {
                    // On the needle's flank, where its gradient is largest.
                    for k in 0..4 {
                        let x: Vec<f64> = n
                            .center()
                            .iter()
                            .enumerate()
                            .map(|(i, c)| c + n.width() * ((k * d + i) as f64).sin())
                            .collect();
                        check_gradient(&f, &x);
                    }
                }
            });
        }
    }
}

/// The stored f* against `f` at the minimiser and at `pts`: `f(x*) = f*` and no point lower
/// than `f* − 1e-8 a` (tolerance as in tests/fstar.rs).
fn check_f_star(f: &PriorSample, pts: &[Vec<f64>]) {
    let fs = f.f_star().unwrap();
    let (a, _) = f.affine();
    let xm = f.minimizer();
    assert!(f.bounds().contains(xm), "{}", f.name());
    let at = f.value(xm).unwrap();
    assert!(
        (at - fs).abs() <= 1e-12 * (1.0 + fs.abs()) + 1e-12 * a,
        "{}: f(x*) {at} vs f* {fs}",
        f.name()
    );
    for x in pts {
        let v = f.value(x).unwrap();
        assert!(
            v >= fs - 1e-8 * a,
            "{}: f({x:?}) = {v} < f* = {fs}",
            f.name()
        );
    }
}

#[test]
fn needle_samples_know_their_minimum() {
    for d in [2usize, 5] {
        let c = PriorConfig {
            p_needle: 1.0,
            // A pure quadratic has no needle.
            p_quadratic_only: 0.0,
            ..PriorConfig::default()
        };
        (0..24u64).into_par_iter().for_each(|seed| {
            let f = PriorSample::generate(seed, d, &c).unwrap();
            let n = f.extras().needle().unwrap();
            let (a, _) = f.affine();
            let at_c = f.value(n.center()).unwrap();
            assert!(f.f_star().unwrap() <= at_c + 1e-12 * a, "{}", f.name());
            // A dense random search, points around the needle, and in d = 2 a fine grid.
            let mut rng = rng_from_seed(500 + seed);
            let mut pts: Vec<Vec<f64>> = uniform_points(4096, d, &mut rng)
                .rows()
                .into_iter()
                .map(|r| r.to_vec())
                .collect();
            for r in uniform_points(1024, d, &mut rng).rows() {
                pts.push(
                    n.center()
                        .iter()
                        .zip(r)
                        .map(|(c, u)| (c + 3.0 * n.width() * u).clamp(-1.0, 1.0))
                        .collect(),
                );
            }
            if d == 2 {
                pts.extend(grid(201, 2).rows().into_iter().map(|r| r.to_vec()));
            }
            check_f_star(&f, &pts);
        });
    }
}

#[test]
fn short_length_scale_and_plateau_samples_know_their_minimum() {
    for (short, needle, plateau) in COMBOS {
        let c = forced(short, needle, plateau);
        for d in [1usize, 2] {
            (0..12u64).into_par_iter().for_each(|seed| {
                let f = PriorSample::generate(seed, d, &c).unwrap();
                // Spacing 0.01 in d = 2 (half the shortest length-scale), 0.0005 in d = 1.
                let side = if d == 1 { 4001 } else { 201 };
                let pts: Vec<Vec<f64>> = grid(side, d)
                    .rows()
                    .into_iter()
                    .map(|r| r.to_vec())
                    .collect();
                check_f_star(&f, &pts);
            });
        }
    }
}

#[test]
fn plateaus_are_flat_and_capped() {
    let c = PriorConfig {
        p_plateau: 1.0,
        p_gp_only: 1.0,
        p_quadratic_only: 0.0,
        p_mixture: 0.0,
        ..PriorConfig::default()
    };
    let mut with_flat = 0;
    let n = 24;
    for seed in 0..n {
        let f = PriorSample::generate(seed, 2, &c).unwrap();
        let p = *f.extras().plateau().unwrap();
        assert!((-0.5..=1.0).contains(&p.level()) && p.softness() == 0.05);
        let (a, b) = f.affine();
        let cap = a * (p.level() + p.softness()) + b;
        let mut flat = 0;
        for row in grid(64, 2).rows() {
            let x = row.to_vec();
            let mut g = [0.0; 2];
            let v = f.value_and_gradient(&x, &mut g).unwrap();
            assert!(
                v <= cap + 1e-12 * (1.0 + cap.abs()),
                "{}: {v} above the cap {cap}",
                f.name()
            );
            // Near-zero: below 1e-6 in the units of the untransformed function, whose GP part
            // has unit scale (its gradient is typically of order 1 to 10).
            if g.iter().all(|gi| gi.abs() <= 1e-6 * a) {
                flat += 1;
            }
        }
        if flat > 0 {
            with_flat += 1;
        }
    }
    // A flat region needs the GP to rise well above L (≤ σ): most samples have one.
    assert!(
        with_flat * 2 > n,
        "only {with_flat} of {n} plateau samples have a flat region"
    );
}

#[test]
fn rates_are_honoured() {
    let c = PriorConfig {
        p_short_rff: 0.5,
        p_needle: 0.5,
        p_plateau: 0.5,
        ..PriorConfig::default()
    };
    let prior = Prior::new(c).unwrap();
    let fs = prior.split_batch(Split::Train, 2, 0..400).unwrap();
    let with_gp: Vec<&PriorSample> = fs.iter().filter(|f| f.gp().is_some()).collect();
    assert!(with_gp.len() > 300);
    let n = with_gp.len() as f64;
    let frac =
        |p: &dyn Fn(&PriorSample) -> bool| with_gp.iter().filter(|f| p(f)).count() as f64 / n;
    let short = frac(&|f| f.extras().short_rff());
    let needle = frac(&|f| f.extras().needle().is_some());
    let plateau = frac(&|f| f.extras().plateau().is_some());
    let all = frac(&|f| f.extras().names().len() == 3);
    for (name, v, lo, hi) in [
        ("short", short, 0.4, 0.6),
        ("needle", needle, 0.4, 0.6),
        ("plateau", plateau, 0.4, 0.6),
        ("all three", all, 0.075, 0.175),
    ] {
        assert!((lo..=hi).contains(&v), "{name}: {v}");
    }
    assert!(
        fs.iter()
            .filter(|f| f.gp().is_none())
            .all(|f| f.extras().is_empty())
    );
    // The extras are named.
    let f = with_gp
        .iter()
        .find(|f| f.extras().names().len() == 3)
        .unwrap();
    assert_eq!(f.extras().describe(), "short+needle+plateau");
    assert!(
        f.name().contains("-short-needle-plateau-d2-"),
        "{}",
        f.name()
    );
    // Off by default.
    let prior = Prior::new(PriorConfig::default()).unwrap();
    let fs = prior.split_batch(Split::Train, 2, 0..64).unwrap();
    assert!(fs.iter().all(|f| f.extras().is_empty()));
}

/// The `*-wide` presets of pop-train are their base presets plus a `[prior]` table that this
/// crate's `PriorConfig` accepts (checked here by parsing the TOML, without building pop-train).
#[test]
fn wide_presets_are_their_base_plus_a_valid_prior_table() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../pop-train/presets");
    for (wide, base) in [
        ("paper-quick-wide.toml", "paper-quick.toml"),
        ("es-quick-wide.toml", "es-quick.toml"),
    ] {
        let read = |f: &str| -> toml::Table {
            toml::from_str(&std::fs::read_to_string(dir.join(f)).unwrap()).unwrap()
        };
        let mut w = read(wide);
        let b = read(base);
        assert!(!b.contains_key("prior"), "{base}");
        let prior = w.remove("prior").unwrap();
        assert_eq!(w, b, "{wide} differs from {base} outside [prior]");
        let c: PriorConfig = prior.try_into().unwrap();
        c.validate().unwrap();
        assert_eq!(
            c,
            PriorConfig {
                p_short_rff: 0.15,
                p_needle: 0.2,
                p_plateau: 0.2,
                ..PriorConfig::default()
            },
            "{wide}"
        );
    }
}

/// How a sample of the wide presets' prior looks (run with `--ignored --nocapture`).
#[test]
#[ignore]
fn report_wide_prior() {
    let c = PriorConfig {
        p_short_rff: 0.15,
        p_needle: 0.2,
        p_plateau: 0.2,
        ..PriorConfig::default()
    };
    let n = 2000;
    let t = std::time::Instant::now();
    let base = Prior::new(PriorConfig::default()).unwrap();
    base.split_batch(Split::Train, 2, 0..n).unwrap();
    println!(
        "default prior: {n} samples in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let prior = Prior::new(c).unwrap();
    let t = std::time::Instant::now();
    let fs = prior.split_batch(Split::Train, 2, 0..n).unwrap();
    let secs = t.elapsed().as_secs_f64();
    let count = |p: &dyn Fn(&PriorSample) -> bool| fs.iter().filter(|f| p(f)).count();
    println!(
        "d = 2, {n} training samples in {secs:.1} s: short {} needle {} plateau {} none {} pure quadratic {}",
        count(&|f| f.extras().short_rff()),
        count(&|f| f.extras().needle().is_some()),
        count(&|f| f.extras().plateau().is_some()),
        count(&|f| f.extras().is_empty()),
        count(&|f| f.gp().is_none()),
    );
    let mut kinds = std::collections::BTreeMap::new();
    for f in &fs {
        *kinds.entry(f.extras().describe()).or_insert(0) += 1;
    }
    println!("{kinds:?}");
    let mut below = 0;
    let mut needles = 0;
    for f in fs.iter().filter(|f| f.extras().needle().is_some()) {
        let n = f.extras().needle().unwrap();
        let at_c = f.value(n.center()).unwrap();
        let fs = f.f_star().unwrap();
        let (a, _) = f.affine();
        needles += 1;
        let dist: f64 = f
            .minimizer()
            .iter()
            .zip(n.center())
            .map(|(x, c)| (x - c) * (x - c))
            .sum::<f64>()
            .sqrt();
        if dist < 3.0 * n.width() {
            below += 1;
        }
        if needles <= 4 {
            println!(
                "{}: w {:.3} h {:.2}σ, f* {fs:.4}, f(c) {at_c:.4}, (f(c) − f*)/a {:.3}, |x* − c| {dist:.3}",
                f.name(),
                n.width(),
                n.depth(),
                (at_c - fs) / a
            );
        }
    }
    println!("needle samples whose minimiser is at the needle (within 3 w): {below} of {needles}");
}
