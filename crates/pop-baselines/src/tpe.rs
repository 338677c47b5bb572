//! Tree-structured Parzen Estimator (TPE), faithful to Optuna's `TPESampler` defaults.
//!
//! Bergstra et al., "Algorithms for Hyper-Parameter Optimization" (NeurIPS 2011); the details
//! (bandwidths, weights, the split, the prior kernel) follow Optuna 5.0
//! (`optuna/samplers/_tpe/{sampler,parzen_estimator,probability_distributions}.py`), for one
//! continuous parameter per coordinate on `[−1, 1]`:
//!
//! 1. The first `n_startup_trials` trials (the harness's start point counts as the first) are
//!    uniform in the box.
//! 2. Afterwards, with `n` trials told, the `γ(n) = min(⌈0.1 n⌉, 25)` best form the "below" group,
//!    the others the "above" group (each kept in trial order).
//! 3. Each group becomes a Parzen estimator: one truncated Gaussian on `[−1, 1]` per trial, centred
//!    on it, with bandwidth the larger gap to its sorted neighbours (the box ends count as
//!    neighbours, except for the outermost kernels: `consider_endpoints = false`), clipped to
//!    `[2/min(100, n_group + 2), 2]` (the "magic clip"), plus a prior kernel `N(0, 2²)` of weight
//!    `prior_weight = 1`. Trial weights are Optuna's `default_weights`: 1, except for groups of
//!    `m ≥ 25` trials, whose `m − 25` oldest get a linear ramp from `1/m` to 1.
//! 4. `n_ei_candidates = 24` candidates are drawn from the below estimator `l`; the one maximising
//!    `log l(x) − log g(x)` (`g`: the above estimator) is the next point.
//!
//! With `multivariate = true` (the default, as Optuna 5.0's `TPESampler()` for a single
//! objective: its `multivariate=None` means "multivariate unless multi-objective") the kernels
//! are products over coordinates sharing one kernel index, and the candidates are points. With
//! `multivariate = false` (Optuna's default before 5.0; kind `tpe-univariate`) steps 3–4 run
//! independently per coordinate, each with its own 24 candidates. In Optuna 5.0 both modes use the
//! neighbour-gap bandwidths above (4.x gave the multivariate mode Scott-like bandwidths
//! `0.2 · n^(−1/(d+4)) · range`).
//!
//! Optuna 5.0's other `TPESampler` defaults and how they map here: `n_startup_trials = 10`,
//! `n_ei_candidates = 24`, `gamma = min(⌈0.1 n⌉, 25)`, `weights = default_weights`,
//! `prior_weight = 1`, `consider_magic_clip = true`, `consider_endpoints = false` (unchanged
//! from 4.x, all fields here); `group = false` (one search space of `d` floats: no groups to
//! decompose); `constant_liar = True` (new in 5.0): it only changes how *running* trials are
//! treated in parallel studies, and a sequential ask/tell run has none besides the trial being
//! sampled, which Optuna filters out, so it has no effect here.
//!
//! **Failed evaluations** (`+∞`) are kept as trials with value `+∞`, as Optuna keeps a trial whose
//! objective returned `inf`: they count towards `n_startup_trials` and sort last, so they land in
//! the above group and push the sampler away from where they happened. (Optuna marks a NaN trial
//! as FAILED and ignores it; ranking it last is this crate's rule for failures.)

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use pop_optim::special::normal;
use pop_optim::{Evaluation, Method, OptimError, Optimizer, RunContext};

/// The lower end of the canonical box.
const LOW: f64 = -1.0;
/// The upper end of the canonical box.
const HIGH: f64 = 1.0;

/// Hyperparameters of [`TpeConfig`]-configured TPE; the defaults are Optuna's `TPESampler()`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TpeConfig {
    /// Trials sampled uniformly before TPE starts, the harness's start point included (Optuna: 10).
    pub n_startup_trials: usize,
    /// Candidates drawn from `l(x)` per suggestion (Optuna: 24).
    pub n_ei_candidates: usize,
    /// Fraction of trials in the below group: `γ(n) = min(⌈gamma · n⌉, gamma_cap)` (Optuna: 0.1).
    pub gamma: f64,
    /// Largest below group (Optuna: 25).
    pub gamma_cap: usize,
    /// Weight of the prior kernel relative to one trial's (Optuna: 1.0).
    pub prior_weight: f64,
    /// Clip bandwidths below at `range / min(100, n_kernels + 1)` (Optuna: true).
    pub consider_magic_clip: bool,
    /// Let the outermost kernels' bandwidths see the box ends (Optuna: false).
    pub consider_endpoints: bool,
    /// Joint (product-kernel) instead of per-coordinate estimators (Optuna 5.0's
    /// single-objective default: true; Optuna < 5.0: false).
    pub multivariate: bool,
}

