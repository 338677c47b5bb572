//! Meta-training of the `velo-style-es` update rule ([`pop_baselines::velo`]) with antithetic
//! evolution strategies on batches of prior functions — the recipe of VeLO and its cheaper
//! successors, trained on POP's prior with POP's budget.
//!
//! # One iteration `k`
//! 1. `functions_per_iteration` training functions (the training split, a seed-dependent offset
//!    plus `k·N`) and uniform starts (seed derived from `(seed, "es-starts", k)`).
//! 2. `pairs` Gaussian directions `ε_p` (seeds derived from `(seed, "es-noise", k)` and `p`); each
//!    pair evaluates `θ + σε_p` and `θ − σε_p` on the *same* functions and starts (common random
//!    numbers). Members run in parallel with rayon; results are collected in member order.
//! 3. The meta-loss of a parameter vector is the mean over the functions of the normalised regret
//!    averaged over the whole unroll, `(1/T) Σ_t (b_t − f*)/(f(x_0) − f*)` (clamped to `[0, 1]`),
//!    with the rule run by the evaluation harness for `horizon` oracle calls.
//! 4. The gradient estimate `ĝ = 1/(2σP) Σ_p (w⁺_p − w⁻_p) ε_p`, `w` the raw losses or their
//!    centred ranks ([`Fitness`]), summed in a fixed order; Adam on `θ`.
//!
//! Full unrolls of `horizon` steps are used (T = 50 is short and cheap): persistent ES over
//! truncated unrolls is **not** implemented.
//!
//! # Run folder
//! * `config.json`: the [`EsConfig`];
//! * `metrics.jsonl`: one [`EsMetrics`] line per iteration;
//! * `best/velo.json`: weights of the best validation NI (the initial rule included);
//! * `checkpoint/state.json`: `θ`, Adam's moments (f64 bit patterns, so that resume is exact), the
//!   next iteration and the best NI. All randomness derives from `(seed, iteration)`, so a
//!   resumed run repeats the straight run bit for bit, whatever the thread count.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use pop_baselines::harness::{self, RunOptions, RunRecord};
use pop_baselines::velo::{VeloConfig, VeloRule, VeloStyle, WEIGHTS_FILE};
use pop_baselines::{Method, OptimError};
use pop_bench_fns::Objective;
use pop_prior::{Prior, PriorConfig, PriorSample, Split};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{TrainError, io_err};
use crate::rollout::uniform_starts;
use crate::trainer::{AdamBaseline, VALIDATION_START_SEED, json_err, write_atomic};

/// The `smoke` ES preset (seconds; used by tests).
pub const ES_SMOKE: &str = include_str!("../presets/es-smoke.toml");
/// The `quick` ES preset (about the CPU time of POP's `quick`).
pub const ES_QUICK: &str = include_str!("../presets/es-quick.toml");
/// The `paper` ES preset (many more functions and iterations).
pub const ES_PAPER: &str = include_str!("../presets/es-paper.toml");
/// Names of the ES presets.
pub const ES_PRESETS: &[&str] = &["smoke", "quick", "paper"];

/// How the population's losses become weights of the gradient estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fitness {
    /// The losses themselves (an unbiased estimate of the gradient of the smoothed loss).
    Raw,
    /// Centred ranks in `[−0.5, 0.5]` over all `2P` members (robust to outliers).
    CenteredRank,
}

fn d_seed() -> u64 {
    0
}
fn d_dim() -> usize {
    2
}
fn d_horizon() -> usize {
    50
}
fn d_fitness() -> Fitness {
    Fitness::CenteredRank
}
fn d_init_scale() -> f64 {
    1.0
}
fn d_beta1() -> f64 {
    0.9
}
fn d_beta2() -> f64 {
    0.999
}
fn d_val_fns() -> usize {
    128
}
fn d_every() -> usize {
    10
}

