//! Valley-shaped functions (VLSE group 4, functions 29–32).

use super::{constant_point, cube};
use crate::{DimRule, FunctionSpec};

/// Three-Hump Camel function (VLSE #29).
///
/// f(x) = 2x₁² − 1.05x₁⁴ + x₁⁶/6 + x₁x₂ + x₂², on [−5, 5]²; global minimum f* = 0 at
/// x* = (0, 0) (two further local minima). Gradient: (4x₁ − 4.2x₁³ + x₁⁵ + x₂, x₁ + 2x₂).
pub fn three_hump_camel(x: &[f64], grad: Option<&mut [f64]>) -> f64 {
    let (x1, x2) = (x[0], x[1]);
    let x1_2 = x1 * x1;
    let x1_4 = x1_2 * x1_2;
    if let Some(g) = grad {
        g[0] = 4.0 * x1 - 4.2 * x1_2 * x1 + x1_4 * x1 + x2;
        g[1] = x1 + 2.0 * x2;
    }
    2.0 * x1_2 - 1.05 * x1_4 + x1_4 * x1_2 / 6.0 + x1 * x2 + x2 * x2
}

/// Six-Hump Camel function (VLSE #30).
///
/// f(x) = (4 − 2.1x₁² + x₁⁴/3)x₁² + x₁x₂ + (−4 + 4x₂²)x₂², on x₁ ∈ [−3, 3], x₂ ∈ [−2, 2].
/// Global minimum f* = −1.0316284534898774 (VLSE: −1.0316) at the two points
/// ±(0.08984201310031806, −0.7126564030207396) (f is even, f(−x) = f(x)); both computed by a
/// 40-digit Newton solve of ∇f = 0.
/// Gradient: (8x₁ − 8.4x₁³ + 2x₁⁵ + x₂, x₁ − 8x₂ + 16x₂³).
pub fn six_hump_camel(x: &[f64], grad: Option<&mut [f64]>) -> f64 {
    let (x1, x2) = (x[0], x[1]);
    let x1_2 = x1 * x1;
    let x2_2 = x2 * x2;
    if let Some(g) = grad {
        g[0] = 8.0 * x1 - 8.4 * x1_2 * x1 + 2.0 * x1_2 * x1_2 * x1 + x2;
        g[1] = x1 - 8.0 * x2 + 16.0 * x2_2 * x2;
    }
    (4.0 - 2.1 * x1_2 + x1_2 * x1_2 / 3.0) * x1_2 + x1 * x2 + (-4.0 + 4.0 * x2_2) * x2_2
}

/// Six-Hump Camel's minimum (40-digit value −1.03162845348987735041636543714940299…).
const SIX_HUMP_CAMEL_F_STAR: f64 = -1.031_628_453_489_877_4;
/// One Six-Hump Camel minimiser; the other is its negation.
const SIX_HUMP_CAMEL_X: [f64; 2] = [0.089_842_013_100_318_06, -0.712_656_403_020_739_6];

/// Dixon-Price function (VLSE #31).
///
/// f(x) = (x₁ − 1)² + Σᵢ₌₂ᵈ i(2xᵢ² − xᵢ₋₁)², on [−10, 10]^d; global minimum f* = 0 at
/// xᵢ = 2^(−(2ⁱ − 2)/2ⁱ) (x₁ = 1, x₂ = 2^(−1/2), …). Only x_d's sign is free: xᵢ for i < d must
/// equal 2xᵢ₊₁² > 0, so for d ≥ 2 there are exactly two global minimisers, this one and the one
/// with x_d negated (both listed).
///
/// Gradient: ∂f/∂xₖ = 2(x₁ − 1)·𝟙(k = 1) + 8k xₖ(2xₖ² − xₖ₋₁)·𝟙(k ≥ 2) − 2(k + 1)(2xₖ₊₁² − xₖ)·𝟙(k < d).
pub fn dixon_price(x: &[f64], mut grad: Option<&mut [f64]>) -> f64 {
    let d = x.len();
    if d == 0 {
        return 0.0;
    }
    let r1 = x[0] - 1.0;
    if let Some(g) = grad.as_deref_mut() {
        g.fill(0.0);
        g[0] = 2.0 * r1;
    }
    let mut f = r1 * r1;
    for k in 1..d {
        let i = (k + 1) as f64;
        let r = 2.0 * x[k] * x[k] - x[k - 1];
        f += i * r * r;
        if let Some(g) = grad.as_deref_mut() {
            g[k] += 8.0 * i * r * x[k];
            g[k - 1] -= 2.0 * i * r;
        }
    }
    f
}

