//! The optional components of the wider prior (issue 14 point 5), all off by default.
//!
//! The base prior's shortest length-scale is 0.1 z-units, so it has no needles, no high
//! frequencies and no plateaus (Easom's needle on a flat plateau, say). Three components,
//! each drawn with its own rate ([`PriorConfig::p_short_rff`], [`PriorConfig::p_needle`],
//! [`PriorConfig::p_plateau`]) and independently of the others, change the GP part `g` of a
//! sample (a pure quadratic has none, so it never has extras):
//!
//! 1. **Short length-scale GP**: `g` is a random-Fourier-feature GP ([`crate::RffGp`], in every
//!    dimension) with length-scales log-uniform in
//!    `[short_length_scale_min, short_length_scale_max]` (0.02 to 0.1 by default), grown with
//!    the dimension like the normal ones. Its `rff_features` features (512 by default) give the
//!    kernel's covariance exactly for any length-scale (the features' frequencies are drawn
//!    from the kernel's spectral density, which a short length-scale merely widens); what the
//!    number of features sets is how Gaussian the sample's values are, not which
//!    length-scales it can show.
//! 2. **Needle**: `g ← g + n(z)`, `n(z) = −h · exp(−‖z − c‖² / (2 w²))` with the centre `c`
//!    uniform in `[−0.9, 0.9]^d`, the width `w` log-uniform in
//!    `[needle_width_min, needle_width_max]` (z-units, not grown with the dimension) and the
//!    depth `h` uniform in `[needle_depth_min, needle_depth_max]` times `σ = √gp_variance`.
//! 3. **Plateau**: `g ← p(g)`, `p(g) = L + τ tanh((g − L)/τ)` for `g > L` and `p(g) = g` below,
//!    with `L` uniform in `[−0.5 σ, σ]` and `τ = plateau_softness · σ`. `p` is increasing and
//!    continuously differentiable (`p'(g) = sech²((g − L)/τ)` above `L`, 1 below; `p'` is
//!    continuous at `L`), never exceeds `L + τ`, and flattens every region where `g` rises a
//!    few `τ` above `L`: there the gradient all but vanishes.
//!
//! **Order**: the needle is added first and the plateau applied to the sum, so a needle can
//! dip out of a plateau (Easom-like); only then is the GP part mixed with the quadratic and
//! transformed: `f = a · (α q + (1 − α) p(g + n)) + b`.
//!
//! **Draws**: everything here comes from generators of their own (child seeds 4 and 5 of the
//! sample's seed), never from the streams of the base prior, and nothing is drawn at all when
//! the three rates are 0: with the default rates every sample is bit-identical to a sample of
//! the prior without extras.

use crate::config::PriorConfig;
use crate::kernel::LengthScales;
use crate::rng::{child_seed, log_uniform, rng_from_seed, uniform, uniform_in};

/// Child seed (of the sample's seed) of the generator of the extras' decisions and parameters.
pub(crate) const EXTRAS_STREAM: u64 = 4;
/// Child seed (of the sample's seed) of the generator of a short length-scale GP's features.
pub(crate) const SHORT_RFF_STREAM: u64 = 5;

/// A needle `n(z) = −h · exp(−‖z − c‖² / (2 w²))` added to the GP part (module documentation).
#[derive(Debug, Clone, PartialEq)]
pub struct Needle {
    center: Vec<f64>,
    width: f64,
    depth: f64,
}

impl Needle {
    /// A needle with centre `c`, width `w > 0` and depth `h` (in the GP's value units).
    pub fn new(center: Vec<f64>, width: f64, depth: f64) -> Self {
        Self {
            center,
            width,
            depth,
        }
    }

    /// The centre `c`.
    pub fn center(&self) -> &[f64] {
        &self.center
    }

    /// The width `w`, in z-units.
    pub fn width(&self) -> f64 {
        self.width
    }

    /// The depth `h`, in the GP's value units (the drawn multiple of `σ` times `σ`).
    pub fn depth(&self) -> f64 {
        self.depth
    }

