//! Chooses the tuned learning rates (pop-method §6) and writes `data/tuned-hyperparameters.json`.
//!
//! `cargo run --release -p pop-baselines --example tune [-- --functions N --starts S --out PATH]`
//!
//! Protocol: the first N 2-D functions of the prior's *validation* split, S shared starts each,
//! budget 50 (the training horizon); for GD, momentum, Nesterov, Adam and RMSProp every learning
//! rate of the grid `10^(k/2)`, k = −8..=1; the score is the mean normalised improvement; the best
//! grid point is kept. The test suites are never touched.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use pop_baselines::catalogue::MethodConfig;
use pop_baselines::tuning::{TunedMethod, TuningProtocol, TuningResult, default_grid};
use pop_bench_fns::Objective;
use pop_optim::harness::{RunOptions, Task, run_all, start_points};
use pop_optim::seed::derive_seed;
use pop_prior::{Prior, PriorConfig, Split};

const SEED: u64 = 20_260_601;
const BUDGET: usize = 50;

fn main() -> Result<()> {
    let mut functions = 512usize;
    let mut starts = 2usize;
    let mut out = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/tuned-hyperparameters.json"
    ));
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().with_context(|| format!("{a} needs a value"));
        match a.as_str() {
            "--functions" => functions = val()?.parse().context("--functions")?,
            "--starts" => starts = val()?.parse().context("--starts")?,
            "--out" => out = PathBuf::from(val()?),
            _ => bail!("unknown argument `{a}`; valid: --functions N --starts S --out PATH"),
        }
    }
    let prior = Prior::new(PriorConfig::default())?;
    let fns = prior
        .split_batch(Split::Validation, 2, 0..functions as u64)
        .context("sampling validation functions")?;
    let grid = default_grid();
    let kinds = ["gd", "momentum", "nesterov", "adam", "rmsprop"];
    let mut methods = Vec::new();
    for kind in kinds {
        let default = MethodConfig::default_of(kind)?;
        let default_lr = default.learning_rate().context("learning-rate method")?;
        let mut lrs = grid.clone();
        lrs.push(default_lr);
        let mut scores = Vec::new();
        for &lr in &lrs {
            let cfg = default.with_learning_rate(lr);
            let mut tasks = Vec::new();
            for (fi, f) in fns.iter().enumerate() {
                let xs = start_points(f.bounds(), starts, derive_seed(SEED, "start", fi as u64));
                for (si, x0) in xs.into_iter().enumerate() {
                    tasks.push(Task {
                        objective: f,
                        method: cfg.method(),
                        x0,
                        budget: BUDGET,
                        seed: derive_seed(SEED, "run", (fi * starts + si) as u64),
                    });
                }
            }
            let mut sum = 0.0;
            let mut n = 0usize;
            for (t, r) in tasks.iter().zip(run_all(&tasks, RunOptions::default())) {
                let r = r?;
                let f_star = t.objective.f_star().context("prior samples know f*")?;
                if let Some(ni) = r.normalized_improvement(f_star) {
                    sum += ni;
                    n += 1;
                }
            }
            let score = sum / n.max(1) as f64;
            eprintln!("{kind:9} lr {lr:<10.3e} mean NI {score:.4}");
            scores.push(score);
        }
        let default_score = scores.pop().unwrap_or(f64::NAN);
        let (best_i, _) = scores
            .iter()
            .enumerate()
            .fold(
                (0, f64::NEG_INFINITY),
                |acc, (i, &s)| if s > acc.1 { (i, s) } else { acc },
            );
        let best_lr = grid[best_i];
        methods.push(TunedMethod {
            tuned: default.with_learning_rate(best_lr),
            default,
            scores,
            default_score,
            best_lr,
        });
    }
    let commit = std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    let result = TuningResult {
        protocol: TuningProtocol {
            split: "validation".into(),
            dim: 2,
            functions,
            starts,
            budget: BUDGET,
            seed: SEED,
            score: "mean normalised improvement (f0 - best)/(f0 - f*) over functions x starts"
                .into(),
            grid,
        },
        methods,
        commit,
    };
    let json = serde_json::to_string_pretty(&result)?;
    let tmp = out.with_extension("json.tmp");
    std::fs::write(&tmp, json + "\n").with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, &out).with_context(|| format!("renaming to {}", out.display()))?;
    eprintln!("wrote {}", out.display());
    Ok(())
}
