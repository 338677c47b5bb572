//! The two PPO engines compute the same loss and gradients.
//!
//! Its own test binary with one test on purpose: the reference is burn in f64, and burn 0.21
//! fixes a device's default float type the first time any backend touches it (burn-ndarray's
//! f32 and f64 backends share the CPU device), so an f32 test running first in the same process
//! would silently make the reference f32 (the test checks the dtype).

use burn::tensor::backend::Backend;
use pop_bench_fns::Objective;
use pop_optim::pop::{ExtraFeature, FeatureConfig, StepRule, TimeEmbedding};
use pop_prior::{Prior, Split};
use pop_train::rollout::{ActionMode, Episode, rollout, uniform_starts};
use pop_train::{AdvantageKind, LrSchedule, RewardKind, TrainConfig};

/// The `pop` design at smoke size (as in `tests/train.rs`).
fn pop_design_smoke() -> TrainConfig {
    let mut cfg = TrainConfig::preset("smoke").unwrap();
    cfg.policy = cfg
        .policy
        .with_time_embedding(TimeEmbedding::Progress)
        .with_features(FeatureConfig {
            step: StepRule::Rms,
            extra: vec![ExtraFeature::RmsGrad],
            ..FeatureConfig::default()
        });
    cfg.horizon_max = Some(20);
    cfg.reward = RewardKind::AnytimeNi;
    cfg.group_size = 3;
    cfg.advantage = AdvantageKind::Group;
    cfg.lr_schedule = LrSchedule::Cosine;
    cfg.validate().unwrap();
    cfg
}

/// The two PPO engines compute the same loss and gradients on a minibatch (burn in f64 as the
/// reference: burn's f32 autodiff alone is off by ~1e-4 relative), for the RMS/progress policy
/// with the group baseline and the original policy with GAE.
#[test]
fn f32_engine_gradients_equal_burn_autodiff() {
    use burn::optim::GradientsParams;
    use pop_model::{PolicyInit, export_fast, named_gradients};
    use pop_train::ppo;
    type Ad64 = burn::backend::Autodiff<burn::backend::NdArray<f64>>;
    for (c, mut cfg) in [pop_design_smoke(), TrainConfig::preset("smoke").unwrap()]
        .into_iter()
        .enumerate()
    {
        cfg.group_size = 3;
        let device = Default::default();
        <Ad64 as Backend>::seed(&device, 12 + c as u64);
        let mut policy = cfg.policy.init::<Ad64>(&device).unwrap();
        // Move log σ off its initial value so that its gradient terms are exercised.
        policy.log_std = policy
            .log_std
            .map(|t| t.add_scalar(0.3).detach().require_grad());
        let fast = export_fast(&policy).unwrap();
        let prior = Prior::new(cfg.prior.clone()).unwrap();
        let fns = prior.split_batch(Split::Train, 2, 0..4).unwrap();
        let starts = uniform_starts(fns.len(), 2, 3);
        let episodes: Vec<Episode<'_>> = fns
            .iter()
            .zip(&starts)
            .flat_map(|(f, z0)| {
                (0..cfg.group_size).map(move |_| Episode {
                    objective: f,
                    z0: z0.clone(),
                    f_star: f.f_star().unwrap(),
                })
            })
            .collect();
        let ro = rollout(
            &fast,
            &episodes,
            15,
            ActionMode::Sample { seed: 9 },
            cfg.reward,
            0.0,
        )
        .unwrap();
        let values = ppo::values(&policy, &ro, 4).unwrap();
        let probe = policy.log_std.val();
        assert_eq!(
            probe.dtype(),
            burn::tensor::DType::F64,
            "the reference must run in f64 (see the module documentation)"
        );
        let (adv, ret) = ppo::advantages(&ro, &values, &cfg);
        let adv: Vec<f32> = adv.iter().map(|&a| a as f32).collect();
        let ret: Vec<f32> = ret.iter().map(|&a| a as f32).collect();
        // Perturb the old log-probabilities so that some ratios leave the clip range.
        let mut ro = ro;
        for (j, lp) in ro.old_log_probs.iter_mut().enumerate() {
            *lp += [0.0, 0.4, -0.4][j % 3];
        }
        let rows = [0, 2, 5, 7, 11];
        let mb = ppo::minibatch_loss_burn(&policy, &ro, &rows, &adv, &ret, &cfg).unwrap();
        let want = named_gradients(
            &policy,
            &GradientsParams::from_grads(mb.loss.backward(), &policy),
        )
        .unwrap();
        let (got, loss) =
            ppo::minibatch_gradients_f32(&policy, &ro, &rows, &adv, &ret, &cfg).unwrap();
        assert!(
            (loss - mb.loss_value).abs() < 1e-5 * (1.0 + mb.loss_value.abs()),
            "config {c}: loss {loss} vs {}",
            mb.loss_value
        );
        for (name, (_, v)) in &want {
            let gv = &got[name].1;
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-6);
            let err = gv
                .iter()
                .zip(v)
                .map(|(a, b)| (a - b) * (a - b))
                .sum::<f32>()
                .sqrt();
            assert!(
                err <= 1e-4 * norm,
                "config {c}: gradient of {name} differs by {err:e} (norm {norm:e})"
            );
        }
    }
}
