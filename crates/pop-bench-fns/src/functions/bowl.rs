//! Bowl-shaped functions (VLSE group 2, functions 17–23).

use std::f64::consts::PI;

use super::{constant_point, cube};
use crate::{DimRule, FunctionSpec};

/// Bohachevsky function N.1 (VLSE #17).
///
/// f(x) = x₁² + 2x₂² − 0.3 cos(3πx₁) − 0.4 cos(4πx₂) + 0.7, on [−100, 100]²; global minimum
/// f* = 0 at x* = (0, 0).
///
/// Evaluated as x₁² + 2x₂² + 0.3(1 − cos 3πx₁) + 0.4(1 − cos 4πx₂) (the same function), so that
/// the value at the minimiser is exactly 0 and never rounds below it.
/// Gradient: (2x₁ + 0.9π sin 3πx₁, 4x₂ + 1.6π sin 4πx₂).
pub fn bohachevsky(x: &[f64], grad: Option<&mut [f64]>) -> f64 {
    let (x1, x2) = (x[0], x[1]);
    let (a, b) = (3.0 * PI * x1, 4.0 * PI * x2);
    if let Some(g) = grad {
        g[0] = 2.0 * x1 + 0.9 * PI * a.sin();
        g[1] = 4.0 * x2 + 1.6 * PI * b.sin();
    }
    x1 * x1 + 2.0 * x2 * x2 + 0.3 * (1.0 - a.cos()) + 0.4 * (1.0 - b.cos())
}

/// Bohachevsky function N.2 (a variant of VLSE #17, not in the suite).
///
/// f(x) = x₁² + 2x₂² − 0.3 cos(3πx₁) cos(4πx₂) + 0.3, on [−100, 100]²; global minimum f* = 0 at
/// x* = (0, 0). Evaluated as x₁² + 2x₂² + 0.3(1 − cos 3πx₁ · cos 4πx₂).
/// Gradient: (2x₁ + 0.9π sin 3πx₁ cos 4πx₂, 4x₂ + 1.2π cos 3πx₁ sin 4πx₂).
pub fn bohachevsky_n2(x: &[f64], grad: Option<&mut [f64]>) -> f64 {
    let (x1, x2) = (x[0], x[1]);
    let (a, b) = (3.0 * PI * x1, 4.0 * PI * x2);
    let (ca, cb) = (a.cos(), b.cos());
    if let Some(g) = grad {
        g[0] = 2.0 * x1 + 0.9 * PI * a.sin() * cb;
        g[1] = 4.0 * x2 + 1.2 * PI * ca * b.sin();
    }
    x1 * x1 + 2.0 * x2 * x2 + 0.3 * (1.0 - ca * cb)
}

/// Bohachevsky function N.3 (a variant of VLSE #17, not in the suite).
///
/// f(x) = x₁² + 2x₂² − 0.3 cos(3πx₁ + 4πx₂) + 0.3, on [−100, 100]²; global minimum f* = 0 at
/// x* = (0, 0). Evaluated as x₁² + 2x₂² + 0.3(1 − cos(3πx₁ + 4πx₂)).
/// Gradient: (2x₁ + 0.9π sin(3πx₁ + 4πx₂), 4x₂ + 1.2π sin(3πx₁ + 4πx₂)).
pub fn bohachevsky_n3(x: &[f64], grad: Option<&mut [f64]>) -> f64 {
    let (x1, x2) = (x[0], x[1]);
    let t = 3.0 * PI * x1 + 4.0 * PI * x2;
    if let Some(g) = grad {
        let s = t.sin();
        g[0] = 2.0 * x1 + 0.9 * PI * s;
        g[1] = 4.0 * x2 + 1.2 * PI * s;
    }
    x1 * x1 + 2.0 * x2 * x2 + 0.3 * (1.0 - t.cos())
}

/// β of the Perm 0,d,β function as the suite uses it (the VLSE code's default).
const PERM_0_BETA: f64 = 10.0;

