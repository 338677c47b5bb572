//! The PPO training loop on its run folder ([`crate::run_folder`]).
//!
//! Run folder layout:
//! * `config.json`: the [`TrainConfig`];
//! * `metrics.jsonl`: one [`UpdateMetrics`] line per update;
//! * `best/`: the shipped form (`config.json` + `weights.safetensors`, readable without burn by
//!   `pop_optim::pop::PopMethod::load`) of the best validation NI;
//! * `checkpoint/`: `policy/` (weights, parameter ids included), `optimizer.mpk` (Adam's state),
//!   `state.json` (next update index, best validation NI).
//!
//! Randomness: every random choice of update `k` comes from seeds derived from the master seed
//! and `k` (functions, starts, budget `T`, action noise, minibatch order), so the "RNG state" of
//! a checkpoint is its update index, and a resumed run repeats the straight run exactly.
//!
//! An update: `functions_per_update` training functions, one start each, `group_size` episodes
//! per (function, start) with budget `T` ([`TrainConfig::horizon_at`]); rewards
//! ([`crate::config::RewardKind`]), advantages and the PPO health controls are those of
//! [`crate::ppo`]. `metrics.jsonl` records per update the learning rate, `T`, the approximate
//! KL, the clip fraction, the log standard deviation and the critic's explained variance.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::module::AutodiffModule;
use burn::optim::grad_clipping::GradientClippingConfig;
use burn::optim::{AdamConfig, Optimizer};
use burn::record::{FullPrecisionSettings, NamedMpkBytesRecorder, Recorder};
use burn::tensor::backend::Backend;
use pop_bench_fns::Objective;
use pop_model::{Policy, PolicyInit, export_fast};
use pop_optim::pop::PopMethod;
use pop_prior::{Prior, Split};
use serde::{Deserialize, Serialize};

use crate::backend::TrainBackend;
use crate::config::TrainConfig;
use crate::error::{TrainError, io_err};
use crate::ppo::{self, LossStats, PolicyOptimizer};
use crate::rollout::{ActionMode, Episode, rollout, uniform_starts};
use crate::run_folder::{CONFIG_FILE, RunFolder, Seal, config_hash};
use crate::validation::{AdamBaseline, ValidationSet};

/// One line of `metrics.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpdateMetrics {
    /// Update index (0-based).
    pub update: usize,
    /// Learning rate used.
    pub lr: f64,
    /// Budget `T` of this update's episodes.
    #[serde(default)]
    pub horizon: usize,
    /// Mean NI at `T` of the rollout batch (stochastic policy).
    pub train_ni: f64,
    /// Mean anytime NI (`1 −` anytime regret) of the rollout batch.
    #[serde(default)]
    pub train_anytime_ni: f64,
    /// Mean validation NI (deterministic policy), when validated at this update.
    pub val_ni: Option<f64>,
    /// Mean NI on the multimodal-heavy validation subset, when configured and validated.
    #[serde(default)]
    pub val_ni_multimodal: Option<f64>,
    /// Best validation selection score so far: the mean validation NI, or its mean with the
    /// multimodal subset's NI when that subset is configured.
    pub best_val_ni: Option<f64>,
    /// Losses and PPO health (approximate KL, clip fraction, explained variance, early stop).
    pub losses: LossStats,
    /// Policy log-std after the update.
    pub log_std: f64,
    /// Token passes (forward + backward) per second of the PPO update (timing).
    #[serde(default)]
    pub ppo_tokens_per_s: f64,
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

/// A validation result.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Validation {
    /// Mean NI over the validation functions.
    pub ni: f64,
    /// Mean NI over the multimodal-heavy subset, when configured.
    pub ni_multimodal: Option<f64>,
}

