//! Point sets in `[−1, 1]^d`: shifted Halton sequences, uniform points and grids.

use ndarray::Array2;

use crate::config::AnchorDesign;
use crate::rng::{ChaCha8Rng, uniform};

/// The first 32 primes: the Halton bases of coordinates 0..32.
const PRIMES: [u64; 32] = [
    2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97,
    101, 103, 107, 109, 113, 127, 131,
];

/// The van der Corput radical inverse of `i` in base `b`, in `[0, 1)`.
pub fn radical_inverse(mut i: u64, b: u64) -> f64 {
    let inv_b = 1.0 / b as f64;
    let mut f = inv_b;
    let mut r = 0.0;
    while i > 0 {
        r += f * (i % b) as f64;
        i /= b;
        f *= inv_b;
    }
    r
}

/// `n` points of the Halton sequence in `[−1, 1]^d` (indices `1..=n`; bases from the first
/// primes, cycling after 32 coordinates), each coordinate shifted by a uniform random amount
/// modulo 1 (a Cranley–Patterson rotation), so every sample gets its own low-discrepancy set.
pub fn shifted_halton(n: usize, d: usize, rng: &mut ChaCha8Rng) -> Array2<f64> {
    let shift: Vec<f64> = (0..d).map(|_| uniform(rng)).collect();
    Array2::from_shape_fn((n, d), |(i, j)| {
        let u = radical_inverse(i as u64 + 1, PRIMES[j % PRIMES.len()]) + shift[j];
        2.0 * (u - u.floor()) - 1.0
    })
}

/// `n` independent uniform points in `[−1, 1]^d`.
pub fn uniform_points(n: usize, d: usize, rng: &mut ChaCha8Rng) -> Array2<f64> {
    let mut a = Array2::zeros((n, d));
    for v in a.iter_mut() {
        *v = 2.0 * uniform(rng) - 1.0;
    }
    a
}

/// `n` anchor points in `[−1, 1]^d` placed by `design`.
pub fn anchor_points(
    design: AnchorDesign,
    n: usize,
    d: usize,
    rng: &mut ChaCha8Rng,
) -> Array2<f64> {
    match design {
        AnchorDesign::Halton => shifted_halton(n, d, rng),
        AnchorDesign::Uniform => uniform_points(n, d, rng),
    }
}

/// The regular grid with `g` points per side (including the edges ±1) in `[−1, 1]^d`, as
/// `g^d × d` rows, the first coordinate varying slowest.
pub fn grid(g: usize, d: usize) -> Array2<f64> {
    let total = g.pow(d as u32);
    let step = if g > 1 { 2.0 / (g - 1) as f64 } else { 0.0 };
    Array2::from_shape_fn((total, d), |(i, j)| {
        let idx = (i / g.pow((d - 1 - j) as u32)) % g;
        if g > 1 { -1.0 + step * idx as f64 } else { 0.0 }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::rng_from_seed;

    #[test]
    fn halton_is_in_box_and_spread() {
        let mut rng = rng_from_seed(1);
        let a = shifted_halton(256, 2, &mut rng);
        assert!(a.iter().all(|v| (-1.0..1.0).contains(v)));
        // Every cell of an 8×8 partition holds some points (low discrepancy).
        let mut counts = [0usize; 64];
        for r in a.rows() {
            let i = (((r[0] + 1.0) * 4.0) as usize).min(7);
            let j = (((r[1] + 1.0) * 4.0) as usize).min(7);
            counts[i * 8 + j] += 1;
        }
        assert!(counts.iter().all(|&c| (1..=8).contains(&c)), "{counts:?}");
    }

    #[test]
    fn grid_covers_corners() {
        let g = grid(3, 2);
        assert_eq!(g.nrows(), 9);
        assert_eq!(g.row(0).to_vec(), vec![-1.0, -1.0]);
        assert_eq!(g.row(8).to_vec(), vec![1.0, 1.0]);
        assert_eq!(g.row(1).to_vec(), vec![-1.0, 0.0]);
    }
}
