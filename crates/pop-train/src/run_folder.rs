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

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{TrainError, io_err};

/// The config file of a run folder.
pub const CONFIG_FILE: &str = "config.json";
/// The metrics file of a run folder (one JSON line per update).
pub const METRICS_FILE: &str = "metrics.jsonl";
/// The lock file of a run folder (holds the owner's process id).
pub const LOCK_FILE: &str = "lock";

/// A run folder owned by this process (see the module documentation). Dropping it releases the
/// lock.
#[derive(Debug)]
pub struct RunFolder {
    dir: PathBuf,
    lock: PathBuf,
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
        let lock = dir.join(LOCK_FILE);
        let me = std::process::id();
        loop {
            match fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&lock)
            {
                Ok(mut f) => {
                    writeln!(f, "{me}").map_err(io_err(&lock))?;
                    f.sync_all().map_err(io_err(&lock))?;
                    return Ok(Self { dir, lock });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let text = fs::read_to_string(&lock).unwrap_or_default();
                    let owner: Option<u32> = text.trim().parse().ok();
                    match owner {
                        Some(pid) if process_alive(pid) => {
                            return Err(TrainError::Resume {
                                path: dir,
                                reason: format!(
                                    "the folder is in use by process {pid} (its {LOCK_FILE} file); \
                                     wait for it or stop it"
                                ),
                            });
                        }
                        _ => {
                            tracing::warn!(
                                folder = %dir.display(),
                                owner = text.trim(),
                                "taking over a stale lock (its process is gone)"
                            );
                            fs::remove_file(&lock).map_err(io_err(&lock))?;
                        }
                    }
                }
                Err(e) => return Err(io_err(&lock)(e)),
            }
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

    /// Keeps the lines of `metrics.jsonl` that parse as `M` and pass `keep` (the updates a
    /// checkpoint covers) and drops the rest, rewriting the file atomically.
    pub fn truncate_metrics<M: DeserializeOwned>(
        &self,
        keep: impl Fn(&M) -> bool,
    ) -> Result<(), TrainError> {
        let path = self.join(METRICS_FILE);
        let kept: String = fs::read_to_string(&path)
            .unwrap_or_default()
            .lines()
            .filter(|l| serde_json::from_str::<M>(l).is_ok_and(|m| keep(&m)))
            .map(|l| format!("{l}\n"))
            .collect();
        write_atomic(&path, kept.as_bytes())
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

impl Drop for RunFolder {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.lock);
    }
}

/// Whether process `pid` is running (Linux: `/proc/<pid>` exists; elsewhere assumed alive).
fn process_alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new(&format!("/proc/{pid}")).exists()
    } else {
        true
    }
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
        b.truncate_metrics::<serde_json::Value>(|m| m["update"] == 0)
            .expect("truncate");
        let text = fs::read_to_string(dir.join(METRICS_FILE)).expect("read");
        assert_eq!(text, "{\"update\":0}\n");
        drop(b);
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
