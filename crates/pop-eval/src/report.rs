//! Writing the results: `summary.csv`, `vlse47.csv`, `per_function.csv`, `timings.csv` and the
//! Markdown page `results.md` with its pictures.

use std::fmt::Write as _;
use std::path::Path;

use super::config::ReproduceConfig;
use super::error::{ReproduceError, write_atomic};
use super::scaling::Scaling;
use super::summary::{COCO_EXPONENTS, Results, SummaryRow, TIE_TOL};

/// Header of `summary.csv` (the contract of the reproduction issue).
pub const SUMMARY_HEADER: &str = "suite,budget,method,mean_normalized_regret,median_normalized_regret,mean_ni,average_rank,wins,ties,losses,wilcoxon_p";
/// Header of `vlse47.csv`.
pub const VLSE_HEADER: &str = "function,budget,method,mean_normalized_regret";

fn num(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.6}")
    } else {
        String::new()
    }
}

/// `summary.csv` text.
pub fn summary_csv(rows: &[SummaryRow]) -> String {
    let mut s = format!("{SUMMARY_HEADER}\n");
    for r in rows {
        let (w, t, l) = match r.wtl {
            Some((w, t, l)) => (w.to_string(), t.to_string(), l.to_string()),
            None => Default::default(),
        };
        let p = r.wilcoxon_p.map(|p| format!("{p:.6e}")).unwrap_or_default();
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{w},{t},{l},{p}",
            r.suite,
            r.budget,
            r.method,
            num(r.mean_nr),
            num(r.median_nr),
            num(r.mean_ni),
            num(r.average_rank)
        );
    }
    s
}

/// `vlse47.csv` (or, with `suite = None`, `per_function.csv` with a leading suite column).
pub fn per_function_csv(res: &Results, cfg: &ReproduceConfig, suite: Option<&str>) -> String {
    let mut s = match suite {
        Some(_) => format!("{VLSE_HEADER}\n"),
        None => format!("suite,{VLSE_HEADER}\n"),
    };
    for sname in &res.suites {
        if suite.is_some_and(|x| x != sname) {
            continue;
        }
        let Some(fnames) = res.functions.get(sname) else {
            continue;
        };
        for f in fnames {
            for &b in &cfg.budgets {
                for m in &cfg.methods {
                    if let Some(v) = res
                        .per_function
                        .get(&(sname.clone(), b, m.clone()))
                        .and_then(|t| t.get(f))
                    {
                        if suite.is_none() {
                            let _ = write!(s, "{sname},");
                        }
                        let _ = writeln!(s, "{f},{b},{m},{}", num(*v));
                    }
                }
            }
        }
    }
    s
}

/// `timings.csv`.
pub fn timings_csv(res: &Results) -> String {
    let mut s =
        String::from("suite,method,runs,calls,stage_wall_s,sum_run_s,sum_optimizer_s,threads\n");
    for t in &res.timings {
        let _ = writeln!(
            s,
            "{},{},{},{},{:.3},{:.3},{:.3},{}",
            t.suite, t.method, t.runs, t.calls, t.wall_s, t.run_s, t.optimizer_s, t.threads
        );
    }
    s
}

/// Writes the CSV files into `dir`.
pub fn write_csvs(res: &Results, cfg: &ReproduceConfig, dir: &Path) -> Result<(), ReproduceError> {
    write_atomic(
        &dir.join("summary.csv"),
        summary_csv(&res.summary).as_bytes(),
    )?;
    if res.suites.iter().any(|s| s == "vlse47") {
        write_atomic(
            &dir.join("vlse47.csv"),
            per_function_csv(res, cfg, Some("vlse47")).as_bytes(),
        )?;
    }
    write_atomic(
        &dir.join("per_function.csv"),
        per_function_csv(res, cfg, None).as_bytes(),
    )?;
    write_atomic(&dir.join("timings.csv"), timings_csv(res).as_bytes())?;
    Ok(())
}

/// Context for the page: how the run was made.
#[derive(Debug, Clone, Default)]
pub struct PageContext {
    /// The command that produced it.
    pub command: String,
    /// Method key → `Method::name` (hyperparameters).
    pub method_names: Vec<(String, String)>,
    /// Scope notes per suite (what was left out).
    pub scope_notes: Vec<(String, String)>,
    /// Total wall time of the evaluation, when measured in this process.
    pub wall_s: Option<f64>,
    /// Image paths relative to the page: (title, path).
    pub images: Vec<(String, String)>,
    /// Where the CSV files are, relative to the page.
    pub csv_dir: String,
    /// Policy provenance lines.
    pub policies: Vec<String>,
}

fn fmt_p(p: Option<f64>) -> String {
    match p {
        Some(p) if p < 1e-3 => format!("{p:.1e}"),
        Some(p) => format!("{p:.3}"),
        None => "—".into(),
    }
}

