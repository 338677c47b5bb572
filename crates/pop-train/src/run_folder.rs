//! The run folder both trainers (PPO and ES) write: one module for creating, resuming, locking,
//! metrics lines and atomic writes.
//!
//! * `config.json`: the run's config, written once at creation (and again only when a resume
//!   changes the number of updates);
//! * `metrics.jsonl`: one JSON line per update/iteration, appended as it finishes;
//! * `checkpoint/`: the resumable state (trainer-specific files);
//! * `best/`: the weights of the best validation score, replaced as a whole;
//! * `lock`: the process id of the trainer that owns the folder, removed when it ends. A lock of
//!   a live process refuses a second trainer; a lock of a dead process (a kill) is reported and
//!   taken over.
//!
//! Every file is written through a uniquely named temporary file and a rename
//! (`pop_optim::fsutil`), so a kill never leaves half a file.
//!
//! **Ownership.** [`RunFolder::create`] refuses any folder that exists and is not empty (a
//! finished run, shipped weights, anything else): only a fresh or empty folder becomes a new run.
//! An existing run is continued with [`RunFolder::open`] (`--resume`).
//!
//! **Integrity.** Each step's metrics line is appended *before* the checkpoint that covers it
//! is written. A checkpoint carries a [`Seal`]: the hash of the run's config (without its step
//! count, which a resume may change), the number of metrics lines it covers and the SHA-256 of
//! each of its files. Resuming ([`RunFolder::check_seal`], [`RunFolder::check_metrics`])
//! refuses a changed config, a damaged or replaced checkpoint file, and a metrics file whose
//! covered lines are missing, damaged, duplicated or out of order (each named by line number);
//! lines after the covered ones belong to steps the resume repeats and are dropped with a
//! warning that counts them.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{TrainError, io_err};

/// The config file of a run folder.
pub const CONFIG_FILE: &str = "config.json";
/// The metrics file of a run folder (one JSON line per update).
pub const METRICS_FILE: &str = "metrics.jsonl";
/// The lock file of a run folder (holds the owner's process id; [`pop_optim::fsutil::FolderLock`]).
pub const LOCK_FILE: &str = pop_optim::fsutil::LOCK_FILE;

/// A run folder owned by this process (see the module documentation). Dropping it releases the
/// lock.
#[derive(Debug)]
pub struct RunFolder {
    dir: PathBuf,
    _lock: pop_optim::fsutil::FolderLock,
}

impl RunFolder {
    /// Creates a fresh run folder in `dir` (created if needed) for `cfg`: refuses a folder that
    /// holds a checkpoint (it must be resumed) or that another live process owns; writes
    /// `config.json` and an empty `metrics.jsonl`.
    pub fn create(dir: impl Into<PathBuf>, cfg: &impl Serialize) -> Result<Self, TrainError> {
        let dir = dir.into();
        if dir.join("checkpoint").exists() {
            return Err(TrainError::Resume {
                path: dir,
                reason:
                    "the folder already holds a checkpoint: resume it, or choose another folder"
                        .into(),
            });
        }
        if dir.exists() {
            let mut names: Vec<String> = fs::read_dir(&dir)
                .map_err(io_err(&dir))?
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            if !names.is_empty() {
                names.sort();
                let shown = names.iter().take(6).cloned().collect::<Vec<_>>().join(", ");
                let more = if names.len() > 6 { ", ..." } else { "" };
                return Err(TrainError::FolderInUse {
                    path: dir,
                    reason: format!(
                        "it already exists and is not empty (it holds {shown}{more}); a new run \
                         needs a new or empty folder, nothing was changed"
                    ),
                });
            }
        }
        fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        let folder = Self::lock(dir)?;
        folder.write_json(CONFIG_FILE, cfg)?;
        folder.write_atomic(METRICS_FILE, b"")?;
        Ok(folder)
    }

    /// Opens an existing run folder to resume it (takes the lock).
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, TrainError> {
        let dir = dir.into();
        if !dir.join(CONFIG_FILE).is_file() {
            return Err(TrainError::Resume {
                path: dir,
                reason: format!("not a run folder: it has no {CONFIG_FILE}"),
            });
        }
        Self::lock(dir)
    }

