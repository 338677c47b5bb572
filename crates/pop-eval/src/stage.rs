//! What a stage's records were computed from, so that records of other inputs are never taken
//! for this configuration's.
//!
//! A stage (one suite × one method) is identified by its [`StageInputs`]: the format, the master
//! seed, the suite's config, the starts, the budgets (those of the configuration, which set the
//! kept calls, and the stage's own), the convergence functions (VLSE-47: they keep every call),
//! the method key and the method's config: the catalogue `MethodConfig` of a baseline (tuned
//! learning rates included), the policy files' fingerprint of a learned method (every file of its
//! run folder but the `.md` notes: the weights and `config.json`), and POP's restart patience.
//! Beside `records/<suite>/<method>.jsonl.gz` the runner writes `<method>.inputs.json`
//! ([`StageStamp`]): those inputs, their FNV-1a-64 hash, and the FNV-1a-64 and length of the
//! records file's bytes (so that a records file replaced by another run's, say of another seed
//! with the same number of lines, no longer matches its stamp).
//!
//! A records file whose stamp is missing, names other inputs, or was written for other bytes is
//! **refused** with [`ReproduceError::StageInputs`] by the runner and by the summary (so by
//! `pop-reproduce report`), rather than computed again: such a file comes from outside this run
//! (copied, or the folder's config edited), it may hold expensive results the user wants, and
//! deleting or overwriting it silently would hide that the folder mixes runs. The error names the
//! file and what differs; a fresh `--out` (or deleting the file and its stamp) is the way on.
//!
//! Results folders written before stamps existed (their manifest lacks `stage_inputs`) are
//! still read by the summary, unverified, with a warning; the runner refuses to add to them.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use pop_baselines::catalogue::MethodConfig;
use pop_baselines::restarts::Restarts;
use serde::{Deserialize, Serialize};

use super::checkpoint::{FNV_OFFSET, fnv};
use super::config::{ReproduceConfig, SuiteConfig};
use super::error::{ReproduceError, io_err, write_atomic};
use super::methods::{self, Source};
use super::records::FORMAT_VERSION;

/// Everything the records of one stage depend on (see the module documentation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageInputs {
    /// Records format.
    pub format_version: u32,
    /// Master seed of the reproduction.
    pub seed: u64,
    /// The suite's config.
    pub suite: SuiteConfig,
    /// Shared start points per function.
    pub starts: usize,
    /// The configuration's budgets (every record keeps the best-so-far value at each).
    pub budgets: Vec<usize>,
    /// The budgets this stage records.
    pub stage_budgets: Vec<usize>,
    /// The convergence functions whose records keep every call (VLSE-47 only; empty otherwise).
    pub convergence_functions: Vec<String>,
    /// Method key.
    pub method: String,
    /// The method's config: a baseline's `MethodConfig` as JSON, or a learned method's policy
    /// fingerprint (and POP's restart patience).
    pub method_config: String,
}

/// The stamp beside a stage's records (`<method>.inputs.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageStamp {
    /// FNV-1a-64 of the inputs' JSON, hex: the stage's identity.
    pub inputs_hash: String,
    /// FNV-1a-64 of the records file's bytes, hex.
    pub records_fnv: String,
    /// Length of the records file.
    pub records_bytes: u64,
    /// The inputs themselves (to say what differs).
    pub inputs: StageInputs,
}

impl StageInputs {
    /// The inputs of stage `suite` × `method` of `cfg`, with the learned methods' policy
    /// fingerprints of the folder's manifest.
    pub fn new(
        cfg: &ReproduceConfig,
        suite: &SuiteConfig,
        method: &str,
        policy_fingerprints: &BTreeMap<String, String>,
    ) -> Result<Self, ReproduceError> {
        let spec = methods::find(method)?;
        let json = |mc: &MethodConfig| {
            serde_json::to_string(mc).map_err(|e| ReproduceError::InvalidConfig {
                field: "methods",
                value: method.to_string(),
                reason: format!("its config cannot be written as JSON: {e}"),
            })
        };
        let method_config = match spec.source {
            Source::Pop | Source::PopPaper | Source::Velo => {
                let fp = policy_fingerprints
                    .get(method)
                    .map_or("unknown", String::as_str);
                if spec.source == Source::Pop {
                    let cap = cfg
                        .pop_restarts_max_dim
                        .map_or(String::new(), |d| format!(" up to {d}-D"));
                    format!("policy files {fp}, restarts {:?}{cap}", cfg.pop_restarts)
                } else {
                    format!("policy files {fp}")
                }
            }
            Source::Default(kind) => json(&MethodConfig::default_of(kind)?)?,
            Source::Tuned(kind) => json(&methods::tuned(kind, method)?)?,
            Source::TunedRestarts(kind) => json(&MethodConfig::Restarts(Restarts::new(Box::new(
                methods::tuned(kind, method)?,
            ))))?,
        };
        Ok(Self {
            format_version: FORMAT_VERSION,
            seed: cfg.seed,
            suite: suite.clone(),
            starts: cfg.starts,
            budgets: cfg.budgets.clone(),
            stage_budgets: cfg.budgets_on(method, &suite.name),
            convergence_functions: if suite.name == "vlse47" {
                cfg.convergence_functions.clone()
            } else {
                Vec::new()
            },
            method: method.to_string(),
            method_config,
        })
    }

    /// FNV-1a-64 of the inputs' JSON, hex.
    pub fn hash(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        format!("{:016x}", fnv(FNV_OFFSET, &json))
    }

