//! Prior samples: GP, quadratic or mixture, with a random affine transform of the values and
//! their global minimum — each one an [`Objective`] on `[−1, 1]^d`. The GP part may carry the
//! optional components of [`crate::extras`] (off by default).

use pop_bench_fns::{Bounds, Objective};
use rayon::prelude::*;

use crate::PriorError;
use crate::config::PriorConfig;
use crate::design::{anchor_points, grid, uniform_points};
use crate::extras::{self, Extras, SHORT_RFF_STREAM};
use crate::fstar::{pick_diverse, spg_minimize};
use crate::gp_exact::ExactGp;
use crate::kernel::{Kernel, KernelKind, LengthScales};
use crate::linalg::JitterPolicy;
use crate::quadratic::{Quadratic, QuadraticParams};
use crate::rff::RffGp;
use crate::rng::{categorical, child_seed, log_uniform, rng_from_seed, uniform, uniform_in};
use crate::splits::{EVAL_SET_SIZE, Split, function_seed};

/// Largest dimension a prior sample may have.
pub const MAX_DIM: usize = 1024;

/// Which mixture weight a sample drew.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// A pure GP sample (`α = 0`).
    Gp,
    /// A pure quadratic (`α = 1`).
    Quadratic,
    /// `α q + (1 − α) g` with `α` uniform in `(0, 1)`.
    Mixture,
}

impl Family {
    /// `"gp"`, `"quadratic"` or `"mixture"`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Gp => "gp",
            Self::Quadratic => "quadratic",
            Self::Mixture => "mixture",
        }
    }
}

/// The GP part of a sample.
#[derive(Debug, Clone)]
pub enum GpComponent {
    /// Exact conditional mean through anchors (`d ≤ exact_max_dim`).
    Exact(ExactGp),
    /// Random Fourier features (`d > exact_max_dim`).
    Rff(RffGp),
}

impl GpComponent {
    /// The kernel.
    pub fn kernel(&self) -> &Kernel {
        match self {
            Self::Exact(g) => g.kernel(),
            Self::Rff(g) => g.kernel(),
        }
    }

    /// `g(x)`, adding `factor · ∇g(x)` to `grad` when given. Allocation-free.
    #[inline]
    pub fn eval_add_grad(&self, x: &[f64], factor: f64, grad: Option<&mut [f64]>) -> f64 {
        match self {
            Self::Exact(g) => g.eval_add_grad(x, factor, grad),
            Self::Rff(g) => g.eval_add_grad(x, factor, grad),
        }
    }
}

/// One function of the prior: `f(z) = a · (α q(z) + (1 − α) g(z)) + b` on `[−1, 1]^d`,
/// with its global minimum `f*` and a minimiser. With [`extras`](PriorSample::extras) the GP
/// part is `p(g(z) + n(z))`: a needle `n` and a plateau `p` (see [`crate::extras`]).
///
/// Defined by `(seed, d, config)`: [`PriorSample::generate`] with the same three gives a
/// bit-identical function.
#[derive(Debug, Clone)]
pub struct PriorSample {
    name: String,
    seed: u64,
    bounds: Bounds,
    family: Family,
    weight: f64,
    gp: Option<GpComponent>,
    extras: Extras,
    quadratic: Option<Quadratic>,
    scale: f64,
    shift: f64,
    f_star: f64,
    minimizers: Vec<Vec<f64>>,
    f_star_exact: bool,
}

impl PriorSample {
    /// Generates the sample of `(seed, d, config)` (validating `config`).
    pub fn generate(seed: u64, d: usize, config: &PriorConfig) -> Result<Self, PriorError> {
        config.validate()?;
        generate_checked(seed, d, config)
    }

    /// The seed this sample was generated from.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Which mixture weight was drawn.
    pub fn family(&self) -> Family {
        self.family
    }

    /// The mixture weight `α` on the quadratic (0 for a pure GP, 1 for a pure quadratic).
    pub fn quadratic_weight(&self) -> f64 {
        self.weight
    }

