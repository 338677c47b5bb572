//! Stationary kernels (RBF, Matérn-3/2, Matérn-5/2), isotropic or ARD, with gradients in `x`
//! and in the log hyperparameters, and their spectral densities for random Fourier features.
//!
//! With the scaled distance `r² = Σ_i (x_i − y_i)² / ℓ_i²` (one `ℓ` for an isotropic kernel, one
//! per coordinate for ARD) the kernel is `k(x, y) = σ² φ(r)` with
//!
//! | kind | `φ(r)` | spectral density of `ω` (for RFF) |
//! |---|---|---|
//! | RBF | `exp(−r²/2)` | Gaussian, `ω_i ~ N(0, 1/ℓ_i²)` |
//! | Matérn-3/2 | `(1 + √3 r) exp(−√3 r)` | Student-t with 3 degrees of freedom, scale `1/ℓ_i` |
//! | Matérn-5/2 | `(1 + √5 r + 5r²/3) exp(−√5 r)` | Student-t with 5 degrees of freedom, scale `1/ℓ_i` |
//!
//! All three are at least once differentiable at `r = 0` and the gradients below are written
//! through `ψ(r) = φ'(r)/r`, which is finite everywhere: `∂k/∂x_i = σ² ψ(r) (x_i − y_i)/ℓ_i²`.

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::PriorError;
use crate::rng::{ChaCha8Rng, normal};

const SQRT3: f64 = 1.732_050_807_568_877_2;
const SQRT5: f64 = 2.236_067_977_499_79;

/// The kernel family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KernelKind {
    /// Squared exponential, `φ(r) = exp(−r²/2)`; samples are infinitely differentiable.
    Rbf,
    /// Matérn with `ν = 3/2`; samples are once differentiable.
    Matern32,
    /// Matérn with `ν = 5/2`; samples are twice differentiable.
    Matern52,
}

impl KernelKind {
    /// All kinds, in a fixed order.
    pub const ALL: [KernelKind; 3] = [KernelKind::Rbf, KernelKind::Matern32, KernelKind::Matern52];

    /// A short name: `"rbf"`, `"matern32"` or `"matern52"`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Rbf => "rbf",
            Self::Matern32 => "matern32",
            Self::Matern52 => "matern52",
        }
    }

    /// `(φ(r), ψ(r) = φ'(r)/r)` as functions of `r²` (unit variance).
    #[inline]
    pub fn phi_psi(self, r2: f64) -> (f64, f64) {
        match self {
            Self::Rbf => rbf_phi_psi(r2),
            Self::Matern32 => matern32_phi_psi(r2),
            Self::Matern52 => matern52_phi_psi(r2),
        }
    }

    /// The smoothness `ν` of a Matérn kernel (`None` for RBF).
    pub fn matern_nu(self) -> Option<f64> {
        match self {
            Self::Rbf => None,
            Self::Matern32 => Some(1.5),
            Self::Matern52 => Some(2.5),
        }
    }
}

#[inline(always)]
pub(crate) fn rbf_phi_psi(r2: f64) -> (f64, f64) {
    let e = (-0.5 * r2).exp();
    (e, -e)
}

#[inline(always)]
pub(crate) fn matern32_phi_psi(r2: f64) -> (f64, f64) {
    let s = SQRT3 * r2.sqrt();
    let e = (-s).exp();
    ((1.0 + s) * e, -3.0 * e)
}

#[inline(always)]
pub(crate) fn matern52_phi_psi(r2: f64) -> (f64, f64) {
    let s = SQRT5 * r2.sqrt();
    let e = (-s).exp();
    ((1.0 + s + s * s / 3.0) * e, -(5.0 / 3.0) * (1.0 + s) * e)
}

/// Length-scales: one shared by all coordinates, or one per coordinate (ARD).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LengthScales {
    /// One length-scale for every coordinate.
    Isotropic(f64),
    /// One length-scale per coordinate (automatic relevance determination).
    Ard(Vec<f64>),
}