/// Hyperparameters of an ES meta-training run. Load with [`EsConfig::from_preset_or_file`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EsConfig {
    /// Master seed: initial weights, functions, starts and perturbations derive from it.
    #[serde(default = "d_seed")]
    pub seed: u64,
    /// Dimension of the training and validation functions.
    #[serde(default = "d_dim")]
    pub dim: usize,
    /// Oracle calls of an unroll (start included), also the validation budget.
    #[serde(default = "d_horizon")]
    pub horizon: usize,
    /// Training functions per iteration (shared by every population member).
    pub functions_per_iteration: usize,
    /// Antithetic pairs per iteration (population `2·pairs`).
    pub pairs: usize,
    /// Standard deviation `σ` of the perturbations.
    pub sigma: f64,
    /// Adam's learning rate on `θ`.
    pub lr: f64,
    /// Adam's `β1` on `θ`.
    #[serde(default = "d_beta1")]
    pub beta1: f64,
    /// Adam's `β2` on `θ`.
    #[serde(default = "d_beta2")]
    pub beta2: f64,
    /// Number of ES iterations.
    pub iterations: usize,
    /// Fitness shaping.
    #[serde(default = "d_fitness")]
    pub fitness: Fitness,
    /// Scale of the random initial hidden weights ([`VeloRule::initial`]).
    #[serde(default = "d_init_scale")]
    pub init_scale: f64,
    /// Validate every this many iterations (and after the last one).
    #[serde(default = "d_every")]
    pub validate_every: usize,
    /// Number of validation functions (the first ones of the validation split).
    #[serde(default = "d_val_fns")]
    pub validation_functions: usize,
    /// Write the checkpoint every this many iterations (and after the last one).
    #[serde(default = "d_every")]
    pub checkpoint_every: usize,
    /// The binary prints a compact line every this many iterations.
    #[serde(default = "d_every")]
    pub log_every: usize,
    /// The rule's shape.
    #[serde(default)]
    pub rule: VeloConfig,
    /// The prior of training and validation functions.
    #[serde(default)]
    pub prior: PriorConfig,
}

