//! `pop-reproduce`: the paper's evaluation, tables, pictures and results page.
//!
//! ```text
//! pop-reproduce run --config quick [--out results/quick] [--publish docs]
//!     [--pop-policy DIR] [--pop-paper-policy DIR] [--velo-policy PATH]
//! pop-reproduce report --out results/quick [--publish docs]
//! pop-reproduce migrate --from results/old-quick --out results/quick
//! ```

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use pop_eval::{
    self as reproduce, Event, PageContext, ReproduceConfig, Reproduction, report, scaling,
};

#[derive(Parser)]
#[command(
    name = "pop-reproduce",
    about = "Evaluate POP and every baseline on VLSE-47 and the prior test sets; write the results page"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Evaluate (resuming an interrupted run), then write tables, pictures and results.md.
    Run {
        /// A preset (ci, quick, full, paper) or a TOML file.
        #[arg(long, default_value = "quick")]
        config: String,
        /// Results folder (default `results/<config name>`).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Override the POP run folder of the config.
        #[arg(long)]
        pop_policy: Option<PathBuf>,
        /// Override the paper-faithful POP's run folder of the config (method `pop-paper`).
        #[arg(long)]
        pop_paper_policy: Option<PathBuf>,
        /// Override the competitor's run folder or weights file.
        #[arg(long)]
        velo_policy: Option<PathBuf>,
        /// Also write results.md, summary.csv, vlse47.csv and the pictures into this docs folder
        /// (`DOCS/results.md`, `DOCS/results/`).
        #[arg(long)]
        publish: Option<PathBuf>,
        /// Only these suites (comma-separated: vlse47, prior-2, prior-8, prior-16, prior-32).
        #[arg(long, value_delimiter = ',')]
        suites: Option<Vec<String>>,
        /// Only these methods (comma-separated keys, e.g. pop,adam-tuned,cmaes).
        #[arg(long, value_delimiter = ',')]
        methods: Option<Vec<String>>,
        /// Only these budgets (comma-separated, ascending).
        #[arg(long, value_delimiter = ',')]
        budgets: Option<Vec<usize>>,
        /// Start points per function.
        #[arg(long)]
        starts: Option<usize>,
    },
    /// Rewrite tables, pictures and results.md from an existing results folder.
    Report {
        /// Results folder.
        #[arg(long)]
        out: PathBuf,
        /// As for `run`.
        #[arg(long)]
        publish: Option<PathBuf>,
    },
    /// Convert a results folder of records format 1 (uncompressed `.jsonl` with whole curves)
    /// into a new folder of format 2 (compact `.jsonl.gz`), running nothing again.
    Migrate {
        /// The format-1 results folder (left as it is).
        #[arg(long)]
        from: PathBuf,
        /// The new results folder.
        #[arg(long)]
        out: PathBuf,
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

fn style(t: &str) -> anyhow::Result<ProgressStyle> {
    ProgressStyle::with_template(t).context("progress style")
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.cmd {
        Cmd::Run {
            config,
            out,
            pop_policy,
            pop_paper_policy,
            velo_policy,
            publish,
            suites,
            methods,
            budgets,
            starts,
        } => {
            let mut cfg = ReproduceConfig::from_preset_or_file(&config)
                .with_context(|| format!("loading the config `{config}`"))?;
            if let Some(p) = pop_policy {
                cfg.pop_policy = p;
            }
            if let Some(p) = pop_paper_policy {
                cfg.pop_paper_policy = p;
            }
            if let Some(p) = velo_policy {
                cfg.velo_policy = p;
            }
            if let Some(names) = suites {
                for n in &names {
                    if reproduce::suites::find(n).is_err() {
                        bail!(
                            "unknown suite `{n}`; valid: {}",
                            reproduce::suites::valid_names()
                        );
                    }
                }
                let old = std::mem::take(&mut cfg.suites);
                cfg.suites = names
                    .iter()
                    .map(|n| {
                        old.iter().find(|s| &s.name == n).cloned().unwrap_or(
                            reproduce::SuiteConfig {
                                name: n.clone(),
                                functions: None,
                                only: None,
                            },
                        )
                    })
                    .collect();
            }
            if let Some(m) = methods {
                cfg.methods = m;
            }
            let budgets_flag = budgets.is_some();
            if let Some(b) = budgets {
                cfg.budgets = b;
            }
            if let Some(s) = starts {
                cfg.starts = s;
            }
            // Caps of methods no longer listed go; a cap above every budget is dropped.
            let (methods_now, budgets_now) = (cfg.methods.clone(), cfg.budgets.clone());
            cfg.max_budget.retain(|m, _| methods_now.contains(m));
            cfg.only_suites.retain(|m, _| methods_now.contains(m));
            // A cap below every budget would leave its method nothing to run: say which field
            // caps it and which flag (or config field) changes that.
            for (m, cap) in &mut cfg.max_budget {
                match budgets_now.iter().rev().find(|&&b| b <= *cap) {
                    Some(&b) => *cap = b,
                    None => bail!(
                        "`{m}` runs only up to T = {cap} in the config `{config}` (its \
                         `max_budget` field: {m} = {cap}), but the budgets {budgets_now:?}{} \
                         have none at or below {cap}: add one to --budgets (e.g. --budgets \
                         {cap},{}), leave `{m}` out of --methods, or use a config file whose \
                         `max_budget` allows it",
                        if budgets_flag { " of --budgets" } else { "" },
                        budgets_now
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(","),
                    ),
                }
            }
            if let Err(e) = cfg.validate() {
                bail!("{e}");
            }
            let out = out.unwrap_or_else(|| PathBuf::from("results").join(&cfg.name));
            let argv: Vec<String> = std::env::args().skip(1).collect();
            evaluate(
                cfg,
                &out,
                publish.as_deref(),
                &format!("pop-reproduce {}", argv.join(" ")),
            )
        }
        Cmd::Migrate { from, out } => {
            let r = reproduce::records::migrate_v1(&from, &out)
                .with_context(|| format!("migrating {} to {}", from.display(), out.display()))?;
            eprintln!(
                "migrated {} stages, {} records: {} → {} bytes of records; now `pop-reproduce \
                 report --out {}`",
                r.stages,
                r.records,
                r.bytes_before,
                r.bytes_after,
                out.display()
            );
            Ok(())
        }
        Cmd::Report { out, publish } => {
            let path = out.join("config.json");
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            let manifest: reproduce::runner::Manifest = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a reproduction manifest", path.display()))?;
            // The page keeps the command and wall time of the evaluation that made the records.
            let info: Option<serde_json::Value> =
                std::fs::read_to_string(out.join("run-info.json"))
                    .ok()
                    .and_then(|t| serde_json::from_str(&t).ok());
            let command = info
                .as_ref()
                .and_then(|v| v["command"].as_str().map(str::to_string))
                .unwrap_or_else(|| "pop-reproduce report".into());
            let wall_s = info.as_ref().and_then(|v| v["wall_s"].as_f64());
            write_all(&manifest.config, &out, publish.as_deref(), wall_s, &command)
        }
    }
}

fn evaluate(
    cfg: ReproduceConfig,
    out: &Path,
    publish: Option<&Path>,
    command: &str,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let repro =
        Reproduction::prepare(cfg, out).with_context(|| format!("preparing {}", out.display()))?;
    let cfg = repro.config().clone();
    eprintln!(
        "pop-reproduce `{}` → {} ({} methods, budgets {:?}, {} starts, {} threads)",
        cfg.name,
        out.display(),
        cfg.methods.len(),
        cfg.budgets,
        cfg.starts,
        rayon::current_num_threads()
    );
    for (m, cap) in &cfg.max_budget {
        eprintln!("  note: {m} runs only up to T = {cap} in this configuration");
    }
    for (m, only) in &cfg.only_suites {
        eprintln!(
            "  note: {m} runs only on {} in this configuration",
            only.join(", ")
        );
    }
    let n_stages = cfg
        .suites
        .iter()
        .map(|s| {
            cfg.methods
                .iter()
                .filter(|m| cfg.runs_on(m, &s.name))
                .count() as u64
        })
        .sum();
    let multi = MultiProgress::new();
    let overall = multi.add(ProgressBar::new(n_stages));
    overall.set_style(style(
        "stages {bar:30} {pos}/{len}  elapsed {elapsed}  {msg}",
    )?);
    let stage_style = style("  {msg:28} {bar:30} {pos}/{len} calls  {elapsed} < {eta}")?;
    let current: Mutex<Option<ProgressBar>> = Mutex::new(None);
    // Plain lines when stderr is not a terminal (logs, CI), above the bars when it is.
    let say = |line: String| {
        if multi.is_hidden() {
            eprintln!("{line}");
        } else {
            let _ = multi.println(line);
        }
    };
    let on_event = |e: Event| match e {
        Event::BuildingSuite { suite } => overall.set_message(format!("building {suite}")),
        Event::SuiteReady {
            suite,
            functions,
            scope_note,
        } => {
            let scope = if scope_note.is_empty() {
                "the whole suite".to_string()
            } else {
                scope_note
            };
            say(format!("{suite}: {functions} functions ({scope})"));
            overall.set_message(suite);
        }
        Event::Stage {
            suite,
            method,
            calls,
            skipped,
        } => {
            let mut cur = current
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(b) = cur.take() {
                b.finish_and_clear();
            }
            overall.inc(1);
            if skipped {
                say(format!("  {suite}/{method}: done already, skipped"));
            } else {
                if multi.is_hidden() {
                    eprintln!("  {suite}/{method}: {calls} oracle calls");
                }
                let b = multi.add(ProgressBar::new(calls));
                b.set_style(stage_style.clone());
                b.set_message(format!("{suite}/{method}"));
                *cur = Some(b);
            }
        }
        Event::Checkpoint { .. } => {}
        Event::Calls(n) => {
            if let Some(b) = current
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .as_ref()
            {
                b.inc(n);
            }
        }
    };
    repro.run(&on_event).context("evaluation")?;
    if let Some(b) = current
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take()
    {
        b.finish_and_clear();
    }
    overall.finish_and_clear();
    let eval_s = started.elapsed().as_secs_f64();
    eprintln!("evaluation finished in {:.1} min", eval_s / 60.0);

    if let Some(sc) = &cfg.scaling
        && reproduce::read_scaling(out).is_none()
    {
        let bar = ProgressBar::new(0);
        bar.set_style(style("scaling {bar:30} {pos}/{len} runs  {elapsed}")?);
        let s = scaling::measure(sc, repro.methods(), cfg.seed, &|done, total| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        })
        .context("scaling measurements")?;
        bar.finish_and_clear();
        reproduce::write_scaling(out, &s)?;
    }
    let wall_s = started.elapsed().as_secs_f64();
    let info = serde_json::json!({ "command": command, "wall_s": wall_s });
    std::fs::write(out.join("run-info.json"), info.to_string())
        .with_context(|| format!("writing {}", out.join("run-info.json").display()))?;
    write_all(&cfg, out, publish, Some(wall_s), command)?;
    eprintln!(
        "done in {:.1} min: {}",
        started.elapsed().as_secs_f64() / 60.0,
        out.join("results.md").display()
    );
    Ok(())
}

