//! The two scores of the project, defined once.
//!
//! For a run with start value `f(x₀)`, best value `b_T` after `T` oracle calls and known minimum
//! `f*` (or its estimate):
//!
//! * **normalised improvement** `NI = (f(x₀) − b_T)/(f(x₀) − f*)`: 0 means no progress, 1 the
//!   minimum. The training reward sums to it (pop-method §5).
//! * **normalised regret** `NR = (b_T − f*)/(f(x₀) − f*) = 1 − NI`: the evaluation's score
//!   (pop-method §6), lower is better.
//!
//! Both are `None` when `f(x₀)` is not finite or `f(x₀) ≤ f*` (no gap to normalise by).

/// `(f0 − best)/(f0 − f_star)`, or `None` without a positive finite gap.
pub fn normalized_improvement(f0: f64, best: f64, f_star: f64) -> Option<f64> {
    let gap = f0 - f_star;
    (f0.is_finite() && gap > 0.0).then(|| (f0 - best) / gap)
}

/// `(best − f_star)/(f0 − f_star)`, or `None` without a positive finite gap.
pub fn normalized_regret(f0: f64, best: f64, f_star: f64) -> Option<f64> {
    let gap = f0 - f_star;
    (f0.is_finite() && gap > 0.0).then(|| (best - f_star) / gap)
}

/// The anytime regret of a run: the normalised regret `(b_t − f*)/(f(x₀) − f*)` of the best
/// value after each call, clamped to `[0, 1]` and averaged over the calls (lower is better; the
/// meta-loss of `velo-style-es`). 1 without a finite `f(x₀)`, a positive gap, or any call.
pub fn anytime_regret(f0: Option<f64>, best: &[f64], f_star: f64) -> f64 {
    let Some(f0) = f0 else { return 1.0 };
    let gap = f0 - f_star;
    if !(gap > 0.0 && gap.is_finite()) || best.is_empty() {
        return 1.0;
    }
    let s: f64 = best
        .iter()
        .map(|b| ((b - f_star) / gap).clamp(0.0, 1.0))
        .sum();
    s / best.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ni_and_nr() {
        assert_eq!(normalized_improvement(10.0, 4.0, 0.0), Some(0.6));
        assert_eq!(normalized_regret(10.0, 4.0, 0.0), Some(0.4));
        assert_eq!(normalized_regret(1.0, 1.0, 1.0), None);
        assert_eq!(normalized_improvement(f64::INFINITY, 1.0, 0.0), None);
        assert_eq!(
            anytime_regret(Some(10.0), &[10.0, 5.0, 0.0, -1.0], 0.0),
            0.375
        );
        assert_eq!(anytime_regret(None, &[1.0], 0.0), 1.0);
    }
}
