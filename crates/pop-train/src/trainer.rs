//! The training loop, validation, and the run folder.
//!
//! Run folder layout:
//! * `config.json`: the [`TrainConfig`];
//! * `metrics.jsonl`: one [`UpdateMetrics`] line per update;
//! * `best/`: weights only (`Policy::save_dir`) of the best validation NI;
//! * `checkpoint/`: `policy/` (weights, parameter ids included), `optimizer.mpk` (Adam's state),
//!   `state.json` (next update index, best validation NI).
//!
//! Randomness: every random choice of update `k` comes from seeds derived from the master seed
//! and `k` (functions, starts, action noise, minibatch order), so the "RNG state" of a checkpoint
//! is its update index, and a resumed run repeats the straight run exactly.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::module::AutodiffModule;
use burn::optim::grad_clipping::GradientClippingConfig;
use burn::optim::{AdamConfig, Optimizer};
use burn::record::{FullPrecisionSettings, NamedMpkBytesRecorder, Recorder};
use burn::tensor::backend::Backend;
use pop_baselines::catalogue::MethodConfig;
use pop_baselines::harness::{self, RunOptions, Task};
use pop_bench_fns::Objective;
use pop_model::{FastPolicy, Policy};
use pop_prior::{Prior, PriorSample, Split};
use serde::{Deserialize, Serialize};

use crate::backend::TrainBackend;
use crate::config::TrainConfig;
use crate::error::{TrainError, io_err};
use crate::ppo::{self, LossStats, PolicyOptimizer};
use crate::rollout::{ActionMode, Episode, rollout, uniform_starts};

/// Seed of the validation start points: fixed, so that every run (and Adam) sees the same starts.
pub const VALIDATION_START_SEED: u64 = 0x05ee_d0f5_a11d;

/// One line of `metrics.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpdateMetrics {
    /// Update index (0-based).
    pub update: usize,
    /// Learning rate used.
    pub lr: f64,
    /// Mean NI at `T` of the rollout batch (stochastic policy).
    pub train_ni: f64,
    /// Mean validation NI (deterministic policy), when validated at this update.
    pub val_ni: Option<f64>,
    /// Best validation NI so far.
    pub best_val_ni: Option<f64>,
    /// Losses.
    pub losses: LossStats,
    /// Policy log-std after the update.
    pub log_std: f64,
    /// Oracle calls of the rollout.
    pub env_steps: usize,
    /// Oracle calls per second of the rollout (timing: not reproducible).
    pub env_steps_per_s: f64,
    /// Seconds of the whole update (timing: not reproducible).
    pub update_s: f64,
    /// Seconds spent sampling the batch of prior functions (timing).
    #[serde(default)]
    pub sample_s: f64,
    /// Seconds of the rollout: policy steps and objective calls (timing).
    #[serde(default)]
    pub rollout_s: f64,
    /// Seconds of the PPO update: forward/backward passes and Adam (timing).
    #[serde(default)]
    pub ppo_s: f64,
}

/// Adam's validation NI at its default and tuned learning rates (computed once).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AdamBaseline {
    /// Default learning rate.
    pub default_lr: f64,
    /// Mean NI at the default learning rate.
    pub default_ni: f64,
    /// Tuned learning rate (from `pop_baselines::tuning::shipped`).
    pub tuned_lr: f64,
    /// Mean NI at the tuned learning rate.
    pub tuned_ni: f64,
}

/// A validation result.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Validation {
    /// Mean NI over the validation functions.
    pub ni: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct CheckpointState {
    next_update: usize,
    best_val_ni: Option<f64>,
    rng: String,
}

static INIT_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

type OptimRecorder = NamedMpkBytesRecorder<FullPrecisionSettings>;

/// A training run bound to its run folder.
pub struct Trainer {
    cfg: TrainConfig,
    out: PathBuf,
    prior: Prior,
    policy: Policy<TrainBackend>,
    optim: PolicyOptimizer,
    next_update: usize,
    best_val_ni: Option<f64>,
    val_fns: Vec<PriorSample>,
    val_starts: Vec<Vec<f64>>,
    adam: Option<AdamBaseline>,
}

