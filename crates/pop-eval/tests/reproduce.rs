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

/// The `ci` preset with its policy paths made absolute: its relative paths are read from the
/// current directory (the workspace root for `pop-reproduce`), and tests run in the crate's.
fn ci() -> ReproduceConfig {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut cfg = ReproduceConfig::preset("ci").expect("ci preset");
    for p in [
        &mut cfg.pop_policy,
        &mut cfg.pop_paper_policy,
        &mut cfg.velo_policy,
    ] {
        *p = root.join(&*p);
    }
    cfg
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
    let cfg = ci();
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
    // One record per (suite, function, method, budget, start), with the best-so-far value at
    // thinned calls (every call on the convergence functions), and no part files left.
    for s in &cfg.suites {
        for m in &cfg.methods {
            let p = out
                .join("records")
                .join(&s.name)
                .join(format!("{m}.jsonl.gz"));
            let recs = reproduce::runner::read_records(&p).expect("records");
            let nf = if s.name == "vlse47" { 3 } else { 2 };
            assert_eq!(
                recs.len(),
                nf * cfg.starts * cfg.budgets.len(),
                "{}",
                p.display()
            );
            for r in &recs {
                assert_eq!(r.best.len(), r.t.len());
                assert_eq!(r.t.last(), Some(&r.budget));
                assert!(r.regret().is_some() || r.f0.is_none() || r.f_star.is_none());
                let every = s.name == "vlse47" && cfg.convergence_functions.contains(&r.function);
                assert_eq!(r.has_every_call(), every, "{} {}", r.function, r.budget);
                let finite: Vec<f64> = r.best.iter().flatten().copied().collect();
                assert!(
                    finite.windows(2).all(|w| w[1] <= w[0]),
                    "best-so-far must not rise"
                );
            }
            let dir = p.parent().expect("dir");
            for e in std::fs::read_dir(dir).expect("ls") {
                let name = e.expect("entry").file_name().to_string_lossy().into_owned();
                assert!(!name.contains(".part"), "leftover {name}");
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
    let before = std::fs::read(out.join("records/vlse47/pop.jsonl.gz")).expect("read");
    let skipped = std::sync::atomic::AtomicUsize::new(0);
    let repro = Reproduction::prepare(cfg.clone(), &out).expect("prepare again");
    repro
        .run(&|e| {
            if let reproduce::Event::Stage { skipped: true, .. } = e {
                skipped.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        })
        .expect("rerun");
    // One run per folder at a time: while `repro` lives, the folder is locked.
    let err = Reproduction::prepare(cfg.clone(), &out).expect_err("in use");
    assert!(matches!(err, ReproduceError::FolderInUse { .. }), "{err}");
    drop(repro);
    assert_eq!(skipped.into_inner(), cfg.suites.len() * cfg.methods.len());
    assert_eq!(
        std::fs::read(out.join("records/vlse47/pop.jsonl.gz")).expect("read"),
        before
    );

    // A deleted stage is recomputed identically (resume after an interruption, determinism).
    let path = out.join("records/vlse47/pop.jsonl.gz");
    let before = strip_times(&path);
    std::fs::remove_file(&path).expect("rm");
    Reproduction::prepare(cfg.clone(), &out)
        .expect("prepare")
        .run(&|_| {})
        .expect("resume");
    assert_eq!(strip_times(&path), before, "same seed, same records");

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

/// The records of a file with the wall-clock fields zeroed (the only fields that differ between
/// two runs of one config).
fn strip_times(path: &std::path::Path) -> Vec<reproduce::Record> {
    reproduce::runner::read_records(path)
        .expect("records")
        .into_iter()
        .map(|mut r| {
            r.wall_time_s = 0.0;
            r.optimizer_time_s = 0.0;
            r
        })
        .collect()
}

/// A stage stopped after its first checkpoint (as a kill would leave it, plus a torn, unindexed
/// tail) resumes from the saved runs and ends with the records of an uninterrupted run: the
/// saved part is kept byte for byte, only the rest is run again, and nothing looks complete
/// before it is.
#[test]
fn an_interrupted_stage_resumes_to_the_same_records() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::time::Duration;

    let mut cfg = ci();
    cfg.methods = vec!["adam-tuned".into(), "pop".into()];
    cfg.suites.truncate(1);
    cfg.starts = 8;
    cfg.budgets = vec![10, 20];
    cfg.scaling = None;
    let whole = tmp("ckpt-whole");
    Reproduction::prepare(cfg.clone(), &whole)
        .expect("prepare")
        .run(&|_| {})
        .expect("uninterrupted run");

    let out = tmp("ckpt-killed");
    let stop = AtomicBool::new(false);
    let saved = AtomicUsize::new(0);
    let err = Reproduction::prepare(cfg.clone(), &out)
        .expect("prepare")
        .with_checkpoint_every(Duration::ZERO)
        .run_until(
            &|e| {
                if let reproduce::Event::Checkpoint { done, .. } = e {
                    saved.store(done, Ordering::SeqCst);
                    stop.store(true, Ordering::SeqCst);
                }
            },
            &stop,
        )
        .expect_err("stopped");
    assert!(
        matches!(&err, ReproduceError::Interrupted { method, done, total, .. }
            if method == "adam-tuned" && *done > 0 && done < total),
        "{err}"
    );
    let records = out.join("records/vlse47/adam-tuned.jsonl.gz");
    let part = out.join("records/vlse47/adam-tuned.jsonl.gz.part");
    let index = out.join("records/vlse47/adam-tuned.jsonl.gz.part-index.json");
    assert!(!records.exists(), "nothing half-done looks complete");
    assert!(part.is_file() && index.is_file());
    let saved_bytes = std::fs::read(&part).expect("part");
    // A kill in the middle of the next save: bytes on disk that the index does not count.
    let mut torn = saved_bytes.clone();
    torn.extend_from_slice(&saved_bytes[..saved_bytes.len() / 2]);
    std::fs::write(&part, &torn).expect("torn tail");

    let resumed_from = AtomicUsize::new(usize::MAX);
    let calls = AtomicUsize::new(0);
    Reproduction::prepare(cfg.clone(), &out)
        .expect("prepare again")
        .with_checkpoint_every(Duration::ZERO)
        .run(&|e| match e {
            reproduce::Event::Checkpoint { method, done, .. } if method == "adam-tuned" => {
                resumed_from.fetch_min(done, Ordering::SeqCst);
                // The saved runs are kept as they were.
                if let Ok(now) = std::fs::read(&part) {
                    assert_eq!(&now[..saved_bytes.len()], &saved_bytes[..]);
                }
            }
            reproduce::Event::Calls(n) => {
                calls.fetch_add(n as usize, Ordering::SeqCst);
            }
            _ => {}
        })
        .expect("resume");
    assert!(resumed_from.into_inner() > saved.load(Ordering::SeqCst));
    assert!(records.is_file() && !part.exists() && !index.exists());
    for m in &cfg.methods {
        let a = strip_times(&whole.join(format!("records/vlse47/{m}.jsonl.gz")));
        let b = strip_times(&out.join(format!("records/vlse47/{m}.jsonl.gz")));
        assert_eq!(a, b, "{m}");
        assert_eq!(a.len(), 3 * cfg.starts * cfg.budgets.len());
    }
    // Equal records (times aside) compress to equal bytes; and the tables are the same.
    let t_whole = reproduce::summarize(&cfg, &whole).expect("summary");
    let t_out = reproduce::summarize(&cfg, &out).expect("summary");
    assert_eq!(
        report::summary_csv(&t_whole.summary),
        report::summary_csv(&t_out.summary)
    );

    // A part that does not match its index is not trusted: the stage starts over.
    std::fs::remove_file(&records).expect("rm");
    std::fs::write(&part, b"garbage").expect("part");
    std::fs::write(
        &index,
        std::fs::read_to_string(whole.join("config.json")).expect("any json"),
    )
    .expect("index");
    Reproduction::prepare(cfg.clone(), &out)
        .expect("prepare")
        .run(&|_| {})
        .expect("start over");
    assert_eq!(
        strip_times(&records),
        strip_times(&whole.join("records/vlse47/adam-tuned.jsonl.gz"))
    );
    assert!(!part.exists() && !index.exists());
    let _ = calls;
    let _ = std::fs::remove_dir_all(&whole);
    let _ = std::fs::remove_dir_all(&out);
}

/// A results folder of records format 1 is refused with a clear error, never misread.
#[test]
fn an_old_records_format_is_a_clear_error() {
    let cfg = ci();
    let out = tmp("format-1");
    std::fs::create_dir_all(&out).expect("mkdir");
    let manifest = serde_json::json!({
        "format_version": 1,
        "config": cfg,
        "policy_fingerprints": {},
    });
    std::fs::write(out.join("config.json"), manifest.to_string()).expect("manifest");
    let err = Reproduction::prepare(cfg.clone(), &out).expect_err("format 1");
    assert!(
        matches!(err, ReproduceError::RecordsFormat { found: 1, .. }),
        "{err}"
    );
    let msg = err.to_string();
    assert!(msg.contains("format 1") && msg.contains("--out"), "{msg}");
    let err = reproduce::summarize(&cfg, &out).expect_err("format 1");
    assert!(matches!(err, ReproduceError::RecordsFormat { .. }), "{err}");
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn missing_or_corrupt_policies_are_clear_errors() {
    let mut cfg = ci();
    cfg.pop_policy = "no/such/run".into();
    let out = tmp("missing-policy");
    let err = Reproduction::prepare(cfg, &out).expect_err("missing policy");
    let msg = err.to_string();
    assert!(msg.contains("pop") && msg.contains("no/such/run"), "{msg}");
    assert!(!out.exists(), "nothing written on error");

    let mut cfg = ci();
    cfg.pop_paper_policy = "no/such/paper-run".into();
    let out = tmp("missing-paper-policy");
    let err = Reproduction::prepare(cfg, &out).expect_err("missing pop-paper policy");
    let msg = err.to_string();
    assert!(
        msg.contains("pop-paper") && msg.contains("no/such/paper-run"),
        "{msg}"
    );
    assert!(!out.exists(), "nothing written on error");

    let dir = tmp("corrupt-velo");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let bad = dir.join("weights.json");
    std::fs::write(&bad, b"{ not json").expect("write");
    let mut cfg = ci();
    cfg.velo_policy = bad.clone();
    let err = Reproduction::prepare(cfg, dir.join("out")).expect_err("corrupt competitor");
    assert!(err.to_string().contains("velo-style-es"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("ls") {
        let e = e.expect("entry");
        let dest = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).expect("copy");
        }
    }
}

/// `pop-paper` runs from its own policy folder (here a copy of the shipped `pop` run), under its
/// own key, with its own fingerprint in the manifest; a manifest from before the
/// `pop_paper_policy` field still matches a config that does not evaluate `pop-paper`.
#[test]
fn pop_paper_is_evaluated_and_fingerprinted_from_its_own_folder() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let policy = tmp("pop-paper-policy");
    copy_dir(&root.join("data/pop-quick"), &policy);

    let mut cfg = ci();
    cfg.methods = vec!["adam".into(), "pop-paper".into()];
    cfg.suites.truncate(1);
    cfg.scaling = None;
    cfg.pop_policy = "no/such/pop-run".into(); // not listed: never read
    cfg.pop_paper_policy = policy.clone();
    let out = tmp("pop-paper");
    let repro = Reproduction::prepare(cfg.clone(), &out).expect("prepare");
    let names: Vec<(&str, &str)> = repro
        .methods()
        .iter()
        .map(|m| (m.key.as_str(), m.name.as_str()))
        .collect();
    assert_eq!(names[1], ("pop-paper", "pop-paper"));
    repro.run(&|_| {}).expect("run");
    drop(repro);
    let recs = reproduce::runner::read_records(&out.join("records/vlse47/pop-paper.jsonl.gz"))
        .expect("records");
    assert_eq!(recs.len(), 3 * cfg.starts * cfg.budgets.len());
    assert!(recs.iter().all(|r| r.method == "pop-paper"));

    let text = std::fs::read_to_string(out.join("config.json")).expect("manifest");
    let manifest: reproduce::runner::Manifest = serde_json::from_str(&text).expect("manifest");
    assert_eq!(
        manifest.policy_fingerprints.keys().collect::<Vec<_>>(),
        ["pop-paper"]
    );
    assert_eq!(
        manifest.policy_fingerprints["pop-paper"],
        reproduce::runner::fingerprint(&policy).expect("fingerprint")
    );
    // Other policy files (every file but the .md notes counts): refused.
    std::fs::write(policy.join("retrained.txt"), b"another run").expect("write");
    let err = Reproduction::prepare(cfg.clone(), &out).expect_err("changed policy");
    assert!(err.to_string().contains("policy files changed"), "{err}");

    // A manifest without `pop_paper_policy` (written before it existed), of a config without
    // `pop-paper`: still this config's, whatever `pop_paper_policy` says now.
    cfg.methods = vec!["adam".into()];
    let old = tmp("pre-pop-paper");
    std::fs::create_dir_all(&old).expect("mkdir");
    let mut json = serde_json::json!({
        "format_version": reproduce::runner::FORMAT_VERSION,
        "config": cfg,
        "policy_fingerprints": {},
        "stage_inputs": true,
    });
    json["config"]
        .as_object_mut()
        .expect("object")
        .remove("pop_paper_policy")
        .expect("serialized");
    std::fs::write(old.join("config.json"), json.to_string()).expect("manifest");
    cfg.pop_paper_policy = "runs/pop-paper-quick".into();
    Reproduction::prepare(cfg.clone(), &old).expect("an old manifest still matches");
    cfg.methods.push("pop-paper".into());
    cfg.pop_paper_policy = policy.clone();
    let err = Reproduction::prepare(cfg, &old).expect_err("another method list");
    assert!(
        matches!(err, ReproduceError::ForeignResults { .. }),
        "{err}"
    );
    for p in [policy, out, old] {
        let _ = std::fs::remove_dir_all(&p);
    }
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
            let m = methods::resolve(key, &methods::PolicyPaths::shipped()).expect("method");
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

/// The restart methods stay anytime across their restarts (the wrapper hands each inner run the
/// budget that remains, which Adam and L-BFGS never read): checked over budgets long enough that
/// both restart several times before the shorter one ends.
#[test]
fn restart_methods_are_prefixes_across_restarts() {
    let f = registry::build("six-hump-camel", Some(2)).expect("function");
    let x0 = harness::start_points(pop_bench_fns::Objective::bounds(&f), 1, 5).remove(0);
    for (key, plain) in [
        ("lbfgs+restarts", "lbfgs"),
        ("adam-tuned+restarts", "adam-tuned"),
    ] {
        assert!(methods::is_anytime(key, 32, 50).expect("registered"));
        let m = methods::resolve(key, &methods::PolicyPaths::shipped()).expect("method");
        assert!(m.name.ends_with("+restarts"), "{}", m.name);
        let (short, long) = (150usize, 400usize);
        let a = harness::run(&f, m.method.as_ref(), &x0, short, 11, RunOptions::default())
            .expect("short");
        let b = harness::run(&f, m.method.as_ref(), &x0, long, 11, RunOptions::default())
            .expect("long");
        assert_eq!(a.values[..], b.values[..short], "{key}");
        assert_eq!(a.best[..], b.best[..short], "{key}");
        // It did restart before the shorter budget ended: its calls leave the plain method's.
        let p = methods::resolve(plain, &methods::PolicyPaths::shipped()).expect("plain");
        let c = harness::run(&f, p.method.as_ref(), &x0, short, 11, RunOptions::default())
            .expect("plain run");
        assert_ne!(
            a.values[..],
            c.values[..],
            "{key} never restarted in {short} calls"
        );
    }
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

/// A records file of other inputs (here another seed, with the same number of lines) is refused
/// by the runner and by the summary, with or without its stamp; deleting it computes it again.
#[test]
fn records_of_other_inputs_are_refused() {
    let mut cfg = ci();
    cfg.methods = vec!["adam".into(), "gd".into()];
    cfg.suites.truncate(1);
    cfg.scaling = None;
    let a = tmp("inputs-a");
    let b = tmp("inputs-b");
    Reproduction::prepare(cfg.clone(), &a)
        .expect("prepare")
        .run(&|_| {})
        .expect("run");
    let mut other = cfg.clone();
    other.seed += 1;
    Reproduction::prepare(other, &b)
        .expect("prepare")
        .run(&|_| {})
        .expect("run");
    let rel = "records/vlse47/adam.jsonl.gz";
    let stamp = "records/vlse47/adam.inputs.json";
    let (ra, rb) = (a.join(rel), b.join(rel));
    let ours = strip_times(&ra);
    assert_eq!(
        reproduce::records::count_records(&ra).expect("count"),
        reproduce::records::count_records(&rb).expect("count")
    );
    assert!(a.join(stamp).is_file(), "every stage has a stamp");
    reproduce::summarize(&cfg, &a).expect("own records");

    let refused = |what: &str| -> Vec<String> {
        let run = Reproduction::prepare(cfg.clone(), &a)
            .expect("prepare")
            .run(&|_| {})
            .expect_err(what);
        let report = reproduce::summarize(&cfg, &a).expect_err(what);
        [run, report]
            .into_iter()
            .map(|e| {
                assert!(
                    matches!(e, ReproduceError::StageInputs { .. }),
                    "{what}: {e}"
                );
                let msg = e.to_string();
                assert!(
                    msg.contains(&ra.display().to_string()) && msg.contains("--out"),
                    "{what}: {msg}"
                );
                msg
            })
            .collect()
    };
    // The other run's records alone: they are not the bytes the stamp was written for.
    std::fs::copy(&rb, &ra).expect("copy");
    for msg in refused("records of another seed") {
        assert!(msg.contains("bytes"), "{msg}");
    }
    // With their stamp: the inputs differ, and the message says how.
    std::fs::copy(b.join(stamp), a.join(stamp)).expect("copy");
    for msg in refused("records and stamp of another seed") {
        assert!(
            msg.contains("seed: recorded 8, this configuration 7"),
            "{msg}"
        );
    }
    // Records without a stamp.
    std::fs::remove_file(a.join(stamp)).expect("rm");
    for msg in refused("records without a stamp") {
        assert!(msg.contains("no stage inputs file"), "{msg}");
    }
    // Deleted, the stage is computed again: the same records.
    std::fs::remove_file(&ra).expect("rm");
    Reproduction::prepare(cfg.clone(), &a)
        .expect("prepare")
        .run(&|_| {})
        .expect("recompute");
    assert_eq!(strip_times(&ra), ours, "same seed, same records");
    reproduce::summarize(&cfg, &a).expect("recomputed records");
    for p in [a, b] {
        let _ = std::fs::remove_dir_all(&p);
    }
}

/// A results folder written before stages carried stamps is still summarised (unverified), and
/// a run into it is refused with a message that says so.
#[test]
fn a_folder_without_stage_stamps_is_read_but_not_added_to() {
    let mut cfg = ci();
    cfg.methods = vec!["adam".into()];
    cfg.suites.truncate(1);
    cfg.scaling = None;
    let out = tmp("pre-stamps");
    Reproduction::prepare(cfg.clone(), &out)
        .expect("prepare")
        .run(&|_| {})
        .expect("run");
    // As an older pop-reproduce wrote it: no stamps, no `stage_inputs` in the manifest.
    std::fs::remove_file(out.join("records/vlse47/adam.inputs.json")).expect("rm");
    let mpath = out.join("config.json");
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&mpath).expect("manifest")).expect("json");
    json.as_object_mut()
        .expect("object")
        .remove("stage_inputs")
        .expect("written");
    std::fs::write(&mpath, json.to_string()).expect("manifest");
    reproduce::summarize(&cfg, &out).expect("an old folder is still read");
    let err = Reproduction::prepare(cfg, &out).expect_err("old folder");
    assert!(
        matches!(err, ReproduceError::ForeignResults { .. })
            && err.to_string().contains("older pop-reproduce"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&out);
}

/// A relative policy path is read from the current directory only: not found there, it is an
/// error naming the path and the directory (it used to fall back to the build's `data/`).
#[test]
fn a_relative_policy_path_is_read_from_the_current_directory() {
    let cwd = std::env::current_dir().expect("cwd");
    assert!(
        !cwd.join("data/pop-quick").exists(),
        "tests run in the crate"
    );
    let policies = methods::PolicyPaths {
        pop: std::path::Path::new("data/pop-quick"),
        ..methods::PolicyPaths::shipped()
    };
    let err = methods::resolve("pop", &policies).expect_err("not in the current directory");
    let msg = err.to_string();
    assert!(
        msg.contains("data/pop-quick") && msg.contains(&cwd.display().to_string()),
        "{msg}"
    );
    assert!(msg.contains("--pop-policy"), "{msg}");
    methods::resolve("pop", &methods::PolicyPaths::shipped()).expect("absolute paths load");
}

fn pop_reproduce(cwd: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_pop-reproduce"))
        .current_dir(cwd)
        .args(args)
        .output()
        .expect("start pop-reproduce")
}

/// A results folder another live run owns is refused (exit 1, the folder and the owner's pid
/// named); a stale lock of a dead run is taken over.
#[test]
fn cli_refuses_a_results_folder_in_use() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = tmp("cli-locked");
    std::fs::create_dir_all(&out).expect("mkdir");
    let lock = out.join(reproduce::lock::LOCK_FILE);
    // This test's own process: alive while the binary runs.
    let me = std::process::id().to_string();
    std::fs::write(&lock, format!("{me}\n")).expect("lock");
    let out_s = out.to_str().expect("utf-8");
    let args = [
        "run",
        "--config",
        "ci",
        "--methods",
        "adam",
        "--suites",
        "vlse47",
        "--out",
        out_s,
    ];
    let o = pop_reproduce(&root, &args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("in use by process {me}")) && err.contains(out_s),
        "{err}"
    );
    assert!(!out.join("config.json").exists(), "nothing written");
    assert_eq!(
        std::fs::read_to_string(&lock).expect("lock"),
        format!("{me}\n")
    );
    // A lock of a process that is gone: taken over, and released at the end.
    std::fs::write(&lock, "4294967295\n").expect("lock");
    let o = pop_reproduce(&root, &args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("stale lock"));
    assert!(!lock.exists(), "released");
    let _ = std::fs::remove_dir_all(&out);
}

/// `--budgets` below a preset's cap of a method names the cap's field and the flags that help.
#[test]
fn cli_names_the_field_and_flag_of_a_budget_cap() {
    let out = tmp("cli-cap");
    let out_s = out.to_str().expect("utf-8");
    let o = pop_reproduce(
        &std::env::temp_dir(),
        &[
            "run",
            "--config",
            "quick",
            "--methods",
            "bo-gp-ei",
            "--budgets",
            "100",
            "--out",
            out_s,
        ],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("bo-gp-ei")
            && err.contains("max_budget")
            && err.contains("--budgets")
            && err.contains("--methods"),
        "{err}"
    );
    assert!(!out.exists());
}

/// A relative `--pop-policy` is read from the current directory, not from the build's `data/`.
#[test]
fn cli_reads_a_relative_policy_from_the_current_directory() {
    let cwd = tmp("cli-cwd");
    std::fs::create_dir_all(&cwd).expect("mkdir");
    let out = cwd.join("out");
    let o = pop_reproduce(
        &cwd,
        &[
            "run",
            "--config",
            "ci",
            "--methods",
            "adam,pop",
            "--suites",
            "vlse47",
            "--pop-policy",
            "data/pop-quick",
            "--out",
            out.to_str().expect("utf-8"),
        ],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("data/pop-quick") && err.contains(&cwd.display().to_string()),
        "{err}"
    );
    assert!(!out.exists(), "nothing written");
    let _ = std::fs::remove_dir_all(&cwd);
}
