//! Differential evolution, following `scipy.optimize.differential_evolution` (SciPy 1.17,
//! `DifferentialEvolutionSolver`) at its defaults.
//!
//! Reproduced from SciPy: population `max(5, popsize·d)`; Latin hypercube initialisation in the
//! unit cube (one uniform point per stratum and coordinate, strata permuted per coordinate); the
//! best member kept at index 0 by swapping ("promote lowest energy"); per generation one mutation
//! factor `F ~ U(F_min, F_max)` (dithering); for each candidate `i` in order, a trial
//! `b' = x_0 + F (x_r0 − x_r1)` (`best1`) or `x_r0 + F (x_r1 − x_r2)` (`rand1`) with `r·` distinct
//! and different from `i`, binomial crossover with probability CR plus one forced coordinate, trial
//! components outside the box replaced by uniform values in it, and "immediate" updating: the trial
//! replaces member `i` as soon as it is evaluated if it is no worse, and becomes the new best at once
//! if it is no worse than the best. SciPy's stopping rules (`tol`, `maxiter`) and polishing are not
//! used: the harness stops the run at the budget, possibly in the middle of a generation.
//!
//! Two deliberate differences: the start point (the harness's first evaluation) is population
//! member 0, as SciPy does when given `x0`; and SciPy's rule of re-evaluating the whole population
//! when every energy is infinite (all evaluations failed) is not copied, since re-evaluating the
//! same points cannot help a deterministic objective.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::{check_len, invalid, rank_value};
use pop_optim::{Evaluation, Method, OptimError, Optimizer, RunContext};

/// Mutation strategy (SciPy's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeStrategy {
    /// `b' = x_best + F (x_r0 − x_r1)`, binomial crossover (SciPy's default).
    Best1bin,
    /// `b' = x_r0 + F (x_r1 − x_r2)`, binomial crossover.
    Rand1bin,
}

impl DeStrategy {
    fn as_str(self) -> &'static str {
        match self {
            DeStrategy::Best1bin => "best1bin",
            DeStrategy::Rand1bin => "rand1bin",
        }
    }
}

/// Initial population (SciPy's `init`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeInit {
    /// Latin hypercube sampling (SciPy's default).
    Latinhypercube,
    /// Independent uniform points.
    Random,
}

/// Configuration of differential evolution. Name: `de_{strategy}_pop{popsize}`, e.g.
/// `de_best1bin_pop15`.
///
/// Defaults are SciPy's: `best1bin`, `popsize = 15` (population `max(5, 15·d)`), dithered mutation
/// `F ~ U(0.5, 1)` drawn once per generation, recombination `CR = 0.7`, Latin hypercube
/// initialisation, immediate updating. Failed evaluations (`+∞`) are never accepted over a finite
/// member (SciPy's rule "accept when no worse" compares energies, and `+∞` is worse than any value).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeConfig {
    /// Mutation strategy.
    pub strategy: DeStrategy,
    /// Population multiplier: the population is `max(5, popsize·d)`; at least 1.
    pub popsize: usize,
    /// `(F_min, F_max)` of the dithered mutation factor, `0 ≤ F_min ≤ F_max < 2` (equal values:
    /// a constant `F`).
    pub mutation: (f64, f64),
    /// Crossover probability CR in `[0, 1]`.
    pub recombination: f64,
    /// Initial population.
    pub init: DeInit,
}

impl Default for DeConfig {
    fn default() -> Self {
        Self {
            strategy: DeStrategy::Best1bin,
            popsize: 15,
            mutation: (0.5, 1.0),
            recombination: 0.7,
            init: DeInit::Latinhypercube,
        }
    }
}

impl DeConfig {
    /// Checks every field against its valid range (SciPy's ranges).
    pub fn validate(&self) -> Result<(), OptimError> {
        let name = self.name();
        if self.popsize < 1 {
            return Err(invalid(
                &name,
                "popsize",
                self.popsize,
                "must be at least 1",
            ));
        }
        let (lo, hi) = self.mutation;
        if !(lo.is_finite() && hi.is_finite() && 0.0 <= lo && lo <= hi && hi < 2.0) {
            return Err(invalid(
                &name,
                "mutation",
                format!("({lo}, {hi})"),
                "must satisfy 0 <= F_min <= F_max < 2",
            ));
        }
        if !(0.0..=1.0).contains(&self.recombination) {
            return Err(invalid(
                &name,
                "recombination",
                self.recombination,
                "must be in [0, 1]",
            ));
        }
        Ok(())
    }
}

impl Method for DeConfig {
    fn name(&self) -> String {
        format!("de_{}_pop{}", self.strategy.as_str(), self.popsize)
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
        let name = self.name();
        check_len(&name, first.z.len(), d)?;
        let n = (self.popsize.saturating_mul(d)).max(5);
        let mut rng = ChaCha8Rng::seed_from_u64(ctx.seed);
        // Population in SciPy's unit coordinates u = (z + 1)/2 ∈ [0, 1].
        let mut pop = vec![0.0; n * d];
        match self.init {
            DeInit::Latinhypercube => {
                let mut perm: Vec<usize> = (0..n).collect();
                let seg = 1.0 / n as f64;
                for j in 0..d {
                    // A uniformly random permutation of the strata for this coordinate.
                    for i in (1..n).rev() {
                        let r = rng.random_range(0..=i);
                        perm.swap(i, r);
                    }
                    for (i, &s) in perm.iter().enumerate() {
                        pop[i * d + j] = seg * rng.random::<f64>() + s as f64 * seg;
                    }
                }
            }
            DeInit::Random => {
                for u in pop.iter_mut() {
                    *u = rng.random::<f64>();
                }
            }
        }
        for (u, &z) in pop[..d].iter_mut().zip(first.z) {
            *u = if z.is_finite() {
                (0.5 * (z + 1.0)).clamp(0.0, 1.0)
            } else {
                0.5
            };
        }
        let mut energies = vec![f64::INFINITY; n];
        energies[0] = rank_value(first.value);
        Ok(Box::new(DeRun {
            cfg: *self,
            name,
            dim: d,
            n,
            rng,
            pop,
            energies,
            trial: vec![0.0; d],
            idx: (0..n).collect(),
            scale: 0.0,
            phase: if n > 1 {
                Phase::Init(1)
            } else {
                Phase::Trial(0)
            },
        }))
    }
}

