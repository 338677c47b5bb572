//! The prior's hyperpriors: one serde [`PriorConfig`], validated once.
//!
//! Every choice of the prior that the POP paper does not pin down is a field here (see
//! `docs/pop-method.md` §3, the choices marked **\[ours\]**). Functions live on `[−1, 1]^d`
//! ("z-space"); length-scales are in z-units, so the box width is 2.

use serde::{Deserialize, Serialize};

use crate::PriorError;
use crate::kernel::KernelKind;
use crate::linalg::CholeskyBackend;

/// How the anchor points of an exact GP sample are placed in `[−1, 1]^d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnchorDesign {
    /// The Halton sequence (bases 2, 3, 5, …) with a random Cranley–Patterson shift per sample:
    /// low discrepancy, so the anchors cover the box evenly.
    Halton,
    /// Independent uniform points.
    Uniform,
}

/// Relative rates of the kernel families (non-negative, not all zero; normalised internally).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KernelWeights {
    /// Squared exponential. Default 0.4.
    pub rbf: f64,
    /// Matérn-5/2. Default 0.4.
    pub matern52: f64,
    /// Matérn-3/2 (the roughest). Default 0.2.
    pub matern32: f64,
}

impl Default for KernelWeights {
    fn default() -> Self {
        Self {
            rbf: 0.4,
            matern52: 0.4,
            matern32: 0.2,
        }
    }
}

impl KernelWeights {
    /// Only `kind`, with weight 1.
    pub fn only(kind: KernelKind) -> Self {
        let mut w = Self {
            rbf: 0.0,
            matern52: 0.0,
            matern32: 0.0,
        };
        match kind {
            KernelKind::Rbf => w.rbf = 1.0,
            KernelKind::Matern32 => w.matern32 = 1.0,
            KernelKind::Matern52 => w.matern52 = 1.0,
        }
        w
    }

    pub(crate) fn as_pairs(&self) -> [(KernelKind, f64); 3] {
        [
            (KernelKind::Rbf, self.rbf),
            (KernelKind::Matern52, self.matern52),
            (KernelKind::Matern32, self.matern32),
        ]
    }
}