    /// The GP part (absent for a pure quadratic).
    pub fn gp(&self) -> Option<&GpComponent> {
        self.gp.as_ref()
    }

    /// The GP's kernel (absent for a pure quadratic).
    pub fn kernel(&self) -> Option<&Kernel> {
        self.gp.as_ref().map(GpComponent::kernel)
    }

    /// The optional components of the GP part (empty for every sample of the default
    /// configuration and for pure quadratics): a short length-scale GP, a needle, a plateau.
    pub fn extras(&self) -> &Extras {
        &self.extras
    }

    /// The quadratic part (absent for a pure GP).
    pub fn quadratic(&self) -> Option<&Quadratic> {
        self.quadratic.as_ref()
    }

    /// The value scale `a > 0` and shift `b`: `f = a · h + b`.
    pub fn affine(&self) -> (f64, f64) {
        (self.scale, self.shift)
    }

    /// The global minimum over the box (always known for prior samples).
    pub fn min_value(&self) -> f64 {
        self.f_star
    }

    /// A global minimiser (as found by the f* search).
    pub fn minimizer(&self) -> &[f64] {
        self.minimizers.first().map(Vec::as_slice).unwrap_or(&[])
    }

    /// Whether `f*` is exact (a quadratic) rather than the best of a search.
    pub fn f_star_is_exact(&self) -> bool {
        self.f_star_exact
    }

    /// `h(x) = α q(x) + (1 − α) g(x)` (with the extras applied to `g`), writing `factor · ∇h`
    /// into `grad` (which must be zero on entry).
    #[inline]
    fn inner_add_grad(&self, x: &[f64], factor: f64, grad: Option<&mut [f64]>) -> f64 {
        inner_eval(
            self.weight,
            self.quadratic.as_ref(),
            self.gp.as_ref(),
            &self.extras,
            x,
            factor,
            grad,
        )
    }
}

/// `h(x) = α q(x) + (1 − α) p(g(x) + n(x))` (`n`, `p` the extras' needle and plateau, when
/// present), writing `factor · ∇h(x)` into `grad`, which must be zero on entry (with a plateau
/// the GP part's gradient is accumulated first and then scaled by `p'`). Without a plateau the
/// operations are exactly those of the prior without extras.
#[inline]
fn inner_eval(
    weight: f64,
    quadratic: Option<&Quadratic>,
    gp: Option<&GpComponent>,
    extras: &Extras,
    x: &[f64],
    factor: f64,
    mut grad: Option<&mut [f64]>,
) -> f64 {
    if let (Some(p), Some(g)) = (extras.plateau(), gp) {
        let fg = factor * (1.0 - weight);
        let mut gv = g.eval_add_grad(x, fg, grad.as_deref_mut());
        if let Some(n) = extras.needle() {
            gv += n.eval_add_grad(x, fg, grad.as_deref_mut());
        }
        let (pv, slope) = p.apply(gv);
        if let Some(gr) = grad.as_deref_mut() {
            gr.iter_mut().for_each(|v| *v *= slope);
        }
        let mut v = (1.0 - weight) * pv;
        if let Some(q) = quadratic {
            v += weight * q.eval_add_grad(x, factor * weight, grad);
        }
        return v;
    }
    let mut v = 0.0;
    if let Some(q) = quadratic {
        v += weight * q.eval_add_grad(x, factor * weight, grad.as_deref_mut());
    }
    if let Some(g) = gp {
        let fg = factor * (1.0 - weight);
        let mut gv = g.eval_add_grad(x, fg, grad.as_deref_mut());
        if let Some(n) = extras.needle() {
            gv += n.eval_add_grad(x, fg, grad);
        }
        v += (1.0 - weight) * gv;
    }
    v
}

impl Objective for PriorSample {
    fn name(&self) -> &str {
        &self.name
    }

    fn bounds(&self) -> &Bounds {
        &self.bounds
    }

    #[inline]
    fn evaluate(&self, x: &[f64], mut grad: Option<&mut [f64]>) -> f64 {
        if let Some(g) = grad.as_deref_mut() {
            g.iter_mut().for_each(|v| *v = 0.0);
        }
        self.scale * self.inner_add_grad(x, self.scale, grad) + self.shift
    }

