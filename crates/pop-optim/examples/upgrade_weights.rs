//! Adds the content hash to weight files written before weight files carried one:
//!
//! ```text
//! cargo run -p pop-optim --example upgrade_weights -- PATH...
//! ```
//!
//! A `PATH` is a POP policy folder (`config.json` + `weights.safetensors`), a run folder (its
//! `best/` is upgraded) or a `velo-style-es` weights file (`velo.json`, or a folder holding
//! `best/velo.json`). Every check of a normal load applies except the missing hash; a hash that
//! is present must match, so a damaged file is never blessed.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use pop_optim::learned::velo::VeloRule;
use pop_optim::pop::FastPolicy;

fn upgrade(path: &Path) -> Result<bool, String> {
    let velo = [
        path.to_path_buf(),
        path.join("velo.json"),
        path.join("best/velo.json"),
    ]
    .into_iter()
    .find(|p| p.is_file() && p.extension().is_some_and(|e| e == "json"));
    if let Some(file) = velo {
        return VeloRule::upgrade_file(&file).map_err(|e| e.to_string());
    }
    let dir: PathBuf = if path.join("best/weights.safetensors").is_file() {
        path.join("best")
    } else {
        path.to_path_buf()
    };
    FastPolicy::upgrade_dir(&dir).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        eprintln!(
            "usage: upgrade_weights PATH... (policy folders, run folders or velo.json files)"
        );
        return ExitCode::from(2);
    }
    let mut failed = false;
    for p in &paths {
        match upgrade(Path::new(p)) {
            Ok(true) => eprintln!("{p}: hash added"),
            Ok(false) => eprintln!("{p}: already current"),
            Err(e) => {
                eprintln!("{p}: error: {e}");
                failed = true;
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