fn write_all(
    cfg: &ReproduceConfig,
    out: &Path,
    publish: Option<&Path>,
    wall_s: Option<f64>,
    command: &str,
) -> anyhow::Result<()> {
    let res = reproduce::summarize(cfg, out).context("summarising the records")?;
    let scaling = reproduce::read_scaling(out);
    let mut method_names = Vec::new();
    for k in &cfg.methods {
        let m = reproduce::methods::resolve(k, &cfg.policy_paths())?;
        method_names.push((k.clone(), m.name));
    }
    let scope_notes = cfg
        .suites
        .iter()
        .map(|s| {
            let note = match (&s.only, s.functions) {
                (Some(o), _) => format!("only {}", o.join(", ")),
                (None, Some(n)) if s.name == "vlse47" && n < 47 => format!("the first {n}"),
                (None, Some(n)) if s.name != "vlse47" && n < pop_prior::EVAL_SET_SIZE => {
                    format!(
                        "the first {n} of the {} test functions",
                        pop_prior::EVAL_SET_SIZE
                    )
                }
                _ => String::new(),
            };
            (s.name.clone(), note)
        })
        .collect();
    let mut policies = Vec::new();
    if cfg.methods.iter().any(|m| m == "pop") {
        policies.push(format!(
            "POP policy: `{}` (see its PROVENANCE.md){}.",
            cfg.pop_policy.display(),
            cfg.pop_restarts.map_or(String::new(), |k| format!(
                ", run inside the restart rule of the restarted baselines with patience {k}{} \
                 (chosen on the prior validation splits, docs/pop-method.md §9)",
                cfg.pop_restarts_max_dim.map_or(String::new(), |d| format!(
                    " up to {d} dimensions (plain above)"
                ))
            ))
        ));
    }
    if cfg.methods.iter().any(|m| m == "pop-paper") {
        policies.push(format!(
            "POP paper-faithful policy (`pop-paper`): `{}` (see its PROVENANCE.md).",
            cfg.pop_paper_policy.display()
        ));
    }
    if cfg.methods.iter().any(|m| m == "velo-style-es") {
        policies.push(format!(
            "Learned competitor `velo-style-es`: `{}` — VeLO's recipe (per-coordinate MLP, ES \
             meta-training) trained on our prior, not VeLO's released weights (docs/velo-style.md).",
            cfg.velo_policy.display()
        ));
    }
    let ctx = PageContext {
        command: command.to_string(),
        method_names,
        scope_notes,
        wall_s,
        policies,
        ..Default::default()
    };
    let text = reproduce::write_report(
        &res,
        cfg,
        scaling.as_ref(),
        &out.join("results.md"),
        out,
        ctx.clone(),
    )?;
    if let Some(docs) = publish {
        reproduce::write_report(
            &res,
            cfg,
            scaling.as_ref(),
            &docs.join("results.md"),
            &docs.join("results"),
            ctx,
        )?;
        eprintln!("published {}", docs.join("results.md").display());
    }
    // The headline goes to stdout: the one thing a user reads.
    let b = cfg.budgets.last().copied().unwrap_or(0);
    println!("{}", report::headline(&res, cfg));
    if text.is_empty() || b == 0 {
        bail!("empty results page");
    }
    Ok(())
}