fn optimizer(cfg: &TrainConfig) -> PolicyOptimizer {
    let clip =
        (cfg.max_grad_norm > 0.0).then_some(GradientClippingConfig::Norm(cfg.max_grad_norm as f32));
    AdamConfig::new().with_grad_clipping(clip).init()
}

/// Creates a fresh run folder: refuses one that holds a checkpoint (it must be resumed), writes
/// `config.json` and an empty `metrics.jsonl`. Shared by the PPO and the ES trainers.
pub(crate) fn create_run_folder(out: &Path, cfg: &impl Serialize) -> Result<(), TrainError> {
    if out.join("checkpoint").exists() {
        return Err(TrainError::Resume {
            path: out.to_path_buf(),
            reason: "the folder already holds a checkpoint: resume it, or choose another folder"
                .into(),
        });
    }
    fs::create_dir_all(out).map_err(io_err(out))?;
    let cfg_path = out.join("config.json");
    let json = serde_json::to_string_pretty(cfg).map_err(json_err(&cfg_path))?;
    write_atomic(&cfg_path, json.as_bytes())?;
    write_atomic(&out.join("metrics.jsonl"), b"")
}

pub(crate) fn json_err(path: &Path) -> impl FnOnce(serde_json::Error) -> TrainError + '_ {
    move |e| TrainError::RunFile {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

/// Writes `bytes` to `path` through a temporary file and a rename.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), TrainError> {
    let tmp = path.with_extension("tmp");
    let mut f = fs::File::create(&tmp).map_err(io_err(&tmp))?;
    f.write_all(bytes).map_err(io_err(&tmp))?;
    f.sync_all().map_err(io_err(&tmp))?;
    fs::rename(&tmp, path).map_err(io_err(path))
}

/// Replaces folder `dst` by the folder `fill` writes, atomically as seen by readers of `dst`
/// (write `dst.tmp`, move the old one aside, rename, delete the old one).
fn replace_dir(
    dst: &Path,
    fill: impl FnOnce(&Path) -> Result<(), TrainError>,
) -> Result<(), TrainError> {
    let tmp = dst.with_extension("tmp");
    let old = dst.with_extension("old");
    for p in [&tmp, &old] {
        if p.exists() {
            fs::remove_dir_all(p).map_err(io_err(p))?;
        }
    }
    fs::create_dir_all(&tmp).map_err(io_err(&tmp))?;
    fill(&tmp)?;
    if dst.exists() {
        fs::rename(dst, &old).map_err(io_err(dst))?;
    }
    fs::rename(&tmp, dst).map_err(io_err(dst))?;
    if old.exists() {
        fs::remove_dir_all(&old).map_err(io_err(&old))?;
    }
    Ok(())
}

impl Trainer {
    /// Starts a fresh run in `out` (created; must not hold a checkpoint already).
    pub fn new(cfg: TrainConfig, out: impl Into<PathBuf>) -> Result<Self, TrainError> {
        cfg.validate()?;
        let out = out.into();
        create_run_folder(&out, &cfg)?;
        let device = Default::default();
        // burn's backend RNG is global: seed and initialise under a lock, so that concurrent
        // trainers in one process (tests) cannot interleave and change each other's weights.
        let policy = {
            let _guard = INIT_LOCK
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            TrainBackend::seed(&device, cfg.seed);
            cfg.policy.init::<TrainBackend>(&device)?
        };
        let optim = optimizer(&cfg);
        Self::assemble(cfg, out, policy, optim, 0, None)
    }

