//! The conformance smoke test every method (baselines and the trained policy) passes:
//! `pop_optim::testing::conformance(&method)?` in one line.
//!
//! It checks that the method reduces a rotated quadratic, uses the budget exactly, stays in the
//! box, is deterministic under a seed, and survives objectives that return NaN and ±∞.

use pop_bench_fns::{Bounds, Objective};

use crate::harness::{RunOptions, run};
use crate::{Method, OptimError};

/// Why a method failed conformance.
#[derive(Debug, thiserror::Error)]
pub enum ConformanceError {
    /// A property did not hold.
    #[error("`{method}` fails conformance: {what}")]
    Failed {
        /// The method's name.
        method: String,
        /// What went wrong.
        what: String,
    },
    /// The harness or the method returned an error.
    #[error(transparent)]
    Optim(#[from] OptimError),
}

/// A rotated, shifted ellipsoid on an asymmetric box, minimum 0 inside the box.
struct Ellipsoid {
    bounds: Bounds,
    centre: Vec<f64>,
}

impl Ellipsoid {
    fn new(d: usize) -> Result<Self, OptimError> {
        // Supports d <= 16 (the conformance test uses 2 and 5).
        let d = d.min(16);
        let bounds = Bounds::cube(d, -3.0, 5.0)?;
        let centre = (0..d).map(|i| 0.5 + 0.3 * i as f64).collect();
        Ok(Self { bounds, centre })
    }
}

impl Objective for Ellipsoid {
    fn name(&self) -> &str {
        "conformance-ellipsoid"
    }
    fn bounds(&self) -> &Bounds {
        &self.bounds
    }
    fn evaluate(&self, x: &[f64], grad: Option<&mut [f64]>) -> f64 {
        // f = Σ_i w_i (y_i)², y_i = (x_i − c_i) + 0.5 (x_{i+1} − c_{i+1}) (a mild rotation).
        let d = x.len();
        let r = |i: usize| x[i] - self.centre[i];
        let mut v = 0.0;
        let mut y = [0.0f64; 16];
        for (i, yi) in y.iter_mut().enumerate().take(d) {
            *yi = r(i) + if i + 1 < d { 0.5 * r(i + 1) } else { 0.0 };
            v += (1.0 + i as f64) * *yi * *yi;
        }
        if let Some(g) = grad {
            g.fill(0.0);
            for i in 0..d.min(16) {
                let w = 2.0 * (1.0 + i as f64) * y[i];
                g[i] += w;
                if i + 1 < d {
                    g[i + 1] += 0.5 * w;
                }
            }
        }
        v
    }
    fn f_star(&self) -> Option<f64> {
        Some(0.0)
    }
}

/// The ellipsoid, but NaN in the upper half of the first coordinate and `−∞`/`+∞` in thin slabs.
struct Hostile(Ellipsoid);

impl Objective for Hostile {
    fn name(&self) -> &str {
        "conformance-hostile"
    }
    fn bounds(&self) -> &Bounds {
        &self.0.bounds
    }
    fn evaluate(&self, x: &[f64], grad: Option<&mut [f64]>) -> f64 {
        let v = self.0.evaluate(x, grad);
        if x[0] > 1.0 {
            f64::NAN
        } else if (x[0] - 0.0).abs() < 0.05 {
            f64::NEG_INFINITY
        } else if (x[0] + 1.0).abs() < 0.05 {
            f64::INFINITY
        } else {
            v
        }
    }
}

/// Always NaN.
struct AlwaysNan(Bounds);

impl Objective for AlwaysNan {
    fn name(&self) -> &str {
        "conformance-nan"
    }
    fn bounds(&self) -> &Bounds {
        &self.0
    }
    fn evaluate(&self, _x: &[f64], grad: Option<&mut [f64]>) -> f64 {
        if let Some(g) = grad {
            g.fill(f64::NAN);
        }
        f64::NAN
    }
}

/// Runs the conformance checks on `method`.
///
/// ```
/// let velo = pop_optim::learned::velo::VeloStyle::load(concat!(
///     env!("CARGO_MANIFEST_DIR"),
///     "/../../data/velo-quick"
/// ))
/// .unwrap();
/// pop_optim::testing::conformance(&velo).unwrap();
/// ```
pub fn conformance(method: &dyn Method) -> Result<(), ConformanceError> {
    let name = method.name();
    let fail = |what: String| ConformanceError::Failed {
        method: name.clone(),
        what,
    };
    for (d, budget) in [(2usize, 60usize), (5, 100)] {
        let f = Ellipsoid::new(d)?;
        let x0: Vec<f64> = (0..d).map(|i| -2.5 + 0.7 * i as f64).collect();
        let opts = RunOptions {
            record_iterates: true,
        };
        let a = run(&f, method, &x0, budget, 42, opts)?;
        let b = run(&f, method, &x0, budget, 42, opts)?;
        if a.values.len() != budget || a.best.len() != budget {
            return Err(fail(format!(
                "d={d}: made {} calls for a budget of {budget}",
                a.values.len()
            )));
        }
        if a.values != b.values || a.best_x != b.best_x {
            return Err(fail(format!("d={d}: two runs with the same seed differ")));
        }
        let iterates = a.iterates.as_deref().unwrap_or_default();
        if let Some(x) = iterates.iter().find(|x| !f.bounds().contains(x)) {
            return Err(fail(format!("d={d}: evaluated {x:?} outside the box")));
        }
        let ni = a.normalized_improvement(0.0).unwrap_or(0.0);
        if ni < 0.1 {
            return Err(fail(format!(
                "d={d}: normalised improvement {ni:.3} < 0.1 on a quadratic in {budget} calls (f0 = {:?}, best = {})",
                a.f0,
                a.final_best()
            )));
        }
    }
    // Hostile objective: must run to the end; best stays finite since the start is fine.
    let h = Hostile(Ellipsoid::new(2)?);
    let rec = run(&h, method, &[-2.5, -1.8], 60, 7, RunOptions::default())?;
    if rec.values.len() != 60 || !rec.final_best().is_finite() {
        return Err(fail(format!(
            "hostile objective: {} calls, best {}",
            rec.values.len(),
            rec.final_best()
        )));
    }
    // Always NaN, including the start point.
    let n = AlwaysNan(Bounds::cube(3, -1.0, 2.0).map_err(OptimError::from)?);
    let rec = run(&n, method, &[0.0, 0.5, 1.0], 30, 7, RunOptions::default())?;
    if rec.values.len() != 30 || rec.failed_calls != 30 || rec.final_best() != f64::INFINITY {
        return Err(fail(format!(
            "all-NaN objective: {} calls, {} failed, best {}",
            rec.values.len(),
            rec.failed_calls,
            rec.final_best()
        )));
    }
    Ok(())
}
