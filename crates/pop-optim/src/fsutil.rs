//! Files that are never seen half-written: every file of the workspace is written to a uniquely
//! named temporary sibling, flushed to disk, and renamed over its target.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A temporary sibling of `path`, unique to this process and call
/// (`<name>.tmp-<pid>-<n>`), so that concurrent writers never share a temporary file.
pub fn temp_sibling(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    name.push(format!(".tmp-{}-{n}", std::process::id()));
    path.with_file_name(name)
}

/// The SHA-256 digest of `bytes` as 64 lowercase hex digits: the content hash of weight files,
/// checkpoints and run inputs.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for b in digest {
        hex.push_str(&format!("{b:02x}"));
    }
    hex
}

/// Writes `bytes` to `path` through a temporary sibling file, `fsync` and a rename. On error the
/// temporary file is removed and `path` is untouched; the error names the path that failed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), (PathBuf, std::io::Error)> {
    let tmp = temp_sibling(path);
    let result = (|| {
        let mut file = fs::File::create(&tmp).map_err(|e| (tmp.clone(), e))?;
        file.write_all(bytes).map_err(|e| (tmp.clone(), e))?;
        file.sync_all().map_err(|e| (tmp.clone(), e))?;
        drop(file);
        fs::rename(&tmp, path).map_err(|e| (path.to_path_buf(), e))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// The name of a folder's lock file (holds the owner's process id).
pub const LOCK_FILE: &str = "lock";

/// Why [`FolderLock::acquire`] failed.
#[derive(Debug)]
pub enum LockError {
    /// A live process (this id) owns the folder.
    InUse {
        /// The owner's process id.
        pid: u32,
    },
    /// Reading or writing the lock file (this path) failed.
    Io(PathBuf, std::io::Error),
}

/// A folder owned by this process until this value is dropped: its [`LOCK_FILE`] holds the
/// owner's process id. Used by the run folders of both trainers and the results folders of the
/// reproduction, so that two processes never write one folder.
///
/// A lock of a live process refuses a second owner; a lock whose process is gone (a kill) is
/// reported with `tracing::warn!` and taken over; the lock file is removed on drop.
#[derive(Debug)]
pub struct FolderLock {
    path: PathBuf,
}

impl FolderLock {
    /// Takes the lock of folder `dir` (which must exist).
    pub fn acquire(dir: &Path) -> Result<Self, LockError> {
        let path = dir.join(LOCK_FILE);
        let io = |p: &Path| {
            let p = p.to_path_buf();
            move |e| LockError::Io(p, e)
        };
        let me = std::process::id();
        loop {
            match fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    writeln!(f, "{me}").map_err(io(&path))?;
                    f.sync_all().map_err(io(&path))?;
                    return Ok(Self { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let text = read_owner(&path);
                    match text.trim().parse::<u32>() {
                        Ok(pid) if process_alive(pid) => return Err(LockError::InUse { pid }),
                        _ => {
                            tracing::warn!(
                                folder = %dir.display(),
                                owner = text.trim(),
                                "taking over a stale lock (its process is gone)"
                            );
                            // Only the lock we read: another process may have taken it over.
                            if read_owner(&path) == text {
                                match fs::remove_file(&path) {
                                    Ok(()) => {}
                                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                                    Err(e) => return Err(io(&path)(e)),
                                }
                            }
                        }
                    }
                }
                Err(e) => return Err(io(&path)(e)),
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
        let _ = fs::remove_file(&self.path);
    }
}

/// The lock's content; an empty one (its owner is still writing its id) is read again for up to
/// a second.
fn read_owner(path: &Path) -> String {
    let mut text = String::new();
    for _ in 0..20 {
        text = fs::read_to_string(path).unwrap_or_default();
        if !text.trim().is_empty() || !path.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
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
        let dir = std::env::temp_dir().join(format!("pop-optim-lock-{}-test", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("dir");
        let a = FolderLock::acquire(&dir).expect("first owner");
        let e = FolderLock::acquire(&dir).expect_err("second owner");
        assert!(
            matches!(e, LockError::InUse { pid } if pid == std::process::id()),
            "{e:?}"
        );
        drop(a);
        assert!(!dir.join(LOCK_FILE).exists(), "released on drop");
        // A lock left by a process that no longer exists (pid beyond the kernel's maximum).
        fs::write(dir.join(LOCK_FILE), "4294967295\n").expect("write");
        let b = FolderLock::acquire(&dir).expect("stale lock taken over");
        assert_eq!(
            fs::read_to_string(b.path()).expect("lock").trim(),
            std::process::id().to_string()
        );
        drop(b);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn sha256_matches_the_standard_test_vector() {
        // FIPS 180-2, appendix B.1 ("abc").
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn writes_whole_files_and_unique_temporaries() {
        let dir = std::env::temp_dir().join(format!("pop-optim-fsutil-{}", std::process::id()));
        fs::create_dir_all(&dir).expect("dir");
        let p = dir.join("a.txt");
        assert_ne!(temp_sibling(&p), temp_sibling(&p));
        write_atomic(&p, b"one").expect("write");
        write_atomic(&p, b"two").expect("write");
        assert_eq!(fs::read(&p).expect("read"), b"two");
        let leftovers = fs::read_dir(&dir).expect("ls").count();
        assert_eq!(leftovers, 1);
        let err = write_atomic(&dir.join("missing/b.txt"), b"x").expect_err("no folder");
        assert!(err.0.to_string_lossy().contains("missing"));
        fs::remove_dir_all(&dir).expect("cleanup");
    }
}
