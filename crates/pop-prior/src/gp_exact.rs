//! Exact GP samples: the conditional mean through `N` anchors with jointly Gaussian values.
//!
//! Given anchors `Z` (`N × d`) and a kernel `k`, factor `K + jitter·I = L Lᵀ`, draw
//! `ε ~ N(0, I_N)`, set the anchor values `y = L ε` (so `y ~ N(0, K + jitter·I)`) and
//! `α = (K + jitter·I)⁻¹ y = L⁻ᵀ ε` (one triangular solve). The sample is
//! `f(z) = k(z, Z) α`: smooth, with an exact gradient `∇f(z) = Σ_j α_j ∇_z k(z, z_j)`, and
//! `f(Z) = y − jitter·α`. At the anchors `f` is (up to the jitter) a draw of the GP; between
//! them it is the GP's posterior mean given those draws, so its covariance off the anchors is
//! `k(z, Z)(K + jitter·I)⁻¹k(Z, z')`, slightly less than `k(z, z')` where anchors are sparse.

use ndarray::{Array1, Array2, ArrayView2};

use crate::PriorError;
use crate::kernel::{Kernel, KernelKind, matern32_phi_psi, matern52_phi_psi, rbf_phi_psi};
use crate::linalg::{CholeskyBackend, JitterPolicy, cholesky_with_jitter_using};
use crate::rng::{ChaCha8Rng, normal};

/// One exact GP sample `f(z) = k(z, Z) α` (see the module documentation).
#[derive(Debug, Clone)]
pub struct ExactGp {
    kernel: Kernel,
    /// Anchors, row-major `N × d`.
    anchors: Vec<f64>,
    alpha: Vec<f64>,
    /// `y = L ε`.
    anchor_draws: Vec<f64>,
    jitter: f64,
}

impl ExactGp {
    /// Draws a sample through the given anchors (`N × d`, `d` the kernel's dimension).
    ///
    /// Errors with [`PriorError::CholeskyFailed`] when `K` cannot be factored within `policy`
    /// (non-finite anchors included), and with [`PriorError::DimensionMismatch`] on shapes.
    pub fn sample(
        kernel: Kernel,
        anchors: ArrayView2<'_, f64>,
        policy: &JitterPolicy,
        backend: CholeskyBackend,
        rng: &mut ChaCha8Rng,
    ) -> Result<Self, PriorError> {
        let n = anchors.nrows();
        let eps: Array1<f64> = (0..n).map(|_| normal(rng)).collect();
        Self::from_standard_normal(kernel, anchors, policy, backend, eps.view())
    }

    /// As [`ExactGp::sample`] with the standard normal vector `ε` given (length `N`).
    pub fn from_standard_normal(
        kernel: Kernel,
        anchors: ArrayView2<'_, f64>,
        policy: &JitterPolicy,
        backend: CholeskyBackend,
        eps: ndarray::ArrayView1<'_, f64>,
    ) -> Result<Self, PriorError> {
        let n = anchors.nrows();
        if anchors.ncols() != kernel.dim() {
            return Err(PriorError::DimensionMismatch {
                what: "anchor columns",
                expected: kernel.dim(),
                got: anchors.ncols(),
            });
        }
        if eps.len() != n {
            return Err(PriorError::DimensionMismatch {
                what: "standard normal vector",
                expected: n,
                got: eps.len(),
            });
        }
        if n == 0 {
            return Err(PriorError::InvalidData {
                reason: "an exact GP sample needs at least one anchor".into(),
            });
        }
        let k = kernel.matrix(anchors);
        let chol = cholesky_with_jitter_using(k.view(), policy, backend)?;
        let y = chol.l.dot(&eps);
        let alpha = chol.solve_upper(eps)?;
        let anchors: Vec<f64> = anchors.iter().copied().collect();
        Ok(Self {
            kernel,
            anchors,
            alpha: alpha.to_vec(),
            anchor_draws: y.to_vec(),
            jitter: chol.jitter,
        })
    }

    /// The kernel.
    pub fn kernel(&self) -> &Kernel {
        &self.kernel
    }

    /// The number of anchors `N`.
    pub fn n_anchors(&self) -> usize {
        self.alpha.len()
    }

    /// The anchors, row-major (`N` rows of `d` coordinates).
    pub fn anchors(&self) -> &[f64] {
        &self.anchors
    }

    /// The anchors as an `N × d` array (a copy).
    pub fn anchors_array(&self) -> Array2<f64> {
        let d = self.kernel.dim();
        Array2::from_shape_fn((self.alpha.len(), d), |(i, j)| self.anchors[i * d + j])
    }

    /// `α = (K + jitter·I)⁻¹ y`.
    pub fn alpha(&self) -> &[f64] {
        &self.alpha
    }

    /// The Gaussian draws at the anchors, `y = L ε ~ N(0, K + jitter·I)`.
    pub fn anchor_draws(&self) -> &[f64] {
        &self.anchor_draws
    }

    /// The sample's values at the anchors, `f(Z) = y − jitter·α` (no kernel evaluation).
    pub fn anchor_values(&self) -> Array1<f64> {
        self.anchor_draws
            .iter()
            .zip(&self.alpha)
            .map(|(y, a)| y - self.jitter * a)
            .collect()
    }

    /// The absolute jitter that was added to `K`'s diagonal.
    pub fn jitter(&self) -> f64 {
        self.jitter
    }

    /// `f(x)`, adding `factor · ∇f(x)` to `grad` when given. Allocation-free.
    #[inline]
    pub fn eval_add_grad(&self, x: &[f64], factor: f64, grad: Option<&mut [f64]>) -> f64 {
        match self.kernel.kind() {
            KernelKind::Rbf => self.eval_with(rbf_phi_psi, x, factor, grad),
            KernelKind::Matern32 => self.eval_with(matern32_phi_psi, x, factor, grad),
            KernelKind::Matern52 => self.eval_with(matern52_phi_psi, x, factor, grad),
        }
    }

    #[inline(always)]
    fn eval_with<F: Fn(f64) -> (f64, f64)>(
        &self,
        phi_psi: F,
        x: &[f64],
        factor: f64,
        grad: Option<&mut [f64]>,
    ) -> f64 {
        let d = self.kernel.dim();
        let w = self.kernel.inv_length_scales_sq();
        let s2 = self.kernel.variance();
        let mut f = 0.0;
        match grad {
            None => {
                for (z, a) in self.anchors.chunks_exact(d).zip(&self.alpha) {
                    let r2: f64 = x
                        .iter()
                        .zip(z)
                        .zip(w)
                        .map(|((p, q), w)| (p - q) * (p - q) * w)
                        .sum();
                    f += a * phi_psi(r2).0;
                }
            }
            Some(g) => {
                for (z, a) in self.anchors.chunks_exact(d).zip(&self.alpha) {
                    let r2: f64 = x
                        .iter()
                        .zip(z)
                        .zip(w)
                        .map(|((p, q), w)| (p - q) * (p - q) * w)
                        .sum();
                    let (phi, psi) = phi_psi(r2);
                    f += a * phi;
                    let c = factor * s2 * a * psi;
                    for (((gi, p), q), wi) in g.iter_mut().zip(x).zip(z).zip(w) {
                        *gi += c * (p - q) * wi;
                    }
                }
            }
        }
        s2 * f
    }

    /// The kernel matrix of the anchors (recomputed; for tests and diagnostics).
    pub fn anchor_kernel_matrix(&self) -> Array2<f64> {
        self.kernel.matrix(self.anchors_array().view())
    }
}
