//! Functions with steep ridges or drops (VLSE group 5, functions 33–35).

use std::f64::consts::PI;

use super::cube;
use crate::{DimRule, FunctionSpec};

/// The 5 grid values of De Jong N.5's a matrix: a₁ᵢ = G[(i−1) mod 5], a₂ᵢ = G[⌊(i−1)/5⌋].
const DE_JONG_GRID: [f64; 5] = [-32.0, -16.0, 0.0, 16.0, 32.0];

/// De Jong function N.5 (Shekel's foxholes; VLSE #33).
///
/// f(x) = ( 0.002 + Σᵢ₌₁²⁵ 1 / (i + (x₁ − a₁ᵢ)⁶ + (x₂ − a₂ᵢ)⁶) )⁻¹, on [−65.536, 65.536]², with
/// a₁ = (−32, −16, 0, 16, 32, −32, …) (the 5 values repeated 5 times) and
/// a₂ = (−32 ×5, −16 ×5, 0 ×5, 16 ×5, 32 ×5), as in the VLSE code.
///
/// Global minimum f* = 0.9980038377944503 (40-digit 0.99800383779445025803…, VLSE ≈ 0.998) at
/// x* = (−31.97833483565697, −31.978334837300796), computed by a 40-digit Newton solve of
/// ∇f = 0 in the foxhole i = 1; the minimiser is not exactly on the diagonal because the other
/// foxholes pull it asymmetrically. Nearly flat away from the 25 foxholes.
///
/// Gradient: ∂f/∂xₖ = f² Σᵢ 6(xₖ − aₖᵢ)⁵ / Dᵢ² with Dᵢ the i-th denominator.
pub fn de_jong_n5(x: &[f64], grad: Option<&mut [f64]>) -> f64 {
    let (x1, x2) = (x[0], x[1]);
    let mut s = 0.002;
    let mut ds = [0.0f64; 2];
    for (row, &a2) in DE_JONG_GRID.iter().enumerate() {
        for (col, &a1) in DE_JONG_GRID.iter().enumerate() {
            let i = (5 * row + col + 1) as f64;
            let (u, v) = (x1 - a1, x2 - a2);
            let (u2, v2) = (u * u, v * v);
            let (u5, v5) = (u2 * u2 * u, v2 * v2 * v);
            let den = i + u5 * u + v5 * v;
            s += 1.0 / den;
            let inv2 = 1.0 / (den * den);
            ds[0] += 6.0 * u5 * inv2;
            ds[1] += 6.0 * v5 * inv2;
        }
    }
    let f = 1.0 / s;
    if let Some(g) = grad {
        g[0] = f * f * ds[0];
        g[1] = f * f * ds[1];
    }
    f
}

/// De Jong N.5's minimum.
const DE_JONG_N5_F_STAR: f64 = 0.998_003_837_794_450_3;
/// De Jong N.5's minimiser.
const DE_JONG_N5_X: [f64; 2] = [-31.978_334_835_656_97, -31.978_334_837_300_796];

/// Easom function (VLSE #34).
///
/// f(x) = −cos(x₁) cos(x₂) exp(−(x₁ − π)² − (x₂ − π)²), on [−100, 100]²; global minimum
/// f* = −1 at x* = (π, π). Flat far from (π, π): |f| ≤ exp(−r²) at distance r from it.
/// Gradient: ∂f/∂x₁ = e · cos x₂ · (sin x₁ + 2(x₁ − π) cos x₁), and symmetrically for x₂, with
/// e = exp(−(x₁ − π)² − (x₂ − π)²).
pub fn easom(x: &[f64], grad: Option<&mut [f64]>) -> f64 {
    let (x1, x2) = (x[0], x[1]);
    let (d1, d2) = (x1 - PI, x2 - PI);
    let e = (-d1 * d1 - d2 * d2).exp();
    let (c1, c2) = (x1.cos(), x2.cos());
    if let Some(g) = grad {
        g[0] = e * c2 * (x1.sin() + 2.0 * d1 * c1);
        g[1] = e * c1 * (x2.sin() + 2.0 * d2 * c2);
    }
    -c1 * c2 * e
}

/// The steepness parameter m of the Michalewicz function as the suite uses it.
const MICHALEWICZ_M: i32 = 10;

/// Michalewicz function with m = 10 (VLSE #35).
///
/// f(x) = −Σᵢ₌₁ᵈ sin(xᵢ) sin²ᵐ(i xᵢ² / π), m = 10, on [0, π]^d.
///
/// Separable, so f*(d) = Σᵢ minₜ hᵢ(t) with hᵢ(t) = −sin t sin²⁰(i t²/π); the registry computes each
/// 1-D minimum by a dense scan of [0, π] followed by bisection on hᵢ′ (to machine precision).
/// d = 2: f* = −1.80130341009855253… at (2.2029055201726093, π/2) (VLSE: −1.8013 at
/// (2.20, 1.57)); d = 5: −4.68765817908814625…; d = 10: −9.66015171564134141… (checked
/// against a 30-digit bisection). For i ≡ 2 (mod 4) the i-th coordinate's minimiser is exactly
/// π/2 with hᵢ = −1.
///
/// Gradient: ∂f/∂xᵢ = −cos xᵢ s²⁰ − sin xᵢ · 20 s¹⁹ cos(uᵢ) · 2i xᵢ/π, with uᵢ = i xᵢ²/π,
/// s = sin uᵢ.
pub fn michalewicz(x: &[f64], grad: Option<&mut [f64]>) -> f64 {
    match grad {
        Some(g) => {
            let mut f = 0.0;
            for (i0, (gi, &xi)) in g.iter_mut().zip(x).enumerate() {
                let (h, dh) = michalewicz_term(i0 + 1, xi);
                f += h;
                *gi = dh;
            }
            f
        }
        None => x
            .iter()
            .enumerate()
            .map(|(i0, &xi)| michalewicz_term(i0 + 1, xi).0)
            .sum(),
    }
}

