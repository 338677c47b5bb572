//! [`EsTrainer`]: an ES meta-training run on its run folder.

use std::path::{Path, PathBuf};
use std::time::Instant;

use pop_optim::learned::velo::{VeloRule, VeloStyle, WEIGHTS_FILE};
use pop_prior::{Prior, Split};
use serde::{Deserialize, Serialize};

use super::config::EsConfig;
use super::estimator::{antithetic_gradient, rule_of};
use crate::error::TrainError;
use crate::rollout::uniform_starts;
use crate::run_folder::{RunFolder, Seal, config_hash};
use crate::validation::{AdamBaseline, ValidationSet, score};

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
    /// What the checkpoint vouches for; its one file hash `state` is the SHA-256 of this state
    /// written without the seal. Absent in checkpoints written before seals existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    seal: Option<Seal>,
}

impl EsState {
    /// SHA-256 of the state's JSON without its seal.
    fn body_hash(&self) -> Result<String, TrainError> {
        let body = EsState {
            seal: None,
            ..self.clone()
        };
        let json = serde_json::to_string(&body).map_err(|e| TrainError::RunFile {
            path: PathBuf::from("checkpoint/state.json"),
            reason: format!("cannot encode: {e}"),
        })?;
        Ok(pop_optim::fsutil::sha256_hex(json.as_bytes()))
    }
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
    folder: RunFolder,
    prior: Prior,
    theta: Vec<f64>,
    adam_m: Vec<f64>,
    adam_v: Vec<f64>,
    adam_t: u64,
    next_iteration: usize,
    best_val_ni: f64,
    initial: EsValidation,
    validation: ValidationSet,
    adam: Option<AdamBaseline>,
}

