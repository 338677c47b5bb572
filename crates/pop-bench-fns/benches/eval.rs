//! Cost of one value-and-gradient call per function, in d = 2 (default dimension for fixed-d
//! functions) and d = 32 for the scalable ones. `cargo bench -p pop-bench-fns`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use pop_bench_fns::{Objective, registry};

fn bench(c: &mut Criterion) {
    for dim_kind in ["default", "32"] {
        let mut group = c.benchmark_group(format!("value_and_gradient/d={dim_kind}"));
        for &spec in registry::catalogue() {
            let d = match dim_kind {
                "default" => spec.dims.default_dim(),
                _ if spec.dims.is_scalable() => 32,
                _ => continue,
            };
            let Ok(f) = spec.build(d) else { continue };
            // A fixed interior point: 37% of the way across the box in every coordinate.
            let x: Vec<f64> = f
                .bounds()
                .lower()
                .iter()
                .zip(f.bounds().upper())
                .map(|(l, u)| l + 0.37 * (u - l))
                .collect();
            let mut g = vec![0.0; d];
            group.bench_function(spec.name, |b| {
                b.iter(|| f.evaluate(black_box(&x), Some(black_box(&mut g))))
            });
        }
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(300))
        .measurement_time(std::time::Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
