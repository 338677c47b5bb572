//! Plate-shaped functions (VLSE group 3, functions 24–28).

use std::f64::consts::PI;

use super::{constant_point, cube};
use crate::{DimRule, FunctionSpec};

/// Booth function (VLSE #24).
///
/// f(x) = (x₁ + 2x₂ − 7)² + (2x₁ + x₂ − 5)², on [−10, 10]²; global minimum f* = 0 at
/// x* = (1, 3). Gradient: (2a + 4b, 4a + 2b) with a = x₁ + 2x₂ − 7, b = 2x₁ + x₂ − 5.
pub fn booth(x: &[f64], grad: Option<&mut [f64]>) -> f64 {
    let a = x[0] + 2.0 * x[1] - 7.0;
    let b = 2.0 * x[0] + x[1] - 5.0;
    if let Some(g) = grad {
        g[0] = 2.0 * a + 4.0 * b;
        g[1] = 4.0 * a + 2.0 * b;
    }
    a * a + b * b
}

/// Matyas function (VLSE #25).
///
/// f(x) = 0.26(x₁² + x₂²) − 0.48 x₁x₂, on [−10, 10]²; global minimum f* = 0 at x* = (0, 0).
/// Gradient: (0.52x₁ − 0.48x₂, 0.52x₂ − 0.48x₁).
pub fn matyas(x: &[f64], grad: Option<&mut [f64]>) -> f64 {
    let (x1, x2) = (x[0], x[1]);
    if let Some(g) = grad {
        g[0] = 0.52 * x1 - 0.48 * x2;
        g[1] = 0.52 * x2 - 0.48 * x1;
    }
    0.26 * (x1 * x1 + x2 * x2) - 0.48 * x1 * x2
}

/// McCormick function (VLSE #26).
///
/// f(x) = sin(x₁ + x₂) + (x₁ − x₂)² − 1.5x₁ + 2.5x₂ + 1, on x₁ ∈ [−1.5, 4], x₂ ∈ [−3, 4].
///
/// With s = x₁ + x₂ and t = x₁ − x₂ it is f = (sin s + s/2) + (t − 1)², so the global minimum is in
/// closed form: s = −2π/3, t = 1, i.e. x* = (1/2 − π/3, −1/2 − π/3) ≈ (−0.5471975511965977,
/// −1.5471975511965979), f* = −√3/2 − π/3 = −1.9132229549810364 (VLSE rounds it to −1.9133,
/// which lies below the true minimum; the closed form is used here).
/// Gradient: (cos(x₁ + x₂) + 2(x₁ − x₂) − 1.5, cos(x₁ + x₂) − 2(x₁ − x₂) + 2.5).
pub fn mccormick(x: &[f64], grad: Option<&mut [f64]>) -> f64 {
    let (x1, x2) = (x[0], x[1]);
    let s = x1 + x2;
    let t = x1 - x2;
    if let Some(g) = grad {
        let c = s.cos();
        g[0] = c + 2.0 * t - 1.5;
        g[1] = c - 2.0 * t + 2.5;
    }
    s.sin() + t * t - 1.5 * x1 + 2.5 * x2 + 1.0
}

/// McCormick's minimum −√3/2 − π/3.
const MCCORMICK_F_STAR: f64 = -1.913_222_954_981_036_4;

/// b of the Power Sum function, as on the VLSE page.
const POWER_SUM_B: [f64; 4] = [8.0, 18.0, 44.0, 114.0];

/// Power Sum function with b = (8, 18, 44, 114) (VLSE #27), d = 4.
///
/// f(x) = Σᵢ₌₁⁴ ( Σⱼ₌₁⁴ xⱼⁱ − bᵢ )², on [0, 4]⁴; global minimum f* = 0. (1, 2, 2, 3) attains it
/// (power sums 8, 18, 44, 114), and since the first four power sums of four numbers fix their
/// elementary symmetric polynomials (Newton's identities), hence the multiset {x₁, …, x₄}, the
/// global minimisers are exactly the 12 distinct permutations of (1, 2, 2, 3).
///
/// Gradient: ∂f/∂xₖ = Σᵢ 2 rᵢ i xₖⁱ⁻¹ with rᵢ = Σⱼ xⱼⁱ − bᵢ. Expects `x.len() == 4`.
pub fn power_sum(x: &[f64], mut grad: Option<&mut [f64]>) -> f64 {
    if let Some(g) = grad.as_deref_mut() {
        g.fill(0.0);
    }
    let mut f = 0.0;
    for (i0, &b) in POWER_SUM_B.iter().enumerate() {
        let p = i0 as i32 + 1;
        let r = x.iter().map(|&xj| xj.powi(p)).sum::<f64>() - b;
        f += r * r;
        if let Some(g) = grad.as_deref_mut() {
            let c = 2.0 * r * f64::from(p);
            for (gk, &xk) in g.iter_mut().zip(x) {
                *gk += c * xk.powi(p - 1);
            }
        }
    }
    f
}

