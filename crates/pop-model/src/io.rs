//! Saving and loading a policy folder: `config.json` (the [`PolicyConfig`]) and `weights.mpk`
//! (burn's named MessagePack record, full precision). Each file is written to a temporary file in
//! the same folder, flushed, and renamed over the old one, so a reader never sees half a file.

use std::fs;
use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use burn::module::{Module, ModuleVisitor, Param};
use burn::record::{FullPrecisionSettings, NamedMpkBytesRecorder, Recorder};
use burn::tensor::{Tensor, backend::Backend};

use crate::config::PolicyConfig;
use crate::error::ModelError;
use crate::policy::Policy;

/// File name of the configuration inside a policy folder.
pub const CONFIG_FILE: &str = "config.json";
/// File name of the weights inside a policy folder.
pub const WEIGHTS_FILE: &str = "weights.mpk";

type WeightsRecorder = NamedMpkBytesRecorder<FullPrecisionSettings>;

impl<B: Backend> Policy<B> {
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

/// Reads and validates `config.json` of a policy folder (see [`PolicyConfig::from_json`]).
pub fn load_config(dir: &Path) -> Result<PolicyConfig, ModelError> {
    let path = dir.join(CONFIG_FILE);
    let text = fs::read_to_string(&path).map_err(|e| ModelError::ConfigFile {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    let config = parse_config(&text).map_err(|reason| ModelError::ConfigFile {
        path: path.clone(),
        reason,
    })?;
    config.validate()?;
    Ok(config)
}

impl PolicyConfig {
    /// Parses a configuration from JSON and validates it. Fields left out take their defaults
    /// (so files written before a field existed still load); unknown fields are an error.
    pub fn from_json(text: &str) -> Result<Self, ModelError> {
        let config = parse_config(text).map_err(|reason| ModelError::InvalidConfig { reason })?;
        config.validate()?;
        Ok(config)
    }
}

/// JSON → config with the defaults filled in and unknown top-level fields refused (burn's
/// `Config` derive requires every field and ignores unknown ones).
fn parse_config(text: &str) -> Result<PolicyConfig, String> {
    let given: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let serde_json::Value::Object(given) = given else {
        return Err("expected a JSON object".into());
    };
    let mut merged = serde_json::to_value(PolicyConfig::new()).map_err(|e| e.to_string())?;
    let serde_json::Value::Object(fields) = &mut merged else {
        return Err("the default config is not a JSON object".into());
    };
    for (key, value) in given {
        match fields.get_mut(&key) {
            Some(slot) => *slot = value,
            None => return Err(format!("unknown field `{key}`")),
        }
    }
    serde_json::from_value(merged).map_err(|e| e.to_string())
}

/// Writes `bytes` to `path` through a temporary sibling file and a rename.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ModelError> {
    let io = |p: &Path| {
        let p: PathBuf = p.to_path_buf();
        move |source| ModelError::Io { path: p, source }
    };
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(format!(".tmp{}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let mut file = fs::File::create(&tmp).map_err(io(&tmp))?;
    file.write_all(bytes).map_err(io(&tmp))?;
    file.sync_all().map_err(io(&tmp))?;
    drop(file);
    fs::rename(&tmp, path).map_err(io(path))?;
    Ok(())
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
