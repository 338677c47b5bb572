//! Scores methods on the **prior validation split** (never a test suite): the first `N`
//! validation functions and the multimodal-heavy validation subset of `M` functions, one fixed
//! start each (the trainer's own validation sets, [`ValidationSet`]), at budget `T`, and prints
//! a Markdown table (mean NI at `T`, mean anytime regret, and the selection score: the mean of
//! the two NIs). This is how the ablations and variants of docs/pop-method.md §9 are compared.
//!
//! ```text
//! cargo run --release -p pop-train --example validation_table -- \
//!     [--functions 256] [--multimodal 128] [--horizon 100] [--dim 2] [--preset quick] METHOD...
//! ```
//!
//! `--preset NAME` takes the prior (and training dimension) of that training preset instead of
//! `quick`'s (e.g. `paper-quick-wide`, the wider prior).
//! `--dim D` scores on the D-dimensional validation split instead of the training dimension
//! (2); `--multimodal 0` leaves the multimodal subset out (its columns then repeat the main set).
//!
//! A `METHOD` is `NAME=policy:DIR` (a POP policy or run folder), `NAME=policy:DIR@NU` (the same
//! with exploration noise `ν = NU` at evaluation), either followed by `+restarts` (inside
//! `pop_baselines::restarts::Restarts`, as the restarted baselines) or `+restartsK` (patience `K`), `NAME=velo:DIR` (a `velo-style-es` folder),
//! `adam-tuned` (Adam at the shipped tuned learning rate) or any `pop_baselines` catalogue kind
//! (`lbfgs+restarts`, `tpe`, `cmaes`, ...).

use std::sync::Arc;

use anyhow::{Context, Result, bail};
use pop_baselines::catalogue::MethodConfig;
use pop_baselines::restarts::Restarts;
use pop_optim::Method;
use pop_optim::learned::velo::VeloStyle;
use pop_optim::pop::PopMethod;
use pop_prior::Prior;
use pop_train::TrainConfig;
use pop_train::validation::ValidationSet;

fn method(spec: &str) -> Result<(String, Arc<dyn Method>)> {
    if let Some((name, rest)) = spec.split_once('=') {
        if let Some(dir) = rest.strip_prefix("policy:") {
            // `+restarts` (default patience) or `+restartsK` (patience K).
            let (dir, restarts) = match dir.rsplit_once("+restarts") {
                Some((d, "")) => (d, Some(None)),
                Some((d, k)) => (d, Some(Some(k.parse::<usize>().context("patience")?))),
                None => (dir, None),
            };
            let (dir, noise) = match dir.rsplit_once('@') {
                Some((d, nu)) => (d, Some(nu.parse::<f64>().context("exploration noise")?)),
                None => (dir, None),
            };
            let mut m = PopMethod::load(dir).with_context(|| format!("loading {dir}"))?;
            if let Some(nu) = noise {
                m = m.with_explore_noise(nu)?;
            }
            let m = m.renamed(name);
            if let Some(patience) = restarts {
                let r = Restarts {
                    patience,
                    ..Restarts::new(m)
                };
                r.validate()?;
                return Ok((name.to_string(), Arc::new(r)));
            }
            return Ok((name.to_string(), Arc::new(m)));
        }
        if let Some(dir) = rest.strip_prefix("velo:") {
            let m = VeloStyle::load(dir).with_context(|| format!("loading {dir}"))?;
            return Ok((name.to_string(), Arc::new(m)));
        }
        bail!("unknown method spec `{spec}` (NAME=policy:DIR[@NU] or NAME=velo:DIR)");
    }
    if spec == "adam-tuned" {
        let tuning = pop_baselines::tuning::shipped()?;
        let adam = tuning
            .methods
            .into_iter()
            .find(|m| matches!(m.default, MethodConfig::Adam(_)))
            .context("no Adam entry in data/tuned-hyperparameters.json")?;
        return Ok((spec.to_string(), Arc::new(adam.tuned)));
    }
    let mc = MethodConfig::default_of(spec)?;
    mc.validate()?;
    Ok((spec.to_string(), Arc::new(mc)))
}

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1).peekable();
    let (mut n, mut m, mut horizon, mut dim) = (256_usize, 128_usize, 100_usize, 0_usize);
    let mut specs = Vec::new();
    let mut preset = String::from("quick");
    while let Some(a) = args.next() {
        if a == "--preset" {
            preset = args.next().context("--preset needs a preset name")?;
            continue;
        }
        let mut value = |what: &str| -> Result<usize> {
            args.next()
                .with_context(|| format!("{what} needs a value"))?
                .parse()
                .with_context(|| format!("{what} must be a positive integer"))
        };
        match a.as_str() {
            "--functions" => n = value("--functions")?,
            "--multimodal" => m = value("--multimodal")?,
            "--horizon" => horizon = value("--horizon")?,
            "--dim" => dim = value("--dim")?,
            _ => specs.push(a),
        }
    }
    if specs.is_empty() {
        bail!("no methods given (see the example's documentation)");
    }
    // The prior of the `quick` preset (or `--preset NAME`, e.g. `paper-quick-wide` for the wider
    // prior) and the trainer's validation sets.
    let mut cfg = TrainConfig::preset(&preset)?;
    if dim > 0 {
        cfg.dim = dim;
    }
    let prior = Prior::new(cfg.prior.clone())?;
    let all = ValidationSet::new(&prior, cfg.dim, n, horizon)?;
    let multi = ValidationSet::multimodal(&prior, cfg.dim, m, horizon)?;
    println!(
        "Prior validation split, d = {}, T = {horizon}: {} functions and the multimodal-heavy \
         subset of {} (one fixed start each)\n",
        cfg.dim,
        all.functions().len(),
        multi.functions().len()
    );
    println!(
        "| method | NI | anytime regret | NI multimodal | anytime regret multimodal | score |"
    );
    println!("|---|---|---|---|---|---|");
    for spec in &specs {
        let (name, method) = method(spec)?;
        let a = all.score(method.as_ref())?;
        // An empty multimodal set (`--multimodal 0`, or none in the split) scores as the main set.
        let b = if multi.functions().is_empty() {
            a
        } else {
            multi.score(method.as_ref())?
        };
        println!(
            "| {name} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4} |",
            a.ni,
            a.anytime_regret,
            b.ni,
            b.anytime_regret,
            (a.ni + b.ni) / 2.0
        );
    }
    Ok(())
}