impl Default for TpeConfig {
    fn default() -> Self {
        Self {
            n_startup_trials: 10,
            n_ei_candidates: 24,
            gamma: 0.1,
            gamma_cap: 25,
            prior_weight: 1.0,
            consider_magic_clip: true,
            consider_endpoints: false,
            multivariate: true,
        }
    }
}

impl TpeConfig {
    /// Checks every field's range.
    pub fn validate(&self) -> Result<(), OptimError> {
        let bad = |field: &'static str, value: String, reason: &str| OptimError::InvalidConfig {
            method: self.name(),
            field,
            value,
            reason: reason.to_string(),
        };
        if self.n_startup_trials == 0 {
            return Err(bad(
                "n_startup_trials",
                "0".into(),
                "must be >= 1 (the start point is the first trial)",
            ));
        }
        if self.n_ei_candidates == 0 {
            return Err(bad("n_ei_candidates", "0".into(), "must be >= 1"));
        }
        if !(self.gamma > 0.0 && self.gamma <= 1.0) {
            return Err(bad("gamma", self.gamma.to_string(), "must be in (0, 1]"));
        }
        if self.gamma_cap == 0 {
            return Err(bad("gamma_cap", "0".into(), "must be >= 1"));
        }
        if !(self.prior_weight.is_finite() && self.prior_weight > 0.0) {
            return Err(bad(
                "prior_weight",
                self.prior_weight.to_string(),
                "must be finite and > 0",
            ));
        }
        Ok(())
    }

    /// `γ(n)`: the size of the below group among `n` trials (Optuna's `default_gamma`, with the
    /// same floating-point rounding).
    fn n_below(&self, n: usize) -> usize {
        let g = (self.gamma * n as f64).ceil();
        (g.max(0.0) as usize).min(self.gamma_cap).min(n)
    }
}

impl Method for TpeConfig {
    /// `tpe` for the defaults; non-default settings append `_univariate`, `_s{startup}`,
    /// `_c{candidates}`, `_g{gamma}`, `_cap{cap}`, `_pw{prior weight}`, `_noclip`, `_ends`.
    fn name(&self) -> String {
        let d = TpeConfig::default();
        let mut s = String::from("tpe");
        if !self.multivariate {
            s.push_str("_univariate");
        }
        if self.n_startup_trials != d.n_startup_trials {
            s.push_str(&format!("_s{}", self.n_startup_trials));
        }
        if self.n_ei_candidates != d.n_ei_candidates {
            s.push_str(&format!("_c{}", self.n_ei_candidates));
        }
        if self.gamma != d.gamma {
            s.push_str(&format!("_g{}", self.gamma));
        }
        if self.gamma_cap != d.gamma_cap {
            s.push_str(&format!("_cap{}", self.gamma_cap));
        }
        if self.prior_weight != d.prior_weight {
            s.push_str(&format!("_pw{}", self.prior_weight));
        }
        if !self.consider_magic_clip {
            s.push_str("_noclip");
        }
        if self.consider_endpoints {
            s.push_str("_ends");
        }
        s
    }

    fn uses_gradient(&self) -> bool {
        false
    }

    fn start(
        &self,
        ctx: &RunContext,
        first: &Evaluation<'_>,
    ) -> Result<Box<dyn Optimizer>, OptimError> {
        self.validate()?;
        let d = ctx.dim;
        if first.z.len() != d {
            return Err(OptimError::DimensionMismatch {
                what: "start point",
                expected: d,
                got: first.z.len(),
            });
        }
        let mut run = self.proposer(ctx)?;
        run.push(first.z, first.value);
        Ok(Box::new(run))
    }
}

