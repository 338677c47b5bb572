//! A policy folder as it is shipped and evaluated: `config.json` (the [`PolicyConfig`], its
//! featurisation included) and `weights.safetensors` (the named f32 tensors of
//! [`NamedTensors`], in the standard safetensors format that PyTorch, JAX and NumPy read).
//!
//! Reading a folder needs no burn: a user, or the Python package, that only runs a trained
//! policy never compiles the training stack. `pop-model` writes such a folder from a burn module
//! (`Policy::save_weights_dir`). Both files are written atomically.
//!
//! **Integrity.** The safetensors header's metadata holds `pop.sha256`, the SHA-256 of the
//! tensors' content ([`content_sha256`]: names, shapes and f32 bytes in name order). Loading
//! recomputes it and refuses a file whose tensors changed (a flipped bit, a truncated copy, a
//! tensor edited by another tool) or that carries no hash.

use std::collections::HashMap;
use std::fs;
use std::path::Path;

use safetensors::{Dtype, SafeTensors, tensor::TensorView};

use super::config::PolicyConfig;
use super::error::PolicyError;
use super::fast::{FastPolicy, NamedTensors};
use crate::fsutil::{sha256_hex, write_atomic};

/// The safetensors metadata key of the content hash ([`content_sha256`]).
pub const CONTENT_HASH_KEY: &str = "pop.sha256";

/// The SHA-256 (hex) of named f32 tensors: for each tensor in name order, its name's length
/// and bytes, its rank and dimensions (u64, little endian) and its values (f32, little endian).
/// It depends on the numbers only, not on how a file lays them out.
pub fn content_sha256(t: &NamedTensors) -> String {
    let mut bytes = Vec::new();
    for (name, (shape, v)) in t {
        bytes.extend_from_slice(&(name.len() as u64).to_le_bytes());
        bytes.extend_from_slice(name.as_bytes());
        bytes.extend_from_slice(&(shape.len() as u64).to_le_bytes());
        for &d in shape {
            bytes.extend_from_slice(&(d as u64).to_le_bytes());
        }
        for x in v {
            bytes.extend_from_slice(&x.to_le_bytes());
        }
    }
    sha256_hex(&bytes)
}

/// File name of the configuration inside a policy folder.
pub const CONFIG_FILE: &str = "config.json";
/// File name of the weights inside a policy folder.
pub const WEIGHTS_FILE: &str = "weights.safetensors";

