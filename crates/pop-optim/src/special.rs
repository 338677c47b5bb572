//! Special functions shared across the workspace, defined once.

/// The standard normal distribution: `erfc` (FreeBSD `s_erf.c`), its CDF, quantile and the
/// truncated quantile, accurate to a few ulps in double precision. Shared by BO and TPE (`pop-baselines`), the Wilcoxon test of the evaluation and the
/// Gaussian log-density of PPO.
// The coefficients are copied digit for digit from `s_erf.c` (and Acklam's paper).
#[allow(clippy::excessive_precision)]
pub mod normal {
    /// `ln √(2π)`.
    pub const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;
    /// `1/√(2π)`.
    pub const INV_SQRT_2PI: f64 = 0.398_942_280_401_432_7;

    const ERX: f64 = 8.450_629_115_104_675e-1;
    const PP: [f64; 5] = [
        1.283_791_670_955_125_6e-1,
        -3.250_421_072_470_015e-1,
        -2.848_174_957_559_851e-2,
        -5.770_270_296_489_442e-3,
        -2.376_301_665_665_016_3e-5,
    ];
    const QQ: [f64; 5] = [
        3.979_172_239_591_553_5e-1,
        6.502_224_998_876_73e-2,
        5.081_306_281_875_766e-3,
        1.324_947_380_043_216_4e-4,
        -3.960_228_278_775_368e-6,
    ];
    const PA: [f64; 7] = [
        -2.362_118_560_752_659_4e-3,
        4.148_561_186_837_483e-1,
        -3.722_078_760_357_013e-1,
        3.183_466_199_011_617_5e-1,
        -1.108_946_942_823_966_8e-1,
        3.547_830_432_561_823_6e-2,
        -2.166_375_594_868_790_8e-3,
    ];
    const QA: [f64; 6] = [
        1.064_208_804_008_442_3e-1,
        5.403_979_177_021_710_5e-1,
        7.182_865_441_419_627e-2,
        1.261_712_198_087_616_4e-1,
        1.363_708_391_202_905e-2,
        1.198_449_984_679_910_8e-2,
    ];
    const RA: [f64; 8] = [
        -9.864_944_034_847_148e-3,
        -6.938_585_727_071_818e-1,
        -1.055_862_622_532_329_1e1,
        -6.237_533_245_032_601e1,
        -1.623_966_694_625_734_6e2,
        -1.846_050_929_067_110_4e2,
        -8.128_743_550_630_659e1,
        -9.814_329_344_169_145,
    ];
    const SA: [f64; 8] = [
        1.965_127_166_743_925_7e1,
        1.376_577_541_435_190_4e2,
        4.345_658_774_752_292_3e2,
        6.453_872_717_332_679e2,
        4.290_081_400_275_678_3e2,
        1.086_350_055_417_794_3e2,
        6.570_249_770_319_282,
        -6.042_441_521_485_81e-2,
    ];
    const RB: [f64; 7] = [
        -9.864_942_924_700_099e-3,
        -7.992_832_376_805_23e-1,
        -1.775_795_491_775_475_2e1,
        -1.606_363_848_558_219_2e2,
        -6.375_664_433_683_896e2,
        -1.025_095_131_611_077_2e3,
        -4.835_191_916_086_514e2,
    ];
    const SB: [f64; 7] = [
        3.033_806_074_348_246e1,
        3.257_925_129_965_739e2,
        1.536_729_586_084_437e3,
        3.199_858_219_508_595_5e3,
        2.553_050_406_433_164_4e3,
        4.745_285_412_069_554e2,
        -2.244_095_244_658_581_8e1,
    ];

    /// `c[0] + c[1] s + … ` (Horner).
    fn poly(c: &[f64], s: f64) -> f64 {
        c.iter().rev().fold(0.0, |acc, &ci| acc.mul_add(s, ci))
    }

    /// `1 + c[0] s + c[1] s² + …`.
    fn poly1(c: &[f64], s: f64) -> f64 {
        1.0 + s * poly(c, s)
    }