/// Every hyperprior of the synthetic function prior.
///
/// A sample is `f(z) = a · (α q(z) + (1 − α) g(z)) + b` on `[−1, 1]^d`, with `g` a GP sample,
/// `q` a random convex quadratic, `α ∈ {0, 1}` or uniform in `(0, 1)`, and `a > 0`, `b` a random
/// affine transform of the values. The defaults are listed on each field. The optional
/// components of the wider prior (a short length-scale GP, a needle, a plateau;
/// [`crate::extras`]) have rates `p_short_rff`, `p_needle`, `p_plateau`, all 0 by default.
///
/// Load from JSON/TOML with serde (unknown fields are rejected) and check with
/// [`PriorConfig::validate`]; every sampling entry point validates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PriorConfig {
    /// Rate of pure GP samples (`α = 0`). Default 0.45.
    pub p_gp_only: f64,
    /// Rate of pure quadratics (`α = 1`). Default 0.10.
    pub p_quadratic_only: f64,
    /// Rate of mixtures (`α ~ U(0, 1)`). Default 0.45. The three rates are normalised.
    pub p_mixture: f64,

    /// Relative rates of the kernel families. Default RBF 0.4, Matérn-5/2 0.4, Matérn-3/2 0.2.
    pub kernel_weights: KernelWeights,
    /// Smallest length-scale, in z-units (box width 2). Default 0.1 (0.05 of the box width).
    pub length_scale_min: f64,
    /// Largest length-scale, in z-units. Default 2.0 (the box width). Drawn log-uniformly.
    pub length_scale_max: f64,
    /// Length-scales grow with the dimension as `ℓ · max(1, d/2)^e`, `e` this field, so that
    /// a sample has a comparable number of bumps along a diagonal of the box in every
    /// dimension (typical distances grow like `√d`). Default 0.5; in [0, 2]. (With `e = 0`,
    /// GP samples in d = 8 and above are so rough that f* cannot be found reliably.)
    pub length_scale_dim_exponent: f64,
    /// Probability of an ARD kernel (each coordinate's length-scale drawn independently);
    /// otherwise isotropic. Default 0.3.
    pub p_ard: f64,
    /// The GP's signal variance `σ²` (the affine transform rescales values anyway). Default 1.
    pub gp_variance: f64,

    /// Exact (Cholesky, anchor) GP samples for `d ≤ exact_max_dim`, random Fourier features
    /// above. Default 2; at most 8.
    pub exact_max_dim: usize,
    /// Number of anchor points `N` of an exact GP sample. Default 256; between 2 and 4096.
    pub n_anchors: usize,
    /// Placement of the anchors. Default Halton.
    pub anchor_design: AnchorDesign,
    /// First jitter added to the kernel matrix's diagonal, relative to `σ²`. Default 1e-6; ≥ 0.
    /// (The jitter bounds `|α| ≲ 1/√jitter`, and so the rounding noise of `f = k(z, Z) α`: with
    /// 1e-6 it stays near 1e-12 even for the smoothest kernels.)
    pub jitter_initial: f64,
    /// Largest jitter tried, relative to `σ²`, before giving up with
    /// [`PriorError::CholeskyFailed`]. Default 1e-3.
    pub jitter_max: f64,
    /// Factor by which the jitter grows after a failed factorisation. Default 10; > 1.
    pub jitter_growth: f64,
    /// Library that factors the anchors' kernel matrix: `faer` (the default: pure Rust,
    /// measured 3.5× faster than OpenBLAS's generic kernels for 256×256 on the project's 2-core
    /// machines, and it never starts threads of its own inside rayon workers) or `lapack`
    /// (`ndarray-linalg` with the system OpenBLAS; set `OPENBLAS_NUM_THREADS=1` when sampling
    /// in parallel with it). Both give the same function up to rounding, not bit for bit.
    pub cholesky_backend: CholeskyBackend,
    /// Number of random Fourier features `M` for `d > exact_max_dim`. Default 512; 1 to 65536.
    pub rff_features: usize,

    /// Largest condition number of a quadratic's Hessian; the condition number is drawn
    /// log-uniformly in `[1, condition_max]`. Default 1e4; between 1 and 1e8.
    pub condition_max: f64,
    /// Largest eigenvalue of a quadratic's Hessian (the smallest is this over the condition
    /// number; the others are log-uniform between). Default 1.
    pub quadratic_max_eigenvalue: f64,
    /// Probability that a quadratic's minimiser lies outside the box. Default 0.2.
    pub p_minimizer_outside: f64,
    /// An outside minimiser is drawn uniformly in `[−m, m]^d` outside `[−1, 1]^d`, with `m`
    /// this field. Default 2; > 1.
    pub minimizer_outside_max: f64,

    /// Smallest value scale `a` (log-uniform). Default 0.01; > 0.
    pub value_scale_min: f64,
    /// Largest value scale `a`. Default 100.
    pub value_scale_max: f64,
    /// The value shift `b` is uniform in `[−value_shift_max, value_shift_max]`. Default 10; ≥ 0.
    pub value_shift_max: f64,

    /// f* search for `d ≤ 2`: grid points per side (the grid includes the box's edges; the
    /// anchors of an exact GP sample are candidates too, at no cost, so the grid mainly adds
    /// the box's edges and corners). Default 9; 2 to 1024.
    pub fstar_grid: usize,
    /// f* search for `d ≤ 2`: the best (mutually distant) candidates polished with the exact
    /// gradient. Default 8; ≥ 1.
    pub fstar_polish_starts: usize,
    /// f* search for `d > 2`: random candidate points evaluated. Default 8192; ≥ 1.
    pub fstar_candidates: usize,
    /// f* search for `d > 2`: the best candidates polished. Default 64; ≥ 1.
    pub fstar_restarts: usize,
    /// Iterations every polished start gets first (spectral projected gradient); only the
    /// `fstar_final_polish` best go on. Default 50; ≥ 1.
    pub fstar_screen_iter: usize,
    /// How many of the screened starts (the lowest values) are polished on to
    /// `fstar_max_iter` iterations. Default 4; ≥ 1.
    pub fstar_final_polish: usize,
    /// Iteration limit of one polish in all. Default 500; ≥ 1.
    pub fstar_max_iter: usize,
    /// A polish stops when the projected gradient's largest entry is below this (in the units
    /// of the untransformed function, whose GP part has unit scale), or when its progress is at
    /// rounding level. Default 1e-7; > 0.
    pub fstar_tolerance: f64,

    /// Rate of short length-scale GP parts (the wider prior, issue 14 point 5; see
    /// [`crate::extras`]): with this probability the GP part is a random-Fourier-feature GP
    /// (in every dimension, also `d ≤ exact_max_dim`) with `rff_features` features, whose
    /// length-scales are drawn log-uniformly in
    /// `[short_length_scale_min, short_length_scale_max]` and grown with the dimension like the
    /// normal ones (`length_scale_dim_exponent`). Default 0 (off); in [0, 1].
    #[serde(skip_serializing_if = "is_zero")]
    pub p_short_rff: f64,
    /// Smallest short length-scale, in z-units. Default 0.02; > 0.
    #[serde(skip_serializing_if = "is_default_short_min")]
    pub short_length_scale_min: f64,
    /// Largest short length-scale, in z-units. Default 0.1; ≥ `short_length_scale_min`.
    #[serde(skip_serializing_if = "is_default_short_max")]
    pub short_length_scale_max: f64,
    /// Rate of a needle added to the GP part: `g ← g − h · exp(−‖z − c‖² / (2 w²))`, centre `c`
    /// uniform in `[−0.9, 0.9]^d` (see [`crate::extras`]). Default 0 (off); in [0, 1].
    #[serde(skip_serializing_if = "is_zero")]
    pub p_needle: f64,
    /// Smallest needle width `w`, in z-units (log-uniform, not grown with the dimension).
    /// Default 0.02; > 0.
    #[serde(skip_serializing_if = "is_default_needle_width_min")]
    pub needle_width_min: f64,
    /// Largest needle width `w`, in z-units. Default 0.1; ≥ `needle_width_min`.
    #[serde(skip_serializing_if = "is_default_needle_width_max")]
    pub needle_width_max: f64,
    /// Smallest needle depth `h`, in units of the GP's standard deviation `√gp_variance`
    /// (uniform). Default 1.5; > 0.
    #[serde(skip_serializing_if = "is_default_needle_depth_min")]
    pub needle_depth_min: f64,
    /// Largest needle depth `h`, in units of `√gp_variance`. Default 4; ≥ `needle_depth_min`.
    #[serde(skip_serializing_if = "is_default_needle_depth_max")]
    pub needle_depth_max: f64,
    /// Rate of a plateau: the GP part (needle included) is capped softly above a level `L`
    /// uniform in `[−0.5 σ, σ]`, `g ← L + τ tanh((g − L)/τ)` where `g > L` (see
    /// [`crate::extras`]). Default 0 (off); in [0, 1].
    #[serde(skip_serializing_if = "is_zero")]
    pub p_plateau: f64,
    /// The plateau's softness `τ`, in units of `σ = √gp_variance`: the capped part never
    /// exceeds `L + τ`. Default 0.05; > 0.
    #[serde(skip_serializing_if = "is_default_plateau_softness")]
    pub plateau_softness: f64,
}

