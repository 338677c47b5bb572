//! Copies the shipped policies (`data/{pop-quick,pop-paper-quick,velo-quick}`) into
//! `OUT_DIR/policies`; maturin's `include … from = "out-dir"` puts them in the wheel at
//! `pop_optimizer/policies/`.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

fn copy(src: &Path, dst: &Path) -> std::io::Result<()> {
    if src.is_dir() {
        fs::create_dir_all(dst)?;
        for e in fs::read_dir(src)? {
            let e = e?;
            copy(&e.path(), &dst.join(e.file_name()))?;
        }
        Ok(())
    } else {
        fs::copy(src, dst).map(drop)
    }
}

fn main() -> std::io::Result<()> {
    let manifest = env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    let out = env::var_os("OUT_DIR").map(PathBuf::from);
    let (Some(manifest), Some(out)) = (manifest, out) else {
        return Err(std::io::Error::other(
            "cargo sets CARGO_MANIFEST_DIR and OUT_DIR",
        ));
    };
    let data = manifest.join("../../data");
    let out = out.join("policies");
    for name in ["pop-quick", "pop-paper-quick", "velo-quick"] {
        for rel in ["best", "PROVENANCE.md"] {
            let src = data.join(name).join(rel);
            if src.exists() {
                copy(&src, &out.join(name).join(rel))?;
            }
        }
        println!("cargo:rerun-if-changed={}", data.join(name).display());
    }
    Ok(())
}
