//! The canonical box: every method works in `z ∈ [−1, 1]^d`.
//!
//! The map itself is [`Bounds::to_z`](pop_bench_fns::Bounds::to_z),
//! [`Bounds::to_x`](pop_bench_fns::Bounds::to_x) and
//! [`Bounds::grad_to_z`](pop_bench_fns::Bounds::grad_to_z): `z = 2 (x − l)/(u − l) − 1`,
//! `x = l + (z + 1)(u − l)/2`, and by the chain rule `∂f/∂z_i = ∂f/∂x_i · (u_i − l_i)/2`. The same
//! map is POP's boundary scaling, so a learning rate tuned on prior functions (which live on
//! `[−1, 1]^d`) transfers to any box. This module adds what the harness does on top: clipping.

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
    use pop_bench_fns::Bounds;

    use super::*;

    #[test]
    fn round_trip_and_corners() {
        let b = Bounds::new(vec![-5.0, 0.0], vec![10.0, 15.0]).expect("box");
        let x = [3.0, 7.5];
        let mut z = [0.0; 2];
        b.to_z(&x, &mut z);
        let mut x2 = [0.0; 2];
        b.to_x(&z, &mut x2);
        assert!((x2[0] - 3.0).abs() < 1e-12 && (x2[1] - 7.5).abs() < 1e-12);
        b.to_x(&[-1.0, 1.0], &mut x2);
        assert_eq!(x2, [-5.0, 15.0]);
        let mut g = [1.0, -2.0];
        b.grad_to_z(&mut g);
        assert_eq!(g, [7.5, -15.0]);
        let mut zc = [f64::NAN, 3.0];
        clip_z(&mut zc);
        assert_eq!(zc, [0.0, 1.0]);
    }
}
