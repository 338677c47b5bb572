//! Run folders you can trust (issue #15): each test is one row of the probe table, and
//! each failed on the code before the fix.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use pop_train::{EsConfig, EsTrainer, TrainConfig, Trainer};

/// Building a policy draws from burn's process-global RNG: one trainer at a time.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("pop-train-integrity-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    dir
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn copy_dir(src: &Path, dst: &Path) {
    fs::create_dir_all(dst).unwrap();
    for e in fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let to = dst.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to);
        } else {
            fs::copy(e.path(), to).unwrap();
        }
    }
}

/// Every file under `dir` with its bytes, by relative path.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    fn walk(root: &Path, d: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for e in fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.push((rel, fs::read(&p).unwrap()));
            }
        }
    }
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// The smoke config with a checkpoint after every update.
fn smoke(updates: usize) -> TrainConfig {
    let mut cfg = TrainConfig::preset("smoke").unwrap();
    cfg.updates = updates;
    cfg.checkpoint_every = 1;
    cfg
}

/// Row "`train --out <copy of data/pop-quick>` (and `es` on `data/velo-quick`): exit 0; the
/// shipped weights, config.json and metrics.jsonl are overwritten".
#[test]
fn a_shipped_folder_is_refused_and_left_untouched() {
    let _g = serial();
    let pop = scratch("shipped-pop");
    copy_dir(&workspace().join("data/pop-quick"), &pop);
    let before = snapshot(&pop);
    let e = Trainer::new(smoke(1), &pop)
        .err()
        .expect("a shipped folder became a run");
    assert!(e.to_string().contains("not empty"), "{e}");
    assert_eq!(snapshot(&pop), before);

    let velo = scratch("shipped-velo");
    copy_dir(&workspace().join("data/velo-quick"), &velo);
    let before = snapshot(&velo);
    let e = EsTrainer::new(EsConfig::from_preset_or_file("smoke").unwrap(), &velo)
        .err()
        .expect("a shipped folder became an ES run");
    assert!(e.to_string().contains("not empty"), "{e}");
    assert_eq!(snapshot(&velo), before);
    fs::remove_dir_all(&pop).unwrap();
    fs::remove_dir_all(&velo).unwrap();
}

/// Row "`--resume` after replacing the run's config.json with another preset's: trains on with
/// a config that does not match the checkpoint; `next_update` 9999999 accepted".
#[test]
fn resume_refuses_a_replaced_config_and_impossible_counters() {
    let _g = serial();
    let dir = scratch("replaced-config");
    Trainer::new(smoke(2), &dir).unwrap().run().unwrap();
    let config = fs::read_to_string(dir.join("config.json")).unwrap();
    let state = fs::read_to_string(dir.join("checkpoint/state.json")).unwrap();

    // Another preset's config.
    let other = serde_json::to_string_pretty(&TrainConfig::preset("quick").unwrap()).unwrap();
    fs::write(dir.join("config.json"), other).unwrap();
    let e = Trainer::resume(&dir, None)
        .err()
        .expect("resumed a foreign config");
    assert!(e.to_string().contains("not the config"), "{e}");
    fs::write(dir.join("config.json"), &config).unwrap();

    // A counter far beyond the run.
    let edited = state.replace("\"next_update\": 2", "\"next_update\": 9999999");
    assert_ne!(edited, state);
    fs::write(dir.join("checkpoint/state.json"), edited).unwrap();
    let e = Trainer::resume(&dir, None)
        .err()
        .expect("accepted next_update 9999999");
    assert!(e.to_string().contains("next_update"), "{e}");
    fs::write(dir.join("checkpoint/state.json"), &state).unwrap();

    // Intact again: resumes (and has nothing left to do).
    let t = Trainer::resume(&dir, None).unwrap();
    assert!(t.is_done());
    drop(t);
    fs::remove_dir_all(&dir).unwrap();
}

