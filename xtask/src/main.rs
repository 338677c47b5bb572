//! `cargo xtask`: orchestration for the POP workspace.
//!
//! It only runs other programs (cargo, apt-get); it links no workspace crate, so it stays cheap to
//! build. See `cargo xtask --help`.

mod sysdeps;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "POP workspace tasks", version)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Every check, cheapest first: fmt, clippy (-D warnings), then the whole test suite.
    Test {
        /// Skip `cargo fmt --check` and clippy (tests only).
        #[arg(long)]
        no_lint: bool,
    },
    /// Run the criterion benchmarks (all, or of one crate).
    Bench {
        /// Crate to benchmark, e.g. `pop-bench-fns`.
        #[arg(long, short)]
        package: Option<String>,
    },
    /// Install the system packages the workspace needs (Debian/Ubuntu, as root), or print how.
    Deps,
}

fn main() {
    if let Err(err) = run(Cli::parse()) {
        eprintln!("error: {err:#}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> Result<()> {
    let root = workspace_root()?;
    match cli.cmd {
        Cmd::Test { no_lint } => test(&root, no_lint),
        Cmd::Bench { package } => {
            sysdeps::ensure()?;
            let mut args = vec!["bench"];
            match &package {
                Some(p) => args.extend(["-p", p.as_str()]),
                None => args.push("--workspace"),
            }
            cargo(&root, &args)
        }
        Cmd::Deps => sysdeps::ensure(),
    }
}

fn test(root: &Path, no_lint: bool) -> Result<()> {
    sysdeps::ensure()?;
    if !no_lint {
        step("cargo fmt --check");
        cargo(root, &["fmt", "--all", "--check"])
            .context("formatting differs: run `cargo fmt --all`")?;
        step("cargo clippy");
        cargo(
            root,
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ],
        )?;
    }
    step("cargo test");
    cargo(root, &["test", "--workspace"])?;
    step("all checks passed");
    Ok(())
}

fn step(what: &str) {
    eprintln!("\n==> {what}");
}

/// Runs `cargo ARGS` in the workspace root, failing on a non-zero exit.
fn cargo(root: &Path, args: &[&str]) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(&cargo)
        .args(args)
        .current_dir(root)
        .status()
        .with_context(|| format!("could not start `{cargo}`"))?;
    if !status.success() {
        bail!("`cargo {}` failed ({status})", args.join(" "));
    }
    Ok(())
}

fn workspace_root() -> Result<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    dir.parent()
        .map(Path::to_path_buf)
        .context("xtask must live one level below the workspace root")
}
