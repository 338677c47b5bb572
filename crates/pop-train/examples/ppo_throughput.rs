//! Throughput of the PPO update (token passes per second: forward + backward over the stored
//! tokens, each epoch counted) for several settings, measured in one process on one rollout
//! batch and reported as ratios to the `quick` preset's setting.
//!
//! `cargo run --release -p pop-train --example ppo_throughput [-- REPS [FILTER]]`
//! (`--features flex` adds burn's Flex CPU backend to the comparison).
//!
//! Settings: the `quick` preset's 4 epochs × 4 minibatches on burn-ndarray autodiff (baseline),
//! larger minibatches (2 and 1 per epoch), a smaller model, the hand-written f32 engine
//! (`update_engine = "f32"`, on all threads and on one), and, with the feature, the Flex backend;
//! each at the rollout budget `T` of the quick preset (50) and at `T = 125` (the mean of the
//! standard preset's `[50, 200]`).

use std::time::Instant;

use burn::optim::AdamConfig;
use burn::optim::grad_clipping::GradientClippingConfig;
use burn::tensor::backend::Backend;
use pop_bench_fns::Objective;
use pop_model::{PolicyInit, export_fast};
use pop_prior::{Prior, Split};
/// burn-ndarray with autodiff (the trainer's default backend).
type TrainBackend = burn::backend::Autodiff<pop_model::CpuBackend>;
use pop_train::rollout::{ActionMode, Episode, Rollout, rollout, uniform_starts};
use pop_train::{TrainConfig, UpdateEngine, ppo};

/// One setting: a name, the config change (which may pick the f32 engine), and whether the burn
/// engine runs on Flex.
struct Setting {
    name: &'static str,
    edit: fn(&mut TrainConfig),
    flex: bool,
}

fn make_rollout(cfg: &TrainConfig, horizon: usize) -> Rollout {
    let prior = Prior::new(cfg.prior.clone()).expect("prior");
    let n = cfg.functions_per_update;
    let fns = prior
        .split_batch(Split::Train, cfg.dim, 0..n as u64)
        .expect("functions");
    let starts = uniform_starts(n, cfg.dim, 1);
    let episodes: Vec<Episode<'_>> = fns
        .iter()
        .zip(starts)
        .map(|(f, z0)| Episode {
            objective: f,
            z0,
            f_star: f.f_star().unwrap_or(f64::NEG_INFINITY),
        })
        .collect();
    let device = Default::default();
    TrainBackend::seed(&device, 1);
    let policy = cfg.policy.init::<TrainBackend>(&device).expect("policy");
    let fast = export_fast(&policy).expect("export");
    rollout(
        &fast,
        &episodes,
        horizon,
        ActionMode::Sample { seed: 2 },
        cfg.reward,
        0.0,
    )
    .expect("rollout")
}

/// Seconds per update and token passes per second of `cfg` on `ro`, median of `reps` updates
/// after one warm-up update.
fn measure<B: burn::tensor::backend::AutodiffBackend>(
    cfg: &TrainConfig,
    ro: &Rollout,
    reps: usize,
) -> (f64, f64) {
    let device = Default::default();
    B::seed(&device, 1);
    let mut policy = cfg.policy.init::<B>(&device).expect("policy");
    // As the trainer: Adam with per-tensor gradient clipping.
    let clip =
        (cfg.max_grad_norm > 0.0).then_some(GradientClippingConfig::Norm(cfg.max_grad_norm as f32));
    let mut optim = AdamConfig::new()
        .with_grad_clipping(clip)
        .init::<B, pop_model::Policy<B>>();
    let mut times = Vec::new();
    let mut passes = 0.0;
    for rep in 0..=reps {
        let t = Instant::now();
        let (p, stats) = match cfg.update_engine {
            UpdateEngine::Burn => {
                ppo::update_on::<B, _>(policy, &mut optim, ro, cfg, 100, rep as u64)
            }
            UpdateEngine::F32 => {
                ppo::update_f32::<B, _>(policy, &mut optim, ro, cfg, 100, rep as u64)
            }
        }
        .expect("update");
        let s = t.elapsed().as_secs_f64();
        policy = p;
        if rep > 0 {
            times.push(s);
            passes = ro.tokens() as f64 * stats.minibatch_steps as f64 / cfg.minibatches as f64;
        }
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    (median, passes / median)
}

fn main() {
    let reps: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(3);
    // Optional second argument: run only the settings whose name contains it (the baseline
    // always runs, so the ratios stay meaningful).
    let only = std::env::args().nth(2);
    let settings = [
        Setting {
            name: "quick: 4 epochs x 4 minibatches",
            edit: |_| {},
            flex: false,
        },
        Setting {
            name: "4 epochs x 2 minibatches",
            edit: |c| c.minibatches = 2,
            flex: false,
        },
        Setting {
            name: "4 epochs x 1 minibatch",
            edit: |c| c.minibatches = 1,
            flex: false,
        },
        Setting {
            name: "model d16/2 layers, 4 x 4",
            edit: |c| {
                c.policy = c.policy.clone().with_d_model(16).with_d_ff(64);
            },
            flex: false,
        },
        Setting {
            name: "f32 engine, 4 x 4",
            edit: |c| c.update_engine = UpdateEngine::F32,
            flex: false,
        },
        Setting {
            name: "f32 engine, 4 x 1",
            edit: |c| {
                c.update_engine = UpdateEngine::F32;
                c.minibatches = 1;
            },
            flex: false,
        },
        Setting {
            name: "f32 engine, 4 x 4, 1 thread",
            edit: |c| c.update_engine = UpdateEngine::F32,
            flex: false,
        },
        Setting {
            name: "flex backend, 4 x 4",
            edit: |_| {},
            flex: true,
        },
        Setting {
            name: "flex backend, 4 x 1",
            edit: |c| c.minibatches = 1,
            flex: true,
        },
    ];
    // The baseline: the first quick preset's PPO shape (64 episodes, 4 x 4, burn engine).
    let base = TrainConfig::preset("quick-v1").expect("quick-v1 preset");
    println!(
        "PPO update throughput (token passes/s = tokens x epochs run / update seconds), median of {reps}"
    );
    for horizon in [50, 125] {
        let ro = make_rollout(&base, horizon);
        println!(
            "\nT = {horizon}: {} episodes x {} coordinates x {} steps = {} tokens",
            ro.n,
            ro.d,
            ro.steps,
            ro.tokens()
        );
        let mut baseline = None;
        for (i, s) in settings.iter().enumerate() {
            if i > 0 && only.as_deref().is_some_and(|f| !s.name.contains(f)) {
                continue;
            }
            let mut cfg = base.clone();
            (s.edit)(&mut cfg);
            let (secs, rate) = if s.flex {
                #[cfg(feature = "flex")]
                {
                    measure::<burn::backend::Autodiff<pop_model::FlexBackend>>(&cfg, &ro, reps)
                }
                #[cfg(not(feature = "flex"))]
                {
                    println!("  {:<34} (needs --features flex)", s.name);
                    continue;
                }
            } else if s.name.ends_with("1 thread") {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(1)
                    .build()
                    .expect("pool");
                pool.install(|| measure::<TrainBackend>(&cfg, &ro, reps))
            } else {
                measure::<TrainBackend>(&cfg, &ro, reps)
            };
            let b = *baseline.get_or_insert(rate);
            println!(
                "  {:<34} {:>7.3} s/update {:>9.0} tok/s  x{:.2}",
                s.name,
                secs,
                rate,
                rate / b
            );
        }
    }
}