// The extras' fields are left out of the serialised config while they hold their defaults, so
// the JSON of every config written before they existed (and the config hashes that seal the
// checkpoints of run folders) is unchanged.
const SHORT_LENGTH_SCALE_MIN: f64 = 0.02;
const SHORT_LENGTH_SCALE_MAX: f64 = 0.1;
const NEEDLE_WIDTH_MIN: f64 = 0.02;
const NEEDLE_WIDTH_MAX: f64 = 0.1;
const NEEDLE_DEPTH_MIN: f64 = 1.5;
const NEEDLE_DEPTH_MAX: f64 = 4.0;
const PLATEAU_SOFTNESS: f64 = 0.05;

fn is_zero(v: &f64) -> bool {
    *v == 0.0
}
fn is_default_short_min(v: &f64) -> bool {
    *v == SHORT_LENGTH_SCALE_MIN
}
fn is_default_short_max(v: &f64) -> bool {
    *v == SHORT_LENGTH_SCALE_MAX
}
fn is_default_needle_width_min(v: &f64) -> bool {
    *v == NEEDLE_WIDTH_MIN
}
fn is_default_needle_width_max(v: &f64) -> bool {
    *v == NEEDLE_WIDTH_MAX
}
fn is_default_needle_depth_min(v: &f64) -> bool {
    *v == NEEDLE_DEPTH_MIN
}
fn is_default_needle_depth_max(v: &f64) -> bool {
    *v == NEEDLE_DEPTH_MAX
}
fn is_default_plateau_softness(v: &f64) -> bool {
    *v == PLATEAU_SOFTNESS
}

