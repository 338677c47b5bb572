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
//! `pop_baselines::restarts::Restarts`, as the restarted baselines) or `+restartsK` (patience `K`),
//! each optionally followed by `sC` (space-filling restart points from `C` candidates) or `tpe`
//! (TPE restart points; `RestartPoints`), `NAME=velo:DIR` (a `velo-style-es` folder),
//! `adam-tuned` (Adam at the shipped tuned learning rate) or any `pop_baselines` catalogue kind
//! (`lbfgs+restarts`, `tpe`, `cmaes`, ...; `KIND+restarts/sC` or `KIND+restarts/tpe` with those restart points).

use std::sync::Arc;

use anyhow::{Context, Result, bail};
use pop_baselines::catalogue::MethodConfig;
use pop_baselines::restarts::{RestartPoints, Restarts};
use pop_optim::Method;
use pop_optim::learned::velo::VeloStyle;
use pop_optim::pop::PopMethod;
use pop_prior::Prior;
use pop_train::TrainConfig;
use pop_train::validation::ValidationSet;

fn method(spec: &str) -> Result<(String, Arc<dyn Method>)> {
    if let Some((name, rest)) = spec.split_once('=') {
        if let Some(dir) = rest.strip_prefix("policy:") {
            // `+restarts` (default patience) or `+restartsK` (patience K), either followed by
            // `sC` (space-filling restart points from C candidates) or `tpe` (TPE restart points).
            let (dir, restarts, points) = match dir.rsplit_once("+restarts") {
                Some((d, rest)) => {
                    let (k, c) = if let Some(k) = rest.strip_suffix("tpe") {
                        (k, RestartPoints::Tpe)
                    } else if let Some((k, c)) = rest.split_once('s') {
                        (k, RestartPoints::Spread(c.parse().context("spread")?))
                    } else {
                        (rest, RestartPoints::Uniform)
                    };
                    let k = if k.is_empty() {
                        None
                    } else {
                        Some(k.parse::<usize>().context("patience")?)
                    };
                    (d, Some(k), c)
                }
                None => (dir, None, RestartPoints::Uniform),
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
                    points,
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
    // `KIND+restarts/sC` or `KIND+restarts/tpe`: the catalogue's restarted kind with
    // space-filling or TPE restart points.
    if let Some((kind, rule)) = spec.split_once('/') {
        let points = match rule.strip_prefix('s') {
            Some(c) => RestartPoints::Spread(c.parse().context("spread")?),
            None if rule == "tpe" => RestartPoints::Tpe,
            None => bail!("unknown restart rule `/{rule}` (`/sC` or `/tpe`)"),
        };
        let mut mc = MethodConfig::default_of(kind)?;
        match &mut mc {
            MethodConfig::Restarts(r) => r.points = points,
            _ => bail!("`/{rule}` needs a restarted kind (`KIND+restarts/{rule}`), got `{kind}`"),
        }
        mc.validate()?;
        return Ok((spec.to_string(), Arc::new(mc)));
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