/// The 12 distinct permutations of (1, 2, 2, 3).
fn power_sum_minimizers(_d: usize) -> Vec<Vec<f64>> {
    let mut all: Vec<Vec<f64>> = Vec::with_capacity(12);
    for a in 0..4 {
        for b in 0..4 {
            if b == a {
                continue;
            }
            // 1 at index a, 3 at index b, 2 elsewhere: 4 · 3 = 12 distinct points.
            let mut p = vec![2.0; 4];
            p[a] = 1.0;
            p[b] = 3.0;
            all.push(p);
        }
    }
    all
}

/// Zakharov function (VLSE #28).
///
/// f(x) = Σᵢ xᵢ² + (Σᵢ 0.5 i xᵢ)² + (Σᵢ 0.5 i xᵢ)⁴, on [−5, 10]^d; global minimum f* = 0 at
/// x* = 0. Gradient: ∂f/∂xₖ = 2xₖ + (2s + 4s³) · 0.5k with s = Σᵢ 0.5 i xᵢ.
pub fn zakharov(x: &[f64], grad: Option<&mut [f64]>) -> f64 {
    let mut sq = 0.0;
    let mut s = 0.0;
    for (i0, &xi) in x.iter().enumerate() {
        sq += xi * xi;
        s += 0.5 * (i0 + 1) as f64 * xi;
    }
    if let Some(g) = grad {
        let c = 2.0 * s + 4.0 * s * s * s;
        for (k0, (gk, &xk)) in g.iter_mut().zip(x).enumerate() {
            *gk = 2.0 * xk + c * 0.5 * (k0 + 1) as f64;
        }
    }
    let s2 = s * s;
    sq + s2 + s2 * s2
}

/// Registry rows of this group.
pub(crate) static SPECS: &[FunctionSpec] = &[
    FunctionSpec {
        number: 24,
        name: "booth",
        title: "Booth",
        in_suite: true,
        dims: DimRule::Fixed(2),
        bounds: |d| cube(d, -10.0, 10.0),
        eval: booth,
        f_star: |_| 0.0,
        minimizers: |_| vec![vec![1.0, 3.0]],
        kink_distance: None,
    },
    FunctionSpec {
        number: 25,
        name: "matyas",
        title: "Matyas",
        in_suite: true,
        dims: DimRule::Fixed(2),
        bounds: |d| cube(d, -10.0, 10.0),
        eval: matyas,
        f_star: |_| 0.0,
        minimizers: |d| constant_point(d, 0.0),
        kink_distance: None,
    },
    FunctionSpec {
        number: 26,
        name: "mccormick",
        title: "McCormick",
        in_suite: true,
        dims: DimRule::Fixed(2),
        bounds: |_| (vec![-1.5, -3.0], vec![4.0, 4.0]),
        eval: mccormick,
        f_star: |_| MCCORMICK_F_STAR,
        minimizers: |_| vec![vec![0.5 - PI / 3.0, -0.5 - PI / 3.0]],
        kink_distance: None,
    },
    FunctionSpec {
        number: 27,
        name: "power-sum",
        title: "Power Sum",
        in_suite: true,
        dims: DimRule::Fixed(4),
        bounds: |d| cube(d, 0.0, 4.0),
        eval: power_sum,
        f_star: |_| 0.0,
        minimizers: power_sum_minimizers,
        kink_distance: None,
    },
    FunctionSpec {
        number: 28,
        name: "zakharov",
        title: "Zakharov",
        in_suite: true,
        dims: DimRule::Any { min: 1, default: 2 },
        bounds: |d| cube(d, -5.0, 10.0),
        eval: zakharov,
        f_star: |_| 0.0,
        minimizers: |d| constant_point(d, 0.0),
        kink_distance: None,
    },
];
