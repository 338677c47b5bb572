//! Box-constrained local minimisation (spectral projected gradient) and the global f* search.

/// The outcome of a local minimisation.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalMinimum {
    /// The best point found (inside the box).
    pub x: Vec<f64>,
    /// Its value.
    pub value: f64,
    /// Iterations used.
    pub iterations: usize,
    /// Whether the projected-gradient tolerance was reached.
    pub converged: bool,
}

/// Minimises `f` on the box `[lower, upper]` from `x0` with the spectral projected gradient
/// method (Birgin, Martínez & Raydan 2000): Barzilai–Borwein step lengths, projection onto
/// the box, and a monotone Armijo backtracking. `f(x, grad)` returns the value and writes the
/// gradient. Stops when `max_i |P(x − ∇f(x)) − x|_i ≤ tol`, after `max_iter` iterations, or
/// when the line search cannot decrease `f` any more (rounding). Non-finite values are
/// treated as failed steps. Also stops after 3 consecutive iterations that each decrease `f`
/// by less than `1e-13 · max(1, |f|)` (rounding-level progress). Never returns a point worse
/// than the (projected) start.
pub fn spg_minimize<F>(
    mut f: F,
    x0: &[f64],
    lower: &[f64],
    upper: &[f64],
    max_iter: usize,
    tol: f64,
) -> LocalMinimum
where
    F: FnMut(&[f64], &mut [f64]) -> f64,
{
    let d = x0.len();
    let project = |x: &mut [f64]| {
        for ((v, l), u) in x.iter_mut().zip(lower).zip(upper) {
            *v = if v.is_nan() {
                0.5 * (l + u)
            } else {
                v.clamp(*l, *u)
            };
        }
    };
    let mut x = x0.to_vec();
    project(&mut x);
    let mut g = vec![0.0; d];
    let mut fx = f(&x, &mut g);
    if !fx.is_finite() || !g.iter().all(|v| v.is_finite()) {
        return LocalMinimum {
            x,
            value: fx,
            iterations: 0,
            converged: false,
        };
    }
    let pg_norm = |x: &[f64], g: &[f64]| -> f64 {
        let mut m: f64 = 0.0;
        for i in 0..x.len() {
            let p = (x[i] - g[i]).clamp(lower[i], upper[i]);
            m = m.max((p - x[i]).abs());
        }
        m
    };
    let (lam_min, lam_max) = (1e-12, 1e12);
    let mut pg = pg_norm(&x, &g);
    let mut lambda = if pg > 0.0 {
        (1.0 / pg).clamp(lam_min, lam_max)
    } else {
        1.0
    };
    let mut dir = vec![0.0; d];
    let mut xn = vec![0.0; d];
    let mut gn = vec![0.0; d];
    let mut it = 0;
    let mut converged = pg <= tol;
    let mut stalled = 0;
    while !converged && it < max_iter && stalled < 3 {
        it += 1;
        for i in 0..d {
            dir[i] = (x[i] - lambda * g[i]).clamp(lower[i], upper[i]) - x[i];
        }
        let gd: f64 = g.iter().zip(&dir).map(|(a, b)| a * b).sum();
        if gd >= 0.0 {
            break;
        }
        let mut t = 1.0;
        let mut accepted = false;
        for _ in 0..40 {
            for i in 0..d {
                xn[i] = (x[i] + t * dir[i]).clamp(lower[i], upper[i]);
            }
            let fnew = f(&xn, &mut gn);
            if fnew.is_finite() && gn.iter().all(|v| v.is_finite()) && fnew <= fx + 1e-4 * t * gd {
                accepted = true;
                // BB step from s = xn − x, y = gn − g.
                let (mut ss, mut sy) = (0.0, 0.0);
                for i in 0..d {
                    let s = xn[i] - x[i];
                    ss += s * s;
                    sy += s * (gn[i] - g[i]);
                }
                lambda = if sy > 0.0 {
                    (ss / sy).clamp(lam_min, lam_max)
                } else {
                    lam_max
                };
                if fx - fnew <= 1e-13 * fx.abs().max(1.0) {
                    stalled += 1;
                } else {
                    stalled = 0;
                }
                x.copy_from_slice(&xn);
                g.copy_from_slice(&gn);
                fx = fnew;
                break;
            }
            // Safeguarded quadratic interpolation, else halve.
            let denom = 2.0 * (fnew - fx - t * gd);
            let tq = if fnew.is_finite() && denom > 0.0 {
                -gd * t * t / denom
            } else {
                0.5 * t
            };
            t = tq.clamp(0.1 * t, 0.5 * t);
        }
        if !accepted {
            break;
        }
        pg = pg_norm(&x, &g);
        converged = pg <= tol;
    }
    LocalMinimum {
        x,
        value: fx,
        iterations: it,
        converged,
    }
}

/// Picks up to `k` candidates with the smallest values, skipping any within `radius`
/// (Euclidean) of one already picked. `points` is row-major with `d` columns.
pub fn pick_diverse(points: &[f64], values: &[f64], d: usize, k: usize, radius: f64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..values.len())
        .filter(|&i| values[i].is_finite())
        .collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let r2 = radius * radius;
    let mut picked: Vec<usize> = Vec::with_capacity(k);
    for i in order {
        if picked.len() >= k {
            break;
        }
        let p = &points[i * d..(i + 1) * d];
        let far = picked.iter().all(|&j| {
            let q = &points[j * d..(j + 1) * d];
            p.iter().zip(q).map(|(a, b)| (a - b) * (a - b)).sum::<f64>() > r2
        });
        if far {
            picked.push(i);
        }
    }
    picked
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn spg_finds_box_constrained_minimum() {
        // f = (x0 − 2)² + 10 (x1 + 0.3)², box [−1, 1]²: minimum at (1, −0.3), value 1.
        let f = |x: &[f64], g: &mut [f64]| {
            g[0] = 2.0 * (x[0] - 2.0);
            g[1] = 20.0 * (x[1] + 0.3);
            (x[0] - 2.0).powi(2) + 10.0 * (x[1] + 0.3).powi(2)
        };
        let r = spg_minimize(f, &[-0.9, 0.9], &[-1.0, -1.0], &[1.0, 1.0], 200, 1e-12);
        assert!(r.converged);
        assert!(
            (r.x[0] - 1.0).abs() < 1e-12 && (r.x[1] + 0.3).abs() < 1e-10,
            "{r:?}"
        );
        assert!((r.value - 1.0).abs() < 1e-12);
    }

    #[test]
    fn diverse_pick_skips_neighbours() {
        let pts = [0.0, 0.0, 0.01, 0.0, 1.0, 1.0];
        let vals = [1.0, 0.5, 2.0];
        assert_eq!(pick_diverse(&pts, &vals, 2, 3, 0.1), vec![1, 2]);
        assert_eq!(pick_diverse(&pts, &vals, 2, 3, 0.0), vec![1, 0, 2]);
    }
}
