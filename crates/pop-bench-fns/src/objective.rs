//! The objective trait and the box it lives on.

use crate::BenchError;

/// A non-empty finite box `[lower_i, upper_i]` in `d` dimensions.
#[derive(Debug, Clone, PartialEq)]
pub struct Bounds {
    lower: Vec<f64>,
    upper: Vec<f64>,
}

impl Bounds {
    /// A box from its corners. Errors unless both have the same non-zero length, all entries are
    /// finite, `lower_i < upper_i` and the width `upper_i − lower_i` is finite for every `i` (a
    /// box such as `[−1e308, 1e308]` would overflow the canonical-box map [`to_z`](Self::to_z)).
    pub fn new(lower: Vec<f64>, upper: Vec<f64>) -> Result<Self, BenchError> {
        if lower.len() != upper.len() {
            return Err(BenchError::InvalidBounds {
                reason: format!(
                    "lower has {} entries but upper has {}",
                    lower.len(),
                    upper.len()
                ),
            });
        }
        if lower.is_empty() {
            return Err(BenchError::InvalidBounds {
                reason: "a box needs at least one dimension".into(),
            });
        }
        for (i, (&l, &u)) in lower.iter().zip(&upper).enumerate() {
            if !(l.is_finite() && u.is_finite() && l < u) {
                return Err(BenchError::InvalidBounds {
                    reason: format!("coordinate {i}: need finite lower < upper, got [{l}, {u}]"),
                });
            }
            if !(u - l).is_finite() {
                return Err(BenchError::InvalidBounds {
                    reason: format!(
                        "coordinate {i}: the width upper − lower of [{l}, {u}] overflows to {}; \
                         the width must be a finite number (at most about 1.8e308)",
                        u - l
                    ),
                });
            }
        }
        Ok(Self { lower, upper })
    }

    /// The cube `[lo, hi]^d`.
    pub fn cube(d: usize, lo: f64, hi: f64) -> Result<Self, BenchError> {
        Self::new(vec![lo; d], vec![hi; d])
    }

    /// Number of coordinates.
    pub fn dim(&self) -> usize {
        self.lower.len()
    }

    /// Lower corner.
    pub fn lower(&self) -> &[f64] {
        &self.lower
    }

    /// Upper corner.
    pub fn upper(&self) -> &[f64] {
        &self.upper
    }

    /// Whether `x` (of the right length) lies in the closed box.
    pub fn contains(&self, x: &[f64]) -> bool {
        x.len() == self.dim()
            && x.iter()
                .zip(self.lower.iter().zip(&self.upper))
                .all(|(&xi, (&l, &u))| l <= xi && xi <= u)
    }

    /// Clips `x` into the box in place (a NaN coordinate becomes the box centre).
    pub fn clip(&self, x: &mut [f64]) {
        for (xi, (&l, &u)) in x.iter_mut().zip(self.lower.iter().zip(&self.upper)) {
            *xi = if xi.is_nan() {
                0.5 * (l + u)
            } else {
                xi.clamp(l, u)
            };
        }
    }

    /// Maps `t ∈ [0, 1]^d` affinely onto the box (`l + t (u − l)`), writing into `x`.
    pub fn from_unit(&self, t: &[f64], x: &mut [f64]) {
        for (i, xi) in x.iter_mut().enumerate() {
            *xi = self.lower[i] + t[i] * (self.upper[i] - self.lower[i]);
        }
    }

    /// The canonical-box map every optimizer works in: writes `z = 2 (x − l)/(u − l) − 1`, so
    /// that the box becomes `[−1, 1]^d`. Reads `min(len(x), len(z), d)` coordinates.
    pub fn to_z(&self, x: &[f64], z: &mut [f64]) {
        for (i, (zi, xi)) in z.iter_mut().zip(x).enumerate().take(self.dim()) {
            let (l, u) = (self.lower[i], self.upper[i]);
            *zi = 2.0 * (xi - l) / (u - l) - 1.0;
        }
    }

    /// The inverse of [`to_z`](Self::to_z): writes `x = l + (z + 1)(u − l)/2`, exactly `l` for
    /// `z ≤ −1` and exactly `u` for `z ≥ 1` (so a clipped iterate never leaves the box by
    /// rounding).
    pub fn to_x(&self, z: &[f64], x: &mut [f64]) {
        for (i, (xi, &zi)) in x.iter_mut().zip(z).enumerate().take(self.dim()) {
            let (l, u) = (self.lower[i], self.upper[i]);
            *xi = if zi <= -1.0 {
                l
            } else if zi >= 1.0 {
                u
            } else {
                l + 0.5 * (zi + 1.0) * (u - l)
            };
        }
    }

    /// The chain rule of [`to_x`](Self::to_x) in place: turns `∂f/∂x` into
    /// `∂f/∂z_i = ∂f/∂x_i · (u_i − l_i)/2`.
    pub fn grad_to_z(&self, grad: &mut [f64]) {
        for (i, gi) in grad.iter_mut().enumerate().take(self.dim()) {
            *gi *= 0.5 * (self.upper[i] - self.lower[i]);
        }
    }
}

