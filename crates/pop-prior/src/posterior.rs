//! The exact GP posterior: fit to data, predict mean and variance (with gradients), log
//! marginal likelihood, and hyperparameter fitting by maximising it.
//!
//! Targets are standardised internally: with `m` and `s` the mean and standard deviation of
//! `y` (`s = 1` when `y` is constant), the GP models `ỹ = (y − m)/s` with the given kernel and
//! observation noise variance `σ_n²` (both therefore in standardised units, where a kernel
//! variance near 1 is natural). Predictions are returned in the original units; the variance
//! is that of the latent function (add `s² σ_n²` for a noisy observation).

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};

use crate::PriorError;
use crate::fstar::spg_minimize;
use crate::kernel::{Kernel, KernelKind, LengthScales};
use crate::linalg::{CholeskyFactor, JitterPolicy, cholesky_with_jitter};
use crate::rng::{log_uniform, rng_from_seed};

/// Jitter policy of the posterior: no jitter first (the noise term usually suffices), then
/// from 1e-12 up to 1e-6 of the kernel variance.
const POSTERIOR_JITTER: JitterPolicy = JitterPolicy {
    initial: 0.0,
    max: 1e-6,
    growth: 10.0,
};

/// A GP conditioned on data `(X, y)` with Gaussian observation noise.
#[derive(Debug, Clone)]
pub struct GpPosterior {
    kernel: Kernel,
    noise: f64,
    x: Array2<f64>,
    y_std_units: Array1<f64>,
    y_mean: f64,
    y_scale: f64,
    chol: CholeskyFactor,
    alpha: Array1<f64>,
}

impl GpPosterior {
    /// Conditions the GP with `kernel` and noise variance `noise ≥ 0` (standardised units) on
    /// `x` (`n × d`, `d` the kernel's dimension, `n ≥ 1`) and `y` (length `n`), all finite.
    pub fn fit(
        kernel: Kernel,
        x: ArrayView2<'_, f64>,
        y: ArrayView1<'_, f64>,
        noise: f64,
    ) -> Result<Self, PriorError> {
        check_data(&kernel, x, y)?;
        if !(noise.is_finite() && noise >= 0.0) {
            return Err(PriorError::InvalidConfig {
                field: "noise",
                value: noise.to_string(),
                valid: "finite and ≥ 0".into(),
            });
        }
        let (y_mean, y_scale) = standardisation(y);
        let ys = y.mapv(|v| (v - y_mean) / y_scale);
        Self::fit_standardised(kernel, x.to_owned(), ys, y_mean, y_scale, noise)
    }

    fn fit_standardised(
        kernel: Kernel,
        x: Array2<f64>,
        ys: Array1<f64>,
        y_mean: f64,
        y_scale: f64,
        noise: f64,
    ) -> Result<Self, PriorError> {
        let mut k = kernel.matrix(x.view());
        for d in k.diag_mut() {
            *d += noise;
        }
        let chol = cholesky_with_jitter(k.view(), &POSTERIOR_JITTER)?;
        let alpha = chol.solve(ys.view())?;
        Ok(Self {
            kernel,
            noise,
            x,
            y_std_units: ys,
            y_mean,
            y_scale,
            chol,
            alpha,
        })
    }

    /// The kernel (standardised units).
    pub fn kernel(&self) -> &Kernel {
        &self.kernel
    }

    /// The observation noise variance (standardised units).
    pub fn noise_variance(&self) -> f64 {
        self.noise
    }

    /// The standardisation `(m, s)`: the model sees `(y − m)/s`.
    pub fn standardisation(&self) -> (f64, f64) {
        (self.y_mean, self.y_scale)
    }

    /// The number of data points.
    pub fn n_data(&self) -> usize {
        self.x.nrows()
    }

    /// The input dimension.
    pub fn dim(&self) -> usize {
        self.kernel.dim()
    }

    /// The jitter that was needed on top of the noise (usually 0).
    pub fn jitter(&self) -> f64 {
        self.chol.jitter
    }

    /// Posterior mean and latent variance at `x` (original units).
    pub fn predict(&self, x: &[f64]) -> Result<(f64, f64), PriorError> {
        self.check_point(x)?;
        let kx = self.cross(x);
        let mean = kx.dot(&self.alpha);
        let v = self.chol.solve_lower(kx.view())?;
        let var = (self.kernel.variance() - v.dot(&v)).max(0.0);
        Ok((
            self.y_mean + self.y_scale * mean,
            self.y_scale * self.y_scale * var,
        ))
    }

