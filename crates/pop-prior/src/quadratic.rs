//! Random convex quadratics `q(z) = ½ (z − c)ᵀ Q Λ Qᵀ (z − c)` and their exact minimum on the box.

use ndarray::Array2;
use ndarray_linalg::QR;

use crate::PriorError;
use crate::rng::{ChaCha8Rng, log_uniform, normal, uniform, uniform_in};

/// The hyperpriors of a random quadratic (a view of [`crate::PriorConfig`]'s fields).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuadraticParams {
    /// Largest condition number (log-uniform in `[1, condition_max]`).
    pub condition_max: f64,
    /// Largest eigenvalue.
    pub max_eigenvalue: f64,
    /// Probability of a minimiser outside `[−1, 1]^d`.
    pub p_outside: f64,
    /// An outside minimiser lies in `[−m, m]^d`, `m` this.
    pub outside_max: f64,
}

/// A convex quadratic `q(z) = ½ (z − c)ᵀ A (z − c)`, `A = Q Λ Qᵀ` positive definite.
#[derive(Debug, Clone)]
pub struct Quadratic {
    center: Vec<f64>,
    eigenvalues: Vec<f64>,
    /// `Q` (orthogonal; columns are eigenvectors), row-major.
    rotation: Vec<f64>,
    /// `A`, row-major `d × d`.
    hessian: Vec<f64>,
}

impl Quadratic {
    /// A quadratic from its centre `c`, an orthogonal `Q` (`d × d`) and eigenvalues `Λ > 0`.
    pub fn new(
        center: Vec<f64>,
        rotation: Array2<f64>,
        eigenvalues: Vec<f64>,
    ) -> Result<Self, PriorError> {
        let d = center.len();
        if rotation.dim() != (d, d) {
            return Err(PriorError::DimensionMismatch {
                what: "quadratic rotation rows/columns",
                expected: d,
                got: rotation.nrows(),
            });
        }
        if eigenvalues.len() != d {
            return Err(PriorError::DimensionMismatch {
                what: "quadratic eigenvalues",
                expected: d,
                got: eigenvalues.len(),
            });
        }
        if !eigenvalues.iter().all(|l| l.is_finite() && *l > 0.0) {
            return Err(PriorError::InvalidData {
                reason: "quadratic eigenvalues must be finite and positive".into(),
            });
        }
        let mut hessian = vec![0.0; d * d];
        for i in 0..d {
            for j in 0..d {
                hessian[i * d + j] = (0..d)
                    .map(|k| rotation[[i, k]] * eigenvalues[k] * rotation[[j, k]])
                    .sum();
            }
        }
        // Exact symmetry.
        for i in 0..d {
            for j in 0..i {
                let m = 0.5 * (hessian[i * d + j] + hessian[j * d + i]);
                hessian[i * d + j] = m;
                hessian[j * d + i] = m;
            }
        }
        Ok(Self {
            center,
            eigenvalues,
            rotation: rotation.iter().copied().collect(),
            hessian,
        })
    }

    /// Draws a random quadratic in `d` dimensions: `Q` from the QR decomposition of a Gaussian
    /// matrix (signs fixed so `Q` is Haar-distributed), condition number `κ` log-uniform in
    /// `[1, condition_max]`, eigenvalues `λ_max`, `λ_max/κ` and the rest log-uniform between,
    /// the centre uniform in the box or (with probability `p_outside`) uniform in
    /// `[−m, m]^d` outside the box.
    pub fn sample(d: usize, p: &QuadraticParams, rng: &mut ChaCha8Rng) -> Result<Self, PriorError> {
        let g = Array2::from_shape_fn((d, d), |_| normal(rng));
        let (q, r) = g
            .qr()
            .map_err(|e| PriorError::linalg("QR of a Gaussian matrix", e))?;
        let mut q = q;
        for k in 0..d {
            if r[[k, k]] < 0.0 {
                q.column_mut(k).mapv_inplace(|v| -v);
            }
        }
        let kappa = log_uniform(rng, 1.0, p.condition_max);
        let lmax = p.max_eigenvalue;
        let lmin = lmax / kappa;
        let mut eig: Vec<f64> = (0..d).map(|_| log_uniform(rng, lmin, lmax)).collect();
        if let Some(e) = eig.first_mut() {
            *e = lmax;
        }
        if d > 1
            && let Some(e) = eig.last_mut()
        {
            *e = lmin;
        }
        let outside = uniform(rng) < p.p_outside;
        let mut center: Vec<f64> = (0..d).map(|_| uniform_in(rng, -1.0, 1.0)).collect();
        if outside {
            let m = p.outside_max;
            let mut found = false;
            for _ in 0..64 {
                for c in center.iter_mut() {
                    *c = uniform_in(rng, -m, m);
                }
                if center.iter().any(|c| c.abs() > 1.0) {
                    found = true;
                    break;
                }
            }
            if !found {
                // Push one coordinate out (probability (1/m)^(64 d): practically never).
                let i = ((uniform(rng) * d as f64) as usize).min(d.saturating_sub(1));
                center[i] = if center[i] >= 0.0 {
                    uniform_in(rng, 1.0, m)
                } else {
                    -uniform_in(rng, 1.0, m)
                };
            }
        }
        Self::new(center, q, eig)
    }

    /// The dimension.
    pub fn dim(&self) -> usize {
        self.center.len()
    }

    /// The unconstrained minimiser `c`.
    pub fn center(&self) -> &[f64] {
        &self.center
    }

    /// The eigenvalues `Λ` (the first is the largest, the last the smallest when `d > 1`).
    pub fn eigenvalues(&self) -> &[f64] {
        &self.eigenvalues
    }

    /// `Q`, row-major `d × d`.
    pub fn rotation(&self) -> &[f64] {
        &self.rotation
    }