/// A box-bounded objective `f: [l, u]^d → ℝ` with an exact gradient.
///
/// Implementors write one method, [`Objective::evaluate`], that computes the value and, when asked,
/// the gradient into the caller's buffer. Callers use the checked [`Objective::value`] and
/// [`Objective::value_and_gradient`], which reject buffers of the wrong length with
/// [`BenchError::DimensionMismatch`] instead of panicking.
///
/// Values may be NaN or infinite for user objectives; the evaluation harness decides what to do
/// with them. Benchmark functions and prior samples are finite everywhere in their box.
pub trait Objective: Send + Sync {
    /// A short name (for benchmark functions, the registry name such as `"ackley"`).
    fn name(&self) -> &str;

    /// The box the objective is defined on; its dimension is the objective's.
    fn bounds(&self) -> &Bounds;

    /// Value at `x`, and the gradient written into `grad` when it is `Some`.
    ///
    /// Contract: `x.len() == self.dim()` and, when given, `grad.len() == self.dim()`; the checked
    /// wrappers guarantee it. Where the function is not differentiable a documented subgradient is
    /// written. Must not allocate.
    fn evaluate(&self, x: &[f64], grad: Option<&mut [f64]>) -> f64;

    /// The global minimum value over the box, when known.
    fn f_star(&self) -> Option<f64> {
        None
    }

    /// Known global minimisers inside the box (possibly not all of them; empty when unknown).
    fn minimizers(&self) -> &[Vec<f64>] {
        &[]
    }

    /// Number of coordinates.
    fn dim(&self) -> usize {
        self.bounds().dim()
    }

    /// The value at `x`, after checking its length.
    fn value(&self, x: &[f64]) -> Result<f64, BenchError> {
        check_len("x", self.dim(), x.len())?;
        Ok(self.evaluate(x, None))
    }

    /// The value at `x`, with the gradient written into `grad`, after checking both lengths.
    fn value_and_gradient(&self, x: &[f64], grad: &mut [f64]) -> Result<f64, BenchError> {
        check_len("x", self.dim(), x.len())?;
        check_len("gradient", self.dim(), grad.len())?;
        Ok(self.evaluate(x, Some(grad)))
    }
}

fn check_len(what: &'static str, expected: usize, got: usize) -> Result<(), BenchError> {
    if expected == got {
        Ok(())
    } else {
        Err(BenchError::DimensionMismatch {
            what,
            expected,
            got,
        })
    }
}

macro_rules! forward_objective {
    ($($ty:ty),*) => {$(
        impl<T: Objective + ?Sized> Objective for $ty {
            fn name(&self) -> &str { (**self).name() }
            fn bounds(&self) -> &Bounds { (**self).bounds() }
            fn evaluate(&self, x: &[f64], grad: Option<&mut [f64]>) -> f64 { (**self).evaluate(x, grad) }
            fn f_star(&self) -> Option<f64> { (**self).f_star() }
            fn minimizers(&self) -> &[Vec<f64>] { (**self).minimizers() }
            fn dim(&self) -> usize { (**self).dim() }
        }
    )*};
}
forward_objective!(&T, Box<T>, std::sync::Arc<T>);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_reject_bad_boxes() {
        assert!(Bounds::new(vec![0.0], vec![1.0, 2.0]).is_err());
        assert!(Bounds::new(vec![], vec![]).is_err());
        assert!(Bounds::new(vec![1.0], vec![1.0]).is_err());
        assert!(Bounds::new(vec![f64::NAN], vec![1.0]).is_err());
        assert!(Bounds::new(vec![0.0], vec![f64::INFINITY]).is_err());
        assert!(Bounds::new(vec![f64::NEG_INFINITY], vec![0.0]).is_err());
        let b = Bounds::cube(2, -1.0, 1.0).expect("valid box");
        let mut x = [2.0, f64::NAN];
        b.clip(&mut x);
        assert_eq!(x, [1.0, 0.0]);
        assert!(b.contains(&x));
    }

    #[test]
    fn bounds_reject_boxes_whose_width_overflows() {
        let e = Bounds::new(vec![-1e308], vec![1e308]).expect_err("width overflows");
        assert!(
            matches!(&e, BenchError::InvalidBounds { reason } if reason.contains("width")),
            "{e}"
        );
        let e = Bounds::cube(3, -f64::MAX, f64::MAX).expect_err("width overflows");
        assert!(e.to_string().contains("coordinate 0"), "{e}");
        // The widest boxes that stay finite are fine, and their map works.
        let b = Bounds::new(vec![-8e307], vec![8e307]).expect("finite width");
        let mut z = [0.0];
        b.to_z(&[0.0], &mut z);
        assert_eq!(z, [0.0]);
    }

    #[test]
    fn every_registry_box_is_valid() {
        // `FunctionSpec::build` goes through `Bounds::new`: every catalogue box (the 47 VLSE
        // functions and their variants) passes its checks, the scalable ones at 1024-D too.
        let mut suite = 0;
        for spec in crate::registry::catalogue() {
            let mut dims = vec![spec.dims.default_dim()];
            if spec.dims.is_scalable() && spec.dims.check(1024).is_ok() {
                dims.push(1024);
            }
            for d in dims {
                spec.build(d)
                    .unwrap_or_else(|e| panic!("{} in {d}-D: {e}", spec.name));
            }
            suite += usize::from(spec.in_suite);
        }
        assert_eq!(suite, 47);
    }
}