/// Reads and validates `config.json` of a policy folder. Fields left out take their defaults;
/// unknown fields are an error.
pub fn load_config(dir: &Path) -> Result<PolicyConfig, PolicyError> {
    let path = dir.join(CONFIG_FILE);
    let text = fs::read_to_string(&path).map_err(|e| PolicyError::ConfigFile {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    let config: PolicyConfig =
        serde_json::from_str(&text).map_err(|e| PolicyError::ConfigFile {
            path: path.clone(),
            reason: e.to_string(),
        })?;
    config.validate()?;
    Ok(config)
}

impl PolicyConfig {
    /// Parses a configuration from JSON and validates it. Fields left out take their defaults
    /// (so files written before a field existed still load); unknown fields are an error.
    pub fn from_json(text: &str) -> Result<Self, PolicyError> {
        let config: PolicyConfig =
            serde_json::from_str(text).map_err(|e| PolicyError::InvalidConfig {
                reason: e.to_string(),
            })?;
        config.validate()?;
        Ok(config)
    }
}

/// Encodes named f32 tensors as safetensors bytes (tensors in name order, the content hash as
/// the only metadata, so the same weights always give the same bytes).
pub fn encode_safetensors(t: &NamedTensors) -> Result<Vec<u8>, PolicyError> {
    let bytes: Vec<(String, Vec<usize>, Vec<u8>)> = t
        .iter()
        .map(|(name, (shape, v))| {
            let b = v.iter().flat_map(|x| x.to_le_bytes()).collect();
            (name.clone(), shape.clone(), b)
        })
        .collect();
    let views = bytes
        .iter()
        .map(|(name, shape, b)| {
            TensorView::new(Dtype::F32, shape.clone(), b).map(|view| (name.clone(), view))
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| PolicyError::InvalidConfig {
            reason: format!("cannot encode the weights: {e}"),
        })?;
    let metadata = HashMap::from([(CONTENT_HASH_KEY.to_string(), content_sha256(t))]);
    safetensors::serialize(views, Some(metadata)).map_err(|e| PolicyError::InvalidConfig {
        reason: format!("cannot encode the weights: {e}"),
    })
}

/// Decodes safetensors bytes holding f32 tensors and checks their content hash; `path` names the
/// file in errors.
pub fn decode_safetensors(bytes: &[u8], path: &Path) -> Result<NamedTensors, PolicyError> {
    decode(bytes, path, true)
}

fn decode(bytes: &[u8], path: &Path, require_hash: bool) -> Result<NamedTensors, PolicyError> {
    let corrupt = |reason: String| PolicyError::CorruptWeights {
        path: path.to_path_buf(),
        reason,
    };
    let st = SafeTensors::deserialize(bytes).map_err(|e| corrupt(e.to_string()))?;
    let mut out = NamedTensors::new();
    for (name, view) in st.tensors() {
        if view.dtype() != Dtype::F32 {
            return Err(corrupt(format!(
                "tensor `{name}` has dtype {:?}, expected F32",
                view.dtype()
            )));
        }
        let v: Vec<f32> = view
            .data()
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        out.insert(name, (view.shape().to_vec(), v));
    }
    let (_, header) = SafeTensors::read_metadata(bytes).map_err(|e| corrupt(e.to_string()))?;
    let recorded = header
        .metadata()
        .as_ref()
        .and_then(|m| m.get(CONTENT_HASH_KEY));
    if recorded.is_none() && !require_hash {
        return Ok(out);
    }
    let recorded = recorded.ok_or_else(|| {
        corrupt(format!(
            "no content hash (`{CONTENT_HASH_KEY}` in the header's metadata): the file was \
                 not written by this version's `save_dir`, or was rewritten by another tool"
        ))
    })?;
    let actual = content_sha256(&out);
    if *recorded != actual {
        return Err(corrupt(format!(
            "the tensors do not match the file's content hash (recorded {recorded}, computed \
             {actual}): the file is damaged"
        )));
    }
    Ok(out)
}

impl FastPolicy {
    /// Writes `config.json` and `weights.safetensors` into `dir` (created if needed), each
    /// atomically.
    pub fn save_dir(&self, dir: impl AsRef<Path>) -> Result<(), PolicyError> {
        let dir = dir.as_ref();
        let io = |(path, source)| PolicyError::Io { path, source };
        fs::create_dir_all(dir).map_err(|source| PolicyError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let bytes = encode_safetensors(&self.to_named())?;
        write_atomic(&dir.join(WEIGHTS_FILE), &bytes).map_err(io)?;
        let json =
            serde_json::to_string_pretty(self.config()).map_err(|e| PolicyError::ConfigFile {
                path: dir.join(CONFIG_FILE),
                reason: format!("cannot encode: {e}"),
            })?;
        write_atomic(&dir.join(CONFIG_FILE), json.as_bytes()).map_err(io)?;
        tracing::debug!(dir = %dir.display(), bytes = bytes.len(), "saved policy weights");
        Ok(())
    }

    /// Loads a policy folder written by [`save_dir`](Self::save_dir). Errors name the file on a
    /// missing or invalid `config.json`, a missing `weights.safetensors`, or weights that do not
    /// decode, miss a tensor, have the wrong shapes, or hold non-finite numbers.
    pub fn load_dir(dir: impl AsRef<Path>) -> Result<Self, PolicyError> {
        let dir = dir.as_ref();
        let config = load_config(dir)?;
        let path = dir.join(WEIGHTS_FILE);
        if !path.is_file() {
            return Err(PolicyError::MissingWeights { path });
        }
        let bytes = fs::read(&path).map_err(|source| PolicyError::Io {
            path: path.clone(),
            source,
        })?;
        let named = decode_safetensors(&bytes, &path)?;
        Self::from_named(&config, &named).map_err(|e| PolicyError::CorruptWeights {
            path: path.clone(),
            reason: e.to_string(),
        })
    }

    /// Rewrites a policy folder written before weight files carried a content hash: loads it
    /// (every check but the missing hash; a hash that is present must match) and saves it again
    /// with the hash. Returns whether the file changed.
    pub fn upgrade_dir(dir: impl AsRef<Path>) -> Result<bool, PolicyError> {
        let dir = dir.as_ref();
        let config = load_config(dir)?;
        let path = dir.join(WEIGHTS_FILE);
        let bytes = fs::read(&path).map_err(|source| PolicyError::Io {
            path: path.clone(),
            source,
        })?;
        let named = decode(&bytes, &path, false)?;
        let policy =
            Self::from_named(&config, &named).map_err(|e| PolicyError::CorruptWeights {
                path: path.clone(),
                reason: e.to_string(),
            })?;
        let new = encode_safetensors(&policy.to_named())?;
        if new == bytes {
            return Ok(false);
        }
        write_atomic(&path, &new).map_err(|(path, source)| PolicyError::Io { path, source })?;
        Ok(true)
    }
}