    /// Mean and variance at every row of `x` (`m × d`).
    pub fn predict_batch(
        &self,
        x: ArrayView2<'_, f64>,
    ) -> Result<(Array1<f64>, Array1<f64>), PriorError> {
        let mut mean = Array1::zeros(x.nrows());
        let mut var = Array1::zeros(x.nrows());
        for (i, row) in x.axis_iter(Axis(0)).enumerate() {
            let (m, v) = self.predict(&row.to_vec())?;
            mean[i] = m;
            var[i] = v;
        }
        Ok((mean, var))
    }

    /// Mean and latent variance at `x`, writing their gradients in `x` into `grad_mean` and
    /// `grad_var` (each of length `d`): `∇μ = s Σ_i α_i ∇k(x, x_i)` and
    /// `∇σ² = −2 s² Σ_i w_i ∇k(x, x_i)` with `w = (K + σ_n² I)⁻¹ k(X, x)`.
    pub fn predict_with_grad(
        &self,
        x: &[f64],
        grad_mean: &mut [f64],
        grad_var: &mut [f64],
    ) -> Result<(f64, f64), PriorError> {
        self.check_point(x)?;
        for (what, g) in [
            ("mean gradient", grad_mean.len()),
            ("variance gradient", grad_var.len()),
        ] {
            if g != self.dim() {
                return Err(PriorError::DimensionMismatch {
                    what,
                    expected: self.dim(),
                    got: g,
                });
            }
        }
        let kx = self.cross(x);
        let v = self.chol.solve_lower(kx.view())?;
        let w = self.chol.solve_upper(v.view())?;
        let mean = kx.dot(&self.alpha);
        let var_raw = self.kernel.variance() - v.dot(&v);
        grad_mean.iter_mut().for_each(|g| *g = 0.0);
        grad_var.iter_mut().for_each(|g| *g = 0.0);
        for (i, row) in self.x.axis_iter(Axis(0)).enumerate() {
            let xi = row.to_vec();
            self.kernel
                .eval_add_grad(x, &xi, self.y_scale * self.alpha[i], grad_mean);
            self.kernel
                .eval_add_grad(x, &xi, -2.0 * self.y_scale * self.y_scale * w[i], grad_var);
        }
        let s2 = self.y_scale * self.y_scale;
        if var_raw <= 0.0 {
            // Clamped at zero: the clamp is flat.
            grad_var.iter_mut().for_each(|g| *g = 0.0);
        }
        Ok((self.y_mean + self.y_scale * mean, s2 * var_raw.max(0.0)))
    }

    /// The log marginal likelihood of the standardised targets,
    /// `−½ ỹᵀ(K + σ_n² I)⁻¹ỹ − ½ log det(K + σ_n² I) − (n/2) log 2π`.
    pub fn log_marginal_likelihood(&self) -> f64 {
        let n = self.n_data() as f64;
        -0.5 * self.y_std_units.dot(&self.alpha)
            - 0.5 * self.chol.log_det()
            - 0.5 * n * (2.0 * std::f64::consts::PI).ln()
    }

    /// The log marginal likelihood and its gradient in `θ = (log ℓ…, log σ², log σ_n²)`:
    /// `∂/∂θ_k = ½ tr((α αᵀ − K⁻¹) ∂K/∂θ_k)`.
    pub fn log_marginal_likelihood_with_grad(&self) -> Result<(f64, Vec<f64>), PriorError> {
        let n = self.n_data();
        let kinv = self.chol.inverse()?;
        let nh = self.kernel.n_hyper();
        let mut grad = vec![0.0; nh + 1];
        let mut hg = vec![0.0; nh];
        for i in 0..n {
            let xi = self.x.row(i).to_vec();
            for j in 0..=i {
                let xj = self.x.row(j).to_vec();
                self.kernel.hyper_grad(&xi, &xj, &mut hg);
                let wij = self.alpha[i] * self.alpha[j] - kinv[[i, j]];
                let mult = if i == j { 0.5 } else { 1.0 };
                for (g, h) in grad.iter_mut().zip(&hg) {
                    *g += mult * wij * h;
                }
            }
        }
        let trace_w: f64 = (0..n)
            .map(|i| self.alpha[i] * self.alpha[i] - kinv[[i, i]])
            .sum();
        grad[nh] = 0.5 * trace_w * self.noise;
        Ok((self.log_marginal_likelihood(), grad))
    }

