//! Policy latency and training cost (default config: d_model 64, 4 layers, 4 heads, d_ff 256).
//!
//! * `burn_cached/<backend>/d<d>_h<h>`: one `Policy::step` after `h − 1` cached steps.
//! * `burn_uncached/<backend>/d<d>_h<h>`: `Policy::forward` over the whole `h`-step history
//!   (what a step costs without a cache).
//! * `fast/d<d>_h<h>` and `fast_seq/d<d>_h<h>`: one `FastPolicy::step` after `h − 1` cached
//!   steps, with rayon over coordinates (from 64 rows) and strictly sequential.
//! * `train_fwd_bwd/<backend>`: forward + backward of 256 functions × 2 coordinates × 50 steps.
//!
//! Run: `cargo bench -p pop-model --bench policy [--features flex] [-- FILTER]`.

use std::hint::black_box;
use std::time::Duration;

use burn::tensor::{Tensor, TensorData, backend::Backend};
use criterion::{Criterion, criterion_group, criterion_main};
use pop_model::{CpuBackend, N_FEATURES, Policy, PolicyConfig, PolicyInit, TrainBackend};

const DIMS: [usize; 3] = [2, 32, 1024];
const HISTORIES: [usize; 4] = [16, 64, 100, 256];

fn features(len: usize, seed: u64) -> Vec<f32> {
    let mut s = seed;
    (0..len)
        .map(|_| {
            s = s
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

fn policy<B: Backend>(device: &B::Device) -> Policy<B> {
    B::seed(device, 7);
    PolicyConfig::new()
        .init::<B>(device)
        .expect("default config")
}

fn bench_burn<B: Backend>(c: &mut Criterion, backend: &str, cases: &[(usize, usize)]) {
    let device = B::Device::default();
    let policy = policy::<B>(&device);
    let mut group = c.benchmark_group(format!("burn_cached/{backend}"));
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    for &(d, h) in cases {
        // Set up lazily: criterion only runs the closures of benchmarks that match the filter.
        let mut setup = None;
        group.bench_function(format!("d{d}_h{h}"), |b| {
            let (cache, token) = setup.get_or_insert_with(|| {
                let x = features(d * (h - 1) * N_FEATURES, 1);
                let prefix = Tensor::<B, 4>::from_data(
                    TensorData::new(x, [1, d, h - 1, N_FEATURES]),
                    &device,
                );
                let (_, cache) = policy.forward_with_cache(prefix).expect("prefill");
                let token = Tensor::<B, 3>::from_data(
                    TensorData::new(features(d * N_FEATURES, 2), [1, d, N_FEATURES]),
                    &device,
                );
                (cache, token)
            });
            b.iter(|| {
                let mut cache = cache.clone();
                let (mean, value) = policy.step(&mut cache, token.clone()).expect("step");
                black_box((mean.into_data(), value.into_data()))
            })
        });
    }
    group.finish();
    let mut group = c.benchmark_group(format!("burn_uncached/{backend}"));
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    for &(d, h) in cases {
        let x = features(d * h * N_FEATURES, 3);
        let full = Tensor::<B, 4>::from_data(TensorData::new(x, [1, d, h, N_FEATURES]), &device);
        group.bench_function(format!("d{d}_h{h}"), |b| {
            b.iter(|| {
                let out = policy.forward(full.clone()).expect("forward");
                black_box(out.mean.into_data())
            })
        });
    }
    group.finish();
}

fn all_cases() -> Vec<(usize, usize)> {
    DIMS.iter()
        .flat_map(|&d| HISTORIES.iter().map(move |&h| (d, h)))
        .collect()
}

fn burn_ndarray(c: &mut Criterion) {
    bench_burn::<CpuBackend>(c, "ndarray", &all_cases());
}

#[cfg(feature = "flex")]
fn burn_flex(c: &mut Criterion) {
    bench_burn::<pop_model::FlexBackend>(c, "flex", &all_cases());
}

#[cfg(not(feature = "flex"))]
fn burn_flex(_: &mut Criterion) {}

fn fast(c: &mut Criterion) {
    let device = Default::default();
    let policy = policy::<CpuBackend>(&device);
    let fast = pop_model::export_fast(&policy).expect("export");
    for (name, fast) in [
        ("fast", fast.clone()),
        ("fast_seq", fast.with_parallel_min_rows(usize::MAX)),
    ] {
        let mut group = c.benchmark_group(name);
        group
            .sample_size(20)
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(1));
        for (d, h) in all_cases() {
            if name == "fast_seq" && d == 2 {
                continue; // d = 2 is below the parallel threshold: same as `fast`.
            }
            let mut setup = None;
            let fast = &fast;
            group.bench_function(format!("d{d}_h{h}"), |b| {
                let (cache, mean, value, tok) = setup.get_or_insert_with(|| {
                    let mut cache = fast.new_cache_with_capacity(1, d, h).expect("cache");
                    let (mut mean, mut value) = (vec![0.0; d], vec![0.0; 1]);
                    for s in 0..h - 1 {
                        let tok = features(d * N_FEATURES, 10 + s as u64);
                        fast.step(&mut cache, &tok, &mut mean, &mut value)
                            .expect("fill");
                    }
                    (cache, mean, value, features(d * N_FEATURES, 5))
                });
                b.iter(|| {
                    cache.truncate(h - 1);
                    fast.step(cache, black_box(tok), mean, value).expect("step");
                    black_box(mean[0])
                })
            });
        }
        group.finish();
    }
}

fn train_step<B: burn::tensor::backend::AutodiffBackend>(c: &mut Criterion, backend: &str) {
    let device = B::Device::default();
    let policy = policy::<B>(&device);
    let (b, d, t) = (256, 2, 50);
    let x = features(b * d * t * N_FEATURES, 9);
    let x = Tensor::<B, 4>::from_data(TensorData::new(x, [b, d, t, N_FEATURES]), &device);
    let mut group = c.benchmark_group("train_fwd_bwd");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(5));
    group.bench_function(format!("{backend}/b256_d2_t50"), |bench| {
        bench.iter(|| {
            let out = policy.forward(x.clone()).expect("forward");
            let loss = out.mean.powf_scalar(2.0).mean() + out.value.mean() + out.log_std.mean();
            black_box(loss.backward())
        })
    });
    group.finish();
}

fn train(c: &mut Criterion) {
    train_step::<TrainBackend>(c, "ndarray");
    #[cfg(feature = "flex")]
    train_step::<burn::backend::Autodiff<pop_model::FlexBackend>>(c, "flex");
}

criterion_group!(benches, fast, burn_ndarray, burn_flex, train);
criterion_main!(benches);
