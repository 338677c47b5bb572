//! Config parsing and validation errors.

use pop_prior::{PriorConfig, PriorError, PriorSample};

fn field_of(c: &PriorConfig) -> &'static str {
    match c.validate() {
        Err(PriorError::InvalidConfig { field, .. }) => field,
        other => panic!("expected InvalidConfig, got {other:?}"),
    }
}

#[test]
fn bad_fields_are_named() {
    let d = PriorConfig::default;
    let cases: Vec<(PriorConfig, &str)> = vec![
        (
            PriorConfig {
                p_gp_only: 1.5,
                ..d()
            },
            "p_gp_only",
        ),
        (
            PriorConfig {
                p_gp_only: 0.0,
                p_quadratic_only: 0.0,
                p_mixture: 0.0,
                ..d()
            },
            "p_gp_only + p_quadratic_only + p_mixture",
        ),
        (
            PriorConfig {
                length_scale_min: -1.0,
                ..d()
            },
            "length_scale_min",
        ),
        (
            PriorConfig {
                length_scale_min: 1.0,
                length_scale_max: 0.5,
                ..d()
            },
            "length_scale_max",
        ),
        (
            PriorConfig {
                n_anchors: 1,
                ..d()
            },
            "n_anchors",
        ),
        (
            PriorConfig {
                jitter_growth: 1.0,
                ..d()
            },
            "jitter_growth",
        ),
        (
            PriorConfig {
                jitter_initial: 1e-2,
                jitter_max: 1e-3,
                ..d()
            },
            "jitter_max",
        ),
        (
            PriorConfig {
                condition_max: 0.5,
                ..d()
            },
            "condition_max",
        ),
        (
            PriorConfig {
                minimizer_outside_max: 1.0,
                ..d()
            },
            "minimizer_outside_max",
        ),
        (
            PriorConfig {
                value_scale_min: 0.0,
                ..d()
            },
            "value_scale_min",
        ),
        (
            PriorConfig {
                fstar_grid: 1,
                ..d()
            },
            "fstar_grid",
        ),
        (
            PriorConfig {
                exact_max_dim: 9,
                ..d()
            },
            "exact_max_dim",
        ),
        (
            PriorConfig {
                rff_features: 0,
                ..d()
            },
            "rff_features",
        ),
    ];
    for (c, field) in cases {
        assert_eq!(field_of(&c), field);
        // Every entry point validates.
        assert!(matches!(
            PriorSample::generate(0, 2, &c),
            Err(PriorError::InvalidConfig { .. })
        ));
    }
    let mut c = d();
    c.kernel_weights.rbf = f64::NAN;
    assert_eq!(field_of(&c), "kernel_weights.rbf");
    let msg = PriorConfig { p_ard: 2.0, ..d() }
        .validate()
        .unwrap_err()
        .to_string();
    assert!(msg.contains("p_ard") && msg.contains("[0, 1]"), "{msg}");
}

#[test]
fn unknown_fields_are_rejected_and_missing_ones_default() {
    let c: PriorConfig = serde_json::from_str(r#"{"n_anchors": 128}"#).unwrap();
    assert_eq!(c.n_anchors, 128);
    assert_eq!(c.fstar_grid, PriorConfig::default().fstar_grid);
    let err = serde_json::from_str::<PriorConfig>(r#"{"n_anchor": 128}"#).unwrap_err();
    assert!(err.to_string().contains("n_anchor"), "{err}");
    let err = serde_json::from_str::<PriorConfig>(r#"{"kernel_weights": {"rbf": 1, "matern": 1}}"#)
        .unwrap_err();
    assert!(err.to_string().contains("matern"), "{err}");
    let t: PriorConfig =
        toml::from_str("anchor_design = \"uniform\"\ncholesky_backend = \"faer\"\n").unwrap();
    assert_eq!(t.anchor_design, pop_prior::AnchorDesign::Uniform);
    t.validate().unwrap();
}

#[test]
fn invalid_dimensions_are_errors() {
    let c = PriorConfig::default();
    assert!(matches!(
        PriorSample::generate(0, 0, &c),
        Err(PriorError::InvalidDimension { .. })
    ));
}
