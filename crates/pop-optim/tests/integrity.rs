//! Weight files carry a content hash checked at load (issue #15, "bit flips inside the weights:
//! loads silently and results change"): a flipped bit in a shipped policy or in the competitor's
//! weights is refused with an error naming the file, and a file without a hash is refused too.

use std::fs;
use std::path::{Path, PathBuf};

use pop_optim::learned::velo::VeloRule;
use pop_optim::pop::{FastPolicy, PopMethod};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("pop-optim-integrity-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).expect("scratch");
    d
}

#[test]
fn a_flipped_bit_in_the_policy_weights_is_refused() {
    let src = workspace().join("data/pop-quick/best");
    FastPolicy::load_dir(&src).expect("the shipped policy loads");
    let dir = scratch("pop");
    for f in ["config.json", "weights.safetensors"] {
        fs::copy(src.join(f), dir.join(f)).expect("copy");
    }
    let w = dir.join("weights.safetensors");
    let mut bytes = fs::read(&w).expect("read");
    let n = bytes.len();
    bytes[n - 3] ^= 0x10; // inside the last tensor's data
    fs::write(&w, &bytes).expect("write");
    let err = FastPolicy::load_dir(&dir).expect_err("damaged weights load");
    let msg = err.to_string();
    assert!(
        msg.contains("content hash") && msg.contains("weights.safetensors"),
        "{msg}"
    );
    assert!(PopMethod::load(&dir).is_err());
    // Upgrading never blesses a damaged file.
    assert!(FastPolicy::upgrade_dir(&dir).is_err());
    fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn a_policy_file_without_a_hash_is_refused_until_upgraded() {
    let src = workspace().join("data/pop-quick/best");
    let policy = FastPolicy::load_dir(&src).expect("load");
    let dir = scratch("nohash");
    fs::copy(src.join("config.json"), dir.join("config.json")).expect("copy");
    // The same tensors written without metadata, as before hashes existed.
    let named = policy.to_named();
    let raw: Vec<(String, Vec<usize>, Vec<u8>)> = named
        .iter()
        .map(|(k, (s, v))| {
            (
                k.clone(),
                s.clone(),
                v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            )
        })
        .collect();
    let views: Vec<_> = raw
        .iter()
        .map(|(k, s, b)| {
            let view = safetensors::tensor::TensorView::new(safetensors::Dtype::F32, s.clone(), b)
                .expect("view");
            (k.clone(), view)
        })
        .collect();
    let bytes = safetensors::serialize(views, None).expect("serialize");
    fs::write(dir.join("weights.safetensors"), bytes).expect("write");
    let err = FastPolicy::load_dir(&dir).expect_err("no hash");
    assert!(err.to_string().contains("no content hash"), "{err}");
    assert!(FastPolicy::upgrade_dir(&dir).expect("upgrade"));
    let again = FastPolicy::load_dir(&dir).expect("loads after the upgrade");
    assert_eq!(again.to_named(), named);
    assert!(!FastPolicy::upgrade_dir(&dir).expect("idempotent"));
    fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn a_changed_digit_in_the_competitor_weights_is_refused() {
    let src = workspace().join("data/velo-quick/best/velo.json");
    let text = fs::read_to_string(&src).expect("read");
    VeloRule::from_json(&text, &src).expect("the shipped rule loads");
    // Change one digit of the first parameter.
    let at = text.find("\"params\":[").expect("params") + "\"params\":[".len() + 3;
    let mut bytes = text.into_bytes();
    bytes[at] = if bytes[at] == b'1' { b'2' } else { b'1' };
    let damaged = String::from_utf8(bytes).expect("utf8");
    let err = VeloRule::from_json(&damaged, &src).expect_err("damaged rule loads");
    assert!(err.to_string().contains("content hash"), "{err}");
}
