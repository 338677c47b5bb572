//! Saving a stage as it goes, so that a kill loses seconds of work rather than the stage.
//!
//! While a stage runs, its completed jobs (a prefix of the job order) are appended to
//! `<method>.jsonl.gz.part` as gzip members, and `<method>.jsonl.gz.part-index.json` (written
//! atomically after the member is on disk) says how many jobs and bytes of the part file are
//! complete, with an FNV-1a-64 hash of those bytes. A resumed stage keeps exactly that prefix:
//! bytes after it (a member torn by a kill before its index was written) are cut off and their
//! jobs run again; a part file that does not match its index is discarded and the stage starts
//! over. When the last job is saved, the part is re-compressed into one gzip stream, written
//! atomically as `<method>.jsonl.gz` (so the records' bytes do not depend on where the stage
//! was interrupted), and the part files are removed. No file that looks complete is ever
//! half-written.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;
use serde::{Deserialize, Serialize};

use super::error::{ReproduceError, io_err, write_atomic};
use super::records::{FORMAT_VERSION, Record, RecordWriter};

/// Running totals of the executed runs of a stage (prefix records not counted).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Totals {
    /// Runs executed.
    pub runs: usize,
    /// Oracle calls executed.
    pub calls: u64,
    /// Sum of the runs' wall-clock seconds.
    pub run_s: f64,
    /// Sum of the seconds inside the optimizer.
    pub optimizer_s: f64,
    /// Wall-clock seconds of the saved work (all sessions).
    pub wall_s: f64,
}

impl Totals {
    pub fn add(&mut self, o: &Totals) {
        self.runs += o.runs;
        self.calls += o.calls;
        self.run_s += o.run_s;
        self.optimizer_s += o.optimizer_s;
        self.wall_s += o.wall_s;
    }
}

/// The progress index of a part file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PartIndex {
    format_version: u32,
    suite: String,
    method: String,
    /// Jobs of the stage.
    jobs: usize,
    /// The stage's input hash ([`crate::stage::StageInputs::hash`]): a part of other inputs is
    /// discarded (empty in indexes written before it existed, which are discarded too).
    #[serde(default)]
    inputs: String,
    /// Jobs whose records are in the part file (the first `done_jobs` of the job order).
    done_jobs: usize,
    /// Length of the part file holding them.
    bytes: u64,
    /// FNV-1a-64 of those bytes, hex.
    fnv: String,
    totals: Totals,
}

/// The FNV-1a-64 offset basis.
pub(crate) const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a-64 of `bytes`, continuing from `h`.
pub(crate) fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

/// The saved part of one stage.
#[derive(Debug)]
pub(crate) struct Part {
    part: PathBuf,
    index_path: PathBuf,
    index: PartIndex,
    hash: u64,
}

/// How a stage's saved part was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Found {
    /// Nothing saved.
    Nothing,
    /// A saved prefix, kept.
    Resumed,
    /// A saved prefix whose part file was longer than its index: the tail was cut off.
    TornTail {
        /// Bytes cut off.
        cut: u64,
    },
    /// A part that does not match its index (or another stage's): discarded.
    Discarded {
        /// Why.
        reason: String,
    },
}

impl Part {
    /// The part file of the records file `records`.
    pub fn part_path(records: &Path) -> PathBuf {
        sibling(records, ".part")
    }

    /// The progress index of the records file `records`.
    pub fn index_path(records: &Path) -> PathBuf {
        sibling(records, ".part-index.json")
    }

    /// Opens the saved part of the stage whose records go to `records` (input hash `inputs`),
    /// or starts an empty one.
    pub fn open(
        records: &Path,
        suite: &str,
        method: &str,
        jobs: usize,
        inputs: &str,
    ) -> Result<(Self, Found), ReproduceError> {
        let part = Self::part_path(records);
        let index_path = Self::index_path(records);
        let fresh = PartIndex {
            format_version: FORMAT_VERSION,
            suite: suite.to_string(),
            method: method.to_string(),
            jobs,
            inputs: inputs.to_string(),
            done_jobs: 0,
            bytes: 0,
            fnv: format!("{FNV_OFFSET:016x}"),
            totals: Totals::default(),
        };
        let mut me = Self {
            part,
            index_path,
            index: fresh.clone(),
            hash: FNV_OFFSET,
        };
        let found = match me.load(&fresh) {
            Ok(found) => found,
            Err(reason) => Found::Discarded { reason },
        };
        if matches!(found, Found::Nothing | Found::Discarded { .. }) {
            me.index = fresh;
            me.hash = FNV_OFFSET;
            if let Some(dir) = me.part.parent() {
                std::fs::create_dir_all(dir).map_err(io_err(dir))?;
            }
            // An empty part file; a stale index goes (it would describe other bytes).
            File::create(&me.part).map_err(io_err(&me.part))?;
            if me.index_path.exists() {
                std::fs::remove_file(&me.index_path).map_err(io_err(&me.index_path))?;
            }
        }
        Ok((me, found))
    }

