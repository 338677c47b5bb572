//! The Moré–Thuente line search of MINPACK-2 (`dcsrch` and `dcstep`), ported from SciPy 1.17's C
//! translation in `scipy/optimize/__lbfgsb.c`, which L-BFGS-B calls with `ftol = 1e-3`,
//! `gtol = 0.9`, `xtol = 0.1`, `stpmin = 0`.
//!
//! It is a reverse-communication routine, which suits the ask/tell protocol: [`Dcsrch::start`]
//! and [`Dcsrch::next`] return [`Task::Fg`] with the step to evaluate, and the caller comes back
//! with `φ(stp)` and `φ'(stp)`, until [`Task::Converged`] (sufficient decrease and curvature
//! conditions hold) or [`Task::Warning`] (no better step can be found; `stp` is the best step).
//! The arithmetic follows the C source statement by statement, so that the same inputs give the
//! same steps.
//!
//! J. J. Moré and D. J. Thuente, "Line search algorithms with guaranteed sufficient decrease",
//! ACM TOMS 20 (1994) 286–307.

/// What the caller does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Task {
    /// Evaluate `φ` and `φ'` at the returned step and call [`Dcsrch::next`].
    Fg,
    /// The step satisfies the sufficient decrease and the curvature condition.
    Converged,
    /// No step satisfying both can be found (rounding, `xtol`, `stpmax` or `stpmin` reached);
    /// the step is the best one found, as in MINPACK-2 the caller takes it.
    Warning,
    /// Invalid input (a step outside `[stpmin, stpmax]` or `φ'(0) ≥ 0`).
    Error,
}

/// The state of one line search (MINPACK-2's `isave`/`dsave`).
#[derive(Debug, Clone, Default)]
pub(super) struct Dcsrch {
    gtol: f64,
    xtol: f64,
    stpmin: f64,
    stpmax: f64,
    brackt: bool,
    stage: u8,
    ginit: f64,
    gtest: f64,
    gx: f64,
    gy: f64,
    finit: f64,
    fx: f64,
    fy: f64,
    stx: f64,
    sty: f64,
    stmin: f64,
    stmax: f64,
    width: f64,
    width1: f64,
}

/// `dcsrch`'s extrapolation factors.
const XTRAPL: f64 = 1.1;
const XTRAPU: f64 = 4.0;

impl Dcsrch {
    /// Starts a search from `φ(0) = f`, `φ'(0) = g < 0` with the first trial step `stp`
    /// (`task = 'START'`).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn start(
        f: f64,
        g: f64,
        stp: f64,
        ftol: f64,
        gtol: f64,
        xtol: f64,
        stpmin: f64,
        stpmax: f64,
    ) -> (Self, Task) {
        let mut s = Dcsrch {
            gtol,
            xtol,
            stpmin,
            stpmax,
            ..Dcsrch::default()
        };
        let bad = stp < stpmin
            || stp > stpmax
            || g >= 0.0
            || ftol < 0.0
            || gtol < 0.0
            || xtol < 0.0
            || stpmin < 0.0
            || stpmax < stpmin;
        if bad || !(f.is_finite() && g.is_finite() && stp.is_finite()) {
            return (s, Task::Error);
        }
        s.brackt = false;
        s.stage = 1;
        s.finit = f;
        s.ginit = g;
        s.gtest = ftol * g;
        s.width = stpmax - stpmin;
        s.width1 = s.width / 0.5;
        s.stx = 0.0;
        s.fx = f;
        s.gx = g;
        s.sty = 0.0;
        s.fy = f;
        s.gy = g;
        s.stmin = 0.0;
        s.stmax = stp + XTRAPU * stp;
        (s, Task::Fg)
    }

    /// Takes `φ(stp) = f`, `φ'(stp) = g` and updates `stp`: the next trial for [`Task::Fg`], the
    /// accepted step otherwise.
    pub(super) fn next(&mut self, f: f64, g: f64, stp: &mut f64) -> Task {
        let ftest = self.finit + *stp * self.gtest;
        if self.stage == 1 && f <= ftest && g >= 0.0 {
            self.stage = 2;
        }
        let mut task = None;
        // Tests for warnings (later ones override earlier ones, as in the source).
        if self.brackt && (*stp <= self.stmin || *stp >= self.stmax) {
            task = Some(Task::Warning);
        }
        if self.brackt && self.stmax - self.stmin <= self.xtol * self.stmax {
            task = Some(Task::Warning);
        }
        if *stp == self.stpmax && f <= ftest && g <= self.gtest {
            task = Some(Task::Warning);
        }
        if *stp == self.stpmin && (f > ftest || g >= self.gtest) {
            task = Some(Task::Warning);
        }
        if f <= ftest && g.abs() <= self.gtol * (-self.ginit) {
            task = Some(Task::Converged);
        }
        if let Some(t) = task {
            return t;
        }

        if self.stage == 1 && f <= self.fx && f > ftest {
            // The modified function ψ(stp) = φ(stp) − φ(0) − ftol·stp·φ'(0).
            let fm = f - *stp * self.gtest;
            let mut fxm = self.fx - self.stx * self.gtest;
            let mut fym = self.fy - self.sty * self.gtest;
            let gm = g - self.gtest;
            let mut gxm = self.gx - self.gtest;
            let mut gym = self.gy - self.gtest;
            dcstep(
                &mut self.stx,
                &mut fxm,
                &mut gxm,
                &mut self.sty,
                &mut fym,
                &mut gym,
                stp,
                fm,
                gm,
                &mut self.brackt,
                self.stmin,
                self.stmax,
            );
            self.fx = fxm + self.stx * self.gtest;
            self.fy = fym + self.sty * self.gtest;
            self.gx = gxm + self.gtest;
            self.gy = gym + self.gtest;
        } else {
            dcstep(
                &mut self.stx,
                &mut self.fx,
                &mut self.gx,
                &mut self.sty,
                &mut self.fy,
                &mut self.gy,
                stp,
                f,
                g,
                &mut self.brackt,
                self.stmin,
                self.stmax,
            );
        }

        // Bisection when the interval does not shrink fast enough.
        if self.brackt {
            if (self.sty - self.stx).abs() >= 0.66 * self.width1 {
                *stp = self.stx + 0.5 * (self.sty - self.stx);
            }
            self.width1 = self.width;
            self.width = (self.sty - self.stx).abs();
        }
        if self.brackt {
            self.stmin = self.stx.min(self.sty);
            self.stmax = self.stx.max(self.sty);
        } else {
            self.stmin = *stp + XTRAPL * (*stp - self.stx);
            self.stmax = *stp + XTRAPU * (*stp - self.stx);
        }
        *stp = stp.max(self.stpmin);
        *stp = stp.min(self.stpmax);
        // No further progress possible: the best step so far is the last trial.
        if self.brackt
            && (*stp <= self.stmin
                || *stp >= self.stmax
                || self.stmax - self.stmin <= self.xtol * self.stmax)
        {
            *stp = self.stx;
        }
        Task::Fg
    }
}