impl TpeConfig {
    /// An empty TPE run (no trial yet) for [`Restarts`](crate::restarts::Restarts)'s TPE
    /// restart points: it is fed every evaluated point with [`TpeRun::observe`] and asked
    /// with [`TpeRun::propose`].
    pub(crate) fn proposer(&self, ctx: &RunContext) -> Result<TpeRun, OptimError> {
        self.validate()?;
        let d = ctx.dim;
        // Reserve for the whole run (capped, so that a huge budget does not reserve up front).
        let cap = ctx.budget.clamp(1, 1 << 16);
        let kernels = cap + 1;
        let width = if self.multivariate { d } else { 1 };
        let run = TpeRun {
            config: self.clone(),
            dim: d,
            rng: ChaCha8Rng::seed_from_u64(ctx.seed),
            zs: Vec::with_capacity(cap * d),
            ys: Vec::with_capacity(cap),
            order: Vec::with_capacity(cap),
            below: Vec::with_capacity(cap),
            above: Vec::with_capacity(cap),
            lower: Parzen::with_capacity(kernels, width),
            upper: Parzen::with_capacity(kernels, width),
            sort_buf: Vec::with_capacity(kernels),
            cand: vec![0.0; self.n_ei_candidates * width],
            log_terms: Vec::with_capacity(kernels),
            name: self.name(),
            pending: false,
        };
        Ok(run)
    }
}

/// A Parzen estimator: a mixture of products of truncated Gaussians on `[−1, 1]^width`.
#[derive(Debug, Clone)]
struct Parzen {
    /// Number of kernels (trials + the prior).
    k: usize,
    /// Kernel dimension (1 for the univariate sampler).
    width: usize,
    /// Centres, kernel-major (`k × width`).
    mu: Vec<f64>,
    /// Bandwidths, kernel-major.
    sigma: Vec<f64>,
    /// `log σ + log Z` per kernel and coordinate (`Z`: the Gaussian mass inside the box).
    log_norm: Vec<f64>,
    /// Normalised mixture weights.
    weight: Vec<f64>,
    /// Their logarithms.
    log_weight: Vec<f64>,
}

impl Parzen {
    fn with_capacity(kernels: usize, width: usize) -> Self {
        Self {
            k: 0,
            width,
            mu: Vec::with_capacity(kernels * width),
            sigma: Vec::with_capacity(kernels * width),
            log_norm: Vec::with_capacity(kernels * width),
            weight: Vec::with_capacity(kernels),
            log_weight: Vec::with_capacity(kernels),
        }
    }

    /// Builds the estimator of the trials `idx` (in trial order), coordinates `coord..coord+width`
    /// of `zs` (row length `dim`).
    #[allow(clippy::too_many_arguments)]
    fn fit(
        &mut self,
        cfg: &TpeConfig,
        zs: &[f64],
        dim: usize,
        coord: usize,
        idx: &[usize],
        sort_buf: &mut Vec<(f64, usize)>,
    ) {
        let m = idx.len();
        let w = self.width;
        self.k = m + 1;
        self.mu.clear();
        self.sigma.clear();
        self.log_norm.clear();
        self.weight.clear();
        self.log_weight.clear();
        self.mu.resize(self.k * w, 0.0);
        self.sigma.resize(self.k * w, 0.0);
        let range = HIGH - LOW;
        // Magic clip: n_kernels = m + 1 (the prior included), minsigma = range / min(100, 1 + n_kernels).
        let min_sigma = if cfg.consider_magic_clip {
            range / (100.0f64).min(1.0 + (m + 1) as f64)
        } else {
            1e-12
        };
        for j in 0..w {
            let c = coord + j;
            for (r, &t) in idx.iter().enumerate() {
                self.mu[r * w + j] = zs[t * dim + c];
            }
            // Bandwidths from the sorted centres, as Optuna's `compute_sigmas`.
            sort_buf.clear();
            sort_buf.extend((0..m).map(|r| (self.mu[r * w + j], r)));
            // Sort by value, ties in trial order (stable). numpy's argsort is not stable: of two equal centres, which one
            // gets the left gap and which the right is unspecified there (it matters only when
            // their weights differ, i.e. for exact duplicates among the oldest, ramped trials).
            sort_buf.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let at = |s: usize| -> f64 {
                // Sorted centres with the endpoints: index 0 = LOW, 1..=m = centres, m+1 = HIGH.
                if s == 0 {
                    LOW
                } else if s == m + 1 {
                    HIGH
                } else {
                    sort_buf[s - 1].0
                }
            };
            for (s, &(_, r)) in sort_buf.iter().enumerate() {
                let left = at(s + 1) - at(s);
                let right = at(s + 2) - at(s + 1);
                let mut sg = left.max(right);
                if !cfg.consider_endpoints && m + 2 >= 4 {
                    if s == 0 {
                        sg = at(2) - at(1);
                    } else if s == m - 1 {
                        sg = at(m) - at(m - 1);
                    }
                }
                self.sigma[r * w + j] = sg.clamp(min_sigma, range);
            }
            // The prior kernel.
            self.mu[m * w + j] = 0.5 * (LOW + HIGH);
            self.sigma[m * w + j] = range;
        }
        for (mu, sg) in self.mu.iter().zip(&self.sigma) {
            let a = (LOW - mu) / sg;
            let b = (HIGH - mu) / sg;
            self.log_norm
                .push(sg.ln() + normal::mass(a, b).ln() + normal::LN_SQRT_2PI);
        }
        // Weights: Optuna's default_weights(m) for the trials, then the prior.
        if m < 25 {
            self.weight.resize(m, 1.0);
        } else {
            let ramp = m - 25;
            let start = 1.0 / m as f64;
            for i in 0..ramp {
                self.weight.push(linspace(start, 1.0, ramp, i));
            }
            self.weight.resize(m, 1.0);
        }
        self.weight
            .push(if m == 0 { 1.0 } else { cfg.prior_weight });
        let total: f64 = self.weight.iter().sum();
        for wt in self.weight.iter_mut() {
            *wt /= total;
        }
        self.log_weight.extend(self.weight.iter().map(|w| w.ln()));
    }

