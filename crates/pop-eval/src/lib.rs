//! # pop-eval
//!
//! The reproduction of the paper's experiment (pop-method §6): every method on VLSE-47 and the
//! prior test sets at matched budgets, the tables, the pictures and the results page. It links
//! no burn: the learned optimizers run from their shipped weights through `pop-optim`.
//!
//! * [`methods`] and [`suites`]: the typed registries of method keys and suites (adding one is a
//!   line there).
//! * [`ReproduceConfig`] with presets `ci`, `quick`, `full`, `paper`.
//! * [`Reproduction`]: claims a results folder (refusing one of another config or records
//!   format), loads the shipped policies, and runs one stage per (suite, method), each written
//!   atomically, skipped when complete; within a stage the completed runs are saved as they
//!   finish, so that a killed run resumes where it stopped.
//! * [`records`]: the compact records (format 2, gzip JSON lines) and their streaming reader.
//! * [`summarize`] → [`Results`] (streaming the records, one line at a time); [`write_report`]
//!   writes the CSV files, PNG pictures and `results.md`.
//!
//! Layout of `results/<name>/`: `config.json` (manifest: records format, config, policy
//! fingerprints), `records/<suite>/<method>.jsonl.gz` (one line per function, start and budget,
//! with the best-so-far value at thinned calls, see [`records`]) and `.timing.json` (while a
//! stage runs: `.jsonl.gz.part` and `.jsonl.gz.part-index.json`), `scaling.json`,
//! `summary.csv`, `vlse47.csv`, `per_function.csv`, `timings.csv`, `*.png`, `results.md`.
//!
//! ```no_run
//! use pop_eval::{ReproduceConfig, Reproduction};
//! # fn main() -> Result<(), pop_eval::ReproduceError> {
//! let cfg = ReproduceConfig::preset("ci")?;
//! let run = Reproduction::prepare(cfg, "results/ci")?;
//! run.run(&|_event| {})?;
//! # Ok(())
//! # }
//! ```
#![warn(
    missing_docs,
    clippy::unwrap_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

pub mod checkpoint;
pub mod config;
pub mod error;
pub mod lock;
pub mod methods;
pub mod plots;
pub mod records;
pub mod report;
pub mod runner;
pub mod scaling;
pub mod stage;
pub mod stats;
pub mod suites;
pub mod summary;

use std::path::{Path, PathBuf};

pub use config::{ReproduceConfig, ScalingConfig, SuiteConfig};
pub use error::ReproduceError;
pub use report::PageContext;
pub use runner::{Event, Record, Reproduction};
pub use scaling::Scaling;
pub use summary::{Results, summarize};

/// Writes the CSV files and pictures into `data_dir` and the page to `page`, linking the
/// pictures relative to the page. Returns the page's text.
pub fn write_report(
    res: &Results,
    cfg: &ReproduceConfig,
    scaling: Option<&Scaling>,
    page: &Path,
    data_dir: &Path,
    mut ctx: PageContext,
) -> Result<String, ReproduceError> {
    report::write_csvs(res, cfg, data_dir)?;
    let page_dir = page.parent().unwrap_or(Path::new("."));
    let rel = |p: &Path| -> String {
        p.strip_prefix(page_dir)
            .unwrap_or(p)
            .to_string_lossy()
            .replace('\\', "/")
    };
    ctx.csv_dir = {
        let r = rel(data_dir);
        if r.is_empty() { ".".into() } else { r }
    };
    ctx.images.clear();
    for suite in &res.suites {
        let curves: Vec<&summary::CocoCurve> =
            res.coco.iter().filter(|c| &c.suite == suite).collect();
        if curves.is_empty() {
            continue;
        }
        let p = data_dir.join(format!("coco-{suite}.png"));
        plots::coco(&p, suite, &curves, &cfg.methods)?;
        ctx.images
            .push((format!("COCO-style curve, {suite}"), rel(&p)));
    }
    let conv_fns: Vec<String> = cfg
        .convergence_functions
        .iter()
        .filter(|f| res.convergence.iter().any(|c| &c.function == *f))
        .cloned()
        .collect();
    if !conv_fns.is_empty() {
        let p = data_dir.join("convergence-vlse47.png");
        plots::convergence(&p, &conv_fns, &res.convergence, &cfg.methods)?;
        ctx.images
            .push(("Convergence on typical VLSE functions".into(), rel(&p)));
    }
    let text = report::results_page(res, cfg, scaling, &ctx);
    error::write_atomic(page, text.as_bytes())?;
    Ok(text)
}

/// Loads `scaling.json` of a results folder, if present.
pub fn read_scaling(out: &Path) -> Option<Scaling> {
    let text = std::fs::read_to_string(out.join("scaling.json")).ok()?;
    serde_json::from_str(&text).ok()
}

/// Stores `scaling.json` in a results folder.
pub fn write_scaling(out: &Path, s: &Scaling) -> Result<(), ReproduceError> {
    let path: PathBuf = out.join("scaling.json");
    let json = serde_json::to_string_pretty(s).map_err(|e| ReproduceError::Records {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    error::write_atomic(&path, json.as_bytes())
}