/// Where a run is: evaluating initial member `k`, or the trial of candidate `k`.
#[derive(Debug, Clone, Copy)]
enum Phase {
    Init(usize),
    Trial(usize),
}

/// One run of differential evolution; `pop` is row-major `n × d` in unit coordinates.
struct DeRun {
    cfg: DeConfig,
    name: String,
    dim: usize,
    n: usize,
    rng: ChaCha8Rng,
    pop: Vec<f64>,
    energies: Vec<f64>,
    trial: Vec<f64>,
    /// A permutation of `0..n` for drawing distinct members.
    idx: Vec<usize>,
    /// The mutation factor of the current generation.
    scale: f64,
    phase: Phase,
}

impl DeRun {
    /// Swaps the best member (first minimum) into index 0 (SciPy's `_promote_lowest_energy`).
    fn promote_lowest(&mut self) {
        let mut l = 0;
        for (i, &e) in self.energies.iter().enumerate() {
            if e < self.energies[l] {
                l = i;
            }
        }
        if l != 0 {
            self.energies.swap(0, l);
            let d = self.dim;
            for j in 0..d {
                self.pop.swap(j, l * d + j);
            }
        }
    }

    /// Draws `k` distinct members different from `candidate` into `self.idx[..k]` (the same
    /// distribution as SciPy's shuffle-and-filter `_select_samples`); returns how many it found.
    fn select_samples(&mut self, candidate: usize, k: usize) -> usize {
        let n = self.n;
        let mut got = 0;
        let mut j = 0;
        while got < k && j < n {
            let r = self.rng.random_range(j..n);
            self.idx.swap(j, r);
            if self.idx[j] != candidate {
                self.idx.swap(got, j);
                got += 1;
            }
            j += 1;
        }
        got
    }

    /// Builds the trial vector of `candidate` into `self.trial` (SciPy's `_mutate` followed by
    /// `_ensure_constraint`).
    fn mutate(&mut self, candidate: usize) {
        let d = self.dim;
        let fill_point = self.rng.random_range(0..d);
        let need = match self.cfg.strategy {
            DeStrategy::Best1bin => 2,
            DeStrategy::Rand1bin => 3,
        };
        let got = self.select_samples(candidate, need);
        let f = self.scale;
        for j in 0..d {
            let cross = j == fill_point || self.rng.random::<f64>() < self.cfg.recombination;
            let current = self.pop[candidate * d + j];
            let v = if !cross {
                current
            } else if got < need {
                // Fewer than `need` other members exist (never with SciPy's minimum of 5).
                self.pop[j]
            } else {
                let m = |r: usize| self.pop[self.idx[r] * d + j];
                match self.cfg.strategy {
                    DeStrategy::Best1bin => self.pop[j] + f * (m(0) - m(1)),
                    DeStrategy::Rand1bin => m(0) + f * (m(1) - m(2)),
                }
            };
            self.trial[j] = v;
        }
        for t in self.trial.iter_mut() {
            if !(0.0..=1.0).contains(t) {
                // Out of bounds (or not finite): a uniform value in bounds, as SciPy does.
                *t = self.rng.random::<f64>();
            }
        }
    }

    /// Draws the generation's mutation factor (dithering).
    fn new_generation(&mut self) {
        let (lo, hi) = self.cfg.mutation;
        self.scale = lo + (hi - lo) * self.rng.random::<f64>();
    }
}

impl Optimizer for DeRun {
    fn ask(&mut self, z: &mut [f64]) -> Result<(), OptimError> {
        let d = self.dim;
        check_len(&self.name, z.len(), d)?;
        match self.phase {
            Phase::Init(k) => {
                for (zi, &u) in z.iter_mut().zip(&self.pop[k * d..(k + 1) * d]) {
                    *zi = 2.0 * u - 1.0;
                }
            }
            Phase::Trial(k) => {
                if k == 0 {
                    self.new_generation();
                }
                self.mutate(k);
                for (zi, &u) in z.iter_mut().zip(&self.trial) {
                    *zi = 2.0 * u - 1.0;
                }
            }
        }
        Ok(())
    }

    fn tell(&mut self, eval: &Evaluation<'_>) -> Result<(), OptimError> {
        let (n, d) = (self.n, self.dim);
        check_len(&self.name, eval.z.len(), d)?;
        let energy = rank_value(eval.value);
        match self.phase {
            Phase::Init(k) => {
                self.energies[k] = energy;
                if k + 1 < n {
                    self.phase = Phase::Init(k + 1);
                } else {
                    self.promote_lowest();
                    self.phase = Phase::Trial(0);
                }
            }
            Phase::Trial(k) => {
                if energy <= self.energies[k] {
                    self.pop[k * d..(k + 1) * d].copy_from_slice(&self.trial);
                    self.energies[k] = energy;
                    if energy <= self.energies[0] {
                        self.promote_lowest();
                    }
                }
                self.phase = Phase::Trial(if k + 1 < n { k + 1 } else { 0 });
            }
        }
        Ok(())
    }
}
