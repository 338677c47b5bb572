//! The miniature reproduction (`ci` preset) end to end, its files, resume, determinism and the
//! bad-input errors; and the "anytime" property the runner relies on.

use std::path::PathBuf;

use pop_bench_fns::registry;
use pop_eval::{self as reproduce, ReproduceConfig, ReproduceError, Reproduction, methods, report};
use pop_optim::harness::{self, RunOptions};

fn tmp(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("pop-reproduce-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn full_run(cfg: &ReproduceConfig, out: &std::path::Path) -> reproduce::Results {
    let repro = Reproduction::prepare(cfg.clone(), out).expect("prepare");
    repro.run(&|_| {}).expect("run");
    let sc = cfg.scaling.as_ref().expect("ci has scaling");
    let s =
        reproduce::scaling::measure(sc, repro.methods(), cfg.seed, &|_, _| {}).expect("scaling");
    reproduce::write_scaling(out, &s).expect("write scaling");
    let res = reproduce::summarize(cfg, out).expect("summarize");
    reproduce::write_report(
        &res,
        cfg,
        Some(&s),
        &out.join("results.md"),
        out,
        reproduce::PageContext::default(),
    )
    .expect("report");
    res
}

#[test]
fn ci_reproduction_end_to_end() {
    let cfg = ReproduceConfig::preset("ci").expect("ci preset");
    let out = tmp("ci");
    let res = full_run(&cfg, &out);

    // summary.csv: the contract header, one row per suite × budget × method.
    let summary = std::fs::read_to_string(out.join("summary.csv")).expect("summary.csv");
    let mut lines = summary.lines();
    assert_eq!(lines.next(), Some(report::SUMMARY_HEADER));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(
        rows.len(),
        cfg.suites.len() * cfg.budgets.len() * cfg.methods.len()
    );
    for r in &rows {
        let cols: Vec<&str> = r.split(',').collect();
        assert_eq!(cols.len(), 11, "{r}");
        let mean_nr: f64 = cols[3].parse().expect("mean NR");
        assert!((-0.01..=1.0 + 1e-9).contains(&mean_nr), "{r}");
        if cols[2] == "pop" {
            assert!(
                cols[7..].iter().all(|c| c.is_empty()),
                "POP's own row has no W/T/L: {r}"
            );
        } else {
            let w: usize = cols[7].parse().expect("wins");
            let t: usize = cols[8].parse().expect("ties");
            let l: usize = cols[9].parse().expect("losses");
            let n = if cols[0] == "vlse47" { 3 } else { 2 };
            assert_eq!(w + t + l, n, "{r}");
        }
    }
    // vlse47.csv: 3 functions × 1 budget × every method.
    let vlse = std::fs::read_to_string(out.join("vlse47.csv")).expect("vlse47.csv");
    assert_eq!(vlse.lines().next(), Some(report::VLSE_HEADER));
    assert_eq!(vlse.lines().count(), 1 + 3 * cfg.methods.len());
    // One record per (suite, function, method, budget, start), with the best-so-far curve.
    for s in &cfg.suites {
        for m in &cfg.methods {
            let p = out.join("records").join(&s.name).join(format!("{m}.jsonl"));
            let recs = reproduce::runner::read_records(&p).expect("records");
            let nf = if s.name == "vlse47" { 3 } else { 2 };
            assert_eq!(
                recs.len(),
                nf * cfg.starts * cfg.budgets.len(),
                "{}",
                p.display()
            );
            for r in &recs {
                assert_eq!(r.best.len(), r.budget);
                let finite: Vec<f64> = r.best.iter().flatten().copied().collect();
                assert!(
                    finite.windows(2).all(|w| w[1] <= w[0]),
                    "best-so-far must not rise"
                );
            }
        }
    }
    for f in [
        "results.md",
        "coco-vlse47.png",
        "coco-prior-2.png",
        "convergence-vlse47.png",
        "scaling.json",
        "timings.csv",
        "config.json",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let page = std::fs::read_to_string(out.join("results.md")).expect("page");
    assert!(
        page.contains("## Headline") && page.contains("velo-style-es"),
        "page:\n{page}"
    );
    assert!(
        res.coco
            .iter()
            .all(|c| c.fraction.windows(2).all(|w| w[1] >= w[0]))
    );

    // Same config again: every stage is skipped and the records are byte-identical.
    let before = std::fs::read(out.join("records/vlse47/pop.jsonl")).expect("read");
    let skipped = std::sync::atomic::AtomicUsize::new(0);
    let repro = Reproduction::prepare(cfg.clone(), &out).expect("prepare again");
    repro
        .run(&|e| {
            if let reproduce::Event::Stage { skipped: true, .. } = e {
                skipped.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        })
        .expect("rerun");
    assert_eq!(skipped.into_inner(), cfg.suites.len() * cfg.methods.len());
    assert_eq!(
        std::fs::read(out.join("records/vlse47/pop.jsonl")).expect("read"),
        before
    );

    // A deleted stage is recomputed identically (resume after an interruption, determinism).
    std::fs::remove_file(out.join("records/vlse47/pop.jsonl")).expect("rm");
    Reproduction::prepare(cfg.clone(), &out)
        .expect("prepare")
        .run(&|_| {})
        .expect("resume");
    let after = std::fs::read(out.join("records/vlse47/pop.jsonl")).expect("read");
    let strip = |b: &[u8]| -> Vec<reproduce::Record> {
        String::from_utf8_lossy(b)
            .lines()
            .map(|l| {
                let mut r: reproduce::Record = serde_json::from_str(l).expect("json");
                r.wall_time_s = 0.0;
                r.optimizer_time_s = 0.0;
                r
            })
            .collect()
    };
    assert_eq!(strip(&after), strip(&before), "same seed, same records");

    // Another config in the same folder: refused, nothing overwritten.
    let manifest = std::fs::read(out.join("config.json")).expect("manifest");
    let mut other = cfg.clone();
    other.seed += 1;
    let err = Reproduction::prepare(other, &out).expect_err("foreign folder");
    assert!(
        matches!(err, ReproduceError::ForeignResults { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("nothing was overwritten"), "{err}");
    assert_eq!(
        std::fs::read(out.join("config.json")).expect("manifest"),
        manifest
    );
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn missing_or_corrupt_policies_are_clear_errors() {
    let mut cfg = ReproduceConfig::preset("ci").expect("ci");
    cfg.pop_policy = "no/such/run".into();
    let out = tmp("missing-policy");
    let err = Reproduction::prepare(cfg, &out).expect_err("missing policy");
    let msg = err.to_string();
    assert!(msg.contains("pop") && msg.contains("no/such/run"), "{msg}");
    assert!(!out.exists(), "nothing written on error");

    let dir = tmp("corrupt-velo");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let bad = dir.join("weights.json");
    std::fs::write(&bad, b"{ not json").expect("write");
    let mut cfg = ReproduceConfig::preset("ci").expect("ci");
    cfg.velo_policy = bad.clone();
    let err = Reproduction::prepare(cfg, dir.join("out")).expect_err("corrupt competitor");
    assert!(err.to_string().contains("velo-style-es"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The runner evaluates "anytime" methods once at the largest budget and cuts the shorter
/// budgets from it: that is only right if a shorter run is exactly a prefix of a longer one.
#[test]
fn anytime_methods_are_prefixes_of_longer_runs() {
    for (fname, d) in [("branin", 2usize), ("hartmann-6d", 6)] {
        let f = registry::build(fname, Some(d)).expect("function");
        let x0 = harness::start_points(pop_bench_fns::Objective::bounds(&f), 1, 3).remove(0);
        for key in methods::keys() {
            let (short, long) = (30usize, 60usize);
            if !methods::is_anytime(key, d, short).expect("registered") {
                continue;
            }
            let m = methods::resolve(key, "data/pop-quick".as_ref(), "data/velo-quick".as_ref())
                .expect("method");
            let a = harness::run(&f, m.method.as_ref(), &x0, short, 11, RunOptions::default())
                .expect("short");
            let b = harness::run(&f, m.method.as_ref(), &x0, long, 11, RunOptions::default())
                .expect("long");
            assert_eq!(a.best[..], b.best[..short], "{key} on {fname}");
            assert_eq!(a.values[..], b.values[..short], "{key} on {fname}");
        }
    }
    assert!(!methods::is_anytime("pop", 2, 50).expect("registered"));
    assert!(!methods::is_anytime("bo-gp-ei", 16, 50).expect("registered"));
    assert!(methods::is_anytime("bo-gp-ei", 2, 50).expect("registered"));
    assert!(methods::is_anytime("no-such-method", 2, 50).is_err());
}

/// The binary: a miniature run through the CLI writes the results page and publishes it; bad
/// input exits non-zero with the valid choices.
#[test]
fn cli_runs_and_rejects_bad_input() {
    let bin = env!("CARGO_BIN_EXE_pop-reproduce");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = tmp("cli");
    let docs = tmp("cli-docs");
    let o = std::process::Command::new(bin)
        .current_dir(&root)
        .args(["run", "--config", "ci", "--out"])
        .arg(&out)
        .arg("--publish")
        .arg(&docs)
        .output()
        .expect("start pop-reproduce");
    assert!(
        o.status.success(),
        "stderr:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("| vlse47 |"),
        "headline on stdout:\n{stdout}"
    );
    for f in [
        "results.md",
        "results/summary.csv",
        "results/vlse47.csv",
        "results/coco-vlse47.png",
    ] {
        assert!(docs.join(f).is_file(), "{f} not published");
    }
    let page = std::fs::read_to_string(docs.join("results.md")).expect("page");
    assert!(
        page.contains("(results/coco-vlse47.png)"),
        "images linked relative to the page"
    );

    let bad = tmp("bad.toml");
    let ci = std::fs::read_to_string(root.join("crates/pop-eval/presets/reproduce-ci.toml"))
        .expect("ci preset");
    std::fs::write(&bad, ci.replace("name = \"prior-2\"", "name = \"prior-3\"")).expect("write");
    let o = std::process::Command::new(bin)
        .current_dir(&root)
        .args(["run", "--config"])
        .arg(&bad)
        .output()
        .expect("start");
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("prior-3") && err.contains("prior-32"), "{err}");

    let o = std::process::Command::new(bin)
        .current_dir(&root)
        .args(["run", "--config", "quick", "--out"])
        .arg(&out)
        .output()
        .expect("start");
    assert_eq!(
        o.status.code(),
        Some(1),
        "a folder of another config is refused"
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("nothing was overwritten"));
    for p in [out, docs, bad] {
        let _ = std::fs::remove_dir_all(&p);
        let _ = std::fs::remove_file(&p);
    }
}