    /// Reads and checks the index and the part file; `Err` says why they are unusable.
    fn load(&mut self, fresh: &PartIndex) -> Result<Found, String> {
        if !self.index_path.exists() {
            return Ok(Found::Nothing);
        }
        let text = std::fs::read_to_string(&self.index_path).map_err(|e| e.to_string())?;
        let idx: PartIndex = serde_json::from_str(&text).map_err(|e| format!("bad index: {e}"))?;
        if (
            idx.format_version,
            &idx.suite,
            &idx.method,
            idx.jobs,
            &idx.inputs,
        ) != (
            fresh.format_version,
            &fresh.suite,
            &fresh.method,
            fresh.jobs,
            &fresh.inputs,
        ) {
            return Err("the index belongs to another stage".into());
        }
        if idx.done_jobs > idx.jobs {
            return Err("the index counts more jobs than the stage has".into());
        }
        let len = std::fs::metadata(&self.part)
            .map_err(|e| format!("part file: {e}"))?
            .len();
        if len < idx.bytes {
            return Err(format!(
                "the part file has {len} bytes, its index {}",
                idx.bytes
            ));
        }
        let mut h = FNV_OFFSET;
        let mut f = File::open(&self.part)
            .map_err(|e| e.to_string())?
            .take(idx.bytes);
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = f.read(&mut buf).map_err(|e| e.to_string())?;
            if n == 0 {
                break;
            }
            h = fnv(h, &buf[..n]);
        }
        if format!("{h:016x}") != idx.fnv {
            return Err("the part file does not match its index (hash)".into());
        }
        let found = if len > idx.bytes {
            let f = OpenOptions::new()
                .write(true)
                .open(&self.part)
                .map_err(|e| e.to_string())?;
            f.set_len(idx.bytes).map_err(|e| e.to_string())?;
            f.sync_all().map_err(|e| e.to_string())?;
            Found::TornTail {
                cut: len - idx.bytes,
            }
        } else {
            Found::Resumed
        };
        self.hash = h;
        self.index = idx;
        Ok(found)
    }

    /// Jobs saved.
    pub fn done_jobs(&self) -> usize {
        self.index.done_jobs
    }

    /// Totals of the saved runs.
    pub fn totals(&self) -> Totals {
        self.index.totals
    }

    /// Appends one gzip member holding the records of jobs up to `done_jobs` (exclusive), with
    /// the totals of its runs; the member is on disk before the index says so.
    pub fn append(
        &mut self,
        member: &[u8],
        done_jobs: usize,
        totals: &Totals,
    ) -> Result<(), ReproduceError> {
        let mut f = OpenOptions::new()
            .append(true)
            .open(&self.part)
            .map_err(io_err(&self.part))?;
        f.write_all(member).map_err(io_err(&self.part))?;
        f.sync_data().map_err(io_err(&self.part))?;
        drop(f);
        self.hash = fnv(self.hash, member);
        self.index.bytes += member.len() as u64;
        self.index.fnv = format!("{:016x}", self.hash);
        self.index.done_jobs = done_jobs;
        self.index.totals.add(totals);
        let json =
            serde_json::to_string_pretty(&self.index).map_err(|e| ReproduceError::Records {
                path: self.index_path.clone(),
                reason: e.to_string(),
            })?;
        write_atomic(&self.index_path, json.as_bytes())
    }

    /// The saved records re-compressed as one gzip stream (level 6), each line checked, and
    /// their number.
    pub fn encode_whole(&self, dest: &Path) -> Result<(Vec<u8>, usize), ReproduceError> {
        let file = File::open(&self.part).map_err(io_err(&self.part))?;
        let mut lines = BufReader::new(MultiGzDecoder::new(BufReader::new(file)));
        let mut w = RecordWriter::new(Vec::new(), 6, dest);
        let mut line = String::new();
        let mut n = 0usize;
        loop {
            line.clear();
            let read = lines
                .read_line(&mut line)
                .map_err(|e| ReproduceError::Records {
                    path: self.part.clone(),
                    reason: format!("line {}: {e}", n + 1),
                })?;
            if read == 0 {
                break;
            }
            serde_json::from_str::<Record>(&line).map_err(|e| ReproduceError::Records {
                path: self.part.clone(),
                reason: format!("line {}: {e}", n + 1),
            })?;
            w.write_raw_line(line.as_bytes())?;
            n += 1;
        }
        Ok((w.finish()?, n))
    }

    /// Removes the part file and its index (after the records file is written).
    pub fn remove(&self) -> Result<(), ReproduceError> {
        remove_part(&self.part, &self.index_path)
    }
}

/// Removes the part files of the records file `records`, if any.
pub(crate) fn remove_parts_of(records: &Path) -> Result<(), ReproduceError> {
    remove_part(&Part::part_path(records), &Part::index_path(records))
}

fn remove_part(part: &Path, index: &Path) -> Result<(), ReproduceError> {
    // The index first: a part file without an index is discarded, never trusted.
    for p in [index, part] {
        match std::fs::remove_file(p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err(p)(e)),
        }
    }
    Ok(())
}
