//! `cargo xtask`: orchestration for the POP workspace.
//!
//! It only runs other programs (cargo, apt-get); it links no workspace crate, so it stays cheap to
//! build. See `cargo xtask --help`.

mod python;
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
    /// Every check, cheapest first: fmt, clippy (-D warnings), docs, the whole Rust test suite,
    /// then the Python package (its own virtual environment, wheel build, pytest).
    Test {
        /// Skip `cargo fmt --check` and clippy (tests only).
        #[arg(long)]
        no_lint: bool,
        /// Skip the Python package's checks (virtual environment in target/py-venv, wheel build,
        /// pytest).
        #[arg(long)]
        no_python: bool,
    },
    /// Only the Python package's checks of `test`: virtual environment (target/py-venv), wheel
    /// build (`pip install ./crates/pop-py`), pytest.
    Python,
    /// Run the criterion benchmarks (all, or of one crate).
    Bench {
        /// Crate to benchmark, e.g. `pop-bench-fns`.
        #[arg(long, short)]
        package: Option<String>,
    },
    /// Install the system packages the workspace needs (Debian/Ubuntu, as root), or print how.
    Deps,
    /// The experiment: evaluate every method on VLSE-47 and the prior test sets and write the
    /// results page. Default: train POP, the paper-faithful POP (`paper-quick` preset) and the
    /// competitor with the quick presets first (runs/), then the full evaluation. Interrupted
    /// runs resume; finished stages are skipped.
    Reproduce {
        /// Evaluate the policies shipped in data/ on a reduced suite (minutes on a CPU).
        #[arg(long, conflicts_with = "paper")]
        quick: bool,
        /// Train with the paper presets (meant for a GPU; `pop-paper` still with `paper-quick`),
        /// then the full evaluation.
        #[arg(long)]
        paper: bool,
        /// Results folder (default results/quick, results/full or results/paper).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Also regenerate docs/results.md and docs/results/ from this run.
        #[arg(long)]
        publish: bool,
        /// Build pop-train with `--features cuda` (PPO updates on the GPU; needs a CUDA driver).
        #[arg(long)]
        cuda: bool,
    },
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
        Cmd::Test { no_lint, no_python } => test(&root, no_lint, no_python),
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
        Cmd::Python => {
            sysdeps::ensure()?;
            python::test(&root)
        }
        Cmd::Reproduce {
            quick,
            paper,
            out,
            publish,
            cuda,
        } => reproduce(&root, quick, paper, out, publish, cuda),
    }
}

/// `cargo xtask reproduce`: runs the `pop-train` and `pop-reproduce` binaries (xtask links no
/// workspace crate, so it never compiles burn itself).
fn reproduce(
    root: &Path,
    quick: bool,
    paper: bool,
    out: Option<PathBuf>,
    publish: bool,
    cuda: bool,
) -> Result<()> {
    sysdeps::ensure()?;
    if paper && !cuda {
        eprintln!(
            "note: --paper without --cuda trains the paper presets on the CPU (days); add --cuda on a GPU machine"
        );
    }
    let preset = if quick {
        "quick"
    } else if paper {
        "paper"
    } else {
        "full"
    };
    // `--quick` evaluates the shipped policies: only pop-eval (no burn) is built. Training also
    // builds pop-train.
    let mut build = vec!["build", "--release", "-p", "pop-eval", "--bins"];
    if !quick {
        build.extend(["-p", "pop-train"]);
        if cuda {
            build.extend(["--features", "pop-train/cuda"]);
        }
    }
    step(&format!(
        "building the release binaries ({})",
        if quick {
            "pop-reproduce"
        } else {
            "pop-train, pop-reproduce"
        }
    ));
    cargo(root, &build)?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let bin = |name: &str| target.join("release").join(name);
    let mut policies: Vec<String> = Vec::new();
    if !quick {
        let train = if paper { "paper" } else { "quick" };
        let pop_dir = format!("runs/pop-{train}");
        let velo_dir = format!("runs/velo-{train}");
        // The paper-faithful POP (`pop-paper`): pop-train has only its quick-size preset, so
        // `--paper` trains (or reuses) the same run as the default.
        let pop_paper_config = "paper-quick";
        let pop_paper_dir = format!("runs/pop-{pop_paper_config}");
        for (what, sub, dir, config) in [
            ("POP (PPO)", "train", &pop_dir, train.to_string()),
            (
                "the paper-faithful POP `pop-paper` (PPO)",
                "train",
                &pop_paper_dir,
                pop_paper_config.to_string(),
            ),
            (
                "the learned competitor (ES)",
                "es",
                &velo_dir,
                train.to_string(),
            ),
        ] {
            let resume = root.join(dir).join("checkpoint").exists();
            step(&format!(
                "training {what} with the `{config}` preset into {dir}{}",
                if resume { " (resuming)" } else { "" }
            ));
            let mut args = vec![sub, "--out", dir.as_str()];
            if resume {
                args.push("--resume");
            } else {
                args.extend(["--config", config.as_str()]);
            }
            run_bin(root, &bin("pop-train"), &args)?;
        }
        policies = vec![
            "--pop-policy".into(),
            pop_dir,
            "--pop-paper-policy".into(),
            pop_paper_dir,
            "--velo-policy".into(),
            velo_dir,
        ];
    }
    let out = out.unwrap_or_else(|| PathBuf::from("results").join(preset));
    let out_s = out.to_string_lossy().into_owned();
    step(&format!("evaluating (`{preset}` preset) into {out_s}"));
    let mut args: Vec<&str> = vec!["run", "--config", preset, "--out", &out_s];
    args.extend(policies.iter().map(String::as_str));
    if publish {
        args.extend(["--publish", "docs"]);
    }
    run_bin(root, &bin("pop-reproduce"), &args)?;
    step(&format!("results: {out_s}/results.md"));
    Ok(())
}

fn run_bin(root: &Path, bin: &Path, args: &[&str]) -> Result<()> {
    let status = Command::new(bin)
        .args(args)
        .current_dir(root)
        .status()
        .with_context(|| format!("could not start {}", bin.display()))?;
    if !status.success() {
        bail!("`{} {}` failed ({status})", bin.display(), args.join(" "));
    }
    Ok(())
}

fn test(root: &Path, no_lint: bool, no_python: bool) -> Result<()> {
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
    step("cargo doc (warnings denied: broken intra-doc links fail)");
    cargo_env(
        root,
        &["doc", "--workspace", "--no-deps"],
        &[("RUSTDOCFLAGS", "-D warnings")],
    )?;
    step("cargo test (unit, integration and rustdoc examples)");
    cargo(root, &["test", "--workspace"])?;
    if no_python {
        step("Python package skipped (--no-python)");
    } else {
        python::test(root).context("the Python package's checks (skip with --no-python)")?;
    }
    step("all checks passed");
    Ok(())
}

fn step(what: &str) {
    eprintln!("\n==> {what}");
}

/// Runs `cargo ARGS` in the workspace root, failing on a non-zero exit.
fn cargo(root: &Path, args: &[&str]) -> Result<()> {
    cargo_env(root, args, &[])
}

/// [`cargo`] with extra environment variables.
fn cargo_env(root: &Path, args: &[&str], env: &[(&str, &str)]) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(&cargo)
        .args(args)
        .envs(env.iter().copied())
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
