//! ES meta-training of the VeLO-style rule: the gradient estimator on a toy meta-objective, a
//! smoke run that lowers the meta-loss, bit-identical resume, config checks, and the run folder
//! as a `Method`. (No burn here, so no lock is needed.)

use std::path::{Path, PathBuf};

use pop_optim::Method;
use pop_optim::learned::velo::VeloStyle;
use pop_train::es::{EsMetrics, Fitness, antithetic_gradient};
use pop_train::{EsConfig, EsTrainer, TrainError};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pop-es-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn cosine(a: &[f64], b: &[f64]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f64 = a.iter().map(|x| x * x).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| x * x).sum::<f64>().sqrt();
    dot / (na * nb)
}

/// A toy meta-objective: an ill-conditioned quadratic in θ (50 parameters) whose gradient is known.
#[test]
fn es_gradient_agrees_with_the_true_gradient_in_direction() {
    let n = 50;
    let c: Vec<f64> = (0..n).map(|i| 0.5 + (i % 7) as f64).collect();
    let target: Vec<f64> = (0..n).map(|i| ((i * 13) % 11) as f64 / 5.0 - 1.0).collect();
    let theta: Vec<f64> = (0..n).map(|i| 0.1 * (i % 5) as f64).collect();
    let loss = |t: &[f64]| -> Result<f64, TrainError> {
        Ok(t.iter()
            .zip(&c)
            .zip(&target)
            .map(|((t, c), s)| c * (t - s) * (t - s))
            .sum())
    };
    let truth: Vec<f64> = theta
        .iter()
        .zip(&c)
        .zip(&target)
        .map(|((t, c), s)| 2.0 * c * (t - s))
        .collect();
    let raw = antithetic_gradient(&theta, 0.05, 1000, 42, Fitness::Raw, loss).unwrap();
    let ranked = antithetic_gradient(&theta, 0.05, 1000, 42, Fitness::CenteredRank, loss).unwrap();
    let (cr, ck) = (
        cosine(&raw.gradient, &truth),
        cosine(&ranked.gradient, &truth),
    );
    eprintln!("cosine with the true gradient: raw {cr:.3}, centred ranks {ck:.3}");
    assert!(cr > 0.9, "raw fitness: cosine {cr}");
    assert!(ck > 0.9, "centred-rank fitness: cosine {ck}");
    // Raw antithetic ES on a quadratic is unbiased: the magnitudes agree too, roughly.
    let ratio = raw.gradient.iter().map(|g| g * g).sum::<f64>().sqrt()
        / truth.iter().map(|g| g * g).sum::<f64>().sqrt();
    assert!((0.8..1.3).contains(&ratio), "norm ratio {ratio}");
    // Deterministic under a seed, whatever the thread count.
    let again = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(|| antithetic_gradient(&theta, 0.05, 1000, 42, Fitness::Raw, loss).unwrap());
    assert_eq!(again, raw);
}

fn metrics(dir: &Path) -> Vec<EsMetrics> {
    std::fs::read_to_string(dir.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn untimed(mut m: Vec<EsMetrics>) -> Vec<EsMetrics> {
    for x in &mut m {
        x.evals_per_s = 0.0;
        x.iteration_s = 0.0;
    }
    m
}

#[test]
fn smoke_run_lowers_the_meta_loss_and_loads_as_a_method() {
    let dir = scratch("smoke");
    let cfg = EsConfig::preset("smoke").unwrap();
    let mut t = EsTrainer::new(cfg.clone(), &dir).unwrap();
    let before = t.initial_validation();
    let ms = t.run().unwrap();
    assert_eq!(ms.len(), cfg.iterations);
    let after = t.validate().unwrap();
    eprintln!(
        "smoke validation meta-loss {:.4} -> {:.4}, NI {:.4} -> {:.4}; train loss {:.4} -> {:.4}",
        before.loss,
        after.loss,
        before.ni,
        after.ni,
        ms[0].train_loss,
        ms[ms.len() - 1].train_loss
    );
    assert!(
        after.loss < before.loss,
        "meta-loss {} -> {}",
        before.loss,
        after.loss
    );
    for f in [
        "config.json",
        "metrics.jsonl",
        "best/velo.json",
        "checkpoint/state.json",
    ] {
        assert!(dir.join(f).exists(), "{f}");
    }
    assert_eq!(metrics(&dir).len(), cfg.iterations);
    let m = VeloStyle::load(&dir).unwrap();
    assert_eq!(m.name(), "velo-style-es");
    pop_optim::testing::conformance(&m).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn resume_repeats_the_straight_run_bit_for_bit() {
    let mut cfg = EsConfig::preset("smoke").unwrap();
    cfg.iterations = 4;
    cfg.checkpoint_every = 2;
    // A run validates after its last iteration too: split at a validation boundary, so that the
    // first half's final validation is one the straight run makes as well.
    cfg.validate_every = 2;
    let straight = scratch("straight");
    let mut a = EsTrainer::new(cfg.clone(), &straight).unwrap();
    a.run().unwrap();

    let split = scratch("split");
    let mut half = cfg.clone();
    half.iterations = 2;
    let mut b = EsTrainer::new(half, &split).unwrap();
    b.run().unwrap();
    drop(b);
    let mut b = EsTrainer::resume(&split, Some(cfg.clone())).unwrap();
    assert_eq!(b.next_iteration(), 2);
    b.run().unwrap();

    let bits = |t: &EsTrainer| t.theta().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&a), bits(&b));
    assert_eq!(untimed(metrics(&straight)), untimed(metrics(&split)));
    assert_eq!(
        std::fs::read(straight.join("best/velo.json")).unwrap(),
        std::fs::read(split.join("best/velo.json")).unwrap()
    );
    // A config that differs in more than `iterations` is refused (once the folder is free: a
    // live owner's lock is refused first, with `FolderInUse`).
    drop(b);
    let mut other = cfg.clone();
    other.sigma *= 2.0;
    assert!(matches!(
        EsTrainer::resume(&split, Some(other)),
        Err(TrainError::Resume { .. })
    ));
    // A fresh run into a folder with a checkpoint is refused.
    assert!(EsTrainer::new(cfg, &split).is_err());
    for d in [straight, split] {
        let _ = std::fs::remove_dir_all(d);
    }
}

#[test]
fn presets_parse_and_bad_configs_name_the_field() {
    for name in pop_train::es::ES_PRESETS {
        let c = EsConfig::preset(name).unwrap();
        assert_eq!(c.dim, 2, "{name}");
    }
    assert!(EsConfig::preset("nope").is_err());
    let e = EsConfig::from_toml(&format!("bogus = 1\n{}", pop_train::es::ES_SMOKE), "t")
        .unwrap_err()
        .to_string();
    assert!(e.contains("bogus"), "{e}");
    let base = EsConfig::preset("smoke").unwrap();
    for (field, f) in [
        (
            "sigma",
            Box::new(|c: &mut EsConfig| c.sigma = 0.0) as Box<dyn Fn(&mut EsConfig)>,
        ),
        ("pairs", Box::new(|c: &mut EsConfig| c.pairs = 0)),
        ("beta1", Box::new(|c: &mut EsConfig| c.beta1 = 1.0)),
        ("rule", Box::new(|c: &mut EsConfig| c.rule.hidden = 0)),
        (
            "validation_functions",
            Box::new(|c: &mut EsConfig| c.validation_functions = 0),
        ),
    ] {
        let mut c = base.clone();
        f(&mut c);
        match c.validate() {
            Err(TrainError::InvalidConfig { field: got, .. }) => assert_eq!(got, field),
            other => panic!("{field}: {other:?}"),
        }
    }
}