fn summary_table(rows: &[&SummaryRow]) -> String {
    let mut s = String::from(
        "| method | mean NR | median NR | mean NI | avg rank | POP W/T/L | p (Wilcoxon) |\n|---|---:|---:|---:|---:|---:|---:|\n",
    );
    let mut sorted: Vec<&&SummaryRow> = rows.iter().collect();
    sorted.sort_by(|a, b| a.average_rank.total_cmp(&b.average_rank));
    for r in sorted {
        let wtl = r
            .wtl
            .map(|(w, t, l)| format!("{w}/{t}/{l}"))
            .unwrap_or_else(|| "—".into());
        // Both POP variants in bold; the W/T/L and p columns stay `pop`'s (on `pop-paper`'s
        // row: `pop` against its paper-faithful variant).
        let name = if r.method == "pop" || r.method == "pop-paper" {
            format!("**{}**", r.method)
        } else {
            r.method.clone()
        };
        let _ = writeln!(
            s,
            "| {name} | {:.4} | {:.4} | {:.4} | {:.2} | {wtl} | {} |",
            r.mean_nr,
            r.median_nr,
            r.mean_ni,
            r.average_rank,
            fmt_p(r.wilcoxon_p)
        );
    }
    s
}

/// The headline: POP's standing per suite at the largest budget, in words.
pub fn headline(res: &Results, cfg: &ReproduceConfig) -> String {
    let Some(&b) = cfg.budgets.last() else {
        return String::new();
    };
    let mut s = String::new();
    let _ = writeln!(
        s,
        "| suite (T = {b}) | POP mean NR | POP avg rank | best other (mean NR) | POP beats (signed-rank p < 0.05) | POP loses to (signed-rank p < 0.05) |\n|---|---:|---:|---|---|---|"
    );
    for suite in &res.suites {
        let rows: Vec<&SummaryRow> = res
            .summary
            .iter()
            .filter(|r| &r.suite == suite && r.budget == b)
            .collect();
        let Some(pop) = rows.iter().find(|r| r.method == "pop") else {
            continue;
        };
        let best_other = rows
            .iter()
            .filter(|r| r.method != "pop")
            .min_by(|a, b| a.mean_nr.total_cmp(&b.mean_nr));
        let sig = |win: bool| -> String {
            let v: Vec<String> = rows
                .iter()
                .filter(|r| r.wilcoxon_p.is_some_and(|p| p < 0.05) && r.favours_pop == Some(win))
                .map(|r| r.method.clone())
                .collect();
            if v.is_empty() {
                "none".into()
            } else {
                v.join(", ")
            }
        };
        let _ = writeln!(
            s,
            "| {suite} | {:.4} | {:.2} of {} | {} | {} | {} |",
            pop.mean_nr,
            pop.average_rank,
            rows.len(),
            best_other
                .map(|r| format!("{} ({:.4})", r.method, r.mean_nr))
                .unwrap_or_default(),
            sig(true),
            sig(false)
        );
    }
    s
}