    fn lock(dir: PathBuf) -> Result<Self, TrainError> {
        use pop_optim::fsutil::{FolderLock, LockError};
        match FolderLock::acquire(&dir) {
            Ok(lock) => Ok(Self { dir, _lock: lock }),
            Err(LockError::InUse { pid }) => Err(TrainError::FolderInUse {
                path: dir,
                reason: format!(
                    "the folder is in use by process {pid} (its {LOCK_FILE} file); \
                     wait for it or stop it"
                ),
            }),
            Err(LockError::Io(path, e)) => Err(io_err(&path)(e)),
        }
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// `path()/rel`.
    pub fn join(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.dir.join(rel)
    }

    /// Reads and parses the JSON file `rel`.
    pub fn read_json<T: DeserializeOwned>(&self, rel: impl AsRef<Path>) -> Result<T, TrainError> {
        let path = self.join(rel);
        let text = fs::read_to_string(&path).map_err(io_err(&path))?;
        serde_json::from_str(&text).map_err(json_err(&path))
    }

    /// Writes `value` as pretty JSON to `rel`, atomically.
    pub fn write_json(
        &self,
        rel: impl AsRef<Path>,
        value: &impl Serialize,
    ) -> Result<(), TrainError> {
        let path = self.join(rel);
        let json = serde_json::to_string_pretty(value).map_err(json_err(&path))?;
        write_atomic(&path, json.as_bytes())
    }

    /// Writes `bytes` to `rel`, atomically.
    pub fn write_atomic(&self, rel: impl AsRef<Path>, bytes: &[u8]) -> Result<(), TrainError> {
        write_atomic(&self.join(rel), bytes)
    }

    /// Appends one JSON line to `metrics.jsonl`.
    pub fn append_metrics(&self, value: &impl Serialize) -> Result<(), TrainError> {
        let path = self.join(METRICS_FILE);
        let line = serde_json::to_string(value).map_err(json_err(&path))?;
        let mut f = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(io_err(&path))?;
        writeln!(f, "{line}").map_err(io_err(&path))
    }

    /// Checks `metrics.jsonl` against a checkpoint that covers its first `covered` lines: line
    /// `i` (from 0) must parse as `M` and have `index(m) == i`. A missing, damaged, duplicated or
    /// misplaced covered line is an error naming its line number (the metrics of a step the
    /// checkpoint vouches for would be lost). Lines after the covered ones belong to steps the
    /// resumed run repeats: they are dropped, with a warning that counts them (and the damaged
    /// ones among them), and the file is rewritten atomically.
    pub fn check_metrics<M: DeserializeOwned>(
        &self,
        covered: usize,
        index: impl Fn(&M) -> usize,
    ) -> Result<(), TrainError> {
        let path = self.join(METRICS_FILE);
        let text = fs::read_to_string(&path).map_err(io_err(&path))?;
        let damaged = |line: usize, what: String| TrainError::RunFile {
            path: path.clone(),
            reason: format!(
                "line {line} {what}; the checkpoint covers lines 1-{covered}, so that step's \
                 metrics would be lost: restore the file, or start a new run"
            ),
        };
        let mut kept = String::new();
        let mut dropped = 0usize;
        let mut dropped_damaged = 0usize;
        let mut n = 0usize;
        for (i, line) in text.split_inclusive('\n').enumerate() {
            n = i + 1;
            if i < covered {
                if !line.ends_with('\n') {
                    return Err(damaged(i + 1, "is cut off (no line end)".into()));
                }
                match serde_json::from_str::<M>(line) {
                    Ok(m) if index(&m) == i => kept.push_str(line),
                    Ok(m) => {
                        return Err(damaged(
                            i + 1,
                            format!("is step {} where step {i} belongs", index(&m)),
                        ));
                    }
                    Err(e) => return Err(damaged(i + 1, format!("does not parse ({e})"))),
                }
            } else {
                dropped += 1;
                if !line.ends_with('\n') || serde_json::from_str::<M>(line).is_err() {
                    dropped_damaged += 1;
                }
            }
        }
        if n < covered {
            return Err(TrainError::RunFile {
                path,
                reason: format!(
                    "it has {n} lines but the checkpoint covers {covered} steps: the metrics of \
                     steps {n}..{covered} are missing; restore the file, or start a new run"
                ),
            });
        }
        if dropped > 0 {
            tracing::warn!(
                file = %path.display(),
                dropped,
                damaged = dropped_damaged,
                covered,
                "dropping metrics lines after the checkpoint (their steps are repeated)"
            );
            write_atomic(&path, kept.as_bytes())?;
        }
        Ok(())
    }

    /// Computes the [`Seal`] of a checkpoint written into `dir`: `config_hash` (see
    /// [`config_hash`]), `covered` metrics lines and the SHA-256 of each file in `files`
    /// (relative to `dir`).
    pub fn seal(
        dir: &Path,
        config_hash: String,
        covered: usize,
        files: &[&str],
    ) -> Result<Seal, TrainError> {
        let mut hashes = BTreeMap::new();
        for f in files {
            let p = dir.join(f);
            let bytes = fs::read(&p).map_err(io_err(&p))?;
            hashes.insert((*f).to_string(), pop_optim::fsutil::sha256_hex(&bytes));
        }
        Ok(Seal {
            config_sha256: config_hash,
            metrics_lines: covered,
            files: hashes,
        })
    }

    /// Verifies a checkpoint's seal: the run's config must hash to `config_hash` and every
    /// sealed file of `checkpoint/` must still have its hash. `seal` is `None` for checkpoints
    /// written before seals existed: accepted with a warning (nothing to verify).
    pub fn check_seal(&self, seal: Option<&Seal>, config_hash: &str) -> Result<(), TrainError> {
        let Some(seal) = seal else {
            tracing::warn!(
                folder = %self.dir.display(),
                "the checkpoint has no seal (written before seals existed): config and files \
                 are not verified"
            );
            return Ok(());
        };
        if seal.config_sha256 != config_hash {
            return Err(TrainError::Resume {
                path: self.dir.clone(),
                reason: format!(
                    "{CONFIG_FILE} is not the config the checkpoint was trained with (only the \
                     number of steps may change on a resume): restore it, or start a new run"
                ),
            });
        }
        for (f, want) in &seal.files {
            let p = self.dir.join("checkpoint").join(f);
            let bytes = fs::read(&p).map_err(io_err(&p))?;
            let got = pop_optim::fsutil::sha256_hex(&bytes);
            if &got != want {
                return Err(TrainError::RunFile {
                    path: p,
                    reason: format!(
                        "does not match the checkpoint's seal (SHA-256 {got}, sealed {want}): \
                         the file is damaged or was replaced"
                    ),
                });
            }
        }
        Ok(())
    }

    /// Replaces the sub-folder `rel` by the folder `fill` writes, atomically as seen by readers
    /// (write a temporary folder, move the old one aside, rename, delete the old one).
    pub fn replace_dir(
        &self,
        rel: impl AsRef<Path>,
        fill: impl FnOnce(&Path) -> Result<(), TrainError>,
    ) -> Result<(), TrainError> {
        replace_dir(&self.join(rel), fill)
    }
}

/// What a checkpoint vouches for (see the module documentation), stored in its state file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seal {
    /// [`config_hash`] of the run's config.
    pub config_sha256: String,
    /// Metrics lines (= steps) the checkpoint covers.
    pub metrics_lines: usize,
    /// SHA-256 of each checkpoint file, by path relative to `checkpoint/`.
    pub files: BTreeMap<String, String>,
}

