//! One `pop-reproduce run` per results folder at a time: [`FolderLock`] owns the folder through
//! its `lock` file, which holds the owner's process id (as `pop-train`'s run folders do).
//!
//! Two runs into one folder would write the same part files and records (the second one used to
//! die on the first one's half-written part); the second is refused instead. A lock left by a
//! killed run (its process is gone) is reported with `tracing::warn!` and taken over. The lock
//! is released when the [`FolderLock`] is dropped.

use std::path::Path;

use pop_optim::fsutil::{self, LockError};

use super::error::{ReproduceError, io_err};

/// The lock file of a results folder (holds the owner's process id).
pub const LOCK_FILE: &str = fsutil::LOCK_FILE;

/// A results folder owned by this process until this value is dropped
/// ([`pop_optim::fsutil::FolderLock`], shared with the trainers' run folders).
#[derive(Debug)]
pub struct FolderLock(fsutil::FolderLock);

impl FolderLock {
    /// Takes the lock of folder `dir` (created if needed): refuses with
    /// [`ReproduceError::FolderInUse`] when a live process holds it, takes over a stale one.
    pub fn acquire(dir: &Path) -> Result<Self, ReproduceError> {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        match fsutil::FolderLock::acquire(dir) {
            Ok(lock) => Ok(Self(lock)),
            Err(LockError::InUse { pid }) => Err(ReproduceError::FolderInUse {
                path: dir.to_path_buf(),
                pid,
            }),
            Err(LockError::Io(path, e)) => Err(io_err(&path)(e)),
        }
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        self.0.path()
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
