//! Cholesky with a growing jitter, through `ndarray-linalg` (LAPACK `dpotrf`).

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use ndarray_linalg::{Cholesky, UPLO};
use serde::{Deserialize, Serialize};

use crate::PriorError;

/// Which library factors kernel matrices.
///
/// Both give the same factor up to rounding; `Lapack` is `ndarray-linalg` (LAPACK `dpotrf`
/// from the system OpenBLAS), `Faer` is the pure-Rust `faer` crate, measured several times
/// faster for 256×256 on the project's 2-core machines (OpenBLAS falls back to generic
/// kernels there).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CholeskyBackend {
    /// `ndarray-linalg` / LAPACK `dpotrf` (OpenBLAS).
    #[default]
    Lapack,
    /// `faer` (pure Rust, SIMD).
    Faer,
}

/// How much is added to a kernel matrix's diagonal when its Cholesky factorisation fails.
///
/// The jitters tried are `initial`, then `initial · growth`, `initial · growth²`, … (starting
/// from `1e-12` when `initial` is 0), capped at `max`; all are relative to the mean of the
/// matrix's diagonal. When `max` has been tried and failed, [`PriorError::CholeskyFailed`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct JitterPolicy {
    /// First relative jitter (≥ 0).
    pub initial: f64,
    /// Largest relative jitter (≥ `initial`).
    pub max: f64,
    /// Growth factor between attempts (> 1).
    pub growth: f64,
}

impl Default for JitterPolicy {
    /// `initial` 1e-8, `max` 1e-3, `growth` 10.
    fn default() -> Self {
        Self {
            initial: 1e-8,
            max: 1e-3,
            growth: 10.0,
        }
    }
}

/// A lower Cholesky factor `L` with `L Lᵀ = K + jitter · I`. Its solves are plain Rust, so
/// that nothing after the factorisation starts BLAS threads (OpenBLAS's threads inside rayon
/// workers oversubscribe the cores and made parallel sampling 3× slower than serial).
#[derive(Debug, Clone)]
pub struct CholeskyFactor {
    /// The lower triangular factor.
    pub l: Array2<f64>,
    /// The absolute jitter that was added to the diagonal.
    pub jitter: f64,
    /// How many factorisations were attempted.
    pub attempts: usize,
}

impl CholeskyFactor {
    fn check_rhs(&self, len: usize) -> Result<(), PriorError> {
        if len == self.l.nrows() {
            Ok(())
        } else {
            Err(PriorError::DimensionMismatch {
                what: "right-hand side",
                expected: self.l.nrows(),
                got: len,
            })
        }
    }

    /// Solves `L x = b` (forward substitution, plain Rust: no BLAS threads).
    pub fn solve_lower(&self, b: ArrayView1<'_, f64>) -> Result<Array1<f64>, PriorError> {
        self.check_rhs(b.len())?;
        let n = b.len();
        let l = self.l.as_standard_layout();
        let l = l.as_slice().unwrap_or(&[]);
        let mut x = b.to_vec();
        for i in 0..n {
            let row = &l[i * n..i * n + i];
            let s: f64 = row.iter().zip(&x[..i]).map(|(a, b)| a * b).sum();
            x[i] = (x[i] - s) / l[i * n + i];
        }
        Ok(Array1::from(x))
    }

    /// Solves `Lᵀ x = b` (backward substitution, plain Rust).
    pub fn solve_upper(&self, b: ArrayView1<'_, f64>) -> Result<Array1<f64>, PriorError> {
        self.check_rhs(b.len())?;
        let n = b.len();
        let l = self.l.as_standard_layout();
        let l = l.as_slice().unwrap_or(&[]);
        let mut x = b.to_vec();
        for i in (0..n).rev() {
            x[i] /= l[i * n + i];
            let xi = x[i];
            for (xk, lik) in x[..i].iter_mut().zip(&l[i * n..i * n + i]) {
                *xk -= lik * xi;
            }
        }
        Ok(Array1::from(x))
    }

    /// Solves `(L Lᵀ) x = b`.
    pub fn solve(&self, b: ArrayView1<'_, f64>) -> Result<Array1<f64>, PriorError> {
        let v = self.solve_lower(b)?;
        self.solve_upper(v.view())
    }