/// hᵢ(t) = −sin t · sin²ᵐ(i t²/π) and its derivative.
fn michalewicz_term(i: usize, t: f64) -> (f64, f64) {
    let k = i as f64;
    let u = k * t * t / PI;
    let (s, c) = u.sin_cos();
    let p = 2 * MICHALEWICZ_M;
    let s_p1 = s.powi(p - 1);
    let (st, ct) = t.sin_cos();
    let h = -st * s_p1 * s;
    let dh = -ct * s_p1 * s - st * f64::from(p) * s_p1 * c * 2.0 * k * t / PI;
    (h, dh)
}

/// The global minimiser and minimum of hᵢ over [0, π] (see [`michalewicz`]).
fn michalewicz_coordinate_min(i: usize) -> (f64, f64) {
    // hᵢ has ≈ i·π/2 narrow wells (width ∝ 1/i): sample ~60 points per well spacing, then polish every
    // discrete local minimum that could be the global one.
    let n = 128 * i + 512;
    let step = PI / n as f64;
    let at = |j: usize| (j as f64 * step).min(PI);
    let vals: Vec<f64> = (0..=n).map(|j| michalewicz_term(i, at(j)).0).collect();
    let best_scan = vals.iter().copied().fold(f64::INFINITY, f64::min);
    let mut best = (at(0), vals[0]);
    for j in 1..n {
        if vals[j] <= vals[j - 1] && vals[j] <= vals[j + 1] && vals[j] <= best_scan + 0.1 {
            let t = polish(i, at(j - 1), at(j + 1));
            let h = michalewicz_term(i, t).0;
            if h < best.1 {
                best = (t, h);
            }
        }
    }
    best
}

/// Minimises hᵢ on the bracket [lo, hi] around a scanned well: bisection on hᵢ′ when it changes
/// sign there, else golden-section search on hᵢ.
fn polish(i: usize, mut lo: f64, mut hi: f64) -> f64 {
    let dh = |t: f64| michalewicz_term(i, t).1;
    if dh(lo) < 0.0 && dh(hi) > 0.0 {
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if mid <= lo || mid >= hi {
                break;
            }
            if dh(mid) < 0.0 {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let (hl, hh) = (michalewicz_term(i, lo).0, michalewicz_term(i, hi).0);
        return if hl <= hh { lo } else { hi };
    }
    let h = |t: f64| michalewicz_term(i, t).0;
    let r = 0.5 * (5f64.sqrt() - 1.0);
    let (mut a, mut b) = (lo, hi);
    for _ in 0..200 {
        let c = b - r * (b - a);
        let d = a + r * (b - a);
        if h(c) < h(d) {
            b = d;
        } else {
            a = c;
        }
        if b - a <= 1e-15 * b.abs().max(1.0) {
            break;
        }
    }
    0.5 * (a + b)
}

/// Michalewicz f*(d): the sum of the per-coordinate minima.
fn michalewicz_f_star(d: usize) -> f64 {
    (1..=d).map(|i| michalewicz_coordinate_min(i).1).sum()
}

/// Michalewicz minimiser: the per-coordinate argmins.
fn michalewicz_minimizers(d: usize) -> Vec<Vec<f64>> {
    vec![(1..=d).map(|i| michalewicz_coordinate_min(i).0).collect()]
}

/// Registry rows of this group.
pub(crate) static SPECS: &[FunctionSpec] = &[
    FunctionSpec {
        number: 33,
        name: "de-jong-n5",
        title: "De Jong N.5",
        in_suite: true,
        dims: DimRule::Fixed(2),
        bounds: |d| cube(d, -65.536, 65.536),
        eval: de_jong_n5,
        f_star: |_| DE_JONG_N5_F_STAR,
        minimizers: |_| vec![DE_JONG_N5_X.to_vec()],
        kink_distance: None,
    },
    FunctionSpec {
        number: 34,
        name: "easom",
        title: "Easom",
        in_suite: true,
        dims: DimRule::Fixed(2),
        bounds: |d| cube(d, -100.0, 100.0),
        eval: easom,
        f_star: |_| -1.0,
        minimizers: |_| vec![vec![PI, PI]],
        kink_distance: None,
    },
    FunctionSpec {
        number: 35,
        name: "michalewicz",
        title: "Michalewicz",
        in_suite: true,
        dims: DimRule::Any { min: 1, default: 2 },
        bounds: |d| cube(d, 0.0, PI),
        eval: michalewicz,
        f_star: michalewicz_f_star,
        minimizers: michalewicz_minimizers,
        kink_distance: None,
    },
];