    fn f_star(&self) -> Option<f64> {
        Some(self.f_star)
    }

    fn minimizers(&self) -> &[Vec<f64>] {
        &self.minimizers
    }
}

/// The prior with a validated configuration: the sampler.
#[derive(Debug, Clone)]
pub struct Prior {
    config: PriorConfig,
}

impl Prior {
    /// Validates `config` once.
    pub fn new(config: PriorConfig) -> Result<Self, PriorError> {
        config.validate()?;
        Ok(Self { config })
    }

    /// The configuration.
    pub fn config(&self) -> &PriorConfig {
        &self.config
    }

    /// The sample of `(seed, d)`.
    pub fn sample(&self, seed: u64, d: usize) -> Result<PriorSample, PriorError> {
        generate_checked(seed, d, &self.config)
    }

    /// Function `index` of `split` in dimension `d` (seed [`function_seed`]).
    pub fn split_sample(
        &self,
        split: Split,
        d: usize,
        index: u64,
    ) -> Result<PriorSample, PriorError> {
        self.sample(function_seed(split, d, index), d)
    }

    /// Functions `indices` of `split` in dimension `d`, generated in parallel (rayon), in order.
    pub fn split_batch(
        &self,
        split: Split,
        d: usize,
        indices: std::ops::Range<u64>,
    ) -> Result<Vec<PriorSample>, PriorError> {
        indices
            .into_par_iter()
            .map(|i| self.split_sample(split, d, i))
            .collect()
    }

    /// The samples of `seeds` in dimension `d`, generated in parallel (rayon), in order.
    pub fn sample_many(&self, seeds: &[u64], d: usize) -> Result<Vec<PriorSample>, PriorError> {
        seeds.par_iter().map(|&s| self.sample(s, d)).collect()
    }

    /// The fixed validation or test set of `d`: [`EVAL_SET_SIZE`] functions (indices
    /// `0..1024`). The training split is a stream, not a set: it errors for [`Split::Train`].
    pub fn eval_set(&self, split: Split, d: usize) -> Result<Vec<PriorSample>, PriorError> {
        if split == Split::Train {
            return Err(PriorError::InvalidConfig {
                field: "split",
                value: "train".into(),
                valid: "validation or test (the training split is a stream: use train_stream or split_batch)"
                    .into(),
            });
        }
        self.split_batch(split, d, 0..EVAL_SET_SIZE as u64)
    }

    /// The training stream of `d` from index `start` on (sequential; use
    /// [`Prior::split_batch`] with [`Split::Train`] for parallel batches).
    pub fn train_stream(&self, d: usize, start: u64) -> TrainStream<'_> {
        TrainStream {
            prior: self,
            d,
            next: start,
        }
    }
}

/// An endless iterator over the training split ([`Prior::train_stream`]).
#[derive(Debug, Clone)]
pub struct TrainStream<'a> {
    prior: &'a Prior,
    d: usize,
    next: u64,
}

impl TrainStream<'_> {
    /// The index of the next sample.
    pub fn position(&self) -> u64 {
        self.next
    }
}

impl Iterator for TrainStream<'_> {
    type Item = Result<PriorSample, PriorError>;

    fn next(&mut self) -> Option<Self::Item> {
        let i = self.next;
        self.next = self.next.wrapping_add(1);
        Some(self.prior.split_sample(Split::Train, self.d, i))
    }
}

