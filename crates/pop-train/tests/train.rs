//! End-to-end tests: a smoke run writes its folder, resume equals a straight run, the trained
//! policy passes the optimizer conformance test and validates like the harness.

use std::path::{Path, PathBuf};

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::{Tensor, backend::Backend};
use pop_bench_fns::Objective;
use pop_model::{CpuBackend, Policy};
use pop_optim::Method;
use pop_optim::harness::{self, RunOptions};
use pop_optim::pop::PopMethod;
use pop_optim::pop::{ExtraFeature, FeatureConfig, StepRule, TimeEmbedding};
use pop_prior::{Prior, Split};
use pop_train::rollout::{ActionMode, Episode, rollout, uniform_starts};
use pop_train::{
    AdvantageKind, LrSchedule, RewardKind, TrainConfig, Trainer, UpdateEngine, UpdateMetrics,
    VALIDATION_START_SEED,
};

/// The tests of this file run one at a time: building or loading a policy initialises burn
/// parameters from burn's process-global RNG, so a concurrent test could draw from it between a
/// trainer's seeding and its initialisation and break the bit-identical resume check.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pop-train-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn metrics(dir: &Path) -> Vec<UpdateMetrics> {
    std::fs::read_to_string(dir.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Drops the timing fields, which are not reproducible.
fn untimed(mut m: Vec<UpdateMetrics>) -> Vec<UpdateMetrics> {
    for x in &mut m {
        x.env_steps_per_s = 0.0;
        x.update_s = 0.0;
        x.sample_s = 0.0;
        x.rollout_s = 0.0;
        x.ppo_s = 0.0;
        x.ppo_tokens_per_s = 0.0;
    }
    m
}

struct Collect(Vec<u32>);

impl<B: Backend> ModuleVisitor<B> for Collect {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        self.0
            .extend(param.val().into_data().iter::<f32>().map(f32::to_bits));
    }
}

fn param_bits(dir: &Path) -> Vec<u32> {
    let p = Policy::<CpuBackend>::load_dir(dir, &Default::default()).unwrap();
    let mut c = Collect(Vec::new());
    p.visit(&mut c);
    c.0
}

