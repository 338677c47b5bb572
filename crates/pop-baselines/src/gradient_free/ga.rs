//! A real-coded genetic algorithm with the operators of NSGA-II (Deb, Pratap, Agarwal & Meyarivan
//! 2002; Deb & Agrawal 1995): binary (or k-ary) tournament selection, bounded simulated binary
//! crossover (SBX), bounded polynomial mutation, and (μ+λ) elitist survival.
//!
//! The operators follow Deb's reference C code of NSGA-II (`crossover.c::realcross`,
//! `mutation.c::real_mutate_ind`, revision 1.1.6), with the box `[−1, 1]` as variable bounds. For a
//! single objective, NSGA-II's non-dominated sorting and crowding distance reduce to sorting by
//! value, so survival keeps the best `population` of parents ∪ offspring.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::{check_len, invalid, rank_value, sanitize, uniform_box};
use pop_optim::{Evaluation, Method, OptimError, Optimizer, RunContext};

/// Below this parent distance SBX copies the parents (Deb's `EPS`).
const SBX_EPS: f64 = 1.0e-14;

/// Configuration of the real-coded genetic algorithm. Name: `ga_pop{population}`, e.g. `ga_pop20`.
///
/// Defaults are the usual NSGA-II / pymoo settings for real variables: population 20, binary
/// tournaments, SBX with distribution index 15 applied to a pair with probability 0.9, polynomial
/// mutation with distribution index 20 applied to each variable with probability `1/d`, and (μ+λ)
/// elitist survival.
///
/// The initial population is the start point (the harness's first evaluation) plus
/// `population − 1` uniform points. Each generation creates `population` offspring from tournament
/// winners (pairs of children; the second child of the last pair is dropped when `population` is
/// odd), evaluates them one at a time, then selects survivors. Failed evaluations (`+∞`) lose every
/// tournament and are the first to be dropped at survival.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GaConfig {
    /// Number of individuals per generation (and offspring per generation); at least 2.
    pub population: usize,
    /// Individuals drawn (without replacement) per tournament; the best wins. 1 ≤ k ≤ population.
    pub tournament_size: usize,
    /// Probability that a pair of parents is recombined by SBX, in `[0, 1]`.
    pub crossover_prob: f64,
    /// SBX distribution index η_c ≥ 0 (large: children close to the parents).
    pub crossover_eta: f64,
    /// Per-variable mutation probability in `[0, 1]`; `None` means `1/d`.
    pub mutation_prob: Option<f64>,
    /// Polynomial-mutation distribution index η_m ≥ 0 (large: small perturbations).
    pub mutation_eta: f64,
    /// `true`: (μ+λ) survival, the best `population` of parents and offspring (NSGA-II);
    /// `false`: generational replacement, the offspring replace the parents.
    pub elitism: bool,
}

impl Default for GaConfig {
    fn default() -> Self {
        Self {
            population: 20,
            tournament_size: 2,
            crossover_prob: 0.9,
            crossover_eta: 15.0,
            mutation_prob: None,
            mutation_eta: 20.0,
            elitism: true,
        }
    }
}

impl GaConfig {
    /// Checks every field against its valid range.
    pub fn validate(&self) -> Result<(), OptimError> {
        let name = self.name();
        if self.population < 2 {
            return Err(invalid(
                &name,
                "population",
                self.population,
                "must be at least 2",
            ));
        }
        if self.tournament_size < 1 || self.tournament_size > self.population {
            return Err(invalid(
                &name,
                "tournament_size",
                self.tournament_size,
                format!("must be in 1..={} (the population)", self.population),
            ));
        }
        if !(0.0..=1.0).contains(&self.crossover_prob) {
            return Err(invalid(
                &name,
                "crossover_prob",
                self.crossover_prob,
                "must be in [0, 1]",
            ));
        }
        if !(self.crossover_eta.is_finite() && self.crossover_eta >= 0.0) {
            return Err(invalid(
                &name,
                "crossover_eta",
                self.crossover_eta,
                "must be finite and >= 0",
            ));
        }
        if let Some(p) = self.mutation_prob
            && !(0.0..=1.0).contains(&p)
        {
            return Err(invalid(
                &name,
                "mutation_prob",
                p,
                "must be in [0, 1] (or null for 1/d)",
            ));
        }
        if !(self.mutation_eta.is_finite() && self.mutation_eta >= 0.0) {
            return Err(invalid(
                &name,
                "mutation_eta",
                self.mutation_eta,
                "must be finite and >= 0",
            ));
        }
        Ok(())
    }
}

