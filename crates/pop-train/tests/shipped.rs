//! The shipped `quick` policy (data/pop-quick) loads and is a conforming optimizer.
//!
//! Its own test binary on purpose: loading a policy initialises burn parameters from burn's global
//! RNG, which would race with the bit-identical resume test in `train.rs` if both ran in one process.

use std::path::Path;

#[test]
fn shipped_quick_policy_loads_and_conforms() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/pop-quick");
    let pop = pop_optim::pop::PopMethod::load(&dir).expect("shipped policy loads");
    pop_optim::testing::conformance(&pop).expect("conformance");
}