/// Draws every hyperparameter of a sample (in a fixed order, whatever the family) and builds it.
fn generate_checked(seed: u64, d: usize, c: &PriorConfig) -> Result<PriorSample, PriorError> {
    if d == 0 || d > MAX_DIM {
        return Err(PriorError::InvalidDimension {
            dim: d,
            requirement: format!("prior samples need 1 ≤ d ≤ {MAX_DIM}"),
        });
    }
    let bounds = Bounds::cube(d, -1.0, 1.0).map_err(|e| PriorError::InvalidDimension {
        dim: d,
        requirement: e.to_string(),
    })?;

    // Meta draws.
    let mut meta = rng_from_seed(child_seed(seed, 0));
    let family = match categorical(&mut meta, &[c.p_gp_only, c.p_quadratic_only, c.p_mixture]) {
        0 => Family::Gp,
        1 => Family::Quadratic,
        _ => Family::Mixture,
    };
    let u = uniform(&mut meta);
    let weight = match family {
        Family::Gp => 0.0,
        Family::Quadratic => 1.0,
        Family::Mixture => {
            if u > 0.0 {
                u
            } else {
                0.5
            }
        }
    };
    let kinds = c.kernel_weights.as_pairs();
    let kind: KernelKind = kinds[categorical(&mut meta, &kinds.map(|p| p.1))].0;
    let ard = uniform(&mut meta) < c.p_ard;
    let ls_factor = (d as f64 / 2.0).max(1.0).powf(c.length_scale_dim_exponent);
    let ls_iso = ls_factor * log_uniform(&mut meta, c.length_scale_min, c.length_scale_max);
    let ls_ard: Vec<f64> = (0..d)
        .map(|_| ls_factor * log_uniform(&mut meta, c.length_scale_min, c.length_scale_max))
        .collect();
    let scale = log_uniform(&mut meta, c.value_scale_min, c.value_scale_max);
    let shift = uniform_in(&mut meta, -c.value_shift_max, c.value_shift_max);

    // Optional components (their own generators; nothing drawn when their rates are 0).
    let drawn = extras::draw(seed, d, c, weight < 1.0, ard, ls_factor);
    let extras = drawn.extras;

    // GP part.
    let gp = if weight < 1.0 {
        if let Some(short) = drawn.short_length_scales {
            let kernel = Kernel::new(kind, c.gp_variance, short, d)?;
            let mut rng = rng_from_seed(child_seed(seed, SHORT_RFF_STREAM));
            Some(GpComponent::Rff(RffGp::sample(
                kernel,
                c.rff_features,
                &mut rng,
            )?))
        } else {
            let ls = if ard {
                LengthScales::Ard(ls_ard)
            } else {
                LengthScales::Isotropic(ls_iso)
            };
            normal_gp(seed, d, c, Kernel::new(kind, c.gp_variance, ls, d)?)?
        }
    } else {
        None
    };

    // Quadratic part.
    let quadratic = if weight > 0.0 {
        let mut rng = rng_from_seed(child_seed(seed, 2));
        let params = QuadraticParams {
            condition_max: c.condition_max,
            max_eigenvalue: c.quadratic_max_eigenvalue,
            p_outside: c.p_minimizer_outside,
            outside_max: c.minimizer_outside_max,
        };
        Some(Quadratic::sample(d, &params, &mut rng)?)
    } else {
        None
    };

    // Global minimum of h = α q + (1 − α) g.
    let (x_star, h_star, exact) = match (&quadratic, &gp) {
        (Some(q), None) => {
            let (x, v) = q.box_minimum();
            (x, v, true)
        }
        _ => {
            let (x, v) =
                search_minimum(seed, d, c, weight, quadratic.as_ref(), gp.as_ref(), &extras);
            (x, v, false)
        }
    };
    let kernel_name = match &gp {
        Some(g) => {
            let k = g.kernel();
            format!(
                "-{}{}",
                k.kind().name(),
                if k.is_ard() { "-ard" } else { "" }
            )
        }
        None => String::new(),
    };
    let extras_name: String = extras.names().iter().map(|n| format!("-{n}")).collect();
    let name = format!(
        "prior-{}{}{}-d{}-{:016x}",
        family.name(),
        kernel_name,
        extras_name,
        d,
        seed
    );
    tracing::trace!(%name, f_star = scale * h_star + shift, "generated prior sample");
    Ok(PriorSample {
        name,
        seed,
        bounds,
        family,
        weight,
        gp,
        extras,
        quadratic,
        scale,
        shift,
        f_star: scale * h_star + shift,
        minimizers: vec![x_star],
        f_star_exact: exact,
    })
}