impl Default for PriorConfig {
    fn default() -> Self {
        Self {
            p_gp_only: 0.45,
            p_quadratic_only: 0.10,
            p_mixture: 0.45,
            kernel_weights: KernelWeights::default(),
            length_scale_min: 0.1,
            length_scale_max: 2.0,
            length_scale_dim_exponent: 0.5,
            p_ard: 0.3,
            gp_variance: 1.0,
            exact_max_dim: 2,
            n_anchors: 256,
            anchor_design: AnchorDesign::Halton,
            jitter_initial: 1e-6,
            jitter_max: 1e-3,
            jitter_growth: 10.0,
            cholesky_backend: CholeskyBackend::Faer,
            rff_features: 512,
            condition_max: 1e4,
            quadratic_max_eigenvalue: 1.0,
            p_minimizer_outside: 0.2,
            minimizer_outside_max: 2.0,
            value_scale_min: 0.01,
            value_scale_max: 100.0,
            value_shift_max: 10.0,
            fstar_grid: 9,
            fstar_polish_starts: 8,
            fstar_candidates: 8192,
            fstar_restarts: 64,
            fstar_screen_iter: 50,
            fstar_final_polish: 4,
            fstar_max_iter: 500,
            fstar_tolerance: 1e-7,
            p_short_rff: 0.0,
            short_length_scale_min: SHORT_LENGTH_SCALE_MIN,
            short_length_scale_max: SHORT_LENGTH_SCALE_MAX,
            p_needle: 0.0,
            needle_width_min: NEEDLE_WIDTH_MIN,
            needle_width_max: NEEDLE_WIDTH_MAX,
            needle_depth_min: NEEDLE_DEPTH_MIN,
            needle_depth_max: NEEDLE_DEPTH_MAX,
            p_plateau: 0.0,
            plateau_softness: PLATEAU_SOFTNESS,
        }
    }
}

fn invalid(field: &'static str, value: impl ToString, valid: &str) -> PriorError {
    PriorError::InvalidConfig {
        field,
        value: value.to_string(),
        valid: valid.to_string(),
    }
}

fn prob(field: &'static str, p: f64) -> Result<(), PriorError> {
    if (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(invalid(field, p, "a probability in [0, 1]"))
    }
}

fn positive(field: &'static str, v: f64) -> Result<(), PriorError> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(invalid(field, v, "finite and > 0"))
    }
}

/// A positive range `[lo, hi]`: both finite and > 0, `hi ≥ lo`.
fn range(lo: (&'static str, f64), hi: (&'static str, f64)) -> Result<(), PriorError> {
    positive(lo.0, lo.1)?;
    positive(hi.0, hi.1)?;
    if hi.1 < lo.1 {
        return Err(invalid(hi.0, hi.1, &format!("≥ {} ({})", lo.0, lo.1)));
    }
    Ok(())
}

fn count(field: &'static str, v: usize, lo: usize, hi: usize) -> Result<(), PriorError> {
    if (lo..=hi).contains(&v) {
        Ok(())
    } else {
        Err(invalid(field, v, &format!("an integer in [{lo}, {hi}]")))
    }
}