    /// `(L Lᵀ)⁻¹ = L⁻ᵀ L⁻¹` (plain Rust substitution and `ndarray`'s own matrix product).
    pub fn inverse(&self) -> Result<Array2<f64>, PriorError> {
        let n = self.l.nrows();
        let mut linv = Array2::<f64>::zeros((n, n));
        let mut e = Array1::<f64>::zeros(n);
        for j in 0..n {
            e.fill(0.0);
            e[j] = 1.0;
            let col = self.solve_lower(e.view())?;
            linv.column_mut(j).assign(&col);
        }
        Ok(linv.t().dot(&linv))
    }

    /// `log det(L Lᵀ) = 2 Σ log L_ii`.
    pub fn log_det(&self) -> f64 {
        2.0 * self.l.diag().iter().map(|v| v.ln()).sum::<f64>()
    }
}

/// Factors `k + jitter · I` (symmetric; only its lower triangle is read), raising the jitter
/// per `policy` on failure. Errors with [`PriorError::CholeskyFailed`] (never panics) when
/// the matrix has non-finite entries or every allowed jitter failed.
pub fn cholesky_with_jitter(
    k: ArrayView2<'_, f64>,
    policy: &JitterPolicy,
) -> Result<CholeskyFactor, PriorError> {
    cholesky_with_jitter_using(k, policy, CholeskyBackend::Lapack)
}

/// [`cholesky_with_jitter`] with the factorisation done by `backend`.
pub fn cholesky_with_jitter_using(
    k: ArrayView2<'_, f64>,
    policy: &JitterPolicy,
    backend: CholeskyBackend,
) -> Result<CholeskyFactor, PriorError> {
    let n = k.nrows();
    if k.ncols() != n {
        return Err(PriorError::DimensionMismatch {
            what: "kernel matrix columns",
            expected: n,
            got: k.ncols(),
        });
    }
    let scale = if n == 0 {
        1.0
    } else {
        let m = k.diag().iter().map(|v| v.abs()).sum::<f64>() / n as f64;
        if m > 0.0 { m } else { 1.0 }
    };
    let max_abs = policy.max * scale;
    if !k.iter().all(|v| v.is_finite()) {
        return Err(PriorError::CholeskyFailed {
            n,
            attempts: 0,
            last_jitter: 0.0,
            max_jitter: max_abs,
            reason: "the matrix has non-finite entries".into(),
        });
    }
    let mut rel = policy.initial.max(0.0);
    let mut attempts = 0;
    loop {
        attempts += 1;
        let jitter = rel * scale;
        match factor_once(k, jitter, backend) {
            Ok(l) if l.diag().iter().all(|v| v.is_finite() && *v > 0.0) => {
                if attempts > 1 {
                    tracing::debug!(
                        n,
                        jitter,
                        attempts,
                        "Cholesky succeeded after raising the jitter"
                    );
                }
                return Ok(CholeskyFactor {
                    l,
                    jitter,
                    attempts,
                });
            }
            other => {
                let reason = match other {
                    Ok(_) => "non-positive or non-finite pivot".to_string(),
                    Err(e) => e,
                };
                let next = if rel == 0.0 {
                    1e-12
                } else {
                    rel * policy.growth
                };
                if rel >= policy.max || policy.growth.is_nan() || policy.growth <= 1.0 {
                    tracing::warn!(n, jitter, attempts, %reason, "Cholesky failed at the largest jitter");
                    return Err(PriorError::CholeskyFailed {
                        n,
                        attempts,
                        last_jitter: jitter,
                        max_jitter: max_abs,
                        reason,
                    });
                }
                rel = next.min(policy.max);
            }
        }
    }
}

/// One factorisation of `k + jitter · I`; the error is the library's message.
fn factor_once(
    k: ArrayView2<'_, f64>,
    jitter: f64,
    backend: CholeskyBackend,
) -> Result<Array2<f64>, String> {
    let n = k.nrows();
    match backend {
        CholeskyBackend::Lapack => {
            let mut a = k.to_owned();
            for d in a.diag_mut() {
                *d += jitter;
            }
            a.cholesky(UPLO::Lower).map_err(|e| e.to_string())
        }
        CholeskyBackend::Faer => {
            let a = faer::Mat::<f64>::from_fn(n, n, |i, j| {
                if i == j {
                    k[[i, j]] + jitter
                } else {
                    k[[i, j]]
                }
            });
            let llt = a.llt(faer::Side::Lower).map_err(|e| format!("{e:?}"))?;
            let l = llt.L();
            Ok(Array2::from_shape_fn((n, n), |(i, j)| {
                if j <= i { l[(i, j)] } else { 0.0 }
            }))
        }
    }
}