    /// Draws one point (length `width`) from the mixture.
    fn sample(&self, rng: &mut ChaCha8Rng, out: &mut [f64]) {
        let u = rng.random::<f64>();
        let mut acc = 0.0;
        let mut pick = self.k - 1;
        for (i, w) in self.weight.iter().enumerate() {
            acc += w;
            if u < acc {
                pick = i;
                break;
            }
        }
        for (j, o) in out.iter_mut().enumerate() {
            let q = rng.random::<f64>();
            let mu = self.mu[pick * self.width + j];
            let sg = self.sigma[pick * self.width + j];
            *o = normal::truncated_ppf(q, (LOW - mu) / sg, (HIGH - mu) / sg)
                .mul_add(sg, mu)
                .clamp(LOW, HIGH);
        }
    }

    /// `log p(x)` of the mixture at `x` (length `width`); `terms` is scratch.
    fn log_pdf(&self, x: &[f64], terms: &mut Vec<f64>) -> f64 {
        terms.clear();
        let w = self.width;
        let mut max = f64::NEG_INFINITY;
        for k in 0..self.k {
            let mut t = self.log_weight[k];
            for (j, xj) in x.iter().enumerate() {
                let i = k * w + j;
                let u = (xj - self.mu[i]) / self.sigma[i];
                t += -0.5 * u * u - self.log_norm[i];
            }
            max = max.max(t);
            terms.push(t);
        }
        if max == f64::NEG_INFINITY {
            return max;
        }
        max + terms.iter().map(|t| (t - max).exp()).sum::<f64>().ln()
    }
}

/// `numpy.linspace(start, stop, num)[i]`.
fn linspace(start: f64, stop: f64, num: usize, i: usize) -> f64 {
    if num <= 1 {
        return start;
    }
    if i == num - 1 {
        return stop;
    }
    let step = (stop - start) / (num - 1) as f64;
    i as f64 * step + start
}

/// The state of one TPE run.
pub(crate) struct TpeRun {
    config: TpeConfig,
    dim: usize,
    rng: ChaCha8Rng,
    /// Told points, row-major.
    zs: Vec<f64>,
    /// Told values (`+∞` for failures).
    ys: Vec<f64>,
    order: Vec<usize>,
    below: Vec<usize>,
    above: Vec<usize>,
    lower: Parzen,
    upper: Parzen,
    sort_buf: Vec<(f64, usize)>,
    /// Candidates, row-major (`n_ei_candidates × width`).
    cand: Vec<f64>,
    log_terms: Vec<f64>,
    name: String,
    pending: bool,
}

impl TpeRun {
    fn push(&mut self, z: &[f64], value: f64) {
        self.zs.extend_from_slice(z);
        // NaN cannot arrive from the harness, but rank it as a failure all the same.
        self.ys
            .push(if value.is_nan() { f64::INFINITY } else { value });
    }