/// The GP part of the base prior: an exact GP sample through anchors for `d ≤ exact_max_dim`,
/// random Fourier features above (both from the sample's child generator 1).
fn normal_gp(
    seed: u64,
    d: usize,
    c: &PriorConfig,
    kernel: Kernel,
) -> Result<Option<GpComponent>, PriorError> {
    let mut rng = rng_from_seed(child_seed(seed, 1));
    if d <= c.exact_max_dim {
        let anchors = anchor_points(c.anchor_design, c.n_anchors, d, &mut rng);
        let policy = JitterPolicy {
            initial: c.jitter_initial,
            max: c.jitter_max,
            growth: c.jitter_growth,
        };
        Ok(Some(GpComponent::Exact(ExactGp::sample(
            kernel,
            anchors.view(),
            &policy,
            c.cholesky_backend,
            &mut rng,
        )?)))
    } else {
        Ok(Some(GpComponent::Rff(RffGp::sample(
            kernel,
            c.rff_features,
            &mut rng,
        )?)))
    }
}

/// The f* search for samples with a GP part: candidates (a grid plus the anchors for
/// `d ≤ 2`, random points above; plus the quadratic's box minimiser), then the best few
/// (mutually distant) polished with the exact gradient.
///
/// With extras: a short length-scale GP in `d ≤ 2` adds a fine grid (spacing about a third of
/// its shortest length-scale, see [`fine_grid_side`]) and polishes more starts, and a needle's
/// centre is always a candidate and always polished. Without extras the search is exactly the
/// one of the prior without them.
fn search_minimum(
    seed: u64,
    d: usize,
    c: &PriorConfig,
    weight: f64,
    quadratic: Option<&Quadratic>,
    gp: Option<&GpComponent>,
    extras: &Extras,
) -> (Vec<f64>, f64) {
    let h = |x: &[f64]| inner_eval(weight, quadratic, gp, extras, x, 1.0, None);
    // `h` from the plain GP value `gv` at `x`.
    let compose = |x: &[f64], gv: f64| {
        let qv = quadratic.map_or(0.0, |q| q.eval_add_grad(x, 0.0, None));
        weight * qv + (1.0 - weight) * extras.transform(x, gv)
    };
    let mut points: Vec<f64> = Vec::new();
    let mut values: Vec<f64> = Vec::new();
    let (starts, radius) = if d <= 2 {
        let g = grid(c.fstar_grid, d);
        for row in g.rows() {
            let x: Vec<f64> = row.to_vec();
            values.push(h(&x));
            points.extend_from_slice(&x);
        }
        let mut starts = c.fstar_polish_starts;
        let mut radius = 0.5 * 2.0 / (c.fstar_grid - 1) as f64;
        // A short length-scale GP: a grid that resolves it (the coarse one cannot).
        if let (true, Some(GpComponent::Rff(r))) = (extras.short_rff(), gp) {
            let side = fine_grid_side(r.kernel(), c.fstar_grid, d);
            let fine = grid(side, d);
            let gv = r
                .values_grid(side)
                .unwrap_or_else(|| r.values_batch(fine.view()).to_vec());
            for (row, g) in fine.rows().into_iter().zip(gv.iter()) {
                let x: Vec<f64> = row.to_vec();
                values.push(compose(&x, *g));
                points.extend_from_slice(&x);
            }
            starts = starts.max(SHORT_POLISH_STARTS);
            radius = 0.5 * 2.0 / (side - 1) as f64;
        }
        // Exact GP anchors: the GP values there are known without kernel evaluations.
        if let Some(GpComponent::Exact(e)) = gp {
            let av = e.anchor_values();
            for (z, gv) in e.anchors().chunks_exact(d).zip(av.iter()) {
                let inside = z.iter().all(|v| v.abs() <= 1.0);
                if !inside {
                    continue;
                }
                values.push(compose(z, *gv));
                points.extend_from_slice(z);
            }
        }
        (starts, radius)
    } else {
        let mut rng = rng_from_seed(child_seed(seed, 3));
        let cand = uniform_points(c.fstar_candidates, d, &mut rng);
        match gp {
            Some(GpComponent::Rff(r)) => {
                let gv = r.values_batch(cand.view());
                for (row, g) in cand.rows().into_iter().zip(gv.iter()) {
                    let x: Vec<f64> = row.to_vec();
                    values.push(compose(&x, *g));
                    points.extend_from_slice(&x);
                }
            }
            _ => {
                for row in cand.rows() {
                    let x: Vec<f64> = row.to_vec();
                    values.push(h(&x));
                    points.extend_from_slice(&x);
                }
            }
        }
        (c.fstar_restarts, 0.0)
    };
    if let Some(q) = quadratic {
        let (x, _) = q.box_minimum();
        values.push(h(&x));
        points.extend_from_slice(&x);
    }
    // A needle's centre: a candidate that is always polished (a grid or random points may
    // miss a narrow needle altogether).
    let forced = extras.needle().map(|n| {
        values.push(h(n.center()));
        points.extend_from_slice(n.center());
        values.len() - 1
    });
    let mut picked = pick_diverse(&points, &values, d, starts, radius);
    if let Some(i) = forced
        && !picked.contains(&i)
    {
        picked.push(i);
    }
    let lower = vec![-1.0; d];
    let upper = vec![1.0; d];
    let mut best_x: Vec<f64> = vec![0.0; d];
    let mut best_v = f64::INFINITY;
    let polish = |x0: &[f64], iters: usize| {
        spg_minimize(
            |x, g| {
                g.iter_mut().for_each(|v| *v = 0.0);
                inner_eval(weight, quadratic, gp, extras, x, 1.0, Some(g))
            },
            x0,
            &lower,
            &upper,
            iters,
            c.fstar_tolerance,
        )
    };
    // Stage 1: every start gets `fstar_screen_iter` iterations.
    let screen = c.fstar_screen_iter.min(c.fstar_max_iter);
    let mut results = Vec::new();
    for i in picked {
        let x0 = &points[i * d..(i + 1) * d];
        if values[i] < best_v {
            best_v = values[i];
            best_x.copy_from_slice(x0);
        }
        results.push(polish(x0, screen));
    }
    // Stage 2: the best unconverged few go on to `fstar_max_iter` iterations in all.
    results.sort_by(|a, b| a.value.total_cmp(&b.value));
    for r in results.iter_mut().take(c.fstar_final_polish) {
        if !r.converged && c.fstar_max_iter > screen {
            let more = polish(&r.x, c.fstar_max_iter - screen);
            if more.value <= r.value {
                *r = more;
            }
        }
    }
    for r in results {
        if r.value < best_v {
            best_v = r.value;
            best_x = r.x;
        }
    }
    if !best_v.is_finite() {
        best_v = h(&best_x);
    }
    (best_x, best_v)
}

/// Polished starts of the f* search of a short length-scale GP sample in `d ≤ 2` (at least;
/// `fstar_polish_starts` when larger): it has many more local minima of similar depth.
const SHORT_POLISH_STARTS: usize = 16;

/// Points per side of the fine f* grid of a short length-scale GP sample in `d ≤ 2`: a spacing
/// of at most a third of the kernel's shortest length-scale, capped at 4097 points per side in
/// `d = 1` and 257 in `d = 2` (66 049 points; the cap binds only below `ℓ ≈ 0.023`), and never
/// fewer than the coarse grid's `coarse` points.
fn fine_grid_side(kernel: &Kernel, coarse: usize, d: usize) -> usize {
    let ls_min = (0..d)
        .map(|i| kernel.length_scales().get(i))
        .fold(f64::INFINITY, f64::min);
    let cap = if d <= 1 { 4097 } else { 257 };
    let want = (3.0 * 2.0 / ls_min).ceil();
    let side = if want.is_finite() && want < cap as f64 {
        want as usize + 1
    } else {
        cap
    };
    side.clamp(coarse.min(cap), cap)
}