    /// `n(x)`, adding `factor · ∇n(x)` to `grad` when given. Allocation-free.
    #[inline]
    pub fn eval_add_grad(&self, x: &[f64], factor: f64, grad: Option<&mut [f64]>) -> f64 {
        let inv_w2 = 1.0 / (self.width * self.width);
        let r2: f64 = x
            .iter()
            .zip(&self.center)
            .map(|(a, c)| (a - c) * (a - c))
            .sum();
        let e = (-0.5 * r2 * inv_w2).exp();
        if let Some(g) = grad {
            // ∇n = h e (x − c) / w².
            let k = factor * self.depth * e * inv_w2;
            for ((gi, a), c) in g.iter_mut().zip(x).zip(&self.center) {
                *gi += k * (a - c);
            }
        }
        -self.depth * e
    }
}

/// A plateau `p(g) = L + τ tanh((g − L)/τ)` above `L`, `g` below (module documentation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plateau {
    level: f64,
    softness: f64,
}

impl Plateau {
    /// A plateau at level `L` with softness `τ > 0` (both in the GP's value units).
    pub fn new(level: f64, softness: f64) -> Self {
        Self { level, softness }
    }

    /// The level `L` above which values are capped.
    pub fn level(&self) -> f64 {
        self.level
    }

    /// The softness `τ`: capped values never exceed `L + τ`.
    pub fn softness(&self) -> f64 {
        self.softness
    }

    /// `(p(g), p'(g))`.
    #[inline]
    pub fn apply(&self, g: f64) -> (f64, f64) {
        if g > self.level {
            let u = (g - self.level) / self.softness;
            let ch = u.cosh();
            (self.level + self.softness * u.tanh(), 1.0 / (ch * ch))
        } else {
            (g, 1.0)
        }
    }
}

/// Which of the optional components a sample has, with their parameters (module
/// documentation). Empty for every sample of the default configuration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Extras {
    short_rff: bool,
    needle: Option<Needle>,
    plateau: Option<Plateau>,
}

impl Extras {
    /// No extras.
    pub fn none() -> Self {
        Self::default()
    }

    /// Whether the GP part is a short length-scale RFF GP.
    pub fn short_rff(&self) -> bool {
        self.short_rff
    }

    /// The needle, if any.
    pub fn needle(&self) -> Option<&Needle> {
        self.needle.as_ref()
    }

    /// The plateau, if any.
    pub fn plateau(&self) -> Option<&Plateau> {
        self.plateau.as_ref()
    }

    /// Whether the sample has none of the extras.
    pub fn is_empty(&self) -> bool {
        !self.short_rff && self.needle.is_none() && self.plateau.is_none()
    }

    /// The names of the components present, in the order `short`, `needle`, `plateau`.
    pub fn names(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.short_rff {
            v.push("short");
        }
        if self.needle.is_some() {
            v.push("needle");
        }
        if self.plateau.is_some() {
            v.push("plateau");
        }
        v
    }

    /// A short description: the names joined by `+` (`"short+needle"`), or `"none"`.
    pub fn describe(&self) -> String {
        if self.is_empty() {
            "none".to_string()
        } else {
            self.names().join("+")
        }
    }

    /// The GP part with the needle and the plateau applied, `p(g + n(x))`, from the plain GP
    /// value `g` at `x`. Returns `g` itself (bit for bit) when there is neither.
    #[inline]
    pub fn transform(&self, x: &[f64], g: f64) -> f64 {
        let mut v = g;
        if let Some(n) = &self.needle {
            v += n.eval_add_grad(x, 0.0, None);
        }
        if let Some(p) = &self.plateau {
            v = p.apply(v).0;
        }
        v
    }
}

/// The extras of one sample, and a short length-scale GP's length-scales when it has one.
pub(crate) struct Drawn {
    pub extras: Extras,
    pub short_length_scales: Option<LengthScales>,
}