/// Row "torn last metrics line at a checkpoint boundary, then `--resume`: that update's metrics
/// line is lost for good; a damaged middle line is dropped silently".
#[test]
fn metrics_lines_are_never_lost_silently() {
    let _g = serial();
    let straight = scratch("metrics-straight");
    Trainer::new(smoke(3), &straight).unwrap().run().unwrap();
    let lines = |d: &Path| fs::read_to_string(d.join("metrics.jsonl")).unwrap();
    let all = lines(&straight);
    assert_eq!(all.lines().count(), 3);

    // A kill while the line of update 2 was being written: the checkpoint still covers 0..2
    // (the line is written before its checkpoint). Resume repeats update 2.
    let dir = scratch("metrics-torn");
    let mut two = smoke(3);
    two.updates = 2;
    Trainer::new(two, &dir).unwrap().run().unwrap();
    let mut text = lines(&dir);
    text.push_str("{\"update\":2,\"lr\":0.00");
    fs::write(dir.join("metrics.jsonl"), text).unwrap();
    let mut t = Trainer::resume(&dir, Some(smoke(3))).unwrap();
    t.run().unwrap();
    drop(t);
    let got: Vec<u64> = lines(&dir)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["update"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(got, vec![0, 1, 2]);

    // A damaged covered line: resume refuses and names the line.
    let damaged = lines(&dir).replacen("\"update\":1", "\"upd@te\":1", 1);
    fs::write(dir.join("metrics.jsonl"), damaged).unwrap();
    let e = Trainer::resume(&dir, Some(smoke(4)))
        .err()
        .expect("dropped a damaged line");
    assert!(e.to_string().contains("line 2"), "{e}");
    fs::remove_dir_all(&dir).unwrap();
    fs::remove_dir_all(&straight).unwrap();
}

/// Row "two identical training runs: different `.mpk` bytes (random parameter ids, map order),
/// so a retrained policy never matches its fingerprint".
#[test]
fn the_same_run_writes_the_same_bytes() {
    let _g = serial();
    let a = scratch("bytes-a");
    let b = scratch("bytes-b");
    Trainer::new(smoke(2), &a).unwrap().run().unwrap();
    Trainer::new(smoke(2), &b).unwrap().run().unwrap();
    for sub in ["checkpoint", "best"] {
        let (x, y) = (snapshot(&a.join(sub)), snapshot(&b.join(sub)));
        assert_eq!(x.len(), y.len());
        for ((n1, b1), (n2, b2)) in x.iter().zip(&y) {
            assert_eq!(n1, n2);
            assert!(b1 == b2, "{sub}/{n1} differs between two identical runs");
        }
    }
    fs::remove_dir_all(&a).unwrap();
    fs::remove_dir_all(&b).unwrap();
}

/// Row "policy weights from a smaller policy: a burn panic with a full backtrace is printed
/// before the clean error" (through the binary, so that no panic text may reach stderr).
#[test]
fn weights_of_another_policy_give_a_quiet_error() {
    let _g = serial();
    let small = scratch("small");
    let mut s = smoke(1);
    s.policy.d_model = 8;
    s.policy.d_ff = 16;
    Trainer::new(s, &small).unwrap().run().unwrap();
    let dir = scratch("swapped");
    Trainer::new(smoke(1), &dir).unwrap().run().unwrap();
    // Only the weights file swapped; and then the whole policy folder.
    for what in ["policy/weights.mpk", "policy/config.json"] {
        fs::copy(
            small.join("checkpoint").join(what),
            dir.join("checkpoint").join(what),
        )
        .unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_pop-train"))
            .args(["train", "--resume", "--out"])
            .arg(&dir)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success(),
            "resumed with another policy's {what}"
        );
        assert!(
            !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
            "{err}"
        );
        assert!(err.contains("checkpoint"), "{err}");
    }
    fs::remove_dir_all(&small).unwrap();
    fs::remove_dir_all(&dir).unwrap();
}

/// Row "an empty `.toml` or `{}` JSON as config: silently runs the full default config".
#[test]
fn empty_config_files_are_errors() {
    let dir = scratch("empty-config");
    fs::create_dir_all(&dir).unwrap();
    for (name, text) in [
        ("empty.toml", ""),
        ("comments.toml", "# nothing\n"),
        ("empty.json", "{}"),
    ] {
        let p = dir.join(name);
        fs::write(&p, text).unwrap();
        let e = TrainConfig::from_preset_or_file(p.to_str().unwrap()).expect_err(name);
        assert!(e.to_string().contains("sets no field"), "{e}");
        let e = EsConfig::from_preset_or_file(p.to_str().unwrap()).expect_err(name);
        assert!(e.to_string().contains("sets no field"), "{e}");
    }
    fs::remove_dir_all(&dir).unwrap();
}

/// Row "`max_history = 1e8`, `d_model = 65536`: allocation failure, abort (exit 134) instead of
/// a validation error" (PPO and ES configs; checked before anything is written).
#[test]
fn oversized_configs_are_validation_errors() {
    let base = fs::read_to_string(workspace().join("crates/pop-train/presets/smoke.toml")).unwrap();
    for (from, to, field) in [
        ("max_history = 64", "max_history = 100000000", "max_history"),
        ("d_model = 16", "d_model = 65536", "d_model"),
        (
            "functions_per_update = 8",
            "functions_per_update = 100000000",
            "functions_per_update",
        ),
        ("dim = 2", "dim = 100000", "dim"),
    ] {
        let text = base.replace(from, to);
        assert_ne!(text, base, "{from}");
        let e = TrainConfig::from_toml(&text, "probe").expect_err(field);
        assert!(e.to_string().contains(field), "{e}");
    }
    let es =
        fs::read_to_string(workspace().join("crates/pop-train/presets/es-smoke.toml")).unwrap();
    let mut cfg: EsConfig = toml::from_str(&es).unwrap();
    cfg.pairs = 1 << 40;
    assert!(cfg.validate().unwrap_err().to_string().contains("pairs"));
}