    /// The complementary error function `erfc(x) = 1 − erf(x)` (FreeBSD `s_erf.c`).
    pub fn erfc(x: f64) -> f64 {
        if x.is_nan() {
            return x;
        }
        let ax = x.abs();
        if ax < 0.843_75 {
            if ax < 2f64.powi(-56) {
                return 1.0 - x;
            }
            let z = x * x;
            let y = poly(&PP, z) / poly1(&QQ, z);
            if x < 0.25 {
                return 1.0 - (x + x * y);
            }
            let r = x * y + (x - 0.5);
            return 0.5 - r;
        }
        if ax < 1.25 {
            let s = ax - 1.0;
            let p = poly(&PA, s) / poly1(&QA, s);
            return if x >= 0.0 {
                (1.0 - ERX) - p
            } else {
                1.0 + (ERX + p)
            };
        }
        if ax < 28.0 {
            let s = 1.0 / (ax * ax);
            let rs = if ax < 1.0 / 0.35 {
                poly(&RA, s) / poly1(&SA, s)
            } else {
                if x < -6.0 {
                    return 2.0;
                }
                poly(&RB, s) / poly1(&SB, s)
            };
            // z: ax with the low 32 bits cleared, so that z² is exact.
            let z = f64::from_bits(ax.to_bits() & 0xffff_ffff_0000_0000);
            let r = (-z * z - 0.5625).exp() * ((z - ax) * (z + ax) + rs).exp();
            return if x > 0.0 { r / ax } else { 2.0 - r / ax };
        }
        if x > 0.0 { 0.0 } else { 2.0 }
    }

    /// `Φ(x)`, the standard normal CDF.
    pub fn cdf(x: f64) -> f64 {
        0.5 * erfc(-x * std::f64::consts::FRAC_1_SQRT_2)
    }

    /// `φ(x)`, the standard normal density.
    pub fn pdf(x: f64) -> f64 {
        INV_SQRT_2PI * (-0.5 * x * x).exp()
    }

    /// `Φ⁻¹(p)` for `p ∈ (0, 1)`: Acklam's rational approximation refined by two Halley steps on
    /// `erfc` (relative error near machine precision). `p ≤ 0` gives `−∞`, `p ≥ 1` gives `+∞`.
    pub fn ppf(p: f64) -> f64 {
        if p.is_nan() {
            return p;
        }
        if p <= 0.0 {
            return f64::NEG_INFINITY;
        }
        if p >= 1.0 {
            return f64::INFINITY;
        }
        // Work in the lower half and flip, so the tail is computed from a small probability.
        if p > 0.5 {
            return -ppf_lower(1.0 - p, p);
        }
        ppf_lower(p, 1.0 - p)
    }