impl EsConfig {
    /// Parses TOML text; `source_name` names it in errors. Validates.
    pub fn from_toml(text: &str, source_name: &str) -> Result<Self, TrainError> {
        let cfg: Self = crate::config::parse_config(text, source_name, false)?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// A preset by name (`smoke`, `quick`, `paper`).
    pub fn preset(name: &str) -> Result<Self, TrainError> {
        if !ES_PRESETS.contains(&name) {
            return Err(TrainError::ConfigParse {
                source_name: name.to_string(),
                reason: format!("unknown ES preset; presets are {ES_PRESETS:?}"),
            });
        }
        Self::from_preset_or_file(name)
    }

    /// A preset name, or else a path to a TOML (or JSON, by extension) file. Validates.
    pub fn from_preset_or_file(name_or_path: &str) -> Result<Self, TrainError> {
        let presets = [
            ("smoke", ES_SMOKE),
            ("quick", ES_QUICK),
            ("paper", ES_PAPER),
        ];
        let cfg: Self = crate::config::load_preset_or_file(name_or_path, &presets, "ES preset")?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Checks every field; the error names the field.
    pub fn validate(&self) -> Result<(), TrainError> {
        fn bad(field: &'static str, value: impl ToString, reason: &str) -> Result<(), TrainError> {
            Err(TrainError::InvalidConfig {
                field,
                value: value.to_string(),
                reason: reason.to_string(),
            })
        }
        if self.dim == 0 {
            return bad("dim", self.dim, "must be at least 1");
        }
        if self.horizon < 2 {
            return bad("horizon", self.horizon, "must be at least 2 (one step)");
        }
        for (field, v) in [
            ("functions_per_iteration", self.functions_per_iteration),
            ("pairs", self.pairs),
            ("iterations", self.iterations),
            ("validate_every", self.validate_every),
            ("checkpoint_every", self.checkpoint_every),
            ("log_every", self.log_every),
        ] {
            if v == 0 {
                return bad(field, v, "must be at least 1");
            }
        }
        for (field, v) in [
            ("sigma", self.sigma),
            ("lr", self.lr),
            ("init_scale", self.init_scale),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return bad(field, v, "must be finite and > 0");
            }
        }
        for (field, v) in [("beta1", self.beta1), ("beta2", self.beta2)] {
            if !(0.0..1.0).contains(&v) {
                return bad(field, v, "must lie in [0, 1)");
            }
        }
        if self.validation_functions == 0 || self.validation_functions > pop_prior::EVAL_SET_SIZE {
            return bad(
                "validation_functions",
                self.validation_functions,
                &format!("must lie in 1..={}", pop_prior::EVAL_SET_SIZE),
            );
        }
        if let Err(e) = self.rule.validate() {
            return bad("rule", format!("{:?}", self.rule), &e.to_string());
        }
        if let Err(e) = self.prior.validate() {
            return bad("prior", "(see reason)", &e.to_string());
        }
        Ok(())
    }
}

/// An ES gradient estimate.
#[derive(Debug, Clone, PartialEq)]
pub struct EsEstimate {
    /// The estimate of `∇L(θ)` (of the Gaussian-smoothed loss; scaled by the fitness shaping).
    pub gradient: Vec<f64>,
    /// Mean loss over the `2P` members.
    pub mean_loss: f64,
}

/// The `pairs` perturbation directions of `seed`, each a standard normal vector of length `n`.
pub fn perturbations(n: usize, pairs: usize, seed: u64) -> Vec<Vec<f64>> {
    (0..pairs)
        .into_par_iter()
        .map(|p| {
            let mut rng = ChaCha8Rng::seed_from_u64(harness::derive_seed(seed, "pair", p as u64));
            (0..n).map(|_| StandardNormal.sample(&mut rng)).collect()
        })
        .collect()
}

/// Centred ranks in `[−0.5, 0.5]` (the smallest value gets −0.5; ties broken by index).
fn centered_ranks(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|&a, &b| x[a].total_cmp(&x[b]).then(a.cmp(&b)));
    let mut r = vec![0.0; n];
    if n < 2 {
        return r;
    }
    for (rank, &i) in idx.iter().enumerate() {
        r[i] = rank as f64 / (n - 1) as f64 - 0.5;
    }
    r
}

/// Antithetic ES estimate of `∇loss(θ)`: `1/(2σP) Σ_p (w(θ + σε_p) − w(θ − σε_p)) ε_p`, members
/// evaluated in parallel (rayon) and reduced in a fixed order (deterministic for any thread count).
pub fn antithetic_gradient<F>(
    theta: &[f64],
    sigma: f64,
    pairs: usize,
    seed: u64,
    fitness: Fitness,
    loss: F,
) -> Result<EsEstimate, TrainError>
where
    F: Fn(&[f64]) -> Result<f64, TrainError> + Sync,
{
    let n = theta.len();
    let eps = perturbations(n, pairs, seed);
    let losses: Vec<f64> = (0..2 * pairs)
        .into_par_iter()
        .map(|m| {
            let sign = if m % 2 == 0 { 1.0 } else { -1.0 };
            let e = &eps[m / 2];
            let t: Vec<f64> = theta
                .iter()
                .zip(e)
                .map(|(t, e)| t + sign * sigma * e)
                .collect();
            loss(&t)
        })
        .collect::<Result<_, _>>()?;
    let mean_loss = losses.iter().sum::<f64>() / losses.len() as f64;
    let w = match fitness {
        Fitness::Raw => losses.clone(),
        Fitness::CenteredRank => centered_ranks(&losses),
    };
    let mut gradient = vec![0.0; n];
    let scale = 1.0 / (2.0 * sigma * pairs as f64);
    for (p, e) in eps.iter().enumerate() {
        let c = (w[2 * p] - w[2 * p + 1]) * scale;
        for (g, e) in gradient.iter_mut().zip(e) {
            *g += c * e;
        }
    }
    Ok(EsEstimate {
        gradient,
        mean_loss,
    })
}