/// Perm function 0,d,β with β = 10 (VLSE #18).
///
/// f(x) = Σᵢ₌₁ᵈ ( Σⱼ₌₁ᵈ (j + β)(xⱼⁱ − 1/jⁱ) )², on [−d, d]^d; global minimum f* = 0, attained at
/// xⱼ = 1/j. This is not the only zero: each xⱼⁱ-sum condition is one polynomial equation, and
/// the d equations have further real solutions in the box, e.g. (11/23, 45/46) for d = 2 (both
/// d = 2 zeros are listed as minimisers), three more for d = 3, at least five more for d = 4.
///
/// Gradient: ∂f/∂xₖ = Σᵢ 2 Sᵢ (k + β) i xₖⁱ⁻¹ with Sᵢ the inner sum. The constant 1/jⁱ is computed as
/// (1/j)ⁱ so that the value at xⱼ = 1/j is exactly 0 in floating point. Cost O(d²).
pub fn perm_0_d_beta(x: &[f64], mut grad: Option<&mut [f64]>) -> f64 {
    let d = x.len();
    if let Some(g) = grad.as_deref_mut() {
        g.fill(0.0);
    }
    let mut f = 0.0;
    for i in 1..=d {
        let p = i as i32;
        let mut s = 0.0;
        for (j0, &xj) in x.iter().enumerate() {
            let j = (j0 + 1) as f64;
            s += (j + PERM_0_BETA) * (xj.powi(p) - (1.0 / j).powi(p));
        }
        f += s * s;
        if let Some(g) = grad.as_deref_mut() {
            let c = 2.0 * s * i as f64;
            for (k0, (gk, &xk)) in g.iter_mut().zip(x).enumerate() {
                let k = (k0 + 1) as f64;
                *gk += c * (k + PERM_0_BETA) * xk.powi(p - 1);
            }
        }
    }
    f
}

/// Rotated Hyper-Ellipsoid function (VLSE #19).
///
/// f(x) = Σᵢ₌₁ᵈ Σⱼ₌₁ⁱ xⱼ² = Σⱼ (d − j + 1) xⱼ², on [−65.536, 65.536]^d; global minimum f* = 0 at
/// x* = 0. Gradient: ∂f/∂xⱼ = 2(d − j + 1)xⱼ.
pub fn rotated_hyper_ellipsoid(x: &[f64], grad: Option<&mut [f64]>) -> f64 {
    let d = x.len();
    let weight = |j0: usize| (d - j0) as f64;
    if let Some(g) = grad {
        for (j0, (gj, &xj)) in g.iter_mut().zip(x).enumerate() {
            *gj = 2.0 * weight(j0) * xj;
        }
    }
    x.iter()
        .enumerate()
        .map(|(j0, &xj)| weight(j0) * xj * xj)
        .sum()
}

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

/// Sum of Different Powers function (VLSE #21).
///
/// f(x) = Σᵢ₌₁ᵈ |xᵢ|^(i+1), on [−1, 1]^d; global minimum f* = 0 at x* = 0.
///
/// Differentiable everywhere: every exponent is ≥ 2, so the function is C¹ (in fact C², since
/// |t|³ is the least smooth term; the third derivative of |t|³ jumps at 0). No subgradient needed.
/// Gradient: ∂f/∂xᵢ = (i + 1) xᵢ |xᵢ|^(i−1).
pub fn sum_of_different_powers(x: &[f64], grad: Option<&mut [f64]>) -> f64 {
    if let Some(g) = grad {
        for (i0, (gi, &xi)) in g.iter_mut().zip(x).enumerate() {
            let i = (i0 + 1) as i32;
            *gi = f64::from(i + 1) * xi * xi.abs().powi(i - 1);
        }
    }
    x.iter()
        .enumerate()
        .map(|(i0, &xi)| xi.abs().powi(i0 as i32 + 2))
        .sum()
}

/// Sum Squares function (VLSE #22).
///
/// f(x) = Σᵢ₌₁ᵈ i xᵢ², on [−10, 10]^d; global minimum f* = 0 at x* = 0.
/// Gradient: ∂f/∂xᵢ = 2i xᵢ.
pub fn sum_squares(x: &[f64], grad: Option<&mut [f64]>) -> f64 {
    if let Some(g) = grad {
        for (i0, (gi, &xi)) in g.iter_mut().zip(x).enumerate() {
            *gi = 2.0 * (i0 + 1) as f64 * xi;
        }
    }
    x.iter()
        .enumerate()
        .map(|(i0, &xi)| (i0 + 1) as f64 * xi * xi)
        .sum()
}

/// Trid function (VLSE #23).
///
/// f(x) = Σᵢ₌₁ᵈ (xᵢ − 1)² − Σᵢ₌₂ᵈ xᵢ xᵢ₋₁, on [−d², d²]^d; strictly convex, with the unique
/// global minimum f* = −d(d + 4)(d − 1)/6 at xᵢ = i(d + 1 − i) (for d = 2: f* = −2 at (2, 2)).
/// Gradient: ∂f/∂xₖ = 2(xₖ − 1) − xₖ₋₁ − xₖ₊₁ (missing neighbours omitted).
pub fn trid(x: &[f64], grad: Option<&mut [f64]>) -> f64 {
    let d = x.len();
    if let Some(g) = grad {
        for (k, gk) in g.iter_mut().enumerate() {
            let mut v = 2.0 * (x[k] - 1.0);
            if k > 0 {
                v -= x[k - 1];
            }
            if k + 1 < d {
                v -= x[k + 1];
            }
            *gk = v;
        }
    }
    let squares: f64 = x.iter().map(|&xi| (xi - 1.0) * (xi - 1.0)).sum();
    let cross: f64 = x.windows(2).map(|w| w[0] * w[1]).sum();
    squares - cross
}