    /// Splits the trials into the below and above groups, each in trial order.
    fn split(&mut self) {
        let n = self.ys.len();
        let n_below = self.config.n_below(n);
        self.order.clear();
        self.order.extend(0..n);
        let ys = &self.ys;
        // Python's `sorted` is stable: ties keep trial order (here by the index tie-break, which
        // keeps the sort allocation-free).
        self.order
            .sort_unstable_by(|&a, &b| ys[a].total_cmp(&ys[b]).then(a.cmp(&b)));
        self.below.clear();
        self.below.extend_from_slice(&self.order[..n_below]);
        self.below.sort_unstable();
        self.above.clear();
        self.above.extend_from_slice(&self.order[n_below..]);
        self.above.sort_unstable();
    }

    /// Fills `cand` from `lower`, scores them, and returns the row of the best.
    fn best_candidate(&mut self) -> usize {
        let w = self.lower.width;
        let mut best = 0;
        let mut best_score = f64::NEG_INFINITY;
        for c in 0..self.config.n_ei_candidates {
            self.lower
                .sample(&mut self.rng, &mut self.cand[c * w..(c + 1) * w]);
        }
        for c in 0..self.config.n_ei_candidates {
            let x = &self.cand[c * w..(c + 1) * w];
            let score = self.lower.log_pdf(x, &mut self.log_terms)
                - self.upper.log_pdf(x, &mut self.log_terms);
            // np.argmax: the first maximum; NaN would win there, but none can occur here.
            if score > best_score || (c == 0 && score.is_nan()) {
                best_score = score;
                best = c;
            }
        }
        best
    }
}

impl TpeRun {
    /// Adds a trial the run did not ask for (a point some other method evaluated).
    pub(crate) fn observe(&mut self, z: &[f64], value: f64) {
        self.push(z, value);
    }

    /// TPE's next point given every trial so far (uniform during the startup trials), without
    /// waiting for its evaluation: the caller [`observe`](Self::observe)s it like any other.
    pub(crate) fn propose(&mut self, z: &mut [f64]) -> Result<(), OptimError> {
        self.ask(z)?;
        self.pending = false;
        Ok(())
    }
}

impl Optimizer for TpeRun {
    fn ask(&mut self, z: &mut [f64]) -> Result<(), OptimError> {
        if z.len() != self.dim {
            return Err(OptimError::Internal {
                method: self.name.clone(),
                reason: format!(
                    "ask with a buffer of length {} in dimension {}",
                    z.len(),
                    self.dim
                ),
            });
        }
        self.pending = true;
        if self.ys.len() < self.config.n_startup_trials {
            for zi in z.iter_mut() {
                *zi = LOW + (HIGH - LOW) * self.rng.random::<f64>();
            }
            return Ok(());
        }
        self.split();
        if self.config.multivariate {
            self.lower.fit(
                &self.config,
                &self.zs,
                self.dim,
                0,
                &self.below,
                &mut self.sort_buf,
            );
            self.upper.fit(
                &self.config,
                &self.zs,
                self.dim,
                0,
                &self.above,
                &mut self.sort_buf,
            );
            let best = self.best_candidate();
            z.copy_from_slice(&self.cand[best * self.dim..(best + 1) * self.dim]);
        } else {
            for (j, zj) in z.iter_mut().enumerate() {
                self.lower.fit(
                    &self.config,
                    &self.zs,
                    self.dim,
                    j,
                    &self.below,
                    &mut self.sort_buf,
                );
                self.upper.fit(
                    &self.config,
                    &self.zs,
                    self.dim,
                    j,
                    &self.above,
                    &mut self.sort_buf,
                );
                let best = self.best_candidate();
                *zj = self.cand[best];
            }
        }
        Ok(())
    }