#[test]
fn smoke_run_writes_folder_and_policy_is_an_optimizer() {
    let _serial = serial();
    let cfg = TrainConfig::preset("smoke").unwrap();
    let dir = scratch("smoke");
    let t0 = std::time::Instant::now();
    let mut tr = Trainer::new(cfg.clone(), &dir).unwrap();
    let adam = tr.adam_baseline().unwrap();
    assert!(adam.default_ni.is_finite() && adam.tuned_ni.is_finite());
    let ms = tr.run().unwrap();
    eprintln!("smoke run: {:.2} s, {ms:?}", t0.elapsed().as_secs_f64());
    assert_eq!(ms.len(), cfg.updates);
    for f in [
        "config.json",
        "metrics.jsonl",
        "best/config.json",
        "best/weights.safetensors",
    ] {
        assert!(dir.join(f).is_file(), "{f}");
    }
    for f in ["policy/weights.mpk", "optimizer.mpk", "state.json"] {
        assert!(dir.join("checkpoint").join(f).is_file(), "{f}");
    }
    let lines = metrics(&dir);
    assert_eq!(lines.len(), cfg.updates);
    assert!(
        lines
            .iter()
            .all(|m| m.train_ni.is_finite() && m.losses.value_loss.is_finite())
    );
    let best = tr.best_val_ni().unwrap();

    // The trained policy as a Method: conformance, and the harness reproduces validation of
    // the best weights.
    let pop = PopMethod::load(&dir).unwrap();
    pop_optim::testing::conformance(&pop).unwrap();
    let prior = Prior::new(cfg.prior.clone()).unwrap();
    let fns = prior
        .split_batch(
            Split::Validation,
            cfg.dim,
            0..cfg.validation_functions as u64,
        )
        .unwrap();
    let starts = uniform_starts(fns.len(), cfg.dim, VALIDATION_START_SEED);
    let mut sum = 0.0;
    for (f, x0) in fns.iter().zip(&starts) {
        let rec = harness::run(
            f,
            &pop as &dyn Method,
            x0,
            cfg.horizon,
            1,
            RunOptions::default(),
        )
        .unwrap();
        sum += rec
            .normalized_improvement(f.f_star().unwrap())
            .unwrap_or(0.0);
    }
    let harness_ni = sum / fns.len() as f64;
    assert!(
        (harness_ni - best).abs() < 1e-9,
        "harness {harness_ni} vs validation {best}"
    );
    // The training loop (batched rollout, acting with the mean) and the harness (the loop every
    // evaluation uses) give the same episodes.
    let episodes: Vec<Episode<'_>> = fns
        .iter()
        .zip(&starts)
        .map(|(f, z0)| Episode {
            objective: f,
            z0: z0.clone(),
            f_star: f.f_star().unwrap(),
        })
        .collect();
    let ro = rollout(
        pop.policy(),
        &episodes,
        cfg.horizon,
        ActionMode::Mean,
        RewardKind::FinalNi,
        0.0,
    )
    .unwrap();
    let rollout_ni = ro.ni.iter().sum::<f64>() / ro.ni.len() as f64;
    assert!(
        (rollout_ni - harness_ni).abs() < 1e-12,
        "rollout {rollout_ni} vs harness {harness_ni}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn resume_equals_a_straight_run() {
    let _serial = serial();
    check_resume(TrainConfig::preset("smoke").unwrap(), "plain");
}

/// The `pop` design: RMS step, progress time, budgets drawn per update, anytime reward, group
/// baseline, KL early stop, σ floor, lr decay, the f32 update engine.
fn pop_design_smoke() -> TrainConfig {
    let mut cfg = TrainConfig::preset("smoke").unwrap();
    cfg.policy = cfg
        .policy
        .with_time_embedding(TimeEmbedding::Progress)
        .with_features(FeatureConfig {
            step: StepRule::Rms,
            extra: vec![ExtraFeature::RmsGrad],
            ..FeatureConfig::default()
        });
    cfg.horizon_max = Some(20);
    cfg.reward = RewardKind::AnytimeNi;
    cfg.group_size = 3;
    cfg.advantage = AdvantageKind::Group;
    cfg.lr_schedule = LrSchedule::Cosine;
    cfg.target_kl = Some(0.05);
    cfg.min_log_std = Some(-1.0);
    cfg.validation_horizon = Some(16);
    cfg.validation_multimodal = 3;
    cfg.update_engine = UpdateEngine::F32;
    cfg.validate().unwrap();
    cfg
}

#[test]
fn resume_equals_a_straight_run_with_the_pop_design() {
    let _serial = serial();
    check_resume(pop_design_smoke(), "pop-design");
}

fn check_resume(cfg: TrainConfig, tag: &str) {
    let k = 2;
    let mut cfg = cfg;
    cfg.updates = 2 * k;
    cfg.validate_every = k;
    cfg.checkpoint_every = k;
    let straight = scratch(&format!("straight-{tag}"));
    Trainer::new(cfg.clone(), &straight).unwrap().run().unwrap();

    let resumed = scratch(&format!("resumed-{tag}"));
    let mut half = cfg.clone();
    half.updates = k;
    Trainer::new(half, &resumed).unwrap().run().unwrap();
    let mut tr = Trainer::resume(&resumed, Some(cfg.clone())).unwrap();
    assert_eq!(tr.next_update(), k);
    tr.run().unwrap();

    assert_eq!(untimed(metrics(&straight)), untimed(metrics(&resumed)));
    // Parameter ids are random per fresh init, so the files differ in ids: compare values, bit
    // for bit. (Adam's state is keyed by those ids; its equality shows in the identical losses.)
    let a = param_bits(&straight.join("checkpoint/policy"));
    let b = param_bits(&resumed.join("checkpoint/policy"));
    assert!(!a.is_empty() && a == b, "checkpoint/policy differs");
    // The shipped form (safetensors) has no ids: the same run writes the same bytes.
    let w = |dir: &Path| std::fs::read(dir.join("best").join(pop_model::WEIGHTS_FILE)).unwrap();
    assert_eq!(w(&straight), w(&resumed), "best/ differs");
    // A second `new` in a folder with a checkpoint is refused.
    assert!(Trainer::new(cfg, &resumed).is_err());
    let _ = std::fs::remove_dir_all(&straight);
    let _ = std::fs::remove_dir_all(&resumed);
}

/// The rewards of an episode sum to the metric they stand for (final NI, or `1 −` anytime
/// regret), and the training rollout acting with the mean runs the same episode as the harness
/// running `PopMethod`, for the RMS step and the progress time embedding too.
#[test]
fn rewards_sum_to_their_metric_and_rollout_equals_harness_for_the_pop_design() {
    use pop_model::{PolicyInit, export_fast};
    let _serial = serial();
    let cfg = pop_design_smoke();
    let device = Default::default();
    <CpuBackend as Backend>::seed(&device, 3);
    let policy = cfg.policy.init::<CpuBackend>(&device).unwrap();
    let fast = export_fast(&policy).unwrap();
    let prior = Prior::new(cfg.prior.clone()).unwrap();
    let fns = prior.split_batch(Split::Validation, 2, 0..6).unwrap();
    let starts = uniform_starts(fns.len(), 2, 11);
    let episodes: Vec<Episode<'_>> = fns
        .iter()
        .zip(&starts)
        .map(|(f, z0)| Episode {
            objective: f,
            z0: z0.clone(),
            f_star: f.f_star().unwrap(),
        })
        .collect();
    let horizon = 17;
    for reward in [RewardKind::FinalNi, RewardKind::AnytimeNi] {
        let mode = ActionMode::Sample { seed: 5 };
        let ro = rollout(&fast, &episodes, horizon, mode, reward, 0.0).unwrap();
        for b in 0..ro.n {
            let sum: f64 = ro.rewards[b * ro.steps..(b + 1) * ro.steps]
                .iter()
                .map(|&r| f64::from(r))
                .sum();
            let want = match reward {
                RewardKind::FinalNi => ro.ni[b],
                RewardKind::AnytimeNi => ro.anytime_ni[b],
            };
            assert!((sum - want).abs() < 1e-5, "{reward:?} {b}: {sum} vs {want}");
        }
    }
    let ro = rollout(
        &fast,
        &episodes,
        horizon,
        ActionMode::Mean,
        RewardKind::AnytimeNi,
        0.0,
    )
    .unwrap();
    let pop = PopMethod::new("pop", fast.clone());
    for (b, (f, z0)) in fns.iter().zip(&starts).enumerate() {
        let rec = harness::run(
            f,
            &pop as &dyn Method,
            z0,
            horizon,
            1,
            RunOptions::default(),
        )
        .unwrap();
        let ni = rec
            .normalized_improvement(f.f_star().unwrap())
            .unwrap_or(0.0);
        assert!((ni - ro.ni[b]).abs() < 1e-12, "{b}: {ni} vs {}", ro.ni[b]);
    }
}
