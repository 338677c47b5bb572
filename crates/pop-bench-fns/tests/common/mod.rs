//! Helpers shared by the table-driven tests: the (function, dimension) cases to check.
#![allow(dead_code)] // each test file uses a subset

use pop_bench_fns::{BenchFunction, DimRule, FunctionSpec, registry};

/// Every registered function, in its default dimension and, for scalable ones, a larger one.
pub fn cases() -> Vec<(&'static FunctionSpec, BenchFunction)> {
    let mut out = Vec::new();
    for &spec in registry::catalogue() {
        let mut dims = vec![spec.dims.default_dim()];
        match spec.dims {
            DimRule::Any { .. } => dims.push(5),
            DimRule::MultipleOf { step, .. } => dims.push(2 * step),
            DimRule::Fixed(_) => {}
        }
        for d in dims {
            let f = spec
                .build(d)
                .unwrap_or_else(|e| panic!("{} in d={d}: {e}", spec.name));
            out.push((spec, f));
        }
    }
    out
}

/// Absolute tolerance for comparisons against f*: relative 1e-9, absolute floor 1e-9.
pub fn fstar_tol(f_star: f64) -> f64 {
    1e-9 * f_star.abs().max(1.0)
}
