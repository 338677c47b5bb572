//! What POP costs: the per-step cost of the learned methods next to Adam's at several
//! dimensions, and one run of each configured method at a large dimension.

use pop_bench_fns::{Objective, registry};
use pop_optim::harness::{self, RunOptions};
use serde::{Deserialize, Serialize};

use super::config::ScalingConfig;
use super::error::ReproduceError;
use super::methods::EvalMethod;

/// The per-step cost of one method in one dimension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepCost {
    /// Method key.
    pub method: String,
    /// Dimension.
    pub dim: usize,
    /// Oracle calls of the timed run.
    pub budget: usize,
    /// Microseconds per `ask` + `tell` (the objective excluded), best of the repetitions.
    pub us_per_step: f64,
    /// `us_per_step` divided by Adam's in the same dimension, same process.
    pub ratio_to_adam: Option<f64>,
}

/// One run at a large dimension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LargeRun {
    /// Function.
    pub function: String,
    /// Dimension.
    pub dim: usize,
    /// Oracle calls.
    pub budget: usize,
    /// Method key.
    pub method: String,
    /// Wall-clock seconds of the run.
    pub wall_s: f64,
    /// Seconds inside the optimizer.
    pub optimizer_s: f64,
    /// Normalised improvement reached.
    pub normalized_improvement: Option<f64>,
}

/// The scaling measurements (`scaling.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scaling {
    /// Per-step costs.
    pub step_costs: Vec<StepCost>,
    /// Large-dimension runs.
    pub large: Vec<LargeRun>,
}

/// Methods whose step cost is measured (when configured).
pub const STEP_COST_METHODS: &[&str] = &["pop", "velo-style-es", "adam"];

/// Measures on one thread, `progress(done, total)` after each run.
pub fn measure(
    cfg: &ScalingConfig,
    methods: &[EvalMethod],
    seed: u64,
    progress: &dyn Fn(usize, usize),
) -> Result<Scaling, ReproduceError> {
    let timed: Vec<&EvalMethod> = STEP_COST_METHODS
        .iter()
        .filter_map(|k| methods.iter().find(|m| m.key == *k))
        .collect();
    let large: Vec<&EvalMethod> = cfg
        .large_methods
        .iter()
        .filter_map(|k| methods.iter().find(|m| m.key == *k))
        .collect();
    let total = timed.len() * cfg.step_dims.len() + large.len();
    let mut done = 0;
    let mut step_costs = Vec::new();
    for &d in &cfg.step_dims {
        let f = registry::build("sphere", Some(d))?;
        let x0 = harness::start_points(
            f.bounds(),
            1,
            pop_optim::seed::derive_seed(seed, "scaling", d as u64),
        )
        .remove(0);
        let reps = if d >= 256 { 1 } else { 3 };
        let mut row = Vec::new();
        for m in &timed {
            let mut best = f64::INFINITY;
            for rep in 0..reps {
                let r = harness::run(
                    &f,
                    m.method.as_ref(),
                    &x0,
                    cfg.step_budget,
                    pop_optim::seed::derive_seed(seed, "scaling-run", rep),
                    RunOptions::default(),
                )?;
                best = best.min(r.optimizer_time_s / (cfg.step_budget - 1) as f64 * 1e6);
            }
            row.push((m.key.clone(), best));
            done += 1;
            progress(done, total);
        }
        let adam = row.iter().find(|(k, _)| k == "adam").map(|(_, v)| *v);
        for (k, us) in row {
            step_costs.push(StepCost {
                method: k,
                dim: d,
                budget: cfg.step_budget,
                us_per_step: us,
                ratio_to_adam: adam.map(|a| us / a),
            });
        }
    }
    let f = registry::build(&cfg.large_function, Some(cfg.large_dim))?;
    let x0 = harness::start_points(
        f.bounds(),
        1,
        pop_optim::seed::derive_seed(seed, "scaling-large", 0),
    )
    .remove(0);
    let mut runs = Vec::new();
    for m in large {
        let r = harness::run(
            &f,
            m.method.as_ref(),
            &x0,
            cfg.large_budget,
            pop_optim::seed::derive_seed(seed, "scaling-large-run", 0),
            RunOptions::default(),
        )?;
        runs.push(LargeRun {
            function: cfg.large_function.clone(),
            dim: cfg.large_dim,
            budget: cfg.large_budget,
            method: m.key.clone(),
            wall_s: r.wall_time_s,
            optimizer_s: r.optimizer_time_s,
            normalized_improvement: f.f_star().and_then(|fs| r.normalized_improvement(fs)),
        });
        done += 1;
        progress(done, total);
    }
    Ok(Scaling {
        step_costs,
        large: runs,
    })
}