impl PriorConfig {
    /// Checks every field; the error names the first bad field and its valid range.
    pub fn validate(&self) -> Result<(), PriorError> {
        prob("p_gp_only", self.p_gp_only)?;
        prob("p_quadratic_only", self.p_quadratic_only)?;
        prob("p_mixture", self.p_mixture)?;
        if self.p_gp_only + self.p_quadratic_only + self.p_mixture <= 0.0 {
            return Err(invalid(
                "p_gp_only + p_quadratic_only + p_mixture",
                0.0,
                "a positive sum (the rates are normalised)",
            ));
        }
        let kw = &self.kernel_weights;
        for (field, w) in [
            ("kernel_weights.rbf", kw.rbf),
            ("kernel_weights.matern52", kw.matern52),
            ("kernel_weights.matern32", kw.matern32),
        ] {
            if !(w.is_finite() && w >= 0.0) {
                return Err(invalid(field, w, "finite and ≥ 0"));
            }
        }
        if kw.rbf + kw.matern52 + kw.matern32 <= 0.0 {
            return Err(invalid(
                "kernel_weights",
                "all zero",
                "at least one positive weight",
            ));
        }
        positive("length_scale_min", self.length_scale_min)?;
        positive("length_scale_max", self.length_scale_max)?;
        if self.length_scale_max < self.length_scale_min {
            return Err(invalid(
                "length_scale_max",
                self.length_scale_max,
                &format!("≥ length_scale_min ({})", self.length_scale_min),
            ));
        }
        if !(0.0..=2.0).contains(&self.length_scale_dim_exponent) {
            return Err(invalid(
                "length_scale_dim_exponent",
                self.length_scale_dim_exponent,
                "in [0, 2]",
            ));
        }
        prob("p_ard", self.p_ard)?;
        positive("gp_variance", self.gp_variance)?;
        count("exact_max_dim", self.exact_max_dim, 0, 8)?;
        count("n_anchors", self.n_anchors, 2, 4096)?;
        if !(self.jitter_initial.is_finite() && self.jitter_initial >= 0.0) {
            return Err(invalid(
                "jitter_initial",
                self.jitter_initial,
                "finite and ≥ 0",
            ));
        }
        if !(self.jitter_max.is_finite() && self.jitter_max >= self.jitter_initial) {
            return Err(invalid(
                "jitter_max",
                self.jitter_max,
                &format!("finite and ≥ jitter_initial ({})", self.jitter_initial),
            ));
        }
        if !(self.jitter_growth.is_finite() && self.jitter_growth > 1.0) {
            return Err(invalid(
                "jitter_growth",
                self.jitter_growth,
                "finite and > 1",
            ));
        }
        count("rff_features", self.rff_features, 1, 65_536)?;
        if !(self.condition_max.is_finite() && (1.0..=1e8).contains(&self.condition_max)) {
            return Err(invalid("condition_max", self.condition_max, "in [1, 1e8]"));
        }
        positive("quadratic_max_eigenvalue", self.quadratic_max_eigenvalue)?;
        prob("p_minimizer_outside", self.p_minimizer_outside)?;
        if !(self.minimizer_outside_max.is_finite() && self.minimizer_outside_max > 1.0) {
            return Err(invalid(
                "minimizer_outside_max",
                self.minimizer_outside_max,
                "finite and > 1",
            ));
        }
        positive("value_scale_min", self.value_scale_min)?;
        positive("value_scale_max", self.value_scale_max)?;
        if self.value_scale_max < self.value_scale_min {
            return Err(invalid(
                "value_scale_max",
                self.value_scale_max,
                &format!("≥ value_scale_min ({})", self.value_scale_min),
            ));
        }
        if !(self.value_shift_max.is_finite() && self.value_shift_max >= 0.0) {
            return Err(invalid(
                "value_shift_max",
                self.value_shift_max,
                "finite and ≥ 0",
            ));
        }
        count("fstar_grid", self.fstar_grid, 2, 1024)?;
        count("fstar_polish_starts", self.fstar_polish_starts, 1, 1 << 20)?;
        count("fstar_candidates", self.fstar_candidates, 1, 1 << 24)?;
        count("fstar_restarts", self.fstar_restarts, 1, 1 << 20)?;
        count("fstar_screen_iter", self.fstar_screen_iter, 1, 1 << 24)?;
        count("fstar_final_polish", self.fstar_final_polish, 1, 1 << 20)?;
        count("fstar_max_iter", self.fstar_max_iter, 1, 1 << 24)?;
        positive("fstar_tolerance", self.fstar_tolerance)?;
        prob("p_short_rff", self.p_short_rff)?;
        range(
            ("short_length_scale_min", self.short_length_scale_min),
            ("short_length_scale_max", self.short_length_scale_max),
        )?;
        prob("p_needle", self.p_needle)?;
        range(
            ("needle_width_min", self.needle_width_min),
            ("needle_width_max", self.needle_width_max),
        )?;
        range(
            ("needle_depth_min", self.needle_depth_min),
            ("needle_depth_max", self.needle_depth_max),
        )?;
        prob("p_plateau", self.p_plateau)?;
        positive("plateau_softness", self.plateau_softness)?;
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid_and_round_trips() {
        let c = PriorConfig::default();
        c.validate().unwrap();
        let s = serde_json::to_string(&c).unwrap();
        let back: PriorConfig = serde_json::from_str(&s).unwrap();
        assert_eq!(c, back);
    }
}