/// The meta-loss of one run: the normalised regret `(b_t − f*)/(f(x_0) − f*)` clamped to
/// `[0, 1]`, averaged over the unroll's calls; 1 without a finite start or a positive gap.
pub fn unroll_regret(rec: &RunRecord, f_star: f64) -> f64 {
    let Some(f0) = rec.f0 else { return 1.0 };
    let gap = f0 - f_star;
    if !(gap > 0.0 && gap.is_finite()) || rec.best.is_empty() {
        return 1.0;
    }
    let s: f64 = rec
        .best
        .iter()
        .map(|b| ((b - f_star) / gap).clamp(0.0, 1.0))
        .sum();
    s / rec.best.len() as f64
}

/// The rule of flat parameters `theta` (f64, cast to f32).
pub fn rule_of(cfg: &VeloConfig, theta: &[f64]) -> Result<VeloRule, TrainError> {
    Ok(VeloRule::from_params(
        *cfg,
        theta.iter().map(|&t| t as f32).collect(),
    )?)
}

/// Mean NI at the end and mean unroll regret of `method` on functions with starts, run
/// sequentially (the caller parallelises) when `parallel` is false.
fn score(
    method: &dyn Method,
    fns: &[PriorSample],
    starts: &[Vec<f64>],
    horizon: usize,
    seed: u64,
    parallel: bool,
) -> Result<(f64, f64), TrainError> {
    let one = |i: usize| -> Result<(f64, f64), OptimError> {
        let f = &fns[i];
        let rec = harness::run(
            f,
            method,
            &starts[i],
            horizon,
            harness::derive_seed(seed, "run", i as u64),
            RunOptions::default(),
        )?;
        let fs = f.f_star().unwrap_or(f64::NEG_INFINITY);
        Ok((
            rec.normalized_improvement(fs).unwrap_or(0.0),
            unroll_regret(&rec, fs),
        ))
    };
    let rs: Vec<(f64, f64)> = if parallel {
        (0..fns.len())
            .into_par_iter()
            .map(one)
            .collect::<Result<_, _>>()?
    } else {
        (0..fns.len()).map(one).collect::<Result<_, _>>()?
    };
    let n = rs.len().max(1) as f64;
    Ok((
        rs.iter().map(|r| r.0).sum::<f64>() / n,
        rs.iter().map(|r| r.1).sum::<f64>() / n,
    ))
}

/// A validation result of the rule.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EsValidation {
    /// Mean NI at `T = horizon`.
    pub ni: f64,
    /// Mean normalised regret over the unroll (the meta-loss on the validation functions).
    pub loss: f64,
}

/// One line of `metrics.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EsMetrics {
    /// Iteration index (0-based).
    pub iteration: usize,
    /// Mean meta-loss of the population on this iteration's training functions.
    pub train_loss: f64,
    /// Norm of the ES gradient estimate.
    pub grad_norm: f64,
    /// Validation, when validated at this iteration.
    pub val: Option<EsValidation>,
    /// Best validation NI so far.
    pub best_val_ni: f64,
    /// Oracle calls of the iteration.
    pub evals: usize,
    /// Oracle calls per second (timing: not reproducible).
    pub evals_per_s: f64,
    /// Seconds of the iteration (timing: not reproducible).
    pub iteration_s: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct EsState {
    next_iteration: usize,
    best_val_ni: f64,
    initial: EsValidation,
    adam_t: u64,
    theta: Vec<u64>,
    adam_m: Vec<u64>,
    adam_v: Vec<u64>,
}

fn bits(x: &[f64]) -> Vec<u64> {
    x.iter().map(|v| v.to_bits()).collect()
}

fn unbits(x: &[u64]) -> Vec<f64> {
    x.iter().map(|&b| f64::from_bits(b)).collect()
}

