//! Converts a checkpoint-form policy folder (`config.json` + burn's `weights.mpk`) into the
//! shipped form (`config.json` + `weights.safetensors`, read without burn), and checks that the
//! two give bit-identical weights.
//!
//! ```sh
//! cargo run --release -p pop-model --example export_weights -- <mpk folder> <out folder>
//! ```

use anyhow::{Context, Result, bail};
use pop_model::{CpuBackend, FastPolicy, Policy, export_fast};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [src, dst] = args.as_slice() else {
        bail!("usage: export_weights <mpk policy folder> <output folder>");
    };
    let policy = Policy::<CpuBackend>::load_dir(src, &Default::default())
        .with_context(|| format!("loading {src}"))?;
    let fast = export_fast(&policy)?;
    policy
        .save_weights_dir(dst)
        .with_context(|| format!("writing {dst}"))?;
    let back = FastPolicy::load_dir(dst).with_context(|| format!("reading back {dst}"))?;
    if back.to_named() != fast.to_named() || back.config() != fast.config() {
        bail!("the safetensors weights differ from the burn record");
    }
    println!(
        "wrote {dst}: {} tensors, identical to {src}",
        fast.to_named().len()
    );
    Ok(())
}
