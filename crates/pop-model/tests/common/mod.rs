//! Helpers shared by the integration tests: a tiny deterministic RNG, random inputs, and
//! closeness checks.
#![allow(dead_code)]

use burn::tensor::{Tensor, TensorData, backend::Backend};
use pop_model::{CpuBackend, N_FEATURES, Policy, PolicyConfig, PolicyInit};

/// The backend of the tests.
pub type B = CpuBackend;

/// SplitMix64: deterministic and dependency-free.
pub struct SplitMix(pub u64);

impl SplitMix {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [lo, hi).
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        let u = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        lo + (hi - lo) * u
    }

    pub fn vec(&mut self, n: usize, lo: f64, hi: f64) -> Vec<f64> {
        (0..n).map(|_| self.uniform(lo, hi)).collect()
    }

    pub fn vec_f32(&mut self, n: usize, lo: f64, hi: f64) -> Vec<f32> {
        (0..n).map(|_| self.uniform(lo, hi) as f32).collect()
    }
}

/// A small policy (d_model 16, 2 layers, 2 heads) with seeded weights.
pub fn small_policy(mixing: bool, seed: u64) -> Policy<B> {
    small_config(mixing).init_seeded(seed)
}

pub fn small_config(mixing: bool) -> PolicyConfig {
    PolicyConfig::small(16, 2, 2)
        .with_max_history(32)
        .with_cross_coordinate_mixing(mixing)
}

pub trait InitSeeded {
    fn init_seeded(&self, seed: u64) -> Policy<B>;
}

impl InitSeeded for PolicyConfig {
    fn init_seeded(&self, seed: u64) -> Policy<B> {
        let device = Default::default();
        <B as Backend>::seed(&device, seed);
        self.init::<B>(&device).expect("valid config")
    }
}

/// Random features `[b, d, t, N_FEATURES]` in a plausible range.
pub fn random_features(rng: &mut SplitMix, b: usize, d: usize, t: usize) -> Vec<f32> {
    rng.vec_f32(b * d * t * N_FEATURES, -1.5, 1.5)
}

pub fn tensor4(data: Vec<f32>, shape: [usize; 4]) -> Tensor<B, 4> {
    Tensor::from_data(TensorData::new(data, shape), &Default::default())
}

pub fn tensor3(data: Vec<f32>, shape: [usize; 3]) -> Tensor<B, 3> {
    Tensor::from_data(TensorData::new(data, shape), &Default::default())
}

pub fn to_vec<const D: usize>(t: Tensor<B, D>) -> Vec<f32> {
    t.into_data().to_vec::<f32>().expect("f32 data")
}

/// Largest absolute difference (panics on length mismatch).
pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "length mismatch");
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[track_caller]
pub fn assert_close(a: &[f32], b: &[f32], tol: f32, what: &str) {
    let diff = max_abs_diff(a, b);
    assert!(diff <= tol, "{what}: max |diff| = {diff:e} > {tol:e}");
}