impl LengthScales {
    /// The number of free length-scale parameters (1, or `d` for ARD).
    pub fn n_params(&self) -> usize {
        match self {
            Self::Isotropic(_) => 1,
            Self::Ard(v) => v.len(),
        }
    }

    /// The length-scale of coordinate `i`.
    pub fn get(&self, i: usize) -> f64 {
        match self {
            Self::Isotropic(l) => *l,
            Self::Ard(v) => v.get(i).copied().unwrap_or(f64::NAN),
        }
    }
}

/// A stationary kernel `k(x, y) = σ² φ(r)` on `ℝ^d` (see the module documentation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Kernel {
    kind: KernelKind,
    variance: f64,
    length_scales: LengthScales,
    /// `1/ℓ_i²` for each of the `d` coordinates.
    inv_ls2: Vec<f64>,
}

impl Kernel {
    /// A kernel on `ℝ^dim`. Errors unless the variance and every length-scale are finite and
    /// positive, `dim ≥ 1`, and an ARD vector has `dim` entries.
    pub fn new(
        kind: KernelKind,
        variance: f64,
        length_scales: LengthScales,
        dim: usize,
    ) -> Result<Self, PriorError> {
        if dim == 0 {
            return Err(PriorError::InvalidDimension {
                dim,
                requirement: "a kernel needs d ≥ 1".into(),
            });
        }
        if !(variance.is_finite() && variance > 0.0) {
            return Err(PriorError::InvalidConfig {
                field: "variance",
                value: variance.to_string(),
                valid: "finite and > 0".into(),
            });
        }
        if let LengthScales::Ard(v) = &length_scales
            && v.len() != dim
        {
            return Err(PriorError::DimensionMismatch {
                what: "ARD length-scales",
                expected: dim,
                got: v.len(),
            });
        }
        let mut inv_ls2 = Vec::with_capacity(dim);
        for i in 0..dim {
            let l = length_scales.get(i);
            if !(l.is_finite() && l > 0.0) {
                return Err(PriorError::InvalidConfig {
                    field: "length_scale",
                    value: l.to_string(),
                    valid: "finite and > 0".into(),
                });
            }
            inv_ls2.push(1.0 / (l * l));
        }
        Ok(Self {
            kind,
            variance,
            length_scales,
            inv_ls2,
        })
    }

    /// An isotropic kernel (shorthand for [`Kernel::new`]).
    pub fn isotropic(
        kind: KernelKind,
        variance: f64,
        length_scale: f64,
        dim: usize,
    ) -> Result<Self, PriorError> {
        Self::new(kind, variance, LengthScales::Isotropic(length_scale), dim)
    }

    /// The family.
    pub fn kind(&self) -> KernelKind {
        self.kind
    }

    /// The signal variance `σ² = k(x, x)`.
    pub fn variance(&self) -> f64 {
        self.variance
    }

    /// The length-scales.
    pub fn length_scales(&self) -> &LengthScales {
        &self.length_scales
    }

    /// Whether the kernel has one length-scale per coordinate.
    pub fn is_ard(&self) -> bool {
        matches!(self.length_scales, LengthScales::Ard(_))
    }

    /// The input dimension `d`.
    pub fn dim(&self) -> usize {
        self.inv_ls2.len()
    }

    /// `1/ℓ_i²` per coordinate.
    pub fn inv_length_scales_sq(&self) -> &[f64] {
        &self.inv_ls2
    }

    /// The scaled squared distance `r²` between `x` and `y` (both of length `d`).
    #[inline]
    pub fn scaled_sq_dist(&self, x: &[f64], y: &[f64]) -> f64 {
        x.iter()
            .zip(y)
            .zip(&self.inv_ls2)
            .map(|((a, b), w)| (a - b) * (a - b) * w)
            .sum()
    }

    /// `k(x, y)`.
    #[inline]
    pub fn eval(&self, x: &[f64], y: &[f64]) -> f64 {
        self.variance * self.kind.phi_psi(self.scaled_sq_dist(x, y)).0
    }