impl Method for GaConfig {
    fn name(&self) -> String {
        format!("ga_pop{}", self.population)
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
        let (n, d) = (self.population, ctx.dim);
        check_len(&self.name(), first.z.len(), d)?;
        let mut pop = vec![0.0; n * d];
        pop[..d].copy_from_slice(first.z);
        sanitize(&mut pop[..d]);
        let mut vals = vec![f64::INFINITY; n];
        vals[0] = rank_value(first.value);
        Ok(Box::new(GaRun {
            cfg: *self,
            name: self.name(),
            dim: d,
            pm: self.mutation_prob.unwrap_or(1.0 / d.max(1) as f64),
            rng: ChaCha8Rng::seed_from_u64(ctx.seed),
            pop,
            vals,
            off: vec![0.0; n * d],
            off_vals: vec![f64::INFINITY; n],
            next_pop: vec![0.0; n * d],
            next_vals: vec![0.0; n],
            order: (0..2 * n).collect(),
            draw: (0..n).collect(),
            phase: Phase::Init(1),
            generated: false,
        }))
    }
}

/// Where a run is: evaluating the initial member `k`, or offspring `k` of the current generation.
#[derive(Debug, Clone, Copy)]
enum Phase {
    Init(usize),
    Offspring(usize),
}

/// One run of the GA. Buffers are row-major `population × d`.
struct GaRun {
    cfg: GaConfig,
    name: String,
    dim: usize,
    pm: f64,
    rng: ChaCha8Rng,
    pop: Vec<f64>,
    vals: Vec<f64>,
    off: Vec<f64>,
    off_vals: Vec<f64>,
    next_pop: Vec<f64>,
    next_vals: Vec<f64>,
    /// Indices into parents ∪ offspring, for survival.
    order: Vec<usize>,
    /// A permutation of `0..population` for drawing tournaments without replacement.
    draw: Vec<usize>,
    phase: Phase,
    /// Whether the offspring of the current generation exist.
    generated: bool,
}

impl GaRun {
    /// Index of the winner of one tournament among the parents.
    fn tournament(&mut self) -> usize {
        let n = self.cfg.population;
        let mut best = usize::MAX;
        for j in 0..self.cfg.tournament_size {
            let r = self.rng.random_range(j..n);
            self.draw.swap(j, r);
            let c = self.draw[j];
            if best == usize::MAX || self.vals[c] < self.vals[best] {
                best = c;
            }
        }
        best
    }

    /// Creates the generation's `population` offspring in `off`.
    fn make_offspring(&mut self) {
        let (n, d) = (self.cfg.population, self.dim);
        let mut k = 0;
        while k < n {
            let p1 = self.tournament();
            let p2 = self.tournament();
            let do_cross = self.rng.random::<f64>() <= self.cfg.crossover_prob;
            for i in 0..d {
                let (a, b) = (self.pop[p1 * d + i], self.pop[p2 * d + i]);
                let (c1, c2) = if do_cross {
                    sbx(&mut self.rng, a, b, self.cfg.crossover_eta)
                } else {
                    (a, b)
                };
                self.off[k * d + i] = c1;
                if k + 1 < n {
                    self.off[(k + 1) * d + i] = c2;
                }
            }
            for c in k..(k + 2).min(n) {
                for i in 0..d {
                    if self.rng.random::<f64>() <= self.pm {
                        let y = self.off[c * d + i];
                        self.off[c * d + i] =
                            poly_mutation(&mut self.rng, y, self.cfg.mutation_eta);
                    }
                }
                sanitize(&mut self.off[c * d..(c + 1) * d]);
            }
            k += 2;
        }
        self.off_vals.fill(f64::INFINITY);
        self.generated = true;
    }

    /// Survival after a complete generation.
    fn survive(&mut self) {
        let (n, d) = (self.cfg.population, self.dim);
        if self.cfg.elitism {
            let (vals, off_vals) = (&self.vals, &self.off_vals);
            let key = |j: usize| if j < n { vals[j] } else { off_vals[j - n] };
            for (j, o) in self.order.iter_mut().enumerate() {
                *o = j;
            }
            // Ties keep parents before offspring and lower indices first (deterministic, and
            // allocation-free unlike a stable sort).
            self.order
                .sort_unstable_by(|&a, &b| key(a).total_cmp(&key(b)).then(a.cmp(&b)));
            for (slot, &j) in self.order[..n].iter().enumerate() {
                let src = if j < n {
                    &self.pop[j * d..(j + 1) * d]
                } else {
                    &self.off[(j - n) * d..(j - n + 1) * d]
                };
                self.next_pop[slot * d..(slot + 1) * d].copy_from_slice(src);
                self.next_vals[slot] = key(j);
            }
            std::mem::swap(&mut self.pop, &mut self.next_pop);
            std::mem::swap(&mut self.vals, &mut self.next_vals);
        } else {
            std::mem::swap(&mut self.pop, &mut self.off);
            std::mem::swap(&mut self.vals, &mut self.off_vals);
        }
        self.generated = false;
    }
}