/// Draws the extras of the sample of `seed` in dimension `d` (nothing when all three rates
/// are 0, and none for a sample without a GP part). `ard` and `ls_factor` are the base
/// prior's draws: a short length-scale GP is ARD when the normal one would be, and its
/// length-scales are grown with the dimension by the same factor.
///
/// The draws come in a fixed order whatever the outcomes (three decisions; the short
/// isotropic length-scale and `d` ARD ones; the needle's width, depth and centre; the plateau's
/// level), so one component's parameters do not depend on whether another is present.
pub(crate) fn draw(
    seed: u64,
    d: usize,
    c: &PriorConfig,
    has_gp: bool,
    ard: bool,
    ls_factor: f64,
) -> Drawn {
    let none = Drawn {
        extras: Extras::none(),
        short_length_scales: None,
    };
    if !has_gp || (c.p_short_rff <= 0.0 && c.p_needle <= 0.0 && c.p_plateau <= 0.0) {
        return none;
    }
    let mut rng = rng_from_seed(child_seed(seed, EXTRAS_STREAM));
    let short_rff = uniform(&mut rng) < c.p_short_rff;
    let has_needle = uniform(&mut rng) < c.p_needle;
    let has_plateau = uniform(&mut rng) < c.p_plateau;
    let (lo, hi) = (c.short_length_scale_min, c.short_length_scale_max);
    let ls_iso = ls_factor * log_uniform(&mut rng, lo, hi);
    let ls_ard: Vec<f64> = (0..d)
        .map(|_| ls_factor * log_uniform(&mut rng, lo, hi))
        .collect();
    let sigma = c.gp_variance.sqrt();
    let width = log_uniform(&mut rng, c.needle_width_min, c.needle_width_max);
    let depth = sigma * uniform_in(&mut rng, c.needle_depth_min, c.needle_depth_max);
    let center: Vec<f64> = (0..d).map(|_| uniform_in(&mut rng, -0.9, 0.9)).collect();
    let level = sigma * uniform_in(&mut rng, -0.5, 1.0);
    Drawn {
        extras: Extras {
            short_rff,
            needle: has_needle.then(|| Needle::new(center, width, depth)),
            plateau: has_plateau.then(|| Plateau::new(level, c.plateau_softness * sigma)),
        },
        short_length_scales: short_rff.then_some(if ard {
            LengthScales::Ard(ls_ard)
        } else {
            LengthScales::Isotropic(ls_iso)
        }),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn plateau_is_continuously_differentiable_and_capped() {
        let p = Plateau::new(0.3, 0.05);
        let (below, d_below) = p.apply(0.3 - 1e-12);
        let (above, d_above) = p.apply(0.3 + 1e-12);
        assert!((below - above).abs() < 1e-11 && (d_below - d_above).abs() < 1e-9);
        for g in [-2.0, 0.0, 0.31, 0.4, 1.0, 5.0, 1e3] {
            let (v, dv) = p.apply(g);
            assert!(
                v <= 0.35 && v <= g && (0.0..=1.0).contains(&dv),
                "{g}: {v} {dv}"
            );
            let h = 1e-7;
            let fd = (p.apply(g + h).0 - p.apply(g - h).0) / (2.0 * h);
            assert!((fd - dv).abs() < 1e-6, "{g}: {fd} vs {dv}");
        }
        assert!(
            p.apply(5.0).1 < 1e-30,
            "far above L the slope all but vanishes"
        );
        assert_eq!(p.apply(1e3).1, 0.0);
    }

    #[test]
    fn needle_is_deepest_at_its_centre() {
        let n = Needle::new(vec![0.2, -0.1], 0.05, 2.0);
        let mut g = [0.0; 2];
        assert_eq!(n.eval_add_grad(&[0.2, -0.1], 1.0, Some(&mut g)), -2.0);
        assert_eq!(g, [0.0, 0.0]);
        assert!(n.eval_add_grad(&[0.9, 0.9], 1.0, None).abs() < 1e-100);
    }

    #[test]
    fn no_rates_no_draws() {
        let c = PriorConfig::default();
        let d = draw(1, 3, &c, true, false, 1.0);
        assert!(d.extras.is_empty() && d.short_length_scales.is_none());
        assert_eq!(d.extras.describe(), "none");
        let all = PriorConfig {
            p_short_rff: 1.0,
            p_needle: 1.0,
            p_plateau: 1.0,
            ..c
        };
        let d = draw(1, 3, &all, true, true, 1.0);
        assert_eq!(d.extras.describe(), "short+needle+plateau");
        assert!(matches!(d.short_length_scales, Some(LengthScales::Ard(ref v)) if v.len() == 3));
        assert!(draw(1, 3, &all, false, true, 1.0).extras.is_empty());
    }
}
