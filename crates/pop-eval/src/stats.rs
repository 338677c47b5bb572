//! Statistics of the results tables: means, medians, tie-aware ranks and the Wilcoxon
//! signed-rank test (following `scipy.stats.wilcoxon` 1.17 with its defaults).

use pop_optim::special::normal;

/// Arithmetic mean (`NaN` for an empty slice).
pub fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.iter().sum::<f64>() / v.len() as f64
}

/// Median (`NaN` for an empty slice).
pub fn median(v: &[f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        0.5 * (s[n / 2 - 1] + s[n / 2])
    }
}

/// Ranks 1..n (smallest first), ties averaged; values within `tol` of the smallest value of their
/// group are tied.
pub fn average_ranks(v: &[f64], tol: f64) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut ranks = vec![0.0; v.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i + 1;
        while j < idx.len() && v[idx[j]] - v[idx[i]] <= tol {
            j += 1;
        }
        // positions i..j (0-based) share rank mean(i+1..=j)
        let r = (i + 1 + j) as f64 / 2.0;
        for &k in &idx[i..j] {
            ranks[k] = r;
        }
        i = j;
    }
    ranks
}

/// The rank sums `(W+, W−)` of the Wilcoxon signed-rank test of `d`: the ranks of `|d|` (zeros,
/// `|d| ≤ zero_tol`, dropped; ties averaged) summed over the positive and over the negative
/// differences. The test's direction is the larger sum; the count of signs can disagree with it
/// (many small differences one way, a few large ones the other).
pub fn signed_rank_sums(d: &[f64], zero_tol: f64) -> (f64, f64) {
    let nonzero: Vec<f64> = d.iter().copied().filter(|x| x.abs() > zero_tol).collect();
    let abs: Vec<f64> = nonzero.iter().map(|x| x.abs()).collect();
    let ranks = average_ranks(&abs, 0.0);
    let mut sums = (0.0, 0.0);
    for (x, r) in nonzero.iter().zip(&ranks) {
        if *x > 0.0 {
            sums.0 += r;
        } else {
            sums.1 += r;
        }
    }
    sums
}

