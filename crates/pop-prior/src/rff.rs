//! GP samples through random Fourier features (Rahimi & Recht 2007), for `d` where anchors
//! cannot cover the box.
//!
//! `f(z) = σ √(2/M) Σ_m w_m cos(ω_mᵀ z + b_m)` with `w_m ~ N(0, 1)`, `b_m ~ U(0, 2π)` and `ω_m`
//! from the kernel's spectral density ([`Kernel::sample_frequency`]). Over the draw of all
//! features, `Cov(f(z), f(z')) = k(z, z')` exactly for every `M`; the sample is Gaussian as
//! `M → ∞`. Gradient: `∇f(z) = −σ √(2/M) Σ_m w_m sin(ω_mᵀ z + b_m) ω_m`.

use std::f64::consts::TAU;

use crate::PriorError;
use crate::kernel::Kernel;
use crate::rng::{ChaCha8Rng, normal, uniform};

/// One random-Fourier-feature GP sample (see the module documentation).
#[derive(Debug, Clone)]
pub struct RffGp {
    kernel: Kernel,
    /// Frequencies, row-major `M × d`.
    omega: Vec<f64>,
    phase: Vec<f64>,
    /// `σ √(2/M) w_m`.
    weight: Vec<f64>,
}

impl RffGp {
    /// Draws a sample with `n_features` features (≥ 1).
    pub fn sample(
        kernel: Kernel,
        n_features: usize,
        rng: &mut ChaCha8Rng,
    ) -> Result<Self, PriorError> {
        if n_features == 0 {
            return Err(PriorError::InvalidConfig {
                field: "rff_features",
                value: "0".into(),
                valid: "at least 1".into(),
            });
        }
        let d = kernel.dim();
        let mut omega = vec![0.0; n_features * d];
        let mut phase = Vec::with_capacity(n_features);
        let mut weight = Vec::with_capacity(n_features);
        let c = (kernel.variance() * 2.0 / n_features as f64).sqrt();
        for row in omega.chunks_exact_mut(d) {
            kernel.sample_frequency(rng, row);
            phase.push(TAU * uniform(rng));
            weight.push(c * normal(rng));
        }
        Ok(Self {
            kernel,
            omega,
            phase,
            weight,
        })
    }

    /// The kernel whose spectral density the frequencies were drawn from.
    pub fn kernel(&self) -> &Kernel {
        &self.kernel
    }

    /// The number of features `M`.
    pub fn n_features(&self) -> usize {
        self.phase.len()
    }

    /// `f` at every row of `x` (`n × d`), through one matrix product per block of 1024 rows
    /// (several times faster than one call per row when `n` is large).
    pub fn values_batch(&self, x: ndarray::ArrayView2<'_, f64>) -> ndarray::Array1<f64> {
        let d = self.kernel.dim();
        let m = self.phase.len();
        let omega = ndarray::ArrayView2::from_shape((m, d), &self.omega);
        let mut out = ndarray::Array1::zeros(x.nrows());
        let (Ok(omega), true) = (omega, x.ncols() == d) else {
            return out.mapv(|_: f64| f64::NAN);
        };
        let mut start = 0;
        while start < x.nrows() {
            let end = (start + 1024).min(x.nrows());
            let block = x.slice_axis(ndarray::Axis(0), ndarray::Slice::from(start..end));
            let t = block.dot(&omega.t()); // (rows × M)
            for (o, row) in out
                .slice_axis_mut(ndarray::Axis(0), ndarray::Slice::from(start..end))
                .iter_mut()
                .zip(t.rows())
            {
                *o = row
                    .iter()
                    .zip(self.phase.iter().zip(&self.weight))
                    .map(|(t, (b, w))| w * (t + b).cos())
                    .sum();
            }
            start = end;
        }
        out
    }

