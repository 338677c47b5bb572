//! `pop-train train --config PRESET_OR_FILE --out DIR [--resume]` (writes `DIR/health.png` at
//! the end)
//! `pop-train health --run DIR` (redraws the PPO health plot of a run folder)
//! `pop-train es --config PRESET_OR_FILE --out DIR [--resume]` (the VeLO-style competitor)

mod health;

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use pop_train::{EsConfig, EsTrainer, TrainConfig, Trainer};

#[derive(Parser)]
#[command(
    name = "pop-train",
    about = "PPO meta-training of the POP policy, and ES meta-training of the VeLO-style competitor"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Train (or resume) a run.
    Train {
        /// A preset (smoke, quick, paper) or a TOML/JSON config file.
        #[arg(long)]
        config: Option<String>,
        /// The run folder.
        #[arg(long)]
        out: PathBuf,
        /// Continue from the folder's checkpoint (the config, if given, may change only `updates`).
        #[arg(long)]
        resume: bool,
    },
    /// Draw `health.png` (approximate KL, clip fraction, log σ, explained variance, learning
    /// rate, NI per update) from a PPO run folder's `metrics.jsonl`.
    Health {
        /// The run folder.
        #[arg(long)]
        run: PathBuf,
    },
    /// Meta-train (or resume) the VeLO-style learned optimizer with evolution strategies.
    Es {
        /// An ES preset (smoke, quick, paper) or a TOML/JSON config file.
        #[arg(long)]
        config: Option<String>,
        /// The run folder.
        #[arg(long)]
        out: PathBuf,
        /// Continue from the folder's checkpoint (the config, if given, may change only
        /// `iterations`).
        #[arg(long)]
        resume: bool,
    },
}

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    if let Err(e) = run(Cli::parse()) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.cmd {
        Cmd::Train {
            config,
            out,
            resume,
        } => train(config, out, resume),
        Cmd::Health { run } => {
            let cfg: Option<TrainConfig> = std::fs::read_to_string(run.join("config.json"))
                .ok()
                .and_then(|t| serde_json::from_str(&t).ok());
            let path = health::write(&run, cfg.and_then(|c| c.target_kl))?;
            eprintln!("wrote {}", path.display());
            Ok(())
        }
        Cmd::Es {
            config,
            out,
            resume,
        } => es(config, out, resume),
    }
}

/// Prints through the bar, or plainly when the bar is hidden (stderr not a terminal).
fn say(bar: &ProgressBar, line: String) {
    if bar.is_hidden() {
        eprintln!("{line}");
    } else {
        bar.println(line);
    }
}

fn es(config: Option<String>, out: PathBuf, resume: bool) -> anyhow::Result<()> {
    let cfg = config
        .as_deref()
        .map(EsConfig::from_preset_or_file)
        .transpose()
        .context("loading the ES config")?;
    let started = Instant::now();
    let mut trainer = if resume {
        EsTrainer::resume(&out, cfg).with_context(|| format!("resuming {}", out.display()))?
    } else {
        let cfg = cfg.context("--config is required unless --resume")?;
        EsTrainer::new(cfg, &out).with_context(|| format!("creating {}", out.display()))?
    };
    let adam = trainer
        .adam_baseline()
        .context("Adam validation baseline")?;
    let init = trainer.initial_validation();
    eprintln!(
        "validation: Adam NI {:.4} at lr {:.0e} (default), {:.4} at lr {:.0e} (tuned); initial rule NI {:.4} (meta-loss {:.4})",
        adam.default_ni, adam.default_lr, adam.tuned_ni, adam.tuned_lr, init.ni, init.loss
    );
    let total = trainer.config().iterations as u64;
    let bar = ProgressBar::new(total).with_position(trainer.next_iteration() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} iterations  {elapsed} < {eta}  {msg}")
            .context("progress style")?,
    );
    let log_every = trainer.config().log_every;
    let mut last_val = None;
    while let Some(m) = trainer.step().context("ES meta-training")? {
        bar.inc(1);
        if m.val.is_some() {
            last_val = m.val;
        }
        bar.set_message(format!("meta-loss {:.4}", m.train_loss));
        if (m.iteration + 1).is_multiple_of(log_every) || trainer.is_done() {
            say(
                &bar,
                format!(
                    "iter {:>6} | meta-loss train {:.4} | val NI {} loss {} | best {:.4} | Adam {:.4}/{:.4} | |g| {:.3e} | {:.0} evals/s",
                    m.iteration + 1,
                    m.train_loss,
                    last_val.map_or("-".to_string(), |v| format!("{:.4}", v.ni)),
                    last_val.map_or("-".to_string(), |v| format!("{:.4}", v.loss)),
                    m.best_val_ni,
                    adam.default_ni,
                    adam.tuned_ni,
                    m.grad_norm,
                    m.evals_per_s,
                ),
            );
        }
    }
    bar.finish();
    eprintln!(
        "done: {} iterations in {:.1} min, best validation NI {:.4}, run folder {}",
        trainer.next_iteration(),
        started.elapsed().as_secs_f64() / 60.0,
        trainer.best_val_ni(),
        out.display()
    );
    Ok(())
}