/// Two-sided p-value of the Wilcoxon signed-rank test of the paired differences `d`
/// (`scipy.stats.wilcoxon(d)` with its defaults: zeros dropped (`|d| ≤ zero_tol`); the exact
/// null distribution without ties or zeros for up to 50 pairs; an exact sign-flip permutation
/// test with ties or zeros for up to 13 pairs; otherwise the normal approximation with the tie
/// correction and no continuity correction). `None` when every difference is zero.
pub fn wilcoxon_signed_rank(d: &[f64], zero_tol: f64) -> Option<f64> {
    let nonzero: Vec<f64> = d.iter().copied().filter(|x| x.abs() > zero_tol).collect();
    let n = nonzero.len();
    if n == 0 {
        return None;
    }
    let n_zero = d.len() - n;
    let abs: Vec<f64> = nonzero.iter().map(|x| x.abs()).collect();
    let ranks = average_ranks(&abs, 0.0);
    let w_plus: f64 = nonzero
        .iter()
        .zip(&ranks)
        .filter(|(x, _)| **x > 0.0)
        .map(|(_, r)| r)
        .sum();
    let has_ties = {
        let mut s = abs.clone();
        s.sort_by(f64::total_cmp);
        s.windows(2).any(|w| w[0] == w[1])
    };
    if !has_ties && n_zero == 0 && n <= 50 {
        // Exact null distribution of W+ (integer ranks 1..n, each sign equally likely).
        let max = n * (n + 1) / 2;
        let mut counts = vec![0.0f64; max + 1];
        counts[0] = 1.0;
        for k in 1..=n {
            for s in (k..=max).rev() {
                counts[s] += counts[s - k];
            }
        }
        let total: f64 = counts.iter().sum();
        let w = w_plus.round() as usize;
        let cdf: f64 = counts[..=w.min(max)].iter().sum::<f64>() / total;
        let sf: f64 = counts[w.min(max)..].iter().sum::<f64>() / total;
        return Some((2.0 * cdf.min(sf)).min(1.0));
    }
    if d.len() <= 13 {
        // Exact permutation test over the sign flips of the non-zero differences.
        let m = 1u32 << n;
        let (mut le, mut ge) = (0u32, 0u32);
        let eps = 1e-9 * w_plus.abs().max(1.0);
        for mask in 0..m {
            let w: f64 = (0..n)
                .filter(|&i| mask & (1 << i) != 0)
                .map(|i| ranks[i])
                .sum();
            if w <= w_plus + eps {
                le += 1;
            }
            if w >= w_plus - eps {
                ge += 1;
            }
        }
        let p = 2.0 * f64::from(le.min(ge)) / f64::from(m);
        return Some(p.min(1.0));
    }
    let nf = n as f64;
    let mean = nf * (nf + 1.0) / 4.0;
    let mut sorted = abs;
    sorted.sort_by(f64::total_cmp);
    let mut tie_term = 0.0;
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i + 1;
        while j < sorted.len() && sorted[j] == sorted[i] {
            j += 1;
        }
        let t = (j - i) as f64;
        tie_term += t * t * t - t;
        i = j;
    }
    let var = (nf * (nf + 1.0) * (2.0 * nf + 1.0) - tie_term / 2.0) / 24.0;
    if var <= 0.0 {
        return Some(1.0);
    }
    let z = (w_plus - mean) / var.sqrt();
    Some((normal::erfc(z.abs() / std::f64::consts::SQRT_2)).min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) {
        assert!((a - b).abs() <= rel * b.abs().max(1e-300), "{a} vs {b}");
    }

    #[test]
    fn rank_sums_give_the_direction_the_count_can_miss() {
        // Four small positive differences, three large negative ones: more positives by count,
        // but W− = 5 + 6 + 7 = 18 > W+ = 1 + 2 + 3 + 4 = 10.
        let d = [0.1, 0.2, 0.3, 0.4, -5.0, -6.0, -7.0];
        assert_eq!(signed_rank_sums(&d, 0.0), (10.0, 18.0));
        // Zeros are dropped, ties share their mean rank.
        assert_eq!(
            signed_rank_sums(&[0.0, 1.0, -1.0, 2.0], 1e-12),
            (1.5 + 3.0, 1.5)
        );
    }

    #[test]
    fn wilcoxon_matches_scipy() {
        // Golden p-values from scipy 1.17.1: `scipy.stats.wilcoxon(d).pvalue` (defaults).
        let exact_small = [0.5, -1.25, 2.0, 3.5, -0.75, 4.25, 1.5, 6.0];
        close(
            wilcoxon_signed_rank(&exact_small, 0.0).expect("p"),
            0.078125,
            1e-12,
        );
        let twenty: Vec<f64> = (0..20)
            .map(|i| (f64::from(i % 7) - 2.6) * (1.0 + f64::from(i) / 10.0))
            .collect();
        close(
            wilcoxon_signed_rank(&twenty, 0.0).expect("p"),
            0.498_008_728_027_343_75,
            1e-12,
        );
        let ties_zeros = [1.0, 1.0, -2.0, 0.0, 3.0, 3.0, -1.0, 2.0, 2.0, 4.0, 0.0, 5.0];
        close(
            wilcoxon_signed_rank(&ties_zeros, 0.0).expect("p"),
            0.039_062_5,
            1e-12,
        );
        let large: Vec<f64> = (0..60).map(|i| (f64::from(i) * 1.7).sin() + 0.3).collect();
        close(
            wilcoxon_signed_rank(&large, 0.0).expect("p"),
            0.003_082_743_304_227_141_5,
            1e-9,
        );
        assert_eq!(wilcoxon_signed_rank(&[0.0, 0.0], 0.0), None);
    }

    #[test]
    fn erfc_known_values() {
        // Values from mpmath (50 digits), rounded.
        close(normal::erfc(0.5), 0.479_500_122_186_953_5, 1e-13);
        close(normal::erfc(1.0), 0.157_299_207_050_285_13, 1e-13);
        close(normal::erfc(3.0), 2.209_049_699_858_544e-5, 1e-12);
        close(normal::erfc(-1.0), 1.842_700_792_949_715, 1e-13);
    }

    #[test]
    fn ranks_average_ties() {
        assert_eq!(
            average_ranks(&[3.0, 1.0, 2.0, 1.0], 0.0),
            vec![4.0, 1.5, 3.0, 1.5]
        );
        assert_eq!(average_ranks(&[1.0, 1.0 + 1e-12], 1e-9), vec![1.5, 1.5]);
        assert_eq!(median(&[3.0, 1.0, 2.0, 10.0]), 2.5);
    }
}
