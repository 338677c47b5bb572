//! Bowl-shaped functions (VLSE group 2, functions 17–23).

use super::{constant_point, cube};
use crate::{DimRule, FunctionSpec};

/// Sphere function (VLSE #20).
///
/// f(x) = Σᵢ xᵢ², on [−5.12, 5.12]^d; global minimum f* = 0 at x* = 0.
/// Gradient: ∂f/∂xᵢ = 2xᵢ.
pub fn sphere(x: &[f64], grad: Option<&mut [f64]>) -> f64 {
    if let Some(g) = grad {
        for (gi, &xi) in g.iter_mut().zip(x) {
            *gi = 2.0 * xi;
        }
    }
    x.iter().map(|xi| xi * xi).sum()
}

/// Registry rows of this group.
pub(crate) static SPECS: &[FunctionSpec] = &[FunctionSpec {
    number: 20,
    name: "sphere",
    title: "Sphere",
    in_suite: true,
    dims: DimRule::Any { min: 1, default: 2 },
    bounds: |d| cube(d, -5.12, 5.12),
    eval: sphere,
    f_star: |_| 0.0,
    minimizers: |d| constant_point(d, 0.0),
    kink_distance: None,
}];
