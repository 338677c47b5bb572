//! Saving and loading a policy folder.

mod common;

use std::path::PathBuf;

use common::*;
use pop_model::{
    CHECKPOINT_WEIGHTS_FILE as WEIGHTS_FILE, CONFIG_FILE, ModelError, N_FEATURES, Policy,
    TimeEmbedding,
};

/// A fresh, empty folder under the target directory's temp area.
fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pop-model-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn outputs(policy: &Policy<B>) -> (Vec<f32>, Vec<f32>) {
    let mut rng = SplitMix(3);
    let x = random_features(&mut rng, 2, 3, 5);
    let out = policy.forward(tensor4(x, [2, 3, 5, N_FEATURES])).unwrap();
    (to_vec(out.mean), to_vec(out.value))
}

#[test]
fn save_and_load_round_trip() {
    for (k, cfg) in [
        small_config(false),
        small_config(true).with_time_embedding(TimeEmbedding::Sinusoidal),
    ]
    .into_iter()
    .enumerate()
    {
        let dir = scratch_dir(&format!("roundtrip{k}"));
        let policy = cfg.init_seeded(30 + k as u64);
        policy.save_dir(&dir).unwrap();
        assert!(dir.join(CONFIG_FILE).is_file() && dir.join(WEIGHTS_FILE).is_file());
        let leftovers: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "temporary files left behind");
        let loaded = Policy::<B>::load_dir(&dir, &Default::default()).unwrap();
        assert_eq!(loaded.config(), policy.config());
        assert_eq!(
            outputs(&loaded),
            outputs(&policy),
            "identical outputs after reload"
        );
        // Saving again over an existing folder works.
        loaded.save_dir(&dir).unwrap();
        let again = Policy::<B>::load_dir(&dir, &Default::default()).unwrap();
        assert_eq!(outputs(&again), outputs(&policy));
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// Fields missing from `config.json` take their defaults (older files keep loading); unknown
/// fields are refused.
#[test]
fn config_json_defaults_missing_fields_and_refuses_unknown_ones() {
    use pop_model::PolicyConfig;
    assert_eq!(PolicyConfig::from_json("{}").unwrap(), PolicyConfig::new());
    let cfg =
        PolicyConfig::from_json(r#"{"d_model": 32, "d_ff": 128, "features": {"grad_knee": 0.5}}"#)
            .unwrap();
    assert_eq!(cfg.d_model, 32);
    assert_eq!(cfg.features.grad_knee, 0.5);
    assert_eq!(cfg.features.value_change_knee, 1e-3);
    for bad in [
        r#"{"d_modle": 32}"#,
        r#"{"features": {"knee": 1.0}}"#,
        "[1, 2]",
        r#"{"n_heads": 5}"#,
    ] {
        let err = PolicyConfig::from_json(bad).unwrap_err();
        assert!(
            matches!(err, ModelError::InvalidConfig { .. }),
            "{bad}: {err}"
        );
    }
    // Round trip through the saved form.
    let json = serde_json::to_string(&PolicyConfig::new().with_n_layers(2)).unwrap();
    assert_eq!(
        PolicyConfig::from_json(&json).unwrap(),
        PolicyConfig::new().with_n_layers(2)
    );
}

#[test]
fn missing_or_corrupt_files_give_clear_errors() {
    let device = Default::default();
    let dir = scratch_dir("corrupt");
    // Nothing there.
    let err = Policy::<B>::load_dir(&dir, &device).unwrap_err();
    assert!(matches!(err, ModelError::ConfigFile { .. }), "{err}");

    let policy = small_policy(false, 40);
    policy.save_dir(&dir).unwrap();
    let weights = dir.join(WEIGHTS_FILE);
    let good = std::fs::read(&weights).unwrap();

    // Missing weights.
    std::fs::remove_file(&weights).unwrap();
    let err = Policy::<B>::load_dir(&dir, &device).unwrap_err();
    assert!(matches!(err, ModelError::MissingWeights { .. }), "{err}");
    assert!(err.to_string().contains("weights.mpk"));

    // Truncated, garbage, and empty weights.
    for bad in [good[..good.len() / 2].to_vec(), vec![0xC1; 100], Vec::new()] {
        std::fs::write(&weights, &bad).unwrap();
        let err = Policy::<B>::load_dir(&dir, &device).unwrap_err();
        assert!(matches!(err, ModelError::CorruptWeights { .. }), "{err}");
    }

    // Weights of another shape than config.json says.
    std::fs::write(&weights, &good).unwrap();
    let other = small_config(false)
        .with_d_model(8)
        .with_d_ff(32)
        .init_seeded(41);
    let other_dir = scratch_dir("corrupt-other");
    other.save_dir(&other_dir).unwrap();
    std::fs::copy(other_dir.join(WEIGHTS_FILE), &weights).unwrap();
    let err = Policy::<B>::load_dir(&dir, &device).unwrap_err();
    assert!(matches!(err, ModelError::CorruptWeights { .. }), "{err}");

    // A broken or inconsistent config.json.
    std::fs::write(&weights, &good).unwrap();
    std::fs::write(dir.join(CONFIG_FILE), "{ not json").unwrap();
    let err = Policy::<B>::load_dir(&dir, &device).unwrap_err();
    assert!(matches!(err, ModelError::ConfigFile { .. }), "{err}");
    let mut cfg = policy.config().clone();
    cfg.n_heads = 3;
    std::fs::write(dir.join(CONFIG_FILE), serde_json::to_string(&cfg).unwrap()).unwrap();
    let err = Policy::<B>::load_dir(&dir, &device).unwrap_err();
    assert!(matches!(err, ModelError::InvalidConfig { .. }), "{err}");

    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&other_dir);
}

/// The shipped form (`config.json` + `weights.safetensors`) loads without burn into a
/// `FastPolicy` identical to the exported module, writes the same bytes twice, and refuses a
/// truncated file or the weights of another shape with an error that names the problem.
#[test]
fn safetensors_weights_round_trip_and_errors() {
    use pop_model::{FastPolicy, WEIGHTS_FILE as SAFETENSORS_FILE, export_fast};
    for (k, cfg) in [
        small_config(false),
        small_config(true).with_time_embedding(TimeEmbedding::Sinusoidal),
    ]
    .into_iter()
    .enumerate()
    {
        let dir = scratch_dir(&format!("safetensors{k}"));
        let policy = cfg.init_seeded(50 + k as u64);
        policy.save_weights_dir(&dir).unwrap();
        let bytes = std::fs::read(dir.join(SAFETENSORS_FILE)).unwrap();
        let fast = FastPolicy::load_dir(&dir).unwrap();
        let exported = export_fast(&policy).unwrap();
        assert_eq!(fast.to_named(), exported.to_named());
        assert_eq!(fast.config(), policy.config());
        policy.save_weights_dir(&dir).unwrap();
        assert_eq!(std::fs::read(dir.join(SAFETENSORS_FILE)).unwrap(), bytes);

        std::fs::write(dir.join(SAFETENSORS_FILE), &bytes[..bytes.len() / 2]).unwrap();
        let err = FastPolicy::load_dir(&dir).unwrap_err().to_string();
        assert!(
            err.contains("corrupt weights") && err.contains(SAFETENSORS_FILE),
            "{err}"
        );

        let other = scratch_dir(&format!("safetensors-other{k}"));
        small_config(false)
            .with_d_model(8)
            .with_d_ff(32)
            .init_seeded(1)
            .save_weights_dir(&other)
            .unwrap();
        std::fs::copy(other.join(SAFETENSORS_FILE), dir.join(SAFETENSORS_FILE)).unwrap();
        let err = FastPolicy::load_dir(&dir).unwrap_err().to_string();
        assert!(err.contains("shape"), "{err}");
        std::fs::remove_file(dir.join(SAFETENSORS_FILE)).unwrap();
        let err = FastPolicy::load_dir(&dir).unwrap_err().to_string();
        assert!(err.contains("missing weights file"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::remove_dir_all(&other);
    }
}