/// Dixon-Price minimisers: the positive one and, for d ≥ 2, the one with x_d negated.
fn dixon_price_minimizers(d: usize) -> Vec<Vec<f64>> {
    // xᵢ = 2^(−(2ⁱ − 2)/2ⁱ) = 2^(2^(1−i) − 1).
    let base: Vec<f64> = (1..=d)
        .map(|i| 2f64.powf(2f64.powi(1 - i as i32) - 1.0))
        .collect();
    if d < 2 {
        return vec![base];
    }
    let mut flipped = base.clone();
    flipped[d - 1] = -flipped[d - 1];
    vec![base, flipped]
}

/// Rosenbrock function (VLSE #32), d ≥ 2.
///
/// f(x) = Σᵢ₌₁ᵈ⁻¹ [100(xᵢ₊₁ − xᵢ²)² + (xᵢ − 1)²], on [−5, 10]^d; global minimum f* = 0 at
/// x* = (1, …, 1) (for 4 ≤ d ≤ 7 there is also a local minimum near (−1, 1, …, 1)).
/// Gradient: ∂f/∂xₖ = (−400xₖ(xₖ₊₁ − xₖ²) + 2(xₖ − 1))·𝟙(k < d) + 200(xₖ − xₖ₋₁²)·𝟙(k > 1).
pub fn rosenbrock(x: &[f64], mut grad: Option<&mut [f64]>) -> f64 {
    if let Some(g) = grad.as_deref_mut() {
        g.fill(0.0);
    }
    let mut f = 0.0;
    for k in 0..x.len().saturating_sub(1) {
        let a = x[k + 1] - x[k] * x[k];
        let b = x[k] - 1.0;
        f += 100.0 * a * a + b * b;
        if let Some(g) = grad.as_deref_mut() {
            g[k] += -400.0 * x[k] * a + 2.0 * b;
            g[k + 1] += 200.0 * a;
        }
    }
    f
}

/// Registry rows of this group.
pub(crate) static SPECS: &[FunctionSpec] = &[
    FunctionSpec {
        number: 29,
        name: "three-hump-camel",
        title: "Three-Hump Camel",
        in_suite: true,
        dims: DimRule::Fixed(2),
        bounds: |d| cube(d, -5.0, 5.0),
        eval: three_hump_camel,
        f_star: |_| 0.0,
        minimizers: |d| constant_point(d, 0.0),
        kink_distance: None,
    },
    FunctionSpec {
        number: 30,
        name: "six-hump-camel",
        title: "Six-Hump Camel",
        in_suite: true,
        dims: DimRule::Fixed(2),
        bounds: |_| (vec![-3.0, -2.0], vec![3.0, 2.0]),
        eval: six_hump_camel,
        f_star: |_| SIX_HUMP_CAMEL_F_STAR,
        minimizers: |_| {
            let [a, b] = SIX_HUMP_CAMEL_X;
            vec![vec![a, b], vec![-a, -b]]
        },
        kink_distance: None,
    },
    FunctionSpec {
        number: 31,
        name: "dixon-price",
        title: "Dixon-Price",
        in_suite: true,
        dims: DimRule::Any { min: 1, default: 2 },
        bounds: |d| cube(d, -10.0, 10.0),
        eval: dixon_price,
        f_star: |_| 0.0,
        minimizers: dixon_price_minimizers,
        kink_distance: None,
    },
    FunctionSpec {
        number: 32,
        name: "rosenbrock",
        title: "Rosenbrock",
        in_suite: true,
        dims: DimRule::Any { min: 2, default: 2 },
        bounds: |d| cube(d, -5.0, 10.0),
        eval: rosenbrock,
        f_star: |_| 0.0,
        minimizers: |d| constant_point(d, 1.0),
        kink_distance: None,
    },
];
