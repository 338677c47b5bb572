//! Per-call overhead of every method (the optimizer's own work, objective excluded as far as a
//! cheap Sphere allows) in d = 2, 32 and 1024, and the cost of a whole BO run at 50/100/200 calls.
//!
//! `cargo bench -p pop-baselines --bench overhead`. Criterion reports time per run of `BUDGET`
//! calls and, through `Throughput::Elements`, calls per second.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pop_baselines::catalogue::MethodConfig;
use pop_bench_fns::{Objective, registry};
use pop_optim::harness::{RunOptions, run};

const BUDGET: usize = 100;

fn overhead(c: &mut Criterion) {
    for d in [2usize, 32, 1024] {
        let f = registry::build("sphere", Some(d)).expect("sphere");
        let x0: Vec<f64> = (0..d).map(|i| 4.0 - 8.0 * (i as f64 / d as f64)).collect();
        let mut group = c.benchmark_group(format!("per_call/d={d}"));
        group.throughput(Throughput::Elements(BUDGET as u64));
        for m in MethodConfig::all_defaults() {
            // BO and TPE are measured separately (their cost grows with the number of calls);
            // CMA-ES in 1024-D spends minutes in its O(d³) eigendecompositions per run.
            let skip = matches!(m, MethodConfig::BoGpEi(_))
                || (d > 32 && matches!(m, MethodConfig::Cmaes(_) | MethodConfig::Tpe(_)));
            if skip {
                continue;
            }
            group.bench_function(m.method().name(), |b| {
                b.iter(|| {
                    run(
                        &f,
                        m.method(),
                        black_box(&x0),
                        BUDGET,
                        1,
                        RunOptions::default(),
                    )
                    .map(|r| r.final_best())
                })
            });
        }
        group.finish();
        let _ = f.dim();
    }
}

fn model_based(c: &mut Criterion) {
    let f = registry::build("branin", None).expect("branin");
    let x0 = [2.5, 7.5];
    let mut group = c.benchmark_group("model_based_run/branin");
    group.sample_size(10);
    for budget in [50usize, 100, 200] {
        for kind in ["bo-gp-ei", "tpe"] {
            let m = MethodConfig::default_of(kind).expect("kind");
            group.bench_function(format!("{kind}/T={budget}"), |b| {
                b.iter(|| {
                    run(
                        &f,
                        m.method(),
                        black_box(&x0),
                        budget,
                        1,
                        RunOptions::default(),
                    )
                    .map(|r| r.final_best())
                })
            });
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(10);
    targets = overhead, model_based
}
criterion_main!(benches);