    /// `f` on the regular grid of [`crate::design::grid`] with `side` points per side (≥ 2;
    /// `side^d` values in that grid's row order), for `d ≤ 2`; `None` for `d > 2` or
    /// `side < 2`. Each feature's `cos(ω_1 x_1 + ω_2 x_2 + b)` is the real part of the product of
    /// `exp(i(ω_1 x_1 + b))` (one `sin_cos` per grid row) and `exp(i ω_2 x_2)` (one per grid
    /// column), so a grid point costs a few multiplications per feature instead of a cosine:
    /// an order of magnitude faster than [`RffGp::values_batch`] on fine grids, equal to it up
    /// to rounding.
    pub fn values_grid(&self, side: usize) -> Option<Vec<f64>> {
        let d = self.kernel.dim();
        if !(1..=2).contains(&d) || side < 2 {
            return None;
        }
        let step = 2.0 / (side - 1) as f64;
        let coord = |j: usize| -1.0 + step * j as f64;
        let mut out = vec![0.0; side.pow(d as u32)];
        let mut col_re = vec![0.0; side];
        let mut col_im = vec![0.0; side];
        for (om, (b, w)) in self
            .omega
            .chunks_exact(d)
            .zip(self.phase.iter().zip(&self.weight))
        {
            // exp(i ω_d x_d) along the last (fastest) coordinate.
            let last = om[d - 1];
            for (j, (re, im)) in col_re.iter_mut().zip(col_im.iter_mut()).enumerate() {
                let (s, c) = (last * coord(j)).sin_cos();
                *re = c;
                *im = s;
            }
            let rows: Vec<f64> = if d == 1 {
                vec![*b]
            } else {
                (0..side).map(|j| om[0] * coord(j) + b).collect()
            };
            for (row, t) in out.chunks_exact_mut(side).zip(rows) {
                let (s, c) = t.sin_cos();
                let (wc, ws) = (w * c, w * s);
                for ((o, re), im) in row.iter_mut().zip(&col_re).zip(&col_im) {
                    *o += wc * re - ws * im;
                }
            }
        }
        Some(out)
    }

    /// `f(x)`, adding `factor · ∇f(x)` to `grad` when given. Allocation-free.
    #[inline]
    pub fn eval_add_grad(&self, x: &[f64], factor: f64, grad: Option<&mut [f64]>) -> f64 {
        let d = self.kernel.dim();
        let mut f = 0.0;
        let feats = self
            .omega
            .chunks_exact(d)
            .zip(self.phase.iter().zip(&self.weight));
        match grad {
            None => {
                for (om, (b, w)) in feats {
                    let t: f64 = om.iter().zip(x).map(|(o, xi)| o * xi).sum::<f64>() + b;
                    f += w * t.cos();
                }
            }
            Some(g) => {
                for (om, (b, w)) in feats {
                    let t: f64 = om.iter().zip(x).map(|(o, xi)| o * xi).sum::<f64>() + b;
                    let (s, c) = t.sin_cos();
                    f += w * c;
                    let k = -factor * w * s;
                    for (gi, o) in g.iter_mut().zip(om) {
                        *gi += k * o;
                    }
                }
            }
        }
        f
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::kernel::KernelKind;
    use crate::rng::rng_from_seed;

    #[test]
    fn batch_values_match_single_calls() {
        let k = Kernel::isotropic(KernelKind::Matern52, 1.0, 0.7, 5).unwrap();
        let mut rng = rng_from_seed(3);
        let f = RffGp::sample(k, 64, &mut rng).unwrap();
        let x = crate::design::uniform_points(1500, 5, &mut rng);
        let b = f.values_batch(x.view());
        for (row, v) in x.rows().into_iter().zip(b.iter()) {
            let s = f.eval_add_grad(&row.to_vec(), 0.0, None);
            assert!((s - v).abs() < 1e-12, "{s} vs {v}");
        }
    }

    #[test]
    fn grid_values_match_single_calls() {
        let mut rng = rng_from_seed(4);
        for d in [1, 2] {
            let k = Kernel::isotropic(KernelKind::Matern32, 1.0, 0.03, d).unwrap();
            let f = RffGp::sample(k, 128, &mut rng).unwrap();
            let side = 37;
            let g = crate::design::grid(side, d);
            let v = f.values_grid(side).unwrap();
            assert_eq!(v.len(), g.nrows());
            for (row, v) in g.rows().into_iter().zip(v.iter()) {
                let s = f.eval_add_grad(&row.to_vec(), 0.0, None);
                assert!((s - v).abs() < 1e-11, "d {d}: {s} vs {v}");
            }
        }
        let k = Kernel::isotropic(KernelKind::Rbf, 1.0, 0.5, 3).unwrap();
        let f = RffGp::sample(k, 8, &mut rng).unwrap();
        assert!(f.values_grid(5).is_none());
    }
}
