//! Saving and loading a policy.
//!
//! * [`Policy::save_weights_dir`]: the shipped, evaluated form — `config.json` and
//!   `weights.safetensors`, read without burn by `pop_optim::pop::FastPolicy::load_dir`.
//! * [`Policy::save_dir`] / [`Policy::load_dir`]: the training checkpoint form — `config.json`
//!   and [`CHECKPOINT_WEIGHTS_FILE`] (burn's named MessagePack record, full precision, with the
//!   parameter ids that the optimizer state refers to, so a resumed run is bit-identical).
//!
//! Each file is written to a temporary file in the same folder, flushed, and renamed over the old
//! one, so a reader never sees half a file.

use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use burn::module::{Module, ModuleVisitor, Param};
use burn::record::{FullPrecisionSettings, NamedMpkBytesRecorder, Recorder};
use burn::tensor::{Tensor, backend::Backend};

use pop_optim::pop::{CONFIG_FILE, PolicyError as ModelError, load_config};

use crate::export::export_fast;
use crate::policy::{Policy, PolicyInit};

/// File name of the weights inside a checkpoint's policy folder (burn's record).
pub const CHECKPOINT_WEIGHTS_FILE: &str = "weights.mpk";
const WEIGHTS_FILE: &str = CHECKPOINT_WEIGHTS_FILE;

type WeightsRecorder = NamedMpkBytesRecorder<FullPrecisionSettings>;

impl<B: Backend> Policy<B> {
    /// Writes the shipped form of the policy into `dir`: `config.json` and
    /// `weights.safetensors` (see `pop_optim::pop::weights`), each atomically.
    pub fn save_weights_dir(&self, dir: impl AsRef<Path>) -> Result<(), ModelError> {
        export_fast(self)?.save_dir(dir)
    }

    /// Writes `config.json` and `weights.mpk` into `dir` (created if needed), each atomically.
    pub fn save_dir(&self, dir: impl AsRef<Path>) -> Result<(), ModelError> {
        let dir = dir.as_ref();
        fs::create_dir_all(dir).map_err(|source| ModelError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let bytes = Recorder::<B>::record(&WeightsRecorder::new(), self.clone().into_record(), ())
            .map_err(|e| ModelError::CorruptWeights {
                path: dir.join(WEIGHTS_FILE),
                reason: format!("cannot encode the record: {e}"),
            })?;
        write_atomic(&dir.join(WEIGHTS_FILE), &bytes)?;
        let json =
            serde_json::to_string_pretty(&self.config).map_err(|e| ModelError::ConfigFile {
                path: dir.join(CONFIG_FILE),
                reason: format!("cannot encode: {e}"),
            })?;
        write_atomic(&dir.join(CONFIG_FILE), json.as_bytes())?;
        tracing::debug!(dir = %dir.display(), bytes = bytes.len(), "saved policy");
        Ok(())
    }

    /// Rebuilds a policy from a folder written by [`save_dir`](Self::save_dir). Errors clearly
    /// on a missing or invalid `config.json`, a missing `weights.mpk`, or weights that do not
    /// decode, do not match the config's shapes, or hold non-finite numbers.
    pub fn load_dir(dir: impl AsRef<Path>, device: &B::Device) -> Result<Self, ModelError> {
        let dir = dir.as_ref();
        let config = load_config(dir)?;
        let weights = dir.join(WEIGHTS_FILE);
        if !weights.is_file() {
            return Err(ModelError::MissingWeights { path: weights });
        }
        let bytes = fs::read(&weights).map_err(|source| ModelError::Io {
            path: weights.clone(),
            source,
        })?;
        let corrupt = |reason: String| ModelError::CorruptWeights {
            path: weights.clone(),
            reason,
        };
        let fresh = config.init::<B>(device)?;
        let expected = ParamSummary::of(&fresh);
        // burn may panic on records whose tensor data disagree with their shapes: report that
        // as a corrupt file rather than unwinding through the caller.
        let loaded = catch_unwind(AssertUnwindSafe(|| {
            let record = Recorder::<B>::load::<<Policy<B> as Module<B>>::Record>(
                &WeightsRecorder::new(),
                bytes,
                device,
            )
            .map_err(|e| format!("cannot decode: {e}"))?;
            let policy = fresh.load_record(record);
            let got = ParamSummary::of(&policy);
            Ok::<_, String>((policy, got))
        }))
        .map_err(|_| corrupt("the record's tensors are malformed".into()))?
        .map_err(corrupt)?;
        let (policy, got) = loaded;
        if got.shapes != expected.shapes {
            return Err(corrupt(format!(
                "parameter shapes {:?} do not match config.json, which needs {:?}",
                got.shapes, expected.shapes
            )));
        }
        if !got.finite {
            return Err(corrupt("non-finite parameter values".into()));
        }
        tracing::debug!(dir = %dir.display(), "loaded policy");
        Ok(policy)
    }
}

/// Writes `bytes` to `path` atomically (see `pop_optim::fsutil`).
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ModelError> {
    pop_optim::fsutil::write_atomic(path, bytes)
        .map_err(|(path, source)| ModelError::Io { path, source })
}

/// Shapes of every float parameter in visiting order, and whether all values are finite.
struct ParamSummary {
    shapes: Vec<Vec<usize>>,
    finite: bool,
}

impl ParamSummary {
    fn of<B: Backend>(policy: &Policy<B>) -> Self {
        let mut summary = ParamSummary {
            shapes: Vec::new(),
            finite: true,
        };
        policy.visit(&mut summary);
        summary
    }
}

impl<B: Backend> ModuleVisitor<B> for ParamSummary {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        let value = param.val();
        self.shapes.push(value.dims().to_vec());
        let finite = value
            .into_data()
            .convert::<f32>()
            .to_vec::<f32>()
            .map(|v| v.iter().all(|x| x.is_finite()))
            .unwrap_or(false);
        self.finite &= finite;
    }
}