    /// The Hessian `A`, row-major `d × d`.
    pub fn hessian(&self) -> &[f64] {
        &self.hessian
    }

    /// Whether the unconstrained minimiser lies in `[−1, 1]^d`.
    pub fn center_inside(&self) -> bool {
        self.center.iter().all(|c| c.abs() <= 1.0)
    }

    /// `q(x)`, adding `factor · ∇q(x) = factor · A (x − c)` to `grad` when given. Allocation-free.
    #[inline]
    pub fn eval_add_grad(&self, x: &[f64], factor: f64, grad: Option<&mut [f64]>) -> f64 {
        let d = self.center.len();
        let mut v = 0.0;
        match grad {
            None => {
                for (i, row) in self.hessian.chunks_exact(d).enumerate() {
                    let av: f64 = row
                        .iter()
                        .zip(x.iter().zip(&self.center))
                        .map(|(a, (x, c))| a * (x - c))
                        .sum();
                    v += (x[i] - self.center[i]) * av;
                }
            }
            Some(g) => {
                for (i, row) in self.hessian.chunks_exact(d).enumerate() {
                    let av: f64 = row
                        .iter()
                        .zip(x.iter().zip(&self.center))
                        .map(|(a, (x, c))| a * (x - c))
                        .sum();
                    v += (x[i] - self.center[i]) * av;
                    g[i] += factor * av;
                }
            }
        }
        0.5 * v
    }

    /// The minimiser and minimum of `q` on `[−1, 1]^d`: `c` and 0 when `c` is inside, otherwise
    /// the solution of the convex box-constrained problem by a projected Newton / active-set
    /// method (Bertsekas 1982) with exact Hessian, which terminates in finitely many steps for a
    /// strictly convex quadratic; the result satisfies the KKT conditions to rounding.
    pub fn box_minimum(&self) -> (Vec<f64>, f64) {
        if self.center_inside() {
            return (self.center.clone(), 0.0);
        }
        let d = self.dim();
        let mut x: Vec<f64> = self.center.iter().map(|c| c.clamp(-1.0, 1.0)).collect();
        let mut g = vec![0.0; d];
        let mut fx = self.grad_at(&x, &mut g);
        let scale = self.eigenvalues.iter().fold(0.0f64, |a, b| a.max(*b));
        let eps_active = 1e-12;
        for _ in 0..(50 + 10 * d) {
            // Active set: at a bound with the gradient pushing outwards.
            let free: Vec<usize> = (0..d)
                .filter(|&i| {
                    !((x[i] <= -1.0 + eps_active && g[i] > 0.0)
                        || (x[i] >= 1.0 - eps_active && g[i] < 0.0))
                })
                .collect();
            let pg = free.iter().map(|&i| g[i].abs()).fold(0.0f64, f64::max);
            if pg <= 1e-14 * scale.max(1.0) {
                break;
            }
            // Newton step on the free coordinates: A_FF p_F = −g_F.
            let nf = free.len();
            let mut a = vec![0.0; nf * nf];
            let mut b = vec![0.0; nf];
            for (r, &i) in free.iter().enumerate() {
                b[r] = -g[i];
                for (c, &j) in free.iter().enumerate() {
                    a[r * nf + c] = self.hessian[i * d + j];
                }
            }
            let Some(p) = small_spd_solve(&mut a, &mut b, nf) else {
                break;
            };
            // Projected line search along the Newton direction.
            let mut t = 1.0;
            let mut improved = false;
            let mut xn = x.clone();
            let mut gn = vec![0.0; d];
            for _ in 0..60 {
                xn.copy_from_slice(&x);
                for (r, &i) in free.iter().enumerate() {
                    xn[i] = (x[i] + t * p[r]).clamp(-1.0, 1.0);
                }
                gn.iter_mut().for_each(|v| *v = 0.0);
                let fnew = self.grad_at(&xn, &mut gn);
                let decrease: f64 = (0..d).map(|i| g[i] * (x[i] - xn[i])).sum();
                if fnew <= fx - 1e-4 * decrease.max(0.0) && fnew <= fx {
                    improved = fnew < fx || decrease <= 0.0;
                    x.copy_from_slice(&xn);
                    g.copy_from_slice(&gn);
                    fx = fnew;
                    break;
                }
                t *= 0.5;
            }
            if !improved {
                break;
            }
        }
        (x, fx)
    }

    fn grad_at(&self, x: &[f64], g: &mut [f64]) -> f64 {
        g.iter_mut().for_each(|v| *v = 0.0);
        self.eval_add_grad(x, 1.0, Some(g))
    }
}

/// Solves the symmetric positive definite system `A p = b` (`n × n`, row-major, overwritten)
/// by a Cholesky factorisation; `None` when `A` is not numerically positive definite.
pub(crate) fn small_spd_solve(a: &mut [f64], b: &mut [f64], n: usize) -> Option<Vec<f64>> {
    for j in 0..n {
        let mut s = a[j * n + j];
        for k in 0..j {
            s -= a[j * n + k] * a[j * n + k];
        }
        if !(s > 0.0 && s.is_finite()) {
            return None;
        }
        let ljj = s.sqrt();
        a[j * n + j] = ljj;
        for i in (j + 1)..n {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= a[i * n + k] * a[j * n + k];
            }
            a[i * n + j] = s / ljj;
        }
    }
    for i in 0..n {
        let mut s = b[i];
        for k in 0..i {
            s -= a[i * n + k] * b[k];
        }
        b[i] = s / a[i * n + i];
    }
    for i in (0..n).rev() {
        let mut s = b[i];
        for k in (i + 1)..n {
            s -= a[k * n + i] * b[k];
        }
        b[i] = s / a[i * n + i];
    }
    Some(b.to_vec())
}