impl Optimizer for GaRun {
    fn ask(&mut self, z: &mut [f64]) -> Result<(), OptimError> {
        let d = self.dim;
        check_len(&self.name, z.len(), d)?;
        match self.phase {
            Phase::Init(k) => {
                uniform_box(&mut self.rng, &mut self.pop[k * d..(k + 1) * d]);
                z.copy_from_slice(&self.pop[k * d..(k + 1) * d]);
            }
            Phase::Offspring(k) => {
                if !self.generated {
                    self.make_offspring();
                }
                z.copy_from_slice(&self.off[k * d..(k + 1) * d]);
            }
        }
        Ok(())
    }

    fn tell(&mut self, eval: &Evaluation<'_>) -> Result<(), OptimError> {
        let (n, d) = (self.cfg.population, self.dim);
        check_len(&self.name, eval.z.len(), d)?;
        let v = rank_value(eval.value);
        match self.phase {
            Phase::Init(k) => {
                self.pop[k * d..(k + 1) * d].copy_from_slice(eval.z);
                self.vals[k] = v;
                self.phase = if k + 1 < n {
                    Phase::Init(k + 1)
                } else {
                    Phase::Offspring(0)
                };
            }
            Phase::Offspring(k) => {
                self.off[k * d..(k + 1) * d].copy_from_slice(eval.z);
                self.off_vals[k] = v;
                if k + 1 < n {
                    self.phase = Phase::Offspring(k + 1);
                } else {
                    self.survive();
                    self.phase = Phase::Offspring(0);
                }
            }
        }
        Ok(())
    }
}

/// Bounded SBX on one variable in `[−1, 1]` (Deb's `realcross`): returns the two children.
fn sbx(rng: &mut ChaCha8Rng, a: f64, b: f64, eta: f64) -> (f64, f64) {
    if rng.random::<f64>() > 0.5 || (a - b).abs() <= SBX_EPS {
        return (a, b);
    }
    let (y1, y2) = if a < b { (a, b) } else { (b, a) };
    let (yl, yu) = (-1.0, 1.0);
    let u = rng.random::<f64>();
    let e1 = 1.0 / (eta + 1.0);
    let betaq = |beta: f64| {
        let alpha = 2.0 - beta.powf(-(eta + 1.0));
        if u <= 1.0 / alpha {
            (u * alpha).powf(e1)
        } else {
            (1.0 / (2.0 - u * alpha)).powf(e1)
        }
    };
    let bq1 = betaq(1.0 + 2.0 * (y1 - yl) / (y2 - y1));
    let c1 = 0.5 * ((y1 + y2) - bq1 * (y2 - y1));
    let bq2 = betaq(1.0 + 2.0 * (yu - y2) / (y2 - y1));
    let c2 = 0.5 * ((y1 + y2) + bq2 * (y2 - y1));
    let (c1, c2) = (c1.clamp(yl, yu), c2.clamp(yl, yu));
    if rng.random::<f64>() <= 0.5 {
        (c2, c1)
    } else {
        (c1, c2)
    }
}

/// Bounded polynomial mutation of one variable in `[−1, 1]` (Deb's `real_mutate_ind`).
fn poly_mutation(rng: &mut ChaCha8Rng, y: f64, eta: f64) -> f64 {
    let (yl, yu) = (-1.0, 1.0);
    let delta1 = (y - yl) / (yu - yl);
    let delta2 = (yu - y) / (yu - yl);
    let u = rng.random::<f64>();
    let mut_pow = 1.0 / (eta + 1.0);
    let deltaq = if u <= 0.5 {
        let xy = 1.0 - delta1;
        let val = 2.0 * u + (1.0 - 2.0 * u) * xy.powf(eta + 1.0);
        val.powf(mut_pow) - 1.0
    } else {
        let xy = 1.0 - delta2;
        let val = 2.0 * (1.0 - u) + 2.0 * (u - 0.5) * xy.powf(eta + 1.0);
        1.0 - val.powf(mut_pow)
    };
    (y + deltaq * (yu - yl)).clamp(yl, yu)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_stay_in_the_box_and_are_finite() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for _ in 0..20_000 {
            let a = 2.0 * rng.random::<f64>() - 1.0;
            let b = if rng.random::<f64>() < 0.1 {
                1.0
            } else {
                2.0 * rng.random::<f64>() - 1.0
            };
            for eta in [0.0, 2.0, 15.0, 100.0] {
                let (c1, c2) = sbx(&mut rng, a, b, eta);
                let m = poly_mutation(&mut rng, a, eta);
                for v in [c1, c2, m] {
                    assert!(v.is_finite() && (-1.0..=1.0).contains(&v), "{v}");
                }
            }
        }
    }

    #[test]
    fn sbx_children_are_symmetric_around_the_parents_mean_in_the_interior() {
        // Far from the bounds, SBX children average to the parents' mean when not clipped.
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let (a, b) = (-0.01, 0.01);
        for _ in 0..1000 {
            let (c1, c2) = sbx(&mut rng, a, b, 15.0);
            assert!(((c1 + c2) - (a + b)).abs() < 1e-3, "{c1} {c2}");
        }
    }
}