    /// `Φ⁻¹(p)` for `p ≤ 0.5`; `q = 1 − p` is passed for the central region.
    fn ppf_lower(p: f64, _q: f64) -> f64 {
        const A: [f64; 6] = [
            -3.969_683_028_665_376e1,
            2.209_460_984_245_205e2,
            -2.759_285_104_469_687e2,
            1.383_577_518_672_69e2,
            -3.066_479_806_614_716e1,
            2.506_628_277_459_239,
        ];
        const B: [f64; 5] = [
            -5.447_609_879_822_406e1,
            1.615_858_368_580_409e2,
            -1.556_989_798_598_866e2,
            6.680_131_188_771_972e1,
            -1.328_068_155_288_572e1,
        ];
        const C: [f64; 6] = [
            -7.784_894_002_430_293e-3,
            -3.223_964_580_411_365e-1,
            -2.400_758_277_161_838,
            -2.549_732_539_343_734,
            4.374_664_141_464_968,
            2.938_163_982_698_783,
        ];
        const D: [f64; 4] = [
            7.784_695_709_041_462e-3,
            3.224_671_290_700_398e-1,
            2.445_134_137_142_996,
            3.754_408_661_907_416,
        ];
        let mut x = if p < 0.024_25 {
            let q = (-2.0 * p.ln()).sqrt();
            (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
                / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
        } else {
            let q = p - 0.5;
            let r = q * q;
            (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
                / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
        };
        // Halley refinement of Φ(x) = p (x ≤ 0 here, where Φ is computed without cancellation).
        for _ in 0..2 {
            let e = cdf(x) - p;
            let u = e * (2.0 * std::f64::consts::PI).sqrt() * (0.5 * x * x).exp();
            if !u.is_finite() {
                break;
            }
            x -= u / (1.0 + 0.5 * x * u);
        }
        x
    }

    /// `Φ(b) − Φ(a)` for `a ≤ b`, computed on the side that avoids cancellation.
    pub fn mass(a: f64, b: f64) -> f64 {
        if b <= 0.0 {
            cdf(b) - cdf(a)
        } else if a >= 0.0 {
            cdf(-a) - cdf(-b)
        } else {
            1.0 - cdf(a) - cdf(-b)
        }
    }

    /// The `q`-quantile of the standard normal truncated to `[a, b]` (Optuna's `_truncnorm.ppf`).
    pub fn truncated_ppf(q: f64, a: f64, b: f64) -> f64 {
        let m = mass(a, b);
        let x = if a < 0.0 {
            // Φ(x) = Φ(a) + q (Φ(b) − Φ(a)); flip to the upper tail when that is past one half.
            let p = cdf(a) + q * m;
            if p <= 0.5 {
                ppf(p)
            } else {
                -ppf(cdf(-b) + (1.0 - q) * m)
            }
        } else {
            -ppf(cdf(-b) + (1.0 - q) * m)
        };
        if x.is_nan() {
            0.5 * (a + b)
        } else {
            x.clamp(a, b)
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::excessive_precision)]
mod tests {
    use super::normal::*;

    /// `scipy.special.erfc`, `scipy.stats.norm.ppf` (scipy 1.x, float64):
    /// ```python
    /// from scipy import special, stats
    /// for x in [-7, -3.5, -2, -1, -0.9, -0.5, -0.2, 0, 1e-10, 0.2, 0.3, 0.5, 0.9, 1, 1.2, 2, 2.9, 5, 10, 27]:
    ///     print(x, repr(special.erfc(x)))
    /// for p in [1e-300, 1e-20, 1e-5, 0.01, 0.024, 0.1, 0.3, 0.5, 0.7, 0.975, 0.99999, 1 - 1e-12]:
    ///     print(p, repr(stats.norm.ppf(p)))
    /// ```
    #[test]
    fn erfc_and_ppf_match_scipy() {
        let erfc_ref: &[(f64, f64)] = ERFC_REF;
        for &(x, want) in erfc_ref {
            let got = erfc(x);
            assert!(
                (got - want).abs() <= 2e-15 * want.abs() + 1e-300,
                "erfc({x}) = {got}, want {want}"
            );
        }
        for &(p, want) in PPF_REF {
            let got = ppf(p);
            assert!(
                (got - want).abs() <= 1e-13 * want.abs().max(1.0),
                "ppf({p}) = {got}, want {want}"
            );
        }
    }

    const ERFC_REF: &[(f64, f64)] = &[
        (-7.0, 2.0),
        (-3.5, 1.9999992569016276),
        (-2.0, 1.9953222650189528),
        (-1.0, 1.8427007929497148),
        (-0.9, 1.7969082124228322),
        (-0.5, 1.5204998778130465),
        (-0.2, 1.2227025892104784),
        (0.0, 1.0),
        (1e-10, 0.999999999887162),
        (0.2, 0.7772974107895215),
        (0.3, 0.6713732405408726),
        (0.5, 0.4795001221869535),
        (0.9, 0.20309178757716784),
        (1.0, 0.15729920705028516),
        (1.2, 0.08968602177036462),
        (2.0, 0.004677734981047266),
        (2.9, 4.109787809945884e-05),
        (5.0, 1.5374597944280347e-12),
        (10.0, 2.0884875837625446e-45),
        (27.0, 0.0),
    ];
    const PPF_REF: &[(f64, f64)] = &[
        (1e-300, -37.0470962993612),
        (1e-20, -9.262340089798409),
        (1e-05, -4.264890793922825),
        (0.01, -2.3263478740408408),
        (0.024, -1.977368428181947),
        (0.1, -1.2815515655446004),
        (0.3, -0.5244005127080409),
        (0.5, 0.0),
        (0.7, 0.5244005127080407),
        (0.975, 1.959963984540054),
        (0.99999, 4.264890793923841),
        (0.999999999999, 7.0344869100478356),
    ];

    /// Optuna's `_ParzenEstimator` (defaults) on fixed observations:
    /// `tests/reference/bo_tpe_parzen.py`, whose output is pasted below.
    #[test]
    fn truncated_ppf_stays_inside_and_inverts() {
        for &(a, b) in &[
            (-1.0, 1.0),
            (-75.0, 25.0),
            (0.0, 50.0),
            (-50.0, 0.0),
            (-0.5, 0.6),
        ] {
            for i in 0..=20 {
                let q = f64::from(i) / 20.0;
                let x = truncated_ppf(q, a, b);
                assert!(x >= a && x <= b, "({a}, {b}, {q}) -> {x}");
                let back = (cdf(x) - cdf(a)) / (cdf(b) - cdf(a));
                if (cdf(b) - cdf(a)) > 1e-3 {
                    assert!((back - q).abs() < 1e-9, "({a}, {b}, {q}) -> {x}: {back}");
                }
            }
        }
    }
}