    /// `k(x, y)`, adding `factor · ∂k(x, y)/∂x` to `grad` (length `d`).
    #[inline]
    pub fn eval_add_grad(&self, x: &[f64], y: &[f64], factor: f64, grad: &mut [f64]) -> f64 {
        let (phi, psi) = self.kind.phi_psi(self.scaled_sq_dist(x, y));
        let c = factor * self.variance * psi;
        for (((g, a), b), w) in grad.iter_mut().zip(x).zip(y).zip(&self.inv_ls2) {
            *g += c * (a - b) * w;
        }
        self.variance * phi
    }

    /// The kernel matrix `K_ij = k(x_i, x_j)` of the rows of `x` (`n × d`).
    pub fn matrix(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        let n = x.nrows();
        let mut k = Array2::zeros((n, n));
        for i in 0..n {
            let xi = x.row(i);
            let xi = xi.as_slice();
            k[[i, i]] = self.variance;
            for j in 0..i {
                let v = match (xi, x.row(j).as_slice()) {
                    (Some(a), Some(b)) => self.eval(a, b),
                    _ => {
                        let r2: f64 = x
                            .row(i)
                            .iter()
                            .zip(x.row(j))
                            .zip(&self.inv_ls2)
                            .map(|((a, b), w)| (a - b) * (a - b) * w)
                            .sum();
                        self.variance * self.kind.phi_psi(r2).0
                    }
                };
                k[[i, j]] = v;
                k[[j, i]] = v;
            }
        }
        k
    }

    /// The number of log-hyperparameters: the log length-scales (1 or `d`), then `log σ²`.
    pub fn n_hyper(&self) -> usize {
        self.length_scales.n_params() + 1
    }

    /// Writes `∂k(x, y)/∂θ` into `out` (length [`Kernel::n_hyper`]) for the log
    /// hyperparameters `θ = (log ℓ_1, …, log σ²)`: `∂k/∂log ℓ_j = −σ² ψ(r) u_j²` with
    /// `u_j = (x_j − y_j)/ℓ_j` (summed over `j` for an isotropic kernel) and
    /// `∂k/∂log σ² = k`. Returns `k(x, y)`.
    pub fn hyper_grad(&self, x: &[f64], y: &[f64], out: &mut [f64]) -> f64 {
        let r2 = self.scaled_sq_dist(x, y);
        let (phi, psi) = self.kind.phi_psi(r2);
        let k = self.variance * phi;
        let c = -self.variance * psi;
        match &self.length_scales {
            LengthScales::Isotropic(_) => out[0] = c * r2,
            LengthScales::Ard(_) => {
                for (j, o) in out.iter_mut().take(self.inv_ls2.len()).enumerate() {
                    let u = x[j] - y[j];
                    *o = c * u * u * self.inv_ls2[j];
                }
            }
        }
        if let Some(last) = out.last_mut() {
            *last = k;
        }
        k
    }

    /// The log hyperparameters `(log ℓ…, log σ²)`.
    pub fn log_params(&self) -> Vec<f64> {
        let mut p = match &self.length_scales {
            LengthScales::Isotropic(l) => vec![l.ln()],
            LengthScales::Ard(v) => v.iter().map(|l| l.ln()).collect(),
        };
        p.push(self.variance.ln());
        p
    }

    /// The same kind and dimension with the log hyperparameters `(log ℓ…, log σ²)`.
    pub fn with_log_params(&self, theta: &[f64]) -> Result<Self, PriorError> {
        if theta.len() != self.n_hyper() {
            return Err(PriorError::DimensionMismatch {
                what: "kernel log-hyperparameters",
                expected: self.n_hyper(),
                got: theta.len(),
            });
        }
        let ls = match &self.length_scales {
            LengthScales::Isotropic(_) => LengthScales::Isotropic(theta[0].exp()),
            LengthScales::Ard(v) => {
                LengthScales::Ard(theta[..v.len()].iter().map(|t| t.exp()).collect())
            }
        };
        Self::new(self.kind, theta[theta.len() - 1].exp(), ls, self.dim())
    }

