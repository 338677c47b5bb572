//! Dimension checks: invalid dimensions and wrong buffer lengths are typed errors, not panics.

use pop_bench_fns::{BenchError, Objective, registry};

#[test]
fn invalid_dimensions_are_errors() {
    for (name, d) in [
        ("powell", 6),
        ("powell", 0),
        ("ackley", 0),
        ("branin", 3),
        ("hartmann-6d", 2),
        ("sphere", 0),
    ] {
        match registry::build(name, Some(d)) {
            Err(BenchError::InvalidDimension { function, dim, .. }) => {
                assert_eq!((function.as_str(), dim), (name, d));
            }
            other => panic!("{name} d={d}: expected InvalidDimension, got {other:?}"),
        }
    }
    assert!(registry::build("powell", Some(8)).is_ok());
    assert!(registry::build("ackley", Some(1024)).is_ok());
}

#[test]
fn wrong_lengths_are_errors() {
    let f = registry::build("rosenbrock", Some(3)).expect("valid");
    assert!(matches!(
        f.value(&[1.0, 1.0]),
        Err(BenchError::DimensionMismatch {
            what: "x",
            expected: 3,
            got: 2
        })
    ));
    let mut g = vec![0.0; 2];
    assert!(matches!(
        f.value_and_gradient(&[1.0, 1.0, 1.0], &mut g),
        Err(BenchError::DimensionMismatch {
            what: "gradient",
            ..
        })
    ));
}

#[test]
fn names_resolve_leniently() {
    assert_eq!(registry::find("Bukin_N6").expect("found").name, "bukin-n6");
    let err = registry::find("bukin").expect_err("unknown").to_string();
    assert!(err.contains("bukin-n6"), "{err}");
}
