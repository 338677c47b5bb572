//! The first shipped policy (`data/pop-quick-v1`, the `quick-v1` preset) behaves bit-identically across changes of the runtime:
//! its config predates the step-rule and time-signal options, so it must load with their
//! defaults (the original scaled step, the learned time table) and produce the same runs.
//!
//! The fingerprints below were recorded with the runtime before those options existed (commit
//! 59d3233). Each is an FNV-1a hash of the bits of every value of a harness run (`T = 120`, so
//! that steps past the trained horizon of 50 are covered too).

use std::path::Path;

use pop_optim::harness::{RunOptions, run, start_points};
use pop_optim::pop::PopMethod;

/// (function, dimension, start index, FNV-1a of the value bits).
const GOLDEN: &[(&str, usize, usize, u64)] = &[
    ("branin", 2, 0, 0xaa16372077592e83),
    ("rastrigin", 2, 1, 0x42056e65888dd94d),
    ("rosenbrock", 4, 2, 0xe2f37e2a32da126e),
    ("ackley", 8, 3, 0xc383626f637a34d0),
];

const BUDGET: usize = 120;

fn fnv1a(values: &[Option<f64>]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for v in values {
        let bits = v.map_or(u64::MAX, f64::to_bits);
        for b in bits.to_le_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

#[test]
fn shipped_policy_runs_are_bit_identical() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/pop-quick-v1");
    let pop = PopMethod::load(&dir).expect("the shipped policy loads");
    let mut got = Vec::new();
    for &(name, d, start, _) in GOLDEN {
        let f = pop_bench_fns::registry::build(name, Some(d)).expect("function");
        let x0 = start_points(pop_bench_fns::Objective::bounds(&f), start + 1, 20_261_201)
            .pop()
            .expect("a start");
        let rec = run(&f, &pop, &x0, BUDGET, 5, RunOptions::default()).expect("run");
        got.push((name, d, start, fnv1a(&rec.values)));
    }
    let want: Vec<_> = GOLDEN.to_vec();
    assert_eq!(got, want, "the shipped policy's runs changed");
}
