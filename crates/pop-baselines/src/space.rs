//! The canonical box: every method works in `z ∈ [−1, 1]^d`.
//!
//! `z = 2 (x − l)/(u − l) − 1`, `x = l + (z + 1)(u − l)/2`, and by the chain rule
//! `∂f/∂z_i = ∂f/∂x_i · (u_i − l_i)/2`. The same map is POP's boundary scaling, so a learning rate
//! tuned on prior functions (which live on `[−1, 1]^d`) transfers to any box.

use pop_bench_fns::Bounds;

/// Writes `x = l + (z + 1)(u − l)/2` (exact at `z = ±1`).
pub fn to_x(bounds: &Bounds, z: &[f64], x: &mut [f64]) {
    for (i, xi) in x.iter_mut().enumerate() {
        let (l, u) = (bounds.lower()[i], bounds.upper()[i]);
        *xi = if z[i] <= -1.0 {
            l
        } else if z[i] >= 1.0 {
            u
        } else {
            l + 0.5 * (z[i] + 1.0) * (u - l)
        };
    }
}

/// Writes `z = 2 (x − l)/(u − l) − 1`.
pub fn to_z(bounds: &Bounds, x: &[f64], z: &mut [f64]) {
    for (i, zi) in z.iter_mut().enumerate() {
        let (l, u) = (bounds.lower()[i], bounds.upper()[i]);
        *zi = 2.0 * (x[i] - l) / (u - l) - 1.0;
    }
}

/// Turns `∂f/∂x` into `∂f/∂z` in place.
pub fn grad_to_z(bounds: &Bounds, grad: &mut [f64]) {
    for (i, gi) in grad.iter_mut().enumerate() {
        *gi *= 0.5 * (bounds.upper()[i] - bounds.lower()[i]);
    }
}

/// Clips `z` into `[−1, 1]` in place; NaN becomes 0 (the box centre).
pub fn clip_z(z: &mut [f64]) {
    for zi in z.iter_mut() {
        *zi = if zi.is_nan() {
            0.0
        } else {
            zi.clamp(-1.0, 1.0)
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_corners() {
        let b = Bounds::new(vec![-5.0, 0.0], vec![10.0, 15.0]).expect("box");
        let x = [3.0, 7.5];
        let mut z = [0.0; 2];
        to_z(&b, &x, &mut z);
        let mut x2 = [0.0; 2];
        to_x(&b, &z, &mut x2);
        assert!((x2[0] - 3.0).abs() < 1e-12 && (x2[1] - 7.5).abs() < 1e-12);
        to_x(&b, &[-1.0, 1.0], &mut x2);
        assert_eq!(x2, [-5.0, 15.0]);
    }
}
