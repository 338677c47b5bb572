//! The 47 VLSE functions as plain math, grouped as the VLSE catalogue groups them.
//!
//! Every function has the signature `fn(x: &[f64], grad: Option<&mut [f64]>) -> f64`: it returns
//! the value and, when `grad` is `Some`, writes the exact gradient (a documented subgradient at
//! kinks). It does not allocate. Its rustdoc states formula, domain, minimiser and minimum.
//! Each group module also exports `SPECS`, its rows of the [`crate::registry`].

pub mod bowl;
pub mod many_local;
pub mod other;
pub mod plate;
pub mod steep;
pub mod valley;

use crate::FunctionSpec;

/// All registry tables, one per group.
pub(crate) static TABLES: &[&[FunctionSpec]] = &[
    many_local::SPECS,
    bowl::SPECS,
    plate::SPECS,
    valley::SPECS,
    steep::SPECS,
    other::SPECS,
];

/// `(vec![lo; d], vec![hi; d])`: the bounds of a cube.
pub(crate) fn cube(d: usize, lo: f64, hi: f64) -> (Vec<f64>, Vec<f64>) {
    (vec![lo; d], vec![hi; d])
}

/// The single minimiser `(v, v, ..., v)` in dimension `d`.
pub(crate) fn constant_point(d: usize, v: f64) -> Vec<Vec<f64>> {
    vec![vec![v; d]]
}
