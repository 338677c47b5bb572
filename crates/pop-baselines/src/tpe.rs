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
//! With `multivariate = false` (this crate's default, and Optuna's before 5.0) step 3–4 run
//! independently per coordinate, each with its own 24 candidates. With `multivariate = true`
//! (Optuna 5.0's single-objective default) the kernels are products over coordinates sharing one
//! kernel index, and the candidates are points.
//!
//! **Failed evaluations** (`+∞`) are kept as trials with value `+∞`, as Optuna keeps a trial whose
//! objective returned `inf`: they count towards `n_startup_trials` and sort last, so they land in
//! the above group and push the sampler away from where they happened. (Optuna marks a NaN trial
//! as FAILED and ignores it; ranking it last is this crate's rule for failures.)

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::{Evaluation, Method, OptimError, Optimizer, RunContext};

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
    /// Joint (product-kernel) instead of per-coordinate estimators (Optuna < 5.0: false;
    /// Optuna 5.0 single-objective default: true).
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
            multivariate: false,
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
    /// `tpe` for the defaults; non-default settings append `_mv` (multivariate), `_s{startup}`,
    /// `_c{candidates}`, `_g{gamma}`, `_cap{cap}`, `_pw{prior weight}`, `_noclip`, `_ends`.
    fn name(&self) -> String {
        let d = TpeConfig::default();
        let mut s = String::from("tpe");
        if self.multivariate {
            s.push_str("_mv");
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
        // Reserve for the whole run (capped, so that a huge budget does not reserve up front).
        let cap = ctx.budget.clamp(1, 1 << 16);
        let kernels = cap + 1;
        let width = if self.multivariate { d } else { 1 };
        let mut run = TpeRun {
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
        run.push(first.z, first.value);
        Ok(Box::new(run))
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
struct TpeRun {
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
        crate::method::check_tell(&self.name, self.pending, eval.z.len(), self.dim)?;
        self.pending = false;
        self.push(eval.z, eval.value);
        Ok(())
    }
}

/// The standard normal distribution: `erfc` (FreeBSD `s_erf.c`), its CDF, quantile and the
/// truncated quantile, accurate to a few ulps in double precision. Shared with [`crate::bo`].
// The coefficients are copied digit for digit from `s_erf.c` (and Acklam's paper).
#[allow(clippy::excessive_precision)]
pub(crate) mod normal {
    /// `ln √(2π)`.
    pub(crate) const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;
    /// `1/√(2π)`.
    pub(crate) const INV_SQRT_2PI: f64 = 0.398_942_280_401_432_7;

    const ERX: f64 = 8.450_629_115_104_675e-1;
    const PP: [f64; 5] = [
        1.283_791_670_955_125_6e-1,
        -3.250_421_072_470_015e-1,
        -2.848_174_957_559_851e-2,
        -5.770_270_296_489_442e-3,
        -2.376_301_665_665_016_3e-5,
    ];
    const QQ: [f64; 5] = [
        3.979_172_239_591_553_5e-1,
        6.502_224_998_876_73e-2,
        5.081_306_281_875_766e-3,
        1.324_947_380_043_216_4e-4,
        -3.960_228_278_775_368e-6,
    ];
    const PA: [f64; 7] = [
        -2.362_118_560_752_659_4e-3,
        4.148_561_186_837_483e-1,
        -3.722_078_760_357_013e-1,
        3.183_466_199_011_617_5e-1,
        -1.108_946_942_823_966_8e-1,
        3.547_830_432_561_823_6e-2,
        -2.166_375_594_868_790_8e-3,
    ];
    const QA: [f64; 6] = [
        1.064_208_804_008_442_3e-1,
        5.403_979_177_021_710_5e-1,
        7.182_865_441_419_627e-2,
        1.261_712_198_087_616_4e-1,
        1.363_708_391_202_905e-2,
        1.198_449_984_679_910_8e-2,
    ];
    const RA: [f64; 8] = [
        -9.864_944_034_847_148e-3,
        -6.938_585_727_071_818e-1,
        -1.055_862_622_532_329_1e1,
        -6.237_533_245_032_601e1,
        -1.623_966_694_625_734_6e2,
        -1.846_050_929_067_110_4e2,
        -8.128_743_550_630_659e1,
        -9.814_329_344_169_145,
    ];
    const SA: [f64; 8] = [
        1.965_127_166_743_925_7e1,
        1.376_577_541_435_190_4e2,
        4.345_658_774_752_292_3e2,
        6.453_872_717_332_679e2,
        4.290_081_400_275_678_3e2,
        1.086_350_055_417_794_3e2,
        6.570_249_770_319_282,
        -6.042_441_521_485_81e-2,
    ];
    const RB: [f64; 7] = [
        -9.864_942_924_700_099e-3,
        -7.992_832_376_805_23e-1,
        -1.775_795_491_775_475_2e1,
        -1.606_363_848_558_219_2e2,
        -6.375_664_433_683_896e2,
        -1.025_095_131_611_077_2e3,
        -4.835_191_916_086_514e2,
    ];
    const SB: [f64; 7] = [
        3.033_806_074_348_246e1,
        3.257_925_129_965_739e2,
        1.536_729_586_084_437e3,
        3.199_858_219_508_595_5e3,
        2.553_050_406_433_164_4e3,
        4.745_285_412_069_554e2,
        -2.244_095_244_658_581_8e1,
    ];

    /// `c[0] + c[1] s + … ` (Horner).
    fn poly(c: &[f64], s: f64) -> f64 {
        c.iter().rev().fold(0.0, |acc, &ci| acc.mul_add(s, ci))
    }

    /// `1 + c[0] s + c[1] s² + …`.
    fn poly1(c: &[f64], s: f64) -> f64 {
        1.0 + s * poly(c, s)
    }

    /// The complementary error function `erfc(x) = 1 − erf(x)` (FreeBSD `s_erf.c`).
    pub(crate) fn erfc(x: f64) -> f64 {
        if x.is_nan() {
            return x;
        }
        let ax = x.abs();
        if ax < 0.843_75 {
            if ax < 2f64.powi(-56) {
                return 1.0 - x;
            }
            let z = x * x;
            let y = poly(&PP, z) / poly1(&QQ, z);
            if x < 0.25 {
                return 1.0 - (x + x * y);
            }
            let r = x * y + (x - 0.5);
            return 0.5 - r;
        }
        if ax < 1.25 {
            let s = ax - 1.0;
            let p = poly(&PA, s) / poly1(&QA, s);
            return if x >= 0.0 {
                (1.0 - ERX) - p
            } else {
                1.0 + (ERX + p)
            };
        }
        if ax < 28.0 {
            let s = 1.0 / (ax * ax);
            let rs = if ax < 1.0 / 0.35 {
                poly(&RA, s) / poly1(&SA, s)
            } else {
                if x < -6.0 {
                    return 2.0;
                }
                poly(&RB, s) / poly1(&SB, s)
            };
            // z: ax with the low 32 bits cleared, so that z² is exact.
            let z = f64::from_bits(ax.to_bits() & 0xffff_ffff_0000_0000);
            let r = (-z * z - 0.5625).exp() * ((z - ax) * (z + ax) + rs).exp();
            return if x > 0.0 { r / ax } else { 2.0 - r / ax };
        }
        if x > 0.0 { 0.0 } else { 2.0 }
    }

    /// `Φ(x)`, the standard normal CDF.
    pub(crate) fn cdf(x: f64) -> f64 {
        0.5 * erfc(-x * std::f64::consts::FRAC_1_SQRT_2)
    }

    /// `φ(x)`, the standard normal density.
    pub(crate) fn pdf(x: f64) -> f64 {
        INV_SQRT_2PI * (-0.5 * x * x).exp()
    }

    /// `Φ⁻¹(p)` for `p ∈ (0, 1)`: Acklam's rational approximation refined by two Halley steps on
    /// `erfc` (relative error near machine precision). `p ≤ 0` gives `−∞`, `p ≥ 1` gives `+∞`.
    pub(crate) fn ppf(p: f64) -> f64 {
        if p.is_nan() {
            return p;
        }
        if p <= 0.0 {
            return f64::NEG_INFINITY;
        }
        if p >= 1.0 {
            return f64::INFINITY;
        }
        // Work in the lower half and flip, so the tail is computed from a small probability.
        if p > 0.5 {
            return -ppf_lower(1.0 - p, p);
        }
        ppf_lower(p, 1.0 - p)
    }

    /// `Φ⁻¹(p)` for `p ≤ 0.5`; `q = 1 − p` is passed for the central region.
    fn ppf_lower(p: f64, _q: f64) -> f64 {
        const A: [f64; 6] = [
            -3.969_683_028_665_376e1,
            2.209_460_984_245_205e2,
            -2.759_285_104_469_687e2,
            1.383_577_518_672_69e2,
            -3.066_479_806_614_716e1,
            2.506_628_277_459_239,
        ];
        const B: [f64; 5] = [
            -5.447_609_879_822_406e1,
            1.615_858_368_580_409e2,
            -1.556_989_798_598_866e2,
            6.680_131_188_771_972e1,
            -1.328_068_155_288_572e1,
        ];
        const C: [f64; 6] = [
            -7.784_894_002_430_293e-3,
            -3.223_964_580_411_365e-1,
            -2.400_758_277_161_838,
            -2.549_732_539_343_734,
            4.374_664_141_464_968,
            2.938_163_982_698_783,
        ];
        const D: [f64; 4] = [
            7.784_695_709_041_462e-3,
            3.224_671_290_700_398e-1,
            2.445_134_137_142_996,
            3.754_408_661_907_416,
        ];
        let mut x = if p < 0.024_25 {
            let q = (-2.0 * p.ln()).sqrt();
            (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
                / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
        } else {
            let q = p - 0.5;
            let r = q * q;
            (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
                / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
        };
        // Halley refinement of Φ(x) = p (x ≤ 0 here, where Φ is computed without cancellation).
        for _ in 0..2 {
            let e = cdf(x) - p;
            let u = e * (2.0 * std::f64::consts::PI).sqrt() * (0.5 * x * x).exp();
            if !u.is_finite() {
                break;
            }
            x -= u / (1.0 + 0.5 * x * u);
        }
        x
    }

    /// `Φ(b) − Φ(a)` for `a ≤ b`, computed on the side that avoids cancellation.
    pub(crate) fn mass(a: f64, b: f64) -> f64 {
        if b <= 0.0 {
            cdf(b) - cdf(a)
        } else if a >= 0.0 {
            cdf(-a) - cdf(-b)
        } else {
            1.0 - cdf(a) - cdf(-b)
        }
    }

    /// The `q`-quantile of the standard normal truncated to `[a, b]` (Optuna's `_truncnorm.ppf`).
    pub(crate) fn truncated_ppf(q: f64, a: f64, b: f64) -> f64 {
        let m = mass(a, b);
        let x = if a < 0.0 {
            // Φ(x) = Φ(a) + q (Φ(b) − Φ(a)); flip to the upper tail when that is past one half.
            let p = cdf(a) + q * m;
            if p <= 0.5 {
                ppf(p)
            } else {
                -ppf(cdf(-b) + (1.0 - q) * m)
            }
        } else {
            -ppf(cdf(-b) + (1.0 - q) * m)
        };
        if x.is_nan() {
            0.5 * (a + b)
        } else {
            x.clamp(a, b)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::normal::*;
    use super::*;

    /// `scipy.special.erfc`, `scipy.stats.norm.ppf` (scipy 1.x, float64):
    /// ```python
    /// from scipy import special, stats
    /// for x in [-7, -3.5, -2, -1, -0.9, -0.5, -0.2, 0, 1e-10, 0.2, 0.3, 0.5, 0.9, 1, 1.2, 2, 2.9, 5, 10, 27]:
    ///     print(x, repr(special.erfc(x)))
    /// for p in [1e-300, 1e-20, 1e-5, 0.01, 0.024, 0.1, 0.3, 0.5, 0.7, 0.975, 0.99999, 1 - 1e-12]:
    ///     print(p, repr(stats.norm.ppf(p)))
    /// ```
    #[test]
    fn erfc_and_ppf_match_scipy() {
        let erfc_ref: &[(f64, f64)] = ERFC_REF;
        for &(x, want) in erfc_ref {
            let got = erfc(x);
            assert!(
                (got - want).abs() <= 2e-15 * want.abs() + 1e-300,
                "erfc({x}) = {got}, want {want}"
            );
        }
        for &(p, want) in PPF_REF {
            let got = ppf(p);
            assert!(
                (got - want).abs() <= 1e-13 * want.abs().max(1.0),
                "ppf({p}) = {got}, want {want}"
            );
        }
    }

    const ERFC_REF: &[(f64, f64)] = &[
        (-7.0, 2.0),
        (-3.5, 1.9999992569016276),
        (-2.0, 1.9953222650189528),
        (-1.0, 1.8427007929497148),
        (-0.9, 1.7969082124228322),
        (-0.5, 1.5204998778130465),
        (-0.2, 1.2227025892104784),
        (0.0, 1.0),
        (1e-10, 0.999999999887162),
        (0.2, 0.7772974107895215),
        (0.3, 0.6713732405408726),
        (0.5, 0.4795001221869535),
        (0.9, 0.20309178757716784),
        (1.0, 0.15729920705028516),
        (1.2, 0.08968602177036462),
        (2.0, 0.004677734981047266),
        (2.9, 4.109787809945884e-05),
        (5.0, 1.5374597944280347e-12),
        (10.0, 2.0884875837625446e-45),
        (27.0, 0.0),
    ];
    const PPF_REF: &[(f64, f64)] = &[
        (1e-300, -37.0470962993612),
        (1e-20, -9.262340089798409),
        (1e-05, -4.264890793922825),
        (0.01, -2.3263478740408408),
        (0.024, -1.977368428181947),
        (0.1, -1.2815515655446004),
        (0.3, -0.5244005127080409),
        (0.5, 0.0),
        (0.7, 0.5244005127080407),
        (0.975, 1.959963984540054),
        (0.99999, 4.264890793923841),
        (0.999999999999, 7.0344869100478356),
    ];

    /// Optuna's `_ParzenEstimator` (defaults) on fixed observations:
    /// `tests/reference/bo_tpe_parzen.py`, whose output is pasted below.
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
    fn truncated_ppf_stays_inside_and_inverts() {
        for &(a, b) in &[
            (-1.0, 1.0),
            (-75.0, 25.0),
            (0.0, 50.0),
            (-50.0, 0.0),
            (-0.5, 0.6),
        ] {
            for i in 0..=20 {
                let q = f64::from(i) / 20.0;
                let x = truncated_ppf(q, a, b);
                assert!(x >= a && x <= b, "({a}, {b}, {q}) -> {x}");
                let back = (cdf(x) - cdf(a)) / (cdf(b) - cdf(a));
                if (cdf(b) - cdf(a)) > 1e-3 {
                    assert!((back - q).abs() < 1e-9, "({a}, {b}, {q}) -> {x}: {back}");
                }
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
