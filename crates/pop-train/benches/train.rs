//! PPO meta-training throughput on CPU with the `quick` preset's model and batch: environment
//! steps per second and updates per second, and the share of an update spent sampling prior
//! functions, in the rollout (policy steps + objective calls) and in the PPO update.
//!
//! `cargo bench -p pop-train --bench train` (or `cargo xtask bench -p pop-train`).

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pop_train::{TrainConfig, Trainer};

fn update(c: &mut Criterion) {
    let mut cfg = TrainConfig::preset("quick").expect("quick preset");
    cfg.updates = 1_000_000;
    cfg.validate_every = 1_000_000;
    cfg.checkpoint_every = 1_000_000;
    let dir = std::env::temp_dir().join(format!("pop-train-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut trainer = Trainer::new(cfg.clone(), &dir).expect("trainer");
    let (mut sample, mut rollout, mut ppo, mut total) = (0.0, 0.0, 0.0, 0.0);
    let mut group = c.benchmark_group("ppo_update_quick");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(3));
    group.measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Elements(
        (cfg.functions_per_update * cfg.horizon) as u64,
    ));
    group.bench_function("env_steps", |b| {
        b.iter_custom(|iters| {
            let t = Instant::now();
            for _ in 0..iters {
                let m = trainer.step().expect("step").expect("not done");
                sample += m.sample_s;
                rollout += m.rollout_s;
                ppo += m.ppo_s;
                total += m.update_s;
            }
            t.elapsed()
        });
    });
    group.finish();
    let other = total - sample - rollout - ppo;
    eprintln!(
        "share of an update (quick preset, {} functions × {} steps): sampling {:.1} %, rollout {:.1} %, PPO update {:.1} %, other {:.1} %; {:.2} s per update",
        cfg.functions_per_update,
        cfg.horizon,
        100.0 * sample / total,
        100.0 * rollout / total,
        100.0 * ppo / total,
        100.0 * other / total,
        total / trainer.next_update() as f64,
    );
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, update);
criterion_main!(benches);