    /// The fields in which `self` (recorded) differs from `now`, in words.
    fn differences(&self, now: &Self) -> Vec<String> {
        let mut out = Vec::new();
        let mut cmp = |field: &str, a: String, b: String| {
            if a != b {
                out.push(format!("{field}: recorded {a}, this configuration {b}"));
            }
        };
        cmp(
            "format_version",
            self.format_version.to_string(),
            now.format_version.to_string(),
        );
        cmp("seed", self.seed.to_string(), now.seed.to_string());
        cmp(
            "suite",
            format!("{:?}", self.suite),
            format!("{:?}", now.suite),
        );
        cmp("starts", self.starts.to_string(), now.starts.to_string());
        cmp(
            "budgets",
            format!("{:?}", self.budgets),
            format!("{:?}", now.budgets),
        );
        cmp(
            "stage budgets",
            format!("{:?}", self.stage_budgets),
            format!("{:?}", now.stage_budgets),
        );
        cmp(
            "convergence_functions",
            format!("{:?}", self.convergence_functions),
            format!("{:?}", now.convergence_functions),
        );
        cmp("method", self.method.clone(), now.method.clone());
        cmp(
            "method config",
            format!("`{}`", self.method_config),
            format!("`{}`", now.method_config),
        );
        out
    }
}

/// The stamp file of the records file `records` (`<method>.jsonl.gz` → `<method>.inputs.json`).
pub fn stamp_path(records: &Path) -> PathBuf {
    let name = records
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name
        .strip_suffix(&format!(".{}", super::records::RECORDS_EXT))
        .unwrap_or(&name);
    records.with_file_name(format!("{stem}.inputs.json"))
}

/// Writes the stamp of the records `bytes` about to be written to `records` (before them: a
/// kill in between leaves a stamp without records, and the stage runs again).
pub(crate) fn write_stamp(
    records: &Path,
    inputs: &StageInputs,
    bytes: &[u8],
) -> Result<(), ReproduceError> {
    let stamp = StageStamp {
        inputs_hash: inputs.hash(),
        records_fnv: format!("{:016x}", fnv(FNV_OFFSET, bytes)),
        records_bytes: bytes.len() as u64,
        inputs: inputs.clone(),
    };
    let path = stamp_path(records);
    let json = serde_json::to_string_pretty(&stamp).map_err(|e| ReproduceError::Records {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    write_atomic(&path, json.as_bytes())
}

/// Checks that the records file `records` (which exists) was computed from `expected`: its
/// stamp names the same inputs and the file's bytes are those the stamp was written for.
pub fn check(records: &Path, expected: &StageInputs) -> Result<(), ReproduceError> {
    let refuse = |reason: String| ReproduceError::StageInputs {
        path: records.to_path_buf(),
        reason,
    };
    let spath = stamp_path(records);
    let text = match std::fs::read_to_string(&spath) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(refuse(format!(
                "it has no stage inputs file {} (records copied from elsewhere?), so nothing says \
                 it was computed from this configuration",
                spath.display()
            )));
        }
        Err(e) => return Err(io_err(&spath)(e)),
    };
    let stamp: StageStamp = serde_json::from_str(&text).map_err(|e| {
        refuse(format!(
            "its stage inputs file {} is unreadable: {e}",
            spath.display()
        ))
    })?;
    let want = expected.hash();
    if stamp.inputs_hash != want {
        let diffs = stamp.inputs.differences(expected);
        return Err(refuse(format!(
            "it was computed from other inputs than this configuration's stage (input hash {} in \
             {}, this configuration's {want}): {}",
            stamp.inputs_hash,
            spath.display(),
            if diffs.is_empty() {
                "its recorded inputs do not match their hash".to_string()
            } else {
                diffs.join("; ")
            }
        )));
    }
    let (h, len) = fnv_file(records)?;
    if format!("{h:016x}") != stamp.records_fnv || len != stamp.records_bytes {
        return Err(refuse(format!(
            "its bytes are not those its stage inputs file {} was written for (replaced by the \
             records of another run, such as another seed, or edited), so its inputs are unknown",
            spath.display()
        )));
    }
    Ok(())
}

/// FNV-1a-64 and length of a file's bytes.
fn fnv_file(path: &Path) -> Result<(u64, u64), ReproduceError> {
    let mut f = std::fs::File::open(path).map_err(io_err(path))?;
    let mut buf = vec![0u8; 1 << 16];
    let (mut h, mut len) = (FNV_OFFSET, 0u64);
    loop {
        let n = f.read(&mut buf).map_err(io_err(path))?;
        if n == 0 {
            return Ok((h, len));
        }
        h = fnv(h, &buf[..n]);
        len += n as u64;
    }
}

/// The policy fingerprints of the results folder `out` when its stages carry stamps, `None` for
/// a folder written before they existed (its records are read unverified, with a warning).
pub(crate) fn folder_fingerprints(
    out: &Path,
) -> Result<Option<BTreeMap<String, String>>, ReproduceError> {
    let path = out.join("config.json");
    let text = std::fs::read_to_string(&path).map_err(io_err(&path))?;
    let m: super::runner::Manifest =
        serde_json::from_str(&text).map_err(|e| ReproduceError::ForeignResults {
            path: out.to_path_buf(),
            reason: format!("its config.json is not a reproduction manifest: {e}"),
        })?;
    if m.stage_inputs {
        Ok(Some(m.policy_fingerprints))
    } else {
        tracing::warn!(
            folder = %out.display(),
            "written by an older pop-reproduce: its records carry no stage input hashes and are \
             read unverified"
        );
        Ok(None)
    }
}