    /// Resumes the run in `out` from its checkpoint. With `cfg`, it must equal the saved config
    /// except for `updates` (which may grow or shrink).
    pub fn resume(out: impl Into<PathBuf>, cfg: Option<TrainConfig>) -> Result<Self, TrainError> {
        let out = out.into();
        let cfg_path = out.join("config.json");
        let text = fs::read_to_string(&cfg_path).map_err(io_err(&cfg_path))?;
        let saved: TrainConfig = serde_json::from_str(&text).map_err(json_err(&cfg_path))?;
        let cfg = match cfg {
            Some(c) => {
                let mut a = c.clone();
                a.updates = saved.updates;
                if a != saved {
                    return Err(TrainError::Resume {
                        path: out,
                        reason: "the given config differs from config.json in more than `updates`"
                            .into(),
                    });
                }
                c
            }
            None => saved.clone(),
        };
        cfg.validate()?;
        let ck = out.join("checkpoint");
        let state_path = ck.join("state.json");
        let text = fs::read_to_string(&state_path).map_err(io_err(&state_path))?;
        let state: CheckpointState = serde_json::from_str(&text).map_err(json_err(&state_path))?;
        let device = Default::default();
        let policy = Policy::<TrainBackend>::load_dir(ck.join("policy"), &device)?;
        let opt_path = ck.join("optimizer.mpk");
        let bytes = fs::read(&opt_path).map_err(io_err(&opt_path))?;
        let record = Recorder::<TrainBackend>::load::<
            <PolicyOptimizer as Optimizer<Policy<TrainBackend>, TrainBackend>>::Record,
        >(&OptimRecorder::new(), bytes, &device)
        .map_err(|e| TrainError::RunFile {
            path: opt_path.clone(),
            reason: e.to_string(),
        })?;
        let optim = optimizer(&cfg).load_record(record);
        // Keep the metrics of the updates the checkpoint covers; drop later lines.
        let metrics = out.join("metrics.jsonl");
        let kept: String = fs::read_to_string(&metrics)
            .unwrap_or_default()
            .lines()
            .filter(|l| {
                serde_json::from_str::<UpdateMetrics>(l).is_ok_and(|m| m.update < state.next_update)
            })
            .map(|l| format!("{l}\n"))
            .collect();
        write_atomic(&metrics, kept.as_bytes())?;
        if cfg.updates != saved.updates {
            let json = serde_json::to_string_pretty(&cfg).map_err(json_err(&cfg_path))?;
            write_atomic(&cfg_path, json.as_bytes())?;
        }
        tracing::info!(next_update = state.next_update, "resumed");
        Self::assemble(
            cfg,
            out,
            policy,
            optim,
            state.next_update,
            state.best_val_ni,
        )
    }