    fn check_point(&self, x: &[f64]) -> Result<(), PriorError> {
        if x.len() != self.dim() {
            return Err(PriorError::DimensionMismatch {
                what: "x",
                expected: self.dim(),
                got: x.len(),
            });
        }
        Ok(())
    }

    fn cross(&self, x: &[f64]) -> Array1<f64> {
        self.x
            .axis_iter(Axis(0))
            .map(|row| match row.as_slice() {
                Some(r) => self.kernel.eval(x, r),
                None => self.kernel.eval(x, &row.to_vec()),
            })
            .collect()
    }
}

/// Options of [`GpPosterior::fit_hyperparameters`]. Bounds are on the standardised scale (kernel variance
/// and noise) and in the units of `x` (length-scales).
#[derive(Debug, Clone, PartialEq)]
pub struct HyperFitOptions {
    /// Kernel family.
    pub kind: KernelKind,
    /// One length-scale per coordinate (ARD) or one shared.
    pub ard: bool,
    /// Length-scale range. Default `(1e-2, 1e2)`.
    pub length_scale_bounds: (f64, f64),
    /// Kernel variance range. Default `(1e-2, 1e2)`.
    pub variance_bounds: (f64, f64),
    /// Noise variance range. Default `(1e-8, 1.0)`. Equal ends fix the noise.
    pub noise_bounds: (f64, f64),
    /// Number of starts: a default start (length-scale from the data's spread, variance 1,
    /// noise 1e-4 clamped into its range) plus `restarts − 1` log-uniform random ones.
    /// Default 5.
    pub restarts: usize,
    /// Iterations per start (spectral projected gradient on the negative LML). Default 100.
    pub max_iter: usize,
    /// Seed of the random starts. Default 0.
    pub seed: u64,
}

impl Default for HyperFitOptions {
    fn default() -> Self {
        Self {
            kind: KernelKind::Matern52,
            ard: false,
            length_scale_bounds: (1e-2, 1e2),
            variance_bounds: (1e-2, 1e2),
            noise_bounds: (1e-8, 1.0),
            restarts: 5,
            max_iter: 100,
            seed: 0,
        }
    }
}

