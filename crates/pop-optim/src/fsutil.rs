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

#[cfg(test)]
mod tests {
    use super::*;

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