/// MINPACK-2's `dcstep`: a safeguarded cubic/quadratic step that keeps an interval containing a
/// step satisfying both conditions (Moré & Thuente, section 4).
#[allow(clippy::too_many_arguments)]
fn dcstep(
    stx: &mut f64,
    fx: &mut f64,
    dx: &mut f64,
    sty: &mut f64,
    fy: &mut f64,
    dy: &mut f64,
    stp: &mut f64,
    fp: f64,
    dp: f64,
    brackt: &mut bool,
    stpmin: f64,
    stpmax: f64,
) {
    let sgnd = dp * (*dx / dx.abs());
    let stpf;
    if fp > *fx {
        // Case 1: a higher function value; the minimum is bracketed.
        let theta = 3.0 * (*fx - fp) / (*stp - *stx) + *dx + dp;
        let s = theta.abs().max(dx.abs().max(dp.abs()));
        let mut gamma = s * ((theta / s).powi(2) - (*dx / s) * (dp / s)).sqrt();
        if *stp < *stx {
            gamma = -gamma;
        }
        let p = (gamma - *dx) + theta;
        let q = ((gamma - *dx) + gamma) + dp;
        let r = p / q;
        let stpc = *stx + r * (*stp - *stx);
        let stpq = *stx + ((*dx / ((*fx - fp) / (*stp - *stx) + *dx)) / 2.0) * (*stp - *stx);
        stpf = if (stpc - *stx).abs() < (stpq - *stx).abs() {
            stpc
        } else {
            stpc + (stpq - stpc) / 2.0
        };
        *brackt = true;
    } else if sgnd < 0.0 {
        // Case 2: lower value, derivatives of opposite sign; bracketed.
        let theta = 3.0 * (*fx - fp) / (*stp - *stx) + *dx + dp;
        let s = theta.abs().max(dx.abs().max(dp.abs()));
        let mut gamma = s * ((theta / s).powi(2) - (*dx / s) * (dp / s)).sqrt();
        if *stp > *stx {
            gamma = -gamma;
        }
        let p = (gamma - dp) + theta;
        let q = ((gamma - dp) + gamma) + *dx;
        let r = p / q;
        let stpc = *stp + r * (*stx - *stp);
        let stpq = *stp + (dp / (dp - *dx)) * (*stx - *stp);
        stpf = if (stpc - *stp).abs() > (stpq - *stp).abs() {
            stpc
        } else {
            stpq
        };
        *brackt = true;
    } else if dp.abs() < dx.abs() {
        // Case 3: lower value, same sign, the derivative's magnitude decreases.
        let theta = 3.0 * (*fx - fp) / (*stp - *stx) + *dx + dp;
        let s = theta.abs().max(dx.abs().max(dp.abs()));
        let mut gamma = s * (0.0f64.max((theta / s).powi(2) - (*dx / s) * (dp / s))).sqrt();
        if *stp > *stx {
            gamma = -gamma;
        }
        let p = (gamma - dp) + theta;
        let q = (gamma + (*dx - dp)) + gamma;
        let r = p / q;
        let stpc = if r < 0.0 && gamma != 0.0 {
            *stp + r * (*stx - *stp)
        } else if *stp > *stx {
            stpmax
        } else {
            stpmin
        };
        let stpq = *stp + (dp / (dp - *dx)) * (*stx - *stp);
        if *brackt {
            let mut f = if (stpc - *stp).abs() < (stpq - *stp).abs() {
                stpc
            } else {
                stpq
            };
            if *stp > *stx {
                f = (*stp + 0.66 * (*sty - *stp)).min(f);
            } else {
                f = (*stp + 0.66 * (*sty - *stp)).max(f);
            }
            stpf = f;
        } else {
            let f = if (stpc - *stp).abs() > (stpq - *stp).abs() {
                stpc
            } else {
                stpq
            };
            stpf = stpmax.min(f).max(stpmin);
        }
    } else {
        // Case 4: lower value, same sign, the derivative's magnitude does not decrease.
        stpf = if *brackt {
            let theta = 3.0 * (fp - *fy) / (*sty - *stp) + *dy + dp;
            let s = theta.abs().max(dy.abs().max(dp.abs()));
            let mut gamma = s * ((theta / s).powi(2) - (*dy / s) * (dp / s)).sqrt();
            if *stp > *sty {
                gamma = -gamma;
            }
            let p = (gamma - dp) + theta;
            let q = ((gamma - dp) + gamma) + *dy;
            let r = p / q;
            *stp + r * (*sty - *stp)
        } else if *stp > *stx {
            stpmax
        } else {
            stpmin
        };
    }

    // Update the interval that contains a minimiser.
    if fp > *fx {
        *sty = *stp;
        *fy = fp;
        *dy = dp;
    } else {
        if sgnd < 0.0 {
            *sty = *stx;
            *fy = *fx;
            *dy = *dx;
        }
        *stx = *stp;
        *fx = fp;
        *dx = dp;
    }
    *stp = stpf;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Drives a search on `φ` and returns the accepted step, the task and the evaluations used.
    fn search(phi: impl Fn(f64) -> (f64, f64), stp0: f64, stpmax: f64) -> (f64, Task, usize) {
        let (f0, g0) = phi(0.0);
        let (mut ls, mut task) = Dcsrch::start(f0, g0, stp0, 1e-3, 0.9, 0.1, 0.0, stpmax);
        let mut stp = stp0;
        let mut evals = 0;
        while task == Task::Fg && evals < 50 {
            let (f, g) = phi(stp);
            evals += 1;
            task = ls.next(f, g, &mut stp);
        }
        (stp, task, evals)
    }

    #[test]
    fn quadratic_is_solved_in_one_or_two_steps() {
        // φ(a) = (a − 3)²: at a = 1, φ = 4 ≤ 9 − 0.006 and |φ'| = 4 ≤ 0.9 · 6, accepted at once.
        let (stp, task, evals) = search(|a| ((a - 3.0).powi(2), 2.0 * (a - 3.0)), 1.0, 1e10);
        assert_eq!((stp, task, evals), (1.0, Task::Converged, 1));
        // Too long a first step: interpolation brings it back into the Wolfe region.
        let (stp, task, _) = search(|a| ((a - 0.01).powi(2), 2.0 * (a - 0.01)), 1.0, 1e10);
        assert_eq!(task, Task::Converged);
        assert!((stp - 0.01).abs() < 0.009, "{stp}");
    }

    #[test]
    fn stpmax_reached_is_a_warning_with_the_bound() {
        let (stp, task, evals) = search(|a| (-a, -1.0), 1.0, 1.0);
        assert_eq!((stp, task, evals), (1.0, Task::Warning, 1));
    }

    #[test]
    fn bad_input_is_an_error() {
        assert_eq!(
            Dcsrch::start(0.0, 1.0, 1.0, 1e-3, 0.9, 0.1, 0.0, 10.0).1,
            Task::Error
        );
        assert_eq!(
            Dcsrch::start(0.0, -1.0, 2.0, 1e-3, 0.9, 0.1, 0.0, 1.0).1,
            Task::Error
        );
    }
}
