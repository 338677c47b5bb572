//! Throughput of the prior: `cargo bench -p pop-prior` (short run:
//! `cargo bench -p pop-prior -- --warm-up-time 1 --measurement-time 3`).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pop_bench_fns::Objective;
use pop_prior::design::shifted_halton;
use pop_prior::linalg::{cholesky_with_jitter, cholesky_with_jitter_using};
use pop_prior::rng::rng_from_seed;
use pop_prior::{CholeskyBackend, JitterPolicy, Kernel, KernelKind, Prior, PriorConfig, RffGp};
use rayon::prelude::*;

fn gp_only() -> PriorConfig {
    PriorConfig {
        p_gp_only: 1.0,
        p_quadratic_only: 0.0,
        p_mixture: 0.0,
        ..PriorConfig::default()
    }
}

fn bench_sampling(c: &mut Criterion) {
    let mut g = c.benchmark_group("sample_2d");
    g.sample_size(20);
    // The ndarray-linalg/OpenBLAS path, for comparison (run with OPENBLAS_NUM_THREADS=1:
    // OpenBLAS's own threads inside rayon workers oversubscribe the cores).
    let lapack = PriorConfig {
        cholesky_backend: CholeskyBackend::Lapack,
        ..gp_only()
    };
    for (name, config) in [
        ("exact_gp_with_fstar", gp_only()),
        ("exact_gp_with_fstar_lapack", lapack),
        ("default_mix_with_fstar", PriorConfig::default()),
    ] {
        let Ok(prior) = Prior::new(config) else {
            return;
        };
        let mut seed = 0u64;
        g.throughput(Throughput::Elements(1));
        g.bench_function(format!("{name}/single_thread"), |b| {
            b.iter(|| {
                seed += 1;
                black_box(prior.sample(seed, 2).ok())
            })
        });
        let batch = 128u64;
        g.throughput(Throughput::Elements(batch));
        let mut start = 0u64;
        g.bench_function(format!("{name}/rayon_batch{batch}"), |b| {
            b.iter(|| {
                start += batch;
                let v: Vec<_> = (start..start + batch)
                    .into_par_iter()
                    .map(|s| prior.sample(s, 2).ok())
                    .collect();
                black_box(v)
            })
        });
    }
    g.finish();
}

fn bench_parts(c: &mut Criterion) {
    let mut g = c.benchmark_group("exact_gp_parts_256");
    let mut rng = rng_from_seed(1);
    let anchors = shifted_halton(256, 2, &mut rng);
    let Ok(kernel) = Kernel::isotropic(KernelKind::Matern52, 1.0, 0.3, 2) else {
        return;
    };
    g.bench_function("kernel_matrix", |b| {
        b.iter(|| black_box(kernel.matrix(anchors.view())))
    });
    let k = kernel.matrix(anchors.view());
    g.bench_function("cholesky_ndarray_linalg", |b| {
        b.iter(|| black_box(cholesky_with_jitter(k.view(), &JitterPolicy::default()).ok()))
    });
    g.bench_function("cholesky_faer", |b| {
        b.iter(|| {
            black_box(
                cholesky_with_jitter_using(
                    k.view(),
                    &JitterPolicy::default(),
                    CholeskyBackend::Faer,
                )
                .ok(),
            )
        })
    });
    g.finish();
}

fn bench_eval(c: &mut Criterion) {
    let mut g = c.benchmark_group("value_and_grad");
    for kind in [KernelKind::Rbf, KernelKind::Matern52] {
        let config = PriorConfig {
            kernel_weights: pop_prior::KernelWeights::only(kind),
            ..gp_only()
        };
        let Ok(f) = pop_prior::PriorSample::generate(3, 2, &config) else {
            return;
        };
        let x = [0.123, -0.456];
        let mut grad = [0.0; 2];
        g.bench_function(format!("exact_256_anchors_{}", kind.name()), |b| {
            b.iter(|| black_box(f.evaluate(black_box(&x), Some(&mut grad))))
        });
    }
    let Ok(kernel) = Kernel::isotropic(KernelKind::Matern52, 1.0, 0.5, 32) else {
        return;
    };
    let mut rng = rng_from_seed(2);
    let Ok(rff) = RffGp::sample(kernel.clone(), 512, &mut rng) else {
        return;
    };
    let x = vec![0.1; 32];
    let mut grad = vec![0.0; 32];
    g.bench_function("rff_512_features_d32", |b| {
        b.iter(|| black_box(rff.eval_add_grad(black_box(&x), 1.0, Some(&mut grad))))
    });
    g.finish();

    let mut g = c.benchmark_group("rff_d32");
    g.sample_size(10);
    let mut seed = 0;
    g.bench_function("rff_features_only", |b| {
        b.iter(|| {
            seed += 1;
            let mut rng = rng_from_seed(seed);
            black_box(RffGp::sample(kernel.clone(), 512, &mut rng).ok())
        })
    });
    let Ok(prior) = Prior::new(gp_only()) else {
        return;
    };
    g.bench_function("gp_sample_with_fstar", |b| {
        b.iter(|| {
            seed += 1;
            black_box(prior.sample(seed, 32).ok())
        })
    });
    g.finish();
}

criterion_group!(benches, bench_sampling, bench_parts, bench_eval);
criterion_main!(benches);