/// The Markdown results page.
pub fn results_page(
    res: &Results,
    cfg: &ReproduceConfig,
    scaling: Option<&Scaling>,
    ctx: &PageContext,
) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Results: POP against every baseline (`{}`)\n",
        cfg.name
    );
    let _ = writeln!(
        s,
        "Generated by `{}` — do not edit by hand. Budgets {:?} oracle calls (start point \
         included), {} shared start points per function, master seed {}. Normalised regret \
         NR = (b_T − f*)/(f(x₀) − f*) per run, averaged over starts per function; NI = 1 − NR. \
         Ranks, wins/ties/losses and the Wilcoxon signed-rank test (two-sided, scipy's \
         defaults) compare per-function means; differences below {TIE_TOL:e} are ties. CSV \
         files: `{}`.\n",
        ctx.command, cfg.budgets, cfg.starts, cfg.seed, ctx.csv_dir
    );
    if let Some(w) = ctx.wall_s {
        let _ = writeln!(
            s,
            "Evaluation wall time in this run: {:.1} min on {} threads.\n",
            w / 60.0,
            rayon::current_num_threads()
        );
    }
    let _ = writeln!(s, "## Scope\n");
    for (suite, note) in &ctx.scope_notes {
        let n = res.functions.get(suite).map_or(0, Vec::len);
        let extra = if note.is_empty() {
            "the whole suite".to_string()
        } else {
            note.clone()
        };
        let _ = writeln!(s, "- `{suite}`: {n} functions ({extra}).");
    }
    for (m, only) in &cfg.only_suites {
        let _ = writeln!(
            s,
            "- `{m}` runs only on {} in this configuration (it has no rows elsewhere).",
            only.iter()
                .map(|x| format!("`{x}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    for (m, cap) in &cfg.max_budget {
        let _ = writeln!(
            s,
            "- `{m}` runs only up to T = {cap} in this configuration (its rows at larger budgets \
             are missing, and it is left out of the ranks there)."
        );
    }
    let _ = writeln!(
        s,
        "- f* of the 8-, 16- and 32-D prior functions is a numerical estimate (multi-start \
         polish, pop-prior); a method can beat it slightly (negative regret).\n"
    );
    let _ = writeln!(
        s,
        "## Methods\n\n| key | hyperparameters (`Method::name`) |\n|---|---|"
    );
    for (k, n) in &ctx.method_names {
        let _ = writeln!(s, "| {k} | `{n}` |");
    }
    let _ = writeln!(s);
    for p in &ctx.policies {
        let _ = writeln!(s, "- {p}");
    }
    let _ = writeln!(s, "\n## Headline\n\n{}", headline(res, cfg));
    let _ = writeln!(s, "## Summary per suite and budget\n");
    for suite in &res.suites {
        for &b in &cfg.budgets {
            let rows: Vec<&SummaryRow> = res
                .summary
                .iter()
                .filter(|r| &r.suite == suite && r.budget == b)
                .collect();
            if rows.is_empty() {
                continue;
            }
            let _ = writeln!(
                s,
                "### {suite}, T = {b} ({} functions)\n\n{}",
                rows[0].functions,
                summary_table(&rows)
            );
        }
    }
    if let Some(fnames) = res.functions.get("vlse47")
        && let Some(&b) = cfg.budgets.last()
    {
        let ms: Vec<&String> = cfg
            .methods
            .iter()
            .filter(|m| cfg.budgets_on(m, "vlse47").contains(&b))
            .collect();
        let _ = writeln!(
            s,
            "## VLSE-47 per function (mean normalised regret, T = {b}; best in bold)\n"
        );
        let _ = write!(s, "| function |");
        for m in &ms {
            let _ = write!(s, " {m} |");
        }
        let _ = write!(s, "\n|---|");
        for _ in &ms {
            let _ = write!(s, "---:|");
        }
        let _ = writeln!(s);
        for f in fnames {
            let vals: Vec<Option<f64>> = ms
                .iter()
                .map(|m| {
                    res.per_function
                        .get(&("vlse47".to_string(), b, (*m).clone()))
                        .and_then(|t| t.get(f))
                        .copied()
                })
                .collect();
            let best = vals.iter().flatten().copied().fold(f64::INFINITY, f64::min);
            let _ = write!(s, "| {f} |");
            for v in vals {
                match v {
                    Some(v) if v - best <= TIE_TOL => {
                        let _ = write!(s, " **{v:.3}** |");
                    }
                    Some(v) => {
                        let _ = write!(s, " {v:.3} |");
                    }
                    None => {
                        let _ = write!(s, " — |");
                    }
                }
            }
            let _ = writeln!(s);
        }
        let _ = writeln!(s);
    }
    if !ctx.images.is_empty() {
        let _ = writeln!(
            s,
            "## Pictures\n\nCOCO-style curves: the fraction of (function, start, target) triples \
             solved after t evaluations, targets f* + 10^k·(f(x₀) − f*) for k = {}…{}. \
             Convergence curves: median normalised regret over the starts.\n",
            COCO_EXPONENTS.start(),
            COCO_EXPONENTS.end()
        );
        for (title, path) in &ctx.images {
            let _ = writeln!(s, "**{title}**\n\n![{title}]({path})\n");
        }
    }
    let _ = writeln!(s, "## Cost\n");
    if let Some(sc) = scaling {
        let _ = writeln!(
            s,
            "Per-step cost of the optimizer itself (`ask` + `tell`, objective excluded; sphere, \
             {} calls, best of up to 3 runs on one thread, same process):\n\n| method | d | µs per step | × Adam |\n|---|---:|---:|---:|",
            sc.step_costs.first().map_or(0, |c| c.budget)
        );
        for c in &sc.step_costs {
            let _ = writeln!(
                s,
                "| {} | {} | {:.1} | {} |",
                c.method,
                c.dim,
                c.us_per_step,
                c.ratio_to_adam
                    .map(|r| format!("{r:.1}"))
                    .unwrap_or_else(|| "—".into())
            );
        }
        if !sc.large.is_empty() {
            let _ = writeln!(
                s,
                "\nOne run at a large dimension:\n\n| method | function | d | T | wall s | optimizer s | NI |\n|---|---|---:|---:|---:|---:|---:|"
            );
            for r in &sc.large {
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} | {:.3} | {:.3} | {} |",
                    r.method,
                    r.function,
                    r.dim,
                    r.budget,
                    r.wall_s,
                    r.optimizer_s,
                    r.normalized_improvement
                        .map(|v| format!("{v:.4}"))
                        .unwrap_or_else(|| "—".into())
                );
            }
        }
    }
    let _ = writeln!(
        s,
        "\nTotal evaluation time per method and suite (sum of the runs' wall-clock seconds, \
         ≈ CPU seconds; anytime methods ran once at their largest budget):\n"
    );
    let _ = write!(s, "| method |");
    for suite in &res.suites {
        let _ = write!(s, " {suite} s |");
    }
    let _ = write!(s, "\n|---|");
    for _ in &res.suites {
        let _ = write!(s, "---:|");
    }
    let _ = writeln!(s);
    for m in &cfg.methods {
        let _ = write!(s, "| {m} |");
        for suite in &res.suites {
            match res
                .timings
                .iter()
                .find(|t| &t.suite == suite && &t.method == m)
            {
                Some(t) => {
                    let _ = write!(s, " {:.2} |", t.run_s);
                }
                None => {
                    let _ = write!(s, " — |");
                }
            }
        }
        let _ = writeln!(s);
    }
    s
}