/// An ES meta-training run bound to its run folder.
pub struct EsTrainer {
    cfg: EsConfig,
    out: PathBuf,
    prior: Prior,
    theta: Vec<f64>,
    adam_m: Vec<f64>,
    adam_v: Vec<f64>,
    adam_t: u64,
    next_iteration: usize,
    best_val_ni: f64,
    initial: EsValidation,
    val_fns: Vec<PriorSample>,
    val_starts: Vec<Vec<f64>>,
    adam: Option<AdamBaseline>,
}

impl EsTrainer {
    /// Starts a fresh run in `out` (created; must not hold a checkpoint already). Validates the
    /// initial rule and saves it as the first `best/`.
    pub fn new(cfg: EsConfig, out: impl Into<PathBuf>) -> Result<Self, TrainError> {
        cfg.validate()?;
        let out = out.into();
        crate::trainer::create_run_folder(&out, &cfg)?;
        let rule = VeloRule::initial(
            cfg.rule,
            harness::derive_seed(cfg.seed, "es-init", 0),
            cfg.init_scale,
        )?;
        let theta: Vec<f64> = rule.params().iter().map(|&p| f64::from(p)).collect();
        let n = theta.len();
        let placeholder = EsValidation { ni: 0.0, loss: 1.0 };
        let mut t = Self::assemble(
            cfg,
            out,
            theta,
            vec![0.0; n],
            vec![0.0; n],
            0,
            0,
            f64::NEG_INFINITY,
            placeholder,
        )?;
        let v = t.validate()?;
        t.initial = v;
        t.best_val_ni = v.ni;
        t.save_best()?;
        t.save_checkpoint()?;
        tracing::info!(val_ni = v.ni, val_loss = v.loss, "initial rule validated");
        Ok(t)
    }