/// The SHA-256 of a config's JSON with the field `steps_field` (the number of updates or
/// iterations, which a resume may change) removed; JSON object keys are sorted, so the hash
/// depends on the values only.
pub fn config_hash(cfg: &impl Serialize, steps_field: &str) -> Result<String, TrainError> {
    let mut v = serde_json::to_value(cfg).map_err(|e| TrainError::RunFile {
        path: PathBuf::from(CONFIG_FILE),
        reason: format!("cannot encode the config: {e}"),
    })?;
    if let Some(map) = v.as_object_mut() {
        map.remove(steps_field);
    }
    Ok(pop_optim::fsutil::sha256_hex(v.to_string().as_bytes()))
}

/// A JSON error naming the file.
pub(crate) fn json_err(path: &Path) -> impl FnOnce(serde_json::Error) -> TrainError + '_ {
    move |e| TrainError::RunFile {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

/// Writes `bytes` to `path` atomically (see `pop_optim::fsutil::write_atomic`).
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), TrainError> {
    pop_optim::fsutil::write_atomic(path, bytes).map_err(|(p, e)| io_err(p)(e))
}

/// Replaces folder `dst` by the folder `fill` writes (see [`RunFolder::replace_dir`]).
pub(crate) fn replace_dir(
    dst: &Path,
    fill: impl FnOnce(&Path) -> Result<(), TrainError>,
) -> Result<(), TrainError> {
    let tmp = pop_optim::fsutil::temp_sibling(dst);
    let old = pop_optim::fsutil::temp_sibling(dst);
    fs::create_dir_all(&tmp).map_err(io_err(&tmp))?;
    if let Err(e) = fill(&tmp) {
        let _ = fs::remove_dir_all(&tmp);
        return Err(e);
    }
    if dst.exists() {
        fs::rename(dst, &old).map_err(io_err(dst))?;
    }
    fs::rename(&tmp, dst).map_err(io_err(dst))?;
    if old.exists() {
        fs::remove_dir_all(&old).map_err(io_err(&old))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("pop-train-runfolder-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn lock_refuses_a_second_owner_and_takes_over_a_stale_one() {
        let dir = scratch("lock");
        let a = RunFolder::create(&dir, &serde_json::json!({"x": 1})).expect("create");
        let err = RunFolder::open(&dir).expect_err("second owner");
        assert!(err.to_string().contains("in use by process"), "{err}");
        drop(a);
        assert!(!dir.join(LOCK_FILE).exists());
        // A lock left by a process that no longer exists (pid beyond the kernel's maximum).
        fs::write(dir.join(LOCK_FILE), "4294967295\n").expect("write");
        let b = RunFolder::open(&dir).expect("stale lock taken over");
        b.append_metrics(&serde_json::json!({"update": 0}))
            .expect("append");
        b.append_metrics(&serde_json::json!({"update": 1}))
            .expect("append");
        let idx = |m: &serde_json::Value| m["update"].as_u64().unwrap_or(u64::MAX) as usize;
        b.check_metrics::<serde_json::Value>(1, idx)
            .expect("truncate");
        let text = fs::read_to_string(dir.join(METRICS_FILE)).expect("read");
        assert_eq!(text, "{\"update\":0}\n");
        drop(b);
        fs::remove_dir_all(&dir).expect("cleanup");
    }

    fn metrics_dir(name: &str, text: &str) -> (PathBuf, RunFolder) {
        let dir = scratch(name);
        let f = RunFolder::create(&dir, &serde_json::json!({})).expect("create");
        fs::write(dir.join(METRICS_FILE), text).expect("write");
        (dir, f)
    }

    fn idx(m: &serde_json::Value) -> usize {
        m["update"].as_u64().unwrap_or(u64::MAX) as usize
    }

    /// Issue #15: "torn last metrics line at a checkpoint boundary, then --resume: that update's
    /// metrics line is lost for good; a damaged middle line is dropped silently".
    #[test]
    fn covered_metrics_lines_are_checked_line_by_line() {
        let ok = "{\"update\":0}\n{\"update\":1}\n";
        // A torn line after the covered ones (the step the resume repeats): dropped, no error.
        let (dir, f) = metrics_dir("torn-after", &format!("{ok}{{\"upda"));
        f.check_metrics::<serde_json::Value>(2, idx)
            .expect("torn tail");
        assert_eq!(
            fs::read_to_string(dir.join(METRICS_FILE)).expect("read"),
            ok
        );
        drop(f);
        // A damaged covered line: an error naming the line.
        let (_, f) = metrics_dir("middle", "{\"update\":0}\n{\"upd#te\":1}\n{\"update\":2}\n");
        let e = f
            .check_metrics::<serde_json::Value>(3, idx)
            .expect_err("damaged");
        assert!(e.to_string().contains("line 2 is step"), "{e}");
        drop(f);
        // A torn covered line (the checkpoint covers it): an error, not a silent loss.
        let (_, f) = metrics_dir("torn-covered", "{\"update\":0}\n{\"update\":1}");
        let e = f
            .check_metrics::<serde_json::Value>(2, idx)
            .expect_err("torn");
        assert!(e.to_string().contains("line 2 is cut off"), "{e}");
        drop(f);
        // Duplicated lines (two writers): an error naming the line.
        let (_, f) = metrics_dir("dup", "{\"update\":0}\n{\"update\":0}\n{\"update\":1}\n");
        let e = f
            .check_metrics::<serde_json::Value>(3, idx)
            .expect_err("dup");
        assert!(e.to_string().contains("line 2 is step 0"), "{e}");
        drop(f);
        // Fewer lines than the checkpoint covers (e.g. `next_update` 9999999).
        let (_, f) = metrics_dir("short", ok);
        let e = f
            .check_metrics::<serde_json::Value>(9_999_999, idx)
            .expect_err("short");
        assert!(e.to_string().contains("has 2 lines"), "{e}");
    }

    /// Issue #15: "`pop-train train --config smoke --out <copy of data/pop-quick>`: exit 0; the
    /// shipped weights, config.json and metrics.jsonl are overwritten".
    #[test]
    fn a_folder_with_files_is_never_taken_as_a_new_run() {
        let dir = scratch("occupied");
        fs::create_dir_all(dir.join("best")).expect("mkdir");
        fs::write(dir.join(CONFIG_FILE), "{\"shipped\": true}").expect("write");
        let e = RunFolder::create(&dir, &serde_json::json!({"x": 1})).expect_err("occupied");
        let msg = e.to_string();
        assert!(
            msg.contains("not empty") && msg.contains("config.json"),
            "{msg}"
        );
        assert_eq!(
            fs::read_to_string(dir.join(CONFIG_FILE)).expect("read"),
            "{\"shipped\": true}"
        );
        assert!(!dir.join(LOCK_FILE).exists());
        // An empty folder is fine.
        let empty = scratch("empty");
        fs::create_dir_all(&empty).expect("mkdir");
        drop(RunFolder::create(&empty, &serde_json::json!({})).expect("empty folder"));
        fs::remove_dir_all(&dir).expect("cleanup");
        fs::remove_dir_all(&empty).expect("cleanup");
    }

    #[test]
    fn seals_catch_a_changed_config_and_a_replaced_file() {
        let dir = scratch("seal");
        let cfg = serde_json::json!({"updates": 10, "lr": 0.1});
        let f = RunFolder::create(&dir, &cfg).expect("create");
        let ck = dir.join("checkpoint");
        fs::create_dir_all(&ck).expect("mkdir");
        fs::write(ck.join("w.bin"), b"weights").expect("write");
        let h = config_hash(&cfg, "updates").expect("hash");
        let seal = RunFolder::seal(&ck, h.clone(), 3, &["w.bin"]).expect("seal");
        f.check_seal(Some(&seal), &h).expect("intact");
        // More updates: the same hash.
        let longer = serde_json::json!({"updates": 99, "lr": 0.1});
        assert_eq!(config_hash(&longer, "updates").expect("hash"), h);
        let other =
            config_hash(&serde_json::json!({"updates": 10, "lr": 0.2}), "updates").expect("hash");
        let e = f.check_seal(Some(&seal), &other).expect_err("config");
        assert!(e.to_string().contains("not the config"), "{e}");
        fs::write(ck.join("w.bin"), b"weightz").expect("write");
        let e = f.check_seal(Some(&seal), &h).expect_err("file");
        assert!(
            e.to_string().contains("w.bin") && e.to_string().contains("seal"),
            "{e}"
        );
        drop(f);
        fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn replace_dir_is_whole() {
        let dir = scratch("replace");
        let f = RunFolder::create(&dir, &serde_json::json!({})).expect("create");
        f.replace_dir("best", |d| write_atomic(&d.join("a"), b"1"))
            .expect("replace");
        f.replace_dir("best", |d| write_atomic(&d.join("b"), b"2"))
            .expect("replace");
        assert!(!dir.join("best/a").exists() && dir.join("best/b").exists());
        let names: Vec<_> = fs::read_dir(&dir)
            .expect("ls")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.contains(".tmp")), "{names:?}");
        drop(f);
        fs::remove_dir_all(&dir).expect("cleanup");
    }
}