impl EsTrainer {
    /// Starts a fresh run in `out` (created; must not hold a checkpoint already). Validates the
    /// initial rule and saves it as the first `best/`.
    pub fn new(cfg: EsConfig, out: impl Into<PathBuf>) -> Result<Self, TrainError> {
        cfg.validate()?;
        let folder = RunFolder::create(out, &cfg)?;
        let rule = VeloRule::initial(
            cfg.rule,
            pop_optim::seed::derive_seed(cfg.seed, "es-init", 0),
            cfg.init_scale,
        )?;
        let theta: Vec<f64> = rule.params().iter().map(|&p| f64::from(p)).collect();
        let n = theta.len();
        let placeholder = EsValidation { ni: 0.0, loss: 1.0 };
        let mut t = Self::assemble(
            cfg,
            folder,
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
        let folder = RunFolder::open(out)?;
        let saved: EsConfig = folder.read_json(crate::run_folder::CONFIG_FILE)?;
        let cfg = match cfg {
            Some(c) => {
                let mut a = c.clone();
                a.iterations = saved.iterations;
                if a != saved {
                    return Err(TrainError::Resume {
                        path: folder.path().to_path_buf(),
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
        let state_path = folder.join("checkpoint").join("state.json");
        let st: EsState = folder.read_json("checkpoint/state.json")?;
        // The config part of the seal here; the state's own hash below.
        let config_only = st.seal.as_ref().map(|s| Seal {
            files: Default::default(),
            ..s.clone()
        });
        folder.check_seal(config_only.as_ref(), &config_hash(&saved, "iterations")?)?;
        if let Some(seal) = &st.seal {
            let body = st.body_hash()?;
            if seal.files.get("state") != Some(&body) || seal.metrics_lines != st.next_iteration {
                return Err(TrainError::RunFile {
                    path: state_path,
                    reason: "the state does not match its seal: the file is damaged or was \
                             edited"
                        .into(),
                });
            }
        }
        if st.next_iteration > saved.iterations {
            return Err(TrainError::RunFile {
                path: state_path,
                reason: format!(
                    "next_iteration {} is beyond the run's {} iterations",
                    st.next_iteration, saved.iterations
                ),
            });
        }
        let n = cfg.rule.n_params();
        if st.theta.len() != n || st.adam_m.len() != n || st.adam_v.len() != n {
            return Err(TrainError::RunFile {
                path: state_path,
                reason: format!("parameter vectors must have length {n}"),
            });
        }
        folder.check_metrics(st.next_iteration, |m: &EsMetrics| m.iteration)?;
        if cfg.iterations != saved.iterations {
            folder.write_json(crate::run_folder::CONFIG_FILE, &cfg)?;
        }
        tracing::info!(next_iteration = st.next_iteration, "resumed");
        Self::assemble(
            cfg,
            folder,
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
        folder: RunFolder,
        theta: Vec<f64>,
        adam_m: Vec<f64>,
        adam_v: Vec<f64>,
        adam_t: u64,
        next_iteration: usize,
        best_val_ni: f64,
        initial: EsValidation,
    ) -> Result<Self, TrainError> {
        let prior = Prior::new(cfg.prior.clone())?;
        let validation =
            ValidationSet::new(&prior, cfg.dim, cfg.validation_functions, cfg.horizon)?;
        Ok(Self {
            cfg,
            folder,
            prior,
            theta,
            adam_m,
            adam_v,
            adam_t,
            next_iteration,
            best_val_ni,
            initial,
            validation,
            adam: None,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &EsConfig {
        &self.cfg
    }

    /// The run folder.
    pub fn out_dir(&self) -> &Path {
        self.folder.path()
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
        let s = self.validation.score(&VeloStyle::new(self.rule()?))?;
        Ok(EsValidation {
            ni: s.ni,
            loss: s.anytime_regret,
        })
    }

    /// Adam's validation NI at its default and tuned learning rates (computed on first call; the
    /// same functions, starts and seeds as the POP trainer's baseline).
    pub fn adam_baseline(&mut self) -> Result<AdamBaseline, TrainError> {
        if let Some(a) = self.adam {
            return Ok(a);
        }
        let a = self.validation.adam_baseline()?;
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
        let offset = pop_optim::seed::derive_seed(cfg.seed, "es-train-stream", 0) >> 24;
        let first = offset + (k * n) as u64;
        let fns = self
            .prior
            .split_batch(Split::Train, cfg.dim, first..first + n as u64)?;
        let starts = uniform_starts(
            n,
            cfg.dim,
            pop_optim::seed::derive_seed(cfg.seed, "es-starts", k as u64),
        );
        let run_seed = pop_optim::seed::derive_seed(cfg.seed, "es-runs", k as u64);
        let rule_cfg = cfg.rule;
        let horizon = cfg.horizon;
        let loss = |theta: &[f64]| -> Result<f64, TrainError> {
            let m = VeloStyle::new(rule_of(&rule_cfg, theta)?);
            Ok(score(&m, &fns, &starts, horizon, run_seed, "run", false)?.anytime_regret)
        };
        let est = antithetic_gradient(
            &self.theta,
            cfg.sigma,
            cfg.pairs,
            pop_optim::seed::derive_seed(cfg.seed, "es-noise", k as u64),
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
        // The metrics line first, then the checkpoint that covers it (see `run_folder`).
        self.folder.append_metrics(&m)?;
        if (k + 1).is_multiple_of(self.cfg.checkpoint_every) || last {
            self.save_checkpoint()?;
        }
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
        let json = self.rule()?.to_json()?;
        self.folder.replace_dir("best", |dir| {
            crate::run_folder::write_atomic(&dir.join(WEIGHTS_FILE), json.as_bytes())
        })
    }

    /// Writes the checkpoint (θ, Adam's state, iteration, best NI) atomically.
    pub fn save_checkpoint(&self) -> Result<(), TrainError> {
        let dir = self.folder.join("checkpoint");
        std::fs::create_dir_all(&dir).map_err(crate::error::io_err(&dir))?;
        let mut st = EsState {
            next_iteration: self.next_iteration,
            best_val_ni: self.best_val_ni,
            initial: self.initial,
            adam_t: self.adam_t,
            theta: bits(&self.theta),
            adam_m: bits(&self.adam_m),
            adam_v: bits(&self.adam_v),
            seal: None,
        };
        st.seal = Some(Seal {
            config_sha256: config_hash(&self.cfg, "iterations")?,
            metrics_lines: self.next_iteration,
            files: [("state".to_string(), st.body_hash()?)].into(),
        });
        let p = dir.join("state.json");
        let json = serde_json::to_string(&st).map_err(crate::run_folder::json_err(&p))?;
        crate::run_folder::write_atomic(&p, json.as_bytes())
    }
}