impl Validation {
    /// The selection score: `ni`, or the mean of `ni` and `ni_multimodal`.
    pub fn score(&self) -> f64 {
        match self.ni_multimodal {
            Some(m) => 0.5 * (self.ni + m),
            None => self.ni,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct CheckpointState {
    next_update: usize,
    best_val_ni: Option<f64>,
    rng: String,
    /// What the checkpoint vouches for (absent in checkpoints written before seals existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    seal: Option<Seal>,
}

/// The checkpoint files the seal covers (relative to `checkpoint/`).
const SEALED: [&str; 3] = ["policy/config.json", "policy/weights.mpk", "optimizer.mpk"];

static INIT_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

type OptimRecorder = NamedMpkBytesRecorder<FullPrecisionSettings>;

/// A training run bound to its run folder.
pub struct Trainer {
    cfg: TrainConfig,
    folder: RunFolder,
    prior: Prior,
    policy: Policy<TrainBackend>,
    optim: PolicyOptimizer,
    next_update: usize,
    best_val_ni: Option<f64>,
    validation: ValidationSet,
    multimodal: Option<ValidationSet>,
    adam: Option<AdamBaseline>,
}

fn optimizer(cfg: &TrainConfig) -> PolicyOptimizer {
    let clip =
        (cfg.max_grad_norm > 0.0).then_some(GradientClippingConfig::Norm(cfg.max_grad_norm as f32));
    AdamConfig::new().with_grad_clipping(clip).init()
}

impl Trainer {
    /// Starts a fresh run in `out` (created; must not hold a checkpoint already).
    pub fn new(cfg: TrainConfig, out: impl Into<PathBuf>) -> Result<Self, TrainError> {
        cfg.validate()?;
        let folder = RunFolder::create(out, &cfg)?;
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
        Self::assemble(cfg, folder, policy, optim, 0, None)
    }

    /// Resumes the run in `out` from its checkpoint. With `cfg`, it must equal the saved config
    /// except for `updates` (which may grow or shrink).
    pub fn resume(out: impl Into<PathBuf>, cfg: Option<TrainConfig>) -> Result<Self, TrainError> {
        let folder = RunFolder::open(out)?;
        let saved: TrainConfig = folder.read_json(CONFIG_FILE)?;
        let cfg = match cfg {
            Some(c) => {
                let mut a = c.clone();
                a.updates = saved.updates;
                if a != saved {
                    return Err(TrainError::Resume {
                        path: folder.path().to_path_buf(),
                        reason: "the given config differs from config.json in more than `updates`"
                            .into(),
                    });
                }
                c
            }
            None => saved.clone(),
        };
        cfg.validate()?;
        let ck = folder.join("checkpoint");
        let state: CheckpointState = folder.read_json("checkpoint/state.json")?;
        // Verify before decoding anything: the config is the one trained with, the files are
        // the sealed ones, the counters agree with the metrics and the config.
        folder.check_seal(state.seal.as_ref(), &config_hash(&saved, "updates")?)?;
        if let Some(seal) = &state.seal
            && seal.metrics_lines != state.next_update
        {
            return Err(TrainError::RunFile {
                path: ck.join("state.json"),
                reason: format!(
                    "next_update {} disagrees with its seal ({} metrics lines)",
                    state.next_update, seal.metrics_lines
                ),
            });
        }
        if state.next_update > saved.updates {
            return Err(TrainError::RunFile {
                path: ck.join("state.json"),
                reason: format!(
                    "next_update {} is beyond the run's {} updates",
                    state.next_update, saved.updates
                ),
            });
        }
        let policy_cfg = pop_optim::pop::load_config(&ck.join("policy"))?;
        if policy_cfg != saved.policy {
            return Err(TrainError::Resume {
                path: folder.path().to_path_buf(),
                reason: "the checkpoint's policy (checkpoint/policy/config.json) is not the \
                         policy of config.json: it belongs to another run"
                    .into(),
            });
        }
        folder.check_metrics(state.next_update, |m: &UpdateMetrics| m.update)?;
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
        if cfg.updates != saved.updates {
            folder.write_json(CONFIG_FILE, &cfg)?;
        }
        tracing::info!(next_update = state.next_update, "resumed");
        Self::assemble(
            cfg,
            folder,
            policy,
            optim,
            state.next_update,
            state.best_val_ni,
        )
    }

    fn assemble(
        cfg: TrainConfig,
        folder: RunFolder,
        policy: Policy<TrainBackend>,
        optim: PolicyOptimizer,
        next_update: usize,
        best_val_ni: Option<f64>,
    ) -> Result<Self, TrainError> {
        let prior = Prior::new(cfg.prior.clone())?;
        let budget = cfg.validation_budget();
        let validation = ValidationSet::new(&prior, cfg.dim, cfg.validation_functions, budget)?;
        let multimodal = (cfg.validation_multimodal > 0)
            .then(|| ValidationSet::multimodal(&prior, cfg.dim, cfg.validation_multimodal, budget))
            .transpose()?;
        Ok(Self {
            cfg,
            folder,
            prior,
            policy,
            optim,
            next_update,
            best_val_ni,
            validation,
            multimodal,
            adam: None,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &TrainConfig {
        &self.cfg
    }

    /// The run folder.
    pub fn out_dir(&self) -> &Path {
        self.folder.path()
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

    /// Best validation selection score so far ([`Validation::score`]).
    pub fn best_val_ni(&self) -> Option<f64> {
        self.best_val_ni
    }

    /// Adam's validation NI at its default and tuned learning rates (computed on first call).
    pub fn adam_baseline(&mut self) -> Result<AdamBaseline, TrainError> {
        if let Some(a) = self.adam {
            return Ok(a);
        }
        let a = self.validation.adam_baseline()?;
        self.adam = Some(a);
        Ok(a)
    }

    /// Mean validation NI of the current policy acting with its mean, run through the harness
    /// as the trained optimizer (`PopMethod`) is (and on the multimodal subset, when configured).
    pub fn validate(&self) -> Result<Validation, TrainError> {
        let pop = PopMethod::new("pop", export_fast(&self.policy.valid())?);
        Ok(Validation {
            ni: self.validation.score(&pop)?.ni,
            ni_multimodal: self
                .multimodal
                .as_ref()
                .map(|m| m.score(&pop).map(|s| s.ni))
                .transpose()?,
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
        let seed = |tag: &str| pop_optim::seed::derive_seed(cfg.seed, tag, k as u64);
        // Function indices of the training stream: a seed-dependent offset plus k·n.
        let offset = pop_optim::seed::derive_seed(cfg.seed, "train-stream", 0) >> 24;
        let first = offset + (k * n) as u64;
        let fns = self
            .prior
            .split_batch(Split::Train, cfg.dim, first..first + n as u64)?;
        let sample_s = started.elapsed().as_secs_f64();
        let starts = uniform_starts(n, cfg.dim, seed("starts"));
        // `group_size` consecutive episodes per (function, start), differing in action noise.
        let episodes: Vec<Episode<'_>> = fns
            .iter()
            .zip(starts)
            .flat_map(|(f, z0)| {
                (0..cfg.group_size).map(move |_| Episode {
                    objective: f,
                    z0: z0.clone(),
                    f_star: f.f_star().unwrap_or(f64::NEG_INFINITY),
                })
            })
            .collect();
        let horizon = cfg.horizon_at(k);
        let fast = export_fast(&self.policy.valid())?;
        let t_roll = Instant::now();
        let ro = rollout(
            &fast,
            &episodes,
            horizon,
            ActionMode::Sample {
                seed: seed("actions"),
            },
            cfg.reward,
            cfg.log_regret_coef,
        )?;
        let roll_s = t_roll.elapsed().as_secs_f64();
        let episodes_n = ro.n.max(1) as f64;
        let train_ni = ro.ni.iter().sum::<f64>() / episodes_n;
        let train_anytime_ni = ro.anytime_ni.iter().sum::<f64>() / episodes_n;
        let lr = cfg.lr_at(k);
        let policy = self.policy.clone();
        let t_ppo = Instant::now();
        let (policy, losses) =
            ppo::update(policy, &mut self.optim, &ro, cfg, k, seed("minibatches"))?;
        let ppo_s = t_ppo.elapsed().as_secs_f64();
        let token_passes =
            ro.tokens() as f64 * losses.minibatch_steps as f64 / cfg.minibatches as f64;
        let env_steps = ro.n * horizon;
        self.policy = policy;
        self.next_update = k + 1;
        let last = self.is_done();
        let mut val = None;
        if (k + 1).is_multiple_of(self.cfg.validate_every) || last {
            let result = self.validate()?;
            val = Some(result);
            let v = result.score();
            if self.best_val_ni.is_none_or(|b| v > b) {
                self.best_val_ni = Some(v);
                let valid = self.policy.valid();
                self.folder
                    .replace_dir("best", |dir| Ok(valid.save_weights_dir(dir)?))?;
                tracing::info!(update = k, val_ni = v, "new best");
            }
        }
        let log_std = ppo_log_std(&self.policy);
        let m = UpdateMetrics {
            update: k,
            lr,
            horizon,
            train_ni,
            train_anytime_ni,
            val_ni: val.map(|v| v.ni),
            val_ni_multimodal: val.and_then(|v| v.ni_multimodal),
            best_val_ni: self.best_val_ni,
            losses,
            log_std,
            ppo_tokens_per_s: token_passes / ppo_s.max(1e-9),
            env_steps,
            env_steps_per_s: env_steps as f64 / roll_s.max(1e-9),
            update_s: started.elapsed().as_secs_f64(),
            sample_s,
            rollout_s: roll_s,
            ppo_s,
        };
        // The metrics line first, then the checkpoint that covers it (module documentation of
        // `run_folder`): a kill in between repeats the update on resume, it never loses a line.
        self.folder.append_metrics(&m)?;
        if (k + 1).is_multiple_of(self.cfg.checkpoint_every) || last {
            self.save_checkpoint()?;
        }
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

    /// Writes the full checkpoint (weights, Adam state, update index, best NI, seal)
    /// atomically. The same run writes the same bytes (parameter ids are numbered, the Adam
    /// state's map is written in key order).
    pub fn save_checkpoint(&self) -> Result<(), TrainError> {
        let mut state = CheckpointState {
            next_update: self.next_update,
            best_val_ni: self.best_val_ni,
            rng: "derived from (seed, update index); nothing else to store".into(),
            seal: None,
        };
        let policy = &self.policy;
        let optim = &self.optim;
        let hash = config_hash(&self.cfg, "updates")?;
        self.folder.replace_dir("checkpoint", |dir| {
            policy.save_dir(dir.join("policy"))?;
            let p = dir.join("optimizer.mpk");
            let bytes = encode_optimizer(optim).map_err(|reason| TrainError::RunFile {
                path: p.clone(),
                reason,
            })?;
            crate::run_folder::write_atomic(&p, &bytes)?;
            state.seal = Some(RunFolder::seal(dir, hash, state.next_update, &SEALED)?);
            let s = dir.join("state.json");
            let json =
                serde_json::to_string_pretty(&state).map_err(crate::run_folder::json_err(&s))?;
            crate::run_folder::write_atomic(&s, json.as_bytes())
        })
    }
}

/// burn's MessagePack record of Adam's state (the format `NamedMpkBytesRecorder` reads), with
/// the per-parameter map written in key order instead of hash order.
fn encode_optimizer(optim: &PolicyOptimizer) -> Result<Vec<u8>, String> {
    use burn::record::{BurnRecord, FullPrecisionSettings, Record};
    let item = optim.to_record().into_item::<FullPrecisionSettings>();
    let sorted: std::collections::BTreeMap<_, _> = item.into_iter().collect();
    let record = BurnRecord::<_, TrainBackend>::new::<OptimRecorder>(sorted);
    rmp_serde::encode::to_vec_named(&record).map_err(|e| format!("cannot encode: {e}"))
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