    /// Draws a frequency `ω` from the kernel's normalised spectral density into `omega`
    /// (length `d`): `ω_i = g_i/ℓ_i` for RBF and `ω_i = g_i/ℓ_i · √(2ν/u)` with
    /// `u ~ χ²(2ν)` for Matérn-ν (a multivariate Student-t with `2ν` degrees of freedom),
    /// `g ~ N(0, I)`. Then `E[cos(ωᵀ(x − y))] = k(x, y)/σ²`.
    pub fn sample_frequency(&self, rng: &mut ChaCha8Rng, omega: &mut [f64]) {
        for (o, w) in omega.iter_mut().zip(&self.inv_ls2) {
            *o = normal(rng) * w.sqrt();
        }
        if let Some(nu) = self.kind.matern_nu() {
            // χ²(2ν) as a sum of 2ν squared normals would need integer 2ν (3 or 5): it is.
            let dof = (2.0 * nu).round() as usize;
            let u: f64 = (0..dof).map(|_| normal(rng).powi(2)).sum();
            let s = (2.0 * nu / u.max(f64::MIN_POSITIVE)).sqrt();
            for o in omega.iter_mut() {
                *o *= s;
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn values_at_zero_and_known_points() {
        for kind in KernelKind::ALL {
            let k = Kernel::isotropic(kind, 2.0, 0.5, 2).unwrap();
            assert!((k.eval(&[0.3, 0.1], &[0.3, 0.1]) - 2.0).abs() < 1e-15);
        }
        let k = Kernel::isotropic(KernelKind::Rbf, 1.0, 1.0, 1).unwrap();
        assert!((k.eval(&[0.0], &[1.0]) - (-0.5f64).exp()).abs() < 1e-15);
        let k = Kernel::isotropic(KernelKind::Matern32, 1.0, 1.0, 1).unwrap();
        assert!((k.eval(&[0.0], &[1.0]) - (1.0 + SQRT3) * (-SQRT3).exp()).abs() < 1e-15);
    }

    #[test]
    fn gradients_match_differences() {
        for kind in KernelKind::ALL {
            let k = Kernel::new(kind, 1.3, LengthScales::Ard(vec![0.4, 0.9]), 2).unwrap();
            let x = [0.2, -0.3];
            let y = [-0.1, 0.25];
            let mut g = [0.0; 2];
            k.eval_add_grad(&x, &y, 1.0, &mut g);
            for i in 0..2 {
                let h = 1e-6;
                let mut xp = x;
                let mut xm = x;
                xp[i] += h;
                xm[i] -= h;
                let fd = (k.eval(&xp, &y) - k.eval(&xm, &y)) / (2.0 * h);
                assert!((fd - g[i]).abs() < 1e-7, "{kind:?} {i}: {fd} vs {}", g[i]);
            }
            let theta = k.log_params();
            let mut hg = vec![0.0; k.n_hyper()];
            k.hyper_grad(&x, &y, &mut hg);
            for j in 0..theta.len() {
                let h = 1e-6;
                let mut tp = theta.clone();
                let mut tm = theta.clone();
                tp[j] += h;
                tm[j] -= h;
                let fd = (k.with_log_params(&tp).unwrap().eval(&x, &y)
                    - k.with_log_params(&tm).unwrap().eval(&x, &y))
                    / (2.0 * h);
                assert!(
                    (fd - hg[j]).abs() < 1e-7,
                    "{kind:?} θ{j}: {fd} vs {}",
                    hg[j]
                );
            }
        }
    }

    #[test]
    fn rejects_bad_parameters() {
        assert!(Kernel::isotropic(KernelKind::Rbf, 0.0, 1.0, 2).is_err());
        assert!(Kernel::isotropic(KernelKind::Rbf, 1.0, f64::NAN, 2).is_err());
        assert!(Kernel::isotropic(KernelKind::Rbf, 1.0, 1.0, 0).is_err());
        assert!(Kernel::new(KernelKind::Rbf, 1.0, LengthScales::Ard(vec![1.0]), 2).is_err());
    }
}