fn train(config: Option<String>, out: PathBuf, resume: bool) -> anyhow::Result<()> {
    let cfg = config
        .as_deref()
        .map(TrainConfig::from_preset_or_file)
        .transpose()
        .context("loading the config")?;
    let mut trainer = if resume {
        Trainer::resume(&out, cfg).with_context(|| format!("resuming {}", out.display()))?
    } else {
        let cfg = cfg.context("--config is required unless --resume")?;
        Trainer::new(cfg, &out).with_context(|| format!("creating {}", out.display()))?
    };
    let adam = trainer
        .adam_baseline()
        .context("Adam validation baseline")?;
    eprintln!(
        "Adam on validation: NI {:.4} at lr {:.0e} (default), {:.4} at lr {:.0e} (tuned)",
        adam.default_ni, adam.default_lr, adam.tuned_ni, adam.tuned_lr
    );
    let total = trainer.config().updates as u64;
    let bar = ProgressBar::new(total).with_position(trainer.next_update() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} updates  {elapsed} < {eta}  {msg}")
            .context("progress style")?,
    );
    let log_every = trainer.config().log_every;
    let started = Instant::now();
    let first = trainer.next_update();
    let mut last_val = None;
    while let Some(m) = trainer.step().context("training")? {
        bar.inc(1);
        if m.val_ni.is_some() {
            last_val = m.val_ni;
        }
        bar.set_message(format!("NI train {:.3}", m.train_ni));
        if (m.update + 1).is_multiple_of(log_every) || trainer.is_done() {
            let done = (m.update + 1 - first) as f64;
            let line = format!(
                "update {:>6} | T {:>3} | NI train {:.4} any {:.4} val {} | Adam {:.4}/{:.4} | loss pi {:+.4} v {:.4} | kl {:.4} clip {:.3} log σ {:+.2} EV {:+.2} | {:.0} tok/s | {:.2} upd/s",
                m.update + 1,
                m.horizon,
                m.train_ni,
                m.train_anytime_ni,
                last_val.map_or("-".to_string(), |v| format!("{v:.4}")),
                adam.default_ni,
                adam.tuned_ni,
                m.losses.policy_loss,
                m.losses.value_loss,
                m.losses.approx_kl,
                m.losses.clip_fraction,
                m.log_std,
                m.losses.explained_variance,
                m.ppo_tokens_per_s,
                done / started.elapsed().as_secs_f64(),
            );
            // A hidden bar (stderr not a terminal) drops `println`: print plainly then.
            if bar.is_hidden() {
                eprintln!("{line}");
            } else {
                bar.println(line);
            }
        }
    }
    bar.finish();
    let plot = health::write(&out, trainer.config().target_kl).context("health plot")?;
    eprintln!(
        "done: {} updates, best validation score {}, run folder {} (health plot {})",
        trainer.next_update(),
        trainer
            .best_val_ni()
            .map_or("-".into(), |v| format!("{v:.4}")),
        out.display(),
        plot.display()
    );
    Ok(())
}