    /// Resumes the run in `out` from its checkpoint. With `cfg`, it must equal the saved config
    /// except for `iterations`.
    pub fn resume(out: impl Into<PathBuf>, cfg: Option<EsConfig>) -> Result<Self, TrainError> {
        let out = out.into();
        let cfg_path = out.join("config.json");
        let text = fs::read_to_string(&cfg_path).map_err(io_err(&cfg_path))?;
        let saved: EsConfig = serde_json::from_str(&text).map_err(json_err(&cfg_path))?;
        let cfg = match cfg {
            Some(c) => {
                let mut a = c.clone();
                a.iterations = saved.iterations;
                if a != saved {
                    return Err(TrainError::Resume {
                        path: out,
                        reason:
                            "the given config differs from config.json in more than `iterations`"
                                .into(),
                    });
                }
                c
            }
            None => saved.clone(),
        };
        cfg.validate()?;
        let state_path = out.join("checkpoint").join("state.json");
        let text = fs::read_to_string(&state_path).map_err(io_err(&state_path))?;
        let st: EsState = serde_json::from_str(&text).map_err(json_err(&state_path))?;
        let n = cfg.rule.n_params();
        if st.theta.len() != n || st.adam_m.len() != n || st.adam_v.len() != n {
            return Err(TrainError::RunFile {
                path: state_path,
                reason: format!("parameter vectors must have length {n}"),
            });
        }
        let metrics = out.join("metrics.jsonl");
        let kept: String = fs::read_to_string(&metrics)
            .unwrap_or_default()
            .lines()
            .filter(|l| {
                serde_json::from_str::<EsMetrics>(l).is_ok_and(|m| m.iteration < st.next_iteration)
            })
            .map(|l| format!("{l}\n"))
            .collect();
        write_atomic(&metrics, kept.as_bytes())?;
        if cfg.iterations != saved.iterations {
            let json = serde_json::to_string_pretty(&cfg).map_err(json_err(&cfg_path))?;
            write_atomic(&cfg_path, json.as_bytes())?;
        }
        tracing::info!(next_iteration = st.next_iteration, "resumed");
        Self::assemble(
            cfg,
            out,
            unbits(&st.theta),
            unbits(&st.adam_m),
            unbits(&st.adam_v),
            st.adam_t,
            st.next_iteration,
            st.best_val_ni,
            st.initial,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn assemble(
        cfg: EsConfig,
        out: PathBuf,
        theta: Vec<f64>,
        adam_m: Vec<f64>,
        adam_v: Vec<f64>,
        adam_t: u64,
        next_iteration: usize,
        best_val_ni: f64,
        initial: EsValidation,
    ) -> Result<Self, TrainError> {
        let prior = Prior::new(cfg.prior.clone())?;
        let val_fns = prior.split_batch(
            Split::Validation,
            cfg.dim,
            0..cfg.validation_functions as u64,
        )?;
        let val_starts = uniform_starts(val_fns.len(), cfg.dim, VALIDATION_START_SEED);
        Ok(Self {
            cfg,
            out,
            prior,
            theta,
            adam_m,
            adam_v,
            adam_t,
            next_iteration,
            best_val_ni,
            initial,
            val_fns,
            val_starts,
            adam: None,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &EsConfig {
        &self.cfg
    }

    /// The run folder.
    pub fn out_dir(&self) -> &Path {
        &self.out
    }

    /// Index of the next iteration (= iterations done).
    pub fn next_iteration(&self) -> usize {
        self.next_iteration
    }

    /// Whether every configured iteration is done.
    pub fn is_done(&self) -> bool {
        self.next_iteration >= self.cfg.iterations
    }

    /// Best validation NI so far (the initial rule's included).
    pub fn best_val_ni(&self) -> f64 {
        self.best_val_ni
    }

    /// The validation of the initial rule (before any iteration).
    pub fn initial_validation(&self) -> EsValidation {
        self.initial
    }

    /// The current meta-parameters.
    pub fn theta(&self) -> &[f64] {
        &self.theta
    }

    /// The current rule.
    pub fn rule(&self) -> Result<VeloRule, TrainError> {
        rule_of(&self.cfg.rule, &self.theta)
    }

    /// Validation of the current rule: mean NI at `T = horizon` and mean unroll regret on the
    /// validation functions, from the fixed starts that the POP trainer and Adam use.
    pub fn validate(&self) -> Result<EsValidation, TrainError> {
        let m = VeloStyle::new(self.rule()?);
        let (ni, loss) = score(
            &m,
            &self.val_fns,
            &self.val_starts,
            self.cfg.horizon,
            VALIDATION_START_SEED,
            true,
        )?;
        Ok(EsValidation { ni, loss })
    }

    /// Adam's validation NI at its default and tuned learning rates (computed on first call; the
    /// same functions, starts and seeds as the POP trainer's baseline).
    pub fn adam_baseline(&mut self) -> Result<AdamBaseline, TrainError> {
        if let Some(a) = self.adam {
            return Ok(a);
        }
        let a = crate::trainer::adam_baseline(&self.val_fns, &self.val_starts, self.cfg.horizon)?;
        self.adam = Some(a);
        Ok(a)
    }

    /// Runs one ES iteration (maybe validation and checkpoint); `None` when done.
    pub fn step(&mut self) -> Result<Option<EsMetrics>, TrainError> {
        if self.is_done() {
            return Ok(None);
        }
        let k = self.next_iteration;
        let started = Instant::now();
        let cfg = &self.cfg;
        let n = cfg.functions_per_iteration;
        let offset = harness::derive_seed(cfg.seed, "es-train-stream", 0) >> 24;
        let first = offset + (k * n) as u64;
        let fns = self
            .prior
            .split_batch(Split::Train, cfg.dim, first..first + n as u64)?;
        let starts = uniform_starts(
            n,
            cfg.dim,
            harness::derive_seed(cfg.seed, "es-starts", k as u64),
        );
        let run_seed = harness::derive_seed(cfg.seed, "es-runs", k as u64);
        let rule_cfg = cfg.rule;
        let horizon = cfg.horizon;
        let loss = |theta: &[f64]| -> Result<f64, TrainError> {
            let m = VeloStyle::new(rule_of(&rule_cfg, theta)?);
            Ok(score(&m, &fns, &starts, horizon, run_seed, false)?.1)
        };
        let est = antithetic_gradient(
            &self.theta,
            cfg.sigma,
            cfg.pairs,
            harness::derive_seed(cfg.seed, "es-noise", k as u64),
            cfg.fitness,
            loss,
        )?;
        if !est.mean_loss.is_finite() || est.gradient.iter().any(|g| !g.is_finite()) {
            return Err(TrainError::NonFinite {
                what: "ES gradient estimate",
                update: k,
            });
        }
        let grad_norm = est.gradient.iter().map(|g| g * g).sum::<f64>().sqrt();
        // Adam on θ (minimising the meta-loss).
        self.adam_t += 1;
        let t = self.adam_t as f64;
        let (b1, b2) = (cfg.beta1, cfg.beta2);
        let bc1 = 1.0 - b1.powf(t);
        let bc2 = 1.0 - b2.powf(t);
        for (((th, m), v), g) in self
            .theta
            .iter_mut()
            .zip(&mut self.adam_m)
            .zip(&mut self.adam_v)
            .zip(&est.gradient)
        {
            *m = b1 * *m + (1.0 - b1) * g;
            *v = b2 * *v + (1.0 - b2) * g * g;
            *th -= cfg.lr * (*m / bc1) / ((*v / bc2).sqrt() + 1e-8);
        }
        let evals = 2 * cfg.pairs * n * cfg.horizon;
        let es_s = started.elapsed().as_secs_f64();
        self.next_iteration = k + 1;
        let last = self.is_done();
        let mut val = None;
        if (k + 1).is_multiple_of(self.cfg.validate_every) || last {
            let v = self.validate()?;
            val = Some(v);
            if v.ni > self.best_val_ni {
                self.best_val_ni = v.ni;
                self.save_best()?;
                tracing::info!(iteration = k, val_ni = v.ni, "new best");
            }
        }
        if (k + 1).is_multiple_of(self.cfg.checkpoint_every) || last {
            self.save_checkpoint()?;
        }
        let m = EsMetrics {
            iteration: k,
            train_loss: est.mean_loss,
            grad_norm,
            val,
            best_val_ni: self.best_val_ni,
            evals,
            evals_per_s: evals as f64 / es_s.max(1e-9),
            iteration_s: started.elapsed().as_secs_f64(),
        };
        crate::trainer::append_jsonl(&self.out.join("metrics.jsonl"), &m)?;
        tracing::debug!(?m, "iteration");
        Ok(Some(m))
    }

    /// Runs every remaining iteration.
    pub fn run(&mut self) -> Result<Vec<EsMetrics>, TrainError> {
        let mut all = Vec::new();
        while let Some(m) = self.step()? {
            all.push(m);
        }
        Ok(all)
    }

    fn save_best(&self) -> Result<(), TrainError> {
        let dir = self.out.join("best");
        fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        let json = self.rule()?.to_json()?;
        write_atomic(&dir.join(WEIGHTS_FILE), json.as_bytes())
    }

    /// Writes the checkpoint (θ, Adam's state, iteration, best NI) atomically.
    pub fn save_checkpoint(&self) -> Result<(), TrainError> {
        let dir = self.out.join("checkpoint");
        fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        let st = EsState {
            next_iteration: self.next_iteration,
            best_val_ni: self.best_val_ni,
            initial: self.initial,
            adam_t: self.adam_t,
            theta: bits(&self.theta),
            adam_m: bits(&self.adam_m),
            adam_v: bits(&self.adam_v),
        };
        let p = dir.join("state.json");
        let json = serde_json::to_string(&st).map_err(json_err(&p))?;
        write_atomic(&p, json.as_bytes())
    }
}