    fn tell(&mut self, eval: &Evaluation<'_>) -> Result<(), OptimError> {
        crate::check_tell(&self.name, self.pending, eval.z.len(), self.dim)?;
        self.pending = false;
        self.push(eval.z, eval.value);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parzen_matches_optuna() {
        let xs = [-1.0, -0.93, -0.5, -0.11, 0.0, 0.27, 0.5, 0.81, 0.999, 1.0];
        let ys = [0.3, -0.2, 1.0, -1.0, 0.05, 0.7, -0.66, 0.2, 0.9, -0.45];
        #[rustfmt::skip]
        let reference: [(usize, [f64; 10], [f64; 10]); 4] = [
            (0,
             [-0.7771693800689957, -0.7602818800689958, -0.6834193800689957, -0.6536818800689957, -0.6521693800689957, -0.6612818800689957, -0.6834193800689957, -0.7341818800689958, -0.7769195050689958, -0.7771693800689957],
             [-1.4405887601379914, -1.4174512601379914, -1.4605887601379914, -1.4308512601379915, -1.3046512601379914, -1.3747012601379915, -1.3900387601379913, -1.3913512601379914, -1.5303388851379915, -1.4546512601379913]),
            (1,
             [-0.9154873278765773, -0.8829918846868169, -0.7218723161589659, -0.6380183306547824, -0.625786139047107, -0.6177795902530362, -0.6359905046527957, -0.6971496244701438, -0.7548773448877527, -0.7552234226489923],
             [-1.550668625683778, -1.5657509109766852, -1.3768101996151758, -1.5389831040976591, -1.276908562053885, -1.241890822021237, -1.43039623084877, -1.3333265404858785, -1.3929005219522756, -1.4933981166923127]),
            (3,
             [-1.1809479265438032, -1.126081516702853, -0.855550465988092, -0.681423062910222, -0.639120608765041, -0.5503005280691899, -0.507016720529877, -0.5385050316050793, -0.6279256669978817, -0.628558897751951],
             [-2.4513180884905723, -2.0485796874824733, -2.070413278630879, -0.7831310861539953, -1.565372064398856, -1.4576506790184642, -0.9941645636694139, -1.279936979790222, -1.4979807416120936, -1.250059047521448]),
            (30,
             [-0.7935395771111495, -0.09348922312524488, -0.6819756637894203, -1.8912864927085815, -1.7069169794227397, -1.1997617442109372, -1.0144376680567602, -0.6436054597893854, -0.7404058555268055, -0.7585898783355913],
             [-1.9405294877507036, -2.481642253942303, -0.8412672507161798, -4.110184930271107, -3.5355352011579333, -3.532225714348093, -0.9623967951090233, -2.5435014827646643, -4.602626106512945, -0.8580867071288005]),
        ];
        let cfg = TpeConfig::default();
        let mut sort_buf = Vec::new();
        let mut terms = Vec::new();
        for (m, uni, multi) in reference {
            let mut a: Vec<f64> = (0..m)
                .map(|i| (1.7 * i as f64 + 0.3).sin() * 0.95)
                .collect();
            let mut b: Vec<f64> = (0..m).map(|i| (2.3 * (i * i) as f64 + 0.1).cos()).collect();
            if m > 10 {
                a[9] = a[6];
                b[9] = b[6];
                b[8] = -1.0;
            }
            let idx: Vec<usize> = (0..m).collect();
            let zs: Vec<f64> = a.iter().zip(&b).flat_map(|(p, q)| [*p, *q]).collect();
            let mut p1 = Parzen::with_capacity(m + 1, 1);
            p1.fit(&cfg, &zs, 2, 0, &idx, &mut sort_buf);
            let mut p2 = Parzen::with_capacity(m + 1, 2);
            p2.fit(&cfg, &zs, 2, 0, &idx, &mut sort_buf);
            for i in 0..xs.len() {
                let g1 = p1.log_pdf(&[xs[i]], &mut terms);
                let g2 = p2.log_pdf(&[xs[i], ys[i]], &mut terms);
                assert!(
                    (g1 - uni[i]).abs() < 1e-10,
                    "m={m} uni {i}: {g1} vs {}",
                    uni[i]
                );
                assert!(
                    (g2 - multi[i]).abs() < 1e-10,
                    "m={m} multi {i}: {g2} vs {}",
                    multi[i]
                );
            }
        }
    }

    #[test]
    fn gamma_and_weights_follow_optuna() {
        let c = TpeConfig::default();
        // Python: [min(math.ceil(0.1 * n), 25) for n in [10, 11, 20, 29, 30, 100, 249, 250, 400]]
        let got: Vec<usize> = [10, 11, 20, 29, 30, 100, 249, 250, 400]
            .iter()
            .map(|&n| c.n_below(n))
            .collect();
        assert_eq!(got, vec![1, 2, 2, 3, 3, 10, 25, 25, 25]);
        // numpy.linspace(1/30, 1, 5)
        let lin: Vec<f64> = (0..5).map(|i| linspace(1.0 / 30.0, 1.0, 5, i)).collect();
        let want = [
            0.033_333_333_333_333_33,
            0.275,
            0.516_666_666_666_666_7,
            0.758_333_333_333_333_3,
            1.0,
        ];
        for (g, w) in lin.iter().zip(want) {
            assert!((g - w).abs() < 1e-15);
        }
    }
}