    fn assemble(
        cfg: TrainConfig,
        out: PathBuf,
        policy: Policy<TrainBackend>,
        optim: PolicyOptimizer,
        next_update: usize,
        best_val_ni: Option<f64>,
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
            policy,
            optim,
            next_update,
            best_val_ni,
            val_fns,
            val_starts,
            adam: None,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &TrainConfig {
        &self.cfg
    }

    /// The run folder.
    pub fn out_dir(&self) -> &Path {
        &self.out
    }

    /// Index of the next update (= updates done).
    pub fn next_update(&self) -> usize {
        self.next_update
    }

    /// Whether every configured update is done.
    pub fn is_done(&self) -> bool {
        self.next_update >= self.cfg.updates
    }

    /// The current policy.
    pub fn policy(&self) -> &Policy<TrainBackend> {
        &self.policy
    }

    /// Best validation NI so far.
    pub fn best_val_ni(&self) -> Option<f64> {
        self.best_val_ni
    }

    /// Adam's validation NI at its default and tuned learning rates (computed on first call).
    pub fn adam_baseline(&mut self) -> Result<AdamBaseline, TrainError> {
        if let Some(a) = self.adam {
            return Ok(a);
        }
        let a = adam_baseline(&self.val_fns, &self.val_starts, self.cfg.horizon)?;
        self.adam = Some(a);
        Ok(a)
    }

    /// Mean validation NI of the current policy acting with its mean.
    pub fn validate(&self) -> Result<Validation, TrainError> {
        let fast = FastPolicy::from_policy(&self.policy.valid())?;
        let episodes: Vec<Episode<'_>> = self
            .val_fns
            .iter()
            .zip(&self.val_starts)
            .map(|(f, z0)| Episode {
                objective: f,
                z0: z0.clone(),
                f_star: f.f_star().unwrap_or(f64::NEG_INFINITY),
            })
            .collect();
        let ro = rollout(
            &fast,
            &self.cfg.features,
            &episodes,
            self.cfg.horizon,
            ActionMode::Mean,
            0.0,
        )?;
        Ok(Validation {
            ni: ro.ni.iter().sum::<f64>() / ro.ni.len() as f64,
        })
    }

    /// Runs one update (rollout, PPO, maybe validation and checkpoint); `None` when done.
    pub fn step(&mut self) -> Result<Option<UpdateMetrics>, TrainError> {
        if self.is_done() {
            return Ok(None);
        }
        let k = self.next_update;
        let cfg = &self.cfg;
        let started = Instant::now();
        let n = cfg.functions_per_update;
        let seed = |tag: &str| harness::derive_seed(cfg.seed, tag, k as u64);
        // Function indices of the training stream: a seed-dependent offset plus k·n.
        let offset = harness::derive_seed(cfg.seed, "train-stream", 0) >> 24;
        let first = offset + (k * n) as u64;
        let fns = self
            .prior
            .split_batch(Split::Train, cfg.dim, first..first + n as u64)?;
        let sample_s = started.elapsed().as_secs_f64();
        let starts = uniform_starts(n, cfg.dim, seed("starts"));
        let episodes: Vec<Episode<'_>> = fns
            .iter()
            .zip(starts)
            .map(|(f, z0)| Episode {
                objective: f,
                z0,
                f_star: f.f_star().unwrap_or(f64::NEG_INFINITY),
            })
            .collect();
        let fast = FastPolicy::from_policy(&self.policy.valid())?;
        let t_roll = Instant::now();
        let ro = rollout(
            &fast,
            &cfg.features,
            &episodes,
            cfg.horizon,
            ActionMode::Sample {
                seed: seed("actions"),
            },
            cfg.log_regret_coef,
        )?;
        let roll_s = t_roll.elapsed().as_secs_f64();
        let train_ni = ro.ni.iter().sum::<f64>() / n as f64;
        let lr = cfg.lr_at(k);
        let policy = self.policy.clone();
        let t_ppo = Instant::now();
        let (policy, losses) =
            ppo::update(policy, &mut self.optim, &ro, cfg, k, seed("minibatches"))?;
        let ppo_s = t_ppo.elapsed().as_secs_f64();
        self.policy = policy;
        self.next_update = k + 1;
        let last = self.is_done();
        let mut val_ni = None;
        if (k + 1).is_multiple_of(self.cfg.validate_every) || last {
            let v = self.validate()?.ni;
            val_ni = Some(v);
            if self.best_val_ni.is_none_or(|b| v > b) {
                self.best_val_ni = Some(v);
                let valid = self.policy.valid();
                replace_dir(&self.out.join("best"), |dir| Ok(valid.save_dir(dir)?))?;
                tracing::info!(update = k, val_ni = v, "new best");
            }
        }
        if (k + 1).is_multiple_of(self.cfg.checkpoint_every) || last {
            self.save_checkpoint()?;
        }
        let log_std = ppo_log_std(&self.policy);
        let m = UpdateMetrics {
            update: k,
            lr,
            train_ni,
            val_ni,
            best_val_ni: self.best_val_ni,
            losses,
            log_std,
            env_steps: n * self.cfg.horizon,
            env_steps_per_s: (n * self.cfg.horizon) as f64 / roll_s.max(1e-9),
            update_s: started.elapsed().as_secs_f64(),
            sample_s,
            rollout_s: roll_s,
            ppo_s,
        };
        append_jsonl(&self.out.join("metrics.jsonl"), &m)?;
        tracing::debug!(?m, "update");
        Ok(Some(m))
    }

    /// Runs every remaining update.
    pub fn run(&mut self) -> Result<Vec<UpdateMetrics>, TrainError> {
        let mut all = Vec::new();
        while let Some(m) = self.step()? {
            all.push(m);
        }
        Ok(all)
    }

    /// Writes the full checkpoint (weights, Adam state, update index, best NI) atomically.
    pub fn save_checkpoint(&self) -> Result<(), TrainError> {
        let state = CheckpointState {
            next_update: self.next_update,
            best_val_ni: self.best_val_ni,
            rng: "derived from (seed, update index); nothing else to store".into(),
        };
        let policy = &self.policy;
        let optim = &self.optim;
        replace_dir(&self.out.join("checkpoint"), |dir| {
            policy.save_dir(dir.join("policy"))?;
            let p = dir.join("optimizer.mpk");
            let bytes =
                Recorder::<TrainBackend>::record(&OptimRecorder::new(), optim.to_record(), ())
                    .map_err(|e| TrainError::RunFile {
                        path: p.clone(),
                        reason: e.to_string(),
                    })?;
            write_atomic(&p, &bytes)?;
            let s = dir.join("state.json");
            let json = serde_json::to_string_pretty(&state).map_err(json_err(&s))?;
            write_atomic(&s, json.as_bytes())
        })
    }
}

fn ppo_log_std(policy: &Policy<TrainBackend>) -> f64 {
    policy
        .log_std
        .val()
        .inner()
        .into_data()
        .iter::<f32>()
        .next()
        .map_or(f64::NAN, f64::from)
}

/// Appends one JSON line to `path` (the `metrics.jsonl` of a run folder).
pub(crate) fn append_jsonl(path: &Path, value: &impl Serialize) -> Result<(), TrainError> {
    let line = serde_json::to_string(value).map_err(json_err(path))?;
    let mut f = fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map_err(io_err(path))?;
    writeln!(f, "{line}").map_err(io_err(path))
}

/// Adam's mean NI on validation functions `fns` from `starts` (one each) at `horizon` calls, at its
/// default and its tuned learning rate (`data/tuned-hyperparameters.json`). Shared by the PPO and
/// the ES trainers, so that both logs compare with the same numbers.
pub(crate) fn adam_baseline(
    fns: &[PriorSample],
    starts: &[Vec<f64>],
    horizon: usize,
) -> Result<AdamBaseline, TrainError> {
    let tuning = pop_baselines::tuning::shipped()?;
    let adam = tuning
        .methods
        .iter()
        .find(|m| matches!(m.default, MethodConfig::Adam(_)))
        .ok_or_else(|| TrainError::RunFile {
            path: "data/tuned-hyperparameters.json".into(),
            reason: "no Adam entry in the shipped tuning result".into(),
        })?;
    let score = |mc: &MethodConfig| -> Result<f64, TrainError> {
        let tasks: Vec<Task<'_>> = fns
            .iter()
            .zip(starts)
            .enumerate()
            .map(|(i, (f, x0))| Task {
                objective: f as &dyn Objective,
                method: mc.method(),
                x0: x0.clone(),
                budget: horizon,
                seed: harness::derive_seed(VALIDATION_START_SEED, "adam", i as u64),
            })
            .collect();
        let mut sum = 0.0;
        for (r, f) in harness::run_all(&tasks, RunOptions::default())
            .into_iter()
            .zip(fns)
        {
            let fs = f.f_star().unwrap_or(f64::NEG_INFINITY);
            sum += r?.normalized_improvement(fs).unwrap_or(0.0);
        }
        Ok(sum / fns.len().max(1) as f64)
    };
    let a = AdamBaseline {
        default_lr: adam.default.learning_rate().unwrap_or(f64::NAN),
        default_ni: score(&adam.default)?,
        tuned_lr: adam.tuned.learning_rate().unwrap_or(f64::NAN),
        tuned_ni: score(&adam.tuned)?,
    };
    tracing::info!(?a, "Adam validation baseline");
    Ok(a)
}
