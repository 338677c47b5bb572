//! Writes a results folder of the `full` preset's shape (all 47 VLSE functions and 1024 functions
//! per prior set, every method of the preset, budgets 50/100/200, 20 starts: 5.5 million
//! records) from the records of a `quick` run, to measure the records' size and the report's
//! memory at full scale without the hours of a full evaluation (docs/benchmarks.md).
//!
//! The prior suites cycle the quick run's functions under new names (`test-0064` is `test-0000`
//! again, …); a stage or budget the quick folders lack (BO beyond T = 50, the univariate TPE
//! off VLSE-47) takes the records of `tpe`, relabelled. The tables of such a folder mean nothing;
//! its shape is the full preset's.
//!
//! ```text
//! cargo run --release -p pop-eval --example full_shape_records -- OUT QUICK_DIR [MORE_DIRS...]
//! pop-reproduce report --out OUT
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use pop_eval::records::{self, Record, RecordWriter};
use pop_eval::runner::Manifest;
use pop_eval::{ReproduceConfig, ReproduceError};

/// The records of one source stage, by (function, start) in file order, each by budget.
type Stage = Vec<((String, usize), BTreeMap<usize, Record>)>;

fn load(dirs: &[PathBuf], suite: &str, method: &str) -> Result<Option<Stage>, ReproduceError> {
    let Some(path) = dirs
        .iter()
        .map(|d| records::records_path(d, suite, method))
        .find(|p| p.exists())
    else {
        return Ok(None);
    };
    let mut out: Stage = Vec::new();
    for r in records::RecordReader::open(&path)? {
        let r = r?;
        let key = (r.function.clone(), r.start);
        match out.last_mut() {
            Some((k, by_b)) if *k == key => {
                by_b.insert(r.budget, r);
            }
            _ => out.push((key, BTreeMap::from([(r.budget, r)]))),
        }
    }
    Ok(Some(out))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [out, sources @ ..] = args.as_slice() else {
        return Err("usage: full_shape_records OUT QUICK_DIR [MORE_DIRS...]".into());
    };
    if sources.is_empty() {
        return Err("usage: full_shape_records OUT QUICK_DIR [MORE_DIRS...]".into());
    }
    let out = Path::new(out);
    let dirs: Vec<PathBuf> = sources.iter().map(PathBuf::from).collect();
    let mut cfg = ReproduceConfig::preset("full")?;
    // The shipped policies, so that `pop-reproduce report` can name every method.
    cfg.pop_policy = "data/pop-quick".into();
    cfg.pop_paper_policy = "data/pop-paper-quick".into();
    cfg.velo_policy = "data/velo-quick".into();
    let mut total = 0usize;
    for s in &cfg.suites {
        let n_functions = if s.name == "vlse47" {
            47
        } else {
            pop_prior::EVAL_SET_SIZE
        };
        let fallback = load(&dirs, &s.name, "tpe")?.ok_or("the sources have no tpe stage")?;
        for m in &cfg.methods {
            let src = load(&dirs, &s.name, m)?.unwrap_or_else(|| fallback.clone());
            let mut by_fn: Vec<(String, Vec<&BTreeMap<usize, Record>>)> = Vec::new();
            for ((f, _), by_b) in &src {
                match by_fn.last_mut() {
                    Some((g, starts)) if g == f => starts.push(by_b),
                    _ => by_fn.push((f.clone(), vec![by_b])),
                }
            }
            let fb: BTreeMap<(String, usize), &BTreeMap<usize, Record>> =
                fallback.iter().map(|(k, v)| (k.clone(), v)).collect();
            let path = records::records_path(out, &s.name, m);
            let mut w = RecordWriter::new(Vec::new(), 6, &path);
            for i in 0..n_functions {
                let (f, starts) = &by_fn[i % by_fn.len()];
                let name = if s.name == "vlse47" {
                    f.clone()
                } else {
                    format!("test-{i:04}")
                };
                for (start, by_b) in starts.iter().enumerate().take(cfg.starts) {
                    for &b in &cfg.budgets {
                        let r = by_b
                            .get(&b)
                            .or_else(|| fb.get(&(f.clone(), start)).and_then(|x| x.get(&b)))
                            .ok_or_else(|| format!("{}/{m}: no record at T = {b}", s.name))?;
                        let mut r = r.clone();
                        r.function.clone_from(&name);
                        r.method.clone_from(m);
                        w.write(&r)?;
                    }
                }
            }
            total += w.count();
            let bytes = w.finish()?;
            std::fs::create_dir_all(path.parent().ok_or("no parent")?)?;
            std::fs::write(&path, bytes)?;
        }
    }
    let manifest = Manifest {
        format_version: records::FORMAT_VERSION,
        config: cfg,
        policy_fingerprints: BTreeMap::new(),
        // Synthetic records: no stage stamps (read unverified).
        stage_inputs: false,
    };
    std::fs::write(
        out.join("config.json"),
        serde_json::to_string_pretty(&manifest)?,
    )?;
    eprintln!("{total} records in {}", out.display());
    Ok(())
}