/// Trid's minimum −d(d + 4)(d − 1)/6 (an integer), computed exactly in integers.
fn trid_f_star(d: usize) -> f64 {
    let d = d as u128;
    -((d * (d + 4) * (d.saturating_sub(1)) / 6) as f64)
}

/// Trid's minimiser xᵢ = i(d + 1 − i).
fn trid_minimizers(d: usize) -> Vec<Vec<f64>> {
    vec![(1..=d).map(|i| (i * (d + 1 - i)) as f64).collect()]
}

/// Perm 0,d,β's known zeros: xⱼ = 1/j, and for d = 2 also (11/23, 45/46).
fn perm_0_minimizers(d: usize) -> Vec<Vec<f64>> {
    let mut all = vec![(1..=d).map(|j| 1.0 / j as f64).collect()];
    if d == 2 {
        all.push(vec![11.0 / 23.0, 45.0 / 46.0]);
    }
    all
}

/// Registry rows of this group.
pub(crate) static SPECS: &[FunctionSpec] = &[
    FunctionSpec {
        number: 17,
        name: "bohachevsky",
        title: "Bohachevsky N.1",
        in_suite: true,
        dims: DimRule::Fixed(2),
        bounds: |d| cube(d, -100.0, 100.0),
        eval: bohachevsky,
        f_star: |_| 0.0,
        minimizers: |d| constant_point(d, 0.0),
        kink_distance: None,
    },
    FunctionSpec {
        number: 17,
        name: "bohachevsky-n2",
        title: "Bohachevsky N.2",
        in_suite: false,
        dims: DimRule::Fixed(2),
        bounds: |d| cube(d, -100.0, 100.0),
        eval: bohachevsky_n2,
        f_star: |_| 0.0,
        minimizers: |d| constant_point(d, 0.0),
        kink_distance: None,
    },
    FunctionSpec {
        number: 17,
        name: "bohachevsky-n3",
        title: "Bohachevsky N.3",
        in_suite: false,
        dims: DimRule::Fixed(2),
        bounds: |d| cube(d, -100.0, 100.0),
        eval: bohachevsky_n3,
        f_star: |_| 0.0,
        minimizers: |d| constant_point(d, 0.0),
        kink_distance: None,
    },
    FunctionSpec {
        number: 18,
        name: "perm-0-d-beta",
        title: "Perm 0,d,β",
        in_suite: true,
        dims: DimRule::Any { min: 1, default: 2 },
        bounds: |d| cube(d, -(d as f64), d as f64),
        eval: perm_0_d_beta,
        f_star: |_| 0.0,
        minimizers: perm_0_minimizers,
        kink_distance: None,
    },
    FunctionSpec {
        number: 19,
        name: "rotated-hyper-ellipsoid",
        title: "Rotated Hyper-Ellipsoid",
        in_suite: true,
        dims: DimRule::Any { min: 1, default: 2 },
        bounds: |d| cube(d, -65.536, 65.536),
        eval: rotated_hyper_ellipsoid,
        f_star: |_| 0.0,
        minimizers: |d| constant_point(d, 0.0),
        kink_distance: None,
    },
    FunctionSpec {
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
    },
    FunctionSpec {
        number: 21,
        name: "sum-of-different-powers",
        title: "Sum of Different Powers",
        in_suite: true,
        dims: DimRule::Any { min: 1, default: 2 },
        bounds: |d| cube(d, -1.0, 1.0),
        eval: sum_of_different_powers,
        f_star: |_| 0.0,
        minimizers: |d| constant_point(d, 0.0),
        kink_distance: None,
    },
    FunctionSpec {
        number: 22,
        name: "sum-squares",
        title: "Sum Squares",
        in_suite: true,
        dims: DimRule::Any { min: 1, default: 2 },
        bounds: |d| cube(d, -10.0, 10.0),
        eval: sum_squares,
        f_star: |_| 0.0,
        minimizers: |d| constant_point(d, 0.0),
        kink_distance: None,
    },
    FunctionSpec {
        number: 23,
        name: "trid",
        title: "Trid",
        in_suite: true,
        dims: DimRule::Any { min: 1, default: 2 },
        bounds: |d| {
            let r = (d * d) as f64;
            cube(d, -r, r)
        },
        eval: trid,
        f_star: trid_f_star,
        minimizers: trid_minimizers,
        kink_distance: None,
    },
];
