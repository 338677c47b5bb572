//! One `pop-reproduce run` per results folder at a time: [`FolderLock`] owns the folder through
//! its `lock` file, which holds the owner's process id (as `pop-train`'s run folders do).
//!
//! Two runs into one folder would write the same part files and records (the second one used to
//! die on the first one's half-written part); the second is refused instead. A lock left by a
//! killed run (its process is gone) is reported with `tracing::warn!` and taken over. The lock
//! is released when the [`FolderLock`] is dropped.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::error::{ReproduceError, io_err};

/// The lock file of a results folder (holds the owner's process id).
pub const LOCK_FILE: &str = "lock";

/// A results folder owned by this process until this value is dropped.
#[derive(Debug)]
pub struct FolderLock {
    path: PathBuf,
}

impl FolderLock {
    /// Takes the lock of folder `dir` (created if needed): refuses with
    /// [`ReproduceError::FolderInUse`] when a live process holds it, takes over a stale one.
    pub fn acquire(dir: &Path) -> Result<Self, ReproduceError> {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        let path = dir.join(LOCK_FILE);
        let me = std::process::id();
        loop {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    writeln!(f, "{me}").map_err(io_err(&path))?;
                    f.sync_all().map_err(io_err(&path))?;
                    return Ok(Self { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let text = read_owner(&path);
                    match text.trim().parse::<u32>() {
                        Ok(pid) if process_alive(pid) => {
                            return Err(ReproduceError::FolderInUse {
                                path: dir.to_path_buf(),
                                pid,
                            });
                        }
                        _ => {
                            tracing::warn!(
                                folder = %dir.display(),
                                owner = text.trim(),
                                "taking over a stale lock (its process is gone)"
                            );
                            // Only the lock we read: another process may have taken it over.
                            if read_owner(&path) == text {
                                match std::fs::remove_file(&path) {
                                    Ok(()) => {}
                                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                                    Err(e) => return Err(io_err(&path)(e)),
                                }
                            }
                        }
                    }
                }
                Err(e) => return Err(io_err(&path)(e)),
            }
        }
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for FolderLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The lock's content; an empty one (its owner is still writing its id) is read again for up to
/// a second.
fn read_owner(path: &Path) -> String {
    let mut text = String::new();
    for _ in 0..20 {
        text = std::fs::read_to_string(path).unwrap_or_default();
        if !text.trim().is_empty() || !path.exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    text
}

/// Whether process `pid` is running (Linux: `/proc/<pid>` exists; elsewhere assumed alive).
fn process_alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new(&format!("/proc/{pid}")).exists()
    } else {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_in_use_is_refused_and_a_stale_lock_is_taken_over() {
        let dir = std::env::temp_dir().join(format!("pop-eval-lock-{}-test", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let a = FolderLock::acquire(&dir).expect("first owner");
        let e = FolderLock::acquire(&dir).expect_err("second owner");
        let msg = e.to_string();
        assert!(
            matches!(e, ReproduceError::FolderInUse { pid, .. } if pid == std::process::id()),
            "{msg}"
        );
        assert!(
            msg.contains(&dir.display().to_string())
                && msg.contains(&std::process::id().to_string()),
            "{msg}"
        );
        drop(a);
        assert!(!dir.join(LOCK_FILE).exists(), "released on drop");
        // A lock left by a process that no longer exists (pid beyond the kernel's maximum).
        std::fs::write(dir.join(LOCK_FILE), "4294967295\n").expect("write");
        let b = FolderLock::acquire(&dir).expect("stale lock taken over");
        assert_eq!(
            std::fs::read_to_string(b.path()).expect("lock").trim(),
            std::process::id().to_string()
        );
        drop(b);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