impl GpPosterior {
    /// Fits the kernel hyperparameters and the noise by maximising the log marginal
    /// likelihood (multi-start, analytic gradient, box bounds in log space), and returns the
    /// posterior at the best optimum found.
    pub fn fit_hyperparameters(
        x: ArrayView2<'_, f64>,
        y: ArrayView1<'_, f64>,
        options: &HyperFitOptions,
    ) -> Result<Self, PriorError> {
        let d = x.ncols();
        let o = options;
        for (field, (lo, hi)) in [
            ("length_scale_bounds", o.length_scale_bounds),
            ("variance_bounds", o.variance_bounds),
            ("noise_bounds", o.noise_bounds),
        ] {
            if !(lo.is_finite() && hi.is_finite() && lo > 0.0 && lo <= hi) {
                return Err(PriorError::InvalidConfig {
                    field,
                    value: format!("({lo}, {hi})"),
                    valid: "finite with 0 < lower ≤ upper".into(),
                });
            }
        }
        if o.restarts == 0 || o.max_iter == 0 {
            return Err(PriorError::InvalidConfig {
                field: "restarts/max_iter",
                value: format!("{}/{}", o.restarts, o.max_iter),
                valid: "both ≥ 1".into(),
            });
        }
        let template = Kernel::new(
            o.kind,
            1.0,
            if o.ard {
                LengthScales::Ard(vec![1.0; d.max(1)])
            } else {
                LengthScales::Isotropic(1.0)
            },
            d,
        )?;
        check_data(&template, x, y)?;
        let (y_mean, y_scale) = standardisation(y);
        let ys = y.mapv(|v| (v - y_mean) / y_scale);
        let xo = x.to_owned();
        let nl = template.length_scales().n_params();
        let mut lower = vec![o.length_scale_bounds.0.ln(); nl];
        let mut upper = vec![o.length_scale_bounds.1.ln(); nl];
        lower.push(o.variance_bounds.0.ln());
        upper.push(o.variance_bounds.1.ln());
        lower.push(o.noise_bounds.0.ln());
        upper.push(o.noise_bounds.1.ln());

        // Negative LML and its gradient; +∞ where the factorisation fails.
        let objective = |theta: &[f64], grad: &mut [f64]| -> f64 {
            let Ok(kernel) = template.with_log_params(&theta[..nl + 1]) else {
                return f64::INFINITY;
            };
            let noise = theta[nl + 1].exp();
            match Self::fit_standardised(kernel, xo.clone(), ys.clone(), y_mean, y_scale, noise)
                .and_then(|p| p.log_marginal_likelihood_with_grad())
            {
                Ok((lml, g)) => {
                    for (o, gi) in grad.iter_mut().zip(&g) {
                        *o = -gi;
                    }
                    -lml
                }
                Err(_) => f64::INFINITY,
            }
        };

        // Starts.
        let spread = {
            let mut s = 0.0;
            for col in x.axis_iter(Axis(1)) {
                let (lo, hi) = col
                    .iter()
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                        (a.min(*v), b.max(*v))
                    });
                s += (hi - lo).max(0.0);
            }
            if d > 0 && s > 0.0 {
                0.5 * s / d as f64
            } else {
                1.0
            }
        };
        let mut starts: Vec<Vec<f64>> = Vec::with_capacity(o.restarts);
        let mut first = vec![spread.ln(); nl];
        first.push(0.0);
        first.push(1e-4f64.ln());
        for (v, (l, u)) in first.iter_mut().zip(lower.iter().zip(&upper)) {
            *v = v.clamp(*l, *u);
        }
        starts.push(first);
        let mut rng = rng_from_seed(o.seed);
        while starts.len() < o.restarts {
            starts.push(
                lower
                    .iter()
                    .zip(&upper)
                    .map(|(l, u)| log_uniform(&mut rng, l.exp(), u.exp()).ln())
                    .collect(),
            );
        }
        let mut best: Option<(f64, Vec<f64>)> = None;
        for s in &starts {
            let r = spg_minimize(objective, s, &lower, &upper, o.max_iter, 1e-6);
            if r.value.is_finite() && best.as_ref().is_none_or(|(v, _)| r.value < *v) {
                best = Some((r.value, r.x));
            }
        }
        let Some((nlml, theta)) = best else {
            return Err(PriorError::CholeskyFailed {
                n: x.nrows(),
                attempts: starts.len(),
                last_jitter: f64::NAN,
                max_jitter: POSTERIOR_JITTER.max,
                reason: "no hyperparameter start gave a factorisable kernel matrix".into(),
            });
        };
        tracing::debug!(neg_lml = nlml, ?theta, "fitted GP hyperparameters");
        let kernel = template.with_log_params(&theta[..nl + 1])?;
        Self::fit_standardised(kernel, xo, ys, y_mean, y_scale, theta[nl + 1].exp())
    }
}

fn check_data(
    kernel: &Kernel,
    x: ArrayView2<'_, f64>,
    y: ArrayView1<'_, f64>,
) -> Result<(), PriorError> {
    if x.ncols() != kernel.dim() {
        return Err(PriorError::DimensionMismatch {
            what: "x columns",
            expected: kernel.dim(),
            got: x.ncols(),
        });
    }
    if y.len() != x.nrows() {
        return Err(PriorError::DimensionMismatch {
            what: "y",
            expected: x.nrows(),
            got: y.len(),
        });
    }
    if x.nrows() == 0 {
        return Err(PriorError::InvalidData {
            reason: "no data points".into(),
        });
    }
    if !x.iter().chain(y.iter()).all(|v| v.is_finite()) {
        return Err(PriorError::InvalidData {
            reason: "x and y must be finite".into(),
        });
    }
    Ok(())
}

fn standardisation(y: ArrayView1<'_, f64>) -> (f64, f64) {
    let n = y.len() as f64;
    let m = y.sum() / n;
    let var = y.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / n;
    let s = var.sqrt();
    (m, if s > 0.0 && s.is_finite() { s } else { 1.0 })
}
